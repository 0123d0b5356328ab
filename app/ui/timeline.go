package ui

import (
	"math"
	"strconv"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/stage"
	"reqlab/app/timeline"
	"reqlab/app/ui/el"
)

// Timeline draws a run to scale: one millisecond axis, a bar per measured
// stage, the server's nested under the client's wait (as httpstat's bar and
// the browser's own waterfall do). Each bar also says its times in words.
type Timeline struct {
	app.Compo

	Lang Lang
	TL   timeline.Timeline
	// N is how many of the run's moments have happened: bars past it are
	// not drawn yet, and a playhead stands at the last.
	N int
	// Scale is the time the axis spans, in ms; 0 for the run's own end. Two
	// runs compared share one.
	Scale float64
	// Label names the run, where more than one is drawn.
	Label string
	// Glide is how long the playhead takes to reach where it goes next.
	Glide time.Duration
}

// timelineRow is one line of the timeline: a stage, or one of the wait's crossings
// of the network (crossing set, stage "").
type timelineRow struct {
	id       stage.ID
	crossing stage.Leg
}

// rowsOf puts a table's stages in the timeline's order: the client's path,
// with the server's stages right after the wait they happen inside, between
// the request's crossing of the network and its answer's.
func rowsOf(table []stage.Info) []timelineRow {
	var out []timelineRow
	for _, s := range table {
		if s.Side != stage.Client {
			continue
		}
		out = append(out, timelineRow{id: s.ID})
		if s.ID == stage.Wait {
			out = append(out, timelineRow{crossing: stage.Out})
			for _, sv := range table {
				if sv.Side == stage.Server {
					out = append(out, timelineRow{id: sv.ID})
				}
			}
			out = append(out, timelineRow{crossing: stage.Back})
		}
	}
	return out
}

// timelineText is the timeline's own wording, in both languages.
var timelineText = map[string]text{
	"timeline.crossing.out":  {"Red: ida", "Network: there"},
	"timeline.crossing.back": {"Red: vuelta", "Network: back"},
}

// Render draws the axis and the bars.
func (t *Timeline) Render() app.UI {
	l := t.Lang
	scale := t.Scale
	if scale <= 0 {
		scale = t.TL.End
	}
	scale = max(scale, 0.001)
	// In playback, only what has happened by the playhead is drawn.
	playing := t.N < len(t.TL.Moments)
	now := t.TL.Now(t.N)
	bars := map[stage.ID]timeline.Bar{}
	for _, b := range t.TL.BarsAt(t.N) {
		bars[b.Stage] = b
	}
	crossings := map[stage.Leg]timeline.Crossing{}
	for _, c := range t.TL.Crossings(t.N) {
		crossings[c.Leg] = c
	}
	pct := func(v float64) string { return strconv.FormatFloat(min(100, max(0, v/scale*100)), 'f', 2, 64) + "%" }

	clock := l.T("timeline.clock-none")
	if c := t.TL.Clock; c.Slack >= 0 && hasServer(t.TL) {
		clock = l.Tf("timeline.clock", l.Ms(c.Slack))
	}
	caption := l.Tf("timeline.caption", l.Ms(t.TL.End))
	if t.Label != "" {
		caption = t.Label + " · " + caption
	}
	return el.Figure().Class("timeline").
		Attr("data-timeline", "run").
		Attr("data-scale-ms", msAttr(scale)).
		Attr("data-clock-offset-ms", msAttr(t.TL.Clock.Offset)).
		Attr("data-clock-slack-ms", msAttr(t.TL.Clock.Slack)).
		Body(
			el.FigCaption().Body(
				el.Span().Class("timeline-caption").Text(caption),
				el.Span().Class("timeline-clock").Text(" "+clock),
			),
			el.Div().Class("timeline-axis").Attr("aria-hidden", "true").Body(
				el.Span().Text("0"),
				el.Span().Text(l.Ms(scale/2)),
				el.Span().Text(l.Ms(scale)),
			),
			el.Ol().Class("timeline-rows").Body(app.Range(rows).Slice(func(i int) app.UI {
				if leg := rows[i].crossing; leg != "" {
					c, ok := crossings[leg]
					if !ok {
						return nil
					}
					return t.renderCrossing(c, pct)
				}
				id := rows[i].id
				b, ok := bars[id]
				if !ok {
					return nil
				}
				side, _ := stage.SideOf(id)
				label := l.StageName(id)
				words := l.Tf("timeline.bar", l.Ms(b.Dur), l.Ms(b.Start))
				if b.Open {
					words = l.Tf("timeline.bar-open", l.Ms(b.Dur), l.Ms(b.Start))
				}
				return el.Li().Class("timeline-row side-"+string(side)).
					Attr("data-bar", string(id)).
					Attr("data-stage", string(id)).
					Attr("data-state", string(b.State)).
					Attr("data-start-ms", msAttr(b.Start)).
					Attr("data-dur-ms", msAttr(b.Dur)).
					Body(
						el.Span().Class("timeline-label").Text(label),
						el.Span().Class("timeline-track").Attr("aria-hidden", "true").Body(
							el.Span().Class("timeline-bar").
								Style("left", pct(b.Start)).
								Style("width", "max(2px, "+pct(b.Dur)+")"),
						),
						el.Span().Class("timeline-words").Text(words),
					)
			})),
			app.If(playing, func() app.UI {
				return el.Div().Class("timeline-playhead-track").Attr("aria-hidden", "true").Body(
					el.Span().Class("timeline-playhead").Attr("data-field", "playhead").
						Style("left", pct(now)).
						Style("transition-duration", strconv.FormatInt(t.Glide.Milliseconds(), 10)+"ms"),
				)
			}),
		)
}

// renderCrossing draws a crossing of the network inside the wait: the
// request on its way to the server, or its answer on its way back (a
// simulated network's hold is there). It is no stage of its own: it is
// marked data-crossing, not data-bar.
func (t *Timeline) renderCrossing(c timeline.Crossing, pct func(float64) string) app.UI {
	l := t.Lang
	words := l.Tf("timeline.bar", l.Ms(c.Dur), l.Ms(c.Start))
	state := stage.Done
	if c.Open {
		words, state = l.Tf("timeline.bar-open", l.Ms(c.Dur), l.Ms(c.Start)), stage.Active
	}
	return el.Li().Class("timeline-row timeline-crossing side-network").
		Attr("data-crossing", string(c.Leg)).
		Attr("data-state", string(state)).
		Attr("data-start-ms", msAttr(c.Start)).
		Attr("data-dur-ms", msAttr(c.Dur)).
		Body(
			el.Span().Class("timeline-label").Text(timelineText["timeline.crossing."+string(c.Leg)].in(l)),
			el.Span().Class("timeline-track").Attr("aria-hidden", "true").Body(
				el.Span().Class("timeline-bar").
					Style("left", pct(c.Start)).
					Style("width", "max(2px, "+pct(c.Dur)+")"),
			),
			el.Span().Class("timeline-words").Text(words),
		)
}

func hasServer(tl timeline.Timeline) bool {
	for _, b := range tl.Bars {
		if b.Side == stage.Server {
			return true
		}
	}
	return false
}

// msAttr writes milliseconds for a data attribute: a plain number, three
// decimals at most.
func msAttr(v float64) string { return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64) }
