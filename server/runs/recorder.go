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
	"strings"
	"sync"
	"time"

	"reqlab/app/lesson"
	"reqlab/app/stage"
	"reqlab/app/wire"
	"reqlab/server/store"
)

// Publisher pushes a message to the followers of a run, on this server.
type Publisher interface {
	Publish(run string, msg []byte)
	// Following reports whether any connection here follows run.
	Following(run string) bool
}

// Store is what the recorder needs of the store: the runs, and the answers
// to the lessons' questions it keeps.
type Store interface {
	store.Runs
	store.Answers
}

// Recorder stores runs and their events and publishes each stored event to
// the run's followers on this server, in seq order. On a store that several
// servers share (store.Shared) the events other servers store reach this
// one's followers too: the store tells of each batch (Notified), and the
// recorder reads the events after the last it published.
type Recorder struct {
	db     Store
	shared store.Shared // nil: this server is the store's only one
	log    *slog.Logger
	pub    Publisher

	// sent holds, for each run this server published events of lately, the
	// last seq it published: what follows is read from the store where it
	// was not stored here. Touched under the run's lock (locks).
	sentMu    sync.Mutex
	sent      map[string]*cursor
	sentSwept time.Time

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

	// On a shared store, the requests this server is serving, per run, and
	// of those the ones whose last batch counted them served in its own
	// transaction (store.Batch.Served): Served then has nothing to write.
	// Touched under openMu.
	servingHere, servedInBatch map[string]int

	// news holds, on a shared store, the runs whose last report waits for
	// news of them (see appendServed).
	newsMu sync.Mutex
	news   map[string]*runNews
}

// cursor is the last seq published of a run, and when.
type cursor struct {
	seq     int64
	touched time.Time
}

// openRun is an open run as the sample site needs it, and its requests under
// way.
type openRun struct {
	store.OpenRun
	secret  string        // the run's secret itself, known here where it was opened: taken out of what it keeps
	serving int           // requests being served and recorded
	served  chan struct{} // made by one who waits; closed when serving falls to 0
}

// openKept is how long an open run is kept in memory; one its browser never
// completes is then found through the database.
const openKept = 10 * time.Minute

// NewRecorder returns a recorder over db. SetPublisher must be called before
// events are recorded.
func NewRecorder(db Store, log *slog.Logger) *Recorder {
	r := &Recorder{db: db, log: log, open: make(map[string]*openRun), sent: make(map[string]*cursor),
		servingHere: make(map[string]int), servedInBatch: make(map[string]int), news: make(map[string]*runNews)}
	r.shared, _ = db.(store.Shared)
	return r
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
	// The request as meant may name a traceparent (typed in a header, or
	// in the URL): its parent-id is someone's secret, and is not kept.
	req = redactRequest(req, "")
	// The store keeps the secret's digest, not the secret.
	secret := stage.NewRunSecret()
	digest := store.SecretDigest(secret)
	run, err := r.db.CreateRun(ctx, stage.NewRunID(), digest, session, req)
	if err != nil {
		return stage.Run{}, "", nil, fmt.Errorf("open run: %w", err)
	}
	open := store.OpenRun{Opened: run.CreatedAt, Network: req.Network, Session: session, Fresh: req.FreshConnection, Secret: digest}
	for _, c := range req.Cookies {
		open.Cookies = append(open.Cookies, c.Name)
	}
	r.keepOpen(run.ID, open, secret)
	r.cursor(run.ID) // its opener follows it here, from the first seq
	return run, secret, nil, nil
}

// Unavailable reports whether err says the store takes no writes for now.
func (r *Recorder) Unavailable(err error) bool { return r.db.Unavailable(err) }

// Opener returns the lab session that opened a run still open, and false
// where the run is not open (complete, or no such run).
func (r *Recorder) Opener(ctx context.Context, id string) (string, bool) {
	run, ok := r.Opened(ctx, id)
	return run.Session, ok
}

// Opened returns an open run, from memory where it was opened here, else
// from the store; false where there is none. Unlike Serving it notes
// nothing.
func (r *Recorder) Opened(ctx context.Context, id string) (store.OpenRun, bool) {
	r.openMu.Lock()
	e := r.open[id]
	r.openMu.Unlock()
	if e != nil {
		return e.OpenRun, true
	}
	run, ok, err := r.db.RunOpened(ctx, id)
	if err != nil {
		r.log.Error("find run", "run", id, "err", err)
	}
	return run, ok
}

// Record stores a batch and publishes its events, in seq order. A batch that
// completes the run first waits, a few seconds at most, for the server's
// stages of the run that are still being recorded.
//
// The run's secret (b.Secret, or the one kept here where the run was opened
// here), and any traceparent's parent-id, is taken out of all the batch
// carries first: what is stored is what anyone with the run's link reads,
// its HAR and its watchers' events.
func (r *Recorder) Record(ctx context.Context, b store.Batch) ([]stage.Event, error) {
	if b.Secret == "" {
		r.openMu.Lock()
		if e := r.open[b.RunID]; e != nil {
			b.Secret = e.secret
		}
		r.openMu.Unlock()
	}
	b = redactBatch(b, b.Secret)
	b.Secret = ""
	if b.Complete {
		wait, cancel := context.WithTimeout(ctx, 5*time.Second)
		r.awaitServer(wait, b.RunID)
		cancel()
	}
	var news *runNews
	if r.shared != nil && b.Complete && b.Side == stage.Client {
		// Listened for before the first try, so that news stored while
		// it is refused is not missed.
		news = r.listenNews(b.RunID)
		defer r.stopNews(b.RunID, news)
	}
	folded := r.shared != nil && b.Side == stage.Server && b.Response != nil && r.foldServed(b.RunID)
	b.Served = folded
	heard := news.heard()
	events, err := r.append(ctx, b)
	if errors.Is(err, store.ErrServing) {
		// A shared store counts the run's requests still being served, on
		// any server: the last report waits for them (a few seconds at
		// most), then is stored whatever the count says.
		wait, cancel := context.WithTimeout(ctx, 5*time.Second)
		events, err = r.appendServed(ctx, wait, b, news, heard)
		cancel()
	}
	if folded && err == nil {
		r.openMu.Lock()
		r.servedInBatch[b.RunID]++
		r.openMu.Unlock()
	}
	return events, err
}

// newsPatience is how long a run's last report, refused while another
// server serves one of its requests, waits for news of the run before it
// reads the count instead. The server that serves it counts the request
// served in the transaction that stores its stages, and that transaction's
// news is what the last report waits for: a few milliseconds. Where no news
// comes (the request was counted served apart from its stages, or the
// listener is down) the count is read, as often as it takes.
const newsPatience = 250 * time.Millisecond

// appendServed stores a run's last report that the store refused while one
// of its requests was being served (store.ErrServing): again each time news
// of the run comes, until it is stored or refused otherwise; where none
// comes in newsPatience, once the count reads none served (AwaitServed),
// whatever it says once wait ends.
func (r *Recorder) appendServed(ctx, wait context.Context, b store.Batch, news *runNews, heard int) ([]stage.Event, error) {
	for {
		var ok bool
		if heard, ok = news.await(wait, heard, newsPatience); !ok {
			r.shared.AwaitServed(wait, b.RunID)
			b.Waited = true
			return r.append(ctx, b)
		}
		events, err := r.append(ctx, b)
		if !errors.Is(err, store.ErrServing) {
			return events, err
		}
	}
}

// runNews counts the news a shared store gave of one run, for the run's
// last reports waiting for it (see appendServed).
type runNews struct {
	mu        sync.Mutex
	n         int           // news heard since it was listened for
	next      chan struct{} // closed at the next news
	listeners int
}

// heard returns how many news of the run were heard so far.
func (n *runNews) heard() int {
	if n == nil {
		return 0
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.n
}

// await waits for news after the first seen of them, for patience at
// most, and returns how many were heard then; false where none came in
// time or ctx ended first.
func (n *runNews) await(ctx context.Context, seen int, patience time.Duration) (int, bool) {
	if n == nil {
		return seen, false
	}
	n.mu.Lock()
	if n.n > seen {
		defer n.mu.Unlock()
		return n.n, true
	}
	next := n.next
	n.mu.Unlock()
	t := time.NewTimer(patience)
	defer t.Stop()
	select {
	case <-next:
		return n.heard(), true
	case <-t.C:
	case <-ctx.Done():
	}
	return seen, false
}

// listenNews starts counting the news of a run; stopNews ends it.
func (r *Recorder) listenNews(run string) *runNews {
	r.newsMu.Lock()
	defer r.newsMu.Unlock()
	n := r.news[run]
	if n == nil {
		n = &runNews{next: make(chan struct{})}
		r.news[run] = n
	}
	n.listeners++
	return n
}

func (r *Recorder) stopNews(run string, n *runNews) {
	r.newsMu.Lock()
	defer r.newsMu.Unlock()
	if n.listeners--; n.listeners == 0 {
		delete(r.news, run)
	}
}

// tellNews wakes whoever waits for news of the run.
func (r *Recorder) tellNews(run string) {
	r.newsMu.Lock()
	n := r.news[run]
	r.newsMu.Unlock()
	if n == nil {
		return
	}
	n.mu.Lock()
	n.n++
	close(n.next)
	n.next = make(chan struct{})
	n.mu.Unlock()
}

// append stores a batch and publishes its events, under the run's lock.
func (r *Recorder) append(ctx context.Context, b store.Batch) ([]stage.Event, error) {
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
	r.deliver(ctx, b.RunID, events)
	return events, nil
}

// foldServed reports whether a server batch that carries its request's
// answer (the request's last) may count that request served in its own
// transaction: one of the run's requests is being served here.
func (r *Recorder) foldServed(run string) bool {
	r.openMu.Lock()
	defer r.openMu.Unlock()
	return r.servingHere[run] > r.servedInBatch[run]
}

// deliver publishes a run's events after the last published here, in seq
// order: stored, those just stored here, where they follow on; else those
// the store holds after the last published (some were stored by another
// server). The caller holds the run's lock.
func (r *Recorder) deliver(ctx context.Context, run string, stored []stage.Event) {
	if len(stored) == 0 && r.shared == nil {
		return
	}
	c := r.cursor(run)
	switch {
	case !r.pub.Following(run):
		// No one here to tell; one who comes reads what is stored (Since).
		if n := len(stored); n > 0 && stored[0].Seq == c.seq+1 {
			c.seq = stored[n-1].Seq
		}
		return
	case len(stored) > 0 && stored[0].Seq == c.seq+1:
	case len(stored) > 0 && stored[len(stored)-1].Seq <= c.seq:
		return // published already
	default:
		var err error
		if stored, err = r.db.Events(ctx, run, c.seq); err != nil {
			r.log.Error("read events stored by another server", "run", run, "err", err)
			return
		}
	}
	for i := range stored {
		if stored[i].Seq <= c.seq {
			continue
		}
		r.pub.Publish(run, encode(wire.Message{Type: wire.Event, Run: run, Event: &stored[i]}))
		c.seq = stored[i].Seq
	}
}

// cursor returns where publishing a run stands here, and lets go of those
// not touched for a while.
func (r *Recorder) cursor(run string) *cursor {
	r.sentMu.Lock()
	defer r.sentMu.Unlock()
	now := time.Now()
	c := r.sent[run]
	if c == nil {
		c = &cursor{}
		r.sent[run] = c
	}
	c.touched = now
	if now.Sub(r.sentSwept) > time.Minute {
		r.sentSwept = now
		for id, c := range r.sent {
			if now.Sub(c.touched) > openKept {
				delete(r.sent, id)
			}
		}
	}
	return c
}

// Notified is told that some server stored events of run up to seq, and
// given those events where the news carried them, undecoded: those this
// server's followers lack are published, decoded here only then, and read
// from the store where the news did not carry them.
func (r *Recorder) Notified(ctx context.Context, run string, seq int64, events store.Carried) {
	if !r.pub.Following(run) {
		return
	}
	lock := &r.locks[lockIndex(run)]
	lock.Lock()
	defer lock.Unlock()
	if r.cursor(run).seq >= seq {
		return // stored here, or read already
	}
	r.deliver(ctx, run, events.Events())
}

// Notifications returns what to call for each batch the store tells of:
// Notified, for up to 32 runs at once (a run's own news is published in
// order whatever the order they are handled in: each reads what follows the
// last published), until ctx ends. News of a run no one follows here is
// dropped undecoded.
func (r *Recorder) Notifications(ctx context.Context) func(run string, seq int64, events store.Carried) {
	busy := make(chan struct{}, 32)
	return func(run string, seq int64, events store.Carried) {
		r.tellNews(run)
		if !r.pub.Following(run) {
			return
		}
		select {
		case busy <- struct{}{}:
		case <-ctx.Done():
			return
		}
		go func() {
			defer func() { <-busy }()
			r.Notified(ctx, run, seq, events)
		}()
	}
}

// CatchUp publishes, for every run followed here, what the store holds
// beyond what was published: news from other servers may have been missed
// (the store's listener was down).
func (r *Recorder) CatchUp(ctx context.Context) {
	r.sentMu.Lock()
	runs := make([]string, 0, len(r.sent))
	for id := range r.sent {
		runs = append(runs, id)
	}
	r.sentMu.Unlock()
	for _, run := range runs {
		if !r.pub.Following(run) {
			continue
		}
		lock := &r.locks[lockIndex(run)]
		lock.Lock()
		r.deliver(ctx, run, nil)
		lock.Unlock()
	}
}

// Serving returns the open run id names and notes that the sample site is
// serving one of its requests; Served must follow once the request's stages
// are recorded. The browser has the answer before the server has recorded its
// stages, so without this the client's last report could close the run first
// and the server's stages would be refused. It returns false where there is
// no open run with that id.
//
// A run opened on this server is counted here, in memory: its last report
// comes through the page's socket, to this server, and waits here. On a
// shared store a request of a run opened on another server is counted in
// the store, since that run's last report reaches the other server.
func (r *Recorder) Serving(ctx context.Context, id string) (store.OpenRun, bool) {
	r.openMu.Lock()
	if e := r.open[id]; e != nil {
		e.serving++
		r.openMu.Unlock()
		return e.OpenRun, true
	}
	r.openMu.Unlock()
	if r.shared != nil {
		run, ok, err := r.shared.Serving(ctx, id)
		if err != nil {
			r.log.Error("find run", "run", id, "err", err)
		}
		if ok {
			r.openMu.Lock()
			r.servingHere[id]++
			r.openMu.Unlock()
		}
		return run, ok
	}
	run, ok, err := r.db.RunOpened(ctx, id)
	if err != nil {
		r.log.Error("find run", "run", id, "err", err)
	}
	if !ok {
		return store.OpenRun{}, false
	}
	r.openMu.Lock()
	e := r.open[id]
	if e == nil {
		e = &openRun{OpenRun: run}
		r.open[id] = e
	}
	e.serving++
	r.openMu.Unlock()
	return e.OpenRun, true
}

// Served notes that a request Serving noted has its stages recorded.
func (r *Recorder) Served(id string) {
	r.openMu.Lock()
	if r.shared != nil && r.servingHere[id] > 0 {
		// Counted in the store: the batch of its stages may have counted
		// it served already (store.Batch.Served).
		inBatch := r.servedInBatch[id] > 0
		if inBatch {
			r.servedInBatch[id]--
		}
		if r.servingHere[id]--; r.servingHere[id] == 0 {
			delete(r.servingHere, id)
			delete(r.servedInBatch, id)
		}
		r.openMu.Unlock()
		if !inBatch {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := r.shared.Served(ctx, id); err != nil {
				r.log.Error("note request served", "run", id, "err", err)
			}
			cancel()
		}
		return
	}
	defer r.openMu.Unlock()
	if e := r.open[id]; e != nil && e.serving > 0 {
		if e.serving--; e.serving == 0 && e.served != nil {
			close(e.served)
			e.served = nil
		}
	}
}

// awaitServer waits, until ctx ends, for the run's sample-site requests that
// are still being served and recorded here. (On a shared store, those other
// servers serve are waited for as the store counts them: see Record.)
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
// The run is followed here from now on: later events are published from
// the last of these.
func (r *Recorder) Since(ctx context.Context, id string, after int64) ([]stage.Event, error) {
	lock := &r.locks[lockIndex(id)]
	lock.Lock()
	defer lock.Unlock()
	events, err := r.db.Events(ctx, id, after)
	if n := len(events); err == nil && n > 0 {
		if c := r.cursor(id); events[n-1].Seq > c.seq {
			c.seq = events[n-1].Seq
		}
	}
	return events, err
}

// keepOpen keeps a run just opened, with its secret, and lets go of those
// kept too long.
func (r *Recorder) keepOpen(id string, run store.OpenRun, secret string) {
	r.openMu.Lock()
	defer r.openMu.Unlock()
	r.open[id] = &openRun{OpenRun: run, secret: secret}
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

// Ran reports whether a session ran a lesson's experiment: a complete run of
// one of its steps' requests (its method and path; the query is the
// lab's, the ticket of a page).
func (r *Recorder) Ran(ctx context.Context, session string, ls lesson.Lesson) bool {
	return len(r.RanOf(ctx, session, []lesson.Lesson{ls})) == 1
}

// RanOf returns those of lessons whose experiment the session has run, from
// one read of its runs.
func (r *Recorder) RanOf(ctx context.Context, session string, lessons []lesson.Lesson) []lesson.Lesson {
	if len(lessons) == 0 {
		return nil
	}
	runs, err := r.db.Runs(ctx, session, 200)
	if err != nil {
		r.log.Error("read a session's runs", "err", err)
		return nil
	}
	var out []lesson.Lesson
	for _, ls := range lessons {
		if ran(runs, ls) {
			out = append(out, ls)
		}
	}
	return out
}

// ran reports whether one of runs is a complete run of a step of ls.
func ran(runs []stage.RunSummary, ls lesson.Lesson) bool {
	for _, run := range runs {
		path, _, _ := strings.Cut(run.URL, "?")
		for _, st := range ls.Steps {
			want, _, _ := strings.Cut(st.Request.URL, "?")
			if run.State == stage.RunComplete && run.Method == st.Request.Method && path == want {
				return true
			}
		}
	}
	return false
}

// AnsweredRight returns the lessons whose question a session has answered
// right.
func (r *Recorder) AnsweredRight(ctx context.Context, session string) []lesson.Lesson {
	answers, err := r.db.Answers(ctx, session)
	if err != nil {
		r.log.Error("read a session's answers", "err", err)
		return nil
	}
	var out []lesson.Lesson
	seen := map[string]bool{}
	for _, a := range answers {
		if ls, ok := lesson.Find(a.Lesson); ok && a.Correct && !seen[a.Lesson] {
			seen[a.Lesson] = true
			out = append(out, ls)
		}
	}
	return out
}

// KeepAnswer keeps a session's answer to a lesson's question.
func (r *Recorder) KeepAnswer(ctx context.Context, a store.Answer) error {
	return r.db.KeepAnswer(ctx, a)
}

// Exists reports whether a run is stored.
func (r *Recorder) Exists(ctx context.Context, id string) bool {
	ok, err := r.db.RunExists(ctx, id)
	if err != nil {
		r.log.Error("find run", "run", id, "err", err)
	}
	return ok
}
