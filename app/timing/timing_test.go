package timing

import (
	"testing"

	"reqlab/app/stage"
)

// want is what one stage should end as: a state, a reason, and whether it
// carries a measured duration.
type want struct {
	state    stage.State
	reason   stage.Reason
	measured bool
}

func TestEvents(t *testing.T) {
	fresh := Entry{ // a new plain-http connection; all times on the page's clock
		StartTime: 100, FetchStart: 100.2, DomainLookupStart: 100.3, DomainLookupEnd: 100.9,
		ConnectStart: 100.9, ConnectEnd: 101.4, RequestStart: 101.5, ResponseStart: 104.5,
		ResponseEnd: 105, TransferSize: 1154, EncodedBodySize: 854, DecodedBodySize: 854,
		ResponseStatus: 200, NextHopProtocol: "http/1.1",
	}
	reused := fresh
	reused.DomainLookupStart, reused.DomainLookupEnd, reused.ConnectStart, reused.ConnectEnd = 100.2, 100.2, 100.2, 100.2
	secure := fresh
	secure.SecureConnectionStart = 101.1
	cached := fresh
	cached.TransferSize = 0

	known := fresh // a name already in a cache of names: no time to look it up
	known.DomainLookupEnd = known.DomainLookupStart

	shown := Measured{Method: "GET", URL: "/site/api/cursos", Host: "lab.example", Origin: 99, HasEntry: true,
		Parse: Span{106, 106.4}, Render: Span{106.5, 120}, Rendered: 6}
	with := func(e Entry) Measured { m := shown; m.Entry = e; return m }
	atIP := func(host string) Measured { m := with(fresh); m.Host = host; return m }
	looked := want{stage.Done, stage.ReasonNameResolved, true}

	done := want{stage.Done, "", true}
	tail := map[stage.ID]want{
		stage.Parse: done, stage.Render: done, stage.Assets: {stage.Skipped, stage.ReasonNoAssets, false},
	}
	merge := func(a map[stage.ID]want) map[stage.ID]want {
		for k, v := range tail {
			if _, ok := a[k]; !ok {
				a[k] = v
			}
		}
		return a
	}

	tests := []struct {
		name string
		m    Measured
		want map[stage.ID]want
	}{
		{"a new connection over http", with(fresh), merge(map[stage.ID]want{
			stage.Cache: {stage.Done, stage.ReasonCacheMiss, true}, stage.DNS: looked, stage.Connect: done,
			stage.TLS: {stage.Skipped, stage.ReasonPlainHTTP, false}, stage.Send: {stage.Done, stage.ReasonNotExposed, false},
			stage.Wait: done, stage.Download: done,
		})},
		{"a new connection to a name in a cache of names", with(known), merge(map[stage.ID]want{
			stage.Cache: {stage.Done, stage.ReasonCacheMiss, true}, stage.DNS: {stage.Done, stage.ReasonNameCached, true}, stage.Connect: done,
			stage.TLS: {stage.Skipped, stage.ReasonPlainHTTP, false}, stage.Send: {stage.Done, stage.ReasonNotExposed, false},
			stage.Wait: done, stage.Download: done,
		})},
		{"a new connection to an IPv4 address", atIP("127.0.0.1"), merge(map[stage.ID]want{
			stage.Cache: {stage.Done, stage.ReasonCacheMiss, true}, stage.DNS: {stage.Skipped, stage.ReasonIPAddress, false}, stage.Connect: done,
			stage.TLS: {stage.Skipped, stage.ReasonPlainHTTP, false}, stage.Send: {stage.Done, stage.ReasonNotExposed, false},
			stage.Wait: done, stage.Download: done,
		})},
		{"a new connection to an IPv6 address", atIP("[::1]"), merge(map[stage.ID]want{
			stage.Cache: {stage.Done, stage.ReasonCacheMiss, true}, stage.DNS: {stage.Skipped, stage.ReasonIPAddress, false}, stage.Connect: done,
			stage.TLS: {stage.Skipped, stage.ReasonPlainHTTP, false}, stage.Send: {stage.Done, stage.ReasonNotExposed, false},
			stage.Wait: done, stage.Download: done,
		})},
		{"a reused connection over http", with(reused), merge(map[stage.ID]want{
			stage.Cache: {stage.Done, stage.ReasonCacheMiss, true}, stage.DNS: {stage.Skipped, stage.ReasonReused, false},
			stage.Connect: {stage.Skipped, stage.ReasonReused, false}, stage.TLS: {stage.Skipped, stage.ReasonPlainHTTP, false},
			stage.Send: {stage.Done, stage.ReasonNotExposed, false}, stage.Wait: done, stage.Download: done,
		})},
		{"a reused connection over https", func() Measured { m := with(reused); m.Secure = true; return m }(), merge(map[stage.ID]want{
			stage.Cache: {stage.Done, stage.ReasonCacheMiss, true}, stage.DNS: {stage.Skipped, stage.ReasonReused, false},
			stage.Connect: {stage.Skipped, stage.ReasonReused, false}, stage.TLS: {stage.Skipped, stage.ReasonReused, false},
			stage.Send: {stage.Done, stage.ReasonNotExposed, false}, stage.Wait: done, stage.Download: done,
		})},
		{"a new connection the browser opened ahead, to a name", func() Measured { m := with(reused); m.NewConnection = true; return m }(), merge(map[stage.ID]want{
			stage.Cache: {stage.Done, stage.ReasonCacheMiss, true}, stage.DNS: {stage.Done, stage.ReasonOpenedAhead, false},
			stage.Connect: {stage.Done, stage.ReasonOpenedAhead, true}, stage.TLS: {stage.Skipped, stage.ReasonPlainHTTP, false},
			stage.Send: {stage.Done, stage.ReasonNotExposed, false}, stage.Wait: done, stage.Download: done,
		})},
		{"a new connection opened ahead, to an address, over https", func() Measured {
			m := with(reused)
			m.NewConnection, m.Secure, m.Host = true, true, "127.0.0.1"
			return m
		}(), merge(map[stage.ID]want{
			stage.Cache: {stage.Done, stage.ReasonCacheMiss, true}, stage.DNS: {stage.Skipped, stage.ReasonIPAddress, false},
			stage.Connect: {stage.Done, stage.ReasonOpenedAhead, true}, stage.TLS: {stage.Done, stage.ReasonOpenedAhead, false},
			stage.Send: {stage.Done, stage.ReasonNotExposed, false}, stage.Wait: done, stage.Download: done,
		})},
		{"a new connection whose parts the browser reported", func() Measured { m := with(fresh); m.NewConnection = true; return m }(), merge(map[stage.ID]want{
			stage.Cache: {stage.Done, stage.ReasonCacheMiss, true}, stage.DNS: looked, stage.Connect: done,
			stage.TLS: {stage.Skipped, stage.ReasonPlainHTTP, false}, stage.Send: {stage.Done, stage.ReasonNotExposed, false},
			stage.Wait: done, stage.Download: done,
		})},
		{"https", with(secure), merge(map[stage.ID]want{
			stage.Cache: {stage.Done, stage.ReasonCacheMiss, true}, stage.DNS: looked, stage.Connect: done, stage.TLS: done,
			stage.Send: {stage.Done, stage.ReasonNotExposed, false}, stage.Wait: done, stage.Download: done,
		})},
		{"the cache answered", with(cached), merge(map[stage.ID]want{
			stage.Cache: {stage.Done, stage.ReasonCacheHit, true}, stage.DNS: {stage.Skipped, stage.ReasonFromCache, false},
			stage.Connect: {stage.Skipped, stage.ReasonFromCache, false}, stage.TLS: {stage.Skipped, stage.ReasonFromCache, false},
			stage.Send: {stage.Skipped, stage.ReasonFromCache, false}, stage.Wait: {stage.Skipped, stage.ReasonFromCache, false},
			stage.Download: {stage.Skipped, stage.ReasonFromCache, false},
		})},
		{"no timing entry", func() Measured { m := shown; m.HasEntry = false; return m }(), merge(map[stage.ID]want{
			stage.Cache: {stage.Done, stage.ReasonNoTiming, false}, stage.DNS: {stage.Done, stage.ReasonNoTiming, false},
			stage.Connect: {stage.Done, stage.ReasonNoTiming, false}, stage.TLS: {stage.Done, stage.ReasonNoTiming, false},
			stage.Send: {stage.Done, stage.ReasonNoTiming, false}, stage.Wait: {stage.Done, stage.ReasonNoTiming, false},
			stage.Download: {stage.Done, stage.ReasonNoTiming, false},
		})},
		{"a body that is not JSON", func() Measured { m := with(fresh); m.ParseErr = "invalid character"; return m }(), merge(map[stage.ID]want{
			stage.Cache: {stage.Done, stage.ReasonCacheMiss, true}, stage.DNS: looked, stage.Connect: done,
			stage.TLS: {stage.Skipped, stage.ReasonPlainHTTP, false}, stage.Send: {stage.Done, stage.ReasonNotExposed, false},
			stage.Wait: done, stage.Download: done, stage.Parse: {stage.Error, stage.ReasonNotJSON, true},
		})},
		{"the fetch failed", Measured{Origin: 1, FetchErr: "TypeError: Failed to fetch"}, func() map[stage.ID]want {
			w := map[stage.ID]want{}
			for _, id := range stage.ClientStages {
				w[id] = want{stage.Skipped, stage.ReasonFetchFailed, false}
			}
			w[stage.Send] = want{stage.Error, stage.ReasonFetchFailed, false}
			return w
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			all := tt.m.Events()
			var events []stage.Event
			started := map[stage.ID]bool{}
			for _, e := range all {
				switch {
				case e.Phase == stage.Start:
					started[e.Stage] = true
				case !started[e.Stage]:
					t.Errorf("%s ends without its start", e.Stage)
				default:
					events = append(events, e)
				}
			}
			if len(all) != 2*len(events) {
				t.Errorf("%d events for %d ends: want each stage started, then ended", len(all), len(events))
			}
			if len(events) != len(stage.ClientStages) {
				t.Fatalf("%d events, want one per client stage (%d)", len(events), len(stage.ClientStages))
			}
			for i, e := range events {
				if e.Stage != stage.ClientStages[i] {
					t.Errorf("event %d is %s, want %s: events follow the path", i, e.Stage, stage.ClientStages[i])
				}
				if err := e.Validate(); err != nil {
					t.Errorf("%s: %v", e.Stage, err)
				}
				w := tt.want[e.Stage]
				if e.State != w.state || e.Detail.Reason != w.reason || (e.DurMs != nil) != w.measured {
					t.Errorf("%s = %s (%q, measured %v), want %s (%q, measured %v)",
						e.Stage, e.State, e.Detail.Reason, e.DurMs != nil, w.state, w.reason, w.measured)
				}
			}
		})
	}
}

func TestEventsUseTheBrowsersNumbers(t *testing.T) {
	m := Measured{Origin: 99, HasEntry: true, Entry: Entry{
		FetchStart: 100, DomainLookupStart: 100.5, DomainLookupEnd: 101, ConnectStart: 101, ConnectEnd: 102,
		RequestStart: 102, ResponseStart: 110, ResponseEnd: 112, TransferSize: 500, EncodedBodySize: 200, DecodedBodySize: 200,
	}, Parse: Span{113, 114.5}, Render: Span{115, 131}}
	got := map[stage.ID]stage.Event{}
	for _, e := range m.Events() {
		got[e.Stage] = e
	}
	tests := []struct {
		id      stage.ID
		at, dur float64
	}{
		{stage.Cache, 1, 0.5}, {stage.DNS, 1.5, 0.5}, {stage.Connect, 2, 1}, {stage.Wait, 3, 8},
		{stage.Download, 11, 2}, {stage.Parse, 14, 1.5}, {stage.Render, 16, 16},
	}
	for _, tt := range tests {
		e := got[tt.id]
		if e.TMs != tt.at || e.DurMs == nil || *e.DurMs != tt.dur {
			t.Errorf("%s at %v for %v, want at %v for %v", tt.id, e.TMs, e.DurMs, tt.at, tt.dur)
		}
	}
	if d := got[stage.Download].Detail; d.Bytes == nil || *d.Bytes != 200 || d.HeaderBytes != 300 {
		t.Errorf("download detail %+v, want 200 body bytes and 300 of headers", d)
	}
}
