package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"reqlab/app/stage"
	"reqlab/app/wire"
)

// TestSoak holds 1,000 lab sessions sending runs for 60 s, on loopback, each
// as a browser would (open the run, fetch with its traceparent, report),
// paced as a class: one run every six seconds each. No error may come back
// and no acknowledged event may be missing. `make soak` runs it; it is too
// long for every `make test`.
func TestSoak(t *testing.T) {
	if os.Getenv("REQLAB_SOAK") == "" {
		t.Skip("a 60 s load test: run it with make soak")
	}
	const sessions = 1000
	duration := 60 * time.Second
	l := startLab(t, nil)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: sessions}}

	var runs, errs atomic.Int64
	var mu sync.Mutex
	acked := map[string]int64{}
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
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(rand.Int64N(int64(6 * time.Second)))) // students arrive
			session := stage.NewRunID()
			ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(l.url, "http")+"/ws?session="+session, http.Header{"Origin": {l.url}})
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
				ws.WriteJSON(wire.Message{Type: wire.Start, Ref: ref, Request: &stage.Request{Method: "GET", URL: "/site/api/cursos"}})
				m, ok := readUntil(ws, wire.Started)
				if !ok {
					fail("start: %+v", m)
					return
				}
				req, _ := http.NewRequest("GET", l.url+"/site/api/cursos", nil)
				req.Header.Set("traceparent", stage.Traceparent(m.Run, m.Secret))
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
	db, err := sql.Open("sqlite3", "file:"+l.dbPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lost := 0
	for run, seq := range acked {
		var n int64
		db.QueryRow(`SELECT count(*) FROM events WHERE run_id = ? AND seq <= ?`, run, seq).Scan(&n)
		if n != seq {
			lost++
		}
	}
	t.Logf("%d sessions for %.0f s: %d runs (%.0f a second), %d errors, %d runs with a lost event",
		sessions, elapsed.Seconds(), runs.Load(), float64(runs.Load())/elapsed.Seconds(), errs.Load(), lost)
	if errs.Load() > 0 || lost > 0 {
		t.Errorf("errors: %v", problems)
	}
}
