package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"reqlab/app/stage"
	"reqlab/app/timing"
	"reqlab/app/wire"
)

// The adversarial phases of make soak (issue 24's "Done when", the long
// form), each printing its figure beside its target, before the soak's
// own: a classmate's forty sessions beside a class behind one address, 200
// clients that never read beside a server process whose memory is
// measured, the bytes one connection gets asking all it may, and the store
// on disk after thousands of the fattest runs.
//
// make soak runs them before TestSoak, unless ADVERSARIAL=0.
func TestSoakAdversarial(t *testing.T) {
	if os.Getenv("REQLAB_SOAK") == "" || os.Getenv("REQLAB_SOAK_ADVERSARIAL") == "0" {
		t.Skip("issue 24's adversarial phases, some minutes long: run them with make soak")
	}
	t.Run("fair share", soakFairShare)
	t.Run("non-reading clients", soakNonReaders)
	t.Run("fat runs", soakFatRuns)
}

// soakFairShare: a class of 40 behind its school's address, each student
// making whole runs (open, fetch, report) every 3 s, keeps at least 99 % of
// them for 60 s while a classmate's 40 sessions from the same address ask
// to open runs as fast as the lab answers.
func soakFairShare(t *testing.T) {
	const (
		school   = "198.51.100.40"
		students = 40
		abusers  = 40
		every    = 3 * time.Second
		warmUp   = 12 * time.Second // the class is known at its address first
		flood    = 60 * time.Second
	)
	l := startLab(t, map[string]string{"REQLAB_TRUSTED_PROXIES": "127.0.0.1"})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: students}}
	dial := func() (*websocket.Conn, error) {
		ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(l.url, "http")+"/ws",
			http.Header{"Origin": {l.url}, "X-Forwarded-For": {school}})
		if err != nil {
			return nil, err
		}
		if _, ok := readUntil(ws, wire.Hello); !ok {
			ws.Close()
			return nil, fmt.Errorf("no hello")
		}
		return ws, nil
	}

	var flooding atomic.Bool
	var tried, kept, floodStarted atomic.Int64
	var mu sync.Mutex
	var problems []string
	note := func(format string, args ...any) {
		mu.Lock()
		if len(problems) < 10 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
		mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(context.Background(), warmUp+flood)
	defer cancel()
	var wg sync.WaitGroup
	for i := 0; i < students; i++ {
		ws, err := dial()
		if err != nil {
			t.Fatalf("student %d: %v", i+1, err)
		}
		defer ws.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * every / students) // the class spread over the beat
			for ref := int64(1); ctx.Err() == nil; ref++ {
				counted := flooding.Load()
				ok, why := wholeRun(ws, client, l.url, school, ref)
				if counted {
					tried.Add(1)
					if ok {
						kept.Add(1)
					} else {
						note("%s", why)
					}
				}
				select {
				case <-ctx.Done():
				case <-time.After(every):
				}
			}
		}()
	}
	time.Sleep(warmUp)
	stop := make(chan struct{})
	var floods sync.WaitGroup
	for a := 0; a < abusers; a++ {
		ws, err := dial()
		if err != nil {
			t.Fatalf("the classmate's session %d: %v", a+1, err)
		}
		defer ws.Close()
		floods.Add(2)
		go func() { // writes as fast as the lab takes them
			defer floods.Done()
			for ref := int64(1); ; ref++ {
				select {
				case <-stop:
					return
				default:
				}
				if ws.WriteJSON(wire.Message{Type: wire.Start, Ref: ref, Request: &stage.Request{Method: "GET", URL: "/site/api/cursos"}}) != nil {
					return
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
		go func() { // and reads every answer, so as not to be cut
			defer floods.Done()
			for {
				ws.SetReadDeadline(time.Now().Add(2 * time.Second))
				var m wire.Message
				if ws.ReadJSON(&m) != nil {
					return
				}
				if m.Type == wire.Started {
					floodStarted.Add(1)
				}
				select {
				case <-stop:
					return
				default:
				}
			}
		}()
	}
	flooding.Store(true)
	wg.Wait()
	close(stop)
	floods.Wait()
	share := float64(kept.Load()) / float64(max(1, tried.Load()))
	t.Logf("fair share: a class of %d behind one address kept %d of %d whole runs (%.1f %%) over %.0f s beside a classmate's %d sessions from it, which opened %d runs (%.0f a second) — target at least 99 %%",
		students, kept.Load(), tried.Load(), 100*share, flood.Seconds(), abusers, floodStarted.Load(), float64(floodStarted.Load())/flood.Seconds())
	if tried.Load() < students*int64(flood/every)/2 || share < 0.99 {
		t.Errorf("the class kept %d of %d runs beside the flood, want 99 %% at least: %v", kept.Load(), tried.Load(), problems)
	}
}

// wholeRun makes one run as a page does: opens it, fetches with its
// traceparent, reports what the browser measured. It reports whether it
// was all taken, and where not, why.
func wholeRun(ws *websocket.Conn, client *http.Client, url, addr string, ref int64) (bool, string) {
	ws.WriteJSON(wire.Message{Type: wire.Start, Ref: ref, Request: &stage.Request{Method: "GET", URL: "/site/api/cursos"}})
	m, ok := replyTo(ws, ref)
	if !ok || m.Type != wire.Started {
		return false, fmt.Sprintf("start: %s %s", m.Code, m.Message)
	}
	req, _ := http.NewRequest("GET", url+"/site/api/cursos", nil)
	req.Header.Set("traceparent", stage.Traceparent(m.Run, m.Secret))
	req.Header.Set("X-Forwarded-For", addr)
	res, err := client.Do(req)
	if err != nil {
		return false, "fetch: " + err.Error()
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		return false, "fetch: " + res.Status
	}
	report := clientReport(m.Run)
	report.Ref = ref
	ws.WriteJSON(report)
	if ack, ok := replyTo(ws, ref); !ok || ack.Type != wire.Ack {
		return false, fmt.Sprintf("report: %s %s", ack.Code, ack.Message)
	}
	return true, ""
}

// replyTo reads until the answer to the message ref (events pass by).
func replyTo(ws *websocket.Conn, ref int64) (wire.Message, bool) {
	for {
		ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		var m wire.Message
		if err := ws.ReadJSON(&m); err != nil {
			return wire.Message{}, false
		}
		if m.Ref == ref && (m.Type == wire.Started || m.Type == wire.Ack || m.Type == wire.Error) {
			return m, true
		}
	}
}

// soakNonReaders runs the lab as its own process and holds 200 clients
// that follow runs and never read, while a page makes fat runs they follow:
// each is cut once the server holds 512 KB of its messages, and the
// process's resident memory stays at most 300 MB (its peak, VmHWM, as
// Linux counts it; the clients are in the test's process). Then one client
// asks for all it may, subscribing to a fat run 30 times a second for 20 s
// and reading everything: what it is sent stays within the catch-up meter
// (512 KB, then 256 KB a second).
func soakNonReaders(t *testing.T) {
	const clients = 200
	bin := buildBinary(t, t.TempDir())
	p := startLabProcess(t, bin, filepath.Join(t.TempDir(), "reqlab.db"), "-trusted-proxies", "127.0.0.1")
	pid := p.cmd.Process.Pid
	wsURL := "ws" + strings.TrimPrefix(p.url, "http") + "/ws"
	before := procStatus(t, pid, "VmRSS")

	// Small receive buffers: what a client does not read piles up on the
	// server's side, as across a real network once the buffers between
	// are full.
	small := &websocket.Dialer{NetDial: func(network, addr string) (net.Conn, error) {
		c, err := net.Dial(network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetReadBuffer(4 << 10)
		}
		return c, err
	}}
	readers := make([]*websocket.Conn, clients)
	for i := range readers {
		ws, _, err := small.Dial(wsURL, http.Header{"Origin": {p.url}, "X-Forwarded-For": {fmt.Sprintf("10.77.%d.%d", i>>8, i&255)}})
		if err != nil {
			t.Fatalf("client %d: %v", i+1, err)
		}
		defer ws.Close()
		if _, ok := readUntil(ws, wire.Hello); !ok {
			t.Fatalf("client %d: no hello", i+1)
		}
		readers[i] = ws // and it reads no more
	}

	var peak atomic.Int64
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stopSampling:
				return
			case <-time.After(100 * time.Millisecond):
			}
			if kb := procStatusKB(pid, "VmRSS"); kb > peak.Load() {
				peak.Store(kb)
			}
		}
	}()
	// A page makes fat runs, which every client follows from its start, for
	// 40 s: each run's events are some 100 KB, sent to all 200.
	var driver *socket
	start := func(ref int64) string {
		driver.send(wire.Message{Type: wire.Start, Ref: ref, Request: &stage.Request{Method: "GET", URL: "/site/api/cursos"}})
		m := driver.reply()
		if m.Type != wire.Started {
			t.Fatalf("start: %+v", m)
		}
		return m.Run
	}
	fat := 0
	for began := time.Now(); time.Since(began) < 40*time.Second; {
		if fat%25 == 0 { // a session's burst is 30 runs
			driver = dialFrom(t, p.url, fmt.Sprintf("10.78.0.%d", fat/25+1))
		}
		fat++
		run := start(int64(fat))
		for _, ws := range readers {
			ws.SetWriteDeadline(time.Now().Add(time.Second))
			ws.WriteJSON(wire.Message{Type: wire.Subscribe, Ref: int64(fat), Run: run})
		}
		time.Sleep(50 * time.Millisecond) // followed before its events come
		driver.send(fatReport(run, int64(fat)))
		if r := driver.reply(); r.Type != wire.Ack {
			t.Fatalf("a fat report: %+v", r)
		}
	}
	close(stopSampling)
	<-sampled
	cut := cutCount(readers)
	hwm := procStatus(t, pid, "VmHWM")
	t.Logf("non-reading clients: %d clients following %d fat runs, %d of them cut; the server process's resident memory %d MB before, %d MB at its peak (VmHWM %d MB) — target at most 300 MB",
		clients, fat, cut, before>>10, peak.Load()>>10, hwm>>10)
	if hwm > 300<<10 {
		t.Errorf("the server's resident memory peaked at %d MB with %d non-reading clients, want at most 300 MB", hwm>>10, clients)
	}
	if cut < clients*9/10 {
		t.Errorf("%d of %d non-reading clients cut, want all, or nearly", cut, clients)
	}

	// One connection asking for all it may.
	const seconds = 20
	asker := dialFrom(t, p.url, "10.79.0.1")
	fatRunID := start(9998)
	driver.send(fatReport(fatRunID, 9999))
	if r := driver.reply(); r.Type != wire.Ack {
		t.Fatalf("a fat report: %+v", r)
	}
	var got atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			asker.ws.SetReadDeadline(time.Now().Add(3 * time.Second))
			_, msg, err := asker.ws.ReadMessage()
			if err != nil {
				return
			}
			got.Add(int64(len(msg)))
		}
	}()
	asked := time.Now()
	for ref := int64(1); time.Since(asked) < seconds*time.Second; ref++ {
		if asker.ws.WriteJSON(wire.Message{Type: wire.Subscribe, Ref: ref, Run: fatRunID}) != nil {
			break
		}
		time.Sleep(time.Second / 30)
	}
	took := time.Since(asked)
	asker.ws.Close()
	<-done
	bound := float64(512<<10) + float64(256<<10)*took.Seconds()
	t.Logf("one connection subscribing to a fat run 30 times a second for %.0f s was sent %d KB (%.0f KB/s) — target at most %.0f KB (512 KB, then 256 KB/s)",
		took.Seconds(), got.Load()>>10, float64(got.Load()>>10)/took.Seconds(), bound/1024)
	if float64(got.Load()) > bound*1.1 {
		t.Errorf("one connection was sent %d KB in %.0f s, want at most %.0f KB", got.Load()>>10, took.Seconds(), bound/1024)
	}
}

// dialFrom opens the lab's websocket as a page behind addr (the lab trusts
// loopback's X-Forwarded-For).
func dialFrom(t *testing.T, url, addr string) *socket {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(url, "http")+"/ws", http.Header{"Origin": {url}, "X-Forwarded-For": {addr}})
	if err != nil {
		t.Fatalf("dial from %s: %v", addr, err)
	}
	t.Cleanup(func() { ws.Close() })
	s := &socket{t: t, ws: ws}
	s.hello = s.read()
	return s
}

// fatReport is the final report of a run with every client event's details
// at their limit (4 KB each).
func fatReport(run string, ref int64) wire.Message {
	m := timing.Measured{Method: "GET", URL: "/site/api/cursos", HasEntry: true, Entry: timing.Entry{
		FetchStart: 1, DomainLookupStart: 1, DomainLookupEnd: 1, ConnectStart: 1, ConnectEnd: 1,
		RequestStart: 2, ResponseStart: 5, ResponseEnd: 6, TransferSize: 900, EncodedBodySize: 600, DecodedBodySize: 600,
	}, Parse: timing.Span{Start: 6, End: 7}, Render: timing.Span{Start: 7, End: 20}, Rendered: 6}
	events := m.Events()
	for i := range events {
		d := &events[i].Detail
		room := 4<<10 - len(d.URL) - len(d.Method) - len(d.Protocol) - len(d.Reason) - len(d.ServerAddr) - len(d.Network) - len(d.Route)
		d.Error = strings.Repeat("e", min(2<<10, room))
		d.SQL = strings.Repeat("s", min(2<<10, room-len(d.Error)))
	}
	return wire.Message{Type: wire.Report, Ref: ref, Run: run, Final: true, Events: events, Response: &stage.Response{Status: 200}}
}

// cutCount reads what each client holds until the connection ends or is
// quiet, and counts those the server closed.
func cutCount(clients []*websocket.Conn) int {
	n := 0
	for _, ws := range clients {
		for {
			ws.SetReadDeadline(time.Now().Add(2 * time.Second))
			if _, _, err := ws.ReadMessage(); err != nil {
				if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
					n++
				}
				break
			}
		}
	}
	return n
}

// procStatus returns a field of /proc/pid/status in KB.
func procStatus(t *testing.T, pid int, field string) int64 {
	t.Helper()
	kb := procStatusKB(pid, field)
	if kb == 0 {
		t.Fatalf("no %s for process %d", field, pid)
	}
	return kb
}

func procStatusKB(pid int, field string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if name, v, ok := strings.Cut(sc.Text(), ":"); ok && name == field {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// soakFatRuns fills the store with 2,000 of the fattest runs a page can
// make, under a byte cap of 32 MB, pruned every 250 runs (a start prunes at
// once; the server itself prunes every minute, which a class takes far
// longer than this to fill): the store keeps about the cap, its file on disk
// stays within the cap and what comes between two prunes, and grows no more
// on the second thousand than on the first (pruned runs' pages are reused).
func soakFatRuns(t *testing.T) {
	const runs, chunk, keep = 2000, 250, 32 << 20
	dbPath := filepath.Join(t.TempDir(), "reqlab.db")
	env := map[string]string{"REQLAB_DB": dbPath, "REQLAB_KEEP_BYTES": strconv.Itoa(keep), "REQLAB_TRUSTED_PROXIES": "127.0.0.1"}
	size := func() int64 {
		var n int64
		for _, f := range []string{dbPath, dbPath + "-wal"} {
			if st, err := os.Stat(f); err == nil {
				n += st.Size()
			}
		}
		return n
	}
	bound := int64(keep + chunk*(256<<10)) // the cap, and a chunk of runs at store.MaxRunBytes
	var atHalf int64
	start := time.Now()
	for made := 0; made < runs; made += chunk {
		t.Run(fmt.Sprintf("runs %d-%d", made+1, made+chunk), func(t *testing.T) {
			l := startLab(t, env) // and prunes
			var page *socket
			for i := made; i < made+chunk; i++ {
				if i%25 == 0 { // a session's burst is 30 runs
					page = dialFrom(t, l.url, fmt.Sprintf("10.81.%d.%d", i>>8&255, i&255))
				}
				fatRun(t, l, page, int64(i+1))
			}
		})
		if made+chunk == runs/2 {
			atHalf = size()
		}
	}
	took := time.Since(start)
	t.Run("prune", func(t *testing.T) { startLab(t, env) })
	db, err := sql.Open("sqlite3", "file:"+dbPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var kept, bytes int64
	db.QueryRow(`SELECT count(*), coalesce(sum(bytes), 0) FROM runs`).Scan(&kept, &bytes)
	db.Close()
	file := size()
	t.Logf("fat runs: %d made (%.0f a second), pruned every %d; %d kept holding %d MB (cap %d MB); the store's file %d MB on disk after %d, %d MB after %d — target at most %d MB (the cap and %d runs' worth), and no more than 25 %% growth on the second thousand",
		runs, float64(runs)/took.Seconds(), chunk, kept, bytes>>20, keep>>20, atHalf>>20, runs/2, file>>20, runs, bound>>20, chunk)
	if bytes > keep*5/4 {
		t.Errorf("the store keeps %d MB, past its %d MB cap", bytes>>20, keep>>20)
	}
	if file > bound || file > atHalf*5/4 {
		t.Errorf("the store's file is %d MB after %d fat runs (%d MB after %d), want at most %d MB and no more than 25 %% growth", file>>20, runs, atHalf>>20, runs/2, bound>>20)
	}
}
