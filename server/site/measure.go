package site

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"reqlab/app/stage"
	"reqlab/server/store"
)

// measure holds what the server measured of one request, stage by stage.
type measure struct {
	arrived, received     time.Time    // receive: first byte in, request read
	routeStart, routed    time.Time    // route: the mux starts, a handler is chosen
	pattern               string       // the route chosen, "" for none
	reason                stage.Reason // why no route was chosen
	refused               bool         // refused before routing: the route stage did not run
	query                 store.Query  // the query that ran, if ran is set
	ran                   bool
	queryErr              error
	message               func(error) string // the store's words for queryErr (store.Store.Message)
	respondStart, flushed time.Time          // respond: the answer is being made, it is on the wire

	network     string        // the simulated network the answer was held back by
	method, uri string        // the request line's method and target
	request     stage.Request // as it arrived, kept for a traced request
	headerBytes int64         // the request line and headers, on the wire
	cookieBytes int64         // the share of them that is Cookie
	bodyBytes   int64         // the request body read
	serverAddr  string        // the address and port the browser reached
	clientPort  int           // the browser's end of the connection
	connRequest int           // which request on the connection (1: a new one)

	// The numbers the events point to live here, with the measure, rather
	// than in an allocation each: one duration per server stage.
	durs      [4]float64
	respBytes int64
}

// measureOf is the measure of the request a handler answers through w: the
// measure travels with the response writer, not in a copy of the request.
func measureOf(w http.ResponseWriter) *measure {
	if rw, ok := w.(*responseWriter); ok {
		return &rw.m
	}
	return &measure{} // a handler called outside ServeHTTP, as in a unit test
}

// route notes that the mux chose a handler for pattern ("" for none).
func (m *measure) route(pattern string) {
	if m != nil && m.routed.IsZero() {
		m.routed, m.pattern = time.Now(), pattern
	}
}

// queried notes a query that ran (and maybe failed).
func (m *measure) queried(q store.Query, err error) {
	if m != nil {
		m.query, m.ran, m.queryErr = q, true, err
	}
}

// noRoute notes that no route takes the request, and why.
func (m *measure) noRoute(reason stage.Reason) {
	if m != nil {
		m.route("")
		m.reason = reason
	}
}

// refuse notes that the request is refused before any route is looked
// for, and why: routing, and so the database, never happen.
func (m *measure) refuse(reason stage.Reason) {
	if m != nil {
		m.noRoute(reason)
		m.refused = true
	}
}

// responding notes that the answer is being made.
func (m *measure) responding() {
	if m != nil && m.respondStart.IsZero() {
		m.respondStart = time.Now()
	}
}

// serverTiming renders the stages measured so far as a Server-Timing header,
// so that the browser's own tools see them too. Respond is not in it: it is
// still under way when the header is sent.
func (m *measure) serverTiming() string {
	var buf [160]byte
	b := buf[:0]
	add := func(name stage.ID, from, to time.Time, desc string) {
		if from.IsZero() || to.IsZero() {
			return
		}
		if len(b) > 0 {
			b = append(b, ", "...)
		}
		b = append(b, name...)
		b = append(b, ";dur="...)
		b = appendMs(b, to.Sub(from))
		if desc != "" {
			b = append(b, ";desc="...)
			b = strconv.AppendQuote(b, desc)
		}
	}
	add(stage.Receive, m.arrived, m.received, "")
	add(stage.Route, m.routeStart, m.routed, m.pattern)
	if m.ran {
		if m.queryErr != nil {
			add(stage.DB, m.query.Start, m.query.Start.Add(m.query.Dur), "error")
		} else {
			var rows [24]byte
			add(stage.DB, m.query.Start, m.query.Start.Add(m.query.Dur), string(append(strconv.AppendInt(rows[:0], int64(m.query.Rows), 10), " rows"...)))
		}
	}
	return string(b)
}

// appendMs appends d in milliseconds with three decimals, as Server-Timing
// writes durations.
func appendMs(b []byte, d time.Duration) []byte {
	us := (d + 500*time.Nanosecond) / time.Microsecond
	if us < 0 {
		b, us = append(b, '-'), -us
	}
	b = strconv.AppendInt(b, int64(us/1000), 10)
	frac := us % 1000
	return append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
}

// The server's stages are told in two parts, so that a student sees them as
// they happen: when the answer starts (before a simulated network holds it
// back), everything up to then — receive, route and db ended, respond
// started; once the answer is flushed, respond's end.

// early returns the events known when the answer starts; t_ms counts from
// origin, when the run was opened.
func (m *measure) early(origin time.Time) []stage.Event {
	at := func(t time.Time) float64 { return max(0, ms(t.Sub(origin))) }
	if m.routed.IsZero() {
		m.routed = m.respondStart // refused before any route: routing ends here
	}
	end := func(i int, id stage.ID, from, to time.Time, state stage.State, d stage.Detail) stage.Event {
		m.durs[i] = ms(to.Sub(from))
		return stage.Event{Stage: id, Side: stage.Server, Phase: stage.End, TMs: at(from),
			DurMs: &m.durs[i], State: state, Detail: d}
	}

	events := make([]stage.Event, 0, 5) // room for respond's end
	events = append(events, end(0, stage.Receive, m.arrived, m.received, stage.Done, stage.Detail{
		Method: m.method, URL: m.uri, HeaderBytes: m.headerBytes, CookieBytes: m.cookieBytes, Bytes: &m.bodyBytes,
		ServerAddr: m.serverAddr, ClientPort: m.clientPort, ConnRequest: m.connRequest,
	}))
	if m.refused {
		// Refused as it came in: no route was looked for.
		events = append(events, stage.Event{Stage: stage.Route, Side: stage.Server, Phase: stage.End,
			TMs: at(m.routeStart), State: stage.Skipped, Detail: stage.Detail{Reason: m.reason}})
	} else {
		events = append(events, end(1, stage.Route, m.routeStart, m.routed, stage.Done, stage.Detail{Route: m.pattern, Reason: m.reason}))
	}

	if m.ran {
		q := &m.query
		d := stage.Detail{SQL: q.SQL, Rows: &q.Rows}
		state := stage.Done
		if m.queryErr != nil {
			state, d.Error, d.Rows = stage.Error, m.message(m.queryErr), nil
		} else if q.Rows == 0 {
			d.Reason = stage.ReasonNoRow
		}
		events = append(events, end(2, stage.DB, q.Start, q.Start.Add(q.Dur), state, d))
	} else {
		reason := stage.ReasonNoDB
		if m.pattern == "" {
			reason = m.reason
		}
		events = append(events, stage.Event{Stage: stage.DB, Side: stage.Server, Phase: stage.End,
			TMs: at(m.routed), State: stage.Skipped, Detail: stage.Detail{Reason: reason}})
	}
	// Each stage's start before its end: a stage's end needs its start.
	return append(stage.WithStarts(events), stage.Event{Stage: stage.Respond, Side: stage.Server, Phase: stage.Start,
		TMs: at(m.respondStart), State: stage.Active, Detail: stage.Detail{Network: m.network}})
}

// answered returns respond's end: the answer made and handed over at to —
// to the connection, or to a simulated network, which then holds it back on
// its own time, not the server's — with bytes the body's size.
func (m *measure) answered(origin, to time.Time, status int, respHeaderBytes int64, bytes *int64) stage.Event {
	m.durs[3] = max(0, ms(to.Sub(m.respondStart)))
	return stage.Event{Stage: stage.Respond, Side: stage.Server, Phase: stage.End,
		TMs: max(0, ms(m.respondStart.Sub(origin))), DurMs: &m.durs[3], State: stage.Done, Detail: stage.Detail{
			Status: status, Bytes: bytes, HeaderBytes: respHeaderBytes, Network: m.network,
		}}
}

// readRequest notes the size of the request line and headers on the wire,
// and the share of it that is cookies.
func (m *measure) readRequest(r *http.Request) {
	uri := r.RequestURI // the request-target as it came
	if uri == "" {
		uri = r.URL.RequestURI()
	}
	m.method, m.uri = r.Method, r.URL.RequestURI()
	m.serverAddr, m.clientPort, m.connRequest = connection(r)
	n := len(r.Method) + 1 + len(uri) + 1 + len(r.Proto) + 2
	n += len("Host") + 2 + len(r.Host) + 2
	for name, values := range r.Header {
		for _, v := range values {
			line := lineBytes(name, v)
			n += line
			if name == "Cookie" {
				m.cookieBytes += int64(line)
			}
		}
	}
	m.headerBytes = int64(n + 2)
}

// keepRequest keeps the request as it arrived, for its run: its line, its
// headers (Host first, as on the wire) and its body — less what is not the
// lab's to keep. A cookie the run did not put in the jar (ours is one of
// cookies) and is not the sample site's own was set by some other app on the
// same host (cookies ignore ports; in production, a parent domain's): its
// value is kept as "[redacted N bytes]". So are Authorization headers. The
// sizes measured before (headers, cookies) are the real ones.
func (m *measure) keepRequest(r *http.Request, body []byte, ours func(cookie string) bool) {
	headers := make([]stage.Header, 1, 1+len(r.Header))
	headers[0] = stage.Header{Name: "Host", Value: r.Host}
	headers = appendHeaders(headers, r.Header)
	for i, h := range headers {
		switch h.Name {
		case "Authorization", "Proxy-Authorization":
			headers[i].Value = redacted(h.Value)
		case "Cookie":
			headers[i].Value = redactCookies(h.Value, ours)
		}
	}
	m.request = stage.Request{Method: m.method, URL: m.uri, Headers: headers, Body: string(body)}
}

// redactCookies keeps the values of the cookies that are ours in a Cookie
// header, and redacts the others'. A nameless cookie — sent as "=value", or
// as a bare "value", as browsers send one set with no name — is never ours:
// its value is redacted too.
func redactCookies(header string, ours func(string) bool) string {
	pairs := strings.Split(header, ";")
	for i, p := range pairs {
		p = strings.TrimSpace(p)
		name, value, found := strings.Cut(p, "=")
		switch {
		case !found && p != "":
			pairs[i] = redacted(p) // a nameless cookie's value
		case found && (name == "" || !ours(name)):
			pairs[i] = name + "=" + redacted(value)
		default:
			pairs[i] = p
		}
	}
	return strings.Join(pairs, "; ")
}

func redacted(v string) string { return fmt.Sprintf("[redacted %d bytes]", len(v)) }

// appendHeaders appends h's lines to list, sorted by name (repeated ones
// keep their order).
func appendHeaders(list []stage.Header, h http.Header) []stage.Header {
	start := len(list)
	for name, values := range h {
		for _, v := range values {
			list = append(list, stage.Header{Name: name, Value: v})
		}
	}
	slices.SortStableFunc(list[start:], func(a, b stage.Header) int { return strings.Compare(a.Name, b.Name) })
	return list
}

// lineBytes is the size of a header line on the wire.
func lineBytes(name, value string) int { return len(name) + 2 + len(value) + 2 }

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }
