package sqlstore

import (
	"context"
	"sync"
	"testing"

	"reqlab/app/stage"
	"reqlab/server/internal/pgtest"
	"reqlab/server/store"
)

// Two servers on one PostgreSQL append to the same runs at once: each batch
// is numbered after the others, whole, with no seq given twice, however
// often a group finds a run changed since it read it and is done again.
func TestPipelinedGroupsOnOneRunFromTwoServers(t *testing.T) {
	dsn := pgtest.Database(t)
	ctx := context.Background()
	var dbs []*DB
	for range 2 {
		db, err := Open(ctx, PostgreSQL, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs = append(dbs, db)
	}
	stages := []stage.ID{stage.Receive, stage.Route, stage.DB, stage.Respond}
	var ids []string
	for range 20 {
		id := stage.NewRunID()
		if _, err := dbs[0].CreateRun(ctx, id, stage.NewRunSecret(), "s", stage.Request{Method: "GET", URL: "/site/"}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	var wg sync.WaitGroup
	got := make(chan []stage.Event, 1000)
	for _, id := range ids {
		for i, s := range stages {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out, err := dbs[i%2].Append(ctx, store.Batch{RunID: id, Side: stage.Server, Events: stage.WithStarts([]stage.Event{
					{Stage: s, Side: stage.Server, Phase: stage.End, TMs: 1, DurMs: stage.Ms(1), State: stage.Done}})})
				if err != nil {
					t.Errorf("append %s to %s: %v", s, id, err)
					return
				}
				got <- out
			}()
		}
	}
	wg.Wait()
	close(got)
	for _, id := range ids {
		run, err := dbs[1].Run(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(run.Events) != 2*len(stages) {
			t.Fatalf("run %s has %d events, want %d: %+v", id, len(run.Events), 2*len(stages), run.Events)
		}
		for i, e := range run.Events {
			if e.Seq != int64(i+1) {
				t.Fatalf("run %s: event %d has seq %d", id, i, e.Seq)
			}
			if e.Phase == stage.End && (i == 0 || run.Events[i-1].Stage != e.Stage) {
				t.Errorf("run %s: a batch split: %+v", id, run.Events)
			}
		}
		var last int
		var marks string
		if err := dbs[0].SQL().QueryRow(`SELECT last_seq, marks FROM runs WHERE id = $1`, id).Scan(&last, &marks); err != nil || last != 2*len(stages) {
			t.Errorf("run %s: last_seq %d (%v), want %d; marks %q", id, last, err, 2*len(stages), marks)
		}
	}
	for out := range got {
		if len(out) != 2 || out[1].Seq != out[0].Seq+1 {
			t.Errorf("a batch stored as %+v", out)
		}
	}
}
