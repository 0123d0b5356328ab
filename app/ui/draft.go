package ui

import (
	"net/url"
	"strings"

	"reqlab/app/stage"
)

// draft is the request being edited in the form, and the refusals of its
// fields: everything the form holds, and the rules that turn it into a
// request. It is plain data, so the lab can also put a request through the
// form's rules without the form (a replay, a lesson's step).
type draft struct {
	method      string
	url         string
	query       []row
	headers     []row
	cookies     []row
	body        string
	contentType string
	network     string
	fresh       bool // a connection of the request's own
	fieldErrs   []stage.FieldError
}

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
func (d *draft) request() (req stage.Request, headerRows, cookieRows []int) {
	req = stage.Request{Method: d.method, URL: strings.TrimSpace(d.url), Headers: []stage.Header{}, Body: d.body, Network: d.network, FreshConnection: d.fresh}
	for i, h := range d.headers {
		if h.on && (h.name != "" || h.value != "") {
			req.Headers = append(req.Headers, stage.Header{Name: strings.TrimSpace(h.name), Value: h.value})
			headerRows = append(headerRows, i)
		}
	}
	if d.body != "" && d.contentType != "" && req.Header("Content-Type") == "" {
		req.Headers = append(req.Headers, stage.Header{Name: "Content-Type", Value: d.contentType})
		headerRows = append(headerRows, -1)
	}
	for i, k := range d.cookies {
		if k.name != "" || k.value != "" {
			req.Cookies = append(req.Cookies, stage.Cookie{Name: strings.TrimSpace(k.name), Value: k.value})
			cookieRows = append(cookieRows, i)
		}
	}
	return req, headerRows, cookieRows
}

// check runs the request's rules and keeps the refusals, with their rows
// counted as the form shows them.
func (d *draft) check() (stage.Request, bool) {
	req, headerRows, cookieRows := d.request()
	errs := req.Check()
	for i, e := range errs {
		switch e.Field {
		case stage.FieldHeaderName, stage.FieldHeaderValue:
			errs[i].Row = formRow(headerRows, e.Row)
		case stage.FieldCookieName, stage.FieldCookieValue:
			errs[i].Row = formRow(cookieRows, e.Row)
		}
	}
	d.fieldErrs = errs
	return req, errs == nil
}

func formRow(rows []int, reqRow int) int {
	if reqRow < 1 || reqRow > len(rows) || rows[reqRow-1] < 0 {
		return 0
	}
	return rows[reqRow-1] + 1
}

// load puts a request into the form, as "send again" and the history do.
func (d *draft) load(req stage.Request) {
	d.method, d.url, d.body, d.contentType, d.fresh = req.Method, req.URL, req.Body, "", req.FreshConnection
	if req.Network != "" {
		d.network = req.Network // a replay keeps its network; a lesson's step keeps the one chosen
	}
	d.query = parseQuery(req.URL)
	d.headers = nil
	for _, h := range req.Headers {
		switch strings.ToLower(h.Name) {
		case "host", "traceparent", "cookie", "content-length", "accept-encoding", "connection", "user-agent",
			"accept", "accept-language", "origin", "referer", "sec-ch-ua", "sec-ch-ua-mobile", "sec-ch-ua-platform",
			"sec-fetch-dest", "sec-fetch-mode", "sec-fetch-site", "pragma", "cache-control":
			continue // the browser's own, not the student's
		case "content-type":
			d.contentType = h.Value
			continue
		}
		d.headers = append(d.headers, row{name: h.Name, value: h.Value, on: true})
	}
	d.cookies = nil
	for _, k := range req.Cookies {
		d.cookies = append(d.cookies, row{name: k.Name, value: k.Value, on: true})
	}
	d.fieldErrs = nil
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

// networkKey names a network preset in the messages.
func networkKey(id string) string {
	if id == "" {
		return "none"
	}
	return id
}

func (d *draft) cookieList() []stage.Cookie {
	var out []stage.Cookie
	for _, k := range d.cookies {
		if k.name != "" || k.value != "" {
			out = append(out, stage.Cookie{Name: k.name, Value: k.value})
		}
	}
	return out
}

// rowsOf returns the form's rows of a kind.
func (d *draft) rowsOf(kind string) *[]row {
	switch kind {
	case "query":
		return &d.query
	case "header":
		return &d.headers
	default:
		return &d.cookies
	}
}

// edited follows a change to a row; query rows rewrite the URL.
func (d *draft) edited(kind string) {
	if kind == "query" {
		d.url = withQuery(d.url, d.query)
	}
}

// fieldError returns the code of the refusal of a field (and row), or "".
func (d *draft) fieldError(field string, row int) string {
	for _, e := range d.fieldErrs {
		if e.Field == field && e.Row == row {
			return e.Code
		}
	}
	return ""
}
