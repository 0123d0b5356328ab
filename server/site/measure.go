package site

import (
	"context"
	"net/http"
	"strconv"
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
	dbStart               time.Time
	query                 *sqlite.Query // nil: no query ran
	queryErr              error
	respondStart, flushed time.Time // respond: the answer is being made, it is on the wire

	network     string // the simulated network the answer was held back by
	request     stage.Request
	headerBytes int64
	cookieBytes int64
}

type measureKey struct{}

func measureOf(r *http.Request) *measure {
	m, _ := r.Context().Value(measureKey{}).(*measure)
	if m == nil {
		m = &measure{} // a handler called outside ServeHTTP, as in a unit test
	}
	return m
}

func withMeasure(ctx context.Context, m *measure) context.Context {
	return context.WithValue(ctx, measureKey{}, m)
}

// route notes that the mux chose a handler for pattern ("" for none).
func (m *measure) route(pattern string) {
	if m.routed.IsZero() {
		m.routed, m.pattern = time.Now(), pattern
	}
}

// queried notes a query that ran (and maybe failed).
func (m *measure) queried(q sqlite.Query, err error) {
	m.dbStart, m.query, m.queryErr = q.Start, &q, err
}

// serverTiming renders the stages measured so far as a Server-Timing header,
// so that the browser's own tools see them too. Respond is not in it: it is
// still under way when the header is sent.
func (m *measure) serverTiming() string {
	b := make([]byte, 0, 160)
	add := func(name string, from, to time.Time, desc string) {
		if from.IsZero() || to.IsZero() {
			return
		}
		if len(b) > 0 {
			b = append(b, ", "...)
		}
		b = append(b, name...)
		b = append(b, ";dur="...)
		b = strconv.AppendFloat(b, ms(to.Sub(from)), 'f', 3, 64)
		if desc != "" {
			b = append(b, ";desc="...)
			b = strconv.AppendQuote(b, desc)
		}
	}
	add(string(stage.Receive), m.arrived, m.received, "")
	add(string(stage.Route), m.routeStart, m.routed, m.pattern)
	if m.query != nil {
		desc := strconv.Itoa(m.query.Rows) + " rows"
		if m.queryErr != nil {
			desc = "error"
		}
		add(string(stage.DB), m.dbStart, m.dbStart.Add(m.query.Dur), desc)
	}
	return string(b)
}

// events turns the measurements into the run's server events; t_ms counts
// from origin, when the run was opened.
func (m *measure) events(origin time.Time, status int, body int64, respHeaderBytes int64) []stage.Event {
	at := func(t time.Time) float64 { return max(0, ms(t.Sub(origin))) }
	span := func(from, to time.Time) *float64 { return stage.Ms(ms(to.Sub(from))) }
	end := func(id stage.ID, from, to time.Time, state stage.State, d stage.Detail) stage.Event {
		return stage.Event{Stage: id, Side: stage.Server, Phase: stage.End, TMs: at(from),
			DurMs: span(from, to), State: state, Detail: d}
	}

	events := make([]stage.Event, 0, 4)
	bodyBytes := int64(len(m.request.Body))
	events = append(events, end(stage.Receive, m.arrived, m.received, stage.Done, stage.Detail{
		Method: m.request.Method, URL: m.request.URL, HeaderBytes: m.headerBytes, CookieBytes: m.cookieBytes, Bytes: &bodyBytes,
	}))

	routeDetail := stage.Detail{Route: m.pattern, Reason: m.reason}
	events = append(events, end(stage.Route, m.routeStart, m.routed, stage.Done, routeDetail))

	if q := m.query; q != nil {
		d := stage.Detail{SQL: q.SQL, Rows: &q.Rows}
		state := stage.Done
		if m.queryErr != nil {
			state, d.Error, d.Rows = stage.Error, sqlite.Message(m.queryErr), nil
		} else if q.Rows == 0 {
			d.Reason = stage.ReasonNoRow
		}
		events = append(events, end(stage.DB, m.dbStart, m.dbStart.Add(q.Dur), state, d))
	} else {
		reason := stage.ReasonNoDB
		if m.pattern == "" {
			reason = m.reason
		}
		events = append(events, stage.Event{Stage: stage.DB, Side: stage.Server, Phase: stage.End,
			TMs: at(m.routed), State: stage.Skipped, Detail: stage.Detail{Reason: reason}})
	}

	events = append(events, end(stage.Respond, m.respondStart, m.flushed, stage.Done, stage.Detail{
		Status: status, Bytes: &body, HeaderBytes: respHeaderBytes, Network: m.network,
	}))
	return events
}

// readRequest notes the request as it arrived: its line and headers, their
// size on the wire and the share of it that is cookies.
func (m *measure) readRequest(r *http.Request) {
	headers := []stage.Header{{Name: "Host", Value: r.Host}}
	for name, values := range r.Header {
		for _, v := range values {
			headers = append(headers, stage.Header{Name: name, Value: v})
		}
	}
	sortHeaders(headers[1:]) // Host first, as on the wire
	m.request = stage.Request{Method: r.Method, URL: r.URL.RequestURI(), Headers: headers}

	n := int64(len(r.Method) + 1 + len(r.URL.RequestURI()) + 1 + len(r.Proto) + 2)
	for _, h := range headers {
		n += int64(len(h.Name) + 2 + len(h.Value) + 2)
		if h.Name == "Cookie" {
			m.cookieBytes += int64(len(h.Name) + 2 + len(h.Value) + 2)
		}
	}
	m.headerBytes = n + 2
}

// responseHeaderBytes is the size of a response's status line and headers.
func responseHeaderBytes(proto string, status int, h http.Header) int64 {
	n := int64(len(proto) + 1 + 3 + 1 + len(http.StatusText(status)) + 2)
	for name, values := range h {
		for _, v := range values {
			n += int64(len(name) + 2 + len(v) + 2)
		}
	}
	return n + 2
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }
