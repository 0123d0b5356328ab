// Package i18n is how the lab speaks its two languages, Spanish first (as
// the course) and English: one type for a piece of text in both, and one
// rule for choosing between them, used by the client, the server's pages,
// the sample site and the course platforms' pages alike.
package i18n

import "strings"

// Lang is one of the lab's languages.
type Lang string

// The lab's languages; Spanish is the default.
const (
	ES Lang = "es"
	EN Lang = "en"
)

// Of is the language a tag names: English where the tag is English (en,
// en-GB, en_US: a ?lang= value, a page's lang, navigator.language, a course
// platform's locale), Spanish otherwise.
func Of(tag string) Lang {
	primary, _, _ := strings.Cut(strings.TrimSpace(tag), "-")
	primary, _, _ = strings.Cut(primary, "_")
	if strings.EqualFold(primary, "en") {
		return EN
	}
	return ES
}

// FromAcceptLanguage is the language of an Accept-Language header's first
// tag ("en-GB,en;q=0.9,es;q=0.8" is English), as the browser's own
// navigator.language would name it: what a page that names no language is
// written in.
func FromAcceptLanguage(header string) Lang {
	first, _, _ := strings.Cut(header, ",")
	tag, _, _ := strings.Cut(first, ";")
	return Of(tag)
}

// Text is one piece of text in both languages.
type Text struct{ ES, EN string }

// In returns the text in l: English for EN, Spanish otherwise.
func (t Text) In(l Lang) string {
	if l == EN {
		return t.EN
	}
	return t.ES
}
