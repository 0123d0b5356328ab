package sqlstore

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"reqlab/app/stage"
	"reqlab/server/store/storetest"
)

// An event as a batch's row keeps it reads back as it was, whatever its
// times and details; names the events table's columns refused are refused.
func TestEncodeEventReadsBack(t *testing.T) {
	rows := 3
	events := append(storetest.FullRun(),
		stage.Event{Stage: stage.DB, Side: stage.Server, Phase: stage.End, TMs: 1e-7, DurMs: stage.Ms(1e21), State: stage.Error,
			Detail: stage.Detail{SQL: "SELECT \"x\" — ñ\n", Rows: &rows, Status: 500, Error: "<b>&"}},
		stage.Event{Stage: stage.Send, Side: stage.Client, Phase: stage.Start, TMs: 0.1 + 0.2, State: stage.Active},
		stage.Event{Stage: stage.Wait, Side: stage.Client, Phase: stage.End, TMs: 3599999.999, DurMs: stage.Ms(0), State: stage.Skipped})
	for _, e := range events {
		enc, err := SQLite.encodeEvent(e)
		if err != nil {
			t.Fatalf("%+v: %v", e, err)
		}
		e.Seq = 7
		var got stage.Event
		if err := json.Unmarshal(appendEvent(nil, enc, 7), &got); err != nil {
			t.Fatalf("%s: %v", enc, err)
		}
		if !reflect.DeepEqual(got, e) {
			t.Errorf("%s read back as %+v, want %+v", enc, got, e)
		}
	}
	ok := stage.Event{Stage: stage.Send, Side: stage.Client, Phase: stage.Start, State: stage.Active}
	for name, change := range map[string]func(*stage.Event){
		"a stage with a space": func(e *stage.Event) { e.Stage = "se nd" },
		"no stage":             func(e *stage.Event) { e.Stage = "" },
		"a side":               func(e *stage.Event) { e.Side = "browser" },
		"a phase":              func(e *stage.Event) { e.Phase = "middle" },
		"a state":              func(e *stage.Event) { e.State = "\"" },
		"a time":               func(e *stage.Event) { e.TMs = math.NaN() },
		"a duration":           func(e *stage.Event) { e.DurMs = stage.Ms(math.Inf(1)) },
	} {
		e := ok
		change(&e)
		if _, err := SQLite.encodeEvent(e); err == nil {
			t.Errorf("%s: encoded %+v", name, e)
		}
	}
	if _, err := SQLite.encodeEvent(ok); err != nil {
		t.Errorf("the event unchanged: %v", err)
	}
}
