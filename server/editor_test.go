package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"reqlab/app/stage"
	"reqlab/app/timeline"
)

// choose picks an option of a select as a person does, firing its change.
func choose(t *testing.T, ctx contextT, sel, value string) {
	t.Helper()
	eval[bool](t, ctx, fmt.Sprintf(`(() => { const s = document.querySelector(%q); s.value = %q;
		s.dispatchEvent(new Event("change", {bubbles: true})); return true })()`, sel, value))
}

// click clicks an element and fails the test if it cannot. The page may
// redraw the element between finding and clicking it: then it tries again.
func click(t *testing.T, ctx contextT, sel string) {
	t.Helper()
	var err error
	for try := 0; try < 5; try++ {
		if err = chromedp.Do(ctx, chromedp.Click(sel, chromedp.NodeVisible)); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("click %s: %v", sel, err)
}

// answer picks option n of the lesson's question and checks it. A click is
// a pointer's, at where the option was a moment before: one that a moving
// layout made miss (the run's last notes still coming in) leaves the earlier
// answer picked, and the check would judge that one. It is clicked again
// until the option is the one picked.
func answer(t *testing.T, ctx contextT, n int) {
	t.Helper()
	picked := fmt.Sprintf(`document.querySelector('#answer-%d').checked`, n)
	for try := 0; try < 5 && !eval[bool](t, ctx, picked); try++ {
		click(t, ctx, fmt.Sprintf(`#answer-%d`, n))
		for wait := 0; wait < 20 && !eval[bool](t, ctx, picked); wait++ {
			time.Sleep(25 * time.Millisecond)
		}
	}
	if !eval[bool](t, ctx, picked) {
		t.Fatalf("answer %d is not picked after five clicks", n)
	}
	click(t, ctx, `[data-action="check-answer"]`)
}

// addRow clicks an add button and waits for the new row. A click that a
// moving layout made miss is clicked again.
func addRow(t *testing.T, ctx contextT, kind string, n int) {
	t.Helper()
	there := fmt.Sprintf(`!!document.querySelector('.rows-%s [data-row="%d"]')`, kind, n)
	for try := 0; try < 5; try++ {
		click(t, ctx, `[data-action="add-`+kind+`"]`)
		for wait := 0; wait < 20; wait++ {
			if eval[bool](t, ctx, there) {
				return
			}
			time.Sleep(25 * time.Millisecond)
		}
	}
	t.Fatalf("no %s row %d after clicking its add button", kind, n)
}

// waitFor polls a JS condition until it holds.
func waitFor(t *testing.T, ctx contextT, what, js string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !eval[bool](t, ctx, js) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 20 s for %s", what)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

func TestBrowserEditsReplaysAndCompares(t *testing.T) {
	l := startLab(t, nil)
	ctx := newBrowser(t)
	openLab(t, ctx, l.url+"/")

	// Edit the method, a query parameter, a header (and one switched off) and a cookie.
	choose(t, ctx, `[data-field="method"]`, "DELETE")
	typeInto(t, ctx, `[data-field="url"]`, "/site/api/cursos/3")
	addRow(t, ctx, "query", 1)
	typeInto(t, ctx, `[data-field="query-name"]`, "confirmar")
	typeInto(t, ctx, `[data-field="query-value"]`, "sí")
	waitFor(t, ctx, "the URL to follow the query rows",
		`document.querySelector('[data-field="url"]').value === "/site/api/cursos/3?confirmar=s%C3%AD"`)
	addRow(t, ctx, "header", 1)
	addRow(t, ctx, "header", 2)
	typeInto(t, ctx, `.rows-header [data-row="1"] [data-field="header-name"]`, "X-Curso")
	typeInto(t, ctx, `.rows-header [data-row="1"] [data-field="header-value"]`, "reqlab")
	typeInto(t, ctx, `.rows-header [data-row="2"] [data-field="header-name"]`, "X-Apagada")
	typeInto(t, ctx, `.rows-header [data-row="2"] [data-field="header-value"]`, "1")
	click(t, ctx, `.rows-header [data-row="2"] [data-field="header-on"]`)
	waitFor(t, ctx, "the header switched off", `!document.querySelector('.rows-header [data-row="2"] [data-field="header-on"]').checked`)
	addRow(t, ctx, "cookie", 1)
	typeInto(t, ctx, `[data-field="cookie-name"]`, "tema")
	typeInto(t, ctx, `[data-field="cookie-value"]`, "oscuro")
	want := stage.CookieHeaderBytes([]stage.Cookie{{Name: "tema", Value: "oscuro"}})
	waitFor(t, ctx, fmt.Sprintf("the cookies to weigh %d bytes", want),
		fmt.Sprintf(`document.querySelector('[data-field="cookie-bytes"]').textContent.includes(" %d ")`, want))

	first, live := clickSendAndWait(t, ctx)
	run := storedRun(t, l.url, first)
	if run.Request.Method != "DELETE" || run.Request.URL != "/site/api/cursos/3?confirmar=s%C3%AD" {
		t.Errorf("the server received %s %s", run.Request.Method, run.Request.URL)
	}
	got := map[string]string{}
	for _, h := range run.Request.Headers {
		got[h.Name] = h.Value
	}
	if got["X-Curso"] != "reqlab" || got["Cookie"] != "tema=oscuro" {
		t.Errorf("the server received X-Curso %q and Cookie %q", got["X-Curso"], got["Cookie"])
	}
	if _, sent := got["X-Apagada"]; sent {
		t.Error("a header switched off was sent")
	}
	if run.Response == nil || run.Response.Status != 405 {
		t.Errorf("response %+v, want the backend's 405: the route takes no DELETE", run.Response)
	}
	if final := finalStates(run); final[stage.Receive].Detail.CookieBytes != int64(len("Cookie: tema=oscuro\r\n")) {
		t.Errorf("receive counted %d cookie bytes", final[stage.Receive].Detail.CookieBytes)
	}
	waitFor(t, ctx, "the request as received", `!!document.querySelector('[data-field="received-request"]')`)
	if got := textOf(t, ctx, `[data-field="received-request"]`); !strings.Contains(got, "X-Curso: reqlab") || !strings.Contains(got, "DELETE /site/api/cursos/3") {
		t.Errorf("the page shows the received request as %q", got)
	}
	// The answer as it crossed the wire: Go's reason phrase, not the page's
	// Spanish name for it.
	if got := textOf(t, ctx, `[data-field="response-headers"]`); !strings.HasPrefix(got, "HTTP/1.1 405 Method Not Allowed") {
		t.Errorf("the raw answer begins %.40q, want the status line as sent", got)
	}
	if href := eval[string](t, ctx, `document.querySelector('[data-action="export-har"]').getAttribute("href")`); href != "/api/runs/"+first+"/har" {
		t.Errorf("HAR link %q", href)
	}

	// The history survives a reload.
	openLab(t, ctx, l.url+"/")
	waitFor(t, ctx, "the run in the history", fmt.Sprintf(`!!document.querySelector('[data-history-run="%s"]')`, first))

	// Play it back at 1/10, watching every change of the diagram.
	click(t, ctx, fmt.Sprintf(`[data-history-run="%s"] [data-action="open-run"]`, first))
	waitFor(t, ctx, "the playback", `!!document.querySelector('[data-field="playback-pos"]')`)
	click(t, ctx, `[data-action="pause"]`)
	eval[bool](t, ctx, `(() => { const s = document.querySelector('[data-field="scrubber"]'); s.value = "0";
		s.dispatchEvent(new Event("input", {bubbles: true})); return true })()`)
	waitFor(t, ctx, "the start", `document.querySelector('[data-field="playback-pos"]').dataset.pos === "0"`)
	choose(t, ctx, `[data-field="speed"]`, "0.1")
	// Each change is recorded with the state it set: a card changed twice
	// before the observer is called holds only the last, so the earlier
	// one's is the next change's old value.
	eval[bool](t, ctx, `(() => { window.seen = []; new MutationObserver(ms => {
		const after = new Map(), batch = [];
		for (let i = ms.length - 1; i >= 0; i--) {
			const t = ms[i].target;
			batch.push(t.dataset.stage + ":" + (after.has(t) ? after.get(t) : t.dataset.state));
			after.set(t, ms[i].oldValue);
		}
		window.seen.push(...batch.reverse()) })
		.observe(document.querySelector('.lanes'), {subtree: true, attributes: true, attributeOldValue: true, attributeFilter: ["data-state"]}); return true })()`)
	click(t, ctx, `[data-action="play"]`)
	// Playback goes through the run's moments on one clock: in the order
	// things happened, not the order they were reported.
	moments := timeline.Build(run.Events, 0).Moments
	n := len(moments)
	waitFor(t, ctx, "the end of the playback", fmt.Sprintf(`document.querySelector('[data-field="playback-pos"]').dataset.pos === "%d"`, n))
	seen := eval[[]string](t, ctx, `window.seen`)
	var happened []string
	for _, m := range moments {
		happened = append(happened, string(m.Stage)+":"+string(m.State))
	}
	if strings.Join(seen, " ") != strings.Join(happened, " ") {
		t.Errorf("playback went\n %v\nthe run happened\n %v", seen, happened)
	}
	played := eval[[]pageStage](t, ctx, readDiagram)
	for _, p := range played {
		if p.State != live[p.Stage].State {
			t.Errorf("stage %s ends %s in playback, %s live", p.Stage, p.State, live[p.Stage].State)
		}
	}

	// One step back and forward move one moment.
	last := moments[n-1]
	click(t, ctx, `[data-action="step-back"]`)
	waitFor(t, ctx, "one step back", fmt.Sprintf(`document.querySelector('[data-field="playback-pos"]').dataset.pos === "%d"`, n-1))
	if st := eval[string](t, ctx, fmt.Sprintf(`document.querySelector('.stage[data-stage="%s"]').dataset.state`, last.Stage)); st == string(last.State) {
		t.Errorf("after a step back, %s still shows its last event's %s", last.Stage, st)
	}
	click(t, ctx, `[data-action="step-forward"]`)
	waitFor(t, ctx, "one step forward", fmt.Sprintf(`document.querySelector('[data-field="playback-pos"]').dataset.pos === "%d" && document.querySelector('.stage[data-stage="%s"]').dataset.state === "%s"`, n, last.Stage, last.State))

	// A run's own link opens it in playback, which plays by itself.
	openLab(t, ctx, l.url+"/runs/"+first+"?speed=2")
	waitFor(t, ctx, "the linked run to play to its end", fmt.Sprintf(
		`document.querySelector('[data-lab]').dataset.runId === %q && document.querySelector('[data-field="playback-pos"]').dataset.pos === "%d"`, first, n))

	// A second run, then the two side by side.
	choose(t, ctx, `[data-field="method"]`, "GET")
	second, _ := sendAndWait(t, ctx, "/site/api/cursos")
	waitFor(t, ctx, "both runs in the history", fmt.Sprintf(`!!document.querySelector('[data-history-run="%s"]') && !!document.querySelector('[data-history-run="%s"]')`, first, second))
	click(t, ctx, fmt.Sprintf(`[data-history-run="%s"] [data-action="compare-pick"]`, first))
	click(t, ctx, fmt.Sprintf(`[data-history-run="%s"] [data-action="compare-pick"]`, second))
	waitFor(t, ctx, "two runs picked", `!document.querySelector('[data-action="compare"]').disabled`)
	click(t, ctx, `[data-action="compare"]`)
	waitFor(t, ctx, "the comparison", `!!document.querySelector('[data-compare]')`)
	runs := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('[data-compare-run]')).map(e => e.dataset.compareRun)`)
	if len(runs) != 2 || !(runs[0] == first && runs[1] == second || runs[0] == second && runs[1] == first) {
		t.Errorf("compared runs %v, want %s and %s", runs, first, second)
	}
	if got := eval[string](t, ctx, `document.querySelector('[data-compare-row="status"]').dataset.differs || ""`); got != "status" {
		t.Errorf("the status row (405 against 200) is marked %q", got)
	}
	if rows := eval[int](t, ctx, `document.querySelectorAll('[data-compare-stage]').length`); rows != len(stage.All()) {
		t.Errorf("%d stage rows compared, want %d", rows, len(stage.All()))
	}
	// Both runs drawn on one millisecond axis, each naming its network.
	axes := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('[data-compare] [data-timeline]')).map(e => e.dataset.scaleMs)`)
	if len(axes) != 2 || axes[0] != axes[1] || axes[0] == "" {
		t.Errorf("the comparison's timelines have scales %v, want two alike", axes)
	}
	ends := eval[[]float64](t, ctx, `Array.from(document.querySelectorAll('[data-compare] [data-timeline]')).map(tl =>
		Math.max(...Array.from(tl.querySelectorAll('[data-bar]')).map(b => parseFloat(b.dataset.startMs) + parseFloat(b.dataset.durMs))))`)
	if len(ends) == 2 && len(axes) == 2 {
		scale, _ := strconv.ParseFloat(axes[0], 64)
		if math.Abs(max(ends[0], ends[1])-scale) > 0.01 {
			t.Errorf("the shared axis spans %v ms, the longer run %v", scale, max(ends[0], ends[1]))
		}
	}
	for _, sel := range []string{`[data-compare-run="` + first + `"]`, `[data-compare-run="` + second + `"]`} {
		if got := textOf(t, ctx, sel); !strings.Contains(got, "sin simulación") {
			t.Errorf("%s names no network: %q", sel, got)
		}
	}
}

// clickSendAndWait sends what the form holds and waits for a new run with
// every stage ended.
func clickSendAndWait(t *testing.T, ctx contextT) (string, map[string]pageStage) {
	t.Helper()
	return sendAndWait(t, ctx, "")
}
