// Package storetest is the one test suite every engine of package store
// passes: what the lab relies on of its store, whatever keeps it.
package storetest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"reqlab/app/stage"
	"reqlab/server/store"
)

// Engine is how the suite gets a store: an empty one, migrated, for each
// test; a way to set its clock; and the words the engine uses when a table
// is missing.
type Engine struct {
	Open         func(t *testing.T) store.Store
	SetNow       func(s store.Store, now func() time.Time)
	NoSuchTable  string // the engine's message for the missing "inscripciones"
	CoursesQuery string // the statement the lab shows for a session's catalogue
}

// Run runs the suite against an engine.
func Run(t *testing.T, e Engine) {
	for _, tt := range []struct {
		name string
		test func(*testing.T, Engine)
	}{
		{"RunLifecycle", runLifecycle},
		{"AppendRefusesAndStoresNothing", appendRefuses},
		{"ARunHasBoundedEvents", boundedEvents},
		{"ConcurrentBatchesAreNumberedInOrder", concurrentBatches},
		{"OpenRunsAreMarkedInterrupted", markInterrupted},
		{"SilentRunsAreMarkedInterrupted", silentInterrupted},
		{"ARunKeepsBoundedBytes", boundedBytes},
		{"PruneKeepsBoundedBytes", pruneBytes},
		{"PruneKeepsTheStoreBounded", pruneBounded},
		{"PruneCapsEachSession", pruneCapsEachSession},
		{"SampleQueries", sampleQueries},
		{"EachSessionHasItsOwnCatalogue", ownCatalogue},
		{"KeysAreMadeOnceAndKept", keys},
		{"HealthChecks", health},
		{"LaunchesAreTakenOnce", launches},
		{"AScoreIsClaimedByOneSender", claimScores},
		{"TheLastReportIsExplained", lastReportExplained},
		{"MomentsCompareInTime", momentsCompareInTime},
	} {
		t.Run(tt.name, func(t *testing.T) { tt.test(t, e) })
	}
}

var wait = stage.Event{Stage: stage.Wait, Side: stage.Client, Phase: stage.End, State: stage.Done}

func runLifecycle(t *testing.T, e Engine) {
	db := e.Open(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 27, 10, 0, 0, 123456000, time.UTC)
	e.SetNow(db, func() time.Time { return at })

	id := stage.NewRunID()
	meant := stage.Request{Method: "GET", URL: "/site/api/cursos", Headers: []stage.Header{},
		Cookies: []stage.Cookie{{Name: "tema", Value: "oscuro"}}, Network: "3g", FreshConnection: true}
	secret := stage.NewRunSecret()
	if _, err := db.CreateRun(ctx, id, secret, "s1", meant); err != nil {
		t.Fatalf("CreateRun: %v", err)
	}
	opened, ok, err := db.RunOpened(ctx, id)
	if err != nil || !ok || !opened.Opened.Equal(at) || opened.Session != "s1" || opened.Secret != secret ||
		opened.Network != "3g" || !opened.Fresh || len(opened.Cookies) != 1 || opened.Cookies[0] != "tema" {
		t.Fatalf("RunOpened = %+v, %v, %v; want it as opened at %v", opened, ok, err, at)
	}

	received := stage.Request{Method: "GET", URL: "/site/api/cursos", Headers: []stage.Header{{Name: "Host", Value: "x"}}}
	server, err := db.Append(ctx, store.Batch{
		RunID: id, Side: stage.Server, Request: &received,
		Response: &stage.Response{Status: 200, Headers: []stage.Header{{Name: "Content-Type", Value: "application/json"}}, Body: `{"a":1}`},
		Events: stage.WithStarts([]stage.Event{
			{Stage: stage.Receive, Side: stage.Server, Phase: stage.End, TMs: 1, DurMs: stage.Ms(0.1), State: stage.Done},
			{Stage: stage.DB, Side: stage.Server, Phase: stage.End, TMs: 2, State: stage.Skipped, Detail: stage.Detail{Reason: stage.ReasonNoDB}},
		}),
	})
	if err != nil {
		t.Fatalf("Append server: %v", err)
	}
	if len(server) != 4 || server[0].Seq != 1 || server[3].Seq != 4 {
		t.Fatalf("server events %+v; want seqs 1 to 4", server)
	}
	client, err := db.Append(ctx, store.Batch{
		RunID: id, Side: stage.Client, Complete: true,
		Response: &stage.Response{Status: 418}, // the server's answer stands
		Events:   stage.WithStarts([]stage.Event{{Stage: stage.Wait, Side: stage.Client, Phase: stage.End, TMs: 0.5, DurMs: stage.Ms(3), State: stage.Done}}),
	})
	if err != nil || len(client) != 2 || client[1].Seq != 6 {
		t.Fatalf("Append client = %+v, %v; want seqs 5, 6", client, err)
	}

	run, err := db.Run(ctx, id)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if run.State != stage.RunComplete || !run.CreatedAt.Equal(at) || run.Request.Headers[0].Name != "Host" || run.Request.Network != "3g" {
		t.Errorf("run = %+v", run)
	}
	if run.Response == nil || run.Response.Status != 200 || run.Response.Body != `{"a":1}` || run.Response.Headers[0].Value != "application/json" {
		t.Errorf("response = %+v, want the server's 200", run.Response)
	}
	if len(run.Events) != 6 || run.Events[3].DurMs != nil || run.Events[3].Detail.Reason != stage.ReasonNoDB || *run.Events[1].DurMs != 0.1 {
		t.Errorf("events = %+v", run.Events)
	}
	after, _ := db.Events(ctx, id, 4)
	if len(after) != 2 || after[0].Seq != 5 {
		t.Errorf("Events after 4 = %+v, want seqs 5 and 6", after)
	}
	if _, ok, _ := db.RunOpened(ctx, id); ok {
		t.Error("a complete run still counts as open")
	}
	runs, err := db.Runs(ctx, "s1", 10)
	if err != nil || len(runs) != 1 || runs[0].ID != id || runs[0].Status != 200 || runs[0].State != stage.RunComplete || runs[0].TotalMs == nil {
		t.Errorf("Runs = %+v, %v", runs, err)
	}
	if ok, _ := db.RunExists(ctx, id); !ok {
		t.Error("RunExists: the run is not there")
	}
}

func appendRefuses(t *testing.T, e Engine) {
	db := e.Open(t)
	ctx := context.Background()
	open := stage.NewRunID()
	db.CreateRun(ctx, open, stage.NewRunSecret(), "s1", stage.Request{Method: "GET", URL: "/site/"})
	if _, err := db.Append(ctx, store.Batch{RunID: open, Events: stage.WithStarts([]stage.Event{wait})}); err != nil {
		t.Fatal(err)
	}
	closed := stage.NewRunID()
	db.CreateRun(ctx, closed, stage.NewRunSecret(), "s1", stage.Request{Method: "GET", URL: "/site/"})
	db.Append(ctx, store.Batch{RunID: closed, Complete: true})

	tests := []struct {
		name string
		b    store.Batch
		want error
	}{
		{"an unknown run", store.Batch{RunID: stage.NewRunID(), Events: []stage.Event{wait}}, store.ErrNotFound},
		{"a complete run", store.Batch{RunID: closed, Events: []stage.Event{wait}}, store.ErrRunClosed},
		{"a stage ended twice", store.Batch{RunID: open, Events: stage.WithStarts([]stage.Event{
			{Stage: stage.Parse, Side: stage.Client, Phase: stage.End, State: stage.Done}, wait,
		})}, store.ErrStageEnded},
		{"an end with no start", store.Batch{RunID: open, Events: []stage.Event{
			{Stage: stage.Parse, Side: stage.Client, Phase: stage.End, State: stage.Done},
		}}, store.ErrNotStarted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := db.Append(ctx, tt.b); !errors.Is(err, tt.want) {
				t.Errorf("Append = %v, want %v", err, tt.want)
			}
		})
	}
	events, _ := db.Events(ctx, open, 0)
	if len(events) != 2 {
		t.Errorf("%d events stored, want wait's start and end: a refused batch stores nothing, not even its first event", len(events))
	}
	if _, err := db.Run(ctx, stage.NewRunID()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Run(unknown) = %v, want ErrNotFound", err)
	}
}

func boundedEvents(t *testing.T, e Engine) {
	db := e.Open(t)
	ctx := context.Background()
	id := stage.NewRunID()
	db.CreateRun(ctx, id, stage.NewRunSecret(), "s", stage.Request{Method: "GET", URL: "/site/"})
	start := stage.Event{Stage: stage.Assets, Side: stage.Client, Phase: stage.Start, State: stage.Active}
	many := make([]stage.Event, store.MaxEventsPerRun+1)
	for i := range many {
		many[i] = start
	}
	if _, err := db.Append(ctx, store.Batch{RunID: id, Events: many}); !errors.Is(err, store.ErrTooManyEvents) {
		t.Errorf("%d events: %v, want ErrTooManyEvents", len(many), err)
	}
	// A stage's end needs its start; a stage starts once (a repeated start
	// is left out) and ends once, and nothing of it comes after its end.
	end := stage.Event{Stage: stage.Assets, Side: stage.Client, Phase: stage.End, State: stage.Done}
	if _, err := db.Append(ctx, store.Batch{RunID: id, Events: []stage.Event{end}}); !errors.Is(err, store.ErrNotStarted) {
		t.Errorf("an end with no start: %v, want ErrNotStarted", err)
	}
	if _, err := db.Append(ctx, store.Batch{RunID: id, Events: many[:1]}); err != nil {
		t.Fatal(err)
	}
	if stored, err := db.Append(ctx, store.Batch{RunID: id, Events: many[:1]}); err != nil || len(stored) != 0 {
		t.Errorf("a second start: %d stored, %v; want it left out", len(stored), err)
	}
	if _, err := db.Append(ctx, store.Batch{RunID: id, Events: []stage.Event{end}}); err != nil {
		t.Fatal(err)
	}
	for _, late := range []stage.Event{start, end} {
		if _, err := db.Append(ctx, store.Batch{RunID: id, Events: []stage.Event{late}}); !errors.Is(err, store.ErrStageEnded) {
			t.Errorf("a %s after the end: %v, want ErrStageEnded", late.Phase, err)
		}
	}
	if events, _ := db.Events(ctx, id, 0); len(events) != 2 {
		t.Errorf("%d events stored, want the one start and the one end", len(events))
	}
}

// Batches of one run stored at once (the client's and the server's, from
// different lab servers) are numbered one after another, none lost.
func concurrentBatches(t *testing.T, e Engine) {
	db := e.Open(t)
	ctx := context.Background()
	id := stage.NewRunID()
	db.CreateRun(ctx, id, stage.NewRunSecret(), "s", stage.Request{Method: "GET", URL: "/site/"})
	var wg sync.WaitGroup
	errs := make(chan error, len(stage.All()))
	for _, s := range stage.All() {
		side, _ := stage.SideOf(s)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := db.Append(ctx, store.Batch{RunID: id, Side: side, Events: stage.WithStarts([]stage.Event{
				{Stage: s, Side: side, Phase: stage.End, State: stage.Done}})})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	events, err := db.Events(ctx, id, 0)
	if err != nil || len(events) != 2*len(stage.All()) {
		t.Fatalf("%d events, %v; want %d", len(events), err, 2*len(stage.All()))
	}
	for i, ev := range events {
		if ev.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d: want 1, 2, 3… with no gap", i, ev.Seq)
		}
		if ev.Phase == stage.End && (i == 0 || events[i-1].Stage != ev.Stage) {
			t.Errorf("seq %d ends %s, not right after its start: a batch is numbered whole", ev.Seq, ev.Stage)
		}
	}
}

func markInterrupted(t *testing.T, e Engine) {
	db := e.Open(t)
	ctx := context.Background()
	open, done := stage.NewRunID(), stage.NewRunID()
	db.CreateRun(ctx, open, stage.NewRunSecret(), "s", stage.Request{Method: "GET", URL: "/site/"})
	db.CreateRun(ctx, done, stage.NewRunSecret(), "s", stage.Request{Method: "GET", URL: "/site/"})
	db.Append(ctx, store.Batch{RunID: done, Complete: true})
	if n, err := db.MarkInterrupted(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("MarkInterrupted(an hour ago) = %d, %v; want none: the run is younger", n, err)
	}
	if n, err := db.MarkInterrupted(ctx, time.Now().Add(time.Second)); err != nil || n != 1 {
		t.Fatalf("MarkInterrupted = %d, %v; want 1", n, err)
	}
	for id, want := range map[string]stage.RunState{open: stage.RunInterrupted, done: stage.RunComplete} {
		if run, _ := db.Run(ctx, id); run.State != want {
			t.Errorf("run is %s, want %s", run.State, want)
		}
	}
	if _, ok, _ := db.RunOpened(ctx, open); ok {
		t.Error("an interrupted run counts as open")
	}
	// An interrupted run takes nothing more: it cannot turn complete.
	late := store.Batch{RunID: open, Complete: true, Events: []stage.Event{wait}}
	if _, err := db.Append(ctx, late); !errors.Is(err, store.ErrRunClosed) {
		t.Errorf("a report into an interrupted run: %v, want ErrRunClosed", err)
	}
	if run, _ := db.Run(ctx, open); run.State != stage.RunInterrupted || len(run.Events) != 0 {
		t.Errorf("the interrupted run after a late report: %s, %d events", run.State, len(run.Events))
	}
}

// An open run ends as interrupted once it has heard nothing for the time
// the caller allows, counted from its last batch, not from its opening: a
// run still reporting stays open however old it is.
func silentInterrupted(t *testing.T, e Engine) {
	db := e.Open(t)
	ctx := context.Background()
	t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	now := t0
	e.SetNow(db, func() time.Time { return now })
	talking, silent, quiet := stage.NewRunID(), stage.NewRunID(), stage.NewRunID()
	for _, id := range []string{talking, silent, quiet} {
		if _, err := db.CreateRun(ctx, id, stage.NewRunSecret(), "s", stage.Request{Method: "GET", URL: "/site/"}); err != nil {
			t.Fatal(err)
		}
	}
	// silent reports once, at once; talking reports 50 s in; quiet never.
	if _, err := db.Append(ctx, store.Batch{RunID: silent, Side: stage.Client, Events: []stage.Event{
		{Stage: stage.Cache, Side: stage.Client, Phase: stage.Start, State: stage.Active}}}); err != nil {
		t.Fatal(err)
	}
	now = t0.Add(50 * time.Second)
	if _, err := db.Append(ctx, store.Batch{RunID: talking, Side: stage.Client, Events: []stage.Event{
		{Stage: stage.Cache, Side: stage.Client, Phase: stage.Start, State: stage.Active}}}); err != nil {
		t.Fatal(err)
	}
	// At 60 s, those silent for 30 s end: the two that last heard at 0 s.
	now = t0.Add(60 * time.Second)
	if n, err := db.MarkInterrupted(ctx, now.Add(-30*time.Second)); err != nil || n != 2 {
		t.Fatalf("MarkInterrupted(silent since 30 s) = %d, %v; want 2", n, err)
	}
	for id, want := range map[string]stage.RunState{talking: stage.RunOpen, silent: stage.RunInterrupted, quiet: stage.RunInterrupted} {
		if run, _ := db.Run(ctx, id); run.State != want {
			t.Errorf("run %s is %s, want %s", id, run.State, want)
		}
	}
	// It still reports, and ends complete.
	if _, err := db.Append(ctx, store.Batch{RunID: talking, Side: stage.Client, Complete: true}); err != nil {
		t.Errorf("the run that kept reporting: %v", err)
	}
	if n, _ := db.MarkInterrupted(ctx, now.Add(time.Hour)); n != 0 {
		t.Errorf("MarkInterrupted after: %d more, want none open", n)
	}
}

// A run keeps at most store.MaxRunBytes: a batch that would take it past is
// refused whole; a request the server received replaces the one meant, and
// counts once.
func boundedBytes(t *testing.T, e Engine) {
	db := e.Open(t)
	ctx := context.Background()
	id := stage.NewRunID()
	if _, err := db.CreateRun(ctx, id, stage.NewRunSecret(), "s", stage.Request{Method: "POST", URL: "/site/api/cursos"}); err != nil {
		t.Fatal(err)
	}
	body := func(kb int) string { return strings.Repeat("x", kb<<10) }
	for i, tt := range []struct {
		b    store.Batch
		want error
	}{
		{store.Batch{Side: stage.Client, Response: &stage.Response{Status: 200, Body: body(store.MaxRunBytes >> 10)}}, store.ErrRunTooLarge},
		{store.Batch{Side: stage.Server, Request: &stage.Request{Method: "POST", URL: "/site/api/cursos", Body: body(150)}}, nil},
		{store.Batch{Side: stage.Server, Request: &stage.Request{Method: "POST", URL: "/site/api/cursos", Body: body(150)}}, nil},
		{store.Batch{Side: stage.Server, Response: &stage.Response{Status: 201, Body: body(150)}}, store.ErrRunTooLarge},
		{store.Batch{Side: stage.Server, Response: &stage.Response{Status: 201, Body: body(90)}}, nil},
		{store.Batch{Side: stage.Client, Events: []stage.Event{{Stage: stage.Cache, Side: stage.Client, Phase: stage.Start, State: stage.Active,
			Detail: stage.Detail{URL: body(4), Error: body(4), SQL: body(4), Route: body(4), Method: body(4), Protocol: body(4)}}}}, store.ErrRunTooLarge},
	} {
		tt.b.RunID = id
		if _, err := db.Append(ctx, tt.b); !errors.Is(err, tt.want) {
			t.Fatalf("batch %d: %v, want %v", i+1, err, tt.want)
		}
	}
	run, err := db.Run(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if run.Response == nil || run.Response.Status != 201 || len(run.Response.Body) != 90<<10 || len(run.Request.Body) != 150<<10 || len(run.Events) != 0 {
		t.Errorf("the run keeps a %d KB request and %+v events: the refused batches changed it", len(run.Request.Body)>>10, len(run.Events))
	}
}

// Prune keeps the newest runs that hold maxBytes together.
func pruneBytes(t *testing.T, e Engine) {
	db := e.Open(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	e.SetNow(db, func() time.Time { return now })
	var ids []string
	for i := 0; i < 5; i++ {
		now = now.Add(time.Minute)
		id := stage.NewRunID()
		ids = append(ids, id)
		db.CreateRun(ctx, id, stage.NewRunSecret(), "s", stage.Request{Method: "GET", URL: "/site/"})
		if _, err := db.Append(ctx, store.Batch{RunID: id, Side: stage.Server, Response: &stage.Response{Status: 200, Body: strings.Repeat("x", 50<<10)}}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := db.Prune(ctx, 0, 0, 0, 120<<10); err != nil || n != 3 {
		t.Fatalf("Prune(120 KB) = %d, %v; want the 3 oldest of five 50 KB runs", n, err)
	}
	for i, id := range ids {
		if _, err := db.Run(ctx, id); (err == nil) != (i >= 3) {
			t.Errorf("run %d of 5: %v", i+1, err)
		}
	}
}

func pruneBounded(t *testing.T, e Engine) {
	db := e.Open(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	var ids []string
	for i := 0; i < 6; i++ { // one run a day, the oldest first
		at := now.Add(time.Duration(i-5) * 24 * time.Hour)
		e.SetNow(db, func() time.Time { return at })
		id := stage.NewRunID()
		db.CreateRun(ctx, id, stage.NewRunSecret(), "s", stage.Request{Method: "GET", URL: "/site/"})
		db.Append(ctx, store.Batch{RunID: id, Events: stage.WithStarts([]stage.Event{wait})})
		ids = append(ids, id)
	}
	e.SetNow(db, func() time.Time { return now })

	n, err := db.Prune(ctx, 3*24*time.Hour+time.Minute, 0, 0, 0) // older than 3 days: the first two
	if err != nil || n != 2 {
		t.Fatalf("Prune by age = %d, %v; want 2", n, err)
	}
	if n, _ = db.Prune(ctx, 0, 0, 3, 0); n != 1 { // keep the newest 3 of the 4 left
		t.Fatalf("Prune by count deleted %d, want 1", n)
	}
	for i, id := range ids {
		ok, _ := db.RunExists(ctx, id)
		if want := i >= 3; ok != want {
			t.Errorf("run %d (day %d) kept = %v, want %v", i, i-5, ok, want)
		}
		if events, _ := db.Events(ctx, id, 0); (len(events) > 0) != (i >= 3) {
			t.Errorf("run %d: %d events left", i, len(events))
		}
	}
}

func pruneCapsEachSession(t *testing.T, e Engine) {
	db := e.Open(t)
	ctx := context.Background()
	base := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	add := func(session string, i int) string {
		at := base.Add(time.Duration(i) * time.Minute)
		e.SetNow(db, func() time.Time { return at })
		id := stage.NewRunID()
		db.CreateRun(ctx, id, stage.NewRunSecret(), session, stage.Request{Method: "GET", URL: "/site/"})
		return id
	}
	var ana []string
	for i := 0; i < 5; i++ {
		ana = append(ana, add("ana", i))
	}
	luis := add("luis", 0)
	if n, err := db.Prune(ctx, 0, 2, 0, 0); err != nil || n != 3 {
		t.Fatalf("Prune per session = %d, %v; want ana's 3 oldest", n, err)
	}
	for i, id := range ana {
		if ok, _ := db.RunExists(ctx, id); ok != (i >= 3) {
			t.Errorf("ana's run %d kept = %v", i, ok)
		}
	}
	if ok, _ := db.RunExists(ctx, luis); !ok {
		t.Error("luis lost his only run to ana's cap")
	}
}

func sampleQueries(t *testing.T, e Engine) {
	db := e.Open(t)
	ctx := context.Background()
	c, q, err := db.Course(ctx, "", 2)
	if err != nil || c == nil || c.Titulo != "HTML y CSS desde cero" || q.Rows != 1 || q.Dur <= 0 {
		t.Errorf("Course(2) = %+v, %+v, %v", c, q, err)
	}
	c, q, err = db.Course(ctx, "", 999999)
	if err != nil || c != nil || q.Rows != 0 {
		t.Errorf("Course(999999) = %+v, %+v, %v; want no course, 0 rows, no error", c, q, err)
	}
	cs, q, err := db.Courses(ctx, "")
	if err != nil || len(cs) != 6 || q.SQL != e.CoursesQuery {
		t.Errorf("Courses = %d, %q, %v; want the 6 seeded, by %q", len(cs), q.SQL, err, e.CoursesQuery)
	}
	_, q, err = db.Enrollments(ctx)
	if err == nil || !strings.Contains(db.Message(err), e.NoSuchTable) || !strings.Contains(q.SQL, "inscripciones") {
		t.Errorf("Enrollments = %+v, %v; want the engine's %q", q, err, e.NoSuchTable)
	}
	if db.Unavailable(err) {
		t.Errorf("a missing table counts as the store being unavailable: %v", err)
	}
}

// Each lab session sees the seed and its own courses: what one adds, no
// other sees; a reset takes it back to the seed; pruning forgets old ones.
func ownCatalogue(t *testing.T, e Engine) {
	db := e.Open(t)
	ctx := context.Background()
	a, b := stage.NewRunID(), stage.NewRunID()
	db.KeepAnswer(ctx, store.Answer{Session: b, Lesson: "cookies", Choice: 0, Correct: true, At: time.Now()})
	added, q, err := db.InsertCourse(ctx, a, store.Course{Titulo: "Redes", Nivel: "básico", Horas: 4})
	if err != nil || added.ID <= 6 || q.Rows != 1 {
		t.Fatalf("InsertCourse = %+v, %+v, %v", added, q, err)
	}
	count := func(session string) int {
		cs, q, err := db.Courses(ctx, session)
		if err != nil || q.Rows != len(cs) {
			t.Fatalf("Courses(%q): %v", session, err)
		}
		return len(cs)
	}
	if na, nb, none := count(a), count(b), count(""); na != 7 || nb != 6 || none != 6 {
		t.Errorf("after A adds one: A sees %d, B %d, no session %d; want 7, 6, 6", na, nb, none)
	}
	if c, _, _ := db.Course(ctx, b, added.ID); c != nil {
		t.Errorf("B finds A's course: %+v", c)
	}
	if c, _, _ := db.Course(ctx, a, added.ID); c == nil || c.Titulo != "Redes" {
		t.Errorf("A does not find its course: %+v", c)
	}
	if cs, _, _ := db.CoursesOfLevel(ctx, b, "básico"); len(cs) != 2 {
		t.Errorf("B's básico courses: %d, want the seed's 2", len(cs))
	}
	levels := func(session string) int {
		ls, _, _ := db.Levels(ctx, session)
		n := 0
		for _, l := range ls {
			n += l.Cursos
		}
		return n
	}
	if la, lb := levels(a), levels(b); la != 7 || lb != 6 {
		t.Errorf("levels count %d courses for A, %d for B; want 7, 6", la, lb)
	}
	if _, _, err := db.InsertCourse(ctx, "", store.Course{Titulo: "x", Nivel: "básico", Horas: 1}); err == nil {
		t.Error("a course was added to the seed")
	}
	if _, _, err := db.InsertCourse(ctx, b, store.Course{Titulo: "x", Nivel: "otro", Horas: 1}); err == nil || errors.Is(err, store.ErrFull) {
		t.Errorf("a course of no known level: %v, want the database's refusal", err)
	}

	// A session's additions are bounded, also when added at once.
	var wg sync.WaitGroup
	for i := 1; i < store.MaxCoursesPerSession+5; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db.InsertCourse(ctx, a, store.Course{Titulo: "x", Nivel: "básico", Horas: 1})
		}()
	}
	wg.Wait()
	if na := count(a); na != 6+store.MaxCoursesPerSession {
		t.Errorf("A sees %d courses after adding many at once; want the seed and %d", na, store.MaxCoursesPerSession)
	}
	if _, _, err := db.InsertCourse(ctx, a, store.Course{Titulo: "x", Nivel: "básico", Horas: 1}); !errors.Is(err, store.ErrFull) {
		t.Errorf("course %d of one session: %v, want ErrFull", store.MaxCoursesPerSession+1, err)
	}
	if _, _, err := db.InsertCourse(ctx, b, store.Course{Titulo: "x", Nivel: "básico", Horas: 1}); err != nil {
		t.Errorf("B is refused because A is full: %v", err)
	}

	if n, err := db.ResetCourses(ctx, a); err != nil || n != store.MaxCoursesPerSession {
		t.Errorf("ResetCourses(A) = %d, %v; want %d", n, err, store.MaxCoursesPerSession)
	}
	if na, nb := count(a), count(b); na != 6 || nb != 7 {
		t.Errorf("after A's reset: A sees %d, B %d; want 6, 7", na, nb)
	}

	e.SetNow(db, func() time.Time { return time.Now().Add(48 * time.Hour) })
	if _, err := db.Prune(ctx, 24*time.Hour, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	if nb := count(b); nb != 6 {
		t.Errorf("B's course of two days ago survives pruning: B sees %d", nb)
	}
	if as, _ := db.Answers(ctx, b); len(as) != 0 {
		t.Errorf("B's answer of two days ago survives pruning: %+v", as)
	}
}

func keys(t *testing.T, e Engine) {
	db := e.Open(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	got := make([][]byte, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := db.Key(ctx, "sessions", 32)
			if err != nil {
				t.Error(err)
			}
			got[i] = k
		}()
	}
	wg.Wait()
	for _, k := range got {
		if len(k) != 32 || string(k) != string(got[0]) {
			t.Fatalf("keys asked for at once differ: %x, %x", k, got[0])
		}
	}
	other, _ := db.Key(ctx, "other", 16)
	if len(other) != 16 || string(other) == string(got[0][:16]) {
		t.Errorf("another key: %x", other)
	}
}

func health(t *testing.T, e Engine) {
	db := e.Open(t)
	ctx := context.Background()
	if err := db.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
	if err := db.CheckWrite(ctx); err != nil {
		t.Errorf("CheckWrite: %v", err)
	}
	if err := db.CheckWrite(ctx); err != nil {
		t.Errorf("CheckWrite again: %v", err)
	}
	if db.Engine() == "" {
		t.Error("the engine has no name")
	}
}

func launches(t *testing.T, e Engine) {
	db := e.Open(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	l := store.Launch{Issuer: "https://moodle.example", Subject: "u1", Name: "Ana", Roles: []string{"http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"},
		Deployment: "d1", Context: "c1", ContextTitle: "Redes", ResourceLink: "r1", Lesson: "cookies", Session: stage.NewRunID(), Nonce: "n1", At: at}
	if ok, err := db.RecordLaunch(ctx, l); err != nil || !ok {
		t.Fatalf("RecordLaunch = %v, %v", ok, err)
	}
	if ok, err := db.RecordLaunch(ctx, l); err != nil || ok {
		t.Errorf("the same nonce again = %v, %v; want refused", ok, err)
	}
	other := l
	other.Issuer = "https://canvas.example"
	if ok, err := db.RecordLaunch(ctx, other); err != nil || !ok {
		t.Errorf("another platform's same nonce = %v, %v; want taken", ok, err)
	}
	if ok, err := db.UseNonce(ctx, l.Issuer, "n2"); err != nil || !ok {
		t.Errorf("UseNonce(new) = %v, %v", ok, err)
	}
	if ok, _ := db.UseNonce(ctx, l.Issuer, "n2"); ok {
		t.Error("UseNonce took a nonce twice")
	}
	e.SetNow(db, func() time.Time { return at })
	if n, err := db.ForgetLaunches(ctx, at.Add(time.Hour)); err != nil || n != 2 {
		t.Errorf("ForgetLaunches = %d, %v; want the two", n, err)
	}

	// Grades: a launch with a line item, a score kept once per line item
	// and user, due until taken, tried again later.
	graded := l
	graded.Nonce, graded.LineItem, graded.ClientID, graded.Session, graded.Lesson = "n3", "https://moodle.example/lineitems/4", "c1", stage.NewRunID(), "cache"
	if ok, err := db.RecordLaunch(ctx, graded); err != nil || !ok {
		t.Fatalf("RecordLaunch with a line item = %v, %v", ok, err)
	}
	items, err := db.LineItems(ctx, graded.Session, "cache")
	if err != nil || len(items) != 1 || items[0].LineItem != graded.LineItem || items[0].Subject != "u1" || items[0].ClientID != "c1" {
		t.Fatalf("LineItems = %+v, %v", items, err)
	}
	if items, _ := db.LineItems(ctx, graded.Session, "cookies"); len(items) != 0 {
		t.Errorf("line items of a lesson not launched: %+v", items)
	}
	score := store.Score{Issuer: l.Issuer, ClientID: "c1", LineItem: graded.LineItem, UserID: "u1", Lesson: "cache", Given: 1, Max: 1, At: at}
	if ok, err := db.QueueScore(ctx, score); err != nil || !ok {
		t.Fatalf("QueueScore = %v, %v", ok, err)
	}
	if ok, _ := db.QueueScore(ctx, score); ok {
		t.Error("a score was kept twice")
	}
	due, err := db.DueScores(ctx, at.Add(time.Second), 10)
	if err != nil || len(due) != 1 || due[0].UserID != "u1" || due[0].Given != 1 || !due[0].At.Equal(at) {
		t.Fatalf("DueScores = %+v, %v", due, err)
	}
	db.ScoreRetry(ctx, due[0].ID, at.Add(time.Minute))
	if due, _ := db.DueScores(ctx, at.Add(time.Second), 10); len(due) != 0 {
		t.Errorf("a score to try again in a minute is due now: %+v", due)
	}
	due, _ = db.DueScores(ctx, at.Add(2*time.Minute), 10)
	if len(due) != 1 || due[0].Attempts != 1 {
		t.Fatalf("after its pause: %+v", due)
	}
	db.ScoreTaken(ctx, due[0].ID, at.Add(2*time.Minute))
	if due, _ := db.DueScores(ctx, at.Add(time.Hour), 10); len(due) != 0 {
		t.Errorf("a score taken is still due: %+v", due)
	}

	made := []byte("a key made by its user")
	kept, err := db.KeepKey(ctx, "lti", made)
	if err != nil || string(kept) != string(made) {
		t.Fatalf("KeepKey = %q, %v", kept, err)
	}
	if again, _ := db.KeepKey(ctx, "lti", []byte("another")); string(again) != string(made) {
		t.Errorf("KeepKey replaced the kept key with %q", again)
	}
}

// Senders claiming at once (servers sharing the store) each get their own
// scores: every score due is claimed once, and is due again only once its
// lease is over.
func claimScores(t *testing.T, e Engine) {
	db := e.Open(t)
	ctx := context.Background()
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	const scores = 40
	for i := range scores {
		s := store.Score{Issuer: "https://lms.example", ClientID: "c1", LineItem: "https://lms.example/li/" + string(rune('a'+i%26)) + string(rune('a'+i/26)),
			UserID: "u1", Lesson: "cache", Given: 1, Max: 1, At: at}
		if ok, err := db.QueueScore(ctx, s); err != nil || !ok {
			t.Fatalf("QueueScore = %v, %v", ok, err)
		}
	}
	var (
		mu      sync.Mutex
		claimed = map[int64]int{}
		wg      sync.WaitGroup
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := db.ClaimScores(ctx, at.Add(time.Second), time.Minute, 3)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, s := range got {
					claimed[s.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(claimed) != scores {
		t.Errorf("%d scores claimed, want all %d", len(claimed), scores)
	}
	for id, n := range claimed {
		if n != 1 {
			t.Errorf("score %d claimed %d times", id, n)
		}
	}
	if due, _ := db.DueScores(ctx, at.Add(30*time.Second), 100); len(due) != 0 {
		t.Errorf("%d claimed scores due again within their lease", len(due))
	}
	if due, _ := db.ClaimScores(ctx, at.Add(2*time.Minute), time.Minute, 100); len(due) != scores {
		t.Errorf("%d scores claimed again once the lease is over (the sender stopped), want %d", len(due), scores)
	}
}

// lastReportExplained: a client's last report is stored as stage.Explain
// completes it with what the server knows: a miss whose answer was the
// server's 304 is kept as a revalidation, and where the cache answered, the
// server's stages as not reached.
func lastReportExplained(t *testing.T, e Engine) {
	db := e.Open(t)
	ctx := context.Background()
	cacheEnd := func(reason stage.Reason) []stage.Event {
		return stage.WithStarts([]stage.Event{
			{Stage: stage.Cache, Side: stage.Client, Phase: stage.End, TMs: 0.2, DurMs: stage.Ms(0.1), State: stage.Done, Detail: stage.Detail{Reason: reason}},
			{Stage: stage.Wait, Side: stage.Client, Phase: stage.End, TMs: 0.5, DurMs: stage.Ms(3), State: stage.Done},
		})
	}
	final := func(run stage.Run, id stage.ID) stage.Event {
		var last stage.Event
		for _, ev := range run.Events {
			if ev.Stage == id && ev.Phase == stage.End {
				last = ev
			}
		}
		return last
	}

	revalidated := stage.NewRunID()
	if _, err := db.CreateRun(ctx, revalidated, stage.NewRunSecret(), "s1", stage.Request{Method: "GET", URL: "/site/api/novedades"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Append(ctx, store.Batch{RunID: revalidated, Side: stage.Server, Response: &stage.Response{Status: 304},
		Events: stage.WithStarts([]stage.Event{{Stage: stage.Respond, Side: stage.Server, Phase: stage.End, TMs: 1, DurMs: stage.Ms(0.1), State: stage.Done}}),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Append(ctx, store.Batch{RunID: revalidated, Side: stage.Client, Complete: true, Response: &stage.Response{Status: 200},
		Events: cacheEnd(stage.ReasonCacheMiss)}); err != nil {
		t.Fatal(err)
	}
	run, err := db.Run(ctx, revalidated)
	if err != nil {
		t.Fatal(err)
	}
	if got := final(run, stage.Cache).Detail.Reason; got != stage.ReasonRevalidated {
		t.Errorf("a miss answered 304 by the server is stored as %q, want %q", got, stage.ReasonRevalidated)
	}

	hit := stage.NewRunID()
	if _, err := db.CreateRun(ctx, hit, stage.NewRunSecret(), "s1", stage.Request{Method: "GET", URL: "/site/api/portada"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Append(ctx, store.Batch{RunID: hit, Side: stage.Client, Complete: true, Response: &stage.Response{Status: 200},
		Events: cacheEnd(stage.ReasonCacheHit)}); err != nil {
		t.Fatal(err)
	}
	if run, err = db.Run(ctx, hit); err != nil {
		t.Fatal(err)
	}
	for _, id := range stage.ServerStages {
		if got := final(run, id); got.State != stage.Skipped || got.Detail.Reason != stage.ReasonNotReached {
			t.Errorf("after a cache hit the server's %s is stored %s %q, want skipped, not reached", id, got.State, got.Detail.Reason)
		}
	}
}

// momentsCompareInTime: a score queued at a moment is due a few
// milliseconds later, whatever digits the two moments' fractions have
// (kept as text, 10:00:00.2 sorted after 10:00:00.203).
func momentsCompareInTime(t *testing.T, e Engine) {
	db := e.Open(t)
	ctx := context.Background()
	at := time.Date(2026, 12, 7, 10, 0, 0, 200_000_000, time.UTC)
	s := store.Score{Issuer: "https://lms.example", ClientID: "c1", LineItem: "https://lms.example/li/1", UserID: "u1", Lesson: "cache", Given: 1, Max: 1, At: at}
	if ok, err := db.QueueScore(ctx, s); err != nil || !ok {
		t.Fatalf("QueueScore = %v, %v", ok, err)
	}
	if got, err := db.ClaimScores(ctx, at.Add(3*time.Millisecond), time.Minute, 10); err != nil || len(got) != 1 {
		t.Errorf("a score queued at %s is not due 3 ms later (%d claimed, %v)", at.Format(time.StampMilli), len(got), err)
	}
}
