package limit

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	l := New(Rate{PerSecond: 1, Burst: 3}, Rate{PerSecond: 10, Burst: 5})
	l.now = func() time.Time { return now }

	for i := 0; i < 3; i++ {
		if ok, _ := l.Allow("ana"); !ok {
			t.Fatalf("ana's request %d refused within her burst", i+1)
		}
	}
	ok, wait := l.Allow("ana")
	if ok || wait <= 0 || wait > time.Second {
		t.Fatalf("ana's 4th request: %v, wait %v; want refused for up to 1 s", ok, wait)
	}
	// Another student of the same school is not held back by ana.
	if ok, _ := l.Allow("luis"); !ok {
		t.Fatal("luis refused because of ana")
	}
	if ok, _ := l.Allow("marta"); !ok {
		t.Fatal("marta refused")
	}
	// Everyone's bucket (5) is now empty.
	if ok, wait := l.Allow("pablo"); ok || wait <= 0 {
		t.Fatalf("the global limit let pablo through: %v %v", ok, wait)
	}
	now = now.Add(time.Second)
	if ok, _ := l.Allow("ana"); !ok {
		t.Fatal("ana still refused a second later")
	}
	if Seconds(300*time.Millisecond) != 1 || Seconds(2100*time.Millisecond) != 3 {
		t.Error("Retry-After rounds up to whole seconds")
	}
}
