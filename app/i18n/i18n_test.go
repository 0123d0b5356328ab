package i18n

import (
	"strings"
	"testing"
)

func TestOneRuleForTheLanguage(t *testing.T) {
	for _, tt := range []struct {
		tag  string
		want Lang
	}{
		{"en", EN}, {"EN", EN}, {"en-GB", EN}, {"en_US", EN}, {" en ", EN},
		{"es", ES}, {"es-ES", ES}, {"", ES}, {"fr", ES}, {"eng", ES}, {"english", ES},
	} {
		if got := Of(tt.tag); got != tt.want {
			t.Errorf("Of(%q) = %s, want %s", tt.tag, got, tt.want)
		}
	}
	for _, tt := range []struct {
		header string
		want   Lang
	}{
		{"en-GB,en;q=0.9,es;q=0.8", EN}, {"en;q=0.8", EN}, {"EN-gb;q=0.8, es;q=0.5", EN}, {" en-AU ; q=1 , es", EN},
		{"es-ES,es;q=0.9,en;q=0.8", ES}, {"", ES}, {"*", ES}, {"eng", ES}, {"english,en", ES},
		{"fr-FR,en;q=0.9", ES}, // the client follows navigator.language: French, so Spanish
		{strings.Repeat("en-", 100_000), EN},
	} {
		if got := FromAcceptLanguage(tt.header); got != tt.want {
			t.Errorf("FromAcceptLanguage(%q) = %s, want %s", tt.header, got, tt.want)
		}
	}
	if got := (Text{"hola", "hello"}).In(EN); got != "hello" {
		t.Errorf("In(EN) = %q", got)
	}
	if got := (Text{"hola", "hello"}).In("de"); got != "hola" {
		t.Errorf("In(de) = %q, want the Spanish", got)
	}
}
