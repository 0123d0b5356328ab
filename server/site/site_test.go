package site

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"reqlab/app/stage"
	"reqlab/server/site/ticket"
	"reqlab/server/sqlite"
	"reqlab/server/store"
)

// recorder keeps the batches the site records, for runs it was told are open.
type recorder struct {
	mu      sync.Mutex
	open    map[string]store.OpenRun // each with its secret's digest, as stores keep it
	secrets map[string]string        // each run's secret, as its opener knows it
	batches []store.Batch
}

func (r *recorder) Serving(_ context.Context, id string) (store.OpenRun, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.open[id]
	return t, ok
}

func (r *recorder) Served(string) {}

func (r *recorder) Opened(ctx context.Context, id string) (store.OpenRun, bool) {
	return r.Serving(ctx, id)
}

// tp is the traceparent of a request of an open run, its secret included.
func (r *recorder) tp(id string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return stage.Traceparent(id, r.secrets[id])
}

// pageTicket is the page-load ticket of an open run, minted at now, as the
// lab's server hands it to the run's opener.
func (r *recorder) pageTicket(id string, now time.Time) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return ticket.Mint(id, r.open[id].Secret, now)
}

// openRun opens a run, as the lab does before its browser sends a request.
func (r *recorder) openRun() string { return r.openRunOn("") }

// openRunOn opens a run sent over a simulated network ("" for none).
func (r *recorder) openRunOn(network string) string {
	id, secret := stage.NewRunID(), stage.NewRunSecret()
	r.mu.Lock()
	r.open[id] = store.OpenRun{Opened: time.Now().Add(-time.Millisecond), Network: network, Session: "session-of-" + id, Secret: store.SecretDigest(secret)}
	r.secrets[id] = secret
	r.mu.Unlock()
	return id
}

// openRunOf opens a run of a lab session.
func (r *recorder) openRunOf(session string) string {
	id, secret := stage.NewRunID(), stage.NewRunSecret()
	r.mu.Lock()
	r.open[id] = store.OpenRun{Opened: time.Now().Add(-time.Millisecond), Session: session, Secret: store.SecretDigest(secret)}
	r.secrets[id] = secret
	r.mu.Unlock()
	return id
}

// recorded waits for n traced requests to be recorded and returns each
// request's stages as one batch: an answer held back by a simulated network
// is recorded in two (see measure.early), the others in one.
func (r *recorder) recorded(t *testing.T, n int) []store.Batch {
	t.Helper()
	out := requests(r.await(func(got []store.Batch) bool { return len(requests(got)) >= n }))
	if len(out) != n {
		t.Fatalf("%d requests recorded, want %d", len(out), n)
	}
	return out
}

// requests joins each request's early batch, if any, to its last one. The
// tests read a request's stages as receive, route, db, respond's start and
// respond's end: the starts of the first three, which come just before
// their ends, are left out here (TestEveryServerStageStartsBeforeItEnds
// holds them).
func requests(batches []store.Batch) []store.Batch {
	var out []store.Batch
	var early []stage.Event
	for _, b := range batches {
		if b.Request == nil {
			early = append(early, b.Events...)
			continue
		}
		all := append(early, b.Events...)
		b.Events = nil
		for _, e := range all {
			if e.Phase == stage.End || e.Stage == stage.Respond {
				b.Events = append(b.Events, e)
			}
		}
		early = nil
		out = append(out, b)
	}
	return out
}

// Each server stage is started before it ends, in the batches as sent.
func TestEveryServerStageStartsBeforeItEnds(t *testing.T) {
	srv, rec := newTestSite(t)
	id := rec.openRun()
	get(t, srv.URL+"/site/api/cursos/1", rec.tp(id))
	rec.recorded(t, 1)
	rec.mu.Lock()
	batches := len(rec.batches)
	rec.mu.Unlock()
	started := map[stage.ID]bool{}
	n := 0
	for _, b := range rec.batchesAfter(t, batches) {
		for _, e := range b.Events {
			n++
			switch {
			case e.Phase == stage.Start && started[e.Stage]:
				t.Errorf("%s started twice", e.Stage)
			case e.Phase == stage.Start:
				started[e.Stage] = true
			case !started[e.Stage]:
				t.Errorf("%s ended before it started", e.Stage)
			}
		}
	}
	if n != 2*len(stage.ServerStages) {
		t.Errorf("%d events, want a start and an end for each of the %d server stages", n, len(stage.ServerStages))
	}
}

// batchesAfter waits for n batches in all.
func (r *recorder) batchesAfter(t *testing.T, n int) []store.Batch {
	t.Helper()
	got := r.await(func(got []store.Batch) bool { return len(got) >= n })
	if len(got) != n {
		t.Fatalf("%d batches recorded, want %d", len(got), n)
	}
	return got
}

// await returns the batches recorded once done says they are enough, or
// after five seconds.
func (r *recorder) await(done func([]store.Batch) bool) []store.Batch {
	deadline := time.Now().Add(5 * time.Second)
	for {
		r.mu.Lock()
		got := append([]store.Batch(nil), r.batches...)
		r.mu.Unlock()
		if done(got) || time.Now().After(deadline) {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (r *recorder) Record(_ context.Context, b store.Batch) ([]stage.Event, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches = append(r.batches, b)
	return b.Events, nil
}

// newTestSite serves the sample site the way the lab's server does: through
// the timed listener and its connection hooks.
func newTestSite(t *testing.T) (*httptest.Server, *recorder) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "site.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	rec := &recorder{open: map[string]store.OpenRun{}, secrets: map[string]string{}}
	srv := httptest.NewUnstartedServer(New(db, rec, slog.New(slog.NewTextHandler(io.Discard, nil))))
	srv.Listener = Listen(srv.Listener)
	srv.Config.ConnState = ConnState
	srv.Config.ConnContext = ConnContext
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, rec
}

func get(t *testing.T, url, traceparent string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if traceparent != "" {
		req.Header.Set("traceparent", traceparent)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func TestRoutesAnswerWithTheBackendsDecision(t *testing.T) {
	srv, _ := newTestSite(t)
	tests := []struct {
		path   string
		status int
		body   string
		timing []string
	}{
		{"/site/api/cursos", 200, `"titulo":"Fundamentos de la web"`, []string{"receive;dur=", "route;dur=", `db;dur=`, `desc="6 rows"`}},
		{"/site/api/cursos?nivel=intermedio", 200, `"nivel":"intermedio"`, []string{`desc="3 rows"`}},
		{"/site/api/cursos/3", 200, `"id":3`, []string{"db;dur=", `desc="1 rows"`}},
		{"/site/api/cursos/999999", 404, `"error"`, []string{"db;dur=", `desc="0 rows"`}},
		{"/site/api/cursos/abc", 400, `"error"`, []string{"route;dur="}},
		{"/site/api/nada", 404, `"error"`, []string{"route;dur="}},
		{"/site/api/inscripciones", 500, `"error":"error interno del servidor"`, []string{`db;dur=`, `desc="error"`}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res, body := get(t, srv.URL+tt.path, "")
			if res.StatusCode != tt.status {
				t.Errorf("status %d, want %d", res.StatusCode, tt.status)
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if !json.Valid([]byte(body)) || !strings.Contains(body, tt.body) {
				t.Errorf("body %s, want JSON with %s", body, tt.body)
			}
			st := res.Header.Get("Server-Timing")
			for _, want := range tt.timing {
				if !strings.Contains(st, want) {
					t.Errorf("Server-Timing %q lacks %q", st, want)
				}
			}
			if strings.Contains(body, "no such table") {
				t.Error("the 500's body leaks the database's error to the client")
			}
		})
	}
}

func TestTracedRequestRecordsTheServerStages(t *testing.T) {
	srv, rec := newTestSite(t)
	id := rec.openRun()
	tp := rec.tp(id)

	res, _ := get(t, srv.URL+"/site/api/inscripciones", tp)
	if res.StatusCode != 500 {
		t.Fatalf("status %d", res.StatusCode)
	}
	b := rec.recorded(t, 1)[0]
	if b.RunID != id || b.Side != stage.Server || b.Response.Status != 500 {
		t.Errorf("batch %+v", b)
	}
	var gotTP string
	for _, h := range b.Request.Headers {
		if h.Name == "Traceparent" {
			gotTP = h.Value
		}
	}
	if b.Request.URL != "/site/api/inscripciones" || gotTP != tp || b.Request.Headers[0].Name != "Host" {
		t.Errorf("request as received: %+v", b.Request)
	}

	want := []struct {
		id    stage.ID
		state stage.State
	}{{stage.Receive, stage.Done}, {stage.Route, stage.Done}, {stage.DB, stage.Error}, {stage.Respond, stage.Active}, {stage.Respond, stage.Done}}
	if len(b.Events) != len(want) {
		t.Fatalf("%d events, want %d", len(b.Events), len(want))
	}
	last := 0.0
	for i, e := range b.Events {
		if e.Stage != want[i].id || e.State != want[i].state || e.Side != stage.Server {
			t.Errorf("event %d = %s %s, want %s %s", i, e.Stage, e.State, want[i].id, want[i].state)
		}
		if err := e.Validate(); err != nil {
			t.Errorf("%s: %v", e.Stage, err)
		}
		if e.Phase == stage.Start {
			continue
		}
		if e.DurMs == nil || e.TMs < last {
			t.Errorf("%s at %v for %v: every server stage is measured, in order", e.Stage, e.TMs, e.DurMs)
		}
		last = e.TMs
	}
	if d := b.Events[0].Detail; d.HeaderBytes <= 0 || d.Method != "GET" {
		t.Errorf("receive detail %+v", d)
	}
	if d := b.Events[2].Detail; d.SQL != sqlite.EnrollmentsSQL || d.Error != "no such table: inscripciones" {
		t.Errorf("db detail %+v", d)
	}
	if d := b.Events[4].Detail; d.Status != 500 || d.Bytes == nil || *d.Bytes == 0 || d.HeaderBytes == 0 {
		t.Errorf("respond detail %+v", d)
	}
}

func TestNoRouteSkipsTheDatabase(t *testing.T) {
	srv, rec := newTestSite(t)
	id := rec.openRun()
	get(t, srv.URL+"/site/api/nada", rec.tp(id))
	e := rec.recorded(t, 1)[0].Events
	if e[1].Detail.Reason != stage.ReasonNoRoute || e[2].State != stage.Skipped || e[2].Detail.Reason != stage.ReasonNoRoute {
		t.Errorf("route %+v, db %+v", e[1], e[2])
	}
}

func TestUntracedRequestsAreServedAndNotRecorded(t *testing.T) {
	srv, rec := newTestSite(t)
	for _, tp := range []string{"", "garbage", stage.Traceparent(stage.NewRunID(), stage.NewRunSecret())} {
		res, _ := get(t, srv.URL+"/site/api/cursos", tp)
		if res.StatusCode != 200 {
			t.Errorf("traceparent %q: status %d", tp, res.StatusCode)
		}
	}
	time.Sleep(50 * time.Millisecond) // time to record, were it to
	rec.batchesAfter(t, 0)
}

func TestMethodsAndSizes(t *testing.T) {
	srv, rec := newTestSite(t)
	tests := []struct {
		method, path string
		body         string
		status       int
		allow        string
		reason       stage.Reason
	}{
		{"DELETE", "/site/api/cursos", "", 405, "GET, HEAD, POST, OPTIONS", stage.ReasonMethod},
		{"OPTIONS", "/site/api/cursos/1", "", 204, "GET, HEAD, OPTIONS", stage.ReasonOptions},
		{"PUT", "/site/api/nada", "x", 404, "", stage.ReasonNoRoute},
		{"POST", "/site/api/cursos", strings.Repeat("x", MaxBodyBytes+1), 413, "", stage.ReasonTooLarge},
		{"HEAD", "/site/api/cursos", "", 200, "", ""},
	}
	for i, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			id := rec.openRun()
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			req.Header.Set("traceparent", rec.tp(id))
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != tt.status || res.Header.Get("Allow") != tt.allow {
				t.Errorf("%d Allow %q, want %d Allow %q", res.StatusCode, res.Header.Get("Allow"), tt.status, tt.allow)
			}
			b := rec.recorded(t, i+1)[i]
			if got := b.Events[1].Detail.Reason; got != tt.reason {
				t.Errorf("route reason %q, want %q", got, tt.reason)
			}
			if tt.status == 413 && len(b.Request.Body) != MaxBodyBytes {
				t.Errorf("kept %d bytes of the body, want the first %d", len(b.Request.Body), MaxBodyBytes)
			}
		})
	}
}

func TestTheAnswerIsKeptWithTheRun(t *testing.T) {
	srv, rec := newTestSite(t)
	id := rec.openRun()
	_, body := get(t, srv.URL+"/site/api/cursos/1", rec.tp(id))
	if got := rec.recorded(t, 1)[0].Response; got.Body != body || got.BodyTruncated {
		t.Errorf("kept body %q (truncated %v), want %q", got.Body, got.BodyTruncated, body)
	}
}

func request(t *testing.T, method, url string, body string, headers map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestCreateCourse(t *testing.T) {
	srv, rec := newTestSite(t)
	mine := rec.tp(rec.openRunOf("a"))
	json := map[string]string{"Content-Type": "application/json", "traceparent": mine}
	tests := []struct {
		name   string
		body   string
		hdr    map[string]string
		status int
	}{
		{"a course", `{"titulo":"Redes","nivel":"básico","horas":4,"descripcion":"Del cable al navegador."}`, json, 201},
		{"not JSON", `titulo=Redes`, map[string]string{"Content-Type": "application/x-www-form-urlencoded", "traceparent": mine}, 415},
		{"a title of 200 characters, 400 bytes", `{"titulo":"` + strings.Repeat("é", 200) + `","nivel":"básico","horas":4}`, json, 201},
		{"a title of 201 characters", `{"titulo":"` + strings.Repeat("é", 201) + `","nivel":"básico","horas":4}`, json, 400},
		{"a NUL in the title", `{"titulo":"Re\u0000des","nivel":"básico","horas":4}`, json, 400},
		{"a description of 2001 characters", `{"titulo":"Redes","nivel":"básico","horas":4,"descripcion":"` + strings.Repeat("x", 2001) + `"}`, json, 400},
		{"from outside the lab: no catalogue of its own", `{"titulo":"Redes","nivel":"básico","horas":4}`, map[string]string{"Content-Type": "application/json"}, 403},
		{"broken JSON", `{"titulo":`, json, 400},
		{"an unknown field", `{"titulo":"Redes","nivel":"básico","horas":4,"precio":3}`, json, 400},
		{"no title", `{"titulo":" ","nivel":"básico","horas":4}`, json, 400},
		{"a level that is not one", `{"titulo":"Redes","nivel":"experto","horas":4}`, json, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := request(t, "POST", srv.URL+"/site/api/cursos", tt.body, tt.hdr)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d (%s), want %d", res.StatusCode, body, tt.status)
			}
			if tt.status != 201 {
				return
			}
			loc := res.Header.Get("Location")
			if res2, got := get(t, srv.URL+loc, mine); res2.StatusCode != 200 || !strings.Contains(got, `"id"`) {
				t.Errorf("GET %s after the insert: %d %s", loc, res2.StatusCode, got)
			}
			// Another session's catalogue does not have it.
			if res2, _ := get(t, srv.URL+loc, rec.tp(rec.openRunOf("b"))); res2.StatusCode != 404 {
				t.Errorf("GET %s from another session: %d, want 404", loc, res2.StatusCode)
			}
		})
	}
	for _, tt := range []struct {
		who, traceparent string
		want             int
	}{{"the session that added them", mine, 8}, {"another session", rec.tp(rec.openRunOf("b")), 6}, {"no session", "", 6}} {
		if _, list := get(t, srv.URL+"/site/api/cursos", tt.traceparent); strings.Count(list, `"id"`) != tt.want {
			t.Errorf("the catalogue after two inserts, seen by %s: %d courses, want %d", tt.who, strings.Count(list, `"id"`), tt.want)
		}
	}
}

func TestCachingRules(t *testing.T) {
	srv, _ := newTestSite(t)
	res, _ := get(t, srv.URL+"/site/api/portada", "")
	if cc := res.Header.Get("Cache-Control"); cc != "public, max-age=60" {
		t.Errorf("portada Cache-Control %q", cc)
	}
	res, _ = get(t, srv.URL+"/site/api/niveles", "")
	etag := res.Header.Get("ETag")
	if res.Header.Get("Cache-Control") != "no-cache" || etag == "" {
		t.Fatalf("niveles: Cache-Control %q, ETag %q", res.Header.Get("Cache-Control"), etag)
	}
	res, body := request(t, "GET", srv.URL+"/site/api/niveles", "", map[string]string{"If-None-Match": etag})
	if res.StatusCode != 304 || body != "" {
		t.Errorf("revalidation: %d with %q, want 304 and no body", res.StatusCode, body)
	}
}

func TestCookiesTravelBothWaysAndWeigh(t *testing.T) {
	srv, rec := newTestSite(t)
	res, body := request(t, "GET", srv.URL+"/site/api/sesion", "", map[string]string{"Cookie": "visitas=4; tema=oscuro"})
	if sc := res.Header.Get("Set-Cookie"); !strings.HasPrefix(sc, "visitas=5;") || !strings.Contains(sc, "Path=/site/") {
		t.Errorf("Set-Cookie %q, want visitas=5 for /site/", sc)
	}
	if !strings.Contains(body, `"cookies_recibidas":["visitas","tema"]`) {
		t.Errorf("body %s", body)
	}

	// Past the server's 8 KB of headers, it refuses the request before routing.
	id := rec.openRun()
	heavy := "relleno=" + strings.Repeat("x", MaxHeaderBytes)
	res, body = request(t, "GET", srv.URL+"/site/api/sesion", "", map[string]string{"Cookie": heavy, "traceparent": rec.tp(id)})
	if res.StatusCode != 431 || !strings.Contains(body, "cookies") {
		t.Errorf("a heavy cookie: %d %s, want 431", res.StatusCode, body)
	}
	e := rec.recorded(t, 1)[0].Events
	if e[0].Detail.CookieBytes <= MaxHeaderBytes || e[1].Detail.Reason != stage.ReasonHeadersTooLarge || e[2].State != stage.Skipped {
		t.Errorf("receive %+v, route %+v, db %+v", e[0].Detail, e[1].Detail, e[2])
	}
	// Refused as it came in: no route was looked for, and the database
	// was never asked. Neither says it was done, nor has a duration.
	for _, ev := range e[1:3] {
		if ev.State != stage.Skipped || ev.DurMs != nil || ev.Detail.Reason != stage.ReasonHeadersTooLarge {
			t.Errorf("%s %s %v (%s) on a request refused at receive, want skipped for %s", ev.Stage, ev.State, ev.DurMs, ev.Detail.Reason, stage.ReasonHeadersTooLarge)
		}
	}
	if e[0].State != stage.Done || e[4].State != stage.Done || e[4].Detail.Status != 431 {
		t.Errorf("receive %s, respond %s %d: the server read the request and answered 431", e[0].State, e[4].State, e[4].Detail.Status)
	}
}

// A simulated network holds the answer back on its own time: the client waits
// its round trip and its bandwidth, while the server's respond stage is only
// the server's work (a slow network never looks like a slow server).
func TestSimulatedNetworkHoldsTheAnswerBack(t *testing.T) {
	srv, rec := newTestSite(t)
	id := rec.openRunOn("fast-3g")
	began := time.Now()
	res, body := get(t, srv.URL+"/site/api/cursos", rec.tp(id))
	took := time.Since(began)
	if res.StatusCode != 200 || !json.Valid([]byte(body)) {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	n, _ := stage.NetworkOf("fast-3g")
	least := n.Latency + time.Duration(len(body))*time.Second/time.Duration(n.BytesPerSecond)*9/10
	if took < least {
		t.Errorf("the answer came in %v, want at least %v of simulated fast 3G", took, least)
	}
	b := rec.recorded(t, 1)[0]
	respond := b.Events[4]
	if respond.Stage != stage.Respond || respond.Detail.Network != "fast-3g" || respond.DurMs == nil {
		t.Fatalf("respond %+v", respond)
	}
	// The server's own work is a few milliseconds at most; the rest of
	// the wait is the network's.
	if *respond.DurMs > 100 || *respond.DurMs > float64(took.Milliseconds())/10 {
		t.Errorf("respond took %.1f ms of a %v answer: the network's hold is booked on the server", *respond.DurMs, took)
	}
	if respond.Detail.Status != 200 || respond.Detail.Bytes == nil || *respond.Detail.Bytes != int64(len(body)) || respond.Detail.HeaderBytes <= 0 {
		t.Errorf("respond says status %d, %v body bytes, %d header bytes; the body has %d", respond.Detail.Status, respond.Detail.Bytes, respond.Detail.HeaderBytes, len(body))
	}
	if b.Response == nil || b.Response.Status != 200 || b.Response.Body != body {
		t.Errorf("the answer kept with the run: %+v", b.Response)
	}
}

// The server's stages are recorded as the answer is handed to the network,
// not once it is over: a student sees the database and the answer done while
// the browser still waits for the first byte.
func TestServerStagesGoOutAsTheyHappen(t *testing.T) {
	srv, rec := newTestSite(t)
	id := rec.openRunOn("fast-3g")
	answered := make(chan struct{})
	go func() {
		defer close(answered)
		get(t, srv.URL+"/site/api/cursos", rec.tp(id))
	}()
	early := rec.batchesAfter(t, 1)[0]
	select {
	case <-answered:
		t.Fatal("the early stages were recorded only once the answer was over")
	default:
	}
	var got []string
	for _, e := range early.Events {
		got = append(got, string(e.Stage)+" "+string(e.State))
	}
	if want := "receive active,receive done,route active,route done,db active,db done,respond active,respond done"; strings.Join(got, ",") != want {
		t.Errorf("early batch %v, want %s", got, want)
	}
	<-answered
	rec.recorded(t, 1)
}

func TestThePageAndItsAssets(t *testing.T) {
	srv, rec := newTestSite(t)
	id := rec.openRun()
	res, html := get(t, srv.URL+"/site/?ticket="+rec.pageTicket(id, time.Now()), "")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") || res.Header.Get("Cache-Control") != "private, no-cache" {
		t.Fatalf("the page: %d %s %s", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"))
	}
	if !strings.Contains(html, "Fundamentos de la web") {
		t.Error("the page does not list the catalogue")
	}
	if b := rec.recorded(t, 1)[0]; b.RunID != id || b.Events[2].Detail.SQL == "" {
		t.Errorf("a navigation with its run's ticket in the query is not recorded: %+v", b)
	}
	for _, asset := range []string{"/site/static/estilo.css", "/site/static/sitio.js", "/site/static/img/portada.png", "/site/static/intro.webm"} {
		if !strings.Contains(html, asset) {
			t.Errorf("the page does not ask for %s", asset)
		}
		res, body := get(t, srv.URL+asset, "")
		if res.StatusCode != 200 || len(body) == 0 || res.Header.Get("Cache-Control") != "public, max-age=300" {
			t.Errorf("%s: %d, %d bytes, Cache-Control %q", asset, res.StatusCode, len(body), res.Header.Get("Cache-Control"))
		}
	}
	if res, _ := get(t, srv.URL+"/site/static/../site.go", ""); res.StatusCode != 404 {
		t.Errorf("a path out of the assets: %d", res.StatusCode)
	}
}

// A run keeps the cookies the lab put in the jar for it and the site's own;
// another app's cookie and an Authorization header are kept as their size
// only. What they weigh is still counted.
func TestRunsKeepNoOtherAppsSecrets(t *testing.T) {
	srv, rec := newTestSite(t)
	id, secret := stage.NewRunID(), stage.NewRunSecret()
	rec.mu.Lock()
	rec.open[id] = store.OpenRun{Opened: time.Now(), Session: "s", Cookies: []string{"relleno1"}, Secret: store.SecretDigest(secret)}
	rec.secrets[id] = secret
	rec.mu.Unlock()
	cookie := "visitas=3; sid=s3cr3t-of-another-app; relleno1=xxxx"
	request(t, "GET", srv.URL+"/site/api/sesion", "", map[string]string{
		"traceparent": rec.tp(id), "Cookie": cookie, "Authorization": "Bearer abc123"})
	b := rec.recorded(t, 1)[0]
	got := map[string]string{}
	for _, h := range b.Request.Headers {
		got[h.Name] = h.Value
	}
	if want := "visitas=3; sid=[redacted 21 bytes]; relleno1=xxxx"; got["Cookie"] != want {
		t.Errorf("Cookie kept as %q, want %q", got["Cookie"], want)
	}
	if got["Authorization"] != "[redacted 13 bytes]" {
		t.Errorf("Authorization kept as %q", got["Authorization"])
	}
	if n := b.Events[0].Detail.CookieBytes; n != int64(len("Cookie")+2+len(cookie)+2) {
		t.Errorf("the cookies weigh %d bytes, want the real %d", n, len("Cookie")+2+len(cookie)+2)
	}
}

// A page's navigation names its run by a page-load ticket, never by the
// run's secret (issue 24, point 2): the ticket is good for one page, for
// ticket.TTL, and what the run keeps of the page's address names the run
// alone. A ticket spent, expired or forged, and a traceparent in the query,
// are served and not recorded. The page's assets, which name no run, are
// known by the record of the load their Referer names: on a connection of
// its own, they are closed once answered too.
func TestAPageLoadsTicketIsSpentOnce(t *testing.T) {
	srv, rec := newTestSite(t)
	id := rec.openRun()
	rec.mu.Lock()
	run := rec.open[id]
	run.Fresh = true
	rec.open[id] = run
	rec.mu.Unlock()
	tk := rec.pageTicket(id, time.Now())
	if strings.Contains(tk, rec.tp(id)[36:52]) {
		t.Fatalf("the ticket %s holds the run's secret", tk)
	}
	page := srv.URL + "/site/?ticket=" + tk
	if res, _ := get(t, page, ""); res.StatusCode != 200 || !res.Close {
		t.Fatalf("the page on its ticket: %d, closed %v", res.StatusCode, res.Close)
	}
	b := rec.recorded(t, 1)[0]
	if b.RunID != id || b.Request.URL != "/site/?ticket="+id+".spent" || b.Events[0].Detail.URL != b.Request.URL {
		t.Errorf("the page's run %s keeps %q (event: %q), want /site/?ticket=%s.spent", b.RunID, b.Request.URL, b.Events[0].Detail.URL, id)
	}
	// Its assets: the Referer names the load, spent.
	res, _ := request(t, "GET", srv.URL+"/site/static/estilo.css", "", map[string]string{"Referer": page})
	if res.StatusCode != 200 || !res.Close {
		t.Errorf("an asset of a page loaded on a connection of its own: %d, closed %v; want closed", res.StatusCode, res.Close)
	}

	forged := []byte(rec.pageTicket(id, time.Now()))
	forged[len(forged)-1] ^= 1
	for what, url := range map[string]string{
		"spent":                    page,
		"expired":                  srv.URL + "/site/?ticket=" + rec.pageTicket(id, time.Now().Add(-ticket.TTL-2*time.Second)),
		"forged":                   srv.URL + "/site/?ticket=" + string(forged),
		"another run's secret's":   srv.URL + "/site/?ticket=" + ticket.Mint(id, store.SecretDigest(stage.NewRunSecret()), time.Now()),
		"a traceparent, the query": srv.URL + "/site/?traceparent=" + rec.tp(id),
	} {
		if res, _ := get(t, url, ""); res.StatusCode != 200 {
			t.Errorf("the page on a ticket %s: %d, want it served", what, res.StatusCode)
		}
	}
	get(t, srv.URL+"/site/api/cursos", rec.tp(id)) // recorded
	time.Sleep(100 * time.Millisecond)
	if got := rec.recorded(t, 2); got[1].Request.URL != "/site/api/cursos" {
		t.Errorf("recorded %q, want the page on a ticket spent, expired or forged not recorded", got[1].Request.URL)
	}
	// An asset of a page that was no fresh load is not closed.
	other := rec.openRun()
	otherPage := srv.URL + "/site/?ticket=" + rec.pageTicket(other, time.Now())
	get(t, otherPage, "")
	if res, _ := request(t, "GET", srv.URL+"/site/static/estilo.css", "", map[string]string{"Referer": otherPage}); res.Close {
		t.Error("an asset of a page loaded on the page's own connections was closed")
	}
}
