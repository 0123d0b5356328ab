// Package hub carries the lab's websocket: it keeps the connections, knows
// which runs each one follows and pushes every event of a run to its
// followers. It follows gorilla/websocket's chat example: one reader and one
// writer goroutine per connection, a bounded send buffer, and a slow client is
// dropped rather than waited for.
//
// What the messages mean is not its business: a Handler answers them.
package hub

import (
	"context"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"

	"reqlab/app/stage"
)

// Timings and bounds of a connection.
const (
	writeWait  = 10 * time.Second // a write that takes longer drops the client
	idleWait   = 60 * time.Second // silence longer than this (not even a pong) closes the connection
	sendBuffer = 256              // messages queued for one client before it counts as slow
	// sendBufferBytes bounds, in bytes, what one client's messages hold of
	// the server's memory, queued or being written: a client that does not
	// read is cut off before it holds more.
	sendBufferBytes = 512 << 10
	// catchUpRate meters, in bytes a second, what a connection is sent on
	// its own asking (a run's stored events, SendPaced): asking costs a
	// client a few bytes, and must not make the server send without end.
	catchUpRate  = 256 << 10
	catchUpBurst = 512 << 10
	// maxFollowed bounds the runs one connection follows: past it, the one
	// it began following first is let go (a page cares for its latest).
	maxFollowed = 64
	// pingsPerSecond meters the pings a client sends: each is answered
	// with a pong, within pingBurst; past it they go unanswered.
	pingsPerSecond = 1
	pingBurst      = 5
)

// Handler answers the messages that clients send.
type Handler interface {
	// HandleMessage is called on the connection's reader goroutine, one
	// message at a time.
	HandleMessage(ctx context.Context, c *Conn, msg []byte)
	// Hello returns the first message sent on a new connection, or nil.
	Hello(c *Conn) []byte
}

// Sessions issues and checks the lab's session tokens (see package session).
type Sessions interface {
	Verify(token string) (id string, ok bool)
	Issue(id string) string
}

// Meter takes a token for a request of key from addr, or says how long to
// wait for one (see package limit).
type Meter interface {
	Allow(key, addr string) (ok bool, retryAfter time.Duration)
}

// Hub keeps the open connections and the runs each follows.
type Hub struct {
	// Sessions, if set, issues each connection its session: the one its
	// token names, else a new one. Without it each connection has a new
	// session of its own.
	Sessions Sessions
	// Mints, if set, meters the new sessions minted for each address: a
	// class arriving at once gets theirs, a script minting sessions by the
	// thousand (to pass the per-session limits) waits.
	Mints Meter
	// MaxPerAddr, if not 0, bounds the connections open from one address:
	// far past a class behind its school's one address, short of a flood
	// that would take every connection the lab has.
	MaxPerAddr int

	log      *slog.Logger
	handler  Handler
	upgrader websocket.Upgrader
	readMax  int64
	pongWait time.Duration // silence longer than this closes a connection

	mu      sync.Mutex
	conns   map[*Conn]struct{}
	perAddr map[string]int // connections open (or being opened) per address
	runs    map[string]map[*Conn]struct{}
	stopped bool
	wg      sync.WaitGroup // the readers, and the pinger
	stop    chan struct{}
}

// New returns a hub whose messages go to handler. readLimit bounds one
// incoming message: a larger one closes the connection with 1009.
func New(log *slog.Logger, handler Handler, readLimit int64) *Hub {
	return newHub(log, handler, readLimit, idleWait)
}

// newHub is New with the idle timeout to use; pings go out at 9/10 of it.
func newHub(log *slog.Logger, handler Handler, readLimit int64, idle time.Duration) *Hub {
	h := &Hub{
		pongWait: idle,
		log:      log,
		handler:  handler,
		readMax:  readLimit,
		upgrader: websocket.Upgrader{
			// A small read buffer of its own, so that net/http's (4 KB)
			// goes with the handler that upgraded the connection.
			ReadBufferSize:  512,
			WriteBufferSize: 1024,
			// Write buffers are lent for the time of a write only: an
			// idle connection holds none.
			WriteBufferPool: &sync.Pool{},
			// The socket is same-origin only: a page on another origin (or
			// with Origin: null) gets 403. Embedding goes through the
			// page's frame-ancestors, never through this socket.
			CheckOrigin: sameOrigin,
			// A page may name its session token as a subprotocol
			// (sessionProtocol) rather than in the URL, offering Protocol
			// beside it: the one the lab answers with.
			Subprotocols: []string{Protocol},
		},
		conns:   make(map[*Conn]struct{}),
		perAddr: make(map[string]int),
		runs:    make(map[string]map[*Conn]struct{}),
		stop:    make(chan struct{}),
	}
	h.wg.Add(1)
	go h.pinger()
	return h
}

// pinger pings every connection each pingPeriod, from one goroutine for
// them all: the pongs keep their read deadlines alive.
func (h *Hub) pinger() {
	defer h.wg.Done()
	t := time.NewTicker(h.pongWait * 9 / 10)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
			h.mu.Lock()
			conns := make([]*Conn, 0, len(h.conns))
			for c := range h.conns {
				conns = append(conns, c)
			}
			h.mu.Unlock()
			for _, c := range conns {
				c.ping()
			}
		}
	}
}

// sameOrigin accepts a request with no Origin (not a browser) or one whose
// Origin is the host it was sent to.
func sameOrigin(r *http.Request) bool {
	origin := r.Header["Origin"]
	if len(origin) == 0 {
		return true
	}
	return origin[0] == "http://"+r.Host || origin[0] == "https://"+r.Host
}

// Protocol is the websocket subprotocol the lab answers with, and
// sessionProtocol the prefix under which a page may offer its session token
// as another: new WebSocket(url, ["reqlab", "reqlab.session." + token])
// keeps the token out of the URL, and so out of logs and histories.
const (
	Protocol        = "reqlab"
	sessionProtocol = "reqlab.session."
)

// sessionToken is the session token a websocket request names: offered as a
// subprotocol, else in ?session=.
func sessionToken(r *http.Request) string {
	for _, p := range websocket.Subprotocols(r) {
		if token, ok := strings.CutPrefix(p, sessionProtocol); ok {
			return token
		}
	}
	return r.URL.Query().Get("session")
}

// sessionOf returns the lab session a connection belongs to, and its token:
// the browser keeps the token the lab issued and names it (sessionToken:
// /ws?session=…, or as a subprotocol). A connection without a valid one gets a new session,
// minted here: nothing a client names is ever made a session (a bare id,
// whoever's it is, is not signed on request), so no one acts as another.
// Without Sessions every connection is a session of its own.
//
// minted says whether the session is a new one.
func (h *Hub) sessionOf(r *http.Request) (id, token string, minted bool) {
	if h.Sessions == nil {
		id := stage.NewRunID()
		return id, id, true
	}
	named := sessionToken(r)
	if id, ok := h.Sessions.Verify(named); ok {
		return id, named, false
	}
	id = stage.NewRunID()
	return id, h.Sessions.Issue(id), true
}

// ClientAddr is the address a request came from, without its port: the key
// of the per-address limits.
func ClientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// ServeHTTP upgrades a request to a websocket and serves it until it closes.
// An address past MaxPerAddr connections, or past its new sessions (Mints),
// gets 429 with Retry-After, and no websocket.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	addr := ClientAddr(r)
	if !h.reserve(addr) {
		w.Header().Set("Retry-After", "10")
		http.Error(w, "too many connections from this address", http.StatusTooManyRequests)
		return
	}
	added := false
	defer func() {
		if !added {
			h.release(addr)
		}
	}()
	id, token, minted := h.sessionOf(r)
	if minted && h.Mints != nil {
		if ok, wait := h.Mints.Allow("", addr); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
			http.Error(w, "too many new sessions from this address: try again in a moment", http.StatusTooManyRequests)
			return
		}
	}
	hj := &hijacker{ResponseWriter: w}
	ws, err := h.upgrader.Upgrade(hj, r, nil)
	if err != nil {
		return // the upgrader has answered the client already
	}
	c := &Conn{hub: h, ws: ws, out: hj.conn, addr: addr, session: id, token: token,
		catchUp: rate.NewLimiter(catchUpRate, catchUpBurst), pings: rate.NewLimiter(pingsPerSecond, pingBurst)}
	if added = h.add(c); !added {
		ws.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseGoingAway, "server stopping"), time.Now().Add(time.Second))
		ws.Close()
		return
	}
	if hello := h.handler.Hello(c); hello != nil {
		c.Send(hello)
	}
	// The reader is a goroutine of its own, so that the handler returns and
	// net/http lets go of the request and its buffers: an idle connection
	// then holds only what it needs.
	go c.readPump(context.Background())
}

// reserve counts a connection from addr about to open, and reports false
// (counting nothing) where addr has MaxPerAddr open already.
func (h *Hub) reserve(addr string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.MaxPerAddr > 0 && h.perAddr[addr] >= h.MaxPerAddr {
		return false
	}
	h.perAddr[addr]++
	return true
}

// release uncounts a connection from addr, closed or never opened.
func (h *Hub) release(addr string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.releaseLocked(addr)
}

func (h *Hub) releaseLocked(addr string) {
	if h.perAddr[addr]--; h.perAddr[addr] <= 0 {
		delete(h.perAddr, addr)
	}
}

func (h *Hub) add(c *Conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		return false
	}
	h.conns[c] = struct{}{}
	h.wg.Add(1) // the reader, done in remove
	return true
}

func (h *Hub) remove(c *Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.conns[c]; !ok {
		return
	}
	delete(h.conns, c)
	h.releaseLocked(c.addr)
	c.followed = nil
	for run := range c.runs {
		if followers := h.runs[run]; followers != nil {
			delete(followers, c)
			if len(followers) == 0 {
				delete(h.runs, run)
			}
		}
	}
	h.wg.Done()
}

// Follow makes c receive every event published for run from now on. It is
// done when it returns, so a caller can then read what was stored before. A
// connection follows maxFollowed runs at most: past that, the one it began
// following first is let go.
func (h *Hub) Follow(c *Conn, run string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.conns[c]; !ok {
		return
	}
	if _, ok := c.runs[run]; ok {
		return
	}
	if len(c.followed) >= maxFollowed {
		oldest := c.followed[0]
		c.followed = c.followed[1:]
		delete(c.runs, oldest)
		if followers := h.runs[oldest]; followers != nil {
			delete(followers, c)
			if len(followers) == 0 {
				delete(h.runs, oldest)
			}
		}
	}
	c.followed = append(c.followed, run)
	followers := h.runs[run]
	if followers == nil {
		followers = make(map[*Conn]struct{})
		h.runs[run] = followers
	}
	followers[c] = struct{}{}
	if c.runs == nil {
		c.runs = make(map[string]struct{})
	}
	c.runs[run] = struct{}{}
}

// Publish sends msg to every connection that follows run. It never waits for
// a client: one whose buffer is full is dropped.
func (h *Hub) Publish(run string, msg []byte) {
	h.mu.Lock()
	followers := make([]*Conn, 0, len(h.runs[run]))
	for c := range h.runs[run] {
		followers = append(followers, c)
	}
	h.mu.Unlock()
	for _, c := range followers {
		c.Send(msg)
	}
}

// Following reports whether any connection follows run.
func (h *Hub) Following(run string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.runs[run]) > 0
}

// Len returns the number of open connections.
func (h *Hub) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// Shutdown closes every connection with a close frame and waits, until ctx
// ends, for their goroutines to finish. New connections are refused.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	if !h.stopped {
		close(h.stop)
	}
	h.stopped = true
	conns := make([]*Conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.Close(websocket.CloseGoingAway, "server stopping")
	}
	done := make(chan struct{})
	go func() {
		h.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
