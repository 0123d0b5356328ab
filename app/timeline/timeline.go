// Package timeline puts a run's events on one clock. Each side measures on its
// own clock, from the moment the run was opened there: the client from just
// before it asked the lab's server to open the run, the server from when it
// opened it. The server's clock is placed on the client's by what must be
// true of the two:
//
//   - the server opened the run after the client asked and before the
//     client heard back: its zero lies between the client's zero and the
//     client's `cache` start (reported as soon as the answer came);
//   - the server received the request after the browser began sending it
//     and began answering before the browser saw the first byte: the
//     server's receive..respond-start lies inside the client's wait.
//
// The offset is the middle of what both allow; Slack is how far off it can
// be. On loopback that is a fraction of a millisecond; across a network,
// about half the round trip.
//
// It is plain Go with no browser in it, so the rules are tested off the
// browser; the picture, the timeline and playback all read it.
package timeline

import (
	"math"
	"sort"

	"reqlab/app/stage"
)

// Clock places the server's times on the client's clock.
type Clock struct {
	// Offset is added to a server t_ms to put it on the client's clock.
	Offset float64
	// Slack is how far Offset can be from the truth, either way; -1 where
	// nothing bounds it (no wait was measured and the client's first
	// report is missing).
	Slack float64
}

// Align finds the clock that puts the server's events inside the client's.
func Align(events []stage.Event) Clock {
	lo, hi := 0.0, math.Inf(1)
	var waitStart, waitEnd, serverFirst, respondStart, toldWait float64
	haveWait, haveServer, haveRespond, told := false, false, false, false
	for _, e := range events {
		switch {
		case e.Stage == stage.Cache && e.Phase == stage.Start:
			hi = min(hi, e.TMs)
		case e.Stage == stage.Wait && e.Phase == stage.End && e.DurMs != nil:
			waitStart, waitEnd, haveWait = e.TMs, e.TMs+*e.DurMs, true
		case e.Stage == stage.Wait && e.Phase == stage.Start && !told:
			toldWait, told = e.TMs, true
		case e.Side == stage.Server:
			if !haveServer || e.TMs < serverFirst {
				serverFirst, haveServer = e.TMs, true
			}
			if e.Stage == stage.Respond {
				respondStart, haveRespond = e.TMs, true
			}
		}
	}
	if !haveServer {
		return Clock{}
	}
	clo, chi := lo, hi
	if !haveWait && told && toldWait-serverFirst <= chi {
		// Live, before the browser's own timing: the page said when it
		// began to wait, and the server received the request after.
		clo = max(lo, toldWait-serverFirst)
	}
	if haveWait {
		clo = max(lo, waitStart-serverFirst)
		if haveRespond {
			chi = min(hi, waitEnd-respondStart)
		}
		if clo > chi {
			// The two bounds disagree (a clock's grain, a busy machine):
			// the wait is what the request itself went through.
			clo, chi = waitStart-serverFirst, waitEnd-respondStart
			if !haveRespond || clo > chi {
				return Clock{Offset: waitStart - serverFirst, Slack: -1}
			}
		}
	}
	if math.IsInf(chi, 1) {
		return Clock{Offset: clo, Slack: -1}
	}
	return Clock{Offset: (clo + chi) / 2, Slack: (chi - clo) / 2}
}

// At returns when an event's stage started, on the client's clock.
func (c Clock) At(e stage.Event) float64 {
	if e.Side == stage.Server {
		return e.TMs + c.Offset
	}
	return e.TMs
}

// Bar is one measured stage on the run's one clock.
type Bar struct {
	Stage stage.ID
	Side  stage.Side
	State stage.State
	Start float64
	// Dur is the measured duration; for a stage still under way, the time
	// so far (Open is then set).
	Dur  float64
	Open bool
}

// Moment is one thing that happened: a stage became active or ended.
type Moment struct {
	At    float64
	Stage stage.ID
	State stage.State
	// Event is the event that tells of it.
	Event stage.Event
}

// Timeline is a run on one clock.
type Timeline struct {
	Clock   Clock
	Bars    []Bar
	Moments []Moment
	// End is when the last thing measured ended.
	End float64
}

// Build lays a run's events on one clock. now, on the client's clock, is
// where a stage still under way has got to (0 for a stored run).
func Build(events []stage.Event, now float64) Timeline {
	clock := Align(events)
	t := Timeline{Clock: clock}

	started := map[stage.ID]stage.Event{}
	ended := map[stage.ID]stage.Event{}
	for _, e := range events {
		if e.Phase == stage.Start {
			if _, ok := started[e.Stage]; !ok {
				started[e.Stage] = e
			}
		} else if _, ok := ended[e.Stage]; !ok {
			ended[e.Stage] = e
		}
	}

	for _, s := range stage.Table {
		start, hasStart := started[s.ID]
		end, hasEnd := ended[s.ID]
		switch {
		case hasEnd:
			// What the end says stands: the browser's own timing of a stage
			// comes in its end, after the start the page first guessed.
			at := clock.At(end)
			if end.DurMs != nil {
				t.Bars = append(t.Bars, Bar{Stage: s.ID, Side: s.Side, State: end.State, Start: at, Dur: *end.DurMs})
				t.Moments = append(t.Moments, Moment{At: at, Stage: s.ID, State: stage.Active, Event: withState(end, stage.Active)})
				t.Moments = append(t.Moments, Moment{At: at + *end.DurMs, Stage: s.ID, State: end.State, Event: end})
				t.End = max(t.End, at+*end.DurMs)
			} else {
				t.Moments = append(t.Moments, Moment{At: at, Stage: s.ID, State: end.State, Event: end})
				t.End = max(t.End, at)
			}
		case hasStart:
			at := clock.At(start)
			t.Moments = append(t.Moments, Moment{At: at, Stage: s.ID, State: stage.Active, Event: start})
			if next, ok := nextStarted(s, at, started, ended); ok {
				// The browser works one stage at a time: a stage of its
				// still open is over once its next one has begun (the
				// first byte ends the wait). Its measure comes later.
				done := start
				done.Phase, done.State = stage.End, stage.Done
				t.Bars = append(t.Bars, Bar{Stage: s.ID, Side: s.Side, State: stage.Done, Start: at, Dur: next - at})
				t.Moments = append(t.Moments, Moment{At: next, Stage: s.ID, State: stage.Done, Event: done})
				continue
			}
			t.Bars = append(t.Bars, Bar{Stage: s.ID, Side: s.Side, State: stage.Active, Start: at, Dur: max(0, now-at), Open: true})
			t.End = max(t.End, at, now)
		}
	}
	order := map[stage.ID]int{}
	for i, s := range stage.Table {
		order[s.ID] = i
	}
	// In the order things happened; at one instant, a stage starts before
	// it ends, and stages go in path order.
	sort.SliceStable(t.Moments, func(i, j int) bool {
		a, b := t.Moments[i], t.Moments[j]
		if a.At != b.At {
			return a.At < b.At
		}
		if a.Stage == b.Stage {
			return a.State == stage.Active && b.State != stage.Active
		}
		return order[a.Stage] < order[b.Stage]
	})
	return t
}

// nextStarted returns when the client's next stage after s began, if one
// has, at or after at.
func nextStarted(s stage.Info, at float64, started, ended map[stage.ID]stage.Event) (float64, bool) {
	if s.Side != stage.Client {
		return 0, false
	}
	after := false
	for _, n := range stage.Table {
		if n.ID == s.ID {
			after = true
			continue
		}
		if !after || n.Side != stage.Client {
			continue
		}
		e, ok := started[n.ID]
		if !ok {
			e, ok = ended[n.ID]
		}
		if ok && e.TMs >= at {
			return e.TMs, true
		}
	}
	return 0, false
}

func withState(e stage.Event, s stage.State) stage.Event {
	e.Phase, e.State = stage.Start, s
	return e
}

// States returns where each stage stands once the first n moments have
// happened, with the event that tells of it.
func (t Timeline) States(n int) map[stage.ID]Moment {
	out := make(map[stage.ID]Moment, len(stage.Table))
	for _, m := range t.Moments[:min(n, len(t.Moments))] {
		out[m.Stage] = m
	}
	return out
}

// Now returns when the first n moments had happened, on the run's clock: the
// run's end once all have.
func (t Timeline) Now(n int) float64 {
	switch {
	case n >= len(t.Moments):
		return t.End
	case n <= 0:
		return 0
	}
	return t.Moments[n-1].At
}

// BarsAt returns the bars as they stood once the first n moments had
// happened: every bar once all have; before that, those begun by then, a
// stage still under way reaching that moment.
func (t Timeline) BarsAt(n int) []Bar {
	if n >= len(t.Moments) {
		return t.Bars
	}
	if n <= 0 {
		return nil
	}
	now := t.Now(n)
	var out []Bar
	for _, b := range t.Bars {
		if b.Start > now {
			continue
		}
		if b.Start+b.Dur > now {
			b.Dur, b.State, b.Open = now-b.Start, stage.Active, true
		}
		out = append(out, b)
	}
	return out
}

// At returns the stage the request is on once the first n moments have
// happened: the one that started last ("" before any). Ends do not move it:
// the server may finish sending after the browser has begun to read.
func (t Timeline) At(n int) stage.ID {
	for i := min(n, len(t.Moments)) - 1; i >= 0; i-- {
		if m := t.Moments[i]; m.State == stage.Active {
			return m.Stage
		}
	}
	return ""
}

// FromFirst is the timeline counted from its first moment: the run's one
// clock, whose zero is when its first stage began (the cache looked in)
// rather than when the lab opened the run, so that its end is the run's
// one total and every time on it lies within.
func (t Timeline) FromFirst() Timeline {
	if len(t.Moments) == 0 {
		return t
	}
	zero := t.Moments[0].At
	for _, b := range t.Bars {
		zero = min(zero, b.Start)
	}
	out := Timeline{Clock: t.Clock, End: max(0, t.End-zero)}
	out.Clock.Offset -= zero
	out.Bars = make([]Bar, len(t.Bars))
	for i, b := range t.Bars {
		b.Start -= zero
		out.Bars[i] = b
	}
	out.Moments = make([]Moment, len(t.Moments))
	for i, m := range t.Moments {
		m.At -= zero
		out.Moments[i] = m
	}
	return out
}

// Network is where the request is while it, or its answer, crosses the
// network with neither side working on it: the token's data-at then (see
// docs/CONTRACT.md).
const Network = "network"

// Where returns where the request is once the first n moments have happened:
// the stage it is on, or Network while it crosses — from the browser's
// starting to wait until the server has it, and from the server handing its
// answer over until the browser has the first byte. A slow network is then
// drawn on the network, for as long as it took, never on the server. "" before
// anything happened.
func (t Timeline) Where(n int) string {
	at := t.At(n)
	switch info, _ := stage.Lookup(at); {
	case at == stage.Wait:
		return Network
	case info.Side == stage.Server && at == stage.Respond && t.ended(n, at):
		return Network
	}
	return string(at)
}

// Leg returns which way the request is going once the first n moments have
// happened: out until the server has begun its answer, back from then.
func (t Timeline) Leg(n int) stage.Leg {
	at := t.At(n)
	if at == stage.Wait {
		for _, m := range t.Moments[:min(n, len(t.Moments))] {
			if m.Stage == stage.Respond {
				return stage.Back
			}
		}
		return stage.Out
	}
	if info, ok := stage.Lookup(at); ok {
		if at == stage.Respond && t.ended(n, at) {
			return stage.Back
		}
		return info.Leg
	}
	return stage.Out
}

// ended reports whether a stage had ended once the first n moments had
// happened.
func (t Timeline) ended(n int, id stage.ID) bool {
	for _, m := range t.Moments[:min(n, len(t.Moments))] {
		if m.Stage == id && m.State.Final() {
			return true
		}
	}
	return false
}

// Crossing is a stretch of the browser's wait when neither side worked on the
// request: the request crossing the network to the server (Out), or the
// answer crossing back (Back). A simulated network's hold is one.
type Crossing struct {
	Leg        stage.Leg
	Start, Dur float64
	// Open is set while the crossing is still under way.
	Open bool
}

// Crossings returns the wait's crossings as they stood once the first n
// moments had happened: the wait before the server received the request,
// and after its answer was made (all of the wait so far, while the server
// has not been heard from). With the server's stages they fill the wait.
func (t Timeline) Crossings(n int) []Crossing {
	bars := map[stage.ID]Bar{}
	for _, b := range t.BarsAt(n) {
		bars[b.Stage] = b
	}
	w, ok := bars[stage.Wait]
	if !ok {
		return nil
	}
	var out []Crossing
	r, received := bars[stage.Receive]
	if !received {
		if w.Dur > 0 {
			out = append(out, Crossing{Leg: stage.Out, Start: w.Start, Dur: w.Dur, Open: w.Open})
		}
		return out
	}
	if d := r.Start - w.Start; d > 0 {
		out = append(out, Crossing{Leg: stage.Out, Start: w.Start, Dur: min(d, w.Dur)})
	}
	// The answer crosses back from the end of the last server stage heard
	// of: its answer handed over, once that is in.
	from := max(w.Start, serverEnd(bars))
	if d := w.Start + w.Dur - from; d > 0 {
		out = append(out, Crossing{Leg: stage.Back, Start: from, Dur: d, Open: w.Open})
	}
	return out
}

// serverEnd is when the last of the server's stages among bars ended.
func serverEnd(bars map[stage.ID]Bar) float64 {
	end := math.Inf(-1)
	for _, b := range bars {
		if b.Side == stage.Server {
			end = max(end, b.Start+b.Dur)
		}
	}
	return end
}

// Spent is the time the run spent at each place once the first n moments
// have happened, on the run's one clock. The server's share is its stages,
// from receiving the request to handing its answer over (its database's
// query aside); the network's, its own stages and the wait's crossings
// (the request on its way there, the answer on its way back: a slow
// network's hold among them); the browser's, the rest, so that the four add
// up to the run's time so far.
func (tl Timeline) Spent(n int) map[stage.Place]float64 {
	out := map[stage.Place]float64{}
	bars := map[stage.ID]Bar{}
	for _, b := range tl.BarsAt(n) {
		bars[b.Stage] = b
	}
	if len(bars) == 0 {
		return out
	}
	if r, ok := bars[stage.Receive]; ok {
		// From receiving the request to the end of the last of its
		// stages heard of (its answer handed over, once that is in).
		out[stage.AtServer] = max(0, serverEnd(bars)-r.Start-bars[stage.DB].Dur)
	}
	out[stage.AtDatabase] = bars[stage.DB].Dur
	for _, s := range stage.Table {
		if s.Place == stage.AtNetwork && s.ID != stage.Wait {
			out[stage.AtNetwork] += bars[s.ID].Dur
		}
	}
	for _, c := range tl.Crossings(n) {
		out[stage.AtNetwork] += c.Dur
	}
	// The browser's share is the rest of the run's time so far: its own
	// stages and what it did between them.
	others := out[stage.AtNetwork] + out[stage.AtServer] + out[stage.AtDatabase]
	out[stage.AtBrowser] = max(0, tl.Now(n)-others)
	return out
}
