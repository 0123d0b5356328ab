package ui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/i18n"
	"reqlab/app/lesson"
	"reqlab/app/stage"
	"reqlab/app/timeline"
	"reqlab/app/ui/el"
)

// Stages says in words where each stage of the run stands: the picture's
// text alternative, with each stage's state, measured duration, what it did
// and what it is (in the lesson's words where the lesson has some).
type Stages struct {
	app.Compo

	Lang Lang
	// States says where each stage stands, with the event that tells of it;
	// a stage with none is idle.
	States map[stage.ID]timeline.Moment
	Lesson *lesson.Lesson
}

// lane is one lane of stage cards: the stages of one side, on one leg or
// both.
type lane struct {
	key    string
	side   stage.Side
	stages []stage.ID
}

// lanesOf lays a table's stages out in lanes: the client's on the way out,
// the server's, the client's on the way back, each in path order.
func lanesOf(table []stage.Info) []lane {
	of := func(side stage.Side, legs ...stage.Leg) []stage.ID {
		var out []stage.ID
		for _, s := range table {
			if s.Side == side && slices.Contains(legs, s.Leg) {
				out = append(out, s.ID)
			}
		}
		return out
	}
	return []lane{
		{"lane.client-out", stage.Client, of(stage.Client, stage.Out)},
		{"lane.server", stage.Server, of(stage.Server, stage.Out, stage.Back)},
		{"lane.client-in", stage.Client, of(stage.Client, stage.Back)},
	}
}

// Render draws the three lanes of cards.
func (c *Stages) Render() app.UI {
	l := c.Lang
	return el.Div().Class("stage-cards").Body(
		el.H3().Class("stages-heading").Text(l.T("path.stages")),
		el.Div().Class("lanes").Body(app.Range(lanes).Slice(func(i int) app.UI {
			lane := lanes[i]
			return el.Div().Class("lane lane-"+string(lane.side)).Body(
				el.H3().Text(l.T(lane.key)),
				el.Ol().Class("stages").Body(app.Range(lane.stages).Slice(func(j int) app.UI {
					return c.renderStage(lane.stages[j], lane.side, c.States[lane.stages[j]])
				})),
			)
		})),
	)
}

// about says what a stage is, in the lesson's words where it has some.
func (c *Stages) about(id stage.ID) string {
	if c.Lesson != nil {
		if n, ok := c.Lesson.Narration[id]; ok {
			return n.In(i18n.Lang(c.Lang))
		}
	}
	return c.Lang.StageAbout(id)
}

func (c *Stages) renderStage(id stage.ID, side stage.Side, m timeline.Moment) app.UI {
	l := c.Lang
	state := m.State
	if state == "" {
		state = stage.Idle
	}
	var dur, detail string
	if e := m.Event; e.Phase == stage.End {
		dur = l.T("dur.none")
		if e.State == stage.Skipped {
			dur = l.T("dur.skipped")
		}
		if e.DurMs != nil {
			dur = l.Ms(*e.DurMs)
		}
		detail = describe(l, e)
		if id == stage.Download && e.Detail.WireBytes != nil && e.Detail.Bytes != nil &&
			c.States[stage.Cache].Event.Detail.Reason == stage.ReasonRevalidated {
			// A 304 carried no body: the body the browser reports is its
			// copy's, not one that crossed the wire.
			detail = l.Tf("detail.wire-bytes-304", *e.Detail.WireBytes, *e.Detail.Bytes)
		}
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
func describe(l Lang, e stage.Event) string {
	d := e.Detail
	var parts []string
	if d.Reason != "" {
		parts = append(parts, l.Reason(d.Reason))
	}
	if d.Reason == stage.ReasonNotReached {
		return parts[0] // nothing happened there to say more of
	}
	switch e.Stage {
	case stage.Receive:
		parts = append(parts, fmt.Sprintf("%s %s", d.Method, withoutTraceparent(d.URL)),
			l.Tf("detail.headers", d.HeaderBytes, d.CookieBytes))
		if d.ServerAddr != "" {
			parts = append(parts, l.Tf("detail.addr", d.ServerAddr))
		}
		switch {
		case d.ConnRequest == 1:
			parts = append(parts, l.T("detail.conn-new"))
		case d.ConnRequest > 1:
			parts = append(parts, l.Tf("detail.conn-reused", d.ConnRequest))
		}
	case stage.Route:
		if d.Route != "" {
			parts = append(parts, l.Tf("detail.route", d.Route))
		}
	case stage.DB:
		if d.SQL != "" {
			parts = append(parts, d.SQL)
		}
		switch {
		case d.Rows == nil:
		case *d.Rows == 1:
			parts = append(parts, l.T("detail.rows-one"))
		default:
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
		switch {
		case d.WireBytes != nil && d.Bytes != nil && d.DecodedBytes != nil:
			parts = append(parts, l.Tf("detail.wire-bytes", *d.WireBytes, *d.Bytes, *d.DecodedBytes))
		case d.Bytes != nil:
			parts = append(parts, l.Tf("detail.download-bytes", *d.Bytes))
		}
	case stage.DNS:
		if d.URL != "" {
			parts = append(parts, withoutTraceparent(d.URL))
		}
	case stage.Connect:
		if d.Protocol != "" {
			parts = append(parts, d.Protocol)
		}
	case stage.Render:
		switch {
		case d.Reason != "":
		case d.Items == 1:
			parts = append(parts, l.T("detail.items-one"))
		default:
			parts = append(parts, l.Tf("detail.items", d.Items))
		}
	}
	if d.Error != "" {
		parts = append(parts, l.Tf("detail.error", d.Error))
	}
	return strings.Join(parts, " · ")
}
