package runs

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"reqlab/app/stage"
	"reqlab/app/wire"
	"reqlab/server/internal/pgtest"
	"reqlab/server/postgres"
	"reqlab/server/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// arrivals notes when each run's events reach this server's followers.
type arrivals struct {
	mu   sync.Mutex
	at   map[string]time.Time // run → when its last event arrived
	want map[string]int64     // run → the seq awaited
	done chan string
}

func (a *arrivals) Following(string) bool { return true }

func (a *arrivals) Publish(run string, msg []byte) {
	var m wire.Message
	json.Unmarshal(msg, &m)
	a.mu.Lock()
	defer a.mu.Unlock()
	if w, ok := a.want[run]; ok && m.Event.Seq >= w {
		delete(a.want, run)
		a.at[run] = time.Now()
		a.done <- run
	}
}

// BenchmarkCrossServerDelivery measures how long an event stored by one lab
// server takes to reach the followers of its run on another, through
// PostgreSQL's notifications: server B stores a batch of the server's stages
// for each of N runs in flight (100, then 1,000), all at once, and server A,
// which opened them, publishes them to its followers. Target (issue 25,
// point 2): p99 at most 20 ms.
func BenchmarkCrossServerDelivery(b *testing.B) {
	url := pgtest.Database(b)
	open := func() *postgres.DB {
		db, err := postgres.Open(context.Background(), url)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		return db
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dbA, dbB := open(), open()
	a, bsrv := NewRecorder(dbA, log), NewRecorder(dbB, log)
	got := &arrivals{at: map[string]time.Time{}, want: map[string]int64{}, done: make(chan string, 2000)}
	a.SetPublisher(got)
	bsrv.SetPublisher(&published{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	listening := make(chan struct{})
	go dbA.Listen(ctx, a.Notifications(ctx), func(context.Context) {
		select {
		case <-listening:
		default:
			close(listening)
		}
	})
	<-listening

	var server []stage.Event
	for _, id := range stage.ServerStages {
		server = append(server, stage.Event{Stage: id, Side: stage.Server, Phase: stage.End, TMs: 1, DurMs: stage.Ms(0.2), State: stage.Done})
	}
	server = stage.WithStarts(server)
	// round opens inFlight runs on A, stores a batch of each on B at once,
	// and returns how long each took to reach A's followers.
	round := func(b *testing.B, inFlight int) []time.Duration {
		runs := make([]string, inFlight)
		for i := range runs {
			run, _, _, err := a.Open(ctx, "s", stage.Request{Method: "GET", URL: "/site/api/cursos"})
			if err != nil {
				b.Fatal(err)
			}
			runs[i] = run.ID
			got.mu.Lock()
			got.want[run.ID] = int64(len(server))
			got.mu.Unlock()
		}
		stored := make([]time.Time, inFlight)
		var wg sync.WaitGroup
		sem := make(chan struct{}, 32)
		for i, run := range runs {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				if _, err := bsrv.Record(ctx, store.Batch{RunID: run, Side: stage.Server, Events: server}); err != nil {
					b.Error(err)
				}
				stored[i] = time.Now()
			}()
		}
		wg.Wait()
		timeout := time.After(30 * time.Second)
		for range runs {
			select {
			case <-got.done:
			case <-timeout:
				b.Fatal("events never arrived on A")
			}
		}
		lat := make([]time.Duration, 0, inFlight)
		for i, run := range runs {
			got.mu.Lock()
			lat = append(lat, max(0, got.at[run].Sub(stored[i])))
			got.mu.Unlock()
		}
		return lat
	}
	// A first round opens the pools' connections and prepares statements:
	// the figures are a running lab's.
	round(b, 100)
	for _, inFlight := range []int{100, 1000} {
		b.Run(fmt.Sprintf("%d-runs", inFlight), func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				lat = append(lat, round(b, inFlight)...)
			}
			slices.Sort(lat)
			p := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000 }
			b.ReportMetric(p(0.99), "p99-ms")
			b.Logf("cross-server delivery, %d runs in flight: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms — target p99 ≤ 20 ms",
				inFlight, p(0.5), p(0.9), p(0.99), p(1))
		})
	}
}
