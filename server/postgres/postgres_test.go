package postgres

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"reqlab/app/stage"
	"reqlab/server/internal/pgtest"
	"reqlab/server/sqlstore"
	"reqlab/server/store"
	"reqlab/server/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// openTestDB opens an empty database of the test's own.
func openTestDB(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), pgtest.Database(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// PostgreSQL passes the store suite every engine passes.
func TestStore(t *testing.T) {
	storetest.Run(t, storetest.Engine{
		Open:         func(t *testing.T) store.Store { return openTestDB(t) },
		SetNow:       func(s store.Store, now func() time.Time) { s.(*DB).DB.Now = now },
		NoSuchTable:  `relation "inscripciones" does not exist`,
		CoursesQuery: CoursesSQL,
	})
}

// Several servers starting at once on one empty database migrate it once.
func TestServersMigrateOnce(t *testing.T) {
	url := pgtest.Database(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := Open(context.Background(), url)
			if err == nil {
				db.Close()
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	db, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	db.SQL().QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n)
	if files := sqlstore.PostgreSQL.Migrations(); n != files {
		t.Errorf("%d migrations recorded, want the %d files once each", n, files)
	}
	cs, _, err := db.Courses(context.Background(), "")
	if err != nil || len(cs) != 6 {
		t.Errorf("Courses = %d, %v; want the 6 seeded once", len(cs), err)
	}
}

// Pruning runs on one server at a time: while one holds the lock, another
// prunes nothing.
func TestPruneOnOneServerAtATime(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	db.Now = func() time.Time { return time.Now().Add(-48 * time.Hour) }
	db.CreateRun(ctx, "0123456789abcdef0123456789abcdef", "s", "s", testRequest)
	db.Now = time.Now

	tx, err := db.SQL().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`SELECT pg_advisory_xact_lock($1)`, sqlstore.PruneLock); err != nil {
		t.Fatal(err)
	}
	if n, err := db.Prune(ctx, time.Hour, 0, 0, 0); err != nil || n != 0 {
		t.Errorf("Prune while another server prunes = %d, %v; want 0, nil", n, err)
	}
	tx.Rollback()
	if n, err := db.Prune(ctx, time.Hour, 0, 0, 0); err != nil || n != 1 {
		t.Errorf("Prune once it is free = %d, %v; want 1", n, err)
	}
}

var testRequest = stage.Request{Method: "GET", URL: "/site/"}

// Deleting runs deletes their events, by the trigger that stands for the
// foreign key the writer no longer has PostgreSQL check for every event.
func TestPruneLeavesNoOrphans(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	now := time.Now()
	for i := range 4 {
		db.DB.Now = func() time.Time { return now.Add(time.Duration(i-3) * 24 * time.Hour) }
		id := stage.NewRunID()
		if _, err := db.CreateRun(ctx, id, stage.NewRunSecret(), "s", testRequest); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Append(ctx, store.Batch{RunID: id, Events: storetest.FullRun()}); err != nil {
			t.Fatal(err)
		}
	}
	db.DB.Now = func() time.Time { return now }
	if n, err := db.Prune(ctx, 36*time.Hour, 0, 0, 0); err != nil || n != 2 {
		t.Fatalf("Prune = %d, %v; want 2", n, err)
	}
	var orphans, kept int
	if err := db.SQL().QueryRow(`SELECT count(*) FILTER (WHERE run_id NOT IN (SELECT id FROM runs)), count(*) FROM events`).Scan(&orphans, &kept); err != nil {
		t.Fatal(err)
	}
	if want := 2 * len(storetest.FullRun()); orphans != 0 || kept != want {
		t.Errorf("%d events of deleted runs left, %d in all; want 0 and the %d of the 2 runs kept", orphans, kept, want)
	}
}
