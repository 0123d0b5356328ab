package main

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"reqlab/app/stage"
	"reqlab/app/wire"
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

// A classmate with forty sessions of their own, sending runs as fast as the
// lab takes them from the class's one address, does not take the class's
// runs (issue 24, point 5): the students, at a run each 2 s, keep at least
// 99 % of theirs.
func TestAClassKeepsItsRunsBesideAFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("half a minute of load")
	}
	l := startLab(t, map[string]string{"REQLAB_TRUSTED_PROXIES": "127.0.0.1"})
	const school = "198.51.100.20"
	wsURL := "ws" + strings.TrimPrefix(l.url, "http") + "/ws"
	dial := func() *socket {
		ws, _, err := websocket.DefaultDialer.Dial(wsURL, http.Header{"Origin": {l.url}, "X-Forwarded-For": {school}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ws.Close() })
		s := &socket{t: t, ws: ws}
		s.hello = s.read()
		return s
	}
	start := func(s *socket, ref int64) bool {
		s.send(wire.Message{Type: wire.Start, Ref: ref, Request: &stage.Request{Method: "GET", URL: "/site/api/cursos"}})
		m := s.reply()
		return m.Type == wire.Started
	}
	students := make([]*socket, 10)
	for i := range students {
		students[i] = dial()
		if !start(students[i], 1) { // the class arrives, and begins
			t.Fatal("a student's first run refused")
		}
	}
	time.Sleep(11 * time.Second) // the class has been at work a while

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var flood atomic.Int64
	for a := 0; a < 40; a++ {
		abuser := dial()
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Messages written from here, replies read there: as fast as
			// the lab answers.
			go func() {
				for ref := int64(1); ; ref++ {
					select {
					case <-stop:
						return
					default:
					}
					if abuser.ws.WriteJSON(wire.Message{Type: wire.Start, Ref: ref, Request: &stage.Request{Method: "GET", URL: "/site/api/cursos"}}) != nil {
						return
					}
					time.Sleep(5 * time.Millisecond)
				}
			}()
			for {
				abuser.ws.SetReadDeadline(time.Now().Add(2 * time.Second))
				var m wire.Message
				if abuser.ws.ReadJSON(&m) != nil {
					return
				}
				if m.Type == wire.Started {
					flood.Add(1)
				}
				select {
				case <-stop:
					return
				default:
				}
			}
		}()
	}
	time.Sleep(time.Second) // the flood has emptied the address's bucket
	tried, kept := 0, 0
	for round := 0; round < 6; round++ {
		for i, s := range students {
			tried++
			if start(s, int64(10+round*10+i)) {
				kept++
			}
		}
		time.Sleep(2 * time.Second)
	}
	close(stop)
	wg.Wait()
	t.Logf("the class kept %d of %d runs beside a flood of 40 sessions from its address, which started %d runs in %d s", kept, tried, flood.Load(), 13)
	if float64(kept) < 0.99*float64(tried) {
		t.Errorf("the class kept %d of %d runs beside the flood, want 99 %% at least", kept, tried)
	}
}
