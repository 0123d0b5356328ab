package main

import (
	"os"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"reqlab/app/lesson"
)

// axeViolation is one rule axe-core found broken on a page.
type axeViolation struct {
	ID    string `json:"id"`
	Help  string `json:"help"`
	Nodes []struct {
		Target []string `json:"target"`
	} `json:"nodes"`
}

// TestBrowserPagesPassAxe runs axe-core, the accessibility checker, on the
// lab and on every lesson in both languages, after a run so that the
// diagram, the response and the history are on the page too.
func TestBrowserPagesPassAxe(t *testing.T) {
	l := startLab(t, nil)
	pages := []string{"/"}
	for _, slug := range lesson.Slugs() {
		pages = append(pages, "/lab/"+slug)
	}
	// The dark theme of the embedded lab, with a run on screen.
	for _, slug := range []string{"cookies", "cache", "what-happens"} {
		pages = append(pages, "/embed/"+slug+"?theme=dark")
	}
	passAxe(t, newBrowser, l, pages, "es", "en")
}

// TestBrowserDarkDevicePassesAxe is the same on a device set to dark: the
// lab follows it, with every text readable.
func TestBrowserDarkDevicePassesAxe(t *testing.T) {
	l := startLab(t, nil)
	darkBrowser := func(t testing.TB) contextT {
		ctx := newBrowser(t)
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}); err != nil {
			t.Fatal(err)
		}
		return ctx
	}
	pages := []string{"/", "/embed/status-codes"}
	for _, slug := range lesson.Slugs() {
		pages = append(pages, "/lab/"+slug)
	}
	passAxe(t, darkBrowser, l, pages, "es")
	// It is dark indeed: the page's background is the dark theme's.
	ctx := darkBrowser(t)
	openLab(t, ctx, l.url+"/")
	if bg := eval[string](t, ctx, `getComputedStyle(document.querySelector('[data-lab]')).backgroundColor`); bg != "rgb(20, 25, 28)" {
		t.Errorf("on a dark device the lab's background is %s", bg)
	}
}

// passAxe runs axe-core on each page in each language, after a run so that
// the diagram, the response and the history are on the page too, each in a
// browser of its own that browser makes.
func passAxe(t *testing.T, browser func(testing.TB) contextT, l *lab, pages []string, langs ...string) {
	t.Helper()
	script, err := os.ReadFile("testdata/axe/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range langs {
		for _, p := range pages {
			t.Run(lang+p, func(t *testing.T) {
				ctx := browser(t)
				sep := "?"
				if strings.Contains(p, "?") {
					sep = "&"
				}
				openLab(t, ctx, l.url+p+sep+"lang="+lang)
				if p == "/" {
					sendAndWait(t, ctx, "/site/api/cursos")
				} else {
					runStep(t, ctx, l, 1)
				}
				if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](string(script))); err != nil {
					t.Fatalf("load axe: %v", err)
				}
				found, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](
					`axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations)`, chromedp.EvalAwaitPromise))
				if err != nil {
					t.Fatalf("run axe: %v", err)
				}
				for _, v := range found {
					var where []string
					for _, n := range v.Nodes {
						where = append(where, strings.Join(n.Target, " "))
					}
					t.Errorf("axe: %s (%s) at %v", v.ID, v.Help, where)
				}
			})
		}
	}
}
