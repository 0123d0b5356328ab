package site

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"reqlab/app/stage"
	"reqlab/server/store"
)

// The sample site's routes: each notes the route it is and the query it runs,
// so that the lab can show the backend deciding.

// courses answers GET /site/api/cursos, the catalogue, or with ?nivel= the
// courses of one level.
func (s *Site) courses(w http.ResponseWriter, r *http.Request) {
	m := measureOf(w)
	personal(w)
	var (
		courses []store.Course
		q       store.Query
		err     error
	)
	if nivel := r.URL.Query().Get("nivel"); nivel != "" {
		courses, q, err = s.db.CoursesOfLevel(r.Context(), sessionOf(r), nivel)
	} else {
		courses, q, err = s.db.Courses(r.Context(), sessionOf(r))
	}
	m.queried(q, err)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.json(w, r, http.StatusOK, courses)
}

func (s *Site) course(w http.ResponseWriter, r *http.Request) {
	m := measureOf(w)
	personal(w)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		// The backend decides without its database: no such id can exist.
		s.json(w, r, http.StatusBadRequest, errorBody{Error: say(r, "el id de un curso es un número entero positivo", "a course id is a positive whole number")})
		return
	}
	course, q, err := s.db.Course(r.Context(), sessionOf(r), id)
	m.queried(q, err)
	switch {
	case err != nil:
		s.fail(w, r, err)
	case course == nil:
		s.json(w, r, http.StatusNotFound, errorBody{Error: say(r, "no existe un curso con ese id", "there is no course with that id")})
	default:
		s.json(w, r, http.StatusOK, course)
	}
}

func (s *Site) enrollments(w http.ResponseWriter, r *http.Request) {
	m := measureOf(w)
	list, q, err := s.db.Enrollments(r.Context())
	m.queried(q, err)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.json(w, r, http.StatusOK, list)
}

// notFound answers what no route takes: 404 where no route has the path,
// 405 where a route has it for other methods, and OPTIONS with the methods
// that it has.
func (s *Site) notFound(w http.ResponseWriter, r *http.Request) {
	m := measureOf(w)
	allow := s.allowed(r)
	switch {
	case allow == "":
		m.noRoute(stage.ReasonNoRoute)
		s.json(w, r, http.StatusNotFound, errorBody{Error: say(r, "ninguna ruta del sitio responde a ", "no route of the site answers ") + r.URL.Path})
	case r.Method == http.MethodOptions:
		m.noRoute(stage.ReasonOptions)
		w.Header().Set("Allow", allow)
		m.responding()
		w.WriteHeader(http.StatusNoContent)
	default:
		m.noRoute(stage.ReasonMethod)
		w.Header().Set("Allow", allow)
		s.json(w, r, http.StatusMethodNotAllowed, errorBody{Error: say(r, "esta ruta no acepta "+r.Method+"; acepta "+allow, "this route does not take "+r.Method+"; it takes "+allow)})
	}
}

// allowed lists the methods that some route takes for the request's path.
func (s *Site) allowed(r *http.Request) string {
	var methods []string
	for _, method := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = method
		if _, pattern := s.mux.Handler(probe); pattern != "/site/" && pattern != "" {
			methods = append(methods, method)
			if method == "GET" {
				methods = append(methods, "HEAD")
			}
		}
	}
	if len(methods) == 0 {
		return ""
	}
	return strings.Join(append(methods, "OPTIONS"), ", ")
}

// printable reports whether s is text a page can show: no control
// characters but line breaks and tabs. (JSON decoding has already turned
// invalid UTF-8 into U+FFFD.)
func printable(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' {
			return false
		}
	}
	return true
}

type errorBody struct {
	Error string `json:"error"`
}

// fail answers 500: the detail goes to the log (and to the run's db stage),
// the client gets a short message.
func (s *Site) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Warn("sample site query failed", "path", r.URL.Path, "err", err)
	s.json(w, r, http.StatusInternalServerError, errorBody{Error: say(r, "error interno del servidor", "internal server error")})
}

// json answers with v as JSON.
func (s *Site) json(w http.ResponseWriter, r *http.Request, status int, v any) {
	measureOf(w).responding()
	s.write(w, r, status, s.encode(v))
}

func (s *Site) encode(v any) []byte {
	body, err := json.Marshal(v)
	if err != nil {
		s.log.Error("encode sample site answer", "err", err)
		return []byte(`{"error":"error interno del servidor"}` + "\n")
	}
	return append(body, '\n')
}

// personal marks an answer that depends on the student: their own
// catalogue, found by the run their request's traceparent names (see
// sessionOf). No cache keeps it (a school's shared proxy would hand it to the
// next student), and one that did would key it by the traceparent.
func personal(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Add("Vary", "Traceparent")
}

// write sends a JSON body. An answer is not cached unless its route said
// otherwise: live data changes, and the lessons on caching set their rules.
func (s *Site) write(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	if w.Header().Get("Cache-Control") == "" {
		w.Header().Set("Cache-Control", "no-store")
	}
	send(w, r, status, "application/json; charset=utf-8", body)
}

// send answers with a body of a content type (none for HEAD).
func send(w http.ResponseWriter, r *http.Request, status int, contentType string, body []byte) {
	language(w, r)
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// createCourse answers POST /site/api/cursos: it checks the JSON body and
// inserts the course, answering 201 with where it now lives; a body it cannot
// take gets 400 or 415 and nothing is inserted.
func (s *Site) createCourse(w http.ResponseWriter, r *http.Request) {
	m := measureOf(w)
	personal(w)
	if mt, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); strings.TrimSpace(strings.ToLower(mt)) != "application/json" {
		s.json(w, r, http.StatusUnsupportedMediaType, errorBody{Error: say(r, "envía el curso en JSON, con Content-Type: application/json", "send the course as JSON, with Content-Type: application/json")})
		return
	}
	var in struct {
		Titulo      string `json:"titulo"`
		Nivel       string `json:"nivel"`
		Horas       int    `json:"horas"`
		Descripcion string `json:"descripcion"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		s.json(w, r, http.StatusBadRequest, errorBody{Error: say(r, "el cuerpo no es un curso en JSON: ", "the body is not a course in JSON: ") + err.Error()})
		return
	}
	in.Titulo = strings.TrimSpace(in.Titulo)
	switch {
	case in.Titulo == "" || utf8.RuneCountInString(in.Titulo) > 200:
		s.json(w, r, http.StatusBadRequest, errorBody{Error: say(r, "el titulo es obligatorio y tiene como mucho 200 caracteres", "titulo (the title) is required and has at most 200 characters")})
		return
	case utf8.RuneCountInString(in.Descripcion) > 2000:
		s.json(w, r, http.StatusBadRequest, errorBody{Error: say(r, "la descripcion tiene como mucho 2000 caracteres", "descripcion (the description) has at most 2000 characters")})
		return
	case !printable(in.Titulo) || !printable(in.Descripcion):
		s.json(w, r, http.StatusBadRequest, errorBody{Error: say(r, "el titulo y la descripcion son texto: sin caracteres de control", "titulo and descripcion are text: no control characters")})
		return
	case in.Nivel != "básico" && in.Nivel != "intermedio" && in.Nivel != "avanzado":
		s.json(w, r, http.StatusBadRequest, errorBody{Error: say(r, "el nivel es básico, intermedio o avanzado", "nivel (the level) is básico, intermedio or avanzado")})
		return
	case in.Horas < 1 || in.Horas > 1000:
		s.json(w, r, http.StatusBadRequest, errorBody{Error: say(r, "las horas son un número entero de 1 a 1000", "horas (the hours) is a whole number from 1 to 1000")})
		return
	}
	session := sessionOf(r)
	if session == "" {
		// Each lab session has a catalogue of its own; a request from
		// outside the lab has none to add to.
		s.json(w, r, http.StatusForbidden, errorBody{Error: say(r, "este sitio guarda cada curso en la sesión del laboratorio que lo envía: envíalo desde el laboratorio", "this site keeps each course in the lab session that sends it: send it from the lab")})
		return
	}
	c, q, err := s.db.InsertCourse(r.Context(), session, store.Course{Titulo: in.Titulo, Nivel: in.Nivel, Horas: in.Horas, Descripcion: in.Descripcion})
	m.queried(q, err)
	switch {
	case errors.Is(err, store.ErrFull):
		s.json(w, r, http.StatusConflict, errorBody{Error: fmt.Sprintf(say(r, "tu catálogo de ejemplo ya tiene los %d cursos que puedes añadir: restablece los datos de ejemplo para empezar de nuevo", "your sample catalogue already has the %d courses you may add: reset the sample data to start again"), store.MaxCoursesPerSession)})
	case err != nil:
		s.fail(w, r, err)
	default:
		w.Header().Set("Location", "/site/api/cursos/"+strconv.FormatInt(c.ID, 10))
		s.json(w, r, http.StatusCreated, c)
	}
}

// frontPage answers GET /site/api/portada, the site's front page data. The
// browser may keep its answer for a minute: within it, asking again never
// leaves the browser. It is the shared sample catalogue's, no student's (the
// seed, whoever asks), so that any cache may keep it: public, as the cache
// lesson shows.
func (s *Site) frontPage(w http.ResponseWriter, r *http.Request) {
	m := measureOf(w)
	courses, q, err := s.db.Courses(r.Context(), "")
	m.queried(q, err)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := struct {
		Sitio  string        `json:"sitio"`
		Cursos int           `json:"cursos"`
		Ultimo *store.Course `json:"ultimo,omitempty"`
	}{Sitio: say(r, "Cursos de ejemplo", "Sample courses"), Cursos: len(courses)}
	if len(courses) > 0 {
		page.Ultimo = &courses[len(courses)-1]
	}
	w.Header().Set("Cache-Control", "public, max-age=60")
	s.json(w, r, http.StatusOK, page)
}

// levels answers GET /site/api/niveles with an ETag and no-cache: the browser
// keeps the answer but asks each time whether it changed; when it did not,
// the server answers 304 with no body and the browser uses its copy. Like the
// front page's, its data is the shared sample catalogue's, no student's.
func (s *Site) levels(w http.ResponseWriter, r *http.Request) {
	m := measureOf(w)
	levels, q, err := s.db.Levels(r.Context(), "")
	m.queried(q, err)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	m.responding()
	body := s.encode(levels)
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("ETag", etag)
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	s.write(w, r, http.StatusOK, body)
}

// visitsCookie is the sample site's own cookie: the count of visits, below
// maxVisits.
const (
	visitsCookie = "visitas"
	maxVisits    = 1_000_000_000
)

// visits answers GET /site/api/sesion: it counts this browser's visits in a
// cookie that it sets, and that the browser sends back from then on.
func (s *Site) visits(w http.ResponseWriter, r *http.Request) {
	m := measureOf(w)
	// The answer is this browser's cookies': no cache keeps it.
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Add("Vary", "Cookie")
	n := 0
	if c, err := r.Cookie(visitsCookie); err == nil {
		n, _ = strconv.Atoi(c.Value)
	}
	if n < 0 || n >= maxVisits {
		n = 0 // not a count this site set: start again
	}
	n++
	names := []string{}
	for _, c := range r.Cookies() {
		names = append(names, c.Name)
	}
	cookie := &http.Cookie{Name: visitsCookie, Value: strconv.Itoa(n), Path: stage.SitePrefix,
		MaxAge: 24 * 60 * 60, SameSite: http.SameSiteLaxMode}
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		// Over HTTPS the lab may be embedded in a course on another site:
		// there its cookies are third-party, and browsers keep them only
		// partitioned by that site (CHIPS).
		cookie.SameSite, cookie.Secure, cookie.Partitioned = http.SameSiteNoneMode, true, true
	}
	http.SetCookie(w, cookie)
	s.json(w, r, http.StatusOK, struct {
		Visitas          int      `json:"visitas"`
		CookiesRecibidas []string `json:"cookies_recibidas"`
		BytesDeCookies   int64    `json:"bytes_de_cookies"`
	}{n, names, m.cookieBytes})
}
