// Package browser reaches the browser's own machinery from the wasm client:
// fetch, the Resource Timing entries it leaves, the clock, animation frames
// and the WebSocket. Everything here blocks the calling goroutine, never the
// page's event loop, so call it from ctx.Async. It builds on the server too,
// where go-app stubs the JS bindings, but only the client calls it.
package browser

import (
	"errors"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/i18n"
)

// await waits for a JS promise and returns what it resolved to, or an error
// with the reason it was rejected.
func await(promise app.Value) (app.Value, error) {
	type result struct {
		v   app.Value
		err error
	}
	done := make(chan result, 1)
	var ok, fail app.Func
	ok = app.FuncOf(func(this app.Value, args []app.Value) any {
		var v app.Value = app.Undefined()
		if len(args) > 0 {
			v = args[0]
		}
		done <- result{v: v}
		return nil
	})
	fail = app.FuncOf(func(this app.Value, args []app.Value) any {
		msg := "rejected"
		if len(args) > 0 && args[0].Truthy() {
			msg = args[0].Call("toString").String()
		}
		done <- result{err: errors.New(msg)}
		return nil
	})
	promise.Call("then", ok, fail)
	r := <-done
	ok.Release()
	fail.Release()
	return r.v, r.err
}

// Now is the page's high-resolution clock (performance.now), in milliseconds
// since the page's time origin: the clock of the Resource Timing entries.
func Now() float64 {
	return app.Window().Get("performance").Call("now").Float()
}

// NextFrame waits until the browser has run its next animation frame, the
// point where what was put in the DOM is styled, laid out and painted.
func NextFrame() {
	done := make(chan struct{})
	var f app.Func
	f = app.FuncOf(func(this app.Value, args []app.Value) any {
		close(done)
		return nil
	})
	app.Window().Call("requestAnimationFrame", f)
	<-done
	f.Release()
}

// Origin is the page's origin, as "http://host:port".
func Origin() string {
	return app.Window().Get("location").Get("origin").String()
}

// Hostname is the name (or address) of the page's host, as the browser
// connects to it: the lab's own requests go there.
func Hostname() string {
	return app.Window().Get("location").Get("hostname").String()
}

// Reveal scrolls the element sel names to the top of the window (less its
// scroll-margin-top), unless its top is already in the upper part of it: what
// was asked for comes into view without the page jumping when it is in view
// already. Only this page scrolls, never a page that frames it (as
// scrollIntoView would): in an embed the frame's own page moves, the course's
// does not.
func Reveal(sel string, smooth bool) {
	win := app.Window()
	e := win.Get("document").Call("querySelector", sel)
	if !e.Truthy() {
		return
	}
	top := e.Call("getBoundingClientRect").Get("top").Float()
	height := win.Get("innerHeight").Float()
	if top >= 0 && top < height*0.5 {
		return
	}
	margin := 0.0
	if m, err := strconv.ParseFloat(strings.TrimSuffix(win.Call("getComputedStyle", e).Get("scrollMarginTop").String(), "px"), 64); err == nil {
		margin = m
	}
	behavior := "auto"
	if smooth {
		behavior = "smooth"
	}
	win.Call("scrollTo", map[string]any{"top": win.Get("scrollY").Float() + top - margin, "behavior": behavior})
}

// AbsURL resolves a path against the page, as the browser names the resource
// in its timing entries.
func AbsURL(path string) string {
	return app.Window().Get("URL").New(path, app.Window().Get("location").Get("href")).Get("href").String()
}

// PrefersEnglish reports whether the browser's first language is English
// (by i18n's rule, the server's for Accept-Language too): the lab then
// speaks English unless the page asks otherwise.
func PrefersEnglish() bool {
	lang := app.Window().Get("navigator").Get("language")
	return lang.Type() == app.TypeString && i18n.Of(lang.String()) == i18n.EN
}

// PrefersReducedMotion reports whether the reader asked for less motion.
func PrefersReducedMotion() bool {
	mq := app.Window().Call("matchMedia", "(prefers-reduced-motion: reduce)")
	return mq.Truthy() && mq.Get("matches").Bool()
}

// PrerenderedAttr reads attribute attr of the first element that selector
// finds in the page as it is: before the client mounts, the page the server
// drew. It reports whether there is such an element with that attribute.
func PrerenderedAttr(selector, attr string) (string, bool) {
	e := app.Window().Get("document").Call("querySelector", selector)
	if !e.Truthy() || !e.Call("hasAttribute", attr).Bool() {
		return "", false
	}
	return e.Call("getAttribute", attr).String(), true
}
