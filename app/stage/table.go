package stage

import "reqlab/app/i18n"

// Text is a piece of text in the lab's two languages: an i18n.Text, named
// here so that the stage table writes its texts as pairs.
type Text i18n.Text

// In returns the text in l.
func (t Text) In(l i18n.Lang) string { return i18n.Text(t).In(l) }

// Place is where on the request's path a stage happens: the places the
// picture draws.
type Place string

// The places of the client/server model.
const (
	AtBrowser  Place = "browser"
	AtNetwork  Place = "network"
	AtServer   Place = "server"
	AtDatabase Place = "database"
)

// Places lists the places from the client to the database.
var Places = []Place{AtBrowser, AtNetwork, AtServer, AtDatabase}

// Leg says whether a stage belongs to the request going out or to the answer
// coming back: the picture draws the request's arrows out and the answer's
// back.
type Leg string

// The two legs of a round trip.
const (
	Out  Leg = "out"
	Back Leg = "back"
)

// Info is everything the lab declares about one stage. The picture, the
// timeline, the stage cards, the narration, HAR and the tests all read it.
type Info struct {
	ID    ID
	Side  Side
	Place Place
	Leg   Leg
	// HAR names the HAR 1.2 timings phase the stage's duration belongs to
	// ("" where HAR has none).
	HAR string
	// Name and About are the stage's name and what it is; the words are
	// the lab's, the facts the course's.
	Name, About Text
}

// Table declares every stage, each side's in path order: the order the
// request travels them. A stage is added here, measured where its side
// measures, and narrated; nothing else lists stages. (The stages are public:
// the contract names them, and TestTableDeclaresEveryStageOnce holds the
// table to it, so a new one is named there too.)
var Table = []Info{
	{Cache, Client, AtBrowser, Out, "", Text{"Caché", "Cache"},
		Text{"El navegador busca primero si ya guarda una copia de la respuesta.", "The browser first checks whether it already keeps a copy of the answer."}},
	{DNS, Client, AtNetwork, Out, "dns", Text{"DNS", "DNS"},
		Text{"Traduce el nombre del sitio a la dirección IP del servidor.", "It turns the site's name into the server's IP address."}},
	{Connect, Client, AtNetwork, Out, "connect", Text{"Conexión", "Connect"},
		Text{"Abre una conexión TCP con esa dirección.", "It opens a TCP connection to that address."}},
	{TLS, Client, AtNetwork, Out, "ssl", Text{"TLS", "TLS"},
		Text{"Cifra la conexión, si la dirección es https.", "It encrypts the connection, if the address is https."}},
	{Send, Client, AtNetwork, Out, "send", Text{"Envío", "Send"},
		Text{"Envía la petición: el método, la URI y las cabeceras.", "It sends the request: the method, the URI and the headers."}},
	{Wait, Client, AtNetwork, Out, "wait", Text{"Espera", "Wait"},
		Text{"Espera el primer byte de la respuesta; mientras, trabaja el servidor.", "It waits for the first byte of the answer; meanwhile the server works."}},
	{Download, Client, AtNetwork, Back, "receive", Text{"Descarga", "Download"},
		Text{"Recibe el cuerpo de la respuesta.", "It receives the body of the answer."}},
	{Parse, Client, AtBrowser, Back, "", Text{"Parseo", "Parse"},
		Text{"Lee (parsea) lo recibido para convertirlo en datos.", "It reads (parses) what it got into data."}},
	{Render, Client, AtBrowser, Back, "", Text{"Pintado", "Render"},
		Text{"Convierte esos datos en HTML y lo pinta en pantalla.", "It turns that data into HTML and paints it on screen."}},
	{Assets, Client, AtBrowser, Back, "", Text{"Recursos", "Assets"},
		Text{"Pide las imágenes, vídeos y otros recursos que el HTML necesite.", "It asks for the images, videos and other assets the HTML needs."}},

	{Receive, Server, AtServer, Out, "", Text{"Recepción", "Receive"},
		Text{"El backend recibe la petición completa.", "The backend receives the whole request."}},
	{Route, Server, AtServer, Out, "", Text{"Ruta", "Route"},
		Text{"Decide qué parte del código responde a esa ruta.", "It decides which part of its code answers that path."}},
	{DB, Server, AtDatabase, Out, "", Text{"Consulta", "Query"},
		Text{"Consulta la base de datos SQLite, si hace falta.", "It queries the SQLite database, if needed."}},
	{Respond, Server, AtServer, Back, "", Text{"Respuesta", "Respond"},
		Text{"Devuelve un código de estado y los datos en JSON.", "It returns a status code and the data as JSON."}},
}

// ClientStages lists the client's stages in path order, from Table.
var ClientStages []ID

// ServerStages lists the server's stages in path order, from Table.
var ServerStages []ID

var byID map[ID]Info

func init() { Reindex() }

// Reindex derives the lists and the lookup above from Table again. The lab
// never changes its table once running; a test that declares a stage of its
// own (to show that a stage is added in one place) calls it after.
func Reindex() {
	ClientStages, ServerStages = idsOf(Client), idsOf(Server)
	byID = make(map[ID]Info, len(Table))
	for _, s := range Table {
		byID[s.ID] = s
	}
}

func idsOf(side Side) []ID {
	var ids []ID
	for _, s := range Table {
		if s.Side == side {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

// Lookup returns what Table declares about a stage, and whether it is known.
func Lookup(id ID) (Info, bool) {
	s, ok := byID[id]
	return s, ok
}
