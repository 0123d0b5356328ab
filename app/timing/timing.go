// Package timing turns what the browser measured of one request into the
// client's stage events. It is plain Go, so the rules are tested off the
// browser; the wasm client feeds it the browser's own numbers.
package timing

import (
	"net/netip"
	"strings"

	"reqlab/app/stage"
)

// Entry is a PerformanceResourceTiming entry: what the browser measured of one
// fetch, in milliseconds on the page's clock (performance.now).
type Entry struct {
	StartTime             float64
	FetchStart            float64
	DomainLookupStart     float64
	DomainLookupEnd       float64
	ConnectStart          float64
	SecureConnectionStart float64
	ConnectEnd            float64
	RequestStart          float64
	ResponseStart         float64
	ResponseEnd           float64
	TransferSize          float64
	EncodedBodySize       float64
	DecodedBodySize       float64
	ResponseStatus        int
	NextHopProtocol       string
}

// FromCache reports whether the browser's cache answered: nothing crossed the
// network, yet there is a body.
func (e Entry) FromCache() bool {
	return e.TransferSize == 0 && e.DecodedBodySize > 0
}

// Reused reports whether the request went over a connection that was already
// open: the browser then reports DNS and connect as taking no time at all,
// all four marks equal to fetchStart.
func (e Entry) Reused() bool {
	f := e.FetchStart
	return e.DomainLookupStart == f && e.DomainLookupEnd == f && e.ConnectStart == f && e.ConnectEnd == f
}

// Span is a stretch the wasm client timed itself, on the same clock.
type Span struct {
	Start, End float64
}

// Measured is everything the client knows of one request once it is shown.
type Measured struct {
	Method, URL string
	// Host is the name or address of the host the request went to.
	Host string
	// Origin is when the run began on the page's clock: t_ms counts from it.
	Origin float64
	// Entry is the browser's timing of the fetch; HasEntry is false where the
	// browser gave none.
	Entry    Entry
	HasEntry bool
	// FetchErr is set when the fetch itself failed.
	FetchErr string
	// Parse and Render are the client's own timing of reading the JSON and of
	// putting it on screen; Rendered counts the records turned into HTML.
	Parse, Render Span
	ParseErr      string
	EmptyBody     bool
	Rendered      int
	// RenderReason says what rendering was where it was not records turned
	// into HTML: no body, an error message, a page the browser drew.
	RenderReason stage.Reason
	// NewConnection is set where the lab knows the request could only go on
	// a connection of its own: the browser may then have opened it ahead of
	// the request (a navigation's preconnect), and report no parts of it.
	NewConnection bool
	// Secure is set where the request went over https.
	Secure bool
	// Assets spans the assets a page asked for after its HTML, from the
	// first one's start to the last one's end; nil where there were none.
	Assets     *Span
	AssetCount int
}

// Events returns the client's stages, each started and ended, in path
// order. (The starts the page announced as they happened are stored
// already; the server takes them again as the repeats they are.)
func (m Measured) Events() []stage.Event {
	return stage.WithStarts(m.ends())
}

// ends returns the client's stages' ends, in path order.
func (m Measured) ends() []stage.Event {
	at := func(t float64) float64 { return max(0, t-m.Origin) }
	dur := func(from, to float64) *float64 { return stage.Ms(max(0, to-from)) }
	ev := func(id stage.ID, start float64, d *float64, state stage.State, detail stage.Detail) stage.Event {
		return stage.Event{Stage: id, Side: stage.Client, Phase: stage.End, TMs: at(start), DurMs: d, State: state, Detail: detail}
	}
	skip := func(id stage.ID, start float64, reason stage.Reason) stage.Event {
		return ev(id, start, nil, stage.Skipped, stage.Detail{Reason: reason})
	}
	// The name lookup of a request on a new connection: none where the host
	// is an IP address; where it took no time, the name was in a cache of
	// names (the browser's or the operating system's); else the operating
	// system found it, from its cache or from DNS.
	dns := func(e Entry) stage.Event {
		host := strings.Trim(m.Host, "[]")
		if _, err := netip.ParseAddr(host); err == nil {
			return ev(stage.DNS, e.DomainLookupStart, nil, stage.Skipped, stage.Detail{Reason: stage.ReasonIPAddress, URL: host})
		}
		d := dur(e.DomainLookupStart, e.DomainLookupEnd)
		reason := stage.ReasonNameResolved
		if *d == 0 {
			reason = stage.ReasonNameCached
		}
		return ev(stage.DNS, e.DomainLookupStart, d, stage.Done, stage.Detail{Reason: reason, URL: host})
	}

	var out []stage.Event
	e := m.Entry
	switch {
	case m.FetchErr != "":
		for _, id := range stage.ClientStages {
			if id == stage.Send {
				out = append(out, ev(id, m.Origin, nil, stage.Error, stage.Detail{Reason: stage.ReasonFetchFailed, Error: m.FetchErr, Method: m.Method, URL: m.URL}))
				continue
			}
			out = append(out, skip(id, m.Origin, stage.ReasonFetchFailed))
		}
		return out

	case !m.HasEntry:
		for _, id := range []stage.ID{stage.Cache, stage.DNS, stage.Connect, stage.TLS, stage.Send, stage.Wait, stage.Download} {
			out = append(out, ev(id, m.Origin, nil, stage.Done, stage.Detail{Reason: stage.ReasonNoTiming}))
		}

	case e.FromCache():
		out = append(out, ev(stage.Cache, e.FetchStart, dur(e.FetchStart, e.ResponseEnd), stage.Done, stage.Detail{
			Reason: stage.ReasonCacheHit, Bytes: bytes(e.DecodedBodySize),
		}))
		for _, id := range []stage.ID{stage.DNS, stage.Connect, stage.TLS, stage.Send, stage.Wait, stage.Download} {
			out = append(out, skip(id, e.FetchStart, stage.ReasonFromCache))
		}

	default:
		// The cache was looked in and had nothing usable: the time before
		// the network began is the lookup. (Where it had a copy and asked
		// the server whether it changed, the server, which saw the 304,
		// says so: see stage.Explain.)
		netStart := e.DomainLookupStart
		if netStart == 0 {
			netStart = e.RequestStart
		}
		out = append(out, ev(stage.Cache, e.FetchStart, dur(e.FetchStart, netStart), stage.Done, stage.Detail{Reason: stage.ReasonCacheMiss}))
		switch {
		case e.Reused() && m.NewConnection:
			// Begun as the navigation started and handed to the request
			// once open: the browser reports no lookup or connect, only
			// the time from fetching to sending, which the opening took.
			opened := stage.Detail{Reason: stage.ReasonOpenedAhead, Protocol: e.NextHopProtocol}
			if d := dns(e); d.Detail.Reason == stage.ReasonIPAddress {
				out = append(out, d)
			} else {
				out = append(out, ev(stage.DNS, e.FetchStart, nil, stage.Done, stage.Detail{Reason: stage.ReasonOpenedAhead, URL: d.Detail.URL}))
			}
			out = append(out, ev(stage.Connect, e.FetchStart, dur(e.FetchStart, e.RequestStart), stage.Done, opened))
			if m.Secure {
				out = append(out, ev(stage.TLS, e.FetchStart, nil, stage.Done, opened))
			} else {
				out = append(out, skip(stage.TLS, e.FetchStart, stage.ReasonPlainHTTP))
			}
		case e.Reused():
			// Over http there is no TLS to skip, reused connection or not:
			// its reason is the address's scheme.
			tls := stage.ReasonReused
			if !m.Secure {
				tls = stage.ReasonPlainHTTP
			}
			out = append(out,
				skip(stage.DNS, e.FetchStart, stage.ReasonReused),
				skip(stage.Connect, e.FetchStart, stage.ReasonReused),
				skip(stage.TLS, e.FetchStart, tls))
		default:
			out = append(out, dns(e))
			tcpEnd := e.ConnectEnd
			if e.SecureConnectionStart > 0 {
				tcpEnd = e.SecureConnectionStart
			}
			out = append(out, ev(stage.Connect, e.ConnectStart, dur(e.ConnectStart, tcpEnd), stage.Done, stage.Detail{Protocol: e.NextHopProtocol}))
			if e.SecureConnectionStart > 0 {
				out = append(out, ev(stage.TLS, e.SecureConnectionStart, dur(e.SecureConnectionStart, e.ConnectEnd), stage.Done, stage.Detail{}))
			} else {
				out = append(out, skip(stage.TLS, e.ConnectEnd, stage.ReasonPlainHTTP))
			}
		}
		out = append(out,
			ev(stage.Send, e.RequestStart, nil, stage.Done, stage.Detail{Reason: stage.ReasonNotExposed, Method: m.Method, URL: m.URL, Protocol: e.NextHopProtocol}),
			ev(stage.Wait, e.RequestStart, dur(e.RequestStart, e.ResponseStart), stage.Done, stage.Detail{Status: e.ResponseStatus}),
			ev(stage.Download, e.ResponseStart, dur(e.ResponseStart, e.ResponseEnd), stage.Done, stage.Detail{
				Bytes: bytes(e.EncodedBodySize), HeaderBytes: int64(max(0, e.TransferSize-e.EncodedBodySize)),
				WireBytes: bytes(e.TransferSize), DecodedBytes: bytes(e.DecodedBodySize),
			}))
	}

	switch {
	case m.EmptyBody:
		out = append(out, skip(stage.Parse, m.Parse.Start, stage.ReasonNoBody))
	case m.ParseErr != "":
		out = append(out, ev(stage.Parse, m.Parse.Start, dur(m.Parse.Start, m.Parse.End), stage.Error, stage.Detail{Reason: stage.ReasonNotJSON, Error: m.ParseErr}))
	default:
		out = append(out, ev(stage.Parse, m.Parse.Start, dur(m.Parse.Start, m.Parse.End), stage.Done, stage.Detail{}))
	}
	out = append(out, ev(stage.Render, m.Render.Start, dur(m.Render.Start, m.Render.End), stage.Done, stage.Detail{Items: m.Rendered, Reason: m.RenderReason}))
	if a := m.Assets; a != nil && m.AssetCount > 0 {
		out = append(out, ev(stage.Assets, a.Start, dur(a.Start, a.End), stage.Done, stage.Detail{Items: m.AssetCount}))
	} else {
		out = append(out, skip(stage.Assets, m.Render.End, stage.ReasonNoAssets))
	}
	return out
}

func bytes(v float64) *int64 {
	n := int64(v)
	return &n
}
