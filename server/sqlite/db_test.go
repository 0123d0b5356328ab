package sqlite

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"testing"
	"time"

	"reqlab/app/stage"
)

// openTestDB opens a database in a file of its own: each pooled connection of
// ":memory:" would be a database of its own.
func openTestDB(t testing.TB) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

func TestOpenMigratesOnceAndUsesWAL(t *testing.T) {
	db, path := openTestDB(t)
	var mode string
	if err := db.read.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q (%v), want wal", mode, err)
	}
	db.Close()

	again, err := Open(context.Background(), path) // migrations already applied: a no-op
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer again.Close()
	var n int
	again.read.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n)
	files, _ := fs.Glob(migrations, "migrations/*.sql")
	if n != len(files) || n < 6 {
		t.Errorf("%d migrations recorded, want the %d files once each", n, len(files))
	}
	courses, _, err := again.Courses(context.Background(), "")
	if err != nil || len(courses) != 6 {
		t.Errorf("Courses = %d courses, %v; want the 6 seeded once", len(courses), err)
	}
}

func TestReadPoolCannotWrite(t *testing.T) {
	db, _ := openTestDB(t)
	if _, err := db.read.Exec(`DELETE FROM cursos`); err == nil {
		t.Fatal("the read pool deleted rows")
	}
}

func TestRunLifecycle(t *testing.T) {
	db, _ := openTestDB(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 27, 10, 0, 0, 123456789, time.UTC)
	db.Now = func() time.Time { return at }

	id := stage.NewRunID()
	meant := stage.Request{Method: "GET", URL: "/site/api/cursos", Headers: []stage.Header{}}
	if _, err := db.CreateRun(ctx, id, stage.NewRunSecret(), "s1", meant); err != nil {
		t.Fatalf("CreateRun: %v", err)
	}
	opened, ok, err := db.RunOpened(ctx, id)
	if err != nil || !ok || !opened.Opened.Equal(at) {
		t.Fatalf("RunOpened = %v, %v, %v; want %v", opened, ok, err, at)
	}

	received := stage.Request{Method: "GET", URL: "/site/api/cursos", Headers: []stage.Header{{Name: "Host", Value: "x"}}}
	server, err := db.Append(ctx, Batch{
		RunID: id, Side: stage.Server, Request: &received,
		Response: &stage.Response{Status: 200, Headers: []stage.Header{{Name: "Content-Type", Value: "application/json"}}},
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
	client, err := db.Append(ctx, Batch{
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
	if run.State != stage.RunComplete || !run.CreatedAt.Equal(at) || run.Request.Headers[0].Name != "Host" {
		t.Errorf("run = %+v", run)
	}
	if run.Response == nil || run.Response.Status != 200 {
		t.Errorf("response = %+v, want the server's 200", run.Response)
	}
	if len(run.Events) != 6 || run.Events[3].DurMs != nil || run.Events[3].Detail.Reason != stage.ReasonNoDB {
		t.Errorf("events = %+v", run.Events)
	}
	after, _ := db.Events(ctx, id, 4)
	if len(after) != 2 || after[0].Seq != 5 {
		t.Errorf("Events after 4 = %+v, want seqs 5 and 6", after)
	}
	if _, ok, _ := db.RunOpened(ctx, id); ok {
		t.Error("a complete run still counts as open")
	}
}

func TestAppendRefusesAndStoresNothing(t *testing.T) {
	db, _ := openTestDB(t)
	ctx := context.Background()
	open := stage.NewRunID()
	db.CreateRun(ctx, open, stage.NewRunSecret(), "s1", stage.Request{Method: "GET", URL: "/site/"})
	wait := stage.Event{Stage: stage.Wait, Side: stage.Client, Phase: stage.End, State: stage.Done}
	if _, err := db.Append(ctx, Batch{RunID: open, Events: stage.WithStarts([]stage.Event{wait})}); err != nil {
		t.Fatal(err)
	}
	closed := stage.NewRunID()
	db.CreateRun(ctx, closed, stage.NewRunSecret(), "s1", stage.Request{Method: "GET", URL: "/site/"})
	db.Append(ctx, Batch{RunID: closed, Complete: true})

	tests := []struct {
		name string
		b    Batch
		want error
	}{
		{"an unknown run", Batch{RunID: stage.NewRunID(), Events: []stage.Event{wait}}, ErrNotFound},
		{"a complete run", Batch{RunID: closed, Events: []stage.Event{wait}}, ErrRunClosed},
		{"a stage ended twice", Batch{RunID: open, Events: stage.WithStarts([]stage.Event{
			{Stage: stage.Parse, Side: stage.Client, Phase: stage.End, State: stage.Done}, wait,
		})}, ErrStageEnded},
		{"an end with no start", Batch{RunID: open, Events: []stage.Event{
			{Stage: stage.Parse, Side: stage.Client, Phase: stage.End, State: stage.Done},
		}}, ErrNotStarted},
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
	if _, err := db.Run(ctx, stage.NewRunID()); !errors.Is(err, ErrNotFound) {
		t.Errorf("Run(unknown) = %v, want ErrNotFound", err)
	}
}

func TestSampleQueries(t *testing.T) {
	db, _ := openTestDB(t)
	ctx := context.Background()

	c, q, err := db.Course(ctx, "", 2)
	if err != nil || c == nil || c.Titulo != "HTML y CSS desde cero" || q.Rows != 1 || q.SQL != CourseSQL {
		t.Errorf("Course(2) = %+v, %+v, %v", c, q, err)
	}
	c, q, err = db.Course(ctx, "", 999999)
	if err != nil || c != nil || q.Rows != 0 {
		t.Errorf("Course(999999) = %+v, %+v, %v; want no course, 0 rows, no error", c, q, err)
	}
	_, q, err = db.Enrollments(ctx)
	if err == nil || Message(err) != "no such table: inscripciones" || q.SQL != EnrollmentsSQL {
		t.Errorf("Enrollments = %+v, %v; want SQLite's 'no such table'", q, err)
	}
}

// Each lab session sees the seed and its own courses: what one adds, no
// other sees; a reset takes it back to the seed; pruning forgets old ones.
func TestEachSessionHasItsOwnCatalogue(t *testing.T) {
	db, _ := openTestDB(t)
	ctx := context.Background()
	a, b := stage.NewRunID(), stage.NewRunID()
	added, _, err := db.InsertCourse(ctx, a, Course{Titulo: "Redes", Nivel: "básico", Horas: 4})
	if err != nil {
		t.Fatal(err)
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
	if _, _, err := db.InsertCourse(ctx, "", Course{Titulo: "x", Nivel: "básico", Horas: 1}); err == nil {
		t.Error("a course was added to the seed")
	}

	// A session's additions are bounded, and so are all sessions' together.
	for i := 1; i < MaxCoursesPerSession; i++ {
		if _, _, err := db.InsertCourse(ctx, a, Course{Titulo: "x", Nivel: "básico", Horas: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := db.InsertCourse(ctx, a, Course{Titulo: "x", Nivel: "básico", Horas: 1}); !errors.Is(err, ErrFull) {
		t.Errorf("course %d of one session: %v, want ErrFull", MaxCoursesPerSession+1, err)
	}
	if _, _, err := db.InsertCourse(ctx, b, Course{Titulo: "x", Nivel: "básico", Horas: 1}); err != nil {
		t.Errorf("B is refused because A is full: %v", err)
	}

	if n, err := db.ResetCourses(ctx, a); err != nil || n != MaxCoursesPerSession {
		t.Errorf("ResetCourses(A) = %d, %v; want %d", n, err, MaxCoursesPerSession)
	}
	if na, nb := count(a), count(b); na != 6 || nb != 7 {
		t.Errorf("after A's reset: A sees %d, B %d; want 6, 7", na, nb)
	}

	db.Now = func() time.Time { return time.Now().Add(48 * time.Hour) }
	if _, err := db.Prune(ctx, 24*time.Hour, 0, 0); err != nil {
		t.Fatal(err)
	}
	if nb := count(b); nb != 6 {
		t.Errorf("B's course of two days ago survives pruning: B sees %d", nb)
	}
}

func TestPruneKeepsTheDatabaseBounded(t *testing.T) {
	db, _ := openTestDB(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	var ids []string
	for i := 0; i < 6; i++ { // one run a day, the oldest first
		at := now.Add(time.Duration(i-5) * 24 * time.Hour)
		db.Now = func() time.Time { return at }
		id := stage.NewRunID()
		db.CreateRun(ctx, id, stage.NewRunSecret(), "s", stage.Request{Method: "GET", URL: "/site/"})
		db.Append(ctx, Batch{RunID: id, Events: stage.WithStarts([]stage.Event{{Stage: stage.Wait, Side: stage.Client, Phase: stage.End, State: stage.Done}})})
		ids = append(ids, id)
	}
	db.Now = func() time.Time { return now }

	n, err := db.Prune(ctx, 3*24*time.Hour+time.Minute, 0, 0) // older than 3 days: the first two
	if err != nil || n != 2 {
		t.Fatalf("Prune by age = %d, %v; want 2", n, err)
	}
	if n, _ = db.Prune(ctx, 0, 0, 3); n != 1 { // keep the newest 3 of the 4 left
		t.Fatalf("Prune by count deleted %d, want 1", n)
	}
	for i, id := range ids {
		ok, _ := db.RunExists(ctx, id)
		if want := i >= 3; ok != want {
			t.Errorf("run %d (day %d) kept = %v, want %v", i, i-5, ok, want)
		}
	}
	var orphans, fkRows int
	db.read.QueryRow(`SELECT count(*) FROM events WHERE run_id NOT IN (SELECT id FROM runs)`).Scan(&orphans)
	db.read.QueryRow(`SELECT count(*) FROM pragma_foreign_key_check`).Scan(&fkRows)
	if orphans != 0 || fkRows != 0 {
		t.Errorf("%d events left of deleted runs (foreign_key_check: %d rows)", orphans, fkRows)
	}
}

func TestARunHasBoundedEvents(t *testing.T) {
	db, _ := openTestDB(t)
	ctx := context.Background()
	id := stage.NewRunID()
	db.CreateRun(ctx, id, stage.NewRunSecret(), "s", stage.Request{Method: "GET", URL: "/site/"})
	e := stage.Event{Stage: stage.Assets, Side: stage.Client, Phase: stage.Start, State: stage.Active}
	many := make([]stage.Event, MaxEventsPerRun+1)
	for i := range many {
		many[i] = e
	}
	if _, err := db.Append(ctx, Batch{RunID: id, Events: many}); !errors.Is(err, ErrTooManyEvents) {
		t.Errorf("%d events: %v, want ErrTooManyEvents", len(many), err)
	}
	// A stage's end needs its start; a stage starts once (a repeated start
	// is left out) and ends once, and nothing of it comes after its end: a
	// run holds two events per stage at most.
	end := stage.Event{Stage: stage.Assets, Side: stage.Client, Phase: stage.End, State: stage.Done}
	if _, err := db.Append(ctx, Batch{RunID: id, Events: []stage.Event{end}}); !errors.Is(err, ErrNotStarted) {
		t.Errorf("an end with no start: %v, want ErrNotStarted", err)
	}
	if _, err := db.Append(ctx, Batch{RunID: id, Events: many[:1]}); err != nil {
		t.Fatal(err)
	}
	if stored, err := db.Append(ctx, Batch{RunID: id, Events: many[:1]}); err != nil || len(stored) != 0 {
		t.Errorf("a second start: %d stored, %v; want it left out", len(stored), err)
	}
	if _, err := db.Append(ctx, Batch{RunID: id, Events: []stage.Event{end}}); err != nil {
		t.Fatal(err)
	}
	for _, late := range []stage.Event{e, end} {
		if _, err := db.Append(ctx, Batch{RunID: id, Events: []stage.Event{late}}); !errors.Is(err, ErrStageEnded) {
			t.Errorf("a %s after the end: %v, want ErrStageEnded", late.Phase, err)
		}
	}
	if events, _ := db.Events(ctx, id, 0); len(events) != 2 {
		t.Errorf("%d events stored, want the one start and the one end", len(events))
	}
}

func TestOpenRunsAreMarkedInterrupted(t *testing.T) {
	db, _ := openTestDB(t)
	ctx := context.Background()
	open, done := stage.NewRunID(), stage.NewRunID()
	db.CreateRun(ctx, open, stage.NewRunSecret(), "s", stage.Request{Method: "GET", URL: "/site/"})
	db.CreateRun(ctx, done, stage.NewRunSecret(), "s", stage.Request{Method: "GET", URL: "/site/"})
	db.Append(ctx, Batch{RunID: done, Complete: true})
	if n, err := db.MarkInterrupted(ctx); err != nil || n != 1 {
		t.Fatalf("MarkInterrupted = %d, %v; want 1", n, err)
	}
	for id, want := range map[string]stage.RunState{open: stage.RunInterrupted, done: stage.RunComplete} {
		if run, _ := db.Run(ctx, id); run.State != want {
			t.Errorf("run is %s, want %s", run.State, want)
		}
	}
	// An interrupted run takes nothing more: it cannot turn complete.
	late := Batch{RunID: open, Complete: true, Events: []stage.Event{{Stage: stage.Wait, Side: stage.Client, Phase: stage.End, State: stage.Done}}}
	if _, err := db.Append(ctx, late); !errors.Is(err, ErrRunClosed) {
		t.Errorf("a report into an interrupted run: %v, want ErrRunClosed", err)
	}
	if run, _ := db.Run(ctx, open); run.State != stage.RunInterrupted || len(run.Events) != 0 {
		t.Errorf("the interrupted run after a late report: %s, %d events", run.State, len(run.Events))
	}
}

func TestPruneCapsEachSession(t *testing.T) {
	db, _ := openTestDB(t)
	ctx := context.Background()
	base := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	add := func(session string, i int) string {
		at := base.Add(time.Duration(i) * time.Minute)
		db.Now = func() time.Time { return at }
		id := stage.NewRunID()
		db.CreateRun(ctx, id, stage.NewRunSecret(), session, stage.Request{Method: "GET", URL: "/site/"})
		return id
	}
	var ana []string
	for i := 0; i < 5; i++ {
		ana = append(ana, add("ana", i))
	}
	luis := add("luis", 0)
	if n, err := db.Prune(ctx, 0, 2, 0); err != nil || n != 3 {
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
