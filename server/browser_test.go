package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"reqlab/app/stage"
)

var screenshot = flag.String("screenshot", "", "write a screenshot of the lab after a run to this PNG file")

// newBrowser starts a headless Chromium with a fresh profile, cut off from
// every host but the ones the test names. Under CI=true a missing Chromium
// fails the test; elsewhere it skips it with the command that installs it.
func newBrowser(t testing.TB) context.Context {
	t.Helper()
	return newBrowserLang(t, "es-ES")
}

// newBrowserLang is newBrowser for a browser whose language is lang.
func newBrowserLang(t testing.TB, lang string) context.Context {
	t.Helper()
	return startChromium(t, 90*time.Second, chromiumOptions(t, t.TempDir(), lang))
}

// chromiumOptions are what every test's browser starts with: Debian's
// Chromium, headless, its profile in the folder given, none of its calls
// home, a window of 1280 × 1100 and a person whose language is lang (the
// lab follows the browser's language where the page does not name one).
// Without Chromium the test is skipped, except in CI, where it fails.
func chromiumOptions(t testing.TB, profile, lang string) []chromedp.ExecAllocatorOption {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("Chromium is missing; CI never skips browser tests (make test installs it as root)")
		}
		t.Skip("Chromium is missing: run 'sudo apt-get install -y chromium' (make test does it as root)")
	}
	return []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(profile),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 1100),
		chromedp.Flag("lang", lang),
		chromedp.Flag("accept-lang", lang),
	}
}

// startChromium starts a browser with opts, for at most timeout; it closes
// when the test ends.
func startChromium(t testing.TB, timeout time.Duration, opts []chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// openLab loads a page of the lab, starts its wasm client as a person's
// first action does (a Shift press) and waits for the client to be ready.
func openLab(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(url),
		chromedp.WaitVisible(`[data-lab]`),
		chromedp.KeyEvent(kb.Shift),
		chromedp.WaitVisible(`[data-lab][data-lab-ready="true"]`),
	); err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
}

// pageStage is one stage of the diagram as the page shows it.
type pageStage struct {
	Stage  string `json:"stage"`
	State  string `json:"state"`
	Dur    string `json:"dur"`
	Detail string `json:"detail"`
}

const readDiagram = `Array.from(document.querySelectorAll('.stage[data-stage]')).map(e => ({
	stage: e.dataset.stage, state: e.dataset.state,
	dur: (e.querySelector('[data-field="dur"]') || {}).textContent || "",
	detail: (e.querySelector('[data-field="detail"]') || {}).textContent || ""}))`

// contextT is a browser tab's context.
type contextT = context.Context

// sendAndWait types url into the form (unless it is ""), clicks Send and
// waits until the run on screen is a new one with every stage of both sides
// ended. It returns the
// run's id and the diagram.
func sendAndWait(t *testing.T, ctx context.Context, url string) (string, map[string]pageStage) {
	t.Helper()
	if url != "" {
		typeInto(t, ctx, `[data-field="url"]`, url)
	}
	before := clickToRun(t, ctx, `[data-action="send"]`)
	var runID string
	var stages []pageStage
	deadline := time.Now().Add(20 * time.Second)
	for {
		runID = eval[string](t, ctx, runIDJS)
		stages = eval[[]pageStage](t, ctx, readDiagram)
		if runID != "" && runID != before && allEnded(stages) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %q for %s did not end every stage in 20 s: %+v", runID, url, stages)
		}
		time.Sleep(50 * time.Millisecond)
	}
	byStage := make(map[string]pageStage, len(stages))
	for _, s := range stages {
		byStage[s.Stage] = s
	}
	return runID, byStage
}

func allEnded(stages []pageStage) bool {
	if len(stages) != len(stage.All()) {
		return false
	}
	for _, s := range stages {
		if !stage.State(s.State).Final() {
			return false
		}
	}
	return true
}

// typeInto replaces what a text field holds by typing, as a person would:
// the field's text is selected, then the keys replace it. A field the page
// redraws meanwhile is typed into again.
func typeInto(t *testing.T, ctx context.Context, sel, text string) {
	t.Helper()
	var err error
	for try := 0; try < 5; try++ {
		if err = chromedp.Do(ctx,
			chromedp.Focus(sel),
			chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).select()`, sel)),
			chromedp.SendKeys(sel, text),
		); err == nil {
			if eval[string](t, ctx, fmt.Sprintf(`document.querySelector(%q).value`, sel)) == text {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("type into %s: %v", sel, err)
}

const runIDJS = `document.querySelector('[data-lab]').dataset.runId || ""`

// eval runs a JS expression in the page and returns its value.
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// textOf returns the text of an element, waiting a little for it to have
// some: the page may be redrawing it.
func textOf(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	js := fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ""`, sel)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if s := strings.TrimSpace(eval[string](t, ctx, js)); s != "" || time.Now().After(deadline) {
			return s
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// storedRun reads a run back from the API.
func storedRun(t *testing.T, base, id string) stage.Run {
	t.Helper()
	var run stage.Run
	if code := getJSON(t, base+"/api/runs/"+id, &run); code != 200 {
		t.Fatalf("GET /api/runs/%s: %d", id, code)
	}
	return run
}

// finalStates returns each stage's last state in a stored run.
func finalStates(run stage.Run) map[stage.ID]stage.Event {
	out := make(map[stage.ID]stage.Event)
	for _, e := range run.Events {
		out[e.Stage] = e
	}
	return out
}

func TestBrowserSendsARealRequest(t *testing.T) {
	l := startLab(t, nil)
	ctx := newBrowser(t)
	openLab(t, ctx, l.url+"/")

	// The wasm client came compressed, downloaded once, by the worker that
	// compiled it (its mark carries what its Resource Timing saw), and the
	// page itself never asked for it.
	wasm := eval[[]float64](t, ctx, `(() => { const m = performance.getEntriesByName("reqlab:client-compiled")[0];
		const d = m ? m.detail.downloads : [];
		return [d.length, d.length ? d[0].encodedBodySize : 0, d.length ? d[0].decodedBodySize : 0,
			performance.getEntriesByType("resource").filter(e => e.name.includes("/web/app.wasm")).length] })()`)
	if wasm[0] != 1 || wasm[3] != 0 {
		t.Errorf("app.wasm was downloaded %v times by the worker and %v by the page, want once by the worker", wasm[0], wasm[3])
	}
	if wasm[2] == 0 || wasm[1]*3 > wasm[2] {
		t.Errorf("app.wasm: %v bytes received for %v decoded, want it compressed", wasm[1], wasm[2])
	}

	runID, page := sendAndWait(t, ctx, "/site/api/cursos")
	if !stage.ValidRunID(runID) {
		t.Fatalf("data-run-id %q is not a run id", runID)
	}
	if got := textOf(t, ctx, `[data-field="status"]`); !strings.HasPrefix(got, "200") {
		t.Errorf("status shows %q, want 200…", got)
	}
	courses := eval[int](t, ctx, `document.querySelectorAll('[data-field="rendered"] li.course').length`)
	if courses != 6 {
		t.Errorf("the rendered HTML lists %d courses, want the 6 of the sample data", courses)
	}

	run := storedRun(t, l.url, runID)
	if run.ID != runID || run.State != stage.RunComplete {
		t.Errorf("stored run %s is %q, want complete", run.ID, run.State)
	}
	if run.Response == nil || run.Response.Status != 200 {
		t.Errorf("stored response %+v, want status 200", run.Response)
	}
	if run.Request.URL != "/site/api/cursos" || run.Request.Method != "GET" {
		t.Errorf("stored request %s %s", run.Request.Method, run.Request.URL)
	}
	var traceparent string
	for _, h := range run.Request.Headers {
		if h.Name == "Traceparent" {
			traceparent = h.Value
		}
	}
	if id, ok := stage.RunIDFromTraceparent(traceparent); !ok || id != runID {
		t.Errorf("the server received traceparent %q, want one with trace-id %s", traceparent, runID)
	}
	for i, e := range run.Events {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d: events must be stored in order from 1", i, e.Seq)
		}
	}

	final := finalStates(run)
	for _, id := range stage.All() {
		e, ok := final[id]
		if !ok {
			t.Errorf("stage %s has no stored event", id)
			continue
		}
		p := page[string(id)]
		if p.State != string(e.State) {
			t.Errorf("stage %s: page shows %q, database holds %q", id, p.State, e.State)
		}
		if p.Dur == "" {
			t.Errorf("stage %s shows no duration nor says it has none", id)
		}
		if e.DurMs != nil && strings.Contains(p.Dur, "sin medida") {
			t.Errorf("stage %s was measured (%v ms) but the page says it was not", id, *e.DurMs)
		}
		if e.State == stage.Skipped && p.Detail == "" {
			t.Errorf("skipped stage %s does not say why", id)
		}
	}
	for _, id := range []stage.ID{stage.Receive, stage.Route, stage.DB, stage.Respond, stage.Wait, stage.Download, stage.Parse, stage.Render} {
		if e := final[id]; e.State != stage.Done || e.DurMs == nil {
			t.Errorf("stage %s: %s with duration %v, want done and measured", id, e.State, e.DurMs)
		}
	}
	if d := final[stage.DB].Detail; d.SQL == "" || d.Rows == nil || *d.Rows != 6 {
		t.Errorf("db detail %+v, want the SQL and 6 rows", d)
	}
	if final[stage.TLS].State != stage.Skipped {
		t.Errorf("tls is %s over plain http, want skipped", final[stage.TLS].State)
	}
	if final[stage.Cache].Detail.Reason != stage.ReasonCacheMiss {
		t.Errorf("cache reason %q, want %q", final[stage.Cache].Detail.Reason, stage.ReasonCacheMiss)
	}

	if *screenshot != "" {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if err := os.WriteFile(*screenshot, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestBrowserShowsTheBackendsDecisions(t *testing.T) {
	l := startLab(t, nil)
	ctx := newBrowser(t)
	openLab(t, ctx, l.url+"/")

	tests := []struct {
		url     string
		status  int
		route   stage.Reason
		db      stage.State
		dbWhy   stage.Reason
		dbError string
	}{
		{url: "/site/api/cursos/999999", status: 404, db: stage.Done, dbWhy: stage.ReasonNoRow},
		{url: "/site/api/nada", status: 404, route: stage.ReasonNoRoute, db: stage.Skipped, dbWhy: stage.ReasonNoRoute},
		{url: "/site/api/inscripciones", status: 500, db: stage.Error, dbError: "no such table: inscripciones"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			runID, page := sendAndWait(t, ctx, tt.url)
			if got := textOf(t, ctx, `[data-field="status"]`); !strings.HasPrefix(got, fmt.Sprint(tt.status)) {
				t.Errorf("status shows %q, want %d", got, tt.status)
			}
			final := finalStates(storedRun(t, l.url, runID))
			if got := final[stage.Respond].Detail.Status; got != tt.status {
				t.Errorf("respond status %d, want %d", got, tt.status)
			}
			if got := final[stage.Route].Detail.Reason; got != tt.route {
				t.Errorf("route reason %q, want %q", got, tt.route)
			}
			db := final[stage.DB]
			if db.State != tt.db || db.Detail.Reason != tt.dbWhy || db.Detail.Error != tt.dbError {
				t.Errorf("db %s (%q, %q), want %s (%q, %q)", db.State, db.Detail.Reason, db.Detail.Error, tt.db, tt.dbWhy, tt.dbError)
			}
			if page["db"].State != string(tt.db) {
				t.Errorf("the diagram shows db %s, want %s", page["db"].State, tt.db)
			}
		})
	}
}

func TestBrowserRefusesAURLOutsideTheSite(t *testing.T) {
	l := startLab(t, nil)
	ctx := newBrowser(t)
	openLab(t, ctx, l.url+"/?lang=en")

	typeInto(t, ctx, `[data-field="url"]`, "/api/runs")
	if err := chromedp.Do(ctx,
		chromedp.Click(`[data-action="send"]`),
		chromedp.WaitVisible(`[data-field="error"]`),
	); err != nil {
		t.Fatal(err)
	}
	if got := textOf(t, ctx, `[data-field="error"]`); !strings.Contains(got, "sample site") {
		t.Errorf("error message %q, want one in English about the sample site", got)
	}
	invalid := eval[string](t, ctx, `document.querySelector('[data-field="url"]').getAttribute("aria-invalid")`)
	runID := eval[string](t, ctx, runIDJS)
	if invalid != "true" {
		t.Errorf("aria-invalid = %q, want true", invalid)
	}
	if runID != "" {
		t.Errorf("a refused request started run %s", runID)
	}
}

// chromedpNavigate loads a page that is not the lab (it has no ready hook).
func chromedpNavigate(ctx context.Context, url string) error {
	return chromedp.Do(ctx, chromedp.Navigate(url))
}
