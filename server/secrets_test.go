package main

import (
	"database/sql"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"reqlab/app/stage"
	"reqlab/app/timing"
	"reqlab/app/wire"
	"reqlab/server/runs"
)

// No secret the lab minted is readable by anyone else (issue 24, point 2):
// runs are made every way a page makes them — a fetch with its traceparent
// header, a POST into the student's catalogue, a page's navigation on its
// run's page-load ticket and that page's assets, the page's own report
// naming the page's URL — and then every stored run (its JSON, its HAR, the
// database's rows) and every message a watcher of those runs received is
// searched for every run secret, page-load ticket and session token the lab
// handed out. None is found, not even in the database's own column for what
// a run is checked by; the traceparents kept still name their runs. No URL
// the page load puts in the browser (the frame's address, its assets'
// Referer) carries a run's secret or a session's token.
func TestNoMintedSecretIsReadable(t *testing.T) {
	l := startLab(t, nil)
	owner := dialLab(t, l)
	watcher := dialLab(t, l)
	minted := []string{owner.hello.Session, watcher.hello.Session}

	type made struct{ run, secret, ticket string }
	var all []made
	open := func(method, url string) made {
		t.Helper()
		owner.send(wire.Message{Type: wire.Start, Ref: 1, Request: &stage.Request{Method: method, URL: url,
			Headers: []stage.Header{{Name: "Content-Type", Value: "application/json"}}}})
		m := owner.reply()
		if m.Type != wire.Started || !stage.ValidRunSecret(m.Secret) {
			t.Fatalf("start %s %s: %+v", method, url, m)
		}
		// The watcher follows it from the first event, as a teacher with
		// the run's link would.
		watcher.send(wire.Message{Type: wire.Subscribe, Ref: 2, Run: m.Run})
		minted = append(minted, m.Secret)
		if m.Ticket != "" {
			minted = append(minted, m.Ticket)
		}
		all = append(all, made{m.Run, m.Secret, m.Ticket})
		return made{m.Run, m.Secret, m.Ticket}
	}
	send := func(r made, method, target string, header http.Header, body string) {
		t.Helper()
		req, _ := http.NewRequest(method, l.url+target, strings.NewReader(body))
		for k, v := range header {
			req.Header[k] = v
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode >= 500 {
			t.Fatalf("%s %s: %d", method, target, res.StatusCode)
		}
	}
	report := func(r made, url string) {
		t.Helper()
		m := timing.Measured{Method: "GET", URL: url, HasEntry: true, Entry: timing.Entry{
			FetchStart: 1, DomainLookupStart: 1, DomainLookupEnd: 1, ConnectStart: 1, ConnectEnd: 1,
			RequestStart: 2, ResponseStart: 5, ResponseEnd: 6, TransferSize: 900, EncodedBodySize: 600, DecodedBodySize: 600,
		}, Parse: timing.Span{Start: 6, End: 7}, Render: timing.Span{Start: 7, End: 20}, Rendered: 6}
		tp := stage.Traceparent(r.run, r.secret)
		owner.send(wire.Message{Type: wire.Report, Ref: 9, Run: r.run, Final: true, Events: m.Events(),
			Response: &stage.Response{Status: 200, Headers: []stage.Header{{Name: "traceparent", Value: tp}}, Body: "seen: " + tp}})
		if m := owner.reply(); m.Type != wire.Ack {
			t.Fatalf("report into %s: %+v", r.run, m)
		}
	}

	fetched := open("GET", "/site/api/cursos")
	send(fetched, "GET", "/site/api/cursos", http.Header{"Traceparent": {stage.Traceparent(fetched.run, fetched.secret)}}, "")
	report(fetched, "/site/api/cursos")

	posted := open("POST", "/site/api/cursos")
	send(posted, "POST", "/site/api/cursos", http.Header{"Traceparent": {stage.Traceparent(posted.run, posted.secret)},
		"Content-Type": {"application/json"}}, `{"titulo":"Redes","nivel":"básico","horas":3}`)
	report(posted, "/site/api/cursos")

	// The page-load lesson's frame, as the lab's client points it: the
	// page on its run's ticket, then its assets with the page as Referer.
	page := open("GET", "/site/")
	if page.ticket == "" {
		t.Fatal("a GET's start answer carries no page-load ticket")
	}
	frame := "/site/?" + wire.TicketParam + "=" + page.ticket
	send(page, "GET", frame, http.Header{"Referer": {l.url + "/lab/page-load"}}, "")
	for _, asset := range []string{"/site/static/estilo.css", "/site/static/sitio.js"} {
		send(page, "GET", asset, http.Header{"Referer": {l.url + frame}}, "")
	}
	report(page, "/site/")
	// The frame's address, which is also its assets' Referer, names the run
	// by its ticket alone.
	for _, secret := range minted {
		if secret != page.ticket && strings.Contains(frame, secret) {
			t.Errorf("the frame's address and its assets' Referer %s hold the minted secret %s", frame, secret)
		}
	}

	// Everything the watcher was sent: its runs' every event, up to their
	// last.
	var heard []string
	for _, r := range all {
		var stored stage.Run
		getJSON(t, l.url+"/api/runs/"+r.run, &stored)
		if stored.State != stage.RunComplete {
			t.Fatalf("run %s is %s, want complete", r.run, stored.State)
		}
		got := 0
		for got < len(stored.Events) {
			watcher.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, msg, err := watcher.ws.ReadMessage()
			if err != nil {
				t.Fatalf("the watcher, %d of %d events of %s: %v", got, len(stored.Events), r.run, err)
			}
			heard = append(heard, string(msg))
			var m wire.Message
			json.Unmarshal(msg, &m)
			if m.Type == wire.Event && m.Run == r.run {
				got++
			}
		}
		if r == page && stored.Request.URL != "/site/?ticket="+r.run+".spent" {
			t.Errorf("the page's run keeps its address as %q, want its ticket spent", stored.Request.URL)
		}
		// The traceparent kept still names the run, as the server received
		// it; only its parent-id is not the secret.
		for _, h := range stored.Request.Headers {
			if strings.EqualFold(h.Name, "traceparent") {
				if id, span, ok := stage.ParseTraceparent(h.Value); !ok || id != r.run || span != runs.RedactedSpan {
					t.Errorf("the run %s keeps traceparent %q, want its id with the parent-id redacted", r.run, h.Value)
				}
			}
		}
	}

	readable := map[string]string{"what the watcher received": strings.Join(heard, "\n")}
	for _, r := range all {
		_, body := fetch(t, l.url+"/api/runs/"+r.run)
		readable["GET /api/runs/"+r.run] = body
		_, har := fetch(t, l.url+"/api/runs/"+r.run+"/har")
		readable["GET /api/runs/"+r.run+"/har"] = har
		if !strings.Contains(body, r.run) || !strings.Contains(har, r.run) {
			t.Fatalf("the run's JSON or HAR does not name it: nothing was searched")
		}
	}
	readable["the history"] = func() string { _, b := fetch(t, l.url+"/api/runs?session="+owner.hello.Session); return b }()
	readable["the database"] = storedText(t, l.dbPath)

	if len(heard) < 3*2*len(stage.ServerStages) {
		t.Fatalf("the watcher heard %d messages: too few to be searched", len(heard))
	}
	for where, text := range readable {
		for _, secret := range minted {
			if strings.Contains(text, secret) {
				t.Errorf("%s holds the minted secret %s", where, secret)
			}
		}
	}
}

// storedText is every value of every row of the runs and events tables,
// what a run is checked by among them (its secret's digest).
func storedText(t *testing.T, dbPath string) string {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+dbPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, session, method, url, request_headers, request_cookies, request_body, coalesce(response_headers, ''), response_body || ' ' || secret FROM runs`,
		`SELECT run_id, stage, detail, '', '', '', '', '', '' FROM events`,
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var v [9]string
			if err := rows.Scan(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]); err != nil {
				t.Fatal(err)
			}
			b.WriteString(strings.Join(v[:], "\n"))
		}
		rows.Close()
	}
	return b.String()
}
