package ui

import (
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/browser"
	"reqlab/app/i18n"
	"reqlab/app/lesson"
	"reqlab/app/ui/el"
)

// The lesson's actions, handled by the lab.
const (
	actionStep     = "reqlab:step"     // the index of the step to run
	actionWeight   = "reqlab:weight"   // the cookie weight to send the request with
	actionAnswered = "reqlab:answered" // an answered
)

// answered is the check question answered.
type answered struct {
	lesson  string
	choice  int
	correct bool
}

// LessonPanel is a lesson: what the course says, the experiment's steps with
// what to notice, the lesson's own controls and results, and the check
// question.
type LessonPanel struct {
	app.Compo

	Lang   Lang
	Lesson *lesson.Lesson
	// Busy disables the steps (a run under way, or no connection).
	Busy bool
	// StepShown is the step last run, from 1; its notice is shown.
	StepShown int
	// CookieNote says what happened to the cookies of the request on
	// screen (see cookienote.go); nil for none.
	CookieNote app.UI
	// Page is the page loaded by the page-load lesson, once it is.
	Page *browser.PageLoad
}

// Render draws the lesson.
func (p *LessonPanel) Render() app.UI {
	ls := p.Lesson
	l := p.Lang
	lang := i18n.Lang(l)
	busy := p.Busy
	return el.Section().Class("panel lesson").Attr("data-lesson-panel", ls.Slug).Aria("labelledby", "lesson-heading").Body(
		el.H2().ID("lesson-heading").Text(ls.Title.In(lang)),
		el.P().Class("course").Text(ls.Course.In(lang)),
		el.H3().Text(l.T("lesson.try")),
		el.Ol().Class("steps").Body(app.Range(ls.Steps).Slice(func(i int) app.UI {
			st := ls.Steps[i]
			return el.Li().Body(
				app.Button().Type("button").Class("step").Attr("data-action", "lesson-step").Attr("data-step", i+1).
					Attr("disabled", el.Bool(busy)).
					Body(app.Text(st.Label.In(lang)), el.Code().Text(" "+st.Request.Method+" "+st.Request.URL)).
					OnClick(func(ctx app.Context, e app.Event) {
						ctx.NewActionWithValue(actionStep, i)
					}),
				app.If(p.StepShown == i+1, func() app.UI {
					return el.P().Class("notice-step").Attr("data-field", "step-notice").Text(st.Notice.In(lang))
				}),
			)
		})),
		app.If(ls.CookieWeight, func() app.UI { return &CookieWeight{Lang: l, Busy: busy} }),
		app.If(ls.CookieWeight && p.CookieNote != nil, func() app.UI { return p.CookieNote }),
		app.If(hasPage(ls), func() app.UI { return p.renderPageLoad() }),
		&Question{Lang: l, Lesson: ls},
	)
}

// CookieWeight is the cookie lesson's control: a weight of cookies to add,
// and a button to send the request with them.
type CookieWeight struct {
	app.Compo

	Lang Lang
	Busy bool

	weight int
}

// Render draws the control.
func (w *CookieWeight) Render() app.UI {
	l := w.Lang
	busy := w.Busy
	req := lesson.CookieRequest(w.weight)
	return el.Div().Class("cookie-weight").Body(
		app.Label().For("cookie-weight").Text(l.T("lesson.weight")),
		app.Input().Type("range").ID("cookie-weight").Attr("data-field", "cookie-weight").
			Attr("min", 0).Attr("max", lesson.MaxCookieWeight).Attr("step", 512).
			Value(strconv.Itoa(w.weight)).
			Aria("valuetext", l.Tf("lesson.weight-value", req.HeaderBytes())).
			OnInput(func(ctx app.Context, e app.Event) {
				w.weight, _ = strconv.Atoi(ctx.JSSrc().Get("value").String())
			}),
		el.P().Class("hint").Attr("data-field", "cookie-weight-bytes").Text(l.Tf("lesson.weight-value", req.HeaderBytes())),
		app.Button().Type("button").Attr("data-action", "send-weight").Attr("disabled", el.Bool(busy)).Text(l.T("lesson.weight-send")).
			OnClick(func(ctx app.Context, e app.Event) {
				ctx.NewActionWithValue(actionWeight, w.weight)
			}),
	)
}

// Question is the lesson's check question; it owns the answer picked.
type Question struct {
	app.Compo

	Lang   Lang
	Lesson *lesson.Lesson

	slug     string
	answer   int // the option picked, -1 for none
	answered bool
}

// OnInit starts with nothing picked.
func (c *Question) OnInit() { c.slug, c.answer = c.Lesson.Slug, -1 }

// OnUpdate starts again on another lesson.
func (c *Question) OnUpdate(ctx app.Context) {
	if c.Lesson.Slug != c.slug {
		c.slug, c.answer, c.answered = c.Lesson.Slug, -1, false
	}
}

// Render draws the question and, once answered, its feedback.
func (c *Question) Render() app.UI {
	ls := c.Lesson
	l := c.Lang
	lang := i18n.Lang(l)
	q := ls.Question
	return el.Form().Class("question").Attr("data-question", ls.Slug).
		OnSubmit(func(ctx app.Context, e app.Event) {
			e.PreventDefault()
			if c.answer < 0 {
				return
			}
			c.answered = true
			ctx.NewActionWithValue(actionAnswered, answered{lesson: ls.Slug, choice: c.answer, correct: c.answer == q.Correct})
		}).
		Body(
			el.FieldSet().Body(
				el.Legend().Text(l.T("lesson.check")+" "+q.Prompt.In(lang)),
				app.Range(q.Options).Slice(func(i int) app.UI {
					id := "answer-" + strconv.Itoa(i)
					return el.Div().Class("option").Body(
						app.Input().Type("radio").ID(id).Name("answer").Value(strconv.Itoa(i)).
							Attr("data-field", "answer").Attr("checked", el.Bool(c.answer == i)).
							OnChange(func(ctx app.Context, e app.Event) { c.answer, c.answered = i, false }),
						app.Label().For(id).Text(q.Options[i].In(lang)),
					)
				}),
			),
			app.Button().Type("submit").Attr("data-action", "check-answer").Text(l.T("lesson.check-button")),
			el.P().Class("feedback").Attr("role", "status").Attr("data-field", "feedback").
				Attr("data-correct", c.answered && c.answer == q.Correct).
				Text(c.feedback()),
		)
}

func (c *Question) feedback() string {
	if !c.answered || c.Lesson == nil {
		return ""
	}
	q := c.Lesson.Question
	if c.answer == q.Correct {
		return c.Lang.T("lesson.right") + " " + q.Right.In(i18n.Lang(c.Lang))
	}
	return c.Lang.T("lesson.wrong") + " " + q.Hints[c.answer].In(i18n.Lang(c.Lang))
}
