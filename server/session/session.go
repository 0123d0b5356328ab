// Package session issues the lab's sessions. A session is a browser's: its
// history and its sample data are the session's, and the limits count per
// session. The server issues it, signed, so that a client cannot name
// sessions of its own making (to pose as many, and pass the per-session
// limits) nor someone else's by guessing: a token is the session's id (32
// hex digits) sealed (server/seal) under the lab's key, which is made once
// and kept in the store, so every server of the lab knows it.
package session

import (
	"reqlab/app/stage"
	"reqlab/server/seal"
)

// purpose is what a session token is sealed for. The tokens issued before
// package seal were this format already: they still verify.
const purpose = "reqlab session "

// Issuer signs and checks session tokens.
type Issuer struct{ key seal.Key }

// New returns an issuer with key (32 bytes or more).
func New(key []byte) *Issuer { return &Issuer{key: seal.New(key)} }

// Issue returns a token for session id.
func (i *Issuer) Issue(id string) string { return i.key.Seal(purpose, id) }

// New issues a token for a new session.
func (i *Issuer) New() (id, token string) {
	id = stage.NewRunID()
	return id, i.Issue(id)
}

// Verify returns the session id of a token the lab issued, and false for
// anything else.
func (i *Issuer) Verify(token string) (string, bool) {
	id, ok := i.key.Open(purpose, token)
	if !ok || !stage.ValidRunID(id) {
		return "", false
	}
	return id, true
}
