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
	// The path's order: the client's way out, the server's stages, the
	// client's way back.
	order := map[stage.ID]int{}
	for i, s := range stage.Table {
		switch {
		case s.Side == stage.Server:
			order[s.ID] = len(stage.Table) + i
		case s.Leg == stage.Back:
			order[s.ID] = 2*len(stage.Table) + i
		default:
			order[s.ID] = i
		}
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
