package stage

import (
	"testing"
	"time"
)

// Run ids sort by when they were made (the database adds them near each
// other) and stay unguessable: 80 random bits after the time.
func TestRunIDsSortByTimeAndDiffer(t *testing.T) {
	first := NewRunID()
	time.Sleep(2 * time.Millisecond)
	later := NewRunID()
	if !ValidRunID(first) || !ValidRunID(later) || first >= later {
		t.Fatalf("ids %s then %s: want valid and in order", first, later)
	}
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		id := NewRunID()
		if seen[id[12:]] {
			t.Fatalf("random part %s made twice", id[12:])
		}
		seen[id[12:]] = true
	}
}
