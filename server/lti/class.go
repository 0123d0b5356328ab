package lti

import (
	"context"
	_ "embed"
	"encoding/json"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"reqlab/app/i18n"
	"reqlab/app/lesson"
	"reqlab/app/stage"
)

// The teacher's view of a class: a launch with an instructor's role opens
// the course's students (as the platform named them), each with the lessons
// done, the answers given and the runs sent, the page asking for news every
// few seconds; a run opens in playback. Only a teacher's launch opens it,
// by a signed token naming that course; students never see each other.

// isInstructor reports whether roles make the user a teacher of the course.
func isInstructor(roles []string) bool {
	for _, r := range roles {
		if strings.HasSuffix(r, "membership#Instructor") || strings.Contains(r, "membership/Instructor#") ||
			strings.HasSuffix(r, "membership#Administrator") || strings.HasSuffix(r, "institution/person#Administrator") {
			return true
		}
	}
	return false
}

// classPass is what a teacher's class token says.
type classPass struct {
	Issuer  string `json:"iss"`
	Context string `json:"ctx"`
	Title   string `json:"title"`
	Lang    string `json:"lang"`
	Expires int64  `json:"exp"`
}

const classTTL = 12 * time.Hour

func (p *classPass) expires() int64 { return p.Expires }

// classOf returns the class a request's pass (?t=) opens.
func (t *Tool) classOf(r *http.Request) (classPass, bool) {
	var p classPass
	ok := t.verify.openAs("class", r.URL.Query().Get("t"), &p)
	return p, ok
}

// classStudent is one student's row of the class view.
type classStudent struct {
	Name    string             `json:"name"`
	Done    []string           `json:"done"`    // the lessons whose question they answered right
	Answers []classAnswer      `json:"answers"` // every answer, oldest first
	Runs    []stage.RunSummary `json:"runs"`    // newest first
}

type classAnswer struct {
	Lesson  string    `json:"lesson"`
	Title   string    `json:"title"`
	Option  string    `json:"option"`
	Correct bool      `json:"correct"`
	At      time.Time `json:"at"`
}

// class gathers the class's students and what each did.
func (t *Tool) class(ctx context.Context, p classPass) ([]classStudent, error) {
	students, err := t.store.Class(ctx, p.Issuer, p.Context)
	if err != nil {
		return nil, err
	}
	out := make([]classStudent, 0, len(students))
	for _, s := range students {
		row := classStudent{Name: s.Name, Done: []string{}, Answers: []classAnswer{}}
		if row.Name == "" {
			row.Name = s.Subject // the platform sent no name: its id stands for it
		}
		answers, err := t.store.Answers(ctx, s.Session)
		if err != nil {
			return nil, err
		}
		for _, a := range answers {
			ls, ok := lesson.Find(a.Lesson)
			if !ok || a.Choice >= len(ls.Question.Options) {
				continue
			}
			row.Answers = append(row.Answers, classAnswer{Lesson: a.Lesson, Title: ls.Title.In(i18n.Lang(p.Lang)), Option: ls.Question.Options[a.Choice].In(i18n.Lang(p.Lang)), Correct: a.Correct, At: a.At})
			if a.Correct && !slices.Contains(row.Done, a.Lesson) {
				row.Done = append(row.Done, a.Lesson)
			}
		}
		if row.Runs, err = t.store.Runs(ctx, s.Session, 50); err != nil {
			return nil, err
		}
		out = append(out, row)
	}
	slices.SortFunc(out, func(a, b classStudent) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return out, nil
}

var classPage = template.Must(template.New("class").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Title}}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:1rem/1.5 system-ui,sans-serif;margin:1rem auto;max-width:70rem;padding:0 1rem;color:#1a1a1a;background:#fff}
h1{font-size:1.3rem}table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ccc;padding:.4rem;text-align:left;vertical-align:top}
ul{margin:0;padding-left:1.1rem}.right{color:#1d6b2f}.wrong{color:#a11}a{color:#0b4f8a}
@media (max-width:40rem){table,thead,tbody,tr,th,td{display:block}thead{display:none}td{border:0;padding:.2rem 0}tr{border-bottom:1px solid #ccc;padding:.5rem 0}}
</style></head><body><main data-field="class" data-token="{{.Token}}" data-lang="{{.Lang}}">
<h1>{{.Title}}</h1>
<p>{{.Intro}}</p>
<p role="status" aria-live="polite" data-field="class-status">{{.Loading}}</p>
<table><thead><tr><th scope="col">{{.Student}}</th><th scope="col">{{.Done}}</th><th scope="col">{{.Answers}}</th><th scope="col">{{.Runs}}</th></tr></thead>
<tbody data-field="class-rows"></tbody></table>
</main><script src="/lti/class.js"></script></body></html>
`))

//go:embed class.js
var classJS []byte

// Class serves the teacher's page of a class.
func (t *Tool) Class(w http.ResponseWriter, r *http.Request) {
	p, ok := t.classOf(r)
	if !ok {
		t.pages.refuse(w, r, http.StatusForbidden, "este enlace a la clase no es válido o caducó: ábrela de nuevo desde la plataforma", "this link to the class is not valid or has expired: open it again from the platform")
		return
	}
	words := map[string]string{"Title": "Tu clase: " + p.Title, "Intro": "Cada estudiante que abrió el laboratorio desde este curso, con lo que hizo. Se actualiza solo; abre una ejecución para verla paso a paso.",
		"Loading": "Cargando…", "Student": "Estudiante", "Done": "Lecciones hechas", "Answers": "Respuestas", "Runs": "Ejecuciones"}
	if p.Lang == "en" {
		words = map[string]string{"Title": "Your class: " + p.Title, "Intro": "Each student who opened the lab from this course, with what they did. It updates by itself; open a run to play it back step by step.",
			"Loading": "Loading…", "Student": "Student", "Done": "Lessons done", "Answers": "Answers", "Runs": "Runs"}
	}
	words["Lang"], words["Token"] = p.Lang, r.URL.Query().Get("t")
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors "+t.pages.ancestors())
	classPage.Execute(w, words)
}

// ClassData answers the page's asking for news: the class as JSON.
func (t *Tool) ClassData(w http.ResponseWriter, r *http.Request) {
	p, ok := t.classOf(r)
	if !ok {
		http.Error(w, `{"error":"not a teacher's link to this class"}`, http.StatusForbidden)
		return
	}
	rows, err := t.class(r.Context(), p)
	if err != nil {
		t.log.Error("LTI class", "err", err)
		http.Error(w, `{"error":"the class could not be read"}`, http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(map[string]any{"students": rows})
}

// ClassScript serves the class page's script.
func (t *Tool) ClassScript(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(classJS)
}
