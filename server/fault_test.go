package main

import (
	"bufio"
	"database/sql"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"reqlab/app/stage"
	"reqlab/app/wire"
)

// TestKillNineAndRestart kills the real server with SIGKILL while runs are
// being stored, thirty times, and starts it again on the same database each
// time: the database stays sound, every event the server acknowledged is
// there, and runs it cut off are marked interrupted.
func TestKillNineAndRestart(t *testing.T) {
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	dbPath := filepath.Join(dir, "reqlab.db")
	acked := map[string]int64{} // run → the last seq the server acknowledged
	var cut []string            // runs left open when the server was killed
	var mu sync.Mutex

	for round := 0; round < 30; round++ {
		cmd, url := startBinary(t, bin, dbPath)
		ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(url, "http")+"/ws", http.Header{"Origin": {url}})
		if err != nil {
			t.Fatalf("round %d: dial: %v", round, err)
		}
		// Keep storing runs until the kill: open, the server's stages, the
		// client's report; note each acknowledgement.
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for ref := int64(1); ; ref++ {
				select {
				case <-stop:
					return
				default:
				}
				if ws.WriteJSON(wire.Message{Type: wire.Start, Ref: ref, Request: &stage.Request{Method: "GET", URL: "/site/api/cursos"}}) != nil {
					return
				}
				m, ok := readUntil(ws, wire.Started)
				if !ok {
					return
				}
				mu.Lock()
				cut = append(cut, m.Run)
				mu.Unlock()
				req, _ := http.NewRequest("GET", url+"/site/api/cursos", nil)
				req.Header.Set("traceparent", stage.Traceparent(m.Run, m.Secret))
				if res, err := http.DefaultClient.Do(req); err == nil {
					res.Body.Close()
				}
				if ws.WriteJSON(clientReport(m.Run)) != nil {
					return
				}
				ack, ok := readUntil(ws, wire.Ack)
				if !ok {
					return
				}
				mu.Lock()
				acked[m.Run] = ack.Seq
				mu.Unlock()
			}
		}()
		time.Sleep(time.Duration(20+rand.IntN(80)) * time.Millisecond)
		cmd.Process.Kill() // SIGKILL: no shutdown, no flush
		cmd.Wait()
		close(stop)
		ws.Close()
		<-done
	}

	cmd, url := startBinary(t, bin, dbPath)
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	db, err := sql.Open("sqlite3", "file:"+dbPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q, %v", check, err)
	}
	var orphans int // events whose run is not there: PRAGMA foreign_key_check
	if err := db.QueryRow(`SELECT count(*) FROM pragma_foreign_key_check`).Scan(&orphans); err != nil || orphans != 0 {
		t.Fatalf("foreign_key_check: %d rows, %v", orphans, err)
	}
	if len(acked) < 30 {
		t.Fatalf("only %d runs acknowledged in 30 rounds: the test did not exercise the server", len(acked))
	}
	for run, seq := range acked {
		var n int64
		db.QueryRow(`SELECT count(*) FROM events WHERE run_id = ? AND seq <= ?`, run, seq).Scan(&n)
		if n != seq {
			t.Errorf("run %s: %d of the %d acknowledged events are there", run, n, seq)
		}
	}
	interrupted := 0
	var anInterrupted string
	for _, run := range cut {
		if _, done := acked[run]; done {
			continue
		}
		var got stage.Run
		if code := getJSON(t, url+"/api/runs/"+run, &got); code == 200 {
			// Stored whole just before the kill (its ack never left), or cut
			// off: never still open.
			switch got.State {
			case stage.RunInterrupted:
				interrupted++
				anInterrupted = run
			case stage.RunComplete:
			default:
				t.Errorf("run %s cut off by the kill is %q, want interrupted", run, got.State)
			}
		}
	}
	t.Logf("30 kills: %d runs acknowledged and all there, %d cut off and marked interrupted", len(acked), interrupted)

	// The page says so of a run that was cut off.
	if anInterrupted != "" {
		ctx := newBrowser(t)
		openLab(t, ctx, url+"/runs/"+anInterrupted)
		waitFor(t, ctx, "the page to say the run was cut off", `!!document.querySelector('[data-field="interrupted"]')`)
	}
}

// buildBinary builds the server, as make does, into dir.
func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "reqlab")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// startBinary starts the built server on a free port and waits until it
// answers.
func startBinary(t *testing.T, bin, dbPath string, flags ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0", "-db", dbPath, "-keep-days", "0", "-keep-runs", "0", "-keep-session-runs", "0"}, flags...)...)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			line <- sc.Text()
		}
		for sc.Scan() {
		}
	}()
	select {
	case l := <-line:
		url := regexp.MustCompile(`http://\S+`).FindString(l)
		waitHealthy(t, url)
		return cmd, url
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the server did not start")
	}
	return nil, ""
}

// readUntil reads messages until one of type want (events pass by).
func readUntil(ws *websocket.Conn, want wire.Type) (wire.Message, bool) {
	for {
		ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, b, err := ws.ReadMessage()
		if err != nil {
			return wire.Message{}, false
		}
		var m wire.Message
		if json.Unmarshal(b, &m) != nil {
			return wire.Message{}, false
		}
		if m.Type == want {
			return m, true
		}
		if m.Type == wire.Error {
			return m, false
		}
	}
}

// TestSIGTERMShutsDownGracefully: on SIGTERM the server closes every
// websocket with a close frame, stores what it acknowledged, and exits 0.
func TestSIGTERMShutsDownGracefully(t *testing.T) {
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	dbPath := filepath.Join(dir, "reqlab.db")
	cmd, url := startBinary(t, bin, dbPath)
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(url, "http")+"/ws", http.Header{"Origin": {url}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	ws.WriteJSON(wire.Message{Type: wire.Start, Ref: 1, Request: &stage.Request{Method: "GET", URL: "/site/api/cursos"}})
	m, ok := readUntil(ws, wire.Started)
	if !ok {
		t.Fatal("no run started")
	}
	ws.WriteJSON(clientReport(m.Run))
	ack, ok := readUntil(ws, wire.Ack)
	if !ok {
		t.Fatal("no ack")
	}

	cmd.Process.Signal(syscall.SIGTERM)
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	var ce *websocket.CloseError
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
				t.Errorf("the socket ended with %v, want a close frame 1001", err)
			}
			break
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("the server exited with %v, want 0", err)
	}
	db, err := sql.Open("sqlite3", "file:"+dbPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int64
	db.QueryRow(`SELECT count(*) FROM events WHERE run_id = ?`, m.Run).Scan(&n)
	if n != ack.Seq {
		t.Errorf("%d events stored, %d acknowledged", n, ack.Seq)
	}
}
