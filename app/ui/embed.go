package ui

import (
	"fmt"
	"html"
	"net/url"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/browser"
	"reqlab/app/stage"
	"reqlab/app/ui/el"
)

// embedOptions are the query parameters of an /embed/{lesson} page.
type embedOptions struct {
	autoplay     bool    // send the lesson's first request once ready
	hideControls bool    // controls=0: no request form
	theme        string  // "light" or "dark"
	speed        float64 // replay each run at this speed once it is done (1: no replay)
}

// embedOf reads an /embed/ page's options; false where the page is not one.
func embedOf(u *url.URL) (embedOptions, bool) {
	if !strings.HasPrefix(u.Path, "/embed/") {
		return embedOptions{}, false
	}
	q := u.Query()
	o := embedOptions{theme: "light", speed: speedOf(q.Get("speed"))}
	o.autoplay = q.Get("autoplay") == "1" || q.Get("autoplay") == "true"
	o.hideControls = q.Get("controls") == "0" || q.Get("controls") == "false"
	if q.Get("theme") == "dark" {
		o.theme = "dark"
	}
	return o, true
}

// connectHost starts talking with the page that frames the lab.
func (c *Lab) connectHost(ctx app.Context) {
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
			ctx.Dispatch(func(ctx app.Context) { c.fromHost(ctx, kind, lang, step) })
		},
		func(height int) {
			c.host.Post(map[string]any{"type": "reqlab:resize", "v": 1, "height": height})
			c.host.Post(map[string]any{"subject": "lti.frameResize", "height": height})
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
func (c *Lab) post(msg map[string]any) {
	if c.host == nil {
		return
	}
	msg["v"] = 1
	c.host.Post(msg)
}

// postStage tells the host of a stage's event.
func (c *Lab) postStage(run string, e stage.Event) {
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
	if t, ok := c.run.clientTotal(); ok {
		total = t
	}
	c.post(map[string]any{"type": "reqlab:run-complete", "run_id": c.run.id, "status": status, "total_ms": total})
}

// snippet is the iframe a teacher pastes into a course page.
func (c *Lab) snippet() string {
	if c.lesson == nil {
		return ""
	}
	q := url.Values{}
	q.Set("lang", string(c.lang))
	if c.embedAutoplay {
		q.Set("autoplay", "1")
	}
	if !c.embedControls {
		q.Set("controls", "0")
	}
	if c.embedTheme == "dark" {
		q.Set("theme", "dark")
	}
	if c.embedSpeed != 1 && c.embedSpeed != 0 {
		q.Set("speed", strconv.FormatFloat(c.embedSpeed, 'f', -1, 64))
	}
	src := browser.Origin() + "/embed/" + c.lesson.Slug + "?" + q.Encode()
	title := "reqlab: " + c.lesson.Title.In(string(c.lang))
	return fmt.Sprintf(`<iframe src="%s" title="%s" width="100%%" height="900" style="border:0" allow="clipboard-write" loading="lazy"></iframe>`,
		html.EscapeString(src), html.EscapeString(title))
}

func (c *Lab) renderEmbedDialog() app.UI {
	if c.lesson == nil || c.embedded || !c.mounted {
		return nil
	}
	l := c.lang
	return el.Div().Class("embed-tools").Body(
		app.Button().Type("button").Attr("data-action", "embed").Aria("expanded", c.embedOpen).Aria("controls", "embed-dialog").
			Text(l.T("embed.open")).
			OnClick(func(ctx app.Context, e app.Event) {
				c.embedOpen = !c.embedOpen
				if c.embedSpeed == 0 {
					c.embedSpeed, c.embedControls = 1, true
				}
			}),
		app.If(c.embedOpen, func() app.UI {
			return el.Div().ID("embed-dialog").Class("embed-dialog").Attr("role", "dialog").Aria("labelledby", "embed-heading").Body(
				el.H3().ID("embed-heading").Text(l.T("embed.heading")),
				el.P().Class("hint").Text(l.T("embed.intro")),
				el.Div().Class("embed-options").Body(
					app.Label().Body(app.Input().Type("checkbox").Attr("data-field", "embed-autoplay").Checked(c.embedAutoplay).
						OnChange(func(ctx app.Context, e app.Event) { c.embedAutoplay = ctx.JSSrc().Get("checked").Bool() }),
						app.Text(" "+l.T("embed.autoplay"))),
					app.Label().Body(app.Input().Type("checkbox").Attr("data-field", "embed-controls").Checked(c.embedControls).
						OnChange(func(ctx app.Context, e app.Event) { c.embedControls = ctx.JSSrc().Get("checked").Bool() }),
						app.Text(" "+l.T("embed.controls"))),
					app.Label().Body(app.Text(l.T("embed.theme")+" "),
						app.Select().Attr("data-field", "embed-theme").OnChange(c.ValueTo(&c.embedTheme)).Body(
							app.Option().Value("light").Selected(c.embedTheme != "dark").Text(l.T("embed.light")),
							app.Option().Value("dark").Selected(c.embedTheme == "dark").Text(l.T("embed.dark")),
						)),
					app.Label().Body(app.Text(l.T("playback.speed")+" "),
						app.Select().Attr("data-field", "embed-speed").
							OnChange(func(ctx app.Context, e app.Event) { c.embedSpeed = speedOf(ctx.JSSrc().Get("value").String()) }).
							Body(app.Range(speeds).Slice(func(i int) app.UI {
								s := speeds[i]
								return app.Option().Value(strconv.FormatFloat(s, 'f', -1, 64)).Selected(s == c.embedSpeed).Text(speedLabel(s))
							}))),
				),
				app.Label().For("embed-snippet").Text(l.T("embed.snippet")),
				app.Textarea().ID("embed-snippet").Attr("data-field", "embed-snippet").Attr("readonly", true).Attr("rows", 4).Text(c.snippet()),
				app.Button().Type("button").Attr("data-action", "copy-embed").Text(l.T("embed.copy")).
					OnClick(func(ctx app.Context, e app.Event) {
						text := c.snippet()
						ctx.Async(func() {
							ok := browser.CopyText(text)
							ctx.Dispatch(func(ctx app.Context) {
								c.copied = map[bool]string{true: "embed.copied", false: "embed.copy-failed"}[ok]
							})
						})
					}),
				el.Span().Attr("role", "status").Attr("data-field", "embed-copied").Text(func() string {
					if c.copied == "" {
						return ""
					}
					return l.T(c.copied)
				}()),
			)
		}),
	)
}
