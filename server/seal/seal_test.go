package seal

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
)

func TestSealOpens(t *testing.T) {
	k := New([]byte(strings.Repeat("k", 32)))
	sealed := k.Seal("state:", "eyJleHAiOjF9")
	if got, ok := k.Open("state:", sealed); !ok || got != "eyJleHAiOjF9" {
		t.Fatalf("Open(Seal) = %q, %v", got, ok)
	}
	tag := sealed[strings.LastIndexByte(sealed, '.')+1:]
	dotted := k.Seal("ticket:", "0123.1700000000")
	if got, ok := k.Open("ticket:", dotted); !ok || got != "0123.1700000000" {
		t.Errorf("a body with a dot: Open(Seal) = %q, %v", got, ok)
	}
	if got, ok := k.Open("ticket:", "0124"+dotted[4:]); ok {
		t.Errorf("a dotted body changed before its dot opens: %q", got)
	}
	for name, bad := range map[string]string{
		"empty":              "",
		"bare body":          "eyJleHAiOjF9",
		"no tag":             "eyJleHAiOjF9.",
		"another purpose":    k.Seal("class:", "eyJleHAiOjF9"),
		"another key":        New([]byte(strings.Repeat("o", 32))).Seal("state:", "eyJleHAiOjF9"),
		"another body":       "eyJleHAiOjJ9." + tag,
		"a zero tag":         "eyJleHAiOjF9.AAAAAAAAAAAAAAAAAAAAAA",
		"a longer tag":       sealed + "A",
		"a shorter tag":      sealed[:len(sealed)-1],
		"non-canonical tail": sealed[:len(sealed)-1] + string(sealed[len(sealed)-1]^1),
		"two dots":           "a.b." + tag,
	} {
		if got, ok := k.Open("state:", bad); ok {
			t.Errorf("%s: Open(%q) = %q, true", name, bad, got)
		}
	}
}

// Values sealed before this package keep verifying: session tokens (the
// same format: "reqlab session " and the id, 16 bytes) and the LTI tool's
// values (purpose, ":", body, the whole MAC).
func TestEarlierFormatsOpen(t *testing.T) {
	key := []byte(strings.Repeat("k", 32))
	mac := func(s string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(s))
		return h.Sum(nil)
	}
	id := "0123456789abcdef0123456789abcdef"
	session := id + "." + base64.RawURLEncoding.EncodeToString(mac("reqlab session " + id)[:16])
	if got, ok := New(key).Open("reqlab session ", session); !ok || got != id {
		t.Errorf("a session token issued before: Open = %q, %v", got, ok)
	}
	body := "eyJleHAiOjF9"
	lti := body + "." + base64.RawURLEncoding.EncodeToString(mac("class:"+body))
	if got, ok := New(key).Open("class:", lti); !ok || got != body {
		t.Errorf("an LTI class pass sealed before: Open = %q, %v", got, ok)
	}
	if _, ok := New(key).Open("state:", lti); ok {
		t.Error("an LTI value sealed before opens under another purpose")
	}
}
