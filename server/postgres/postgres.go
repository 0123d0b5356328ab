// Package postgres keeps reqlab's data in PostgreSQL, where several lab
// servers share it: the runs and their events, the lab's keys and the sample
// site's catalogue (see package store). It also carries the servers' news to
// one another: every batch stored notifies the channel Channel (see Listen).
package postgres

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"reqlab/app/stage"
	"reqlab/server/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the lab's data in one PostgreSQL database, through a pool of
// connections.
type DB struct {
	pool *pgxpool.Pool
	url  string

	// Now tells the time; tests replace it.
	Now func() time.Time
	// Log is where what goes wrong in the background is said.
	Log *slog.Logger
}

var _ store.Store = (*DB)(nil)

// IsURL reports whether dsn names a PostgreSQL database (postgres:// or
// postgresql://) rather than a SQLite file.
func IsURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open connects to the database at url and applies the migrations it lacks;
// several servers starting at once apply each one once.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if cfg.MaxConns < 16 {
		cfg.MaxConns = 16
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	db := &DB{pool: pool, url: url, Now: time.Now}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// Close closes the pool, once the queries under way are done.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Engine names the engine.
func (db *DB) Engine() string { return "PostgreSQL" }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.pool.Ping(ctx) }

// CheckWrite commits a one-row write and returns why it could not.
func (db *DB) CheckWrite(ctx context.Context) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO health (id, checked_at) VALUES (1, $1)
		ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at`, db.Now().UTC())
	if errors.Is(err, context.DeadlineExceeded) {
		return errors.New("writes are not answered in time")
	}
	return err
}

// Key returns the lab's key of that name, made the first time it is asked
// for; servers asking at once all get the one that was kept.
func (db *DB) Key(ctx context.Context, name string, size int) ([]byte, error) {
	fresh := make([]byte, size)
	rand.Read(fresh)
	return db.KeepKey(ctx, name, fresh)
}

// The advisory locks the servers take: to migrate (the others wait, then
// find the work done) and to prune (the others skip it).
const (
	migrationLock = 0x7265716c6162_01 // "reqlab", 1
	pruneLock     = 0x7265716c6162_02
)

func (db *DB) migrate(ctx context.Context) error {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLock)); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrationLock))
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE name = $1`, name).Scan(&n); err != nil || n > 0 {
				return err
			}
			body, err := fs.ReadFile(migrations, name)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)`, name, db.Now().UTC())
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
	}
	return nil
}

// Unavailable reports whether err says the database takes no writes for
// now: it cannot be reached, refuses connections, is read-only, out of
// space, shutting down, or did not answer in time.
func (db *DB) Unavailable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			strings.HasPrefix(pe.Code, "53"), // insufficient resources: disk full, too many connections
			strings.HasPrefix(pe.Code, "57"), // operator intervention: shutting down, cannot connect now
			pe.Code == "25006":               // read-only transaction
			return true
		}
		return false
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) || pgconn.SafeToRetry(err)
}

// Message returns PostgreSQL's own words for why a statement failed.
func (db *DB) Message(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Message
	}
	return err.Error()
}

// CreateRun stores a new, open run.
func (db *DB) CreateRun(ctx context.Context, id, secret, session string, req stage.Request) (stage.Run, error) {
	run := stage.Run{ID: id, CreatedAt: db.Now().UTC(), State: stage.RunOpen, Request: req, Events: []stage.Event{}}
	size := store.RequestBytes(req)
	if size > store.MaxRunBytes {
		return stage.Run{}, fmt.Errorf("create run: %w", store.ErrRunTooLarge)
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO runs (id, created_at, session, method, url, request_headers, request_cookies, request_body, network, fresh_connection, secret, bytes, request_bytes)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)`,
		id, run.CreatedAt, session, req.Method, req.URL, jsonList(req.Headers), jsonList(req.Cookies), req.Body, req.Network, req.FreshConnection, secret, size)
	if err != nil {
		return stage.Run{}, fmt.Errorf("create run: %w", err)
	}
	return run, nil
}

// jsonList is a list for a JSONB column; nil is stored as empty.
func jsonList[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

// Channel is the channel every stored batch is notified on, with the run's
// id and its last seq as the payload ("<id> <seq>").
const Channel = "reqlab_events"

// Append stores a batch in one transaction that holds the run's row: the
// batches of one run, from any server, are numbered one after another. It
// takes two round trips: the transaction begun, the row held and the run's
// events read, in one pipeline; then the batch written, notified and
// committed, in another. (A refusal costs a third, the rollback.)
func (db *DB) Append(ctx context.Context, b store.Batch) ([]stage.Event, error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("append: %w", err)
	}
	// A connection left inside the transaction (an error half-way) is
	// closed by the pool rather than reused.
	defer conn.Release()
	out, err := db.appendOn(ctx, conn.Conn(), b)
	switch {
	case err == nil:
		return out, nil
	case isRefusal(err):
		if _, rerr := conn.Exec(ctx, "ROLLBACK"); rerr != nil {
			return nil, fmt.Errorf("append: %w", rerr)
		}
		return nil, err
	default:
		return nil, fmt.Errorf("append: %w", err)
	}
}

func (db *DB) appendOn(ctx context.Context, conn *pgx.Conn, b store.Batch) ([]stage.Event, error) {
	// The run's row is held first; its events are read after, by a
	// statement of their own, which sees every batch committed while this
	// one waited for the row.
	first := &pgx.Batch{}
	first.Queue("BEGIN")
	first.Queue(`SELECT state, interrupted_at IS NOT NULL, status, bytes, request_bytes FROM runs WHERE id = $1 FOR UPDATE`, b.RunID)
	first.Queue(`SELECT seq, stage, side, phase FROM events WHERE run_id = $1`, b.RunID)
	res := conn.SendBatch(ctx, first)
	var (
		state       string
		interrupted bool
		status      *int32
		last        int64
		bytes       int64 // what the run keeps, and of that its request
		reqBytes    int64
	)
	started, ended, serverEnded := map[stage.ID]bool{}, map[stage.ID]bool{}, map[stage.ID]bool{}
	err := func() error {
		if _, err := res.Exec(); err != nil {
			return err
		}
		err := res.QueryRow().Scan(&state, &interrupted, &status, &bytes, &reqBytes)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			state = "" // no such run: said once the pipeline is read
		case err != nil:
			return err
		}
		rows, err := res.Query()
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var seq int64
			var id, side, phase string
			if err := rows.Scan(&seq, &id, &side, &phase); err != nil {
				return err
			}
			last = max(last, seq)
			if phase == string(stage.Start) {
				started[stage.ID(id)] = true
			} else {
				ended[stage.ID(id)] = true
				if side == string(stage.Server) {
					serverEnded[stage.ID(id)] = true
				}
			}
		}
		return rows.Err()
	}()
	if cerr := res.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		return nil, err
	case state == "":
		return nil, store.ErrNotFound
	case state != string(stage.RunOpen) || interrupted:
		return nil, store.ErrRunClosed
	}
	if b.Complete && b.Side == stage.Client {
		s := 0
		if status != nil {
			s = int(*status)
		}
		b = store.Explained(b, s, serverEnded)
	}
	if last+int64(len(b.Events)) > store.MaxEventsPerRun {
		return nil, store.ErrTooManyEvents
	}
	keep, err := store.Marks(started, ended, b.Events)
	if err != nil {
		return nil, err
	}
	kept := b
	kept.Events = make([]stage.Event, 0, len(keep))
	for _, i := range keep {
		kept.Events = append(kept.Events, b.Events[i])
	}
	if bytes, reqBytes = store.Grown(kept, bytes, reqBytes); bytes > store.MaxRunBytes {
		return nil, store.ErrRunTooLarge
	}

	second := &pgx.Batch{}
	if r := b.Request; r != nil {
		second.Queue(`UPDATE runs SET method = $1, url = $2, request_headers = $3, request_body = $4 WHERE id = $5`,
			r.Method, r.URL, jsonList(r.Headers), r.Body, b.RunID)
	}
	if r := b.Response; r != nil {
		q := `UPDATE runs SET status = $1, response_headers = $2, response_body = $3, response_body_truncated = $4 WHERE id = $5`
		if b.Side == stage.Client {
			q += ` AND status IS NULL` // the server's answer, where there is one, stands
		}
		second.Queue(q, r.Status, jsonList(r.Headers), r.Body, r.BodyTruncated, b.RunID)
	}
	out := make([]stage.Event, 0, len(keep))
	if len(keep) > 0 {
		// One statement for the batch's events, a column an array.
		var (
			seqs                       = make([]int64, 0, len(keep))
			stages, sides, phases, sts = make([]string, 0, len(keep)), make([]string, 0, len(keep)), make([]string, 0, len(keep)), make([]string, 0, len(keep))
			tms                        = make([]float64, 0, len(keep))
			durs                       = make([]*float64, 0, len(keep))
			details                    = make([]string, 0, len(keep))
		)
		for _, i := range keep {
			e := b.Events[i]
			last++
			e.Seq = last
			out = append(out, e)
			detail, err := json.Marshal(e.Detail)
			if err != nil {
				return nil, err
			}
			seqs, stages, sides, phases = append(seqs, e.Seq), append(stages, string(e.Stage)), append(sides, string(e.Side)), append(phases, string(e.Phase))
			tms, durs, sts, details = append(tms, e.TMs), append(durs, e.DurMs), append(sts, string(e.State)), append(details, string(detail))
		}
		second.Queue(`INSERT INTO events (run_id, seq, stage, side, phase, t_ms, dur_ms, state, detail)
			SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::float8[], $8::text[], $9::jsonb[])`,
			b.RunID, seqs, stages, sides, phases, tms, durs, sts, details)
	}
	// When the run last heard, and what it keeps now: with its completion
	// where it completes, in one statement.
	next := string(stage.RunOpen)
	if b.Complete {
		next = "complete"
	}
	second.Queue(`UPDATE runs SET state = $1, heard_at = $2, bytes = $3, request_bytes = $4 WHERE id = $5`, next, db.Now().UTC(), bytes, reqBytes, b.RunID)
	if len(out) > 0 || b.Complete {
		// Delivered at commit, to every server listening.
		second.Queue(`SELECT pg_notify($1, $2)`, Channel, fmt.Sprintf("%s %d", b.RunID, last))
	}
	second.Queue("COMMIT")
	if err := conn.SendBatch(ctx, second).Close(); err != nil {
		return nil, err
	}
	return out, nil
}

// isRefusal reports whether err is one of the store's refusals, which the
// callers tell apart.
func isRefusal(err error) bool {
	for _, r := range []error{store.ErrNotFound, store.ErrRunClosed, store.ErrTooManyEvents, store.ErrStageEnded, store.ErrNotStarted, store.ErrFull, store.ErrRunTooLarge} {
		if errors.Is(err, r) {
			return true
		}
	}
	return false
}

const runState = `CASE WHEN state = 'open' AND interrupted_at IS NOT NULL THEN 'interrupted' ELSE state END`

// Run returns a stored run with all its events, or store.ErrNotFound.
func (db *DB) Run(ctx context.Context, id string) (stage.Run, error) {
	var (
		run         stage.Run
		state       string
		status      *int32
		respHeaders []stage.Header
		respBody    string
		truncated   bool
	)
	err := db.pool.QueryRow(ctx, `SELECT id, created_at, `+runState+`, method, url, request_headers, request_cookies, request_body, network, fresh_connection,
		        status, response_headers, response_body, response_body_truncated
		 FROM runs WHERE id = $1`, id).
		Scan(&run.ID, &run.CreatedAt, &state, &run.Request.Method, &run.Request.URL, &run.Request.Headers, &run.Request.Cookies, &run.Request.Body,
			&run.Request.Network, &run.Request.FreshConnection, &status, &respHeaders, &respBody, &truncated)
	if errors.Is(err, pgx.ErrNoRows) {
		return stage.Run{}, store.ErrNotFound
	}
	if err != nil {
		return stage.Run{}, fmt.Errorf("read run: %w", err)
	}
	run.CreatedAt = run.CreatedAt.UTC()
	run.State = stage.RunState(state)
	if status != nil {
		run.Response = &stage.Response{Status: int(*status), Headers: jsonList(respHeaders), Body: respBody, BodyTruncated: truncated}
	}
	if run.Events, err = db.Events(ctx, id, 0); err != nil {
		return stage.Run{}, err
	}
	return run, nil
}

// Runs returns a session's latest runs, newest first.
func (db *DB) Runs(ctx context.Context, session string, limit int) ([]stage.RunSummary, error) {
	rows, err := db.pool.Query(ctx,
		`SELECT r.id, r.created_at, `+strings.ReplaceAll(runState, "state", "r.state")+`, r.method, r.url, coalesce(r.status, 0),
		        (SELECT max(e.t_ms + coalesce(e.dur_ms, 0)) - min(e.t_ms) FROM events e
		          WHERE e.run_id = r.id AND e.side = 'client' AND e.phase = 'end')
		 FROM runs r WHERE r.session = $1 ORDER BY r.created_at DESC, r.id LIMIT $2`, session, limit)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	out := []stage.RunSummary{}
	for rows.Next() {
		var s stage.RunSummary
		var total *float64
		if err := rows.Scan(&s.ID, &s.CreatedAt, &s.State, &s.Method, &s.URL, &s.Status, &total); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list runs: %w", err)
		}
		s.CreatedAt = s.CreatedAt.UTC()
		if total != nil {
			s.TotalMs = stage.Ms(*total)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return out, nil
}

// Events returns a run's events whose seq is above after, in seq order.
func (db *DB) Events(ctx context.Context, runID string, after int64) ([]stage.Event, error) {
	rows, err := db.pool.Query(ctx,
		`SELECT seq, stage, side, phase, t_ms, dur_ms, state, detail FROM events WHERE run_id = $1 AND seq > $2 ORDER BY seq`, runID, after)
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	events := []stage.Event{}
	for rows.Next() {
		var e stage.Event
		var dur *float64
		var detail []byte
		if err := rows.Scan(&e.Seq, &e.Stage, &e.Side, &e.Phase, &e.TMs, &dur, &e.State, &detail); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read events: %w", err)
		}
		if dur != nil {
			e.DurMs = stage.Ms(*dur)
		}
		if err := json.Unmarshal(detail, &e.Detail); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read events: %w", err)
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	return events, nil
}

// RunOpened returns an open run, and false where there is none.
func (db *DB) RunOpened(ctx context.Context, id string) (store.OpenRun, bool, error) {
	var r store.OpenRun
	var jar []stage.Cookie
	err := db.pool.QueryRow(ctx, `SELECT created_at, network, session, fresh_connection, request_cookies, secret
		FROM runs WHERE id = $1 AND state = 'open' AND interrupted_at IS NULL`, id).Scan(&r.Opened, &r.Network, &r.Session, &r.Fresh, &jar, &r.Secret)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.OpenRun{}, false, nil
	}
	if err != nil {
		return store.OpenRun{}, false, fmt.Errorf("find run: %w", err)
	}
	r.Opened = r.Opened.UTC()
	for _, c := range jar {
		r.Cookies = append(r.Cookies, c.Name)
	}
	return r, true, nil
}

// RunExists reports whether a run is stored.
func (db *DB) RunExists(ctx context.Context, id string) (bool, error) {
	var ok bool
	if err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM runs WHERE id = $1)`, id).Scan(&ok); err != nil {
		return false, fmt.Errorf("find run: %w", err)
	}
	return ok, nil
}

// Prune deletes old runs and what went with them (see store.Store).
func (db *DB) Prune(ctx context.Context, maxAge time.Duration, perSession, maxRuns int, maxBytes int64) (int64, error) {
	var deleted int64
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		// One server prunes at a time; the others find the lock taken and
		// leave it to that one.
		var mine bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, int64(pruneLock)).Scan(&mine); err != nil || !mine {
			return err
		}
		count := func(sql string, args ...any) error {
			tag, err := tx.Exec(ctx, sql, args...)
			deleted += tag.RowsAffected()
			return err
		}
		if maxAge > 0 {
			cutoff := db.Now().UTC().Add(-maxAge)
			if err := count(`DELETE FROM runs WHERE created_at < $1`, cutoff); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM cursos WHERE sesion <> '' AND creado_en < $1`, cutoff); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM answers WHERE answered_at < $1`, cutoff); err != nil {
				return err
			}
		}
		if perSession > 0 {
			if err := count(`DELETE FROM runs WHERE id IN (SELECT id FROM (
				SELECT id, row_number() OVER (PARTITION BY session ORDER BY created_at DESC, id) AS n FROM runs) ranked WHERE n > $1)`, perSession); err != nil {
				return err
			}
		}
		if maxRuns > 0 {
			if err := count(`DELETE FROM runs WHERE id IN (SELECT id FROM runs ORDER BY created_at DESC, id OFFSET $1)`, maxRuns); err != nil {
				return err
			}
		}
		if maxBytes > 0 {
			if err := count(`DELETE FROM runs WHERE id IN (SELECT id FROM (
				SELECT id, sum(bytes) OVER (ORDER BY created_at DESC, id ROWS UNBOUNDED PRECEDING) AS kept FROM runs) ranked WHERE kept > $1)`, maxBytes); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune runs: %w", err)
	}
	return deleted, nil
}

// MarkInterrupted notes that the runs still open that heard nothing since
// before (no batch stored since, nor opened since) were cut off: their page,
// or the server recording them, went away.
func (db *DB) MarkInterrupted(ctx context.Context, before time.Time) (int64, error) {
	tag, err := db.pool.Exec(ctx, `UPDATE runs SET interrupted_at = $1 WHERE state = 'open' AND interrupted_at IS NULL
		AND created_at < $2 AND coalesce(heard_at, created_at) < $2`,
		db.Now().UTC(), before.UTC())
	if err != nil {
		return 0, fmt.Errorf("mark interrupted runs: %w", err)
	}
	return tag.RowsAffected(), nil
}
