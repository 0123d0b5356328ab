// Package limit meters requests with token buckets (golang.org/x/time/rate):
// one per key (a lab session), one per client address under it, and one for
// everyone. A key alone would let one client pose as many sessions; an
// address alone would let one student hold back a whole class behind the
// school's one address. So a request passes only if its session, its address
// and everyone's budget all have a token: the address's bucket is a floor
// that one client cannot go below whatever sessions it names, wide enough
// for a class.
//
// The address's bucket alone would let one client behind a class's address,
// with many sessions of its own, empty it and hold back the class. So a
// session known at its address for a while (fairAge) that has used less
// than its fair share of the address's rate lately — the rate divided among
// the sessions active there — passes even when the address's bucket is
// empty: students sending at a human pace keep their runs, while sessions
// sending as fast as they may are held to the bucket. (Its share is at most
// the address's rate in all, so the floor is at most doubled, and the
// global bucket holds it all.)
//
// Memory stays bounded whatever clients send: a bucket is made only for a
// request that passes (a refused one leaves nothing behind), keys are what
// the caller checked (well-formed session ids), and each map holds at most
// MaxKeys buckets; past that a new key waits until idle ones are forgotten.
package limit

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rate is a token bucket's refill per second and its size.
type Rate struct {
	PerSecond float64
	Burst     float64
}

// MaxKeys bounds the buckets kept per key, and per address, at once.
const MaxKeys = 100_000

// Limiter holds a bucket per key, a bucket per address and one shared by all.
type Limiter struct {
	perKey, perAddr Rate
	now             func() time.Time
	maxKeys         int

	mu     sync.Mutex
	keys   map[string]*rate.Limiter
	addrs  map[string]*rate.Limiter
	global *rate.Limiter
	swept  time.Time
	// use is, per address, what each session passed there lately.
	use   map[string]map[string]*usage
	nUsed int // entries in use, at most maxKeys
}

// usage is a session's requests passed at an address, decayed with time
// constant fairWindow (a steady rate r keeps it near r×fairWindow), and when
// it was first and last seen there.
type usage struct {
	n           float64
	first, last time.Time
}

// The fair share's terms: the decay of a session's usage, how long a
// session is known at its address before it may pass on its share, the
// usage above which it counts as active there, and how long an idle one is
// remembered.
const (
	fairWindow = 10 * time.Second
	fairAge    = 10 * time.Second
	fairActive = 0.1
	fairKept   = 10 * time.Minute
)

// decayed is u's usage at now.
func (u *usage) decayed(now time.Time) float64 {
	return u.n * math.Exp(-now.Sub(u.last).Seconds()/fairWindow.Seconds())
}

// New returns a limiter: perKey for each session, perAddr for each client
// address, all for everyone together.
func New(perKey, perAddr, all Rate) *Limiter {
	return &Limiter{perKey: perKey, perAddr: perAddr, now: time.Now, maxKeys: MaxKeys,
		keys: make(map[string]*rate.Limiter), addrs: make(map[string]*rate.Limiter),
		global: newBucket(all), use: make(map[string]map[string]*usage)}
}

func newBucket(r Rate) *rate.Limiter {
	return rate.NewLimiter(rate.Limit(r.PerSecond), int(math.Max(1, r.Burst)))
}

// Allow takes a token for a request of key from address addr ("" for none
// of either). Where any of the three buckets is empty it takes none, keeps
// nothing, and says how long until there is one.
func (l *Limiter) Allow(key, addr string) (ok bool, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.sweep(now)

	if wait := waitFor(l.global, now); wait > 0 {
		return false, wait
	}
	a, aok := l.bucket(l.addrs, addr, l.perAddr)
	k, kok := l.bucket(l.keys, key, l.perKey)
	if !aok || !kok {
		return false, time.Second // too many clients at once: a new one waits for idle ones to go
	}
	if k != nil {
		if wait := waitFor(k, now); wait > 0 {
			return false, wait
		}
	}
	if a != nil {
		if wait := waitFor(a, now); wait > 0 && !l.withinShare(key, addr, now) {
			return false, wait
		}
	}
	for _, b := range []*rate.Limiter{l.global, a, k} {
		if b != nil {
			b.AllowN(now, 1) // an address's bucket may be empty: its share passed
		}
	}
	l.used(key, addr, now)
	if a != nil && l.addrs[addr] == nil {
		l.addrs[addr] = a
	}
	if k != nil && l.keys[key] == nil {
		l.keys[key] = k
	}
	return true, 0
}

// withinShare reports whether key, known at addr for fairAge at least, used
// less than its fair share of addr's rate lately: the rate divided among
// the sessions active there, this one among them.
func (l *Limiter) withinShare(key, addr string, now time.Time) bool {
	sessions := l.use[addr]
	u := sessions[key]
	if key == "" || u == nil || now.Sub(u.first) < fairAge {
		return false
	}
	active := 0
	for _, o := range sessions {
		if o == u || o.decayed(now) > fairActive {
			active++
		}
	}
	return u.decayed(now)+1 <= l.perAddr.PerSecond*fairWindow.Seconds()/float64(active)
}

// used notes a request of key passed at addr.
func (l *Limiter) used(key, addr string, now time.Time) {
	if key == "" || addr == "" {
		return
	}
	sessions := l.use[addr]
	u := sessions[key]
	if u == nil {
		if l.nUsed >= l.maxKeys {
			return // past the cap: it passes on the buckets alone
		}
		if sessions == nil {
			sessions = make(map[string]*usage)
			l.use[addr] = sessions
		}
		u = &usage{first: now, last: now}
		sessions[key] = u
		l.nUsed++
	}
	u.n, u.last = u.decayed(now)+1, now
}

// bucket returns the bucket of name in m, or a new one not yet kept (Allow
// keeps it once the request passes); nil for no name. It reports false where
// m is full.
func (l *Limiter) bucket(m map[string]*rate.Limiter, name string, r Rate) (*rate.Limiter, bool) {
	if name == "" {
		return nil, true
	}
	if b := m[name]; b != nil {
		return b, true
	}
	if len(m) >= l.maxKeys {
		return nil, false
	}
	return newBucket(r), true
}

// waitFor is how long until b has a token, 0 if it has one now.
func waitFor(b *rate.Limiter, now time.Time) time.Duration {
	tokens := b.TokensAt(now)
	if tokens >= 1 {
		return 0
	}
	if b.Limit() <= 0 {
		return time.Hour
	}
	return time.Duration((1 - tokens) / float64(b.Limit()) * float64(time.Second))
}

// sweep forgets, now and then, the buckets that are full again: they are as
// good as new.
func (l *Limiter) sweep(now time.Time) {
	if now.Sub(l.swept) < 10*time.Second {
		return
	}
	l.swept = now
	for _, m := range []map[string]*rate.Limiter{l.keys, l.addrs} {
		for name, b := range m {
			if b.TokensAt(now) >= float64(b.Burst()) {
				delete(m, name)
			}
		}
	}
	for addr, sessions := range l.use {
		for key, u := range sessions {
			if now.Sub(u.last) > fairKept {
				delete(sessions, key)
				l.nUsed--
			}
		}
		if len(sessions) == 0 {
			delete(l.use, addr)
		}
	}
}

// Len returns how many buckets the limiter holds: per key, per address.
func (l *Limiter) Len() (keys, addrs int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys), len(l.addrs)
}

// Seconds rounds a wait up to whole seconds, as Retry-After says it.
func Seconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
