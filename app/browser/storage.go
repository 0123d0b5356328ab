package browser

import (
	"encoding/json"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/stage"
)

// Session returns this browser's lab session token, as the lab's server
// issued it and the page kept it in local storage ("" before the first): the
// history lists the runs of this session. (A page of an older lab kept an id
// of its own making; the server signs it into a token at the next visit.)
func Session() string {
	v := app.Window().Get("localStorage").Call("getItem", "reqlab.session")
	if v.Type() != app.TypeString || len(v.String()) > 100 || !tokenChars(v.String()) {
		return ""
	}
	return v.String()
}

// KeepSession keeps the session token the server issued.
func KeepSession(token string) {
	app.Window().Get("localStorage").Call("setItem", "reqlab.session", token)
}

// tokenChars reports whether s holds only what a session token may: hex
// digits, a dot, base64url.
func tokenChars(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// SetCookies puts cookies in the browser's own jar for the sample site, so
// that the browser sends them with every request there, as it would for any
// site. Cookies the lab set before and that are gone now are deleted. The
// page itself (at /) cannot read them back: they belong to /site/.
func SetCookies(cookies []stage.Cookie) {
	doc := app.Window().Get("document")
	store := app.Window().Get("localStorage")
	var before []string
	if v := store.Call("getItem", "reqlab.cookies"); v.Type() == app.TypeString {
		json.Unmarshal([]byte(v.String()), &before)
	}
	attrs := "; path=" + stage.SitePrefix + "; SameSite=Strict"
	if app.Window().Get("location").Get("protocol").String() == "https:" {
		// Embedded in a course on another site, the lab's cookies are
		// third-party: browsers keep them only partitioned (CHIPS).
		attrs = "; path=" + stage.SitePrefix + "; SameSite=None; Secure; Partitioned"
	}
	now := make(map[string]bool, len(cookies))
	names := make([]string, 0, len(cookies))
	for _, c := range cookies {
		doc.Set("cookie", c.Name+"="+c.Value+attrs)
		if !now[c.Name] {
			names = append(names, c.Name)
		}
		now[c.Name] = true
	}
	for _, name := range before {
		if !now[name] && !strings.ContainsAny(name, "=;") {
			// With the attributes it was set with: a partitioned cookie
			// deleted without Partitioned stays.
			doc.Set("cookie", name+"="+attrs+"; max-age=0")
		}
	}
	b, _ := json.Marshal(names)
	store.Call("setItem", "reqlab.cookies", string(b))
}

// GetJSON fetches a URL of the lab's own API and decodes its JSON into v. It
// returns the status.
func GetJSON(url string, v any) (int, error) { return apiJSON("GET", url, "", v) }

// AsSession asks the lab's own API with method, as the session whose token
// is given, and decodes its JSON answer into v. It returns the status. The
// token goes in the Authorization header, never in the URL, which logs,
// histories and Referers keep.
func AsSession(method, url, token string, v any) (int, error) { return apiJSON(method, url, token, v) }

// apiJSON asks the lab's own API with method and decodes its JSON answer
// into v. It returns the status.
func apiJSON(method, url, token string, v any) (int, error) {
	var headers []stage.Header
	if token != "" {
		headers = []stage.Header{{Name: "Authorization", Value: "Bearer " + token}}
	}
	resp, err := Fetch(method, url, headers, "", false, nil)
	if err != nil {
		return 0, err
	}
	if err := json.Unmarshal([]byte(resp.Body), v); err != nil {
		return resp.Status, err
	}
	return resp.Status, nil
}
