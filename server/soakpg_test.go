package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"reqlab/server/internal/pgtest"
)

// Where PostgreSQL's time goes in a soak: the soak's own cluster, with
// pg_stat_statements loaded, tells each statement's calls and time per run,
// and the database's transactions per run.

// soakCluster starts a PostgreSQL cluster for the soak alone, restarted once
// with pg_stat_statements, and returns it with the URL of an empty database
// on it.
func soakCluster(t *testing.T) (*pgtest.Cluster, string, *pgStatements) {
	c := pgtest.Private(t)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`, `CREATE DATABASE soak`} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	admin.Close(ctx)
	if err := c.Pause(); err != nil {
		t.Fatal(err)
	}
	if err := c.Resume(); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, c.URL("soak"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	if _, err := conn.Exec(ctx, `CREATE EXTENSION pg_stat_statements`); err != nil {
		t.Fatal(err)
	}
	return c, c.URL("soak"), &pgStatements{conn: conn, url: c.URL("soak")}
}

// pgStatements reads pg_stat_statements and pg_stat_database on the soak's
// database.
type pgStatements struct {
	conn           *pgx.Conn
	url            string
	commits, rolls int64

	// What the soak's backends were doing, sampled from pg_stat_activity
	// while the load ran: per state or wait, and statement, how many
	// times a backend was seen so.
	mu      sync.Mutex
	seen    map[string]int
	samples int
	stop    context.CancelFunc
	done    chan struct{}
}

func (p *pgStatements) xacts(t *testing.T) (commits, rollbacks int64) {
	err := p.conn.QueryRow(context.Background(), `SELECT xact_commit, xact_rollback FROM pg_stat_database WHERE datname = current_database()`).
		Scan(&commits, &rollbacks)
	if err != nil {
		t.Fatal(err)
	}
	return commits, rollbacks
}

// reset starts counting from now.
func (p *pgStatements) reset(t *testing.T) {
	if p == nil {
		return
	}
	if _, err := p.conn.Exec(context.Background(), `SELECT pg_stat_statements_reset()`); err != nil {
		t.Fatal(err)
	}
	p.commits, p.rolls = p.xacts(t)
	p.sample(t)
}

// sample reads, four times a second until report, what each of the soak's
// backends is doing: on the CPU ("active"), waiting (for a lock, for the
// client, for I/O), or idle, with the statement it runs.
func (p *pgStatements) sample(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	conn, err := pgx.Connect(ctx, p.url)
	if err != nil {
		t.Fatal(err)
	}
	p.seen, p.stop, p.done = map[string]int{}, cancel, make(chan struct{})
	go func() {
		defer close(p.done)
		defer conn.Close(context.Background())
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			rows, err := conn.Query(ctx, `SELECT state, coalesce(wait_event_type || ':' || wait_event, ''), left(regexp_replace(query, '\s+', ' ', 'g'), 70)
				FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'`)
			if err != nil {
				continue
			}
			p.mu.Lock()
			p.samples++
			for rows.Next() {
				var state, wait, query string
				if rows.Scan(&state, &wait, &query) == nil {
					if wait == "" {
						wait = "on the CPU or runnable"
					}
					p.seen[state+", "+wait+": "+query]++
				}
			}
			p.mu.Unlock()
			rows.Close()
		}
	}()
}

// report prints the transactions per run and the statements that took
// most of PostgreSQL's time, each per run.
func (p *pgStatements) report(t *testing.T, runs int64) {
	if p == nil || runs == 0 {
		return
	}
	// The stats collector publishes a backend's transactions when it is
	// idle or every so often: a moment's wait would not change much at
	// this scale, and what is counted is PostgreSQL's own.
	p.stop()
	<-p.done
	commits, rolls := p.xacts(t)
	rows, err := p.conn.Query(context.Background(), `SELECT calls, total_exec_time, rows, query FROM pg_stat_statements
		WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY total_exec_time DESC`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type stmt struct {
		calls, rows int64
		ms          float64
		query       string
	}
	var all []stmt
	var calls int64
	var ms float64
	for rows.Next() {
		var s stmt
		if err := rows.Scan(&s.calls, &s.ms, &s.rows, &s.query); err != nil {
			t.Fatal(err)
		}
		calls += s.calls
		ms += s.ms
		all = append(all, s)
	}
	r := float64(runs)
	fmt.Printf("soak postgres: %.1f transactions a run (%d commits, %d rollbacks), %.1f statements a run taking %.2f ms of execution a run; by time:\n",
		float64(commits-p.commits+rolls-p.rolls)/r, commits-p.commits, rolls-p.rolls, float64(calls)/r, ms/r)
	for i, s := range all {
		if i == 12 {
			break
		}
		q := strings.Join(strings.Fields(s.query), " ")
		if len(q) > 110 {
			q = q[:110] + "…"
		}
		fmt.Printf("soak postgres:   %5.2f calls/run %6.3f ms/run (%4.1f%%) %s\n", float64(s.calls)/r, s.ms/r, 100*s.ms/ms, q)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	type doing struct {
		what string
		n    int
	}
	var ds []doing
	total := 0
	for what, n := range p.seen {
		ds = append(ds, doing{what, n})
		total += n
	}
	slices.SortFunc(ds, func(a, b doing) int { return b.n - a.n })
	if p.samples == 0 {
		return
	}
	fmt.Printf("soak postgres: its backends not idle, sampled %d times: %.1f at a time on average; the most seen:\n",
		p.samples, float64(total)/float64(p.samples))
	for i, d := range ds {
		if i == 8 {
			break
		}
		fmt.Printf("soak postgres:   %4.1f%% %s\n", 100*float64(d.n)/float64(total), d.what)
	}
}
