// Package stage is the one vocabulary of reqlab: the stages a request travels
// through, the events that report them and the runs that group them. Events,
// the diagram, the HTTP API, HAR and narration all use these names.
//
// It imports nothing heavy, so both the server and the wasm client use it.
package stage

// ID names one stage of a request's path. The ids are public (see docs/CONTRACT.md).
type ID string

// The stages, client side first, each in path order.
const (
	Cache    ID = "cache"
	DNS      ID = "dns"
	Connect  ID = "connect"
	TLS      ID = "tls"
	Send     ID = "send"
	Wait     ID = "wait"
	Download ID = "download"
	Parse    ID = "parse"
	Render   ID = "render"
	Assets   ID = "assets"

	Receive ID = "receive"
	Route   ID = "route"
	DB      ID = "db"
	Respond ID = "respond"
)

// Side says which machine measured a stage.
type Side string

// The two sides of the client/server model.
const (
	Client Side = "client"
	Server Side = "server"
)

// All lists every stage: the client's, then the server's.
func All() []ID {
	all := make([]ID, 0, len(ClientStages)+len(ServerStages))
	all = append(all, ClientStages...)
	return append(all, ServerStages...)
}

// SideOf reports which side a stage belongs to, and whether the id is known.
func SideOf(id ID) (Side, bool) {
	s, ok := byID[id]
	return s.Side, ok
}

// State is where a stage stands. Idle and Active are transient; every stage of
// a finished run ends in Done, Skipped or Error.
type State string

// The states of a stage.
const (
	Idle    State = "idle"
	Active  State = "active"
	Done    State = "done"
	Skipped State = "skipped"
	Error   State = "error"
)

// Final reports whether a stage in this state has ended.
func (s State) Final() bool {
	return s == Done || s == Skipped || s == Error
}

// Phase says whether an event opens a stage or closes it.
type Phase string

// The phases of an event.
const (
	Start Phase = "start"
	End   Phase = "end"
)
