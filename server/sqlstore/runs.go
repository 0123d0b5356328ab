package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"reqlab/app/stage"
	"reqlab/server/store"
)

// The writer's usual statements (prepared once where the dialect prepares).
const (
	// findRunSQL reads the run's row: SQLite's way, in the writer's
	// transaction, the one writer (see readRunsSQL for PostgreSQL's). The
	// row keeps what a batch is checked against (its last seq, the stages
	// started and ended: see runRow), so a batch reads no events.
	findRunSQL      = `SELECT id, state, interrupted_at IS NOT NULL, status, bytes, request_bytes, serving, last_seq, marks FROM runs WHERE id = ?`
	setRequestSQL   = `UPDATE runs SET method = ?, url = ?, request_headers = ?, request_body = ? WHERE id = ?`
	setResponseSQL  = `UPDATE runs SET status = ?, response_headers = ?, response_body = ?, response_body_truncated = ? WHERE id = ?`
	fillResponseSQL = setResponseSQL + ` AND status IS NULL`
	// insertBatchSQL stores a batch's events, one row (SQLite's way: a
	// prepared statement a batch; see Dialect.insertBatches for
	// PostgreSQL's).
	insertBatchSQL = `INSERT INTO event_batches (run_id, first_seq, last_seq, events) VALUES (?, ?, ?, ?)`
	// heardSQL notes one run heard: SQLite's way.
	heardSQL = `UPDATE runs SET state = ?, heard_at = ?, bytes = ?, request_bytes = ?, serving = ?, last_seq = ?, marks = ? WHERE id = ?`
)

// insertRunSQL stores one run: SQLite's way (see insertRunsSQL for
// PostgreSQL's).
const insertRunSQL = `INSERT INTO runs (id, created_at, session, method, url, request_headers, request_cookies, request_body, network,
	fresh_connection, secret, bytes, request_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// writerQueries are the statements SQLite's writer prepares.
func (d *Dialect) writerQueries() []string {
	return []string{insertRunSQL, findRunSQL, insertBatchSQL, setRequestSQL, setResponseSQL, fillResponseSQL, heardSQL}
}

// runState is a run's state as the lab names it: an open run cut off is
// interrupted.
const runState = `CASE WHEN state = 'open' AND interrupted_at IS NOT NULL THEN 'interrupted' ELSE state END`

// CreateRun stores a new, open run of a lab session, whose request is as the
// client meant it, with its secret (see stage.NewRunSecret).
func (db *DB) CreateRun(ctx context.Context, id, secret, session string, req stage.Request) (stage.Run, error) {
	run := stage.Run{ID: id, CreatedAt: db.Now().UTC(), State: stage.RunOpen, Request: req, Events: []stage.Event{}}
	headers, err := marshalJSON(req.Headers)
	if err != nil {
		return stage.Run{}, err
	}
	cookies, err := marshalJSON(req.Cookies)
	if err != nil {
		return stage.Run{}, err
	}
	size := store.RequestBytes(req)
	if size > store.MaxRunBytes {
		return stage.Run{}, fmt.Errorf("create run: %w", store.ErrRunTooLarge)
	}
	err = db.doRun(ctx, id, &runWrite{create: &newRun{args: []any{
		id, db.at(run.CreatedAt), session, req.Method, req.URL, headers, cookies, req.Body, req.Network, req.FreshConnection, secret, size, size}}})
	if err != nil {
		return stage.Run{}, db.fail("create run", err)
	}
	return run, nil
}

// encoded is a batch's JSON, encoded in the caller's goroutine: the writer,
// which all writes wait for, only runs the statements (see encodeEvent).
type encoded struct {
	requestHeaders, responseHeaders string
	events                          [][]byte
}

func (d *Dialect) encodeBatch(b store.Batch) (encoded, error) {
	var enc encoded
	var err error
	if b.Request != nil {
		if enc.requestHeaders, err = marshalJSON(b.Request.Headers); err != nil {
			return enc, err
		}
	}
	if b.Response != nil {
		if enc.responseHeaders, err = marshalJSON(b.Response.Headers); err != nil {
			return enc, err
		}
	}
	enc.events = make([][]byte, len(b.Events))
	for i, e := range b.Events {
		if enc.events[i], err = d.encodeEvent(e); err != nil {
			return enc, err
		}
	}
	return enc, nil
}

// noSeq is how an event encoded before it has its seq begins: the writer
// puts the seq in its place (see appendEvent).
const noSeq = `{"seq":0`

// encodeEvent is an event as its batch's row keeps it, in the JSON the API
// gives (decoded by encoding/json), its seq not yet known (noSeq). It is
// written here, not by json.Marshal, which walked every field by reflection
// for 15 % of storing a class's runs: the names are checked as the events
// table's columns once checked them (a side, phase and state of the lab's,
// a stage a plain word, which the run's row names: runRow.marks), and the
// details, where there are some, are json.Marshal's.
func (d *Dialect) encodeEvent(e stage.Event) ([]byte, error) {
	switch {
	case !word(string(e.Stage)):
		return nil, fmt.Errorf("encode: %q is not a plain name", e.Stage)
	case e.Side != stage.Client && e.Side != stage.Server:
		return nil, fmt.Errorf("encode: side %q", e.Side)
	case e.Phase != stage.Start && e.Phase != stage.End:
		return nil, fmt.Errorf("encode: phase %q", e.Phase)
	case e.State != stage.Active && !e.State.Final():
		return nil, fmt.Errorf("encode: state %q", e.State)
	case !finite(float64(e.TMs)) || e.DurMs != nil && !finite(float64(*e.DurMs)):
		return nil, errors.New("encode: a time that is not a number")
	}
	detail := []byte(`{}`)
	if e.Detail != (stage.Detail{}) {
		var err error
		if detail, err = json.Marshal(e.Detail); err != nil {
			return nil, fmt.Errorf("encode: %w", err)
		}
	}
	b := make([]byte, 0, 96+len(e.Stage)+len(detail))
	b = append(b, noSeq...)
	b = append(b, `,"stage":"`...)
	b = append(b, e.Stage...)
	b = append(b, `","side":"`...)
	b = append(b, e.Side...)
	b = append(b, `","phase":"`...)
	b = append(b, e.Phase...)
	b = append(b, `","t_ms":`...)
	b = strconv.AppendFloat(b, float64(e.TMs), 'g', -1, 64)
	b = append(b, `,"dur_ms":`...)
	if e.DurMs != nil {
		b = strconv.AppendFloat(b, float64(*e.DurMs), 'g', -1, 64)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"state":"`...)
	b = append(b, e.State...)
	b = append(b, `","detail":`...)
	b = append(b, detail...)
	return append(b, '}'), nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// appendEvent appends the event encoded as enc (see encodeEvent), numbered
// seq.
func appendEvent(dst, enc []byte, seq int64) []byte {
	dst = append(dst, `{"seq":`...)
	dst = strconv.AppendInt(dst, seq, 10)
	return append(dst, enc[len(noSeq):]...)
}

// word reports whether s is a word of printable ASCII, with no space.
func word(s string) bool {
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return s != ""
}

// Append stores a batch, whole or not at all, and returns its events numbered
// with the run's next seqs (see store.Runs).
func (db *DB) Append(ctx context.Context, b store.Batch) ([]stage.Event, error) {
	enc, err := db.d.encodeBatch(b)
	if err != nil {
		return nil, fmt.Errorf("append: %w", err)
	}
	rw := &runWrite{batch: &b, enc: enc}
	if err := db.doRun(ctx, b.RunID, rw); err != nil {
		return nil, db.fail("append", err)
	}
	return rw.out, nil
}

// Run returns a stored run with all its events, or store.ErrNotFound: its
// row and its events in one read transaction, so that they agree.
func (db *DB) Run(ctx context.Context, id string) (stage.Run, error) {
	tx, err := db.read.BeginTx(ctx, nil)
	if err != nil {
		return stage.Run{}, db.fail("read run", err)
	}
	defer tx.Rollback()
	var (
		run                  stage.Run
		state                string
		reqHeaders, cookies  []byte
		status               sql.NullInt64
		respHeaders          []byte
		respBody             string
		truncated, freshConn bool
	)
	err = tx.QueryRowContext(ctx, db.d.q(`SELECT id, created_at, `+runState+`, method, url, request_headers, request_cookies, request_body, network, fresh_connection,
		        status, response_headers, response_body, response_body_truncated
		 FROM runs WHERE id = ?`), id).
		Scan(&run.ID, when{&run.CreatedAt}, &state, &run.Request.Method, &run.Request.URL, &reqHeaders, &cookies, &run.Request.Body,
			&run.Request.Network, &freshConn, &status, &respHeaders, &respBody, &truncated)
	if errors.Is(err, sql.ErrNoRows) {
		return stage.Run{}, store.ErrNotFound
	}
	if err != nil {
		return stage.Run{}, db.fail("read run", err)
	}
	run.Request.FreshConnection = freshConn
	run.State = stage.RunState(state)
	if err := errors.Join(json.Unmarshal(reqHeaders, &run.Request.Headers), json.Unmarshal(cookies, &run.Request.Cookies)); err != nil {
		return stage.Run{}, fmt.Errorf("read run: %w", err)
	}
	if status.Valid {
		run.Response = &stage.Response{Status: int(status.Int64), Headers: []stage.Header{}, Body: respBody, BodyTruncated: truncated}
		if respHeaders != nil {
			if err := json.Unmarshal(respHeaders, &run.Response.Headers); err != nil {
				return stage.Run{}, fmt.Errorf("read run: %w", err)
			}
		}
	}
	if run.Events, err = db.events(ctx, tx, id, 0); err != nil {
		return stage.Run{}, err
	}
	return run, db.fail("read run", tx.Commit())
}

// Runs returns a session's latest runs, newest first.
func (db *DB) Runs(ctx context.Context, session string, limit int) ([]stage.RunSummary, error) {
	rows, err := db.read.QueryContext(ctx, db.d.q(
		`SELECT r.id, r.created_at, `+strings.ReplaceAll(runState, "state", "r.state")+`, r.method, r.url, coalesce(r.status, 0),
		        (SELECT max(e.t_ms + coalesce(e.dur_ms, 0)) - min(e.t_ms) FROM events e
		          WHERE e.run_id = r.id AND e.side = 'client' AND e.phase = 'end')
		 FROM runs r WHERE r.session = ? ORDER BY r.created_at DESC, r.id LIMIT ?`), session, limit)
	if err != nil {
		return nil, db.fail("list runs", err)
	}
	defer rows.Close()
	out := []stage.RunSummary{}
	for rows.Next() {
		var s stage.RunSummary
		var total sql.NullFloat64
		if err := rows.Scan(&s.ID, when{&s.CreatedAt}, &s.State, &s.Method, &s.URL, &s.Status, &total); err != nil {
			return nil, db.fail("list runs", err)
		}
		if total.Valid {
			s.TotalMs = stage.Ms(total.Float64)
		}
		out = append(out, s)
	}
	return out, db.fail("list runs", rows.Err())
}

// Events returns a run's events whose seq is above after, in seq order.
func (db *DB) Events(ctx context.Context, runID string, after int64) ([]stage.Event, error) {
	return db.events(ctx, db.read, runID, after)
}

// querier is a pool or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (db *DB) events(ctx context.Context, q querier, runID string, after int64) ([]stage.Event, error) {
	rows, err := q.QueryContext(ctx, db.d.q(`SELECT events FROM event_batches WHERE run_id = ? AND last_seq > ? ORDER BY first_seq`), runID, after)
	if err != nil {
		return nil, db.fail("read events", err)
	}
	defer rows.Close()
	events := []stage.Event{}
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, db.fail("read events", err)
		}
		var batch []stage.Event // a fresh one: decoding into used events would reuse their pointers
		if err := json.Unmarshal(raw, &batch); err != nil {
			return nil, fmt.Errorf("read events: %w", err)
		}
		for _, e := range batch {
			if e.Seq > after {
				events = append(events, e)
			}
		}
	}
	return events, db.fail("read events", rows.Err())
}

// openRunSQL reads what the sample site needs of an open run.
const openRunSQL = `SELECT created_at, network, session, fresh_connection, request_cookies, secret FROM runs`

// ScanOpenRun reads a row of openRunSQL's columns.
func ScanOpenRun(row interface{ Scan(...any) error }) (store.OpenRun, error) {
	var r store.OpenRun
	var cookies []byte
	var fresh bool
	if err := row.Scan(when{&r.Opened}, &r.Network, &r.Session, &fresh, &cookies, &r.Secret); err != nil {
		return store.OpenRun{}, err
	}
	r.Fresh = fresh
	var jar []stage.Cookie
	if err := json.Unmarshal(cookies, &jar); err != nil {
		return store.OpenRun{}, err
	}
	for _, c := range jar {
		r.Cookies = append(r.Cookies, c.Name)
	}
	return r, nil
}

// OpenRunColumns is what ScanOpenRun reads, for a statement's RETURNING.
const OpenRunColumns = `created_at, network, session, fresh_connection, request_cookies, secret`

// RunOpened returns an open run, and false where there is no such run or it
// is complete or interrupted.
func (db *DB) RunOpened(ctx context.Context, id string) (store.OpenRun, bool, error) {
	r, err := ScanOpenRun(db.read.QueryRowContext(ctx, db.d.q(openRunSQL+` WHERE id = ? AND state = 'open' AND interrupted_at IS NULL`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.OpenRun{}, false, nil
	}
	if err != nil {
		return store.OpenRun{}, false, db.fail("find run", err)
	}
	return r, true, nil
}

// RunExists reports whether a run is stored.
func (db *DB) RunExists(ctx context.Context, id string) (bool, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, db.d.q(`SELECT count(*) FROM runs WHERE id = ?`), id).Scan(&n); err != nil {
		return false, db.fail("find run", err)
	}
	return n > 0, nil
}

// Prune deletes old runs and what went with them (see store.Upkeep). On a
// store several servers share, one prunes at a time: the others find the
// lock taken and leave it to that one.
func (db *DB) Prune(ctx context.Context, maxAge time.Duration, perSession, maxRuns int, maxBytes int64) (int64, error) {
	var deleted int64
	err := db.do(ctx, "", func(w *wtx) error {
		deleted = 0
		if mine, err := db.d.tryLock(w.on(), PruneLock); err != nil || !mine {
			return err
		}
		count := func(query string, args ...any) error {
			n, err := w.count(query, args...)
			deleted += n
			return err
		}
		if maxAge > 0 {
			cutoff := db.at(db.Now().Add(-maxAge))
			if err := count(`DELETE FROM runs WHERE created_at < ?`, cutoff); err != nil {
				return err
			}
			// The courses students added, and their answers, go with the
			// runs of their time.
			if _, err := w.exec(`DELETE FROM cursos WHERE sesion <> '' AND creado_en < ?`, cutoff); err != nil {
				return err
			}
			if _, err := w.exec(`DELETE FROM answers WHERE answered_at < ?`, cutoff); err != nil {
				return err
			}
		}
		if perSession > 0 {
			if err := count(`DELETE FROM runs WHERE id IN (SELECT id FROM (
				SELECT id, row_number() OVER (PARTITION BY session ORDER BY created_at DESC, id) AS n FROM runs) ranked WHERE n > ?)`, perSession); err != nil {
				return err
			}
		}
		if maxRuns > 0 {
			if err := count(`DELETE FROM runs WHERE id IN (SELECT id FROM (
				SELECT id, row_number() OVER (ORDER BY created_at DESC, id) AS n FROM runs) ranked WHERE n > ?)`, maxRuns); err != nil {
				return err
			}
		}
		if maxBytes > 0 {
			if err := count(`DELETE FROM runs WHERE id IN (SELECT id FROM (
				SELECT id, sum(bytes) OVER (ORDER BY created_at DESC, id ROWS UNBOUNDED PRECEDING) AS kept FROM runs) ranked WHERE kept > ?)`, maxBytes); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, db.fail("prune runs", err)
	}
	return deleted, nil
}

// MarkInterrupted notes that the runs still open that heard nothing since
// before (no batch stored since, nor opened since) were cut off: their page,
// or the server recording them, went away. It returns how many.
func (db *DB) MarkInterrupted(ctx context.Context, before time.Time) (int64, error) {
	cutoff := db.at(before)
	n, err := db.execCount(ctx, "", `UPDATE runs SET interrupted_at = ? WHERE state = 'open' AND interrupted_at IS NULL
		AND created_at < ? AND coalesce(heard_at, created_at) < ?`, db.at(db.Now()), cutoff, cutoff)
	if err != nil {
		return 0, db.fail("mark interrupted runs", err)
	}
	return n, nil
}

// marshalJSON encodes a list for a JSON column; nil is stored as empty.
func marshalJSON[T any](v []T) (string, error) {
	if v == nil {
		return "[]", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode: %w", err)
	}
	return string(b), nil
}

// when scans a moment as either engine keeps it: SQLite as RFC 3339 text,
// PostgreSQL as a timestamp. It is read in UTC.
type when struct{ t *time.Time }

func (w when) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		*w.t = v.UTC()
	case string:
		return w.parse(v)
	case []byte:
		return w.parse(string(v))
	case nil:
		*w.t = time.Time{}
	default:
		return fmt.Errorf("a moment of type %T", src)
	}
	return nil
}

func (w when) parse(s string) error {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	*w.t = t.UTC()
	return nil
}
