package lti

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
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

	// The test platform signs with another library than the lab's
	// go-jose, as a real platform would.
	gojwt "github.com/golang-jwt/jwt/v5"

	"reqlab/app/stage"
	"reqlab/server/session"
	"reqlab/server/sqlite"
	"reqlab/server/store"
)

// testPlatform is a course platform written for the tests: its own key,
// published as a key set, and the id_tokens it signs.
type testPlatform struct {
	extra http.Handler // more of the platform's endpoints, where a test adds them
	key   *rsa.PrivateKey
	kid   string
	srv   *httptest.Server
	iss   string
	auth  url.Values // the last authentication request the lab sent here
}

func newTestPlatform(t *testing.T) *testPlatform {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &testPlatform{key: key, kid: "platform-key-1"}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "kid": p.kid, "alg": "RS256", "use": "sig",
			"n": base64.RawURLEncoding.EncodeToString(p.key.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(p.key.E)).Bytes()),
		}}})
	})
	mux.HandleFunc("GET /auth", func(w http.ResponseWriter, r *http.Request) { p.auth = r.URL.Query() })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if p.extra == nil {
			http.NotFound(w, r)
			return
		}
		p.extra.ServeHTTP(w, r)
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	p.iss = p.srv.URL
	return p
}

func (p *testPlatform) registration() Platform {
	return Platform{Issuer: p.iss, ClientID: "reqlab-client", DeploymentIDs: []string{"dep-1"},
		AuthURL: p.srv.URL + "/auth", TokenURL: p.srv.URL + "/token", JWKSURL: p.srv.URL + "/jwks"}
}

// sign signs claims with key under kid, as the platform does.
func sign(t *testing.T, claims gojwt.MapClaims, key *rsa.PrivateKey, kid string) string {
	t.Helper()
	tok := gojwt.NewWithClaims(gojwt.SigningMethodRS256, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// testLab is the tool on a server of its own, over a SQLite store.
type testLab struct {
	tool     *Tool
	srv      *httptest.Server
	store    *sqlite.DB
	sessions *session.Issuer
}

func newTestLab(t *testing.T, platforms ...Platform) *testLab {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "lti.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sessions := session.New([]byte("0123456789abcdef0123456789abcdef"))
	tool, err := New(context.Background(), db, sessions, platforms, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for pattern, h := range map[string]http.HandlerFunc{"GET /lti/jwks": tool.JWKS, "GET /lti/login": tool.Login, "POST /lti/launch": tool.Launch,
		"POST /lti/deep-link": tool.DeepLink, "GET /lti/class": tool.Class, "GET /lti/class/data": tool.ClassData, "GET /lti/class.js": tool.ClassScript} {
		mux.HandleFunc(pattern, h) // as the lab's routes.go has them
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &testLab{tool: tool, srv: srv, store: db, sessions: sessions}
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// login starts a launch as the platform's page does, and returns the state,
// the nonce the lab asked the platform to sign, and the browser's cookie.
func (l *testLab) login(t *testing.T, p *testPlatform) (state, nonce string, cookie *http.Cookie) {
	t.Helper()
	q := url.Values{"iss": {p.iss}, "login_hint": {"user-7"}, "target_link_uri": {l.srv.URL + "/lab/cookies"},
		"lti_message_hint": {"link-3"}, "client_id": {"reqlab-client"}}
	res, err := noRedirects.Get(l.srv.URL + "/lti/login?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("login: %s", res.Status)
	}
	loc, _ := url.Parse(res.Header.Get("Location"))
	got := loc.Query()
	for name, want := range map[string]string{"scope": "openid", "response_type": "id_token", "response_mode": "form_post",
		"prompt": "none", "client_id": "reqlab-client", "redirect_uri": l.srv.URL + "/lti/launch", "login_hint": "user-7", "lti_message_hint": "link-3"} {
		if got.Get(name) != want {
			t.Errorf("authentication request %s = %q, want %q", name, got.Get(name), want)
		}
	}
	if !strings.HasPrefix(loc.String(), p.srv.URL+"/auth?") {
		t.Errorf("sent to %s, want the platform's auth_url", loc)
	}
	state, nonce = got.Get("state"), got.Get("nonce")
	if len(state) < 32 || len(nonce) < 32 {
		t.Fatalf("state %q, nonce %q: want long random values", state, nonce)
	}
	for _, c := range res.Cookies() {
		if c.Name == "lti_state_"+state {
			cookie = c
		}
	}
	if cookie == nil || !cookie.Secure || !cookie.HttpOnly || cookie.SameSite != http.SameSiteNoneMode || !cookie.Partitioned {
		t.Fatalf("state cookie %+v: want Secure, HttpOnly, SameSite=None, Partitioned", cookie)
	}
	return state, nonce, cookie
}

// claims are a valid resource link launch's.
func (l *testLab) claims(p *testPlatform, nonce string) gojwt.MapClaims {
	now := time.Now()
	return gojwt.MapClaims{
		"iss": p.iss, "aud": "reqlab-client", "sub": "user-7", "exp": now.Add(5 * time.Minute).Unix(), "iat": now.Unix(),
		"nonce": nonce, "name": "Ana Pérez", "locale": "en-US", "email": "ana@example.edu",
		"https://purl.imsglobal.org/spec/lti/claim/message_type":    "LtiResourceLinkRequest",
		"https://purl.imsglobal.org/spec/lti/claim/version":         "1.3.0",
		"https://purl.imsglobal.org/spec/lti/claim/deployment_id":   "dep-1",
		"https://purl.imsglobal.org/spec/lti/claim/target_link_uri": l.srv.URL + "/lab/cookies",
		"https://purl.imsglobal.org/spec/lti/claim/resource_link":   map[string]string{"id": "link-3"},
		"https://purl.imsglobal.org/spec/lti/claim/roles":           []string{"http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"},
		"https://purl.imsglobal.org/spec/lti/claim/context":         map[string]string{"id": "course-1", "title": "Redes"},
	}
}

// launch posts an id_token as the platform's auto-submitting form does.
func (l *testLab) launch(t *testing.T, state, token string, cookie *http.Cookie, lang string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", l.srv.URL+"/lti/launch", strings.NewReader(url.Values{"state": {state}, "id_token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept-Language", lang)
	if cookie != nil {
		req.AddCookie(cookie)
	}
	res, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestALaunchOpensTheLessonAsItsUser(t *testing.T) {
	p := newTestPlatform(t)
	l := newTestLab(t, p.registration())
	state, nonce, cookie := l.login(t, p)
	code, body := l.launch(t, state, sign(t, l.claims(p, nonce), p.key, p.kid), cookie, "es-ES")
	if code != 200 {
		t.Fatalf("launch: %d\n%s", code, body)
	}
	if !strings.Contains(body, `"/embed/cookies?lang=en"`) {
		t.Errorf("the launch does not open the cookie lesson in the user's language:\n%s", body)
	}
	token := l.sessions.Issue(l.tool.verify.sessionOf(p.iss, "user-7"))
	if !strings.Contains(body, `"`+token+`"`) {
		t.Errorf("the launch does not hand the page the user's lab session")
	}
	if strings.Contains(body, "ana@example.edu") {
		t.Error("the e-mail address the platform sent reached the page")
	}
	// The nonce is spent: the launch was kept.
	if fresh, _ := l.store.UseNonce(context.Background(), p.iss, nonce); fresh {
		t.Error("the launch was not kept")
	}
	if l.tool.verify.sessionOf(p.iss, "user-7") == l.tool.verify.sessionOf(p.iss, "user-8") || l.tool.verify.sessionOf(p.iss, "user-7") == l.tool.verify.sessionOf("https://other.example", "user-7") {
		t.Error("two users share a lab session")
	}
}

// Each refusal, one by one: a page in the user's language, a 4xx status,
// and nothing kept.
func TestLaunchRefusals(t *testing.T) {
	p := newTestPlatform(t)
	l := newTestLab(t, p.registration())
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	for _, tt := range []struct {
		name             string
		change           func(c gojwt.MapClaims)
		key              *rsa.PrivateKey
		kid              string
		noCookie, replay bool
		status           int
		says             string
	}{
		{name: "a bad signature", key: other, status: 401, says: "firma"},
		{name: "an unknown kid", key: other, kid: "no-such-key", status: 401, says: "clave"},
		{name: "a wrong aud", change: func(c gojwt.MapClaims) { c["aud"] = "someone-else" }, status: 401, says: "aud"},
		{name: "another issuer", change: func(c gojwt.MapClaims) { c["iss"] = "https://evil.example" }, status: 401, says: "iss"},
		{name: "an expired token", change: func(c gojwt.MapClaims) { c["exp"] = time.Now().Add(-2 * time.Minute).Unix() }, status: 401, says: "caducó"},
		{name: "no iat", change: func(c gojwt.MapClaims) { delete(c, "iat") }, status: 401, says: "iat"},
		{name: "azp of another", change: func(c gojwt.MapClaims) { c["aud"] = []string{"reqlab-client", "x"}; c["azp"] = "x" }, status: 401, says: "azp"},
		{name: "another nonce", change: func(c gojwt.MapClaims) { c["nonce"] = "not-the-one" }, status: 401, says: "nonce"},
		{name: "a replayed nonce", replay: true, status: 401, says: "ya se usó"},
		{name: "an unknown deployment", change: func(c gojwt.MapClaims) { c["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] = "dep-9" }, status: 403, says: "despliegue"},
		{name: "another version", change: func(c gojwt.MapClaims) { c["https://purl.imsglobal.org/spec/lti/claim/version"] = "1.1" }, status: 400, says: "1.3.0"},
		{name: "another message", change: func(c gojwt.MapClaims) {
			c["https://purl.imsglobal.org/spec/lti/claim/message_type"] = "LtiSubmissionReviewRequest"
		}, status: 400, says: "tipo de mensaje"},
		{name: "a link elsewhere", change: func(c gojwt.MapClaims) {
			c["https://purl.imsglobal.org/spec/lti/claim/target_link_uri"] = "https://evil.example/lab/cookies"
		}, status: 400, says: "no lleva"},
		{name: "a missing state", noCookie: true, status: 400, says: "estado"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			state, nonce, cookie := l.login(t, p)
			c := l.claims(p, nonce)
			if tt.change != nil {
				tt.change(c)
			}
			key, kid := p.key, p.kid
			if tt.key != nil {
				key = tt.key
			}
			if tt.kid != "" {
				kid = tt.kid
			}
			token := sign(t, c, key, kid)
			if tt.noCookie {
				cookie = nil
			}
			if tt.replay {
				if code, body := l.launch(t, state, token, cookie, "es"); code != 200 {
					t.Fatalf("first launch: %d %s", code, body)
				}
			}
			code, body := l.launch(t, state, token, cookie, "es-ES,es;q=0.9")
			if code != tt.status || !strings.Contains(body, `lang="es"`) || !strings.Contains(body, `data-field="error"`) || !strings.Contains(body, tt.says) {
				t.Errorf("%d, want %d and a Spanish page saying %q:\n%s", code, tt.status, tt.says, body)
			}
			if strings.Contains(body, "reqlab.session") {
				t.Error("a refused launch handed out a session")
			}
			if !tt.replay {
				if fresh, _ := l.store.UseNonce(context.Background(), p.iss, nonce); !fresh {
					t.Error("a refused launch kept its nonce")
				}
			}
		})
	}
	// In English for an English browser.
	code, body := l.launch(t, "", "x", nil, "en-US")
	if code != 400 || !strings.Contains(body, `lang="en"`) || !strings.Contains(body, "open the activity again") {
		t.Errorf("English refusal: %d\n%s", code, body)
	}
}

// The platform's keys are fetched again when a token names a key the lab
// has not seen: the platform rotated.
func TestAPlatformsNewKeyIsFetched(t *testing.T) {
	p := newTestPlatform(t)
	l := newTestLab(t, p.registration())
	state, nonce, cookie := l.login(t, p)
	if code, _ := l.launch(t, state, sign(t, l.claims(p, nonce), p.key, p.kid), cookie, "es"); code != 200 {
		t.Fatal("first launch refused")
	}
	p.key, _ = rsa.GenerateKey(rand.Reader, 2048)
	p.kid = "platform-key-2"
	l.tool.Now = func() time.Time { return time.Now().Add(11 * time.Second) } // past the refetch pause
	state, nonce, cookie = l.login(t, p)
	if code, body := l.launch(t, state, sign(t, l.claims(p, nonce), p.key, p.kid), cookie, "es"); code != 200 {
		t.Fatalf("a launch signed with the platform's new key: %d\n%s", code, body)
	}
}

func TestLoginRefusesWhatItCannotUse(t *testing.T) {
	p := newTestPlatform(t)
	l := newTestLab(t, p.registration())
	for _, tt := range []struct {
		name string
		q    url.Values
		code int
	}{
		{"no issuer", url.Values{"login_hint": {"u"}, "target_link_uri": {l.srv.URL + "/"}}, 400},
		{"an unknown platform", url.Values{"iss": {"https://evil.example"}, "login_hint": {"u"}, "target_link_uri": {l.srv.URL + "/"}}, 400},
		{"an unknown deployment", url.Values{"iss": {p.iss}, "login_hint": {"u"}, "target_link_uri": {l.srv.URL + "/"}, "lti_deployment_id": {"dep-9"}}, 403},
		{"a link elsewhere", url.Values{"iss": {p.iss}, "login_hint": {"u"}, "target_link_uri": {"https://evil.example/"}}, 400},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := noRedirects.Get(l.srv.URL + "/lti/login?" + tt.q.Encode())
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tt.code || len(res.Cookies()) != 0 {
				t.Errorf("%s with %d cookies, want %d and none", res.Status, len(res.Cookies()), tt.code)
			}
		})
	}
}

// The tool's key is made once and kept: a restart, or another server on the
// same store, publishes the same.
func TestTheToolsKeyIsKept(t *testing.T) {
	p := newTestPlatform(t)
	l := newTestLab(t, p.registration())
	var set struct {
		Keys []struct{ Kty, Kid, Alg, Use, N, E string } `json:"keys"`
	}
	res, err := http.Get(l.srv.URL + "/lti/jwks")
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(res.Body).Decode(&set)
	res.Body.Close()
	if len(set.Keys) != 1 || set.Keys[0].Kty != "RSA" || set.Keys[0].Alg != "RS256" || set.Keys[0].Kid == "" || set.Keys[0].N == "" {
		t.Fatalf("key set %+v", set)
	}
	again, err := New(context.Background(), l.store, l.sessions, []Platform{p.registration()}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if again.signer.kid != set.Keys[0].Kid {
		t.Errorf("a second start publishes kid %s, the first %s", again.signer.kid, set.Keys[0].Kid)
	}
}

func TestLoadPlatforms(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		path := filepath.Join(dir, "p.json")
		os.WriteFile(path, []byte(s), 0o644)
		return path
	}
	good := `[{"issuer":"https://moodle.example","client_id":"c","deployment_ids":["1"],"auth_url":"https://moodle.example/auth","token_url":"https://moodle.example/token","jwks_url":"https://moodle.example/jwks"}]`
	if ps, err := LoadPlatforms(write(good)); err != nil || len(ps) != 1 || ps[0].Origin() != "https://moodle.example" {
		t.Errorf("LoadPlatforms(good) = %+v, %v", ps, err)
	}
	for name, bad := range map[string]string{
		"not JSON":       `{`,
		"none":           `[]`,
		"no deployments": strings.Replace(good, `["1"]`, `[]`, 1),
		"plain http":     strings.Replace(good, "https://moodle.example/auth", "http://moodle.example/auth", 1),
		"twice":          strings.Replace(good, "]", ","+good[1:], 1),
	} {
		if _, err := LoadPlatforms(write(bad)); err == nil {
			t.Errorf("%s: taken", name)
		}
	}
}

// A teacher's deep linking request opens the page where they pick lessons;
// the pick goes back to the platform as a signed LtiDeepLinkingResponse,
// which the platform checks against the lab's published key.
func TestDeepLinkingPicksLessons(t *testing.T) {
	p := newTestPlatform(t)
	l := newTestLab(t, p.registration())
	state, nonce, cookie := l.login(t, p)
	c := l.claims(p, nonce)
	c["https://purl.imsglobal.org/spec/lti/claim/message_type"] = "LtiDeepLinkingRequest"
	c["https://purl.imsglobal.org/spec/lti/claim/roles"] = []string{"http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"}
	c["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = map[string]any{
		"deep_link_return_url": p.srv.URL + "/deep-link-return", "accept_types": []string{"ltiResourceLink"},
		"accept_multiple": true, "data": "opaque-123",
	}
	code, page := l.launch(t, state, sign(t, c, p.key, p.kid), cookie, "en")
	if code != 200 || !strings.Contains(page, `data-field="pick-form"`) || !strings.Contains(page, `value="cookies"`) || !strings.Contains(page, "Pick lessons") {
		t.Fatalf("deep linking page: %d\n%s", code, page)
	}
	picking := between(page, `name="picking" value="`, `"`)
	if picking == "" {
		t.Fatal("no picking on the page")
	}
	post := func(form url.Values) (int, string) { return postForm(t, l.srv.URL+"/lti/deep-link", form) }
	code, back := post(url.Values{"picking": {picking}, "lesson": {"cookies", "cache"}, "lang": {"en"}, "autoplay": {"1"}})
	if code != 200 || !strings.Contains(back, `action="`+p.srv.URL+`/deep-link-return"`) {
		t.Fatalf("the pick: %d\n%s", code, back)
	}
	signed := between(back, `name="JWT" value="`, `"`)

	// The platform's side: the lab's key from /lti/jwks, the token checked
	// with golang-jwt.
	pub := labKey(t, l.srv.URL)
	claims := gojwt.MapClaims{}
	tok, err := gojwt.ParseWithClaims(signed, claims, func(tok *gojwt.Token) (any, error) {
		if tok.Header["kid"] != l.tool.signer.kid {
			return nil, fmt.Errorf("kid %v", tok.Header["kid"])
		}
		return pub, nil
	}, gojwt.WithValidMethods([]string{"RS256"}), gojwt.WithIssuer("reqlab-client"), gojwt.WithAudience(p.iss), gojwt.WithExpirationRequired(), gojwt.WithIssuedAt())
	if err != nil || !tok.Valid {
		t.Fatalf("the platform refuses the lab's answer: %v", err)
	}
	if claims["https://purl.imsglobal.org/spec/lti/claim/message_type"] != "LtiDeepLinkingResponse" ||
		claims["https://purl.imsglobal.org/spec/lti/claim/version"] != "1.3.0" ||
		claims["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] != "dep-1" ||
		claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] != "opaque-123" || claims["nonce"] == "" {
		t.Errorf("claims %v", claims)
	}
	items, _ := claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"].([]any)
	if len(items) != 2 {
		t.Fatalf("content items %v, want the two lessons", items)
	}
	first, _ := items[0].(map[string]any)
	if first["type"] != "ltiResourceLink" || first["url"] != l.srv.URL+"/lab/cookies?autoplay=1&lang=en" || !strings.Contains(first["title"].(string), "Cookies") {
		t.Errorf("first item %v", first)
	}

	// A pick that no page of the lab made is refused.
	if code, _ := post(url.Values{"picking": {picking + "x"}, "lesson": {"cookies"}}); code != 400 {
		t.Errorf("a tampered pick: %d, want 400", code)
	}
	if code, _ := post(url.Values{"picking": {picking}, "lesson": {"no-such-lesson"}}); code != 400 {
		t.Errorf("an unknown lesson: %d, want 400", code)
	}
}

// between returns the text of s between the first from and the next to.
func between(s, from, to string) string {
	_, after, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, to)
	return v
}

// gradebook is the test platform's side of grades: its token endpoint,
// which checks the lab's signed assertion against the lab's published key,
// and a line item that records the scores it takes (refusing the first
// fails of them, as a platform in an outage would).
type gradebook struct {
	mu     sync.Mutex
	scores []map[string]any
	tokens int
	fails  int
}

func (g *gradebook) serve(t *testing.T, p *testPlatform, labURL func() string) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.Form.Get("grant_type") != "client_credentials" || r.Form.Get("scope") != scoreScope ||
			r.Form.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
			http.Error(w, "bad grant", 400)
			return
		}
		pub := labKey(t, labURL())
		_, err := gojwt.Parse(r.Form.Get("client_assertion"), func(*gojwt.Token) (any, error) { return pub, nil },
			gojwt.WithValidMethods([]string{"RS256"}), gojwt.WithIssuer("reqlab-client"), gojwt.WithSubject("reqlab-client"),
			gojwt.WithAudience(p.srv.URL+"/token"), gojwt.WithExpirationRequired())
		if err != nil {
			http.Error(w, err.Error(), 401)
			return
		}
		g.mu.Lock()
		g.tokens++
		g.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]any{"access_token": "tok-1", "token_type": "Bearer", "expires_in": 3600, "scope": scoreScope})
	})
	mux.HandleFunc("POST /lineitems/7/scores", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok-1" || r.Header.Get("Content-Type") != "application/vnd.ims.lis.v1.score+json" {
			http.Error(w, "no", 401)
			return
		}
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.fails > 0 {
			g.fails--
			http.Error(w, "down for maintenance", 503)
			return
		}
		var s map[string]any
		json.NewDecoder(r.Body).Decode(&s)
		g.scores = append(g.scores, s)
		w.WriteHeader(200)
	})
	p.extra = mux
}

// await waits for the line item to have taken n scores.
func (g *gradebook) await(t *testing.T, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		g.mu.Lock()
		got := len(g.scores)
		g.mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the platform took %d scores, want %d", got, n)
		}
	}
}

// gradedLaunch launches user-7 from a platform with a gradebook that
// refuses its first fails scores, into the cookie lesson's line item; the
// lab tries again after retry.
func gradedLaunch(t *testing.T, fails int, retry time.Duration) (*testLab, *testPlatform, *gradebook) {
	t.Helper()
	p := newTestPlatform(t)
	var l *testLab
	g := &gradebook{fails: fails}
	g.serve(t, p, func() string { return l.srv.URL })
	reg := p.registration()
	reg.TokenURL = p.srv.URL + "/token"
	l = newTestLab(t, reg)
	l.tool.Grades.RetryBase = retry
	state, nonce, cookie := l.login(t, p)
	c := l.claims(p, nonce)
	c["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"] = map[string]any{
		"scope": []string{"https://purl.imsglobal.org/spec/lti-ags/scope/lineitem", scoreScope}, "lineitem": p.srv.URL + "/lineitems/7",
	}
	if code, body := l.launch(t, state, sign(t, c, p.key, p.kid), cookie, "es"); code != 200 {
		t.Fatalf("launch: %d %s", code, body)
	}
	return l, p, g
}

// labKey reads the lab's published key, as a platform does.
func labKey(t *testing.T, labURL string) *rsa.PublicKey {
	var set struct {
		Keys []struct{ N, E string } `json:"keys"`
	}
	res, err := http.Get(labURL + "/lti/jwks")
	if err != nil {
		t.Error(err)
		return nil
	}
	json.NewDecoder(res.Body).Decode(&set)
	res.Body.Close()
	n, _ := base64.RawURLEncoding.DecodeString(set.Keys[0].N)
	e, _ := base64.RawURLEncoding.DecodeString(set.Keys[0].E)
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
}

// A launched student's completed lesson becomes a score on the platform's
// line item: kept first, then sent, tried again with growing pauses while
// the platform refuses, and never sent twice.
func TestAGradeReachesThePlatform(t *testing.T) {
	l, p, g := gradedLaunch(t, 2, 20*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	session := l.tool.verify.sessionOf(p.iss, "user-7")
	if n, err := l.tool.Grades.LessonDone(ctx, session, "cookies"); err != nil || n != 1 {
		t.Fatalf("LessonDone = %d, %v; want one score queued", n, err)
	}
	if n, _ := l.tool.Grades.LessonDone(ctx, session, "cookies"); n != 0 {
		t.Errorf("the same lesson again queued %d more", n)
	}
	if n, _ := l.tool.Grades.LessonDone(ctx, l.tool.verify.sessionOf(p.iss, "user-8"), "cookies"); n != 0 {
		t.Errorf("a session never launched queued %d", n)
	}
	go l.tool.Grades.SendScores(ctx)
	g.await(t, 1)
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.scores) != 1 || g.fails != 0 {
		t.Fatalf("%d scores taken (%d refusals left), want the one after two refusals", len(g.scores), g.fails)
	}
	s := g.scores[0]
	if s["userId"] != "user-7" || s["scoreGiven"] != 1.0 || s["scoreMaximum"] != 1.0 || s["activityProgress"] != "Completed" ||
		s["gradingProgress"] != "FullyGraded" || s["timestamp"] == "" {
		t.Errorf("score %v", s)
	}
	if g.tokens != 1 {
		t.Errorf("%d tokens asked for, want one, cached", g.tokens)
	}
	// The sender marks the score sent once the platform's answer is back,
	// a moment after the platform took it.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		due, _ := l.store.DueScores(ctx, time.Now().Add(24*time.Hour), 10)
		if len(due) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("%d scores still due 5 s after the platform took it", len(due))
			break
		}
	}
}

// A teacher's launch opens the class: each student launched from that
// course, with their answers and runs; a student's launch does not, and no
// other link opens it.
func TestATeacherSeesTheClass(t *testing.T) {
	p := newTestPlatform(t)
	l := newTestLab(t, p.registration())
	ctx := context.Background()
	launchAs := func(sub, name string, roles []string) string {
		state, nonce, cookie := l.login(t, p)
		c := l.claims(p, nonce)
		c["sub"], c["name"], c["https://purl.imsglobal.org/spec/lti/claim/roles"] = sub, name, roles
		code, body := l.launch(t, state, sign(t, c, p.key, p.kid), cookie, "en")
		if code != 200 {
			t.Fatalf("launch of %s: %d %s", sub, code, body)
		}
		return body
	}
	learner := []string{"http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"}
	if body := launchAs("s1", "Bea", learner); strings.Contains(body, "/lti/class") {
		t.Error("a student's launch opens the class")
	}
	launchAs("s2", "Abel", learner)
	l.store.KeepAnswer(ctx, store.Answer{Session: l.tool.verify.sessionOf(p.iss, "s1"), Lesson: "cookies", Choice: 1, Correct: false, At: time.Now()})
	l.store.KeepAnswer(ctx, store.Answer{Session: l.tool.verify.sessionOf(p.iss, "s1"), Lesson: "cookies", Choice: 0, Correct: true, At: time.Now()})
	run := stage.NewRunID()
	l.store.CreateRun(ctx, run, stage.NewRunSecret(), l.tool.verify.sessionOf(p.iss, "s1"), stage.Request{Method: "GET", URL: "/site/api/sesion"})

	body := launchAs("t1", "Profe", []string{"http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"})
	target := between(body, `location.replace("`, `")`)
	target = strings.ReplaceAll(target, `\/`, "/")
	target = strings.ReplaceAll(target, `\u0026`, "&")
	if !strings.HasPrefix(target, "/lti/class?t=") {
		t.Fatalf("a teacher's launch opens %q, want the class", target)
	}
	res, err := http.Get(l.srv.URL + target)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(page), "Your class: Redes") || !strings.Contains(string(page), `src="/lti/class.js"`) {
		t.Fatalf("class page %d\n%s", res.StatusCode, page)
	}
	tok, _ := url.QueryUnescape(strings.TrimPrefix(target, "/lti/class?t="))
	var data struct {
		Students []struct {
			Name    string   `json:"name"`
			Done    []string `json:"done"`
			Answers []struct {
				Lesson  string `json:"lesson"`
				Correct bool   `json:"correct"`
			} `json:"answers"`
			Runs []struct {
				ID string `json:"id"`
			} `json:"runs"`
		} `json:"students"`
	}
	res, err = http.Get(l.srv.URL + "/lti/class/data?t=" + url.QueryEscape(tok))
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(res.Body).Decode(&data)
	res.Body.Close()
	if len(data.Students) != 2 || data.Students[0].Name != "Abel" || data.Students[1].Name != "Bea" {
		t.Fatalf("class %+v, want Abel and Bea (and not the teacher)", data.Students)
	}
	bea := data.Students[1]
	if len(bea.Answers) != 2 || bea.Answers[1].Correct != true || len(bea.Done) != 1 || bea.Done[0] != "cookies" || len(bea.Runs) != 1 || bea.Runs[0].ID != run {
		t.Errorf("Bea's row %+v", bea)
	}
	for _, bad := range []string{"", "x.y", tok + "x"} {
		res, _ := http.Get(l.srv.URL + "/lti/class/data?t=" + url.QueryEscape(bad))
		res.Body.Close()
		if res.StatusCode != 403 {
			t.Errorf("class data with %q: %d, want 403", bad, res.StatusCode)
		}
	}
}

// Where the platform offers its storage, the login keeps the state there
// too, and a launch whose cookie did not come back asks for it; a stored
// state is checked as the cookie is.
func TestStateKeptByThePlatform(t *testing.T) {
	p := newTestPlatform(t)
	l := newTestLab(t, p.registration())
	q := url.Values{"iss": {p.iss}, "login_hint": {"user-7"}, "target_link_uri": {l.srv.URL + "/lab/cookies"}, "lti_storage_target": {"_parent"}}
	res, err := noRedirects.Get(l.srv.URL + "/lti/login?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		cookie = c
	}
	if res.StatusCode != 200 || cookie == nil || !strings.Contains(string(page), "lti.put_data") || !strings.Contains(string(page), cookie.Value) {
		t.Fatalf("login with storage: %d, cookie %v\n%s", res.StatusCode, cookie, page)
	}
	next := strings.ReplaceAll(between(string(page), `location.replace("`, `")`), `\u0026`, "&")
	loc, _ := url.Parse(strings.ReplaceAll(next, `\/`, "/"))
	state, nonce := loc.Query().Get("state"), loc.Query().Get("nonce")
	if state == "" || nonce == "" {
		t.Fatalf("the page goes on to %q", next)
	}
	token := sign(t, l.claims(p, nonce), p.key, p.kid)
	post := func(form url.Values) (int, string) { return postForm(t, l.srv.URL+"/lti/launch", form) }
	code, body := post(url.Values{"id_token": {token}, "state": {state}, "lti_storage_target": {"_parent"}})
	if code != 200 || !strings.Contains(body, "lti.get_data") {
		t.Fatalf("a launch with no cookie: %d\n%s", code, body)
	}
	if code, _ := post(url.Values{"id_token": {token}, "state": {state}, "lti_storage_target": {"_parent"}, "stored_state": {cookie.Value + "x"}}); code != 400 {
		t.Errorf("a forged stored state: %d, want 400", code)
	}
	if code, _ := post(url.Values{"id_token": {token}, "state": {state}, "lti_storage_target": {"_parent"}, "stored_state": {"-"}}); code != 400 {
		t.Errorf("a state the platform did not have: %d, want 400", code)
	}
	if code, body := post(url.Values{"id_token": {token}, "state": {state}, "lti_storage_target": {"_parent"}, "stored_state": {cookie.Value}}); code != 200 || !strings.Contains(body, "reqlab.session") {
		t.Errorf("the stored state: %d\n%s", code, body)
	}
}

// A score the platform has not taken when the lab stops is sent by the lab
// that starts next, from the store.
func TestAGradeSurvivesARestart(t *testing.T) {
	l, p, g := gradedLaunch(t, 1<<30, 10*time.Millisecond) // the platform is down
	ctx, stop := context.WithCancel(context.Background())
	if n, err := l.tool.Grades.LessonDone(ctx, l.tool.verify.sessionOf(p.iss, "user-7"), "cookies"); err != nil || n != 1 {
		t.Fatalf("LessonDone = %d, %v", n, err)
	}
	done := make(chan struct{})
	go func() { l.tool.Grades.SendScores(ctx); close(done) }()
	time.Sleep(200 * time.Millisecond)
	stop() // the lab stops with the score untaken
	<-done
	g.mu.Lock()
	g.fails = 0 // the platform is back
	g.mu.Unlock()

	again, err := New(context.Background(), l.store, l.sessions, l.tool.platforms, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	again.Grades.RetryBase = 10 * time.Millisecond
	again.Now = func() time.Time { return time.Now().Add(2 * time.Hour) } // past any pause
	ctx2, stop2 := context.WithCancel(context.Background())
	defer stop2()
	go again.Grades.SendScores(ctx2)
	g.await(t, 1) // sent by the lab that started next
}

// postForm posts a form as a browser would and returns the answer.
func postForm(t *testing.T, to string, form url.Values) (int, string) {
	t.Helper()
	res, err := http.PostForm(to, form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}
