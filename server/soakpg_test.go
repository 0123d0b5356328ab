package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

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
	return c, c.URL("soak"), &pgStatements{conn: conn}
}

// pgStatements reads pg_stat_statements and pg_stat_database on the soak's
// database.
type pgStatements struct {
	conn           *pgx.Conn
	commits, rolls int64
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
}
