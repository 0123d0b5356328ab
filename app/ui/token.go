package ui

import (
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/stage"
	"reqlab/app/timeline"
)

// The token of a live run: its events come in batches (the server's stages
// at once), and the token visits each place they tell of in turn.

// visitState is where the token stands on a live run's way, and since when.
type visitState struct {
	run     string
	rank    int // the rank (visitRank) of the place shown; -1 for none yet
	since   time.Time
	pending bool
}

// visitMin is the shortest a live token stays where it is: a server's stages
// take a fraction of a millisecond, and each must still be seen.
const visitMin = 80 * time.Millisecond

// OnMount keeps the picture's context, to step a live token with.
func (p *Picture) OnMount(ctx app.Context) {
	p.ctx, p.mounted = ctx, true
	p.follow()
}

// OnDismount stops stepping.
func (p *Picture) OnDismount() { p.mounted = false }

// OnUpdate moves a live token on toward where the run has got to.
func (p *Picture) OnUpdate(ctx app.Context) { p.follow() }

// stop is one place on the token's way: a stage, or the network while the
// request or its answer crosses it.
type stop struct {
	at  string // a stage id, or timeline.Network
	leg stage.Leg
}

// visitOrderOf ranks the places a request can be, in the order it passes
// them: the client's way out, the crossing, the server's stages, the
// crossing back, the client's way back. A run goes through them once, in
// this order, so a live token only ever moves up it.
func visitOrderOf(table []stage.Info) []stop {
	var out []stop
	for _, s := range table {
		if s.Side == stage.Client && s.Leg == stage.Out && s.ID != stage.Wait {
			out = append(out, stop{string(s.ID), s.Leg})
		}
	}
	out = append(out, stop{timeline.Network, stage.Out})
	for _, s := range table {
		if s.Side == stage.Server {
			out = append(out, stop{string(s.ID), stage.Out})
		}
	}
	out = append(out, stop{timeline.Network, stage.Back})
	for _, s := range table {
		if s.Side == stage.Client && s.Leg == stage.Back {
			out = append(out, stop{string(s.ID), s.Leg})
		}
	}
	return out
}

func visitRank(v stop) int {
	for i, o := range visitOrder {
		if o.at == v.at && (o.at != timeline.Network || o.leg == v.leg) {
			return i
		}
	}
	return -1
}

// stops returns the places the run's token has passed, in order.
func stops(tl timeline.Timeline) []stop {
	var out []stop
	for n := 1; n <= len(tl.Moments); n++ {
		v := stop{tl.Where(n), tl.Leg(n)}
		if v.at == "" || len(out) > 0 && out[len(out)-1] == v {
			continue
		}
		out = append(out, v)
	}
	return out
}

// follow steps a live token one place on, once it has stood visitMin where
// it is, until it is where the run is. The page is drawn a frame at a time
// (go-app gathers a frame's updates), and two places in one frame would show
// as one: a place is left only once it has been drawn.
func (p *Picture) follow() {
	v := &p.visit
	if !p.Live || !p.mounted {
		return
	}
	if v.run != p.Run {
		*v = visitState{run: p.Run, rank: -1}
	}
	next, ok := p.nextStop()
	if !ok || v.pending {
		return
	}
	v.pending = true
	run := p.Run
	again := func(ctx app.Context) {
		if p.visit.run == run {
			p.visit.pending = false
			p.follow()
		}
	}
	if wait := visitMin - time.Since(v.since); v.rank >= 0 && wait > 0 {
		p.ctx.After(wait, again)
		return
	}
	v.rank, v.since = visitRank(next), time.Now()
	// Once drawn, on again (Dispatch: what it changes is drawn).
	p.ctx.Defer(func(ctx app.Context) { ctx.Dispatch(again) })
}

// nextStop is the first place on the run's way past the one shown.
func (p *Picture) nextStop() (stop, bool) {
	for _, s := range stops(p.TL) {
		if visitRank(s) > p.visit.rank {
			return s, true
		}
	}
	return stop{}, false
}

// where returns where the token is shown: live, the place it has got to on
// its way; else where the run is once the first N moments have happened.
func (p *Picture) where() stop {
	if p.Live && p.visit.run == p.Run && p.visit.rank >= 0 {
		return visitOrder[p.visit.rank]
	}
	return stop{p.TL.Where(p.N), p.TL.Leg(p.N)}
}
