package hub

import (
	"bufio"
	"net"
	"net/http"
	"sync"
)

// A run's events come in bursts (the server's four stages at once, then the
// browser's ten), and a write to the socket per event is most of what
// delivering them costs: a system call each, on both sides. batchConn lets a
// connection's writer hold the frames gorilla writes and send them in one
// write when its batch is done.

// batchConn is the connection under a websocket.
type batchConn struct {
	net.Conn
	mu      sync.Mutex
	holding bool
	held    []byte
}

// hold starts keeping what is written, until flush.
func (c *batchConn) hold() {
	c.mu.Lock()
	c.holding = true
	c.mu.Unlock()
}

// flush writes what was held, in one write, and stops holding.
func (c *batchConn) flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.holding = false
	if len(c.held) == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.held)
	c.held = nil // an idle connection keeps no buffer
	return err
}

func (c *batchConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.holding {
		c.held = append(c.held, p...)
		c.mu.Unlock()
		return len(p), nil
	}
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// Close sends what is held (a close frame may be among it), then closes.
func (c *batchConn) Close() error {
	c.flush()
	return c.Conn.Close()
}

// drop closes the connection at once, sending nothing more: its client
// takes nothing, so a write could only wait. Closing first also ends a
// write stuck in flush.
func (c *batchConn) drop() {
	c.Conn.Close()
	c.mu.Lock()
	c.holding, c.held = false, nil
	c.mu.Unlock()
}

// hijacker gives the upgrader a batchConn in place of the raw connection.
type hijacker struct {
	http.ResponseWriter
	conn *batchConn
}

func (h *hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.conn = &batchConn{Conn: c}
	return h.conn, rw, nil
}
