package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/stage"
)

// examples are requests worth trying, each showing one decision of the backend.
var examples = []struct{ url, label string }{
	{"/site/api/cursos", "example.list"},
	{"/site/api/cursos/2", "example.one"},
	{"/site/api/cursos/999999", "example.missing"},
	{"/site/api/nada", "example.noroute"},
	{"/site/api/inscripciones", "example.broken"},
}

func (c *Lab) renderForm() app.UI {
	l := c.lang
	urlErr := c.fieldError("url")
	methodErr := c.fieldError("method")
	busy := c.sending || !c.mounted || !c.socketOpen
	label := l.T("request.send")
	if c.sending {
		label = l.T("request.sending")
	}
	return app.Section().Class("panel request").Aria("labelledby", "request-heading").Body(
		app.H2().ID("request-heading").Text(l.T("request.heading")),
		app.P().Class("intro").Text(l.T("request.intro")),
		app.Form().
			Class("request-form").
			Attr("novalidate", true).
			OnSubmit(func(ctx app.Context, e app.Event) {
				e.PreventDefault()
				c.send(ctx)
			}).
			Body(
				app.Div().Class("field method").Body(
					app.Label().For("req-method").Text(l.T("request.method")),
					app.Select().
						ID("req-method").
						Attr("data-field", "method").
						Aria("invalid", methodErr != "").
						Aria("describedby", describedBy("method", methodErr)).
						OnChange(c.ValueTo(&c.method)).
						Body(app.Range(stage.Methods).Slice(func(i int) app.UI {
							m := stage.Methods[i]
							return app.Option().Value(m).Selected(m == c.method).Text(m)
						})),
					c.renderFieldError("method", methodErr),
				),
				app.Div().Class("field url").Body(
					app.Label().For("req-url").Text(l.T("request.url")),
					app.Input().
						ID("req-url").
						Type("text").
						Attr("data-field", "url").
						Attr("spellcheck", "false").
						Attr("autocomplete", "off").
						Attr("inputmode", "url").
						Aria("invalid", urlErr != "").
						Aria("describedby", "req-url-hint "+describedBy("url", urlErr)).
						Value(c.url).
						OnInput(c.ValueTo(&c.url)),
					app.P().ID("req-url-hint").Class("hint").Text(l.T("request.url-hint")),
					c.renderFieldError("url", urlErr),
				),
				app.Button().
					Type("submit").
					Class("send").
					Attr("data-action", "send").
					Disabled(busy).
					Text(label),
			),
		app.Details().Class("examples").Open(true).Body(
			app.Summary().Text(l.T("request.examples")),
			app.Ul().Body(app.Range(examples).Slice(func(i int) app.UI {
				ex := examples[i]
				return app.Li().Body(
					app.Button().
						Type("button").
						Class("example").
						Attr("data-example", ex.url).
						OnClick(func(ctx app.Context, e app.Event) {
							c.url, c.method, c.fieldErrs = ex.url, "GET", nil
						}).
						Body(app.Code().Text(ex.url), app.Text(" — "+l.T(ex.label))),
				)
			})),
		),
	)
}

// fieldError returns the code of the refusal of a field, or "".
func (c *Lab) fieldError(field string) string {
	for _, e := range c.fieldErrs {
		if e.Field == field {
			return e.Code
		}
	}
	return ""
}

// describedBy names the message of a refused field, for aria-describedby.
func describedBy(field, code string) string {
	if code == "" {
		return ""
	}
	return "req-" + field + "-error"
}

func (c *Lab) renderFieldError(field, code string) app.UI {
	if code == "" {
		return nil
	}
	return app.P().
		ID("req-"+field+"-error").
		Class("field-error").
		Attr("data-field", "error").
		Attr("data-for", field).
		Text(c.lang.T("field." + code))
}
