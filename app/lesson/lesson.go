// Package lesson holds the lab's lessons: each point of the course the lab
// serves (the lessons of README.md, their slugs in docs/CONTRACT.md) as an
// experiment a student runs, with its narration, what to notice and a check
// question, in Spanish and English.
// The facts are the course's and the web standards'; the words are the lab's.
//
// It is plain data with no dependency on go-app, so the server, the client
// and the tests all read the same lessons.
package lesson

import (
	"reqlab/app/i18n"
	"reqlab/app/stage"
)

// Text is one piece of text in the lab's two languages: an i18n.Text,
// named here so that the lessons write their texts as pairs.
type Text i18n.Text

// In returns the text in l.
func (t Text) In(l i18n.Lang) string { return i18n.Text(t).In(l) }

// Step is one experiment of a lesson: a request to send, and what to look at
// once it has run.
type Step struct {
	Label   Text
	Request stage.Request
	Notice  Text
	// Page loads the request as a page, with its assets, in a frame,
	// instead of fetching it.
	Page bool
}

// Question checks what the student took from the lesson.
type Question struct {
	Prompt  Text
	Options []Text
	Correct int
	Right   Text // said when the answer is right
	// Hints has, for each wrong option, a hint that speaks to that answer
	// (not the answer itself); the right option's is empty.
	Hints []Text
}

// Lesson is one lesson.
type Lesson struct {
	Slug  string
	Title Text
	// Course says what the course page teaches here, in the lab's words.
	Course Text
	Steps  []Step
	// Narration tells, for this lesson, what a stage means; stages it does
	// not name keep the lab's general words.
	Narration map[stage.ID]Text
	// CookieWeight shows the control that adds cookie bytes to the request.
	CookieWeight bool
	Question     Question
}

// Find returns the lesson with a slug.
func Find(slug string) (Lesson, bool) {
	for _, l := range All {
		if l.Slug == slug {
			return l, true
		}
	}
	return Lesson{}, false
}

// Slugs lists the lessons' slugs in their order.
func Slugs() []string {
	out := make([]string, len(All))
	for i, l := range All {
		out[i] = l.Slug
	}
	return out
}

func get(url string) stage.Request {
	return stage.Request{Method: "GET", URL: url, Headers: []stage.Header{}}
}

// fresh asks for req to go on a connection of its own (see
// stage.Request.FreshConnection).
func fresh(req stage.Request) stage.Request {
	req.FreshConnection = true
	return req
}
