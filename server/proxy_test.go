package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestClientBehindTrustedProxies(t *testing.T) {
	trusted, err := parsePrefixes("127.0.0.1, 10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	var seen string
	h := behindProxies(trusted, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r.RemoteAddr }))
	for _, tt := range []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"from the balancer", "127.0.0.1:5000", []string{"203.0.113.7"}, "203.0.113.7:0"},
		{"through two trusted hops", "127.0.0.1:5000", []string{"198.51.100.2, 203.0.113.7, 10.1.2.3"}, "203.0.113.7:0"},
		{"over several headers", "127.0.0.1:5000", []string{"198.51.100.2", "203.0.113.7"}, "203.0.113.7:0"},
		{"a client naming another, straight to the lab", "203.0.113.9:4000", []string{"198.51.100.2"}, "203.0.113.9:4000"},
		{"no header", "127.0.0.1:5000", nil, "127.0.0.1:5000"},
		{"a hop that is no address", "127.0.0.1:5000", []string{"203.0.113.7, junk"}, "127.0.0.1:5000"},
		{"IPv6", "[::1]:5000", []string{"2001:db8::1"}, "[::1]:5000"}, // ::1 is not trusted here
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			if seen != tt.want {
				t.Errorf("RemoteAddr %q, want %q", seen, tt.want)
			}
		})
	}
	if _, err := parsePrefixes("10.0.0.0/8, nope"); err == nil {
		t.Error("a bad trusted proxy was taken")
	}
}
