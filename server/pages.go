package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/ui"
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
	return &app.Handler{
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
		// The wasm client starts downloading with the page, not once app.js
		// has run: on a slow link that is a round trip or two earlier.
		RawHeaders: []string{`<link rel="preload" href="/web/app.wasm?v=` + version + `" as="fetch" type="application/wasm" crossorigin="anonymous">`},
		// The client names these origins as the target of its messages to a
		// host page, and takes messages from them only.
		Env: map[string]string{"REQLAB_FRAME_ANCESTORS": strings.Join(frameAncestors, " ")},
	}, nil
}

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
