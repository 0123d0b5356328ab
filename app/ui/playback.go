package ui

import (
	"strconv"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/browser"
	"reqlab/app/stage"
	"reqlab/app/timeline"
	"reqlab/app/ui/el"
)

// playback replays a stored run on one clock: its moments in the order they
// happened, each after the time the run took to get there, at a chosen speed.
type playback struct {
	run     stage.Run
	tl      timeline.Timeline
	pos     int // how many moments have happened
	playing bool
	speed   float64
	gen     int           // bumped to cancel the step that is waiting
	glide   time.Duration // how long until the next moment, as played
}

// speeds are the playback speeds offered: slow motion down to 1/20.
var speeds = []float64{0.05, 0.1, 0.25, 0.5, 1, 2}

// minStep is the shortest pause between two moments played back: moments of
// the same instant still get a frame each, so each can be seen (and
// announced) in its turn.
const minStep = 40 * time.Millisecond

// maxStill is the longest the playback stands still between two moments
// when slowed down: slow motion is for the quick parts, and a wait the run
// really had is played at no slower than its own length.
const maxStill = time.Second

// speedOf reads a speed from a URL parameter; 1 where it is not one offered.
func speedOf(v string) float64 {
	f, err := strconv.ParseFloat(v, 64)
	for _, s := range speeds {
		if err == nil && f == s {
			return s
		}
	}
	return 1
}

// runIDFromPath returns the run of a /runs/{id} page, or "".
func runIDFromPath(path string) string {
	id, ok := strings.CutPrefix(path, "/runs/")
	if !ok || !stage.ValidRunID(id) {
		return ""
	}
	return id
}

// wait is how long to stand on moment pos before the next happens.
func (p *playback) wait() time.Duration {
	m := p.tl.Moments
	if p.pos >= len(m) {
		return 0
	}
	gap := m[p.pos].At
	if p.pos > 0 {
		gap -= m[p.pos-1].At
	}
	real := time.Duration(max(0, gap) * float64(time.Millisecond))
	w := time.Duration(float64(real) / p.speed)
	if w > maxStill && w > real {
		w = max(maxStill, real)
	}
	return max(minStep, w)
}

// openRun loads a stored run and plays it back from the start. It blocks.
func (c *Lab) openRun(ctx app.Context, id string, speed float64) {
	var run stage.Run
	if code, err := browser.GetJSON("/api/runs/"+id, &run); err != nil || code != 200 {
		ctx.Dispatch(func(ctx app.Context) { c.notice = c.lang.T("error.open-run") })
		return
	}
	ctx.Dispatch(func(ctx app.Context) {
		c.stopPlayback()
		c.play = &playback{run: run, tl: timeline.Build(run.Events, 0), speed: speed}
		c.stored = &run
		c.resp = nil
		if r := run.Response; r != nil {
			view, _ := parseResponse(browser.Response{Status: r.Status, Headers: r.Headers, Body: r.Body})
			c.resp = &view
		}
		c.load(run.Request)
		c.showPlayback()
		c.startPlaying(ctx)
	})
}

// showPlayback shows the run played back as it stood after pos moments.
func (c *Lab) showPlayback() {
	p := c.play
	c.run = newRunView(p.run.ID)
	for _, e := range p.run.Events {
		c.run.add(e)
	}
	c.run.complete = p.pos == len(p.tl.Moments)
	if p.pos > 0 {
		m := p.tl.Moments[p.pos-1]
		c.live = c.lang.Tf("live.stage", c.lang.StageName(m.Stage), c.lang.T("state."+string(m.State)), describe(c.lang, m.Event))
	}
}

func (c *Lab) startPlaying(ctx app.Context) {
	p := c.play
	if p.pos >= len(p.tl.Moments) {
		p.pos = 0
		c.showPlayback()
	}
	p.playing = true
	c.scheduleStep(ctx)
}

func (c *Lab) scheduleStep(ctx app.Context) {
	p := c.play
	if p == nil || !p.playing {
		return
	}
	if p.pos >= len(p.tl.Moments) {
		p.playing, p.glide = false, 0
		return
	}
	p.gen++
	gen := p.gen
	wait := p.wait()
	p.glide = wait
	ctx.After(wait, func(ctx app.Context) {
		if c.play != p || p.gen != gen || !p.playing {
			return
		}
		p.pos++
		c.showPlayback()
		c.scheduleStep(ctx)
	})
}

// pause stops the playback where it is.
func (c *Lab) pause() {
	if c.play != nil {
		c.play.playing = false
		c.play.gen++
		c.play.glide = 0
	}
}

// seek shows the first pos events, paused.
func (c *Lab) seek(pos int) {
	c.pause()
	c.play.pos = max(0, min(pos, len(c.play.tl.Moments)))
	c.showPlayback()
}

// stopPlayback leaves playback: what comes next is live.
func (c *Lab) stopPlayback() {
	c.pause()
	c.play = nil
}

func (c *Lab) renderPlayback() app.UI {
	p := c.play
	if p == nil {
		return nil
	}
	l := c.lang
	n := len(p.tl.Moments)
	toggle := app.Button().Type("button").Class("play")
	if p.playing {
		toggle = toggle.Attr("data-action", "pause").Text(l.T("playback.pause")).
			OnClick(func(ctx app.Context, e app.Event) { c.pause() })
	} else {
		toggle = toggle.Attr("data-action", "play").Text(l.T("playback.play")).
			OnClick(func(ctx app.Context, e app.Event) { c.startPlaying(ctx) })
	}
	return el.Div().Class("playback").Attr("role", "group").Aria("label", l.T("playback.label")).Body(
		toggle,
		app.Button().Type("button").Attr("data-action", "step-back").Disabled(p.pos == 0).
			Aria("label", l.T("playback.back")).Text("⏮ "+l.T("playback.back-short")).
			OnClick(func(ctx app.Context, e app.Event) { c.seek(p.pos - 1) }),
		app.Button().Type("button").Attr("data-action", "step-forward").Disabled(p.pos == n).
			Aria("label", l.T("playback.forward")).Text(l.T("playback.forward-short")+" ⏭").
			OnClick(func(ctx app.Context, e app.Event) { c.seek(p.pos + 1) }),
		app.Label().For("playback-speed").Text(l.T("playback.speed")),
		app.Select().ID("playback-speed").Attr("data-field", "speed").
			OnChange(func(ctx app.Context, e app.Event) {
				p.speed = speedOf(ctx.JSSrc().Get("value").String())
				if p.playing {
					c.scheduleStep(ctx) // the waiting step is replaced, at the new pace
				}
			}).
			Body(app.Range(speeds).Slice(func(i int) app.UI {
				s := speeds[i]
				return app.Option().Value(strconv.FormatFloat(s, 'f', -1, 64)).Selected(s == p.speed).Text(speedLabel(s))
			})),
		app.Label().For("playback-scrubber").Class("sr-only").Text(l.T("playback.scrubber")),
		app.Input().Type("range").ID("playback-scrubber").Attr("data-field", "scrubber").
			Attr("min", 0).Attr("max", n).Attr("step", 1).Value(strconv.Itoa(p.pos)).
			Aria("valuetext", l.Tf("playback.position", p.pos, n)).
			OnInput(func(ctx app.Context, e app.Event) {
				v, _ := strconv.Atoi(ctx.JSSrc().Get("value").String())
				c.seek(v)
			}),
		el.Span().Attr("data-field", "playback-pos").Attr("data-pos", p.pos).Attr("data-playing", p.playing).
			Text(l.Tf("playback.position", p.pos, n)),
	)
}

func speedLabel(s float64) string {
	if s < 1 {
		return "1/" + strconv.Itoa(int(1/s+0.5)) + "×"
	}
	return strconv.FormatFloat(s, 'f', -1, 64) + "×"
}
