// Package har writes a run as HAR 1.2, the format that browsers' network
// tools import and export: the request and response, the timings in HAR's own
// phases, and the server's stages kept as the response's Server-Timing and in
// the entry's _reqlab field.
package har

import (
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"reqlab/app/stage"
	"reqlab/app/timeline"
)

// HAR is a HAR 1.2 document.
type HAR struct {
	Log Log `json:"log"`
}

// Log is HAR's log object.
type Log struct {
	Version string  `json:"version"`
	Creator Creator `json:"creator"`
	Entries []Entry `json:"entries"`
	Comment string  `json:"comment,omitempty"`
}

// Creator names the program that wrote the file.
type Creator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Entry is one request and its response.
type Entry struct {
	StartedDateTime string   `json:"startedDateTime"`
	Time            float64  `json:"time"`
	Request         Request  `json:"request"`
	Response        Response `json:"response"`
	Cache           struct{} `json:"cache"`
	Timings         Timings  `json:"timings"`
	// ServerIPAddress is the server's address the browser reached, as the
	// server saw it; Connection names the connection by the browser's port.
	ServerIPAddress string `json:"serverIPAddress,omitempty"`
	Connection      string `json:"connection,omitempty"`
	Comment         string `json:"comment,omitempty"`
	Reqlab          Reqlab `json:"_reqlab"`
}

// Request is HAR's request object.
type Request struct {
	Method      string      `json:"method"`
	URL         string      `json:"url"`
	HTTPVersion string      `json:"httpVersion"`
	Cookies     []Cookie    `json:"cookies"`
	Headers     []NameValue `json:"headers"`
	QueryString []NameValue `json:"queryString"`
	PostData    *PostData   `json:"postData,omitempty"`
	HeadersSize int64       `json:"headersSize"`
	BodySize    int64       `json:"bodySize"`
}

// Response is HAR's response object.
type Response struct {
	Status      int         `json:"status"`
	StatusText  string      `json:"statusText"`
	HTTPVersion string      `json:"httpVersion"`
	Cookies     []Cookie    `json:"cookies"`
	Headers     []NameValue `json:"headers"`
	Content     Content     `json:"content"`
	RedirectURL string      `json:"redirectURL"`
	HeadersSize int64       `json:"headersSize"`
	BodySize    int64       `json:"bodySize"`
	Comment     string      `json:"comment,omitempty"`
}

// NameValue is a header or a query parameter.
type NameValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Cookie is HAR's cookie object.
type Cookie struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	Path     string `json:"path,omitempty"`
	Domain   string `json:"domain,omitempty"`
	Expires  string `json:"expires,omitempty"`
	HTTPOnly bool   `json:"httpOnly,omitempty"`
	Secure   bool   `json:"secure,omitempty"`
}

// PostData is a request body.
type PostData struct {
	MimeType string      `json:"mimeType"`
	Text     string      `json:"text"`
	Params   []NameValue `json:"params"`
}

// Content is a response body.
type Content struct {
	Size     int64  `json:"size"`
	MimeType string `json:"mimeType"`
	Text     string `json:"text,omitempty"`
	Comment  string `json:"comment,omitempty"`
}

// Timings are HAR's phases, in milliseconds; -1 where a phase did not
// happen. Connect includes ssl, as HAR defines it.
type Timings struct {
	Blocked float64 `json:"blocked"`
	DNS     float64 `json:"dns"`
	Connect float64 `json:"connect"`
	SSL     float64 `json:"ssl"`
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
	Comment string  `json:"comment,omitempty"`
}

// Reqlab keeps what HAR has no place for: the run and its stage events, and
// where its time went on its one clock (as the lab's picture says it).
type Reqlab struct {
	RunID  string         `json:"run_id"`
	State  stage.RunState `json:"state"`
	Events []stage.Event  `json:"events"`
	// TotalMs is the run's one total; PlacesMs splits it between the
	// browser, the network, the server and the database, and CrossingsMs
	// is the network's share of the wait: the request on its way to the
	// server ("out") and the answer on its way back ("back", a simulated
	// network's hold among it).
	TotalMs     float64                 `json:"total_ms"`
	PlacesMs    map[stage.Place]float64 `json:"places_ms"`
	CrossingsMs map[stage.Leg]float64   `json:"crossings_ms,omitempty"`
}

// Version is the creator version written into every file.
const Version = "1"

// FromRun writes a run as a HAR document with one entry. origin is the lab's
// scheme and host ("http://localhost:8080"): a HAR URL is absolute.
func FromRun(run stage.Run, origin string) HAR {
	final := map[stage.ID]stage.Event{}
	for _, e := range run.Events {
		if e.Phase == stage.End {
			final[e.Stage] = e
		}
	}
	dur := func(id stage.ID) float64 { // -1: did not happen or not measured
		if e, ok := final[id]; ok && e.State != stage.Skipped && e.DurMs != nil {
			return round(*e.DurMs)
		}
		return -1
	}

	// Each HAR phase is the sum of the stages the stage table puts in it;
	// -1 where none of them happened or was measured.
	phase := map[string]float64{}
	for _, s := range stage.Table {
		if d := dur(s.ID); s.HAR != "" && d >= 0 {
			phase[s.HAR] += d
		}
	}
	timing := func(name string) float64 {
		if v, ok := phase[name]; ok {
			return round(v)
		}
		return -1
	}
	t := Timings{Blocked: timing("blocked"), DNS: timing("dns"), Connect: timing("connect"), SSL: timing("ssl"),
		Send: 0, Wait: timing("wait"), Receive: timing("receive")}
	// HAR counts the TLS handshake inside connect as well.
	if t.Connect >= 0 && t.SSL >= 0 {
		t.Connect = round(t.Connect + t.SSL)
	}
	t.Comment = "send is 0: the browser does not publish when sending ended, so that time is inside wait"
	tl := timeline.Build(run.Events, 0).FromFirst()
	all := len(tl.Moments)
	crossings := map[stage.Leg]float64{}
	for _, c := range tl.Crossings(all) {
		crossings[c.Leg] = round(c.Dur)
	}
	places := map[stage.Place]float64{}
	for place, v := range tl.Spent(all) {
		places[place] = round(v)
	}
	if back, ok := crossings[stage.Back]; ok && t.Wait >= 0 {
		// Where the wait went: the server's own work is short; the rest
		// is the network's (a simulated one holds the answer back there).
		net := ""
		if e, ok := final[stage.Respond]; ok && e.Detail.Network != "" {
			net = " (" + e.Detail.Network + ", simulated)"
		}
		t.Comment += "; of the wait, the request crossed the network in " + strconv.FormatFloat(crossings[stage.Out], 'f', 3, 64) +
			" ms, the server (database included) took " + strconv.FormatFloat(round(places[stage.AtServer]+places[stage.AtDatabase]), 'f', 3, 64) +
			" ms and its answer crossed back in " + strconv.FormatFloat(back, 'f', 3, 64) + " ms" + net
	}
	if e, ok := final[stage.Cache]; ok && e.Detail.Reason == stage.ReasonCacheHit {
		t.Wait, t.Receive = 0, 0
		t.Comment = "answered by the browser's cache: nothing crossed the network"
	}
	if t.Wait < 0 {
		t.Wait = 0
	}
	if t.Receive < 0 {
		t.Receive = 0
	}
	total := 0.0
	for _, v := range []float64{t.Blocked, t.DNS, t.Connect, t.Send, t.Wait, t.Receive} {
		if v > 0 {
			total += v
		}
	}

	started := run.CreatedAt
	if e, ok := final[stage.Cache]; ok {
		started = started.Add(time.Duration(e.TMs * float64(time.Millisecond)))
	}

	events := run.Events
	if events == nil {
		events = []stage.Event{}
	}
	var ip, conn string
	if e, ok := final[stage.Receive]; ok && e.Detail.ServerAddr != "" {
		if host, _, err := net.SplitHostPort(e.Detail.ServerAddr); err == nil {
			ip = host
		}
		if e.Detail.ClientPort > 0 {
			conn = strconv.Itoa(e.Detail.ClientPort)
		}
	}
	return HAR{Log: Log{
		Version: "1.2",
		Creator: Creator{Name: "reqlab", Version: Version},
		Entries: []Entry{{
			StartedDateTime: started.UTC().Format(time.RFC3339Nano),
			Time:            round(total),
			Request:         request(run, final, origin),
			Response:        response(run, final),
			Timings:         t,
			ServerIPAddress: ip,
			Connection:      conn,
			Reqlab: Reqlab{RunID: run.ID, State: run.State, Events: events,
				TotalMs: round(tl.End), PlacesMs: places, CrossingsMs: crossings},
		}},
	}}
}

func request(run stage.Run, final map[stage.ID]stage.Event, origin string) Request {
	r := run.Request
	host := strings.TrimPrefix(strings.TrimPrefix(origin, "http://"), "https://")
	scheme := strings.TrimSuffix(origin, "://"+host)
	for _, h := range r.Headers {
		if strings.EqualFold(h.Name, "Host") && h.Value != "" {
			host = h.Value
		}
	}
	out := Request{
		Method:      r.Method,
		URL:         scheme + "://" + host + r.URL,
		HTTPVersion: "HTTP/1.1",
		Cookies:     []Cookie{},
		Headers:     nameValues(r.Headers),
		QueryString: []NameValue{},
		HeadersSize: -1,
		BodySize:    int64(len(r.Body)),
	}
	if e, ok := final[stage.Receive]; ok && e.Detail.HeaderBytes > 0 {
		out.HeadersSize = e.Detail.HeaderBytes
	}
	if u, err := url.Parse(r.URL); err == nil {
		for name, values := range u.Query() {
			for _, v := range values {
				out.QueryString = append(out.QueryString, NameValue{Name: name, Value: v})
			}
		}
	}
	// What the browser sent, if the server saw it; else what the lab put in
	// the jar for it.
	sent := false
	for _, h := range r.Headers {
		if strings.EqualFold(h.Name, "Cookie") {
			sent = true
			for _, c := range parseCookieHeader(h.Value) {
				out.Cookies = append(out.Cookies, c)
			}
		}
	}
	if !sent {
		for _, c := range r.Cookies {
			out.Cookies = append(out.Cookies, Cookie{Name: c.Name, Value: c.Value, Path: stage.SitePrefix})
		}
	}
	if r.Body != "" {
		mime := "application/octet-stream"
		if ct := r.Header("Content-Type"); ct != "" {
			mime = ct
		}
		out.PostData = &PostData{MimeType: mime, Text: r.Body, Params: []NameValue{}}
	}
	return out
}

func response(run stage.Run, final map[stage.ID]stage.Event) Response {
	out := Response{
		HTTPVersion: "HTTP/1.1",
		Cookies:     []Cookie{},
		Headers:     []NameValue{},
		Content:     Content{Size: 0, MimeType: "x-unknown"},
		HeadersSize: -1,
		BodySize:    -1,
	}
	resp := run.Response
	if resp == nil {
		out.Comment = "no answer was recorded"
		return out
	}
	out.Status = resp.Status
	out.StatusText = http.StatusText(resp.Status)
	out.Headers = nameValues(resp.Headers)
	for _, h := range resp.Headers {
		switch {
		case strings.EqualFold(h.Name, "Set-Cookie"):
			if c, err := http.ParseSetCookie(h.Value); err == nil {
				hc := Cookie{Name: c.Name, Value: c.Value, Path: c.Path, Domain: c.Domain, HTTPOnly: c.HttpOnly, Secure: c.Secure}
				if !c.Expires.IsZero() {
					hc.Expires = c.Expires.UTC().Format(time.RFC3339)
				}
				out.Cookies = append(out.Cookies, hc)
			}
		case strings.EqualFold(h.Name, "Content-Type"):
			out.Content.MimeType = h.Value
		}
	}
	out.Content.Text = resp.Body
	out.Content.Size = int64(len(resp.Body))
	if resp.BodyTruncated {
		out.Content.Comment = "the lab keeps the first 64 KB of a body"
	}
	if e, ok := final[stage.Respond]; ok {
		if e.Detail.Bytes != nil {
			out.BodySize, out.Content.Size = *e.Detail.Bytes, *e.Detail.Bytes
		}
		if e.Detail.HeaderBytes > 0 {
			out.HeadersSize = e.Detail.HeaderBytes
		}
	}
	if e, ok := final[stage.Cache]; ok && e.Detail.Reason == stage.ReasonCacheHit {
		out.BodySize = 0 // nothing was transferred
	}
	return out
}

func nameValues(h []stage.Header) []NameValue {
	out := make([]NameValue, 0, len(h))
	for _, v := range h {
		out = append(out, NameValue{Name: v.Name, Value: v.Value})
	}
	return out
}

// parseCookieHeader splits a Cookie header into its pairs.
func parseCookieHeader(v string) []Cookie {
	var out []Cookie
	for _, part := range strings.Split(v, ";") {
		name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && name != "" {
			out = append(out, Cookie{Name: name, Value: value})
		}
	}
	return out
}

func round(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }
