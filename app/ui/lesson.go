package ui

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/browser"
	"reqlab/app/i18n"
	"reqlab/app/lesson"
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

// lessonState is the lesson under way, if any, and the lessons done.
type lessonState struct {
	lesson    *lesson.Lesson
	done      map[string]bool   // lessons done in this browser
	stepShown int               // the lesson step last sent, from 1
	page      *browser.PageLoad // the last page loaded in the page-load lesson
}

// loadDone reads which lessons this browser has done.
func (c *lessonState) loadDone(ctx app.Context) {
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
func (c *lessonState) markDone(slug string) {
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

// renderMenu draws the lessons' menu in l: the lab, then every lesson, the
// one under way marked current and each done marked done.
func (c *lessonState) renderMenu(l Lang) app.UI {
	return el.Nav().Class("lessons-menu").Aria("label", l.T("menu.label")).Body(
		el.Ul().Body(
			el.Li().Body(menuLink(l, "/", l.T("menu.lab"), c.lesson == nil, false)),
			app.Range(lesson.All).Slice(func(i int) app.UI {
				ls := lesson.All[i]
				current := c.lesson != nil && c.lesson.Slug == ls.Slug
				return el.Li().Attr("data-lesson", ls.Slug).Attr("data-done", c.done[ls.Slug]).
					Body(menuLink(l, "/lab/"+ls.Slug, strconv.Itoa(i+1)+". "+ls.Title.In(i18n.Lang(l)), current, c.done[ls.Slug]))
			}),
		),
	)
}

// menuLink is one link of the menu, which keeps the page's language.
func menuLink(l Lang, path, text string, current, done bool) app.UI {
	a := app.A().Href(path + "?lang=" + string(l))
	if current {
		a = a.Aria("current", "page")
	}
	return a.Body(
		app.Text(text),
		app.If(done, func() app.UI {
			return el.Span().Class("done-mark").Body(
				el.Span().Aria("hidden", true).Text(" ✓"),
				el.Span().Class("sr-only").Text(" ("+l.T("menu.done")+")"),
			)
		}),
	)
}

// runStep loads a step's request into the form and sends it, as a fetch or
// as a page load.
func (c *Lab) runStep(ctx app.Context, i int) {
	st := c.lesson.Steps[i]
	c.stepShown = i + 1
	req, ok := c.prepare(st.Request)
	if !ok || c.sending || c.waiting != nil {
		return
	}
	if !c.socketOpen {
		c.waiting = func(ctx app.Context) { c.runStep(ctx, i) }
		return
	}
	if st.Page {
		c.launch(ctx, req, c.transmitPage)
		return
	}
	c.startRun(ctx, req)
}
