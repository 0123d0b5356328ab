package ui

import (
	"fmt"
	"html"
	"net/url"
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/browser"
	"reqlab/app/i18n"
	"reqlab/app/lesson"
	"reqlab/app/ui/el"
)

// EmbedDialog is the teacher's tool on a lesson page: it builds the iframe
// snippet that embeds the lesson in a course, from options of its own, and
// copies it.
type EmbedDialog struct {
	app.Compo

	Lang   Lang
	Lesson *lesson.Lesson

	open     bool
	autoplay bool
	controls bool
	theme    string
	speed    float64
	copied   string // the message key of the last copy's outcome
}

// snippet is the iframe a teacher pastes into a course page.
func (d *EmbedDialog) snippet() string {
	q := url.Values{}
	q.Set("lang", string(d.Lang))
	if d.autoplay {
		q.Set("autoplay", "1")
	}
	if !d.controls {
		q.Set("controls", "0")
	}
	if d.theme == "dark" || d.theme == "light" {
		q.Set("theme", d.theme)
	}
	if d.speed != 1 && d.speed != 0 {
		q.Set("speed", strconv.FormatFloat(d.speed, 'f', -1, 64))
	}
	src := browser.Origin() + "/embed/" + d.Lesson.Slug + "?" + q.Encode()
	title := "reqlab: " + d.Lesson.Title.In(i18n.Lang(d.Lang))
	return fmt.Sprintf(`<iframe src="%s" title="%s" width="100%%" height="900" style="border:0" allow="clipboard-write" loading="lazy"></iframe>`,
		html.EscapeString(src), html.EscapeString(title))
}

// Render draws the button and, once opened, the dialog.
func (d *EmbedDialog) Render() app.UI {
	l := d.Lang
	return el.Div().Class("embed-tools").Body(
		app.Button().Type("button").Attr("data-action", "embed").Aria("expanded", d.open).Aria("controls", "embed-dialog").
			Text(l.T("embed.open")).
			OnClick(func(ctx app.Context, e app.Event) {
				d.open = !d.open
				if d.speed == 0 {
					d.speed, d.controls = 1, true
				}
			}),
		app.If(d.open, func() app.UI {
			return el.Div().ID("embed-dialog").Class("embed-dialog").Attr("role", "dialog").Aria("labelledby", "embed-heading").Body(
				el.H3().ID("embed-heading").Text(l.T("embed.heading")),
				el.P().Class("hint").Text(l.T("embed.intro")),
				el.Div().Class("embed-options").Body(
					app.Label().Body(app.Input().Type("checkbox").Attr("data-field", "embed-autoplay").Attr("checked", el.Bool(d.autoplay)).
						OnChange(func(ctx app.Context, e app.Event) { d.autoplay = ctx.JSSrc().Get("checked").Bool() }),
						app.Text(" "+l.T("embed.autoplay"))),
					app.Label().Body(app.Input().Type("checkbox").Attr("data-field", "embed-controls").Attr("checked", el.Bool(d.controls)).
						OnChange(func(ctx app.Context, e app.Event) { d.controls = ctx.JSSrc().Get("checked").Bool() }),
						app.Text(" "+l.T("embed.controls"))),
					app.Label().Body(app.Text(l.T("embed.theme")+" "),
						app.Select().Attr("data-field", "embed-theme").OnChange(d.ValueTo(&d.theme)).Body(
							app.Option().Value("").Attr("selected", el.Bool(d.theme == "")).Text(l.T("embed.auto")),
							app.Option().Value("light").Attr("selected", el.Bool(d.theme == "light")).Text(l.T("embed.light")),
							app.Option().Value("dark").Attr("selected", el.Bool(d.theme == "dark")).Text(l.T("embed.dark")),
						)),
					app.Label().Body(app.Text(l.T("playback.speed")+" "),
						app.Select().Attr("data-field", "embed-speed").
							OnChange(func(ctx app.Context, e app.Event) { d.speed = speedOf(ctx.JSSrc().Get("value").String()) }).
							Body(app.Range(speeds).Slice(func(i int) app.UI {
								s := speeds[i]
								return app.Option().Value(strconv.FormatFloat(s, 'f', -1, 64)).Attr("selected", el.Bool(s == d.speed)).Text(speedLabel(s))
							}))),
				),
				app.Label().For("embed-snippet").Text(l.T("embed.snippet")),
				app.Textarea().ID("embed-snippet").Attr("data-field", "embed-snippet").Attr("readonly", true).Attr("rows", 4).Text(d.snippet()),
				app.Button().Type("button").Attr("data-action", "copy-embed").Text(l.T("embed.copy")).
					OnClick(func(ctx app.Context, e app.Event) {
						text := d.snippet()
						ctx.Async(func() {
							ok := browser.CopyText(text)
							ctx.Dispatch(func(ctx app.Context) {
								d.copied = map[bool]string{true: "embed.copied", false: "embed.copy-failed"}[ok]
							})
						})
					}),
				el.Span().Attr("role", "status").Attr("data-field", "embed-copied").Text(func() string {
					if d.copied == "" {
						return ""
					}
					return l.T(d.copied)
				}()),
			)
		}),
	)
}
