package main

import (
	"log/slog"
	"net/http"
	"strings"

	"reqlab/server/hub"
	"reqlab/server/sqlite"
)

// NewServer returns the lab's whole HTTP handler: every URL it answers is
// listed here.
func NewServer(log *slog.Logger, db *sqlite.DB, h *hub.Hub, sampleSite http.Handler, pages http.Handler, frameAncestors []string) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", handleHealthz(db))
	mux.Handle("GET /ws", h)
	mux.Handle("GET /api/runs", handleRuns(log, db))
	mux.Handle("GET /api/runs/{id}", handleRun(log, db))
	mux.Handle("GET /api/runs/{id}/har", handleHAR(log, db))
	mux.Handle("/api/", handleAPINotFound())
	mux.Handle("/site/", sampleSite)
	mux.Handle("/", pages)
	return securityHeaders(mux, frameAncestors)
}

// pagePolicy is the Content-Security-Policy of every page: its own origin
// only, plus what go-app's client needs — compiling WebAssembly
// ('wasm-unsafe-eval') and setting style attributes from Go (the waterfall's
// bars). frame-ancestors is added per page.
const pagePolicy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; media-src 'self'; connect-src 'self'; frame-src 'self'; worker-src 'self'; " +
	"manifest-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'"

// securityHeaders sets the headers every answer carries. Who may frame a
// page is said with CSP's frame-ancestors: the /embed/ pages by the origins
// configured (any, where none are), every other page only by the lab itself.
func securityHeaders(next http.Handler, frameAncestors []string) http.Handler {
	embed := pagePolicy + "; frame-ancestors *"
	if len(frameAncestors) > 0 {
		embed = pagePolicy + "; frame-ancestors 'self' " + strings.Join(frameAncestors, " ")
	}
	page := pagePolicy + "; frame-ancestors 'self'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		if strings.HasPrefix(r.URL.Path, "/embed/") {
			h.Set("Content-Security-Policy", embed)
		} else {
			h.Set("Content-Security-Policy", page)
		}
		next.ServeHTTP(w, r)
	})
}
