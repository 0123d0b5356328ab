package ui

import (
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/stage"
	"reqlab/app/timeline"
	"reqlab/app/ui/el"
)

// liveGlide is how long the token takes, live, to reach a stage whose event
// has just come: the event comes when the stage happens.
const liveGlide = 250 * time.Millisecond

// pathView is what the picture, the timeline and the stage cards draw: the
// run on one clock, how many of its moments have happened, and how long the
// token and the playhead take to reach the next.
type pathView struct {
	tl     timeline.Timeline
	n      int
	glide  time.Duration
	toward stage.ID // where the token is heading, "" to stay where it is
	// live is set for a run sent from this page, run names it; spent is
	// then where its time went, by place, as shown so far.
	live  bool
	run   string
	spent map[stage.Place]float64
}

func (c *Lab) pathView() pathView {
	if p := c.play; p != nil {
		v := pathView{tl: p.tl, n: p.pos, glide: p.glide}
		if p.playing && p.pos < len(p.tl.Moments) && !c.reducedMotion {
			if next := p.tl.Moments[p.pos]; next.State == stage.Active {
				v.toward = next.Stage
			}
		}
		return v
	}
	if c.run == nil {
		return pathView{}
	}
	now := 0.0
	if c.sending {
		now = c.liveNow
	}
	tl := c.run.timeline(now)
	v := pathView{tl: tl, n: len(tl.Moments), glide: liveGlide, live: c.run.origin != 0, run: c.run.id}
	if v.live {
		v.spent = c.run.spent(tl)
	}
	return v
}

func (c *Lab) renderDiagram() app.UI {
	l := c.lang
	v := c.pathView()
	status, outcome := c.outcome(c.runState())
	by := byServer
	switch {
	case c.stored != nil && c.run != nil && c.stored.ID == c.run.id:
		by = answeredBy(*c.stored)
	case c.run != nil && c.resp != nil: // live, before the stored run is read
		by = answeredBy(stage.Run{Events: c.run.list(), Response: &stage.Response{Status: c.resp.status}})
	}
	network := c.network
	if c.stored != nil {
		network = c.stored.Request.Network
	}
	return el.Section().Class("panel path").Aria("labelledby", "path-heading").Body(
		el.H2().ID("path-heading").Text(l.T("path.heading")),
		el.P().Class("intro").Text(l.T("path.intro")),
		app.If(c.missing != "", func() app.UI {
			return el.P().Class("notice").Attr("role", "alert").Attr("data-field", "error").Text(l.Tf("run.unknown", c.missing))
		}),
		app.If(c.run != nil, func() app.UI { return c.renderRunMeta() }),
		app.If(c.stored != nil && c.stored.State == stage.RunInterrupted, func() app.UI {
			return el.P().Class("notice").Attr("role", "note").Attr("data-field", "interrupted").Text(l.T("run.interrupted"))
		}),
		c.player.controls(c.lang),
		&Picture{Lang: l, TL: v.tl, N: v.n, Network: network, Glide: v.glide, Toward: v.toward, Status: status, Outcome: outcome, By: by,
			Live: v.live, Run: v.run, Spent: v.spent},
		app.If(len(v.tl.Bars) > 0, func() app.UI {
			return &Timeline{Lang: l, TL: v.tl, N: v.n, Glide: v.glide}
		}),
		&Stages{Lang: l, States: v.tl.States(v.n), Lesson: c.lesson},
	)
}

// renderRunMeta names the run on screen, with its total, its export and a
// button to send its request again.
func (c *Lab) renderRunMeta() app.UI {
	l := c.lang
	total, ok := c.run.total()
	stored := c.stored
	return el.Div().Class("run-meta").Body(
		el.Span().Text(l.T("run.id")+" "),
		app.A().Class("run-id").Href("/runs/"+c.run.id).Attr("data-field", "run-link").Body(el.Code().Text(c.run.id)),
		app.If(ok, func() app.UI {
			return el.Span().Class("run-total").Attr("data-field", "total-ms").Attr("data-ms", msAttr(total)).
				Text(" · " + l.Tf("run.total", l.Ms(total)))
		}),
		app.If(stored != nil && c.run.complete, func() app.UI {
			return el.Span().Class("run-actions").Body(
				app.A().Class("button").Href("/api/runs/"+c.run.id+"/har").Attr("download", "reqlab-"+c.run.id+".har").
					Attr("data-action", "export-har").Text(l.T("run.har")),
				app.Button().Type("button").Attr("data-action", "resend").Attr("disabled", el.Bool(c.sending || !c.socketOpen)).
					Text(l.T("run.resend")).
					OnClick(func(ctx app.Context, e app.Event) {
						if req, ok := c.prepare(stored.Request); ok && !c.sending {
							c.startRun(ctx, req)
						}
					}),
			)
		}),
	)
}
