package ui

import (
	"fmt"
	"math"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/browser"
	"reqlab/app/stage"
	"reqlab/app/timeline"
	"reqlab/app/ui/el"
)

// compare reads two runs to show side by side. It blocks.
func (r *Runs) compare(ctx app.Context, ids []string) {
	runs := make([]stage.Run, 0, 2)
	for _, id := range ids {
		var run stage.Run
		if code, err := browser.GetJSON("/api/runs/"+id, &run); err != nil || code != 200 {
			ctx.Dispatch(func(ctx app.Context) { r.failed, r.compared = true, nil })
			return
		}
		runs = append(runs, run)
	}
	if runs[1].CreatedAt.Before(runs[0].CreatedAt) {
		runs[0], runs[1] = runs[1], runs[0] // the older first, as run 1
	}
	ctx.Dispatch(func(ctx app.Context) { r.failed, r.compared = false, runs })
}

// finals returns each stage's last event in a run.
func finals(run stage.Run) map[stage.ID]stage.Event {
	out := make(map[stage.ID]stage.Event)
	for _, e := range run.Events {
		if e.Phase == stage.End {
			out[e.Stage] = e
		}
	}
	return out
}

// Noise: what two runs of the same request differ by without anything
// having changed. In the browser, a stage that ends when a frame is drawn
// moves by a frame or so (about 17 ms) from one run to the next, and timers
// and scheduling by a few milliseconds; in the server, a millisecond or two.
const (
	browserNoiseMs = 20
	serverNoiseMs  = 2
)

// timesDiffer says whether two durations differ beyond noise: by more than
// half the longer, and by more than floor milliseconds.
func timesDiffer(a, b *float64, floor float64) bool {
	if a == nil || b == nil {
		return (a == nil) != (b == nil)
	}
	d := math.Abs(*a - *b)
	return d > floor && d > 0.5*math.Max(*a, *b)
}

// noiseOf is the noise floor of a stage's time.
func noiseOf(id stage.ID) float64 {
	if side, _ := stage.SideOf(id); side == stage.Server {
		return serverNoiseMs
	}
	return browserNoiseMs
}

// compareLabels names the two runs compared, so that their columns never
// read alike (two runs of one request are the commonest comparison): each by
// its number, its request and network, and a new connection where it asked
// for one.
func compareLabels(l Lang, a, b stage.Run) (string, string) {
	name := func(n int, run stage.Run) string {
		s := run.Request.Method + " " + withoutTraceparent(run.Request.URL) + " · " + l.T("network."+networkKey(run.Request.Network))
		if run.Request.FreshConnection {
			s += " · " + l.T("compare.fresh")
		}
		return l.Tf("compare.run", n, s)
	}
	return name(1, a), name(2, b)
}

func (r *Runs) renderCompare() app.UI {
	l := r.Lang
	if r.failed {
		return el.P().Class("notice").Attr("role", "alert").Text(l.T("error.open-run"))
	}
	if len(r.compared) != 2 {
		return nil
	}
	a, b := r.compared[0], r.compared[1]
	fa, fb := finals(a), finals(b)

	cell := func(e stage.Event, ok bool) app.UI {
		if !ok {
			return el.Td().Text(l.T("state.idle"))
		}
		text := l.T("state." + string(e.State))
		if e.DurMs != nil {
			text += " · " + l.Ms(*e.DurMs)
		}
		return el.Td().Attr("data-state", string(e.State)).Text(text)
	}
	statusOf := func(r stage.Run) int {
		if r.Response == nil {
			return 0
		}
		return r.Response.Status
	}
	bytesOf := func(f map[stage.ID]stage.Event) string {
		if e, ok := f[stage.Download]; ok && e.Detail.Bytes != nil {
			return fmt.Sprintf("%d", *e.Detail.Bytes)
		}
		return "—"
	}
	totalOf := func(r stage.Run) *float64 {
		v := newRunView(r.ID)
		for _, e := range r.Events {
			v.add(e)
		}
		t, ok := v.total()
		if !ok {
			return nil
		}
		return &t
	}
	ta, tb := totalOf(a), totalOf(b)
	ms := func(v *float64) string {
		if v == nil {
			return l.T("dur.none")
		}
		return l.Ms(*v)
	}
	// Both runs on one axis, each named with its network.
	ta2, tb2 := timeline.Build(a.Events, 0).FromFirst(), timeline.Build(b.Events, 0).FromFirst()
	scale := max(ta2.End, tb2.End)
	la, lb := compareLabels(l, a, b)
	label := func(run stage.Run) string {
		if run.ID == b.ID {
			return lb
		}
		return la
	}
	row := func(key, va, vb string, differs string) app.UI {
		tr := el.Tr().Attr("data-compare-row", key)
		if differs != "" {
			tr = tr.Attr("data-differs", differs)
		}
		return tr.Body(app.Th().Scope("row").Text(l.T("compare."+key)), el.Td().Text(va), el.Td().Text(vb),
			el.Td().Text(map[bool]string{true: l.T("compare.differs"), false: ""}[differs != ""]))
	}
	differ := func(kind string, yes bool) string {
		if yes {
			return kind
		}
		return ""
	}

	return el.Section().Class("panel compare-panel").Attr("data-compare", "true").Aria("labelledby", "compare-heading").Body(
		el.H2().ID("compare-heading").Text(l.T("compare.heading")),
		el.Div().Class("compare-timelines").Body(
			&Timeline{Lang: l, TL: ta2, N: len(ta2.Moments), Scale: scale, Label: label(a)},
			&Timeline{Lang: l, TL: tb2, N: len(tb2.Moments), Scale: scale, Label: label(b)},
		),
		el.Table().Class("compare").Body(
			el.THead().Body(el.Tr().Body(
				app.Th().Scope("col").Text(l.T("compare.stage")),
				app.Th().Scope("col").Attr("data-compare-run", a.ID).Text(label(a)),
				app.Th().Scope("col").Attr("data-compare-run", b.ID).Text(label(b)),
				app.Th().Scope("col").Text(l.T("compare.difference")),
			)),
			el.TBody().Body(
				row("status", l.Status(statusOf(a)), l.Status(statusOf(b)), differ("status", statusOf(a) != statusOf(b))),
				row("total", ms(ta), ms(tb), differ("time", timesDiffer(ta, tb, browserNoiseMs))),
				row("bytes", bytesOf(fa), bytesOf(fb), differ("bytes", bytesOf(fa) != bytesOf(fb))),
				app.Range(stage.All()).Slice(func(i int) app.UI {
					id := stage.All()[i]
					ea, oka := fa[id]
					eb, okb := fb[id]
					differs := ""
					switch {
					case oka != okb || ea.State != eb.State:
						differs = "state"
					case timesDiffer(ea.DurMs, eb.DurMs, noiseOf(id)):
						differs = "time"
					}
					tr := el.Tr().Attr("data-compare-stage", string(id))
					if differs != "" {
						tr = tr.Attr("data-differs", differs)
					}
					note := ""
					if differs == "state" {
						note = l.T("compare.differs-state")
					} else if differs == "time" {
						note = l.T("compare.differs-time")
					}
					return tr.Body(app.Th().Scope("row").Text(l.StageName(id)), cell(ea, oka), cell(eb, okb), el.Td().Text(note))
				}),
			),
		),
	)
}
