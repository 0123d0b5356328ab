package browser

import (
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/timing"
)

// PageLoad is what the browser measured while loading a page in a frame:
// the document's navigation entry, each asset's entry in the order the
// browser started them, the first contentful paint, and the cookies the
// browser held for the page's path.
type PageLoad struct {
	// Began is when the lab pointed the frame at the page, on the lab
	// page's clock: the load's own origin. (A frame's navigation entry may
	// count from an earlier moment: the frame's first document.)
	Began          float64
	Document       timing.Entry
	DOMInteractive float64
	DOMContentLoad float64 // when DOMContentLoaded fired, 0 where it did not
	Load           float64 // when the load event fired, 0 where it did not
	FCP            float64 // 0 where the browser reported none
	Assets         []Asset
	Cookies        string
}

// Asset is one request a page made after its document.
type Asset struct {
	Name      string
	Initiator string
	Timing    timing.Entry
}

// LoadFrame points the iframe with id at url, waits for its load event and
// then reads what the browser measured, on the lab page's clock. It blocks.
//
// A fresh load navigates the frame credentialless: the browser then gives
// it a network and cache partition apart from the lab page's, where none of
// the page's open connections can be used, and the sample site closes each
// connection of such a load once it has answered (see site.freshLoad), so
// that the next fresh load finds none open either.
func LoadFrame(id, url string, fresh bool) (PageLoad, bool) {
	frame := app.Window().GetElementByID(id)
	if !frame.Truthy() {
		return PageLoad{}, false
	}
	loaded := make(chan struct{}, 1)
	var onload app.Func
	onload = app.FuncOf(func(this app.Value, args []app.Value) any {
		// The frame's own about:blank may fire a load of its own: wait for
		// the page asked for.
		win := frame.Get("contentWindow")
		if !win.Truthy() || !strings.Contains(win.Get("location").Get("href").String(), "/site/") {
			return nil
		}
		select {
		case loaded <- struct{}{}:
		default:
		}
		return nil
	})
	frame.Call("addEventListener", "load", onload)
	frame.Set("credentialless", fresh)
	began := app.Window().Get("performance").Call("now").Float()
	frame.Set("src", url)
	select {
	case <-loaded:
	case <-time.After(30 * time.Second):
	}
	frame.Call("removeEventListener", "load", onload)
	onload.Release()
	time.Sleep(150 * time.Millisecond) // the video's first bytes and the paint entries settle

	win := frame.Get("contentWindow")
	if !win.Truthy() {
		return PageLoad{}, false
	}
	perf := win.Get("performance")
	navs := perf.Call("getEntriesByType", "navigation")
	if navs.Length() == 0 {
		return PageLoad{}, false
	}
	// The frame's clock starts at its own navigation: shift its times onto
	// the lab page's clock, where the run's origin is.
	shift := win.Get("performance").Get("timeOrigin").Float() - app.Window().Get("performance").Get("timeOrigin").Float()
	nav := navs.Index(0)
	out := PageLoad{Began: began, Document: shifted(timingOf(nav), shift), DOMInteractive: nav.Get("domInteractive").Float() + shift}
	if out.Document.StartTime < began {
		out.Document.StartTime = began // the frame's earlier origin, not this load's
	}
	if v := nav.Get("domContentLoadedEventStart").Float(); v > 0 {
		out.DOMContentLoad = v + shift
	}
	if v := nav.Get("loadEventStart").Float(); v > 0 {
		out.Load = v + shift
	}
	paints := perf.Call("getEntriesByName", "first-contentful-paint")
	if paints.Length() > 0 {
		out.FCP = paints.Index(0).Get("startTime").Float() + shift
	}
	res := perf.Call("getEntriesByType", "resource")
	for i := 0; i < res.Length(); i++ {
		e := res.Index(i)
		name := e.Get("name").String()
		if j := strings.Index(name, "/site/"); j >= 0 {
			name = name[j:]
		}
		out.Assets = append(out.Assets, Asset{Name: name, Initiator: e.Get("initiatorType").String(), Timing: shifted(timingOf(e), shift)})
	}
	if c := win.Get("document").Get("cookie"); c.Type() == app.TypeString {
		out.Cookies = c.String()
	}
	return out, true
}

// shifted moves an entry's marks by d milliseconds; a mark of 0 means "did
// not happen" and stays 0.
func shifted(e timing.Entry, d float64) timing.Entry {
	for _, f := range []*float64{&e.StartTime, &e.FetchStart, &e.DomainLookupStart, &e.DomainLookupEnd, &e.ConnectStart,
		&e.SecureConnectionStart, &e.ConnectEnd, &e.RequestStart, &e.ResponseStart, &e.ResponseEnd} {
		if *f != 0 {
			*f += d
		}
	}
	return e
}
