package main

import (
	"database/sql"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"reqlab/app/stage"
	"reqlab/app/timing"
	"reqlab/app/wire"
	"reqlab/server/internal/pgtest"
)

// socket is a test's websocket to the lab, as the page's own.
type socket struct {
	t     *testing.T
	ws    *websocket.Conn
	hello wire.Message // the first message: the session's token in it
}

func dialLab(t *testing.T, l *lab) *socket {
	t.Helper()
	return dialLabAs(t, l, "")
}

// dialLabAs opens the lab's websocket as the page of a lab session does
// ("" for none: the server gives the connection a session of its own).
func dialLabAs(t *testing.T, l *lab, session string) *socket {
	t.Helper()
	hdr := http.Header{"Origin": {l.url}}
	url := "ws" + strings.TrimPrefix(l.url, "http") + "/ws"
	if session != "" {
		url += "?session=" + session
	}
	ws, _, err := websocket.DefaultDialer.Dial(url, hdr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { ws.Close() })
	s := &socket{t: t, ws: ws}
	if s.hello = s.read(); s.hello.Type != wire.Hello || s.hello.Version != wire.Version || s.hello.Session == "" {
		t.Fatalf("first message %+v, want hello v%d with a session", s.hello, wire.Version)
	}
	return s
}

func (s *socket) send(v any) {
	s.t.Helper()
	var b []byte
	switch v := v.(type) {
	case string:
		b = []byte(v)
	default:
		b, _ = json.Marshal(v)
	}
	if err := s.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		s.t.Fatalf("send: %v", err)
	}
}

func (s *socket) read() wire.Message {
	s.t.Helper()
	s.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := s.ws.ReadMessage()
	if err != nil {
		s.t.Fatalf("read: %v", err)
	}
	var m wire.Message
	if err := json.Unmarshal(b, &m); err != nil {
		s.t.Fatalf("decode %s: %v", b, err)
	}
	return m
}

// reply reads past the events of followed runs to the next other message.
func (s *socket) reply() wire.Message {
	s.t.Helper()
	for {
		if m := s.read(); m.Type != wire.Event {
			return m
		}
	}
}

// events reads n event messages and returns their seqs.
func (s *socket) events(n int) []int64 {
	s.t.Helper()
	var seqs []int64
	for len(seqs) < n {
		m := s.read()
		if m.Type != wire.Event {
			s.t.Fatalf("got %+v, want an event", m)
		}
		seqs = append(seqs, m.Event.Seq)
	}
	return seqs
}

func (s *socket) start(url string) string {
	s.t.Helper()
	s.send(wire.Message{Type: wire.Start, Ref: 1, Request: &stage.Request{Method: "GET", URL: url}})
	m := s.read()
	if m.Type != wire.Started || m.Ref != 1 || !stage.ValidRunID(m.Run) || !stage.ValidRunSecret(m.Secret) {
		s.t.Fatalf("start: %+v", m)
	}
	secrets.Store(m.Run, m.Secret)
	return m.Run
}

// secrets holds the secret of each run the tests opened, as a page holds
// the secrets of its own runs.
var secrets sync.Map

// traceparentOf is the traceparent of a request of a run the tests opened.
func traceparentOf(run string) string {
	secret, _ := secrets.Load(run)
	s, _ := secret.(string)
	return stage.Traceparent(run, s)
}

// fetchTraced requests a sample-site URL as the page would, with the run's
// traceparent.
func fetchTraced(t *testing.T, l *lab, path, run string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", l.url+path, nil)
	req.Header.Set("traceparent", traceparentOf(run))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func clientReport(run string) wire.Message {
	m := timing.Measured{Method: "GET", URL: "/site/api/cursos", HasEntry: true, Entry: timing.Entry{
		FetchStart: 1, DomainLookupStart: 1, DomainLookupEnd: 1, ConnectStart: 1, ConnectEnd: 1,
		RequestStart: 2, ResponseStart: 5, ResponseEnd: 6, TransferSize: 900, EncodedBodySize: 600, DecodedBodySize: 600,
	}, Parse: timing.Span{Start: 6, End: 7}, Render: timing.Span{Start: 7, End: 20}, Rendered: 6}
	return wire.Message{Type: wire.Report, Ref: 9, Run: run, Final: true, Events: m.Events(),
		Response: &stage.Response{Status: 200}}
}

func TestSocketStreamsARunAndResumesAfterADrop(t *testing.T) {
	streamsAndResumes(t, startLab(t, nil))
}

// The same on PostgreSQL: the lab behaves alike on either store.
func TestSocketStreamsARunAndResumesAfterADropOnPostgreSQL(t *testing.T) {
	l := startLab(t, map[string]string{"REQLAB_DB": pgtest.Database(t)})
	if !strings.Contains(l.banner, "postgres://") {
		t.Errorf("the lab does not say it runs on PostgreSQL: %q", l.banner)
	}
	streamsAndResumes(t, l)
	res, err := http.Get(l.url + "/healthz")
	if err != nil || res.StatusCode != 200 {
		t.Errorf("/healthz on PostgreSQL: %v %v", res, err)
	}
	if res != nil {
		res.Body.Close()
	}
}

func streamsAndResumes(t *testing.T, l *lab) {
	first := dialLab(t, l)
	session := first.hello.Session // the token the lab issued: the page keeps it
	run := first.start("/site/api/cursos")

	if code := fetchTraced(t, l, "/site/api/cursos", run); code != 200 {
		t.Fatalf("status %d", code)
	}
	// The server's eight events: each of receive, route, db and respond
	// started, then ended.
	server := 2 * len(stage.ServerStages)
	if got := first.events(server); got[0] != 1 || got[server-1] != int64(server) {
		t.Fatalf("live events %v, want seqs 1 to %d", got, server)
	}
	all := int64(server + 2*len(stage.ClientStages)) // and the client's, each started and ended

	// The connection drops after seq 2 was taken in; while it is down the
	// client's report is stored by another way in (the page, reconnected).
	first.ws.Close()
	other := dialLabAs(t, l, session)
	other.send(clientReport(run))
	if m := other.read(); m.Type != wire.Ack || m.Ref != 9 || m.Seq != all {
		t.Fatalf("report answered %+v, want ack up to seq %d", m, all)
	}

	back := dialLab(t, l)
	back.send(wire.Message{Type: wire.Subscribe, Run: run, After: 2})
	got := back.events(int(all) - 2)
	for i, seq := range got {
		if seq != int64(i+3) {
			t.Fatalf("resumed events %v, want 3 to %d in order", got, all)
		}
	}

	var stored stage.Run
	getJSON(t, l.url+"/api/runs/"+run, &stored)
	if stored.State != stage.RunComplete || int64(len(stored.Events)) != all {
		t.Errorf("stored run %s with %d events, want complete with %d", stored.State, len(stored.Events), all)
	}
}

func TestSocketRefusesBadInputAndStoresNothing(t *testing.T) {
	l := startLab(t, nil)
	s := dialLab(t, l)
	run := s.start("/site/api/cursos")

	tests := []struct {
		name string
		msg  any
		code string
	}{
		{"not JSON", `{"type": "start", `, wire.CodeBadMessage},
		{"unknown type", `{"type":"teleport","ref":5}`, wire.CodeBadMessage},
		{"a URL outside the sample site", wire.Message{Type: wire.Start, Ref: 5, Request: &stage.Request{Method: "GET", URL: "/api/runs"}}, wire.CodeBadRequest},
		{"a report for no run", clientReport(stage.NewRunID()), wire.CodeNotFound},
		{"a server stage from a browser", wire.Message{Type: wire.Report, Ref: 5, Run: run, Events: []stage.Event{
			{Stage: stage.DB, Side: stage.Server, Phase: stage.End, State: stage.Done}}}, wire.CodeBadMessage},
		{"a subscription to no run", wire.Message{Type: wire.Subscribe, Ref: 5, Run: stage.NewRunID()}, wire.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.send(tt.msg)
			m := s.read()
			if m.Type != wire.Error || m.Code != tt.code || m.Message == "" {
				t.Errorf("answer %+v, want an error %s with a message", m, tt.code)
			}
		})
	}

	s.send(clientReport(run))
	if m := s.reply(); m.Type != wire.Ack {
		t.Fatalf("a good report after the bad ones: %+v", m)
	}
	s.send(clientReport(run))
	if m := s.reply(); m.Type != wire.Error || m.Code != wire.CodeRunClosed {
		t.Errorf("a report on a complete run: %+v, want run-closed", m)
	}

	db, err := sql.Open("sqlite3", "file:"+l.dbPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var runs, events int
	db.QueryRow(`SELECT count(*) FROM runs`).Scan(&runs)
	db.QueryRow(`SELECT count(*) FROM events`).Scan(&events)
	if want := 2 * len(stage.ClientStages); runs != 1 || events != want {
		t.Errorf("%d runs and %d events stored, want only the good run and its %d client events", runs, events, want)
	}
}

func TestSocketRefusesOtherOrigins(t *testing.T) {
	l := startLab(t, nil)
	for _, origin := range []string{"http://evil.example", "null"} {
		_, res, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(l.url, "http")+"/ws", http.Header{"Origin": {origin}})
		if err == nil || res == nil || res.StatusCode != http.StatusForbidden {
			t.Errorf("Origin %s: %v, want 403", origin, res)
		}
	}
}

func TestRunsAreMeteredPerSession(t *testing.T) {
	l := startLab(t, nil)
	dial := func(session string) *socket {
		ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(l.url, "http")+"/ws?session="+session, http.Header{"Origin": {l.url}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ws.Close() })
		s := &socket{t: t, ws: ws}
		s.read() // hello
		return s
	}
	ana := dial(stage.NewRunID())
	limited := 0
	for i := 0; i < 40; i++ {
		ana.send(wire.Message{Type: wire.Start, Ref: int64(i + 1), Request: &stage.Request{Method: "GET", URL: "/site/api/cursos"}})
	}
	for i := 0; i < 40; i++ {
		m := ana.reply()
		if m.Type == wire.Error {
			if m.Code != wire.CodeRateLimited || m.RetryAfter < 1 {
				t.Fatalf("refusal %+v, want rate-limited with a retry_after", m)
			}
			limited++
		}
	}
	if limited == 0 || limited > 15 {
		t.Errorf("%d of 40 quick runs refused, want the ones past a burst of 30", limited)
	}
	// A classmate behind the same school address is not held back.
	luis := dial(stage.NewRunID())
	if run := luis.start("/site/api/cursos"); run == "" {
		t.Error("another session was refused")
	}
}

func TestAPIAnswers429WithRetryAfter(t *testing.T) {
	l := startLab(t, nil)
	session := dialLab(t, l).hello.Session
	var last *http.Response
	for i := 0; i < 400; i++ {
		res, err := http.Get(l.url + "/api/runs?session=" + session)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusTooManyRequests {
			last = res
			break
		}
	}
	if last == nil {
		t.Fatal("400 requests at once from one session were all served")
	}
	if ra := last.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("429 with Retry-After %q", ra)
	}
	if res, _ := fetch(t, l.url+"/api/runs?session="+dialLab(t, l).hello.Session); res.StatusCode != 200 {
		t.Errorf("another session got %d", res.StatusCode)
	}
}
