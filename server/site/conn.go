package site

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// The receive stage starts when the first byte of a request arrives, which a
// handler cannot see: net/http calls it only once the headers are parsed. So
// the server's listener is wrapped: each connection notes the moment its
// first read returns bytes after the connection was new or idle, which is the
// first byte of the next request.

// Listen wraps l so that the sample site can time the arrival of requests. The
// server must also use ConnState and ConnContext.
func Listen(l net.Listener) net.Listener { return timedListener{l} }

type timedListener struct{ net.Listener }

func (l timedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &timedConn{Conn: c}
	tc.waiting.Store(true)
	return tc, nil
}

type timedConn struct {
	net.Conn
	waiting  atomic.Bool  // a new request is due: the next bytes read begin it
	first    atomic.Int64 // unix nanoseconds of the current request's first byte
	requests atomic.Int64 // the requests begun on this connection, the current one included
}

func (c *timedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && c.waiting.CompareAndSwap(true, false) {
		c.first.Store(time.Now().UnixNano())
		c.requests.Add(1)
	}
	return n, err
}

// timed finds the timedConn under c, which TLS may wrap.
func timed(c net.Conn) *timedConn {
	for c != nil {
		switch v := c.(type) {
		case *timedConn:
			return v
		case interface{ NetConn() net.Conn }:
			c = v.NetConn()
		default:
			return nil
		}
	}
	return nil
}

type connKey struct{}

// ConnContext is for http.Server.ConnContext: it lets a request find its
// connection's clock.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	if tc := timed(c); tc != nil {
		return context.WithValue(ctx, connKey{}, tc)
	}
	return ctx
}

// ConnState is for http.Server.ConnState: once a request is answered, the
// next bytes on the connection begin a new one.
func ConnState(c net.Conn, s http.ConnState) {
	if s == http.StateIdle {
		if tc := timed(c); tc != nil {
			tc.waiting.Store(true)
		}
	}
}

// connection describes the connection a request came on, as the server sees
// it: its own address and port (the one the browser reached), the browser's
// port, and which request on the connection this is (1 for a new one; 0
// where the server was not set up with these hooks).
func connection(r *http.Request) (server string, clientPort, nth int) {
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		server = a.String()
	}
	if _, port, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		clientPort, _ = strconv.Atoi(port)
	}
	if tc, ok := r.Context().Value(connKey{}).(*timedConn); ok {
		nth = int(tc.requests.Load())
	}
	return server, clientPort, nth
}

// arrival returns when the request's first byte arrived, and false where the
// server was not set up with these hooks.
func arrival(r *http.Request) (time.Time, bool) {
	tc, ok := r.Context().Value(connKey{}).(*timedConn)
	if !ok {
		return time.Time{}, false
	}
	ns := tc.first.Load()
	if ns == 0 {
		return time.Time{}, false
	}
	return time.Unix(0, ns), true
}
