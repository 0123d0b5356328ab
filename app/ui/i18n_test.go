package ui

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"reqlab/app/stage"
	"reqlab/app/wire"
)

func TestEveryMessageIsInBothLanguages(t *testing.T) {
	for key, m := range messages {
		if m.ES == "" || m.EN == "" {
			t.Errorf("message %q lacks a language: %+v", key, m)
		}
	}
	for _, id := range stage.All() {
		for _, l := range []Lang{ES, EN} {
			if l.StageName(id) == "" || l.StageAbout(id) == "" {
				t.Errorf("stage %s has no name or description in %s", id, l)
			}
		}
	}
	for r, m := range reasonText {
		if m.ES == "" || m.EN == "" {
			t.Errorf("reason %q lacks a language", r)
		}
	}
	for _, code := range []string{stage.CodeURLEmpty, stage.CodeURLOutside, stage.CodeURLTooLong, stage.CodeURLInvalid, stage.CodeMethodUnknown,
		stage.CodeHeaderName, stage.CodeHeaderValue, stage.CodeHeaderForbidden, stage.CodeHeadersTooLarge,
		stage.CodeCookieName, stage.CodeCookieValue, stage.CodeCookieTooLarge, stage.CodeBodyJSON, stage.CodeBodyTooLarge, stage.CodeBodyNotAllowed} {
		if _, ok := messages["field."+code]; !ok {
			t.Errorf("field error %s has no message", code)
		}
	}
	for _, n := range stage.Networks {
		if _, ok := messages["network."+networkKey(n.ID)]; !ok {
			t.Errorf("network %q has no name", n.ID)
		}
	}
	if _, ok := messages["field."+stage.CodeNetworkUnknown]; !ok {
		t.Error("the unknown network has no message")
	}
	for _, kind := range []string{"query", "header", "cookie"} {
		for _, key := range []string{"request." + kind + "-name-n", "request." + kind + "-value-n", "request.add-" + kind} {
			if _, ok := messages[key]; !ok {
				t.Errorf("message %s is missing", key)
			}
		}
	}
	for _, s := range []stage.State{stage.Idle, stage.Active, stage.Done, stage.Skipped, stage.Error} {
		if _, ok := messages["state."+string(s)]; !ok {
			t.Errorf("state %s has no name", s)
		}
	}
}

// Every error code the server may send (each constant Code… of app/wire,
// read from its source, so that a code added there is checked here without
// anyone listing it) has a message in the page's languages.
func TestEveryServerErrorHasAMessage(t *testing.T) {
	codes := wireCodes(t)
	if len(codes) < 9 {
		t.Fatalf("app/wire declares %d error codes (%v): the test reads fewer than there are", len(codes), codes)
	}
	for name, code := range codes {
		if _, ok := messages["error.code."+code]; !ok {
			t.Errorf("the error %s (wire.%s) has no message in the page's languages", code, name)
		}
	}
	// The reading found what the page itself names.
	for _, code := range []string{wire.CodeBadMessage, wire.CodeInternal, wire.CodeNotYours, wire.CodeUnavailable} {
		if !slices.Contains(slices.Collect(maps.Values(codes)), code) {
			t.Errorf("wire's code %q is not among those read from app/wire's source", code)
		}
	}
}

// wireCodes returns app/wire's constants named Code…, by name, as its
// source declares them.
func wireCodes(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("../wire/*.go")
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]string{}
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.CONST {
				continue
			}
			for _, spec := range gen.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if !strings.HasPrefix(name.Name, "Code") || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						t.Fatalf("%s: wire.%s is not a string literal", path, name.Name)
					}
					v, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					codes[name.Name] = v
				}
			}
		}
	}
	return codes
}

func TestMsUsesTheLanguagesDecimalMark(t *testing.T) {
	tests := []struct {
		l    Lang
		v    float64
		want string
	}{
		{ES, 0.123, "0,12 ms"}, {EN, 0.123, "0.12 ms"}, {ES, 12.34, "12,3 ms"}, {EN, 250.4, "250 ms"},
	}
	for _, tt := range tests {
		if got := tt.l.Ms(tt.v); got != tt.want {
			t.Errorf("%s.Ms(%v) = %q, want %q", tt.l, tt.v, got, tt.want)
		}
	}
}

func TestRunViewKeepsEventsBySeq(t *testing.T) {
	r := newRunView("r")
	ev := func(seq int64, id stage.ID, st stage.State) stage.Event {
		return stage.Event{Seq: seq, Stage: id, State: st}
	}
	for _, e := range []stage.Event{ev(2, stage.Route, stage.Done), ev(1, stage.Receive, stage.Done), ev(4, stage.Respond, stage.Done)} {
		if !r.add(e) {
			t.Fatalf("event %d refused", e.Seq)
		}
	}
	if r.add(ev(2, stage.Route, stage.Done)) {
		t.Error("a repeated event was taken twice")
	}
	if r.contiguous != 2 {
		t.Errorf("contiguous = %d, want 2: seq 3 is missing", r.contiguous)
	}
	r.add(ev(3, stage.DB, stage.Error))
	if r.contiguous != 4 {
		t.Errorf("contiguous = %d, want 4", r.contiguous)
	}
	tl := r.timeline(0)
	if got := tl.States(len(tl.Moments))[stage.DB].State; got != stage.Error {
		t.Errorf("db is %s, want error", got)
	}
}
