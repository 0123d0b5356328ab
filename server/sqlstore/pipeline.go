package sqlstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"time"

	"reqlab/app/stage"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// On PostgreSQL a group's statements are sent together (pgx's pipelined
// batches), where each was a round trip of its own, and its runs' rows are
// locked only while PostgreSQL runs them, not across a round trip. Before,
// a group held its runs' rows from the SELECT … FOR UPDATE that read them
// until its COMMIT, six or seven round trips later, each waiting for a lab
// server's goroutine to get a core; in a class of 3,000 on two cores that
// was most of what other groups, and the sample site's count of a run's
// requests being served, waited for (pg_stat_activity: "idle in
// transaction" after each statement, and as many backends waiting for the
// rows). Now a group begins and reads its batches' runs (one round trip,
// no lock), checks the batches against them in Go (group.go), then sends
// the runs opened, its runs' rows locked in the order of their ids, every
// row written, the notifications and COMMIT at once. The runs' UPDATE changes a
// run only if it is still as the group read it, and fails otherwise (see
// Dialect.heardRuns): then the group is done again from its read. A group's
// other writes (a key, a grade…), which read what they write, go one by one
// as before, first.

// The run writes' statements in the pipeline: a group's runs in arrays, one
// statement text whatever their number (pgx prepares each text once a
// connection).
const (
	insertRunsSQL = `INSERT INTO runs (id, created_at, session, method, url, request_headers, request_cookies, request_body, network,
		fresh_connection, secret, bytes, request_bytes)
	SELECT id, created_at, session, method, url, CAST(request_headers AS JSONB), CAST(request_cookies AS JSONB), request_body, network,
		fresh_connection, secret, bytes, request_bytes
	FROM unnest(CAST($1 AS TEXT[]), CAST($2 AS TIMESTAMPTZ[]), CAST($3 AS TEXT[]), CAST($4 AS TEXT[]), CAST($5 AS TEXT[]), CAST($6 AS TEXT[]),
		CAST($7 AS TEXT[]), CAST($8 AS TEXT[]), CAST($9 AS TEXT[]), CAST($10 AS BOOLEAN[]), CAST($11 AS TEXT[]), CAST($12 AS BIGINT[]),
		CAST($13 AS BIGINT[]))
		AS u(id, created_at, session, method, url, request_headers, request_cookies, request_body, network, fresh_connection, secret, bytes, request_bytes)`
	readRunsSQL = `SELECT id, state, interrupted_at IS NOT NULL, status, bytes, request_bytes, serving, last_seq, marks FROM runs
	WHERE id = ANY(CAST($1 AS TEXT[]))`
	// lockRunsSQL takes the group's runs' rows in one order, so that two
	// groups never wait on each other.
	lockRunsSQL = `SELECT 1 FROM runs WHERE id = ANY(CAST($1 AS TEXT[])) ORDER BY id FOR UPDATE`
)

// errChanged says a run changed between a group's read and its write.
var errChanged = errors.New("a run changed since the group read it")

// maxTries is how many times a group is done from its read before its
// writes are done one by one.
const maxTries = 4

// tryPipelined does a group as tryGroup does, its runs' writes in two round
// trips, again where a run changed in between.
func (db *DB) tryPipelined(group []write) ([]error, error) {
	for try := 1; ; try++ {
		errs, err := db.pipeline(group)
		if errors.Is(err, errChanged) && try < maxTries {
			continue
		}
		return errs, err
	}
}

func (db *DB) pipeline(group []write) ([]error, error) {
	ctx := context.Background()
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer conn.Close()
	w := &wtx{db: db, conn: conn}
	errs := make([]error, len(group))
	var ws []*runWrite
	var at []int
	others := false
	for i, g := range group {
		if g.run != nil {
			ws, at = append(ws, g.run), append(at, i)
		} else {
			others = true
		}
	}
	open := false
	fail := func(err error) ([]error, error) {
		if open {
			if _, rerr := conn.ExecContext(ctx, "ROLLBACK"); rerr != nil {
				conn.Raw(func(any) error { return driver.ErrBadConn }) // the connection is not reused
			}
		}
		return nil, err
	}
	if others {
		if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
			return fail(fmt.Errorf("begin: %w", err))
		}
		open = true
		if err := w.others(group, errs); err != nil {
			return fail(err)
		}
	}
	// The batches' runs, read (in the group's transaction, which a read
	// alone would have been one more of).
	ids := batchRuns(ws)
	runs := make(map[string]*runRow, len(ids))
	if len(ids) > 0 {
		read := &pgx.Batch{}
		if !open {
			read.Queue("BEGIN")
		}
		read.Queue(readRunsSQL, ids)
		err := conn.Raw(func(dc any) error {
			br := dc.(*stdlib.Conn).Conn().SendBatch(ctx, read)
			defer br.Close()
			if !open {
				open = true
				if _, err := br.Exec(); err != nil {
					return err
				}
			}
			rows, err := br.Query()
			if err != nil {
				return err
			}
			for rows.Next() {
				r := &runRow{}
				var id string
				if err := rows.Scan(&id, &r.state, &r.interrupted, &r.status, &r.bytes, &r.requestBytes, &r.serving, &r.last, &r.marks); err != nil {
					rows.Close()
					return err
				}
				r.read()
				runs[id] = r
			}
			if err := rows.Err(); err != nil {
				return err
			}
			return br.Close()
		})
		if err != nil {
			return fail(fmt.Errorf("read runs: %w", err))
		}
	}
	// A run opened in the group is read as it will be.
	for _, rw := range ws {
		if c := rw.create; c != nil && runs[text(c.args[0])] == nil && contains(ids, text(c.args[0])) {
			size := c.args[11].(int64)
			r := &runRow{state: string(stage.RunOpen), bytes: size, requestBytes: size}
			r.read()
			runs[text(c.args[0])] = r
		}
	}
	// Then everything else at once.
	batch := &pgx.Batch{}
	if !open {
		batch.Queue("BEGIN")
	}
	if creates := newRunArrays(ws); creates != nil {
		batch.Queue(insertRunsSQL, creates...)
	}
	if len(ids) > 0 {
		batch.Queue(lockRunsSQL, ids)
	}
	w.queue = func(query string, args ...any) { batch.Queue(query, args...) }
	done, err := w.writeRuns(ws, ids, runs)
	if err != nil {
		return fail(err)
	}
	for j, i := range at {
		errs[i] = done[j]
	}
	if err := db.tell(w); err != nil {
		return fail(fmt.Errorf("notify: %w", err))
	}
	w.queue = nil
	batch.Queue("COMMIT")
	open = true // from its BEGIN on, failing or not
	err = conn.Raw(func(dc any) error {
		br := dc.(*stdlib.Conn).Conn().SendBatch(ctx, batch)
		defer br.Close()
		for range batch.Len() {
			if _, err := br.Exec(); err != nil {
				var pe *pgconn.PgError
				if errors.As(err, &pe) && (pe.Code == "22012" || pe.Code == "40P01") { // the division by zero of heardRuns; a deadlock
					return errChanged
				}
				return err
			}
		}
		return br.Close()
	})
	if err != nil {
		return fail(fmt.Errorf("commit: %w", err))
	}
	return errs, nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// newRunArrays returns the runs ws open as insertRunsSQL's arguments, an
// array a column; nil where ws opens none.
func newRunArrays(ws []*runWrite) []any {
	var cols [runColumns][]any
	n := 0
	for _, rw := range ws {
		if rw.create == nil {
			continue
		}
		n++
		for c, v := range rw.create.args {
			cols[c] = append(cols[c], v)
		}
	}
	if n == 0 {
		return nil
	}
	args := make([]any, runColumns)
	for c, vs := range cols {
		switch c {
		case 1: // created_at
			ts := make([]time.Time, n)
			for i, v := range vs {
				ts[i] = v.(time.Time)
			}
			args[c] = ts
		case 9: // fresh_connection
			bs := make([]bool, n)
			for i, v := range vs {
				bs[i] = v.(bool)
			}
			args[c] = bs
		case 11, 12: // bytes, request_bytes
			is := make([]int64, n)
			for i, v := range vs {
				is[i] = v.(int64)
			}
			args[c] = is
		default:
			ss := make([]string, n)
			for i, v := range vs {
				ss[i] = text(v)
			}
			args[c] = ss
		}
	}
	return args
}

// text is a string, or a type whose underlying type is string, as a string.
func text(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	var b strings.Builder
	fmt.Fprint(&b, v)
	return b.String()
}
