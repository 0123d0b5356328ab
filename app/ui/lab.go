package ui

import (
	"net/url"
	"strings"
	"sync"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/browser"
	"reqlab/app/i18n"
	"reqlab/app/lesson"
	"reqlab/app/stage"
	"reqlab/app/ui/el"
	"reqlab/app/wire"
)

// Lab is the lab's page and the root component of its routes. It wires the
// parts of the page's state, each with the methods that need it alone, to
// the components the page is made of: the form, the lesson, the picture,
// the timeline and the stage cards, the response, the history and
// comparison, each of which owns what only it needs. The parts: the socket
// to the lab's server and its protocol (link, conn.go), the runs on screen
// and what the page says of them (store, store.go), the playback of a
// stored run (player, playback.go), what the form is given (formState), the
// lesson under way (lessonState, lesson.go) and the page that frames the lab
// (hostBridge, embed.go). What is left on Lab is what takes more than one
// part: sending a run live (client.go), showing a stored one (storedrun.go),
// the picture (diagram.go), the cookies' note (cookienote.go) and the page.
type Lab struct {
	app.Compo

	lang          Lang
	mounted       bool
	reducedMotion bool // the reader asked for less motion: nothing glides

	link
	store
	player
	formState
	lessonState
	hostBridge
}

// formState is what the lab gives the form: a request to hold (a lesson's
// step, a replay) with the server's refusals of it, and the simulated
// network picked, which lessons keep too. The form owns what is being
// edited.
type formState struct {
	formLoad stage.Request
	formRev  int
	refused  []stage.FieldError
	network  string
}

// OnInit wires the player to the store (a run played back is drawn as the
// store's) and sets the form to the lab's first request. In the browser it
// reads the page's address (the language, the lesson, the stored run)
// before the first picture, which must be the one the server drew. go-app
// calls it as it mounts the component, before OnPreRender or OnMount.
func (c *Lab) OnInit() {
	c.player.shown = func() { c.showMoment(c.play, c.lang) }
	c.formLoad = stage.Request{Method: "GET", URL: "/site/api/cursos", Headers: []stage.Header{}}
	c.lang = ES
	c.calls = &calls{waiting: make(map[int64]chan reply)}
	if app.IsClient {
		c.follow(app.Window().URL())
		if lang, ok := browser.PrerenderedAttr("html", "lang"); ok && !app.Window().URL().Query().Has("lang") {
			c.lang = langOf(lang) // the server's pick, from the browser's languages
		}
		c.adoptStoredRun()
	}
}

// OnPreRender names the page in the language asked for, on the server, and
// draws a stored run's page with the run already on it.
func (c *Lab) OnPreRender(ctx app.Context) {
	c.setLang(ctx)
	c.prerenderRun(ctx.Page().URL().Path)
}

// OnNav follows ?lang= on every navigation.
func (c *Lab) OnNav(ctx app.Context) {
	c.setLang(ctx)
}

func (c *Lab) setLang(ctx app.Context) {
	c.follow(ctx.Page().URL())
	title := c.lang.T("title")
	if c.lesson != nil {
		title = c.lesson.Title.In(i18n.Lang(c.lang)) + " · " + title
	}
	ctx.Page().SetLang(string(c.lang))
	ctx.Page().SetTitle("%s", title)
	ctx.Page().SetDescription("%s", c.lang.T("description"))
}

// follow takes the language, the embedding and the lesson a page's address
// names.
func (c *Lab) follow(u *url.URL) {
	c.lang = langOf(u.Query().Get("lang"))
	c.embedOpts, c.embedded = embedOf(u)
	if next := lessonOf(u.Path); next == nil || c.lesson == nil || next.Slug != c.lesson.Slug {
		c.lesson, c.stepShown = next, 0
		if next != nil && len(next.Steps) > 0 {
			c.load(next.Steps[0].Request)
		}
	}
}

// OnMount opens the websocket: the lab is ready once it is open.
func (c *Lab) OnMount(ctx app.Context) {
	c.mounted = true
	c.reducedMotion = browser.PrefersReducedMotion()
	c.setLang(ctx) // go-app mounts before it navigates: read the page's URL now
	c.loadDone(ctx)
	if ctx.Page().URL().Query().Get("lang") == "" && browser.PrefersEnglish() {
		// No language asked for, and the browser's is English: speak it,
		// and say so in the address so that a reload keeps it.
		u := *ctx.Page().URL()
		q := u.Query()
		q.Set("lang", "en")
		u.RawQuery = q.Encode()
		ctx.Page().ReplaceURL(&u)
		c.setLang(ctx)
	}
	ctx.Handle(actionSend, func(ctx app.Context, a app.Action) {
		if req, ok := a.Value.(stage.Request); ok {
			c.send(ctx, req)
			c.revealPath(ctx)
		}
	})
	ctx.Handle(actionOpenRun, func(ctx app.Context, a app.Action) {
		if id, ok := a.Value.(string); ok {
			ctx.Async(func() {
				c.openRun(ctx, id, 1)
				ctx.Dispatch(func(ctx app.Context) { c.revealPath(ctx) })
			})
		}
	})
	ctx.Handle(actionStep, func(ctx app.Context, a app.Action) {
		if i, ok := a.Value.(int); ok && c.lesson != nil && i >= 0 && i < len(c.lesson.Steps) {
			c.runStep(ctx, i)
			// A page's load is watched in its frame, under its step (the
			// step says so): on a phone the frame fills the view and the
			// picture waits below it. Brought in, the picture had the page's
			// frame and waterfall grow above it, out of view, and the
			// layout shifted by a whole screen (CLS 0.79).
			if !c.lesson.Steps[i].Page {
				c.revealPath(ctx)
			}
		}
	})
	ctx.Handle(actionWeight, func(ctx app.Context, a app.Action) {
		if w, ok := a.Value.(int); ok {
			if req, ok := c.prepare(lesson.CookieRequest(w)); ok && !c.sending && c.socketOpen {
				c.startRun(ctx, req)
			}
		}
	})
	ctx.Handle(actionAnswered, func(ctx app.Context, a app.Action) {
		if ans, ok := a.Value.(answered); ok {
			if ans.correct {
				c.markDone(ans.lesson)
			}
			c.post(map[string]any{"type": "reqlab:lesson-complete", "lesson": ans.lesson, "correct": ans.correct})
			// The server checks it too: a student launched from a course
			// platform gets their grade there once the lesson is complete.
			choice := ans.choice
			ctx.Async(func() { c.call(wire.Message{Type: wire.Answer, Lesson: ans.lesson, Choice: &choice}) })
		}
	})
	ctx.Handle(actionPlayback, func(ctx app.Context, a app.Action) {
		if pc, ok := a.Value.(playbackControl); ok {
			c.player.control(ctx, pc)
		}
	})
	ctx.Handle(actionNetwork, func(ctx app.Context, a app.Action) {
		if id, ok := a.Value.(string); ok {
			c.network = id
		}
	})
	c.connectHost(ctx, c.fromHost)
	// The server issues the session in the socket's hello; the page asks
	// the API for nothing of it before then. The token it kept goes as a
	// subprotocol, never in the URL (which logs and histories keep).
	c.sock = browser.Dial(func() string { return browser.SocketURL("/ws") },
		func() []string {
			if token := browser.Session(); token != "" {
				return []string{"reqlab", "reqlab.session." + token}
			}
			return []string{"reqlab"}
		},
		func(msg []byte) { c.onMessage(ctx, msg) },
		func(open bool) { ctx.Dispatch(func(ctx app.Context) { c.onSocket(ctx, open) }) })
	if id, ok := strings.CutPrefix(ctx.Page().URL().Path, "/runs/"); ok {
		switch speed := speedOf(ctx.Page().URL().Query().Get("speed")); {
		case !stage.ValidRunID(id):
			c.missing = id // not even the form of a run's id
		case c.play != nil && c.play.run.ID == id:
			// The page came with the run on it: play it from the start.
			c.play.speed = speed
			c.player.start(ctx)
		case c.missing != id:
			ctx.Async(func() { c.openRun(ctx, id, speed) })
		}
	}
}

// revealPath brings the picture of the run into view where it is not, as
// after a lesson's step or View: on a phone it is below the steps, on a
// laptop beside them. In an embed only the frame's own page scrolls, where
// the host gave it less height than it asked for; the host's is left alone.
func (c *Lab) revealPath(ctx app.Context) {
	smooth := !c.reducedMotion
	ctx.Defer(func(app.Context) { browser.Reveal("section.path", smooth) })
}

// OnDismount closes the websocket and stops listening to a host page.
func (c *Lab) OnDismount() {
	if c.sock != nil {
		c.sock.Close()
	}
	if c.host != nil {
		c.host.Close()
	}
}

// Render draws the page from the component's state.
func (c *Lab) Render() app.UI {
	l := c.lang
	root := el.Div().
		Class("lab").
		Attr("data-lab", "reqlab").
		Attr("lang", string(l))
	if c.mounted && c.socketOpen {
		root = root.Attr("data-lab-ready", "true")
	}
	if c.run != nil {
		root = root.Attr("data-run-id", c.run.id)
	}
	if state := c.runState(); state != "" {
		root = root.Attr("data-run-state", state)
	}
	if c.embedded {
		root = root.Attr("data-embed", "true").Attr("data-theme", c.embedOpts.theme)
	}
	busy := c.sending || c.waiting != nil
	return root.Body(
		el.Header().Class("lab-header").Body(
			el.Div().Body(
				el.H1().Text("reqlab"),
				el.P().Class("tagline").Text(l.T("tagline")),
			),
			c.renderLangSwitch(),
		),
		el.P().
			Class("socket-status").
			Attr("role", "status").
			Attr("data-socket", c.socketState(c.mounted)).
			Text(l.T("socket."+c.socketState(c.mounted))),
		app.If(c.notice != "", func() app.UI {
			return el.P().Class("notice").Attr("role", "alert").Text(c.notice)
		}),
		// Shown by the page's start script (start.js) where the client
		// cannot start: the page says so in its own language.
		el.P().Class("notice start-failed").Attr("role", "alert").Attr("data-field", "start-failed").
			Attr("data-starting", l.T("start.starting")).Attr("hidden", true).Text(l.T("start.failed")),
		app.If(!c.embedded, func() app.UI { return c.renderMenu(l) }),
		el.Main().Class("lab-main").Body(
			app.If(c.lesson != nil, func() app.UI {
				return &LessonPanel{Lang: l, Lesson: c.lesson, Busy: busy,
					StepShown: c.stepShown, CookieNote: c.cookieNote(), Page: c.page}
			}),
			app.If(!c.embedded || !c.embedOpts.hideControls, func() app.UI {
				form := &Form{Lang: l, Busy: busy, Sending: c.sending, Starting: c.waiting != nil,
					Network: c.network, Load: c.formLoad, Rev: c.formRev, Refused: c.refused}
				if c.lesson == nil {
					return form
				}
				// In a lesson the steps send the requests: the free form
				// is folded away, a click from them.
				return app.Details().Class("form-fold").Attr("data-field", "form-fold").Body(
					el.Summary().Text(l.T("request.fold")),
					form,
				)
			}),
			c.renderDiagram(),
			&Response{Lang: l, View: c.resp, Stored: c.stored},
			app.If(!c.embedded, func() app.UI { return &Runs{Lang: l, Session: c.session, Rev: c.runsRev} }),
			app.If(!c.embedded || !c.embedOpts.hideControls, func() app.UI { return &SampleData{Lang: l, Session: c.session} }),
			// The teacher's tool, after the student's: out of their path.
			app.If(c.lesson != nil && !c.embedded && c.mounted, func() app.UI {
				return el.Section().Class("panel teacher").Aria("labelledby", "teacher-heading").Body(
					el.H2().ID("teacher-heading").Text(l.T("teacher.heading")),
					&EmbedDialog{Lang: l, Lesson: c.lesson},
				)
			}),
		),
		el.Div().Class("sr-only").Attr("aria-live", "polite").Attr("data-field", "live").Text(c.live),
		c.renderStoredRun(),
	)
}

// runState says whether the run on screen is under way ("running") or has
// shown every stage ("done"), live or played back; "" with no run.
func (c *Lab) runState() string {
	if played := c.playState(); played != "" {
		return played
	}
	switch {
	case c.sending:
		return "running"
	case c.run != nil:
		return "done"
	}
	return ""
}

func (c *Lab) renderLangSwitch() app.UI {
	other := EN
	if c.lang == EN {
		other = ES
	}
	return app.A().
		Class("lang-switch").
		Href("?lang="+string(other)).
		Attr("hreflang", string(other)).
		Attr("lang", string(other)).
		Title(c.lang.T("other-lang-hint")).
		Text(c.lang.T("other-lang"))
}

// load puts a request in the form, as a lesson's step, a replay and a run
// played back do; a request with a network of its own brings it along.
func (c *formState) load(req stage.Request) {
	if req.Network != "" {
		c.network = req.Network
	}
	c.formLoad, c.formRev, c.refused = req, c.formRev+1, nil
}

// prepare puts a request in the form and through its rules, and returns the
// request the form would send — the browser's own headers left out, the
// network picked — and whether it may be sent; the form shows what is
// refused.
func (c *formState) prepare(req stage.Request) (stage.Request, bool) {
	c.load(req)
	var d draft
	d.load(req)
	d.network = c.network
	out, ok := d.check()
	c.refused = d.fieldErrs
	return out, ok
}

// calls pairs the server's replies with the messages that asked for them.
type calls struct {
	mu      sync.Mutex
	next    int64
	waiting map[int64]chan reply
}
