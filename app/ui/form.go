package ui

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/stage"
	"reqlab/app/ui/el"
)

// The form's actions, handled by the lab.
const (
	// actionSend carries the request the form holds, checked, to be sent.
	actionSend = "reqlab:send"
	// actionNetwork carries the simulated network picked.
	actionNetwork = "reqlab:network"
)

// Form is the request form. It owns what is being edited (its draft) and
// redraws itself as the student types; the lab redraws it only when one of
// its inputs changes, not on every event of a run.
type Form struct {
	app.Compo

	Lang Lang
	// Busy disables sending: a run under way (Sending), or one asked for
	// while the lab connects (Starting).
	Busy, Sending, Starting bool
	// Network is the simulated network picked: the lab's, as lessons keep it.
	Network string
	// Load replaces what the form holds whenever Rev changes: a lesson's
	// step, a replay, a run played back. Refused are the server's refusals of
	// that request, if any.
	Load    stage.Request
	Rev     int
	Refused []stage.FieldError

	d   draft
	rev int
}

// OnInit takes the request the form starts with.
func (f *Form) OnInit() {
	f.take()
}

// OnUpdate takes a request the lab puts in the form.
func (f *Form) OnUpdate(ctx app.Context) {
	if f.Rev != f.rev {
		f.take()
	}
}

func (f *Form) take() {
	f.rev = f.Rev
	f.d.load(f.Load)
	f.d.fieldErrs = f.Refused
}

// submit checks the draft and, if it is sound, hands the request to the lab.
func (f *Form) submit(ctx app.Context) {
	f.d.network = f.Network
	if req, ok := f.d.check(); ok && !f.Busy {
		ctx.NewActionWithValue(actionSend, req)
	}
}

// Render draws the form.
func (f *Form) Render() app.UI {
	l := f.Lang
	busy := f.Busy
	label := l.T("request.send")
	switch {
	case f.Sending:
		label = l.T("request.sending")
	case f.Starting:
		label = l.T("start.starting")
	}
	methodErr, urlErr, bodyErr := f.d.fieldError(stage.FieldMethod, 0), f.d.fieldError(stage.FieldURL, 0), f.d.fieldError(stage.FieldBody, 0)
	if bodyErr == "" && f.d.body != "" && strings.Contains(f.d.contentType, "json") && !json.Valid([]byte(f.d.body)) {
		bodyErr = stage.CodeBodyJSON // checked as the student types
	}
	cookieBytes := stage.CookieHeaderBytes(f.d.cookieList())

	return el.Section().Class("panel request").Aria("labelledby", "request-heading").Body(
		el.H2().ID("request-heading").Text(l.T("request.heading")),
		el.P().Class("intro").Text(l.T("request.intro")),
		el.Form().
			Class("request-form").
			Attr("novalidate", true).
			OnSubmit(func(ctx app.Context, e app.Event) {
				e.PreventDefault()
				f.submit(ctx)
			}).
			Body(
				el.Div().Class("line").Body(
					el.Div().Class("field method").Body(
						app.Label().For("req-method").Text(l.T("request.method")),
						app.Select().
							ID("req-method").
							Attr("data-field", "method").
							Aria("invalid", methodErr != "").
							Aria("describedby", describedBy(stage.FieldMethod, 0, methodErr)).
							OnChange(f.ValueTo(&f.d.method)).
							Body(app.Range(stage.Methods).Slice(func(i int) app.UI {
								m := stage.Methods[i]
								return app.Option().Value(m).Attr("selected", el.Bool(m == f.d.method)).Text(m)
							})),
						f.renderFieldError(stage.FieldMethod, 0, methodErr),
					),
					el.Div().Class("field url").Body(
						app.Label().For("req-url").Text(l.T("request.url")),
						app.Input().
							ID("req-url").
							Type("text").
							Attr("data-field", "url").
							Attr("spellcheck", "false").
							Attr("autocomplete", "off").
							Attr("inputmode", "url").
							Aria("invalid", urlErr != "").
							Aria("describedby", "req-url-hint "+describedBy(stage.FieldURL, 0, urlErr)).
							Value(f.d.url).
							OnInput(func(ctx app.Context, e app.Event) {
								f.d.url = ctx.JSSrc().Get("value").String()
								f.d.query = parseQuery(f.d.url)
							}),
						el.P().ID("req-url-hint").Class("hint").Text(l.T("request.url-hint")),
						f.renderFieldError(stage.FieldURL, 0, urlErr),
					),
					// Send beside the address, as in the browser's own bar:
					// the first thing to press is in view with the picture.
					app.Button().
						Type("submit").
						Class("send").
						Attr("data-action", "send").
						Attr("disabled", el.Bool(busy)).
						Text(label),
				),
				f.renderRows("query", l.T("request.query"), f.d.query, false),
				f.renderRows("header", l.T("request.headers"), f.d.headers, true),
				// A container that is always there: the message coming and going
				// must not shift the form's later fields, or go-app redraws them.
				el.Div().Class("form-error").Body(f.renderFieldError(stage.FieldHeaders, 0, f.d.fieldError(stage.FieldHeaders, 0))),
				f.renderRows("cookie", l.T("request.cookies"), f.d.cookies, false),
				el.P().Class("hint cookie-bytes").Attr("data-field", "cookie-bytes").Attr("aria-live", "polite").
					Text(l.Tf("request.cookie-bytes", cookieBytes)),
				el.Div().Class("field body").Body(
					app.Label().For("req-body").Text(l.T("request.body")),
					el.Div().Class("line").Body(
						app.Label().For("req-content-type").Class("sr-only").Text(l.T("request.content-type")),
						app.Select().
							ID("req-content-type").
							Attr("data-field", "content-type").
							Title(l.T("request.content-type")).
							OnChange(f.ValueTo(&f.d.contentType)).
							Body(
								app.Option().Value("").Attr("selected", el.Bool(f.d.contentType == "")).Text(l.T("request.no-content-type")),
								app.Range(contentTypes).Slice(func(i int) app.UI {
									return app.Option().Value(contentTypes[i]).Attr("selected", el.Bool(f.d.contentType == contentTypes[i])).Text(contentTypes[i])
								}),
							),
					),
					app.Textarea().
						ID("req-body").
						Attr("data-field", "body").
						Attr("rows", 4).
						Attr("spellcheck", "false").
						Aria("invalid", bodyErr != "").
						Aria("describedby", describedBy(stage.FieldBody, 0, bodyErr)).
						Text(f.d.body).
						OnInput(f.ValueTo(&f.d.body)),
					f.renderFieldError(stage.FieldBody, 0, bodyErr),
				),
				el.Div().Class("field network").Body(
					app.Label().For("req-network").Text(l.T("request.network")),
					app.Select().
						ID("req-network").
						Attr("data-field", "network").
						OnChange(func(ctx app.Context, e app.Event) {
							// The form sends with it at once (a Send may
							// follow before the lab has taken the action).
							f.Network = ctx.JSSrc().Get("value").String()
							ctx.NewActionWithValue(actionNetwork, f.Network)
						}).
						Body(app.Range(stage.Networks).Slice(func(i int) app.UI {
							id := stage.Networks[i].ID
							return app.Option().Value(id).Attr("selected", el.Bool(id == f.Network)).Text(l.T("network." + networkKey(id)))
						})),
				),
				el.Div().Class("field fresh").Body(
					app.Input().
						Type("checkbox").
						ID("req-fresh").
						Attr("data-field", "fresh").
						Aria("describedby", "req-fresh-hint").
						Attr("checked", el.Bool(f.d.fresh)).
						OnChange(func(ctx app.Context, e app.Event) { f.d.fresh = ctx.JSSrc().Get("checked").Bool() }),
					app.Label().For("req-fresh").Text(l.T("request.fresh")),
					el.P().Class("hint").ID("req-fresh-hint").Text(l.T("request.fresh-hint")),
				),
			),
		app.Details().Class("examples").Open(true).Body(
			el.Summary().Text(l.T("request.examples")),
			el.Ul().Body(app.Range(examples).Slice(func(i int) app.UI {
				ex := examples[i]
				return el.Li().Body(
					app.Button().
						Type("button").
						Class("example").
						Attr("data-example", ex.url).
						OnClick(func(ctx app.Context, e app.Event) {
							f.d.load(stage.Request{Method: "GET", URL: ex.url})
						}).
						Body(el.Code().Text(ex.url), app.Text(" — "+l.T(ex.label))),
				)
			})),
		),
	)
}

// renderRows draws the rows of one kind (query, header, cookie), each a name
// and a value, headers with an on/off switch, and a button to add one.
func (f *Form) renderRows(kind, legend string, rows []row, toggle bool) app.UI {
	l := f.Lang
	// The rows have a container of their own, so that adding one leaves the
	// button where it is instead of making a new one.
	return el.FieldSet().Class("rows rows-"+kind).Body(
		el.Legend().Text(legend),
		el.Div().Class("row-list").Body(app.Range(rows).Slice(func(i int) app.UI {
			r := rows[i]
			n := i + 1
			nameErr := f.d.fieldError(kind+"-name", n)
			valueErr := f.d.fieldError(kind+"-value", n)
			return el.Div().Class("row").Attr("data-row", n).Body(
				app.If(toggle, func() app.UI {
					return app.Input().
						Type("checkbox").
						ID("req-"+kind+"-"+strconv.Itoa(n)+"-on").
						Attr("data-field", kind+"-on").
						Title(l.T("request.row-on")).
						Aria("label", l.Tf("request.row-on-n", n)).
						Attr("checked", el.Bool(r.on)).
						OnChange(func(ctx app.Context, e app.Event) {
							(*f.d.rowsOf(kind))[i].on = ctx.JSSrc().Get("checked").Bool()
						})
				}),
				f.rowInput(kind, "name", i, r.name, nameErr),
				f.rowInput(kind, "value", i, r.value, valueErr),
				app.Button().
					Type("button").
					Class("remove").
					Attr("data-action", "remove-"+kind).
					Aria("label", l.Tf("request.remove-n", n)).
					Text("×").
					OnClick(func(ctx app.Context, e app.Event) {
						rs := f.d.rowsOf(kind)
						*rs = append((*rs)[:i:i], (*rs)[i+1:]...)
						f.d.fieldErrs = nil
						f.d.edited(kind)
					}),
				f.renderFieldError(kind+"-name", n, nameErr),
				f.renderFieldError(kind+"-value", n, valueErr),
			)
		})),
		app.Button().
			Type("button").
			Class("add").
			Attr("data-action", "add-"+kind).
			Text(l.T("request.add-"+kind)).
			OnClick(func(ctx app.Context, e app.Event) {
				rs := f.d.rowsOf(kind)
				*rs = append(*rs, row{on: true})
			}),
	)
}

// rowInput is the name or value input (part) of row i of a kind.
func (f *Form) rowInput(kind, part string, i int, value, errCode string) app.UI {
	n := i + 1
	field := kind + "-" + part
	return app.Input().
		Type("text").
		ID("req-"+kind+"-"+strconv.Itoa(n)+"-"+part).
		Attr("data-field", field).
		Attr("spellcheck", "false").
		Attr("autocomplete", "off").
		Placeholder(f.Lang.T("request."+part)).
		Aria("label", f.Lang.Tf("request."+field+"-n", n)).
		Aria("invalid", errCode != "").
		Aria("describedby", describedBy(field, n, errCode)).
		Value(value).
		OnInput(func(ctx app.Context, e app.Event) {
			v := ctx.JSSrc().Get("value").String()
			if r := &(*f.d.rowsOf(kind))[i]; part == "name" {
				r.name = v
			} else {
				r.value = v
			}
			f.d.edited(kind)
		})
}

// errorID is the id of a field's message.
func errorID(field string, row int) string {
	if row > 0 {
		return "req-" + field + "-" + strconv.Itoa(row) + "-error"
	}
	return "req-" + field + "-error"
}

// describedBy names the message of a refused field, for aria-describedby.
func describedBy(field string, row int, code string) string {
	if code == "" {
		return ""
	}
	return errorID(field, row)
}

func (f *Form) renderFieldError(field string, row int, code string) app.UI {
	if code == "" {
		return nil
	}
	return el.P().
		ID(errorID(field, row)).
		Class("field-error").
		Attr("data-field", "error").
		Attr("data-for", field).
		Text(f.Lang.T("field." + code))
}
