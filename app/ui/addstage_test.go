package ui

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/stage"
	"reqlab/app/timeline"
	"reqlab/app/timing"
)

// A stage is added in one place: a row of the stage table (then measured
// where its side measures, and narrated). Declared here, a stage of the
// test's own, a queue where the server holds a request until a worker is
// free, is drawn with nothing else changed: a dot of its own at its place
// in the picture, a card in the server's lane with its name, a bar in the
// timeline, a row in the comparison, and its time counted at its place.
func TestAStageIsAddedInOnePlace(t *testing.T) {
	const queue stage.ID = "queue"
	table := stage.Table
	at := slices.IndexFunc(table, func(s stage.Info) bool { return s.ID == stage.Route })
	stage.Table = slices.Insert(slices.Clone(table), at, stage.Info{ID: queue, Side: stage.Server, Place: stage.AtServer, Leg: stage.Out,
		Name:  stage.Text{ES: "Cola", EN: "Queue"},
		About: stage.Text{ES: "Espera a que un trabajador quede libre.", EN: "It waits for a worker to be free."}})
	relayout := func() {
		stage.Reindex()
		spots, lanes, rows = spotsOf(stage.Table), lanesOf(stage.Table), rowsOf(stage.Table)
	}
	relayout()
	t.Cleanup(func() { stage.Table = table; relayout() })

	// A run in which the queue held the request 30 ms, between receiving it
	// and routing it.
	m := timing.Measured{Method: "GET", URL: "/site/api/cursos", Origin: 100,
		Entry: timing.Entry{StartTime: 105, FetchStart: 105, DomainLookupStart: 105, DomainLookupEnd: 105,
			ConnectStart: 105, ConnectEnd: 105, RequestStart: 108, ResponseStart: 150, ResponseEnd: 160,
			TransferSize: 1200, EncodedBodySize: 900, DecodedBodySize: 900, ResponseStatus: 200},
		HasEntry: true, Parse: timing.Span{Start: 161, End: 162}, Render: timing.Span{Start: 162, End: 170}, Rendered: 6}
	server := func(id stage.ID, at, dur float64) stage.Event {
		return stage.Event{Stage: id, Side: stage.Server, Phase: stage.End, TMs: at, DurMs: stage.Ms(dur), State: stage.Done}
	}
	events := append([]stage.Event{{Stage: stage.Cache, Side: stage.Client, Phase: stage.Start, TMs: 4, State: stage.Active}},
		server(stage.Receive, 10, 0.1), server(queue, 10.1, 30), server(stage.Route, 40.1, 0.01),
		server(stage.DB, 40.2, 0.2), server(stage.Respond, 40.5, 0.3))
	events = append(events, m.Events()...)
	for i := range events {
		events[i].Seq = int64(i + 1)
	}
	tl := timeline.Build(events, 0)
	n := len(tl.Moments)
	run := stage.Run{ID: "01a2216808d4bc1290a70f601d341afc", Events: events}

	picture := app.HTMLString(&Picture{Lang: ES, TL: tl, N: n, Status: "200", Outcome: "success", By: byServer, Run: run.ID})
	if !hasTag(picture, "circle", `data-dot="queue"`, `data-state="done"`) {
		t.Errorf("the picture has no dot for the queue, done")
	}
	p := spots[queue]
	for id, q := range spots {
		if id != queue && q == p {
			t.Errorf("the queue's dot is on %s's", id)
		}
	}
	if p.x <= 204 || p.x >= 284 {
		t.Errorf("the queue's dot at x=%.1f is not on the server", p.x)
	}

	cards := app.HTMLString(&Stages{Lang: ES, States: tl.States(n)})
	serverLane := cards[strings.Index(cards, "lane-server"):]
	if !hasTag(serverLane, "li", `data-stage="queue"`, `data-state="done"`) || !strings.Contains(serverLane, "Cola") {
		t.Errorf("no card for the queue in the server's lane: %.600s", serverLane)
	}

	bars := app.HTMLString(&Timeline{Lang: EN, TL: tl, N: n})
	if !hasTag(bars, "", `data-bar`, `data-stage="queue"`) {
		t.Errorf("the timeline has no bar for the queue")
	}

	if got := tl.Spent(n)[stage.AtServer]; got < 30 {
		t.Errorf("the server's share is %.1f ms, without the queue's 30", got)
	}

	r := &Runs{Lang: EN}
	r.compared = []stage.Run{run, run}
	if cmp := app.HTMLString(r.renderCompare()); !strings.Contains(cmp, "Queue") {
		t.Errorf("the comparison has no row for the queue")
	}
}

// hasTag reports whether html has an opening tag (of the name, "" for any)
// with all the attributes given, in any order.
func hasTag(html, name string, attrs ...string) bool {
	for _, tag := range regexp.MustCompile(`<`+name+`[^>]*>`).FindAllString(html, -1) {
		all := true
		for _, a := range attrs {
			all = all && strings.Contains(tag, a)
		}
		if all {
			return true
		}
	}
	return false
}
