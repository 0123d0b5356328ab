package ui

import (
	"strconv"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

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

// player plays a stored run back, one at a time: the lab's part that owns
// the playback. What the run looks like after each moment is the lab's to
// draw (shown); the player says when.
type player struct {
	play *playback
	// shown draws the run played back as it stands after play.pos moments.
	shown func()
}

// show puts run on screen for playback at speed, at its start.
func (pl *player) show(run stage.Run, speed float64) {
	pl.stop()
	pl.play = &playback{run: run, tl: timeline.Build(run.Events, 0).FromFirst(), speed: speed}
	pl.shown()
}

// toEnd shows the whole run, paused at its end, as a run's page first does.
func (pl *player) toEnd() {
	pl.seek(len(pl.play.tl.Moments))
}

// start plays the run on from where it stands, or again from its start
// where it had ended.
func (pl *player) start(ctx app.Context) {
	p := pl.play
	if p.pos >= len(p.tl.Moments) {
		p.pos = 0
		pl.shown()
	}
	p.playing = true
	pl.schedule(ctx, time.Now())
}

// schedule plays the next moment as due after one that was due at from: its
// wait is counted from then. The page is drawn a frame at a time (go-app
// gathers a frame's updates), and two moments in one frame would show as
// one: the next moment is only waited for once this one is drawn.
func (pl *player) schedule(ctx app.Context, from time.Time) {
	p := pl.play
	if p == nil || !p.playing {
		return
	}
	if p.pos >= len(p.tl.Moments) {
		p.playing, p.glide = false, 0
		return
	}
	p.gen++
	gen := p.gen
	p.glide = p.wait()
	due := from.Add(p.glide)
	ctx.After(max(0, time.Until(due)), func(ctx app.Context) {
		if pl.play != p || p.gen != gen || !p.playing {
			return
		}
		p.pos++
		pl.shown()
		if p.pos >= len(p.tl.Moments) {
			p.playing, p.glide = false, 0
			return
		}
		p.glide = p.wait() // the token glides on for as long as the next is due
		ctx.Defer(func(ctx app.Context) {
			if pl.play == p && p.gen == gen && p.playing {
				pl.schedule(ctx, due)
			}
		})
	})
}

// pause stops the playback where it is.
func (pl *player) pause() {
	if p := pl.play; p != nil {
		p.playing = false
		p.gen++
		p.glide = 0
	}
}

// seek shows the first pos moments, paused.
func (pl *player) seek(pos int) {
	pl.pause()
	pl.play.pos = max(0, min(pos, len(pl.play.tl.Moments)))
	pl.shown()
}

// stop leaves playback: what comes next is live.
func (pl *player) stop() {
	pl.pause()
	pl.play = nil
}

// playState says whether a run is played back and whether it is under way
// ("running") or at its end ("done"); "" where none is.
func (pl *player) playState() string {
	switch p := pl.play; {
	case p == nil:
		return ""
	case p.pos < len(p.tl.Moments):
		return "running"
	}
	return "done"
}

// controls draws the playback's controls, where a run is played back.
func (pl *player) controls(l Lang) app.UI {
	p := pl.play
	if p == nil {
		return nil
	}
	return &PlaybackControls{Lang: l, Pos: p.pos, N: len(p.tl.Moments), Playing: p.playing, Speed: p.speed}
}

// playbackControl is a control of the playback, as an action's value.
type playbackControl struct {
	play, pause bool
	seek        int // a position to go to, when not playing or pausing
	speed       float64
}

// actionPlayback carries a playbackControl to the lab.
const actionPlayback = "reqlab:playback"

// control applies a control of the playback.
func (pl *player) control(ctx app.Context, pc playbackControl) {
	p := pl.play
	switch {
	case p == nil:
	case pc.play:
		pl.start(ctx)
	case pc.pause:
		pl.pause()
	case pc.speed > 0:
		p.speed = pc.speed
		if p.playing {
			pl.schedule(ctx, time.Now()) // the waiting step is replaced, at the new pace
		}
	default:
		pl.seek(pc.seek)
	}
}

// PlaybackControls are the playback's buttons: play or pause, one moment back
// or forward, the speed and the position.
type PlaybackControls struct {
	app.Compo

	Lang    Lang
	Pos, N  int
	Playing bool
	Speed   float64
}

// Render draws the controls.
func (pc *PlaybackControls) Render() app.UI {
	l := pc.Lang
	send := func(ctx app.Context, v playbackControl) { ctx.NewActionWithValue(actionPlayback, v) }
	toggle := app.Button().Type("button").Class("play")
	if pc.Playing {
		toggle = toggle.Attr("data-action", "pause").Body(icon("pause"), app.Text(l.T("playback.pause"))).
			OnClick(func(ctx app.Context, e app.Event) { send(ctx, playbackControl{pause: true}) })
	} else {
		toggle = toggle.Attr("data-action", "play").Body(icon("play"), app.Text(l.T("playback.play"))).
			OnClick(func(ctx app.Context, e app.Event) { send(ctx, playbackControl{play: true}) })
	}
	return el.Div().Class("playback").Attr("role", "group").Aria("label", l.T("playback.label")).Body(
		toggle,
		app.Button().Type("button").Attr("data-action", "step-back").Attr("disabled", el.Bool(pc.Pos == 0)).
			Aria("label", l.T("playback.back")).Body(icon("back"), app.Text(l.T("playback.back-short"))).
			OnClick(func(ctx app.Context, e app.Event) { send(ctx, playbackControl{seek: pc.Pos - 1}) }),
		app.Button().Type("button").Attr("data-action", "step-forward").Attr("disabled", el.Bool(pc.Pos == pc.N)).
			Aria("label", l.T("playback.forward")).Body(app.Text(l.T("playback.forward-short")), icon("forward")).
			OnClick(func(ctx app.Context, e app.Event) { send(ctx, playbackControl{seek: pc.Pos + 1}) }),
		app.Label().For("playback-speed").Text(l.T("playback.speed")),
		app.Select().ID("playback-speed").Attr("data-field", "speed").
			OnChange(func(ctx app.Context, e app.Event) {
				send(ctx, playbackControl{speed: speedOf(ctx.JSSrc().Get("value").String())})
			}).
			Body(app.Range(speeds).Slice(func(i int) app.UI {
				s := speeds[i]
				return app.Option().Value(strconv.FormatFloat(s, 'f', -1, 64)).Attr("selected", el.Bool(s == pc.Speed)).Text(speedLabel(s))
			})),
		app.Label().For("playback-scrubber").Class("sr-only").Text(l.T("playback.scrubber")),
		app.Input().Type("range").ID("playback-scrubber").Attr("data-field", "scrubber").
			Attr("min", 0).Attr("max", pc.N).Attr("step", 1).Value(strconv.Itoa(pc.Pos)).
			Aria("valuetext", l.Tf("playback.position", pc.Pos, pc.N)).
			OnInput(func(ctx app.Context, e app.Event) {
				v, _ := strconv.Atoi(ctx.JSSrc().Get("value").String())
				send(ctx, playbackControl{seek: v})
			}),
		el.Span().Attr("data-field", "playback-pos").Attr("data-pos", pc.Pos).Attr("data-playing", pc.Playing).
			Text(l.Tf("playback.position", pc.Pos, pc.N)),
	)
}

// icons are the playback's icons, drawn rather than taken from a font that
// may not have them: 12 × 12 paths.
var icons = map[string]string{
	"play":    "M3 1.5 L11 6 L3 10.5 Z",
	"pause":   "M2.5 1.5 H5 V10.5 H2.5 Z M7 1.5 H9.5 V10.5 H7 Z",
	"back":    "M1.5 1.5 H3.5 V10.5 H1.5 Z M10.5 1.5 L4 6 L10.5 10.5 Z",
	"forward": "M8.5 1.5 H10.5 V10.5 H8.5 Z M1.5 1.5 L8 6 L1.5 10.5 Z",
}

func icon(name string) app.UI {
	return el.SVG("svg").Class("icon").Attr("viewBox", "0 0 12 12").Attr("width", 12).Attr("height", 12).
		Attr("aria-hidden", "true").Attr("focusable", "false").
		Body(el.SVG("path").Attr("d", icons[name]))
}

func speedLabel(s float64) string {
	if s < 1 {
		return "1/" + strconv.Itoa(int(1/s+0.5)) + "×"
	}
	return strconv.FormatFloat(s, 'f', -1, 64) + "×"
}
