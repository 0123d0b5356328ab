// Command trim prepares the module that the wasm client is built with: the
// project's own go.mod, but with go-app taken from a copy in build/go-app
// whose server half is left out of js/wasm builds.
//
// go-app keeps its HTTP handler (http.go, resource.go) in files without a
// build constraint, so every client imports net/http. The client never runs
// that code, but the package initialisers of net/http, crypto/tls and
// crypto/x509 stay in the binary with all they reach: 1.55 MB of the 8.6 MB
// wasm, 0.34 MB of its 1.64 MB brotli. The copy marks those two files
// !wasm and adds the four small declarations the client half uses from them
// (written below). Likewise its router, without the pattern routes that
// bring package regexp. Nothing else of go-app changes. The server and the
// tests build with go-app as it is.
//
//	go run ./wasm/trim build
//	GOOS=js GOARCH=wasm go build -modfile build/wasm.mod ./wasm
//
// The copy is pinned to the exact go-app files it was written from (pinned,
// below: each file's SHA-256 in go-app v10.1.11). A go-app of another
// version, or any change to one of those files, stops trim with an error
// naming the file, rather than build a client that differs in secret: read
// the new file, bring clientRouter and clientHalf in line with it, and
// write its new hash here.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

const goApp = "github.com/maxence-charriere/go-app/v10"

// goAppVersion is the go-app that pinned was read from.
const goAppVersion = "v10.1.11"

// pinned are the SHA-256 of go-app's files that trim changes or copies from,
// and of those that call what it writes in their place, as in goAppVersion.
var pinned = map[string]string{
	"pkg/app/http.go":     "0601189a9f611378e9b24ab4bdf42780a03cbf95c1bbebd4171b523ddbe9a32d", // marked !wasm; clientHalf copies Handler and the resolver
	"pkg/app/resource.go": "6b52ab4ec2f4171d403384bffe159e9ec22699933e768ef5868f2851a1b84baa", // marked !wasm; clientHalf copies remoteLocation, webLocation
	"pkg/app/route.go":    "3252c7f2876cba69c3fbb203b0b4d5770ddd4651cdaf3ad69e5c33bfd1ccf5bd", // marked !wasm; clientRouter copies its router
	"pkg/app/app.go":      "77bd60c6d302bc553e3c4132a23c5fdd83d8443626803569246b03242c939f59", // calls makeRouter, routeWithRegexp, clientResourceResolver
	"pkg/app/engine.go":   "8400019d85d00fb6a904a9214ab78e1874ead07bb7ec719c2c254955864db5b2", // calls createComponent
}

// serverFiles are go-app's files that only a server uses, each with an
// import it must have (a sign that it is still the file trim expects).
var serverFiles = []struct{ name, imports string }{
	{"pkg/app/http.go", `"net/http"`},
	{"pkg/app/resource.go", `"net/http"`},
	// The router's pattern routes use package regexp, and a *regexp.Regexp
	// anywhere in the program keeps its parser and compiler (through its
	// UnmarshalText, which encoding/json may call): ~280 KB. The lab's
	// client routes its pages by exact path (see app/ui/routes_wasm.go).
	{"pkg/app/route.go", `"regexp"`},
}

// clientRouter is go-app's router for js/wasm: route.go without regexp.
const clientRouter = `//go:build wasm

// Written by reqlab's wasm/trim: go-app's router (route.go) without pattern
// routes, which would bring package regexp into the client.

package app

import "sync"

type router struct {
	mu     sync.RWMutex
	routes map[string]func() Composer
}

func makeRouter() router {
	return router{routes: make(map[string]func() Composer)}
}

func (r *router) route(path string, newComponent func() Composer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.routes[path] = newComponent
}

func (r *router) routeWithRegexp(pattern string, newComponent func() Composer) {
	panic("app.RouteWithRegexp: this client is built without pattern routes (see reqlab's wasm/trim); route " + pattern + " by exact paths")
}

func (r *router) routed(path string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	_, routed := r.routes[path]
	return routed
}

func (r *router) createComponent(path string) (Composer, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if newComponent, routed := r.routes[path]; routed {
		return newComponent(), true
	}
	return nil, false
}
`

// clientHalf declares, for js/wasm, what go-app's client code uses from the
// server files: the Handler type (named by GenerateStaticWebsite's
// signature) and the resolver of /web/ locations, as go-app writes them.
const clientHalf = `//go:build wasm

// Written by reqlab's wasm/trim: what go-app's client half uses from
// http.go and resource.go, which are left out of js/wasm builds.

package app

import "strings"

type Handler struct{}

func clientResourceResolver(resourcesLocation string) func(string) string {
	return func(location string) string {
		if remoteLocation(location) || !webLocation(location) {
			return location
		}
		location = strings.Trim(location, "/")
		return resourcesLocation + "/" + strings.TrimPrefix(location, "web/")
	}
}

func remoteLocation(location string) bool {
	return strings.HasPrefix(location, "https://") ||
		strings.HasPrefix(location, "http://")
}

func webLocation(location string) bool {
	return strings.HasPrefix(location, "/web/") ||
		location == "/web" ||
		strings.HasPrefix(location, "web/") ||
		location == "web"
}
`

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: trim DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "trim:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	src, version, err := moduleDir(goApp)
	if err != nil {
		return err
	}
	if err := checkPinned(src, version); err != nil {
		return err
	}
	dst := filepath.Join(out, "go-app")
	if err := os.RemoveAll(dst); err != nil {
		return err
	}
	if err := copyModule(src, dst); err != nil {
		return err
	}
	for _, f := range serverFiles {
		if err := markServerOnly(filepath.Join(dst, f.name), f.imports); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(dst, "pkg/app/http_wasm.go"), []byte(clientHalf), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dst, "pkg/app/route_wasm.go"), []byte(clientRouter), 0o644); err != nil {
		return err
	}
	return writeModFile(out, dst)
}

// moduleDir is where the go command keeps the module the project requires,
// and its version.
func moduleDir(path string) (dir, version string, err error) {
	cmd := exec.Command("go", "mod", "download", "-json", path)
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		return "", "", fmt.Errorf("go mod download %s: %w", path, err)
	}
	var m struct{ Dir, Version string }
	if err := json.Unmarshal(b, &m); err != nil || m.Dir == "" {
		return "", "", fmt.Errorf("go mod download %s: no directory in %q", path, b)
	}
	return m.Dir, m.Version, nil
}

// checkPinned stops at the first of go-app's files in src that is not the
// one trim was written from.
func checkPinned(src, version string) error {
	if version != goAppVersion {
		return fmt.Errorf("go-app is %s, and wasm/trim was written from %s: check its pinned files against the new version, bring clientRouter and clientHalf in line, and update goAppVersion and pinned", version, goAppVersion)
	}
	names := make([]string, 0, len(pinned))
	for name := range pinned {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			return fmt.Errorf("go-app %s: %w (wasm/trim pins it)", version, err)
		}
		if got := fmt.Sprintf("%x", sha256.Sum256(b)); got != pinned[name] {
			return fmt.Errorf("go-app %s: %s is not the file wasm/trim copies (SHA-256 %s, pinned %s): bring clientRouter and clientHalf in line with it, then pin its new hash", version, name, got, pinned[name])
		}
	}
	return nil
}

// copyModule copies the module's go.mod and Go files, not its docs.
func copyModule(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			if rel == "docs" {
				return filepath.SkipDir
			}
			return nil
		}
		if rel != "go.mod" && rel != "LICENSE" && (!strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go")) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
}

// markServerOnly puts a !wasm constraint on a file that has none.
func markServerOnly(path, imports string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(b, []byte("package app\n")) || !bytes.Contains(b, []byte(imports)) {
		return errors.New(path + ": not the file trim expects (a go-app upgrade?): see wasm/trim")
	}
	return os.WriteFile(path, append([]byte("//go:build !wasm\n\n"), b...), 0o644)
}

// writeModFile writes out/wasm.mod and out/wasm.sum: the project's own,
// with go-app replaced by the copy.
func writeModFile(out, dst string) error {
	for _, f := range [][2]string{{"go.mod", "wasm.mod"}, {"go.sum", "wasm.sum"}} {
		b, err := os.ReadFile(f[0])
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, f[1]), b, 0o644); err != nil {
			return err
		}
	}
	abs, err := filepath.Abs(dst)
	if err != nil {
		return err
	}
	cmd := exec.Command("go", "mod", "edit", "-replace", goApp+"="+abs, filepath.Join(out, "wasm.mod"))
	cmd.Stderr = os.Stderr
	return cmd.Run()
}
