//go:build !wasm

package ui

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// routeRunPages makes every /runs/… the lab's page, on the server.
func routeRunPages() {
	app.RouteWithRegexp("^/runs/[^/]+$", newLab)
}

// routeRun is for the client (see routes_wasm.go).
func routeRun(string) {}
