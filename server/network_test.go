package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"reqlab/app/stage"
	"reqlab/app/timeline"
	"reqlab/server/har"
)

// sample is the picture, the timeline and the run's total as a student sees
// them at one instant of a run.
type sample struct {
	T       float64            `json:"t"` // ms on the page's clock
	Run     string             `json:"run"`
	At      string             `json:"at"`
	Caption string             `json:"caption"`
	Places  map[string]float64 `json:"places"` // each place's time, as written under it
	Axis    float64            `json:"axis"`   // the timeline's caption: the run so far
	Total   float64            `json:"total"`  // [data-field="total-ms"], -1 while there is none
	Bars    string             `json:"bars"`   // the timeline's rows: stage:start+dur`
}

// sampleJS records a sample at every change of the lab, as window.samples.
// A time is read as the page writes it ("1234 ms", "12,5 ms").
const sampleJS = `(() => {
	window.samples = []; const t0 = performance.now();
	const ms = s => parseFloat(s.replace(/[^0-9,.-]/g, "").replace(",", "."));
	const look = () => {
		const lab = document.querySelector('[data-lab]'), token = document.querySelector('[data-token]');
		const places = {};
		for (const p of document.querySelectorAll('[data-node]')) {
			const e = p.querySelector('[data-field="place-time"]');
			if (e) places[p.dataset.node] = ms(e.textContent);
		}
		const cap = document.querySelector('.timeline-caption'), total = document.querySelector('[data-field="total-ms"]');
		window.samples.push({t: performance.now() - t0, run: lab.dataset.runId || "", at: token ? token.dataset.at : "",
			caption: (document.querySelector('[data-field="now"]') || {}).textContent || "", places,
			axis: cap ? ms(cap.textContent) : -1, bars: Array.from(document.querySelectorAll('[data-timeline] [data-bar], [data-timeline] [data-crossing]'))
				.map(b => (b.dataset.stage || b.dataset.crossing) + ":" + b.dataset.startMs + "+" + b.dataset.durMs).join(" "), total: total ? parseFloat(total.dataset.ms) : -1});
	};
	new MutationObserver(look).observe(document.querySelector('[data-lab]'), {subtree: true, attributes: true, childList: true, characterData: true});
	look(); return true })()`

// runSamples returns the samples taken while run was on screen.
func runSamples(t *testing.T, ctx contextT, run string) []sample {
	t.Helper()
	var out []sample
	for _, s := range eval[[]sample](t, ctx, `window.samples`) {
		if s.Run == run {
			out = append(out, s)
		}
	}
	return out
}

// On the slowest network the time goes where it went: the token crosses the
// network for most of the wait, live, and visits every server stage on its
// way; the server's respond stage is short; the timeline's crossing back, the
// places' times and the HAR all put the hold on the network. Every counter
// only goes up, and everything fits in the run's one total.
func TestBrowserSlowNetworkIsDrawnOnTheNetwork(t *testing.T) {
	l := startLab(t, nil)
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 768)); err != nil {
		t.Fatal(err)
	}
	openLab(t, ctx, l.url+"/?lang=es")
	sendAndWait(t, ctx, "") // warms the page's code up
	choose(t, ctx, `[data-field="network"]`, "slow-3g")
	eval[bool](t, ctx, sampleJS)
	runID, _ := sendAndWait(t, ctx, "/site/api/cursos")
	waitFor(t, ctx, "the token to end its way", `document.querySelector('[data-token]').dataset.at === "render"`)
	samples := runSamples(t, ctx, runID)
	run := storedRun(t, l.url, runID)
	tl := timeline.Build(run.Events, 0).FromFirst()
	bars := map[stage.ID]timeline.Bar{}
	for _, b := range tl.Bars {
		bars[b.Stage] = b
	}
	wait, respond := bars[stage.Wait], bars[stage.Respond]

	// The server's own work is short; the hold is the network's.
	if respond.Dur > 50 || wait.Dur < 2000 {
		t.Errorf("respond took %.1f ms of a %.1f ms wait: the network's hold is booked on the server", respond.Dur, wait.Dur)
	}

	// The token's way, live: every place in path order, each once.
	var way []string
	for _, s := range samples {
		if s.At != "" && (len(way) == 0 || way[len(way)-1] != s.At) {
			way = append(way, s.At)
		}
	}
	// (Send, which the browser does not time, is seen live as the page
	// says it began.)
	if got, want := strings.Replace(strings.Join(way, " "), "cache send ", "cache ", 1), "cache network receive route db respond network download parse render"; got != want {
		t.Errorf("live, the token went\n %s\nwant\n %s", got, want)
	}
	// It stood on the network for most of the wait, and said so.
	onNetwork := 0.0
	for i := 1; i < len(samples); i++ {
		if s := samples[i-1]; s.At == timeline.Network {
			onNetwork += samples[i].T - s.T
			if !strings.HasPrefix(s.Caption, "Red") {
				t.Errorf("on the network the caption says %q", s.Caption)
				break
			}
		}
	}
	// Each quick place is seen for a moment (a tenth of a second each,
	// after the fact): the server stages' moments aside, the wait is the
	// network's.
	if onNetwork < 0.5*wait.Dur {
		t.Errorf("the token was on the network for %.0f ms of a %.0f ms wait", onNetwork, wait.Dur)
	}

	// The timeline draws the crossing back as long as the hold.
	rows := eval[map[string][2]float64](t, ctx, `Object.fromEntries(Array.from(document.querySelectorAll('[data-timeline] [data-crossing]'))
		.map(r => [r.dataset.crossing, [parseFloat(r.dataset.startMs), parseFloat(r.dataset.durMs)]]))`)
	back := rows["back"]
	if back[1] < 1900 || back[0] < respond.Start+respond.Dur-0.01 || back[0]+back[1] > wait.Start+wait.Dur+0.01 {
		t.Errorf("the crossing back %v, after respond (%.1f+%.1f) and within the wait (%.1f+%.1f)", back, respond.Start, respond.Dur, wait.Start, wait.Dur)
	}
	// So does the HAR.
	res, err := http.Get(l.url + "/api/runs/" + runID + "/har")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var doc har.HAR
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	x := doc.Log.Entries[0].Reqlab
	if x.CrossingsMs[stage.Back] < 1900 || x.PlacesMs[stage.AtNetwork] < 1900 || x.PlacesMs[stage.AtServer] > 50 ||
		!strings.Contains(doc.Log.Entries[0].Timings.Comment, "slow-3g") {
		t.Errorf("the HAR says crossings %v, places %v, %q", x.CrossingsMs, x.PlacesMs, doc.Log.Entries[0].Timings.Comment)
	}

	checkOneClock(t, ctx, samples, run, tl)

	// In playback, the same: the token goes the same way, and stands on
	// the network for most of the wait.
	openLab(t, ctx, l.url+"/runs/"+runID+"?speed=1")
	rewind(t, ctx)
	eval[bool](t, ctx, `(() => { window.at = []; const t0 = performance.now();
		new MutationObserver(() => { const a = document.querySelector('[data-token]').dataset.at;
			if (!window.at.length || window.at[window.at.length - 1].at !== a) window.at.push({at: a, t: performance.now() - t0}) })
		.observe(document.querySelector('[data-lab]'), {subtree: true, attributes: true, attributeFilter: ["data-at"]});
		return true })()`)
	eval[bool](t, ctx, `(document.querySelector('[data-action="play"]').click(), true)`)
	waitFor(t, ctx, "the playback to end", `document.querySelector('[data-lab]').dataset.runState === "done" && window.at.length > 3`)
	type mark struct {
		At string  `json:"at"`
		T  float64 `json:"t"`
	}
	marks := eval[[]mark](t, ctx, `window.at`)
	way, played := []string{}, 0.0
	for i, m := range marks {
		way = append(way, m.At)
		if m.At == timeline.Network && i+1 < len(marks) {
			played += marks[i+1].T - m.T
		}
	}
	if got := strings.Join(way, " "); !strings.Contains(got, "network receive route db respond network download") {
		t.Errorf("in playback the token went %s", got)
	}
	if played < 0.5*wait.Dur {
		t.Errorf("in playback the token was on the network for %.0f ms of a %.0f ms wait", played, wait.Dur)
	}

	// One total: the history of runs says the same as the run's page.
	waitFor(t, ctx, "the run in the history", fmt.Sprintf(`!!document.querySelector('[data-history-run=%q]')`, runID))
	want := strconv.FormatFloat(tl.End, 'f', 0, 64) + " ms"
	if got := textOf(t, ctx, fmt.Sprintf(`[data-history-run=%q]`, runID)); !strings.Contains(got, want) {
		t.Errorf("the history says %q of a run whose total is %s", got, want)
	}
}

// liveLag is how far behind its clock the page draws a live run, in ms (the
// client's liveLag, a tick).
const liveLag = 100.0

// checkOneClock checks a run's numbers as the page showed them: each
// counter only went up, the browser's timing of the run taking them up, not
// down. The page draws a live run a tick behind its clock (100 ms): only
// where its reading was later than that (its own lateness in hearing of the
// first byte, as the run's stored events tell) may a counter go down once,
// as the browser's timing comes in, and by no more than the excess. Its one
// total holds every bar, the places add up to it, and the browser's own
// stages fit in it.
func checkOneClock(t *testing.T, ctx contextT, samples []sample, run stage.Run, tl timeline.Timeline) {
	t.Helper()
	told, measured := map[stage.ID]float64{}, map[stage.ID]float64{}
	for _, e := range run.Events {
		if e.Side != stage.Client {
			continue
		}
		if _, ok := told[e.Stage]; !ok && e.Phase == stage.Start {
			told[e.Stage] = e.TMs
		}
		if e.Phase == stage.End {
			measured[e.Stage] = e.TMs
		}
	}
	// Late: the page heard of the first byte after it came, and began its
	// clock (its zero, the cache looked in) before the browser did.
	late := max(0, told[stage.Download]-measured[stage.Download]) + max(0, measured[stage.Wait]-told[stage.Wait]) +
		max(0, measured[stage.Cache]-told[stage.Cache])
	t.Logf("the page heard of the first byte %.1f ms late", late)
	if late > liveLag {
		t.Logf("later than the live clock's lag (%v ms): a counter may go down by %.1f ms", liveLag, late-liveLag)
	}
	last := map[string]float64{}
	final := false
	for _, s := range samples {
		now := map[string]float64{"axis": s.Axis, "total": s.Total}
		for p, v := range s.Places {
			now[p] = v
		}
		// The browser's timing is in once the timeline has its parse.
		corrected := !final && strings.Contains(s.Bars, "parse:")
		final = final || corrected
		for k, v := range now {
			if v < 0 {
				continue
			}
			allowed := 0.0
			if corrected && late > liveLag {
				allowed = late - liveLag + 0.5
			}
			if before, ok := last[k]; ok && v < before-allowed {
				t.Errorf("%s went down from %v to %v ms at %.0f ms", k, before, v, s.T)
			}
			last[k] = v
		}
	}
	if !final {
		t.Error("the browser's timing never showed")
	}
	total := eval[float64](t, ctx, `parseFloat(document.querySelector('[data-field="total-ms"]').dataset.ms)`)
	if total != round3(tl.End) {
		t.Errorf("the page's total %v, the run's %v", total, tl.End)
	}
	ends := eval[[][3]float64](t, ctx, `Array.from(document.querySelectorAll('[data-timeline] [data-bar], [data-timeline] [data-crossing]'))
		.map(b => [parseFloat(b.dataset.startMs), parseFloat(b.dataset.durMs), b.classList.contains('side-client') ? 1 : 0])`)
	client := 0.0
	for _, b := range ends {
		if b[0] < 0 || b[0]+b[1] > total+0.001 {
			t.Errorf("a bar %v is outside the total %v", b, total)
		}
		if b[2] == 1 {
			client += b[1]
		}
	}
	if client > total+0.01 {
		t.Errorf("the browser's stages add up to %.3f ms, more than the run's %.3f", client, total)
	}
	sum := 0.0
	for _, p := range []string{"browser", "network", "server", "database"} {
		sum += last[p]
	}
	if sum < total-2 || sum > total+2 {
		t.Errorf("the places add up to %.1f ms, the total is %.3f (%v)", sum, total, last)
	}
}

// A request refused as it came in (431: its headers pass the server's 8 KB)
// shows the stages that did not happen as not happening: route and db
// skipped, in the picture, the stage list and the timeline; the token never
// goes there.
func TestBrowserRefusedAtReceiveSkipsRouteAndDB(t *testing.T) {
	l := startLab(t, nil)
	ctx := newBrowser(t)
	openLab(t, ctx, l.url+"/?lang=es")
	sendAndWait(t, ctx, "")
	eval[bool](t, ctx, `(document.querySelector('[data-action="add-header"]').click(), true)`)
	waitFor(t, ctx, "a header row", `!!document.querySelector('[data-field="header-value"]')`)
	eval[bool](t, ctx, fmt.Sprintf(`(() => { const set = (sel, v) => { const e = document.querySelector(sel); e.value = v;
		e.dispatchEvent(new Event("input", {bubbles: true})); e.dispatchEvent(new Event("change", {bubbles: true})) };
		set('[data-field="header-name"]', "X-Relleno"); set('[data-field="header-value"]', %q); return true })()`, strings.Repeat("x", 9000)))
	eval[bool](t, ctx, sampleJS)
	runID, page := sendAndWait(t, ctx, "/site/api/cursos")
	waitFor(t, ctx, "the token to end its way", `document.querySelector('[data-token]').dataset.at === "render"`)

	d := eval[map[string]string](t, ctx, `(() => { const d = document.querySelector('[data-diagram]');
		const dot = id => d.querySelector('[data-dot="' + id + '"]').dataset.state;
		return {status: d.dataset.status, outcome: d.dataset.outcome, route: dot("route"), db: dot("db"), receive: dot("receive"), respond: dot("respond"),
			bars: Array.from(document.querySelectorAll('[data-timeline] [data-bar]')).map(b => b.dataset.stage).join(" ")} })()`)
	if d["status"] != "431" || d["outcome"] != "client-error" {
		t.Fatalf("the run answered %s (%s), want 431", d["status"], d["outcome"])
	}
	if d["route"] != "skipped" || d["db"] != "skipped" || d["receive"] != "done" || d["respond"] != "done" {
		t.Errorf("the picture: receive %s, route %s, db %s, respond %s", d["receive"], d["route"], d["db"], d["respond"])
	}
	for _, id := range []string{"route", "db"} {
		if s := page[id]; s.State != "skipped" || s.Dur != "" && !strings.Contains(s.Dur, "—") && strings.Contains(s.Dur, "ms") {
			t.Errorf("the stage list says %s %s, %q: %q", id, s.State, s.Dur, s.Detail)
		}
		if txt := eval[string](t, ctx, fmt.Sprintf(`document.querySelector('.stage[data-stage=%q]').textContent.toLowerCase()`, id)); strings.Contains(txt, "hecho") {
			t.Errorf("the stage list says %s is done: %q", id, txt)
		}
		if strings.Contains(" "+d["bars"]+" ", " "+id+" ") {
			t.Errorf("the timeline has a bar for %s, which did not run: %s", id, d["bars"])
		}
	}
	for _, s := range runSamples(t, ctx, runID) {
		if s.At == "route" || s.At == "db" {
			t.Errorf("the token went to %s, which did not run", s.At)
			break
		}
	}
}

// labelSizesJS returns the size each shown label of the diagram renders at,
// in CSS pixels: its font size times the drawing's scale where it is.
const labelSizesJS = `Array.from(document.querySelectorAll('[data-diagram] svg text')).filter(e => {
		const r = e.getBoundingClientRect(); return r.width > 0 && getComputedStyle(e).display !== "none" && getComputedStyle(e).visibility !== "hidden" })
	.map(e => { const m = e.getScreenCTM(); return {text: e.textContent, px: Math.hypot(m.a, m.b) * parseFloat(getComputedStyle(e).fontSize)} })`

// labelSize is one label of the diagram as it renders.
type labelSize struct {
	Text string  `json:"text"`
	Px   float64 `json:"px"`
}

// On a phone every label of the diagram renders at 12 CSS px at least, light
// and dark, before a run and after one; on a laptop too.
func TestBrowserDiagramLabelsRead(t *testing.T) {
	l := startLab(t, nil)
	for _, s := range []struct {
		name          string
		width, height int64
		mobile        bool
	}{{"phone", 390, 844, true}, {"small-phone", 360, 740, true}, {"laptop", 1366, 768, false}} {
		for _, scheme := range []string{"light", "dark"} {
			t.Run(s.name+"-"+scheme, func(t *testing.T) {
				ctx := sized(t, s.width, s.height, s.mobile, scheme)
				openLab(t, ctx, l.url+"/?lang=es")
				check := func(when string) {
					labels := eval[[]labelSize](t, ctx, labelSizesJS)
					if len(labels) < 8 {
						t.Errorf("%s: %d labels shown: %v", when, len(labels), labels)
					}
					least := labelSize{Px: 1e9}
					for _, lb := range labels {
						if lb.Px < 12 {
							t.Errorf("%s: %q renders at %.1f px", when, lb.Text, lb.Px)
						}
						if lb.Px < least.Px {
							least = lb
						}
					}
					t.Logf("%s: the smallest label, %q, renders at %.1f px", when, least.Text, least.Px)
					if w := eval[[]float64](t, ctx, `[document.documentElement.scrollWidth, innerWidth]`); w[0] > w[1] {
						t.Errorf("%s: the page is %v px wide on a %v px screen", when, w[0], w[1])
					}
				}
				check("before a run")
				choose(t, ctx, `[data-field="network"]`, "fast-3g")
				eval[bool](t, ctx, sampleJS)
				runID, _ := sendAndWait(t, ctx, "/site/api/cursos/999999")
				waitFor(t, ctx, "the token to end its way", `document.querySelector('[data-token]').dataset.at === "render"`)
				check("after a run")
				// The page's first run, on a page whose code is cold: one
				// clock still.
				run := storedRun(t, l.url, runID)
				checkOneClock(t, ctx, runSamples(t, ctx, runID), run, timeline.Build(run.Events, 0).FromFirst())
				if *labelShots != "" {
					for name, sel := range map[string]string{"picture": `[data-diagram]`, "timeline": `[data-timeline]`} {
						png, err := chromedp.Run(ctx, chromedp.Screenshot(sel))
						if err != nil {
							t.Fatal(err)
						}
						if err := os.WriteFile(filepath.Join(*labelShots, name+"-"+s.name+"-"+scheme+".png"), png, 0o644); err != nil {
							t.Fatal(err)
						}
					}
				}
			})
		}
	}
}

var labelShots = flag.String("picture-shots", "", "write the picture after a run, at a phone's and a laptop's size, light and dark, into this folder")
