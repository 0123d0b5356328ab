package ui

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"reqlab/app/stage"
)

// What the page told of its own stages shows at once, and the server's echo
// of it takes its place.
func TestToldStartsShowUntilEchoed(t *testing.T) {
	r := newRunView("01a2216808d4bc1290a70f601d341afc")
	wait := stage.Event{Stage: stage.Wait, Side: stage.Client, Phase: stage.Start, TMs: 3, State: stage.Active}
	r.told = append(r.told, wait)
	r.add(stage.Event{Seq: 1, Stage: stage.DB, Side: stage.Server, Phase: stage.End, TMs: 5, DurMs: stage.Ms(0.2), State: stage.Done})
	if got := r.list(); len(got) != 2 || got[1].Stage != stage.Wait || got[1].Seq != 0 {
		t.Fatalf("before the echo: %+v", got)
	}
	if s := r.timeline(10).States(100)[stage.Wait].State; s != stage.Active {
		t.Errorf("wait shows %s while the browser waits", s)
	}
	echo := wait
	echo.Seq = 2
	r.add(echo)
	if got := r.list(); len(got) != 2 || got[1].Seq != 2 {
		t.Errorf("after the echo: %+v", got)
	}
}

// Every stage of the table has its own spot in the picture, on its place.
func TestEveryStageHasASpot(t *testing.T) {
	seen := map[point]stage.ID{}
	for _, s := range stage.Table {
		p, ok := spots[s.ID]
		if !ok {
			t.Errorf("%s has no spot", s.ID)
			continue
		}
		if other, taken := seen[p]; taken {
			t.Errorf("%s and %s share the spot %v", s.ID, other, p)
		}
		seen[p] = s.ID
		for _, pl := range places {
			if pl.id == s.Place && (p.x <= pl.x || p.x >= pl.x+pl.w) {
				t.Errorf("%s at x=%.1f is outside its place %s", s.ID, p.x, pl.id)
			}
		}
	}
}

// The raw answer's status line is the one Go's server wrote, for every code
// the sample site answers with.
func TestStatusLineIsTheWires(t *testing.T) {
	for _, code := range []int{200, 201, 204, 304, 400, 404, 405, 409, 413, 415, 429, 431, 500, 503} {
		if got, want := StatusLine(code), fmt.Sprintf("HTTP/1.1 %d %s", code, http.StatusText(code)); got != want {
			t.Errorf("%q, want %q", got, want)
		}
		if ES.Status(code) == strconv.Itoa(code) {
			t.Errorf("%d has no name in Spanish", code)
		}
	}
}

// The comparison points out what differs beyond noise only: a render of
// 11.3 against 21.9 ms is a frame's jitter; 20 against 2,000 ms of waiting
// is a slow network.
func TestTimesDifferBeyondNoise(t *testing.T) {
	ms := func(v float64) *float64 { return &v }
	for _, tt := range []struct {
		id   stage.ID
		a, b float64
		want bool
	}{
		{stage.Render, 11.3, 21.9, false},
		{stage.Wait, 20, 2000, true},
		{stage.Wait, 3, 9, false},
		{stage.DB, 0.2, 0.9, false},
		{stage.DB, 1, 8, true},
		{stage.Receive, 10, 14, false},
	} {
		if got := timesDiffer(ms(tt.a), ms(tt.b), noiseOf(tt.id)); got != tt.want {
			t.Errorf("%s %v vs %v ms: differ %v, want %v", tt.id, tt.a, tt.b, got, tt.want)
		}
	}
	if !timesDiffer(nil, ms(1), 20) || timesDiffer(nil, nil, 20) {
		t.Error("measured against not measured is a difference; neither is none")
	}
}

func TestWithoutTraceparent(t *testing.T) {
	for in, want := range map[string]string{
		"/site/?traceparent=00-ab-cd-01":       "/site/",
		"/site/?ticket=0123.spent":             "/site/",
		"/site/?a=1&traceparent=00-ab-cd-01":   "/site/?a=1",
		"/site/api/cursos?nivel=basico":        "/site/api/cursos?nivel=basico",
		"/site/":                               "/site/",
		"/site/?traceparent=x&b=2&traceparent": "/site/?b=2&traceparent",
	} {
		if got := withoutTraceparent(in); got != want {
			t.Errorf("withoutTraceparent(%q) = %q, want %q", in, got, want)
		}
	}
}
