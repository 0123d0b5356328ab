package storetest

import (
	"context"
	"testing"
	"time"

	"reqlab/app/stage"
	"reqlab/server/store"
)

// FullRun is the events a typical run stores: every stage started and
// ended.
func FullRun() []stage.Event {
	var events []stage.Event
	for _, id := range stage.All() {
		side, _ := stage.SideOf(id)
		events = append(events, stage.Event{Stage: id, Side: side, Phase: stage.End, TMs: 1, DurMs: stage.Ms(0.5), State: stage.Done,
			Detail: stage.Detail{Reason: stage.ReasonCacheMiss}})
	}
	return stage.WithStarts(events)
}

// PersistRuns stores whole runs in db as a class sends them, many at once:
// each opened, then given its events in one batch. It reports runs/s, and
// logs the figure with what it is set against.
func PersistRuns(b *testing.B, db store.Store, against string) {
	ctx := context.Background()
	events := FullRun()
	req := stage.Request{Method: "GET", URL: "/site/api/cursos"}
	b.SetParallelism(32) // 64 students at once on a 2-core machine
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
	b.Logf("runs persisted on %s: %.0f a second (%d events each) — %s", db.Engine(), perSecond, len(events), against)
}
