package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/mattn/go-sqlite3"
)

// Dialect is what truly differs between the engines: how they are opened,
// how a statement names its arguments, how a moment is kept, how rows and
// keys are locked, how other servers are told, and what their errors mean.
// Every statement of the store is written once, with ? for its arguments.
type Dialect struct {
	name       string // as the lab tells students
	migrations string // the folder of its migrations, under migrations/
	numbered   bool   // arguments are $1, $2…, not ?
	timeType   string // the type of schema_migrations.applied_at
	// writers is how many groups commit at once, each on a connection of
	// its own: SQLite has one writer. PostgreSQL would take several, but
	// one a server does best: every commit that notifies takes
	// PostgreSQL's one notify lock (four writers on each of three servers
	// queued for it in the soak, two less so), and fewer writers make
	// larger groups, each two round trips (pipeline.go): the class of
	// 3,000 cost 5.0-5.2 ms of processor a run with one, 5.5-6.0 with two,
	// and BenchmarkPersistRuns 252-278 µs against 307-334, as many a
	// second.
	writers int
	// prepare: the writer prepares its usual statements once, where the
	// driver would parse them again for every write (mattn/go-sqlite3);
	// pgx caches its prepared statements per connection by itself.
	prepare bool
	// heardRuns notes a pipelined group's runs heard in one statement,
	// whose arguments are the moment and arrays of the runs' ids, states,
	// bytes, request bytes, requests served, last seqs and marks, and of
	// their last seqs, requests served and bytes as read, then the ids
	// again and their number (see heardRows); heardSQL notes one run.
	heardRuns string
	// insertBatches stores a pipelined group's batches in one statement
	// whose four arguments are arrays (run ids, first and last seqs,
	// events); insertBatchSQL stores one.
	insertBatches string
	open          func(ctx context.Context, dsn string) (write, read *sql.DB, err error)
	// at is a moment as the engine's columns take it.
	at func(time.Time) any
	// lock takes, for the transaction, a lock named by key: where several
	// writers run, the bounds they check (a session's courses) hold.
	lock func(tx sqlTx, key string) error
	// tryLock takes a lock of the transaction's, or reports another holds it
	// (one server prunes at a time).
	tryLock func(tx sqlTx, key int64) (bool, error)
	// lockMigrations holds conn as the one migrating, until unlock.
	lockMigrations func(ctx context.Context, conn *sql.Conn) (unlock func(), err error)
	// notify tells every server listening, at commit; nil: no one listens.
	notify func(tx sqlTx, payload string) error
	// pipelined: a group's statements are sent a few at once on its
	// connection, in two round trips for its runs (pipeline.go), not one
	// after another.
	pipelined bool
	// checkpoint, where set, copies the log of commits back into the
	// database, from a reader's connection: the writer then seldom does it
	// itself (see sqliteWriter).
	checkpoint string
	// explain maps an engine's error: its own words, and whether the store
	// takes no writes for now.
	explain func(err error) (message string, unavailable bool)
}

// Name names the engine, as the lab tells students ("SQLite").
func (d *Dialect) Name() string { return d.name }

// SQLite is the embedded engine, the default: one file, one writer.
var SQLite = &Dialect{
	name: "SQLite", migrations: "sqlite", timeType: "TEXT", writers: 1, prepare: true,
	checkpoint: `PRAGMA wal_checkpoint(PASSIVE)`,
	open: func(ctx context.Context, path string) (*sql.DB, *sql.DB, error) {
		if path == "" || strings.Contains(path, "?") {
			return nil, nil, errors.New("bad path " + strconv.Quote(path))
		}
		dsn := func(extra string) string {
			q := url.Values{}
			q.Set("_journal_mode", "WAL")
			q.Set("_synchronous", "NORMAL")
			q.Set("_busy_timeout", "5000")
			// Each event row's run is found by the writer before it is
			// added and deleting a run deletes its events (migration 0006):
			// SQLite's own check per row is left off.
			q.Set("_foreign_keys", "off")
			return "file:" + path + "?" + q.Encode() + extra
		}
		// The writer keeps 8 MB of pages in memory (2 MB by default). Not
		// more: SQLite walks its whole page cache's table at each commit
		// (pcache1TruncateUnsafe, 8 % of a class's writes with 64 MB), and
		// BenchmarkHonestRunAsStoreFills stays flat at 8 MB (0.24 ms
		// empty, 0.28 ms at its 128 MB cap).
		write, err := sql.Open(sqliteWriter, dsn("&_txlock=immediate&_cache_size=-8192"))
		if err != nil {
			return nil, nil, err
		}
		write.SetMaxOpenConns(1)
		write.SetConnMaxIdleTime(0)
		read, err := sql.Open("sqlite3", dsn("&_query_only=true"))
		if err != nil {
			write.Close()
			return nil, nil, err
		}
		read.SetMaxOpenConns(8)
		return write, read, nil
	},
	at:             func(t time.Time) any { return t.UTC().Format(sqliteMoment) },
	lock:           func(sqlTx, string) error { return nil },
	tryLock:        func(sqlTx, int64) (bool, error) { return true, nil },
	lockMigrations: func(context.Context, *sql.Conn) (func(), error) { return func() {}, nil },
	explain: func(err error) (string, bool) {
		var se sqlite3.Error
		if !errors.As(err, &se) {
			return "", false
		}
		switch se.Code {
		case sqlite3.ErrBusy, sqlite3.ErrLocked, sqlite3.ErrReadonly, sqlite3.ErrFull, sqlite3.ErrIoErr, sqlite3.ErrCantOpen:
			return se.Error(), true
		}
		return se.Error(), false
	},
}

// sqliteWriter is the driver of SQLite's writer connection. SQLite copies
// its write-ahead log back into the database (a checkpoint: reading the log,
// writing the pages, two fsyncs) in the commit that takes the log past 1,000
// pages, on the writer, which every write waits for: a class's writes spent
// 40 % of their time so. The store checkpoints from a reader's connection
// every checkpointEvery instead (see DB.checkpoints), on the other core, and
// the writer only once the log reaches 10,000 pages (40 MB): by then the
// log is mostly copied, and after it the log starts again from its
// beginning (a checkpoint beside the writer never catches up with a log
// still being written, so the log would grow for as long as the class
// works).
const sqliteWriter = "sqlite3_reqlab_writer"

func init() {
	sql.Register(sqliteWriter, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		_, err := c.Exec(`PRAGMA wal_autocheckpoint = 10000`, nil)
		return err
	}})
}

// checkpointEvery is how often the store checkpoints SQLite's log beside
// the writer.
const checkpointEvery = 100 * time.Millisecond

// sqliteMoment is how SQLite keeps a moment: text, in UTC, with all nine
// digits of its fraction, so that comparing two as text (next_try <= ?,
// heard_at < ?) compares them in time. RFC 3339's own form drops trailing
// zeros, and "10:00:36.2Z" sorts after "10:00:36.203Z": a grade queued at
// the first was not due at the second, and waited for the sender's next
// round. (Moments kept before in that form still read; time.Parse takes
// either.)
const sqliteMoment = "2006-01-02T15:04:05.000000000Z07:00"

// PostgreSQL is the engine several lab servers share.
var PostgreSQL = &Dialect{
	name: "PostgreSQL", migrations: "postgres", numbered: true, timeType: "TIMESTAMPTZ", writers: 1,
	// The runs found by their ids (id = ANY), then joined: joined alone
	// with the arrays' rows, whose number the planner does not know, the
	// runs were read whole (a sequential scan and a hash join for every
	// group, growing with the table). Each run is changed only as the group
	// read it (its last seq, requests being served and bytes), and the
	// statement fails (a division by zero) unless every one was: another
	// group, or a request served, changed it since (see pipeline.go).
	heardRuns: `WITH changed AS (UPDATE runs SET state = u.state, heard_at = ?, bytes = u.bytes, request_bytes = u.request_bytes,
			serving = u.serving, last_seq = u.last_seq, marks = u.marks
		FROM unnest(CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS BIGINT[]), CAST(? AS BIGINT[]), CAST(? AS INTEGER[]),
			CAST(? AS INTEGER[]), CAST(? AS TEXT[]), CAST(? AS INTEGER[]), CAST(? AS INTEGER[]), CAST(? AS BIGINT[]))
			AS u(id, state, bytes, request_bytes, serving, last_seq, marks, was_last, was_serving, was_bytes)
		WHERE runs.id = ANY(CAST(? AS TEXT[])) AND runs.id = u.id AND runs.last_seq = u.was_last AND runs.serving = u.was_serving
			AND runs.bytes = u.was_bytes AND runs.state = 'open' AND runs.interrupted_at IS NULL
		RETURNING 1)
	SELECT 1 / CAST(count(*) = ? AS INTEGER) FROM changed`,
	insertBatches: `INSERT INTO event_batches (run_id, first_seq, last_seq, events)
		SELECT * FROM unnest(CAST(? AS TEXT[]), CAST(? AS INTEGER[]), CAST(? AS INTEGER[]), CAST(? AS TEXT[]))`,
	open: func(ctx context.Context, dsn string) (*sql.DB, *sql.DB, error) {
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			return nil, nil, err
		}
		// pgx prepares each statement once a connection; PostgreSQL plans
		// a prepared statement's sixth run once for all its values, from
		// what it knew of the tables then. A store starts empty: such a
		// plan read the whole runs table for every group (a sequential
		// scan, not runs_pkey) for as long as the connection lived. Each
		// run is planned for its values, as the statement's first five are.
		if _, ok := cfg.RuntimeParams["plan_cache_mode"]; !ok {
			cfg.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
		}
		// database/sql's pgx pings a connection idle for a second before
		// using it again, and an empty statement is a transaction of
		// PostgreSQL's: as many as the statements, at a class's pace. A
		// connection that broke fails its statement instead (the writer
		// then does its group again, alone); one idle for long is pinged.
		db := stdlib.OpenDB(*cfg, stdlib.OptionShouldPing(func(_ context.Context, p stdlib.ShouldPingParams) bool {
			return p.IdleDuration > time.Minute
		}))
		db.SetMaxOpenConns(24)
		db.SetMaxIdleConns(24)
		return db, db, nil
	},
	at: func(t time.Time) any { return t.UTC() },
	lock: func(tx sqlTx, key string) error {
		_, err := tx.ExecContext(context.Background(), `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, key)
		return err
	},
	tryLock: func(tx sqlTx, key int64) (bool, error) {
		var mine bool
		err := tx.QueryRowContext(context.Background(), `SELECT pg_try_advisory_xact_lock($1)`, key).Scan(&mine)
		return mine, err
	},
	lockMigrations: func(ctx context.Context, conn *sql.Conn) (func(), error) {
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
			return nil, err
		}
		return func() { conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock) }, nil
	},
	notify: func(tx sqlTx, payload string) error {
		_, err := tx.ExecContext(context.Background(), notifySQL, Channel, payload)
		return err
	},
	pipelined: true,
	explain: func(err error) (string, bool) {
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			switch {
			case strings.HasPrefix(pe.Code, "08"), // connection exception
				strings.HasPrefix(pe.Code, "53"), // insufficient resources: disk full, too many connections
				strings.HasPrefix(pe.Code, "57"), // operator intervention: shutting down, cannot connect now
				pe.Code == "25006":               // read-only transaction
				return pe.Message, true
			}
			return pe.Message, false
		}
		var ne net.Error
		var ce *pgconn.ConnectError
		return "", errors.As(err, &ce) || errors.As(err, &ne) || pgconn.SafeToRetry(err)
	},
}

const notifySQL = `SELECT pg_notify($1, $2)`

// Channel is the PostgreSQL channel every group of stored batches is
// notified on: a line "<run id> <last seq>" per batch.
const Channel = "reqlab_events"

// The advisory locks the servers take on PostgreSQL: to migrate (the others
// wait, then find the work done) and to prune (the others skip it).
const (
	migrationLock = int64(0x7265716c6162_01) // "reqlab", 1
	PruneLock     = int64(0x7265716c6162_02)
)

// rebound holds each statement with its arguments numbered, as PostgreSQL
// names them (SQLite's are ? as written): a few hundred at most, the
// statements of a group varying only by how many rows they take.
var rebound sync.Map // query → string

// q returns query with its ? as the dialect names arguments.
func (d *Dialect) q(query string) string {
	if !d.numbered {
		return query
	}
	if s, ok := rebound.Load(query); ok {
		return s.(string)
	}
	var b strings.Builder
	n, quoted := 0, false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	rebound.Store(query, b.String())
	return b.String()
}
