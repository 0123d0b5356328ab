package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"reqlab/app/stage"
	"reqlab/server/store"
)

// SQLite has one writer at a time, and most of a small transaction's cost
// is its commit. So every write of the lab goes through one goroutine that
// takes whatever writes are waiting, up to maxGroup, and does them in one
// transaction (group commit); see commit for how one failing write costs no
// other.

const maxGroup = 256

// write is one unit of work for the writer.
type write struct {
	fn   func(tx *sql.Tx) error
	done chan error
}

// ErrClosed is returned for a write asked of a closed database.
var ErrClosed = store.ErrClosed

// startWriter runs the writer until db.writes is closed.
func (db *DB) startWriter() error {
	db.writes = make(chan write, 4*maxGroup)
	db.stmts = make(map[string]*sql.Stmt)
	db.writerDone = make(chan struct{})
	if err := db.prepare(); err != nil {
		return err
	}
	go func() {
		defer close(db.writerDone)
		for w := range db.writes {
			group := []write{w}
		more:
			for len(group) < maxGroup {
				select {
				case w, ok := <-db.writes:
					if !ok {
						break more
					}
					group = append(group, w)
				default:
					break more
				}
			}
			db.commit(group)
		}
	}()
	return nil
}

// refusal marks an error by which a write refused its work before changing
// anything: the group's transaction goes on without it.
type refusal struct{ error }

func (r refusal) Unwrap() error { return r.error }

// refuse wraps err as a refusal.
func refuse(err error) error { return refusal{err} }

// commit does a group of writes in one transaction. A write that refuses
// (checks that fail before it changes anything) is simply left out. A write
// that fails half-way would leave the transaction unclean: then the group is
// rolled back and each write done again alone, so one failure costs no other
// write. The statements run without the callers' contexts: SQLite answers a
// cancelled statement inside a transaction by rolling all of it back, and the
// group is not one caller's.
func (db *DB) commit(group []write) {
	errs, err := db.tryGroup(group)
	switch {
	case err != nil && len(group) > 1:
		for _, w := range group {
			db.commit([]write{w})
		}
	case err != nil:
		group[0].done <- err
	default:
		for i, w := range group {
			w.done <- unrefuse(errs[i])
		}
	}
}

func (db *DB) tryGroup(group []write) ([]error, error) {
	errs := make([]error, len(group))
	tx, err := db.write.BeginTx(context.Background(), nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	for i, w := range group {
		errs[i] = w.fn(tx)
		var r refusal
		if errs[i] != nil && !errors.As(errs[i], &r) {
			tx.Rollback()
			return nil, errs[i]
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return errs, nil
}

// unrefuse returns the error a refusal wraps.
func unrefuse(err error) error {
	var r refusal
	if errors.As(err, &r) {
		return r.error
	}
	return err
}

// stmt returns the statement for query in tx. The writer's usual
// statements are prepared once, at start (parsing SQL again for every write
// is much of a small write's cost); any other is prepared in tx. The writer
// has the one connection: nothing may be prepared outside tx while it runs.
func (db *DB) stmt(tx *sql.Tx, query string) (*sql.Stmt, error) {
	if s, ok := db.stmts[query]; ok {
		return tx.Stmt(s), nil
	}
	return tx.Prepare(query)
}

// prepare readies the writer's usual statements, before it starts.
func (db *DB) prepare() error {
	queries := append([]string{}, writerQueries...)
	// Up to a whole run's events in one statement: a start and an end for
	// each stage (a batch with more is prepared in its transaction).
	for n := 1; n <= 2*len(stage.All()); n++ {
		queries = append(queries, insertEventsSQL(n))
	}
	for _, q := range queries {
		s, err := db.write.Prepare(q)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", q, err)
		}
		db.stmts[q] = s
	}
	return nil
}

// exec runs a prepared statement in tx.
func (db *DB) exec(tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	s, err := db.stmt(tx, query)
	if err != nil {
		return nil, err
	}
	return s.Exec(args...)
}

// execCount runs one statement in the writer's next transaction and returns
// how many rows it changed.
func (db *DB) execCount(ctx context.Context, query string, args ...any) (int64, error) {
	var n int64
	err := db.do(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(query, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// do runs fn in the writer's next transaction and waits for its outcome, or
// for ctx to end (the write may then still happen). What fn sets is the
// caller's to read only when do returns nil: after an error, fn may still be
// running.
func (db *DB) do(ctx context.Context, fn func(tx *sql.Tx) error) error {
	w := write{fn: fn, done: make(chan error, 1)}
	db.closeMu.RLock()
	if db.closed {
		db.closeMu.RUnlock()
		return ErrClosed
	}
	select {
	case db.writes <- w:
		db.closeMu.RUnlock()
	case <-ctx.Done():
		db.closeMu.RUnlock()
		return ctx.Err()
	}
	select {
	case err := <-w.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
