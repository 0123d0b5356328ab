package main

import (
	"strings"
	"testing"
)

// How a run ended is drawn where its answer was made: the status on the
// picture, with a colour and a mark of its own, and on [data-diagram].
func TestBrowserPictureShowsHowTheRunEnded(t *testing.T) {
	l := startLab(t, nil)
	ctx := newBrowser(t)
	openLab(t, ctx, l.url+"/?lang=es")
	for _, tt := range []struct {
		url, status, outcome, mark string
	}{
		{"/site/api/cursos", "200", "ok", "✓"},
		{"/site/api/cursos/999999", "404", "client-error", "!"},
		{"/site/api/inscripciones", "500", "server-error", "✕"},
	} {
		t.Run(tt.status, func(t *testing.T) {
			sendAndWait(t, ctx, tt.url)
			waitFor(t, ctx, "the outcome", `!!document.querySelector('[data-diagram][data-outcome]')`)
			got := eval[map[string]string](t, ctx, `(() => { const d = document.querySelector('[data-diagram]'), o = d.querySelector('[data-field="outcome"]');
				return {status: d.dataset.status, outcome: d.dataset.outcome, cls: o ? o.getAttribute("class") : "",
					text: o ? o.querySelector("text").textContent : "", title: o ? o.querySelector("title").textContent : ""} })()`)
			if got["status"] != tt.status || got["outcome"] != tt.outcome || !strings.Contains(got["cls"], "outcome-"+tt.outcome) ||
				got["text"] != tt.mark+" "+tt.status || !strings.Contains(got["title"], tt.status) {
				t.Errorf("%s: the picture says %v", tt.url, got)
			}
			if by := eval[string](t, ctx, `document.querySelector('[data-field="outcome"]').dataset.answeredBy`); by != "server" {
				t.Errorf("%s: answered by %q, not the server", tt.url, by)
			}
		})
	}

	// The same cacheable request again: the browser's cache answers, and the
	// badge is on the browser (left of the network), not on the server.
	t.Run("cache", func(t *testing.T) {
		sendAndWait(t, ctx, "/site/api/portada")
		sendAndWait(t, ctx, "/site/api/portada")
		// As the run ends, not once the stored run is read: the badge
		// never stands on the server first.
		waitFor(t, ctx, "the outcome", `!!document.querySelector('[data-field="outcome"]')`)
		got := eval[struct {
			By                      string
			Badge, Browser, Network box
		}](t, ctx, `(() => { const b = e => { const x = e.getBoundingClientRect(); return {Top: x.top, Bottom: x.bottom, Left: x.left, Right: x.right} };
			const o = document.querySelector('[data-field="outcome"]');
			return {By: o.dataset.answeredBy, Badge: b(o.querySelector("rect")), Browser: b(document.querySelector('[data-node="browser"]')),
				Network: b(document.querySelector('[data-node="network"]'))} })()`)
		if got.By != "browser" {
			t.Errorf("a cache hit is drawn as answered by %q", got.By)
		}
		if got.Badge.Left < got.Browser.Left-1 || got.Badge.Right > got.Browser.Right+1 {
			t.Errorf("the cache's 200 is drawn at %.0f..%.0f, not on the browser (%.0f..%.0f)", got.Badge.Left, got.Badge.Right, got.Browser.Left, got.Browser.Right)
		}
	})
}
