package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5"

	"reqlab/app/stage"
	"reqlab/app/wire"
	"reqlab/server/internal/pgtest"
)

// TestSoak holds 1,000 lab sessions sending runs for 60 s, on loopback, each
// as a browser would (open the run, fetch with its traceparent, report),
// paced as a class: one run every six seconds each. No error may come back
// and no acknowledged event may be missing. Before it, the adversarial
// phases (soakAdversarial). `make soak` runs it; it is too long for every
// `make test`.
func TestSoak(t *testing.T) {
	if os.Getenv("REQLAB_SOAK") == "" {
		t.Skip("a 60 s load test: run it with make soak")
	}
	t.Run("adversarial", soakAdversarial)
	t.Run("sessions", soakOneServer)
}

// soakOneServer is TestSoak's load: 1,000 sessions on one server.
func soakOneServer(t *testing.T) {
	// Each student comes from an address of its own, as a balancer the lab
	// trusts names it (loopback is all one address).
	l := startLab(t, map[string]string{"REQLAB_TRUSTED_PROXIES": "127.0.0.1"})
	db, err := sql.Open("sqlite3", "file:"+l.dbPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	soak(t, 1, 1000, l.url, func(run string, seq int64) int64 {
		var n int64
		db.QueryRow(`SELECT count(*) FROM events WHERE run_id = ? AND seq <= ?`, run, seq).Scan(&n)
		return n
	})
}

// TestSoakBehindNginx holds 3,000 sessions for 60 s on three lab servers
// sharing PostgreSQL behind nginx, as the README's deployment is.
func TestSoakBehindNginx(t *testing.T) {
	if os.Getenv("REQLAB_SOAK") == "" {
		t.Skip("a 60 s load test: run it with make soak")
	}
	nginxBin(t)
	dbURL := pgtest.Database(t)
	bin := buildBinary(t, t.TempDir())
	var servers []*labProcess
	for range 3 {
		servers = append(servers, startLabProcess(t, bin, dbURL, "-trusted-proxies", "127.0.0.1"))
	}
	front := startNginx(t, servers)
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	sessions := 3000
	if n, err := strconv.Atoi(os.Getenv("REQLAB_SOAK_SESSIONS")); err == nil && n > 0 {
		sessions = n // to find where a machine's limit is
	}
	soak(t, len(servers), sessions, front, func(run string, seq int64) int64 {
		var n int64
		conn.QueryRow(context.Background(), `SELECT count(*) FROM events WHERE run_id = $1 AND seq <= $2`, run, seq).Scan(&n)
		return n
	})
}

// soak holds sessions sending runs to the lab at url (servers of it) for
// 60 s; stored says how many of a run's events up to seq the store holds. It
// ends with the line the contract names: runs acknowledged, those whose every
// acknowledged event the store holds, the rest lost, errors, and the 99th
// percentile of a run's time from its start to its last report's ack.
func soak(t *testing.T, servers, sessions int, url string, stored func(run string, seq int64) int64) {
	duration := 60 * time.Second
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: sessions}}

	var runs, errs atomic.Int64
	var mu sync.Mutex
	acked := map[string]int64{}
	var took []time.Duration
	var problems []string
	fail := func(format string, args ...any) {
		errs.Add(1)
		mu.Lock()
		if len(problems) < 10 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
		mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < sessions; i++ {
		wg.Add(1)
		addr := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255) // the student's own
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(rand.Int64N(int64(6 * time.Second)))) // students arrive
			session := stage.NewRunID()
			ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(url, "http")+"/ws?session="+session,
				http.Header{"Origin": {url}, "X-Forwarded-For": {addr}})
			if err != nil {
				fail("dial: %v", err)
				return
			}
			defer ws.Close()
			if _, ok := readUntil(ws, wire.Hello); !ok {
				fail("no hello")
				return
			}
			for ref := int64(1); ctx.Err() == nil; ref++ {
				began := time.Now()
				ws.WriteJSON(wire.Message{Type: wire.Start, Ref: ref, Request: &stage.Request{Method: "GET", URL: "/site/api/cursos"}})
				m, ok := readUntil(ws, wire.Started)
				if !ok {
					fail("start: %+v", m)
					return
				}
				req, _ := http.NewRequest("GET", url+"/site/api/cursos", nil)
				req.Header.Set("traceparent", stage.Traceparent(m.Run, m.Secret))
				req.Header.Set("X-Forwarded-For", addr)
				res, err := client.Do(req)
				if err != nil || res.StatusCode != 200 {
					fail("fetch: %v", err)
					return
				}
				res.Body.Close()
				report := clientReport(m.Run)
				report.Ref = ref
				ws.WriteJSON(report)
				ack, ok := readUntil(ws, wire.Ack)
				if !ok || ack.Seq != int64(2*len(stage.All())) {
					fail("ack %+v", ack)
					return
				}
				runs.Add(1)
				mu.Lock()
				acked[m.Run] = ack.Seq
				took = append(took, time.Since(began))
				mu.Unlock()
				select {
				case <-ctx.Done():
				case <-time.After(6 * time.Second):
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	lost, kept := 0, 0
	for run, seq := range acked {
		if stored(run, seq) != seq {
			lost++
		} else {
			kept++
		}
	}
	slices.Sort(took)
	var p99 time.Duration
	if len(took) > 0 {
		p99 = took[len(took)*99/100]
	}
	t.Logf("%d sessions for %.0f s: %d runs (%.0f a second), %d errors, %d runs with a lost event",
		sessions, elapsed.Seconds(), runs.Load(), float64(runs.Load())/elapsed.Seconds(), errs.Load(), lost)
	if errs.Load() > 0 || lost > 0 {
		t.Errorf("errors: %v", problems)
	}
	fmt.Printf("soak: servers=%d sessions=%d runs=%d stored=%d lost=%d errors=%d p99_ms=%d\n",
		servers, sessions, runs.Load(), kept, lost, errs.Load(), p99.Milliseconds())
}
