package ui

import (
	"net/url"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/browser"
	"reqlab/app/stage"
	"reqlab/app/timing"
	"reqlab/app/wire"
)

// Sending runs: the lab opens a run on its server, lets the browser fetch (or
// load a page), tells what it sees as it happens and reports what the browser
// measured.

// send sends the request the form checked as a new run.
func (c *Lab) send(ctx app.Context, req stage.Request) {
	c.notice = ""
	if c.sending || c.waiting != nil {
		return
	}
	if !c.socketOpen {
		c.waiting = func(ctx app.Context) { c.send(ctx, req) }
		return
	}
	c.startRun(ctx, req)
}

// startRun sends a request as a new, live run.
func (c *Lab) startRun(ctx app.Context, req stage.Request) {
	c.launch(ctx, req, c.transmit)
}

// launch runs a request, live, with send: a fetch or a page load.
func (c *Lab) launch(ctx app.Context, req stage.Request, send func(app.Context, stage.Request) string) {
	c.sending = true
	c.missing = ""
	c.player.stop()
	c.live = c.lang.T("live.sent")
	ctx.Async(func() {
		stored := send(ctx, req)
		if stored == "" {
			ctx.Dispatch(func(ctx app.Context) { c.sending = false })
			return
		}
		// Read back before the run is said to be over, in one update, so
		// that it ends in one picture: how it ended, the request as the
		// server got it and what that says (the cookies' note) come with
		// the end, not a moment after it, moving the page under the
		// student's pointer. (The lab's API gives up on a read after
		// browser.APITimeout: the lab is never held up by it for longer.)
		run := readBack(stored)
		ctx.Dispatch(func(ctx app.Context) {
			c.keep(run)
			c.sending = false
			c.postComplete()
			if c.embedded && c.embedOpts.speed != 1 {
				ctx.Async(func() { c.openRun(ctx, stored, c.embedOpts.speed) })
			}
		})
	})
}

// open starts a run for req on the lab's server and shows it, its cache
// stage under way, and puts the request's cookies in the browser's jar (and
// no others of the lab's), as every request of the lab needs. It returns the
// run and what the client measures of it so far, its origin, and, for a GET,
// the run's page-load ticket (wire.Message.Ticket); nil where the server
// refused or did not answer. It blocks.
func (c *Lab) open(ctx app.Context, req stage.Request) (*runView, timing.Measured, string) {
	origin := browser.Now()
	m := timing.Measured{Method: req.Method, URL: req.URL, Host: browser.Hostname(), Origin: origin,
		Secure: strings.HasPrefix(browser.AbsURL(req.URL), "https:")}
	r := c.call(wire.Message{Type: wire.Start, Request: &req})
	switch {
	case r.timeout:
		ctx.Dispatch(func(ctx app.Context) { c.notice = c.lang.T("error.timeout") })
		return nil, m, ""
	case r.msg.Type == wire.Error && len(r.msg.Fields) > 0:
		ctx.Dispatch(func(ctx app.Context) {
			c.load(req)
			c.refused = r.msg.Fields
		})
		return nil, m, ""
	case r.msg.Type != wire.Started:
		ctx.Dispatch(func(ctx app.Context) { c.notice = c.lang.serverError(r.msg) })
		return nil, m, ""
	}
	run := newRunView(r.msg.Run)
	run.origin, run.secret = origin, r.msg.Secret
	ctx.Dispatch(func(ctx app.Context) {
		c.run, c.resp, c.stored = run, nil, nil
		c.tick(ctx, run)
	})
	// The browser's first step is always to look in its cache: say so now,
	// so the diagram shows the run under way while the request is in flight.
	c.tell(ctx, run, browser.Now()-origin, stage.Cache)
	browser.SetCookies(req.Cookies)
	return run, m, r.msg.Ticket
}

// finish reports what the client measured of a run and returns the run's id
// once the server has stored it all, or "".
func (c *Lab) finish(ctx app.Context, run *runView, m timing.Measured, resp *stage.Response) string {
	report := wire.Message{Type: wire.Report, Run: run.id, Events: m.Events(), Final: true, Response: resp}
	ctx.Dispatch(func(ctx app.Context) { run.unacked = &report })
	if c.report(ctx, run, report) {
		return run.id
	}
	return ""
}

// transmit runs one request: it opens the run, lets the browser fetch the URL
// with the run's traceparent, shows the answer and reports what the browser
// measured. It returns the run's id once the server has stored it all, or "".
// It blocks: it runs in ctx.Async.
func (c *Lab) transmit(ctx app.Context, req stage.Request) string {
	run, m, _ := c.open(ctx, req)
	if run == nil {
		return ""
	}
	// The lab adds two headers of its own, both shown in the request as the
	// server received it: the run's traceparent, and the lab's language,
	// which the sample site answers in (unless the student named one).
	headers := []stage.Header{{Name: "traceparent", Value: stage.Traceparent(run.id, run.secret)}}
	if req.Header("Accept-Language") == "" {
		headers = append(headers, stage.Header{Name: "Accept-Language", Value: string(c.lang)})
	}
	headers = append(headers, req.Headers...)
	// The page says at once that the request is sent and waiting, and when
	// the first byte comes; the browser's own timing of it all follows in
	// the last report (and says so, where the cache answered instead).
	c.tell(ctx, run, browser.Now()-m.Origin, stage.Send, stage.Wait)
	resp, err := browser.Fetch(req.Method, req.URL, headers, req.Body, req.FreshConnection, func() {
		c.tell(ctx, run, browser.Now()-m.Origin, stage.Download)
	})
	if err != nil {
		m.FetchErr = err.Error()
		ctx.Dispatch(func(ctx app.Context) { c.notice = c.lang.Tf("error.fetch", err.Error()) })
		return c.finish(ctx, run, m, nil)
	}
	m.Parse.Start = browser.Now()
	view, parseErr := parseResponse(req.Method, resp)
	m.Parse.End = browser.Now()
	m.ParseErr, m.EmptyBody = parseErr, resp.Body == ""

	m.Render.Start = browser.Now()
	shown := make(chan struct{}, 1)
	ctx.Dispatch(func(ctx app.Context) {
		c.resp = &view
		c.live = c.lang.Tf("live.status", c.lang.Status(view.status))
		ctx.Defer(func(app.Context) { shown <- struct{}{} })
	})
	<-shown
	browser.NextFrame()
	m.Render.End = browser.Now()
	m.Rendered = view.items()
	switch {
	case resp.Body == "":
		m.RenderReason = stage.ReasonNoBody
	case view.message != "":
		m.RenderReason = stage.ReasonErrorBody
	}
	// The browser's timing entry is read once the answer is shown: looking
	// for it is the lab's work, not the request's.
	m.Entry, m.HasEntry = browser.ResourceTiming(browser.AbsURL(req.URL), m.Origin)
	return c.finish(ctx, run, m, &stage.Response{Status: resp.Status, Headers: resp.Headers})
}

// transmitPage runs a page load: the browser navigates a frame to the sample
// site's page and loads the page's assets; the lab reads the browser's own
// timing of the document, its first paint and every asset. A navigation
// carries no header of the lab's, so the page's URL names its run by the
// run's page-load ticket, good for this one page, never by the run's secret:
// the URL is the frame's history, and every asset's Referer.
func (c *Lab) transmitPage(ctx app.Context, req stage.Request) string {
	run, m, ticket := c.open(ctx, req)
	if run == nil {
		return ""
	}
	load, ok := browser.LoadFrame("site-frame", req.URL+"?"+wire.TicketParam+"="+url.QueryEscape(ticket), req.FreshConnection)
	m.NewConnection = req.FreshConnection
	m.Secure = strings.HasPrefix(browser.AbsURL(req.URL), "https:")
	if !ok {
		m.FetchErr = "the page did not load"
		return c.finish(ctx, run, m, nil)
	}
	doc := load.Document
	m.Entry, m.HasEntry = doc, true
	m.Parse = timing.Span{Start: doc.ResponseEnd, End: max(doc.ResponseEnd, load.DOMInteractive)}
	painted := load.FCP
	if painted == 0 {
		painted = load.DOMInteractive
	}
	m.Render = timing.Span{Start: doc.ResponseEnd, End: max(doc.ResponseEnd, painted)}
	m.RenderReason = stage.ReasonPainted
	if len(load.Assets) > 0 {
		span := timing.Span{Start: load.Assets[0].Timing.StartTime}
		for _, a := range load.Assets {
			span.Start = min(span.Start, a.Timing.StartTime)
			span.End = max(span.End, a.Timing.ResponseEnd)
		}
		m.Assets, m.AssetCount = &span, len(load.Assets)
	}
	ctx.Dispatch(func(ctx app.Context) {
		c.page = &load
		// The answer is a page, which the browser drew in the frame: its
		// status is shown, and the panel says where its body went.
		c.resp = &responseView{method: req.Method, status: doc.ResponseStatus, page: true}
		c.live = c.lang.Tf("live.status", c.lang.Status(doc.ResponseStatus))
	})
	return c.finish(ctx, run, m, &stage.Response{Status: doc.ResponseStatus})
}
