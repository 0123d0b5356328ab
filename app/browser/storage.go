package browser

import (
	"encoding/json"
	"strings"
	"sync"
	"time"

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
// site. Cookies the lab set before and that are gone now are deleted, with
// the attributes they were set with: a partitioned cookie deleted without
// Partitioned stays, and a 431 would then follow every request. The page
// itself (at /) cannot read them back: they belong to /site/. Whether the
// browser kept them, the next request tells (its Cookie header, as the
// server received it), and Keeps(LabCookieAttrs()) tells beforehand.
func SetCookies(cookies []stage.Cookie) {
	doc := app.Window().Get("document")
	store := app.Window().Get("localStorage")
	before := LabCookies()
	attrs := "; path=" + stage.SitePrefix + "; " + LabCookieAttrs()
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
			doc.Set("cookie", name+"="+attrs+"; max-age=0")
		}
	}
	b, _ := json.Marshal(names)
	store.Call("setItem", "reqlab.cookies", string(b))
}

// LabCookies returns the names of the cookies the lab last put in the
// browser's jar for the sample site (those of the run under way, or of the
// last one).
func LabCookies() []string {
	var names []string
	if v := app.Window().Get("localStorage").Call("getItem", "reqlab.cookies"); v.Type() == app.TypeString {
		json.Unmarshal([]byte(v.String()), &names)
	}
	return names
}

// LabCookieAttrs returns the attributes the lab sets its cookies with, after
// their path. Over https the lab may be embedded in a course on another
// site, where its cookies are third-party: browsers keep them only
// partitioned by that site (CHIPS). Over http no such cookie can be set
// (Partitioned needs Secure), and a page of another site keeps none.
func LabCookieAttrs() string {
	if app.Window().Get("location").Get("protocol").String() == "https:" {
		return "SameSite=None; Secure; Partitioned"
	}
	return "SameSite=Strict"
}

// keeps holds what Keeps found, by attributes: a browser's choice for a page
// does not change while the page lives.
var keeps = struct {
	sync.Mutex
	m map[string]bool
}{m: map[string]bool{}}

// Keeps reports whether the browser keeps, for this page, a cookie set with
// attrs (a Set-Cookie's attributes, such as "SameSite=None; Secure;
// Partitioned"; no path, domain or lifetime). It measures it: it sets a
// probe cookie with them for this page's own path, reads the jar back and
// deletes the probe with the same attributes. What a browser keeps depends
// on where the page lives (framed by a page of another site, over http or
// https) and on its settings (third-party cookies blocked), the same for a
// script's cookie as for a Set-Cookie answering this page's requests.
func Keeps(attrs string) bool {
	keeps.Lock()
	defer keeps.Unlock()
	if kept, ok := keeps.m[attrs]; ok {
		return kept
	}
	doc := app.Window().Get("document")
	set := "reqlab.probe=1; path=" + app.Window().Get("location").Get("pathname").String()
	if attrs != "" {
		set += "; " + attrs
	}
	doc.Set("cookie", set)
	kept := false
	for _, c := range strings.Split(doc.Get("cookie").String(), ";") {
		if strings.TrimSpace(c) == "reqlab.probe=1" {
			kept = true
		}
	}
	doc.Set("cookie", set+"; max-age=0")
	keeps.m[attrs] = kept
	return kept
}

// GetJSON fetches a URL of the lab's own API and decodes its JSON into v. It
// returns the status.
func GetJSON(url string, v any) (int, error) { return apiJSON("GET", url, "", v) }

// AsSession asks the lab's own API with method, as the session whose token
// is given, and decodes its JSON answer into v. It returns the status. The
// token goes in the Authorization header, never in the URL, which logs,
// histories and Referers keep.
func AsSession(method, url, token string, v any) (int, error) { return apiJSON(method, url, token, v) }

// APITimeout is how long the page waits for the lab's own API, which
// answers in milliseconds: a read that takes longer (a server stalled) is
// given up, and the page goes on without it.
const APITimeout = 5 * time.Second

// apiJSON asks the lab's own API with method and decodes its JSON answer
// into v. It returns the status.
func apiJSON(method, url, token string, v any) (int, error) {
	var headers []stage.Header
	if token != "" {
		headers = []stage.Header{{Name: "Authorization", Value: "Bearer " + token}}
	}
	resp, err := fetch(method, url, headers, "", false, nil, APITimeout)
	if err != nil {
		return 0, err
	}
	if err := json.Unmarshal([]byte(resp.Body), v); err != nil {
		return resp.Status, err
	}
	return resp.Status, nil
}
