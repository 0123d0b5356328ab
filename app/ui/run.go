package ui

import (
	"sort"
	"time"

	"reqlab/app/stage"
	"reqlab/app/timeline"
	"reqlab/app/wire"
)

// runView is the run on screen, as its events arrive. Events can come twice
// or out of order (live and again on a resumed subscription): they are kept by
// seq, and contiguous is the last seq with none missing before it, which is
// where a resumed subscription starts.
type runView struct {
	id         string
	secret     string // for a run this page opened: its requests carry it
	events     map[int64]stage.Event
	contiguous int64
	complete   bool
	unacked    *wire.Message // the report, until the server confirms it
	// origin is the run's zero on the page's clock, for a run sent from
	// this page (0 for one played back): what is under way grows from it.
	origin float64
	// told are the starts this page reported, shown at once rather than
	// after their round trip through the server; the stored ones replace
	// them as they come.
	told []stage.Event
	// shown is the time the picture has shown at each place (see spent).
	shown map[stage.Place]float64
}

// newRunView starts the view of a run, and makes the run's page (its link,
// /runs/{id}) one the client can show.
func newRunView(id string) *runView {
	routeRun(id)
	return &runView{id: id, events: make(map[int64]stage.Event)}
}

// add keeps an event and reports whether it was new.
func (r *runView) add(e stage.Event) bool {
	if _, seen := r.events[e.Seq]; seen || e.Seq <= 0 {
		return false
	}
	r.events[e.Seq] = e
	for {
		if _, ok := r.events[r.contiguous+1]; !ok {
			break
		}
		r.contiguous++
	}
	return true
}

// list returns the run's events in seq order, then the starts this page
// told and the server has not yet echoed.
func (r *runView) list() []stage.Event {
	if r == nil {
		return nil
	}
	out := make([]stage.Event, 0, len(r.events)+len(r.told))
	for _, e := range r.events {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	told := r.told
	if r.unacked != nil {
		// The last report, sent and not yet confirmed: its events come
		// back stored a few at a time, and until then the page shows
		// them as it sent them, all at once (a stage's start without its
		// end would read as a stage under way until the next).
		told = append(told[:len(told):len(told)], r.unacked.Events...)
	}
	for _, t := range told {
		echoed := false
		for _, e := range r.events {
			echoed = echoed || e.Stage == t.Stage && e.Phase == t.Phase
		}
		if !echoed {
			out = append(out, t)
		}
	}
	// The server tells of its stages once they are over, each start just
	// before its end; they come one message at a time, so a start whose end
	// has not come yet is on its way, not a stage under way (it would draw
	// one, growing, until its end came).
	ended := map[stage.ID]bool{}
	for _, e := range out {
		if e.Side == stage.Server && e.Phase == stage.End {
			ended[e.Stage] = true
		}
	}
	kept := out[:0]
	for _, e := range out {
		if e.Side != stage.Server || e.Phase != stage.Start || ended[e.Stage] {
			kept = append(kept, e)
		}
	}
	return kept
}

// liveLag is how far behind the page's clock a live run is drawn. The page
// hears of its request's steps late: its own work, and the browser's, run
// on one thread, so it learns of the first byte 5–70 ms after it came (more
// on a busy phone), and told it started waiting before the browser did. The
// browser's own timing, in the last report, then says the network took less
// than the page had counted. Drawn a tick behind (the clock itself moves on
// a tick at a time, so 100–200 ms in all), a live counter shows only time
// that surely went where it says, and the browser's timing takes it up, not
// down.
const liveLag = float64(tickEvery / time.Millisecond)

// timeline lays the run on its one clock, counted from its first stage;
// now, on the page's clock, is where the stages still under way have got to
// (0 for none). Live, until the browser's own timing is in, that is liveLag
// behind, but never before what surely went by: the wait's start as the
// page told it and the server's stages as the server timed them. The first
// byte as the page heard of it ends the wait there too, and no later: what
// the browser does after it (reading the body, drawing it) takes a few
// milliseconds, and its own timing of it comes in its last report, which a
// page's clock read since would only overshoot.
func (r *runView) timeline(now float64) timeline.Timeline {
	events := r.list()
	if now <= 0 {
		return timeline.Build(events, 0).FromFirst()
	}
	measured := r.measured()
	floor := 0.0
	if !measured {
		now = max(0, now-liveLag)
		clock := timeline.Align(events)
		for _, e := range events {
			switch {
			case e.Side == stage.Client && e.Stage == stage.Wait && e.Phase == stage.Start:
				floor = max(floor, e.TMs)
			case e.Side == stage.Server && e.Phase == stage.End && e.DurMs != nil:
				floor = max(floor, clock.At(e)+*e.DurMs)
			}
		}
		now = max(now, floor)
	}
	for i, e := range events {
		if e.Stage == stage.Download && e.Phase == stage.Start && e.Side == stage.Client {
			if !measured {
				events[i].TMs = max(floor, min(e.TMs, now))
			}
			now = min(now, events[i].TMs)
		}
	}
	return timeline.Build(events, now).FromFirst()
}

// spent is where a live run's time went by place, as the picture shows it.
// Until the browser's own timing of the run is in, it is what the page read
// of its clock, and a reading is never taken back: a place's time only goes
// up (a server's stages come in after the wait they are carved out of, and
// would take their share back from the network's). Once the browser's
// timing is in, it is what the browser measured: where the page's reading
// was late (its main thread busy when the first byte came), that corrects it.
func (r *runView) spent(tl timeline.Timeline) map[stage.Place]float64 {
	got := tl.Spent(len(tl.Moments))
	if r.measured() {
		return got
	}
	if r.shown == nil {
		r.shown = map[stage.Place]float64{}
	}
	others := 0.0
	for _, p := range []stage.Place{stage.AtNetwork, stage.AtServer, stage.AtDatabase} {
		got[p] = max(got[p], r.shown[p])
		others += got[p]
	}
	if len(tl.Moments) > 0 {
		got[stage.AtBrowser] = max(r.shown[stage.AtBrowser], tl.End-others)
	}
	for p, v := range got {
		r.shown[p] = v
	}
	return got
}

// measured reports whether the browser's own timing of the run is in: its
// last report, sent or stored.
func (r *runView) measured() bool {
	if r.unacked != nil {
		return true
	}
	for _, e := range r.events {
		if e.Side == stage.Client && e.Phase == stage.End {
			return true
		}
	}
	return false
}

// total is the run's one total: from its first stage's start to its last
// one's end, on its one clock (every time the page shows of the run lies
// within it), and false while the client's stages are not all in.
func (r *runView) total() (float64, bool) {
	if r == nil {
		return 0, false
	}
	n := 0
	for _, e := range r.events {
		if e.Side == stage.Client && e.Phase == stage.End {
			n++
		}
	}
	return r.timeline(0).End, n >= len(stage.ClientStages)
}
