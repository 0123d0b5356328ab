package ui

import (
	"strconv"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/browser"
	"reqlab/app/stage"
)

// store is the client's one store of runs: the run on screen as its events
// arrive, live or played back, what the page read of its answer, and the run
// as the server stored it. The components are drawn from it.
type store struct {
	// sending is set while a run is sent live from this page.
	sending bool
	// run is the run on screen; liveNow is where a live one has got to, on
	// its clock.
	run     *runView
	liveNow float64
	// resp is the answer as the page read it; stored is the run as the
	// server stored it, once it has.
	resp   *responseView
	stored *stage.Run
	// missing is the id of a run asked for that the server does not hold.
	missing string
	// notice is what went wrong, for the student to read; live is what
	// just happened, for a screen reader to say.
	notice, live string
	// runsRev is bumped whenever one of this browser's runs is stored, so
	// that the history reads itself again.
	runsRev int
}

// showMoment shows a run played back as it stood after p.pos moments, and
// says in l what the last of them was.
func (c *store) showMoment(p *playback, l Lang) {
	c.run = newRunView(p.run.ID)
	for _, e := range p.run.Events {
		c.run.add(e)
	}
	c.run.complete = p.pos == len(p.tl.Moments)
	if p.pos > 0 {
		m := p.tl.Moments[p.pos-1]
		c.live = l.Tf("live.stage", l.StageName(m.Stage), l.T("state."+string(m.State)), describe(l, m.Event))
	}
}

// tickEvery is how often the picture and the timeline of a live run move on
// while nothing new has come: what is under way grows with the time.
const tickEvery = 100 * time.Millisecond

// tick moves a live run's clock on until the run is no longer being sent.
func (c *store) tick(ctx app.Context, run *runView) {
	if c.run != run || !c.sending {
		return
	}
	c.liveNow = browser.Now() - run.origin
	ctx.After(tickEvery, func(ctx app.Context) { c.tick(ctx, run) })
}

// readBack reads a run back as the server stored it: the request exactly as
// it arrived, which the page shows beside the answer; nil where it cannot.
// It blocks.
func readBack(id string) *stage.Run {
	var run stage.Run
	if code, err := browser.GetJSON("/api/runs/"+id, &run); err != nil || code != 200 {
		return nil
	}
	return &run
}

// keep takes a run read back, where it is the run on screen, and tells the
// history that one of this browser's runs is stored.
func (c *store) keep(run *stage.Run) {
	if run != nil && c.run != nil && c.run.id == run.ID {
		c.stored = run
	}
	c.runsRev++
}

// outcome is the status code of the run on screen and what it says: ""
// before any run, 0 where no answer came; ok (1xx–3xx), client-error,
// server-error or failed. A run under way (state, Lab.runState) has none
// yet.
func (c *store) outcome(state string) (status, outcome string) {
	code := 0
	switch {
	case c.stored != nil && c.run != nil && c.stored.ID == c.run.id && c.stored.Response != nil:
		code = c.stored.Response.Status
	case c.resp != nil && c.run != nil:
		code = c.resp.status
	case c.run == nil || state != "done":
		return "", ""
	}
	switch {
	case code == 0:
		return "0", "failed"
	case code < 400:
		return strconv.Itoa(code), "ok"
	case code < 500:
		return strconv.Itoa(code), "client-error"
	}
	return strconv.Itoa(code), "server-error"
}
