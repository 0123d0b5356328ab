package ui

import (
	"encoding/json"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/browser"
	"reqlab/app/stage"
	"reqlab/app/wire"
)

// The lab's side of its websocket: calls that wait for their answer, the
// server's messages as they come, and following the run on screen again
// when the socket is back.

// link is the lab's socket to its server and the session it speaks for.
type link struct {
	sock       *browser.Socket
	calls      *calls
	session    string
	socketOpen bool
	everOpen   bool
	// waiting is what the student asked for before the socket was open (a
	// Send, a lesson's step, pressed as the client started): done once, as
	// soon as it opens.
	waiting func(app.Context)
}

// How long the client waits for the lab's server to answer a message.
const replyTimeout = 10 * time.Second

// reply is the server's answer to one message, or the lack of one.
type reply struct {
	msg     wire.Message
	timeout bool
}

// call sends m with a fresh ref and waits for the message that answers it.
// It blocks: call it from ctx.Async.
func (c *link) call(m wire.Message) reply {
	ch := make(chan reply, 1)
	c.calls.mu.Lock()
	c.calls.next++
	m.Ref = c.calls.next
	c.calls.waiting[m.Ref] = ch
	c.calls.mu.Unlock()
	defer func() {
		c.calls.mu.Lock()
		delete(c.calls.waiting, m.Ref)
		c.calls.mu.Unlock()
	}()

	c.sock.Send(encode(m))
	select {
	case r := <-ch:
		return r
	case <-time.After(replyTimeout):
		return reply{timeout: true}
	}
}

// onMessage takes one message from the server. It runs on the page's event
// loop: it hands the message on and returns.
func (c *Lab) onMessage(ctx app.Context, raw []byte) {
	var m wire.Message
	if err := json.Unmarshal(raw, &m); err != nil {
		return // the server speaks wire; anything else is not for us
	}
	if m.Ref != 0 {
		c.calls.mu.Lock()
		ch := c.calls.waiting[m.Ref]
		c.calls.mu.Unlock()
		if ch != nil {
			ch <- reply{msg: m}
			return
		}
	}
	switch m.Type {
	case wire.Hello:
		if m.Session != "" {
			browser.KeepSession(m.Session)
			ctx.Dispatch(func(ctx app.Context) { c.session = m.Session })
		}
	case wire.Event:
		if m.Event == nil {
			return
		}
		e := *m.Event
		ctx.Dispatch(func(ctx app.Context) {
			if c.run == nil || c.run.id != m.Run || !c.run.add(e) {
				return
			}
			c.postStage(m.Run, e)
			c.live = c.lang.Tf("live.stage", c.lang.StageName(e.Stage), c.lang.T("state."+string(e.State)), describe(c.lang, e))
		})
	case wire.Error:
		ctx.Dispatch(func(ctx app.Context) { c.notice = c.lang.serverError(m) })
	}
}

// onSocket follows the socket opening and dropping. Each time it opens again
// the run on screen is followed again from the last event held, and its
// report, if the server had not confirmed it, is sent again.
func (c *Lab) onSocket(ctx app.Context, open bool) {
	c.socketOpen = open
	if !open {
		return
	}
	c.everOpen = true
	if do := c.waiting; do != nil {
		c.waiting = nil
		do(ctx)
	}
	if !c.readySent {
		c.readySent = true
		lessonSlug := ""
		if c.lesson != nil {
			lessonSlug = c.lesson.Slug
		}
		if _, said := browser.PrerenderedAttr("html", "data-lab-ready-sent"); !said {
			// The page's start script says it on an embedded lesson's
			// load, before the client runs: once is enough.
			c.post(map[string]any{"type": "reqlab:ready", "lesson": lessonSlug, "lang": string(c.lang)})
		}
		if c.embedded && c.embedOpts.autoplay && c.lesson != nil && len(c.lesson.Steps) > 0 {
			c.runStep(ctx, 0)
		}
	}
	if c.run == nil {
		return
	}
	c.sock.Send(encode(wire.Message{Type: wire.Subscribe, Run: c.run.id, After: c.run.contiguous}))
	if report := c.run.unacked; report != nil {
		run := c.run
		ctx.Async(func() {
			if c.report(ctx, run, *report) {
				back := readBack(run.id)
				ctx.Dispatch(func(ctx app.Context) { c.keep(back) })
			}
		})
	}
}

// report delivers a run's report (link.deliver) and reports whether the
// server confirmed it; where the server refused it, the page says why. It
// blocks.
func (c *Lab) report(ctx app.Context, run *runView, report wire.Message) bool {
	stored, refusal := c.deliver(ctx, run, report)
	if refusal != nil {
		ctx.Dispatch(func(ctx app.Context) { c.notice = c.lang.serverError(*refusal) })
	}
	return stored
}

// socketState says where the socket stands: not yet tried (the page as the
// server drew it), connecting, open or closed.
func (c *link) socketState(mounted bool) string {
	switch {
	case !mounted:
		return "prerender"
	case c.socketOpen:
		return "open"
	case !c.everOpen:
		return "connecting"
	default:
		return "closed"
	}
}

// serverError says in l what an error message from the lab's server means;
// the server's own words are for its log.
func (l Lang) serverError(m wire.Message) string {
	key := "error.code." + m.Code
	if _, ok := messages[key]; ok {
		return l.T(key)
	}
	return l.T("error.code.internal")
}

func encode(m wire.Message) []byte {
	b, err := json.Marshal(m)
	if err != nil {
		panic("encode websocket message: " + err.Error())
	}
	return b
}

// tell reports, as it happens, that stages of a run have started at t ms on
// the run's clock. What the browser measured of them comes in the run's last
// report; this is what the page knows while it waits.
func (c *link) tell(ctx app.Context, run *runView, t float64, ids ...stage.ID) {
	events := make([]stage.Event, len(ids))
	for i, id := range ids {
		events[i] = stage.Event{Stage: id, Side: stage.Client, Phase: stage.Start, TMs: max(0, t), State: stage.Active}
	}
	ctx.Dispatch(func(ctx app.Context) { run.told = append(run.told, events...) })
	c.sock.Send(encode(wire.Message{Type: wire.Report, Run: run.id, Events: events}))
}

// deliver sends a run's report and reports whether the server confirmed it,
// and the server's refusal where it refused it. A report the server already
// holds (sent again after a reconnection) counts as confirmed.
func (c *link) deliver(ctx app.Context, run *runView, report wire.Message) (bool, *wire.Message) {
	r := c.call(report)
	if r.timeout {
		return false, nil // the socket is down: onSocket sends it again when it is back
	}
	stored := r.msg.Type == wire.Ack || r.msg.Code == wire.CodeRunClosed || r.msg.Code == wire.CodeBadEvent // by an earlier try
	ctx.Dispatch(func(ctx app.Context) {
		run.unacked = nil
		run.complete = stored
	})
	if !stored {
		return false, &r.msg
	}
	return true, nil
}
