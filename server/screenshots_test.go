package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
					shot(t, ctx, name)
				})
			}
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
