package sqlstore

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"reqlab/app/stage"
	"reqlab/server/store"
)

// The runs' writes of a group are done together. On PostgreSQL, where a
// statement's cost is mostly its round trip, in a few statements for the
// whole group rather than a few for each: the runs opened in one INSERT; the
// batches' runs read and held in one SELECT, in the order of their ids (so
// that two groups, on any server, never wait on each other), the events of
// those that have some in another, every batch's events in one INSERT of one
// argument, a JSON array the engine takes apart, and the runs noted heard in
// one UPDATE of such an array. On SQLite, where a statement costs no round
// trip and one prepared no parsing, with the writer's prepared statements,
// a run at a time. (A batch's request and answer, where it has them, are an
// UPDATE each.)

// runWrite is a run opened or a batch appended.
type runWrite struct {
	create *newRun
	batch  *store.Batch
	enc    encoded
	out    []stage.Event // the batch's events as stored
}

// newRun is a run to insert: insertRunSQL's arguments.
type newRun struct{ args []any }

// runRow is a run as a group's batches find it and leave it.
type runRow struct {
	state               string
	interrupted, heard  bool
	status              sql.NullInt64
	bytes, requestBytes int64
	serving             int64
	last                int64
	started, ended      map[stage.ID]bool
	serverEnded         map[stage.ID]bool
	changed             bool
	complete            bool
	stored              []stage.Event // the group's events of the run
}

// maxNote is the longest note that carries its run's events (PostgreSQL
// takes 8,000 bytes in a notification).
const maxNote = 7900

// note is what the group tells other servers of a run: "<id> <last seq>",
// and the events it stored of it, as JSON, where the dialect notifies and
// they fit.
func (w *wtx) note(id string, row *runRow) string {
	note := id + " " + strconv.FormatInt(row.last, 10)
	if w.db.d.notify == nil || len(row.stored) == 0 {
		return note
	}
	events, err := json.Marshal(row.stored)
	if err != nil || len(note)+1+len(events) > maxNote {
		return note // read from the tables
	}
	return note + " " + string(events)
}

// The statement that inserts runs, with VALUES for as many rows as valuesSQL
// gives it.
const (
	insertRunPrefix    = `INSERT INTO runs (id, created_at, session, method, url, request_headers, request_cookies, request_body, network, fresh_connection, secret, bytes, request_bytes) VALUES `
	runColumns         = 13
	insertEventsPrefix = `INSERT INTO events (run_id, seq, stage, side, phase, t_ms, dur_ms, state, detail) VALUES `
	eventColumns       = 9
)

// maxArgs is how many arguments one statement takes at most (SQLite's
// limit is 32,766; PostgreSQL's 65,535).
const maxArgs = 30_000

// runWrites does the group's runs' writes, and returns each one's error: a
// refusal, or nil. An error returned alone leaves the transaction unclean.
func (w *wtx) runWrites(ws []*runWrite) ([]error, error) {
	errs := make([]error, len(ws))
	// The runs opened.
	var creates [][][]any
	for _, rw := range ws {
		if rw.create != nil {
			creates = append(creates, [][]any{rw.create.args})
		}
	}
	if err := w.insertRows(insertRunPrefix, runColumns, creates); err != nil {
		return nil, err
	}
	// The batches' runs, held, and the events of those that have some.
	var ids []string
	seen := map[string]bool{}
	for _, rw := range ws {
		if rw.batch != nil && !seen[rw.batch.RunID] {
			seen[rw.batch.RunID] = true
			ids = append(ids, rw.batch.RunID)
		}
	}
	if len(ids) == 0 {
		return errs, nil
	}
	runs, err := w.readRuns(ids)
	if err != nil {
		return nil, err
	}
	var events []byte // every batch's, one JSON array (see insertEventsSQL)
	for i, rw := range ws {
		if rw.batch == nil {
			continue
		}
		row := runs[rw.batch.RunID]
		var args []any
		rw.out, errs[i] = w.apply(row, rw, &events, &args)
		if errs[i] != nil {
			continue
		}
		if len(args) > 0 {
			if _, err := w.exec(insertEventsSQL(len(args)/eventColumns), args...); err != nil {
				return nil, fmt.Errorf("append events: %w", err)
			}
		}
		if r := rw.batch.Request; r != nil {
			if _, err := w.exec(setRequestSQL, r.Method, r.URL, rw.enc.requestHeaders, r.Body, rw.batch.RunID); err != nil {
				return nil, fmt.Errorf("append request: %w", err)
			}
		}
		if r := rw.batch.Response; r != nil {
			q := setResponseSQL
			if rw.batch.Side == stage.Client {
				q = fillResponseSQL // the server's answer, where there is one, stands
			}
			if _, err := w.exec(q, r.Status, rw.enc.responseHeaders, r.Body, r.BodyTruncated, rw.batch.RunID); err != nil {
				return nil, fmt.Errorf("append response: %w", err)
			}
		}
	}
	if len(events) > 0 {
		if _, err := w.exec(w.db.d.insertEvents, string(append(events, ']'))); err != nil {
			return nil, fmt.Errorf("append events: %w", err)
		}
	}
	// Each run changed: when it last heard, what it keeps now, its
	// completion where it completes and its requests still served, in one
	// statement for the group (its rows one JSON array, as the events).
	var changed []byte
	for _, id := range ids {
		row := runs[id]
		if row == nil || !row.changed {
			continue
		}
		next := string(stage.RunOpen)
		if row.complete {
			next = string(stage.RunComplete)
		}
		w.notes = append(w.notes, w.note(id, row))
		if w.db.d.prepare {
			if _, err := w.exec(heardSQL, next, w.db.at(w.db.Now()), row.bytes, row.requestBytes, row.serving, id); err != nil {
				return nil, fmt.Errorf("append: %w", err)
			}
			continue
		}
		if len(changed) == 0 {
			changed = append(changed, '[')
		} else {
			changed = append(changed, ',')
		}
		changed = fmt.Appendf(changed, `[%q,%q,%d,%d,%d]`, id, next, row.bytes, row.requestBytes, row.serving)
	}
	if len(changed) > 0 {
		if _, err := w.exec(w.db.d.heardRuns, w.db.at(w.db.Now()), string(append(changed, ']'))); err != nil {
			return nil, fmt.Errorf("append: %w", err)
		}
	}
	return errs, nil
}

// readRuns reads and holds the runs of ids, and the stages their events
// started and ended: a statement for all of them, or (SQLite, where a
// statement costs no round trip, and one prepared no parsing) a prepared
// one for each.
func (w *wtx) readRuns(ids []string) (map[string]*runRow, error) {
	runs := make(map[string]*runRow, len(ids))
	var heard []string
	if w.db.d.prepare {
		for _, id := range ids {
			if err := w.scanRuns(runs, &heard, findRunSQL+w.db.d.forUpdate, id); err != nil {
				return nil, err
			}
		}
	} else if err := w.scanRuns(runs, &heard, `SELECT id, state, interrupted_at IS NOT NULL, heard_at IS NOT NULL, status, bytes, request_bytes, serving FROM runs WHERE id IN (`+
		marks(len(ids))+`) ORDER BY id`+w.db.d.forUpdate, strs(ids)...); err != nil {
		return nil, err
	}
	// The events, by a statement of their own, which on PostgreSQL sees
	// every batch committed while this group waited for the runs.
	switch {
	case len(heard) == 0:
	case w.db.d.prepare:
		for _, id := range heard {
			if err := w.scanMarks(runs, marksSQL, id); err != nil {
				return nil, err
			}
		}
	default:
		if err := w.scanMarks(runs, `SELECT run_id, seq, stage, side, phase FROM events WHERE run_id IN (`+marks(len(heard))+`)`, strs(heard)...); err != nil {
			return nil, err
		}
	}
	return runs, nil
}

// marks is n arguments' places, for IN (…).
func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

func strs(ss []string) []any {
	args := make([]any, len(ss))
	for i, s := range ss {
		args[i] = s
	}
	return args
}

// scanRuns reads runs' rows (findRunSQL's columns) into runs, and notes in
// heard those that have events.
func (w *wtx) scanRuns(runs map[string]*runRow, heard *[]string, query string, args ...any) error {
	rs, err := w.query(query, args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		r := &runRow{started: map[stage.ID]bool{}, ended: map[stage.ID]bool{}, serverEnded: map[stage.ID]bool{}}
		var id string
		if err := rs.Scan(&id, &r.state, &r.interrupted, &r.heard, &r.status, &r.bytes, &r.requestBytes, &r.serving); err != nil {
			return err
		}
		runs[id] = r
		if r.heard {
			*heard = append(*heard, id)
		}
	}
	return rs.Err()
}

// scanMarks notes the stages runs' events started and ended (marksSQL's
// columns), and their last seqs.
func (w *wtx) scanMarks(runs map[string]*runRow, query string, args ...any) error {
	es, err := w.query(query, args...)
	if err != nil {
		return err
	}
	defer es.Close()
	for es.Next() {
		var seq int64
		var run, id, side, phase string
		if err := es.Scan(&run, &seq, &id, &side, &phase); err != nil {
			return err
		}
		r := runs[run]
		r.last = max(r.last, seq)
		if phase == string(stage.Start) {
			r.started[stage.ID(id)] = true
		} else {
			r.ended[stage.ID(id)] = true
			if side == string(stage.Server) {
				r.serverEnded[stage.ID(id)] = true
			}
		}
	}
	return es.Err()
}

// apply checks a batch against its run as the group has left it so far, and
// where the run takes it, numbers its events, adds them to events and
// changes the run. Every check comes before the first change, so that a
// refusal changes nothing.
func (w *wtx) apply(row *runRow, rw *runWrite, events *[]byte, args *[]any) ([]stage.Event, error) {
	b, enc := *rw.batch, rw.enc
	switch {
	case row == nil:
		return nil, refuse(store.ErrNotFound)
	case stage.RunState(row.state) != stage.RunOpen || row.interrupted || row.complete:
		return nil, refuse(store.ErrRunClosed) // complete, or cut off
	case b.Complete && b.Side == stage.Client && row.serving > 0 && !b.Waited:
		return nil, refuse(store.ErrServing)
	}
	if b.Complete && b.Side == stage.Client {
		// The last report: what only the server knows completes it (see
		// stage.Explain). The server's stages are in by now: the recorder
		// waits for them before a completing batch.
		n := len(b.Events)
		reported := b.Events
		b = store.Explained(b, int(row.status.Int64), row.serverEnded)
		enc.details = enc.details[:n:n]
		// An event Explain changed (a cache miss that was a revalidation)
		// is encoded again: its encoding was made before it was explained.
		for i, e := range b.Events[:n] {
			if !reflect.DeepEqual(e, reported[i]) {
				detail, err := w.db.d.encodeEvent(e)
				if err != nil {
					return nil, refuse(err)
				}
				enc.details[i] = detail
			}
		}
		for _, e := range b.Events[n:] {
			detail, err := w.db.d.encodeEvent(e)
			if err != nil {
				return nil, refuse(err)
			}
			enc.details = append(enc.details, detail)
		}
	}
	if row.last+int64(len(b.Events)) > store.MaxEventsPerRun {
		return nil, refuse(store.ErrTooManyEvents)
	}
	started, ended := clone(row.started), clone(row.ended)
	keep, err := store.Marks(started, ended, b.Events)
	if err != nil {
		return nil, refuse(err)
	}
	kept := b
	if len(keep) != len(b.Events) { // repeated starts, left out
		kept.Events = make([]stage.Event, 0, len(keep))
		for _, i := range keep {
			kept.Events = append(kept.Events, b.Events[i])
		}
	}
	bytes, requestBytes := store.Grown(kept, row.bytes, row.requestBytes)
	if bytes > store.MaxRunBytes {
		return nil, refuse(store.ErrRunTooLarge)
	}
	// Taken: the run changes.
	row.started, row.ended, row.bytes, row.requestBytes, row.changed = started, ended, bytes, requestBytes, true
	if b.Response != nil && (b.Side == stage.Server || !row.status.Valid) {
		row.status = sql.NullInt64{Int64: int64(b.Response.Status), Valid: true}
	}
	if b.Served && row.serving > 0 {
		row.serving--
	}
	row.complete = row.complete || b.Complete
	out := make([]stage.Event, len(keep))
	for j, i := range keep {
		e := b.Events[i]
		row.last++
		e.Seq = row.last
		out[j] = e
		if w.db.d.notify != nil {
			row.stored = append(row.stored, e)
		}
		if e.Side == stage.Server && e.Phase == stage.End {
			row.serverEnded[e.Stage] = true
		}
		if w.db.d.prepare {
			// A prepared statement's nine arguments (see insertEventsSQL).
			var dur any // NULL: nothing could be measured
			if e.DurMs != nil {
				dur = float64(*e.DurMs)
			}
			*args = append(*args, b.RunID, e.Seq, string(e.Stage), string(e.Side), string(e.Phase), float64(e.TMs), dur, string(e.State), enc.details[i])
			continue
		}
		// ["<run>",<seq>, and the rest as the caller encoded it.
		if len(*events) == 0 {
			*events = append(*events, '[')
		} else {
			*events = append(*events, ',')
		}
		*events = append(*events, `["`...)
		*events = append(*events, b.RunID...)
		*events = append(*events, `",`...)
		*events = strconv.AppendInt(*events, e.Seq, 10)
		*events = append(*events, ',')
		*events = append(*events, enc.details[i][1:]...)
	}
	return out, nil
}

func clone(m map[stage.ID]bool) map[stage.ID]bool {
	c := make(map[stage.ID]bool, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// insertRows inserts rows of n columns each, given in parts (a part a
// write's). Where the dialect prepares its usual statements (SQLite: parsing
// is much of a small write's cost) each part is one prepared statement;
// elsewhere (PostgreSQL: a statement's round trip is) all the parts go in as
// few statements as the limit on arguments allows.
func (w *wtx) insertRows(insert string, n int, parts [][][]any) error {
	if w.db.d.prepare {
		for _, rows := range parts {
			if err := w.insertChunk(insert, n, rows); err != nil {
				return err
			}
		}
		return nil
	}
	var rows [][]any
	for _, p := range parts {
		rows = append(rows, p...)
	}
	for per := maxArgs / n; len(rows) > 0; {
		chunk := rows[:min(per, len(rows))]
		rows = rows[len(chunk):]
		if err := w.insertChunk(insert, n, chunk); err != nil {
			return err
		}
	}
	return nil
}

func (w *wtx) insertChunk(insert string, n int, rows [][]any) error {
	args := make([]any, 0, n*len(rows))
	for _, r := range rows {
		args = append(args, r...)
	}
	_, err := w.exec(valuesSQL(insert, n, len(rows)), args...)
	return err
}

// valuesSQL is insert with rows rows of n arguments each (kept once made:
// the writer looks its prepared statements up by their text).
func valuesSQL(insert string, n, rows int) string {
	key := valuesKey{insert, n, rows}
	if q, ok := valuesMade.Load(key); ok {
		return q.(string)
	}
	q := makeValuesSQL(insert, n, rows)
	valuesMade.Store(key, q)
	return q
}

type valuesKey struct {
	insert  string
	n, rows int
}

// valuesMade holds the statements valuesSQL made: a few hundred at most (a
// group's rows are at most maxGroup).
var valuesMade sync.Map

func makeValuesSQL(insert string, n, rows int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
	var q strings.Builder
	q.Grow(len(insert) + rows*(len(row)+2))
	q.WriteString(insert)
	for i := range rows {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(row)
	}
	return q.String()
}
