package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"reqlab/app/stage"
	"reqlab/app/wire"
	"reqlab/server/internal/pgtest"
)

// startLabs runs n lab servers sharing one PostgreSQL database.
func startLabs(t *testing.T, n int) (string, []*lab) {
	t.Helper()
	url := pgtest.Database(t)
	labs := make([]*lab, n)
	for i := range labs {
		labs[i] = startLab(t, map[string]string{"REQLAB_DB": url})
	}
	return url, labs
}

// collect reads messages until it has n events and, if ack, the ack;
// it returns the events' seqs in the order they came.
func (s *socket) collect(n int, ack bool) []int64 {
	s.t.Helper()
	var seqs []int64
	acked := !ack
	for len(seqs) < n || !acked {
		m := s.read()
		switch m.Type {
		case wire.Event:
			seqs = append(seqs, m.Event.Seq)
		case wire.Ack:
			acked = true
		default:
			s.t.Fatalf("got %+v, want events and an ack", m)
		}
	}
	return seqs
}

func inOrder(seqs []int64, from int64) bool {
	for i, s := range seqs {
		if s != from+int64(i) {
			return false
		}
	}
	return true
}

// A run opened on server A whose request lands on server B gets all its
// events live, in order, on A, though the page's last report comes at once;
// a reconnection to server C resumes after the last seq it had.
func TestARunAcrossServers(t *testing.T) {
	_, labs := startLabs(t, 3)
	a, b, c := labs[0], labs[1], labs[2]
	session := stage.NewRunID()
	onA := dialLabAs(t, a, session)
	run := onA.start("/site/api/cursos")

	if code := fetchTraced(t, b, "/site/api/cursos", run); code != 200 {
		t.Fatalf("status %d from B", code)
	}
	onA.send(clientReport(run)) // at once: B may still be recording
	server := 2 * len(stage.ServerStages)
	all := server + 2*len(stage.ClientStages)
	got := onA.collect(all, true)
	if !inOrder(got, 1) {
		t.Fatalf("A got %v, want 1 to %d in order", got, all)
	}

	onC := dialLab(t, c)
	onC.send(wire.Message{Type: wire.Subscribe, Run: run, After: 3})
	if got := onC.collect(all-3, false); !inOrder(got, 4) {
		t.Fatalf("C resumed with %v, want 4 to %d", got, all)
	}
	for _, l := range labs {
		var stored stage.Run
		getJSON(t, l.url+"/api/runs/"+run, &stored)
		if stored.State != stage.RunComplete || len(stored.Events) != all || !hasServerEvents(stored) {
			t.Errorf("%s has the run %s with %d events, want complete with %d", l.url, stored.State, len(stored.Events), all)
		}
	}
}

// A server whose listener drops catches up from the tables when it is back:
// its followers get what other servers stored meanwhile.
func TestAServerCatchesUpAfterItsListenerDrops(t *testing.T) {
	url, labs := startLabs(t, 2)
	a, b := labs[0], labs[1]
	session := stage.NewRunID()
	onA := dialLabAs(t, a, session)
	run := onA.start("/site/api/cursos")

	// Cut every listening connection; B stores the server's stages while A
	// is not listening.
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var cut int
	conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query ILIKE 'listen%'`).Scan(&cut)
	if cut < 2 {
		t.Fatalf("%d listeners cut, want both servers'", cut)
	}
	if code := fetchTraced(t, b, "/site/api/cursos", run); code != 200 {
		t.Fatalf("status %d from B", code)
	}
	server := 2 * len(stage.ServerStages)
	if got := onA.collect(server, false); !inOrder(got, 1) {
		t.Fatalf("A got %v after its listener came back, want 1 to %d", got, server)
	}
}

// A server answers /healthz by the shared store: 503, saying why, while
// PostgreSQL does not answer, and 200 again by itself once it does.
func TestHealthOnASharedStore(t *testing.T) {
	pg := pgtest.Private(t)
	l := startLab(t, map[string]string{"REQLAB_DB": pg.URL("postgres")})
	health := func() (int, string) { return healthOf(t, l.url) }
	until := func(want int) string {
		deadline := time.Now().Add(15 * time.Second)
		for {
			code, body := health()
			if code == want {
				return body
			}
			if time.Now().After(deadline) {
				t.Fatalf("/healthz still %d %q, want %d", code, body, want)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	until(200)
	if err := pg.Pause(); err != nil {
		t.Fatal(err)
	}
	if body := until(503); !strings.Contains(body, "unavailable") {
		t.Errorf("/healthz says %q while PostgreSQL is down", body)
	}
	if err := pg.Resume(); err != nil {
		t.Fatal(err)
	}
	until(200)
	// And the lab works again: a run is opened and stored.
	s := dialLab(t, l)
	s.start("/site/api/cursos")
}
