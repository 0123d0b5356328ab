package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"reqlab/app/stage"
	"reqlab/app/timeline"
)

// The picture is prerendered by the server: the page shows the four places
// and the token before the wasm client runs.
func TestPicturePrerendered(t *testing.T) {
	l := startLab(t, nil)
	for _, path := range []string{"/", "/lab/cache?lang=en", "/embed/cookies"} {
		res, err := http.Get(l.url + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		html := string(body)
		for _, want := range []string{`data-diagram=`, `<svg`, `data-node="browser"`, `data-node="network"`,
			`data-node="server"`, `data-node="database"`, `data-token=`, `data-dot="db"`} {
			if !strings.Contains(html, want) {
				t.Errorf("%s: the prerendered page lacks %s", path, want)
			}
		}
	}
}

var pictureShot = flag.String("picture-screenshot", "", "write a screenshot of the picture mid-run (db done, the browser still waiting) to this PNG file")

// observation is the page as a student sees it at one instant of a run.
type observation struct {
	T       float64 `json:"t"` // ms on the page's clock
	Run     string  `json:"run"`
	Cache   string  `json:"cache"`
	DB      string  `json:"db"`
	Wait    string  `json:"wait"`
	Receive string  `json:"receive"`
	At      string  `json:"at"`
}

// watchJS records, at every change of the page, the states that tell whether
// the run is shown live: cache, db, wait, receive and the token's place.
const watchJS = `(() => {
	window.watch = []; const t0 = performance.now();
	const st = id => (document.querySelector('.stage[data-stage="' + id + '"]') || {dataset: {}}).dataset.state || "";
	const look = () => window.watch.push({t: performance.now() - t0, run: document.querySelector('[data-lab]').dataset.runId || "", cache: st("cache"), db: st("db"), wait: st("wait"),
		receive: st("receive"), at: (document.querySelector('[data-token]') || {dataset: {}}).dataset.at || ""});
	new MutationObserver(look).observe(document.querySelector('[data-lab]'), {subtree: true, attributes: true, attributeFilter: ["data-state", "data-at", "data-run-id"]});
	look(); return true })()`

// With a slow network the student sees the request travel as it goes: sent
// and waiting at once, the server's stages while the browser still waits,
// then the answer; the token goes there too.
func TestPictureIsLiveOnASlowNetwork(t *testing.T) {
	l := startLab(t, nil)
	ctx := newBrowser(t)
	openLab(t, ctx, l.url+"/")
	sendAndWait(t, ctx, "") // the page's first run also warms its code up
	choose(t, ctx, `[data-field="network"]`, "slow-3g")
	eval[bool](t, ctx, watchJS)
	if *pictureShot != "" {
		// The README's picture: the request at the server while the
		// browser waits on a slow network.
		before := clickToRun(t, ctx, `[data-action="send"]`)
		waitFor(t, ctx, "the database done while the browser waits", fmt.Sprintf(`document.querySelector('[data-lab]').dataset.runId !== %q &&
			document.querySelector('.stage[data-stage="db"]').dataset.state === "done" && document.querySelector('.stage[data-stage="wait"]').dataset.state === "active"`, before))
		time.Sleep(400 * time.Millisecond)
		png, err := chromedp.Run(ctx, chromedp.Screenshot(`.path`))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if err := os.WriteFile(*pictureShot, png, 0o644); err != nil {
			t.Fatal(err)
		}
		waitRun(t, ctx, l, before)
		return
	}
	runID, page := sendAndWait(t, ctx, "")
	// Live, the token visits each place in turn, the quick ones for a
	// moment each: it ends its way a moment after the run.
	waitFor(t, ctx, "the token to end its way", `document.querySelector('[data-token]').dataset.at === "render"`)
	var watch []observation
	for _, o := range eval[[]observation](t, ctx, `window.watch`) {
		if o.Run == runID {
			watch = append(watch, o)
		}
	}
	first := func(ok func(o observation) bool) (observation, bool) {
		for _, o := range watch {
			if ok(o) {
				return o, true
			}
		}
		return observation{}, false
	}
	// The run's time, as the student sees it: from the cache shown under way
	// to the last stage shown ended.
	begun, ok := first(func(o observation) bool { return o.Cache != "idle" })
	if !ok {
		t.Fatalf("the run never showed: %+v", watch)
	}
	length := watch[len(watch)-1].T - begun.T

	waiting, ok := first(func(o observation) bool { return o.Wait == "active" })
	if !ok {
		t.Errorf("wait never showed under way: %+v", watch)
	}
	dbDone, ok := first(func(o observation) bool { return o.DB == "done" })
	switch {
	case !ok:
		t.Fatalf("db never showed done: %+v", watch)
	case dbDone.Wait != "active":
		t.Errorf("db showed done only once the wait was %s, not while the browser waited", dbDone.Wait)
	case dbDone.T-begun.T > 0.3*length:
		t.Errorf("db showed done at %.0f ms of a %.0f ms run, past the first 30 %%", dbDone.T-begun.T, length)
	}
	if waiting.T > dbDone.T {
		t.Errorf("the wait showed at %.0f ms, after db at %.0f", waiting.T, dbDone.T)
	}
	// The token went out, to the server while the browser waited, and back.
	places := map[string]bool{}
	for _, o := range watch {
		places[o.At] = true
		if o.Wait == "active" && (o.At == "receive" || o.At == "route" || o.At == "db" || o.At == "respond") {
			places["server while waiting"] = true
		}
	}
	for _, want := range []string{"server while waiting", "render"} {
		if !places[want] {
			t.Errorf("the token was never on %s: it went through %v", want, places)
		}
	}
	if page["respond"].State != "done" {
		t.Errorf("respond %+v", page["respond"])
	}

	// To scale, on one clock: each measured stage has a bar, the server's
	// inside the browser's wait, and the bars are the stored run's.
	bars := eval[map[string][2]float64](t, ctx, `Object.fromEntries(Array.from(document.querySelectorAll('[data-timeline] [data-bar]'))
		.map(b => [b.dataset.stage, [parseFloat(b.dataset.startMs), parseFloat(b.dataset.durMs)]]))`)
	slack := eval[float64](t, ctx, `parseFloat(document.querySelector('[data-timeline]').dataset.clockSlackMs)`)
	run := storedRun(t, l.url, runID)
	tl := timeline.Build(run.Events, 0).FromFirst() // the run's one clock, from its first stage
	if slack < 0 || slack != round3(tl.Clock.Slack) {
		t.Errorf("the page's clock slack %v, the run's %v", slack, tl.Clock.Slack)
	}
	for _, b := range tl.Bars {
		got, ok := bars[string(b.Stage)]
		if !ok || got[0] != round3(b.Start) || got[1] != round3(b.Dur) {
			t.Errorf("bar %s: page %v, run %.3f+%.3f", b.Stage, got, b.Start, b.Dur)
		}
	}
	// One run, one total: the page's, which every bar ends within, and the
	// four places' times add up to it.
	total := eval[float64](t, ctx, `parseFloat(document.querySelector('[data-field="total-ms"]').dataset.ms)`)
	if total != round3(tl.End) {
		t.Errorf("the page's total %v, the run's %v", total, tl.End)
	}
	for id, b := range bars {
		if b[0] < 0 || b[0]+b[1] > total+0.001 {
			t.Errorf("bar %s %v outside the total %v", id, b, total)
		}
	}
	sum := eval[float64](t, ctx, `Array.from(document.querySelectorAll('[data-field="place-time"]'))
		.map(e => parseFloat(e.textContent.replace(/\s/g, "").replace(",", ".")) * (e.textContent.includes(" s") ? 1000 : 1)).reduce((a, b) => a + b, 0)`)
	if sum < total-2 || sum > total+2 {
		t.Errorf("the places' times add up to %v ms, the run's total is %v", sum, total)
	}
	wait := bars["wait"]
	for _, id := range []string{"receive", "route", "respond"} {
		b, ok := bars[id]
		if !ok || b[0] < wait[0]-slack || b[0] > wait[0]+wait[1]+slack {
			t.Errorf("%s starts at %v, outside the wait %v (±%v)", id, b, wait, slack)
		}
	}
	if wait[1] < 2000 {
		t.Errorf("the wait took %v ms under slow 3G's 2 s", wait[1])
	}
	if got := textOf(t, ctx, `[data-node="network"]`); !strings.Contains(got, "3G lenta") {
		t.Errorf("the network place does not name the simulated network: %q", got)
	}
}

func round3(v float64) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 3, 64), 64)
	return f
}

// Playback plays the run in the order things happened, the token with it; a
// step is the next thing in time.
func TestPicturePlaysBackInTheOrderThingsHappened(t *testing.T) {
	l := startLab(t, nil)
	ctx := newBrowser(t)
	openLab(t, ctx, l.url+"/")
	runID, _ := sendAndWait(t, ctx, "")

	openLab(t, ctx, l.url+"/runs/"+runID+"?speed=0.05")
	rewind(t, ctx)
	eval[bool](t, ctx, `(() => { window.order = []; window.at = [];
		new MutationObserver(ms => { for (const m of ms) {
			const e = m.target;
			if (e.matches('.stage[data-stage]') && e.dataset.state !== "idle") window.order.push(e.dataset.stage);
			if (e.matches('[data-token]')) window.at.push(e.dataset.at); } })
		.observe(document.querySelector('[data-lab]'), {subtree: true, attributes: true, attributeFilter: ["data-state", "data-at"]});
		return true })()`)
	eval[bool](t, ctx, `(document.querySelector('[data-action="play"]').click(), true)`)
	run := storedRun(t, l.url, runID)
	n := len(timeline.Build(run.Events, 0).Moments)
	waitFor(t, ctx, "the slowed playback to end", fmt.Sprintf(`(document.querySelector('[data-field="playback-pos"]') || {dataset: {}}).dataset.pos === "%d"`, n))
	order := eval[[]string](t, ctx, `window.order`)
	seen := map[string]int{}
	for i, id := range order {
		if _, ok := seen[id]; !ok {
			seen[id] = i
		}
	}
	path := []string{"cache", "send", "wait", "receive", "route", "db", "respond", "download", "parse", "render"}
	for i := 1; i < len(path); i++ {
		a, b := path[i-1], path[i]
		if seen[a] > seen[b] {
			t.Errorf("playback showed %s before %s: %v", b, a, order)
		}
	}
	at := eval[[]string](t, ctx, `window.at`)
	if strings.Join(at, " ") == "" || at[len(at)-1] != "render" {
		t.Errorf("the token went %v, want it to end on render", at)
	}
}

// With reduced motion nothing glides, and every state is still shown.
func TestPictureHonoursReducedMotion(t *testing.T) {
	l := startLab(t, nil)
	ctx := newBrowser(t)
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}}}); err != nil {
		t.Fatal(err)
	}
	openLab(t, ctx, l.url+"/")
	_, page := sendAndWait(t, ctx, "")
	if got := eval[string](t, ctx, `getComputedStyle(document.querySelector('[data-token]')).transitionDuration`); got != "0s" {
		t.Errorf("the token glides for %s under reduced motion", got)
	}
	if got := eval[string](t, ctx, `getComputedStyle(document.querySelector('[data-dot]')).animationName`); got != "none" {
		t.Errorf("a dot is animated (%s) under reduced motion", got)
	}
	dots := eval[map[string]string](t, ctx, `Object.fromEntries(Array.from(document.querySelectorAll('[data-dot]')).map(d => [d.dataset.dot, d.dataset.state]))`)
	for id, p := range page {
		if dots[id] != p.State {
			t.Errorf("the picture shows %s %s, the stage %s", id, dots[id], p.State)
		}
	}
	if len(dots) != len(stage.All()) {
		t.Errorf("%d dots, want one per stage", len(dots))
	}
}

// At a phone's width the picture fits and nothing scrolls sideways.
func TestPictureReadsOnAPhone(t *testing.T) {
	l := startLab(t, nil)
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	openLab(t, ctx, l.url+"/")
	sendAndWait(t, ctx, "")
	time.Sleep(300 * time.Millisecond)
	got := eval[[]float64](t, ctx, `(() => { const r = document.querySelector('[data-diagram] svg').getBoundingClientRect();
		const label = document.querySelector('[data-node="database"] .place-name').getBoundingClientRect();
		return [r.left, r.right, document.documentElement.scrollWidth, label.height] })()`)
	if got[0] < 0 || got[1] > 390 || got[2] > 390 {
		t.Errorf("the picture spans %v..%v and the page %v px on a 390 px phone", got[0], got[1], got[2])
	}
	if got[3] < 12 {
		t.Errorf("a place's name is %.1f px tall on a phone: too small to read", got[3])
	}
}

// A run link to a run the lab does not hold answers 404, and the page says so
// in the reader's language; a new request clears the message.
func TestUnknownRunPageSaysSo(t *testing.T) {
	l := startLab(t, nil)
	ctx := newBrowser(t)
	for _, tt := range []struct{ id, lang, want string }{
		{stage.NewRunID(), "es", "no guarda ninguna ejecución"},
		{"not-a-run", "en", "holds no run"},
	} {
		res, err := http.Get(l.url + "/runs/" + tt.id + "?lang=" + tt.lang)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			t.Errorf("/runs/%s: %d %s, want a 404 page", tt.id, res.StatusCode, res.Header.Get("Content-Type"))
		}
		openLab(t, ctx, l.url+"/runs/"+tt.id+"?lang="+tt.lang)
		if got := textOf(t, ctx, `[data-field="error"]`); !strings.Contains(got, tt.want) || !strings.Contains(got, tt.id) {
			t.Errorf("/runs/%s says %q", tt.id, got)
		}
	}
	sendAndWait(t, ctx, "/site/api/cursos")
	if n := eval[int](t, ctx, `document.querySelectorAll('[data-field="error"]').length`); n != 0 {
		t.Errorf("the message stays after a new run (%d)", n)
	}
	// A run the lab holds is still a page of its own, 200.
	id := eval[string](t, ctx, runIDJS)
	if res, err := http.Get(l.url + "/runs/" + id); err != nil || res.StatusCode != 200 {
		t.Errorf("a stored run's page: %v %v", res.StatusCode, err)
	}
}

// rewind stops a stored run's playback, which began as the client started,
// and takes it back to its start, so that a watcher sees it from there.
func rewind(t *testing.T, ctx contextT) {
	t.Helper()
	waitFor(t, ctx, "the playback's controls", `!!document.querySelector('[data-field="scrubber"]')`)
	eval[bool](t, ctx, `(() => { const p = document.querySelector('[data-action="pause"]'); if (p) p.click(); return true })()`)
	waitFor(t, ctx, "the playback paused", `!!document.querySelector('[data-action="play"]')`)
	eval[bool](t, ctx, `(() => { const s = document.querySelector('[data-field="scrubber"]'); s.value = "0";
		s.dispatchEvent(new Event("input", {bubbles: true})); return true })()`)
	waitFor(t, ctx, "the playback at its start", `document.querySelector('[data-field="playback-pos"]').dataset.pos === "0"`)
}
