package ui

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"reqlab/app/lesson"
	"reqlab/app/stage"
)

// The narration audit (issue 23, point 6), where a machine can check it: the
// words on the page agree with the picture and say things plainly.

// shown is one text the page shows, in both languages, and where it is from.
type shown struct {
	where  string
	es, en string
}

// lessonTexts lists every text of a lesson.
func lessonTexts(ls lesson.Lesson) []shown {
	var out []shown
	add := func(where string, t lesson.Text) { out = append(out, shown{ls.Slug + " " + where, t.ES, t.EN}) }
	add("title", ls.Title)
	add("course", ls.Course)
	for i, st := range ls.Steps {
		add("step "+string(rune('1'+i))+" label", st.Label)
		add("step "+string(rune('1'+i))+" notice", st.Notice)
	}
	for _, id := range stage.All() {
		if n, ok := ls.Narration[id]; ok {
			add("narration of "+string(id), n)
		}
	}
	q := ls.Question
	add("question", q.Prompt)
	for _, o := range q.Options {
		add("option", o)
	}
	add("right answer", q.Right)
	for _, h := range q.Hints {
		add("hint", h)
	}
	return out
}

// labTexts lists every text the page shows whatever the lesson: its
// messages, the stages' names and descriptions, and the reasons stages give.
func labTexts() []shown {
	var out []shown
	for key, m := range messages {
		out = append(out, shown{"message " + key, m.ES, m.EN})
	}
	for _, s := range stage.Table {
		out = append(out, shown{"stage " + string(s.ID) + " name", s.Name.ES, s.Name.EN},
			shown{"stage " + string(s.ID) + " about", s.About.ES, s.About.EN})
	}
	for r, m := range reasonText {
		out = append(out, shown{"reason " + string(r), m.ES, m.EN})
	}
	return out
}

func allTexts() []shown {
	out := labTexts()
	for _, ls := range lesson.All {
		out = append(out, lessonTexts(ls)...)
	}
	return out
}

// The picture runs from the browser to the database in one row, and the stage
// cards stand in three lanes that a phone stacks: a text that sends the
// student to the left, the right or the middle points at what the page does
// not show there. Texts name the place or the card instead.
var sides = regexp.MustCompile(`(?i)\b(izquierda|derecha|centro|central|(on|to|at) the (left|right)|(left|right)-hand|left side|right side|middle|centre|center)\b`)

func TestNarrationNamesNoSideOfThePicture(t *testing.T) {
	for _, s := range allTexts() {
		for _, text := range []string{s.es, s.en} {
			if m := sides.FindString(text); m != "" {
				t.Errorf("%s says %q: name the place or the card, not a side (%q)", s.where, m, text)
			}
		}
	}
}

// Technical names that no lesson teaches, and words a 16-year-old does not
// use for the thing: a lesson that teaches one lists it in teaches.
var jargon = []struct {
	re      *regexp.Regexp
	instead string
}{
	{regexp.MustCompile(`±`), "plain words (a margin of …)"},
	{regexp.MustCompile(`(?i)traceparent`), "nothing: it is the lab's plumbing"},
	{regexp.MustCompile(`(?i)\btarro\b|\bcookie jar\b|\bjar\b`), "the cookies your browser keeps"},
	{regexp.MustCompile(`(?i)websocket`), "live"},
	{regexp.MustCompile(`\bDOM\b`), "the page"},
}

// teaches names, for a lesson, the technical names it teaches.
var teaches = map[string][]string{}

func TestNarrationHasNoUntaughtJargon(t *testing.T) {
	check := func(where, slug string, texts ...string) {
		for _, j := range jargon {
			if slices.Contains(teaches[slug], j.re.String()) {
				continue
			}
			for _, text := range texts {
				if m := j.re.FindString(text); m != "" {
					t.Errorf("%s says %q, which no lesson here teaches: say %s (%q)", where, m, j.instead, text)
				}
			}
		}
	}
	for _, s := range labTexts() {
		check(s.where, "", s.es, s.en)
	}
	for _, ls := range lesson.All {
		for _, s := range lessonTexts(ls) {
			check(s.where, ls.Slug, s.es, s.en)
		}
	}
}

// The caption says "place — stage: state": a stage named as its place reads
// "Base de datos — Base de datos".
func TestNoLabelSaysItselfTwice(t *testing.T) {
	for _, l := range []Lang{ES, EN} {
		for _, s := range stage.Table {
			place := l.T("place." + string(s.Place))
			caption := l.Tf("picture.now", place, l.StageName(s.ID), l.T("state.done"))
			if strings.EqualFold(place, l.StageName(s.ID)) || strings.Contains(caption, place+" — "+place) {
				t.Errorf("%s: %s is named as its place: %q", l, s.ID, caption)
			}
		}
		// Two stages of one name could not be told apart on a card or a bar.
		seen := map[string]stage.ID{}
		for _, s := range stage.Table {
			if other, ok := seen[l.StageName(s.ID)]; ok {
				t.Errorf("%s: %s and %s are both %q", l, other, s.ID, l.StageName(s.ID))
			}
			seen[l.StageName(s.ID)] = s.ID
		}
	}
}

func TestCompareColumnsDiffer(t *testing.T) {
	req := stage.Request{Method: "GET", URL: "/site/api/portada"}
	tests := []struct {
		name string
		a, b stage.Run
	}{
		{"one request twice", stage.Run{ID: "a", Request: req}, stage.Run{ID: "b", Request: req}},
		{"a page load, fresh and not", stage.Run{ID: "a", Request: stage.Request{Method: "GET", URL: "/site/?ticket=x.spent", FreshConnection: true}},
			stage.Run{ID: "b", Request: stage.Request{Method: "GET", URL: "/site/?ticket=y.spent"}}},
	}
	for _, tt := range tests {
		for _, l := range []Lang{ES, EN} {
			a, b := compareLabels(l, tt.a, tt.b)
			if a == b {
				t.Errorf("%s, %s: both columns read %q", tt.name, l, a)
			}
			for _, label := range []string{a, b} {
				if strings.Contains(label, "ticket=") || strings.Contains(label, "traceparent") {
					t.Errorf("%s, %s: a column names the lab's plumbing: %q", tt.name, l, label)
				}
			}
		}
	}
}

// A name quoted in a lesson («Consulta», "Query") is one the page shows: a
// stage, a place, or a heading; and both languages quote the same ones. A
// quote in lower case (a phrase, «no existe») is not a name.
var (
	quotedES = regexp.MustCompile(`«([^»]+)»`)
	quotedEN = regexp.MustCompile(`"([^"]+)"`)
)

func TestLessonsQuoteNamesOnThePage(t *testing.T) {
	type name struct{ es, en string }
	var names []name
	for _, s := range stage.Table {
		names = append(names, name{s.Name.ES, s.Name.EN})
	}
	for _, m := range messages {
		names = append(names, name{m.ES, m.EN})
	}
	// find returns the index of the name q is, in a language: the whole
	// text, or a heading's words before its colon.
	find := func(q string, en bool) int {
		for i, n := range names {
			s := n.es
			if en {
				s = n.en
			}
			if s == q || strings.HasPrefix(s, q+":") {
				return i
			}
		}
		return -1
	}
	capital := func(q string) bool {
		return q != "" && strings.ToUpper(q[:1]) == q[:1] && q[:1] != strings.ToLower(q[:1])
	}
	keys := func(where string, re *regexp.Regexp, text string, en bool) []string {
		var out []string
		for _, m := range re.FindAllStringSubmatch(text, -1) {
			q := m[1]
			if !capital(q) {
				continue
			}
			i := find(q, en)
			if i < 0 {
				t.Errorf("%s quotes %q, which the page does not show by that name", where, q)
				continue
			}
			out = append(out, names[i].es)
		}
		slices.Sort(out)
		return out
	}
	for _, ls := range lesson.All {
		for _, s := range lessonTexts(ls) {
			es, en := keys(s.where+" (es)", quotedES, s.es, false), keys(s.where+" (en)", quotedEN, s.en, true)
			if !slices.Equal(es, en) {
				t.Errorf("%s: Spanish quotes %v, English quotes the names of %v", s.where, es, en)
			}
		}
	}
}

// Both languages say the same numbers: a status code, a step's number, a
// size or a path in one is in the other.
var numbers = regexp.MustCompile(`\d+`)

func TestLessonsSayTheSameNumbersInBothLanguages(t *testing.T) {
	for _, ls := range lesson.All {
		for _, s := range lessonTexts(ls) {
			es, en := numbers.FindAllString(s.es, -1), numbers.FindAllString(s.en, -1)
			slices.Sort(es)
			slices.Sort(en)
			if !slices.Equal(es, en) {
				t.Errorf("%s: the Spanish says %v, the English %v", s.where, es, en)
			}
		}
	}
}
