package stage

import (
	"errors"
	"fmt"
	"math"
)

// Event reports one stage opening or closing during a run. The JSON names are
// public (see docs/CONTRACT.md).
type Event struct {
	// Seq orders a run's events; the server assigns it, from 1.
	Seq   int64 `json:"seq"`
	Stage ID    `json:"stage"`
	Side  Side  `json:"side"`
	Phase Phase `json:"phase"`
	// TMs is when the stage started, in milliseconds since the run began on
	// the clock of the side that measured it.
	TMs float64 `json:"t_ms"`
	// DurMs is the measured duration; nil means nothing could be measured.
	DurMs  *float64 `json:"dur_ms"`
	State  State    `json:"state"`
	Detail Detail   `json:"detail"`
}

// Detail is what an event knows beyond its timing. It holds facts and codes,
// never prose, so every language narrates it in its own words.
type Detail struct {
	Reason      Reason `json:"reason,omitempty"`
	Method      string `json:"method,omitempty"`
	URL         string `json:"url,omitempty"`
	Route       string `json:"route,omitempty"`
	SQL         string `json:"sql,omitempty"`
	Rows        *int   `json:"rows,omitempty"`
	Error       string `json:"error,omitempty"`
	Status      int    `json:"status,omitempty"`
	Bytes       *int64 `json:"bytes,omitempty"`
	HeaderBytes int64  `json:"header_bytes,omitempty"`
	CookieBytes int64  `json:"cookie_bytes,omitempty"`
	Protocol    string `json:"protocol,omitempty"`
	Items       int    `json:"items,omitempty"`   // render: records turned into HTML
	Network     string `json:"network,omitempty"` // respond: the simulated network it was held back by
	// download: the bytes that crossed the wire (headers and body, none
	// where the cache answered) and the body's bytes once decoded.
	WireBytes    *int64 `json:"wire_bytes,omitempty"`
	DecodedBytes *int64 `json:"decoded_bytes,omitempty"`
	// receive: the address and port the browser reached, as the server saw
	// its end of the connection; the browser's port on the other end; and
	// which request this is on that connection (1: a new connection).
	ServerAddr  string `json:"server_addr,omitempty"`
	ClientPort  int    `json:"client_port,omitempty"`
	ConnRequest int    `json:"conn_request,omitempty"`
}

// Reason is a code for why a stage went as it did.
type Reason string

// The reasons a stage reports.
const (
	ReasonCacheMiss       Reason = "cache-miss"         // cache: the browser looked and had no usable copy
	ReasonRevalidated     Reason = "revalidated"        // cache: it had a copy and asked whether it changed: 304, not changed
	ReasonNotReached      Reason = "not-reached"        // server stages: the browser's cache answered, the server never saw the request
	ReasonCacheHit        Reason = "cache-hit"          // cache: the browser's cache answered
	ReasonReused          Reason = "connection-reused"  // dns, connect, tls: an open connection was used
	ReasonPlainHTTP       Reason = "plain-http"         // tls: the URL is http, not https
	ReasonFromCache       Reason = "from-cache"         // any later stage: the cache answered first
	ReasonNotExposed      Reason = "not-exposed"        // send: the browser does not publish when sending ended
	ReasonNoTiming        Reason = "no-timing"          // the browser gave no timing entry for the request
	ReasonNoRoute         Reason = "no-route"           // route: no route matches the path
	ReasonMethod          Reason = "method-not-allowed" // route: the path has routes, for other methods
	ReasonOptions         Reason = "options"            // route: OPTIONS is answered with the methods the path takes
	ReasonTooLarge        Reason = "too-large"          // route: the request was refused before routing, too large
	ReasonHeadersTooLarge Reason = "headers-too-large"  // route: refused before routing, its headers past the server's limit
	ReasonNoDB            Reason = "no-db-needed"       // db: the route needs no database
	ReasonNoRow           Reason = "no-row"             // db: the query ran and found nothing
	ReasonNoAssets        Reason = "no-assets"          // assets: a JSON answer has no images or other assets
	ReasonNotJSON         Reason = "not-json"           // parse: the body is not JSON
	ReasonNoBody          Reason = "no-body"            // parse, render: the response has no body
	ReasonFetchFailed     Reason = "fetch-failed"       // the browser could not complete the request
	ReasonIPAddress       Reason = "ip-address"         // dns: the host is an IP address: no name to look up
	ReasonNameCached      Reason = "name-cached"        // dns: the name was in a cache of names: no time taken
	ReasonNameResolved    Reason = "name-resolved"      // dns: the operating system found the name's address
	ReasonErrorBody       Reason = "error-body"         // render: the answer is an error message, shown as one, no records
	ReasonPainted         Reason = "painted"            // render: a page, drawn by the browser itself up to its first paint
	ReasonOpenedAhead     Reason = "opened-ahead"       // dns, connect, tls: a new connection the browser began as the navigation started, its parts not reported
)

// Limits on what a client may report, so one event stays small.
const (
	maxDetailText = 2048
	maxMs         = 3_600_000 // an hour: longer is a broken clock, not a request
)

// Ms returns a pointer to a duration, for Event.DurMs.
func Ms(v float64) *float64 { return &v }

// Validate checks an event as a client reported it: known stage on its own
// side, a phase and state that fit together, finite times within an hour and
// details of bounded size. Seq is the server's and is not checked.
func (e Event) Validate() error {
	side, ok := SideOf(e.Stage)
	if !ok {
		return fmt.Errorf("unknown stage %q", e.Stage)
	}
	if e.Side != side {
		return fmt.Errorf("stage %q is on the %s side, not %q", e.Stage, side, e.Side)
	}
	switch e.Phase {
	case Start:
		if e.State != Active {
			return fmt.Errorf("a start event must be active, not %q", e.State)
		}
	case End:
		if !e.State.Final() {
			return fmt.Errorf("an end event must be done, skipped or error, not %q", e.State)
		}
	default:
		return fmt.Errorf("unknown phase %q", e.Phase)
	}
	if !validMs(e.TMs) {
		return errors.New("t_ms must be a number from 0 to 3600000")
	}
	if e.DurMs != nil && !validMs(*e.DurMs) {
		return errors.New("dur_ms must be null or a number from 0 to 3600000")
	}
	d := e.Detail
	for _, s := range []string{string(d.Reason), d.Method, d.URL, d.Route, d.SQL, d.Error, d.Protocol, d.Network, d.ServerAddr} {
		if len(s) > maxDetailText {
			return fmt.Errorf("a detail is longer than %d bytes", maxDetailText)
		}
	}
	if d.Rows != nil && *d.Rows < 0 || d.Bytes != nil && *d.Bytes < 0 || d.WireBytes != nil && *d.WireBytes < 0 || d.DecodedBytes != nil && *d.DecodedBytes < 0 ||
		d.HeaderBytes < 0 || d.CookieBytes < 0 || d.Items < 0 || d.Status < 0 || d.Status > 999 ||
		d.ClientPort < 0 || d.ClientPort > 65535 || d.ConnRequest < 0 {
		return errors.New("a detail count is out of range")
	}
	return nil
}

func validMs(v float64) bool {
	return !math.IsNaN(v) && v >= 0 && v <= maxMs
}
