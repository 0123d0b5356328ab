// Package session issues the lab's sessions. A session is a browser's: its
// history and its sample data are the session's, and the limits count per
// session. The server issues it, signed, so that a client cannot name
// sessions of its own making (to pose as many, and pass the per-session
// limits) nor someone else's by guessing: a token is the session's id (32
// hex digits) and an HMAC-SHA-256 of it under the lab's key, which is made
// once and kept in the store, so every server of the lab knows it.
package session

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"reqlab/app/stage"
)

// sigLen is the bytes of the MAC kept: 128 bits.
const sigLen = 16

// Issuer signs and checks session tokens.
type Issuer struct{ key []byte }

// New returns an issuer with key (32 bytes or more).
func New(key []byte) *Issuer { return &Issuer{key: key} }

// Issue returns a token for session id.
func (i *Issuer) Issue(id string) string {
	return id + "." + base64.RawURLEncoding.EncodeToString(i.mac(id))
}

// New issues a token for a new session.
func (i *Issuer) New() (id, token string) {
	id = stage.NewRunID()
	return id, i.Issue(id)
}

// Verify returns the session id of a token the lab issued, and false for
// anything else.
func (i *Issuer) Verify(token string) (string, bool) {
	id, sig, ok := strings.Cut(token, ".")
	if !ok || !stage.ValidRunID(id) || len(sig) != base64.RawURLEncoding.EncodedLen(sigLen) {
		return "", false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, i.mac(id)) {
		return "", false
	}
	return id, true
}

func (i *Issuer) mac(id string) []byte {
	h := hmac.New(sha256.New, i.key)
	h.Write([]byte("reqlab session " + id))
	return h.Sum(nil)[:sigLen]
}
