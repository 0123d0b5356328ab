package ui

import (
	"net/url"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/browser"
	"reqlab/app/stage"
)

// hostBridge is an /embed/ page's options and its talk with the page that
// frames it.
type hostBridge struct {
	embedded  bool // an /embed/ page
	embedOpts embedOptions
	host      *browser.Host // the page that frames the lab, if any
	readySent bool
}

// embedOptions are the query parameters of an /embed/{lesson} page.
type embedOptions struct {
	autoplay     bool    // send the lesson's first request once ready
	hideControls bool    // controls=0: no request form
	theme        string  // "light", "dark", or "" for the reader's device's
	speed        float64 // replay each run at this speed once it is done (1: no replay)
}

// embedOf reads an /embed/ page's options; false where the page is not one.
func embedOf(u *url.URL) (embedOptions, bool) {
	if !strings.HasPrefix(u.Path, "/embed/") {
		return embedOptions{}, false
	}
	q := u.Query()
	o := embedOptions{speed: speedOf(q.Get("speed"))}
	o.autoplay = q.Get("autoplay") == "1" || q.Get("autoplay") == "true"
	o.hideControls = q.Get("controls") == "0" || q.Get("controls") == "false"
	if t := q.Get("theme"); t == "dark" || t == "light" {
		o.theme = t // else the reader's device's
	}
	return o, true
}

// connectHost starts talking with the page that frames the lab. (The page's
// start script, web/start.js, asks the host for the frame's height, from
// before the client runs.)
func (c *hostBridge) connectHost(ctx app.Context, from func(ctx app.Context, kind, lang string, step int)) {
	if !c.embedded || !browser.Embedded() {
		return
	}
	c.host = browser.ConnectHost(
		func(data app.Value) {
			if data.Type() != app.TypeObject || data.Get("v").Type() != app.TypeNumber || data.Get("v").Int() != 1 ||
				data.Get("type").Type() != app.TypeString {
				return // not a message of the documented shape
			}
			kind := data.Get("type").String()
			lang, step := "", 1
			if v := data.Get("lang"); v.Type() == app.TypeString {
				lang = v.String()
			}
			if v := data.Get("step"); v.Type() == app.TypeNumber {
				step = v.Int()
			}
			ctx.Dispatch(func(ctx app.Context) { from(ctx, kind, lang, step) })
		})
}

// fromHost follows a message from the host page.
func (c *Lab) fromHost(ctx app.Context, kind, lang string, step int) {
	switch kind {
	case "reqlab:run":
		if c.lesson != nil && step >= 1 && step <= len(c.lesson.Steps) {
			c.runStep(ctx, step-1)
		}
	case "reqlab:set-lang":
		if lang == string(ES) || lang == string(EN) {
			c.lang = Lang(lang)
			ctx.Page().SetLang(lang)
		}
	}
}

// post sends a message to the host page, if the lab is framed by one.
func (c *hostBridge) post(msg map[string]any) {
	if c.host == nil {
		return
	}
	msg["v"] = 1
	c.host.Post(msg)
}

// postStage tells the host of a stage's event.
func (c *hostBridge) postStage(run string, e stage.Event) {
	var dur any
	if e.DurMs != nil {
		dur = *e.DurMs
	}
	c.post(map[string]any{"type": "reqlab:stage", "run_id": run, "stage": string(e.Stage), "state": string(e.State), "dur_ms": dur})
}

// postComplete tells the host a run is done: its status and the client's
// measured total.
func (c *Lab) postComplete() {
	if c.run == nil || c.stored == nil || c.stored.ID != c.run.id {
		return
	}
	status := 0
	if c.stored.Response != nil {
		status = c.stored.Response.Status
	}
	var total any
	if t, ok := c.run.total(); ok {
		total = t
	}
	c.post(map[string]any{"type": "reqlab:run-complete", "run_id": c.run.id, "status": status, "total_ms": total})
}
