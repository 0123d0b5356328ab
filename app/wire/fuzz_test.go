package wire

import (
	"encoding/json"
	"testing"
)

// FuzzDecode feeds the websocket's decoder anything a browser (or anyone)
// could send: it never panics, refuses with a message, and what it takes is
// a known type whose events pass their own validation.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"type":"start","ref":1,"request":{"method":"GET","url":"/site/api/cursos","headers":[]}}`))
	f.Add([]byte(`{"type":"subscribe","run":"4bf92f3577b34da6a3ce929d0e0e4736","after":3}`))
	f.Add([]byte(`{"type":"report","run":"4bf92f3577b34da6a3ce929d0e0e4736","events":[{"stage":"wait","side":"client","phase":"end","t_ms":1,"dur_ms":2,"state":"done"}]}`))
	f.Add([]byte(`{"type":`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			if d, ok := AsDecodeError(err); !ok || d.Msg == "" {
				t.Fatalf("a refusal with no message: %v", err)
			}
			return
		}
		switch m.Type {
		case Start, Subscribe, Report:
		default:
			t.Fatalf("took a message of type %q", m.Type)
		}
		for _, e := range m.Events {
			if err := e.Validate(); err != nil {
				t.Fatalf("took an invalid event: %v", err)
			}
		}
		if _, err := json.Marshal(m); err != nil {
			t.Fatalf("a message it took does not encode: %v", err)
		}
	})
}
