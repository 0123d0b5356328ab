package main

import (
	"log/slog"
	"net/http"

	"reqlab/server/hub"
	"reqlab/server/sqlite"
)

// NewServer returns the lab's whole HTTP handler: every URL it answers is
// listed here.
func NewServer(log *slog.Logger, db *sqlite.DB, h *hub.Hub, sampleSite http.Handler, pages http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", handleHealthz(db))
	mux.Handle("GET /ws", h)
	mux.Handle("GET /api/runs", handleRuns(log, db))
	mux.Handle("GET /api/runs/{id}", handleRun(log, db))
	mux.Handle("GET /api/runs/{id}/har", handleHAR(log, db))
	mux.Handle("/api/", handleAPINotFound())
	mux.Handle("/site/", sampleSite)
	mux.Handle("/", pages)
	return securityHeaders(mux)
}

// securityHeaders sets the headers every answer carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}
