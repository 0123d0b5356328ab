// Package web holds the lab's static files: the stylesheet, the icons and the
// built wasm client (app.wasm, with its .br and .gz copies). They are
// embedded in the server, so that one binary is the whole lab.
package web

import "embed"

// Files is the folder, as it was when the server was built. The wasm client
// is there once `make wasm` has built it.
//
//go:embed *
var Files embed.FS
