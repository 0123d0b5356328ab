package hub

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// smallBuffers makes a listener whose connections have small kernel send
// buffers, and a dialer whose connections read into small ones: what a
// client does not read then piles up where the server's memory is, as it
// would across a real network once the buffers between are full.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(8 << 10)
	}
	return c, err
}

var smallDialer = &websocket.Dialer{NetDial: func(network, addr string) (net.Conn, error) {
	c, err := net.Dial(network, addr)
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetReadBuffer(4 << 10)
	}
	return c, err
}}

// Clients that never read are cut off before they hold more than
// sendBufferBytes each of the server's memory (issue 24, point 6): 200 of
// them, each sent distinct 16 KB messages until cut, hold the server's heap
// well under 300 MB.
func TestNonReadingClientsHoldBoundedMemory(t *testing.T) {
	e := &echo{}
	h := New(slog.New(slog.NewTextHandler(io.Discard, nil)), e, 1024)
	e.hub = h
	srv := httptest.NewUnstartedServer(h)
	srv.Listener = smallBuffers{srv.Listener}
	srv.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.Shutdown(ctx)
		srv.Close()
	})
	const clients = 200
	for i := 0; i < clients; i++ {
		ws, _, err := smallDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ws.Close() })
		read(t, ws)
		ws.WriteMessage(websocket.TextMessage, []byte("follow:r"+strconv.Itoa(i)))
		read(t, ws)
		// and never reads again
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	var peak uint64
	var mu sync.Mutex
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			mu.Lock()
			peak = max(peak, m.HeapInuse)
			mu.Unlock()
		}
	}()
	sent := 0
	deadline := time.Now().Add(60 * time.Second)
	for h.Len() > 0 && time.Now().Before(deadline) {
		for i := 0; i < clients; i++ {
			msg := []byte(fmt.Sprintf("%d %s", sent, strings.Repeat("x", 16<<10))) // each its own
			h.Publish("r"+strconv.Itoa(i), msg)
			sent++
		}
	}
	close(stop)
	<-sampled
	if n := h.Len(); n > 0 {
		t.Fatalf("%d of %d clients that never read still connected after %d messages", n, clients, sent)
	}
	grew := int64(peak) - int64(before.HeapInuse)
	t.Logf("%d non-reading clients cut after %d messages of 16 KB (%d MB); the heap grew by %d MB at most", clients, sent, sent>>6, grew>>20)
	if grew > 300<<20 {
		t.Errorf("the heap grew by %d MB with %d non-reading clients, want at most 300 MB", grew>>20, clients)
	}
	if per := grew / clients; per > 3*sendBufferBytes {
		t.Errorf("each non-reading client held %d KB, want about sendBufferBytes (%d KB)", per>>10, sendBufferBytes>>10)
	}
}

// What a client is sent at its own asking is metered: a catch-up of 1 MB
// takes its time, at catchUpRate past a burst, however fast the client
// reads, and it all arrives.
func TestCatchUpBytesAreMetered(t *testing.T) {
	_, srv := newTestHub(t)
	ws, _, _ := dial(t, srv, "")
	read(t, ws)
	const n = 64 // of 16 KB: 1 MB
	start := time.Now()
	ws.WriteMessage(websocket.TextMessage, []byte("catch-up-16k:"+strconv.Itoa(n)))
	for i := 1; i <= n; i++ {
		if got := read(t, ws); !strings.HasPrefix(got, strconv.Itoa(i)+" ") {
			t.Fatalf("message %d: %.20q", i, got)
		}
	}
	took := time.Since(start)
	want := time.Duration(float64(n*(16<<10)-catchUpBurst) / catchUpRate * float64(time.Second))
	t.Logf("1 MB of catch-up took %v (metered at %d KB/s past %d KB)", took.Round(time.Millisecond), catchUpRate>>10, catchUpBurst>>10)
	if took < want*9/10 {
		t.Errorf("1 MB of catch-up took %v, want at least %v", took, want)
	}
}

// A connection follows maxFollowed runs at most: following more lets go of
// the first it followed.
func TestFollowsAreBounded(t *testing.T) {
	h, srv := newTestHub(t)
	ws, _, _ := dial(t, srv, "")
	read(t, ws)
	for i := 0; i < maxFollowed+10; i++ {
		ws.WriteMessage(websocket.TextMessage, []byte("follow:r"+strconv.Itoa(i)))
		read(t, ws)
	}
	if h.Following("r0") || h.Following("r9") || !h.Following("r10") || !h.Following("r"+strconv.Itoa(maxFollowed+9)) {
		t.Errorf("following r0 %v, r9 %v, r10 %v: want the first ten let go", h.Following("r0"), h.Following("r9"), h.Following("r10"))
	}
	h.Publish("r0", []byte("to r0"))
	h.Publish("r10", []byte("to r10"))
	if got := read(t, ws); got != "to r10" {
		t.Errorf("got %q, want only what r10 published", got)
	}
}

// A client's pings are answered within a budget, and no further: 50 pings
// at once get pingBurst pongs, or about.
func TestPingsAreMetered(t *testing.T) {
	_, srv := newTestHub(t)
	ws, _, _ := dial(t, srv, "")
	read(t, ws)
	var pongs int
	var mu sync.Mutex
	ws.SetPongHandler(func(string) error { mu.Lock(); pongs++; mu.Unlock(); return nil })
	for i := 0; i < 50; i++ {
		ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(time.Second))
	}
	ws.WriteMessage(websocket.TextMessage, []byte("after the pings"))
	if got := read(t, ws); got != "after the pings" { // pongs are handled while reading
		t.Fatalf("got %q", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if pongs < 1 || pongs > pingBurst+2 {
		t.Errorf("50 pings at once got %d pongs, want %d or about", pongs, pingBurst)
	}
}
