package storetest

import (
	"context"
	"syscall"
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
//
// It also reports what a run costs in processor time: this process's, and
// the engine's where it runs apart (engineCPU, the time its processes have
// used so far; nil for an engine inside this process), and so how many runs
// a second two cores would store doing nothing else. On a machine others
// share, the figure by the clock says how busy they kept it; the one by the
// processor, what the store itself costs.
func PersistRuns(b *testing.B, db store.Store, against string, engineCPU func() time.Duration) {
	ctx := context.Background()
	events := FullRun()
	req := stage.Request{Method: "GET", URL: "/site/api/cursos"}
	b.SetParallelism(32) // 64 students at once on a 2-core machine
	b.ResetTimer()
	start, cpu0, engine0 := time.Now(), processCPU(), time.Duration(0)
	if engineCPU != nil {
		engine0 = engineCPU()
	}
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
	cpu, engine := processCPU()-cpu0, time.Duration(0)
	if engineCPU != nil {
		engine = engineCPU() - engine0
	}
	perRun := (cpu + engine) / time.Duration(b.N)
	b.ReportMetric(perSecond, "runs/s")
	b.ReportMetric(float64(perRun.Microseconds()), "cpu-µs/run")
	b.Logf("runs persisted on %s: %.0f a second (%d events each); %d µs of processor a run (%d here, %d the engine's processes), so %.0f a second on two idle cores — %s",
		db.Engine(), perSecond, len(events), perRun.Microseconds(), (cpu / time.Duration(b.N)).Microseconds(), (engine / time.Duration(b.N)).Microseconds(),
		2*float64(time.Second)/float64(perRun), against)
}

// processCPU is the processor time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
