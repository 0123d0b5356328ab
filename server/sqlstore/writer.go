package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"

	"reqlab/server/store"
)

// Most of a small transaction's cost is its commit (SQLite's, and
// PostgreSQL's flush to disk). So every write of the lab goes through the
// writer goroutines, each taking whatever writes are waiting, up to
// maxGroup, and doing them in one transaction (group commit); see commit for
// how one failing write costs no other. On PostgreSQL a group's batches are
// also told to the other servers in one notification.

const maxGroup = 256

// write is one unit of work for a writer.
type write struct {
	key  string // what it locks (a run's id): a group takes its locks in this order
	fn   func(w *wtx) error
	run  *runWrite // or a run opened or a batch appended: done with the group's others (group.go)
	done chan error
}

// wtx is a group's transaction as one write sees it.
type wtx struct {
	db *DB
	tx *sql.Tx // or, where the group is pipelined (pipeline.go), conn
	// conn is the connection of a pipelined group, whose transaction
	// pipeline.go begins and ends itself.
	conn *sql.Conn
	// queue, where set, takes the statements exec is given, to be sent
	// together (pipeline.go).
	queue func(query string, args ...any)
	notes []string // what the group tells other servers at commit, a line each
}

// sqlTx is what a dialect's locks and notifications run on: a group's
// transaction, or its connection where the group is pipelined.
type sqlTx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// on is what the group's statements run on.
func (w *wtx) on() sqlTx {
	if w.tx != nil {
		return w.tx
	}
	return w.conn
}

// ErrClosed is returned for a write asked of a closed database.
var ErrClosed = store.ErrClosed

// startWriters runs the writers until db.writes is closed.
func (db *DB) startWriters() error {
	db.writes = make(chan write, 4*maxGroup)
	db.stmts = make(map[string]*sql.Stmt)
	if db.d.prepare {
		if err := db.prepare(); err != nil {
			return err
		}
	}
	for range db.d.writers {
		db.writersRun.Add(1)
		go func() {
			defer db.writersRun.Done()
			for w := range db.writes {
				db.commit(db.gather([]write{w}))
			}
		}()
	}
	return nil
}

// gather adds to group the writes waiting, up to maxGroup. While more keep
// coming it lets the goroutines that are about to send theirs run first
// (those the last commit answered, each making its next write): a group's
// commit costs much the same for one write as for dozens, and without the
// wait the writer, which all of them wait for, commits the first write or
// two alone while the rest arrive.
func (db *DB) gather(group []write) []write {
	for tries := 0; len(group) < maxGroup; {
		select {
		case w, ok := <-db.writes:
			if !ok {
				return group
			}
			group = append(group, w)
			tries = 0
			continue
		default:
		}
		if tries++; tries > yields {
			return group
		}
		runtime.Gosched()
	}
	return group
}

// yields is how many times in a row gather lets others run with no write
// arriving before it commits what it has.
const yields = 2

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
	db.groups.Add(1)
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
	if db.d.writers > 1 {
		// Several writers, and several servers: every group takes its rows'
		// locks in one order, so that no two wait on each other.
		sort.SliceStable(group, func(i, j int) bool { return group[i].key < group[j].key })
	}
	if db.d.pipelined {
		return db.tryPipelined(group)
	}
	errs := make([]error, len(group))
	tx, err := db.write.BeginTx(context.Background(), nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	w := &wtx{db: db, tx: tx}
	var runs []*runWrite
	var at []int
	for i, g := range group {
		if g.run != nil {
			runs, at = append(runs, g.run), append(at, i)
		}
	}
	if len(runs) > 0 {
		done, err := w.runWrites(runs)
		if err != nil {
			tx.Rollback()
			return nil, err
		}
		for j, i := range at {
			errs[i] = done[j]
		}
	}
	if err := w.others(group, errs); err != nil {
		tx.Rollback()
		return nil, err
	}
	if err := db.tell(w); err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("notify: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return errs, nil
}

// others does the group's writes that are not a run's, each with its
// error in errs. A write refused (a refusal: the caller's to hear of) takes
// back the notes it made and costs the others nothing; any other error is
// the group's, returned, and the group's transaction is to be rolled back.
func (w *wtx) others(group []write, errs []error) error {
	for i, g := range group {
		if g.run != nil {
			continue
		}
		kept := len(w.notes)
		errs[i] = g.fn(w)
		var r refusal
		switch {
		case errs[i] == nil:
		case errors.As(errs[i], &r):
			w.notes = w.notes[:kept]
		default:
			return errs[i]
		}
	}
	return nil
}

// tell sends the group's notes to the servers listening, delivered at
// commit: as few notifications as fit them (PostgreSQL takes 8,000 bytes in
// one).
func (db *DB) tell(w *wtx) error {
	if db.d.notify == nil || len(w.notes) == 0 {
		return nil
	}
	var b strings.Builder
	for _, n := range w.notes {
		if b.Len()+len(n)+1 > maxNote {
			if err := w.notify(b.String()); err != nil {
				return err
			}
			b.Reset()
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(n)
	}
	return w.notify(b.String())
}

// notify tells the servers listening payload, at commit.
func (w *wtx) notify(payload string) error {
	if w.queue != nil {
		w.queue(notifySQL, Channel, payload)
		return nil
	}
	return w.db.d.notify(w.on(), payload)
}

// unrefuse returns the error a refusal wraps.
func unrefuse(err error) error {
	var r refusal
	if errors.As(err, &r) {
		return r.error
	}
	return err
}

// stmt returns the statement for query in the transaction: one the writer
// prepared at start (parsing SQL again for every write is much of a small
// SQLite write's cost), or query itself, as the dialect names arguments.
func (w *wtx) exec(query string, args ...any) (sql.Result, error) {
	if w.queue != nil {
		w.queue(w.db.d.q(query), args...)
		return driver.RowsAffected(0), nil
	}
	if s, ok := w.db.stmts[query]; ok {
		return w.tx.Stmt(s).Exec(args...)
	}
	return w.on().ExecContext(context.Background(), w.db.d.q(query), args...)
}

func (w *wtx) query(query string, args ...any) (*sql.Rows, error) {
	if s, ok := w.db.stmts[query]; ok {
		return w.tx.Stmt(s).Query(args...)
	}
	if w.tx == nil {
		return w.conn.QueryContext(context.Background(), w.db.d.q(query), args...)
	}
	return w.tx.Query(w.db.d.q(query), args...)
}

func (w *wtx) queryRow(query string, args ...any) *sql.Row {
	if s, ok := w.db.stmts[query]; ok {
		return w.tx.Stmt(s).QueryRow(args...)
	}
	return w.on().QueryRowContext(context.Background(), w.db.d.q(query), args...)
}

// count runs a statement and returns how many rows it changed.
func (w *wtx) count(query string, args ...any) (int64, error) {
	res, err := w.exec(query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// prepare readies the writer's usual statements, before it starts.
func (db *DB) prepare() error {
	for _, q := range db.d.writerQueries() {
		s, err := db.write.Prepare(db.d.q(q))
		if err != nil {
			return fmt.Errorf("prepare %q: %w", q, err)
		}
		db.stmts[q] = s
	}
	return nil
}

// execCount runs one statement in the writer's next transaction and returns
// how many rows it changed.
func (db *DB) execCount(ctx context.Context, key, query string, args ...any) (int64, error) {
	var n int64
	err := db.do(ctx, key, func(w *wtx) (err error) {
		n, err = w.count(query, args...)
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// do runs fn in a writer's next transaction and waits for its outcome, or
// for ctx to end (the write may then still happen). What fn sets is the
// caller's to read only when do returns nil: after an error, fn may still be
// running. key names what fn locks, where it locks something (a run's id).
func (db *DB) do(ctx context.Context, key string, fn func(w *wtx) error) error {
	return db.send(ctx, write{key: key, fn: fn, done: make(chan error, 1)})
}

// doRun does a run's write (see group.go) in a writer's next transaction, as
// do does.
func (db *DB) doRun(ctx context.Context, key string, rw *runWrite) error {
	return db.send(ctx, write{key: key, run: rw, done: make(chan error, 1)})
}

func (db *DB) send(ctx context.Context, w write) error {
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
