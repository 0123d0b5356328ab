package browser

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Socket is the browser's WebSocket to the lab, kept open: when it drops it
// dials again with growing pauses, and what is sent while it is down waits in
// an outbox.
type Socket struct {
	url       func() string
	protocols func() []string
	onMessage func([]byte)
	onState   func(open bool)

	mu      sync.Mutex
	ws      app.Value
	funcs   []app.Func
	open    bool
	closed  bool
	attempt int
	outbox  [][]byte
}

// maxOutbox bounds what waits for the socket to come back.
const maxOutbox = 256

// Dial opens a socket to the URL url returns, offering the subprotocols
// protocols returns, both asked again at every reconnection (they may name
// what the page learned since). onMessage gets each text message; onState is
// told each time the socket opens or drops. Both run on the page's event
// loop: they must not block.
func Dial(url func() string, protocols func() []string, onMessage func([]byte), onState func(open bool)) *Socket {
	s := &Socket{url: url, protocols: protocols, onMessage: onMessage, onState: onState}
	s.connect()
	return s
}

// SocketURL returns the ws:// or wss:// URL of path on the page's own host.
func SocketURL(path string) string {
	loc := app.Window().Get("location")
	scheme := "ws://"
	if loc.Get("protocol").String() == "https:" {
		scheme = "wss://"
	}
	return scheme + loc.Get("host").String() + path
}

func (s *Socket) connect() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	var protocols []any
	for _, p := range s.protocols() {
		protocols = append(protocols, p)
	}
	ws := app.Window().Get("WebSocket").New(s.url(), protocols)
	var funcs []app.Func
	on := func(event string, fn func(args []app.Value)) {
		f := app.FuncOf(func(this app.Value, args []app.Value) any {
			fn(args)
			return nil
		})
		funcs = append(funcs, f)
		ws.Set(event, f)
	}
	on("onopen", func([]app.Value) { s.opened() })
	on("onmessage", func(args []app.Value) {
		if len(args) > 0 {
			if data := args[0].Get("data"); data.Type() == app.TypeString {
				s.onMessage([]byte(data.String()))
			}
		}
	})
	on("onclose", func([]app.Value) { s.dropped(ws) })
	s.ws, s.funcs = ws, funcs
}

func (s *Socket) opened() {
	s.mu.Lock()
	s.open, s.attempt = true, 0
	pending := s.outbox
	s.outbox = nil
	for _, msg := range pending {
		s.ws.Call("send", string(msg))
	}
	s.mu.Unlock()
	s.onState(true)
}

func (s *Socket) dropped(ws app.Value) {
	s.mu.Lock()
	if !s.ws.Equal(ws) {
		s.mu.Unlock()
		return
	}
	s.open = false
	for _, f := range s.funcs {
		defer f.Release() // after this callback returns: it is one of them
	}
	s.funcs = nil
	closed := s.closed
	s.attempt++
	// 0.25 s, 0.5 s, 1 s … up to 8 s, each with some jitter so that a
	// whole class does not come back at the same instant.
	wait := time.Duration(250<<min(s.attempt-1, 5)) * time.Millisecond
	wait += time.Duration(rand.Int64N(int64(wait / 2)))
	s.mu.Unlock()

	s.onState(false)
	if !closed {
		time.AfterFunc(wait, s.connect)
	}
}

// Send sends msg now if the socket is open, or once it opens again.
func (s *Socket) Send(msg []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open {
		s.ws.Call("send", string(msg))
		return
	}
	if len(s.outbox) < maxOutbox {
		s.outbox = append(s.outbox, msg)
	}
}

// Close closes the socket for good.
func (s *Socket) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.ws != nil {
		s.ws.Call("close", 1000)
	}
}
