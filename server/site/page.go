package site

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"reqlab/app/i18n"
	"reqlab/server/store"
)

// static holds the sample site's assets: its stylesheet, script, images and
// video, which its page asks for once the HTML has arrived.
//
//go:embed static
var static embed.FS

// pageTemplate is the sample site's front page. The text comes first in the
// document; the stylesheet, images, video and script are its assets.
var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{"imagen": levelImage}).Parse(`<!doctype html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<link rel="stylesheet" href="/site/static/estilo.css">
</head>
<body>
<header><h1>{{.Title}}</h1><p>{{.Tagline}}</p></header>
<main>
<img class="portada" src="/site/static/img/portada.png" alt="{{.CoverAlt}}" width="640" height="200">
<h2>{{.Courses}}</h2>
<ul class="cursos">
{{range .List}}<li><img src="/site/static/img/{{imagen .Nivel}}" alt="" width="240" height="120"><h3>{{.Titulo}}</h3><p>{{.Nivel}} · {{.Horas}} h</p><p>{{.Descripcion}}</p></li>
{{end}}</ul>
<h2>{{.Video}}</h2>
<video src="/site/static/intro.webm" controls preload="auto" muted width="320" height="180">{{.NoVideo}}</video>
</main>
<script src="/site/static/sitio.js" defer></script>
</body>
</html>
`))

// pageText is the front page's words in one language, and its courses.
type pageText struct {
	Lang, Title, Tagline, CoverAlt, Courses, Video, NoVideo string
	List                                                    []store.Course
}

// levelImage picks a course's picture by its level.
func levelImage(nivel string) string {
	switch nivel {
	case "básico":
		return "web.png"
	case "intermedio":
		return "go.png"
	default:
		return "sqlite.png"
	}
}

// page answers GET /site/: the sample site's HTML front page, built from the
// student's catalogue. It is revalidated on every visit; its assets, the
// same for everyone, are cached.
func (s *Site) page(w http.ResponseWriter, r *http.Request) {
	m := measureOf(w)
	courses, q, err := s.db.Courses(r.Context(), sessionOf(r))
	m.queried(q, err)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	m.responding()
	var b bytes.Buffer
	data := pageText{Lang: "es", Title: "Cursos de ejemplo", Tagline: "El sitio al que viajan las peticiones del laboratorio.",
		CoverAlt: "Portada: franjas de colores", Courses: "Nuestros cursos", Video: "Un vídeo", NoVideo: "Tu navegador no reproduce vídeo."}
	if langOf(r) == i18n.EN {
		data = pageText{Lang: "en", Title: "Sample courses", Tagline: "The site the lab's requests travel to.",
			CoverAlt: "Cover: coloured stripes", Courses: "Our courses", Video: "A video", NoVideo: "Your browser does not play video."}
	}
	data.List = courses
	if err := pageTemplate.Execute(&b, data); err != nil {
		s.fail(w, r, err)
		return
	}
	// The page lists the student's own catalogue: only their browser may
	// keep it, asking each time. (A navigation names its run in the query;
	// a fetch of the page, in its traceparent header.)
	w.Header().Set("Cache-Control", "private, no-cache")
	w.Header().Add("Vary", "Traceparent")
	send(w, r, http.StatusOK, "text/html; charset=utf-8", b.Bytes())
}

// asset answers GET /site/static/…: the page's assets, which the browser
// may keep for five minutes.
func (s *Site) asset(w http.ResponseWriter, r *http.Request) {
	m := measureOf(w)
	name := path.Clean("static/" + r.PathValue("file"))
	body, err := fs.ReadFile(static, name)
	m.responding()
	if err != nil {
		s.json(w, r, http.StatusNotFound, errorBody{Error: say(r, "no existe ese recurso", "there is no such file")})
		return
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	if strings.HasPrefix(name, "static/img/") && r.Method == http.MethodGet {
		sendSlowly(w, r, ct, body, imageTime)
		return
	}
	send(w, r, http.StatusOK, ct, body)
}

// imageTime is how long the site takes to send each of its images: they
// are small files, but a real site's photos over a mobile link take about
// this long, and the page-load lesson is about what shows before they are
// in. The lesson says the images come slowly on purpose.
const imageTime = 1500 * time.Millisecond

// sendSlowly answers with body in eight pieces spread over d, each flushed
// as it is written: the browser has the headers at once and the last byte
// after d.
func sendSlowly(w http.ResponseWriter, r *http.Request, contentType string, body []byte, d time.Duration) {
	language(w, r)
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	const pieces = 8
	for i := 0; i < pieces; i++ {
		from, to := i*len(body)/pieces, (i+1)*len(body)/pieces
		time.Sleep(d / pieces)
		if _, err := w.Write(body[from:to]); err != nil {
			return
		}
		rc.Flush()
	}
}
