package ui

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/browser"
	"reqlab/app/stage"
	"reqlab/app/ui/el"
	"reqlab/app/wire"
)

// actionOpenRun carries the id of a run to play back, to the lab.
const actionOpenRun = "reqlab:open-run"

// Runs is this browser's history of runs and the comparison of two of them.
// It reads the history itself, again whenever the lab says a run was stored.
type Runs struct {
	app.Compo

	Lang Lang
	// Session is this browser's lab session; "" while prerendering.
	Session string
	// Rev changes whenever one of this browser's runs is stored.
	Rev int

	history  []stage.RunSummary
	picked   []string    // the runs picked for comparison, at most two
	compared []stage.Run // the two runs compared, once read
	failed   bool        // a run to compare could not be read
	rev      int
	session  string
}

// OnMount reads the history.
func (r *Runs) OnMount(ctx app.Context) { r.refresh(ctx) }

// OnUpdate reads the history again when a run was stored, or once the
// lab knows its session.
func (r *Runs) OnUpdate(ctx app.Context) {
	if r.Rev != r.rev || r.Session != r.session {
		r.refresh(ctx)
	}
}

// refresh reads this browser's runs again.
func (r *Runs) refresh(ctx app.Context) {
	r.rev, r.session = r.Rev, r.Session
	session := r.Session
	if session == "" {
		return
	}
	ctx.Async(func() {
		var list struct {
			Runs []stage.RunSummary `json:"runs"`
		}
		if code, err := browser.AsSession("GET", "/api/runs", session, &list); err != nil || code != 200 {
			return
		}
		ctx.Dispatch(func(ctx app.Context) { r.history = list.Runs })
	})
}

// Render draws the history and, once two runs are compared, the comparison.
func (r *Runs) Render() app.UI {
	return el.Div().Class("runs").Body(r.renderHistory(), r.renderCompare())
}

// pick adds a run to the two being compared, or takes it out.
func (r *Runs) pick(id string, on bool) {
	out := r.picked[:0:0]
	for _, p := range r.picked {
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
	r.picked = out
}

// runOf returns the run named by the data-run of the element an event came from.
func runOf(ctx app.Context) string {
	return ctx.JSSrc().Get("dataset").Get("run").String()
}

func (r *Runs) isPicked(id string) bool {
	for _, p := range r.picked {
		if p == id {
			return true
		}
	}
	return false
}

func (r *Runs) renderHistory() app.UI {
	l := r.Lang
	return el.Section().Class("panel history").Aria("labelledby", "history-heading").Body(
		el.H2().ID("history-heading").Text(l.T("history.heading")),
		app.If(len(r.history) == 0, func() app.UI {
			return el.P().Class("intro").Text(l.T("history.empty"))
		}).Else(func() app.UI {
			return el.Ol().Class("history-list").Attr("reversed", true).Body(app.Range(r.history).Slice(func(i int) app.UI {
				h := r.history[i]
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
						Attr("checked", el.Bool(r.isPicked(h.ID))).
						Aria("label", l.Tf("history.pick", h.Method, h.URL)).
						OnChange(func(ctx app.Context, e app.Event) {
							r.pick(runOf(ctx), ctx.JSSrc().Get("checked").Bool())
						}),
					el.Code().Class("history-req").Text(h.Method+" "+withoutTraceparent(h.URL)),
					el.Span().Class("history-status").Text(status),
					el.Span().Class("history-total").Text(total),
					app.Button().Type("button").Attr("data-action", "open-run").Attr("data-run", h.ID).Text(l.T("history.open")).
						OnClick(func(ctx app.Context, e app.Event) {
							ctx.NewActionWithValue(actionOpenRun, runOf(ctx))
						}),
				)
			}))
		}),
		app.Button().Type("button").Class("compare").Attr("data-action", "compare").
			Attr("disabled", el.Bool(len(r.picked) != 2)).Text(l.T("history.compare")).
			OnClick(func(ctx app.Context, e app.Event) {
				ids := append([]string(nil), r.picked...)
				ctx.Async(func() { r.compare(ctx, ids) })
			}),
	)
}

// withoutTraceparent drops what named a page load's run in its query (a
// navigation has no header of the lab's): its ticket, or, in runs stored
// before tickets, its traceparent. It is the lab's plumbing, not the address
// the student asked for.
func withoutTraceparent(u string) string {
	path, query, ok := strings.Cut(u, "?")
	if !ok {
		return u
	}
	var kept []string
	for _, p := range strings.Split(query, "&") {
		if !strings.HasPrefix(p, "traceparent=") && !strings.HasPrefix(p, wire.TicketParam+"=") {
			kept = append(kept, p)
		}
	}
	if len(kept) == 0 {
		return path
	}
	return path + "?" + strings.Join(kept, "&")
}
