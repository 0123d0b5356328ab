package main

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"reqlab/app/stage"
	"reqlab/server/limit"
	"reqlab/server/lti"
	"reqlab/server/session"

	"reqlab/server/hub"
	"reqlab/server/store"
)

// NewServer returns the lab's whole HTTP handler: every URL it answers is
// listed here, the sample site's among them (siteRoutes).
func NewServer(log *slog.Logger, db store.Store, h *hub.Hub, sessions *session.Issuer, sampleSite http.Handler, pages http.Handler, frameAncestors []string, tool *lti.Tool) http.Handler {
	mux := http.NewServeMux()
	if tool != nil {
		// Course platforms launch the lab (LTI 1.3); without platforms
		// registered, /lti/ is not found like any other unknown path.
		mux.HandleFunc("GET /lti/jwks", tool.JWKS)
		mux.HandleFunc("GET /lti/login", tool.Login)
		mux.HandleFunc("POST /lti/login", tool.Login)
		mux.HandleFunc("POST /lti/launch", tool.Launch)
		mux.HandleFunc("POST /lti/deep-link", tool.DeepLink)
		mux.HandleFunc("GET /lti/class", tool.Class)
		mux.HandleFunc("GET /lti/class/data", tool.ClassData)
		mux.HandleFunc("GET /lti/class.js", tool.ClassScript)
	} else {
		mux.Handle("/lti/", http.NotFoundHandler())
	}
	mux.Handle("GET /healthz", handleHealthz(db))
	mux.Handle("GET /ws", h)
	// The API and the sample site are metered per lab session where the
	// request names one, and altogether.
	limited := rateLimit(sessions, limit.New(limit.Rate{PerSecond: 50, Burst: 200}, limit.Rate{PerSecond: 1000, Burst: 2000}, limit.Rate{PerSecond: 5000, Burst: 10000}))
	mux.Handle("GET /api/runs", limited(handleRuns(log, db, sessions)))
	mux.Handle("GET /api/runs/{id}", limited(handleRun(log, db)))
	mux.Handle("GET /api/runs/{id}/har", limited(handleHAR(log, db)))
	mux.Handle("DELETE /api/sample-data", limited(handleResetSample(log, db, sessions)))
	mux.Handle("/api/", handleAPINotFound())
	for _, pattern := range siteRoutes {
		mux.Handle(pattern, limited(sampleSite))
	}
	// The lab's pages, drawn by the prerendering client (pages.go).
	mux.Handle("GET /{$}", readOnly(pages))
	mux.Handle("GET /lab/{lesson}", readOnly(pages))
	mux.Handle("GET /embed/{lesson}", readOnly(pages))
	mux.Handle("GET /runs/{id}", handleRunPage(log, db, pages))
	// Everything else is the pages' files (go-app's app.js, its worker and
	// manifest, /web/…) or not found, as the same handler answers.
	mux.Handle("/", readOnly(pages))
	return securityHeaders(mux, frameAncestors)
}

// siteRoutes are the sample site's URLs (server/site), each mounted on the
// site's handler. The site chooses among them again itself, inside the
// handler that measures each request from its arrival, because choosing the
// route is the route stage the lab shows; TestRoutesListTheSite keeps this
// list the same as the site's (site.Site.Patterns).
var siteRoutes = []string{
	"GET /site/api/cursos",
	"POST /site/api/cursos",
	"GET /site/api/cursos/{id}",
	"GET /site/api/inscripciones",
	"GET /site/api/portada",
	"GET /site/api/niveles",
	"GET /site/api/sesion",
	"GET /site/{$}",
	"GET /site/static/{file...}",
	"/site/", // what matches none: the site answers 404 and notes no route chosen
}

// rateLimit answers 429 with Retry-After to a request past its limit. The
// key is the lab session the request names (a token the lab issued, see
// sessionToken), else
// the run it belongs to (its traceparent), else none; under it, the client's
// address, whose bucket is wide enough for a class behind one school
// address; then everyone's.
func rateLimit(sessions *session.Issuer, l *limit.Limiter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			key := ""
			if s, ok := sessions.Verify(sessionToken(r)); ok {
				key = s
			} else if id, ok := stage.RunIDFromTraceparent(r.Header.Get("Traceparent")); ok {
				key = "run:" + id
			}
			if ok, wait := l.Allow(key, hub.ClientAddr(r)); !ok {
				w.Header().Set("Retry-After", strconv.Itoa(limit.Seconds(wait)))
				writeError(w, nil, http.StatusTooManyRequests, "too many requests: try again in a moment", nil)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
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

// readOnly answers 405 to a request that is not GET or HEAD: the pages and
// their files are only read.
func readOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// handleRunPage serves a stored run's page, and the same page with 404 for a
// run that is not stored (never was, or was pruned): the lab then says so.
func handleRunPage(log *slog.Logger, db store.Runs, pages http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		found := false
		if stage.ValidRunID(id) {
			var err error
			if found, err = db.RunExists(r.Context(), id); err != nil {
				log.Error("find run", "run", id, "err", err)
				found = true // the database's trouble is not the run's absence
			}
		}
		if !found {
			r.Header.Del("If-None-Match") // a page that says "not found" is never "not modified"
			w = &notFoundWriter{ResponseWriter: w}
		}
		pages.ServeHTTP(w, r)
	})
}

// notFoundWriter sends a page with 404 where it would have been sent with 200.
type notFoundWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *notFoundWriter) WriteHeader(code int) {
	if w.wrote {
		return
	}
	w.wrote = true
	if code == http.StatusOK {
		code = http.StatusNotFound
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *notFoundWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		if h := w.Header(); h.Get("Content-Type") == "" {
			h.Set("Content-Type", "text/html; charset=utf-8")
		}
		w.WriteHeader(http.StatusOK) // a first Write means 200, which is 404 here
	}
	return w.ResponseWriter.Write(b)
}
