package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"reqlab/app/stage"
)

func TestRunsAPIAnswersUnknownIDsWithJSON(t *testing.T) {
	l := startLab(t, nil)
	for _, id := range []string{stage.NewRunID(), "not-a-run", strings.Repeat("0", 32)} {
		var body struct {
			Error string `json:"error"`
		}
		if code := getJSON(t, l.url+"/api/runs/"+id, &body); code != 404 || body.Error == "" {
			t.Errorf("GET /api/runs/%s: %d %+v, want 404 with an error", id, code, body)
		}
	}
	var body struct{ Error string }
	if code := getJSON(t, l.url+"/api/nothing", &body); code != 404 || body.Error == "" {
		t.Errorf("GET /api/nothing: %d %+v", code, body)
	}
}

func fetch(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestPagesArePrerenderedInBothLanguages(t *testing.T) {
	l := startLab(t, nil)
	tests := []struct {
		path string
		want []string
	}{
		{"/", []string{`<html lang="es"`, "<title>reqlab · laboratorio de peticiones web</title>", "El camino de la petición", ">Enviar<", "Cargando el laboratorio"}},
		{"/?lang=es", []string{`<html lang="es"`, ">Enviar<"}},
		{"/?lang=en", []string{`<html lang="en"`, "<title>reqlab · web request lab</title>", "The request&#39;s path", ">Send<"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res, html := fetch(t, l.url+tt.path)
			if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("%d %s", res.StatusCode, res.Header.Get("Content-Type"))
			}
			for _, w := range tt.want {
				if !strings.Contains(html, w) {
					t.Errorf("the page lacks %q", w)
				}
			}
			if !strings.Contains(html, `data-lab="reqlab"`) || strings.Contains(html, "data-lab-ready") {
				t.Error("the prerendered root must have data-lab and never data-lab-ready")
			}
			if n := countTags(html, "li", `class="stage"`, `data-state="idle"`); n != len(stage.All()) {
				t.Errorf("%d idle stages in the diagram, want %d", n, len(stage.All()))
			}
			if n := countTags(html, "circle", `data-dot=`, `data-state="idle"`); n != len(stage.All()) {
				t.Errorf("%d idle stages in the picture, want %d", n, len(stage.All()))
			}
			if !regexp.MustCompile(`data-field="url"[^>]*value="/site/api/cursos"|value="/site/api/cursos"[^>]*data-field="url"`).MatchString(html) {
				t.Error("the form does not show GET /site/api/cursos")
			}
			if m := regexp.MustCompile(`(?i)(src|href)="(https?:)?//[^"]*"`).FindString(html); m != "" {
				t.Errorf("the page loads %s from outside the lab's origin", m)
			}
		})
	}
}

func TestClientFilesAreLocal(t *testing.T) {
	l := startLab(t, nil)
	res, _ := fetch(t, l.url+"/web/app.wasm")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/wasm" {
		t.Errorf("app.wasm: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	_, manifest := fetch(t, l.url+"/manifest.webmanifest")
	if strings.Contains(manifest, "http") {
		t.Errorf("the manifest points outside: %s", manifest)
	}
	for _, icon := range []string{"/web/icon-192.png", "/web/icon-512.png", "/web/icon.svg", "/web/lab.css"} {
		if res, _ := fetch(t, l.url+icon); res.StatusCode != 200 {
			t.Errorf("%s: %d", icon, res.StatusCode)
		}
	}
	_, worker := fetch(t, l.url+"/app-worker.js")
	if !strings.Contains(worker, `path.startsWith("/site/")`) {
		t.Error("the service worker does not leave the sample site's requests to the network")
	}
	_, appJS := fetch(t, l.url+"/app.js")
	if strings.Contains(appJS, "https://") {
		t.Error("app.js names an outside host")
	}
}

// The wasm client imports no server code: no SQLite, no gorilla, nothing of
// server/, and, built as make builds it (wasm/trim), not net/http either,
// nor regexp (go-app's pattern routes: the client routes exact paths).
func TestWasmClientImportsNoServerCode(t *testing.T) {
	if _, err := os.Stat("../build/wasm.mod"); err != nil {
		t.Fatal("no build/wasm.mod: run make wasm (make test does)")
	}
	cmd := exec.Command("go", "list", "-modfile", "../build/wasm.mod", "-deps", "../wasm")
	cmd.Env = append(cmd.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	for _, bad := range []string{"github.com/mattn/go-sqlite3", "github.com/gorilla/websocket", "reqlab/server", "net/http", "crypto/tls", "crypto/x509", "regexp"} {
		if slices.ContainsFunc(deps, func(d string) bool { return d == bad || strings.HasPrefix(d, bad+"/") }) {
			t.Errorf("the wasm client imports %s", bad)
		}
	}
}

// The budget of issue 6: what a class downloads at once.
func TestWasmWithinBudget(t *testing.T) {
	const maxRaw, maxBrotli = 7_000_000, 1_500_000
	for _, f := range []struct {
		path string
		max  int64
	}{{"../web/app.wasm", maxRaw}, {"../web/app.wasm.br", maxBrotli}} {
		st, err := os.Stat(f.path)
		if err != nil {
			t.Fatalf("%v: run make wasm (make test does)", err)
		}
		t.Logf("%s: %d bytes (budget %d)", f.path, st.Size(), f.max)
		if st.Size() > f.max {
			t.Errorf("%s is %d bytes, over its budget of %d", f.path, st.Size(), f.max)
		}
	}
}

func TestWasmIsServedPrecompressedAndPinnedToItsBuild(t *testing.T) {
	l := startLab(t, nil)
	_, appJS := fetch(t, l.url+"/app.js")
	m := regexp.MustCompile(`/web/app\.wasm\?v=[0-9a-f]+`).FindString(appJS)
	if m == "" {
		t.Fatal("app.js does not ask for the wasm by its build's URL")
	}
	for _, tt := range []struct{ accept, encoding string }{{"gzip, deflate, br", "br"}, {"gzip", "gzip"}, {"", ""}, {"br;q=0, gzip", "gzip"}} {
		req, _ := http.NewRequest("GET", l.url+m, nil)
		req.Header.Set("Accept-Encoding", tt.accept)
		tr := &http.Transport{DisableCompression: true}
		res, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.Header.Get("Content-Encoding") != tt.encoding || res.Header.Get("Content-Type") != "application/wasm" ||
			!strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, type %q, Vary %q", tt.accept, res.Header.Get("Content-Encoding"),
				res.Header.Get("Content-Type"), res.Header.Get("Vary"))
		}
		if cc := res.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("Cache-Control %q for a build-pinned wasm", cc)
		}
		if tt.encoding == "" && !bytes.HasPrefix(body, []byte("\x00asm")) {
			t.Error("the uncompressed answer is not wasm")
		}
	}
}

func TestSettingsAreChecked(t *testing.T) {
	for _, args := range [][]string{{"-keep-days", "-1"}, {"-keep-runs", "many"}, {"extra"}} {
		if _, err := parseConfig(args, func(string) string { return "" }, io.Discard); err == nil {
			t.Errorf("parseConfig(%v) took it", args)
		}
	}
	c, err := parseConfig([]string{"-keep-days", "7"}, func(k string) string {
		return map[string]string{"REQLAB_KEEP_DAYS": "1", "REQLAB_KEEP_RUNS": "50", "REQLAB_ADDR": ":9000"}[k]
	}, io.Discard)
	if err != nil || c.keepDays != 7 || c.keepRuns != 50 || c.addr != ":9000" {
		t.Errorf("the flag wins over the variable, the variable over the default: %+v, %v", c, err)
	}
}

// countTags counts the opening tags of one name that hold every attribute
// given, in whatever order they come.
func countTags(html, tag string, attrs ...string) int {
	n := 0
	for _, open := range regexp.MustCompile(`<`+tag+` [^>]*>`).FindAllString(html, -1) {
		all := true
		for _, a := range attrs {
			all = all && strings.Contains(open, a)
		}
		if all {
			n++
		}
	}
	return n
}

func TestResetSampleData(t *testing.T) {
	l := startLab(t, nil)
	for _, tt := range []struct {
		query  string
		status int
		body   string
	}{
		{"", 400, "session must be"},
		{"?session=" + strings.Repeat("z", 32), 400, "session must be"},
		{"?session=" + stage.NewRunID(), 400, "session must be"}, // an id the lab did not sign
		{"?session=" + dialLab(t, l).hello.Session, 200, `{"deleted":0}`},
	} {
		req, _ := http.NewRequest("DELETE", l.url+"/api/sample-data"+tt.query, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tt.status || !strings.Contains(string(b), tt.body) {
			t.Errorf("DELETE /api/sample-data%s: %d %s, want %d %s", tt.query, res.StatusCode, b, tt.status, tt.body)
		}
	}
}
