// Package sqlstore keeps reqlab's data (see package store) in SQL, once, for
// two engines: SQLite, embedded, the default, and PostgreSQL, which several
// lab servers share. What differs between them is a Dialect: how they are
// opened, how a statement names its arguments, how a moment is kept, locks,
// notifications and what their errors mean. The statements, the checks a
// batch passes, the migrator and the writer are one.
//
// Every write goes through the writer (writer.go): goroutines that take the
// writes waiting and commit them together, one transaction for many runs
// (group commit). SQLite has one writer at a time, so it has one such
// goroutine; PostgreSQL several.
package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"reqlab/server/store"
)

//go:embed migrations
var migrations embed.FS

// DB is the lab's data in one database.
type DB struct {
	d     *Dialect
	write *sql.DB // the writer's connections
	read  *sql.DB // the readers' (the same pool on PostgreSQL)

	writes     chan write           // to the writer goroutines (see writer.go)
	stmts      map[string]*sql.Stmt // the writer's prepared statements, where the dialect prepares
	writersRun sync.WaitGroup
	closeMu    sync.RWMutex
	closed     bool
	stop       chan struct{} // closed by Close: the checkpoints stop
	stopped    chan struct{}
	groups     atomic.Int64 // the groups the writers have done, for checkpoints

	// Now tells the time; tests replace it.
	Now func() time.Time
}

var _ store.Store = (*DB)(nil)

// Open opens the database dsn names in dialect d (a SQLite file, created if
// missing, or a PostgreSQL URL) and applies the migrations it lacks; several
// servers starting at once apply each once.
func Open(ctx context.Context, d *Dialect, dsn string) (*DB, error) {
	write, read, err := d.open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	db := &DB{d: d, write: write, read: read, Now: time.Now}
	closeAll := func() {
		write.Close()
		if read != write {
			read.Close()
		}
	}
	if err := db.migrate(ctx); err != nil {
		closeAll()
		return nil, err
	}
	if err := db.startWriters(); err != nil {
		closeAll()
		return nil, fmt.Errorf("open database: %w", err)
	}
	db.stop, db.stopped = make(chan struct{}), make(chan struct{})
	go db.checkpoints()
	return db, nil
}

// checkpoints checkpoints the database every checkpointEvery, where the
// dialect asks for it (see sqliteWriter), until Close.
func (db *DB) checkpoints() {
	defer close(db.stopped)
	if db.d.checkpoint == "" {
		return
	}
	tick := time.NewTicker(checkpointEvery)
	defer tick.Stop()
	done := int64(0)
	for {
		select {
		case <-db.stop:
			return
		case <-tick.C:
		}
		// Only after writes (an idle lab checkpoints nothing); a failure
		// (the log busy, a reader at its end) leaves it to the next one, or
		// to the writer.
		if n := db.groups.Load(); n != done {
			done = n
			db.read.Exec(db.d.checkpoint)
		}
	}
}

// Dialect returns the database's dialect.
func (db *DB) Dialect() *Dialect { return db.d }

// SQL returns the pool the store reads through, for what a dialect adds
// beside the store (PostgreSQL's shared runs) and for tests.
func (db *DB) SQL() *sql.DB { return db.read }

// Engine names the engine.
func (db *DB) Engine() string { return db.d.name }

// Close finishes the writes under way and closes the database.
func (db *DB) Close() error {
	db.closeMu.Lock()
	if !db.closed {
		db.closed = true
		close(db.writes)
		close(db.stop)
	}
	db.closeMu.Unlock()
	db.writersRun.Wait()
	<-db.stopped
	for _, s := range db.stmts {
		s.Close()
	}
	if db.read == db.write {
		return db.write.Close()
	}
	return errors.Join(db.read.Close(), db.write.Close())
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	return db.fail("ping", db.read.PingContext(ctx))
}

// CheckWrite commits a one-row write through the writer, as every write of
// the lab goes, and returns why it could not (the file locked by another
// process, read-only, the disk full, unreachable, or no answer before ctx
// ends).
func (db *DB) CheckWrite(ctx context.Context) error {
	err := db.do(ctx, "", func(w *wtx) error {
		_, err := w.exec(`INSERT INTO health (id, checked_at) VALUES (1, ?)
			ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at`, db.at(db.Now()))
		return err
	})
	if errors.Is(err, context.DeadlineExceeded) {
		return errors.New("writes are not answered in time")
	}
	return db.fail("check write", err)
}

// Unavailable reports whether err says the database takes no writes for now
// (see store.Unavailable).
func (db *DB) Unavailable(err error) bool { return store.Unavailable(err) }

// Message returns the engine's own words for why a statement failed (see
// store.Message).
func (db *DB) Message(err error) string { return store.Message(err) }

// fail maps an error of the engine's once, on its way out of the store, as a
// store.Error; the store's refusals, a context's end and nil pass as they
// are.
func (db *DB) fail(op string, err error) error {
	if err == nil || isRefusal(err) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, store.ErrClosed) {
		return err
	}
	var mapped *store.Error
	if errors.As(err, &mapped) {
		return err
	}
	msg, unavailable := db.d.explain(err)
	if msg == "" {
		msg = err.Error()
	}
	return &store.Error{Op: op, Message: msg, Unavailable: unavailable, Err: err}
}

// isRefusal reports whether err is one of the store's refusals, which the
// callers tell apart.
func isRefusal(err error) bool {
	for _, r := range []error{store.ErrNotFound, store.ErrRunClosed, store.ErrTooManyEvents, store.ErrStageEnded, store.ErrNotStarted,
		store.ErrFull, store.ErrRunTooLarge, store.ErrServing} {
		if errors.Is(err, r) {
			return true
		}
	}
	return false
}

// at is a moment as the engine's columns take it.
func (db *DB) at(t time.Time) any { return db.d.at(t) }

// Key returns the lab's key of that name, made the first time it is asked
// for; servers asking at once all get the one that was kept.
func (db *DB) Key(ctx context.Context, name string, size int) ([]byte, error) {
	fresh := make([]byte, size)
	rand.Read(fresh)
	return db.KeepKey(ctx, name, fresh)
}

// KeepKey keeps value as the key name unless one is kept, and returns the
// one kept.
func (db *DB) KeepKey(ctx context.Context, name string, value []byte) ([]byte, error) {
	var key []byte
	err := db.do(ctx, "key:"+name, func(w *wtx) error {
		if _, err := w.exec(`INSERT INTO keys (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`,
			name, value, db.at(db.Now())); err != nil {
			return err
		}
		return w.queryRow(`SELECT value FROM keys WHERE name = ?`, name).Scan(&key)
	})
	if err != nil {
		return nil, db.fail("key "+name, err)
	}
	return key, nil
}

// migrate applies, in order and each in its own transaction, the dialect's
// migrations that the database has not seen. Each is recorded by its name as
// migrations/<file>, as it always was.
func (db *DB) migrate(ctx context.Context) error {
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	unlock, err := db.d.lockMigrations(ctx, conn)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer unlock()
	if _, err := conn.ExecContext(ctx,
		`CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at `+db.d.timeType+` NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	dir := path.Join("migrations", db.d.migrations)
	files, err := fs.Glob(migrations, dir+"/*.sql")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	sort.Strings(files)
	for _, file := range files {
		name := "migrations/" + path.Base(file)
		if err := db.migrateFile(ctx, conn, file, name); err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
	}
	return nil
}

// Migrations returns how many migration files the dialect has.
func (d *Dialect) Migrations() int {
	files, _ := fs.Glob(migrations, path.Join("migrations", d.migrations)+"/*.sql")
	return len(files)
}

func (db *DB) migrateFile(ctx context.Context, conn *sql.Conn, file, name string) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, db.d.q(`SELECT count(*) FROM schema_migrations WHERE name = ?`), name).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	body, err := fs.ReadFile(migrations, file)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, db.d.q(`INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`), name, db.at(db.Now())); err != nil {
		return err
	}
	return tx.Commit()
}
