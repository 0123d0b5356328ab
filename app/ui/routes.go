// Package ui is the lab's interface, built with go-app: the same components
// are prerendered by the server and run in the browser as WebAssembly.
package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/lesson"
)

// Register declares the lab's pages. Both binaries call it: the server to
// prerender them, the wasm client to run them.
func Register() {
	app.Route("/", newLab)
	for _, slug := range lesson.Slugs() {
		app.Route("/lab/"+slug, newLab)
		app.Route("/embed/"+slug, newLab)
	}
	// Any /runs/… is the lab's page: for a run it does not hold (or a
	// malformed link) the server answers 404 and the page says so.
	routeRunPages()
}

func newLab() app.Composer { return &Lab{} }
