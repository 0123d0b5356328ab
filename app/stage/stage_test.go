package stage

import (
	"math"
	"strings"
	"testing"
)

func TestTraceparentCarriesTheRunID(t *testing.T) {
	id := NewRunID()
	if !ValidRunID(id) {
		t.Fatalf("NewRunID() = %q, not a valid run id", id)
	}
	got, ok := RunIDFromTraceparent(Traceparent(id, NewRunSecret()))
	if !ok || got != id {
		t.Fatalf("RunIDFromTraceparent(Traceparent(%s)) = %q, %v", id, got, ok)
	}
	if NewRunID() == id {
		t.Fatal("two run ids are equal")
	}
}

func TestRunIDFromTraceparent(t *testing.T) {
	const id = "4bf92f3577b34da6a3ce929d0e0e4736"
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", id, true},
		{" 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00 ", id, true},
		{"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", id, true}, // a later version may add fields
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", "", false},
		{"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "", false},
		{"00-00000000000000000000000000000000-00f067aa0ba902b7-01", "", false},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "", false},
		{"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", "", false},
		{"00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", "", false},
		{"", "", false},
		{"garbage", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := RunIDFromTraceparent(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("got %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestRequestCheck(t *testing.T) {
	tests := []struct {
		name string
		req  Request
		want []FieldError
	}{
		{"the lab's first request", Request{Method: "GET", URL: "/site/api/cursos"}, nil},
		{"a query", Request{Method: "GET", URL: "/site/api/cursos?nivel=b%C3%A1sico"}, nil},
		{"empty", Request{Method: "GET", URL: "  "}, []FieldError{{Field: "url", Code: CodeURLEmpty}}},
		{"the lab's own API", Request{Method: "GET", URL: "/api/runs"}, []FieldError{{Field: "url", Code: CodeURLOutside}}},
		{"another host", Request{Method: "GET", URL: "http://example.com/site/"}, []FieldError{{Field: "url", Code: CodeURLOutside}}},
		{"scheme-relative", Request{Method: "GET", URL: "//example.com/site/"}, []FieldError{{Field: "url", Code: CodeURLOutside}}},
		{"dot segments", Request{Method: "GET", URL: "/site/../api/runs"}, []FieldError{{Field: "url", Code: CodeURLOutside}}},
		{"encoded dot segments", Request{Method: "GET", URL: "/site/%2e%2e/api"}, []FieldError{{Field: "url", Code: CodeURLOutside}}},
		{"a space", Request{Method: "GET", URL: "/site/api/cur sos"}, []FieldError{{Field: "url", Code: CodeURLInvalid}}},
		{"a fragment", Request{Method: "GET", URL: "/site/api/cursos#x"}, []FieldError{{Field: "url", Code: CodeURLInvalid}}},
		{"too long", Request{Method: "GET", URL: "/site/" + strings.Repeat("a", MaxURLBytes)}, []FieldError{{Field: "url", Code: CodeURLTooLong}}},
		{"unknown method", Request{Method: "BREW", URL: "/site/api/cursos"}, []FieldError{{Field: "method", Code: CodeMethodUnknown}}},
		{"headers and cookies", Request{Method: "POST", URL: "/site/api/cursos",
			Headers: []Header{{"X-Curso", "1"}, {"Content-Type", "application/json"}}, Cookies: []Cookie{{"tema", "oscuro"}},
			Body: `{"titulo":"Redes"}`}, nil},
		{"a header name that is not a token", Request{Method: "GET", URL: "/site/", Headers: []Header{{"X Curso", "1"}}},
			[]FieldError{{Field: FieldHeaderName, Row: 1, Code: CodeHeaderName}}},
		{"a header value with CR LF", Request{Method: "GET", URL: "/site/", Headers: []Header{{"A", "1"}, {"X-B", "1\r\nHost: evil"}}},
			[]FieldError{{Field: FieldHeaderValue, Row: 2, Code: CodeHeaderValue}}},
		{"a forbidden header", Request{Method: "GET", URL: "/site/", Headers: []Header{{"cookie", "a=1"}}},
			[]FieldError{{Field: FieldHeaderName, Row: 1, Code: CodeHeaderForbidden}}},
		{"a Sec- header", Request{Method: "GET", URL: "/site/", Headers: []Header{{"Sec-Fetch-Mode", "x"}}},
			[]FieldError{{Field: FieldHeaderName, Row: 1, Code: CodeHeaderForbidden}}},
		{"the lab's traceparent", Request{Method: "GET", URL: "/site/", Headers: []Header{{"Traceparent", "x"}}},
			[]FieldError{{Field: FieldHeaderName, Row: 1, Code: CodeHeaderForbidden}}},
		{"a cookie with a semicolon", Request{Method: "GET", URL: "/site/", Cookies: []Cookie{{"a", "1;b=2"}}},
			[]FieldError{{Field: FieldCookieValue, Row: 1, Code: CodeCookieValue}}},
		{"a cookie name with a space", Request{Method: "GET", URL: "/site/", Cookies: []Cookie{{"a b", "1"}}},
			[]FieldError{{Field: FieldCookieName, Row: 1, Code: CodeCookieName}}},
		{"headers past 16 KB", Request{Method: "GET", URL: "/site/", Headers: []Header{{"X-Big", strings.Repeat("x", MaxHeaderBytes)}}},
			[]FieldError{{Field: FieldHeaders, Code: CodeHeadersTooLarge}}},
		{"a cookie past 4 KB", Request{Method: "GET", URL: "/site/", Cookies: []Cookie{{"big", strings.Repeat("x", MaxCookieBytes)}}},
			[]FieldError{{Field: FieldCookieValue, Row: 1, Code: CodeCookieTooLarge}}},
		{"invalid JSON", Request{Method: "POST", URL: "/site/", Headers: []Header{{"Content-Type", "application/json; charset=utf-8"}}, Body: `{"a":`},
			[]FieldError{{Field: FieldBody, Code: CodeBodyJSON}}},
		{"text that is not JSON", Request{Method: "POST", URL: "/site/", Headers: []Header{{"Content-Type", "text/plain"}}, Body: `{"a":`}, nil},
		{"a body past 64 KB", Request{Method: "PUT", URL: "/site/", Body: strings.Repeat("x", MaxBodyBytes+1)},
			[]FieldError{{Field: FieldBody, Code: CodeBodyTooLarge}}},
		{"a body on GET", Request{Method: "GET", URL: "/site/", Body: "x"},
			[]FieldError{{Field: FieldBody, Code: CodeBodyNotAllowed}}},
		{"both", Request{Method: "", URL: "/x"}, []FieldError{{Field: "method", Code: CodeMethodUnknown}, {Field: "url", Code: CodeURLOutside}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.req.Check()
			if len(got) != len(tt.want) {
				t.Fatalf("Check() = %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("Check()[%d] = %v, want %v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestEventValidate(t *testing.T) {
	ok := Event{Stage: Wait, Side: Client, Phase: End, TMs: 3, DurMs: Ms(1.5), State: Done}
	tests := []struct {
		name   string
		change func(*Event)
		valid  bool
	}{
		{"a measured end", func(*Event) {}, true},
		{"nothing measured", func(e *Event) { e.DurMs = nil }, true},
		{"a start", func(e *Event) { e.Phase, e.State, e.DurMs = Start, Active, nil }, true},
		{"unknown stage", func(e *Event) { e.Stage = "teleport" }, false},
		{"wrong side", func(e *Event) { e.Side = Server }, false},
		{"start not active", func(e *Event) { e.Phase = Start }, false},
		{"end still active", func(e *Event) { e.State = Active }, false},
		{"unknown phase", func(e *Event) { e.Phase = "middle" }, false},
		{"negative time", func(e *Event) { e.TMs = -1 }, false},
		{"NaN duration", func(e *Event) { e.DurMs = Ms(math.NaN()) }, false},
		{"a day long", func(e *Event) { e.DurMs = Ms(86_400_000) }, false},
		{"huge detail", func(e *Event) { e.Detail.Error = strings.Repeat("x", 5000) }, false},
		{"negative rows", func(e *Event) { n := -1; e.Detail.Rows = &n }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ok
			tt.change(&e)
			if err := e.Validate(); (err == nil) != tt.valid {
				t.Errorf("Validate() = %v, want valid %v", err, tt.valid)
			}
		})
	}
}

func TestEveryStageHasOneSide(t *testing.T) {
	seen := map[ID]bool{}
	for _, id := range All() {
		if seen[id] {
			t.Errorf("stage %s listed twice", id)
		}
		seen[id] = true
		if _, ok := SideOf(id); !ok {
			t.Errorf("stage %s has no side", id)
		}
	}
	if len(seen) != 14 {
		t.Errorf("%d stages, the contract names 14", len(seen))
	}
}

func TestCookieHeaderBytes(t *testing.T) {
	cookies := []Cookie{{"tema", "oscuro"}, {"id", "42"}}
	// "Cookie: tema=oscuro; id=42\r\n"
	if got, want := CookieHeaderBytes(cookies), len("Cookie: tema=oscuro; id=42\r\n"); got != want {
		t.Errorf("CookieHeaderBytes = %d, want %d", got, want)
	}
	if CookieHeaderBytes(nil) != 0 {
		t.Error("no cookies weigh nothing")
	}
}
