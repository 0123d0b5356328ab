package main

import (
	"context"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"reqlab/app/stage"
	"reqlab/server/internal/pgtest"
)

// TestMain stops the PostgreSQL cluster the tests may have started.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// A run costs at most 5 PostgreSQL transactions (issue 25, point 2),
// counted by PostgreSQL itself (pg_stat_database: xact_commit and
// xact_rollback): a student's page loaded, a run opened, its request served
// by the sample site, the server's stages and the page's last report
// stored, and the run read back once; the sample site's pages and its API
// query its catalogue too. The server runs throughout.
func TestATransactionBudgetPerRun(t *testing.T) {
	url := pgtest.Database(t)
	// No pruning by bytes, which runs every minute (the rest of the
	// pruning runs hourly, first at start).
	l := startLab(t, map[string]string{"REQLAB_DB": url, "REQLAB_KEEP_BYTES": "0"})
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// PostgreSQL's own autovacuum, which analyses the tables the runs fill
	// (a transaction of its own each, once a minute at most), is left out.
	for _, table := range []string{"runs", "event_batches", "cursos"} {
		if _, err := conn.Exec(ctx, `ALTER TABLE `+table+` SET (autovacuum_enabled = false, toast.autovacuum_enabled = false)`); err != nil {
			t.Fatal(err)
		}
	}
	// Each backend reports its transactions to the shared statistics at
	// most once a second, and within ten seconds once idle: settled waits
	// that long, then returns the count less this connection's own (two a
	// look: its own report forced, then the count read).
	looks := 0
	settled := func() (int64, time.Time) {
		time.Sleep(11 * time.Second)
		var n int64
		if _, err := conn.Exec(ctx, `SELECT pg_stat_force_next_flush()`); err != nil {
			t.Fatal(err)
		}
		if err := conn.QueryRow(ctx, `SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		looks++
		return n - int64(2*looks), time.Now()
	}
	run := func(t *testing.T, path string) {
		// The page loaded, as a browser opening the lab does, and its
		// socket.
		res, err := http.Get(l.url + "/lab/cache")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		page := dialLab(t, l)
		id := page.start(path)
		if code := fetchTraced(t, l, path, id); code != 200 {
			t.Fatalf("%s: status %d", path, code)
		}
		page.send(clientReport(id))
		page.collect(2*len(stage.ServerStages)+2*len(stage.ClientStages), true)
		var stored stage.Run
		getJSON(t, l.url+"/api/runs/"+id, &stored)
		if stored.State != stage.RunComplete || !hasServerEvents(stored) {
			t.Fatalf("run %s is %s, want complete with the server's stages", id, stored.State)
		}
	}
	run(t, "/site/") // the pool's connections opened, the listener listening
	// The server's own upkeep while no one works (ending silent runs, every
	// sixth of the run timeout) is measured first, as a rate, and taken out.
	const runs = 50
	n0, t0 := settled()
	n1, t1 := settled()
	upkeep := float64(n1-n0) / t1.Sub(t0).Seconds()
	before, since := n1, t1
	for _, path := range []string{"/site/", "/site/api/cursos"} {
		for range runs {
			run(t, path)
		}
		after, now := settled()
		kept := upkeep * now.Sub(since).Seconds()
		per := (float64(after-before) - kept) / runs
		t.Logf("a run of %s: %.2f PostgreSQL transactions, page load, the sample site's query of its catalogue and one read of the run included (%d for %d runs, %.1f of the server's upkeep taken out) — target at most 5",
			path, per, after-before, runs, kept)
		// The upkeep ticks, every ten seconds: the windows' ends may each
		// keep one more or one less than the rate says.
		if per > 5+2.0/runs {
			t.Errorf("a run of %s costs %.2f transactions, over 5", path, per)
		}
		before, since = after, now
	}
}
