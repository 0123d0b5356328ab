// Package sqlite keeps reqlab's data in SQLite: the runs and their events, and
// the sample site's catalogue of courses.
package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"

	"reqlab/server/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the lab's database: one connection that writes, since SQLite has one
// writer at a time, and a pool that only reads.
type DB struct {
	write *sql.DB
	read  *sql.DB

	writes     chan write           // to the writer goroutine (see writer.go)
	stmts      map[string]*sql.Stmt // the writer's prepared statements
	writerDone chan struct{}
	closeMu    sync.RWMutex
	closed     bool

	// Now tells the time; tests replace it.
	Now func() time.Time
}

// Open opens (creating it if needed) the database file at path, in WAL mode,
// and applies the migrations it lacks.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" || strings.Contains(path, "?") {
		return nil, fmt.Errorf("open database: bad path %q", path)
	}
	dsn := func(extra string) string {
		q := url.Values{}
		q.Set("_journal_mode", "WAL")
		q.Set("_synchronous", "NORMAL")
		q.Set("_busy_timeout", "5000")
		// Each event row's run is found by the writer before it is added
		// and deleting a run deletes its events (migration 0006): SQLite's
		// own check per row is left off.
		q.Set("_foreign_keys", "off")
		return "file:" + path + "?" + q.Encode() + extra
	}
	write, err := sql.Open("sqlite3", dsn("&_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	db := &DB{write: write, Now: time.Now}
	if err := db.migrate(ctx); err != nil {
		write.Close()
		return nil, err
	}
	read, err := sql.Open("sqlite3", dsn("&_query_only=true"))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	read.SetMaxOpenConns(8)
	db.read = read
	if err := db.startWriter(); err != nil {
		read.Close()
		write.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	return db, nil
}

var _ store.Store = (*DB)(nil)

// Engine names the engine.
func (db *DB) Engine() string { return "SQLite" }

// Close finishes the writes under way and closes the database.
func (db *DB) Close() error {
	db.closeMu.Lock()
	if !db.closed {
		db.closed = true
		close(db.writes)
	}
	db.closeMu.Unlock()
	<-db.writerDone
	for _, s := range db.stmts {
		s.Close()
	}
	return errors.Join(db.read.Close(), db.write.Close())
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	return db.read.PingContext(ctx)
}

// Key returns the lab's key of that name, made of size random bytes the
// first time it is asked for and kept from then on.
func (db *DB) Key(ctx context.Context, name string, size int) ([]byte, error) {
	fresh := make([]byte, size)
	rand.Read(fresh)
	return db.KeepKey(ctx, name, fresh)
}

// CheckWrite commits a one-row write through the writer, as every write of
// the lab goes, and returns why it could not (the file locked by another
// process, read-only, the disk full, or no answer before ctx ends).
func (db *DB) CheckWrite(ctx context.Context) error {
	err := db.do(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO health (id, checked_at) VALUES (1, ?)
			ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at`, db.Now().UTC().Format(time.RFC3339Nano))
		return err
	})
	if errors.Is(err, context.DeadlineExceeded) {
		return errors.New("writes are not answered in time")
	}
	return err
}

// migrate applies, in order and each in its own transaction, the embedded
// migrations that the database has not seen.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.write.ExecContext(ctx,
		`CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := db.migrateFile(ctx, name); err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
	}
	return nil
}

func (db *DB) migrateFile(ctx context.Context, name string) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE name = ?`, name).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	body, err := fs.ReadFile(migrations, name)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`,
		name, db.Now().UTC().Format(time.RFC3339Nano)); err != nil {
		return err
	}
	return tx.Commit()
}

// Unavailable reports whether err says the database takes no writes for now:
// locked by another process, read-only, its disk full or failing, or no
// answer in time. Such a write may work later; the data was not at fault.
func (db *DB) Unavailable(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrBusy, sqlite3.ErrLocked, sqlite3.ErrReadonly, sqlite3.ErrFull, sqlite3.ErrIoErr, sqlite3.ErrCantOpen:
			return true
		}
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// Message returns SQLite's own words for why a statement failed ("no such
// table: inscripciones"), without the wrapping added on the way up.
func (db *DB) Message(err error) string {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.Error()
	}
	return err.Error()
}
