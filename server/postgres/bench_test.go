package postgres

import (
	"context"
	"testing"
	"time"

	"reqlab/app/stage"
	"reqlab/server/store"
)

// BenchmarkPersistRuns stores whole runs as a class sends them, many at once,
// as the SQLite benchmark of the same name does: each opened, then given its
// events in one batch. (SQLite's target, 10,000 a second, is one machine's;
// here the figure is PostgreSQL's on the same machine, beside it.)
func BenchmarkPersistRuns(b *testing.B) {
	db := openTestDB(b)
	ctx := context.Background()
	var events []stage.Event
	for _, id := range stage.All() {
		side, _ := stage.SideOf(id)
		events = append(events, stage.Event{Stage: id, Side: side, Phase: stage.End, TMs: 1, DurMs: stage.Ms(0.5), State: stage.Done,
			Detail: stage.Detail{Reason: stage.ReasonCacheMiss}})
	}
	events = stage.WithStarts(events)
	req := stage.Request{Method: "GET", URL: "/site/api/cursos"}
	b.SetParallelism(32)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := stage.NewRunID()
			if _, err := db.CreateRun(ctx, id, stage.NewRunSecret(), "s", req); err != nil {
				b.Error(err)
				return
			}
			if _, err := db.Append(ctx, store.Batch{RunID: id, Events: events, Complete: true}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	perSecond := float64(b.N) / time.Since(start).Seconds()
	b.ReportMetric(perSecond, "runs/s")
	b.Logf("runs persisted on PostgreSQL: %.0f a second (%d events each) — SQLite's target on one machine: 10000", perSecond, len(events))
}
