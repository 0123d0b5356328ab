package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	gojwt "github.com/golang-jwt/jwt/v5"

	"reqlab/app/lesson"
	"reqlab/server/lti"
)

// Without platforms registered, no LTI route answers but 404.
func TestLTIOnlyWithPlatforms(t *testing.T) {
	l := startLab(t, nil)
	for _, r := range []struct{ method, path string }{{"GET", "/lti/jwks"}, {"GET", "/lti/login"}, {"POST", "/lti/login"}, {"POST", "/lti/launch"}} {
		req, _ := http.NewRequest(r.method, l.url+r.path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 404 {
			t.Errorf("%s %s: %d, want 404", r.method, r.path, res.StatusCode)
		}
	}
}

// browserPlatform is a course platform on its own loopback origin, with a
// course page that frames the lab's activity, as Moodle or Canvas do.
type browserPlatform struct {
	srv *httptest.Server
	key *rsa.PrivateKey

	mu     sync.Mutex
	scores []map[string]any // what its line item took

	// storage offers the frame the platform's storage (lti_storage_target);
	// beforeAuth runs as the platform authenticates the user.
	storage    bool
	beforeAuth func()
}

// names are the people of the test platform's course.
var names = map[string]string{"student-1": "Ana", "student-2": "Ana", "student-3": "Luis", "teacher-1": "Marta"}

var autoPost = template.Must(template.New("post").Parse(`<!doctype html><html><body>
<form method="post" action="{{.Action}}"><input type="hidden" name="id_token" value="{{.Token}}"><input type="hidden" name="state" value="{{.State}}">
{{if .Storage}}<input type="hidden" name="lti_storage_target" value="_parent">{{end}}</form>
<script>document.forms[0].submit()</script></body></html>`))

func newBrowserPlatform(t *testing.T, labOrigin string) *browserPlatform {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &browserPlatform{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()), "e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes())}}})
	})
	mux.HandleFunc("GET /course", func(w http.ResponseWriter, r *http.Request) {
		q := url.Values{"iss": {p.srv.URL}, "login_hint": {"student-1"}, "target_link_uri": {labOrigin + "/lab/cookies"}, "client_id": {"lab"}}
		if p.storage {
			q.Set("lti_storage_target", "_parent")
		}
		// The page keeps what the frame asks it to (1EdTech's platform
		// storage), per origin.
		fmt.Fprintf(w, `<!doctype html><html><body><h1>Redes</h1><iframe id="activity" width="900" height="700" src="%s/lti/login?%s"></iframe>
<script>window.got = []; window.puts = 0; window.gets = 0; const kept = {};
addEventListener("message", e => {
  window.got.push(e.data);
  const d = e.data;
  if (!d || typeof d !== "object") return;
  if (d.subject === "lti.put_data") { kept[e.origin + " " + d.key] = d.value; window.puts++;
    e.source.postMessage({subject: "lti.put_data.response", message_id: d.message_id, key: d.key, value: d.value}, e.origin); }
  if (d.subject === "lti.get_data") { window.gets++;
    e.source.postMessage({subject: "lti.get_data.response", message_id: d.message_id, key: d.key, value: kept[e.origin + " " + d.key]}, e.origin); }
});</script></body></html>`, labOrigin, q.Encode())
	})
	// The platform's authentication: the user is logged in; the answer
	// goes back to the lab by an auto-submitting form, in the frame.
	mux.HandleFunc("GET /auth", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		now := time.Now()
		role := "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
		if strings.HasPrefix(q.Get("login_hint"), "teacher") {
			role = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
		}
		tok := gojwt.NewWithClaims(gojwt.SigningMethodRS256, gojwt.MapClaims{
			"iss": p.srv.URL, "aud": q.Get("client_id"), "sub": q.Get("login_hint"), "exp": now.Add(5 * time.Minute).Unix(), "iat": now.Unix(),
			"nonce": q.Get("nonce"), "name": names[q.Get("login_hint")], "locale": "en",
			"https://purl.imsglobal.org/spec/lti/claim/message_type":    "LtiResourceLinkRequest",
			"https://purl.imsglobal.org/spec/lti/claim/version":         "1.3.0",
			"https://purl.imsglobal.org/spec/lti/claim/deployment_id":   "dep-1",
			"https://purl.imsglobal.org/spec/lti/claim/target_link_uri": labOrigin + "/lab/cookies",
			"https://purl.imsglobal.org/spec/lti/claim/resource_link":   map[string]string{"id": "link-1"},
			"https://purl.imsglobal.org/spec/lti/claim/roles":           []string{role},
			"https://purl.imsglobal.org/spec/lti/claim/context":         map[string]string{"id": "course-1", "title": "Redes"},
			"https://purl.imsglobal.org/spec/lti/claim/custom":          map[string]any{"post_message_token": "canvas-token-1"},
			"https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": map[string]any{
				"scope": []string{"https://purl.imsglobal.org/spec/lti-ags/scope/score"}, "lineitem": p.srv.URL + "/lineitems/1"},
		})
		tok.Header["kid"] = "k1"
		signed, err := tok.SignedString(key)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		if p.beforeAuth != nil {
			p.beforeAuth()
		}
		autoPost.Execute(w, map[string]any{"Action": q.Get("redirect_uri"), "Token": signed, "State": q.Get("state"), "Storage": p.storage})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		if r.FormValue("client_assertion") == "" || r.FormValue("grant_type") != "client_credentials" {
			http.Error(w, "no assertion", 400)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"access_token": "t", "expires_in": 3600})
	})
	mux.HandleFunc("POST /lineitems/1/scores", func(w http.ResponseWriter, r *http.Request) {
		var s map[string]any
		json.NewDecoder(r.Body).Decode(&s)
		p.mu.Lock()
		p.scores = append(p.scores, s)
		p.mu.Unlock()
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

// A platform's course page frames the lab on another origin: the login,
// the platform's answer and the launch happen in the frame (the state
// cookie crossing sites, SameSite=None; Secure), which opens the lesson;
// the lab keeps the launch, with the platform's user id and no more.
func TestBrowserLaunchFromAPlatform(t *testing.T) {
	// The lab is reached as localhost, a secure context for the cookie; the
	// platform as 127.0.0.1, another site.
	dir := t.TempDir()
	file := filepath.Join(dir, "platforms.json")
	l := startLabWithPlatforms(t, file, func(labOrigin string) *browserPlatform { return newBrowserPlatform(t, labOrigin) })
	_, port, _ := strings.Cut(strings.TrimPrefix(l.url, "http://"), ":")
	labOrigin := "http://localhost:" + port

	ctx := newBrowserLang(t, "en-US")
	if _, err := chromedp.Run(ctx, chromedp.Navigate(l.platform.srv.URL+"/course")); err != nil {
		t.Fatal(err)
	}
	want := labOrigin + "/embed/cookies?lang=en"
	got := frameReaches(t, ctx, want)
	// The frame asks the platform for its height in the platform's forms,
	// with the token the launch carried.
	waitFor(t, ctx, "a resize with the launch's token", `window.got.some(d => typeof d === "string" && JSON.parse(d).token === "canvas-token-1") &&
		window.got.some(d => d && d.subject === "lti.frameResize" && d.token === "canvas-token-1" && d.height >= 1 && d.height <= 10000)`)
	db, err := sql.Open("sqlite3", "file:"+l.dbPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got != want {
		var n int
		db.QueryRow(`SELECT count(*) FROM lti_launches`).Scan(&n)
		t.Fatalf("the frame is at %q, want the lesson %q (%d launches kept)", got, want, n)
	}
	var subject, name, slug, session, roles string
	if err := db.QueryRow(`SELECT subject, name, lesson, session, roles FROM lti_launches`).Scan(&subject, &name, &slug, &session, &roles); err != nil {
		t.Fatal(err)
	}
	var sessionKey []byte // the lab's kept key that LTI sessions are made under
	if err := db.QueryRow(`SELECT value FROM keys WHERE name = 'lti-session'`).Scan(&sessionKey); err != nil {
		t.Fatal(err)
	}
	if subject != "student-1" || name != "Ana" || slug != "cookies" || session != lti.SessionOf(sessionKey, l.platform.srv.URL, "student-1") || !strings.Contains(roles, "Learner") {
		t.Errorf("launch kept as %q %q %q %q %q", subject, name, slug, session, roles)
	}

	// In the frame, the student runs the lesson's experiment and answers
	// its question: the grade reaches the platform. (The frame is a target
	// of its own: the test attaches to it.)
	targets, err := chromedp.Targets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var frame context.Context
	for _, info := range targets {
		if info.Type == "iframe" && info.URL == want {
			var cancel context.CancelFunc
			frame, cancel = chromedp.NewContext(ctx, chromedp.WithTargetID(info.TargetID))
			t.Cleanup(cancel)
		}
	}
	if frame == nil {
		t.Fatal("no frame to attach to")
	}
	startClientIn(t, frame)
	runStep(t, frame, l.lab, 1)
	answerRight(t, frame, "cookies")
	l.platform.awaitScore(t)
}

// answerRight answers a lesson's check question right.
func answerRight(t *testing.T, ctx contextT, slug string) {
	t.Helper()
	ls, _ := lesson.Find(slug)
	answer(t, ctx, ls.Question.Correct)
}

// awaitScore waits for the platform's line item to take a score, and
// returns the first.
func (p *browserPlatform) awaitScore(t *testing.T) map[string]any {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		p.mu.Lock()
		if len(p.scores) > 0 {
			s := p.scores[0]
			p.mu.Unlock()
			return s
		}
		p.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatal("no score reached the platform")
		}
	}
}

// platformLab is a lab with one platform registered.
type platformLab struct {
	*lab
	platform *browserPlatform
}

// startLabWithPlatforms starts a platform and a lab that knows it: the
// platform must know the lab's origin, and the lab the platform's file.
func startLabWithPlatforms(t *testing.T, file string, start func(labOrigin string) *browserPlatform) *platformLab {
	t.Helper()
	port := freeTCPPort(t)
	labOrigin := fmt.Sprintf("http://localhost:%d", port)
	p := start(labOrigin)
	reg := []lti.Platform{{Issuer: p.srv.URL, ClientID: "lab", DeploymentIDs: []string{"dep-1"},
		AuthURL: p.srv.URL + "/auth", TokenURL: p.srv.URL + "/token", JWKSURL: p.srv.URL + "/jwks"}}
	b, _ := json.Marshal(reg)
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	l := startLab(t, map[string]string{"REQLAB_ADDR": fmt.Sprintf("127.0.0.1:%d", port), "REQLAB_LTI_PLATFORMS": file})
	return &platformLab{lab: l, platform: p}
}

// A student the platform opens the lab for in a window of its own runs the
// lesson's experiment and answers its question right: the grade reaches the
// platform's line item.
func TestBrowserGradeFromALaunchedLesson(t *testing.T) {
	l, ctx, labOrigin := launchStudent(t, "student-2", "en-US")
	if u := eval[string](t, ctx, `location.href`); u != labOrigin+"/embed/cookies?lang=en" {
		t.Fatalf("the launch opened %s", u)
	}
	runStep(t, ctx, l.lab, 1)
	answerRight(t, ctx, "cookies")
	if s := l.platform.awaitScore(t); s["userId"] != "student-2" || s["scoreGiven"] != 1.0 || s["activityProgress"] != "Completed" {
		t.Errorf("score %v", s)
	}
}

// launchStudent starts a lab with a course platform and a browser speaking
// lang, in which the platform launches the cookies lesson for a student;
// it returns the lab, the browser and the lab's origin as launched.
func launchStudent(t *testing.T, who, lang string) (*platformLab, contextT, string) {
	t.Helper()
	l := startLabWithPlatforms(t, filepath.Join(t.TempDir(), "platforms.json"), func(labOrigin string) *browserPlatform { return newBrowserPlatform(t, labOrigin) })
	_, port, _ := strings.Cut(strings.TrimPrefix(l.url, "http://"), ":")
	labOrigin := "http://localhost:" + port
	q := url.Values{"iss": {l.platform.srv.URL}, "login_hint": {who}, "target_link_uri": {labOrigin + "/lab/cookies"}, "client_id": {"lab"}}
	ctx := newBrowserLang(t, lang)
	openLab(t, ctx, labOrigin+"/lti/login?"+q.Encode())
	return l, ctx, labOrigin
}

// A student who answers the question right before running the lesson's
// experiment gets the grade once the run is complete: a lesson is complete
// in either order.
func TestBrowserGradeWhenTheAnswerCameFirst(t *testing.T) {
	l, ctx, _ := launchStudent(t, "student-3", "es-ES")
	answerRight(t, ctx, "cookies")
	waitFor(t, ctx, "the answer checked", `!!document.querySelector('[data-field="feedback"]') && document.querySelector('[data-field="feedback"]').textContent !== ""`)
	time.Sleep(500 * time.Millisecond) // the answer is kept before the run
	l.platform.mu.Lock()
	early := len(l.platform.scores)
	l.platform.mu.Unlock()
	if early != 0 {
		t.Fatalf("a grade was sent before the experiment ran")
	}
	runStep(t, ctx, l.lab, 1)
	if s := l.platform.awaitScore(t); s["userId"] != "student-3" || s["scoreGiven"] != 1.0 {
		t.Errorf("score %v", s)
	}
}

// The teacher's launch opens the class: the students' rows, and a run a
// student sends appears on the teacher's page by itself, opening in
// playback.
func TestBrowserTeacherWatchesTheClass(t *testing.T) {
	l := startLabWithPlatforms(t, filepath.Join(t.TempDir(), "platforms.json"), func(labOrigin string) *browserPlatform { return newBrowserPlatform(t, labOrigin) })
	_, port, _ := strings.Cut(strings.TrimPrefix(l.url, "http://"), ":")
	labOrigin := "http://localhost:" + port
	launch := func(ctx contextT, who string) {
		q := url.Values{"iss": {l.platform.srv.URL}, "login_hint": {who}, "target_link_uri": {labOrigin + "/lab/cookies"}, "client_id": {"lab"}}
		if err := chromedpNavigate(ctx, labOrigin+"/lti/login?"+q.Encode()); err != nil {
			t.Fatal(err)
		}
	}
	student := newBrowserLang(t, "en-US")
	launch(student, "student-3")
	startClientIn(t, student)
	runStep(t, student, l.lab, 1)

	teacher := newBrowserLang(t, "en-US")
	launch(teacher, "teacher-1")
	waitFor(t, teacher, "the class with Luis's run", `(() => { const r = document.querySelector('[data-student="Luis"]'); return !!r && r.querySelectorAll('[data-run]').length === 1 })()`)
	if eval[bool](t, teacher, `!!document.querySelector('[data-student="Marta"]')`) {
		t.Error("the teacher is listed among the students")
	}
	runStep(t, student, l.lab, 2)
	waitFor(t, teacher, "Luis's second run, by itself", `document.querySelector('[data-student="Luis"]').querySelectorAll('[data-run]').length === 2`)
	href := eval[string](t, teacher, `document.querySelector('[data-student="Luis"] [data-run]').getAttribute("href")`)
	if !strings.HasPrefix(href, "/runs/") || !strings.Contains(href, "speed=") {
		t.Errorf("a run links to %q, want its playback", href)
	}
}

// A browser that keeps no cookie for the lab's frame: the login's state is
// kept by the platform (lti.put_data) and asked for at the launch
// (lti.get_data), and the lesson opens.
func TestBrowserStateKeptByThePlatform(t *testing.T) {
	ctx := newBrowserLang(t, "en-US")
	var platform *browserPlatform
	l := startLabWithPlatforms(t, filepath.Join(t.TempDir(), "platforms.json"), func(labOrigin string) *browserPlatform {
		platform = newBrowserPlatform(t, labOrigin)
		platform.storage = true
		// Whatever the browser kept, it is gone by the launch.
		platform.beforeAuth = func() {
			if _, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
				t.Error(err)
			}
		}
		return platform
	})
	_, port, _ := strings.Cut(strings.TrimPrefix(l.url, "http://"), ":")
	want := "http://localhost:" + port + "/embed/cookies?lang=en"
	if err := chromedpNavigate(ctx, platform.srv.URL+"/course"); err != nil {
		t.Fatal(err)
	}
	if got := frameReaches(t, ctx, want); got != want {
		t.Fatalf("the frame is at %q, want the lesson %q", got, want)
	}
	if puts, gets := eval[float64](t, ctx, `window.puts`), eval[float64](t, ctx, `window.gets`); puts < 1 || gets < 1 {
		t.Errorf("the platform kept the state %v times and was asked %v times, want both", puts, gets)
	}
}

// frameReaches waits, 20 s at most, for the page's frame to be at want, and
// returns where it is. The frame is another site's: the browser runs it as
// a target of its own (site isolation).
func frameReaches(t *testing.T, ctx contextT, want string) string {
	t.Helper()
	var got string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && got != want; time.Sleep(100 * time.Millisecond) {
		targets, err := chromedp.Targets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, info := range targets {
			if info.Type == "iframe" {
				got = info.URL
			}
		}
	}
	return got
}
