package ui

import (
	"fmt"
	"strconv"
	"strings"

	"reqlab/app/i18n"
	"reqlab/app/stage"
)

// The page's words for what the lab measures: the stages (as the stage
// table names them), the reasons a stage gives, times and status codes.

// StageName returns a stage's name in l, as the stage table declares it.
func (l Lang) StageName(id stage.ID) string {
	s, _ := stage.Lookup(id)
	return s.Name.In(i18n.Lang(l))
}

// StageAbout says in l what a stage is.
func (l Lang) StageAbout(id stage.ID) string {
	s, _ := stage.Lookup(id)
	return s.About.In(i18n.Lang(l))
}

var reasonText = map[stage.Reason]text{
	stage.ReasonCacheMiss:       {"Buscó en su caché y no había copia que valiera: hay que ir al servidor.", "It looked in its cache: no copy there that was still good, so the request must go to the server."},
	stage.ReasonRevalidated:     {"Tenía una copia y preguntó al servidor si había cambiado (If-None-Match): 304, no cambió, y usó su copia.", "It had a copy and asked the server whether it had changed (If-None-Match): 304, not changed, so it used its copy."},
	stage.ReasonNotReached:      {"No llegó aquí: respondió la caché del navegador y la petición no salió de tu equipo.", "Never reached: the browser's cache answered and the request never left your computer."},
	stage.ReasonCacheHit:        {"La caché del navegador respondió: la petición no salió de tu equipo.", "The browser's cache answered: the request never left your computer."},
	stage.ReasonReused:          {"Conexión reutilizada: el nombre ya estaba resuelto y la conexión seguía abierta.", "Connection reused: the name was already resolved and the connection still open."},
	stage.ReasonPlainHTTP:       {"Sin cifrado: la dirección es http, no https.", "No encryption: the address is http, not https."},
	stage.ReasonFromCache:       {"No hizo falta: respondió la caché.", "Not needed: the cache answered."},
	stage.ReasonNotExposed:      {"El navegador no publica cuándo terminó de enviar: ese tiempo va dentro de la espera.", "The browser does not publish when sending ended: that time is inside the wait."},
	stage.ReasonNoTiming:        {"El navegador no dio medidas de esta petición.", "The browser gave no timing for this request."},
	stage.ReasonNoRoute:         {"Ninguna ruta coincide con esa dirección.", "No route matches that path."},
	stage.ReasonMethod:          {"La ruta existe, pero no para ese método.", "The route exists, but not for that method."},
	stage.ReasonOptions:         {"OPTIONS: el servidor responde qué métodos acepta esa ruta (cabecera Allow).", "OPTIONS: the server answers which methods that path takes (the Allow header)."},
	stage.ReasonTooLarge:        {"La petición es demasiado grande: el servidor la rechaza antes de elegir ruta.", "The request is too large: the server refuses it before choosing a route."},
	stage.ReasonHeadersTooLarge: {"Las cabeceras (sobre todo las cookies) pasan del límite del servidor: la rechaza antes de elegir ruta.", "The headers (cookies, mostly) pass the server's limit: it refuses the request before choosing a route."},
	stage.ReasonNoDB:            {"Esta petición no necesita la base de datos.", "This request needs no database."},
	stage.ReasonNoRow:           {"La consulta se ejecutó y no encontró ninguna fila.", "The query ran and found no row."},
	stage.ReasonNoAssets:        {"Una respuesta JSON no trae imágenes ni otros recursos que pedir.", "A JSON answer brings no images or other assets to ask for."},
	stage.ReasonNotJSON:         {"La respuesta no es JSON válido.", "The answer is not valid JSON."},
	stage.ReasonNoBody:          {"La respuesta no trae cuerpo.", "The answer has no body."},
	stage.ReasonFetchFailed:     {"El navegador no pudo completar la petición.", "The browser could not complete the request."},
	stage.ReasonIPAddress:       {"No hay nombre que buscar: la dirección ya es una IP.", "No name to look up: the address is already an IP."},
	stage.ReasonNameCached:      {"El nombre ya estaba en una caché de nombres (la del navegador o la del sistema operativo): no hizo falta preguntar al DNS.", "The name was already in a cache of names (the browser's or the operating system's): no need to ask DNS."},
	stage.ReasonNameResolved:    {"El navegador pidió la IP del nombre al sistema operativo, que la buscó en su caché o en el DNS.", "The browser asked the operating system for the name's IP, which looked it up in its cache or from DNS."},
	stage.ReasonErrorBody:       {"La respuesta es un mensaje de error: se muestra como tal, no hay registros que convertir en HTML.", "The answer is an error message: it is shown as one, there are no records to turn into HTML."},
	stage.ReasonPainted:         {"El navegador dibujó la página él mismo, hasta su primer pintado.", "The browser drew the page itself, up to its first paint."},
	stage.ReasonOpenedAhead:     {"Conexión nueva, que el navegador empezó a abrir en cuanto comenzó la navegación, a la vez que preparaba la petición; no publica cuánto tardó cada parte: se cuenta desde que empezó a pedir hasta que envió.", "A new connection, which the browser began opening as soon as the navigation started, while it prepared the request; it does not publish how long each part took: counted from when it began fetching to when it sent."},
}

// Reason says in l why a stage went as it did.
func (l Lang) Reason(r stage.Reason) string {
	if t, ok := reasonText[r]; ok {
		return t.in(l)
	}
	return string(r)
}

// Ms formats a duration in milliseconds, with the decimal mark of l.
func (l Lang) Ms(v float64) string {
	var s string
	switch {
	case v < 1:
		s = strconv.FormatFloat(v, 'f', 2, 64)
	case v < 100:
		s = strconv.FormatFloat(v, 'f', 1, 64)
	default:
		s = strconv.FormatFloat(v, 'f', 0, 64)
	}
	if l == ES {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s + " ms"
}

// statusText names the status codes the sample site answers with: in
// Spanish for the reader, and in English as the reason phrase Go's server
// writes on the wire.
var statusText = map[int]text{
	200: {"OK", "OK"},
	201: {"Creado", "Created"},
	204: {"Sin contenido", "No Content"},
	304: {"No modificado", "Not Modified"},
	400: {"Petición incorrecta", "Bad Request"},
	404: {"No encontrado", "Not Found"},
	405: {"Método no permitido", "Method Not Allowed"},
	409: {"Conflicto", "Conflict"},
	413: {"Cuerpo demasiado grande", "Request Entity Too Large"},
	415: {"Tipo de contenido no admitido", "Unsupported Media Type"},
	429: {"Demasiadas peticiones", "Too Many Requests"},
	431: {"Cabeceras demasiado grandes", "Request Header Fields Too Large"},
	500: {"Error del servidor", "Internal Server Error"},
	503: {"Servicio no disponible", "Service Unavailable"},
}

// Status returns a status code with its name in l, as "404 No encontrado".
func (l Lang) Status(code int) string {
	if t, ok := statusText[code]; ok {
		return fmt.Sprintf("%d %s", code, t.in(l))
	}
	return strconv.Itoa(code)
}

// StatusLine is the status line as it crossed the wire, reason phrase and all
// (Go's server writes the English one whatever the page's language).
func StatusLine(code int) string {
	return "HTTP/1.1 " + EN.Status(code)
}
