package main

import (
	"testing"
	"time"

	"reqlab/app/stage"
	"reqlab/app/wire"
	"reqlab/server/internal/pgtest"
)

// An abandoned run ends (issue 24, point 4): a run whose page went away ends
// as interrupted once it has heard nothing for the run timeout (60 s at
// most; 1 s here), on either store, while a run that keeps reporting stays
// open however long it takes, and completes.
func TestAnAbandonedRunEnds(t *testing.T) {
	for _, tt := range []struct {
		name string
		env  func(t *testing.T) map[string]string
	}{
		{"SQLite", func(*testing.T) map[string]string { return nil }},
		{"PostgreSQL", func(t *testing.T) map[string]string { return map[string]string{"REQLAB_DB": pgtest.Database(t)} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"REQLAB_RUN_TIMEOUT": "1s"}
			for k, v := range tt.env(t) {
				env[k] = v
			}
			l := startLab(t, env)
			page := dialLab(t, l)
			abandoned := page.start("/site/api/cursos")
			opened := time.Now()
			page.send(wire.Message{Type: wire.Start, Ref: 2, Request: &stage.Request{Method: "GET", URL: "/site/api/cursos"}})
			m := page.reply()
			if m.Type != wire.Started {
				t.Fatalf("start: %+v", m)
			}
			talking := m.Run

			stateOf := func(id string) stage.RunState {
				var run stage.Run
				getJSON(t, l.url+"/api/runs/"+id, &run)
				return run.State
			}
			// The talking run's page reports a stage every 300 ms, for
			// three timeouts.
			stages := []stage.ID{stage.Cache, stage.DNS, stage.Connect, stage.TLS, stage.Send, stage.Wait, stage.Download, stage.Parse, stage.Render, stage.Assets}
			var ended time.Duration
			for i, id := range stages {
				page.send(wire.Message{Type: wire.Report, Ref: int64(10 + i), Run: talking, Events: []stage.Event{
					{Stage: id, Side: stage.Client, Phase: stage.Start, State: stage.Active, TMs: float64(i)}}})
				if r := page.reply(); r.Type != wire.Ack {
					t.Fatalf("a report %.1f s in: %+v", time.Since(opened).Seconds(), r)
				}
				if ended == 0 && stateOf(abandoned) == stage.RunInterrupted {
					ended = time.Since(opened)
				}
				time.Sleep(300 * time.Millisecond)
			}
			if ended == 0 {
				t.Fatalf("the abandoned run is %s after %.1f s of silence, want interrupted within 1 s", stateOf(abandoned), time.Since(opened).Seconds())
			}
			if ended > 1500*time.Millisecond {
				t.Errorf("the abandoned run ended %v after its last word, want within the 1 s timeout", ended)
			}
			t.Logf("the abandoned run ended as interrupted %v after it was opened (timeout 1 s)", ended.Round(time.Millisecond))
			if st := stateOf(talking); st != stage.RunOpen {
				t.Fatalf("the run still reporting after %.1f s is %s, want open", time.Since(opened).Seconds(), st)
			}
			// Ending every stage it started, it completes.
			var ends []stage.Event
			for i, id := range stages {
				ends = append(ends, stage.Event{Stage: id, Side: stage.Client, Phase: stage.End, State: stage.Done, TMs: float64(i), DurMs: stage.Ms(1)})
			}
			page.send(wire.Message{Type: wire.Report, Ref: 99, Run: talking, Final: true, Events: ends, Response: &stage.Response{Status: 200}})
			if r := page.reply(); r.Type != wire.Ack {
				t.Fatalf("the last report: %+v", r)
			}
			if st := stateOf(talking); st != stage.RunComplete {
				t.Errorf("the run that kept reporting is %s, want complete", st)
			}
		})
	}
}
