package ui

import "testing"

func TestFrameHeightIsClamped(t *testing.T) {
	for in, want := range map[int]int{-5: 1, 0: 1, 1: 1, 900: 900, 10_000: 10_000, 250_000: 10_000} {
		if got := frameHeight(in); got != want {
			t.Errorf("frameHeight(%d) = %d, want %d", in, got, want)
		}
	}
}
