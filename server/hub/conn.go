package hub

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Conn is one client's websocket.
type Conn struct {
	hub  *Hub
	ws   *websocket.Conn
	send chan []byte   // never closed: done says the connection is over
	done chan struct{} // closed once, by Close
	once sync.Once

	closeCode int
	closeText string

	runs    map[string]struct{} // guarded by hub.mu
	session string
}

// Session returns the lab session the connection belongs to.
func (c *Conn) Session() string { return c.session }

// Send queues msg for the client. A client whose buffer is full is too slow:
// it is closed, and Send reports false.
func (c *Conn) Send(msg []byte) bool {
	select {
	case <-c.done:
		return false
	default:
	}
	select {
	case c.send <- msg:
		return true
	default:
		// Its socket is full too, so no close frame would get through, and
		// the writer may be stuck in a write: cut the connection now.
		c.Close(websocket.ClosePolicyViolation, "too slow: messages were not read in time")
		c.ws.Close()
		return false
	}
}

// Close ends the connection: the writer sends a close frame with code and
// text, then closes the socket.
func (c *Conn) Close(code int, text string) {
	c.once.Do(func() {
		c.closeCode, c.closeText = code, text
		close(c.done)
	})
}

// readPump reads messages until the connection fails or closes, and hands
// each to the handler.
func (c *Conn) readPump(ctx context.Context) {
	defer func() {
		c.Close(websocket.CloseNormalClosure, "")
		c.hub.remove(c)
	}()
	c.ws.SetReadLimit(c.hub.readMax)
	c.ws.SetReadDeadline(time.Now().Add(pongWait))
	c.ws.SetPongHandler(func(string) error {
		return c.ws.SetReadDeadline(time.Now().Add(pongWait))
	})
	for {
		kind, msg, err := c.ws.ReadMessage()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				c.Close(websocket.CloseMessageTooBig, "message too big")
			}
			return
		}
		c.ws.SetReadDeadline(time.Now().Add(pongWait))
		if kind != websocket.TextMessage {
			continue
		}
		c.hub.handler.HandleMessage(ctx, c, msg)
	}
}

// writePump is the connection's only writer: queued messages, pings, and the
// close frame at the end.
func (c *Conn) writePump() {
	ticker := time.NewTicker(pingPeriod)
	defer func() {
		ticker.Stop()
		c.ws.Close()
	}()
	for {
		select {
		case msg := <-c.send:
			c.ws.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.ws.WriteMessage(websocket.TextMessage, msg); err != nil {
				c.Close(websocket.CloseAbnormalClosure, "")
				return
			}
		case <-ticker.C:
			c.ws.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.ws.WriteMessage(websocket.PingMessage, nil); err != nil {
				c.Close(websocket.CloseAbnormalClosure, "")
				return
			}
		case <-c.done:
			if c.closeCode != websocket.CloseAbnormalClosure {
				c.ws.WriteControl(websocket.CloseMessage,
					websocket.FormatCloseMessage(c.closeCode, c.closeText), time.Now().Add(writeWait))
			}
			return
		}
	}
}
