package main

import (
	"testing"

	"reqlab/app/wire"
)

// A session's messages are metered (issue 24, point 6): one page flooding
// the lab with answers and reports gets most of them refused, with the
// time to wait, and keeps a handful of answer rows where it sent 300; a
// classmate behind the same address is answered as usual.
func TestMessagesAreMeteredPerSession(t *testing.T) {
	l := startLab(t, nil)
	flood := dialLab(t, l)
	const n = 300
	choice := 0
	// Sent in waves of 50, each wave's replies read before the next: a page
	// that lets 256 replies pile up unread is cut off as too slow.
	limited := 0
	for wave := 0; wave < n/50; wave++ {
		for i := 0; i < 50; i++ {
			flood.send(wire.Message{Type: wire.Answer, Ref: int64(i + 1), Lesson: "cookies", Choice: &choice})
		}
		for i := 0; i < 50; i++ {
			m := flood.reply()
			if m.Type == wire.Error && m.Code == wire.CodeRateLimited {
				if m.RetryAfter < 1 {
					t.Fatalf("a refusal without the time to wait: %+v", m)
				}
				limited++
			}
		}
	}
	rows := countRows(t, l, "answers")
	t.Logf("%d answers sent at once: %d refused, %d kept", n, limited, rows)
	if rows > 15 || limited < n-15 {
		t.Errorf("%d answers at once: %d kept, %d refused; want about 10 kept", n, rows, limited)
	}
	limited = 0
	for wave := 0; wave < n/50; wave++ {
		for i := 0; i < 50; i++ {
			flood.send(wire.Message{Type: wire.Subscribe, Ref: int64(i + 1), Run: "0123456789abcdef0123456789abcdef"})
		}
		for i := 0; i < 50; i++ {
			if m := flood.reply(); m.Type == wire.Error && m.Code == wire.CodeRateLimited {
				limited++
			}
		}
	}
	if limited < n-100-20 {
		t.Errorf("%d subscribes at once: %d refused, want all but a burst of 100", n, limited)
	}
	classmate := dialLab(t, l)
	classmate.send(wire.Message{Type: wire.Answer, Ref: 1, Lesson: "cookies", Choice: &choice})
	if m := classmate.reply(); m.Type != wire.Ack {
		t.Errorf("a classmate's answer: %+v, want it taken", m)
	}
}
