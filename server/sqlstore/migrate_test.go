package sqlstore

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"reqlab/app/stage"
	"reqlab/server/internal/pgtest"
	"reqlab/server/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// Runs kept a row per event before event_batches: once migrated, they read
// as they were, and their open runs take the next batch as they would have
// (the next seq, a stage already ended refused).
func TestEventsKeptARowEachMigrate(t *testing.T) {
	for _, tc := range []struct {
		d   *Dialect
		dsn func(t *testing.T) string
	}{
		{SQLite, func(t *testing.T) string { return filepath.Join(t.TempDir(), "old.db") }},
		{PostgreSQL, func(t *testing.T) string { return pgtest.Database(t) }},
	} {
		t.Run(tc.d.name, func(t *testing.T) {
			ctx := context.Background()
			dsn := tc.dsn(t)
			write, read, err := tc.d.open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			// Every migration but those that brought event_batches.
			dir := path.Join("migrations", tc.d.migrations)
			files, _ := fs.Glob(migrations, dir+"/*.sql")
			sort.Strings(files)
			if _, err := write.Exec(`CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at ` + tc.d.timeType + ` NOT NULL)`); err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, f := range files {
				if path.Base(f) == map[*Dialect]string{SQLite: "0019_event_batches.sql", PostgreSQL: "0009_event_batches.sql"}[tc.d] {
					break
				}
				body, _ := fs.ReadFile(migrations, f)
				if _, err := write.Exec(string(body)); err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				if _, err := write.Exec(tc.d.q(`INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`), "migrations/"+path.Base(f), tc.d.at(time.Now())); err != nil {
					t.Fatal(err)
				}
				n++
			}
			if n == len(files) {
				t.Fatal("no migration brings event_batches")
			}
			id := stage.NewRunID()
			if _, err := write.Exec(tc.d.q(`INSERT INTO runs (id, created_at, session, method, url, state) VALUES (?, ?, 's', 'GET', '/site/', 'open')`),
				id, tc.d.at(time.Now())); err != nil {
				t.Fatal(err)
			}
			for _, e := range []struct {
				seq                       int
				stage, side, phase, state string
				tms                       float64
				dur                       any
				detail                    string
			}{
				{1, "receive", "server", "start", "active", 1, nil, `{}`},
				{2, "receive", "server", "end", "done", 1, 0.25, `{"route":"/site/"}`},
				{3, "wait", "client", "start", "active", 0.5, nil, `{}`},
			} {
				if _, err := write.Exec(tc.d.q(`INSERT INTO events (run_id, seq, stage, side, phase, t_ms, dur_ms, state, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
					id, e.seq, e.stage, e.side, e.phase, e.tms, e.dur, e.state, e.detail); err != nil {
					t.Fatal(err)
				}
			}
			write.Close()
			if read != write {
				read.Close()
			}

			migrated, err := Open(ctx, tc.d, dsn)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer migrated.Close()
			run, err := migrated.Run(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if len(run.Events) != 3 || run.Events[1].Seq != 2 || run.Events[1].DurMs == nil || *run.Events[1].DurMs != 0.25 ||
				run.Events[1].Detail.Route != "/site/" || run.Events[0].DurMs != nil || run.Events[2].TMs != 0.5 {
				t.Fatalf("events = %+v", run.Events)
			}
			_, err = migrated.Append(ctx, store.Batch{RunID: id, Side: stage.Server, Events: []stage.Event{
				{Stage: stage.Receive, Side: stage.Server, Phase: stage.End, State: stage.Done}}})
			if !errors.Is(err, store.ErrStageEnded) {
				t.Errorf("the ended stage again: %v, want ErrStageEnded", err)
			}
			got, err := migrated.Append(ctx, store.Batch{RunID: id, Side: stage.Client, Events: []stage.Event{
				{Stage: stage.Wait, Side: stage.Client, Phase: stage.End, TMs: 0.5, DurMs: stage.Ms(2), State: stage.Done}}})
			if err != nil || len(got) != 1 || got[0].Seq != 4 {
				t.Fatalf("the next batch = %+v, %v; want seq 4", got, err)
			}
			var rows int
			if err := migrated.SQL().QueryRow(`SELECT count(*) FROM events`).Scan(&rows); err != nil || rows != 4 {
				t.Errorf("the events view has %d rows (%v), want 4", rows, err)
			}
		})
	}
}
