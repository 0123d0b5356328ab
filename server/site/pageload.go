package site

import (
	"sync"
	"time"
)

// pageLoadKept is how long the record of a page load is kept for its assets
// (a page on a slow network takes its time); longer than a ticket lives, so
// that a ticket spent here is never taken here again.
const pageLoadKept = 2 * time.Minute

// pageLoad is the record of a page served on a ticket: which run it was,
// and whether its connections are to be closed once answered.
type pageLoad struct {
	run   string
	fresh bool
	until time.Time
}

// pageLoads are the page loads this server served lately, by ticket: each
// ticket is spent here once.
type pageLoads struct {
	mu    sync.Mutex
	loads map[string]pageLoad
	swept time.Time
}

// spend notes a page served on ticket and reports true, or false where the
// ticket was spent here already.
func (p *pageLoads) spend(ticket string, load pageLoad, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.loads == nil {
		p.loads = make(map[string]pageLoad)
	}
	if now.Sub(p.swept) > 10*time.Second {
		p.swept = now
		for t, l := range p.loads {
			if now.After(l.until) {
				delete(p.loads, t)
			}
		}
	}
	if _, spent := p.loads[ticket]; spent {
		return false
	}
	load.until = now.Add(pageLoadKept)
	p.loads[ticket] = load
	return true
}

// find returns the page load served here on ticket, lately.
func (p *pageLoads) find(ticket string, now time.Time) (pageLoad, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l, ok := p.loads[ticket]
	return l, ok && !now.After(l.until)
}
