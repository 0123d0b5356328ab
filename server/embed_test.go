package main

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"reqlab/app/stage"
)

func TestFrameAncestors(t *testing.T) {
	tests := []struct {
		name, setting, path, want string
	}{
		{"an embed, no allowlist", "", "/embed/cookies", "frame-ancestors *"},
		{"the lab itself", "", "/", "frame-ancestors 'self'"},
		{"a lesson page", "", "/lab/cookies", "frame-ancestors 'self'"},
		{"an embed, an allowlist", "https://campus.example.edu http://127.0.0.2:8000", "/embed/cache",
			"frame-ancestors 'self' https://campus.example.edu http://127.0.0.2:8000"},
		{"the lab, an allowlist", "https://campus.example.edu", "/", "frame-ancestors 'self'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := startLab(t, map[string]string{"REQLAB_FRAME_ANCESTORS": tt.setting})
			res, _ := fetch(t, l.url+tt.path)
			got := res.Header.Get("Content-Security-Policy")
			if res.StatusCode != 200 || !strings.HasSuffix(got, "; "+tt.want) || !strings.HasPrefix(got, "default-src 'self'") {
				t.Errorf("%d, CSP %q, want it to end %q", res.StatusCode, got, tt.want)
			}
			if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Referrer-Policy") != "same-origin" {
				t.Errorf("nosniff %q, Referrer-Policy %q", res.Header.Get("X-Content-Type-Options"), res.Header.Get("Referrer-Policy"))
			}
			if res.Header.Get("X-Frame-Options") != "" {
				t.Error("X-Frame-Options is set: CSP alone says who may frame")
			}
		})
	}
	if _, err := parseConfig([]string{"-frame-ancestors", "campus.example.edu"}, func(string) string { return "" }, nil); err == nil {
		t.Error("an allowlist entry that is not an origin was taken")
	}
}

// hostPage serves, on another loopback address (another origin), a course
// page that embeds a lesson and keeps every message the lab sends it.
func hostPage(t *testing.T, src string) string {
	t.Helper()
	return hostFrame(t, src, 1000, 600)
}

// hostFrame is hostPage with a frame of width × height.
func hostFrame(t *testing.T, src string, width, height int) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no second loopback address here: %v", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="es"><head><title>Curso</title></head><body>
<h1>Un curso en otra plataforma</h1>
<iframe id="lab" src=%q title="reqlab" width="%d" height="%d"></iframe>
<script>
window.got = [];
addEventListener("message", e => { if (e.source === document.getElementById("lab").contentWindow) window.got.push({origin: e.origin, data: e.data}); });
</script></body></html>`, src, width, height)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// hostGot returns the messages the host page has received, of one type.
func hostGot(t *testing.T, ctx contextT, kind string) []map[string]any {
	t.Helper()
	return eval[[]map[string]any](t, ctx, fmt.Sprintf(`window.got.filter(m => m.data && (m.data.type === %q || m.data.subject === %q)).map(m => Object.assign({_origin: m.origin}, m.data))`, kind, kind))
}

func TestBrowserEmbeddedLessonTalksToItsHost(t *testing.T) {
	l := startLab(t, nil)
	host := hostPage(t, l.url+"/embed/cookies?lang=es&autoplay=1")
	ctx := newBrowser(t)
	if err := chromedpNavigate(ctx, host); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "ready, a finished run and a resize", `window.got.some(m => m.data.type === "reqlab:ready") &&
		window.got.some(m => m.data.type === "reqlab:run-complete") && window.got.some(m => m.data.subject === "lti.frameResize")`)

	ready := hostGot(t, ctx, "reqlab:ready")[0]
	if ready["v"] != float64(1) || ready["lesson"] != "cookies" || ready["_origin"] != l.url {
		t.Errorf("ready %v", ready)
	}
	done := hostGot(t, ctx, "reqlab:run-complete")[0]
	runID, _ := done["run_id"].(string)
	if !stage.ValidRunID(runID) || done["status"] != float64(200) {
		t.Fatalf("run-complete %v", done)
	}
	if total, ok := done["total_ms"].(float64); !ok || total <= 0 {
		t.Errorf("run-complete total_ms %v", done["total_ms"])
	}
	stages := map[string]string{}
	for _, m := range hostGot(t, ctx, "reqlab:stage") {
		if m["run_id"] == runID {
			stages[m["stage"].(string)] = m["state"].(string)
		}
	}
	for _, id := range stage.All() {
		if !stage.State(stages[string(id)]).Final() {
			t.Errorf("the host heard stage %s end as %q", id, stages[string(id)])
		}
	}
	for _, kind := range []string{"reqlab:resize", "lti.frameResize", "org.imsglobal.lti.frameResize"} {
		m := hostGot(t, ctx, kind)
		if len(m) == 0 {
			t.Errorf("no %s", kind)
			continue
		}
		if h, ok := m[len(m)-1]["height"].(float64); !ok || h < 200 || h > 10000 {
			t.Errorf("%s: %v", kind, m)
		}
	}
	// The same height as a JSON string, for hosts that parse strings only.
	if h := eval[float64](t, ctx, `(() => { const s = window.got.filter(m => typeof m.data === "string").map(m => JSON.parse(m.data)).filter(d => d.subject === "lti.frameResize"); return s.length ? s[s.length-1].height : 0 })()`); h < 200 {
		t.Errorf("no lti.frameResize as a string (height %v)", h)
	}

	// The host asks for the lesson's second step: the browser sends the
	// server's cookie back, unless it blocks third-party cookies, in which
	// case the stored run shows it came without (and the lesson says why).
	eval[bool](t, ctx, `(() => { document.getElementById("lab").contentWindow.postMessage({type: "reqlab:run", v: 1, step: 2}, "*"); return true })()`)
	waitFor(t, ctx, "the second run", `window.got.filter(m => m.data.type === "reqlab:run-complete").length >= 2`)
	second := hostGot(t, ctx, "reqlab:run-complete")[1]["run_id"].(string)
	run := storedRun(t, l.url, second)
	if c := run.Request.Header("Cookie"); c != "" && !strings.Contains(c, "visitas=") {
		t.Errorf("the second visit carried Cookie %q", c)
	}
	t.Logf("embedded on another site, the browser sent Cookie %q", run.Request.Header("Cookie"))

	// A message of another shape, or from a page that is not the host, is ignored.
	eval[bool](t, ctx, `(() => { document.getElementById("lab").contentWindow.postMessage({type: "reqlab:run"}, "*"); return true })()`)
	time.Sleep(time.Second)
	if n := len(hostGot(t, ctx, "reqlab:run-complete")); n != 2 {
		t.Errorf("a message with no version started a run (%d runs)", n)
	}
}

func TestBrowserRefusesToBeFramedByAHostOutsideTheAllowlist(t *testing.T) {
	for _, tt := range []struct {
		name    string
		allowed func(host string) string
		framed  bool
	}{
		{"a host the allowlist names", func(host string) string { return host }, true},
		{"a host it does not name", func(string) string { return "https://campus.example.edu" }, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// The host's address is known once it listens; the lab, started
			// after, is told of it.
			var l *lab
			hostURL := ""
			src := make(chan string, 1)
			ln, err := net.Listen("tcp", "127.0.0.2:0")
			if err != nil {
				t.Skipf("no second loopback address here: %v", err)
			}
			hostURL = "http://" + ln.Addr().String()
			srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(w, `<!doctype html><html lang="en"><head><title>Course</title></head><body><iframe id="lab" src=%q title="reqlab"></iframe>
<script>window.got = []; addEventListener("message", e => window.got.push({origin: e.origin, data: e.data}));</script></body></html>`, <-src+"/embed/cache?lang=en")
			})}
			go srv.Serve(ln)
			t.Cleanup(func() { srv.Close() })
			l = startLab(t, map[string]string{"REQLAB_FRAME_ANCESTORS": tt.allowed(hostURL)})
			src <- l.url
			ctx := newBrowser(t)
			if err := chromedpNavigate(ctx, hostURL); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(8 * time.Second)
			ready := false
			for time.Now().Before(deadline) && !ready {
				ready = eval[bool](t, ctx, `window.got.some(m => m.data && m.data.type === "reqlab:ready")`)
				time.Sleep(100 * time.Millisecond)
			}
			if ready != tt.framed {
				t.Errorf("the lab answered ready = %v, want framed = %v", ready, tt.framed)
			}
		})
	}
}

func TestBrowserEmbedDialogBuildsTheSnippet(t *testing.T) {
	l := startLab(t, nil)
	ctx := newBrowser(t)
	openLab(t, ctx, l.url+"/lab/cache?lang=en")
	click(t, ctx, `[data-action="embed"]`)
	waitFor(t, ctx, "the dialog", `!!document.querySelector('[data-field="embed-snippet"]')`)
	click(t, ctx, `[data-field="embed-autoplay"]`)
	click(t, ctx, `[data-field="embed-controls"]`)
	choose(t, ctx, `[data-field="embed-theme"]`, "dark")
	want := l.url + "/embed/cache?autoplay=1&amp;controls=0&amp;lang=en&amp;theme=dark"
	waitFor(t, ctx, "the snippet", fmt.Sprintf(`document.querySelector('[data-field="embed-snippet"]').value.includes(%q)`, want))
	snippet := eval[string](t, ctx, `document.querySelector('[data-field="embed-snippet"]').value`)
	for _, part := range []string{`<iframe src="`, `title="reqlab: The cache"`, `width="100%"`, `height="900"`, `allow="clipboard-write"`} {
		if !strings.Contains(snippet, part) {
			t.Errorf("the snippet %s lacks %s", snippet, part)
		}
	}
	click(t, ctx, `[data-action="copy-embed"]`)
	waitFor(t, ctx, "the copy's outcome", `document.querySelector('[data-field="embed-copied"]').textContent !== ""`)
}

// An embed asks its host for the height its page needs, whatever height the
// host gave it (a frame made tall can be asked to shrink), and the page it
// asks for is shorter than it was (2,426 px): at 760 px wide its first step
// and picture are in its first 520 px (TestBrowserAtAGlance).
func TestBrowserEmbedAsksForTheHeightItNeeds(t *testing.T) {
	l := startLab(t, nil)
	src := l.url + "/embed/client-server?lang=es"
	// The page's own height at 760 px, loaded on its own.
	ctx := onScreen(t, frame, "light")
	openLab(t, ctx, src)
	need := eval[float64](t, ctx, `document.body.scrollHeight`)
	if need >= 2426 {
		t.Errorf("an embedded lesson needs %v px at 760 px wide, as tall as before issue 23 (2,426 px)", need)
	}
	lastHeight := func(ctx contextT) float64 {
		m := hostGot(t, ctx, "reqlab:resize")
		if len(m) == 0 {
			t.Fatal("no reqlab:resize")
		}
		return m[len(m)-1]["height"].(float64)
	}
	for _, given := range []int{520, 3000} {
		t.Run(fmt.Sprint(given), func(t *testing.T) {
			host := hostFrame(t, src, 760, given)
			ctx := newBrowser(t)
			if err := chromedpNavigate(ctx, host); err != nil {
				t.Fatal(err)
			}
			waitFor(t, ctx, "a resize", `window.got.some(m => m.data.type === "reqlab:resize")`)
			time.Sleep(300 * time.Millisecond)
			// (Within 2 %: a frame with a scroll bar is 15 px narrower, its
			// lines wrap a little more.)
			before := lastHeight(ctx)
			if before < need*0.98 || before > need*1.02 {
				t.Errorf("in a frame %d px tall the lab asks for %v px; its page is %v px", given, before, need)
			}
			// After a run the page is longer, and it says so.
			eval[bool](t, ctx, `(() => { document.getElementById("lab").contentWindow.postMessage({type: "reqlab:run", v: 1, step: 1}, "*"); return true })()`)
			waitFor(t, ctx, "the run", `window.got.some(m => m.data.type === "reqlab:run-complete")`)
			time.Sleep(500 * time.Millisecond)
			after := lastHeight(ctx)
			t.Logf("in a frame %d px tall: asks %v px before a run, %v px after", given, before, after)
			if after <= before {
				t.Errorf("after a run the lab asks for %v px, no more than before (%v)", after, before)
			}
		})
	}
}
