// Package limit meters requests with token buckets: one per key (a lab
// session: a whole class shares one school address, so never per IP) and one
// for everyone.
package limit

import (
	"math"
	"sync"
	"time"
)

// Rate is a token bucket's refill per second and its size.
type Rate struct {
	PerSecond float64
	Burst     float64
}

type bucket struct {
	tokens float64
	last   time.Time
}

// Limiter holds a bucket per key and one shared by all keys.
type Limiter struct {
	per, all Rate
	now      func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	global  bucket
	swept   time.Time
}

// New returns a limiter: per for each key, all for everyone together.
func New(per, all Rate) *Limiter {
	return &Limiter{per: per, all: all, now: time.Now, buckets: make(map[string]*bucket)}
}

// Allow takes a token for key (and one from everyone's bucket). Where either
// is empty it takes none and says how long until one is there.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.sweep(now)
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.per.Burst, last: now}
		l.buckets[key] = b
	}
	if l.global.last.IsZero() {
		l.global = bucket{tokens: l.all.Burst, last: now}
	}
	refill(b, l.per, now)
	refill(&l.global, l.all, now)
	switch {
	case b.tokens < 1:
		return false, wait(b, l.per)
	case l.global.tokens < 1:
		return false, wait(&l.global, l.all)
	}
	b.tokens--
	l.global.tokens--
	return true, 0
}

func refill(b *bucket, r Rate, now time.Time) {
	b.tokens = math.Min(r.Burst, b.tokens+now.Sub(b.last).Seconds()*r.PerSecond)
	b.last = now
}

func wait(b *bucket, r Rate) time.Duration {
	if r.PerSecond <= 0 {
		return time.Hour
	}
	return time.Duration((1 - b.tokens) / r.PerSecond * float64(time.Second))
}

// sweep forgets, now and then, the keys whose buckets are full again: they
// are as good as new.
func (l *Limiter) sweep(now time.Time) {
	if now.Sub(l.swept) < time.Minute {
		return
	}
	l.swept = now
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.per.PerSecond >= l.per.Burst {
			delete(l.buckets, k)
		}
	}
}

// Seconds rounds a wait up to whole seconds, as Retry-After says it.
func Seconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
