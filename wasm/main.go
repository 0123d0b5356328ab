// Command wasm is the lab's browser client, built as web/app.wasm with
// GOOS=js GOARCH=wasm. It imports no server code.
package main

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/ui"
)

func main() {
	ui.Register()
	app.RunWhenOnBrowser()
}
