// Package site is the sample website that the lab's requests travel to: a
// small JSON API over the courses in SQLite, its backend instrumented so that
// every request is measured stage by stage (receive, route, db, respond).
//
// A request whose W3C traceparent names an open run of the lab has its stages
// recorded in that run; every response carries them in Server-Timing. A
// request with no traceparent (curl, say) is served just the same.
package site

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"reqlab/app/stage"
	"reqlab/app/wire"
	"reqlab/server/site/ticket"
	"reqlab/server/store"
)

// Limits of the sample site, like a real server's: a larger request is
// refused before any route sees it.
const (
	MaxBodyBytes   = 64 << 10 // the body it reads
	MaxHeaderBytes = 8 << 10  // the request line and headers, nginx's default
)

// Recorder keeps the server's events of a run.
type Recorder interface {
	// Serving returns an open run, and false if there is none; for an open
	// run it notes one of its requests under way, until Served.
	Serving(ctx context.Context, id string) (store.OpenRun, bool)
	// Served notes a request's stages recorded.
	Served(id string)
	// Opened returns an open run, noting nothing.
	Opened(ctx context.Context, id string) (store.OpenRun, bool)
	Record(ctx context.Context, b store.Batch) ([]stage.Event, error)
}

// recordTimeout bounds recording a request's stages once it is answered.
const recordTimeout = 10 * time.Second

// Site is the sample site's handler.
type Site struct {
	db  store.Store
	rec Recorder
	log *slog.Logger
	mux *http.ServeMux
	// loads are the pages served here on a page-load ticket, lately: their
	// assets are known by them.
	loads pageLoads
}

// New returns the sample site, serving under /site/.
func New(db store.Store, rec Recorder, log *slog.Logger) *Site {
	s := &Site{db: db, rec: rec, log: log, mux: http.NewServeMux()}
	s.mount() // its routes (routes.go)
	return s
}

// handle adds a route whose handler is reached once the mux has chosen it:
// that moment ends the route stage.
func (s *Site) handle(pattern string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		measureOf(w).route(r.Pattern)
		h(w, r)
	})
}

// ServeHTTP measures the request through each server stage while the routes
// answer it, then records the stages in the request's run, if it has one.
func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rw := &responseWriter{ResponseWriter: w}
	m := &rw.m
	start := time.Now()
	arrived, known := arrival(r)
	m.arrived = arrived
	m.message = s.db.Message
	if !known || arrived.After(start) {
		m.arrived = start
	}
	m.readRequest(r)
	tooLarge := false
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		var err error
		body, err = io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
		if err != nil {
			http.Error(w, "could not read the request body", http.StatusBadRequest)
			return
		}
		if tooLarge = len(body) > MaxBodyBytes; tooLarge {
			body = body[:MaxBodyBytes]
		}
		m.bodyBytes = int64(len(body))
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	m.received = time.Now()

	// Is the request part of a run? The answer is needed before the response
	// goes out, so that the run waits for these stages (see Recorder.Serving).
	// A page that the browser navigates to cannot carry a header of the
	// lab's: it names its run by a page-load ticket in the query instead
	// (see package ticket), never by the run's secret.
	runID, secret, traced := stage.ParseTraceparent(r.Header.Get("Traceparent"))
	tk := ""
	if !traced && r.Method == http.MethodGet && r.URL.RawQuery != "" {
		if tk = r.URL.Query().Get(wire.TicketParam); tk != "" {
			runID, traced = ticket.Run(tk)
		}
	}
	var run store.OpenRun
	var early chan struct{} // closed once the early batch is recorded
	if traced {
		if run, traced = s.rec.Serving(r.Context(), runID); traced {
			defer s.rec.Served(runID)
			// The run's id is public; its secret was told to its opener
			// alone, its ticket is good for one page. A request without
			// either is served, not recorded.
			if tk != "" {
				now := time.Now()
				traced = ticket.Valid(tk, run.Secret, now, true) && s.loads.spend(tk, pageLoad{run: runID, fresh: run.Fresh}, now)
			} else {
				traced = subtle.ConstantTimeCompare([]byte(store.SecretDigest(secret)), []byte(run.Secret)) == 1
			}
			if traced {
				rw.keep = true // the answer's body is kept with the run
			} else {
				run = store.OpenRun{}
			}
		}
	}
	if traced && tk != "" {
		// What the run keeps of the page's address names the run, not
		// the tk it spent.
		m.uri = strings.Replace(m.uri, tk, ticket.Spent(tk), 1)
	}

	if n, ok := stage.NetworkOf(run.Network); ok && n.ID != "" {
		rw.network = &n
		m.network = n.ID
		if traced {
			// The answer will be held back: the server's stages, respond's
			// end included, are recorded as the server hands its answer to
			// the network, beside it (the answer does not wait for the
			// database), so that the student sees them while the browser
			// waits. What the network then takes (its round trip, its
			// bandwidth) is the network's, not respond's: the browser's
			// wait and download measure it. An answer not held back is out
			// a few microseconds later, and its stages go in one batch then.
			early = make(chan struct{})
			rw.answering = func(status int) {
				handed := time.Now()
				rw.keepHeaders(status, rw.Header())
				events := append(m.early(run.Opened), m.answered(run.Opened, handed, status, rw.headerBytes, bodyBytes(r, rw.Header())))
				go func() {
					defer close(early)
					s.record(r.Context(), store.Batch{RunID: runID, Side: stage.Server, Events: events, Secret: secret})
				}()
			}
		}
	}
	if !traced && s.freshLoad(r) {
		rw.Header().Set("Connection", "close") // see freshLoad
	}
	if traced {
		r = r.WithContext(context.WithValue(r.Context(), sessionKey{}, run.Session))
		if run.Fresh {
			// The run asked for a connection of its own: once answered, it
			// is closed, so that the next such request opens another.
			rw.Header().Set("Connection", "close")
		}
	}
	m.routeStart = time.Now()
	switch {
	case m.headerBytes > MaxHeaderBytes:
		// Refused before any route, as nginx refuses a request whose
		// headers (cookies, mostly) pass its buffer.
		m.refuse(stage.ReasonHeadersTooLarge)
		s.json(rw, r, http.StatusRequestHeaderFieldsTooLarge, errorBody{Error: fmt.Sprintf(say(r,
			"las cabeceras de la petición ocupan %d bytes y este servidor acepta %d como mucho: sobran cookies",
			"the request's headers take %d bytes and this server takes %d at most: too many cookies"), m.headerBytes, MaxHeaderBytes)})
	case tooLarge:
		m.refuse(stage.ReasonTooLarge)
		s.json(rw, r, http.StatusRequestEntityTooLarge, errorBody{Error: say(r, "el cuerpo de la petición pasa de 64 KB", "the request body is over 64 KB")})
	default:
		s.mux.ServeHTTP(rw, r)
	}
	if rw.status == 0 {
		rw.WriteHeader(http.StatusOK)
	}
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	m.flushed = time.Now()

	if !traced {
		return // no run, or not an open run of this lab: served, not recorded
	}
	// What the run keeps of the request and the answer's headers is taken
	// now that the answer is out, not on its way.
	m.keepRequest(r, body, func(name string) bool { return name == visitsCookie || slices.Contains(run.Cookies, name) })
	rw.keepHeaders(rw.status, rw.Header())
	var events []stage.Event
	if early != nil {
		<-early // the run's events stay in the order they happened
	} else {
		events = append(m.early(run.Opened), m.answered(run.Opened, m.flushed, rw.status, rw.headerBytes, &m.respBytes))
	}
	s.record(r.Context(), store.Batch{
		RunID:    runID,
		Side:     stage.Server,
		Request:  &m.request,
		Response: &stage.Response{Status: rw.status, Headers: rw.headers, Body: rw.body.String(), BodyTruncated: rw.truncated},
		Events:   events,
		Secret:   secret, // the one it carried, taken out of what is kept (see runs.Recorder.Record)
	})
}

// freshLoad reports whether r is an asset of a page loaded on a connection of
// its own (stage.Request.FreshConnection): a request that names no run but
// comes from such a page, as its Referer (the page's address, with the
// ticket it spent) and the record of that load say. The browser loads such a
// page in a partition of its own (see browser.LoadFrame); the connections
// its assets open there are closed once answered, like the page's, so that
// the next fresh load finds none open and opens its own.
//
// Where the page was served by another server of a shared store, the record
// is that server's: the ticket is then checked against its run (open, and
// asking for a connection of its own), expired or not.
func (s *Site) freshLoad(r *http.Request) bool {
	ref, err := url.Parse(r.Referer())
	if err != nil || ref.Host != r.Host || !strings.HasPrefix(ref.Path, "/site/") {
		return false
	}
	tk := ref.Query().Get(wire.TicketParam)
	id, ok := ticket.Run(tk)
	if !ok {
		return false
	}
	if load, ok := s.loads.find(tk, time.Now()); ok {
		return load.fresh
	}
	run, ok := s.rec.Opened(r.Context(), id)
	return ok && run.Fresh && ticket.Valid(tk, run.Secret, time.Now(), false)
}

type sessionKey struct{}

// sessionOf returns the lab session a request's run belongs to: whose sample
// data it reads and writes. A request that is no run's (curl, say) has none
// and sees the seed catalogue alone.
func sessionOf(r *http.Request) string {
	s, _ := r.Context().Value(sessionKey{}).(string)
	return s
}

// record stores a batch of a request's server stages. The answer is out or
// on its way: recording must not hang on the client staying.
func (s *Site) record(ctx context.Context, b store.Batch) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	_, err := s.rec.Record(ctx, b)
	if errors.Is(err, store.ErrRunTooLarge) {
		// The run's page filled it with reports of its own: its server
		// stages are not kept, and nothing is wrong here.
		s.log.Warn("record server stages: the run is full", "run", b.RunID)
		return
	}
	if err != nil && !errors.Is(err, store.ErrStageEnded) && !errors.Is(err, store.ErrRunClosed) {
		s.log.Error("record server stages", "run", b.RunID, "err", err)
	}
}

// responseWriter sees the status, headers and bytes of the answer, and adds
// Server-Timing as the headers go out. For a traced request it keeps them,
// with Date and the body's first MaxBodyBytes, to record with the run.
type responseWriter struct {
	http.ResponseWriter
	m           measure // the request's, found by its handlers through measureOf
	status      int
	keep        bool
	headerBytes int64
	headers     []stage.Header
	body        strings.Builder
	truncated   bool
	network     *stage.Network   // a simulated network to hold the answer back by
	answering   func(status int) // called as the answer is handed to a simulated network, for a traced request
}

// Unwrap lets http.ResponseController reach the connection's writer (to
// flush a body sent in pieces).
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *responseWriter) WriteHeader(status int) {
	if w.status != 0 {
		return
	}
	w.status = status
	w.m.responding()
	h := w.Header()
	if st := w.m.serverTiming(); st != "" {
		h["Server-Timing"] = []string{st}
	}
	if w.keep {
		// The server would add Date itself; added here, the run keeps it.
		var date [len(http.TimeFormat)]byte
		h["Date"] = []string{string(time.Now().UTC().AppendFormat(date[:0], http.TimeFormat))}
	}
	if w.answering != nil {
		w.answering(status)
	}
	if w.network != nil {
		time.Sleep(w.network.Latency) // a slow network's round trip, simulated
	}
	w.ResponseWriter.WriteHeader(status)
}

// bodyBytes is the size of the body an answer is about to send, from its
// Content-Length (every answer of the site has one); none for HEAD.
func bodyBytes(r *http.Request, h http.Header) *int64 {
	var n int64
	if r.Method == http.MethodHead {
		return &n
	}
	n, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64)
	if err != nil || n < 0 {
		return nil
	}
	return &n
}

// keepHeaders keeps the status line and headers as they went out, sorted by
// name, and their size on the wire.
func (w *responseWriter) keepHeaders(status int, h http.Header) {
	w.headers = appendHeaders(make([]stage.Header, 0, len(h)), h)
	n := len("HTTP/1.1") + 1 + 3 + 1 + len(http.StatusText(status)) + 2
	for _, line := range w.headers {
		n += lineBytes(line.Name, line.Value)
	}
	w.headerBytes = int64(n + 2)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.write(b)
	w.m.respBytes += int64(n)
	if w.keep {
		keep := min(n, MaxBodyBytes-w.body.Len())
		if w.body.Len() == 0 {
			w.body.Grow(keep)
		}
		w.body.Write(b[:keep])
		w.truncated = w.truncated || keep < n
	}
	return n, err
}

// write sends b, no faster than the simulated network's bandwidth if there is
// one: a kilobyte at a time, each after the time it takes on the slow link,
// then flushed, so that it arrives when it would have.
func (w *responseWriter) write(b []byte) (int, error) {
	if w.network == nil || w.network.BytesPerSecond <= 0 {
		return w.ResponseWriter.Write(b)
	}
	const chunk = 1024
	sent := 0
	for sent < len(b) {
		end := min(sent+chunk, len(b))
		time.Sleep(time.Duration(end-sent) * time.Second / time.Duration(w.network.BytesPerSecond))
		n, err := w.ResponseWriter.Write(b[sent:end])
		sent += n
		if err != nil {
			return sent, err
		}
		if f, ok := w.ResponseWriter.(http.Flusher); ok {
			f.Flush()
		}
	}
	return sent, nil
}
