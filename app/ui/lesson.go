package ui

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/lesson"
	"reqlab/app/stage"
	"reqlab/app/ui/el"
)

// lessonOf returns the lesson of a /lab/{slug} path, or nil.
func lessonOf(path string) *lesson.Lesson {
	slug, ok := strings.CutPrefix(path, "/lab/")
	if !ok {
		if slug, ok = strings.CutPrefix(path, "/embed/"); !ok {
			return nil
		}
	}
	if l, ok := lesson.Find(slug); ok {
		return &l
	}
	return nil
}

// doneKey is where the browser keeps which lessons are done.
const doneKey = "reqlab.lessons.done"

// loadDone reads which lessons this browser has done.
func (c *Lab) loadDone(ctx app.Context) {
	c.done = map[string]bool{}
	var slugs []string
	if v := app.Window().Get("localStorage").Call("getItem", doneKey); v.Type() == app.TypeString {
		json.Unmarshal([]byte(v.String()), &slugs)
	}
	for _, s := range slugs {
		c.done[s] = true
	}
}

// markDone notes a lesson done, in the browser.
func (c *Lab) markDone(slug string) {
	if c.done == nil {
		c.done = map[string]bool{}
	}
	c.done[slug] = true
	var slugs []string
	for _, s := range lesson.Slugs() {
		if c.done[s] {
			slugs = append(slugs, s)
		}
	}
	b, _ := json.Marshal(slugs)
	app.Window().Get("localStorage").Call("setItem", doneKey, string(b))
}

// about is what the diagram says a stage is: the lesson's words, or the lab's.
func (c *Lab) about(id stage.ID) string {
	if c.lesson != nil {
		if n, ok := c.lesson.Narration[id]; ok {
			return n.In(string(c.lang))
		}
	}
	return c.lang.StageAbout(id)
}

// langQuery keeps the page's language in a link.
func (c *Lab) langQuery() string {
	return "?lang=" + string(c.lang)
}

func (c *Lab) renderMenu() app.UI {
	l := c.lang
	return el.Nav().Class("lessons-menu").Aria("label", l.T("menu.label")).Body(
		el.Ul().Body(
			el.Li().Body(c.menuLink("/", l.T("menu.lab"), c.lesson == nil, false)),
			app.Range(lesson.All).Slice(func(i int) app.UI {
				ls := lesson.All[i]
				current := c.lesson != nil && c.lesson.Slug == ls.Slug
				return el.Li().Attr("data-lesson", ls.Slug).Attr("data-done", c.done[ls.Slug]).
					Body(c.menuLink("/lab/"+ls.Slug, strconv.Itoa(i+1)+". "+ls.Title.In(string(l)), current, c.done[ls.Slug]))
			}),
		),
	)
}

func (c *Lab) menuLink(path, text string, current, done bool) app.UI {
	a := app.A().Href(path + c.langQuery())
	if current {
		a = a.Aria("current", "page")
	}
	return a.Body(
		app.Text(text),
		app.If(done, func() app.UI {
			return el.Span().Class("done-mark").Body(
				el.Span().Aria("hidden", true).Text(" ✓"),
				el.Span().Class("sr-only").Text(" ("+c.lang.T("menu.done")+")"),
			)
		}),
	)
}

func (c *Lab) renderLesson() app.UI {
	ls := c.lesson
	if ls == nil {
		return nil
	}
	l := c.lang
	lang := string(l)
	busy := c.sending || !c.mounted || !c.socketOpen
	return el.Section().Class("panel lesson").Attr("data-lesson-panel", ls.Slug).Aria("labelledby", "lesson-heading").Body(
		el.H2().ID("lesson-heading").Text(ls.Title.In(lang)),
		el.P().Class("course").Text(ls.Course.In(lang)),
		el.H3().Text(l.T("lesson.try")),
		el.Ol().Class("steps").Body(app.Range(ls.Steps).Slice(func(i int) app.UI {
			st := ls.Steps[i]
			return el.Li().Body(
				app.Button().Type("button").Class("step").Attr("data-action", "lesson-step").Attr("data-step", i+1).
					Disabled(busy).
					Body(app.Text(st.Label.In(lang)), el.Code().Text(" "+st.Request.Method+" "+st.Request.URL)).
					OnClick(func(ctx app.Context, e app.Event) {
						c.runStep(ctx, i)
					}),
				app.If(c.stepShown == i+1, func() app.UI {
					return el.P().Class("notice-step").Attr("data-field", "step-notice").Text(st.Notice.In(lang))
				}),
			)
		})),
		app.If(ls.CookieWeight, func() app.UI { return c.renderCookieWeight(busy) }),
		app.If(ls.CookieWeight && c.cookieBlocked(), func() app.UI {
			return el.P().Class("notice-step").Attr("data-field", "cookie-blocked").Attr("role", "note").Text(l.T("lesson.cookie-blocked"))
		}),
		app.If(hasPage(ls), func() app.UI { return c.renderPageLoad() }),
		c.renderQuestion(),
		app.If(!c.embedded && c.mounted, func() app.UI { return &EmbedDialog{Lang: c.lang, Lesson: c.lesson} }),
	)
}

// cookieBlocked reports whether the browser refused the sample site's cookie:
// the lab, framed by a course on another site, makes it a third-party cookie,
// which many browsers block. The stored run shows it: a second visit came
// with no visitas cookie.
func (c *Lab) cookieBlocked() bool {
	if !c.embedded || c.stepShown != 2 || c.stored == nil || c.stored.Request.URL != "/site/api/sesion" {
		return false
	}
	if _, reached := finals(*c.stored)[stage.Receive]; !reached {
		return false
	}
	return !strings.Contains(c.stored.Request.Header("Cookie"), "visitas=")
}

// runStep loads a step's request into the form and sends it, as a fetch or
// as a page load.
func (c *Lab) runStep(ctx app.Context, i int) {
	st := c.lesson.Steps[i]
	c.stepShown = i + 1
	req, ok := c.prepare(st.Request)
	if !ok || c.sending || !c.socketOpen {
		return
	}
	if st.Page {
		c.launch(ctx, req, c.transmitPage)
		return
	}
	c.startRun(ctx, req)
}

func (c *Lab) renderCookieWeight(busy bool) app.UI {
	l := c.lang
	req := lesson.CookieRequest(c.cookieWeight)
	return el.Div().Class("cookie-weight").Body(
		app.Label().For("cookie-weight").Text(l.T("lesson.weight")),
		app.Input().Type("range").ID("cookie-weight").Attr("data-field", "cookie-weight").
			Attr("min", 0).Attr("max", lesson.MaxCookieWeight).Attr("step", 512).
			Value(strconv.Itoa(c.cookieWeight)).
			Aria("valuetext", l.Tf("lesson.weight-value", req.HeaderBytes())).
			OnInput(func(ctx app.Context, e app.Event) {
				c.cookieWeight, _ = strconv.Atoi(ctx.JSSrc().Get("value").String())
			}),
		el.P().Class("hint").Attr("data-field", "cookie-weight-bytes").Text(l.Tf("lesson.weight-value", req.HeaderBytes())),
		app.Button().Type("button").Attr("data-action", "send-weight").Disabled(busy).Text(l.T("lesson.weight-send")).
			OnClick(func(ctx app.Context, e app.Event) {
				if req, ok := c.prepare(lesson.CookieRequest(c.cookieWeight)); ok && !c.sending && c.socketOpen {
					c.startRun(ctx, req)
				}
			}),
	)
}

func (c *Lab) renderQuestion() app.UI {
	ls := c.lesson
	l := c.lang
	lang := string(l)
	q := ls.Question
	return el.Form().Class("question").Attr("data-question", ls.Slug).
		OnSubmit(func(ctx app.Context, e app.Event) {
			e.PreventDefault()
			if c.answer < 0 {
				return
			}
			c.answered = true
			if c.answer == q.Correct {
				c.markDone(ls.Slug)
			}
			c.post(map[string]any{"type": "reqlab:lesson-complete", "lesson": ls.Slug, "correct": c.answer == q.Correct})
		}).
		Body(
			el.FieldSet().Body(
				el.Legend().Text(l.T("lesson.check")+" "+q.Prompt.In(lang)),
				app.Range(q.Options).Slice(func(i int) app.UI {
					id := "answer-" + strconv.Itoa(i)
					return el.Div().Class("option").Body(
						app.Input().Type("radio").ID(id).Name("answer").Value(strconv.Itoa(i)).
							Attr("data-field", "answer").Checked(c.answer == i).
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

func (c *Lab) feedback() string {
	if !c.answered || c.lesson == nil {
		return ""
	}
	q := c.lesson.Question
	if c.answer == q.Correct {
		return c.lang.T("lesson.right") + " " + q.Right.In(string(c.lang))
	}
	return c.lang.T("lesson.wrong") + " " + q.Wrong.In(string(c.lang))
}
