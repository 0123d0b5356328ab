package site

import "net/http"

// route is one of the site's URLs and the handler that answers it.
type route struct {
	pattern string
	handler http.HandlerFunc
}

// notFoundPattern catches what no route matches: the request is answered
// 404, and its route stage notes that no route was chosen.
const notFoundPattern = "/site/"

// routes are the site's URLs. The site chooses among them itself, inside
// ServeHTTP, since choosing the route is the route stage it measures; the
// lab's routing table (server/routes.go) lists them too, each mounted on the
// site, so that every URL the lab answers is read in one place, and a test
// there keeps the two lists the same.
func (s *Site) routes() []route {
	return []route{
		{"GET /site/api/cursos", s.courses},
		{"POST /site/api/cursos", s.createCourse},
		{"GET /site/api/cursos/{id}", s.course},
		{"GET /site/api/inscripciones", s.enrollments},
		{"GET /site/api/portada", s.frontPage},
		{"GET /site/api/niveles", s.levels},
		{"GET /site/api/sesion", s.visits},
		{"GET /site/{$}", s.page},
		{"GET /site/static/{file...}", s.asset},
	}
}

// mount adds the site's routes to its mux.
func (s *Site) mount() {
	for _, r := range s.routes() {
		s.handle(r.pattern, r.handler)
	}
	s.mux.HandleFunc(notFoundPattern, s.notFound) // notes no route chosen itself
}

// Patterns returns the patterns of the site's URLs, as the site routes
// them, its catch-all for what matches none last.
func (s *Site) Patterns() []string {
	var out []string
	for _, r := range s.routes() {
		out = append(out, r.pattern)
	}
	return append(out, notFoundPattern)
}
