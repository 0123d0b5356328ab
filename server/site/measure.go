package site

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"reqlab/app/stage"
	"reqlab/server/sqlite"
)

// measure holds what the server measured of one request, stage by stage.
type measure struct {
	arrived, received     time.Time    // receive: first byte in, request read
	routeStart, routed    time.Time    // route: the mux starts, a handler is chosen
	pattern               string       // the route chosen, "" for none
	reason                stage.Reason // why no route was chosen
	query                 sqlite.Query // the query that ran, if ran is set
	ran                   bool
	queryErr              error
	respondStart, flushed time.Time // respond: the answer is being made, it is on the wire

	network     string        // the simulated network the answer was held back by
	request     stage.Request // as it arrived, kept for a traced request
	headerBytes int64         // the request line and headers, on the wire
	cookieBytes int64         // the share of them that is Cookie
	bodyBytes   int64         // the request body read

	// The numbers the events point to live here, with the measure, rather
	// than in an allocation each.
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
func (m *measure) queried(q sqlite.Query, err error) {
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

// events turns the measurements into the run's server events; t_ms counts
// from origin, when the run was opened.
func (m *measure) events(origin time.Time, status int, respHeaderBytes int64) []stage.Event {
	at := func(t time.Time) float64 { return max(0, ms(t.Sub(origin))) }
	n := 0
	end := func(id stage.ID, from, to time.Time, state stage.State, d stage.Detail) stage.Event {
		m.durs[n] = ms(to.Sub(from))
		n++
		return stage.Event{Stage: id, Side: stage.Server, Phase: stage.End, TMs: at(from),
			DurMs: &m.durs[n-1], State: state, Detail: d}
	}

	events := make([]stage.Event, 0, 4)
	events = append(events, end(stage.Receive, m.arrived, m.received, stage.Done, stage.Detail{
		Method: m.request.Method, URL: m.request.URL, HeaderBytes: m.headerBytes, CookieBytes: m.cookieBytes, Bytes: &m.bodyBytes,
	}))

	routeDetail := stage.Detail{Route: m.pattern, Reason: m.reason}
	events = append(events, end(stage.Route, m.routeStart, m.routed, stage.Done, routeDetail))

	if m.ran {
		q := &m.query
		d := stage.Detail{SQL: q.SQL, Rows: &q.Rows}
		state := stage.Done
		if m.queryErr != nil {
			state, d.Error, d.Rows = stage.Error, sqlite.Message(m.queryErr), nil
		} else if q.Rows == 0 {
			d.Reason = stage.ReasonNoRow
		}
		events = append(events, end(stage.DB, q.Start, q.Start.Add(q.Dur), state, d))
	} else {
		reason := stage.ReasonNoDB
		if m.pattern == "" {
			reason = m.reason
		}
		events = append(events, stage.Event{Stage: stage.DB, Side: stage.Server, Phase: stage.End,
			TMs: at(m.routed), State: stage.Skipped, Detail: stage.Detail{Reason: reason}})
	}

	events = append(events, end(stage.Respond, m.respondStart, m.flushed, stage.Done, stage.Detail{
		Status: status, Bytes: &m.respBytes, HeaderBytes: respHeaderBytes, Network: m.network,
	}))
	return events
}

// readRequest notes the size of the request line and headers on the wire,
// and the share of it that is cookies.
func (m *measure) readRequest(r *http.Request) {
	uri := r.RequestURI // the request-target as it came
	if uri == "" {
		uri = r.URL.RequestURI()
	}
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
// headers (Host first, as on the wire) and its body.
func (m *measure) keepRequest(r *http.Request, body []byte) {
	headers := make([]stage.Header, 1, 1+len(r.Header))
	headers[0] = stage.Header{Name: "Host", Value: r.Host}
	headers = appendHeaders(headers, r.Header)
	m.request = stage.Request{Method: r.Method, URL: r.URL.RequestURI(), Headers: headers, Body: string(body)}
}

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
