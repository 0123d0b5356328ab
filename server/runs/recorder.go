// Package runs records runs: it opens them, stores each batch of events that
// the browser or the sample site reports, and pushes every stored event to
// the connections that follow the run. It also answers the lab's websocket
// messages, which are mostly about that.
package runs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"reqlab/app/stage"
	"reqlab/app/wire"
	"reqlab/server/store"
)

// Publisher pushes a message to the followers of a run.
type Publisher interface {
	Publish(run string, msg []byte)
}

// Recorder stores runs and their events and publishes each stored event.
// One recorder records a database's runs: it keeps their open runs in memory.
type Recorder struct {
	db  store.Store
	log *slog.Logger
	pub Publisher

	// locks make "store, then publish" one step per run, so that the
	// followers of a run get its events in seq order; runs that hash apart
	// are stored at once, and the database commits them together.
	locks [64]sync.Mutex

	// open keeps the runs opened here and not complete yet, with their
	// sample-site requests under way: the site finds a traced request's run
	// without a query, and the client's last report waits for those
	// requests (see Serving). The database stays the truth: a run not kept
	// here is looked up there.
	openMu    sync.Mutex
	open      map[string]*openRun
	lastSweep time.Time
}

// openRun is an open run as the sample site needs it, and its requests under
// way.
type openRun struct {
	store.OpenRun
	serving int           // requests being served and recorded
	served  chan struct{} // made by one who waits; closed when serving falls to 0
}

// openKept is how long an open run is kept in memory; one its browser never
// completes is then found through the database.
const openKept = 10 * time.Minute

// NewRecorder returns a recorder over db. SetPublisher must be called before
// events are recorded.
func NewRecorder(db store.Store, log *slog.Logger) *Recorder {
	return &Recorder{db: db, log: log, open: make(map[string]*openRun)}
}

// SetPublisher sets where stored events are pushed.
func (r *Recorder) SetPublisher(p Publisher) { r.pub = p }

// Open starts a run for a request the lab is about to send, and returns it
// with its secret, for the opener alone. The request is checked with the same
// rules as the form; what is refused is not stored.
func (r *Recorder) Open(ctx context.Context, session string, req stage.Request) (stage.Run, string, []stage.FieldError, error) {
	if errs := req.Check(); errs != nil {
		return stage.Run{}, "", errs, nil
	}
	if req.Headers == nil {
		req.Headers = []stage.Header{}
	}
	secret := stage.NewRunSecret()
	run, err := r.db.CreateRun(ctx, stage.NewRunID(), secret, session, req)
	if err != nil {
		return stage.Run{}, "", nil, fmt.Errorf("open run: %w", err)
	}
	open := store.OpenRun{Opened: run.CreatedAt, Network: req.Network, Session: session, Fresh: req.FreshConnection, Secret: secret}
	for _, c := range req.Cookies {
		open.Cookies = append(open.Cookies, c.Name)
	}
	r.keepOpen(run.ID, open)
	return run, secret, nil, nil
}

// Unavailable reports whether err says the store takes no writes for now.
func (r *Recorder) Unavailable(err error) bool { return r.db.Unavailable(err) }

// Opener returns the lab session that opened a run still open, and false
// where the run is not open (complete, or no such run).
func (r *Recorder) Opener(ctx context.Context, id string) (string, bool) {
	r.openMu.Lock()
	e := r.open[id]
	r.openMu.Unlock()
	if e != nil {
		return e.Session, true
	}
	run, ok, err := r.db.RunOpened(ctx, id)
	if err != nil {
		r.log.Error("find run", "run", id, "err", err)
	}
	return run.Session, ok
}

// Record stores a batch and publishes its events, in seq order. A batch that
// completes the run first waits, a few seconds at most, for the server's
// stages of the run that are still being recorded.
func (r *Recorder) Record(ctx context.Context, b store.Batch) ([]stage.Event, error) {
	if b.Complete {
		wait, cancel := context.WithTimeout(ctx, 5*time.Second)
		r.awaitServer(wait, b.RunID)
		cancel()
	}
	lock := &r.locks[lockIndex(b.RunID)]
	lock.Lock()
	defer lock.Unlock()
	events, err := r.db.Append(ctx, b)
	if b.Complete && err == nil || errors.Is(err, store.ErrRunClosed) {
		r.forgetOpen(b.RunID)
	}
	if err != nil {
		return nil, err
	}
	for i := range events {
		r.pub.Publish(b.RunID, encode(wire.Message{Type: wire.Event, Run: b.RunID, Event: &events[i]}))
	}
	return events, nil
}

// Serving returns the open run id names and notes that the sample site is
// serving one of its requests; Served must follow once the request's stages
// are recorded. The browser has the answer before the server has recorded its
// stages, so without this the client's last report could close the run first
// and the server's stages would be refused. It returns false where there is
// no open run with that id.
func (r *Recorder) Serving(ctx context.Context, id string) (store.OpenRun, bool) {
	r.openMu.Lock()
	e := r.open[id]
	if e == nil {
		r.openMu.Unlock()
		run, ok, err := r.db.RunOpened(ctx, id)
		if err != nil {
			r.log.Error("find run", "run", id, "err", err)
		}
		if !ok {
			return store.OpenRun{}, false
		}
		r.openMu.Lock()
		if e = r.open[id]; e == nil {
			e = &openRun{OpenRun: run}
			r.open[id] = e
		}
	}
	e.serving++
	r.openMu.Unlock()
	return e.OpenRun, true
}

// Served notes that a request Serving noted has its stages recorded.
func (r *Recorder) Served(id string) {
	r.openMu.Lock()
	defer r.openMu.Unlock()
	if e := r.open[id]; e != nil && e.serving > 0 {
		if e.serving--; e.serving == 0 && e.served != nil {
			close(e.served)
			e.served = nil
		}
	}
}

// awaitServer waits, until ctx ends, for the run's sample-site requests that
// are still being served and recorded.
func (r *Recorder) awaitServer(ctx context.Context, id string) {
	r.openMu.Lock()
	e := r.open[id]
	if e == nil || e.serving == 0 {
		r.openMu.Unlock()
		return
	}
	if e.served == nil {
		e.served = make(chan struct{})
	}
	served := e.served
	r.openMu.Unlock()
	select {
	case <-served:
	case <-ctx.Done():
	}
}

// lockIndex picks a run's lock by its id's last byte, which is random.
func lockIndex(id string) int {
	if len(id) < 2 {
		return 0
	}
	var b byte
	for _, c := range []byte(id[len(id)-2:]) {
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

// keepOpen keeps a run just opened, and lets go of those kept too long.
func (r *Recorder) keepOpen(id string, run store.OpenRun) {
	r.openMu.Lock()
	defer r.openMu.Unlock()
	r.open[id] = &openRun{OpenRun: run}
	if now := time.Now(); now.Sub(r.lastSweep) > time.Minute {
		r.lastSweep = now
		for id, e := range r.open {
			if e.serving == 0 && now.Sub(e.Opened) > openKept {
				delete(r.open, id)
			}
		}
	}
}

// forgetOpen lets go of a run that is complete.
func (r *Recorder) forgetOpen(id string) {
	r.openMu.Lock()
	defer r.openMu.Unlock()
	if e := r.open[id]; e != nil {
		if e.served != nil {
			close(e.served)
		}
		delete(r.open, id)
	}
}

// Exists reports whether a run is stored.
func (r *Recorder) Exists(ctx context.Context, id string) bool {
	ok, err := r.db.RunExists(ctx, id)
	if err != nil {
		r.log.Error("find run", "run", id, "err", err)
	}
	return ok
}
