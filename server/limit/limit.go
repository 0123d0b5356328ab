// Package limit meters requests with token buckets (golang.org/x/time/rate):
// one per key (a lab session), one per client address under it, and one for
// everyone. A key alone would let one client pose as many sessions; an
// address alone would let one student hold back a whole class behind the
// school's one address. So a request passes only if its session, its address
// and everyone's budget all have a token: the address's bucket is a floor
// that one client cannot go below whatever sessions it names, wide enough
// for a class.
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
}

// New returns a limiter: perKey for each session, perAddr for each client
// address, all for everyone together.
func New(perKey, perAddr, all Rate) *Limiter {
	return &Limiter{perKey: perKey, perAddr: perAddr, now: time.Now, maxKeys: MaxKeys,
		keys: make(map[string]*rate.Limiter), addrs: make(map[string]*rate.Limiter),
		global: newBucket(all)}
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
	for _, b := range []*rate.Limiter{a, k} {
		if b == nil {
			continue
		}
		if wait := waitFor(b, now); wait > 0 {
			return false, wait
		}
	}
	for _, b := range []*rate.Limiter{l.global, a, k} {
		if b != nil {
			b.AllowN(now, 1)
		}
	}
	if a != nil && l.addrs[addr] == nil {
		l.addrs[addr] = a
	}
	if k != nil && l.keys[key] == nil {
		l.keys[key] = k
	}
	return true, 0
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
