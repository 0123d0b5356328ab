package ui

import (
	"encoding/json"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/browser"
	"reqlab/app/stage"
	"reqlab/app/ui/el"
)

// A run's page (/runs/{id}) shows the stored run whole as soon as it loads:
// the server draws it with the run at its end, and the client, which may
// start only on the student's first action, takes the same run from the page
// and plays it from the start once it runs.

// StoredRun, set by the server before it prerenders any page, reads a stored
// run: the run, whether the store holds it, and the store's error.
var StoredRun func(id string) (stage.Run, bool, error)

// prerenderRun puts the run that a run's page names on it, at its end, or
// says that there is no such run. On the server.
func (c *Lab) prerenderRun(path string) {
	id, ok := strings.CutPrefix(path, "/runs/")
	if !ok || StoredRun == nil {
		return
	}
	if !stage.ValidRunID(id) {
		c.missing = id
		return
	}
	run, found, err := StoredRun(id)
	switch {
	case err != nil:
		// The store's trouble: the client asks for the run once it runs.
	case !found:
		c.missing = id
	default:
		c.showRun(run, 1)
		c.player.toEnd()
	}
}

// renderStoredRun hands the run drawn on the server to the client, in the
// page: the client's first picture is then the server's.
func (c *Lab) renderStoredRun() app.UI {
	if !app.IsServer {
		return nil
	}
	switch {
	case c.play != nil:
		b, err := json.Marshal(c.play.run)
		if err != nil {
			return nil
		}
		return el.Div().Attr("hidden", true).Attr("data-field", "stored-run").Attr("data-run", string(b))
	case c.missing != "":
		return el.Div().Attr("hidden", true).Attr("data-field", "stored-run").Attr("data-missing", c.missing)
	}
	return nil
}

// adoptStoredRun takes the run the server drew on a run's page, before the
// client draws its first picture. On the client.
func (c *Lab) adoptStoredRun() {
	if !strings.HasPrefix(app.Window().URL().Path, "/runs/") {
		return
	}
	if missing, ok := browser.PrerenderedAttr(`[data-field="stored-run"]`, "data-missing"); ok {
		c.missing = missing
		return
	}
	raw, ok := browser.PrerenderedAttr(`[data-field="stored-run"]`, "data-run")
	var run stage.Run
	if !ok || json.Unmarshal([]byte(raw), &run) != nil {
		return // the client asks the API for it
	}
	c.showRun(run, 1)
	c.player.toEnd()
}

// showRun puts a stored run on screen for playback at speed, from its start:
// the run, its answer as the page reads it and its request in the form.
func (c *Lab) showRun(run stage.Run, speed float64) {
	c.missing = ""
	c.stored = &run
	c.resp = nil
	if r := run.Response; r != nil {
		view, _ := parseResponse(run.Request.Method, browser.Response{Status: r.Status, Headers: r.Headers, Body: r.Body})
		c.resp = &view
	}
	c.load(run.Request)
	c.player.show(run, speed)
}

// openRun loads a stored run and plays it back from the start. It blocks.
func (c *Lab) openRun(ctx app.Context, id string, speed float64) {
	var run stage.Run
	code, err := browser.GetJSON("/api/runs/"+id, &run)
	if code == 404 {
		ctx.Dispatch(func(ctx app.Context) { c.missing = id })
		return
	}
	if err != nil || code != 200 {
		ctx.Dispatch(func(ctx app.Context) { c.notice = c.lang.T("error.open-run") })
		return
	}
	ctx.Dispatch(func(ctx app.Context) {
		c.showRun(run, speed)
		c.player.start(ctx)
	})
}
