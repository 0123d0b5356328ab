package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"reqlab/app/stage"
	"reqlab/server/har"
	"reqlab/server/session"
	"reqlab/server/store"
)

// sessionParam returns the session a request's token names, and answers
// 400 where it is not a token the lab issued.
func sessionParam(w http.ResponseWriter, r *http.Request, log *slog.Logger, sessions *session.Issuer) (string, bool) {
	id, ok := sessions.Verify(sessionToken(r))
	if !ok {
		writeError(w, log, http.StatusBadRequest, "session must be the token the lab issued to this browser (in its websocket's hello)", nil)
	}
	return id, ok
}

// sessionToken is the session token a request to the lab's API carries: in
// its Authorization header (Bearer), which no log, history or Referer keeps,
// else in ?session= (as pages of this lab send it today).
func sessionToken(r *http.Request) string {
	if token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(token)
	}
	return r.URL.Query().Get("session")
}

func handleHealthz(db store.Health) http.Handler {
	var (
		mu      sync.Mutex
		checked time.Time
		last    error
	)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		// The database must answer reads and commit a write; a probe
		// every second at most, however often the balancer asks.
		mu.Lock()
		if time.Since(checked) >= time.Second {
			ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
			last = db.Ping(ctx)
			if last == nil {
				if err := db.CheckWrite(ctx); err != nil {
					last = fmt.Errorf("writes fail: %w", err)
				}
			} else {
				last = fmt.Errorf("reads fail: %w", last)
			}
			cancel()
			checked = time.Now()
		}
		err := last
		mu.Unlock()
		if err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "database unavailable: %v\n", err)
			return
		}
		w.Write([]byte("ok\n"))
	})
}

// handleRun answers GET /api/runs/{id}: a stored run with its events.
func handleRun(log *slog.Logger, db store.Runs) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		run, ok := readRun(w, r, log, db)
		if !ok {
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, log, http.StatusOK, run)
	})
}

// handleHAR answers GET /api/runs/{id}/har: the run as a HAR 1.2 file.
func handleHAR(log *slog.Logger, db store.Runs) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		run, ok := readRun(w, r, log, db)
		if !ok {
			return
		}
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Disposition", `attachment; filename="reqlab-`+run.ID+`.har"`)
		writeJSON(w, log, http.StatusOK, har.FromRun(run, scheme+"://"+r.Host))
	})
}

// readRun reads the run named in the path, or answers why it cannot.
func readRun(w http.ResponseWriter, r *http.Request, log *slog.Logger, db store.Runs) (stage.Run, bool) {
	id := r.PathValue("id")
	if !stage.ValidRunID(id) {
		writeError(w, log, http.StatusNotFound, "no run has that id: a run id is 32 lowercase hex digits", nil)
		return stage.Run{}, false
	}
	run, err := db.Run(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, log, http.StatusNotFound, "no run has that id", nil)
		return stage.Run{}, false
	case err != nil:
		writeError(w, log, http.StatusInternalServerError, "the run could not be read", err)
		return stage.Run{}, false
	}
	return run, true
}

// maxHistory is how many runs a history lists.
const maxHistory = 50

// handleRuns answers GET /api/runs?session=…: the session's latest runs,
// newest first. The session id is the browser's own, kept in its storage.
func handleRuns(log *slog.Logger, db store.Runs, sessions *session.Issuer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		session, ok := sessionParam(w, r, log, sessions)
		if !ok {
			return
		}
		runs, err := db.Runs(r.Context(), session, maxHistory)
		if err != nil {
			writeError(w, log, http.StatusInternalServerError, "the history could not be read", err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, log, http.StatusOK, struct {
			Runs []stage.RunSummary `json:"runs"`
		}{runs})
	})
}

// handleResetSample takes a lab session's sample catalogue back to the seed:
// the courses it added are deleted, and the answer says how many.
func handleResetSample(log *slog.Logger, db store.Catalogue, sessions *session.Issuer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		session, ok := sessionParam(w, r, log, sessions)
		if !ok {
			return
		}
		n, err := db.ResetCourses(r.Context(), session)
		if err != nil {
			writeError(w, log, http.StatusInternalServerError, "the sample data could not be reset", err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, log, http.StatusOK, struct {
			Deleted int64 `json:"deleted"`
		}{n})
	})
}

func handleAPINotFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, nil, http.StatusNotFound, "no API route answers "+r.Method+" "+r.URL.Path, nil)
	})
}
