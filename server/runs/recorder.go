// Package runs records runs: it opens them, stores each batch of events that
// the browser or the sample site reports, and pushes every stored event to
// the connections that follow the run. It also answers the lab's websocket
// messages, which are mostly about that.
package runs

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"reqlab/app/stage"
	"reqlab/app/wire"
	"reqlab/server/sqlite"
)

// Publisher pushes a message to the followers of a run.
type Publisher interface {
	Publish(run string, msg []byte)
}

// Recorder stores runs and their events and publishes each stored event.
type Recorder struct {
	db  *sqlite.DB
	log *slog.Logger
	pub Publisher

	// locks make "store, then publish" one step per run, so that the
	// followers of a run get its events in seq order; runs that hash apart
	// are stored at once, and the database commits them together.
	locks [64]sync.Mutex

	// busy counts, per run, the sample-site requests still being served and
	// recorded; the client's last report waits for them (see Begin).
	busyMu sync.Mutex
	busy   map[string]*inflight
}

type inflight struct {
	n    int
	done chan struct{} // closed when n falls to 0
}

// NewRecorder returns a recorder over db. SetPublisher must be called before
// events are recorded.
func NewRecorder(db *sqlite.DB, log *slog.Logger) *Recorder {
	return &Recorder{db: db, log: log, busy: make(map[string]*inflight)}
}

// SetPublisher sets where stored events are pushed.
func (r *Recorder) SetPublisher(p Publisher) { r.pub = p }

// Open starts a run for a request the lab is about to send. The request is
// checked with the same rules as the form; what is refused is not stored.
func (r *Recorder) Open(ctx context.Context, session string, req stage.Request) (stage.Run, []stage.FieldError, error) {
	if errs := req.Check(); errs != nil {
		return stage.Run{}, errs, nil
	}
	if req.Headers == nil {
		req.Headers = []stage.Header{}
	}
	run, err := r.db.CreateRun(ctx, stage.NewRunID(), session, req)
	if err != nil {
		return stage.Run{}, nil, fmt.Errorf("open run: %w", err)
	}
	return run, nil, nil
}

// Record stores a batch and publishes its events, in seq order. A batch that
// completes the run first waits, a few seconds at most, for the server's
// stages of the run that are still being recorded.
func (r *Recorder) Record(ctx context.Context, b sqlite.Batch) ([]stage.Event, error) {
	if b.Complete {
		wait, cancel := context.WithTimeout(ctx, 5*time.Second)
		r.awaitServer(wait, b.RunID)
		cancel()
	}
	lock := &r.locks[lockIndex(b.RunID)]
	lock.Lock()
	defer lock.Unlock()
	events, err := r.db.Append(ctx, b)
	if err != nil {
		return nil, err
	}
	for i := range events {
		r.pub.Publish(b.RunID, encode(wire.Message{Type: wire.Event, Run: b.RunID, Event: &events[i]}))
	}
	return events, nil
}

// Begin notes that the sample site is serving a request of run id; the
// returned func notes that its server stages are recorded. The browser has
// the response before the server has recorded its stages, so without this the
// client's last report could close the run first and the server's stages
// would be refused.
func (r *Recorder) Begin(id string) (end func()) {
	r.busyMu.Lock()
	defer r.busyMu.Unlock()
	f := r.busy[id]
	if f == nil {
		f = &inflight{done: make(chan struct{})}
		r.busy[id] = f
	}
	f.n++
	var once sync.Once
	return func() {
		once.Do(func() {
			r.busyMu.Lock()
			defer r.busyMu.Unlock()
			if f.n--; f.n == 0 {
				close(f.done)
				delete(r.busy, id)
			}
		})
	}
}

// awaitServer waits, until ctx ends, for the run's sample-site requests that
// are still being recorded.
func (r *Recorder) awaitServer(ctx context.Context, id string) {
	r.busyMu.Lock()
	f := r.busy[id]
	r.busyMu.Unlock()
	if f == nil {
		return
	}
	select {
	case <-f.done:
	case <-ctx.Done():
	}
}

// lockIndex picks a run's lock by its id (random hex: its first byte will do).
func lockIndex(id string) int {
	if len(id) < 2 {
		return 0
	}
	var b byte
	for _, c := range []byte(id[:2]) {
		b <<= 4
		switch {
		case '0' <= c && c <= '9':
			b |= c - '0'
		case 'a' <= c && c <= 'f':
			b |= c - 'a' + 10
		}
	}
	return int(b) % 64
}

// Since returns a run's stored events after seq after.
func (r *Recorder) Since(ctx context.Context, id string, after int64) ([]stage.Event, error) {
	return r.db.Events(ctx, id, after)
}

// Opened returns an open run, and false where there is no open run with
// that id.
func (r *Recorder) Opened(ctx context.Context, id string) (sqlite.OpenRun, bool) {
	run, ok, err := r.db.RunOpened(ctx, id)
	if err != nil {
		r.log.Error("find run", "run", id, "err", err)
	}
	return run, ok
}

// Exists reports whether a run is stored.
func (r *Recorder) Exists(ctx context.Context, id string) bool {
	ok, err := r.db.RunExists(ctx, id)
	if err != nil {
		r.log.Error("find run", "run", id, "err", err)
	}
	return ok
}
