package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/browser"
	"reqlab/app/stage"
	"reqlab/app/ui/el"
)

// course is one course as the sample site's API sends it.
type course struct {
	ID          int64  `json:"id"`
	Titulo      string `json:"titulo"`
	Nivel       string `json:"nivel"`
	Horas       int    `json:"horas"`
	Descripcion string `json:"descripcion"`
}

// responseView is an answer as the client understood it: the raw body and,
// when the JSON is one the page knows, the data to build HTML from.
type responseView struct {
	method  string // the request's: HEAD asks for no body
	page    bool   // an HTML page the browser drew in the lesson's frame
	status  int
	headers []stage.Header
	pretty  string // the body, indented when it is JSON
	isJSON  bool

	courses []course // a list of courses
	course  *course  // one course
	message string   // the "error" of an error body
	list    bool
	fields  []field // any other object: its members, in order of name
}

// field is one member of a JSON object the page shows as it is.
type field struct{ name, value string }

// parseResponse reads the body of an answer to a request of method as JSON
// and picks out what the page can show. It returns the JSON parser's
// complaint, if any.
func parseResponse(method string, r browser.Response) (responseView, string) {
	v := responseView{method: method, status: r.Status, headers: r.Headers, pretty: r.Body}
	if r.Body == "" {
		return v, ""
	}
	body := []byte(r.Body)
	if !json.Valid(body) {
		var probe any
		err := json.Unmarshal(body, &probe)
		return v, err.Error()
	}
	v.isJSON = true
	var buf bytes.Buffer
	if json.Indent(&buf, body, "", "  ") == nil {
		v.pretty = buf.String()
	}
	switch body[firstNonSpace(body)] {
	case '[':
		if json.Unmarshal(body, &v.courses) == nil {
			v.list = true
		}
	case '{':
		var obj struct {
			course
			Error string `json:"error"`
		}
		if json.Unmarshal(body, &obj) == nil {
			if obj.Error != "" {
				v.message = obj.Error
			} else if obj.Titulo != "" {
				c := obj.course
				v.course = &c
			}
		}
		if v.message == "" && v.course == nil {
			var members map[string]json.RawMessage
			if json.Unmarshal(body, &members) == nil {
				for name, raw := range members {
					v.fields = append(v.fields, field{name: name, value: string(raw)})
				}
				sort.Slice(v.fields, func(i, j int) bool { return v.fields[i].name < v.fields[j].name })
			}
		}
	}
	return v, ""
}

func firstNonSpace(b []byte) int {
	for i, c := range b {
		if c != ' ' && c != '\n' && c != '\r' && c != '\t' {
			return i
		}
	}
	return 0
}

// items counts the records the HTML view shows.
func (v responseView) items() int {
	switch {
	case v.list:
		return len(v.courses)
	case v.course != nil:
		return 1
	case v.message != "":
		return 0 // an error message is shown, but it is no record
	}
	return len(v.fields)
}

// Response shows the answer: its status, the JSON as it came, the HTML the
// page built from it, and the request and answer as the server saw them.
type Response struct {
	app.Compo

	Lang Lang
	// View is the answer as the page read it; nil before any.
	View *responseView
	// Stored is the run as the server stored it, once it has.
	Stored *stage.Run
}

// Render draws the answer.
func (c *Response) Render() app.UI {
	l := c.Lang
	section := el.Section().Class("panel response").Aria("labelledby", "response-heading")
	if c.View == nil {
		return section.Body(
			el.H2().ID("response-heading").Text(l.T("response.heading")),
			el.P().Class("intro").Text(l.T("response.none")),
		)
	}
	v := c.View
	statusClass := "status status-" + strconv.Itoa(v.status/100) + "xx"
	return section.Body(
		el.H2().ID("response-heading").Text(l.T("response.heading")),
		el.P().Class("status-line").Body(
			el.Span().Text(l.T("response.status")+": "),
			app.Output().Class(statusClass).Attr("data-field", "status").Attr("data-status", v.status).Text(l.Status(v.status)),
		),
		el.Div().Class("response-views").Body(
			el.Figure().Class("response-json").Body(
				el.FigCaption().Text(l.T("response.json")),
				app.If(v.page, func() app.UI {
					return el.P().Class("no-body").Attr("data-field", "response-body").Text(l.T("response.page"))
				}).ElseIf(v.pretty == "", func() app.UI {
					return el.P().Class("no-body").Attr("data-field", "response-body").Attr("data-empty", "true").Text(l.T(noBodyKey(v)))
				}).Else(func() app.UI {
					return el.Pre().Attr("data-field", "response-body").Attr("tabindex", 0).Text(v.pretty)
				}),
				app.If(!v.isJSON && v.pretty != "", func() app.UI {
					return el.P().Class("hint").Text(l.T("response.raw"))
				}),
			),
			el.Figure().Class("response-html").Body(
				el.FigCaption().Text(l.T("response.html")),
				el.Div().Class("rendered").Attr("data-field", "rendered").Body(c.renderData(v)),
			),
		),
		// Last, so that its arrival moves nothing above it.
		c.renderReceived(),
	)
}

// renderData is the HTML the client builds from the JSON, as any web page
// does with the data its backend sends.
func (c *Response) renderData(v *responseView) app.UI {
	l := c.Lang
	switch {
	case v.list && len(v.courses) == 0:
		return el.P().Text(l.T("response.empty"))
	case v.list:
		return el.Ul().Class("courses").Body(app.Range(v.courses).Slice(func(i int) app.UI {
			return renderCourse(l, v.courses[i])
		}))
	case v.course != nil:
		return el.Ul().Class("courses").Body(renderCourse(l, *v.course))
	case v.message != "":
		return el.P().Class("site-error").Text(v.message)
	case v.page:
		return el.P().Class("no-body").Text(l.T("response.page-drawn"))
	case v.pretty == "":
		return el.P().Class("no-body").Text(l.T("response.nothing-built"))
	case len(v.fields) > 0:
		return el.Dl().Class("members").Body(app.Range(v.fields).Slice(func(i int) app.UI {
			return el.Div().Body(el.Dt().Text(v.fields[i].name), el.Dd().Body(el.Code().Text(v.fields[i].value)))
		}))
	}
	return nil
}

// noBodyKey names why an answer has no body: HEAD asks for none, 204 and
// 304 never carry one, and others simply came without.
func noBodyKey(v *responseView) string {
	switch {
	case v.method == "HEAD":
		return "response.no-body-head"
	case v.status == 204 || v.status == 304:
		return "response.no-body-status"
	}
	return "response.no-body"
}

func renderCourse(l Lang, co course) app.UI {
	return el.Li().Class("course").Attr("data-course-id", co.ID).Body(
		el.Strong().Text(co.Titulo),
		el.Span().Class("course-meta").Text(" · "+co.Nivel+" · "+l.Tf("response.hours", co.Horas)),
		el.P().Text(co.Descripcion),
	)
}

// renderReceived shows the exchange as the server saw it: the request
// exactly as it arrived (the line, every header, the browser's own among
// them, and the body, with the bytes they weighed) and the response's status
// and headers as the server sent them, Cache-Control and Set-Cookie among
// them. A request the cache answered never reached it: then the headers are
// the ones the browser kept.
// serverAddr says where the browser's request arrived, as the server saw
// its connection: the address and port reached, the browser's port, and
// whether the connection was new.
func serverAddr(l Lang, d stage.Detail) string {
	if d.ServerAddr == "" {
		return l.T("received.addr-unknown")
	}
	s := l.Tf("received.addr", d.ServerAddr, d.ClientPort)
	switch {
	case d.ConnRequest == 1:
		s += " " + l.T("received.conn-new")
	case d.ConnRequest > 1:
		s += " " + l.Tf("received.conn-reused", d.ConnRequest)
	}
	return s
}

func (c *Response) renderReceived() app.UI {
	run := c.Stored
	if run == nil {
		return nil
	}
	l := c.Lang
	receive, reached := finals(*run)[stage.Receive]
	// Where the browser's cache answered, receive ends "not reached": the
	// request never came to the server, and nothing was received there.
	if !reached || receive.Detail.Reason == stage.ReasonNotReached {
		var b strings.Builder
		if c.View != nil {
			for _, h := range c.View.headers {
				fmt.Fprintf(&b, "%s: %s\n", h.Name, h.Value)
			}
		}
		where, shown := receivedElsewhere(l, *run) // the browser's cache, or a proxy
		return el.Div().Class("received").Attr("data-field", "received").Body(
			el.P().Class("server-addr").Attr("data-field", "server-addr").Text(where),
			el.P().Text(l.T("received.none")),
			el.P().Text(shown),
			el.Pre().Attr("tabindex", 0).Attr("data-field", "response-headers").Text(b.String()),
		)
	}
	var req strings.Builder
	fmt.Fprintf(&req, "%s %s HTTP/1.1\n", run.Request.Method, run.Request.URL)
	for _, h := range run.Request.Headers {
		fmt.Fprintf(&req, "%s: %s\n", h.Name, h.Value)
	}
	if run.Request.Body != "" {
		req.WriteString("\n" + run.Request.Body)
	}
	var resp strings.Builder
	if r := run.Response; r != nil {
		resp.WriteString(StatusLine(r.Status) + "\n")
		for _, h := range r.Headers {
			fmt.Fprintf(&resp, "%s: %s\n", h.Name, h.Value)
		}
	}
	return el.Div().Class("received").Attr("data-field", "received").Body(
		el.P().Class("server-addr").Attr("data-field", "server-addr").Text(serverAddr(l, receive.Detail)),
		app.Details().Open(true).Body(
			el.Summary().Text(l.Tf("received.heading", receive.Detail.HeaderBytes, receive.Detail.CookieBytes)),
			el.Pre().Attr("tabindex", 0).Attr("data-field", "received-request").Text(req.String()),
		),
		app.Details().Open(true).Body(
			el.Summary().Text(l.T("received.response")),
			el.Pre().Attr("tabindex", 0).Attr("data-field", "response-headers").Text(resp.String()),
		),
	)
}
