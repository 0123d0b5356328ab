package ui

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/stage"
	"reqlab/app/ui/el"
)

// row is one editable line of the form: a query parameter, a header or a
// cookie. A header can be switched off without losing it.
type row struct {
	name, value string
	on          bool
}

// examples are requests worth trying, each showing one decision of the backend.
var examples = []struct{ url, label string }{
	{"/site/api/cursos", "example.list"},
	{"/site/api/cursos?nivel=intermedio", "example.filter"},
	{"/site/api/cursos/2", "example.one"},
	{"/site/api/cursos/999999", "example.missing"},
	{"/site/api/nada", "example.noroute"},
	{"/site/api/inscripciones", "example.broken"},
}

// contentTypes are the body types the form offers.
var contentTypes = []string{"application/json", "text/plain", "application/x-www-form-urlencoded"}

// request builds the request the form describes. rows maps each header and
// cookie of the request back to its row in the form (-1: made by the form).
func (c *Lab) request() (req stage.Request, headerRows, cookieRows []int) {
	req = stage.Request{Method: c.method, URL: strings.TrimSpace(c.url), Headers: []stage.Header{}, Body: c.body, Network: c.network}
	for i, h := range c.headers {
		if h.on && (h.name != "" || h.value != "") {
			req.Headers = append(req.Headers, stage.Header{Name: strings.TrimSpace(h.name), Value: h.value})
			headerRows = append(headerRows, i)
		}
	}
	if c.body != "" && c.contentType != "" && req.Header("Content-Type") == "" {
		req.Headers = append(req.Headers, stage.Header{Name: "Content-Type", Value: c.contentType})
		headerRows = append(headerRows, -1)
	}
	for i, k := range c.cookies {
		if k.name != "" || k.value != "" {
			req.Cookies = append(req.Cookies, stage.Cookie{Name: strings.TrimSpace(k.name), Value: k.value})
			cookieRows = append(cookieRows, i)
		}
	}
	return req, headerRows, cookieRows
}

// check runs the request's rules and keeps the refusals, with their rows
// counted as the form shows them.
func (c *Lab) check() (stage.Request, bool) {
	req, headerRows, cookieRows := c.request()
	errs := req.Check()
	for i, e := range errs {
		switch e.Field {
		case stage.FieldHeaderName, stage.FieldHeaderValue:
			errs[i].Row = formRow(headerRows, e.Row)
		case stage.FieldCookieName, stage.FieldCookieValue:
			errs[i].Row = formRow(cookieRows, e.Row)
		}
	}
	c.fieldErrs = errs
	return req, errs == nil
}

func formRow(rows []int, reqRow int) int {
	if reqRow < 1 || reqRow > len(rows) || rows[reqRow-1] < 0 {
		return 0
	}
	return rows[reqRow-1] + 1
}

// load puts a request into the form, as "send again" and the history do.
func (c *Lab) load(req stage.Request) {
	c.method, c.url, c.body, c.contentType = req.Method, req.URL, req.Body, ""
	if req.Network != "" {
		c.network = req.Network // a replay keeps its network; a lesson's step keeps the one chosen
	}
	c.query = parseQuery(req.URL)
	c.headers = nil
	for _, h := range req.Headers {
		switch strings.ToLower(h.Name) {
		case "host", "traceparent", "cookie", "content-length", "accept-encoding", "connection", "user-agent",
			"accept", "accept-language", "origin", "referer", "sec-ch-ua", "sec-ch-ua-mobile", "sec-ch-ua-platform",
			"sec-fetch-dest", "sec-fetch-mode", "sec-fetch-site", "pragma", "cache-control":
			continue // the browser's own, not the student's
		case "content-type":
			c.contentType = h.Value
			continue
		}
		c.headers = append(c.headers, row{name: h.Name, value: h.Value, on: true})
	}
	c.cookies = nil
	for _, k := range req.Cookies {
		c.cookies = append(c.cookies, row{name: k.Name, value: k.Value, on: true})
	}
	c.fieldErrs = nil
}

// parseQuery splits the query of a URL into rows, in their order.
func parseQuery(raw string) []row {
	_, q, ok := strings.Cut(raw, "?")
	if !ok || q == "" {
		return nil
	}
	var rows []row
	for _, part := range strings.Split(q, "&") {
		name, value, _ := strings.Cut(part, "=")
		n, err1 := url.QueryUnescape(name)
		v, err2 := url.QueryUnescape(value)
		if err1 != nil || err2 != nil {
			n, v = name, value
		}
		rows = append(rows, row{name: n, value: v, on: true})
	}
	return rows
}

// withQuery rebuilds a URL's query from the rows.
func withQuery(raw string, rows []row) string {
	path, _, _ := strings.Cut(raw, "?")
	var parts []string
	for _, r := range rows {
		if r.name == "" && r.value == "" {
			continue
		}
		parts = append(parts, url.QueryEscape(r.name)+"="+url.QueryEscape(r.value))
	}
	if len(parts) == 0 {
		return path
	}
	return path + "?" + strings.Join(parts, "&")
}

func (c *Lab) renderForm() app.UI {
	l := c.lang
	busy := c.sending || !c.mounted || !c.socketOpen
	label := l.T("request.send")
	if c.sending {
		label = l.T("request.sending")
	}
	methodErr, urlErr, bodyErr := c.fieldError(stage.FieldMethod, 0), c.fieldError(stage.FieldURL, 0), c.fieldError(stage.FieldBody, 0)
	if bodyErr == "" && c.body != "" && strings.Contains(c.contentType, "json") && !json.Valid([]byte(c.body)) {
		bodyErr = stage.CodeBodyJSON // checked as the student types
	}
	cookieBytes := stage.CookieHeaderBytes(c.cookieList())

	return el.Section().Class("panel request").Aria("labelledby", "request-heading").Body(
		el.H2().ID("request-heading").Text(l.T("request.heading")),
		el.P().Class("intro").Text(l.T("request.intro")),
		el.Form().
			Class("request-form").
			Attr("novalidate", true).
			OnSubmit(func(ctx app.Context, e app.Event) {
				e.PreventDefault()
				c.send(ctx)
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
							OnChange(c.ValueTo(&c.method)).
							Body(app.Range(stage.Methods).Slice(func(i int) app.UI {
								m := stage.Methods[i]
								return app.Option().Value(m).Selected(m == c.method).Text(m)
							})),
						c.renderFieldError(stage.FieldMethod, 0, methodErr),
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
							Value(c.url).
							OnInput(func(ctx app.Context, e app.Event) {
								c.url = ctx.JSSrc().Get("value").String()
								c.query = parseQuery(c.url)
							}),
						el.P().ID("req-url-hint").Class("hint").Text(l.T("request.url-hint")),
						c.renderFieldError(stage.FieldURL, 0, urlErr),
					),
				),
				c.renderRows("query", l.T("request.query"), c.query, false),
				c.renderRows("header", l.T("request.headers"), c.headers, true),
				// A container that is always there: the message coming and going
				// must not shift the form's later fields, or go-app redraws them.
				el.Div().Class("form-error").Body(c.renderFieldError(stage.FieldHeaders, 0, c.fieldError(stage.FieldHeaders, 0))),
				c.renderRows("cookie", l.T("request.cookies"), c.cookies, false),
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
							OnChange(c.ValueTo(&c.contentType)).
							Body(
								app.Option().Value("").Selected(c.contentType == "").Text(l.T("request.no-content-type")),
								app.Range(contentTypes).Slice(func(i int) app.UI {
									return app.Option().Value(contentTypes[i]).Selected(c.contentType == contentTypes[i]).Text(contentTypes[i])
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
						Text(c.body).
						OnInput(c.ValueTo(&c.body)),
					c.renderFieldError(stage.FieldBody, 0, bodyErr),
				),
				el.Div().Class("field network").Body(
					app.Label().For("req-network").Text(l.T("request.network")),
					app.Select().
						ID("req-network").
						Attr("data-field", "network").
						OnChange(c.ValueTo(&c.network)).
						Body(app.Range(stage.Networks).Slice(func(i int) app.UI {
							id := stage.Networks[i].ID
							return app.Option().Value(id).Selected(id == c.network).Text(l.T("network." + networkKey(id)))
						})),
				),
				app.Button().
					Type("submit").
					Class("send").
					Attr("data-action", "send").
					Disabled(busy).
					Text(label),
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
							c.load(stage.Request{Method: "GET", URL: ex.url})
						}).
						Body(el.Code().Text(ex.url), app.Text(" — "+l.T(ex.label))),
				)
			})),
		),
	)
}

// networkKey names a network preset in the messages.
func networkKey(id string) string {
	if id == "" {
		return "none"
	}
	return id
}

func (c *Lab) cookieList() []stage.Cookie {
	var out []stage.Cookie
	for _, k := range c.cookies {
		if k.name != "" || k.value != "" {
			out = append(out, stage.Cookie{Name: k.name, Value: k.value})
		}
	}
	return out
}

// rowsOf returns the form's rows of a kind.
func (c *Lab) rowsOf(kind string) *[]row {
	switch kind {
	case "query":
		return &c.query
	case "header":
		return &c.headers
	default:
		return &c.cookies
	}
}

// edited follows a change to a row; query rows rewrite the URL.
func (c *Lab) edited(kind string) {
	if kind == "query" {
		c.url = withQuery(c.url, c.query)
	}
}

// renderRows draws the rows of one kind (query, header, cookie), each a name
// and a value, headers with an on/off switch, and a button to add one.
func (c *Lab) renderRows(kind, legend string, rows []row, toggle bool) app.UI {
	l := c.lang
	// The rows have a container of their own, so that adding one leaves the
	// button where it is instead of making a new one.
	return el.FieldSet().Class("rows rows-"+kind).Body(
		el.Legend().Text(legend),
		el.Div().Class("row-list").Body(app.Range(rows).Slice(func(i int) app.UI {
			r := rows[i]
			n := i + 1
			nameErr := c.fieldError(kind+"-name", n)
			valueErr := c.fieldError(kind+"-value", n)
			return el.Div().Class("row").Attr("data-row", n).Body(
				app.If(toggle, func() app.UI {
					return app.Input().
						Type("checkbox").
						ID("req-"+kind+"-"+strconv.Itoa(n)+"-on").
						Attr("data-field", kind+"-on").
						Title(l.T("request.row-on")).
						Aria("label", l.Tf("request.row-on-n", n)).
						Checked(r.on).
						OnChange(func(ctx app.Context, e app.Event) {
							(*c.rowsOf(kind))[i].on = ctx.JSSrc().Get("checked").Bool()
						})
				}),
				c.rowInput(kind, "name", i, r.name, nameErr),
				c.rowInput(kind, "value", i, r.value, valueErr),
				app.Button().
					Type("button").
					Class("remove").
					Attr("data-action", "remove-"+kind).
					Aria("label", l.Tf("request.remove-n", n)).
					Text("×").
					OnClick(func(ctx app.Context, e app.Event) {
						rs := c.rowsOf(kind)
						*rs = append((*rs)[:i:i], (*rs)[i+1:]...)
						c.fieldErrs = nil
						c.edited(kind)
					}),
				c.renderFieldError(kind+"-name", n, nameErr),
				c.renderFieldError(kind+"-value", n, valueErr),
			)
		})),
		app.Button().
			Type("button").
			Class("add").
			Attr("data-action", "add-"+kind).
			Text(l.T("request.add-"+kind)).
			OnClick(func(ctx app.Context, e app.Event) {
				rs := c.rowsOf(kind)
				*rs = append(*rs, row{on: true})
			}),
	)
}

// rowInput is the name or value input (part) of row i of a kind.
func (c *Lab) rowInput(kind, part string, i int, value, errCode string) app.UI {
	n := i + 1
	field := kind + "-" + part
	return app.Input().
		Type("text").
		ID("req-"+kind+"-"+strconv.Itoa(n)+"-"+part).
		Attr("data-field", field).
		Attr("spellcheck", "false").
		Attr("autocomplete", "off").
		Placeholder(c.lang.T("request."+part)).
		Aria("label", c.lang.Tf("request."+field+"-n", n)).
		Aria("invalid", errCode != "").
		Aria("describedby", describedBy(field, n, errCode)).
		Value(value).
		OnInput(func(ctx app.Context, e app.Event) {
			v := ctx.JSSrc().Get("value").String()
			if r := &(*c.rowsOf(kind))[i]; part == "name" {
				r.name = v
			} else {
				r.value = v
			}
			c.edited(kind)
		})
}

// fieldError returns the code of the refusal of a field (and row), or "".
func (c *Lab) fieldError(field string, row int) string {
	for _, e := range c.fieldErrs {
		if e.Field == field && e.Row == row {
			return e.Code
		}
	}
	return ""
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

func (c *Lab) renderFieldError(field string, row int, code string) app.UI {
	if code == "" {
		return nil
	}
	return el.P().
		ID(errorID(field, row)).
		Class("field-error").
		Attr("data-field", "error").
		Attr("data-for", field).
		Text(c.lang.T("field." + code))
}
