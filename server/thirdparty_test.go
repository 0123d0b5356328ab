package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"reqlab/app/lesson"
	"reqlab/app/stage"
)

// The cookie lesson as a course on another site embeds it: the lab at
// reqlab.test, the course's page at campus.test (two sites, both on
// loopback by Chromium's resolver rules), over https through nginx with a
// certificate the test makes, in a browser that blocks third-party cookies;
// and over plain http. Every request's note says what happened to it.

// testCert is a certificate the test made for itself, as PEM files.
type testCert struct {
	certFile, keyFile string
	pair              tls.Certificate
	// spki is its public key's SHA-256 in base64: Chromium takes the
	// certificate by --ignore-certificate-errors-spki-list.
	spki string
}

// makeCert makes a self-signed certificate for names, good for a day.
func makeCert(t *testing.T, names ...string) testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: names[0]},
		DNSNames:     names,
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	spkiDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	c := testCert{certFile: filepath.Join(dir, "cert.pem"), keyFile: filepath.Join(dir, "key.pem")}
	os.WriteFile(c.certFile, certPEM, 0o644)
	os.WriteFile(c.keyFile, keyPEM, 0o644)
	if c.pair, err = tls.X509KeyPair(certPEM, keyPEM); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(spkiDER)
	c.spki = base64.StdEncoding.EncodeToString(sum[:])
	return c
}

// courseSite serves, on ln, a course's page that embeds the lab's page src,
// over https where cert is given.
func courseSite(t *testing.T, ln net.Listener, src string, cert *testCert) {
	t.Helper()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="es"><head><title>Curso</title></head><body>
<h1>Un curso en otro sitio</h1>
<iframe id="lab" src=%q title="reqlab" width="1100" height="900"></iframe></body></html>`, src)
	})}
	if cert != nil {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert.pair}}
		go srv.ServeTLS(ln, "", "")
	} else {
		go srv.Serve(ln)
	}
	t.Cleanup(func() { srv.Close() })
}

// newSitesBrowser starts a headless Chromium, as newBrowser does, where
// reqlab.test and campus.test are loopback and cert (if any) is taken. Its
// settings block third-party cookies if block is set, and allow them
// otherwise, as a person sets it (this Chromium blocks them by default
// when headless).
func newSitesBrowser(t *testing.T, cert *testCert, block bool) context.Context {
	t.Helper()
	profile := t.TempDir()
	// cookie_controls_mode: 1 is "Block third-party cookies" in the
	// browser's settings, 0 "Allow third-party cookies".
	mode := 0
	if block {
		mode = 1
	}
	os.MkdirAll(filepath.Join(profile, "Default"), 0o755)
	prefs, _ := json.Marshal(map[string]any{"profile": map[string]any{"cookie_controls_mode": mode, "block_third_party_cookies": block}})
	os.WriteFile(filepath.Join(profile, "Default", "Preferences"), prefs, 0o644)
	opts := append(chromiumOptions(t, profile, "es-ES"),
		chromedp.Flag("host-resolver-rules", "MAP reqlab.test 127.0.0.1, MAP campus.test 127.0.0.1"))
	if cert != nil {
		opts = append(opts, chromedp.Flag("ignore-certificate-errors-spki-list", cert.spki))
	}
	if block {
		// Chromium's own switch for testing with third-party cookies
		// blocked, beside the setting.
		opts = append(opts, chromedp.Flag("test-third-party-cookie-phaseout", true))
	}
	return startChromium(t, 4*time.Minute, opts)
}

// labFrame opens the course's page and attaches to the lab's frame (a
// target of its own: another site's frame runs in another process), its
// client started.
func labFrame(t *testing.T, ctx context.Context, course, lab string) context.Context {
	t.Helper()
	if err := chromedpNavigate(ctx, course); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		targets, err := chromedp.Targets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, info := range targets {
			if info.Type == "iframe" && strings.HasPrefix(info.URL, lab) {
				frame, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(info.TargetID))
				t.Cleanup(cancel)
				startClientIn(t, frame)
				return frame
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no frame of %s in %s", lab, course)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// cookieRun is a run of the cookie lesson as the test saw it.
type cookieRun struct {
	run   stage.Run
	facts []string // the note's facts, "about:what happened"
}

// sendWeight sends the cookie lesson's request with weight bytes of cookies
// and waits for its note.
func sendWeight(t *testing.T, frame context.Context, l *lab, weight int) cookieRun {
	t.Helper()
	eval[bool](t, frame, fmt.Sprintf(`(() => { const s = document.querySelector('[data-field="cookie-weight"]'); s.value = "%d";
		s.dispatchEvent(new Event("input", {bubbles: true})); return true })()`, weight))
	waitFor(t, frame, "the weight", fmt.Sprintf(`document.querySelector('[data-field="cookie-weight"]').value === "%d"`, weight))
	before := clickToRun(t, frame, `[data-action="send-weight"]`)
	return noteOf(t, frame, waitRun(t, frame, l, before))
}

// stepRun runs the cookie lesson's step n and waits for its note.
func stepRun(t *testing.T, frame context.Context, l *lab, n int) cookieRun {
	t.Helper()
	return noteOf(t, frame, runStep(t, frame, l, n))
}

// noteOf waits for the note of run and reads it.
func noteOf(t *testing.T, frame context.Context, run stage.Run) cookieRun {
	t.Helper()
	waitFor(t, frame, "the run's cookie note", fmt.Sprintf(`(document.querySelector('[data-field="cookie-note"]') || {dataset: {}}).dataset.run === %q`, run.ID))
	facts := eval[[]string](t, frame, `Array.from(document.querySelectorAll('[data-field="cookie-note"] [data-cookie]')).map(e => e.dataset.about + ":" + e.dataset.cookie)`)
	text := eval[string](t, frame, `document.querySelector('[data-field="cookie-note"]').textContent`)
	t.Logf("%d, Cookie %.60q: %v %q", run.Response.Status, run.Request.Header("Cookie"), facts, text)
	return cookieRun{run: run, facts: facts}
}

// expect checks a run's status, the note's facts and whether the lab's
// weight cookies reached the server.
func (r cookieRun) expect(t *testing.T, what string, status int, weightSent bool, facts ...string) {
	t.Helper()
	if r.run.Response == nil || r.run.Response.Status != status {
		t.Errorf("%s: the answer %+v, want %d", what, r.run.Response, status)
	}
	if got := strings.Contains(r.run.Request.Header("Cookie"), "relleno"); got != weightSent {
		t.Errorf("%s: the lab's cookies reached the server: %v, want %v", what, got, weightSent)
	}
	if strings.Join(r.facts, " ") != strings.Join(facts, " ") {
		t.Errorf("%s: the note says %v, want %v", what, r.facts, facts)
	}
}

// cookiesKept reports whether the browser keeps, in the frame, a cookie
// with attrs: the test's own look at what the browser does there.
func cookiesKept(t *testing.T, frame context.Context, attrs string) bool {
	t.Helper()
	return eval[bool](t, frame, fmt.Sprintf(`(() => { const set = "reqlab-test=1; path=" + location.pathname + "; " + %q;
		document.cookie = set;
		const kept = document.cookie.split(";").some(c => c.trim() === "reqlab-test=1");
		document.cookie = set + "; max-age=0";
		return kept })()`, attrs))
}

func TestBrowserCookieLessonInAThirdPartyFrameOverHTTPS(t *testing.T) {
	l := startLab(t, nil)
	cert := makeCert(t, "reqlab.test", "campus.test")
	_, labPort, _ := net.SplitHostPort(strings.TrimPrefix(l.url, "http://"))
	// One nginx, two doors to the same lab: the README's settings, and
	// nginx's default buffers for headers.
	tuned, plain := freeTCPPort(t), freeTCPPort(t)
	listen := func(port int) string {
		return fmt.Sprintf("\t\tlisten 127.0.0.1:%d ssl;\n\t\tssl_certificate %s;\n\t\tssl_certificate_key %s;", port, cert.certFile, cert.keyFile)
	}
	lab := "http://127.0.0.1:" + labPort
	servers := fmt.Sprintf(nginxLab, listen(tuned), lab) +
		strings.Replace(fmt.Sprintf(nginxLab, listen(plain), lab), "large_client_header_buffers 4 32k;", "", 1)
	insecure := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	runNginx(t, servers, fmt.Sprintf("https://127.0.0.1:%d", tuned), insecure)

	front := fmt.Sprintf("https://reqlab.test:%d", tuned)
	frontPlain := fmt.Sprintf("https://reqlab.test:%d", plain)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, coursePort, _ := net.SplitHostPort(ln.Addr().String())
	course := "https://campus.test:" + coursePort
	courseSite(t, ln, front+"/embed/cookies?lang=es", &cert)

	ctx := newSitesBrowser(t, &cert, true)
	frame := labFrame(t, ctx, course, front)

	// The browser does block third-party cookies, and keeps partitioned ones.
	if cookiesKept(t, frame, "SameSite=None; Secure") || !cookiesKept(t, frame, "SameSite=None; Secure; Partitioned") {
		t.Fatal("the browser does not block third-party cookies, or does not keep partitioned ones: the test would prove nothing")
	}

	stepRun(t, frame, l, 1).expect(t, "step 1", 200, false, "visits:none", "set:kept")
	stepRun(t, frame, l, 2).expect(t, "step 2", 200, false, "visits:sent", "set:kept")
	sendWeight(t, frame, l, 4096).expect(t, "4 KB of cookies", 200, true, "lab:sent", "visits:sent", "set:kept")
	// 15 KB of partitioned cookies is more than Chromium keeps for one
	// site inside another (10 KB): it drops the oldest, the site's own
	// visitas among them, and what is left still passes the server's 8 KB.
	sendWeight(t, frame, l, lesson.MaxCookieWeight).expect(t, "the heaviest weight", 431, true, "lab:dropped", "visits:none", "answer:refused")
	// The lab deletes its cookies with the attributes it set them with: the
	// 431 does not stick.
	sendWeight(t, frame, l, 0).expect(t, "back to weight 0", 200, false, "visits:none", "set:kept")
	stepRun(t, frame, l, 2).expect(t, "step 2 again", 200, false, "visits:sent", "set:kept")

	// Behind nginx's default buffers the heaviest weight is nginx's own
	// 400: the lab's server never sees it, and the note says a proxy
	// refused it. Weight 0 deletes the cookies there too.
	// The frame goes there itself (the same site on another port): it stays
	// the target the test is attached to.
	eval[bool](t, frame, fmt.Sprintf(`(() => { setTimeout(() => { location.href = %q }, 0); return true })()`, frontPlain+"/embed/cookies?lang=es"))
	waitFor(t, frame, "the frame behind nginx's default buffers", fmt.Sprintf(`location.port === "%d" && document.readyState === "complete"`, plain))
	startClientIn(t, frame)
	heavy := sendWeight(t, frame, l, lesson.MaxCookieWeight)
	heavy.expect(t, "the heaviest weight behind default buffers", 400, false, "answer:proxy")
	if hasServerEvents(heavy.run) {
		t.Error("the lab's server recorded stages of a request nginx refused")
	}
	if text := eval[string](t, frame, `document.querySelector('[data-field="cookie-note"]').textContent`); !strings.Contains(text, "Request Header Or Cookie Too Large") {
		t.Errorf("the note does not give the proxy's words: %q", text)
	}
	// The picture draws the 400 where it came from: in front of the server.
	if by := eval[string](t, frame, `document.querySelector('[data-field="outcome"]').dataset.answeredBy`); by != "proxy" {
		t.Errorf("the picture draws nginx's 400 as answered by %q", by)
	}
	// The panel of the request as the server received it says the same.
	if where := eval[string](t, frame, `document.querySelector('[data-field="received"] [data-field="server-addr"]').textContent`); !strings.Contains(where, "proxy") {
		t.Errorf("the request as the server received it says %q", where)
	}
	sendWeight(t, frame, l, 0).expect(t, "back to weight 0 behind default buffers", 200, false, "visits:none", "set:kept")
	stepRun(t, frame, l, 2).expect(t, "step 2 behind default buffers", 200, false, "visits:sent", "set:kept")
}

func TestBrowserCookieLessonInAThirdPartyFrameOverHTTP(t *testing.T) {
	l := startLab(t, nil)
	_, labPort, _ := net.SplitHostPort(strings.TrimPrefix(l.url, "http://"))
	lab := "http://reqlab.test:" + labPort
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, coursePort, _ := net.SplitHostPort(ln.Addr().String())
	courseSite(t, ln, lab+"/embed/cookies?lang=es", nil)

	// A browser set to allow third-party cookies: over plain http, a frame
	// of another site keeps none of the lab's all the same (SameSite=Lax
	// and Strict are refused there, and Partitioned needs https).
	ctx := newSitesBrowser(t, nil, false)
	frame := labFrame(t, ctx, "http://campus.test:"+coursePort, lab)
	stepRun(t, frame, l, 1).expect(t, "step 1", 200, false, "visits:blocked", "set:blocked")
	stepRun(t, frame, l, 2).expect(t, "step 2", 200, false, "visits:blocked", "set:blocked")
	sendWeight(t, frame, l, 4096).expect(t, "4 KB of cookies", 200, false, "lab:blocked", "visits:blocked", "set:blocked")
	sendWeight(t, frame, l, lesson.MaxCookieWeight).expect(t, "the heaviest weight", 200, false, "lab:blocked", "visits:blocked", "set:blocked")
}

// The lab on its own (no frame, plain http): every cookie is kept and sent,
// and the heaviest weight is the server's 431, in the page's language.
func TestBrowserCookieLessonNotesOnItsOwnPage(t *testing.T) {
	l := startLab(t, nil)
	ctx := newBrowser(t)
	openLab(t, ctx, l.url+"/lab/cookies?lang=en")
	stepRun(t, ctx, l, 1).expect(t, "step 1", 200, false, "visits:none", "set:kept")
	stepRun(t, ctx, l, 2).expect(t, "step 2", 200, false, "visits:sent", "set:kept")
	sendWeight(t, ctx, l, lesson.MaxCookieWeight).expect(t, "the heaviest weight", 431, true, "lab:sent", "visits:sent", "answer:refused")
	if text := textOf(t, ctx, `[data-field="cookie-note"] [data-cookie="refused"]`); !strings.HasPrefix(text, "The server refused the request (431)") {
		t.Errorf("the refusal in English: %q", text)
	}
	sendWeight(t, ctx, l, 0).expect(t, "back to weight 0", 200, false, "visits:sent", "set:kept")
}
