package ui

import (
	"fmt"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/browser"
	"reqlab/app/stage"
	"reqlab/app/ui/el"
)

// The cookie lesson's note says what happened to the cookies of the request
// on screen, as measured, never as the lesson expects: the Cookie header the
// server received, the answer's status and whether the lab's server made it,
// and what the browser keeps on this page (browser.Keeps). Framed by a page
// of another site, over http or https, with third-party cookies blocked or
// not, each request gets the note that is true of it.

// What happened, the note's data-cookie values.
const (
	cookieSent    = "sent"    // the server received them
	cookieNone    = "none"    // the browser had none to send
	cookieBlocked = "blocked" // the browser did not keep them, so did not send them
	cookieDropped = "dropped" // the browser kept them, then dropped some (its limit for a site)
	cookieKept    = "kept"    // the browser kept the cookie the answer set
	cookieRefused = "refused" // the server refused the request (431)
	cookieProxy   = "proxy"   // a proxy in front of the server refused it
)

// What a fact is about, the note's data-about values.
const (
	aboutLab    = "lab"    // the cookies the lab put in the browser's jar (the weight)
	aboutVisits = "visits" // the site's own cookie, going back to it
	aboutSet    = "set"    // the cookie the answer set
	aboutAnswer = "answer" // the answer
)

// cookieFact is one thing that happened to the request's cookies.
type cookieFact struct {
	about, kind, text string
}

// cookiePath is the sample site's page that counts visits in a cookie: the
// cookie lesson's every request.
const cookiePath = "/site/api/sesion"

// cookieFacts returns what happened to the cookies of the live run on
// screen, once the server has stored it: nothing for another lesson, a run
// played back (what the browser keeps now may not be what it kept then) or
// another request.
func (c *Lab) cookieFacts() []cookieFact {
	if c.lesson == nil || !c.lesson.CookieWeight || c.sending || c.run == nil || c.run.origin == 0 ||
		c.stored == nil || c.stored.ID != c.run.id || c.resp == nil || c.resp.status == 0 {
		return nil
	}
	run := *c.stored
	if !strings.HasPrefix(run.Request.URL, cookiePath) {
		return nil
	}
	end := finals(run)
	if proxyAnswered(run) {
		text := fmt.Sprintf(cookieText["proxy"].in(c.lang), c.resp.status)
		if said := pageTitle(c.resp.pretty); said != "" {
			text += " " + fmt.Sprintf(cookieText["proxy-said"].in(c.lang), said)
		}
		return []cookieFact{{aboutAnswer, cookieProxy, text + " " + cookieText["proxy-fix"].in(c.lang)}}
	}
	if r, ok := end[stage.Receive]; !ok || r.Detail.Reason == stage.ReasonNotReached {
		return nil // the browser's cache answered: no cookie went anywhere
	}
	got := cookieValues(run.Request.Header("Cookie"))
	var facts []cookieFact
	why := map[string]bool{} // the reasons given so far: each once

	if lab := browser.LabCookies(); len(lab) > 0 {
		sent := 0
		for _, name := range lab {
			if _, ok := got[name]; ok {
				sent++
			}
		}
		if sent == len(lab) {
			facts = append(facts, cookieFact{aboutLab, cookieSent, fmt.Sprintf(cookieText["lab-sent"].in(c.lang), len(lab), end[stage.Receive].Detail.CookieBytes)})
		} else if attrs := browser.LabCookieAttrs(); !browser.Keeps(attrs) {
			text := fmt.Sprintf(cookieText["lab-blocked"].in(c.lang), len(lab)-sent, len(lab), attrs)
			if sent == 0 {
				text = fmt.Sprintf(cookieText["lab-none"].in(c.lang), len(lab), attrs)
			}
			facts = append(facts, cookieFact{aboutLab, cookieBlocked, text + c.cookieWhy(attrs, why)})
		} else {
			// Kept, and not all sent: the browser dropped some, as it does
			// past what it keeps for one site (fewer bytes for a site framed
			// by another: partitioned cookies), the oldest first.
			text := fmt.Sprintf(cookieText["lab-dropped"].in(c.lang), sent, len(lab), end[stage.Receive].Detail.CookieBytes)
			facts = append(facts, cookieFact{aboutLab, cookieDropped, text})
		}
	}

	setValue, setAttrs, set := setCookie(run.Response, visitsCookie)
	switch v, ok := got[visitsCookie]; {
	case ok:
		facts = append(facts, cookieFact{aboutVisits, cookieSent, fmt.Sprintf(cookieText["visits-sent"].in(c.lang), v)})
	case set && !browser.Keeps(setAttrs):
		facts = append(facts, cookieFact{aboutVisits, cookieBlocked, cookieText["visits-blocked"].in(c.lang)})
	default:
		facts = append(facts, cookieFact{aboutVisits, cookieNone, cookieText["visits-none"].in(c.lang)})
	}

	if run.Response != nil && run.Response.Status == 431 {
		facts = append(facts, cookieFact{aboutAnswer, cookieRefused, fmt.Sprintf(cookieText["refused"].in(c.lang), end[stage.Receive].Detail.HeaderBytes)})
	}

	if set {
		if browser.Keeps(setAttrs) {
			facts = append(facts, cookieFact{aboutSet, cookieKept, fmt.Sprintf(cookieText["set-kept"].in(c.lang), setValue, setAttrs)})
		} else {
			facts = append(facts, cookieFact{aboutSet, cookieBlocked, fmt.Sprintf(cookieText["set-blocked"].in(c.lang), setValue, setAttrs) + c.cookieWhy(setAttrs, why)})
		}
	}
	return facts
}

// visitsCookie is the sample site's own cookie.
const visitsCookie = "visitas"

// cookieWhy says, after a space, why the browser keeps no cookie with attrs
// on this page; "" where the note already said it (told).
func (c *Lab) cookieWhy(attrs string, told map[string]bool) string {
	key := "why-settings"
	switch {
	case !c.embedded:
	case strings.Contains(attrs, "Partitioned"):
		key = "why-partitioned"
	default:
		key = "why-samesite"
	}
	if told[key] {
		return ""
	}
	told[key] = true
	return " " + cookieText[key].in(c.lang)
}

// cookieNote draws the note, a paragraph a fact, or nothing.
func (c *Lab) cookieNote() app.UI {
	facts := c.cookieFacts()
	if len(facts) == 0 {
		return nil
	}
	return el.Div().Class("cookie-note").Attr("data-field", "cookie-note").Attr("data-run", c.stored.ID).Attr("role", "note").
		Body(app.Range(facts).Slice(func(i int) app.UI {
			f := facts[i]
			return el.P().Class("notice-step").Attr("data-about", f.about).Attr("data-cookie", f.kind).Text(f.text)
		}))
}

// proxyAnswered reports whether a run's answer came from something in front
// of the lab's server (a proxy): the browser went to the network for it (its
// cache did not answer) and got an answer, and the server recorded no stage
// of the request.
func proxyAnswered(run stage.Run) bool {
	end := finals(run)
	cache, looked := end[stage.Cache]
	if !looked || cache.Detail.Reason == stage.ReasonCacheHit || run.Response == nil || run.Response.Status == 0 {
		return false
	}
	r, reached := end[stage.Receive]
	return !reached || r.Detail.Reason == stage.ReasonNotReached
}

// receivedElsewhere says, for the panel of the request as the server
// received it, where a request went that the server never received, and
// what the headers shown are: the browser's kept copy's, or a proxy's.
func receivedElsewhere(l Lang, run stage.Run) (where, headers string) {
	if proxyAnswered(run) {
		return cookieText["received-proxy"].in(l), cookieText["received-proxy-headers"].in(l)
	}
	return l.T("received.no-server"), l.T("received.cached-headers")
}

// pageTitle returns an HTML page's title (a proxy's error page says what it
// refused there), or "".
func pageTitle(body string) string {
	_, rest, ok := strings.Cut(body, "<title>")
	title, _, closed := strings.Cut(rest, "</title>")
	title = strings.TrimSpace(title)
	if !ok || !closed || len(title) > 120 || strings.ContainsAny(title, "<>") {
		return ""
	}
	return title
}

// cookieValues reads a Cookie header's pairs by name.
func cookieValues(header string) map[string]string {
	out := map[string]string{}
	for _, p := range strings.Split(header, ";") {
		if name, value, ok := strings.Cut(strings.TrimSpace(p), "="); ok && name != "" {
			out[name] = value
		}
	}
	return out
}

// setCookie finds the answer's Set-Cookie for name: its value and the
// attributes that decide whether a browser keeps it (SameSite, Secure,
// Partitioned), as the answer wrote them.
func setCookie(resp *stage.Response, name string) (value, attrs string, ok bool) {
	if resp == nil {
		return "", "", false
	}
	for _, h := range resp.Headers {
		if !strings.EqualFold(h.Name, "Set-Cookie") {
			continue
		}
		parts := strings.Split(h.Value, ";")
		n, v, _ := strings.Cut(strings.TrimSpace(parts[0]), "=")
		if n != name {
			continue
		}
		var kept []string
		for _, a := range parts[1:] {
			a = strings.TrimSpace(a)
			key, _, _ := strings.Cut(a, "=")
			switch strings.ToLower(key) {
			case "samesite", "secure", "partitioned":
				kept = append(kept, a)
			}
		}
		return v, strings.Join(kept, "; "), true
	}
	return "", "", false
}

// cookieText is the note's text, in both languages.
var cookieText = map[string]text{
	"lab-sent": {
		"Tu navegador envió las %d cookies que el laboratorio le dio a guardar: la cabecera Cookie llegó al servidor con %d bytes.",
		"Your browser sent the %d cookies the lab gave it to keep: the Cookie header reached the server with %d bytes.",
	},
	"lab-blocked": {
		"Tu navegador no envió %d de las %d cookies que el laboratorio le dio a guardar: no las guardó (el laboratorio las pone con %s).",
		"Your browser did not send %d of the %d cookies the lab gave it to keep: it did not keep them (the lab sets them with %s).",
	},
	"lab-none": {
		"Tu navegador no envió ninguna de las %d cookies que el laboratorio le dio a guardar: no las guardó (el laboratorio las pone con %s).",
		"Your browser sent none of the %d cookies the lab gave it to keep: it did not keep them (the lab sets them with %s).",
	},
	"lab-dropped": {
		"Tu navegador envió solo %d de las %d cookies que el laboratorio le dio a guardar (%d bytes llegaron al servidor): un navegador guarda un máximo de bytes de cookies por sitio, menos aún para un sitio dentro de otro (las particionadas), y pasado ese máximo tira las más viejas.",
		"Your browser sent only %d of the %d cookies the lab gave it to keep (%d bytes reached the server): a browser keeps at most so many bytes of cookies for one site, fewer still for a site inside another (partitioned ones), and past that it drops the oldest.",
	},
	"visits-sent": {
		"Tu navegador envió solo la cookie del sitio, visitas=%s: la guardó cuando el sitio la puso.",
		"Your browser sent the site's cookie by itself, visitas=%s: it kept it when the site set it.",
	},
	"visits-none": {
		"La petición no llevó la cookie del sitio (visitas): tu navegador no tenía ninguna que enviar.",
		"The request carried no cookie of the site (visitas): your browser had none to send.",
	},
	"visits-blocked": {
		"La petición no llevó la cookie del sitio (visitas): tu navegador no la guarda aquí.",
		"The request carried no cookie of the site (visitas): your browser does not keep it here.",
	},
	"refused": {
		"El servidor rechazó la petición (431): sus cabeceras ocupaban %d bytes y acepta 8 KB como mucho. Las cookies siguen guardadas en tu navegador e irán en cada petición al sitio, que las rechazará, hasta que se borren: vuelve el peso a 0 y el laboratorio las borra, con los mismos atributos con que las puso.",
		"The server refused the request (431): its headers took %d bytes and it accepts 8 KB at most. The cookies are still kept in your browser and will go with every request to the site, which will refuse them, until they are deleted: bring the weight back to 0 and the lab deletes them, with the same attributes it set them with.",
	},
	"proxy": {
		"Esta respuesta (%d) no vino del servidor del laboratorio: un proxy delante del servidor rechazó la petición antes de que le llegara, por eso las etapas del servidor no se movieron.",
		"This answer (%d) did not come from the lab's server: a proxy in front of the server refused the request before it reached it, which is why the server's stages did not move.",
	},
	"proxy-said": {
		"El proxy dijo: «%s».",
		"The proxy said: \"%s\".",
	},
	"proxy-fix": {
		"Un proxy rechaza así una petición cuyas cabeceras (aquí, sobre todo las cookies) no caben en lo que reserva para ellas; la guía de despliegue dice cómo darles sitio (en nginx, large_client_header_buffers).",
		"A proxy refuses a request this way when its headers (here, the cookies mostly) do not fit in what it sets aside for them; the deployment guide says how to make room (in nginx, large_client_header_buffers).",
	},
	"received-proxy": {
		"Llegó a un proxy delante del servidor del laboratorio, que respondió en su lugar: el servidor no la recibió.",
		"It reached a proxy in front of the lab's server, which answered instead: the server never received it.",
	},
	"received-proxy-headers": {
		"El proxy respondió con estas cabeceras:",
		"The proxy answered with these headers:",
	},
	"set-kept": {
		"La respuesta trae Set-Cookie: visitas=%s (%s) y tu navegador la guardó: la enviará sola en la próxima petición al sitio.",
		"The answer carries Set-Cookie: visitas=%s (%s) and your browser kept it: it will send it by itself on the next request to the site.",
	},
	"set-blocked": {
		"La respuesta trae Set-Cookie: visitas=%s (%s), pero tu navegador no la guardó.",
		"The answer carries Set-Cookie: visitas=%s (%s), but your browser did not keep it.",
	},
	"why-samesite": {
		"El laboratorio está dentro de una página de otro sitio, y ahí ningún navegador guarda una cookie marcada SameSite=Lax o Strict, ni una particionada por http (Partitioned pide https). Por https, el laboratorio y el sitio marcan sus cookies Partitioned (con SameSite=None y Secure), y el navegador las guarda aparte para esa página.",
		"The lab is inside a page of another site, and there no browser keeps a cookie marked SameSite=Lax or Strict, nor a partitioned one over http (Partitioned needs https). Over https, the lab and the site mark their cookies Partitioned (with SameSite=None and Secure), and the browser keeps them apart for that page.",
	},
	"why-partitioned": {
		"El laboratorio está dentro de una página de otro sitio, y tu navegador no guarda ahí ni las cookies particionadas (las de esa página aparte).",
		"The lab is inside a page of another site, and your browser keeps no cookies there, not even partitioned ones (kept apart for that page).",
	},
	"why-settings": {
		"Tu navegador está configurado para no guardar las cookies de este sitio.",
		"Your browser is set not to keep this site's cookies.",
	},
}
