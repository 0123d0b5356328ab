package lti

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"reqlab/app/i18n"
	"reqlab/app/lesson"
)

// Deep linking: a teacher adding the lab to a course picks lessons and
// their options on a page of the lab's, and the lab answers the platform
// with a signed list of links to them (1EdTech's Deep Linking 2.0).

// deepLinkSettings is the request's deep_linking_settings claim.
type deepLinkSettings struct {
	ReturnURL      string   `json:"deep_link_return_url"`
	AcceptTypes    []string `json:"accept_types"`
	AcceptMultiple *bool    `json:"accept_multiple"`
	Data           string   `json:"data"`
}

// picking is what the lessons page carries, signed, to the answer: who
// asked and where the answer goes.
type picking struct {
	Issuer     string `json:"iss"`
	ClientID   string `json:"client_id"`
	Deployment string `json:"deployment"`
	ReturnURL  string `json:"return"`
	Data       string `json:"data,omitempty"`
	Multiple   bool   `json:"multiple"`
	Lang       string `json:"lang"`
	Expires    int64  `json:"exp"`
}

const pickingTTL = time.Hour

func (p *picking) expires() int64 { return p.Expires }

var pickPage = template.Must(template.New("pick").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Title}}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:1rem/1.5 system-ui,sans-serif;max-width:44rem;margin:1.5rem auto;padding:0 1rem;color:#1a1a1a;background:#fff}
h1{font-size:1.3rem}fieldset{border:1px solid #bbb;border-radius:.4rem;margin:0 0 1rem;padding:.5rem 1rem}
label{display:block;padding:.35rem 0;min-height:44px;box-sizing:border-box}input{margin-right:.5rem;width:1.1rem;height:1.1rem;vertical-align:middle}
button{font:inherit;padding:.6rem 1.2rem;border-radius:.4rem;border:1px solid #0b4f8a;background:#0b4f8a;color:#fff;min-height:44px}
button:focus-visible,input:focus-visible{outline:3px solid #e08a00;outline-offset:2px}
</style></head><body><main>
<h1 data-field="pick-title">{{.Title}}</h1>
<p>{{.Intro}}</p>
<form method="post" action="/lti/deep-link" data-field="pick-form">
<input type="hidden" name="picking" value="{{.Picking}}">
<fieldset><legend>{{.Lessons}}</legend>
{{range .Choices}}<label><input type="{{$.Kind}}" name="lesson" value="{{.Slug}}"{{if .First}} required{{end}}>{{.Title}}</label>
{{end}}</fieldset>
<fieldset><legend>{{.LangLegend}}</legend>
<label><input type="radio" name="lang" value="es"{{if eq .Lang "es"}} checked{{end}}>Español</label>
<label><input type="radio" name="lang" value="en"{{if eq .Lang "en"}} checked{{end}}>English</label>
</fieldset>
<fieldset><legend>{{.Options}}</legend>
<label><input type="checkbox" name="autoplay" value="1">{{.Autoplay}}</label>
</fieldset>
<button type="submit" data-action="pick">{{.Add}}</button>
</form></main></body></html>
`))

type choice struct {
	Slug, Title string
	First       bool
}

// pickLessons answers a deep linking request: the page where the teacher
// picks lessons.
func (t *Tool) pickLessons(w http.ResponseWriter, r *http.Request, p Platform, deployment, locale string, s deepLinkSettings) {
	if secureURL(s.ReturnURL) != nil {
		t.pages.refuse(w, r, http.StatusBadRequest, "la plataforma no dice adónde devolver las lecciones elegidas", "the platform does not say where to return the lessons picked")
		return
	}
	if len(s.AcceptTypes) > 0 && !slices.Contains(s.AcceptTypes, "ltiResourceLink") {
		t.pages.refuse(w, r, http.StatusBadRequest, "la plataforma no acepta enlaces a actividades LTI aquí", "the platform takes no links to LTI activities here")
		return
	}
	lang := langOf(locale)
	pk := picking{Issuer: p.Issuer, ClientID: p.ClientID, Deployment: deployment, ReturnURL: s.ReturnURL, Data: s.Data,
		Multiple: s.AcceptMultiple == nil || *s.AcceptMultiple, Lang: lang, Expires: t.Now().Add(pickingTTL).Unix()}
	signed := t.verify.sealAs("picking", &pk)

	var choices []choice
	for i, slug := range lesson.Slugs() {
		l, _ := lesson.Find(slug)
		choices = append(choices, choice{Slug: slug, Title: l.Title.In(i18n.Lang(lang)), First: i == 0})
	}
	kind := "checkbox"
	if !pk.Multiple {
		kind = "radio"
	}
	words := map[string]string{"Title": "Elegir lecciones del laboratorio", "Intro": "Elige las lecciones que añadir al curso y cómo se abren.",
		"Lessons": "Lecciones", "LangLegend": "Idioma", "Options": "Opciones", "Autoplay": "Enviar la primera petición de la lección al abrirla", "Add": "Añadir al curso"}
	if lang == "en" {
		words = map[string]string{"Title": "Pick lessons of the lab", "Intro": "Pick the lessons to add to the course and how they open.",
			"Lessons": "Lessons", "LangLegend": "Language", "Options": "Options", "Autoplay": "Send the lesson's first request as it opens", "Add": "Add to the course"}
	}
	data := map[string]any{"Lang": lang, "Picking": signed, "Choices": choices, "Kind": kind}
	for k, v := range words {
		data[k] = v
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors "+t.pages.ancestors())
	pickPage.Execute(w, data)
}

// DeepLink answers the teacher's pick: a signed LtiDeepLinkingResponse of
// the lessons as links, posted back to the platform.
func (t *Tool) DeepLink(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		t.pages.refuse(w, r, http.StatusBadRequest, "la elección no se puede leer", "the pick cannot be read")
		return
	}
	var pk picking
	if !t.verify.openAs("picking", r.PostForm.Get("picking"), &pk) {
		t.pages.refuse(w, r, http.StatusBadRequest, "la elección no viene de una página del laboratorio o caducó: vuelve a empezar desde la plataforma", "the pick does not come from a page of the lab, or it expired: start again from the platform")
		return
	}
	p, ok := t.verify.platform(pk.Issuer, pk.ClientID)
	if !ok {
		t.pages.refuse(w, r, http.StatusBadRequest, "esta plataforma ya no está registrada", "this platform is no longer registered")
		return
	}
	lang := langOf(r.PostForm.Get("lang"))
	slugs := r.PostForm["lesson"]
	if len(slugs) == 0 || !pk.Multiple && len(slugs) > 1 {
		t.pages.refuse(w, r, http.StatusBadRequest, "elige una lección", "pick a lesson")
		return
	}
	var items []map[string]any
	for _, slug := range slugs {
		l, found := lesson.Find(slug)
		if !found {
			t.pages.refuse(w, r, http.StatusBadRequest, "esa lección no existe", "there is no such lesson")
			return
		}
		q := url.Values{"lang": {lang}}
		if r.PostForm.Get("autoplay") == "1" {
			q.Set("autoplay", "1")
		}
		items = append(items, map[string]any{
			"type": "ltiResourceLink", "title": "reqlab: " + l.Title.In(i18n.Lang(lang)),
			"url": origin(r) + "/lab/" + slug + "?" + q.Encode(),
		})
	}
	claims := map[string]any{
		"https://purl.imsglobal.org/spec/lti/claim/message_type":     "LtiDeepLinkingResponse",
		"https://purl.imsglobal.org/spec/lti/claim/version":          "1.3.0",
		"https://purl.imsglobal.org/spec/lti/claim/deployment_id":    pk.Deployment,
		"https://purl.imsglobal.org/spec/lti-dl/claim/content_items": items,
		"nonce": randomHex(16),
	}
	if pk.Data != "" {
		claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] = pk.Data
	}
	now := t.Now()
	signed, err := t.signer.sign(jwt.Claims{Issuer: p.ClientID, Audience: jwt.Audience{p.Issuer}, IssuedAt: jwt.NewNumericDate(now),
		Expiry: jwt.NewNumericDate(now.Add(5 * time.Minute))}, claims)
	if err != nil {
		t.log.Error("LTI deep linking: sign", "err", err)
		t.pages.refuse(w, r, http.StatusInternalServerError, "el laboratorio no pudo firmar la respuesta", "the lab could not sign the answer")
		return
	}
	t.pages.postBack(w, pk.ReturnURL, "JWT", signed, lang)
}

var postBackPage = template.Must(template.New("post").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>reqlab</title></head><body>
<form method="post" action="{{.Action}}" data-field="post-back"><input type="hidden" name="{{.Name}}" value="{{.Value}}">
<noscript><button type="submit">{{if eq .Lang "en"}}Back to the course{{else}}Volver al curso{{end}}</button></noscript></form>
<script nonce="{{.Nonce}}">document.forms[0].submit()</script></body></html>
`))

// postBack sends the browser to the platform with one signed value, as a
// form it submits by itself.
func (pg *pages) postBack(w http.ResponseWriter, action, name, value, lang string) {
	nonce := randomHex(16)
	target, _ := url.Parse(action)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; form-action "+target.Scheme+"://"+target.Host+"; base-uri 'none'; frame-ancestors "+pg.ancestors())
	postBackPage.Execute(w, map[string]string{"Lang": lang, "Action": action, "Name": name, "Value": value, "Nonce": nonce})
}

// langOf is the lab's language for a platform's locale (es-ES, en-GB…),
// by i18n's one rule.
func langOf(locale string) string {
	return string(i18n.Of(locale))
}
