package main

import (
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"reqlab/app/stage"
	"reqlab/app/timing"
	"reqlab/app/wire"
	"reqlab/server/store"
)

// The store is bounded by bytes (issue 24, point 7): the fattest run a page
// can make — the form's limits filled, the server's answer, a report with
// every event's details at their limit and a 400 KB answer of its own —
// keeps at most store.MaxRunBytes, and the store keeps at most -keep-bytes
// of runs: filled twice over with fat runs, and pruned, its file on disk
// grows no more the second time than the first.
func TestFatRunsKeepTheStoreBounded(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "reqlab.db")
	const runs, keep = 40, 2 << 20
	env := map[string]string{"REQLAB_DB": dbPath, "REQLAB_KEEP_BYTES": fmt.Sprint(keep)}
	fill := func(t *testing.T) {
		l := startLab(t, env)
		var page *socket
		for i := 0; i < runs; i++ {
			if i%20 == 0 {
				page = dialLab(t, l) // a session's burst is 30 runs
			}
			fatRun(t, l, page, int64(i+1))
		}
	}
	kept := func(t *testing.T) (runs, bytes, file int64) {
		t.Helper()
		db, err := sql.Open("sqlite3", "file:"+dbPath+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		// What each run keeps, as its columns' lengths say.
		var biggest int64
		err = db.QueryRow(`SELECT count(*), coalesce(sum(n), 0), coalesce(max(n), 0) FROM (SELECT length(url) + length(request_headers) + length(request_cookies) + length(request_body)
			+ coalesce(length(response_headers), 0) + length(response_body) + coalesce((SELECT sum(length(detail)) FROM events WHERE run_id = runs.id), 0) AS n FROM runs)`).Scan(&runs, &bytes, &biggest)
		if err != nil {
			t.Fatal(err)
		}
		if biggest > store.MaxRunBytes {
			t.Errorf("a run keeps %d bytes, past %d", biggest, store.MaxRunBytes)
		}
		t.Logf("the fattest run keeps %d KB", biggest>>10)
		st, err := os.Stat(dbPath)
		if err != nil {
			t.Fatal(err)
		}
		if wal, err := os.Stat(dbPath + "-wal"); err == nil {
			return runs, bytes, st.Size() + wal.Size()
		}
		return runs, bytes, st.Size()
	}
	var first int64
	for round := 1; round <= 2; round++ {
		t.Run(fmt.Sprintf("fill %d", round), fill)
		// A restart prunes at once (and then every minute).
		t.Run(fmt.Sprintf("prune %d", round), func(t *testing.T) { startLab(t, env) })
		n, bytes, file := kept(t)
		t.Logf("round %d: %d runs made, %d kept, %d KB kept, %d KB on disk", round, round*runs, n, bytes>>10, file>>10)
		if bytes > keep*5/4 || n >= int64(round*runs) {
			t.Errorf("round %d: %d runs keep %d KB, want at most about %d KB", round, n, bytes>>10, keep>>10)
		}
		if round == 1 {
			first = file
		} else if file > first*5/4 {
			t.Errorf("the store's file grew from %d KB to %d KB on the second fill, pruned to the same bytes", first>>10, file>>10)
		}
	}
}

// fatRun makes the fattest run a page may: every limit of the form filled,
// sent to the site, and reported with the most a report may carry.
func fatRun(t *testing.T, l *lab, page *socket, ref int64) {
	t.Helper()
	url := "/site/api/cursos?q=" + strings.Repeat("u", stage.MaxURLBytes-40)
	headers := []stage.Header{{Name: "Content-Type", Value: "text/plain"}}
	for i := 0; i < 14; i++ {
		headers = append(headers, stage.Header{Name: fmt.Sprintf("X-Fat-%d", i), Value: strings.Repeat("h", 1000)})
	}
	body := strings.Repeat("b", stage.MaxBodyBytes)
	page.send(wire.Message{Type: wire.Start, Ref: ref, Request: &stage.Request{Method: "POST", URL: url, Headers: headers, Body: body}})
	m := page.reply()
	if m.Type != wire.Started {
		t.Fatalf("start: %+v", m)
	}
	req, _ := http.NewRequest("POST", l.url+url, strings.NewReader(body))
	for _, h := range headers {
		req.Header.Set(h.Name, h.Value)
	}
	req.Header.Set("traceparent", stage.Traceparent(m.Run, m.Secret))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	measured := timing.Measured{Method: "POST", URL: url, HasEntry: true, Entry: timing.Entry{
		FetchStart: 1, DomainLookupStart: 1, DomainLookupEnd: 1, ConnectStart: 1, ConnectEnd: 1,
		RequestStart: 2, ResponseStart: 5, ResponseEnd: 6, TransferSize: 900, EncodedBodySize: 600, DecodedBodySize: 600,
	}, Parse: timing.Span{Start: 6, End: 7}, Render: timing.Span{Start: 7, End: 20}, Rendered: 6}
	events := measured.Events()
	for i := range events {
		// Each detail at most 2 KB, all of them 4 KB: the most a report's
		// event may carry.
		d := &events[i].Detail
		room := 4<<10 - len(d.URL) - len(d.Method) - len(d.Protocol) - len(d.Reason) - len(d.ServerAddr) - len(d.Network) - len(d.Route)
		d.Error = strings.Repeat("e", min(2<<10, room))
		d.SQL = strings.Repeat("s", min(2<<10, room-len(d.Error)))
	}
	page.send(wire.Message{Type: wire.Report, Ref: ref, Run: m.Run, Final: true, Events: events,
		Response: &stage.Response{Status: 200, Body: strings.Repeat("r", 400<<10)}})
	if r := page.reply(); r.Type != wire.Ack {
		t.Fatalf("the fat report: %+v", r)
	}
}
