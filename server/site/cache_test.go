package site

import (
	"net/http"
	"strings"
	"testing"
)

// What depends on the student is kept by no shared cache (issue 24, point 3):
// a school's proxy in front of the lab must never hand one student's
// catalogue or cookies to the next. Each answer is fetched as two students
// (one of whom added a course, one with cookies): where the two differ, the
// answer must be no-store or private and vary by what told them apart; what
// may be public must be the same for both.
func TestPersonalAnswersAreNotShared(t *testing.T) {
	srv, rec := newTestSite(t)
	ana, luis := rec.tp(rec.openRunOf("ana")), rec.tp(rec.openRunOf("luis"))
	if res, body := request(t, "POST", srv.URL+"/site/api/cursos", `{"titulo":"De Ana","nivel":"avanzado","horas":2}`,
		map[string]string{"Content-Type": "application/json", "traceparent": ana}); res.StatusCode != 201 {
		t.Fatalf("Ana's course: %d %s", res.StatusCode, body)
	}
	cacheable := func(cc string) bool { return !strings.Contains(cc, "no-store") && !strings.Contains(cc, "private") }
	for _, tt := range []struct {
		path     string
		personal bool   // its answer is the student's own
		vary     string // what it must vary by, if so
		cookie   bool   // the students send cookies of their own
	}{
		{path: "/site/api/cursos", personal: true, vary: "Traceparent"},
		{path: "/site/api/cursos?nivel=avanzado", personal: true, vary: "Traceparent"},
		{path: "/site/api/cursos/7", personal: true, vary: "Traceparent"},
		{path: "/site/", personal: true, vary: "Traceparent"},
		{path: "/site/api/sesion", personal: true, vary: "Cookie", cookie: true},
		{path: "/site/api/portada"},
		{path: "/site/api/niveles"},
		{path: "/site/static/estilo.css"},
	} {
		t.Run(tt.path, func(t *testing.T) {
			as := func(tp, cookie string) (*http.Response, string) {
				hdr := map[string]string{"traceparent": tp}
				if tt.cookie {
					hdr["Cookie"] = cookie
				}
				return request(t, "GET", srv.URL+tt.path, "", hdr)
			}
			resA, bodyA := as(ana, "visitas=41; tema=oscuro")
			resB, bodyB := as(luis, "visitas=2")
			differ := bodyA != bodyB
			if differ != tt.personal {
				t.Fatalf("Ana's and Luis's answers differ: %v, want %v (the test's premise)", differ, tt.personal)
			}
			for _, res := range []*http.Response{resA, resB} {
				cc, vary := res.Header.Get("Cache-Control"), strings.Join(res.Header.Values("Vary"), ", ")
				switch {
				case tt.personal && cacheable(cc):
					t.Errorf("a student's own answer is Cache-Control %q: a shared cache may keep it", cc)
				case tt.personal && !strings.Contains(vary, tt.vary):
					t.Errorf("a student's own answer varies by %q, want %s", vary, tt.vary)
				case !tt.personal && res.StatusCode == 200 && !cacheable(cc) && !strings.Contains(cc, "no-cache"):
					t.Errorf("shared sample data is Cache-Control %q", cc)
				}
			}
		})
	}
	// The answer to the insert itself is Ana's too.
	res, _ := request(t, "POST", srv.URL+"/site/api/cursos", `{"titulo":"Otro","nivel":"básico","horas":2}`,
		map[string]string{"Content-Type": "application/json", "traceparent": ana})
	if cc := res.Header.Get("Cache-Control"); res.StatusCode != 201 || cacheable(cc) || !strings.Contains(res.Header.Get("Vary"), "Traceparent") {
		t.Errorf("the insert's answer: %d, Cache-Control %q, Vary %q", res.StatusCode, cc, res.Header.Get("Vary"))
	}
}

// Cookies that are not the lab's are kept redacted, nameless ones too
// (issue 24, point 8): "=value", and a bare "value", which is how browsers
// send a cookie set with no name.
func TestRedactCookies(t *testing.T) {
	ours := func(name string) bool { return name == "visitas" || name == "" }
	for _, tt := range []struct{ in, want string }{
		{"visitas=3; sid=secreto", "visitas=3; sid=[redacted 7 bytes]"},
		{"=secreto; visitas=3", "=[redacted 7 bytes]; visitas=3"},
		{"secreto; visitas=3", "[redacted 7 bytes]; visitas=3"},
		{"visitas=3;  =a=b ;", "visitas=3; =[redacted 3 bytes]; "},
		{"visitas=", "visitas="},
	} {
		if got := redactCookies(tt.in, ours); got != tt.want {
			t.Errorf("redactCookies(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
