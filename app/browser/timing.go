package browser

import (
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/timing"
)

func init() {
	// The default buffer of 250 entries fills in a long lesson; past it the
	// browser stops recording and the lab would have nothing to show.
	if app.IsClient {
		app.Window().Get("performance").Call("setResourceTimingBufferSize", 2000)
	}
}

// ResourceTiming returns the browser's timing entry for the fetch of url that
// started at or after since. The entry is added when the response ends; it
// waits up to a second for it.
func ResourceTiming(url string, since float64) (timing.Entry, bool) {
	for wait := time.Duration(0); wait < time.Second; wait += 20 * time.Millisecond {
		entries := app.Window().Get("performance").Call("getEntriesByName", url, "resource")
		for i := entries.Length() - 1; i >= 0; i-- {
			e := entries.Index(i)
			if e.Get("startTime").Float() >= since {
				return timingOf(e), true
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return timing.Entry{}, false
}

func timingOf(e app.Value) timing.Entry {
	f := func(name string) float64 {
		v := e.Get(name)
		if v.Type() != app.TypeNumber {
			return 0
		}
		return v.Float()
	}
	t := timing.Entry{
		StartTime:             f("startTime"),
		FetchStart:            f("fetchStart"),
		DomainLookupStart:     f("domainLookupStart"),
		DomainLookupEnd:       f("domainLookupEnd"),
		ConnectStart:          f("connectStart"),
		SecureConnectionStart: f("secureConnectionStart"),
		ConnectEnd:            f("connectEnd"),
		RequestStart:          f("requestStart"),
		ResponseStart:         f("responseStart"),
		ResponseEnd:           f("responseEnd"),
		TransferSize:          f("transferSize"),
		EncodedBodySize:       f("encodedBodySize"),
		DecodedBodySize:       f("decodedBodySize"),
		ResponseStatus:        int(f("responseStatus")),
	}
	if p := e.Get("nextHopProtocol"); p.Type() == app.TypeString {
		t.NextHopProtocol = p.String()
	}
	return t
}
