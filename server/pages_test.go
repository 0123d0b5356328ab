package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// A page that names no language is drawn in the browser's first one, and
// says that it depends on it; ?lang= wins; the client's files do not vary.
func TestPagesSpeakTheBrowsersFirstLanguage(t *testing.T) {
	l := startLab(t, nil)
	for _, tt := range []struct {
		path, accept, lang string
		vary               bool
	}{
		{"/", "en-US,en;q=0.9", "en", true},
		{"/", "es-ES,en;q=0.5", "es", true},
		{"/", "", "es", true},
		{"/lab/cache", "en", "en", true},
		{"/embed/cookies", "en-GB", "en", true},
		{"/?lang=es", "en-US", "es", false},
		{"/lab/cache?lang=en", "es", "en", false},
	} {
		req, _ := http.NewRequest("GET", l.url+tt.path, nil)
		req.Header.Set("Accept-Language", tt.accept)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, res)
		if !strings.Contains(body, `<html lang="`+tt.lang+`">`) {
			t.Errorf("%s with Accept-Language %q: not drawn in %q", tt.path, tt.accept, tt.lang)
		}
		if vary := strings.Contains(res.Header.Get("Vary"), "Accept-Language"); vary != tt.vary {
			t.Errorf("%s with Accept-Language %q: Vary %q", tt.path, tt.accept, res.Header.Get("Vary"))
		}
	}
	res, _ := fetch(t, l.url+"/app.js")
	if strings.Contains(res.Header.Get("Vary"), "Accept-Language") {
		t.Error("app.js varies with the language")
	}
}

// app.js starts the lab's own start (web/start.js) in place of go-app's: the
// client compiled once the page has painted, run on the first action, the
// service worker registered once it runs; the rest of go-app's script is
// kept.
func TestAppJSStartsTheClientLazily(t *testing.T) {
	l := startLab(t, nil)
	res, js := fetch(t, l.url+"/app.js")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/javascript" || res.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("app.js: %d, %q, %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"))
	}
	for _, want := range []string{`reqlabStart("/web/app.wasm?v=`, "function reqlabStart(wasmURL)", "goappAfterFirstPaint(compile)",
		"function goappAfterFirstPaint(f)", "function goappInitServiceWorker()", `new Worker("/web/compile.js")`} {
		if !strings.Contains(js, want) {
			t.Errorf("app.js lacks %q", want)
		}
	}
	if strings.Contains(js, "\ngoappInitWebAssembly();") || strings.Contains(js, "\ngoappInitServiceWorker();") {
		t.Error("app.js still starts the client or the worker at once")
	}
	req, _ := http.NewRequest("GET", l.url+"/app.js", nil)
	req.Header.Set("If-None-Match", res.Header.Get("ETag"))
	again, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	again.Body.Close()
	if again.StatusCode != http.StatusNotModified {
		t.Errorf("app.js asked again with its ETag: %d, want 304", again.StatusCode)
	}
}

// In a real browser the wasm client is asked for only after the page was on
// screen, compiled by then with no action, run only on one, and the service
// worker is still registered once the client runs.
func TestBrowserPaintsBeforeTheClientDownloads(t *testing.T) {
	l := startLab(t, nil)
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(l.url+"/lab/cache")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the client compiled", `document.documentElement.dataset.labStart === "compiled"`)
	time.Sleep(300 * time.Millisecond)
	if s := startState(t, ctx); s != "compiled" || eval[bool](t, ctx, `!!document.querySelector("[data-lab-ready]")`) {
		t.Fatalf("with no action the client is %q", s)
	}
	times := eval[[]float64](t, ctx, `[
		performance.timeOrigin + performance.getEntriesByType("paint").find(e => e.name === "first-paint").startTime,
		performance.getEntriesByName("reqlab:client-compiled")[0].detail.downloads[0].startedAt]`)
	if times[1] < times[0] {
		t.Errorf("the wasm was asked for %.0f ms before the first paint", times[0]-times[1])
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Shift), chromedp.WaitVisible(`[data-lab][data-lab-ready="true"]`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the service worker", `(window.__sw = window.__sw || navigator.serviceWorker.getRegistration().then(r => window.__swOK = !!r), window.__swOK === true)`)
}

func readAll(t *testing.T, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The client routes run pages by exact path, as it learns of runs: a run's
// link followed inside the page shows that run, and back returns.
func TestBrowserFollowsARunLinkInThePage(t *testing.T) {
	l := startLab(t, nil)
	ctx := newBrowser(t)
	openLab(t, ctx, l.url+"/?lang=en")
	id, _ := sendAndWait(t, ctx, "/site/api/cursos/2")
	click(t, ctx, `[data-field="run-link"]`)
	waitFor(t, ctx, "the run's page", `location.pathname === "/runs/`+id+`" && document.querySelector('[data-lab]') !== null`)
	waitFor(t, ctx, "the run on it", `document.querySelector('[data-lab]').dataset.runId === "`+id+`"`)
	if err := chromedp.Do(ctx, chromedp.NavigateBack()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the lab again", `location.pathname === "/" && document.querySelector('[data-action="send"]') !== null`)
}
