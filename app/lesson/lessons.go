package lesson

import (
	"strconv"
	"strings"

	"reqlab/app/stage"
)

// All is every lesson, in the course's order.
var All = []Lesson{
	{
		Slug:  "frontend-backend",
		Title: Text{"Frontend y backend", "Frontend and backend"},
		Course: Text{
			"El frontend es la parte del sitio que se ve y corre en tu navegador: el HTML, el CSS, el JavaScript (aquí, además, WebAssembly), los botones y las imágenes. El backend es lo que pasa cuando pulsas un botón: el código del servidor, sus decisiones y su base de datos. En este laboratorio, el frontend es Go compilado a WebAssembly con go-app dentro de tu navegador; el backend es un servidor Go (net/http) con una base de datos SQLite.",
			"The frontend is the part of a site you see and that runs in your browser: HTML, CSS, JavaScript (here, WebAssembly too), the buttons and the images. The backend is what happens when you press a button: the server's code, its decisions and its database. In this lab the frontend is Go compiled to WebAssembly with go-app inside your browser; the backend is a Go server (net/http) with a SQLite database.",
		},
		Steps: []Step{{
			Label:   Text{"Pedir la lista de cursos", "Ask for the course list"},
			Request: get("/site/api/cursos"),
			Notice: Text{
				"En el dibujo, lo que ocurre en «Tu navegador» es frontend: mirar la caché, parsear el JSON y pintarlo como la lista que ves. Lo que ocurre en «Servidor» y «Base de datos» es backend: recibir la petición, elegir la ruta, consultar la base de datos y responder. Por «Red» solo viajan la petición y su respuesta. En «Cada etapa, en palabras», cada etapa va en el carril de su lado.",
				"In the picture, what happens in \"Your browser\" is frontend: checking the cache, parsing the JSON and painting it as the list you see. What happens in \"Server\" and \"Database\" is backend: receiving the request, choosing the route, querying the database and answering. Only the request and its answer travel through \"Network\". In \"Each stage, in words\", each stage sits in its side's lane.",
			},
		}},
		Narration: map[stage.ID]Text{
			stage.Render:  {"Frontend: tu navegador convierte los datos en HTML que ves.", "Frontend: your browser turns the data into the HTML you see."},
			stage.DB:      {"Backend: solo el servidor habla con la base de datos; tu navegador nunca la ve.", "Backend: only the server talks to the database; your browser never sees it."},
			stage.Route:   {"Backend: el código del servidor decide qué hacer con la petición.", "Backend: the server's code decides what to do with the request."},
			stage.Receive: {"Backend: el servidor Go recibe lo que tu navegador envió.", "Backend: the Go server receives what your browser sent."},
			stage.Respond: {"Backend: el servidor responde con un código de estado y el JSON.", "Backend: the server answers with a status code and the JSON."},
		},
		Question: Question{
			Prompt: Text{"¿Dónde se ejecuta la consulta SQL a la base de datos?", "Where does the SQL query to the database run?"},
			Options: []Text{
				{"En el navegador, en el frontend", "In the browser, in the frontend"},
				{"En el servidor, en el backend", "On the server, in the backend"},
				{"En los dos a la vez", "In both at once"},
			},
			Correct: 1,
			Right:   Text{"Exacto: la etapa «Consulta» ocurre en «Base de datos», junto al servidor, y su tarjeta va en el carril del servidor. El navegador solo recibe el JSON resultante.", "Right: the \"Query\" stage happens in \"Database\", next to the server, and its card sits in the server's lane. The browser only receives the resulting JSON."},
			Hints:   []Text{{"El navegador nunca ve la base de datos: solo recibe el JSON. Mira en qué lugar del dibujo está «Base de datos».", "The browser never sees the database: it only gets the JSON. Look at which place of the picture holds \"Database\"."}, {}, {"Solo uno de los dos tiene la base de datos: mira dónde está SQLite en el dibujo y en qué carril va la etapa «Consulta».", "Only one of the two holds the database: look at where SQLite sits in the picture and which lane holds the \"Query\" stage."}},
		},
	},
	{
		Slug:  "client-server",
		Title: Text{"El modelo cliente/servidor", "The client/server model"},
		Course: Text{
			"El modelo cliente/servidor es la relación entre frontend y backend: el cliente (el navegador) envía una petición a una URI; el backend la recibe y decide; consulta la base de datos si hace falta; devuelve una respuesta que el navegador pueda leer, muchas veces JSON; y el cliente parsea ese JSON para mostrarlo en HTML. Al conjunto de tecnologías de cada lado se le llama stack.",
			"The client/server model is the relation between frontend and backend: the client (the browser) sends a request to a URI; the backend receives it and decides; it queries the database when needed; it returns an answer the browser can read, often JSON; and the client parses that JSON to show it as HTML. The set of technologies on each side is called a stack.",
		},
		Steps: []Step{{
			Label:   Text{"Pedir un curso", "Ask for one course"},
			Request: get("/site/api/cursos/2"),
			Notice: Text{
				"Sigue el viaje completo: tu navegador envía la petición por la red y espera; mientras espera, el servidor hace recepción, ruta, consulta y respuesta; después llegan la descarga, el parseo del JSON y el pintado. El JSON de la respuesta y el HTML construido con él están en «La respuesta».",
				"Follow the whole trip: your browser sends the request over the network and waits; while it waits, the server does receive, route, query and respond; then come the download, the parse of the JSON and the render. The response's JSON and the HTML built from it are in \"The response\".",
			},
		}},
		Narration: map[stage.ID]Text{
			stage.Send:    {"El cliente envía la petición a una URI: /site/api/cursos/2.", "The client sends the request to a URI: /site/api/cursos/2."},
			stage.Route:   {"El backend mira la URI y decide qué código la atiende.", "The backend looks at the URI and decides which code serves it."},
			stage.DB:      {"Hace falta un dato guardado: el backend consulta la base de datos.", "It needs stored data: the backend queries the database."},
			stage.Respond: {"El backend responde con un código de estado y JSON.", "The backend answers with a status code and JSON."},
			stage.Parse:   {"El cliente parsea el JSON: lo convierte en datos.", "The client parses the JSON: it turns it into data."},
			stage.Render:  {"Con esos datos, el cliente construye HTML.", "With that data, the client builds HTML."},
		},
		Question: Question{
			Prompt: Text{"¿Qué hace el navegador con el JSON que recibe?", "What does the browser do with the JSON it receives?"},
			Options: []Text{
				{"Lo guarda en la base de datos", "It stores it in the database"},
				{"Lo parsea y lo muestra como HTML", "It parses it and shows it as HTML"},
				{"Lo reenvía al servidor", "It sends it back to the server"},
			},
			Correct: 1,
			Right:   Text{"Sí: las etapas «Parseo» y «Pintado» son justo eso.", "Yes: the \"Parse\" and \"Render\" stages are exactly that."},
			Hints:   []Text{{"La base de datos está en el servidor y el navegador no llega a ella: mira qué etapas del navegador siguen a la descarga.", "The database lives on the server and the browser cannot reach it: look at which browser stages follow the download."}, {}, {"Tras la descarga no sale ninguna petición nueva: mira «Parseo» y «Pintado», las etapas que siguen.", "No new request leaves after the download: look at \"Parse\" and \"Render\", the stages that follow."}},
		},
	},
	{
		Slug:  "status-codes",
		Title: Text{"Códigos de estado", "Status codes"},
		Course: Text{
			"El servidor siempre responde con un número que resume lo que decidió: 200 (OK), 201 (creado), 404 (no encontrado), 500 (error del servidor). Cada uno es una decisión real del backend.",
			"The server always answers with a number that sums up what it decided: 200 (OK), 201 (created), 404 (not found), 500 (server error). Each one is a real decision of the backend.",
		},
		Steps: []Step{
			{Label: Text{"200: un curso que existe", "200: a course that exists"}, Request: get("/site/api/cursos/1"),
				Notice: Text{"La consulta encontró una fila: 200 OK.", "The query found a row: 200 OK."}},
			{Label: Text{"201: crear un curso (POST)", "201: create a course (POST)"}, Request: stage.Request{Method: "POST", URL: "/site/api/cursos",
				Headers: []stage.Header{{Name: "Content-Type", Value: "application/json"}},
				Body:    `{"titulo":"Redes para curiosos","nivel":"básico","horas":3,"descripcion":"Creado desde el laboratorio."}`},
				Notice: Text{"El backend insertó una fila: 201 Creado, y la cabecera Location dice dónde vive el curso nuevo. Pide la lista otra vez y lo verás.", "The backend inserted a row: 201 Created, and the Location header says where the new course lives. Ask for the list again and you will see it."}},
			{Label: Text{"Ver la lista con el curso nuevo", "See the list with the new course"}, Request: get("/site/api/cursos"),
				Notice: Text{"El GET después del POST muestra el curso que acabas de crear.", "The GET after the POST shows the course you just created."}},
			{Label: Text{"404: un curso que no existe", "404: a course that does not exist"}, Request: get("/site/api/cursos/999999"),
				Notice: Text{"La consulta corrió y no encontró fila: el backend decide 404.", "The query ran and found no row: the backend decides 404."}},
			{Label: Text{"500: una consulta que falla", "500: a query that fails"}, Request: get("/site/api/inscripciones"),
				Notice: Text{"La base de datos rechazó la consulta (la tabla no existe): es culpa del servidor, 500.", "The database refused the query (the table does not exist): the server's fault, 500."}},
		},
		Narration: map[stage.ID]Text{
			stage.DB:      {"Lo que pase aquí decide el código: fila encontrada, ninguna, o un error.", "What happens here decides the code: a row found, none, or an error."},
			stage.Respond: {"El código de estado resume la decisión del backend.", "The status code sums up the backend's decision."},
		},
		Question: Question{
			Prompt:  Text{"Una consulta falla dentro de la base de datos del servidor. ¿Qué código corresponde?", "A query fails inside the server's database. Which code fits?"},
			Options: []Text{{"200", "200"}, {"404", "404"}, {"500", "500"}},
			Correct: 2,
			Right:   Text{"Sí: los 5xx dicen que el error es del servidor, no de la petición.", "Yes: 5xx codes say the error is the server's, not the request's."},
			Hints:   []Text{{"200 dice que todo fue bien, y la consulta falló: mira el estado de «Consulta» en la ejecución de /site/api/inscripciones.", "200 says all went well, and the query failed: look at the state of \"Query\" in the /site/api/inscripciones run."}, {"Un 404 es «no existe»: aquí la ruta existe y la consulta se ejecutó; lo que falla es el servidor.", "A 404 means \"does not exist\": here the route exists and the query ran; it is the server that fails."}, {}},
		},
	},
	{
		Slug:  "cache",
		Title: Text{"La caché", "The cache"},
		Course: Text{
			"Antes de salir a la red, el navegador busca si ya tiene una copia guardada en su propia caché (la caché HTTP del navegador). Si la copia vale (lo dice la cabecera Cache-Control del servidor), la usa y la petición nunca llega al servidor. Si hay que confirmar, pregunta con If-None-Match y el servidor contesta 304 sin cuerpo cuando nada cambió. El sistema operativo también guarda algo: los nombres ya resueltos a IP (la caché de DNS), que sirve cuando hace falta una conexión nueva; lo verás en la última lección.",
			"Before going out to the network, the browser checks whether it already keeps a copy in its own cache (the browser's HTTP cache). If the copy is still good (the server's Cache-Control header says so), it uses it and the request never reaches the server. If it must check, it asks with If-None-Match and the server answers 304 with no body when nothing changed. The operating system keeps something too: names already resolved to IPs (the DNS cache), used when a new connection is needed; the last lesson shows it.",
		},
		Steps: []Step{
			{Label: Text{"Primera petición a la portada", "First request for the front page"}, Request: get("/site/api/portada"),
				Notice: Text{"Viaja entera: la caché no tenía copia. La respuesta trae Cache-Control: public, max-age=60.", "It travels all the way: the cache had no copy. The answer carries Cache-Control: public, max-age=60."}},
			{Label: Text{"La misma petición otra vez", "The same request again"}, Request: get("/site/api/portada"),
				Notice: Text{"Ahora respondió la caché: las etapas del servidor dicen que no se llegó a ellas, porque la petición no salió de tu equipo.", "Now the cache answered: the server's stages say they were never reached, because the request never left your computer."}},
			{Label: Text{"Niveles: revalidar con ETag", "Levels: revalidate with ETag"}, Request: get("/site/api/niveles"),
				Notice: Text{"Cache-Control: no-cache obliga a preguntar siempre. Pulsa este paso dos veces: la segunda vez el navegador envía If-None-Match con la ETag de su copia, el servidor responde 304 sin cuerpo (mira los bytes que cruzan la red) y el navegador usa su copia (la página verá 200).", "Cache-Control: no-cache forces the browser to ask every time. Press this step twice: the second time the browser sends If-None-Match with its copy's ETag, the server answers 304 with no body (look at the bytes that cross the wire) and the browser uses its copy (the page sees 200)."}},
		},
		Narration: map[stage.ID]Text{
			stage.Cache:   {"Primero, la caché: ¿hay una copia que todavía vale?", "First, the cache: is there a copy that is still good?"},
			stage.Respond: {"El servidor decide cómo puede guardarse su respuesta (Cache-Control, ETag).", "The server decides how its answer may be kept (Cache-Control, ETag)."},
		},
		Question: Question{
			Prompt: Text{"Si la caché del navegador responde, ¿qué hace el servidor?", "If the browser's cache answers, what does the server do?"},
			Options: []Text{
				{"Responde 200 como siempre", "It answers 200 as always"},
				{"Nada: la petición no le llega", "Nothing: the request never reaches it"},
				{"Responde 404", "It answers 404"},
			},
			Correct: 1,
			Right:   Text{"Así es: por eso, en la segunda petición, las etapas del servidor dicen «no ocurrió».", "That's it: that's why, in the second request, the server's stages say \"did not happen\"."},
			Hints:   []Text{{"Para responder, la petición tendría que llegarle: en la segunda petición, ¿se encendió algún lugar del servidor?", "To answer, the request would have to reach it: in the second request, did any place of the server light up?"}, {}, {"Un 404 también es una respuesta del servidor, y en la segunda petición no le llegó nada: mira su carril.", "A 404 is also an answer from the server, and in the second request nothing reached it: look at its lane."}},
		},
	},
	{
		Slug:  "cookies",
		Title: Text{"Las cookies", "Cookies"},
		Course: Text{
			"Las cookies son datos guardados en variables que viajan en los dos sentidos: el servidor las crea con Set-Cookie y el navegador las devuelve en cada petición a ese sitio. Pesan: cada byte de cookie viaja en cada petición, por eso conviene que sean pocas y pequeñas.",
			"Cookies are data kept in variables that travel both ways: the server creates them with Set-Cookie and the browser sends them back on every request to that site. They weigh: every cookie byte travels on every request, which is why they should be few and small.",
		},
		Steps: []Step{
			{Label: Text{"El servidor pone una cookie", "The server sets a cookie"}, Request: get("/site/api/sesion"),
				Notice: Text{"La respuesta trae Set-Cookie: visitas=…: el sitio le pide al navegador que la guarde y se la devuelva. Debajo del peso de las cookies, lo que hizo tu navegador.", "The answer carries Set-Cookie: visitas=…: the site asks the browser to keep it and send it back. Below the cookie weight, what your browser did."}},
			{Label: Text{"El navegador la devuelve", "The browser sends it back"}, Request: get("/site/api/sesion"),
				Notice: Text{"Mira «La petición tal como llegó al servidor»: si tu navegador guardó la cookie, la cabecera Cookie trae visitas=…, que envió solo. Debajo del peso de las cookies, lo que pasó en esta petición.", "Look at \"The request as the server received it\": if your browser kept the cookie, the Cookie header carries visitas=…, which it sent by itself. Below the cookie weight, what happened to this request."}},
		},
		CookieWeight: true,
		Narration: map[stage.ID]Text{
			stage.Send:    {"Las cookies que el navegador guarda para el sitio viajan en la cabecera Cookie de cada petición.", "The cookies the browser keeps for the site travel in the Cookie header of every request."},
			stage.Receive: {"El servidor recibe las cabeceras, cookies incluidas: mira cuántos bytes pesan.", "The server receives the headers, cookies included: see how many bytes they weigh."},
		},
		Question: Question{
			Prompt: Text{"¿Por qué conviene que las cookies sean pequeñas?", "Why should cookies be small?"},
			Options: []Text{
				{"Porque viajan en cada petición al sitio", "Because they travel on every request to the site"},
				{"Porque el navegador las borra si pesan", "Because the browser deletes them if they weigh"},
				{"No importa su tamaño", "Their size does not matter"},
			},
			Correct: 0,
			Right:   Text{"Sí: cada byte se repite en cada petición, y pasado un límite el servidor la rechaza (431).", "Yes: every byte is repeated on every request, and past a limit the server refuses it (431)."},
			Hints:   []Text{{}, {"El navegador guarda cookies de hasta 4 KB cada una; lo que crece es lo que envía en cada petición: sube el peso y mira los bytes de cabecera.", "The browser keeps cookies of up to 4 KB each; what grows is what it sends on every request: raise the weight and watch the header bytes."}, {"Sube el peso de las cookies: las cabeceras crecen en cada envío y, pasado un límite, el servidor rechaza la petición.", "Raise the cookie weight: the headers grow on every send and, past a limit, the server refuses the request."}},
		},
	},
	{
		Slug:  "page-load",
		Title: Text{"Cómo carga una página", "How a page loads"},
		Course: Text{
			"Una página no llega de una vez: primero el documento HTML, y el navegador empieza a mostrarla por el texto; después pide el CSS, las imágenes, los vídeos y otros recursos que el HTML nombra.",
			"A page does not arrive all at once: first the HTML document, and the browser starts showing it with the text; then it asks for the CSS, images, videos and other assets the HTML names.",
		},
		Steps: []Step{{
			Label:   Text{"Cargar la página del sitio", "Load the site's page"},
			Request: get("/site/"),
			Page:    true,
			Notice: Text{
				"La cascada empieza por el documento; el CSS llega enseguida y el texto se pinta (FCP, el primer pintado con contenido) mientras las imágenes todavía están llegando: este sitio las envía despacio a propósito, como llegaría una foto por una red móvil. Mira el marco mientras carga. Pulsa el paso otra vez: los recursos vienen ahora de la caché (mira «De dónde» en la cascada).",
				"The waterfall starts with the document; the CSS comes at once and the text is painted (FCP, first contentful paint) while the images are still arriving: this site sends them slowly on purpose, as a photo would come over a mobile link. Watch the frame as it loads. Press the step again: the assets now come from the cache (see \"From\" in the waterfall).",
			},
		}},
		Narration: map[stage.ID]Text{
			stage.Assets:  {"Después del documento, el navegador pide los recursos que el HTML nombra.", "After the document, the browser asks for the assets the HTML names."},
			stage.Parse:   {"El navegador lee el HTML y arma la página con él.", "The browser reads the HTML and builds the page from it."},
			stage.Respond: {"El servidor devuelve el documento HTML con un código de estado; el CSS y las imágenes los pide el navegador después.", "The server returns the HTML document with a status code; the browser asks for the CSS and images afterwards."},
			stage.Render:  {"Hasta el primer pintado con contenido: el texto se ve antes que las imágenes.", "Until the first contentful paint: the text shows before the images."},
		},
		Question: Question{
			Prompt:  Text{"¿Qué se muestra primero al cargar una página?", "What shows first when a page loads?"},
			Options: []Text{{"Las imágenes", "The images"}, {"El texto del documento", "The document's text"}, {"Los vídeos", "The videos"}},
			Correct: 1,
			Right:   Text{"Sí: el texto del HTML llega primero; los recursos vienen después.", "Yes: the HTML's text arrives first; the assets come after."},
			Hints:   []Text{{"Las imágenes se piden cuando el navegador ya ha leído el HTML que las nombra: mira la cascada.", "Images are asked for once the browser has read the HTML that names them: look at the waterfall."}, {}, {"Un vídeo es un recurso más, pedido después del documento: mira en la cascada qué llega primero.", "A video is one more asset, asked for after the document: look in the waterfall at what arrives first."}},
		},
	},
	{
		Slug:  "what-happens",
		Title: Text{"Qué pasa cuando pides una página", "What happens when you ask for a page"},
		Course: Text{
			"Al escribir una dirección y pulsar Enter pasan muchos pasos que no vemos: el navegador mira su caché; resuelve el nombre del sitio a una IP; se conecta; envía el GET a esa IP; el servidor responde con un número (200, 404, 500…); el navegador muestra primero el texto y por último pide imágenes, vídeos y otros recursos.",
			"When you type an address and press Enter, many steps happen that we do not see: the browser checks its cache; it resolves the site's name to an IP; it connects; it sends the GET to that IP; the server answers with a number (200, 404, 500…); the browser shows the text first and finally asks for images, videos and other assets.",
		},
		Steps: []Step{{
			Label:   Text{"Recorrer todo el camino: la página del sitio, con una conexión nueva", "Walk the whole path: the site's page, on a new connection"},
			Request: fresh(get("/site/")),
			Page:    true,
			Notice: Text{
				"El navegador carga la página del sitio en el marco como si escribieras su dirección, y esta vez con una conexión solo suya y una caché vacía: mira la caché, busca el nombre (si la dirección es un nombre y no una IP), se conecta, envía el GET; el servidor consulta su base de datos y responde con un código; el navegador pinta el texto y después llegan las imágenes. Cada etapa dice lo que hizo en esta carga; «Recepción» dice a qué IP y puerto llegó.",
				"The browser loads the site's page in the frame as if you typed its address, this time on a connection of its own and with an empty cache: it checks the cache, looks the name up (if the address is a name, not an IP), connects, sends the GET; the server queries its database and answers with a code; the browser paints the text and then the images arrive. Each stage says what it did in this load; \"Receive\" says which IP and port it reached.",
			},
		}, {
			Label:   Text{"Otra vez, por la conexión de la página", "Again, on the page's connection"},
			Request: get("/site/"),
			Page:    true,
			Notice: Text{
				"Ahora la página va por una conexión que ya estaba abierta: el DNS y la conexión no hacen falta y se saltan. La primera carga se hizo aparte, con una caché solo suya que esta no usa: las imágenes salen de la caché de tu navegador solo si ya habías cargado la página antes (en la lección anterior, por ejemplo); si no, vuelven por la red. Mira «De dónde» en la cascada, y pulsa este paso otra vez para verlas salir de la caché. Compara las cargas en el historial.",
				"Now the page goes on a connection that was already open: DNS and the connection are not needed and are skipped. The first load was made apart, with a cache of its own that this one does not use: the images come from your browser's cache only if you had loaded the page before (in the previous lesson, say); if not, they come over the network again. See \"From\" in the waterfall, and press this step once more to see them come from the cache. Compare the loads in the history.",
			},
		}},
		Narration: map[stage.ID]Text{
			stage.Cache:   {"1. El navegador mira si ya tiene una copia en caché.", "1. The browser checks whether it has a copy in its cache."},
			stage.DNS:     {"2. Resuelve el nombre del sitio a la IP del servidor.", "2. It resolves the site's name to the server's IP."},
			stage.Connect: {"3. Se conecta con esa IP y su puerto: «Recepción» dice a cuáles llegó.", "3. It connects to that IP and its port: \"Receive\" says which it reached."},
			stage.Send:    {"4. Envía el GET al servidor.", "4. It sends the GET to the server."},
			stage.DB:      {"El servidor consulta su base de datos para armar la página.", "The server queries its database to build the page."},
			stage.Respond: {"5. El servidor responde con un número: 200, 404, 500…", "5. The server answers with a number: 200, 404, 500…"},
			stage.Render:  {"6. Muestra el contenido, empezando por el texto.", "6. It shows the content, starting with the text."},
			stage.Assets:  {"7. Por último pide imágenes, vídeos y otros recursos.", "7. Finally it asks for images, videos and other assets."},
		},
		Question: Question{
			Prompt:  Text{"¿Qué hace el navegador antes de resolver el nombre del sitio?", "What does the browser do before resolving the site's name?"},
			Options: []Text{{"Mira su caché", "It checks its cache"}, {"Dibuja la página", "It draws the page"}, {"Pide las imágenes", "It asks for the images"}},
			Correct: 0,
			Right:   Text{"Exacto: la caché es la primera etapa del camino.", "Exactly: the cache is the first stage of the path."},
			Hints:   []Text{{}, {"Para dibujar hace falta la respuesta, y aún no se ha pedido: el dibujo es de las últimas etapas.", "Drawing needs the answer, and it has not been asked for yet: rendering is among the last stages."}, {"Las imágenes se piden después de leer el HTML: mira cuál es la primera etapa en el navegador.", "Images are asked for after reading the HTML: look at the first stage in the browser."}},
		},
	},
}

// CookieRequest is the cookie lesson's request with n bytes of cookies in
// the jar, to feel their weight: "relleno1=xxx…", "relleno2=…", each within
// the 4 KB a browser keeps of one cookie. n counts the values; 0 adds none.
func CookieRequest(n int) stage.Request {
	r := get("/site/api/sesion")
	const chunk = 3000
	for i := 1; n > 0; i++ {
		size := min(n, chunk)
		r.Cookies = append(r.Cookies, stage.Cookie{Name: "relleno" + strconv.Itoa(i), Value: strings.Repeat("x", size)})
		n -= size
	}
	return r
}

// MaxCookieWeight is the most the weight control adds: past the sample
// server's 8 KB limit and within the lab's own 16 KB.
const MaxCookieWeight = 15 << 10
