package browser

import (
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/stage"
)

// Response is what fetch gave back.
type Response struct {
	Status  int
	Headers []stage.Header
	Body    string
}

// Fetch sends a request with the page's own fetch, so it is the browser that
// resolves, connects, uses its cache and its cookie jar as for any page. It
// waits for the whole body; firstByte, if not nil, is called as soon as the
// answer's status and headers are in, before the body. An anonymous request
// goes without credentials: no cookies, and, in browsers, on connections
// kept apart from the page's.
func Fetch(method, url string, headers []stage.Header, body string, anonymous bool, firstByte func()) (Response, error) {
	return fetch(method, url, headers, body, anonymous, firstByte, 0)
}

// fetch is Fetch, given up after timeout (0 for never: a student's request
// takes as long as it takes).
func fetch(method, url string, headers []stage.Header, body string, anonymous bool, firstByte func(), timeout time.Duration) (Response, error) {
	h := app.Window().Get("Headers").New()
	for _, v := range headers {
		h.Call("append", v.Name, v.Value)
	}
	opts := map[string]any{
		"method":      method,
		"headers":     h,
		"credentials": "same-origin",
		"cache":       "default",
		"redirect":    "follow",
	}
	if anonymous {
		opts["credentials"] = "omit"
	}
	if body != "" {
		opts["body"] = body
	}
	if timeout > 0 {
		opts["signal"] = app.Window().Get("AbortSignal").Call("timeout", timeout.Milliseconds())
	}
	resp, err := await(app.Window().Call("fetch", url, opts))
	if err != nil {
		return Response{}, err
	}
	if firstByte != nil {
		firstByte()
	}
	out := Response{Status: resp.Get("status").Int()}
	it := resp.Get("headers").Call("entries")
	for {
		next := it.Call("next")
		if next.Get("done").Bool() {
			break
		}
		pair := next.Get("value")
		out.Headers = append(out.Headers, stage.Header{Name: pair.Index(0).String(), Value: pair.Index(1).String()})
	}
	text, err := await(resp.Call("text"))
	if err != nil {
		return out, err
	}
	out.Body = text.String()
	return out, nil
}
