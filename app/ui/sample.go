package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/browser"
	"reqlab/app/ui/el"
)

// SampleData says whose the sample site's catalogue is — this browser's:
// the seed courses and the ones it added, seen by no one else — and takes
// it back to the seed on request.
type SampleData struct {
	app.Compo

	Lang Lang
	// Session is this browser's lab session; "" while prerendering.
	Session string

	busy   bool
	status string // what the last reset did, in words
}

// Render draws the note and the reset button.
func (s *SampleData) Render() app.UI {
	l := s.Lang
	return el.Section().Class("panel sample-data").Aria("labelledby", "sample-heading").Body(
		el.H2().ID("sample-heading").Text(l.T("sample.heading")),
		el.P().Class("intro").Text(l.T("sample.intro")),
		app.Button().
			Type("button").
			Class("secondary").
			Attr("data-action", "reset-sample").
			Attr("disabled", el.Bool(s.Session == "" || s.busy)).
			Text(l.T("sample.reset")).
			OnClick(s.reset),
		el.P().Class("sample-status").Attr("role", "status").Attr("data-field", "sample-status").Text(s.status),
	)
}

// reset asks the lab's server to delete the courses this browser added.
func (s *SampleData) reset(ctx app.Context, e app.Event) {
	session, l := s.Session, s.Lang
	if session == "" || s.busy {
		return
	}
	s.busy, s.status = true, l.T("sample.resetting")
	ctx.Async(func() {
		var out struct {
			Deleted int `json:"deleted"`
		}
		code, err := browser.AsSession("DELETE", "/api/sample-data", session, &out)
		ctx.Dispatch(func(ctx app.Context) {
			s.busy = false
			switch {
			case err != nil || code != 200:
				s.status = l.T("sample.failed")
			case out.Deleted == 0:
				s.status = l.T("sample.none")
			case out.Deleted == 1:
				s.status = l.T("sample.done-one")
			default:
				s.status = l.Tf("sample.done", out.Deleted)
			}
		})
	})
}
