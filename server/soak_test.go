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
		t.Errorf("errors: %v", res.problems)
	}
	fmt.Println(cpu)
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
	problems           []string
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
	var took []time.Duration
	fail := func(format string, args ...any) {
		errs.Add(1)
		mu.Lock()
		if len(res.problems) < 10 {
			res.problems = append(res.problems, fmt.Sprintf(format, args...))
		}
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
			for ref := int64(1); ; ref++ {
				<-timer.C
				if s.ws == nil {
					if err := s.dial(dialer, wsURL); err != nil {
						fail("dial: %v", err)
						s.close()
					}
				}
				if s.ws != nil {
					began := time.Now()
					run, seq, err := s.run(ref)
					if err != nil {
						fail("%v", err)
						s.close() // a browser reconnects
					} else if seq != perRun {
						fail("ack of run %s names seq %d, not %d", run, seq, perRun)
					} else {
						d := time.Since(began)
						runs.Add(1)
						mu.Lock()
						res.acked[run] = seq
						took = append(took, d)
						mu.Unlock()
					}
				}
				// The next run is due a period after this one was; none
				// is due after the end.
				next = next.Add(period)
				for !next.After(time.Now()) {
					next = next.Add(period)
				}
				if s.prevRun != "" {
					// The run before this one had a period to hear all.
					checked.Add(1)
					if s.prevEvents >= perRun {
						delivered.Add(1)
					}
					s.prevRun = ""
				}
				if next.After(end) {
					return
				}
				timer.Reset(time.Until(next))
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.runs, res.errors = runs.Load(), errs.Load()
	res.delivered, res.checked = delivered.Load(), checked.Load()
	slices.Sort(took)
	if len(took) > 0 {
		res.p50 = took[len(took)/2]
		res.p99 = took[len(took)*99/100]
	}
	return res
}

// soakSession is one student's page: its websocket, and what it heard of
// its latest run.
type soakSession struct {
	url, addr string
	client    *http.Client
	ws        *websocket.Conn
	buf       []byte
	lastRun   string // the run whose events are being counted
	events    int64  // how many of lastRun's events the page got (the highest seq)
	// The run before, and how many of its events the page got by the
	// time the next one started.
	prevRun    string
	prevEvents int64
}

func (s *soakSession) dial(d *websocket.Dialer, wsURL string) error {
	ws, _, err := d.Dial(wsURL, http.Header{"Origin": {s.url}, "X-Forwarded-For": {s.addr}})
	if err != nil {
		return err
	}
	s.ws = ws
	if _, err := s.read(wire.Hello); err != nil {
		return fmt.Errorf("hello: %w", err)
	}
	return nil
}

func (s *soakSession) close() {
	if s.ws != nil {
		s.ws.Close()
		s.ws = nil
	}
}

// run makes one whole run, as the lab's page does, and returns its id and
// the seq its last report's ack names.
func (s *soakSession) run(ref int64) (string, int64, error) {
	start, _ := json.Marshal(wire.Message{Type: wire.Start, Ref: ref, Request: &stage.Request{Method: "GET", URL: "/site/api/cursos"}})
	if err := s.ws.WriteMessage(websocket.TextMessage, start); err != nil {
		return "", 0, fmt.Errorf("start: %w", err)
	}
	m, err := s.read(wire.Started)
	if err != nil {
		return "", 0, fmt.Errorf("start: %w", err)
	}
	s.prevRun, s.prevEvents = s.lastRun, s.events
	s.lastRun, s.events = m.Run, 0
	req, _ := http.NewRequest("GET", s.url+"/site/api/cursos", nil)
	req.Header.Set("traceparent", stage.Traceparent(m.Run, m.Secret))
	req.Header.Set("X-Forwarded-For", s.addr)
	res, err := s.client.Do(req)
	if err != nil {
		return m.Run, 0, fmt.Errorf("fetch: %w", err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		return m.Run, 0, fmt.Errorf("fetch: %s", res.Status)
	}
	report := clientReport(m.Run)
	report.Ref = ref
	b, _ := json.Marshal(report)
	if err := s.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		return m.Run, 0, fmt.Errorf("report: %w", err)
	}
	ack, err := s.read(wire.Ack)
	if err != nil {
		return m.Run, 0, fmt.Errorf("report: %w", err)
	}
	return m.Run, ack.Seq, nil
}

// read reads messages until one of type want, noting the events of the
// latest run on the way; an error message, or none within 10 s, fails.
func (s *soakSession) read(want wire.Type) (wire.Message, error) {
	prefix := []byte(`{"type":"` + string(wire.Event) + `"`)
	for {
		s.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, r, err := s.ws.NextReader()
		if err != nil {
			return wire.Message{}, err
		}
		buf := bytes.NewBuffer(s.buf[:0])
		if _, err := buf.ReadFrom(r); err != nil {
			return wire.Message{}, err
		}
		s.buf = buf.Bytes()
		if want != wire.Event && bytes.HasPrefix(s.buf, prefix) {
			// An event of a run followed: only its run and seq matter here.
			var e struct {
				Run   string `json:"run"`
				Event struct {
					Seq int64 `json:"seq"`
				} `json:"event"`
			}
			if json.Unmarshal(s.buf, &e) == nil && e.Run == s.lastRun {
				s.events = max(s.events, e.Event.Seq)
			}
			continue
		}
		var m wire.Message
		if err := json.Unmarshal(s.buf, &m); err != nil {
			return m, err
		}
		switch m.Type {
		case want:
			return m, nil
		case wire.Error:
			return m, fmt.Errorf("%s: %s", m.Code, m.Message)
		}
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
	for run, seq := range acked {
		if held[run] >= seq {
			kept++
		} else {
			lost++
		}
	}
	return kept, lost
}

// soakNginxConf is the README's nginx, tuned for a class: a worker per
// core, and connections to the lab servers kept alive between requests
// (a fetch through nginx otherwise costs a TCP connection to a lab server,
// opened and closed, each time).
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
		location / {
			proxy_pass http://reqlab;
			proxy_http_version 1.1;
			proxy_set_header Host $http_host;
			proxy_set_header Upgrade $http_upgrade;
			proxy_set_header Connection $connection_upgrade;
			proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
			proxy_read_timeout 1h;
			proxy_buffering off;
			proxy_next_upstream error timeout http_502 http_503;
			proxy_connect_timeout 2s;
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
