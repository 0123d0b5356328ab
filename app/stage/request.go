package stage

import (
	"encoding/json"
	"net/url"
	"strings"
)

// SitePrefix is where the sample site lives: the lab sends requests there only.
const SitePrefix = "/site/"

// Limits on a request the lab sends.
const (
	MaxURLBytes    = 2 << 10  // path and query
	MaxHeaderBytes = 16 << 10 // the headers the student adds, with the Cookie header their cookies make
	MaxBodyBytes   = 64 << 10
	MaxCookieBytes = 4096 // one cookie's name and value: browsers keep no larger one
)

// Methods are the methods the lab can send.
var Methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}

// Cookie is one cookie the lab puts in the browser's jar for the sample site
// before a request, so that the browser itself sends it.
type Cookie struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// FieldError says why one field of a request is refused. Code is stable and
// language-neutral; the page turns it into a sentence. Row counts from 1 in
// the header and cookie rows, 0 elsewhere.
type FieldError struct {
	Field string `json:"field"`
	Row   int    `json:"row,omitempty"`
	Code  string `json:"code"`
}

// Fields and codes of FieldError.
const (
	FieldMethod      = "method"
	FieldURL         = "url"
	FieldHeaderName  = "header-name"
	FieldHeaderValue = "header-value"
	FieldHeaders     = "headers"
	FieldCookieName  = "cookie-name"
	FieldCookieValue = "cookie-value"
	FieldBody        = "body"
	FieldNetwork     = "network"

	CodeURLEmpty        = "url-empty"
	CodeURLOutside      = "url-outside-site"
	CodeURLTooLong      = "url-too-long"
	CodeURLInvalid      = "url-invalid"
	CodeMethodUnknown   = "method-unknown"
	CodeHeaderName      = "header-name-invalid"
	CodeHeaderValue     = "header-value-invalid"
	CodeHeaderForbidden = "header-forbidden"
	CodeHeadersTooLarge = "headers-too-large"
	CodeCookieName      = "cookie-name-invalid"
	CodeCookieValue     = "cookie-value-invalid"
	CodeCookieTooLarge  = "cookie-too-large"
	CodeBodyJSON        = "body-invalid-json"
	CodeBodyTooLarge    = "body-too-large"
	CodeBodyNotAllowed  = "body-not-allowed"
	CodeNetworkUnknown  = "network-unknown"
)

// Check returns what is wrong with a request the lab is asked to send, one
// FieldError per refused field, or nil. The form and the server apply the same
// rules, so a request that reaches the server by another way is judged alike.
func (r Request) Check() []FieldError {
	var errs []FieldError
	add := func(field string, row int, code string) {
		errs = append(errs, FieldError{Field: field, Row: row, Code: code})
	}
	if !validMethod(r.Method) {
		add(FieldMethod, 0, CodeMethodUnknown)
	}
	if _, ok := NetworkOf(r.Network); !ok {
		add(FieldNetwork, 0, CodeNetworkUnknown)
	}
	if code := checkURL(r.URL); code != "" {
		add(FieldURL, 0, code)
	}
	for i, h := range r.Headers {
		switch {
		case !isToken(h.Name):
			add(FieldHeaderName, i+1, CodeHeaderName)
		case forbiddenHeader(h.Name):
			add(FieldHeaderName, i+1, CodeHeaderForbidden)
		}
		if !validHeaderValue(h.Value) {
			add(FieldHeaderValue, i+1, CodeHeaderValue)
		}
	}
	for i, c := range r.Cookies {
		if !isToken(c.Name) {
			add(FieldCookieName, i+1, CodeCookieName)
		}
		switch {
		case !validCookieValue(c.Value):
			add(FieldCookieValue, i+1, CodeCookieValue)
		case len(c.Name)+len(c.Value) > MaxCookieBytes:
			add(FieldCookieValue, i+1, CodeCookieTooLarge)
		}
	}
	if r.HeaderBytes() > MaxHeaderBytes {
		add(FieldHeaders, 0, CodeHeadersTooLarge)
	}
	switch {
	case r.Body == "":
	case r.Method == "GET" || r.Method == "HEAD":
		add(FieldBody, 0, CodeBodyNotAllowed) // fetch itself refuses a body on these
	case len(r.Body) > MaxBodyBytes:
		add(FieldBody, 0, CodeBodyTooLarge)
	case isJSON(r.Header("Content-Type")) && !json.Valid([]byte(r.Body)):
		add(FieldBody, 0, CodeBodyJSON)
	}
	return errs
}

// Header returns the value of the first header named name, in any case.
func (r Request) Header(name string) string {
	for _, h := range r.Headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// HeaderBytes is the size on the wire of the headers the student added and
// of the Cookie header their cookies make: "Name: value\r\n" each.
func (r Request) HeaderBytes() int {
	n := 0
	for _, h := range r.Headers {
		n += len(h.Name) + 2 + len(h.Value) + 2
	}
	return n + CookieHeaderBytes(r.Cookies)
}

// CookieHeaderBytes is the size of the Cookie header that cookies make, the
// weight they add to every request: "Cookie: a=1; b=2\r\n".
func CookieHeaderBytes(cookies []Cookie) int {
	if len(cookies) == 0 {
		return 0
	}
	n := len("Cookie: ") + 2
	for i, c := range cookies {
		if i > 0 {
			n += 2 // "; "
		}
		n += len(c.Name) + 1 + len(c.Value)
	}
	return n
}

func isJSON(contentType string) bool {
	mt, _, _ := strings.Cut(strings.ToLower(contentType), ";")
	mt = strings.TrimSpace(mt)
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

func validMethod(m string) bool {
	for _, v := range Methods {
		if m == v {
			return true
		}
	}
	return false
}

// isToken reports whether s is an HTTP token (RFC 9110), as header and
// cookie names must be.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// validHeaderValue refuses CR, LF, NUL and the other control characters but
// tab: what would end a header line or smuggle another.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// validCookieValue allows the cookie-octets of RFC 6265: no controls,
// spaces, double quotes, commas, semicolons or backslashes.
func validCookieValue(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c <= 0x20 || c >= 0x7f || c == '"' || c == ',' || c == ';' || c == '\\' {
			return false
		}
	}
	return true
}

// forbiddenHeader reports whether a page may not set a header on fetch (the
// Fetch standard's forbidden request headers), or the lab reserves it.
func forbiddenHeader(name string) bool {
	n := strings.ToLower(name)
	if strings.HasPrefix(n, "proxy-") || strings.HasPrefix(n, "sec-") {
		return true
	}
	switch n {
	case "accept-charset", "accept-encoding", "access-control-request-headers",
		"access-control-request-method", "connection", "content-length", "cookie",
		"cookie2", "date", "dnt", "expect", "host", "keep-alive", "origin", "referer",
		"set-cookie", "te", "trailer", "transfer-encoding", "upgrade", "via",
		"x-http-method", "x-http-method-override", "x-method-override",
		"traceparent", "tracestate": // the lab's own: they tie the request to its run
		return true
	}
	return false
}

func checkURL(raw string) string {
	switch {
	case strings.TrimSpace(raw) == "":
		return CodeURLEmpty
	case len(raw) > MaxURLBytes:
		return CodeURLTooLong
	case !strings.HasPrefix(raw, SitePrefix):
		return CodeURLOutside
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Fragment != "" ||
		strings.ContainsAny(raw, " \t\r\n\\") {
		return CodeURLInvalid
	}
	// A dot segment would let "/site/../api" leave the sample site.
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return CodeURLOutside
		}
	}
	return ""
}
