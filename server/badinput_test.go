package main

import (
	"fmt"
	"strings"
	"testing"

	"reqlab/app/stage"
	"reqlab/app/wire"
)

// badRequests are the inputs the lab refuses, each with the field it blames.
var badRequests = []struct {
	name  string
	req   stage.Request
	field string
	row   int
}{
	{"a URL outside the sample site", stage.Request{Method: "GET", URL: "/api/runs"}, stage.FieldURL, 0},
	{"a URL past 2 KB", stage.Request{Method: "GET", URL: "/site/" + strings.Repeat("a", stage.MaxURLBytes)}, stage.FieldURL, 0},
	{"a header name that is not a token", stage.Request{Method: "GET", URL: "/site/api/cursos",
		Headers: []stage.Header{{Name: "X Curso", Value: "1"}}}, stage.FieldHeaderName, 1},
	{"a header value with CR LF", stage.Request{Method: "GET", URL: "/site/api/cursos",
		Headers: []stage.Header{{Name: "X-Curso", Value: "1\r\nX-Otra: 2"}}}, stage.FieldHeaderValue, 1},
	{"a forbidden header", stage.Request{Method: "GET", URL: "/site/api/cursos",
		Headers: []stage.Header{{Name: "Cookie", Value: "a=1"}}}, stage.FieldHeaderName, 1},
	{"a cookie value with a semicolon", stage.Request{Method: "GET", URL: "/site/api/cursos",
		Cookies: []stage.Cookie{{Name: "a", Value: "1;b=2"}}}, stage.FieldCookieValue, 1},
	{"headers past 16 KB", stage.Request{Method: "GET", URL: "/site/api/cursos",
		Headers: []stage.Header{{Name: "X-Grande", Value: strings.Repeat("x", stage.MaxHeaderBytes)}}}, stage.FieldHeaders, 0},
	{"a cookie past 4 KB", stage.Request{Method: "GET", URL: "/site/api/cursos",
		Cookies: []stage.Cookie{{Name: "a", Value: strings.Repeat("x", stage.MaxCookieBytes)}}}, stage.FieldCookieValue, 1},
	{"invalid JSON for a JSON body", stage.Request{Method: "POST", URL: "/site/api/cursos",
		Headers: []stage.Header{{Name: "Content-Type", Value: "application/json"}}, Body: `{"titulo":`}, stage.FieldBody, 0},
	{"a body past 64 KB", stage.Request{Method: "POST", URL: "/site/api/cursos", Body: strings.Repeat("x", stage.MaxBodyBytes+1)}, stage.FieldBody, 0},
}

// The form is not the only way in: the server refuses the same inputs with a
// JSON error that names the field, and stores nothing.
func TestServerRefusesBadRequestsAndStoresNothing(t *testing.T) {
	l := startLab(t, nil)
	s := dialLab(t, l)
	for _, tt := range badRequests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req
			s.send(wire.Message{Type: wire.Start, Ref: 7, Request: &req})
			m := s.read()
			if m.Type != wire.Error || m.Code != wire.CodeBadRequest || m.Ref != 7 {
				t.Fatalf("answer %+v, want a bad-request error", m)
			}
			if len(m.Fields) != 1 || m.Fields[0].Field != tt.field || m.Fields[0].Row != tt.row {
				t.Errorf("fields %+v, want %s row %d", m.Fields, tt.field, tt.row)
			}
		})
	}
	if runs := countRows(t, l, "runs"); runs != 0 {
		t.Errorf("%d runs stored from refused requests", runs)
	}
}

// In the page, each bad input gets its message beside its field, in the
// page's language, and starts no run.
func TestBrowserFormRefusesBadInput(t *testing.T) {
	l := startLab(t, nil)
	ctx := newBrowser(t)
	openLab(t, ctx, l.url+"/")

	// setValue puts text in a field as a paste does.
	setValue := func(sel, v string) {
		eval[bool](t, ctx, fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q;
			e.dispatchEvent(new Event("input", {bubbles: true})); return true })()`, sel, v))
	}
	tests := []struct {
		name    string
		fill    func()
		field   string // the field the message is for
		control string // the control marked invalid, if the field has one
		message string // a word of its message
	}{
		{"a header name that is not a token", func() {
			addRow(t, ctx, "header", 1)
			typeInto(t, ctx, `.rows-header [data-row="1"] [data-field="header-name"]`, "X Curso")
		}, "header-name", `.rows-header [data-row="1"] [data-field="header-name"]`, "sin espacios"},
		{"a forbidden header", func() {
			typeInto(t, ctx, `.rows-header [data-row="1"] [data-field="header-name"]`, "Cookie")
		}, "header-name", `.rows-header [data-row="1"] [data-field="header-name"]`, "no deja a una página"},
		{"a cookie value with a semicolon", func() {
			click(t, ctx, `.rows-header [data-action="remove-header"]`)
			addRow(t, ctx, "cookie", 1)
			typeInto(t, ctx, `[data-field="cookie-name"]`, "a")
			typeInto(t, ctx, `[data-field="cookie-value"]`, "1;b=2")
		}, "cookie-value", `[data-field="cookie-value"]`, "punto y coma"},
		{"a cookie past 4 KB", func() {
			setValue(`[data-field="cookie-value"]`, strings.Repeat("x", stage.MaxCookieBytes))
		}, "cookie-value", `[data-field="cookie-value"]`, "4096"},
		{"headers past 16 KB", func() {
			click(t, ctx, `.rows-cookie [data-action="remove-cookie"]`)
			addRow(t, ctx, "header", 1)
			typeInto(t, ctx, `.rows-header [data-row="1"] [data-field="header-name"]`, "X-Grande")
			setValue(`.rows-header [data-row="1"] [data-field="header-value"]`, strings.Repeat("x", stage.MaxHeaderBytes))
		}, "headers", "", "16 KB"},
		{"invalid JSON", func() {
			click(t, ctx, `.rows-header [data-action="remove-header"]`)
			choose(t, ctx, `[data-field="method"]`, "POST")
			choose(t, ctx, `[data-field="content-type"]`, "application/json")
			typeInto(t, ctx, `[data-field="body"]`, `{"titulo":`)
		}, "body", `[data-field="body"]`, "no es JSON"},
		{"a body past 64 KB", func() {
			choose(t, ctx, `[data-field="content-type"]`, "text/plain")
			setValue(`[data-field="body"]`, strings.Repeat("x", stage.MaxBodyBytes+1))
		}, "body", `[data-field="body"]`, "64 KB"},
		{"a URL outside the sample site", func() {
			setValue(`[data-field="body"]`, "")
			typeInto(t, ctx, `[data-field="url"]`, "/api/runs")
		}, "url", `[data-field="url"]`, "/site/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fill()
			click(t, ctx, `[data-action="send"]`)
			waitFor(t, ctx, "the message "+tt.message, fmt.Sprintf(`Array.from(document.querySelectorAll('[data-field="error"][data-for="%s"]')).some(e => e.textContent.includes(%q))`, tt.field, tt.message))
			if tt.control != "" {
				ok := eval[bool](t, ctx, fmt.Sprintf(`(() => { const c = document.querySelector(%q);
					const ids = (c.getAttribute("aria-describedby") || "").split(" ");
					return c.getAttribute("aria-invalid") === "true" && ids.some(id => { const e = document.getElementById(id); return e && e.textContent.includes(%q) }) })()`, tt.control, tt.message))
				if !ok {
					t.Errorf("%s is not marked invalid and pointed at its message", tt.control)
				}
			}
			if id := eval[string](t, ctx, runIDJS); id != "" {
				t.Fatalf("a refused request started run %s", id)
			}
		})
	}
	var list struct{ Runs []any }
	getJSON(t, l.url+"/api/runs?session="+eval[string](t, ctx, `localStorage.getItem("reqlab.session")`), &list)
	if len(list.Runs) != 0 {
		t.Errorf("%d runs stored from refused requests", len(list.Runs))
	}
}
