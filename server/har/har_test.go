package har

import (
	"strings"
	"testing"
	"time"

	"reqlab/app/stage"
	"reqlab/app/timing"
)

// slowRun is a run over simulated slow 3G: the server makes its answer in a
// fraction of a millisecond and hands it to the network, which holds it 2 s.
func slowRun() stage.Run {
	m := timing.Measured{Method: "GET", URL: "/site/api/cursos", Origin: 100,
		Entry: timing.Entry{StartTime: 105, FetchStart: 105, DomainLookupStart: 105, DomainLookupEnd: 105,
			ConnectStart: 105, ConnectEnd: 105, RequestStart: 108, ResponseStart: 2111, ResponseEnd: 2150,
			TransferSize: 1200, EncodedBodySize: 900, DecodedBodySize: 900, ResponseStatus: 200},
		HasEntry: true, Parse: timing.Span{Start: 2151, End: 2152}, Render: timing.Span{Start: 2152, End: 2170}, Rendered: 6}
	server := func(id stage.ID, at, dur float64) stage.Event {
		return stage.Event{Stage: id, Side: stage.Server, Phase: stage.End, TMs: at, DurMs: stage.Ms(dur), State: stage.Done,
			Detail: stage.Detail{Network: "slow-3g", Status: 200}}
	}
	events := append(m.Events(), stage.WithStarts([]stage.Event{
		server(stage.Receive, 10, 0.1), server(stage.Route, 10.1, 0.01), server(stage.DB, 10.2, 0.2), server(stage.Respond, 10.5, 0.3),
	})...)
	return stage.Run{ID: strings.Repeat("ab", 16), CreatedAt: time.Unix(0, 0), State: stage.RunComplete,
		Request: stage.Request{Method: "GET", URL: "/site/api/cursos"}, Response: &stage.Response{Status: 200}, Events: events}
}

// The HAR says where the wait went: the network's crossings (the hold on
// the way back), the server's short share, and the run's one total split by
// place, as the lab's picture says it.
func TestHARSaysWhereTheTimeWent(t *testing.T) {
	e := FromRun(slowRun(), "http://localhost:8080").Log.Entries[0]
	x := e.Reqlab
	if x.CrossingsMs[stage.Back] < 1990 || x.CrossingsMs[stage.Out] > 10 {
		t.Errorf("crossings %v, want the 2 s hold on the way back", x.CrossingsMs)
	}
	if x.PlacesMs[stage.AtServer] > 1 || x.PlacesMs[stage.AtNetwork] < 2000 {
		t.Errorf("places %v: the hold belongs to the network", x.PlacesMs)
	}
	sum := 0.0
	for _, v := range x.PlacesMs {
		sum += v
	}
	if d := sum - x.TotalMs; d < -0.01 || d > 0.01 || x.TotalMs != 2065 {
		t.Errorf("places add up to %.3f, total %.3f (want 2065: from the cache looked in to the render's end)", sum, x.TotalMs)
	}
	if c := e.Timings.Comment; !strings.Contains(c, "slow-3g") || !strings.Contains(c, "crossed back in 199") {
		t.Errorf("timings comment %q", c)
	}
}
