package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"reqlab/app/lesson"
)

var screenshots = flag.String("screenshots", "", "write what a student sees of every lesson after its first step, at a laptop's and a phone's size and embedded in a 760x520 frame, light and dark, into this folder (make screenshots)")

// TestScreenshots is not a check: it writes the pictures people look at
// before a change to the page lands (make screenshots). Each is the
// screen as a student sees it, after the lesson's first step has run: on a
// laptop, a phone, and embedded in a course page's frame of 760 × 520.
func TestScreenshots(t *testing.T) {
	if *screenshots == "" {
		t.Skip("make screenshots writes them (-screenshots DIR)")
	}
	if err := os.MkdirAll(*screenshots, 0o755); err != nil {
		t.Fatal(err)
	}
	l := startLab(t, nil)
	for _, size := range []struct {
		name          string
		width, height int64
		mobile        bool
	}{{"laptop", 1366, 768, false}, {"phone", 390, 844, true}, {"frame", 760, 520, false}} {
		for _, scheme := range []string{"light", "dark"} {
			for _, slug := range append([]string{""}, lesson.Slugs()...) {
				if size.name == "frame" && slug == "" {
					continue // an embed is a lesson's
				}
				name := fmt.Sprintf("%s-%s-%s.png", or(slug, "lab"), size.name, scheme)
				t.Run(name, func(t *testing.T) {
					ctx := sized(t, size.width, size.height, size.mobile, scheme)
					page := "/"
					switch {
					case size.name == "frame":
						// An embed in a course page's frame of 760 × 520.
						page = "/embed/" + slug
					case slug != "":
						page = "/lab/" + slug
					}
					openLab(t, ctx, l.url+page)
					if scheme == "light" {
						// The first view, before anything is pressed.
						shot(t, ctx, strings.Replace(name, "-light.png", "-first.png", 1))
					}
					sel := `[data-action="lesson-step"][data-step="1"]`
					if slug == "" {
						sel = `[data-action="send"]`
					}
					clickToRun(t, ctx, sel)
					waitFor(t, ctx, "the run to end", `document.querySelector('[data-lab]').dataset.runState === "done"`)
					tokenSettles(t, ctx)
					shot(t, ctx, name)
				})
			}
		}
	}
}

// tokenSettles waits for a live run's token to end its way: it visits each
// place the run's events tell of, 80 ms at least, and goes on doing so for
// a moment after a quick run has ended. It has settled once it has stood
// on one place for half a second (5 s at most).
func tokenSettles(t *testing.T, ctx contextT) {
	t.Helper()
	at, since := "", time.Now()
	for start := time.Now(); time.Since(start) < 5*time.Second; time.Sleep(50 * time.Millisecond) {
		now := eval[string](t, ctx, `(document.querySelector('[data-token]') || {dataset: {}}).dataset.at || ""`)
		if now != at {
			at, since = now, time.Now()
		}
		if time.Since(since) > 500*time.Millisecond {
			return
		}
	}
}

// shot writes what the page's viewport shows to a PNG in the folder.
func shot(t *testing.T, ctx contextT, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*screenshots, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func or(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}
