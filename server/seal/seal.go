// Package seal is the lab's one format for values it hands out signed and
// takes back: a session token (server/session), and the LTI tool's login
// state, a teacher's pick of lessons and a teacher's class pass
// (server/lti). A sealed value is its body, a dot, and the base64url of the
// first 16 bytes (128 bits) of HMAC-SHA-256, under the lab's key, of the
// value's purpose followed by its body: a value sealed for one purpose is
// never taken for another's.
package seal

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// tagLen is the bytes of the MAC a sealed value carries.
const tagLen = 16

// Key seals and opens values under one secret key.
type Key struct{ key []byte }

// New returns a Key for key (32 bytes or more, kept by the lab's store).
func New(key []byte) Key { return Key{key: key} }

// Seal signs body for purpose. The body may hold dots of its own (the tag,
// in base64url, never does: the last dot starts it). A purpose ends with a
// separator of its own (" " or ":"), so that no purpose and body run into
// another's.
func (k Key) Seal(purpose, body string) string {
	return body + "." + base64.RawURLEncoding.EncodeToString(k.mac(purpose, body)[:tagLen])
}

// Open returns the body of a value sealed for purpose under k, and false for
// anything else. A tag of the whole MAC (32 bytes) is taken too: the LTI
// tool's values sealed before this format carried it, and a teacher's class
// pass lives 12 hours.
func (k Key) Open(purpose, sealed string) (string, bool) {
	dot := strings.LastIndexByte(sealed, '.')
	if dot < 0 {
		return "", false
	}
	body, tag := sealed[:dot], sealed[dot+1:]
	got, err := base64.RawURLEncoding.Strict().DecodeString(tag)
	if err != nil || len(got) != tagLen && len(got) != sha256.Size {
		return "", false
	}
	if !hmac.Equal(got, k.mac(purpose, body)[:len(got)]) {
		return "", false
	}
	return body, true
}

func (k Key) mac(purpose, body string) []byte {
	h := hmac.New(sha256.New, k.key)
	h.Write([]byte(purpose))
	h.Write([]byte(body))
	return h.Sum(nil)
}
