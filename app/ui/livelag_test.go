package ui

import (
	"testing"

	"reqlab/app/stage"
	"reqlab/app/timeline"
	"reqlab/app/timing"
	"reqlab/app/wire"
)

// liveRun is a run sent from this page as the page sees it, step by step:
// its told starts, the server's stages when they come, the first byte when
// the page hears of it, the browser's own timing last. The request crosses
// the network in out ms each way; the server works 0.8 ms; the page hears
// of the first byte late ms after it came.
type liveRun struct {
	r             *runView
	out, late     float64
	received, fb  float64 // on the page's clock
	serverEvents  []stage.Event
	measuredFinal []stage.Event
}

func newLiveRun(out, late float64) *liveRun {
	lr := &liveRun{r: newRunView("01a2216808d4bc1290a70f601d341afc"), out: out, late: late}
	lr.r.origin = 1000
	lr.r.told = []stage.Event{
		{Stage: stage.Cache, Side: stage.Client, Phase: stage.Start, TMs: 0.5, State: stage.Active},
		{Stage: stage.Send, Side: stage.Client, Phase: stage.Start, TMs: 1, State: stage.Active},
		{Stage: stage.Wait, Side: stage.Client, Phase: stage.Start, TMs: 1, State: stage.Active},
	}
	// The server's clock starts as it opens the run, a little before the
	// page's cache start.
	lr.received = 2 + out
	at := lr.received - 0.3 // on the server's clock
	server := func(id stage.ID, t, dur float64) stage.Event {
		return stage.Event{Stage: id, Side: stage.Server, Phase: stage.End, TMs: at + t, DurMs: stage.Ms(dur), State: stage.Done}
	}
	lr.serverEvents = []stage.Event{server(stage.Receive, 0, 0.1), server(stage.Route, 0.1, 0.01), server(stage.DB, 0.2, 0.2), server(stage.Respond, 0.5, 0.3)}
	lr.fb = lr.received + 0.8 + out
	m := timing.Measured{Method: "GET", URL: "/site/api/cursos", Origin: 1000,
		Entry: timing.Entry{StartTime: 1001.5, FetchStart: 1001.5, DomainLookupStart: 1001.5, DomainLookupEnd: 1001.5,
			ConnectStart: 1001.5, ConnectEnd: 1001.5, RequestStart: 1002, ResponseStart: 1000 + lr.fb, ResponseEnd: 1000 + lr.fb + 1,
			TransferSize: 1200, EncodedBodySize: 900, DecodedBodySize: 900, ResponseStatus: 200},
		HasEntry: true, Parse: timing.Span{Start: 1000 + lr.fb + late + 1, End: 1000 + lr.fb + late + 2},
		Render: timing.Span{Start: 1000 + lr.fb + late + 2, End: 1000 + lr.fb + late + 5}, Rendered: 6}
	lr.measuredFinal = m.Events()
	return lr
}

// at shows the run as the page would at now ms on its clock, live, and
// returns its timeline and where its time went.
func (lr *liveRun) at(now float64) (timeline.Timeline, map[stage.Place]float64) {
	r := lr.r
	if now >= lr.fb-lr.out && len(r.events) == 0 { // the server's stages come as the answer does
		for i, e := range lr.serverEvents {
			e.Seq = int64(i + 1)
			r.add(e)
		}
	}
	if now >= lr.fb+lr.late && len(r.told) == 3 {
		r.told = append(r.told, stage.Event{Stage: stage.Download, Side: stage.Client, Phase: stage.Start, TMs: lr.fb + lr.late, State: stage.Active})
	}
	if now >= lr.fb+lr.late+6 && r.unacked == nil {
		r.unacked = &wire.Message{Type: wire.Report, Final: true, Events: lr.measuredFinal}
	}
	tl := r.timeline(now)
	return tl, r.spent(tl)
}

// Drawn behind its clock, a live run's counters only go up, the browser's
// own timing included, on a network where the request takes time to cross
// both ways and on loopback; the server's stages sit inside the wait, the
// first byte after them, and the run's zero stays where it is.
func TestLiveCountersOnlyGoUp(t *testing.T) {
	for _, tt := range []struct {
		name      string
		out, late float64
	}{
		{"loopback", 0.2, 1},
		{"loopback, the page late", 0.2, 60},
		{"a real network", 40, 13},
		{"a slow network", 1000, 40},
	} {
		t.Run(tt.name, func(t *testing.T) {
			lr := newLiveRun(tt.out, tt.late)
			last := map[stage.Place]float64{}
			end := lr.fb + tt.late + 6
			for now := 0.5; now <= end+tickEvery.Seconds()*1000; now += 2.5 {
				tl, spent := lr.at(now)
				for p, v := range spent {
					if v < last[p]-1e-9 {
						t.Errorf("at %.1f ms the %s's time went down from %.2f to %.2f", now, p, last[p], v)
					}
					last[p] = v
				}
				if len(tl.Moments) == 0 || tl.Moments[0].Stage != stage.Cache {
					t.Fatalf("at %.1f ms the run does not start at its cache: %+v", now, tl.Moments)
				}
				bars := map[stage.ID]timeline.Bar{}
				for _, b := range tl.BarsAt(len(tl.Moments)) {
					bars[b.Stage] = b
				}
				w, waited := bars[stage.Wait]
				res, responded := bars[stage.Respond]
				if waited && responded && w.Start+w.Dur < res.Start+res.Dur-0.5 {
					t.Errorf("at %.1f ms the server's answer ends at %.2f, after the wait (%.2f)", now, res.Start+res.Dur, w.Start+w.Dur)
				}
				seen := map[stage.ID]bool{}
				for _, m := range tl.Moments {
					if m.Stage == stage.Download && m.State == stage.Active {
						for _, id := range stage.ServerStages {
							if responded && !seen[id] {
								t.Errorf("at %.1f ms the first byte comes before %s", now, id)
							}
						}
					}
					if m.State.Final() {
						seen[m.Stage] = true
					}
				}
			}
			if !lr.r.measured() {
				t.Fatal("the browser's timing never came")
			}
			t.Logf("in the end: %v", last)
		})
	}
}
