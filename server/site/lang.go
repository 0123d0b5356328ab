package site

import (
	"net/http"

	"reqlab/app/i18n"
)

// The sample site speaks Spanish and English, like the lab. It answers in
// the language a request asks for first in Accept-Language: the lab's own
// requests name the lab's language there, and a page the browser loads
// names the browser's. Its data (the courses) stays as it was written.

// langOf is the language a request asks for first (i18n.FromAcceptLanguage,
// the rule the lab's pages follow too).
func langOf(r *http.Request) i18n.Lang {
	return i18n.FromAcceptLanguage(r.Header.Get("Accept-Language"))
}

// say returns the Spanish or the English of a message, as r asks.
func say(r *http.Request, es, en string) string {
	return i18n.Text{ES: es, EN: en}.In(langOf(r))
}

// language labels an answer with the language it is in, and says that it
// depends on what the request asked for.
func language(w http.ResponseWriter, r *http.Request) {
	w.Header().Add("Vary", "Accept-Language")
	w.Header().Set("Content-Language", say(r, "es", "en"))
}
