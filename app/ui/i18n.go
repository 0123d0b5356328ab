package ui

import (
	"fmt"

	"reqlab/app/i18n"
)

// Lang is a language of the page: package i18n's, with the page's words
// for it (T, StageName…).
type Lang i18n.Lang

// The page's languages; Spanish first, as the course.
const (
	ES = Lang(i18n.ES)
	EN = Lang(i18n.EN)
)

// langOf picks the language a ?lang= value, or the page's lang, names (by
// i18n's one rule).
func langOf(v string) Lang { return Lang(i18n.Of(v)) }

// text is one message in both languages (an i18n.Text).
type text i18n.Text

func (t text) in(l Lang) string { return i18n.Text(t).In(i18n.Lang(l)) }

// T returns the message key in l. An unknown key shows itself, so a missing
// message is seen at once (and a test fails).
func (l Lang) T(key string) string {
	t, ok := messages[key]
	if !ok {
		return key
	}
	return t.in(l)
}

// Tf formats the message key in l with args.
func (l Lang) Tf(key string, args ...any) string {
	return fmt.Sprintf(l.T(key), args...)
}

var messages = map[string]text{
	"title":           {"reqlab · laboratorio de peticiones web", "reqlab · web request lab"},
	"tagline":         {"Envía una petición real desde tu navegador y mira su camino hasta el servidor y de vuelta.", "Send a real request from your browser and watch its path to the server and back."},
	"description":     {"Un laboratorio visual para aprender el modelo cliente/servidor: cada etapa de una petición real, medida y dibujada en vivo.", "A visual lab to learn the client/server model: every stage of a real request, measured and drawn live."},
	"other-lang":      {"English", "Español"},
	"other-lang-hint": {"Read this page in English", "Leer esta página en español"},
	"loading":         {"Cargando el laboratorio… {progress}%", "Loading the lab… {progress}%"},

	"socket.connecting": {"Conectando con el servidor del laboratorio…", "Connecting to the lab's server…"},
	"socket.open":       {"Conectado: los eventos llegan en vivo.", "Connected: events arrive live."},
	"socket.closed":     {"Conexión perdida con el servidor del laboratorio; reintentando… Nada se pierde: los eventos se recuperan al volver.", "Lost the connection to the lab's server; retrying… Nothing is lost: events are recovered on return."},
	"socket.prerender":  {"El laboratorio arranca en cuanto lo usas.", "The lab starts as soon as you use it."},
	"start.starting":    {"Iniciando…", "Starting…"},
	"start.failed":      {"El laboratorio no puede arrancar en este navegador: no ejecuta WebAssembly, o algo (un filtro de la red, una extensión) impidió descargarlo. Puedes leer la lección igualmente; para enviar peticiones, prueba con otro navegador actualizado o en otra red.", "The lab cannot start in this browser: it does not run WebAssembly, or something (a network filter, an extension) stopped it from downloading. You can still read the lesson; to send requests, try another up-to-date browser or another network."},

	"request.heading":  {"La petición", "The request"},
	"request.intro":    {"Tu navegador es el cliente. Elige qué pedir al sitio de ejemplo y pulsa Enviar.", "Your browser is the client. Choose what to ask the sample site for and press Send."},
	"request.method":   {"Método", "Method"},
	"request.url":      {"Ruta en el sitio de ejemplo", "Path on the sample site"},
	"request.url-hint": {"Empieza por /site/. Prueba los ejemplos de abajo.", "Starts with /site/. Try the examples below."},
	"request.send":     {"Enviar", "Send"},
	"request.sending":  {"Enviando…", "Sending…"},
	"request.examples": {"Ejemplos", "Examples"},
	"example.list":     {"la lista de cursos (200)", "the course list (200)"},
	"example.one":      {"un curso (200)", "one course (200)"},
	"example.missing":  {"un curso que no existe (404)", "a course that does not exist (404)"},
	"example.noroute":  {"una ruta que no existe (404)", "a route that does not exist (404)"},
	"example.broken":   {"una consulta que falla (500)", "a query that fails (500)"},

	"request.query":           {"Parámetros de la consulta (?nombre=valor)", "Query parameters (?name=value)"},
	"request.headers":         {"Cabeceras", "Headers"},
	"request.cookies":         {"Cookies (tu navegador las guarda para /site/ y las envía con cada petición allí)", "Cookies (your browser keeps them for /site/ and sends them with every request there)"},
	"request.cookie-bytes":    {"Las cookies añaden %d bytes (la cabecera Cookie) a cada petición al sitio.", "The cookies add %d bytes (the Cookie header) to every request to the site."},
	"request.body":            {"Cuerpo", "Body"},
	"request.content-type":    {"Tipo de contenido del cuerpo", "Content type of the body"},
	"request.network":         {"Red simulada (el servidor de ejemplo retrasa su respuesta)", "Simulated network (the sample server holds its answer back)"},
	"request.fold":            {"Escribir una petición a mano", "Write a request by hand"},
	"teacher.heading":         {"Para docentes", "For teachers"},
	"request.fresh":           {"Conexión nueva", "New connection"},
	"request.fresh-hint":      {"El navegador abre una conexión solo para esta petición (sin cookies: las peticiones sin credenciales van por conexiones aparte) y el servidor la cierra al responder. Así se ven la búsqueda del nombre y la conexión.", "The browser opens a connection for this request alone (without cookies: requests without credentials go on connections of their own) and the server closes it once it answers. That way the name lookup and the connection show."},
	"network.none":            {"sin simulación", "no simulation"},
	"network.fast-3g":         {"3G rápida (simulada: +560 ms, 180 KB/s)", "Fast 3G (simulated: +560 ms, 180 KB/s)"},
	"network.slow-3g":         {"3G lenta (simulada: +2 s, 50 KB/s)", "Slow 3G (simulated: +2 s, 50 KB/s)"},
	"detail.network":          {"entregada a la red simulada (%s), que la retiene por el camino", "handed to the simulated network (%s), which holds it on the way"},
	"field.network-unknown":   {"Esa red simulada no existe.", "That simulated network does not exist."},
	"request.no-content-type": {"sin Content-Type", "no Content-Type"},
	"request.name":            {"nombre", "name"},
	"request.value":           {"valor", "value"},
	"request.row-on":          {"Enviar esta cabecera", "Send this header"},
	"request.row-on-n":        {"Enviar la cabecera %d", "Send header %d"},
	"request.query-name-n":    {"Nombre del parámetro %d", "Name of parameter %d"},
	"request.query-value-n":   {"Valor del parámetro %d", "Value of parameter %d"},
	"request.header-name-n":   {"Nombre de la cabecera %d", "Name of header %d"},
	"request.header-value-n":  {"Valor de la cabecera %d", "Value of header %d"},
	"request.cookie-name-n":   {"Nombre de la cookie %d", "Name of cookie %d"},
	"request.cookie-value-n":  {"Valor de la cookie %d", "Value of cookie %d"},
	"request.remove-n":        {"Quitar la fila %d", "Remove row %d"},
	"request.add-query":       {"+ parámetro", "+ parameter"},
	"request.add-header":      {"+ cabecera", "+ header"},
	"request.add-cookie":      {"+ cookie", "+ cookie"},
	"example.filter":          {"los cursos de un nivel (200)", "the courses of one level (200)"},

	"field.header-name-invalid":  {"El nombre de una cabecera es una palabra sin espacios ni signos como : ( ) , ; = \" / [ ] ? { }.", "A header name is one word, with no spaces nor signs such as : ( ) , ; = \" / [ ] ? { }."},
	"field.header-value-invalid": {"El valor no puede llevar saltos de línea (CR, LF) ni caracteres de control.", "The value may not hold line breaks (CR, LF) or control characters."},
	"field.header-forbidden":     {"El navegador no deja a una página poner esta cabecera (o el laboratorio la usa para sí).", "The browser does not let a page set this header (or the lab uses it itself)."},
	"field.headers-too-large":    {"Las cabeceras y cookies pasan de 16 KB, el límite del laboratorio.", "The headers and cookies pass 16 KB, the lab's limit."},
	"field.cookie-name-invalid":  {"El nombre de una cookie es una palabra sin espacios ni signos como ; = ,", "A cookie name is one word, with no spaces nor signs such as ; = ,"},
	"field.cookie-value-invalid": {"El valor de una cookie no puede llevar espacios, comillas, comas, punto y coma ni barras invertidas.", "A cookie value may not hold spaces, quotes, commas, semicolons or backslashes."},
	"field.cookie-too-large":     {"Una cookie (nombre y valor) puede ocupar 4096 bytes como mucho: el navegador no guarda una mayor.", "A cookie (name and value) may take 4096 bytes at most: the browser keeps no larger one."},
	"field.body-invalid-json":    {"El cuerpo no es JSON válido, y el tipo de contenido dice que lo es.", "The body is not valid JSON, and the content type says it is."},
	"field.body-too-large":       {"El cuerpo pasa de 64 KB, el límite del laboratorio.", "The body passes 64 KB, the lab's limit."},
	"field.body-not-allowed":     {"GET y HEAD no llevan cuerpo: el navegador se niega a enviarlo.", "GET and HEAD carry no body: the browser refuses to send one."},

	"run.interrupted": {"Esta ejecución se cortó: el servidor del laboratorio se detuvo antes de que terminara. Se muestra lo que llegó a guardarse.", "This run was cut off: the lab's server stopped before it ended. What was stored by then is shown."},
	"run.har":         {"Descargar HAR", "Download HAR"},
	"run.resend":      {"Enviar de nuevo", "Send again"},

	"received.heading":        {"La petición tal como llegó al servidor: %d bytes de cabeceras, %d de cookies", "The request as the server received it: %d bytes of headers, %d of cookies"},
	"received.addr":           {"Tu navegador llegó a %s (la dirección IP y el puerto del servidor, tal como él los ve), desde su puerto %d.", "Your browser reached %s (the server's IP address and port, as the server sees them), from its port %d."},
	"received.conn-new":       {"Fue la primera petición de esa conexión: una conexión nueva.", "It was the first request on that connection: a new connection."},
	"received.conn-reused":    {"Fue la petición n.º %d de esa conexión: una conexión que ya estaba abierta.", "It was request no. %d on that connection: one that was already open."},
	"received.addr-unknown":   {"El servidor no anotó por qué dirección llegó la petición.", "The server did not note which address the request came to."},
	"received.no-server":      {"No llegó a ningún servidor: no hay dirección que mostrar.", "It reached no server: there is no address to show."},
	"received.none":           {"Esta petición no llegó al servidor.", "This request never reached the server."},
	"received.cached-headers": {"El navegador respondió con su copia guardada, con estas cabeceras:", "The browser answered with its kept copy, with these headers:"},
	"received.response":       {"La respuesta tal como la envió el servidor: código y cabeceras", "The response as the server sent it: code and headers"},

	"sample.heading":   {"Tus datos de ejemplo", "Your sample data"},
	"sample.intro":     {"El sitio de ejemplo te muestra sus seis cursos y los que añades tú (hasta 20). Lo que añades lo ves solo tú: cada navegador tiene su propio catálogo.", "The sample site shows you its six courses and the ones you add (up to 20). What you add only you see: each browser has a catalogue of its own."},
	"sample.reset":     {"Restablecer los datos de ejemplo", "Reset the sample data"},
	"sample.resetting": {"Restableciendo…", "Resetting…"},
	"sample.done-one":  {"Listo: se borró el curso que habías añadido.", "Done: the course you had added was deleted."},
	"sample.done":      {"Listo: se borraron los %d cursos que habías añadido.", "Done: the %d courses you had added were deleted."},
	"sample.none":      {"No habías añadido ningún curso: el catálogo ya era el de ejemplo.", "You had not added any course: the catalogue was already the sample one."},
	"sample.failed":    {"No se pudieron restablecer los datos de ejemplo. Prueba otra vez en un momento.", "The sample data could not be reset. Try again in a moment."},

	"history.heading": {"Historial de este navegador", "This browser's history"},
	"history.empty":   {"Aún no has enviado nada desde este navegador.", "You have not sent anything from this browser yet."},
	"history.open":    {"Ver", "View"},
	"history.pick":    {"Elegir %s %s para comparar", "Pick %s %s to compare"},
	"history.compare": {"Comparar las dos elegidas", "Compare the two picked"},

	"playback.label":         {"Reproducción de la ejecución guardada", "Playback of the stored run"},
	"playback.play":          {"Reproducir", "Play"},
	"playback.pause":         {"Pausa", "Pause"},
	"playback.back":          {"Un paso atrás", "One step back"},
	"playback.back-short":    {"atrás", "back"},
	"playback.forward":       {"Un paso adelante", "One step forward"},
	"playback.forward-short": {"adelante", "forward"},
	"playback.speed":         {"Velocidad", "Speed"},
	"playback.scrubber":      {"Posición en la reproducción", "Position in the playback"},
	"playback.position":      {"Paso %d de %d", "Step %d of %d"},

	"compare.heading":       {"Comparación", "Comparison"},
	"compare.run":           {"Ejecución %d: %s", "Run %d: %s"},
	"compare.fresh":         {"conexión nueva", "new connection"},
	"compare.stage":         {"Etapa", "Stage"},
	"compare.difference":    {"Diferencia", "Difference"},
	"compare.status":        {"Código de estado", "Status code"},
	"compare.total":         {"Tiempo total", "Total time"},
	"compare.bytes":         {"Bytes descargados", "Bytes downloaded"},
	"compare.differs":       {"distinto", "differs"},
	"compare.differs-state": {"pasó distinto", "went differently"},
	"compare.differs-time":  {"tardó distinto", "took a different time"},

	"menu.label": {"Lecciones", "Lessons"},
	"menu.lab":   {"Laboratorio libre", "Free lab"},
	"menu.done":  {"hecha", "done"},

	"lesson.try":          {"Pruébalo", "Try it"},
	"lesson.check":        {"Comprueba:", "Check:"},
	"lesson.check-button": {"Comprobar", "Check"},
	"lesson.right":        {"¡Correcto!", "Correct!"},
	"lesson.wrong":        {"Todavía no.", "Not yet."},
	"lesson.weight":       {"Peso de las cookies («relleno1», «relleno2»… que tu navegador guarda para el sitio)", "Cookie weight (\"relleno1\", \"relleno2\"… that your browser keeps for the site)"},
	"lesson.weight-value": {"Cabeceras que añade el formulario: %d bytes. El servidor de ejemplo acepta 8192 bytes de cabeceras como mucho.", "Headers the form adds: %d bytes. The sample server takes 8192 bytes of headers at most."},
	"lesson.weight-send":  {"Enviar con este peso", "Send with this weight"},

	"error.code.bad-message":  {"El servidor del laboratorio no entendió un mensaje de esta página. Recarga la página.", "The lab's server did not understand a message from this page. Reload the page."},
	"error.code.bad-request":  {"El servidor del laboratorio rechazó la petición: revisa los campos marcados.", "The lab's server refused the request: check the marked fields."},
	"error.code.not-found":    {"El servidor del laboratorio no conoce esa ejecución (quizá se borró por antigua).", "The lab's server does not know that run (perhaps it was removed as old)."},
	"error.code.run-closed":   {"Esa ejecución ya está cerrada: no admite más medidas.", "That run is already closed: it takes no more measurements."},
	"error.code.bad-event":    {"El servidor del laboratorio rechazó una medida de esta página.", "The lab's server refused a measurement from this page."},
	"error.code.rate-limited": {"Demasiadas peticiones seguidas: espera un momento y vuelve a enviar.", "Too many requests in a row: wait a moment and send again."},
	"error.code.not-yours":    {"Esa ejecución la abrió otra sesión del laboratorio: no puedes añadirle medidas.", "Another lab session opened that run: you cannot add measurements to it."},
	"error.code.unavailable":  {"La base de datos del laboratorio no acepta escrituras ahora mismo. Inténtalo de nuevo en un momento.", "The lab's database is not taking writes right now. Try again in a moment."},
	"error.code.internal":     {"El servidor del laboratorio falló. Inténtalo de nuevo.", "The lab's server failed. Try again."},
	"page.frame":              {"La página del sitio de ejemplo", "The sample site's page"},
	"page.waterfall":          {"Cascada de la carga, medida por tu navegador", "The load's waterfall, measured by your browser"},
	"page.events":             {"DOMContentLoaded: %s · load: %s (el navegador terminó la página y sus recursos)", "DOMContentLoaded: %s · load: %s (the browser finished the page and its assets)"},
	"page.key-before":         {"antes de salir (caché, conexión)", "before it went out (cache, connection)"},
	"page.key-wait":           {"esperando el primer byte", "waiting for the first byte"},
	"page.key-download":       {"descarga", "download"},
	"page.key-fcp":            {"primer pintado", "first paint"},
	"page.key-load":           {"evento load", "load event"},
	"page.fcp":                {"Primer pintado con contenido (FCP): %s después de empezar", "First contentful paint (FCP): %s after the start"},
	"page.cookies":            {"Cookies que el navegador envía con cada petición a /site/: %s (%d bytes de cabecera)", "Cookies the browser sends with every request to /site/: %s (%d bytes of header)"},
	"page.no-cookies":         {"El navegador no tiene cookies para /site/: ninguna petición lleva la cabecera Cookie.", "The browser holds no cookies for /site/: no request carries a Cookie header."},
	"page.resource":           {"Recurso", "Resource"},
	"page.kind":               {"Lo pidió", "Asked by"},
	"page.from":               {"De dónde", "From"},
	"page.when":               {"Cuándo", "When"},
	"page.timeline":           {"Línea de tiempo", "Timeline"},
	"page.network":            {"red", "network"},
	"page.cache":              {"caché", "cache"},
	"page.bytes":              {"%d bytes transferidos", "%d bytes transferred"},
	"page.kind.navigation":    {"la navegación (documento)", "the navigation (document)"},
	"page.kind.link":          {"una etiqueta link (CSS)", "a link tag (CSS)"},
	"page.kind.img":           {"una imagen", "an image"},
	"page.kind.video":         {"un vídeo", "a video"},
	"page.kind.script":        {"un script", "a script"},
	"page.kind.css":           {"el CSS", "the CSS"},
	"embed.open":              {"Insertar en un curso", "Embed in a course"},
	"embed.heading":           {"Insertar esta lección", "Embed this lesson"},
	"embed.intro":             {"Pega este código en tu plataforma (Moodle, Canvas, Sakai…). Quien despliega el laboratorio decide qué sitios pueden insertarlo (REQLAB_FRAME_ANCESTORS).", "Paste this code into your platform (Moodle, Canvas, Sakai…). Whoever deploys the lab decides which sites may embed it (REQLAB_FRAME_ANCESTORS)."},
	"embed.autoplay":          {"Enviar la petición de la lección al abrirse", "Send the lesson's request when it opens"},
	"embed.controls":          {"Mostrar el formulario de la petición", "Show the request form"},
	"embed.theme":             {"Tema", "Theme"},
	"embed.auto":              {"el del dispositivo de quien lo lee", "the reader's device's"},
	"embed.light":             {"claro", "light"},
	"embed.dark":              {"oscuro", "dark"},
	"embed.snippet":           {"Código para insertar", "Code to embed"},
	"embed.copy":              {"Copiar el código", "Copy the code"},
	"embed.copied":            {"Copiado.", "Copied."},
	"embed.copy-failed":       {"No se pudo copiar: selecciona el código y cópialo a mano.", "Could not copy: select the code and copy it by hand."},
	"error.open-run":          {"No se pudo abrir esa ejecución.", "That run could not be opened."},
	"run.unknown":             {"El laboratorio no guarda ninguna ejecución %s: el enlace está mal copiado, o la ejecución era antigua y se borró. Envía una petición para crear otra.", "The lab holds no run %s: the link was copied wrong, or the run was old and has been removed. Send a request to make a new one."},

	"field.url-empty":        {"Escribe una ruta, por ejemplo /site/api/cursos.", "Type a path, for example /site/api/cursos."},
	"field.url-outside-site": {"El laboratorio solo envía peticiones a su sitio de ejemplo: la ruta debe empezar por /site/ y no salir de él.", "The lab only sends requests to its sample site: the path must start with /site/ and stay inside it."},
	"field.url-too-long":     {"La ruta es demasiado larga: como mucho 2048 bytes.", "The path is too long: 2048 bytes at most."},
	"field.url-invalid":      {"Eso no es una ruta válida: sin espacios, sin esquema ni servidor, sin #.", "That is not a valid path: no spaces, no scheme or host, no #."},
	"field.method-unknown":   {"Ese método no está disponible aquí.", "That method is not available here."},

	"path.heading":    {"El camino de la petición", "The request's path"},
	"path.intro":      {"Cada etapa se mide de verdad: las del cliente en tu navegador, las del servidor en el servidor Go, y llegan a esta página en vivo.", "Every stage is really measured: the client's in your browser, the server's in the Go server, and they reach this page live."},
	"lane.client-out": {"Cliente (frontend): tu navegador pide", "Client (frontend): your browser asks"},
	"lane.server":     {"Servidor (backend): Go y SQLite", "Server (backend): Go and SQLite"},
	"lane.client-in":  {"Cliente (frontend): tu navegador recibe y muestra", "Client (frontend): your browser receives and shows"},
	"path.stages":     {"Cada etapa, en palabras", "Each stage, in words"},

	"outcome.title":                   {"Cómo acabó: %s, %s", "How it ended: %s, %s"},
	"outcome.ok":                      {"éxito", "success"},
	"outcome.client-error":            {"error del cliente: el servidor rechazó la petición", "client error: the server refused the request"},
	"outcome.server-error":            {"error del servidor: falló al responder", "server error: it failed to answer"},
	"outcome.failed":                  {"no llegó ninguna respuesta", "no answer came"},
	"outcome.none":                    {"sin respuesta", "no answer"},
	"picture.title":                   {"El camino de la petición: tu navegador, la red, el servidor y su base de datos", "The request's path: your browser, the network, the server and its database"},
	"picture.idle":                    {"Aún no hay ninguna petición en camino: envía una y mírala viajar.", "No request is on its way yet: send one and watch it travel."},
	"picture.now":                     {"%s — %s: %s", "%s — %s: %s"},
	"place.browser":                   {"Tu navegador", "Your browser"},
	"place.browser-sub":               {"cliente", "client"},
	"place.network":                   {"Red", "Network"},
	"place.network-sub":               {"ida y vuelta", "there and back"},
	"place.network-simulated.fast-3g": {"3G rápida (simulada)", "fast 3G (simulated)"},
	"place.network-simulated.slow-3g": {"3G lenta (simulada)", "slow 3G (simulated)"},
	"place.server":                    {"Servidor", "Server"},
	"place.server-sub":                {"backend en Go", "Go backend"},
	"place.database":                  {"Base de datos", "Database"},
	"place.database-sub":              {"SQLite", "SQLite"},

	"timeline.caption":    {"A escala: %s de principio a fin", "To scale: %s from start to end"},
	"timeline.clock":      {"· las horas del servidor, pasadas a tu reloj con un margen de %s", "· the server's times, set on your clock to within %s"},
	"timeline.clock-none": {"· solo el reloj de tu navegador", "· your browser's clock only"},
	"timeline.bar":        {"%s, desde %s", "%s, from %s"},
	"timeline.bar-open":   {"%s hasta ahora, desde %s", "%s so far, from %s"},

	"dur.none":    {"sin medida", "not measured"},
	"dur.skipped": {"no ocurrió", "did not happen"},
	"run.id":      {"Ejecución", "Run"},
	"run.total":   {"Total, de principio a fin: %s", "Total, start to finish: %s"},

	"state.idle":    {"en espera", "waiting"},
	"state.active":  {"en curso", "in progress"},
	"state.done":    {"hecho", "done"},
	"state.skipped": {"omitido", "skipped"},
	"state.error":   {"error", "error"},

	"response.heading":        {"La respuesta", "The response"},
	"response.none":           {"Todavía no hay respuesta: envía una petición.", "No response yet: send a request."},
	"response.status":         {"Código de estado", "Status code"},
	"response.json":           {"El JSON que devolvió el servidor", "The JSON the server returned"},
	"response.html":           {"El HTML que tu navegador construyó con él", "The HTML your browser built from it"},
	"response.hours":          {"%d h", "%d h"},
	"response.empty":          {"La lista está vacía.", "The list is empty."},
	"response.no-body-head":   {"Sin cuerpo: HEAD pide solo el código y las cabeceras, y el servidor no envía nada más.", "No body: HEAD asks for the code and headers only, and the server sends nothing else."},
	"response.no-body-status": {"Sin cuerpo: una respuesta con este código nunca lo lleva.", "No body: an answer with this code never carries one."},
	"response.no-body":        {"La respuesta llegó sin cuerpo.", "The answer came without a body."},
	"response.page":           {"No es JSON: es un documento HTML, que el navegador leyó y dibujó en el marco de la lección, con sus recursos.", "Not JSON: an HTML document, which the browser read and drew in the lesson's frame, with its assets."},
	"response.page-drawn":     {"El navegador construyó la página él mismo: mírala en el marco de arriba.", "The browser built the page itself: see it in the frame above."},
	"response.nothing-built":  {"Nada que construir: no llegó ningún dato.", "Nothing to build: no data came."},
	"response.raw":            {"El cuerpo no es JSON; se muestra tal cual.", "The body is not JSON; it is shown as it came."},
	"error.start":             {"El servidor del laboratorio no pudo abrir la ejecución: %s", "The lab's server could not open the run: %s"},
	"error.timeout":           {"El servidor del laboratorio no respondió a tiempo. Inténtalo de nuevo.", "The lab's server did not answer in time. Try again."},
	"error.fetch":             {"Tu navegador no pudo completar la petición: %s", "Your browser could not complete the request: %s"},
	"detail.headers":          {"%d bytes de cabeceras (%d de cookies)", "%d bytes of headers (%d of cookies)"},
	"detail.addr":             {"llegó a %s", "reached %s"},
	"detail.conn-new":         {"conexión nueva", "new connection"},
	"detail.conn-reused":      {"petición n.º %d de su conexión", "request no. %d on its connection"},
	"detail.route":            {"ruta elegida: %s", "route chosen: %s"},
	"detail.rows":             {"%d filas", "%d rows"},
	"detail.rows-one":         {"1 fila", "1 row"},
	"detail.body-bytes":       {"%d bytes de cuerpo, %d de cabeceras", "%d bytes of body, %d of headers"},
	"detail.download-bytes":   {"%d bytes recibidos", "%d bytes received"},
	"detail.wire-bytes-304":   {"%d bytes cruzaron la red, solo cabeceras: el servidor respondió 304 sin cuerpo y el navegador usó el cuerpo de su copia (%d bytes)", "%d bytes crossed the wire, headers only: the server answered 304 with no body and the browser used its copy's body (%d bytes)"},
	"detail.wire-bytes":       {"%d bytes cruzaron la red (cabeceras y cuerpo); cuerpo: %d bytes, %d una vez descomprimido", "%d bytes crossed the wire (headers and body); body: %d bytes, %d once decoded"},
	"detail.items":            {"%d registros convertidos en HTML", "%d records turned into HTML"},
	"detail.items-one":        {"1 registro convertido en HTML", "1 record turned into HTML"},
	"detail.error":            {"error: %s", "error: %s"},
	"live.sent":               {"Petición enviada.", "Request sent."},
	"live.stage":              {"%s: %s. %s", "%s: %s. %s"},
	"live.status":             {"Respuesta: %s.", "Response: %s."},
}
