package timeline

import (
	"math"

	"reqlab/app/stage"
)

// Where the request is, and where its time went: the places of the picture
// (the browser, the network, the server, its database) on the run's clock.

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
	for _, s := range stage.Table {
		switch {
		case s.Place == stage.AtDatabase:
			out[stage.AtDatabase] += bars[s.ID].Dur
		case s.Place == stage.AtNetwork && s.ID != stage.Wait:
			out[stage.AtNetwork] += bars[s.ID].Dur
		}
	}
	if r, ok := bars[stage.Receive]; ok {
		// From receiving the request to the end of the last of its
		// stages heard of (its answer handed over, once that is in).
		out[stage.AtServer] = max(0, serverEnd(bars)-r.Start-out[stage.AtDatabase])
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
