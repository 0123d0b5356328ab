package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5"

	"reqlab/app/stage"
	"reqlab/app/wire"
	"reqlab/server/internal/pgtest"
)

// soakConfig is what make soak is asked for (docs/CONTRACT.md): SERVERS lab
// servers, each its own process, on one store (DB, sqlite or postgres),
// behind nginx as one address; SESSIONS students' websockets, each making
// RATE runs a minute, for SECONDS.
type soakConfig struct {
	servers, sessions int
	duration          time.Duration
	db                string
	rate              float64 // runs per session per minute
}

// soakConfigFromEnv reads make soak's variables (REQLAB_SOAK_SERVERS…),
// with the class as the default: 3,000 sessions on three servers
// sharing PostgreSQL, for 60 s, six runs a minute each.
func soakConfigFromEnv(t *testing.T) soakConfig {
	c := soakConfig{servers: 3, sessions: 3000, duration: 60 * time.Second, db: "postgres", rate: 6}
	num := func(name string, def float64) float64 {
		v := os.Getenv("REQLAB_SOAK_" + name)
		if v == "" {
			return def
		}
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || n <= 0 {
			t.Fatalf("%s=%q is not a positive number", name, v)
		}
		return n
	}
	c.servers = int(num("SERVERS", float64(c.servers)))
	c.sessions = int(num("SESSIONS", float64(c.sessions)))
	c.duration = time.Duration(num("SECONDS", c.duration.Seconds()) * float64(time.Second))
	c.rate = num("RATE", c.rate)
	if v := os.Getenv("REQLAB_SOAK_DB"); v != "" {
		c.db = v
	}
	switch {
	case c.db != "sqlite" && c.db != "postgres":
		t.Fatalf("DB=%q: sqlite or postgres", c.db)
	case c.db == "sqlite" && c.servers > 1:
		t.Fatalf("DB=sqlite with SERVERS=%d: a SQLite store serves one lab server; servers share PostgreSQL (DB=postgres)", c.servers)
	}
	return c
}

// TestSoak is make soak (docs/CONTRACT.md): the lab servers on one store
// behind nginx, started here, and a class of sessions, each a websocket
// that makes runs as a browser does (open the run, fetch the sample site
// with its traceparent through nginx, report its own stages, wait for the
// acknowledgement), paced at RATE a minute from a moment of its own within
// the first period. Afterwards the store is read: every acknowledged run
// must hold its events. It ends with the contract's line. Where the cores'
// time went (each lab server, PostgreSQL, nginx, this load generator, and
// the rest of the machine) is printed before it.
func TestSoak(t *testing.T) {
	if os.Getenv("REQLAB_SOAK") == "" {
		t.Skip("a load test of a minute or more: run it with make soak")
	}
	cfg := soakConfigFromEnv(t)
	nginxBin(t)
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	var dsn string
	var postmaster int
	var statements *pgStatements
	if cfg.db == "postgres" {
		var cluster *pgtest.Cluster
		cluster, dsn, statements = soakCluster(t)
		b, err := os.ReadFile(filepath.Join(cluster.Dir, "postmaster.pid"))
		if err == nil {
			line, _, _ := strings.Cut(string(b), "\n")
			postmaster, _ = strconv.Atoi(line)
		}
	} else {
		dsn = filepath.Join(dir, "soak.db")
	}
	if n := os.Getenv("REQLAB_SOAK_GOMAXPROCS"); n != "" {
		t.Setenv("GOMAXPROCS", n) // the lab servers'
	}
	var servers []*labProcess
	for range cfg.servers {
		servers = append(servers, startLabProcess(t, bin, dsn, "-trusted-proxies", "127.0.0.1"))
	}
	front, nginx := startSoakNginx(t, servers)

	parts := []cpuPart{}
	for i, s := range servers {
		parts = append(parts, cpuPart{name: fmt.Sprintf("server%d", i+1), roots: []int{s.cmd.Process.Pid}})
	}
	if postmaster > 0 {
		parts = append(parts, cpuPart{name: "postgres", roots: []int{postmaster}})
	}
	parts = append(parts, cpuPart{name: "nginx", roots: []int{nginx}},
		cpuPart{name: "load generator", roots: []int{os.Getpid()}, alone: true})

	statements.reset(t)
	before := snapshot(parts)
	res := soakLoad(t, cfg, front)
	after := snapshot(parts)
	cpu := cpuReport(parts, before, after, res.runs)
	statements.report(t, res.runs)

	kept, lost := soakStored(t, cfg.db, dsn, res.acked)
	t.Logf("%d sessions at %.0f runs a minute for %.0f s: %d runs (%.0f a second), %d errors, %d runs with a lost event; p50 %d ms, p99 %d ms; %d of %d runs had every event reach their page",
		cfg.sessions, cfg.rate, res.elapsed.Seconds(), res.runs, float64(res.runs)/res.elapsed.Seconds(), res.errors, lost,
		res.p50.Milliseconds(), res.p99.Milliseconds(), res.delivered, res.checked)
	if res.errors > 0 || lost > 0 {
		t.Errorf("errors, by kind: %s", strings.Join(res.problems, "; "))
	}
	fmt.Printf("soak delivery: a run's server stages on its page after its answer, fetched from the websocket's server: %s; from another server: %s\n",
		res.shownSame, res.shownCross)
	fmt.Println(cpu)
	// Errors and lost events fail the test; the p99 is a figure, read
	// beside its target (this machine is shared).
	fmt.Printf("soak target (issue 25: SERVERS=3 SESSIONS=3000 SECONDS=60 DB=postgres, the defaults): lost=0 errors=0 stored=runs p99_ms<=250\n")
	fmt.Printf("soak: servers=%d sessions=%d runs=%d stored=%d lost=%d errors=%d p99_ms=%d\n",
		cfg.servers, cfg.sessions, res.runs, kept, lost, res.errors, res.p99.Milliseconds())
}

// soakResult is what the load generator saw.
type soakResult struct {
	runs, errors       int64
	acked              map[string]int64 // run → the seq its last ack named
	p50, p99           time.Duration    // a run's time, from its start to its last report's ack
	elapsed            time.Duration
	delivered, checked int64 // runs whose every event reached their page, of those checked
	// How long after a run's fetch was answered its server stages were all
	// on its page, where the fetch was served by the lab server that holds
	// the page's websocket and where by another (through PostgreSQL).
	shownSame, shownCross string
	problems              []string // each kind of error, with how many
}

// soakLoad holds cfg.sessions sessions making runs at url for cfg.duration.
func soakLoad(t *testing.T, cfg soakConfig, url string) soakResult {
	// The sessions' fetches share a few keep-alive connections to nginx,
	// as a class's browsers each keep theirs.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 512, IdleConnTimeout: time.Minute},
		Timeout: 10 * time.Second}
	period := time.Duration(float64(time.Minute) / cfg.rate)
	perRun := int64(2 * len(stage.All()))
	wsURL := "ws" + strings.TrimPrefix(url, "http") + "/ws"
	dialer := &websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 4096, WriteBufferSize: 4096,
		WriteBufferPool: &sync.Pool{}}

	var res soakResult
	var runs, errs, delivered, checked atomic.Int64
	var mu sync.Mutex
	res.acked = map[string]int64{}
	var took, shownSame, shownCross []time.Duration
	kinds := map[string]int{}
	fail := func(format string, args ...any) {
		errs.Add(1)
		// Errors of a kind differ only by their runs' ids and numbers.
		kind := soakNumbers.ReplaceAllString(fmt.Sprintf(format, args...), "N")
		mu.Lock()
		kinds[kind]++
		mu.Unlock()
	}
	start := time.Now()
	end := start.Add(cfg.duration)
	var wg sync.WaitGroup
	for i := 0; i < cfg.sessions; i++ {
		wg.Add(1)
		addr := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255) // the student's own
		go func() {
			defer wg.Done()
			s := &soakSession{url: url, addr: addr, client: client}
			defer s.close()
			// Students arrive over the first period, then run once a period.
			next := start.Add(time.Duration(rand.Int64N(int64(period))))
			timer := time.NewTimer(time.Until(next))
			defer timer.Stop()
			// check notes what the page got of its last run, which had
			// until now to get it all.
			pending, sameServer := false, false
			check := func() {
				if !pending {
					return
				}
				pending = false
				checked.Add(1)
				s.mu.Lock()
				got := s.events
				s.mu.Unlock()
				if got >= perRun {
					delivered.Add(1)
				}
				if d, ok := s.serverStagesShown(); ok {
					mu.Lock()
					if sameServer {
						shownSame = append(shownSame, d)
					} else {
						shownCross = append(shownCross, d)
					}
					mu.Unlock()
				}
			}
			for ref := int64(1); ; ref++ {
				<-timer.C
				check()
				if s.ws == nil {
					if err := s.dial(dialer, wsURL); err != nil {
						fail("dial: %v", err)
						s.close()
					}
				}
				if s.ws != nil {
					began := time.Now()
					run, seq, from, err := s.run(ref)
					if err != nil {
						fail("%v", err)
						s.close() // a browser reconnects
					} else if seq != perRun {
						fail("ack of run %s names seq %d, not %d", run, seq, perRun)
					} else {
						d := time.Since(began)
						runs.Add(1)
						pending, sameServer = true, from == s.upstream
						mu.Lock()
						res.acked[run] = seq
						took = append(took, d)
						mu.Unlock()
					}
				}
				// The next run is due a period after this one was; none
				// is due after the end, when the page has a second more.
				next = next.Add(period)
				for !next.After(time.Now()) {
					next = next.Add(period)
				}
				if next.After(end) {
					time.Sleep(time.Second)
					check()
					return
				}
				timer.Reset(time.Until(next))
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.runs, res.errors = runs.Load(), errs.Load()
	for kind, n := range kinds {
		res.problems = append(res.problems, fmt.Sprintf("%d× %s", n, kind))
	}
	slices.Sort(res.problems)
	res.delivered, res.checked = delivered.Load(), checked.Load()
	slices.Sort(took)
	if len(took) > 0 {
		res.p50 = took[len(took)/2]
		res.p99 = took[len(took)*99/100]
	}
	res.shownSame, res.shownCross = percentiles(shownSame), percentiles(shownCross)
	return res
}

// soakSession is one student's page: its websocket, read all the time as a
// browser does by a goroutine of its own, and what it heard of its runs.
type soakSession struct {
	url, addr string
	client    *http.Client
	ws        *websocket.Conn
	upstream  string            // the lab server that holds the websocket (nginx's X-Upstream)
	replies   chan wire.Message // the answers to the page's messages, from the reader
	quit      chan struct{}     // closed to stop the reader
	done      chan struct{}     // closed when the reader ends

	mu       sync.Mutex
	lastRun  string    // the run whose events are being counted
	events   int64     // how many of lastRun's events the page got (the highest seq)
	server   int       // how many of lastRun's server events the page got
	answered time.Time // when lastRun's fetch was answered
	onPage   time.Time // when the last of lastRun's server events reached the page
}

func (s *soakSession) dial(d *websocket.Dialer, wsURL string) error {
	ws, res, err := d.Dial(wsURL, http.Header{"Origin": {s.url}, "X-Forwarded-For": {s.addr}})
	if err != nil {
		return err
	}
	s.ws, s.upstream = ws, res.Header.Get("X-Upstream")
	s.replies, s.quit, s.done = make(chan wire.Message, 4), make(chan struct{}), make(chan struct{})
	go s.readAll(ws, s.replies, s.quit, s.done)
	if _, err := s.reply(wire.Hello); err != nil {
		return fmt.Errorf("hello: %w", err)
	}
	return nil
}

func (s *soakSession) close() {
	if s.ws != nil {
		close(s.quit)
		s.ws.Close()
		<-s.done
		s.ws = nil
	}
}

// readAll reads every message until the socket closes: an event of the
// latest run is counted (only its run, seq and side are decoded), anything
// else goes to the page's loop.
func (s *soakSession) readAll(ws *websocket.Conn, replies chan<- wire.Message, quit <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	defer close(replies)
	prefix := []byte(`{"type":"` + string(wire.Event) + `"`)
	serverEvents := 2 * len(stage.ServerStages)
	var buf bytes.Buffer
	for {
		_, r, err := ws.NextReader()
		if err != nil {
			return
		}
		buf.Reset()
		if _, err := buf.ReadFrom(r); err != nil {
			return
		}
		b := buf.Bytes()
		if bytes.HasPrefix(b, prefix) {
			run, seq, side, ok := scanEvent(b)
			if !ok {
				continue
			}
			s.mu.Lock()
			if run == s.lastRun {
				s.events = max(s.events, seq)
				if side == stage.Server {
					if s.server++; s.server == serverEvents {
						s.onPage = time.Now()
					}
				}
			}
			s.mu.Unlock()
			continue
		}
		var m wire.Message
		if err := json.Unmarshal(b, &m); err != nil {
			m = wire.Message{Type: wire.Error, Code: "undecodable", Message: err.Error()}
		}
		select {
		case replies <- m:
		case <-quit:
			return
		}
	}
}

// scanEvent reads an event message's run, seq and side, the first of each
// in it: the server writes the run before the event, and seq and side first
// in the event (wire.Message, stage.Event), before any detail. It is the
// load generator's largest cost after its system calls when decoded in
// full. One it cannot read so is decoded in full.
func scanEvent(b []byte) (run string, seq int64, side stage.Side, ok bool) {
	field := func(name string) []byte {
		i := bytes.Index(b, []byte(`"`+name+`":`))
		if i < 0 {
			return nil
		}
		return b[i+len(name)+3:]
	}
	quoted := func(v []byte) (string, bool) {
		if len(v) < 2 || v[0] != '"' {
			return "", false
		}
		end := bytes.IndexByte(v[1:], '"')
		if end < 0 {
			return "", false
		}
		return string(v[1 : 1+end]), true
	}
	r, rok := quoted(field("run"))
	sd, sok := quoted(field("side"))
	v := field("seq")
	n := 0
	for n < len(v) && v[n] >= '0' && v[n] <= '9' {
		n++
	}
	q, err := strconv.ParseInt(string(v[:n]), 10, 64)
	if rok && sok && err == nil {
		return r, q, stage.Side(sd), true
	}
	var e struct {
		Run   string `json:"run"`
		Event struct {
			Seq  int64      `json:"seq"`
			Side stage.Side `json:"side"`
		} `json:"event"`
	}
	if json.Unmarshal(b, &e) != nil {
		return "", 0, "", false
	}
	return e.Run, e.Event.Seq, e.Event.Side, true
}

// The soak's reading of events agrees with encoding/json's on what the lab
// sends, details that name a seq or a side included.
func TestSoakScansEvents(t *testing.T) {
	for _, e := range []stage.Event{
		{Seq: 7, Stage: "db", Side: stage.Server, Phase: stage.End, State: stage.Done},
		{Seq: 28, Stage: "render", Side: stage.Client, Phase: stage.Start, Detail: stage.Detail{Reason: `"seq":99,"side":"server"`}},
	} {
		b, _ := json.Marshal(wire.Message{Type: wire.Event, Run: stage.NewRunID(), Event: &e})
		var want wire.Message
		json.Unmarshal(b, &want)
		run, seq, side, ok := scanEvent(b)
		if !ok || run != want.Run || seq != want.Event.Seq || side != want.Event.Side {
			t.Errorf("%s: read run %q seq %d side %q (%v)", b, run, seq, side, ok)
		}
	}
}

// reply waits for the answer to the page's last message: of type want, or
// a failure (an error message, the socket closed, nothing within 10 s).
func (s *soakSession) reply(want wire.Type) (wire.Message, error) {
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	for {
		select {
		case m, ok := <-s.replies:
			switch {
			case !ok:
				return m, fmt.Errorf("waiting for %s: the socket closed", want)
			case m.Type == want:
				return m, nil
			case m.Type == wire.Error:
				return m, fmt.Errorf("waiting for %s: %s: %s", want, m.Code, m.Message)
			}
		case <-timeout.C:
			return wire.Message{}, fmt.Errorf("no %s within 10 s", want)
		}
	}
}

// run makes one whole run, as the lab's page does, and returns its id, the
// seq its last report's ack names, and the lab server that answered its
// fetch.
func (s *soakSession) run(ref int64) (run string, seq int64, fetchedFrom string, err error) {
	start, _ := json.Marshal(wire.Message{Type: wire.Start, Ref: ref, Request: &stage.Request{Method: "GET", URL: "/site/api/cursos"}})
	if err := s.ws.WriteMessage(websocket.TextMessage, start); err != nil {
		return "", 0, "", fmt.Errorf("start: %w", err)
	}
	m, err := s.reply(wire.Started)
	if err != nil {
		return "", 0, "", fmt.Errorf("start: %w", err)
	}
	s.mu.Lock()
	s.lastRun, s.events, s.server, s.answered, s.onPage = m.Run, 0, 0, time.Time{}, time.Time{}
	s.mu.Unlock()
	req, _ := http.NewRequest("GET", s.url+"/site/api/cursos", nil)
	req.Header.Set("traceparent", stage.Traceparent(m.Run, m.Secret))
	req.Header.Set("X-Forwarded-For", s.addr)
	res, err := s.client.Do(req)
	if err != nil {
		return m.Run, 0, "", fmt.Errorf("fetch: %w", err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	s.mu.Lock()
	s.answered = time.Now()
	s.mu.Unlock()
	if res.StatusCode != 200 {
		return m.Run, 0, "", fmt.Errorf("fetch: %s", res.Status)
	}
	report := clientReport(m.Run)
	report.Ref = ref
	b, _ := json.Marshal(report)
	if err := s.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		return m.Run, 0, "", fmt.Errorf("report: %w", err)
	}
	ack, err := s.reply(wire.Ack)
	if err != nil {
		return m.Run, 0, "", fmt.Errorf("report: %w", err)
	}
	return m.Run, ack.Seq, res.Header.Get("X-Upstream"), nil
}

// serverStagesShown is how long after its fetch was answered the latest
// run's server stages were all on the page; false if they are not yet.
func (s *soakSession) serverStagesShown() (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.onPage.IsZero() || s.answered.IsZero() {
		return 0, false
	}
	return max(0, s.onPage.Sub(s.answered)), true
}

// readCounts reads rows of (run id, count) into held: pgx's rows or
// database/sql's alike.
func readCounts(t *testing.T, rows interface {
	Next() bool
	Scan(...any) error
	Err() error
}, held map[string]int64) {
	t.Helper()
	for rows.Next() {
		var run string
		var n int64
		if err := rows.Scan(&run, &n); err != nil {
			t.Fatal(err)
		}
		held[run] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// soakStored counts, in the store, the acknowledged runs that hold every
// event their ack named (kept) and those that do not (lost).
func soakStored(t *testing.T, db, dsn string, acked map[string]int64) (kept, lost int) {
	const q = `SELECT run_id, count(*) FROM events GROUP BY run_id`
	held := map[string]int64{}
	if db == "postgres" {
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		rows, err := conn.Query(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		readCounts(t, rows, held)
	} else {
		conn, err := sql.Open("sqlite3", "file:"+dsn+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		rows, err := conn.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		readCounts(t, rows, held)
	}
	for run, seq := range acked {
		if held[run] >= seq {
			kept++
		} else {
			lost++
		}
	}
	return kept, lost
}

// soakNginxConf is the README's nginx, with the connections to the lab
// servers kept alive between requests (a fetch through nginx otherwise
// costs a TCP connection to a lab server, opened and closed, each time).
// One worker (REQLAB_SOAK_NGINX_WORKERS to try more).
const soakNginxConf = `
daemon off;
master_process on;
worker_processes %[5]d;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
%[4]s
worker_rlimit_nofile 40000;
events { worker_connections 20000; }
http {
	access_log off;
	client_body_temp_path %[1]s/body;
	proxy_temp_path %[1]s/proxy;
	fastcgi_temp_path %[1]s/fastcgi;
	uwsgi_temp_path %[1]s/uwsgi;
	scgi_temp_path %[1]s/scgi;

	map $http_upgrade $connection_upgrade {
		default upgrade;
		''      '';
	}
	upstream reqlab {
%[2]s
		keepalive 64;
	}
	server {
		listen 127.0.0.1:%[3]d;
		keepalive_requests 100000;
		large_client_header_buffers 4 32k;
		location / {
			proxy_pass http://reqlab;
			proxy_http_version 1.1;
			proxy_set_header Host $http_host;
			proxy_set_header Upgrade $http_upgrade;
			proxy_set_header Connection $connection_upgrade;
			proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
			proxy_set_header X-Forwarded-Proto $scheme;
			proxy_read_timeout 1h;
			proxy_buffering off;
			proxy_next_upstream error timeout http_502 http_503;
			proxy_connect_timeout 2s;
			# Which lab server answered: the soak tells a run's
			# cross-server delivery from a same-server one by it.
			add_header X-Upstream $upstream_addr always;
		}
	}
}
`

// startSoakNginx runs nginx in front of the servers; it returns its address
// and its master's pid.
func startSoakNginx(t *testing.T, servers []*labProcess) (string, int) {
	t.Helper()
	bin := nginxBin(t)
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	var upstream strings.Builder
	for _, s := range servers {
		fmt.Fprintf(&upstream, "\t\tserver 127.0.0.1:%d max_fails=1 fail_timeout=30s;\n", s.port)
	}
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;"
	}
	workers := 1
	if n, err := strconv.Atoi(os.Getenv("REQLAB_SOAK_NGINX_WORKERS")); err == nil && n > 0 {
		workers = n
	}
	port := freeTCPPort(t)
	conf := filepath.Join(dir, "nginx.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf(soakNginxConf, dir, upstream.String(), port, user, workers)), 0o644)
	cmd := exec.Command(bin, "-p", dir, "-c", conf)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			t.Log("nginx: " + sc.Text())
		}
	}()
	t.Cleanup(func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() })
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := http.Get(url + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return url, cmd.Process.Pid
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx did not answer: %v\n%s", err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// soakNumbers are what differs between errors of a kind: run ids, ports,
// counts.
var soakNumbers = regexp.MustCompile(`[0-9a-f]{32}|[0-9]+`)

// percentiles says how many durations there are, and their p50, p99 and
// largest.
func percentiles(d []time.Duration) string {
	if len(d) == 0 {
		return "none"
	}
	slices.Sort(d)
	ms := func(x time.Duration) float64 { return float64(x.Microseconds()) / 1000 }
	return fmt.Sprintf("%d runs, p50 %.1f ms, p99 %.1f ms, max %.1f ms", len(d), ms(d[len(d)/2]), ms(d[len(d)*99/100]), ms(d[len(d)-1]))
}
