package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"reqlab/app/stage"
	"reqlab/server/sqlstore"
	"reqlab/server/store"
	"reqlab/server/store/storetest"
)

// openTestDB opens a database in a file of its own: each pooled connection of
// ":memory:" would be a database of its own.
func openTestDB(t testing.TB) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

func TestOpenMigratesOnceAndUsesWAL(t *testing.T) {
	db, path := openTestDB(t)
	var mode string
	if err := db.SQL().QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q (%v), want wal", mode, err)
	}
	db.Close()

	again, err := Open(context.Background(), path) // migrations already applied: a no-op
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer again.Close()
	var n int
	again.SQL().QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n)
	if files := sqlstore.SQLite.Migrations(); n != files || n < 6 {
		t.Errorf("%d migrations recorded, want the %d files once each", n, files)
	}
	courses, _, err := again.Courses(context.Background(), "")
	if err != nil || len(courses) != 6 {
		t.Errorf("Courses = %d courses, %v; want the 6 seeded once", len(courses), err)
	}
}

func TestReadPoolCannotWrite(t *testing.T) {
	db, _ := openTestDB(t)
	if _, err := db.SQL().Exec(`DELETE FROM cursos`); err == nil {
		t.Fatal("the read pool deleted rows")
	}
}

// SQLite passes the store suite every engine passes.
func TestStore(t *testing.T) {
	storetest.Run(t, storetest.Engine{
		Open: func(t *testing.T) store.Store {
			db, _ := openTestDB(t)
			return db
		},
		SetNow:       func(s store.Store, now func() time.Time) { s.(*DB).Now = now },
		NoSuchTable:  "no such table: inscripciones",
		CoursesQuery: CoursesSQL,
	})
}

// Deleting a run deletes its events, by the trigger that stands for the
// foreign key SQLite is not asked to check.
func TestPruneLeavesNoOrphans(t *testing.T) {
	db, _ := openTestDB(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	for i := 0; i < 4; i++ {
		at := now.Add(time.Duration(i-3) * 24 * time.Hour)
		db.Now = func() time.Time { return at }
		id := stage.NewRunID()
		if _, err := db.CreateRun(ctx, id, stage.NewRunSecret(), "s", stage.Request{Method: "GET", URL: "/site/"}); err != nil {
			t.Fatalf("CreateRun: %v", err)
		}
		if _, err := db.Append(ctx, store.Batch{RunID: id, Events: stage.WithStarts([]stage.Event{{Stage: stage.Wait, Side: stage.Client, Phase: stage.End, State: stage.Done}})}); err != nil {
			t.Fatalf("Append: %v", err)
		}
	}
	var before int // the events of the four runs
	if err := db.SQL().QueryRow(`SELECT count(*) FROM events`).Scan(&before); err != nil || before == 0 || before%4 != 0 {
		t.Fatalf("%d events stored before pruning (%v); want as many for each of the 4 runs", before, err)
	}
	db.Now = func() time.Time { return now }
	if n, err := db.Prune(ctx, 36*time.Hour, 0, 0, 0); err != nil || n != 2 {
		t.Fatalf("Prune = %d, %v; want 2", n, err)
	}
	var orphans, fkRows int
	if err := db.SQL().QueryRow(`SELECT count(*) FROM events WHERE run_id NOT IN (SELECT id FROM runs)`).Scan(&orphans); err != nil {
		t.Fatal(err)
	}
	if err := db.SQL().QueryRow(`SELECT count(*) FROM pragma_foreign_key_check`).Scan(&fkRows); err != nil {
		t.Fatal(err)
	}
	if orphans != 0 || fkRows != 0 {
		t.Errorf("%d events left of deleted runs (foreign_key_check: %d rows)", orphans, fkRows)
	}
	var after int
	if err := db.SQL().QueryRow(`SELECT count(*) FROM events`).Scan(&after); err != nil || after != before/2 {
		t.Errorf("%d events left after pruning (%v); want %d, those of the 2 runs kept", after, err, before/2)
	}
}
