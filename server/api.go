package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"reqlab/app/stage"
	"reqlab/server/sqlite"
)

func handleHealthz(db *sqlite.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := db.Ping(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("database unavailable\n"))
			return
		}
		w.Write([]byte("ok\n"))
	})
}

// handleRun answers GET /api/runs/{id}: a stored run with its events.
func handleRun(log *slog.Logger, db *sqlite.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if !stage.ValidRunID(id) {
			writeError(w, log, http.StatusNotFound, "no run has that id: a run id is 32 lowercase hex digits", nil)
			return
		}
		run, err := db.Run(r.Context(), id)
		switch {
		case errors.Is(err, sqlite.ErrNotFound):
			writeError(w, log, http.StatusNotFound, "no run has that id", nil)
		case err != nil:
			writeError(w, log, http.StatusInternalServerError, "the run could not be read", err)
		default:
			w.Header().Set("Cache-Control", "no-store")
			writeJSON(w, log, http.StatusOK, run)
		}
	})
}

func handleAPINotFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, nil, http.StatusNotFound, "no API route answers "+r.Method+" "+r.URL.Path, nil)
	})
}
