package lesson

import (
	"fmt"
	"testing"

	"reqlab/app/stage"
)

func TestLessonsAreCompleteInBothLanguages(t *testing.T) {
	want := []string{"frontend-backend", "client-server", "status-codes", "cache", "cookies", "page-load", "what-happens"}
	got := Slugs()
	if len(got) != len(want) {
		t.Fatalf("lessons %v, the contract names %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("lesson %d is %q, want %q", i, got[i], want[i])
		}
	}
	full := func(where string, tx Text) {
		if tx.ES == "" || tx.EN == "" || tx.ES == tx.EN && len(tx.ES) > 12 {
			t.Errorf("%s: %+v is not in both languages", where, tx)
		}
	}
	for _, l := range All {
		full(l.Slug+" title", l.Title)
		full(l.Slug+" course", l.Course)
		if len(l.Steps) == 0 {
			t.Errorf("%s has no experiment", l.Slug)
		}
		for i, s := range l.Steps {
			full(l.Slug+" step label", s.Label)
			full(l.Slug+" step notice", s.Notice)
			if errs := s.Request.Check(); errs != nil {
				t.Errorf("%s step %d: the lab would refuse its own request: %v", l.Slug, i, errs)
			}
		}
		for id, n := range l.Narration {
			if _, ok := stage.SideOf(id); !ok {
				t.Errorf("%s narrates an unknown stage %q", l.Slug, id)
			}
			full(l.Slug+" narration of "+string(id), n)
		}
		q := l.Question
		full(l.Slug+" question", q.Prompt)
		full(l.Slug+" right", q.Right)
		if len(q.Options) < 2 || q.Correct < 0 || q.Correct >= len(q.Options) {
			t.Errorf("%s: question with %d options, correct %d", l.Slug, len(q.Options), q.Correct)
		}
		// Each wrong answer has a hint of its own; the right one none.
		if len(q.Hints) != len(q.Options) {
			t.Errorf("%s: %d hints for %d options", l.Slug, len(q.Hints), len(q.Options))
			continue
		}
		seen := map[string]bool{}
		for i, h := range q.Hints {
			if i == q.Correct {
				if h != (Text{}) {
					t.Errorf("%s: the right answer has a hint", l.Slug)
				}
				continue
			}
			full(fmt.Sprintf("%s hint for option %d", l.Slug, i), h)
			if seen[h.ES] {
				t.Errorf("%s: two wrong answers share one hint", l.Slug)
			}
			seen[h.ES] = true
		}
	}
}

func TestCookieWeight(t *testing.T) {
	if errs := CookieRequest(MaxCookieWeight).Check(); errs != nil {
		t.Errorf("the heaviest cookie the control makes is refused by the lab: %v", errs)
	}
	if h := CookieRequest(MaxCookieWeight).HeaderBytes(); h <= 8<<10 {
		t.Errorf("the heaviest cookie weighs %d bytes: it must pass the sample server's 8 KB", h)
	}
	if CookieRequest(0).Cookies != nil {
		t.Error("weight 0 sends a cookie")
	}
}
