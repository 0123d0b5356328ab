package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lab is a running reqlab, started by run as `make run` starts it, on a free
// port with a database in a temporary folder.
type lab struct {
	url    string
	dbPath string
	banner string // the line the server printed as it began to serve
	stderr *lockedBuilder
}

// startLab runs the real program until the test ends.
func startLab(t testing.TB, extraEnv map[string]string) *lab {
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{
		"REQLAB_ADDR": "127.0.0.1:0",
		"REQLAB_DB":   filepath.Join(dir, "reqlab.db"),
	}
	for k, v := range extraEnv {
		env[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	outR, outW := io.Pipe()
	stderr := &lockedBuilder{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, func(k string) string { return env[k] }, outW, stderr)
		outW.Close()
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("the server did not stop within 15 s")
		}
		if t.Failed() {
			t.Logf("server log:\n%s", stderr.String())
		}
	})

	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
	}()
	var first string
	select {
	case first = <-lines:
	case err := <-done:
		t.Fatalf("run ended before serving: %v\n%s", err, stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatal("the server printed no address within 20 s")
	}
	m := regexp.MustCompile(`http://\S+`).FindString(first)
	if m == "" {
		t.Fatalf("no address in %q", first)
	}
	l := &lab{url: m, dbPath: env["REQLAB_DB"], banner: first, stderr: stderr}
	waitHealthy(t, l.url)
	return l
}

func waitHealthy(t testing.TB, base string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get(base + "/healthz")
		if err == nil {
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK && strings.TrimSpace(string(body)) == "ok" {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s/healthz never answered 200 ok", base)
}

// getJSON fetches url and decodes its JSON body into v, returning the status.
func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("GET %s: Content-Type %q, want JSON", url, ct)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: decode: %v", url, err)
	}
	return res.StatusCode
}

// lockedBuilder is a strings.Builder that the server's logger and the test
// may use at once.
type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *lockedBuilder) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuilder) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// healthOf asks a lab's /healthz and returns its status and words.
func healthOf(t *testing.T, base string) (int, string) {
	t.Helper()
	res, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}
