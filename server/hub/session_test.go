package hub

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"reqlab/app/stage"
	"reqlab/server/session"
)

// A connection's session is one the server minted: a bare id is never taken
// and signed, whoever's it is, and neither is a token signed under another
// key; only a token the lab issued keeps its session.
func TestOnlyMintedSessions(t *testing.T) {
	sessions := session.New([]byte(strings.Repeat("k", 32)))
	h := &Hub{Sessions: sessions}
	victim, victimToken := sessions.New()
	other := session.New([]byte(strings.Repeat("o", 32)))
	for _, tt := range []struct {
		name, named string
		keeps       string // the session it must keep; "" for a new one
	}{
		{"its own token", victimToken, victim},
		{"nothing", "", ""},
		{"someone's bare id", victim, ""},
		{"a bare id of its own making", stage.NewRunID(), ""},
		{"a forged signature", victim + ".AAAAAAAAAAAAAAAAAAAAAA", ""},
		{"a token signed under another key", other.Issue(victim), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/ws?session="+url.QueryEscape(tt.named), nil)
			id, token, minted := h.sessionOf(r)
			if minted != (tt.keeps == "") {
				t.Errorf("minted %v, want %v", minted, tt.keeps == "")
			}
			if got, ok := sessions.Verify(token); !ok || got != id {
				t.Fatalf("the token handed out (%q) is not one the lab issued for %s", token, id)
			}
			switch {
			case tt.keeps != "" && id != tt.keeps:
				t.Errorf("session %s, want %s kept", id, tt.keeps)
			case tt.keeps == "" && (id == victim || id == tt.named || strings.HasPrefix(tt.named, id)):
				t.Errorf("naming %q gave session %s: a session the server did not mint", tt.named, id)
			}
		})
	}
	// Without an issuer, every connection is a new session too.
	bare := &Hub{}
	if id, _, _ := bare.sessionOf(httptest.NewRequest("GET", "/ws?session="+victim, nil)); id == victim {
		t.Error("a hub without an issuer took the id a client named")
	}
}

// A page may name its token as a subprotocol, keeping it out of the URL: the
// lab answers with its own protocol and keeps the session.
func TestSessionAsSubprotocol(t *testing.T) {
	h, srv := newTestHub(t)
	sessions := session.New([]byte(strings.Repeat("k", 32)))
	h.Sessions = sessions
	id, token := sessions.New()
	d := websocket.Dialer{Subprotocols: []string{Protocol, sessionProtocol + token}}
	ws, res, err := d.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if got := res.Header.Get("Sec-Websocket-Protocol"); got != Protocol {
		t.Errorf("the lab answered protocol %q, want %q", got, Protocol)
	}
	r := httptest.NewRequest("GET", "/ws", nil)
	r.Header.Set("Sec-Websocket-Protocol", Protocol+", "+sessionProtocol+token)
	if got, _, minted := h.sessionOf(r); got != id || minted {
		t.Errorf("a token offered as a subprotocol: session %s (minted %v), want %s", got, minted, id)
	}
	r.Header.Set("Sec-Websocket-Protocol", Protocol+", "+sessionProtocol+id)
	if got, _, minted := h.sessionOf(r); got == id || !minted {
		t.Errorf("a bare id offered as a subprotocol was taken")
	}
}
