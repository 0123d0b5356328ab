package stage

import (
	"strings"
	"testing"
)

// FuzzRequestCheck feeds the request rules anything: they never panic, and
// what they let through keeps the promises the lab relies on.
func FuzzRequestCheck(f *testing.F) {
	f.Add("GET", "/site/api/cursos", "X-Curso", "1", "tema", "oscuro", "", "")
	f.Add("POST", "/site/api/cursos", "Content-Type", "application/json", "", "", `{"titulo":"x"}`, "")
	f.Add("GET", "/site/../api", "Cookie", "a=1", "a b", "1;2", "", "fast-3g")
	f.Fuzz(func(t *testing.T, method, url, hname, hvalue, cname, cvalue, body, network string) {
		r := Request{Method: method, URL: url, Body: body, Network: network,
			Headers: []Header{{Name: hname, Value: hvalue}}, Cookies: []Cookie{{Name: cname, Value: cvalue}}}
		if r.Check() != nil {
			return
		}
		switch {
		case !strings.HasPrefix(url, SitePrefix) || len(url) > MaxURLBytes:
			t.Errorf("took a URL outside the site: %q", url)
		case strings.ContainsAny(hvalue, "\r\n") || strings.ContainsAny(hname, " :\r\n"):
			t.Errorf("took a header that breaks the request: %q: %q", hname, hvalue)
		case strings.ContainsAny(cvalue, ";, \r\n") || len(body) > MaxBodyBytes:
			t.Errorf("took a cookie %q or a body of %d bytes", cvalue, len(body))
		case r.HeaderBytes() > MaxHeaderBytes:
			t.Errorf("took %d bytes of headers", r.HeaderBytes())
		}
	})
}
