package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"reqlab/app/stage"
	"reqlab/server/store"
)

// The writer's usual statements, prepared once (see DB.stmt).
const (
	insertRunSQL = `INSERT INTO runs (id, created_at, session, method, url, request_headers, request_cookies, request_body, network, fresh_connection, secret, bytes, request_bytes)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	findRunSQL = `SELECT CASE WHEN state = 'open' AND interrupted_at IS NOT NULL THEN 'interrupted' ELSE state END,
		(SELECT coalesce(max(seq), 0) FROM events WHERE run_id = runs.id), bytes, request_bytes FROM runs WHERE id = ?`
	endedSQL        = `SELECT stage, phase FROM events WHERE run_id = ?`
	setRequestSQL   = `UPDATE runs SET method = ?, url = ?, request_headers = ?, request_body = ? WHERE id = ?`
	setResponseSQL  = `UPDATE runs SET status = ?, response_headers = ?, response_body = ?, response_body_truncated = ? WHERE id = ?`
	fillResponseSQL = setResponseSQL + ` AND status IS NULL`
	heardSQL        = `UPDATE runs SET heard_at = ?, bytes = ?, request_bytes = ? WHERE id = ?`
	completeSQL     = `UPDATE runs SET state = 'complete', heard_at = ?, bytes = ?, request_bytes = ? WHERE id = ?`
)

var writerQueries = []string{insertRunSQL, findRunSQL, endedSQL, setRequestSQL, setResponseSQL, fillResponseSQL, completeSQL, heardSQL}

// insertEventsSQL is the statement that stores n events at once.
func insertEventsSQL(n int) string {
	var q strings.Builder
	q.WriteString(`INSERT INTO events (run_id, seq, stage, side, phase, t_ms, dur_ms, state, detail) VALUES `)
	for i := 0; i < n; i++ {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
	}
	return q.String()
}

// CreateRun stores a new, open run of a lab session, whose request is as the
// client meant it, with its secret (see stage.NewRunSecret).
func (db *DB) CreateRun(ctx context.Context, id, secret, session string, req stage.Request) (stage.Run, error) {
	run := stage.Run{
		ID:        id,
		CreatedAt: db.Now().UTC(),
		State:     stage.RunOpen,
		Request:   req,
		Events:    []stage.Event{},
	}
	headers, err := marshalJSON(req.Headers, "[]")
	if err != nil {
		return stage.Run{}, err
	}
	cookies, err := marshalJSON(req.Cookies, "[]")
	if err != nil {
		return stage.Run{}, err
	}
	size := store.RequestBytes(req)
	if size > store.MaxRunBytes {
		return stage.Run{}, fmt.Errorf("create run: %w", store.ErrRunTooLarge)
	}
	err = db.do(ctx, func(tx *sql.Tx) error {
		_, err := db.exec(tx, insertRunSQL,
			id, run.CreatedAt.Format(time.RFC3339Nano), session, req.Method, req.URL, headers, cookies, req.Body, req.Network, req.FreshConnection, secret, size, size)
		return err
	})
	if err != nil {
		return stage.Run{}, fmt.Errorf("create run: %w", err)
	}
	return run, nil
}

// Append stores a batch, whole or not at all, and returns its events
// numbered with the run's next seqs. It fails with store.ErrNotFound for an unknown
// run, store.ErrRunClosed for a complete one and store.ErrStageEnded when a stage would
// end twice.
func (db *DB) Append(ctx context.Context, b store.Batch) ([]stage.Event, error) {
	if b.Complete && b.Side == stage.Client {
		// The last report: what only the server knows completes it (see
		// stage.Explain). The server's stages are in by now: the recorder
		// waits for them before a completing batch.
		status, ended, err := db.serverFacts(ctx, b.RunID)
		if err != nil {
			return nil, fmt.Errorf("append: %w", err)
		}
		b = store.Explained(b, status, ended)
	}
	// What can be encoded is encoded here, in the caller's goroutine: the
	// writer, which all writes wait for, only runs the statements.
	enc, err := encodeBatch(b)
	if err != nil {
		return nil, fmt.Errorf("append: %w", err)
	}
	var out []stage.Event
	err = db.do(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = db.appendBatch(tx, b, enc)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// serverFacts reads what the server recorded of a run: the status it
// answered (0 for none) and the server stages it ended.
func (db *DB) serverFacts(ctx context.Context, runID string) (int, map[stage.ID]bool, error) {
	var status sql.NullInt64
	if err := db.read.QueryRowContext(ctx, `SELECT status FROM runs WHERE id = ?`, runID).Scan(&status); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT stage FROM events WHERE run_id = ? AND side = 'server' AND phase = 'end'`, runID)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	ended := map[stage.ID]bool{}
	for rows.Next() {
		var id stage.ID
		if err := rows.Scan(&id); err != nil {
			return 0, nil, err
		}
		ended[id] = true
	}
	return int(status.Int64), ended, rows.Err()
}

// encoded is a batch's JSON columns.
type encoded struct {
	requestHeaders, responseHeaders string
	details                         [][]byte
}

func encodeBatch(b store.Batch) (encoded, error) {
	var enc encoded
	var err error
	if b.Request != nil {
		if enc.requestHeaders, err = marshalJSON(b.Request.Headers, "[]"); err != nil {
			return enc, err
		}
	}
	if b.Response != nil {
		if enc.responseHeaders, err = marshalJSON(b.Response.Headers, "[]"); err != nil {
			return enc, err
		}
	}
	enc.details = make([][]byte, len(b.Events))
	for i, e := range b.Events {
		if enc.details[i], err = json.Marshal(e.Detail); err != nil {
			return enc, err
		}
	}
	return enc, nil
}

// appendBatch does Append's work in the writer's transaction. Every check
// comes before the first change, so that a refusal changes nothing.
func (db *DB) appendBatch(tx *sql.Tx, b store.Batch, enc encoded) ([]stage.Event, error) {
	find, err := db.stmt(tx, findRunSQL)
	if err != nil {
		return nil, fmt.Errorf("append: %w", err)
	}
	var state string
	var last, bytes, requestBytes int64
	err = find.QueryRow(b.RunID).Scan(&state, &last, &bytes, &requestBytes)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, refuse(store.ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("append: %w", err)
	case stage.RunState(state) != stage.RunOpen:
		return nil, refuse(store.ErrRunClosed) // complete, or cut off when the server stopped
	case last+int64(len(b.Events)) > store.MaxEventsPerRun:
		return nil, refuse(store.ErrTooManyEvents)
	}
	keep, err := db.checkMarks(tx, b.RunID, last, b.Events)
	if err != nil {
		return nil, err
	}
	if len(keep) != len(b.Events) { // repeated starts, dropped
		events, details := make([]stage.Event, 0, len(keep)), make([][]byte, 0, len(keep))
		for _, i := range keep {
			events, details = append(events, b.Events[i]), append(details, enc.details[i])
		}
		b.Events, enc.details = events, details
	}

	bytes, requestBytes = store.Grown(b, bytes, requestBytes)
	if bytes > store.MaxRunBytes {
		return nil, refuse(store.ErrRunTooLarge)
	}

	if r := b.Request; r != nil {
		if _, err := db.exec(tx, setRequestSQL, r.Method, r.URL, enc.requestHeaders, r.Body, b.RunID); err != nil {
			return nil, fmt.Errorf("append request: %w", err)
		}
	}
	if r := b.Response; r != nil {
		q := setResponseSQL
		if b.Side == stage.Client {
			q = fillResponseSQL // the server's answer, where there is one, stands
		}
		if _, err := db.exec(tx, q, r.Status, enc.responseHeaders, r.Body, r.BodyTruncated, b.RunID); err != nil {
			return nil, fmt.Errorf("append response: %w", err)
		}
	}
	out, err := db.insertEvents(tx, b.RunID, last, b.Events, enc.details)
	if err != nil {
		return nil, err
	}
	// When the run last heard, and what it keeps now: with its completion
	// where it completes, in one statement.
	q := heardSQL
	if b.Complete {
		q = completeSQL
	}
	if _, err := db.exec(tx, q, db.Now().UTC().Format(time.RFC3339Nano), bytes, requestBytes, b.RunID); err != nil {
		return nil, fmt.Errorf("append: %w", err)
	}
	return out, nil
}

// checkMarks holds a batch to a stage's life (see store.Marks), given the
// run's stored events (last of them), and returns the indexes of the events
// to store.
func (db *DB) checkMarks(tx *sql.Tx, runID string, last int64, events []stage.Event) ([]int, error) {
	if len(events) == 0 {
		return []int{}, nil
	}
	started, ended := map[stage.ID]bool{}, map[stage.ID]bool{}
	if last > 0 {
		if err := db.stageMarks(tx, runID, started, ended); err != nil {
			return nil, fmt.Errorf("append: %w", err)
		}
	}
	keep, err := store.Marks(started, ended, events)
	if err != nil {
		return nil, refuse(err)
	}
	return keep, nil
}

// stageMarks notes the stages that the run's stored events started and ended.
func (db *DB) stageMarks(tx *sql.Tx, runID string, started, ended map[stage.ID]bool) error {
	q, err := db.stmt(tx, endedSQL)
	if err != nil {
		return err
	}
	rows, err := q.Query(runID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id stage.ID
		var phase stage.Phase
		if err := rows.Scan(&id, &phase); err != nil {
			return err
		}
		if phase == stage.Start {
			started[id] = true
		} else {
			ended[id] = true
		}
	}
	return rows.Err()
}

// insertEvents numbers events from last+1 and stores them with one
// statement.
// The arguments are plain strings and numbers: database/sql converts named
// types and pointers by reflection.
func (db *DB) insertEvents(tx *sql.Tx, runID string, last int64, events []stage.Event, details [][]byte) ([]stage.Event, error) {
	out := make([]stage.Event, len(events))
	if len(events) == 0 {
		return out, nil
	}
	args := make([]any, 0, 9*len(events))
	for i, e := range events {
		last++
		e.Seq = last
		out[i] = e
		var dur any // NULL: nothing could be measured
		if e.DurMs != nil {
			dur = *e.DurMs
		}
		args = append(args, runID, e.Seq, string(e.Stage), string(e.Side), string(e.Phase), e.TMs, dur, string(e.State), details[i])
	}
	if _, err := db.exec(tx, insertEventsSQL(len(events)), args...); err != nil {
		return nil, fmt.Errorf("append events: %w", err)
	}
	return out, nil
}

// Run returns a stored run with all its events, or store.ErrNotFound.
func (db *DB) Run(ctx context.Context, id string) (stage.Run, error) {
	var (
		run                 stage.Run
		created, state      string
		reqHeaders, cookies string
		status              sql.NullInt64
		respHeaders         sql.NullString
		respBody            string
		truncated           bool
	)
	err := db.read.QueryRowContext(ctx,
		`SELECT id, created_at, CASE WHEN state = 'open' AND interrupted_at IS NOT NULL THEN 'interrupted' ELSE state END,
		        method, url, request_headers, request_cookies, request_body, network, fresh_connection,
		        status, response_headers, response_body, response_body_truncated
		 FROM runs WHERE id = ?`, id).
		Scan(&run.ID, &created, &state, &run.Request.Method, &run.Request.URL, &reqHeaders, &cookies, &run.Request.Body,
			&run.Request.Network, &run.Request.FreshConnection, &status, &respHeaders, &respBody, &truncated)
	if errors.Is(err, sql.ErrNoRows) {
		return stage.Run{}, store.ErrNotFound
	}
	if err != nil {
		return stage.Run{}, fmt.Errorf("read run: %w", err)
	}
	if run.CreatedAt, err = time.Parse(time.RFC3339Nano, created); err != nil {
		return stage.Run{}, fmt.Errorf("read run: %w", err)
	}
	run.State = stage.RunState(state)
	if err := errors.Join(
		json.Unmarshal([]byte(reqHeaders), &run.Request.Headers),
		json.Unmarshal([]byte(cookies), &run.Request.Cookies),
	); err != nil {
		return stage.Run{}, fmt.Errorf("read run: %w", err)
	}
	if status.Valid {
		run.Response = &stage.Response{Status: int(status.Int64), Headers: []stage.Header{}, Body: respBody, BodyTruncated: truncated}
		if respHeaders.Valid {
			if err := json.Unmarshal([]byte(respHeaders.String), &run.Response.Headers); err != nil {
				return stage.Run{}, fmt.Errorf("read run: %w", err)
			}
		}
	}
	if run.Events, err = db.Events(ctx, id, 0); err != nil {
		return stage.Run{}, err
	}
	return run, nil
}

// Runs returns a session's latest runs, newest first.
func (db *DB) Runs(ctx context.Context, session string, limit int) ([]stage.RunSummary, error) {
	rows, err := db.read.QueryContext(ctx,
		`SELECT r.id, r.created_at, CASE WHEN r.state = 'open' AND r.interrupted_at IS NOT NULL THEN 'interrupted' ELSE r.state END,
		        r.method, r.url, coalesce(r.status, 0),
		        (SELECT max(e.t_ms + coalesce(e.dur_ms, 0)) - min(e.t_ms) FROM events e
		          WHERE e.run_id = r.id AND e.side = 'client' AND e.phase = 'end')
		 FROM runs r WHERE r.session = ? ORDER BY r.created_at DESC, r.id LIMIT ?`, session, limit)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	defer rows.Close()
	out := []stage.RunSummary{}
	for rows.Next() {
		var (
			s       stage.RunSummary
			created string
			total   sql.NullFloat64
		)
		if err := rows.Scan(&s.ID, &created, &s.State, &s.Method, &s.URL, &s.Status, &total); err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
		if s.CreatedAt, err = time.Parse(time.RFC3339Nano, created); err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
		if total.Valid {
			s.TotalMs = stage.Ms(total.Float64)
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
	rows, err := db.read.QueryContext(ctx,
		`SELECT seq, stage, side, phase, t_ms, dur_ms, state, detail FROM events WHERE run_id = ? AND seq > ? ORDER BY seq`,
		runID, after)
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	defer rows.Close()
	events := []stage.Event{}
	for rows.Next() {
		var (
			e      stage.Event
			dur    sql.NullFloat64
			detail string
		)
		if err := rows.Scan(&e.Seq, &e.Stage, &e.Side, &e.Phase, &e.TMs, &dur, &e.State, &detail); err != nil {
			return nil, fmt.Errorf("read events: %w", err)
		}
		if dur.Valid {
			e.DurMs = stage.Ms(dur.Float64)
		}
		if err := json.Unmarshal([]byte(detail), &e.Detail); err != nil {
			return nil, fmt.Errorf("read events: %w", err)
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	return events, nil
}

// RunOpened returns an open run, and false where there is no such run or it
// is complete.
func (db *DB) RunOpened(ctx context.Context, id string) (store.OpenRun, bool, error) {
	var created, cookies string
	var r store.OpenRun
	err := db.read.QueryRowContext(ctx, `SELECT created_at, network, session, fresh_connection, request_cookies, secret FROM runs WHERE id = ? AND state = 'open' AND interrupted_at IS NULL`, id).Scan(&created, &r.Network, &r.Session, &r.Fresh, &cookies, &r.Secret)
	if errors.Is(err, sql.ErrNoRows) {
		return store.OpenRun{}, false, nil
	}
	if err != nil {
		return store.OpenRun{}, false, fmt.Errorf("find run: %w", err)
	}
	if r.Opened, err = time.Parse(time.RFC3339Nano, created); err != nil {
		return store.OpenRun{}, false, fmt.Errorf("find run: %w", err)
	}
	var jar []stage.Cookie
	if err := json.Unmarshal([]byte(cookies), &jar); err != nil {
		return store.OpenRun{}, false, fmt.Errorf("find run: %w", err)
	}
	for _, c := range jar {
		r.Cookies = append(r.Cookies, c.Name)
	}
	return r, true, nil
}

// RunExists reports whether a run is stored.
func (db *DB) RunExists(ctx context.Context, id string) (bool, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM runs WHERE id = ?`, id).Scan(&n); err != nil {
		return false, fmt.Errorf("find run: %w", err)
	}
	return n > 0, nil
}

// marshalJSON encodes v for a JSON column; a nil slice is stored as empty.
func marshalJSON[T any](v []T, empty string) (string, error) {
	if v == nil {
		return empty, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode: %w", err)
	}
	return string(b), nil
}

// Prune deletes runs (and the sample courses sessions added) older than
// maxAge, each session's oldest runs beyond its
// newest perSession, the oldest beyond the newest maxRuns in all and the
// oldest beyond the newest that keep maxBytes together, with
// their events, so that the database stays bounded. A zero limit is no
// limit. It returns how many runs it deleted.
func (db *DB) Prune(ctx context.Context, maxAge time.Duration, perSession, maxRuns int, maxBytes int64) (int64, error) {
	var deleted int64
	err := db.do(ctx, func(tx *sql.Tx) error {
		if maxAge > 0 {
			cutoff := db.Now().UTC().Add(-maxAge).Format(time.RFC3339Nano)
			res, err := tx.Exec(`DELETE FROM runs WHERE created_at < ?`, cutoff)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			deleted += n
			// The courses students added, and their answers, go with the
			// runs of their time.
			if _, err := tx.Exec(`DELETE FROM cursos WHERE sesion <> '' AND creado_en < ?`, cutoff); err != nil {
				return err
			}
			if _, err := tx.Exec(`DELETE FROM answers WHERE answered_at < ?`, cutoff); err != nil {
				return err
			}
		}
		if perSession > 0 {
			res, err := tx.Exec(`DELETE FROM runs WHERE id IN (SELECT id FROM (
				SELECT id, row_number() OVER (PARTITION BY session ORDER BY created_at DESC, id) AS n FROM runs) WHERE n > ?)`, perSession)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			deleted += n
		}
		if maxRuns > 0 {
			res, err := tx.Exec(`DELETE FROM runs WHERE id IN (SELECT id FROM runs ORDER BY created_at DESC, id LIMIT -1 OFFSET ?)`, maxRuns)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			deleted += n
		}
		if maxBytes > 0 {
			res, err := tx.Exec(`DELETE FROM runs WHERE id IN (SELECT id FROM (
				SELECT id, sum(bytes) OVER (ORDER BY created_at DESC, id ROWS UNBOUNDED PRECEDING) AS kept FROM runs) WHERE kept > ?)`, maxBytes)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			deleted += n
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune runs: %w", err)
	}
	return deleted, nil
}

// MarkInterrupted notes that the runs still open that heard nothing since
// before (no batch stored since, nor opened since) were cut off: their page
// or the server recording them went away (at start, all of them: the one
// server is this one). It returns how many.
func (db *DB) MarkInterrupted(ctx context.Context, before time.Time) (int64, error) {
	n, err := db.execCount(ctx, `UPDATE runs SET interrupted_at = ?1 WHERE state = 'open' AND interrupted_at IS NULL
		AND created_at < ?2 AND coalesce(heard_at, created_at) < ?2`,
		db.Now().UTC().Format(time.RFC3339Nano), before.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return 0, fmt.Errorf("mark interrupted runs: %w", err)
	}
	return n, nil
}
