package site

import (
	"net/http"
	"strings"
)

// The sample site speaks Spanish and English, like the lab. It answers in
// the language a request asks for first in Accept-Language: the lab's own
// requests name the lab's language there, and a page the browser loads
// names the browser's. Its data (the courses) stays as it was written.

// english reports whether a request asks for English first.
func english(r *http.Request) bool {
	return FirstLanguageIsEnglish(r.Header.Get("Accept-Language"))
}

// FirstLanguageIsEnglish reads the first language of an Accept-Language
// header ("en-GB,en;q=0.9,es;q=0.8" → en-GB), as the browser's own
// navigator.language would say it, and reports whether it is English. The
// lab's pages choose their language by the same rule.
func FirstLanguageIsEnglish(header string) bool {
	first, _, _ := strings.Cut(header, ",")
	tag, _, _ := strings.Cut(first, ";")
	tag = strings.ToLower(strings.TrimSpace(tag))
	return tag == "en" || strings.HasPrefix(tag, "en-")
}

// say returns the Spanish or the English of a message, as r asks.
func say(r *http.Request, es, en string) string {
	if english(r) {
		return en
	}
	return es
}

// language labels an answer with the language it is in, and says that it
// depends on what the request asked for.
func language(w http.ResponseWriter, r *http.Request) {
	w.Header().Add("Vary", "Accept-Language")
	w.Header().Set("Content-Language", say(r, "es", "en"))
}
