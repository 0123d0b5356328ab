package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/stage"
	"reqlab/app/timeline"
	"reqlab/app/ui/el"
)

// The stage cards follow the request's path: out of the browser, through the
// server, back into the browser; each lane is the stage table's stages of
// one side and leg.
var lanes = []struct {
	key    string
	side   stage.Side
	stages []stage.ID
}{
	{"lane.client-out", stage.Client, laneOf(stage.Client, stage.Out)},
	{"lane.server", stage.Server, stage.ServerStages},
	{"lane.client-in", stage.Client, laneOf(stage.Client, stage.Back)},
}

func laneOf(side stage.Side, leg stage.Leg) []stage.ID {
	var out []stage.ID
	for _, s := range stage.Table {
		if s.Side == side && s.Leg == leg {
			out = append(out, s.ID)
		}
	}
	return out
}

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
}

func (c *Lab) pathView() pathView {
	if p := c.play; p != nil {
		v := pathView{tl: p.tl, n: p.pos, glide: p.glide}
		if p.playing && p.pos < len(p.tl.Moments) && !c.reducedMotion {
			if next := p.tl.Moments[p.pos]; next.State != stage.Skipped {
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
	return pathView{tl: tl, n: len(tl.Moments), glide: liveGlide}
}

func (c *Lab) renderDiagram() app.UI {
	l := c.lang
	v := c.pathView()
	states := v.tl.States(v.n)
	views := make(map[stage.ID]stageView, len(states))
	for id, m := range states {
		views[id] = stageView{state: m.State, event: &m.Event}
	}
	network := c.network
	if c.stored != nil {
		network = c.stored.Request.Network
	}
	return el.Section().Class("panel path").Aria("labelledby", "path-heading").Body(
		el.H2().ID("path-heading").Text(l.T("path.heading")),
		el.P().Class("intro").Text(l.T("path.intro")),
		app.If(c.run != nil, func() app.UI { return c.renderRunMeta() }),
		app.If(c.stored != nil && c.stored.State == stage.RunInterrupted, func() app.UI {
			return el.P().Class("notice").Attr("role", "note").Attr("data-field", "interrupted").Text(l.T("run.interrupted"))
		}),
		c.renderPlayback(),
		&Picture{Lang: l, TL: v.tl, N: v.n, Network: network, Glide: v.glide, Toward: v.toward},
		app.If(len(v.tl.Bars) > 0, func() app.UI {
			return &Timeline{Lang: l, TL: v.tl, N: v.n, Glide: v.glide}
		}),
		el.H3().Class("stages-heading").Text(l.T("path.stages")),
		el.Div().Class("lanes").Body(app.Range(lanes).Slice(func(i int) app.UI {
			lane := lanes[i]
			return el.Div().Class("lane lane-"+string(lane.side)).Body(
				el.H3().Text(l.T(lane.key)),
				el.Ol().Class("stages").Body(app.Range(lane.stages).Slice(func(j int) app.UI {
					return c.renderStage(lane.stages[j], lane.side, views[lane.stages[j]])
				})),
			)
		})),
	)
}

// renderRunMeta names the run on screen, with its total, its export and a
// button to send its request again.
func (c *Lab) renderRunMeta() app.UI {
	l := c.lang
	total, ok := c.run.clientTotal()
	stored := c.stored
	return el.Div().Class("run-meta").Body(
		el.Span().Text(l.T("run.id")+" "),
		app.A().Class("run-id").Href("/runs/"+c.run.id).Attr("data-field", "run-link").Body(el.Code().Text(c.run.id)),
		app.If(ok, func() app.UI {
			return el.Span().Class("run-total").Text(" · " + l.Tf("run.total", l.Ms(total)))
		}),
		app.If(stored != nil && c.run.complete, func() app.UI {
			return el.Span().Class("run-actions").Body(
				app.A().Class("button").Href("/api/runs/"+c.run.id+"/har").Attr("download", "reqlab-"+c.run.id+".har").
					Attr("data-action", "export-har").Text(l.T("run.har")),
				app.Button().Type("button").Attr("data-action", "resend").Disabled(c.sending || !c.socketOpen).
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

func (c *Lab) renderStage(id stage.ID, side stage.Side, v stageView) app.UI {
	l := c.lang
	state := v.state
	if state == "" {
		state = stage.Idle
	}
	var dur, detail string
	if e := v.event; e != nil && e.Phase == stage.End {
		dur = l.T("dur.none")
		if e.State == stage.Skipped {
			dur = l.T("dur.skipped")
		}
		if e.DurMs != nil {
			dur = l.Ms(*e.DurMs)
		}
		detail = c.describe(*e)
	}
	return el.Li().
		Class("stage").
		Attr("data-stage", string(id)).
		Attr("data-side", string(side)).
		Attr("data-state", string(state)).
		Body(
			el.Div().Class("stage-head").Body(
				el.Span().Class("stage-name").Text(l.StageName(id)),
				el.Span().Class("stage-state").Text(l.T("state."+string(state))),
				app.If(dur != "", func() app.UI {
					return el.Span().Class("stage-dur").Attr("data-field", "dur").Text(dur)
				}),
			),
			el.P().Class("stage-about").Text(c.about(id)),
			app.If(detail != "", func() app.UI {
				return el.P().Class("stage-detail").Attr("data-field", "detail").Text(detail)
			}),
		)
}

// describe says in the page's language what an event's details tell.
func (c *Lab) describe(e stage.Event) string {
	l := c.lang
	d := e.Detail
	var parts []string
	if d.Reason != "" {
		parts = append(parts, l.Reason(d.Reason))
	}
	switch e.Stage {
	case stage.Receive:
		parts = append(parts, fmt.Sprintf("%s %s", d.Method, d.URL),
			l.Tf("detail.headers", d.HeaderBytes, d.CookieBytes))
	case stage.Route:
		if d.Route != "" {
			parts = append(parts, l.Tf("detail.route", d.Route))
		}
	case stage.DB:
		if d.SQL != "" {
			parts = append(parts, d.SQL)
		}
		if d.Rows != nil {
			parts = append(parts, l.Tf("detail.rows", *d.Rows))
		}
	case stage.Respond:
		parts = append(parts, l.Status(d.Status))
		if d.Network != "" {
			parts = append(parts, l.Tf("detail.network", l.T("network."+d.Network)))
		}
		if d.Bytes != nil {
			parts = append(parts, l.Tf("detail.body-bytes", *d.Bytes, d.HeaderBytes))
		}
	case stage.Download:
		if d.Bytes != nil {
			parts = append(parts, l.Tf("detail.download-bytes", *d.Bytes))
		}
	case stage.Connect:
		if d.Protocol != "" {
			parts = append(parts, d.Protocol)
		}
	case stage.Render:
		parts = append(parts, l.Tf("detail.items", d.Items))
	}
	if d.Error != "" {
		parts = append(parts, l.Tf("detail.error", d.Error))
	}
	return strings.Join(parts, " · ")
}
