package hub

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"
)

// Conn is one client's websocket. It has one reader goroutine for its whole
// life; a writer goroutine runs only while there are messages to send, so an
// idle connection holds one goroutine and no write buffer. Pings come from
// the hub's one ticker, as control frames, which may be written beside a
// message.
type Conn struct {
	hub *Hub
	ws  *websocket.Conn
	out *batchConn // under ws: the writer sends a batch of frames at once

	mu      sync.Mutex
	queue   [][]byte // messages waiting, at most sendBuffer
	held    int      // the bytes of the messages queued or being written, at most sendBufferBytes
	writing bool     // a writer goroutine is draining queue: the only writer of messages
	closed  bool

	catchUp *rate.Limiter // the bytes sent at the client's asking (SendPaced)
	pings   *rate.Limiter // the client's pings answered

	runs     map[string]struct{} // guarded by hub.mu
	followed []string            // runs, in the order followed; guarded by hub.mu
	session  string
	token    string // the session's token, as issued to the client
	addr     string // the client's address, without its port
}

// Token returns the token of the connection's session, for the client to
// keep and name in its requests.
func (c *Conn) Token() string { return c.token }

// Session returns the lab session the connection belongs to.
func (c *Conn) Session() string { return c.session }

// Addr returns the client's address (without its port).
func (c *Conn) Addr() string { return c.addr }

// Send queues msg for the client. A client that lets sendBuffer messages, or
// sendBufferBytes, pile up is too slow: it is cut off, and Send reports
// false.
func (c *Conn) Send(msg []byte) bool {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false
	}
	if len(c.queue) >= sendBuffer || c.held > 0 && c.held+len(msg) > sendBufferBytes {
		c.mu.Unlock()
		// Its socket is full too, so no close frame would get through, and
		// the writer may be stuck in a write: cut the connection now.
		c.cut()
		return false
	}
	c.queue = append(c.queue, msg)
	c.held += len(msg)
	start := !c.writing
	c.writing = true
	c.mu.Unlock()
	if start {
		go c.write()
	}
	return true
}

// SendPaced queues msgs for the client a share of the queue at a time,
// waiting while the client reads what is queued: a catch-up on a long run
// must not cut off the very subscriber it is for. What it sends is metered
// too, catchUpRate bytes a second: it is sent because the client asked, and
// asking costs the client little. It gives up when ctx ends or the
// connection closes, and reports whether all were queued.
func (c *Conn) SendPaced(ctx context.Context, msgs [][]byte) bool {
	for _, m := range msgs {
		if err := c.catchUp.WaitN(ctx, min(len(m), catchUpBurst)); err != nil {
			return false
		}
		for {
			c.mu.Lock()
			n, held, closed := len(c.queue), c.held, c.closed
			c.mu.Unlock()
			if closed {
				return false
			}
			if n < sendBuffer/2 && held < sendBufferBytes/2 {
				break
			}
			select {
			case <-ctx.Done():
				return false
			case <-time.After(5 * time.Millisecond):
			}
		}
		if !c.Send(m) {
			return false
		}
	}
	return true
}

// write sends what is queued until the queue is empty, then ends.
func (c *Conn) write() {
	for {
		c.mu.Lock()
		batch := c.queue
		c.queue = nil
		if len(batch) == 0 || c.closed {
			c.writing = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		err := c.send(batch)
		c.mu.Lock()
		for _, m := range batch {
			c.held -= len(m)
		}
		if err != nil {
			c.writing = false
		}
		c.mu.Unlock()
		if err != nil {
			c.cut()
			return
		}
	}
}

// send writes a batch of messages, their frames in one write.
func (c *Conn) send(batch [][]byte) error {
	c.out.hold()
	c.ws.SetWriteDeadline(time.Now().Add(writeWait))
	for _, msg := range batch {
		if err := c.ws.WriteMessage(websocket.TextMessage, msg); err != nil {
			c.out.flush()
			return err
		}
	}
	return c.out.flush()
}

// ping sends a ping; a connection that cannot take one is cut.
func (c *Conn) ping() {
	if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)); err != nil {
		c.cut()
	}
}

// Close ends the connection politely: a close frame with code and text,
// then the socket closes. What was still queued is dropped.
func (c *Conn) Close(code int, text string) {
	if !c.markClosed() {
		return
	}
	c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(time.Second))
	c.ws.Close()
}

// cut ends the connection at once, with no close frame.
func (c *Conn) cut() {
	if c.markClosed() {
		c.out.drop()
	}
}

func (c *Conn) markClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.closed, c.queue, c.held = true, nil, 0
	return true
}

// readPump reads messages until the connection fails or closes, and hands
// each to the handler.
func (c *Conn) readPump(ctx context.Context) {
	defer func() {
		c.Close(websocket.CloseNormalClosure, "")
		c.hub.remove(c)
	}()
	c.ws.SetReadLimit(c.hub.readMax)
	c.ws.SetReadDeadline(time.Now().Add(c.hub.pongWait))
	c.ws.SetPongHandler(func(string) error {
		return c.ws.SetReadDeadline(time.Now().Add(c.hub.pongWait))
	})
	// A client's pings are answered as gorilla would, within pings; past
	// it they go unanswered (each answer is a write of the server's).
	c.ws.SetPingHandler(func(data string) error {
		if !c.pings.Allow() {
			return nil
		}
		err := c.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(writeWait))
		if err == websocket.ErrCloseSent {
			return nil
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil
		}
		return err
	})
	for {
		kind, msg, err := c.ws.ReadMessage()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				c.Close(websocket.CloseMessageTooBig, "message too big")
			}
			return
		}
		c.ws.SetReadDeadline(time.Now().Add(c.hub.pongWait))
		if kind != websocket.TextMessage {
			continue
		}
		c.hub.handler.HandleMessage(ctx, c, msg)
	}
}
