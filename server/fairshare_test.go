package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// One address cannot take the lab (issue 24, point 5): a flood of
// websockets from one address meets the per-address cap (256) and gets 429,
// while a class of 40 behind another address, two tabs each, all connect;
// a script minting sessions from one address gets 120 at once and then
// 429 with the time to wait, while the class behind its own address gets
// its 40.
func TestOneAddressCannotTakeTheLab(t *testing.T) {
	l := startLab(t, map[string]string{"REQLAB_TRUSTED_PROXIES": "127.0.0.1"})
	wsURL := "ws" + strings.TrimPrefix(l.url, "http") + "/ws"
	dial := func(from, token string) (*websocket.Conn, int) {
		t.Helper()
		url := wsURL
		if token != "" {
			url += "?session=" + token
		}
		ws, res, err := websocket.DefaultDialer.Dial(url, http.Header{"Origin": {l.url}, "X-Forwarded-For": {from}})
		if err != nil {
			if res == nil {
				t.Fatalf("dial from %s: %v", from, err)
			}
			if res.StatusCode == http.StatusTooManyRequests && res.Header.Get("Retry-After") == "" {
				t.Errorf("429 without Retry-After")
			}
			return nil, res.StatusCode
		}
		t.Cleanup(func() { ws.Close() })
		var hello struct{ Session string }
		if err := ws.ReadJSON(&hello); err != nil {
			t.Fatal(err)
		}
		return ws, http.StatusSwitchingProtocols
	}
	// The flood: one session's token, named by 300 websockets.
	flooder := dialLab(t, l).hello.Session // a token, so that the flood mints nothing
	open, refused := 0, 0
	for i := 0; i < 300; i++ {
		switch _, code := dial("203.0.113.9", flooder); code {
		case http.StatusSwitchingProtocols:
			open++
		case http.StatusTooManyRequests:
			refused++
		default:
			t.Fatalf("the flood's websocket %d: %d", i, code)
		}
	}
	t.Logf("a flood of 300 websockets from one address: %d open, %d refused", open, refused)
	if open > 256 || refused < 300-256 {
		t.Errorf("a flood of 300 from one address: %d open, want 256 at most", open)
	}
	// The class, behind its school's address, meanwhile.
	for i := 0; i < 80; i++ {
		if _, code := dial("198.51.100.7", ""); code != http.StatusSwitchingProtocols {
			t.Fatalf("a student's tab %d behind the school's address: %d", i+1, code)
		}
	}

	// The script minting sessions: no token, from one address.
	minted, refused := 0, 0
	for i := 0; i < 200; i++ {
		ws, code := dial("192.0.2.66", "")
		switch code {
		case http.StatusSwitchingProtocols:
			minted++
			ws.Close()
		case http.StatusTooManyRequests:
			refused++
		}
	}
	t.Logf("200 new sessions asked at once from one address: %d minted, %d refused", minted, refused)
	if minted < 100 || minted > 125 || refused < 75 {
		t.Errorf("200 new sessions at once from one address: %d minted, want 120 or about", minted)
	}
	// A student already holding a token is not held back by the minting.
	if _, code := dial("192.0.2.66", flooder); code != http.StatusSwitchingProtocols {
		t.Errorf("a session the lab issued, from the minting address: %d", code)
	}
}
