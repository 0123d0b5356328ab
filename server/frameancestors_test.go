package main

import (
	"context"
	"io"
	"strings"
	"testing"
)

// -frame-ancestors takes a list of origins and nothing else (issue 24,
// point 8): it goes into the pages' Content-Security-Policy, where a ";"
// would start a directive of the setter's choosing and a "," another
// policy. Anything else stops the lab at start, saying which value and why.
func TestFrameAncestorsAreOrigins(t *testing.T) {
	for _, tt := range []struct {
		setting string
		want    []string // nil: refused
	}{
		{"https://campus.example.edu http://127.0.0.2:8000", []string{"https://campus.example.edu", "http://127.0.0.2:8000"}},
		{"https://*.example.edu https://[::1]:8443 https://lms.example.org/", []string{"https://*.example.edu", "https://[::1]:8443", "https://lms.example.org"}},
		{"https://campus.example.edu;", nil},
		{"https://campus.example.edu;script-src", nil},
		{"https://campus.example.edu; script-src 'unsafe-inline'", nil},
		{"https://a.example,https://b.example", nil},
		{"https://campus.example.edu'", nil},
		{"https://user@campus.example.edu", nil},
		{"https://campus.example.edu#x", nil},
		{"https://campus.example.edu?x", nil},
		{"https://campus.example.edu/path", nil},
		{"https://campus.example.edu:0", nil},
		{"https://campus.example.edu:99999", nil},
		{"https://-campus.example.edu", nil},
		{"https://campus..edu", nil},
		{"https://*", nil},
		{"https://[campus]", nil},
		{"campus.example.edu", nil},
		{"javascript:alert(1)", nil},
		{"'self'", nil},
	} {
		c, err := parseConfig([]string{"-frame-ancestors", tt.setting}, func(string) string { return "" }, io.Discard)
		switch {
		case tt.want == nil && err == nil:
			t.Errorf("-frame-ancestors %q taken as %q", tt.setting, c.frameAncestors)
		case tt.want == nil && !strings.Contains(err.Error(), "-frame-ancestors") || tt.want == nil && !strings.Contains(err.Error(), "is not an origin"):
			t.Errorf("-frame-ancestors %q refused with %q: not a clear message", tt.setting, err)
		case tt.want != nil && err != nil:
			t.Errorf("-frame-ancestors %q refused: %v", tt.setting, err)
		case tt.want != nil && strings.Join(c.frameAncestors, " ") != strings.Join(tt.want, " "):
			t.Errorf("-frame-ancestors %q taken as %q, want %q", tt.setting, c.frameAncestors, tt.want)
		}
	}
	// The lab does not start with one, from the variable either, and says why.
	err := run(context.Background(), nil, func(k string) string {
		return map[string]string{"REQLAB_FRAME_ANCESTORS": "https://campus.example.edu;script-src", "REQLAB_ADDR": "127.0.0.1:0", "REQLAB_DB": t.TempDir() + "/x.db"}[k]
	}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `"https://campus.example.edu;script-src" is not an origin`) {
		t.Errorf("the lab started with a directive in -frame-ancestors: %v", err)
	}
}
