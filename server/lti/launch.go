package lti

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"reqlab/app/i18n"
	"reqlab/app/lesson"
	"reqlab/server/store"
)

// The message types of LTI 1.3 launches.
const (
	messageResourceLink = "LtiResourceLinkRequest"
	messageDeepLinking  = "LtiDeepLinkingRequest"
)

// launchClaims are the LTI claims beside the registered ones.
type launchClaims struct {
	Nonce        string   `json:"nonce"`
	AZP          string   `json:"azp"`
	Name         string   `json:"name"`
	Locale       string   `json:"locale"`
	MessageType  string   `json:"https://purl.imsglobal.org/spec/lti/claim/message_type"`
	Version      string   `json:"https://purl.imsglobal.org/spec/lti/claim/version"`
	DeploymentID string   `json:"https://purl.imsglobal.org/spec/lti/claim/deployment_id"`
	TargetLink   string   `json:"https://purl.imsglobal.org/spec/lti/claim/target_link_uri"`
	Roles        []string `json:"https://purl.imsglobal.org/spec/lti/claim/roles"`
	ResourceLink struct {
		ID string `json:"id"`
	} `json:"https://purl.imsglobal.org/spec/lti/claim/resource_link"`
	Context struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	} `json:"https://purl.imsglobal.org/spec/lti/claim/context"`
	DeepLinking deepLinkSettings `json:"https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"`
	Grades      agsEndpoint      `json:"https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"`
	Custom      map[string]any   `json:"https://purl.imsglobal.org/spec/lti/claim/custom"`
}

// leeway is the clock difference allowed between platform and lab.
const leeway = time.Minute

// Login answers a platform's third-party initiated login: it remembers, in
// a cookie of this browser, a new state and nonce, and sends the browser to
// the platform to authenticate the user.
func (t *Tool) Login(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		t.pages.refuse(w, r, http.StatusBadRequest, "la petición de inicio no se puede leer", "the login request cannot be read")
		return
	}
	iss, hint, target := r.Form.Get("iss"), r.Form.Get("login_hint"), r.Form.Get("target_link_uri")
	if iss == "" || hint == "" || target == "" {
		t.pages.refuse(w, r, http.StatusBadRequest, "faltan iss, login_hint o target_link_uri en el inicio de sesión", "the login lacks iss, login_hint or target_link_uri")
		return
	}
	p, ok := t.verify.platform(iss, r.Form.Get("client_id"))
	if !ok {
		t.pages.refuse(w, r, http.StatusBadRequest, "esta plataforma no está registrada en el laboratorio", "this platform is not registered with the lab")
		return
	}
	if d := r.Form.Get("lti_deployment_id"); d != "" && !slices.Contains(p.DeploymentIDs, d) {
		t.pages.refuse(w, r, http.StatusForbidden, "este despliegue de la plataforma no está registrado", "this deployment of the platform is not registered")
		return
	}
	if !t.ownURL(r, target) {
		t.pages.refuse(w, r, http.StatusBadRequest, "el enlace no lleva a este laboratorio", "the link does not lead to this lab")
		return
	}
	storage := r.Form.Get("lti_storage_target")
	if storage != "" && !storageTarget.MatchString(storage) {
		storage = ""
	}
	state, nonce := randomHex(16), randomHex(16)
	sealed := t.verify.sealAs("state", &pending{Issuer: p.Issuer, ClientID: p.ClientID, Nonce: nonce, Expires: t.Now().Add(stateTTL).Unix()})
	http.SetCookie(w, &http.Cookie{
		Name: stateCookie(state), Value: sealed,
		Path: "/lti/", MaxAge: int(stateTTL / time.Second), HttpOnly: true, Secure: true, SameSite: http.SameSiteNoneMode,
		// Kept apart for the site that frames the lab (CHIPS): browsers
		// that block third-party cookies still keep this one, since the
		// login and the launch happen in the same frame of the same site.
		Partitioned: true,
	})
	q := url.Values{
		"scope": {"openid"}, "response_type": {"id_token"}, "response_mode": {"form_post"}, "prompt": {"none"},
		"client_id": {p.ClientID}, "redirect_uri": {origin(r) + "/lti/launch"}, "login_hint": {hint},
		"state": {state}, "nonce": {nonce},
	}
	if m := r.Form.Get("lti_message_hint"); m != "" {
		q.Set("lti_message_hint", m)
	}
	sep := "?"
	if strings.Contains(p.AuthURL, "?") {
		sep = "&"
	}
	next := p.AuthURL + sep + q.Encode()
	if storage != "" {
		// The platform keeps the state too, for a browser that keeps no
		// cookie for the frame.
		t.pages.storagePage(w, putStatePage, map[string]string{"Target": storage, "Origin": originOf(p.AuthURL), "Key": stateCookie(state), "Value": sealed, "Next": next}, "'none'")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, next, http.StatusFound)
}

// Launch checks the platform's id_token and opens the lesson the link names
// as its user. Every refusal is a page in the user's language with a 4xx
// status, and keeps nothing.
func (t *Tool) Launch(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		t.pages.refuse(w, r, http.StatusBadRequest, "la respuesta de la plataforma no se puede leer", "the platform's answer cannot be read")
		return
	}
	if e := r.PostForm.Get("error"); e != "" {
		t.pages.refuse(w, r, http.StatusBadRequest, "la plataforma no pudo identificar al usuario ("+e+")", "the platform could not authenticate the user ("+e+")")
		return
	}
	state, raw := r.PostForm.Get("state"), r.PostForm.Get("id_token")
	kept := ""
	if c, err := r.Cookie(stateCookie(state)); err == nil {
		kept = c.Value
	} else if s := r.PostForm.Get("stored_state"); s != "" && s != "-" {
		kept = s // from the platform's storage (see storage.go)
	} else if target := r.PostForm.Get("lti_storage_target"); state != "" && s == "" && storageTarget.MatchString(target) {
		// No cookie came back: ask the platform's storage, where the login
		// kept the state too.
		if p, ok := t.verify.platformOfToken(raw); ok {
			t.pages.storagePage(w, getStatePage, map[string]string{"Target": target, "Origin": originOf(p.AuthURL), "Key": stateCookie(state),
				"IDToken": raw, "State": state}, "'self'")
			return
		}
	}
	var p pending
	if state == "" || kept == "" {
		t.pages.refuse(w, r, http.StatusBadRequest, "falta el estado del inicio de sesión en este navegador: vuelve a abrir la actividad desde la plataforma", "this browser holds no state for the login: open the activity again from the platform")
		return
	} else if !t.verify.openAs("state", kept, &p) || p.Nonce == "" {
		t.pages.refuse(w, r, http.StatusBadRequest, "el estado del inicio de sesión no es válido o caducó: vuelve a abrir la actividad", "the login's state is not valid or has expired: open the activity again")
		return
	}
	l, refused := t.verify.idToken(r.Context(), raw, p)
	if refused != nil {
		t.pages.refuse(w, r, refused.status, refused.es, refused.en)
		return
	}
	platform, std, c := l.platform, l.std, l.claims
	switch c.MessageType {
	case messageResourceLink:
	case messageDeepLinking:
		// The nonce is spent here; the teacher's pick comes back signed.
		if fresh, err := t.store.UseNonce(r.Context(), platform.Issuer, c.Nonce); err != nil || !fresh {
			t.pages.refuse(w, r, http.StatusUnauthorized, "este id_token ya se usó: vuelve a abrir la actividad desde la plataforma", "this id_token was used already: open the activity again from the platform")
			return
		}
		http.SetCookie(w, &http.Cookie{Name: stateCookie(state), Path: "/lti/", MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteNoneMode, Partitioned: true})
		t.pickLessons(w, r, platform, c.DeploymentID, c.Locale, c.DeepLinking)
		return
	default:
		t.pages.refuse(w, r, http.StatusBadRequest, "el laboratorio no acepta ese tipo de mensaje LTI", "the lab does not take that kind of LTI message")
		return
	}
	slug := lessonOf(c.TargetLink)
	if !t.ownURL(r, c.TargetLink) {
		t.pages.refuse(w, r, http.StatusBadRequest, "el enlace no lleva a este laboratorio", "the link does not lead to this lab")
		return
	}
	sessionID := t.verify.sessionOf(platform.Issuer, std.Subject)
	lineItem := ""
	if slices.Contains(c.Grades.Scope, scoreScope) && secureURL(c.Grades.LineItem) == nil {
		lineItem = c.Grades.LineItem // the lesson's grade goes there
	}
	fresh, err := t.store.RecordLaunch(r.Context(), store.Launch{
		Issuer: platform.Issuer, Subject: std.Subject, ClientID: platform.ClientID, LineItem: lineItem, Name: c.Name, Roles: c.Roles, Deployment: c.DeploymentID,
		Context: c.Context.ID, ContextTitle: c.Context.Title, ResourceLink: c.ResourceLink.ID, Lesson: slug,
		Session: sessionID, Nonce: c.Nonce, At: t.Now(),
	})
	switch {
	case err != nil:
		t.log.Error("LTI launch: record", "err", err)
		t.pages.refuse(w, r, http.StatusServiceUnavailable, "el laboratorio no pudo guardar el inicio: inténtalo de nuevo", "the lab could not keep the launch: try again")
		return
	case !fresh:
		t.pages.refuse(w, r, http.StatusUnauthorized, "este id_token ya se usó: vuelve a abrir la actividad desde la plataforma", "this id_token was used already: open the activity again from the platform")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: stateCookie(state), Path: "/lti/", MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteNoneMode, Partitioned: true})
	lang := langOf(c.Locale)
	target := "/embed/" + slug + "?lang=" + lang
	if slug == "" {
		target = "/?lang=" + lang
	}
	if isInstructor(c.Roles) && c.Context.ID != "" {
		// A teacher opens the class.
		target = "/lti/class?t=" + url.QueryEscape(t.verify.sealAs("class", &classPass{Issuer: platform.Issuer, Context: c.Context.ID,
			Title: c.Context.Title, Lang: lang, Expires: t.Now().Add(classTTL).Unix()}))
	}
	// Canvas's token for the frame's messages, where the administrator set
	// the custom field post_message_token=$com.instructure.PostMessageToken.
	token, _ := c.Custom["post_message_token"].(string)
	if len(token) > 512 || strings.HasPrefix(token, "$") {
		token = "" // too long, or the variable not substituted
	}
	t.pages.enter(w, t.sessions.Issue(sessionID), target, lang, token)
}

// lessonOf returns the lesson a link names: /lab/{slug} or /embed/{slug} on
// the lab; "" for the lab's home.
func lessonOf(link string) string {
	u, err := url.Parse(link)
	if err != nil {
		return ""
	}
	for _, prefix := range []string{"/lab/", "/embed/"} {
		if slug, ok := strings.CutPrefix(u.Path, prefix); ok {
			if _, found := lesson.Find(slug); found {
				return slug
			}
		}
	}
	return ""
}

// ownURL reports whether u is a URL of this lab, as the request reached it.
func (t *Tool) ownURL(r *http.Request, u string) bool {
	parsed, err := url.Parse(u)
	return err == nil && parsed.Host == r.Host && (parsed.Scheme == "https" || parsed.Scheme == "http")
}

// origin is the lab's origin as the browser reached it.
func origin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// enter answers a launch: a page that keeps the user's lab session where the
// lab's pages look for it, then opens the lesson, in the same frame.
var enterPage = template.Must(template.New("enter").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>reqlab</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<script nonce="{{.Nonce}}">
try { localStorage.setItem("reqlab.session", {{.Token}}); } catch (e) {}
try { {{if .PostMessageToken}}sessionStorage.setItem("reqlab.postMessageToken", {{.PostMessageToken}}){{else}}sessionStorage.removeItem("reqlab.postMessageToken"){{end}}; } catch (e) {}
location.replace({{.Target}});
</script></head>
<body><p><a href="{{.Target}}">{{if eq .Lang "en"}}Open the lesson{{else}}Abrir la lección{{end}}</a></p></body></html>
`))

func (pg *pages) enter(w http.ResponseWriter, token, target, lang, postMessageToken string) {
	nonce := randomHex(16)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; base-uri 'none'; form-action 'none'; frame-ancestors "+pg.ancestors())
	enterPage.Execute(w, map[string]string{"Lang": lang, "Nonce": nonce, "Token": token, "Target": target, "PostMessageToken": postMessageToken})
}

// ancestors is who may frame the tool's own pages: the lab and the
// platforms.
func (pg *pages) ancestors() string {
	return strings.Join(append([]string{"'self'"}, pg.origins...), " ")
}

// refuse answers a refused login or launch: a page in the user's language,
// with its status.
var refusalPage = template.Must(template.New("refusal").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Title}}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:1rem/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}h1{font-size:1.25rem}</style>
</head><body><main><h1 data-field="error">{{.Title}}</h1><p>{{.Message}}</p><p>{{.Status}}</p></main></body></html>
`))

func (pg *pages) refuse(w http.ResponseWriter, r *http.Request, status int, es, en string) {
	pg.log.Info("LTI request refused", "path", r.URL.Path, "status", status, "why", en)
	lang := i18n.FromAcceptLanguage(r.Header.Get("Accept-Language"))
	title := i18n.Text{ES: "El laboratorio no pudo abrir la actividad", EN: "The lab could not open the activity"}.In(lang)
	msg := i18n.Text{ES: es, EN: en}.In(lang)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors "+pg.ancestors())
	w.WriteHeader(status)
	refusalPage.Execute(w, map[string]string{"Lang": string(lang), "Title": title, "Message": msg, "Status": fmt.Sprintf("%d %s", status, http.StatusText(status))})
}
