package browser

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Host is the page that embeds the lab in a frame, reached by postMessage.
// Messages go to the origins the lab was configured to be framed by (or to
// any where none are); messages come in only from the framing page, from
// those origins.
type Host struct {
	origins []string
	onMsg   app.Func
}

// Embedded reports whether the page runs in a frame.
func Embedded() bool {
	w := app.Window()
	return !w.Get("parent").Equal(w.JSValue())
}

// ConnectHost starts talking with the framing page: receive gets each
// message from it that passes the origin check (its data, as a JS value).
func ConnectHost(receive func(data app.Value)) *Host {
	h := &Host{origins: strings.Fields(app.Getenv("REQLAB_FRAME_ANCESTORS"))}
	h.onMsg = app.FuncOf(func(this app.Value, args []app.Value) any {
		if len(args) == 0 {
			return nil
		}
		e := args[0]
		if !e.Get("source").Equal(app.Window().Get("parent")) || !h.allowed(e.Get("origin").String()) {
			return nil
		}
		receive(e.Get("data"))
		return nil
	})
	app.Window().Call("addEventListener", "message", h.onMsg)

	return h
}

func (h *Host) allowed(origin string) bool {
	if len(h.origins) == 0 {
		return true
	}
	for _, o := range h.origins {
		if o == origin {
			return true
		}
	}
	return false
}

// Post sends a message to the framing page: an object (a map), or a string.
func (h *Host) Post(msg any) {
	parent := app.Window().Get("parent")
	if len(h.origins) == 0 {
		parent.Call("postMessage", msg, "*")
		return
	}
	for _, o := range h.origins {
		parent.Call("postMessage", msg, o) // delivered only where the host is that origin
	}
}

// Close stops listening to the host.
func (h *Host) Close() {
	app.Window().Call("removeEventListener", "message", h.onMsg)
	h.onMsg.Release()
}

// CopyText puts text on the clipboard, and reports whether it could.
func CopyText(text string) bool {
	clip := app.Window().Get("navigator").Get("clipboard")
	if !clip.Truthy() {
		return false
	}
	_, err := await(clip.Call("writeText", text))
	return err == nil
}
