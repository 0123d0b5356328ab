package main

// The attacks of issue 13, as tests: bounded in count and time, against a
// lab on loopback only.

import (
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"reqlab/app/stage"
	"reqlab/app/wire"
)

// heapInUse is the heap in use after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// 10,000 requests, each naming a new junk session of 16 KB, leave the
// server's heap where it was: a junk id is no key, and a refused request
// keeps nothing. (The lab runs in this test's process, so its heap is ours.)
func TestJunkKeysKeepMemoryBounded(t *testing.T) {
	const requests, bound = 10_000, 32 << 20
	l := startLab(t, nil)
	before := heapInUse()
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var wg sync.WaitGroup
	work := make(chan int)
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				junk := fmt.Sprintf("%06d", i) + strings.Repeat("x", 16<<10)
				res, err := client.Get(l.url + "/api/runs?session=" + junk)
				if err != nil {
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
		}()
	}
	for i := 0; i < requests; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	tr.CloseIdleConnections()
	after := heapInUse()
	t.Logf("heap in use: %.1f MB before, %.1f MB after %d junk sessions (bound: %d MB more)",
		float64(before)/(1<<20), float64(after)/(1<<20), requests, bound>>20)
	if after > before+bound {
		t.Errorf("the heap grew by %.1f MB, past %d MB", float64(after-before)/(1<<20), bound>>20)
	}
}

// Two thousand clients trickling request bodies a byte at a time hold no
// connection past the read timeout; meanwhile /healthz answers at once and
// a student's run completes.
func TestSlowBodiesDoNotStarveTheLab(t *testing.T) {
	const slow = 2000
	l := startLab(t, map[string]string{"REQLAB_READ_TIMEOUT": "2s"})
	addr := strings.TrimPrefix(l.url, "http://")
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < slow; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		fmt.Fprintf(c, "POST /site/api/cursos HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{", addr)
		conns = append(conns, c)
	}
	stop := make(chan struct{})
	var trickle sync.WaitGroup
	trickle.Add(1)
	go func() { // a byte every 300 ms on each, until the server hangs up
		defer trickle.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(300 * time.Millisecond):
			}
			for _, c := range conns {
				c.SetWriteDeadline(time.Now().Add(10 * time.Millisecond))
				c.Write([]byte(" "))
			}
		}
	}()
	defer func() { close(stop); trickle.Wait() }()

	start := time.Now()
	res, err := http.Get(l.url + "/healthz")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("/healthz under %d slow bodies: %v", slow, err)
	}
	res.Body.Close()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("/healthz took %v under %d slow bodies", d, slow)
	}
	s := dialLab(t, l)
	run := s.start("/site/api/cursos")
	if code := fetchTraced(t, l, "/site/api/cursos", run); code != 200 {
		t.Fatalf("the student's fetch: %d", code)
	}
	s.send(clientReport(run))
	if m := s.reply(); m.Type != wire.Ack {
		t.Fatalf("the student's report: %+v", m)
	}
	if got := storedRun(t, l.url, run); got.State != stage.RunComplete {
		t.Errorf("the student's run is %s", got.State)
	}

	// Past the read timeout every slow connection has been hung up on.
	time.Sleep(3 * time.Second)
	open := 0
	buf := make([]byte, 512)
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if _, err := c.Read(buf); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				open++ // still held: nothing came back
			}
		}
	}
	if open > 0 {
		t.Errorf("%d of %d trickling connections still held after the read timeout", open, slow)
	}
}

// A run's id is public (its link, its page, postMessage to the host): only
// the lab session that opened it reports into it, and only a request that
// carries the run's secret, which only its opener was told, is recorded as
// its request.
func TestRunsAreWrittenOnlyByTheirOwner(t *testing.T) {
	l := startLab(t, nil)
	owner, other := dialLab(t, l), dialLab(t, l)
	run := owner.start("/site/api/cursos")

	// Another session's report, even a final one, is refused; nothing is stored.
	bad := clientReport(run)
	bad.Response = &stage.Response{Status: 418}
	other.send(bad)
	if m := other.reply(); m.Type != wire.Error || m.Code != wire.CodeNotYours {
		t.Fatalf("another session's report: %+v, want %s", m, wire.CodeNotYours)
	}
	// A request naming the run by its public id alone is served, not recorded.
	req, _ := http.NewRequest("POST", l.url+"/site/api/cursos", strings.NewReader(`{"titulo":"x","nivel":"básico","horas":1}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("traceparent", stage.Traceparent(run, stage.NewRunSecret()))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got := storedRun(t, l.url, run); got.Request.Method != "GET" || len(got.Events) != 0 {
		t.Fatalf("a stranger's request was recorded: %s %s, %d events", got.Request.Method, got.Request.URL, len(got.Events))
	}

	// The owner's own request and report complete the run as it happened.
	if code := fetchTraced(t, l, "/site/api/cursos", run); code != 200 {
		t.Fatalf("the owner's fetch: %d", code)
	}
	owner.send(clientReport(run))
	if m := owner.reply(); m.Type != wire.Ack {
		t.Fatalf("the owner's report: %+v", m)
	}
	got := storedRun(t, l.url, run)
	if got.State != stage.RunComplete || got.Response == nil || got.Response.Status != 200 {
		t.Errorf("the run: %s, %+v", got.State, got.Response)
	}
	for _, e := range got.Events {
		if e.Side == stage.Server && e.Stage == stage.Receive && e.Phase == stage.End && e.Detail.Method != "GET" {
			t.Errorf("the stranger's %s was recorded as the run's", e.Detail.Method)
		}
	}
}

// With the database write-locked by another process, /healthz says so (503
// and why) and a run's start is refused in seconds with a clear code rather
// than left hanging; once the lock goes, both recover by themselves.
func TestHealthFollowsTheWriter(t *testing.T) {
	l := startLab(t, nil)
	health := func() (int, string) { return healthOf(t, l.url) }
	if code, body := health(); code != 200 {
		t.Fatalf("/healthz before: %d %s", code, body)
	}

	other, err := sql.Open("sqlite3", "file:"+l.dbPath+"?_busy_timeout=100")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.SetMaxOpenConns(1)
	lock, err := other.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.Exec(`INSERT INTO health (id, checked_at) VALUES (1, 'held') ON CONFLICT (id) DO UPDATE SET checked_at = 'held'`); err != nil {
		t.Fatalf("take the write lock: %v", err)
	}
	time.Sleep(1100 * time.Millisecond) // past the last probe's second
	start := time.Now()
	code, body := health()
	if code != 503 || !strings.Contains(body, "writes") {
		t.Errorf("/healthz with the writes locked: %d %q, want 503 saying writes fail", code, body)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("/healthz took %v", d)
	}
	s := dialLab(t, l)
	start = time.Now()
	s.send(wire.Message{Type: wire.Start, Ref: 1, Request: &stage.Request{Method: "GET", URL: "/site/api/cursos"}})
	if m := s.reply(); m.Type != wire.Error || m.Code != wire.CodeUnavailable {
		t.Errorf("a start with the writes locked: %+v, want %s", m, wire.CodeUnavailable)
	}
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("the start was refused after %v", d)
	}

	lock.Rollback()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if code, _ = health(); code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz still %d after the lock went", code)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if run := s.start("/site/api/cursos"); run == "" {
		t.Error("no run once the lock went")
	}
}

// The minor points: /web/ serves files of a page's kinds only (no listing,
// no Go source); pages take GET and HEAD only; the visits cookie does not
// wrap around.
func TestMinorDoors(t *testing.T) {
	l := startLab(t, nil)
	for _, tt := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/web/", 404},
		{"GET", "/web/web.go", 404},
		{"GET", "/web/lab.css", 200},
		{"POST", "/", 405},
		{"DELETE", "/lab/cache", 405},
		{"PUT", "/runs/" + stage.NewRunID(), 405},
		{"HEAD", "/", 200},
	} {
		req, _ := http.NewRequest(tt.method, l.url+tt.path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tt.status {
			t.Errorf("%s %s: %d, want %d", tt.method, tt.path, res.StatusCode, tt.status)
		}
	}
	req, _ := http.NewRequest("GET", l.url+"/site/api/sesion", nil)
	req.Header.Set("Cookie", "visitas=9223372036854775807")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if sc := res.Header.Get("Set-Cookie"); !strings.HasPrefix(sc, "visitas=1;") {
		t.Errorf("after the largest count: Set-Cookie %q, want the count to start again", sc)
	}
}

// Sessions are the server's to issue: a connection naming none, or a token
// the lab did not sign, gets a new one in its hello; one naming its token
// keeps it; the API takes only tokens the lab signed.
func TestSessionsAreIssuedByTheServer(t *testing.T) {
	l := startLab(t, nil)
	a := dialLab(t, l)
	id, _, _ := strings.Cut(a.hello.Session, ".")
	forged := id + ".AAAAAAAAAAAAAAAAAAAAAA"
	for _, tt := range []struct {
		name, named string
		same        bool
	}{
		{"its own token", a.hello.Session, true},
		{"a forged signature", forged, false},
		{"nothing", "", false},
	} {
		got := dialLabAs(t, l, tt.named).hello.Session
		if (got == a.hello.Session) != tt.same {
			t.Errorf("naming %s: hello gave %q (first %q)", tt.name, got, a.hello.Session)
		}
	}
	for _, tt := range []struct {
		session string
		status  int
	}{{a.hello.Session, 200}, {forged, 400}, {id, 400}} {
		if res, _ := fetch(t, l.url+"/api/runs?session="+tt.session); res.StatusCode != tt.status {
			t.Errorf("/api/runs?session=%s: %d, want %d", tt.session, res.StatusCode, tt.status)
		}
	}
	// A run belongs to the session the token names, across connections.
	run := a.start("/site/api/cursos")
	again := dialLabAs(t, l, a.hello.Session)
	var list struct {
		Runs []stage.RunSummary `json:"runs"`
	}
	getJSON(t, l.url+"/api/runs?session="+again.hello.Session, &list)
	if len(list.Runs) != 1 || list.Runs[0].ID != run {
		t.Errorf("the session's history: %+v, want the run %s", list.Runs, run)
	}
}
