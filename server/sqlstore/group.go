package sqlstore

import (
	"database/sql"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"reqlab/app/stage"
	"reqlab/server/store"
)

// The runs' writes of a group are done together. A batch's events are one
// row (event_batches: a JSON array), and what a batch is checked against is
// on its run's row (runRow), so a batch reads its run's row alone. On
// SQLite, where a statement costs no round trip and one prepared no
// parsing, the writer's prepared statements run a run at a time
// (runWrites). On PostgreSQL, where a statement's cost is mostly its round
// trip, a group's runs share each statement, their rows given as arrays, and
// the statements go in two round trips (pipeline.go): the runs opened in one
// INSERT, every batch in another, the runs noted heard in one UPDATE. (A
// batch's request and answer, where it has them, are an UPDATE each.)

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
	interrupted         bool
	status              sql.NullInt64
	bytes, requestBytes int64
	serving             int64
	last                int64 // its last seq
	// marks names the stages its events started and ended, a word each:
	// ">dns" started, "<dns" ended on the client, "!dns" ended on the
	// server (the column runs.marks); started, ended and serverEnded are
	// the same as sets.
	marks                       string
	started, ended, serverEnded map[stage.ID]bool
	changed                     bool
	complete                    bool
	// was is the row as the group read it: on PostgreSQL it is changed
	// only if it is still so (pipeline.go).
	was    struct{ last, serving, bytes int64 }
	stored []byte // the group's events of the run, JSON objects joined by commas, for its note
}

// read notes the row as read: its sets from its marks, and what it was.
func (r *runRow) read() {
	r.parseMarks()
	r.was.last, r.was.serving, r.was.bytes = r.last, r.serving, r.bytes
}

// parseMarks sets the row's sets from its marks.
func (r *runRow) parseMarks() {
	r.started, r.ended, r.serverEnded = map[stage.ID]bool{}, map[stage.ID]bool{}, map[stage.ID]bool{}
	if r.marks == "" {
		return
	}
	for _, m := range strings.Fields(r.marks) {
		id := stage.ID(m[1:])
		switch m[0] {
		case '>':
			r.started[id] = true
		case '!':
			r.serverEnded[id] = true
			r.ended[id] = true
		default:
			r.ended[id] = true
		}
	}
}

// mark adds an event stored to the row's marks, as words appended to buf
// (the row's marks are then buf: see apply).
func (r *runRow) mark(buf []byte, e stage.Event) []byte {
	c := byte('<')
	switch {
	case e.Phase == stage.Start:
		c = '>'
	case e.Side == stage.Server:
		c = '!'
		r.serverEnded[e.Stage] = true
	}
	if len(buf) > 0 {
		buf = append(buf, ' ')
	}
	buf = append(buf, c)
	return append(buf, e.Stage...)
}

// maxNote is the longest note that carries its run's events (PostgreSQL
// takes 8,000 bytes in a notification).
const maxNote = 7900

// note is what the group tells other servers of a run: "<id> <last seq>",
// and the events it stored of it, as a JSON array, where the dialect
// notifies and they fit.
func (w *wtx) note(id string, row *runRow) string {
	note := id + " " + strconv.FormatInt(row.last, 10)
	if w.db.d.notify == nil || len(row.stored) == 0 || len(note)+3+len(row.stored) > maxNote {
		return note // read from the tables
	}
	return note + " [" + string(row.stored) + "]"
}

// runColumns is how many columns a run opened is inserted with (newRun's
// arguments).
const runColumns = 13

// runWrites does the group's runs' writes a run at a time, as SQLite's
// writer does, and returns each one's error: a refusal, or nil. An error
// returned alone leaves the transaction unclean.
func (w *wtx) runWrites(ws []*runWrite) ([]error, error) {
	for _, rw := range ws {
		if rw.create != nil {
			if _, err := w.exec(insertRunSQL, rw.create.args...); err != nil {
				return nil, err
			}
		}
	}
	ids := batchRuns(ws)
	runs := make(map[string]*runRow, len(ids))
	for _, id := range ids {
		if err := w.scanRuns(runs, findRunSQL, id); err != nil {
			return nil, err
		}
	}
	return w.writeRuns(ws, ids, runs)
}

// batchRuns returns the runs the batches of ws are for, each once.
func batchRuns(ws []*runWrite) []string {
	var ids []string
	seen := map[string]bool{}
	for _, rw := range ws {
		if rw.batch != nil && !seen[rw.batch.RunID] {
			seen[rw.batch.RunID] = true
			ids = append(ids, rw.batch.RunID)
		}
	}
	return ids
}

// writeRuns checks and stores the batches of ws against their runs, held
// (runs, those of ids), and returns each write's error: a refusal, or nil.
func (w *wtx) writeRuns(ws []*runWrite, ids []string, runs map[string]*runRow) ([]error, error) {
	errs := make([]error, len(ws))
	if len(ids) == 0 {
		return errs, nil
	}
	var batches batchRows // where pipelined, stored in one statement
	for i, rw := range ws {
		if rw.batch == nil {
			continue
		}
		row := runs[rw.batch.RunID]
		var events []byte
		rw.out, events, errs[i] = w.apply(row, rw)
		if errs[i] != nil || len(rw.out) == 0 {
			continue
		}
		first, last := rw.out[0].Seq, rw.out[len(rw.out)-1].Seq
		if !w.db.d.pipelined {
			if _, err := w.exec(insertBatchSQL, rw.batch.RunID, first, last, events); err != nil {
				return nil, fmt.Errorf("append events: %w", err)
			}
		} else {
			batches.add(rw.batch.RunID, first, last, events)
		}
	}
	// Each run changed: when it last heard, what it keeps now, its
	// completion where it completes and its requests still served, in one
	// statement for the group (its rows arrays, as the batches). First: on
	// PostgreSQL it fails where a run changed since the group read it
	// (pipeline.go), before anything else is written.
	var heard heardRows
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
		if !w.db.d.pipelined {
			if _, err := w.exec(heardSQL, next, w.db.at(w.db.Now()), row.bytes, row.requestBytes, row.serving, row.last, row.marks, id); err != nil {
				return nil, fmt.Errorf("append: %w", err)
			}
			continue
		}
		heard.add(id, next, row)
	}
	if len(heard.ids) > 0 {
		h := heard
		if _, err := w.exec(w.db.d.heardRuns, w.db.at(w.db.Now()), h.ids, h.states, h.bytes, h.requestBytes, h.serving, h.last, h.marks,
			h.wasLast, h.wasServing, h.wasBytes, h.ids, len(h.ids)); err != nil {
			return nil, fmt.Errorf("append: %w", err)
		}
	}
	for i, rw := range ws {
		if rw.batch == nil || errs[i] != nil {
			continue
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
	if len(batches.runs) > 0 {
		if _, err := w.exec(w.db.d.insertBatches, batches.runs, batches.first, batches.last, batches.events); err != nil {
			return nil, fmt.Errorf("append events: %w", err)
		}
	}
	return errs, nil
}

// heardRows are runs' changes as arrays, one a column (see
// Dialect.heardRuns).
type heardRows struct {
	ids, states, marks            []string
	bytes, requestBytes, serving  []int64
	last                          []int64
	wasLast, wasServing, wasBytes []int64 // as the group read them
}

func (h *heardRows) add(id, state string, r *runRow) {
	h.ids, h.states, h.marks = append(h.ids, id), append(h.states, state), append(h.marks, r.marks)
	h.bytes, h.requestBytes, h.serving = append(h.bytes, r.bytes), append(h.requestBytes, r.requestBytes), append(h.serving, r.serving)
	h.last = append(h.last, r.last)
	h.wasLast, h.wasServing, h.wasBytes = append(h.wasLast, r.was.last), append(h.wasServing, r.was.serving), append(h.wasBytes, r.was.bytes)
}

// batchRows are batches' rows as four arrays, one a column (see
// Dialect.insertBatches).
type batchRows struct {
	runs        []string
	first, last []int64
	events      []string
}

func (b *batchRows) add(run string, first, last int64, events []byte) {
	b.runs, b.first, b.last, b.events = append(b.runs, run), append(b.first, first), append(b.last, last), append(b.events, string(events))
}

// scanRuns reads runs' rows (findRunSQL's columns) into runs.
func (w *wtx) scanRuns(runs map[string]*runRow, query string, args ...any) error {
	rs, err := w.query(query, args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		r := &runRow{}
		var id string
		if err := rs.Scan(&id, &r.state, &r.interrupted, &r.status, &r.bytes, &r.requestBytes, &r.serving, &r.last, &r.marks); err != nil {
			return err
		}
		r.read()
		runs[id] = r
	}
	return rs.Err()
}

// apply checks a batch against its run as the group has left it so far, and
// where the run takes it, numbers its events and changes the run; it returns
// the events stored, and as its row keeps them (a JSON array). Every check
// comes before the first change, so that a refusal changes nothing.
func (w *wtx) apply(row *runRow, rw *runWrite) ([]stage.Event, []byte, error) {
	b, enc := *rw.batch, rw.enc
	switch {
	case row == nil:
		return nil, nil, refuse(store.ErrNotFound)
	case stage.RunState(row.state) != stage.RunOpen || row.interrupted || row.complete:
		return nil, nil, refuse(store.ErrRunClosed) // complete, or cut off
	case b.Complete && b.Side == stage.Client && row.serving > 0 && !b.Waited:
		return nil, nil, refuse(store.ErrServing)
	}
	if b.Complete && b.Side == stage.Client {
		// The last report: what only the server knows completes it (see
		// stage.Explain). The server's stages are in by now: the recorder
		// waits for them before a completing batch.
		n := len(b.Events)
		reported := b.Events
		b = store.Explained(b, int(row.status.Int64), row.serverEnded)
		enc.events = enc.events[:n:n]
		// An event Explain changed (a cache miss that was a revalidation)
		// is encoded again: its encoding was made before it was explained.
		for i, e := range b.Events[:n] {
			if !reflect.DeepEqual(e, reported[i]) {
				again, err := w.db.d.encodeEvent(e)
				if err != nil {
					return nil, nil, refuse(err)
				}
				enc.events[i] = again
			}
		}
		for _, e := range b.Events[n:] {
			added, err := w.db.d.encodeEvent(e)
			if err != nil {
				return nil, nil, refuse(err)
			}
			enc.events = append(enc.events, added)
		}
	}
	if row.last+int64(len(b.Events)) > store.MaxEventsPerRun {
		return nil, nil, refuse(store.ErrTooManyEvents)
	}
	started, ended := clone(row.started), clone(row.ended)
	keep, err := store.Marks(started, ended, b.Events)
	if err != nil {
		return nil, nil, refuse(err)
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
		return nil, nil, refuse(store.ErrRunTooLarge)
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
	size := 2
	for _, i := range keep {
		size += len(enc.events[i]) + 8
	}
	events := make([]byte, 0, size)
	events = append(events, '[')
	marks := append(make([]byte, 0, len(row.marks)+len(keep)*12), row.marks...)
	for j, i := range keep {
		e := b.Events[i]
		row.last++
		e.Seq = row.last
		out[j] = e
		marks = row.mark(marks, e)
		if j > 0 {
			events = append(events, ',')
		}
		at := len(events)
		events = appendEvent(events, enc.events[i], e.Seq)
		if w.db.d.notify != nil {
			if len(row.stored) > 0 {
				row.stored = append(row.stored, ',')
			}
			row.stored = append(row.stored, events[at:]...)
		}
	}
	row.marks = string(marks)
	return out, append(events, ']'), nil
}

func clone(m map[stage.ID]bool) map[stage.ID]bool {
	c := make(map[stage.ID]bool, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
