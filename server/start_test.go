package main

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdpfetch "github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"reqlab/app/lesson"
	"reqlab/app/stage"
)

// The client starts lazily (web/start.js): compiled by a worker once the
// page has painted, run on the first action. These tests hold the client's
// download back, so that what they do happens before it runs.

// heldClient holds every request for the wasm client in the browser until
// release is called, or fails them all (a school proxy blocking it).
type heldClient struct {
	ctx    context.Context
	mu     sync.Mutex
	held   []cdpfetch.RequestID
	free   bool
	block  bool
	asked  chan struct{}
	closed sync.Once
}

func holdClient(t *testing.T, ctx context.Context, block bool) *heldClient {
	t.Helper()
	h := &heldClient{ctx: ctx, block: block, asked: make(chan struct{})}
	chromedp.Listen(ctx, func(ev any) {
		e, ok := ev.(*cdpfetch.EventRequestPaused)
		if !ok {
			return
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		h.closed.Do(func() { close(h.asked) })
		switch {
		case h.block:
			go chromedp.Call(ctx, cdpfetch.FailRequest, cdpfetch.FailRequestParams{RequestID: e.RequestID, ErrorReason: network.ErrorReasonBlockedByClient})
		case h.free:
			go chromedp.Call(ctx, cdpfetch.ContinueRequest, cdpfetch.ContinueRequestParams{RequestID: e.RequestID})
		default:
			h.held = append(h.held, e.RequestID)
		}
	})
	if _, err := chromedp.Call(ctx, cdpfetch.Enable, cdpfetch.EnableParams{Patterns: []*cdpfetch.RequestPattern{{URLPattern: "*/web/app.wasm*"}}}); err != nil {
		t.Fatalf("hold the client's download: %v", err)
	}
	return h
}

// release lets the held downloads, and any to come, go on.
func (h *heldClient) release(t *testing.T) {
	t.Helper()
	select {
	case <-h.asked:
	case <-time.After(20 * time.Second):
		t.Fatal("the page never asked for the client")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.free = true
	for _, id := range h.held {
		if _, err := chromedp.Call(h.ctx, cdpfetch.ContinueRequest, cdpfetch.ContinueRequestParams{RequestID: id}); err != nil {
			t.Fatalf("release the client: %v", err)
		}
	}
	h.held = nil
}

// startClientIn starts the client of a lab's page as a person's first
// action would, by a key press dispatched in that page (a frame of another
// site takes no key from the page around it), and waits for it to be ready.
func startClientIn(t *testing.T, ctx context.Context) {
	t.Helper()
	waitFor(t, ctx, "the page's start script", `!!document.documentElement.dataset.labStart`)
	eval[bool](t, ctx, `dispatchEvent(new KeyboardEvent("keydown", {key: "Shift"}))`)
	waitFor(t, ctx, "the client", `!!document.querySelector('[data-lab][data-lab-ready="true"]')`)
}

// startState is where the page's start is (<html data-lab-start>).
func startState(t *testing.T, ctx context.Context) string {
	t.Helper()
	return eval[string](t, ctx, `document.documentElement.dataset.labStart || ""`)
}

// countRows counts the rows of one of the lab's tables, read from its
// SQLite file.
func countRows(t *testing.T, l *lab, table string) int {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+l.dbPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// What a person types and sends before the client runs, on a phone's slower
// processor, is what the client sends, once.
func TestBrowserSendPressedBeforeTheClientStarted(t *testing.T) {
	l := startLab(t, nil)
	ctx := newBrowser(t)
	held := holdClient(t, ctx, false)
	if _, err := chromedp.Call(ctx, emulation.SetCPUThrottlingRate, emulation.SetCPUThrottlingRateParams{Rate: 4}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(l.url+"/?lang=es"), chromedp.WaitVisible(`[data-action="send"]`)); err != nil {
		t.Fatal(err)
	}
	typeInto(t, ctx, `[data-field="url"]`, "/site/api/cursos/2")
	eval[bool](t, ctx, `(() => { const s = document.querySelector('[data-field="network"]'); s.value = "fast-3g";
		s.dispatchEvent(new Event("change", {bubbles: true})); return true })()`)
	click(t, ctx, `[data-action="send"]`)
	click(t, ctx, `[data-action="send"]`) // an impatient second press
	if s := startState(t, ctx); s == "running" {
		t.Fatalf("the client was running before its download was let through (%q)", s)
	}
	if got := textOf(t, ctx, `[data-action="send"]`); got != "Iniciando…" {
		t.Errorf("Send pressed before the client started says %q, want Iniciando…", got)
	}
	held.release(t)

	waitFor(t, ctx, "the run sent before the start to end", `(() => { const r = document.querySelector('[data-lab]');
		return !!r.dataset.runId && r.dataset.runState === "done" })()`)
	run := storedRun(t, l.url, eval[string](t, ctx, runIDJS))
	if run.Request.URL != "/site/api/cursos/2" || run.Request.Network != "fast-3g" {
		t.Errorf("the client sent %s on %q, want /site/api/cursos/2 on fast-3g", run.Request.URL, run.Request.Network)
	}
	time.Sleep(1500 * time.Millisecond) // a second run would have begun by now
	if n := countRows(t, l, "runs"); n != 1 {
		t.Errorf("%d runs stored, want exactly one", n)
	}
	if got := eval[string](t, ctx, `document.querySelector('[data-field="url"]').value`); got != "/site/api/cursos/2" {
		t.Errorf("the form shows %q after the run", got)
	}
}

// Typing, picking and focus survive the hand-over: the client's field holds
// the text, the caret and the focus the person left in the server's page.
func TestBrowserTypingAndCaretKeptWhenTheClientStarts(t *testing.T) {
	l := startLab(t, nil)
	ctx := newBrowser(t)
	held := holdClient(t, ctx, false)
	if err := chromedp.Do(ctx, chromedp.Navigate(l.url+"/?lang=en"), chromedp.WaitVisible(`[data-field="url"]`)); err != nil {
		t.Fatal(err)
	}
	typeInto(t, ctx, `[data-field="url"]`, "/site/api/cursos?nivel=basico")
	eval[bool](t, ctx, `(() => { const m = document.querySelector('[data-field="method"]'); m.value = "HEAD";
		m.dispatchEvent(new Event("change", {bubbles: true}));
		const u = document.querySelector('[data-field="url"]'); u.focus(); u.setSelectionRange(4, 9); return true })()`)
	if s := startState(t, ctx); s == "running" {
		t.Fatalf("the client ran before its download was let through")
	}
	held.release(t)
	waitFor(t, ctx, "the client", `!!document.querySelector('[data-lab][data-lab-ready="true"]')`)

	got := eval[map[string]any](t, ctx, `(() => { const u = document.querySelector('[data-field="url"]'), a = document.activeElement;
		return {url: u.value, method: document.querySelector('[data-field="method"]').value,
			focused: a === u, start: u.selectionStart, end: u.selectionEnd,
			queryRows: document.querySelectorAll('[data-field="query-name"]').length} })()`)
	want := map[string]any{"url": "/site/api/cursos?nivel=basico", "method": "HEAD", "focused": true,
		"start": float64(4), "end": float64(9), "queryRows": float64(1)}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("after the start, %s = %v, want %v", k, got[k], v)
		}
	}
	// The client holds them too, not only the fields: it sends them.
	runID, _ := sendAndWait(t, ctx, "")
	if run := storedRun(t, l.url, runID); run.Request.Method != "HEAD" || run.Request.URL != "/site/api/cursos?nivel=basico" {
		t.Errorf("the client sent %s %s", run.Request.Method, run.Request.URL)
	}
}

// controlsJS reads every form control of the lab as the page shows it, and
// where it stands.
const controlsJS = `Array.from(document.querySelectorAll('[data-lab] input, [data-lab] select, [data-lab] textarea, [data-lab] button')).map(e => {
	const r = e.getBoundingClientRect();
	return {key: e.tagName + " " + (e.dataset.field || e.dataset.action || e.id || e.className),
		value: e.tagName === "BUTTON" ? e.textContent.replace(/\s+/g, " ").trim() : e.value,
		checked: !!e.checked, x: Math.round(r.left), y: Math.round(r.top + scrollY), w: Math.round(r.width), h: Math.round(r.height)} })`

type control struct {
	Key     string  `json:"key"`
	Value   string  `json:"value"`
	Checked bool    `json:"checked"`
	X       float64 `json:"x"`
	Y       float64 `json:"y"`
	W       float64 `json:"w"`
	H       float64 `json:"h"`
}

// Every control of every page shows, with JavaScript off, what the client
// shows once it runs, where it will be.
func TestBrowserPrerenderedControlsAreTheClients(t *testing.T) {
	l := startLab(t, nil)
	ctx := newBrowser(t)
	openLab(t, ctx, l.url+"/")
	runID, _ := sendAndWait(t, ctx, "/site/api/cursos/999999")

	pages := []string{"/", "/?lang=en", "/embed/cookies", "/runs/" + runID, "/runs/" + runID + "?lang=en", "/runs/00000000000000000000000000000000"}
	for _, slug := range lesson.Slugs() {
		pages = append(pages, "/lab/"+slug, "/lab/"+slug+"?lang=en")
	}
	for _, p := range pages {
		t.Run(strings.ReplaceAll(p, "/", "_"), func(t *testing.T) {
			ctx := newBrowser(t)
			if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(ctx, chromedp.Navigate(l.url+p), chromedp.WaitVisible(`[data-lab]`)); err != nil {
				t.Fatal(err)
			}
			off := eval[[]control](t, ctx, controlsJS)
			if len(off) == 0 {
				t.Fatal("no control read with JavaScript off")
			}
			if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: false}); err != nil {
				t.Fatal(err)
			}
			openLab(t, ctx, l.url+p)
			if strings.HasPrefix(p, "/runs/000") {
				waitFor(t, ctx, "the client to say the run is unknown", `!!document.querySelector('[data-field="error"]')`)
			}
			// A stored run plays from the start once the client runs: the
			// form and its places are read again once it has ended.
			waitFor(t, ctx, "the run played", `document.querySelector('[data-lab]').dataset.runState !== "running"`)
			on := eval[[]control](t, ctx, controlsJS)
			if len(on) < len(off) {
				t.Fatalf("%d controls with JavaScript off, %d once the client runs", len(off), len(on))
			}
			for i, c := range off {
				o := on[i]
				if c.Key != o.Key || c.Value != o.Value || c.Checked != o.Checked {
					t.Errorf("control %d: %+v with JavaScript off, %+v once the client runs", i, c, o)
				}
				if c.X != o.X || c.Y != o.Y || c.W != o.W || c.H != o.H {
					t.Errorf("control %d %s moved: %v,%v %vx%v → %v,%v %vx%v", i, c.Key, c.X, c.Y, c.W, c.H, o.X, o.Y, o.W, o.H)
				}
			}
		})
	}
}

// Where the client cannot start, the page says so in its own language and
// shows no raw error.
func TestBrowserClientThatCannotStartSaysSo(t *testing.T) {
	l := startLab(t, nil)
	for _, tt := range []struct {
		name, page, want string
		noWasm           bool
	}{
		{"blocked, es", "/lab/cache?lang=es", "no puede arrancar", false},
		{"blocked, en", "/lab/cache?lang=en", "cannot start", false},
		{"no WebAssembly, es", "/?lang=es", "no puede arrancar", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := newBrowser(t)
			if tt.noWasm {
				if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `delete window.WebAssembly`}); err != nil {
					t.Fatal(err)
				}
			} else {
				holdClient(t, ctx, true)
			}
			if err := chromedp.Do(ctx, chromedp.Navigate(l.url+tt.page), chromedp.WaitVisible(`[data-lab]`),
				chromedp.KeyEvent(kb.Shift)); err != nil {
				t.Fatal(err)
			}
			waitFor(t, ctx, "the message", `(() => { const m = document.querySelector('[data-field="start-failed"]');
				return !!m && !m.hidden && m.offsetHeight > 0 })()`)
			if got := textOf(t, ctx, `[data-field="start-failed"]`); !strings.Contains(got, tt.want) {
				t.Errorf("the message says %q, want it to say %q", got, tt.want)
			}
			body := eval[string](t, ctx, `document.body.innerText`)
			for _, raw := range []string{"TypeError", "Failed to fetch", "WebAssembly.", "undefined"} {
				if strings.Contains(body, raw) {
					t.Errorf("the page shows %q", raw)
				}
			}
			if s := startState(t, ctx); s != "failed" {
				t.Errorf("start state %q, want failed", s)
			}
		})
	}
}

// A run's page shows the stored run whole before anyone touches it, and
// plays it once the client runs.
func TestBrowserStoredRunShownAtOnceAndPlayedAfter(t *testing.T) {
	l := startLab(t, nil)
	ctx := newBrowser(t)
	openLab(t, ctx, l.url+"/")
	runID, _ := sendAndWait(t, ctx, "/site/api/cursos/999999")

	viewer := newBrowser(t)
	if err := chromedp.Do(viewer, chromedp.Navigate(l.url+"/runs/"+runID), chromedp.WaitVisible(`[data-diagram]`)); err != nil {
		t.Fatal(err)
	}
	before := eval[map[string]any](t, viewer, `(() => { const r = document.querySelector('[data-lab]'), d = document.querySelector('[data-diagram]');
		return {id: r.dataset.runId || "", state: r.dataset.runState || "", status: d.dataset.status || "", outcome: d.dataset.outcome || "",
			field: (document.querySelector('[data-field="status"]') || {}).textContent || "",
			ended: Array.from(document.querySelectorAll('.stage[data-stage]')).filter(e => ["done","skipped","error"].includes(e.dataset.state)).length,
			bars: document.querySelectorAll('[data-timeline] [data-bar]').length,
			start: document.documentElement.dataset.labStart || ""} })()`)
	if before["start"] == "running" {
		t.Fatal("the client ran with no action")
	}
	if before["id"] != runID || before["state"] != "done" || before["status"] != "404" || before["outcome"] != "client-error" ||
		!strings.HasPrefix(before["field"].(string), "404") || before["ended"] != float64(len(stage.All())) || before["bars"] == float64(0) {
		t.Errorf("before any action the run's page shows %v", before)
	}

	// Watch the run state as the client takes over: it plays, then ends.
	eval[bool](t, viewer, `(() => { window.states = []; new MutationObserver(() => window.states.push(document.querySelector('[data-lab]').dataset.runState || ""))
		.observe(document.body, {attributes: true, subtree: true, attributeFilter: ["data-run-state"]}); return true })()`)
	if err := chromedp.Do(viewer, chromedp.KeyEvent(kb.Shift)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, viewer, "the run to play and end", `window.states.includes("running") && document.querySelector('[data-lab]').dataset.runState === "done"`)
}

// An embedded lesson answers its host before its client runs: it says it is
// ready with no action, and a host's reqlab:run sent at once is carried out.
func TestBrowserEmbedAnswersItsHostBeforeTheClientRuns(t *testing.T) {
	l := startLab(t, nil)
	host := hostPage(t, l.url+"/embed/status-codes?lang=es")
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(host)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "reqlab:ready", `window.got.some(m => m.data.type === "reqlab:ready")`)
	eval[bool](t, ctx, `(() => { document.getElementById("lab").contentWindow.postMessage({type: "reqlab:run", v: 1, step: 1}, "*"); return true })()`)
	waitFor(t, ctx, "the run the host asked for", `window.got.some(m => m.data.type === "reqlab:run-complete")`)
	ready := hostGot(t, ctx, "reqlab:ready")
	if len(ready) != 1 || ready[0]["lesson"] != "status-codes" || ready[0]["lang"] != "es" {
		t.Errorf("ready messages %v, want one for status-codes in es", ready)
	}
	done := hostGot(t, ctx, "reqlab:run-complete")
	if len(done) != 1 {
		t.Fatalf("%d runs complete, want one", len(done))
	}
	run := storedRun(t, l.url, done[0]["run_id"].(string))
	ls, _ := lesson.Find("status-codes")
	if want := ls.Steps[0].Request; run.Request.Method != want.Method || run.Request.URL != want.URL {
		t.Errorf("the host's step 1 ran %s %s, want %s %s", run.Request.Method, run.Request.URL, want.Method, want.URL)
	}
}

// No page the server sends writes a boolean attribute as ="false": a
// browser reads any such attribute as true.
func TestPagesWriteNoFalseBooleanAttribute(t *testing.T) {
	l := startLab(t, nil)
	boolFalse := regexp.MustCompile(`\s(checked|selected|disabled|hidden|open|required|readonly|multiple|autofocus|novalidate|defer|async)="false"`)
	pages := []string{"/", "/?lang=en", "/embed/cookies", "/runs/00000000000000000000000000000000"}
	for _, slug := range lesson.Slugs() {
		pages = append(pages, "/lab/"+slug, "/embed/"+slug+"?lang=en")
	}
	for _, p := range pages {
		res, err := http.Get(l.url + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if m := boolFalse.FindAllString(string(b), -1); len(m) > 0 {
			t.Errorf("%s writes %v", p, m)
		}
	}
}

// The commonest first action: the page has loaded and compiled its client,
// and the student presses Send. The press starts the client, which takes
// the page over only once the press is released, so the click is not lost
// between the two pages: the request runs, once.
func TestBrowserSendAsTheFirstActionRunsOnce(t *testing.T) {
	l := startLab(t, nil)
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(l.url+"/?lang=es"),
		chromedp.WaitReady(`html[data-lab-start="compiled"]`), chromedp.Click(`[data-action="send"]`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the run the first press sent", `(() => { const r = document.querySelector('[data-lab]');
		return !!r.dataset.runId && r.dataset.runState === "done" })()`)
	time.Sleep(time.Second)
	if n := countRows(t, l, "runs"); n != 1 {
		t.Errorf("%d runs stored, want exactly one", n)
	}
}
