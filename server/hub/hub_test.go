package hub

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// echo answers "follow:RUN" by following RUN and everything else by echoing.
type echo struct{ hub *Hub }

func (e *echo) Hello(*Conn) []byte { return []byte("hello") }

func (e *echo) HandleMessage(ctx context.Context, c *Conn, msg []byte) {
	if n, ok := strings.CutPrefix(string(msg), "catch-up:"); ok {
		count, _ := strconv.Atoi(n)
		msgs := make([][]byte, count)
		for i := range msgs {
			msgs[i] = []byte("event " + strconv.Itoa(i+1))
		}
		c.SendPaced(ctx, msgs)
		return
	}
	if n, ok := strings.CutPrefix(string(msg), "catch-up-16k:"); ok {
		count, _ := strconv.Atoi(n)
		msgs := make([][]byte, count)
		for i := range msgs {
			msgs[i] = []byte(strconv.Itoa(i+1) + " " + strings.Repeat("x", 16<<10))
		}
		c.SendPaced(ctx, msgs)
		return
	}
	if run, ok := strings.CutPrefix(string(msg), "follow:"); ok {
		e.hub.Follow(c, run)
		c.Send([]byte("following " + run))
		return
	}
	c.Send(msg)
}

func newTestHub(t *testing.T) (*Hub, *httptest.Server) {
	t.Helper()
	e := &echo{}
	h := New(slog.New(slog.NewTextHandler(io.Discard, nil)), e, 1024)
	e.hub = h
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.Shutdown(ctx)
		srv.Close()
	})
	return h, srv
}

func dial(t *testing.T, srv *httptest.Server, origin string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	hdr := http.Header{}
	if origin != "" {
		hdr.Set("Origin", origin)
	}
	ws, res, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), hdr)
	if ws != nil {
		t.Cleanup(func() { ws.Close() })
	}
	return ws, res, err
}

func read(t *testing.T, ws *websocket.Conn) string {
	t.Helper()
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, msg, err := ws.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(msg)
}

func TestOriginCheck(t *testing.T) {
	_, srv := newTestHub(t)
	same := srv.URL // http://127.0.0.1:port
	tests := []struct {
		origin string
		status int
	}{
		{"", http.StatusSwitchingProtocols},
		{same, http.StatusSwitchingProtocols},
		{"http://evil.example", http.StatusForbidden},
		{"null", http.StatusForbidden},
		{strings.Replace(same, "127.0.0.1", "localhost", 1), http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.origin, func(t *testing.T) {
			_, res, _ := dial(t, srv, tt.origin)
			if res == nil || res.StatusCode != tt.status {
				t.Errorf("status %v, want %d", res, tt.status)
			}
		})
	}
}

func TestPublishReachesFollowersOnly(t *testing.T) {
	h, srv := newTestHub(t)
	a, _, err := dial(t, srv, "")
	if err != nil {
		t.Fatal(err)
	}
	b, _, _ := dial(t, srv, "")
	read(t, a) // hello
	read(t, b)
	a.WriteMessage(websocket.TextMessage, []byte("follow:r1"))
	b.WriteMessage(websocket.TextMessage, []byte("follow:r2"))
	read(t, a)
	read(t, b)

	h.Publish("r1", []byte("event for r1"))
	h.Publish("r2", []byte("event for r2"))
	if got := read(t, a); got != "event for r1" {
		t.Errorf("a got %q", got)
	}
	if got := read(t, b); got != "event for r2" {
		t.Errorf("b got %q", got)
	}
}

func TestSlowClientIsDroppedWithoutStallingOthers(t *testing.T) {
	h, srv := newTestHub(t)
	slow, _, _ := dial(t, srv, "")
	fast, _, _ := dial(t, srv, "")
	read(t, slow)
	read(t, fast)
	slow.WriteMessage(websocket.TextMessage, []byte("follow:r"))
	fast.WriteMessage(websocket.TextMessage, []byte("follow:r"))
	read(t, slow)
	read(t, fast)

	// slow never reads again; fast reads everything, and the publisher
	// keeps pace with fast (never more than 16 messages, 128 KB, ahead of
	// it: what the server holds for it, a batch being written and those
	// queued behind it, stays within sendBufferBytes), as events keep pace
	// with a live class. Publish must never wait for slow:
	// if it did, fast would starve and this would hang.
	const n = 3000 // 24 MB: more than the socket buffers between them hold
	var received atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for received.Load() < n {
			fast.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, _, err := fast.ReadMessage(); err != nil {
				return
			}
			received.Add(1)
		}
	}()
	msg := []byte(strings.Repeat("x", 8<<10))
	for i := int64(0); i < n; i++ {
		for i-received.Load() > 16 {
			select {
			case <-done:
				t.Fatalf("the fast client stopped after %d messages", received.Load())
			case <-time.After(time.Millisecond):
			}
		}
		h.Publish("r", msg)
	}
	<-done
	if got := received.Load(); got != n {
		t.Errorf("the fast client got %d of %d messages", got, n)
	}
	deadline := time.Now().Add(10 * time.Second)
	for h.Len() != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if h.Len() != 1 {
		t.Errorf("%d connections open, want the slow one dropped", h.Len())
	}
}

func TestMessagePastTheReadLimitCloses1009(t *testing.T) {
	_, srv := newTestHub(t)
	ws, _, _ := dial(t, srv, "")
	read(t, ws)
	ws.WriteMessage(websocket.TextMessage, []byte(strings.Repeat("x", 2048)))
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err := ws.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseMessageTooBig {
		t.Fatalf("read after a too-big message: %v, want close 1009", err)
	}
}

func TestShutdownClosesClientsWithACloseFrame(t *testing.T) {
	h, srv := newTestHub(t)
	ws, _, _ := dial(t, srv, "")
	read(t, ws)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.Shutdown(ctx) }()
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err := ws.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
		t.Fatalf("read during shutdown: %v, want close 1001", err)
	}
	ws.Close()
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if late, _, err := dial(t, srv, ""); err == nil {
		late.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, _, err := late.ReadMessage(); !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
			t.Errorf("a connection after shutdown was served: %v", err)
		}
	}
}

// A client that answers pings stays; one that falls silent (no message, no
// pong) is closed once the idle time passes.
func TestPingsKeepLiveClientsAndIdleOnesAreClosed(t *testing.T) {
	e := &echo{}
	h := newHub(slog.New(slog.NewTextHandler(io.Discard, nil)), e, 1024, 400*time.Millisecond)
	e.hub = h
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer h.Shutdown(context.Background())

	live, _, _ := dial(t, srv, "")
	silent, _, _ := dial(t, srv, "")
	read(t, live)
	read(t, silent)
	silent.SetPingHandler(func(string) error { return nil }) // never answers
	pings := make(chan struct{}, 10)
	live.SetPingHandler(func(data string) error {
		pings <- struct{}{}
		return live.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	// Each client reads, so that control frames are handled.
	go func() {
		for {
			if _, _, err := live.ReadMessage(); err != nil {
				return
			}
		}
	}()
	silentErr := make(chan error, 1)
	go func() {
		for {
			if _, _, err := silent.ReadMessage(); err != nil {
				silentErr <- err
				return
			}
		}
	}()
	select {
	case err := <-silentErr:
		t.Logf("the silent client was closed: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("a silent client was kept past its idle time")
	}
	if len(pings) == 0 {
		t.Error("the live client got no ping")
	}
	time.Sleep(500 * time.Millisecond)
	if h.Len() != 1 {
		t.Errorf("%d connections open, want the live one only", h.Len())
	}
}

// A catch-up four times the queue is paced to the reader: it gets every
// message, in order, and is not cut off for it.
func TestCatchUpIsPacedToTheReader(t *testing.T) {
	_, srv := newTestHub(t)
	ws, _, err := dial(t, srv, "")
	if err != nil {
		t.Fatal(err)
	}
	read(t, ws) // hello
	n := 4 * sendBuffer
	ws.WriteMessage(websocket.TextMessage, []byte("catch-up:"+strconv.Itoa(n)))
	for i := 1; i <= n; i++ {
		if i%100 == 0 {
			time.Sleep(5 * time.Millisecond) // a reader that is not instant
		}
		if got, want := read(t, ws), "event "+strconv.Itoa(i); got != want {
			t.Fatalf("message %d: %q, want %q", i, got, want)
		}
	}
}
