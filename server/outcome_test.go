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
		})
	}
}
