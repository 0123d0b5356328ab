package wire

import (
	"fmt"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	const run = "4bf92f3577b34da6a3ce929d0e0e4736"
	event := `{"stage":"wait","side":"client","phase":"end","t_ms":1,"dur_ms":2,"state":"done","detail":{}}`
	tests := []struct {
		name    string
		in      string
		wantErr string // "" for a message that decodes
	}{
		{"start", `{"type":"start","ref":1,"request":{"method":"GET","url":"/site/api/cursos","headers":[]}}`, ""},
		{"subscribe", `{"type":"subscribe","run":"` + run + `","after":3}`, ""},
		{"report", `{"type":"report","ref":2,"run":"` + run + `","final":true,"events":[` + event + `],"response":{"status":200,"headers":[]}}`, ""},
		{"not JSON", `{"type":`, "not valid JSON"},
		{"no type", `{}`, "no type"},
		{"unknown type", `{"type":"launch"}`, "unknown message type"},
		{"start with no request", `{"type":"start"}`, "needs a request"},
		{"subscribe to a bad id", `{"type":"subscribe","run":"42"}`, "32 hex"},
		{"subscribe after a negative seq", `{"type":"subscribe","run":"` + run + `","after":-1}`, "0 or more"},
		{"report of a server stage", `{"type":"report","run":"` + run + `","events":[{"stage":"db","side":"server","phase":"end","t_ms":0,"state":"done"}]}`, "client stages only"},
		{"report of an invalid event", `{"type":"report","run":"` + run + `","events":[{"stage":"wait","side":"client","phase":"end","t_ms":-5,"state":"done"}]}`, "t_ms"},
		{"report of too many events", `{"type":"report","run":"` + run + `","events":[` + strings.TrimSuffix(strings.Repeat(event+",", MaxEventsPerReport+1), ",") + `]}`, "at most"},
		{"report of a bad status", `{"type":"report","run":"` + run + `","response":{"status":7}}`, "status"},
		{"a field of the wrong type", `{"type":"subscribe","run":5}`, "not valid JSON"},
		{"answer", `{"type":"answer","ref":3,"lesson":"cookies","choice":0}`, ""},
		{"answer with no lesson", `{"type":"answer","choice":1}`, "lesson"},
		{"answer with no choice", `{"type":"answer","lesson":"cookies"}`, "option"},
		{"answer with a negative choice", `{"type":"answer","lesson":"cookies","choice":-1}`, "option"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode([]byte(tt.in))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if m.Type == "" {
					t.Fatal("decoded a message with no type")
				}
				return
			}
			d, ok := AsDecodeError(err)
			if !ok {
				t.Fatalf("Decode error = %v, want a *DecodeError", err)
			}
			if !strings.Contains(d.Msg, tt.wantErr) {
				t.Errorf("error %q does not say %q", d.Msg, tt.wantErr)
			}
		})
	}
}

func TestDecodeErrorKeepsTheRef(t *testing.T) {
	_, err := Decode([]byte(`{"type":"start","ref":42}`))
	d, ok := AsDecodeError(err)
	if !ok || d.Ref != 42 {
		t.Fatalf("got %v, want a *DecodeError with ref 42", err)
	}
	if got := fmt.Sprint(err); got != d.Msg {
		t.Errorf("Error() = %q, want %q", got, d.Msg)
	}
}
