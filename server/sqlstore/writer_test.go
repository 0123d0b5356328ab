package sqlstore

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"reqlab/app/stage"
	"reqlab/server/store"
)

// A group of writes commits together; one that fails half-way costs no
// other its write, and leaves nothing of its own.
func TestGroupCommitIsolatesAFailingWrite(t *testing.T) {
	db := openSQLite(t)
	ctx := context.Background()
	good := stage.NewRunID()
	bad := stage.NewRunID()
	boom := errors.New("boom")

	done := make([]chan error, 3)
	group := []write{
		{fn: func(w *wtx) error {
			_, err := w.exec(insertRunSQL, good, "t", "s", "GET", "/site/", "[]", "[]", "", "", false, "", 0, 0)
			return err
		}},
		{fn: func(w *wtx) error {
			if _, err := w.exec(insertRunSQL, bad, "t", "s", "GET", "/site/", "[]", "[]", "", "", false, "", 0, 0); err != nil {
				return err
			}
			return boom // after a change: the group cannot simply go on
		}},
		{fn: func(w *wtx) error { return refuse(store.ErrNotFound) }},
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
	if ok, _ := db.RunExists(ctx, good); !ok {
		t.Error("the good write was lost with the failing one")
	}
	if ok, _ := db.RunExists(ctx, bad); ok {
		t.Error("the failing write left its row")
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
