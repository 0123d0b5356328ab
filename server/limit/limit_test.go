package limit

import (
	"fmt"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	l := New(Rate{PerSecond: 1, Burst: 3}, Rate{PerSecond: 100, Burst: 100}, Rate{PerSecond: 10, Burst: 5})
	l.now = func() time.Time { return now }
	const school = "10.0.0.1"

	for i := 0; i < 3; i++ {
		if ok, _ := l.Allow("ana", school); !ok {
			t.Fatalf("ana's request %d refused within her burst", i+1)
		}
	}
	ok, wait := l.Allow("ana", school)
	if ok || wait <= 0 || wait > time.Second {
		t.Fatalf("ana's 4th request: %v, wait %v; want refused for up to 1 s", ok, wait)
	}
	// Another student of the same school is not held back by ana.
	if ok, _ := l.Allow("luis", school); !ok {
		t.Fatal("luis refused because of ana")
	}
	if ok, _ := l.Allow("marta", school); !ok {
		t.Fatal("marta refused")
	}
	// Everyone's bucket (5) is now empty.
	if ok, wait := l.Allow("pablo", school); ok || wait <= 0 {
		t.Fatalf("the global limit let pablo through: %v %v", ok, wait)
	}
	now = now.Add(time.Second)
	if ok, _ := l.Allow("ana", school); !ok {
		t.Fatal("ana still refused a second later")
	}
	if Seconds(300*time.Millisecond) != 1 || Seconds(2100*time.Millisecond) != 3 {
		t.Error("Retry-After rounds up to whole seconds")
	}
}

// One client naming a new session for every request is held by its
// address's floor; a student elsewhere, sending at an honest pace, is not.
func TestManySessionsFromOneAddressMeetTheFloor(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	l := New(Rate{PerSecond: 2, Burst: 30}, Rate{PerSecond: 60, Burst: 600}, Rate{PerSecond: 200, Burst: 1000})
	l.now = func() time.Time { return now }
	flooded, honest := 0, 0
	for second := 0; second < 12; second++ {
		for i := 0; i < 300; i++ { // 300 runs a second, each under a new session
			if ok, _ := l.Allow(fmt.Sprintf("s%d-%d", second, i), "10.0.0.66"); ok {
				flooded++
			}
		}
		if ok, _ := l.Allow("student", "10.0.0.7"); ok {
			honest++
		}
		now = now.Add(time.Second)
	}
	if flooded > 600+60*12 {
		t.Errorf("the flood started %d runs in 12 s, past its address's %d", flooded, 600+60*12)
	}
	if honest != 12 {
		t.Errorf("the honest student got %d runs of 12", honest)
	}
}

// A refused request leaves nothing behind, and the buckets kept are capped.
func TestMemoryIsBounded(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	l := New(Rate{PerSecond: 1, Burst: 1}, Rate{PerSecond: 1, Burst: 1}, Rate{PerSecond: 1, Burst: 1})
	l.now = func() time.Time { return now }
	l.Allow("first", "a")
	for i := 0; i < 10_000; i++ { // the global bucket is empty: each is refused
		l.Allow(fmt.Sprintf("junk-%d", i), fmt.Sprintf("addr-%d", i))
	}
	if k, a := l.Len(); k != 1 || a != 1 {
		t.Errorf("refused requests left %d keys and %d addresses", k, a)
	}

	l = New(Rate{PerSecond: 1, Burst: 1}, Rate{PerSecond: 1, Burst: 1}, Rate{PerSecond: 1e9, Burst: 1e9})
	l.now = func() time.Time { return now }
	l.maxKeys = 100
	passed := 0
	for i := 0; i < 1_000; i++ {
		if ok, _ := l.Allow(fmt.Sprintf("k%d", i), fmt.Sprintf("a%d", i)); ok {
			passed++
		}
	}
	if k, a := l.Len(); k > 100 || a > 100 || passed != 100 {
		t.Errorf("past the cap: %d keys, %d addresses, %d passed; want at most 100 each", k, a, passed)
	}
	now = now.Add(time.Minute) // the buckets are full again: swept, room for new ones
	if ok, _ := l.Allow("late", "late"); !ok {
		t.Error("a new client is refused after the idle ones were forgotten")
	}
}

// A class keeps its runs behind its school's one address while a classmate
// floods from forty sessions of their own (issue 24, point 5): the
// students, at a human pace (a run each 5 s), keep at least 99 % of them;
// the flood is held near the address's rate (and its share) however many
// sessions it spreads over.
func TestAClassKeepsItsShareBesideAFlood(t *testing.T) {
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	// The lab's own rates for runs (see main.go).
	l := New(Rate{PerSecond: 2, Burst: 30}, Rate{PerSecond: 60, Burst: 600}, Rate{PerSecond: 200, Burst: 1000})
	l.now = func() time.Time { return now }
	const school, students, abuser = "10.0.0.1", 40, 40
	tried, passed, flood := 0, 0, 0
	const step = 100 * time.Millisecond
	for tick := 0; tick < 1500; tick++ { // 150 s
		at := time.Duration(tick) * step
		if at >= 20*time.Second { // the flood, first at every turn: each of its sessions as fast as it may try
			for a := 0; a < abuser; a++ {
				if ok, _ := l.Allow(fmt.Sprintf("abuser-%d", a), school); ok {
					flood++
				}
			}
		}
		for s := 0; s < students; s++ {
			// each student's run every 5 s, the class spread over them
			if tick%50 == s {
				ok, _ := l.Allow(fmt.Sprintf("student-%d", s), school)
				if at >= 30*time.Second { // counted once the flood is on
					tried++
					if ok {
						passed++
					}
				}
			}
		}
		now = now.Add(step)
	}
	share := float64(passed) / float64(tried)
	floodRate := float64(flood) / 130
	t.Logf("the class kept %d of %d runs (%.1f %%); the flood started %.0f runs a second from %d sessions", passed, tried, 100*share, floodRate, abuser)
	if share < 0.99 {
		t.Errorf("the class kept %.1f %% of its runs beside the flood, want 99 %% at least", 100*share)
	}
	if floodRate > 2*60+600.0/130+1 {
		t.Errorf("the flood started %.0f runs a second from one address, past twice its rate", floodRate)
	}
}
