// Package ui is the lab's interface, built with go-app: the same components
// are prerendered by the server and run in the browser as WebAssembly.
package ui

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/lesson"
)

// Register declares the lab's pages. Both binaries call it: the server to
// prerender them, the wasm client to run them.
func Register() {
	app.Route("/", func() app.Composer { return &Lab{} })
	// Any /runs/… is the lab's page: for a run it does not hold (or a
	// malformed link) the server answers 404 and the page says so.
	app.RouteWithRegexp("^/runs/[^/]+$", func() app.Composer { return &Lab{} })
	app.RouteWithRegexp("^/(lab|embed)/("+strings.Join(lesson.Slugs(), "|")+")$", func() app.Composer { return &Lab{} })
}
