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
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"reqlab/app/stage"
	"reqlab/server/sqlite"
)

// MaxBodyBytes bounds a request body the sample site reads.
const MaxBodyBytes = 64 << 10

// Recorder keeps the server's events of a run.
type Recorder interface {
	// Opened returns when an open run began, and false if there is none.
	Opened(ctx context.Context, id string) (time.Time, bool)
	// Begin notes a request of the run under way; end notes it recorded.
	Begin(id string) (end func())
	Record(ctx context.Context, b sqlite.Batch) ([]stage.Event, error)
}

// recordTimeout bounds recording a request's stages once it is answered.
const recordTimeout = 10 * time.Second

// Site is the sample site's handler.
type Site struct {
	db  *sqlite.DB
	rec Recorder
	log *slog.Logger
	mux *http.ServeMux
}

// New returns the sample site, serving under /site/.
func New(db *sqlite.DB, rec Recorder, log *slog.Logger) *Site {
	s := &Site{db: db, rec: rec, log: log, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /site/api/cursos", s.courses)
	s.mux.HandleFunc("GET /site/api/cursos/{id}", s.course)
	s.mux.HandleFunc("GET /site/api/inscripciones", s.enrollments)
	s.mux.HandleFunc("/site/", s.notFound)
	return s
}

// ServeHTTP measures the request through each server stage while the routes
// answer it, then records the stages in the request's run, if it has one.
func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m := &measure{}
	start := time.Now()
	m.arrived, m.arrivalKnown = arrival(r)
	if !m.arrivalKnown || m.arrived.After(start) {
		m.arrived = start
	}
	m.readRequest(r)
	tooLarge := false
	if r.Body != nil && r.Body != http.NoBody {
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
		if err != nil {
			http.Error(w, "could not read the request body", http.StatusBadRequest)
			return
		}
		if tooLarge = len(body) > MaxBodyBytes; tooLarge {
			body = body[:MaxBodyBytes]
		}
		m.request.Body = string(body)
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	m.received = time.Now()

	// Is the request part of a run? The answer is needed before the response
	// goes out, so that the run waits for these stages (see Recorder.Begin).
	runID, traced := stage.RunIDFromTraceparent(r.Header.Get("Traceparent"))
	var origin time.Time
	if traced {
		if origin, traced = s.rec.Opened(r.Context(), runID); traced {
			defer s.rec.Begin(runID)()
		}
	}

	rw := &responseWriter{ResponseWriter: w, m: m}
	m.routeStart = time.Now()
	if tooLarge {
		// Refused before any route: the backend will not read more.
		m.route("")
		m.reason = stage.ReasonTooLarge
		s.json(rw, r.WithContext(withMeasure(r.Context(), m)), http.StatusRequestEntityTooLarge,
			errorBody{Error: "el cuerpo de la petición pasa de 64 KB"})
	} else {
		s.mux.ServeHTTP(rw, r.WithContext(withMeasure(r.Context(), m)))
	}
	if rw.status == 0 {
		rw.WriteHeader(http.StatusOK)
	}
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	m.flushed = time.Now()
	if m.routed.IsZero() {
		m.routed = m.respondStart
	}

	if !traced {
		return // no run, or not an open run of this lab: served, not recorded
	}
	// The answer is out: recording must not hang on the client staying.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), recordTimeout)
	defer cancel()
	_, err := s.rec.Record(ctx, sqlite.Batch{
		RunID:    runID,
		Side:     stage.Server,
		Request:  &m.request,
		Response: &stage.Response{Status: rw.status, Headers: rw.headers, Body: rw.body.String(), BodyTruncated: rw.truncated},
		Events:   m.events(origin, rw.status, rw.bytes, rw.headerBytes),
	})
	if err != nil && !errors.Is(err, sqlite.ErrStageEnded) && !errors.Is(err, sqlite.ErrRunClosed) {
		s.log.Error("record server stages", "run", runID, "err", err)
	}
}

// responseWriter sees the status, headers and bytes of the answer, and adds
// Server-Timing and Date as the headers go out.
type responseWriter struct {
	http.ResponseWriter
	m           *measure
	status      int
	bytes       int64
	headerBytes int64
	headers     []stage.Header
	body        bytes.Buffer // the first MaxBodyBytes, kept with the run
	truncated   bool
}

func (w *responseWriter) WriteHeader(status int) {
	if w.status != 0 {
		return
	}
	w.status = status
	if w.m.respondStart.IsZero() {
		w.m.respondStart = time.Now()
	}
	h := w.Header()
	if st := w.m.serverTiming(); st != "" {
		h.Set("Server-Timing", st)
	}
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	for name, values := range h {
		for _, v := range values {
			w.headers = append(w.headers, stage.Header{Name: name, Value: v})
		}
	}
	sortHeaders(w.headers)
	w.headerBytes = responseHeaderBytes("HTTP/1.1", status, h)
	w.ResponseWriter.WriteHeader(status)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	keep := min(n, MaxBodyBytes-w.body.Len())
	w.body.Write(b[:keep])
	w.truncated = w.truncated || keep < n
	return n, err
}

// The routes.

func (s *Site) courses(w http.ResponseWriter, r *http.Request) {
	m := measureOf(r)
	m.route(r.Pattern)
	var (
		courses []sqlite.Course
		q       sqlite.Query
		err     error
	)
	start := time.Now()
	if nivel := r.URL.Query().Get("nivel"); nivel != "" {
		courses, q, err = s.db.CoursesOfLevel(r.Context(), nivel)
	} else {
		courses, q, err = s.db.Courses(r.Context())
	}
	m.queried(start, q, err)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.json(w, r, http.StatusOK, courses)
}

func (s *Site) course(w http.ResponseWriter, r *http.Request) {
	m := measureOf(r)
	m.route(r.Pattern)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		// The backend decides without its database: no such id can exist.
		s.json(w, r, http.StatusBadRequest, errorBody{Error: "el id de un curso es un número entero positivo"})
		return
	}
	start := time.Now()
	course, q, err := s.db.Course(r.Context(), id)
	m.queried(start, q, err)
	switch {
	case err != nil:
		s.fail(w, r, err)
	case course == nil:
		s.json(w, r, http.StatusNotFound, errorBody{Error: "no existe un curso con ese id"})
	default:
		s.json(w, r, http.StatusOK, course)
	}
}

func (s *Site) enrollments(w http.ResponseWriter, r *http.Request) {
	m := measureOf(r)
	m.route(r.Pattern)
	start := time.Now()
	list, q, err := s.db.Enrollments(r.Context())
	m.queried(start, q, err)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.json(w, r, http.StatusOK, list)
}

// notFound answers what no route takes: 404 where no route has the path,
// 405 where a route has it for other methods, and OPTIONS with the methods
// that it has.
func (s *Site) notFound(w http.ResponseWriter, r *http.Request) {
	m := measureOf(r)
	m.route("")
	allow := s.allowed(r)
	switch {
	case allow == "":
		m.reason = stage.ReasonNoRoute
		s.json(w, r, http.StatusNotFound, errorBody{Error: "ninguna ruta del sitio responde a " + r.URL.Path})
	case r.Method == http.MethodOptions:
		m.reason = stage.ReasonOptions
		w.Header().Set("Allow", allow)
		m.respondStart = time.Now()
		w.WriteHeader(http.StatusNoContent)
	default:
		m.reason = stage.ReasonMethod
		w.Header().Set("Allow", allow)
		s.json(w, r, http.StatusMethodNotAllowed, errorBody{Error: "esta ruta no acepta " + r.Method + "; acepta " + allow})
	}
}

// allowed lists the methods that some route takes for the request's path.
func (s *Site) allowed(r *http.Request) string {
	var methods []string
	for _, method := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = method
		if _, pattern := s.mux.Handler(probe); pattern != "/site/" && pattern != "" {
			methods = append(methods, method)
			if method == "GET" {
				methods = append(methods, "HEAD")
			}
		}
	}
	if len(methods) == 0 {
		return ""
	}
	return strings.Join(append(methods, "OPTIONS"), ", ")
}

type errorBody struct {
	Error string `json:"error"`
}

// fail answers 500: the detail goes to the log (and to the run's db stage),
// the client gets a short message.
func (s *Site) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Warn("sample site query failed", "path", r.URL.Path, "err", err)
	s.json(w, r, http.StatusInternalServerError, errorBody{Error: "error interno del servidor"})
}

// json answers with v as JSON. The sample API's answers are not cached: the
// lessons on caching set their own rules.
func (s *Site) json(w http.ResponseWriter, r *http.Request, status int, v any) {
	measureOf(r).respondStart = time.Now()
	body, err := json.Marshal(v)
	if err != nil {
		s.log.Error("encode sample site answer", "err", err)
		status, body = http.StatusInternalServerError, []byte(`{"error":"error interno del servidor"}`)
	}
	body = append(body, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// sortHeaders orders headers by name, keeping the order of repeated ones.
func sortHeaders(h []stage.Header) {
	sort.SliceStable(h, func(i, j int) bool { return h[i].Name < h[j].Name })
}
