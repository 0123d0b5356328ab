package ui

import (
	"math"
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
// test's own, a lock the database waits for before it queries, is drawn
// with nothing else changed: a dot of its own in the database, a card in
// the server's lane with its name, a bar in the timeline, a row in the
// comparison, a stop on the live token's way, and its time counted in the
// database's.
func TestAStageIsAddedInOnePlace(t *testing.T) {
	const lock stage.ID = "lock"
	table := stage.Table
	at := slices.IndexFunc(table, func(s stage.Info) bool { return s.ID == stage.DB })
	stage.Table = slices.Insert(slices.Clone(table), at, stage.Info{ID: lock, Side: stage.Server, Place: stage.AtDatabase, Leg: stage.Out,
		Name:  stage.Text{ES: "Bloqueo", EN: "Lock"},
		About: stage.Text{ES: "La base de datos espera a que otra consulta suelte las filas.", EN: "The database waits for another query to let go of the rows."}})
	relayout := func() {
		stage.Reindex()
		layout()
	}
	relayout()
	t.Cleanup(func() { stage.Table = table; relayout() })

	// A run in which the database waited 30 ms for the lock, between
	// routing and querying.
	m := timing.Measured{Method: "GET", URL: "/site/api/cursos", Origin: 100,
		Entry: timing.Entry{StartTime: 105, FetchStart: 105, DomainLookupStart: 105, DomainLookupEnd: 105,
			ConnectStart: 105, ConnectEnd: 105, RequestStart: 108, ResponseStart: 150, ResponseEnd: 160,
			TransferSize: 1200, EncodedBodySize: 900, DecodedBodySize: 900, ResponseStatus: 200},
		HasEntry: true, Parse: timing.Span{Start: 161, End: 162}, Render: timing.Span{Start: 162, End: 170}, Rendered: 6}
	server := func(id stage.ID, at, dur float64) stage.Event {
		return stage.Event{Stage: id, Side: stage.Server, Phase: stage.End, TMs: at, DurMs: stage.Ms(dur), State: stage.Done}
	}
	events := append([]stage.Event{{Stage: stage.Cache, Side: stage.Client, Phase: stage.Start, TMs: 4, State: stage.Active}},
		server(stage.Receive, 10, 0.1), server(stage.Route, 10.1, 0.01), server(lock, 10.2, 30),
		server(stage.DB, 40.2, 0.2), server(stage.Respond, 40.5, 0.3))
	events = append(events, m.Events()...)
	for i := range events {
		events[i].Seq = int64(i + 1)
	}
	tl := timeline.Build(events, 0)
	n := len(tl.Moments)
	run := stage.Run{ID: "01a2216808d4bc1290a70f601d341afc", Events: events}

	picture := app.HTMLString(&Picture{Lang: ES, TL: tl, N: n, Status: "200", Outcome: "ok", By: byServer, Run: run.ID})
	if !hasTag(picture, "circle", `data-dot="lock"`, `data-state="done"`) {
		t.Errorf("the picture has no dot for the lock, done")
	}
	p := spots[lock]
	for id, q := range spots {
		if id != lock && q == p {
			t.Errorf("the lock's dot is on %s's", id)
		}
	}
	for _, pl := range places {
		if pl.id == stage.AtDatabase && (p.x <= pl.x || p.x >= pl.x+pl.w) {
			t.Errorf("the lock's dot at x=%.1f is outside the database (%.0f..%.0f)", p.x, pl.x, pl.x+pl.w)
		}
	}

	cards := app.HTMLString(&Stages{Lang: ES, States: tl.States(n)})
	// The server's lane, up to the next (the client's way back).
	from := strings.Index(cards, "lane-server")
	to := strings.Index(cards[from+1:], "lane lane-") + from + 1
	if from < 0 || to <= from {
		t.Fatalf("the cards' lanes are not where they were: %d, %d", from, to)
	}
	if lane := cards[from:to]; !hasTag(lane, "li", `data-stage="lock"`, `data-state="done"`) || !strings.Contains(lane, "Bloqueo") {
		t.Errorf("no card for the lock in the server's lane")
	}

	bars := app.HTMLString(&Timeline{Lang: EN, TL: tl, N: n})
	if !hasTag(bars, "", `data-bar`, `data-stage="lock"`) {
		t.Errorf("the timeline has no bar for the lock")
	}

	spent := tl.Spent(n)
	if got := spent[stage.AtDatabase]; math.Abs(got-30.2) > 1e-6 {
		t.Errorf("the database's share is %.2f ms, want the lock's 30 and the query's 0.2", got)
	}
	if got := spent[stage.AtServer]; math.Abs(got-(40.8-10-30.2)) > 1e-6 {
		t.Errorf("the server's share is %.2f ms, want %.2f", got, 40.8-10-30.2)
	}

	if !slices.Contains(visitOrder, stop{string(lock), stage.Out}) {
		t.Errorf("the live token's way has no stop at the lock: %v", visitOrder)
	}

	r := &Runs{Lang: EN}
	r.compared = []stage.Run{run, run}
	if cmp := app.HTMLString(r.renderCompare()); !strings.Contains(cmp, "Lock") {
		t.Errorf("the comparison has no row for the lock")
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
