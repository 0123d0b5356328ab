package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/i18n"
	"reqlab/app/stage"
	"reqlab/app/ui"
	"reqlab/server/store"
)

// newPages returns go-app's handler for the lab's pages and client files,
// with every asset local: the page asks nothing of any other host.
func newPages(files fs.FS, frameAncestors []string) (http.Handler, error) {
	version, size, err := fileVersion(files, "app.wasm")
	if err != nil {
		return nil, fmt.Errorf("the wasm client app.wasm is missing or unreadable (build it with 'make wasm'): %w", err)
	}
	worker, err := serviceWorker()
	if err != nil {
		return nil, err
	}
	ui.Register()
	h := &app.Handler{
		Name:        "reqlab",
		ShortName:   "reqlab",
		Title:       ui.ES.T("title"),
		Description: ui.ES.T("description"),
		Lang:        string(ui.ES),
		// One label for both languages: go-app's loader shows it before the
		// client knows which language the page is in.
		LoadingLabel:    ui.ES.T("loading") + " · " + strings.ReplaceAll(ui.EN.T("loading"), " {progress}%", ""),
		BackgroundColor: "#f7f5f0",
		ThemeColor:      "#1f4e5f",
		Icon: app.Icon{
			Default:  "/web/icon-192.png",
			Large:    "/web/icon-512.png",
			Maskable: "/web/icon-512.png",
			SVG:      "/web/icon.svg",
		},
		Styles:                []string{"/web/lab.css"},
		Resources:             webFiles{fs: files, files: http.FileServerFS(files), version: version},
		Version:               version,
		WasmContentLength:     strconv.FormatInt(size, 10),
		ServiceWorkerTemplate: worker,
		// The client names these origins as the target of its messages to a
		// host page, and takes messages from them only.
		Env: map[string]string{"REQLAB_FRAME_ANCESTORS": strings.Join(frameAncestors, " ")},
	}
	first, err := lazyStart(h, files, version)
	if err != nil {
		return nil, err
	}
	return inTheirLanguage(closeAfterManifest(first)), nil
}

// closeAfterManifest closes the connection that brought the page's manifest.
// Browsers fetch it without credentials, and keep such requests on
// connections apart from the page's: the ones a run that asks for a fresh
// connection (stage.Request.FreshConnection) is sent on. Left open, the
// first such run would reuse it; closed, every one opens its own.
func closeAfterManifest(pages http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Sec-Fetch-Dest") == "manifest" {
			w.Header().Set("Connection", "close")
		}
		pages.ServeHTTP(w, r)
	})
}

// inTheirLanguage prerenders a page that names no language (?lang=) in the
// one the browser puts first, by the rule the client follows with
// navigator.language: English if it is English, else Spanish. The client's
// first picture is then the server's, in the same words; a page that came
// in Spanish and turned English would repaint every line of it.
func inTheirLanguage(pages http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isPage(r.URL.Path) && !r.URL.Query().Has("lang") {
			w.Header().Add("Vary", "Accept-Language")
			if i18n.FromAcceptLanguage(r.Header.Get("Accept-Language")) == i18n.EN {
				r2 := r.Clone(r.Context())
				q := r2.URL.Query()
				q.Set("lang", "en")
				r2.URL.RawQuery = q.Encode()
				r = r2
			}
		}
		pages.ServeHTTP(w, r)
	})
}

// isPage tells the lab's pages from the files go-app serves beside them.
func isPage(path string) bool {
	return path == "/" || strings.HasPrefix(path, "/lab/") || strings.HasPrefix(path, "/embed/") || strings.HasPrefix(path, "/runs/")
}

// lazyStart serves go-app's app.js with the lab's own start (web/start.js)
// in place of go-app's. go-app compiles and runs the wasm client at once, on
// the page's main thread: on a phone that froze the page for about two
// seconds (the compile, then go-app drawing the whole page anew). The lab's
// start has a worker download and compile it once the prerendered page has
// painted, and runs it on the person's first action, handing over what they
// did meanwhile. The service worker, which keeps every file of the lab for
// the next visit, is registered once the client runs: registered first, it
// downloaded the wasm a second time beside the page's own download.
func lazyStart(pages http.Handler, files fs.FS, version string) (http.Handler, error) {
	start, err := fs.ReadFile(files, "start.js")
	if err != nil {
		return nil, fmt.Errorf("the page's start script web/start.js is missing: %w", err)
	}
	rec := httptest.NewRecorder()
	pages.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/app.js", nil))
	const calls = "\ngoappInitServiceWorker();\ngoappWatchForUpdate();\ngoappWatchForInstallable();\ngoappInitWebAssembly();\n"
	js := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(js, calls) {
		return nil, fmt.Errorf("go-app's app.js changed (status %d): where it starts the wasm client must be redone", rec.Code)
	}
	call := fmt.Sprintf("\ngoappWatchForUpdate();\ngoappWatchForInstallable();\nif (goappCanLoadWebAssembly()) {\n  reqlabStart(%q);\n}\n", "/web/app.wasm?v="+version)
	js = strings.Replace(js, calls, call, 1) + afterFirstPaintJS + "\n" + string(start)
	body := strings.NewReader(js)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/app.js" {
			pages.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/javascript")
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("ETag", `"`+version+`-lazy-start"`)
		http.ServeContent(w, r, "app.js", time.Time{}, body)
	}), nil
}

// afterFirstPaintJS calls f once the browser says it has put the page on
// screen (its first "paint" timing entry, which comes when the frame is
// shown, not merely drawn), or after three seconds where none comes (a
// hidden tab), whichever is first. A browser without paint timing starts f
// after its next frame.
const afterFirstPaintJS = `
function goappAfterFirstPaint(f) {
  let started = false;
  const start = () => {
    if (!started) {
      started = true;
      f();
    }
  };
  const types = (window.PerformanceObserver && PerformanceObserver.supportedEntryTypes) || [];
  if (types.includes("paint")) {
    new PerformanceObserver((list, observer) => {
      observer.disconnect();
      setTimeout(start, 0);
    }).observe({ type: "paint", buffered: true });
    setTimeout(start, 3000);
  } else {
    requestAnimationFrame(() => setTimeout(start, 0));
  }
}
`

// fileVersion names a build by its wasm: the same client, the same version.
func fileVersion(files fs.FS, name string) (string, int64, error) {
	f, err := files.Open(name)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil))[:16], n, nil
}

// webFiles serves the static files under /web/ from a folder. The wasm
// client is asked for by a URL that names its build (?v=…): that answer never
// changes, so browsers may keep it for good; and it is sent precompressed
// (brotli, else gzip) where the build left .br and .gz copies beside it.
type webFiles struct {
	fs      fs.FS
	files   http.Handler
	version string
}

// Resolve keeps /web/… paths as they are, and pins the wasm to its build.
func (w webFiles) Resolve(location string) string {
	switch location {
	case "":
		return "/"
	case "/web/app.wasm":
		return location + "?v=" + w.version
	}
	return location
}

func (w webFiles) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	h := rw.Header()
	if r.URL.Query().Get("v") == w.version && w.version != "" {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	name := strings.TrimPrefix(r.URL.Path, "/web/")
	if name == "app.wasm" {
		h.Set("Vary", "Accept-Encoding")
		accept := r.Header.Get("Accept-Encoding")
		for _, enc := range []struct{ name, ext string }{{"br", ".br"}, {"gzip", ".gz"}} {
			if !acceptsEncoding(accept, enc.name) {
				continue
			}
			f, err := w.fs.Open(name + enc.ext)
			if err != nil {
				continue
			}
			defer f.Close()
			st, err := f.Stat()
			if err != nil {
				continue
			}
			h.Set("Content-Encoding", enc.name)
			h.Set("Content-Type", "application/wasm")
			h.Set("Content-Length", strconv.FormatInt(st.Size(), 10))
			h.Del("ETag") // the version in the URL names it; go-app's page ETag does not
			rw.WriteHeader(http.StatusOK)
			if r.Method != http.MethodHead {
				io.Copy(rw, f)
			}
			return
		}
	}
	// Files only, of the kinds a page uses: no folder listings, and not the
	// Go source that embeds them.
	switch path.Ext(name) {
	case ".css", ".png", ".svg", ".txt", ".wasm", ".js", ".json", ".ico", ".webmanifest":
	default:
		http.NotFound(rw, r)
		return
	}
	http.StripPrefix("/web", w.files).ServeHTTP(rw, r)
}

// acceptsEncoding reports whether an Accept-Encoding header takes enc (and
// does not refuse it with q=0).
func acceptsEncoding(header, enc string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), enc) {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// serviceWorker is go-app's worker, except that it leaves the lab's live
// paths alone: the sample site, the API and the websocket go to the network
// as any page's requests do, so what the browser measures of them is the
// network's and the browser's own cache's, not the worker's.
func serviceWorker() (string, error) {
	const hook = `self.addEventListener("fetch", (event) => {`
	bypass := hook + `
  const path = new URL(event.request.url).pathname;
  if (path.startsWith("/site/") || path.startsWith("/api/") || path === "/ws" || path === "/healthz") {
    return;
  }`
	if !strings.Contains(app.DefaultAppWorkerJS, hook) {
		return "", fmt.Errorf("go-app's service worker changed: its bypass of the live paths must be redone")
	}
	return strings.Replace(app.DefaultAppWorkerJS, hook, bypass, 1), nil
}

// prerenderRuns lets the pages of stored runs (/runs/{id}) be drawn with the
// run on them, read from db: the page shows the run whole before its client
// runs.
func prerenderRuns(db store.Runs) {
	ui.StoredRun = func(id string) (stage.Run, bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		run, err := db.Run(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return stage.Run{}, false, nil
		case err != nil:
			return stage.Run{}, false, err
		}
		return run, true, nil
	}
}
