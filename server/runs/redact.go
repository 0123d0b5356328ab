package runs

import (
	"regexp"
	"strings"

	"reqlab/app/stage"
	"reqlab/server/store"
)

// What authorises writes to a run — its secret, the parent-id of its
// traceparent — must never be readable by anyone but its opener: a run's
// JSON, its HAR and the events its watchers receive are anyone's who has its
// link. So it is taken out of everything a run stores, before it is stored
// (and so before it is published): the request's headers and URL (where a
// student may type one; a page's navigation names its run by a page-load
// ticket instead, see package site/ticket), the answer, and every event's
// details.

// RedactedSpan stands where a traceparent's parent-id was: 16 hex digits
// still, so that the value reads as the traceparent it was (its trace-id, the
// run's public id, kept), but no run's secret. (A secret is random; that it
// be this one is a chance of one in 2^64.)
const RedactedSpan = "ffffffffffffffff"

// traceparentIn finds W3C traceparents in text: version, trace-id,
// parent-id, flags. The parent-id is the second group.
var traceparentIn = regexp.MustCompile(`([0-9a-f]{2}-[0-9a-f]{32}-)([0-9a-f]{16})(-[0-9a-f]{2})`)

// redactText takes secret out of s wherever it is, and the parent-id of any
// traceparent in it: whatever secret it carries, another run's included.
func redactText(s, secret string) string {
	if secret != "" && strings.Contains(s, secret) {
		s = strings.ReplaceAll(s, secret, RedactedSpan)
	}
	if len(s) >= 55 && strings.Count(s, "-") >= 3 {
		s = traceparentIn.ReplaceAllString(s, "${1}"+RedactedSpan+"${3}")
	}
	return s
}

// redactRequest returns req with secret, and any traceparent's parent-id,
// taken out of all it carries. req is not changed: its slices are copied.
func redactRequest(req stage.Request, secret string) stage.Request {
	req.URL = redactText(req.URL, secret)
	req.Body = redactText(req.Body, secret)
	req.Headers = redactHeaders(req.Headers, secret)
	if req.Cookies != nil {
		cookies := make([]stage.Cookie, len(req.Cookies))
		for i, c := range req.Cookies {
			cookies[i] = stage.Cookie{Name: redactText(c.Name, secret), Value: redactText(c.Value, secret)}
		}
		req.Cookies = cookies
	}
	return req
}

func redactHeaders(headers []stage.Header, secret string) []stage.Header {
	if headers == nil {
		return nil
	}
	out := make([]stage.Header, len(headers))
	for i, h := range headers {
		out[i] = stage.Header{Name: redactText(h.Name, secret), Value: redactText(h.Value, secret)}
	}
	return out
}

// redactBatch returns b with its run's secret, and any traceparent's
// parent-id, taken out of its request, its answer and its events' details.
// b's own request, answer and events are not changed.
func redactBatch(b store.Batch, secret string) store.Batch {
	if b.Request != nil {
		req := redactRequest(*b.Request, secret)
		b.Request = &req
	}
	if b.Response != nil {
		resp := *b.Response
		resp.Headers = redactHeaders(resp.Headers, secret)
		resp.Body = redactText(resp.Body, secret)
		b.Response = &resp
	}
	if b.Events != nil {
		events := make([]stage.Event, len(b.Events))
		for i, e := range b.Events {
			d := &e.Detail
			for _, s := range []*string{&d.Method, &d.URL, &d.Route, &d.SQL, &d.Error, &d.Protocol, &d.Network, &d.ServerAddr} {
				*s = redactText(*s, secret)
			}
			d.Reason = stage.Reason(redactText(string(d.Reason), secret))
			events[i] = e
		}
		b.Events = events
	}
	return b
}
