package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/browser"
	"reqlab/app/stage"
	"reqlab/app/ui/el"
)

// refreshHistory reads this browser's runs again. It blocks.
func (c *Lab) refreshHistory(ctx app.Context) {
	var list struct {
		Runs []stage.RunSummary `json:"runs"`
	}
	if code, err := browser.GetJSON("/api/runs?session="+c.session, &list); err != nil || code != 200 {
		return
	}
	ctx.Dispatch(func(ctx app.Context) { c.history = list.Runs })
}

// pick adds a run to the two being compared, or takes it out.
func (c *Lab) pick(id string, on bool) {
	out := c.picked[:0:0]
	for _, p := range c.picked {
		if p != id {
			out = append(out, p)
		}
	}
	if on {
		out = append(out, id)
	}
	if len(out) > 2 {
		out = out[len(out)-2:]
	}
	c.picked = out
}

// runOf returns the run named by the data-run of the element an event came from.
func runOf(ctx app.Context) string {
	return ctx.JSSrc().Get("dataset").Get("run").String()
}

func (c *Lab) isPicked(id string) bool {
	for _, p := range c.picked {
		if p == id {
			return true
		}
	}
	return false
}

func (c *Lab) renderHistory() app.UI {
	l := c.lang
	return el.Section().Class("panel history").Aria("labelledby", "history-heading").Body(
		el.H2().ID("history-heading").Text(l.T("history.heading")),
		app.If(len(c.history) == 0, func() app.UI {
			return el.P().Class("intro").Text(l.T("history.empty"))
		}).Else(func() app.UI {
			return el.Ol().Class("history-list").Attr("reversed", true).Body(app.Range(c.history).Slice(func(i int) app.UI {
				h := c.history[i]
				total := l.T("dur.none")
				if h.TotalMs != nil {
					total = l.Ms(*h.TotalMs)
				}
				status := "—"
				if h.Status != 0 {
					status = l.Status(h.Status)
				}
				return el.Li().Class("history-run").Attr("data-history-run", h.ID).Body(
					// The handlers read the run from the element: go-app keeps the
					// first handler of a row while the list shifts under it.
					app.Input().Type("checkbox").ID("pick-"+h.ID).Attr("data-action", "compare-pick").Attr("data-run", h.ID).
						Checked(c.isPicked(h.ID)).
						Aria("label", l.Tf("history.pick", h.Method, h.URL)).
						OnChange(func(ctx app.Context, e app.Event) {
							c.pick(runOf(ctx), ctx.JSSrc().Get("checked").Bool())
						}),
					el.Code().Class("history-req").Text(h.Method+" "+h.URL),
					el.Span().Class("history-status").Text(status),
					el.Span().Class("history-total").Text(total),
					app.Button().Type("button").Attr("data-action", "open-run").Attr("data-run", h.ID).Text(l.T("history.open")).
						OnClick(func(ctx app.Context, e app.Event) {
							id := runOf(ctx)
							ctx.Async(func() { c.openRun(ctx, id, 1) })
						}),
				)
			}))
		}),
		app.Button().Type("button").Class("compare").Attr("data-action", "compare").
			Disabled(len(c.picked) != 2).Text(l.T("history.compare")).
			OnClick(func(ctx app.Context, e app.Event) {
				ids := append([]string(nil), c.picked...)
				ctx.Async(func() { c.compare(ctx, ids) })
			}),
	)
}
