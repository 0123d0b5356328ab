package sqlstore

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"reqlab/app/stage"
	"reqlab/server/internal/pgtest"
	"reqlab/server/store"
)

// A group of writes commits together; one that fails half-way costs no
// other its write, and leaves nothing of its own. On PostgreSQL the group is
// pipelined (pipeline.go), its runs' writes after the others.
func TestGroupCommitIsolatesAFailingWrite(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(t *testing.T) *DB
	}{
		{"SQLite", func(t *testing.T) *DB { return openSQLite(t) }},
		{"PostgreSQL", func(t *testing.T) *DB {
			db, err := Open(context.Background(), PostgreSQL, pgtest.Database(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := tc.open(t)
			ctx := context.Background()
			good, bad, opened := stage.NewRunID(), stage.NewRunID(), stage.NewRunID()
			boom := errors.New("boom")
			row := func(id string) []any {
				return []any{id, db.at(time.Now()), "s", "GET", "/site/", "[]", "[]", "", "", false, "", int64(0), int64(0)}
			}
			done := make([]chan error, 4)
			group := []write{
				{fn: func(w *wtx) error {
					_, err := w.exec(insertRunSQL, row(good)...)
					return err
				}},
				{fn: func(w *wtx) error {
					if _, err := w.exec(insertRunSQL, row(bad)...); err != nil {
						return err
					}
					return boom // after a change: the group cannot simply go on
				}},
				{fn: func(w *wtx) error { return refuse(store.ErrNotFound) }},
				{key: opened, run: &runWrite{create: &newRun{args: row(opened)}}},
			}
			for i := range group {
				done[i] = make(chan error, 1)
				group[i].done = done[i]
			}
			db.commit(group)
			if err := <-done[0]; err != nil {
				t.Errorf("the good write: %v", err)
			}
			if err := <-done[1]; !errors.Is(err, boom) {
				t.Errorf("the failing write: %v, want boom", err)
			}
			if err := <-done[2]; !errors.Is(err, store.ErrNotFound) {
				t.Errorf("the refused write: %v, want store.ErrNotFound", err)
			}
			if err := <-done[3]; err != nil {
				t.Errorf("the run opened: %v", err)
			}
			for _, id := range []string{good, opened} {
				if ok, _ := db.RunExists(ctx, id); !ok {
					t.Errorf("run %s was lost with the failing write", id)
				}
			}
			if ok, _ := db.RunExists(ctx, bad); ok {
				t.Error("the failing write left its row")
			}
		})
	}
}

func TestWritesAfterCloseAreRefused(t *testing.T) {
	db := openSQLite(t)
	db.Close()
	if _, err := db.CreateRun(context.Background(), stage.NewRunID(), stage.NewRunSecret(), "s", stage.Request{Method: "GET", URL: "/site/"}); !errors.Is(err, store.ErrClosed) {
		t.Errorf("CreateRun after Close: %v, want store.ErrClosed", err)
	}
}

// openSQLite opens a SQLite store in a file of the test's own.
func openSQLite(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), SQLite, filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
