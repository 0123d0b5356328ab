package main

import (
	"github.com/chromedp/chromedp"

	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"reqlab/app/i18n"
	"reqlab/app/lesson"
	"reqlab/app/stage"
)

// runStep clicks a lesson's step and waits for its run to end; it returns
// the run as stored.
func runStep(t *testing.T, ctx contextT, l *lab, n int) stage.Run {
	t.Helper()
	before := clickToRun(t, ctx, fmt.Sprintf(`[data-action="lesson-step"][data-step="%d"]`, n))
	return waitRun(t, ctx, l, before)
}

// clickToRun clicks a button that starts a run, once it is enabled, and
// clicks again if no run started: a page that moved under the pointer can
// make a click miss. It returns the run on screen before.
func clickToRun(t *testing.T, ctx contextT, sel string) (before string) {
	t.Helper()
	before = eval[string](t, ctx, runIDJS)
	for try := 0; try < 3; try++ {
		waitFor(t, ctx, "the button "+sel, fmt.Sprintf(`!document.querySelector(%q).disabled`, sel))
		click(t, ctx, sel)
		for wait := 0; wait < 60; wait++ {
			if eval[bool](t, ctx, fmt.Sprintf(`(document.querySelector('[data-lab]').dataset.runId || "") !== %q || document.querySelector(%q).disabled`, before, sel)) {
				return before
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	t.Fatalf("clicking %s started no run", sel)
	return before
}

// waitRun waits for a run other than before to end on the page, and for the
// server to hold it complete.
func waitRun(t *testing.T, ctx contextT, l *lab, before string) stage.Run {
	t.Helper()
	waitFor(t, ctx, "a new run to end", fmt.Sprintf(`(() => { const id = document.querySelector('[data-lab]').dataset.runId || "";
		if (id === "" || id === %q) return false;
		const s = Array.from(document.querySelectorAll('.stage[data-stage]'));
		return s.some(e => e.dataset.side === "client" && e.dataset.stage === "assets" && ["done","skipped","error"].includes(e.dataset.state)) })()`, before))
	id := eval[string](t, ctx, runIDJS)
	var run stage.Run
	for i := 0; i < 100; i++ {
		run = storedRun(t, l.url, id)
		if run.State == stage.RunComplete {
			break
		}
	}
	return run
}

// saysWhatThePictureShows checks, on a step just run, what a machine can of
// the narration audit (issue 23, point 6): the step's notice is shown; no
// card names the lab's plumbing (a page load's ticket, a traceparent); over
// plain http, TLS says there is none rather than "connection reused"; the
// caption never says a name twice ("Base de datos — Base de datos").
func saysWhatThePictureShows(t *testing.T, ctx contextT, lang string, ls lesson.Lesson, step int, run stage.Run) {
	t.Helper()
	if got, want := textOf(t, ctx, `[data-field="step-notice"]`), ls.Steps[step-1].Notice.In(i18n.Lang(lang)); got != want {
		t.Errorf("step %d's notice reads %q, want %q", step, got, want)
	}
	for _, d := range eval[[]string](t, ctx, `Array.from(document.querySelectorAll('.stage [data-field="detail"]')).map(e => e.textContent)`) {
		if strings.Contains(d, "ticket=") || strings.Contains(strings.ToLower(d), "traceparent") {
			t.Errorf("a stage card names the lab's plumbing: %q", d)
		}
	}
	if tls := finalStates(run)[stage.TLS]; tls.Detail.Reason == stage.ReasonReused {
		t.Errorf("TLS over plain http says %q: there is no TLS on http", tls.Detail.Reason)
	}
	caption := textOf(t, ctx, `[data-field="now"]`)
	if place, name, ok := strings.Cut(caption, " — "); ok && strings.HasPrefix(name, place+":") {
		t.Errorf("the caption says its name twice: %q", caption)
	}
}

// hasServerEvents reports whether the server recorded stages of a run (the
// "not reached" ends a cache hit gets are no stage the server went through).
func hasServerEvents(run stage.Run) bool {
	notReached := map[stage.ID]bool{}
	for _, e := range run.Events {
		if e.Side == stage.Server && e.Phase == stage.End && e.Detail.Reason == stage.ReasonNotReached {
			notReached[e.Stage] = true
		}
	}
	for _, e := range run.Events {
		if e.Side == stage.Server && !notReached[e.Stage] {
			return true
		}
	}
	return false
}

func TestBrowserLessons(t *testing.T) {
	l := startLab(t, nil)
	ctx := newBrowser(t)
	for _, lang := range []string{"es", "en"} {
		for _, ls := range lesson.All {
			t.Run(lang+"/"+ls.Slug, func(t *testing.T) {
				openLab(t, ctx, l.url+"/lab/"+ls.Slug+"?lang="+lang)
				if got := textOf(t, ctx, "#lesson-heading"); got != ls.Title.In(i18n.Lang(lang)) {
					t.Errorf("lesson heading %q, want %q", got, ls.Title.In(i18n.Lang(lang)))
				}
				if got := eval[string](t, ctx, `document.documentElement.lang`); got != lang {
					t.Errorf("html lang %q", got)
				}
				first := runStep(t, ctx, l, 1)
				final := finalStates(first)
				for _, id := range stage.ClientStages {
					if !final[id].State.Final() {
						t.Errorf("step 1: %s ended %q", id, final[id].State)
					}
				}
				if about := textOf(t, ctx, `[data-stage="render"] .stage-about`); ls.Narration[stage.Render] != (lesson.Text{}) && about != ls.Narration[stage.Render].In(i18n.Lang(lang)) {
					t.Errorf("render is narrated %q, want the lesson's words", about)
				}
				waitFor(t, ctx, "the step's notice", `!!document.querySelector('[data-field="step-notice"]')`)
				saysWhatThePictureShows(t, ctx, lang, ls, 1, first)

				switch ls.Slug {
				case "frontend-backend", "client-server":
					for _, id := range stage.ServerStages {
						if final[id].State != stage.Done {
							t.Errorf("backend stage %s: %s, want done", id, final[id].State)
						}
					}
					if first.Response.Status != 200 || final[stage.Parse].State != stage.Done || final[stage.Render].State != stage.Done {
						t.Errorf("the round trip: %d, parse %s, render %s", first.Response.Status, final[stage.Parse].State, final[stage.Render].State)
					}
				case "what-happens":
					if c := final[stage.Cache]; c.State != stage.Done || c.Detail.Reason != stage.ReasonCacheMiss {
						t.Errorf("cache %s %q, want a miss", c.State, c.Detail.Reason)
					}
					if d := final[stage.DNS]; d.State == stage.Skipped && d.Detail.Reason != stage.ReasonReused && d.Detail.Reason != stage.ReasonIPAddress {
						t.Errorf("dns skipped without saying why: %q", d.Detail.Reason)
					}
					if got := textOf(t, ctx, `[data-stage="dns"] [data-field="detail"]`); got == "" {
						t.Error("dns does not say what it did in this run")
					}
					// Step 2's notice: pressed once more, its images come from the
					// browser's cache (the first time, from wherever the page's
					// earlier loads left them: the fresh load kept them apart).
					images := func() []string {
						return eval[[]string](t, ctx, `Array.from(document.querySelectorAll('[data-waterfall-row][data-kind="img"]')).map(r => r.dataset.cache)`)
					}
					again := runStep(t, ctx, l, 2)
					saysWhatThePictureShows(t, ctx, lang, ls, 2, again)
					runStep(t, ctx, l, 2)
					if got := images(); len(got) == 0 || slices.Contains(got, "false") {
						t.Errorf("step 2 pressed again: images from the cache %v, as its notice says, want all", got)
					}
				case "status-codes":
					if s := first.Response.Status; s != 200 {
						t.Errorf("step 1: %d", s)
					}
					created := runStep(t, ctx, l, 2)
					if created.Response.Status != 201 || finalStates(created)[stage.DB].Detail.SQL == "" {
						t.Errorf("the POST: %d, db %+v", created.Response.Status, finalStates(created)[stage.DB].Detail)
					}
					list := runStep(t, ctx, l, 3)
					if !strings.Contains(list.Response.Body, "Redes para curiosos") {
						t.Error("the GET after the POST does not list the new course")
					}
					if r := runStep(t, ctx, l, 4); r.Response.Status != 404 {
						t.Errorf("step 4: %d, want 404", r.Response.Status)
					}
					if r := runStep(t, ctx, l, 5); r.Response.Status != 500 || finalStates(r)[stage.DB].State != stage.Error {
						t.Errorf("step 5: %d, want a 500 with db in error", r.Response.Status)
					}
				case "cache":
					second := runStep(t, ctx, l, 2)
					if lang == "es" { // the first language's first request filled the cache
						if !hasServerEvents(first) {
							t.Error("the first request has no server stages")
						}
					}
					if hasServerEvents(second) {
						t.Error("the second request reached the server: the cache should answer it")
					}
					if c := finalStates(second)[stage.Cache]; c.State != stage.Done || c.Detail.Reason != stage.ReasonCacheHit {
						t.Errorf("the second request's cache stage: %s %q", c.State, c.Detail.Reason)
					}
					notReached := map[string]string{"es": "no llegó", "en": "never reached"}[lang]
					for _, id := range stage.ServerStages {
						if e := finalStates(second)[id]; e.State != stage.Skipped || e.Detail.Reason != stage.ReasonNotReached {
							t.Errorf("server stage %s after a hit: %s %q, want skipped, not reached", id, e.State, e.Detail.Reason)
						}
						st := eval[[]string](t, ctx, fmt.Sprintf(`(() => { const e = document.querySelector('.stage[data-stage="%s"]'); return [e.dataset.state, e.querySelector('[data-field="detail"]').textContent] })()`, id))
						if st[0] != "skipped" || !strings.Contains(strings.ToLower(st[1]), notReached) {
							t.Errorf("server stage %s after a hit shows %v: it must say it was never reached", id, st)
						}
					}
					// Nothing was received: the panel of what the server got says so.
					if got := textOf(t, ctx, `[data-field="received"]`); !strings.Contains(got, map[string]string{"es": "no llegó al servidor", "en": "never reached the server"}[lang]) {
						t.Errorf("after a cache hit the received panel says %q", got)
					}
					if c := finalStates(first)[stage.Cache]; lang == "es" && (c.State != stage.Done || c.Detail.Reason != stage.ReasonCacheMiss || c.DurMs == nil) {
						t.Errorf("the first request's cache: %s %q %v, want looked and not there, timed", c.State, c.Detail.Reason, c.DurMs)
					}
					waitFor(t, ctx, "the Cache-Control the browser kept", `(document.querySelector('[data-field="response-headers"]') || {textContent: ""}).textContent.includes("max-age=60")`)
					runStep(t, ctx, l, 3)
					again := runStep(t, ctx, l, 3)
					if s := finalStates(again)[stage.Respond].Detail.Status; s != 304 {
						t.Errorf("revalidation answered %d by the server, want 304", s)
					}
					if c := finalStates(again)[stage.Cache]; c.Detail.Reason != stage.ReasonRevalidated {
						t.Errorf("the revalidation's cache stage says %q, want revalidated", c.Detail.Reason)
					}
					if d := finalStates(again)[stage.Download].Detail; d.WireBytes == nil || d.DecodedBytes == nil || *d.DecodedBytes == 0 {
						t.Errorf("the revalidation's download: wire %v, decoded %v; want both, a body decoded from the copy", d.WireBytes, d.DecodedBytes)
					}
					if got := textOf(t, ctx, `[data-stage="download"] [data-field="detail"]`); !strings.Contains(got, "304") {
						t.Errorf("the revalidation's download says %q: only headers crossed, the 304 had no body", got)
					}
					waitFor(t, ctx, "If-None-Match in the request as the server received it",
						`(document.querySelector('[data-field="received-request"]') || {textContent: ""}).textContent.includes("If-None-Match")`)
					waitFor(t, ctx, "the server's 304 and its no-cache", `(() => { const h = (document.querySelector('[data-field="response-headers"]') || {textContent: ""}).textContent;
						return h.includes("304") && h.includes("no-cache") && h.includes("Etag") })()`)
				case "page-load":
					// The waterfall fills as the page's assets load.
					waitFor(t, ctx, "the waterfall's rows", `document.querySelectorAll('[data-waterfall-row]').length >= 5`)
					rows := eval[[]struct {
						Kind, Name, Cache string
						Start             float64 `json:",string"`
					}](t, ctx, `Array.from(document.querySelectorAll('[data-waterfall-row]')).map(r => ({Kind: r.dataset.kind, Name: r.dataset.name, Cache: r.dataset.cache, Start: r.dataset.start}))`)
					if len(rows) < 5 || rows[0].Kind != "navigation" || rows[0].Name != "/site/" {
						t.Fatalf("the waterfall %+v does not start with the document", rows)
					}
					names := map[string]bool{}
					for _, r := range rows[1:] {
						names[r.Name] = true
						if r.Start < rows[0].Start {
							t.Errorf("%s starts before the document", r.Name)
						}
					}
					for _, asset := range []string{"/site/static/estilo.css", "/site/static/sitio.js", "/site/static/img/portada.png", "/site/static/intro.webm"} {
						if !names[asset] {
							t.Errorf("the waterfall lists no %s: %+v", asset, rows)
						}
					}
					if a := final[stage.Assets]; a.State != stage.Done || a.Detail.Items < 4 {
						t.Errorf("assets %s with %d items", a.State, a.Detail.Items)
					}
					if !hasServerEvents(first) || final[stage.DB].Detail.SQL == "" {
						t.Error("the server's stages of the page (its traceparent in the query) were not recorded")
					}
					waitFor(t, ctx, "the first contentful paint", `!!document.querySelector('[data-field="fcp"]')`)
					// Each load on its own axis: every row ends after it starts, the
					// first paint, DOMContentLoaded and load are marked on it.
					marks := eval[[]float64](t, ctx, `(() => { const f = document.querySelector('[data-field="fcp"]').dataset.ms, e = document.querySelector('[data-field="page-events"]');
						return [+f, +e.dataset.dclMs, +e.dataset.loadMs, ...Array.from(document.querySelectorAll('[data-waterfall-row]')).map(r => r.dataset.end - r.dataset.start)] })()`)
					if marks[0] <= 0 || marks[1] <= 0 || marks[2] < marks[1] {
						t.Errorf("first paint %v, DOMContentLoaded %v, load %v ms: not on the load's axis", marks[0], marks[1], marks[2])
					}
					for i, d := range marks[3:] {
						if d < 0 {
							t.Errorf("row %d ends %v ms before it starts", i, d)
						}
					}
					// The text is painted before the first image has arrived, by the
					// browser's own timing (where the images came from the network:
					// the first language's load; the second finds them in the cache).
					firstImage := eval[float64](t, ctx, `Math.min(1e9, ...Array.from(document.querySelectorAll('[data-waterfall-row][data-cache="false"]')).filter(r => r.dataset.name.includes('/img/')).map(r => +r.dataset.end))`)
					if lang == "es" && firstImage == 1e9 {
						t.Error("the first load found its images in the cache")
					}
					if lang == "es" && marks[0] >= firstImage {
						t.Errorf("first paint at %v ms, not before the first image's end at %v ms", marks[0], firstImage)
					}
					// The answer's status is shown, and where its body went.
					if got := eval[string](t, ctx, `document.querySelector('[data-field="status"]').dataset.status + " " + document.querySelector('[data-field="response-body"]').textContent`); !strings.HasPrefix(got, "200 ") || !strings.Contains(got, "HTML") {
						t.Errorf("the response panel after a page load: %q", got)
					}
					runStep(t, ctx, l, 1)
					if got := eval[string](t, ctx, `document.querySelector('[data-waterfall-row][data-name="/site/static/estilo.css"]').dataset.cache`); got != "true" {
						t.Errorf("the second load took the CSS from the network, not the cache")
					}
				case "cookies":
					second := runStep(t, ctx, l, 2)
					cookie := ""
					for _, h := range second.Request.Headers {
						if h.Name == "Cookie" {
							cookie = h.Value
						}
					}
					if !strings.Contains(cookie, "visitas=") {
						t.Errorf("the browser sent Cookie %q, want the server's visitas", cookie)
					}
					// Heavier cookies: more header bytes, then a real refusal.
					var last int64
					for _, weight := range []int{1024, 4096, lesson.MaxCookieWeight} {
						eval[bool](t, ctx, fmt.Sprintf(`(() => { const s = document.querySelector('[data-field="cookie-weight"]'); s.value = "%d";
							s.dispatchEvent(new Event("input", {bubbles: true})); return true })()`, weight))
						waitFor(t, ctx, "the weight", fmt.Sprintf(`document.querySelector('[data-field="cookie-weight"]').value === "%d"`, weight))
						before := clickToRun(t, ctx, `[data-action="send-weight"]`)
						r := waitRun(t, ctx, l, before)
						rec := finalStates(r)[stage.Receive].Detail
						if rec.HeaderBytes <= last {
							t.Errorf("weight %d: %d header bytes, not more than before (%d)", weight, rec.HeaderBytes, last)
						}
						last = rec.HeaderBytes
						heavy := weight == lesson.MaxCookieWeight
						if got := r.Response.Status; heavy && got != 431 || !heavy && got != 200 {
							t.Errorf("weight %d: status %d", weight, got)
						}
						if heavy && finalStates(r)[stage.Route].Detail.Reason != stage.ReasonHeadersTooLarge {
							t.Error("the refusal does not say the headers were too large")
						}
					}
				}

				// The check question: each wrong answer gets its own hint, the
				// right one marks the lesson done, in the menu, for good.
				q := ls.Question
				for wrong := range q.Options {
					if wrong == q.Correct {
						continue
					}
					answer(t, ctx, wrong)
					waitFor(t, ctx, "the hint for that answer", fmt.Sprintf(`document.querySelector('[data-field="feedback"]').textContent.includes(%q)`, q.Hints[wrong].In(i18n.Lang(lang))))
				}
				answer(t, ctx, q.Correct)
				waitFor(t, ctx, "the praise", fmt.Sprintf(`document.querySelector('[data-field="feedback"]').textContent.includes(%q)`, q.Right.In(i18n.Lang(lang))))
				waitFor(t, ctx, "the menu's mark", fmt.Sprintf(`document.querySelector('[data-lesson=%q]').dataset.done === "true"`, ls.Slug))
			})
		}
	}
	// Done lessons are kept in the browser.
	openLab(t, ctx, l.url+"/")
	if n := eval[int](t, ctx, `document.querySelectorAll('[data-lesson][data-done="true"]').length`); n != len(lesson.All) {
		t.Errorf("%d lessons marked done after a reload, want %d", n, len(lesson.All))
	}
}

func TestBrowserFollowsAnEnglishBrowser(t *testing.T) {
	l := startLab(t, nil)
	ctx := newBrowserLang(t, "en-US")
	// The page as the server drew it, before any client (?wasm=false keeps
	// go-app's from starting), is already English: the client's first
	// picture repaints nothing.
	if err := chromedpNavigate(ctx, l.url+"/?wasm=false"); err != nil {
		t.Fatal(err)
	}
	if got := eval[[]string](t, ctx, `[document.documentElement.lang, document.querySelector('[data-action="send"]').textContent]`); got[0] != "en" || got[1] != "Send" {
		t.Errorf("the prerendered page for an English browser: lang %q, send button %q", got[0], got[1])
	}
	openLab(t, ctx, l.url+"/")
	waitFor(t, ctx, "English", `document.documentElement.lang === "en" && document.querySelector('[data-action="send"]').textContent === "Send"`)
	if !strings.Contains(eval[string](t, ctx, `location.search`), "lang=en") {
		t.Error("the address does not keep the language")
	}
	openLab(t, ctx, l.url+"/?lang=es")
	if got := textOf(t, ctx, `[data-action="send"]`); got != "Enviar" {
		t.Errorf("?lang=es wins over the browser: %q", got)
	}
}

func TestBrowserSimulatedNetworkSlowsTheAnswer(t *testing.T) {
	l := startLab(t, nil)
	ctx := newBrowser(t)
	openLab(t, ctx, l.url+"/lab/client-server?lang=es")
	choose(t, ctx, `[data-field="network"]`, "fast-3g")
	run := runStep(t, ctx, l, 1)
	final := finalStates(run)
	n, _ := stage.NetworkOf("fast-3g")
	least := float64(n.Latency.Milliseconds())
	// The hold is the network's: respond is the server's own work.
	if r := final[stage.Respond]; r.Detail.Network != "fast-3g" || *r.DurMs > least/10 {
		t.Errorf("respond %v ms under %q, want the server's own work, far less than the network's %v ms", *r.DurMs, r.Detail.Network, least)
	}
	if w := final[stage.Wait]; w.DurMs == nil || *w.DurMs < least {
		t.Errorf("the browser waited %v ms, want at least the simulated %v ms", w.DurMs, least)
	}
	if got := textOf(t, ctx, `[data-stage="respond"] [data-field="detail"]`); !strings.Contains(got, "simulada") {
		t.Errorf("respond does not say the network was simulated: %q", got)
	}
}

// Each browser has a sample catalogue of its own: a course one student
// adds, another does not see; a reset takes it back to the seed. In both
// languages.
func TestBrowserSampleDataIsEachBrowsersOwn(t *testing.T) {
	l := startLab(t, nil)
	a, b := newBrowserLang(t, "es-ES"), newBrowserLang(t, "en-US")
	openLab(t, a, l.url+"/lab/status-codes?lang=es")
	openLab(t, b, l.url+"/lab/status-codes?lang=en")
	const added = "Redes para curiosos"
	if run := runStep(t, a, l, 2); run.Response == nil || run.Response.Status != 201 {
		t.Fatalf("A's POST: %+v", run.Response)
	}
	if run := runStep(t, a, l, 3); !strings.Contains(run.Response.Body, added) {
		t.Errorf("A does not see the course it added: %s", run.Response.Body)
	}
	if run := runStep(t, b, l, 3); strings.Contains(run.Response.Body, added) || strings.Count(run.Response.Body, `"id"`) != 6 {
		t.Errorf("B sees another browser's course, or not the seed: %s", run.Response.Body)
	}
	for _, tt := range []struct {
		ctx  contextT
		want string
	}{{a, "se borró el curso que habías añadido"}, {b, "You had not added any course"}} {
		click(t, tt.ctx, `[data-action="reset-sample"]`)
		waitFor(t, tt.ctx, "the reset's answer", fmt.Sprintf(`document.querySelector('[data-field="sample-status"]').textContent.includes(%q)`, tt.want))
	}
	if run := runStep(t, a, l, 3); strings.Contains(run.Response.Body, added) || strings.Count(run.Response.Body, `"id"`) != 6 {
		t.Errorf("A's catalogue after its reset: %s", run.Response.Body)
	}
}

// The last lesson's first step opens a connection of its own: the browser
// measures connecting, the server sees the connection's first request, and
// every run shows the address and port the browser reached; the second step
// goes on an open connection. The HAR names the server's address. In both
// languages.
func TestBrowserFreshConnectionAndItsAddress(t *testing.T) {
	l := startLab(t, nil)
	_, port, _ := strings.Cut(strings.TrimPrefix(l.url, "http://"), ":")
	// In Spanish the lab is reached by its address, in English by a name.
	for _, tt := range []struct{ lang, browserLang, host, newConn, reached string }{
		{"es", "es-ES", "127.0.0.1", "conexión nueva", "Tu navegador llegó a 127.0.0.1:" + port},
		{"en", "en-US", "localhost", "a new connection", "Your browser reached 127.0.0.1:" + port},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			ctx := newBrowserLang(t, tt.browserLang)
			openLab(t, ctx, "http://"+tt.host+":"+port+"/lab/what-happens?lang="+tt.lang)
			for try := 1; try <= 2; try++ { // the second fresh run opens another connection too
				run := runStep(t, ctx, l, 1)
				if !run.Request.FreshConnection || !strings.HasPrefix(run.Request.URL, "/site/?ticket=") {
					t.Fatalf("the step asked for %s, fresh %v: want the site's page on a fresh connection", run.Request.URL, run.Request.FreshConnection)
				}
				final := finalStates(run)
				// The whole path happened, in this one run: every stage but
				// TLS (plain http) done, from the cache to the assets.
				for _, info := range stage.Table {
					switch id, e := info.ID, final[info.ID]; {
					case id == stage.TLS:
						if e.State != stage.Skipped || e.Detail.Reason != stage.ReasonPlainHTTP {
							t.Errorf("try %d: tls %s (%s), want skipped: plain http", try, e.State, e.Detail.Reason)
						}
					case id == stage.DNS && tt.host == "127.0.0.1":
						if e.State != stage.Skipped || e.Detail.Reason != stage.ReasonIPAddress {
							t.Errorf("try %d: dns %s (%s) for an address, want skipped: no name to look up", try, e.State, e.Detail.Reason)
						}
					case id == stage.DNS:
						looked := (e.Detail.Reason == stage.ReasonNameCached || e.Detail.Reason == stage.ReasonNameResolved) && e.DurMs != nil ||
							e.Detail.Reason == stage.ReasonOpenedAhead
						if e.State != stage.Done || !looked || e.Detail.URL != tt.host {
							t.Errorf("try %d: dns %s (%s, %q) for a name, want done, looked up", try, e.State, e.Detail.Reason, e.Detail.URL)
						}
					case e.State != stage.Done:
						t.Errorf("try %d: %s %s (%s), want done: the whole path happens", try, id, e.State, e.Detail.Reason)
					}
				}
				if c := final[stage.Connect]; c.DurMs == nil || (c.Detail.Reason != "" && c.Detail.Reason != stage.ReasonOpenedAhead) {
					t.Errorf("try %d: connect %v (%s), want measured, a new connection", try, c.DurMs, c.Detail.Reason)
				}
				if c := final[stage.Cache]; c.Detail.Reason != stage.ReasonCacheMiss {
					t.Errorf("try %d: cache %s, want a miss: the page is asked for again every time", try, c.Detail.Reason)
				}
				if r := final[stage.Render]; r.Detail.Reason != stage.ReasonPainted {
					t.Errorf("try %d: render %s, want the page painted", try, r.Detail.Reason)
				}
				if a := final[stage.Assets]; a.Detail.Items < 3 {
					t.Errorf("try %d: %d assets, want the page's stylesheet and images", try, a.Detail.Items)
				}
				r := final[stage.Receive].Detail
				if r.ServerAddr != "127.0.0.1:"+port || r.ConnRequest != 1 || r.ClientPort == 0 {
					t.Errorf("try %d: receive saw %q from port %d, request %d on its connection; want 127.0.0.1:%s, 1", try, r.ServerAddr, r.ClientPort, r.ConnRequest, port)
				}
				addr := textOf(t, ctx, `[data-field="server-addr"]`)
				if !strings.Contains(addr, tt.reached) || !strings.Contains(addr, tt.newConn) {
					t.Errorf("try %d: server-addr says %q", try, addr)
				}
				var har struct {
					Log struct {
						Entries []struct {
							ServerIPAddress string `json:"serverIPAddress"`
							Connection      string `json:"connection"`
						} `json:"entries"`
					} `json:"log"`
				}
				getJSON(t, l.url+"/api/runs/"+run.ID+"/har", &har)
				if e := har.Log.Entries[0]; e.ServerIPAddress != "127.0.0.1" || e.Connection == "" {
					t.Errorf("try %d: HAR serverIPAddress %q, connection %q", try, e.ServerIPAddress, e.Connection)
				}
			}
			run := runStep(t, ctx, l, 2)
			final := finalStates(run)
			if run.Request.FreshConnection || !strings.HasPrefix(run.Request.URL, "/site/?ticket=") {
				t.Errorf("the second step asked for %s, fresh %v: want the page again, on the page's connection", run.Request.URL, run.Request.FreshConnection)
			}
			if c := final[stage.Connect]; c.State != stage.Skipped || c.Detail.Reason != stage.ReasonReused {
				t.Errorf("on the page's connection: connect %s (%s), want skipped, reused", c.State, c.Detail.Reason)
			}
			if n := final[stage.Receive].Detail.ConnRequest; n < 2 {
				t.Errorf("on the page's connection: request %d on it, want a later one", n)
			}
		})
	}
}

// The sample site answers in the lab's language (the lab asks for it in
// Accept-Language); an answer with no body says why in both boxes; an error
// body is shown as a message, not counted as a record; one record is one.
func TestBrowserWireTruthInBothLanguages(t *testing.T) {
	l := startLab(t, nil)
	for _, tt := range []struct {
		lang, browserLang, missing, head, errorBody, one string
	}{
		{"es", "es-ES", "no existe un curso con ese id", "HEAD pide solo el código y las cabeceras", "mensaje de error", "1 registro convertido en HTML"},
		{"en", "en-US", "there is no course with that id", "HEAD asks for the code and headers only", "error message", "1 record turned into HTML"},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			ctx := newBrowserLang(t, tt.browserLang)
			openLab(t, ctx, l.url+"/?lang="+tt.lang)

			id, stages := sendAndWait(t, ctx, "/site/api/cursos/999999")
			if got := textOf(t, ctx, `[data-field="rendered"]`); !strings.Contains(got, tt.missing) {
				t.Errorf("the 404's message: %q, want %q", got, tt.missing)
			}
			run := storedRun(t, l.url, id)
			if lang := headerOf(run.Response.Headers, "Content-Language"); lang != tt.lang {
				t.Errorf("Content-Language %q, want %q", lang, tt.lang)
			}
			if r := stages["render"]; !strings.Contains(r.Detail, tt.errorBody) || strings.Contains(r.Detail, "1 ") {
				t.Errorf("render of an error body says %q", r.Detail)
			}

			_, stages = sendAndWait(t, ctx, "/site/api/cursos/2")
			if r := stages["render"]; !strings.Contains(r.Detail, tt.one) {
				t.Errorf("render of one course says %q, want %q", r.Detail, tt.one)
			}

			choose(t, ctx, `[data-field="method"]`, "HEAD")
			_, stages = sendAndWait(t, ctx, "/site/api/cursos")
			if got := textOf(t, ctx, `[data-field="response-body"]`); !strings.Contains(got, tt.head) {
				t.Errorf("the JSON box after HEAD: %q, want %q", got, tt.head)
			}
			if got := textOf(t, ctx, `[data-field="rendered"]`); got == "" {
				t.Error("the HTML box after HEAD is empty and says nothing")
			}
			if p := stages["parse"]; p.State != "skipped" {
				t.Errorf("parse after HEAD: %s", p.State)
			}
		})
	}
}

func headerOf(headers []stage.Header, name string) string {
	for _, h := range headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// In a lesson the picture sits beside the steps on a laptop and comes into
// view after a step on a phone; the free form is folded away; the embed
// dialog is after the student's part of the page. In both languages.
func TestBrowserLessonLayout(t *testing.T) {
	l := startLab(t, nil)
	for _, tt := range []struct{ lang, browserLang string }{{"es", "es-ES"}, {"en", "en-US"}} {
		t.Run(tt.lang, func(t *testing.T) {
			ctx := newBrowserLang(t, tt.browserLang)
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 768)); err != nil {
				t.Fatal(err)
			}
			openLab(t, ctx, l.url+"/lab/client-server?lang="+tt.lang)
			geo := eval[map[string]float64](t, ctx, `(() => {
				const s = document.querySelector('[data-action="lesson-step"]').getBoundingClientRect();
				const p = document.querySelector('section.path svg').getBoundingClientRect();
				return {stepLeft: s.left, stepRight: s.right, pathLeft: p.left, pathTop: p.top, vh: innerHeight} })()`)
			if geo["pathLeft"] < geo["stepRight"] || geo["pathTop"] > geo["vh"] {
				t.Errorf("at 1366×768 the picture is not beside the steps, in view: %v", geo)
			}
			if open := eval[bool](t, ctx, `document.querySelector('[data-field="form-fold"]').open`); open {
				t.Error("the free form is open in a lesson")
			}
			order := eval[bool](t, ctx, `(() => { const d = document.querySelector('[data-action="embed"]'), q = document.querySelector('[data-action="check-answer"]'), r = document.querySelector('.runs, .history');
				return !!d && !!q && (q.compareDocumentPosition(d) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0 && !document.querySelector('.lesson [data-action="embed"]') })()`)
			if !order {
				t.Error("the embed dialog is in the lesson, in the student's way")
			}

			// A phone: the step is clicked up top, and the result comes into view.
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
				t.Fatal(err)
			}
			eval[bool](t, ctx, `(window.scrollTo(0, 0), true)`)
			runStep(t, ctx, l, 1)
			waitFor(t, ctx, "the picture in view", `(() => { const r = document.querySelector('section.path').getBoundingClientRect(); return r.top >= -1 && r.top < innerHeight / 2 })()`)
		})
	}
}

// The page-load waterfall reads on a phone: no sideways scrolling, each
// request a block with its bar. In both languages.
func TestBrowserWaterfallReadsOnAPhone(t *testing.T) {
	l := startLab(t, nil)
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"es", "en"} {
		openLab(t, ctx, l.url+"/lab/page-load?lang="+lang)
		runStep(t, ctx, l, 1)
		waitFor(t, ctx, "the waterfall", `document.querySelectorAll('[data-waterfall-row]').length >= 5`)
		if w := eval[[]float64](t, ctx, `(() => { const w = document.querySelector('[data-field="waterfall"]'); return [w.scrollWidth, w.clientWidth] })()`); w[0] > w[1]+1 {
			t.Errorf("%s: the waterfall is %v px wide in %v px", lang, w[0], w[1])
		}
	}
}
