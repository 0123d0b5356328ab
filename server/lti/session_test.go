package lti

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

// A launched student's lab session cannot be worked out from what the launch
// carries: a classmate who knows the issuer and the subject (both are in
// every id_token of the course) gets nowhere by hashing them, and a bare id,
// however made, is no session.
func TestALaunchedSessionIsNotDerivable(t *testing.T) {
	p := newTestPlatform(t)
	launched := func(l *testLab, subject string) (id, token string) {
		t.Helper()
		state, nonce, cookie := l.login(t, p)
		claims := l.claims(p, nonce)
		claims["sub"] = subject
		code, body := l.launch(t, state, sign(t, claims, p.key, p.kid), cookie, "en")
		if code != 200 {
			t.Fatalf("launch: %d\n%s", code, body)
		}
		token = between(body, `localStorage.setItem("reqlab.session", "`, `"`)
		id, ok := l.sessions.Verify(token)
		if !ok {
			t.Fatalf("the launch handed the page %q, not a session token of the lab's", token)
		}
		return id, token
	}
	l := newTestLab(t, p.registration())
	id, _ := launched(l, "user-7")
	if again, _ := launched(l, "user-7"); again != id {
		t.Errorf("the same user's second launch is session %s, the first %s", again, id)
	}
	if other, _ := launched(l, "user-8"); other == id {
		t.Error("two users share a lab session")
	}
	for _, data := range []string{p.iss + "\x00user-7", p.iss + "user-7", "user-7", p.iss + "|user-7"} {
		s256, s1, m5 := sha256.Sum256([]byte(data)), sha1.Sum([]byte(data)), md5.Sum([]byte(data))
		for _, derived := range []string{hex.EncodeToString(s256[:16]), hex.EncodeToString(s256[16:]), hex.EncodeToString(s1[:16]), hex.EncodeToString(m5[:])} {
			if derived == id {
				t.Fatalf("the session %s is a plain hash of the launch's data %q", id, data)
			}
			if _, ok := l.sessions.Verify(derived); ok {
				t.Errorf("the derived id %s passes as a session token", derived)
			}
		}
	}
	if _, ok := l.sessions.Verify(id); ok {
		t.Error("the session's bare id passes as its token")
	}
	// Another lab, with a key of its own, keys the same user elsewhere: the
	// session hangs on the lab's secret, not on the launch's data.
	if elsewhere, _ := launched(newTestLab(t, p.registration()), "user-7"); elsewhere == id || strings.EqualFold(elsewhere, id) {
		t.Errorf("two labs with different keys gave user-7 the same session %s", id)
	}
}
