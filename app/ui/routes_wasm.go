//go:build wasm

package ui

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// The client routes run pages one by one, as it comes to know them, rather
// than by a pattern: go-app matches patterns with package regexp, which
// would be ~300 KB of the client for this one route.

// routeRunPages routes the page the browser opened, if it is a run's, even
// a malformed one (the page then says what is wrong with it).
func routeRunPages() {
	path := app.Window().URL().Path
	if id, ok := strings.CutPrefix(path, "/runs/"); ok && id != "" && !strings.Contains(id, "/") {
		routeRun(id)
	}
}

// routeRun makes /runs/{id} the lab's page: a link to a run the client
// holds then opens in place, and so do back and forward.
func routeRun(id string) {
	app.Route("/runs/"+id, newLab)
}
