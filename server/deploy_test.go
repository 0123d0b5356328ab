package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"reqlab/app/stage"
	"reqlab/server/internal/pgtest"
)

// A deployment as the README describes it: several lab servers, one binary
// each, sharing one PostgreSQL, behind nginx as a round-robin balancer (no
// sticky sessions), all on loopback.

// labProcess is one lab server, a process of its own.
type labProcess struct {
	cmd  *exec.Cmd
	url  string
	port int
}

// startLabProcess starts the built binary on dbURL.
func startLabProcess(t *testing.T, bin, dbURL string, flags ...string) *labProcess {
	t.Helper()
	cmd, url := startBinary(t, bin, dbURL, flags...)
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(url, "http://"))
	p, _ := strconv.Atoi(port)
	return &labProcess{cmd: cmd, url: url, port: p}
}

// nginxBin finds nginx, or skips (fails under CI=true) where it is missing.
func nginxBin(t *testing.T) string {
	for _, p := range []string{"/usr/sbin/nginx", "/usr/bin/nginx"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("nginx is needed and CI=true; `make test` as root installs it")
	}
	t.Skip("nginx is not installed; `make test` as root installs it")
	return ""
}

// nginxConf is a whole nginx configuration of the test's own: %[1]s is its
// directory, %[2]s the user line (see runNginx), %[3]s the http block's
// upstreams and servers.
const nginxConf = `
daemon off;
master_process on;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
%[2]s
worker_rlimit_nofile 20000;
events { worker_connections 16000; }
http {
	access_log off;
	client_body_temp_path %[1]s/body;
	proxy_temp_path %[1]s/proxy;
	fastcgi_temp_path %[1]s/fastcgi;
	uwsgi_temp_path %[1]s/uwsgi;
	scgi_temp_path %[1]s/scgi;

	map $http_upgrade $connection_upgrade {
		default upgrade;
		''      close;
	}
%[3]s
}
`

// nginxLab is the README's settings for the lab behind nginx, in a server
// block (%[1]s: what it listens on and its certificate; %[2]s: where it
// passes requests). large_client_header_buffers gives the cookie lesson's
// heaviest weight room: with nginx's default (4 8k), its 15 KB Cookie line
// gets nginx's own 400, and the lab's server never sees it.
const nginxLab = `
	server {
%[1]s
		large_client_header_buffers 4 32k;
		location / {
			proxy_pass %[2]s;
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
		}
	}
`

// startNginx runs nginx in front of the servers, round robin, with the
// README's settings, and returns its address.
func startNginx(t *testing.T, servers []*labProcess) string {
	t.Helper()
	var upstream strings.Builder
	upstream.WriteString("\tupstream reqlab {\n\t\t# Round robin: any server serves any request.\n")
	for _, s := range servers {
		fmt.Fprintf(&upstream, "\t\tserver 127.0.0.1:%d max_fails=1 fail_timeout=30s;\n", s.port)
	}
	upstream.WriteString("\t}\n")
	port := freeTCPPort(t)
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	runNginx(t, upstream.String()+fmt.Sprintf(nginxLab, fmt.Sprintf("\t\tlisten 127.0.0.1:%d;", port), "http://reqlab"), url, http.DefaultClient)
	return url
}

// runNginx runs nginx with servers as its http block's upstreams and
// servers until the test ends, and waits until client gets 200 from
// url/healthz.
func runNginx(t *testing.T, servers, url string, client *http.Client) {
	t.Helper()
	bin := nginxBin(t)
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;" // its workers read the test's own files
	}
	conf := filepath.Join(dir, "nginx.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf(nginxConf, dir, user, servers)), 0o644)
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
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := client.Get(url + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx did not answer: %v\n%s", err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freeTCPPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// established counts the connections open to a local port (from
// /proc/net/tcp): behind nginx, which opens one per request, what stays
// open to a lab server is the websockets it holds.
func established(port int) int {
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return -1
	}
	defer f.Close()
	want := fmt.Sprintf(":%04X", port)
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 3 && strings.HasSuffix(fields[1], want) && fields[3] == "01" {
			n++
		}
	}
	return n
}

// signature is what a run went through, stage by stage, whichever server
// recorded it: each event's side, stage, phase, state and reason, in order
// of side and stage (the two sides' events interleave as they happen).
func signature(run stage.Run) string {
	var out []string
	for _, e := range run.Events {
		out = append(out, fmt.Sprintf("%s/%s/%s/%s/%s", e.Side, e.Stage, e.Phase, e.State, e.Detail.Reason))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// contiguous reports whether a run's events are numbered 1, 2, 3… with none
// missing.
func contiguous(run stage.Run) bool {
	for i, e := range run.Events {
		if e.Seq != int64(i+1) {
			return false
		}
	}
	return true
}

// The lab through nginx in front of three servers sharing PostgreSQL: the
// browser's runs are complete and the same as a single server records; then
// the server holding the page's websocket is killed mid-run (SIGKILL) and
// the page completes the run through the others, no event lost.
func TestDeploymentBehindNginx(t *testing.T) {
	nginxBin(t)
	dbURL := pgtest.Database(t)
	bin := buildBinary(t, t.TempDir())
	servers := []*labProcess{startLabProcess(t, bin, dbURL), startLabProcess(t, bin, dbURL), startLabProcess(t, bin, dbURL)}
	front := &lab{url: startNginx(t, servers)}
	single := startLab(t, nil)

	requests := []string{"/site/api/cursos", "/site/api/cursos/2", "/site/api/cursos/999999", "/site/api/inscripciones", "/site/api/cursos"}
	runAll := func(l *lab) []stage.Run {
		ctx := newBrowser(t)
		openLab(t, ctx, l.url+"/")
		var runs []stage.Run
		for _, url := range requests {
			typeInto(t, ctx, `[data-field="url"]`, url)
			before := clickToRun(t, ctx, `[data-action="send"]`)
			runs = append(runs, waitRun(t, ctx, l, before))
		}
		chromedp.Cancel(ctx) // its websocket closes
		return runs
	}
	want, got := runAll(single), runAll(front)
	for i := range requests {
		g := got[i]
		if g.State != stage.RunComplete || !contiguous(g) || !hasServerEvents(g) {
			t.Errorf("%s through nginx: %s, %d events, contiguous %v", requests[i], g.State, len(g.Events), contiguous(g))
		}
		if sg, sw := signature(g), signature(want[i]); sg != sw {
			t.Errorf("%s through nginx differs from one server's:\n got %s\nwant %s", requests[i], sg, sw)
		}
	}

	// Kill the server that holds the page's websocket while the sample
	// site, on another server, holds its answer back (a slow network).
	// Which server holds it: the one with a connection more than before the
	// page opened (nginx keeps no idle connection to the servers).
	held := func() []int {
		n := make([]int, len(servers))
		for i, s := range servers {
			n[i] = established(s.port)
		}
		return n
	}
	var baseline []int
	for wait := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if baseline = held(); slices.Equal(baseline, make([]int, len(servers))) || time.Now().After(wait) {
			break
		}
	}
	ctx := newBrowser(t)
	openLab(t, ctx, front.url+"/")
	var ws *labProcess
	deadline := time.Now().Add(10 * time.Second)
	for ws == nil {
		var holding []*labProcess
		for i, n := range held() {
			if n > baseline[i] {
				holding = append(holding, servers[i])
			}
		}
		if len(holding) == 1 {
			ws = holding[0]
		} else if time.Now().After(deadline) {
			t.Fatalf("connections held %v (before the page %v): want one more, the websocket's", held(), baseline)
		}
		time.Sleep(50 * time.Millisecond)
	}
	choose(t, ctx, `[data-field="network"]`, "slow-3g")
	typeInto(t, ctx, `[data-field="url"]`, "/site/api/cursos")
	for try := 0; try < 8; try++ {
		before := clickToRun(t, ctx, `[data-action="send"]`)
		waitFor(t, ctx, "the run to start", fmt.Sprintf(`(document.querySelector('[data-lab]').dataset.runId || "") !== %q`, before))
		id := eval[string](t, ctx, runIDJS)
		site := 0 // the port of the server serving the request, from its first stages
		for wait := time.Now().Add(10 * time.Second); site == 0 && time.Now().Before(wait); time.Sleep(20 * time.Millisecond) {
			if r := finalStates(storedRun(t, front.url, id))[stage.Receive]; r.Detail.ServerAddr != "" {
				_, p, _ := net.SplitHostPort(r.Detail.ServerAddr)
				site, _ = strconv.Atoi(p)
			}
		}
		if site == 0 {
			t.Fatal("the server recorded no stage of the run")
		}
		if site == ws.port {
			waitRun(t, ctx, front, before) // the same server: try another run
			continue
		}
		ws.cmd.Process.Kill() // SIGKILL: no shutdown, no close frame
		ws.cmd.Wait()
		run := waitRun(t, ctx, front, before)
		if run.State != stage.RunComplete || !contiguous(run) || len(run.Events) != 2*len(stage.All()) {
			t.Fatalf("the run after the kill: %s, %d events (contiguous %v), want complete with %d", run.State, len(run.Events), contiguous(run), 2*len(stage.All()))
		}
		final := finalStates(run)
		for _, p := range eval[[]pageStage](t, ctx, readDiagram) {
			if want := final[stage.ID(p.Stage)].State; p.State != string(want) {
				t.Errorf("after the kill the page shows %s %s, the store %s", p.Stage, p.State, want)
			}
		}
		t.Logf("run %d: its websocket's server (:%d) killed while :%d held the answer; the page completed it through the others, %d events, none missing",
			try+1, ws.port, site, len(run.Events))
		return
	}
	t.Fatal("the request never went to another server than the websocket")
}
