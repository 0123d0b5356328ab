package session

import (
	"strings"
	"testing"

	"reqlab/app/stage"
)

func TestTokens(t *testing.T) {
	i := New([]byte(strings.Repeat("k", 32)))
	id, token := i.New()
	if got, ok := i.Verify(token); !ok || got != id {
		t.Fatalf("Verify(Issue(%s)) = %q, %v", id, got, ok)
	}
	other := New([]byte(strings.Repeat("o", 32)))
	for _, bad := range []string{
		"", id, id + ".", id + ".AAAAAAAAAAAAAAAAAAAAAA", stage.NewRunID() + token[32:],
		other.Issue(id), token + "x", strings.ToUpper(token[:32]) + token[32:],
	} {
		if got, ok := i.Verify(bad); ok {
			t.Errorf("Verify(%q) = %q, true: a token the lab did not issue", bad, got)
		}
	}
}
