package stage

import (
	"net/url"
	"strings"
)

// SitePrefix is where the sample site lives: the lab sends requests there only.
const SitePrefix = "/site/"

// MaxURLBytes bounds the path and query of a request.
const MaxURLBytes = 2048

// Methods are the methods the lab can send.
var Methods = []string{"GET"}

// FieldError says why one field of a request is refused. Code is stable and
// language-neutral; the page turns it into a sentence.
type FieldError struct {
	Field string `json:"field"`
	Code  string `json:"code"`
}

// Codes of FieldError.
const (
	CodeURLEmpty      = "url-empty"
	CodeURLOutside    = "url-outside-site"
	CodeURLTooLong    = "url-too-long"
	CodeURLInvalid    = "url-invalid"
	CodeMethodUnknown = "method-unknown"
)

// Check returns what is wrong with a request the lab is asked to send, one
// FieldError per refused field, or nil. The form and the server apply the same
// rules, so a request that reaches the server by another way is judged alike.
func (r Request) Check() []FieldError {
	var errs []FieldError
	if !validMethod(r.Method) {
		errs = append(errs, FieldError{Field: "method", Code: CodeMethodUnknown})
	}
	if code := checkURL(r.URL); code != "" {
		errs = append(errs, FieldError{Field: "url", Code: code})
	}
	return errs
}

func validMethod(m string) bool {
	for _, v := range Methods {
		if m == v {
			return true
		}
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
	if p, err := url.PathUnescape(u.Path); err != nil || strings.Contains(p, "/../") || strings.HasSuffix(p, "/..") {
		return CodeURLOutside
	}
	return ""
}
