package timeline

import (
	"math"
	"strings"
	"testing"

	"reqlab/app/stage"
	"reqlab/app/timing"
)

// run makes a run as the lab records one: the client's start of cache, its
// measured stages, and the server's stages on a clock whose zero is skew ms
// after the client's (the page's clock reads 100 at the run's zero). The request reaches the server at 10 ms on the
// client's clock, which makes its answer from 10.5 to 10.8 ms and hands it to
// a slow network that holds it back 2 s; the browser sees the first byte at
// 2,011.
func run(skew float64) []stage.Event {
	m := timing.Measured{Method: "GET", URL: "/site/api/cursos", Origin: 100,
		Entry: timing.Entry{StartTime: 105, FetchStart: 105, DomainLookupStart: 105, DomainLookupEnd: 105,
			ConnectStart: 105, ConnectEnd: 105, RequestStart: 108, ResponseStart: 2111, ResponseEnd: 2300,
			TransferSize: 1200, EncodedBodySize: 900, DecodedBodySize: 900, ResponseStatus: 200},
		HasEntry: true, Parse: timing.Span{Start: 2301, End: 2302}, Render: timing.Span{Start: 2302, End: 2320}, Rendered: 6}
	events := []stage.Event{{Stage: stage.Cache, Side: stage.Client, Phase: stage.Start, TMs: 4, State: stage.Active}}
	server := func(id stage.ID, phase stage.Phase, at float64, dur *float64, state stage.State) stage.Event {
		return stage.Event{Stage: id, Side: stage.Server, Phase: phase, TMs: at - skew, DurMs: dur, State: state}
	}
	events = append(events,
		server(stage.Receive, stage.End, 10, stage.Ms(0.1), stage.Done),
		server(stage.Route, stage.End, 10.1, stage.Ms(0.01), stage.Done),
		server(stage.DB, stage.End, 10.2, stage.Ms(0.2), stage.Done),
		server(stage.Respond, stage.Start, 10.5, nil, stage.Active),
		server(stage.Respond, stage.End, 10.5, stage.Ms(0.3), stage.Done),
	)
	return append(events, m.Events()...)
}

func TestAlignPlacesTheServerInsideTheWait(t *testing.T) {
	for _, skew := range []float64{0, 1, 3.9} {
		events := run(skew)
		c := Align(events)
		if c.Slack < 0 {
			t.Fatalf("skew %v: no bound on the clock", skew)
		}
		// The true offset is skew; the clock must say so within its slack.
		if math.Abs(c.Offset-skew) > c.Slack+1e-9 {
			t.Errorf("skew %v: offset %.3f ± %.3f misses it", skew, c.Offset, c.Slack)
		}
		tl := Build(events, 0)
		var wait, receive, respond Bar
		for _, b := range tl.Bars {
			switch b.Stage {
			case stage.Wait:
				wait = b
			case stage.Receive:
				receive = b
			case stage.Respond:
				respond = b
			}
		}
		if receive.Start < wait.Start || respond.Start > wait.Start+wait.Dur {
			t.Errorf("skew %v: the server (%.1f..%.1f) is not inside the wait (%.1f..%.1f)", skew, receive.Start, respond.Start, wait.Start, wait.Start+wait.Dur)
		}
	}
}

func TestAlignWithoutTheServer(t *testing.T) {
	events := run(0)
	var client []stage.Event
	for _, e := range events {
		if e.Side == stage.Client {
			client = append(client, e)
		}
	}
	if c := Align(client); c != (Clock{}) {
		t.Errorf("a run the server never saw: %+v", c)
	}
}

// Playback plays things in the order they happened, on one clock, whatever
// order the events were stored in: the client reports its stages at the end.
func TestMomentsInTheOrderThingsHappened(t *testing.T) {
	tl := Build(run(2), 0)
	var order []string
	last := -1.0
	for _, m := range tl.Moments {
		if m.At < last {
			t.Errorf("%s %s at %.2f comes after %.2f", m.Stage, m.State, m.At, last)
		}
		last = m.At
		order = append(order, string(m.Stage)+":"+string(m.State))
	}
	got := strings.Join(order, " ")
	for _, want := range [][2]string{
		{"cache:active", "send:done"}, {"send:done", "wait:active"}, {"wait:active", "receive:active"},
		{"receive:done", "route:active"}, {"db:done", "respond:active"}, {"respond:active", "wait:done"},
		{"wait:done", "download:active"}, {"download:done", "parse:active"}, {"render:done", "assets:skipped"},
	} {
		if i, j := strings.Index(got, want[0]), strings.Index(got, want[1]); i < 0 || j < 0 || i > j {
			t.Errorf("%s should come before %s in %s", want[0], want[1], got)
		}
	}
	if at := tl.At(len(tl.Moments)); at != stage.Render {
		t.Errorf("at the end the request is on %q, want render", at)
	}
	if tl.End < 2220 || tl.End > 2221 {
		t.Errorf("end %.1f, want the render's end at 2,220", tl.End)
	}
}

// A run under way: a stage started and not ended grows with now.
func TestOpenStagesGrowWithNow(t *testing.T) {
	events := []stage.Event{
		{Stage: stage.Cache, Side: stage.Client, Phase: stage.Start, TMs: 2, State: stage.Active},
		{Stage: stage.Wait, Side: stage.Client, Phase: stage.Start, TMs: 3, State: stage.Active},
	}
	tl := Build(events, 500)
	if len(tl.Bars) != 2 || !tl.Bars[1].Open || tl.Bars[1].Dur != 497 {
		t.Fatalf("bars %+v", tl.Bars)
	}
	if tl.At(len(tl.Moments)) != stage.Wait || tl.End != 500 {
		t.Errorf("at %s, end %v", tl.At(len(tl.Moments)), tl.End)
	}
	states := tl.States(1)
	if states[stage.Cache].State != stage.Active || states[stage.Wait].State != "" {
		t.Errorf("after one moment: %+v", states)
	}
}

// Live, the page tells of send and wait as the fetch goes, then of the first
// byte: the wait is over then, before the browser's measures come.
func TestTheFirstByteEndsTheWait(t *testing.T) {
	events := []stage.Event{
		{Stage: stage.Cache, Side: stage.Client, Phase: stage.Start, TMs: 2, State: stage.Active},
		{Stage: stage.Send, Side: stage.Client, Phase: stage.Start, TMs: 3, State: stage.Active},
		{Stage: stage.Wait, Side: stage.Client, Phase: stage.Start, TMs: 3, State: stage.Active},
		{Stage: stage.Download, Side: stage.Client, Phase: stage.Start, TMs: 2003, State: stage.Active},
	}
	tl := Build(events, 2100)
	states := tl.States(len(tl.Moments))
	for id, want := range map[stage.ID]stage.State{stage.Cache: stage.Done, stage.Send: stage.Done, stage.Wait: stage.Done, stage.Download: stage.Active} {
		if got := states[id].State; got != want {
			t.Errorf("%s %s, want %s", id, got, want)
		}
	}
	if at := tl.At(len(tl.Moments)); at != stage.Download {
		t.Errorf("the request is on %s, want download", at)
	}
}

// Bars as they stood at a moment: none before the first, those begun by
// then clipped to it, all of them at the end.
func TestBarsAt(t *testing.T) {
	tl := Build(run(2), 0)
	if got := tl.BarsAt(0); got != nil {
		t.Errorf("before any moment: %+v", got)
	}
	if got := tl.BarsAt(len(tl.Moments)); len(got) != len(tl.Bars) || tl.Now(len(tl.Moments)) != tl.End {
		t.Errorf("at the end: %d bars of %d, now %v of %v", len(got), len(tl.Bars), tl.Now(len(tl.Moments)), tl.End)
	}
	for n := 1; n < len(tl.Moments); n++ {
		now := tl.Now(n)
		for _, b := range tl.BarsAt(n) {
			if b.Start > now || b.Start+b.Dur > now+1e-9 {
				t.Errorf("moment %d (%.1f ms): bar %s %.1f+%.1f reaches past it", n, now, b.Stage, b.Start, b.Dur)
			}
			if b.Open != (b.State == stage.Active) {
				t.Errorf("moment %d: bar %s open %v in state %s", n, b.Stage, b.Open, b.State)
			}
		}
	}
}

func TestFromFirstCountsFromTheFirstStage(t *testing.T) {
	tl := Timeline{End: 500, Bars: []Bar{{Stage: stage.Cache, Start: 300, Dur: 1}, {Stage: stage.Wait, Start: 310, Dur: 150}},
		Moments: []Moment{{At: 300, Stage: stage.Cache}, {At: 301, Stage: stage.Cache}, {At: 310, Stage: stage.Wait}, {At: 460, Stage: stage.Wait}}}
	got := tl.FromFirst()
	if got.End != 200 || got.Bars[0].Start != 0 || got.Bars[1].Start != 10 || got.Moments[3].At != 160 {
		t.Errorf("from the first stage: end %v, bars %+v, moments %+v", got.End, got.Bars, got.Moments)
	}
	if tl.Bars[0].Start != 300 {
		t.Error("FromFirst changed the timeline it was given")
	}
	if empty := (Timeline{}).FromFirst(); empty.End != 0 || len(empty.Bars) != 0 {
		t.Errorf("an empty timeline: %+v", empty)
	}
}

// The token is on the network while the request or its answer crosses it —
// a slow network's hold included — and on each server stage in turn; the
// wait's crossings and the server's stages fill the wait.
func TestWhereTheRequestIs(t *testing.T) {
	tl := Build(run(1), 0).FromFirst()
	var path []string
	for n := 1; n <= len(tl.Moments); n++ {
		at := tl.Where(n) + "/" + string(tl.Leg(n))
		if len(path) == 0 || path[len(path)-1] != at {
			path = append(path, at)
		}
	}
	want := "cache/out network/out receive/out route/out db/out respond/back network/back download/back parse/back render/back"
	if got := strings.Join(path, " "); got != want {
		t.Errorf("the token went\n %s\nwant\n %s", got, want)
	}
	// How long it stood on the network on the way back: the hold.
	held := 0.0
	for n := 1; n < len(tl.Moments); n++ {
		if tl.Where(n) == Network && tl.Leg(n) == stage.Back {
			held += tl.Moments[n].At - tl.Moments[n-1].At
		}
	}
	if held < 1990 || held > 2010 {
		t.Errorf("the answer crossed the network for %.1f ms, want the 2 s hold", held)
	}

	cs := tl.Crossings(len(tl.Moments))
	if len(cs) != 2 || cs[0].Leg != stage.Out || cs[1].Leg != stage.Back {
		t.Fatalf("crossings %+v", cs)
	}
	bars := map[stage.ID]Bar{}
	for _, b := range tl.Bars {
		bars[b.Stage] = b
	}
	w, r, p := bars[stage.Wait], bars[stage.Receive], bars[stage.Respond]
	if got := cs[0].Dur + (p.Start + p.Dur - r.Start) + cs[1].Dur; math.Abs(got-w.Dur) > 1e-6 {
		t.Errorf("crossings and the server's span add up to %.3f ms, the wait is %.3f", got, w.Dur)
	}
	if cs[1].Dur < 1990 || p.Dur > 1 {
		t.Errorf("the way back took %.1f ms and respond %.1f: the hold is on the server", cs[1].Dur, p.Dur)
	}

	// Live, before the server is heard from, the whole wait so far is the
	// request crossing.
	var early []stage.Event
	for _, e := range run(1) {
		if e.Side == stage.Client && e.Phase == stage.Start && (e.Stage == stage.Cache) {
			early = append(early, e)
		}
	}
	early = append(early, stage.Event{Stage: stage.Send, Side: stage.Client, Phase: stage.Start, TMs: 8, State: stage.Active},
		stage.Event{Stage: stage.Wait, Side: stage.Client, Phase: stage.Start, TMs: 8, State: stage.Active})
	live := Build(early, 500)
	if at := live.Where(len(live.Moments)); at != Network || live.Leg(len(live.Moments)) != stage.Out {
		t.Errorf("waiting, the token is at %s %s", at, live.Leg(len(live.Moments)))
	}
	if cs := live.Crossings(len(live.Moments)); len(cs) != 1 || !cs[0].Open || cs[0].Dur != 492 {
		t.Errorf("waiting, crossings %+v", cs)
	}
}

// Live, the server's stages come one message at a time: until its answer is
// heard of, the server's share is what its stages heard of took, not the
// time since it received the request, and the rest of the wait is the
// network's.
func TestSpentWhileTheServerIsHeardOfInPieces(t *testing.T) {
	told := func(id stage.ID, at float64) stage.Event {
		return stage.Event{Stage: id, Side: stage.Client, Phase: stage.Start, TMs: at, State: stage.Active}
	}
	server := func(id stage.ID, at, dur float64) []stage.Event {
		end := stage.Event{Stage: id, Side: stage.Server, Phase: stage.End, TMs: at, DurMs: stage.Ms(dur), State: stage.Done}
		return stage.WithStarts([]stage.Event{end})
	}
	events := []stage.Event{told(stage.Cache, 20), told(stage.Send, 30), told(stage.Wait, 30)}
	events = append(events, server(stage.Receive, 12, 0.1)...)
	for _, now := range []float64{500, 1500} {
		tl := Build(events, now).FromFirst()
		spent := tl.Spent(len(tl.Moments))
		if spent[stage.AtServer] > 0.2 || spent[stage.AtNetwork] < now-40 {
			t.Errorf("at %v ms with only receive heard of: %v", now, spent)
		}
		if at := tl.Where(len(tl.Moments)); at != string(stage.Receive) {
			t.Errorf("at %v ms the request is at %s", now, at)
		}
	}
}
