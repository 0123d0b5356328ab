package ticket

import (
	"strings"
	"testing"
	"time"

	"reqlab/app/stage"
	"reqlab/server/seal"
)

func TestTicket(t *testing.T) {
	id, digest := stage.NewRunID(), strings.Repeat("d", 64)
	now := time.Date(2026, 12, 6, 21, 0, 0, 0, time.UTC)
	tk := Mint(id, digest, now)
	if got, ok := Run(tk); !ok || got != id {
		t.Fatalf("Run(%q) = %q, %v; want %s", tk, got, ok, id)
	}
	tampered := strings.Replace(tk, "."+expiry(now), "."+expiry(now.Add(time.Hour)), 1)
	for _, tt := range []struct {
		name     string
		ticket   string
		digest   string
		at       time.Time
		expiring bool
		want     bool
	}{
		{"fresh", tk, digest, now, true, true},
		{"at its last second", tk, digest, now.Add(TTL), true, true},
		{"expired", tk, digest, now.Add(TTL + time.Second), true, false},
		{"expired, for an asset", tk, digest, now.Add(TTL + time.Second), false, true},
		{"another run's digest", tk, strings.Repeat("e", 64), now, true, false},
		{"its expiry moved", tampered, digest, now, true, false},
		{"no digest", tk, "", now, true, false},
		{"not a ticket", id, digest, now, true, false},
		{"another purpose's seal", seal.New([]byte(digest)).Seal("state:", id+"."+expiry(now)), digest, now, true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Valid(tt.ticket, tt.digest, tt.at, tt.expiring); got != tt.want {
				t.Errorf("Valid = %v, want %v", got, tt.want)
			}
		})
	}
	if got := Spent(tk); got != id+".spent" {
		t.Errorf("Spent = %q", got)
	}
	if _, ok := Run("nothex.1.2"); ok {
		t.Error("Run took a ticket whose run is no run id")
	}
}

// expiry is the expiry a ticket minted at now carries.
func expiry(now time.Time) string {
	return strings.Split(Mint("x", "y", now), ".")[1]
}
