package main

import (
	"net/http"
	"strings"
	"testing"

	"reqlab/app/stage"
	"reqlab/app/wire"
)

// No student acts as another (issue 24, point 1): a classmate who knows
// another's session id (it is no secret: the first half of their token) and
// names it gets a session of their own, minted by the server, and the lab's
// API takes the bare id for nothing.
func TestNoStudentActsAsAnother(t *testing.T) {
	l := startLab(t, nil)
	victim := dialLab(t, l)
	victimID, _, _ := strings.Cut(victim.hello.Session, ".")
	run := victim.start("/site/api/cursos")

	for _, named := range []string{victimID, strings.ToUpper(victimID), victimID + ".", stage.NewRunID()} {
		thief := dialLabAs(t, l, named)
		if id, _, _ := strings.Cut(thief.hello.Session, "."); id == victimID || thief.hello.Session == victim.hello.Session {
			t.Fatalf("naming %q, the hello handed over the session %s", named, id)
		}
		if named != victimID {
			continue
		}
		// What the victim's session holds stays theirs.
		var list struct {
			Runs []stage.RunSummary `json:"runs"`
		}
		getJSON(t, l.url+"/api/runs?session="+thief.hello.Session, &list)
		for _, r := range list.Runs {
			if r.ID == run {
				t.Errorf("the thief's history holds the victim's run %s", run)
			}
		}
		thief.send(clientReport(run))
		if m := thief.reply(); m.Type != wire.Error || m.Code != wire.CodeNotYours {
			t.Errorf("a report into the victim's open run: %+v, want not-yours", m)
		}
	}
	// The API takes a token in ?session= or, kept out of URLs, in an
	// Authorization header; a bare id in neither.
	for _, tt := range []struct {
		method, path, bearer string
		status               int
	}{
		{"GET", "/api/runs?session=" + victimID, "", http.StatusBadRequest},
		{"DELETE", "/api/sample-data?session=" + victimID, "", http.StatusBadRequest},
		{"GET", "/api/runs", victimID, http.StatusBadRequest},
		{"DELETE", "/api/sample-data", victimID, http.StatusBadRequest},
		{"GET", "/api/runs", victim.hello.Session, http.StatusOK},
		{"GET", "/api/runs?session=" + victim.hello.Session, "", http.StatusOK},
	} {
		req, _ := http.NewRequest(tt.method, l.url+tt.path, nil)
		if tt.bearer != "" {
			req.Header.Set("Authorization", "Bearer "+tt.bearer)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tt.status {
			t.Errorf("%s %s (bearer %q): %d, want %d", tt.method, tt.path, tt.bearer, res.StatusCode, tt.status)
		}
	}
}
