package har

import (
	"encoding/json"
	"testing"
	"time"

	"reqlab/app/stage"
)

// FuzzEncoders writes any run that JSON can describe as the API's JSON and
// as HAR: neither panics, both encode, and the run's JSON reads back the same.
func FuzzEncoders(f *testing.F) {
	f.Add(`{"id":"4bf92f3577b34da6a3ce929d0e0e4736","created_at":"2026-11-27T10:00:00Z","state":"complete",
		"request":{"method":"GET","url":"/site/api/cursos?a=1","headers":[{"name":"Cookie","value":"a=1; b"}]},
		"response":{"status":200,"headers":[{"name":"Set-Cookie","value":"v=1; Path=/site/; Expires=Wed, 21 Oct 2015 07:28:00 GMT"}],"body":"[]"},
		"events":[{"seq":1,"stage":"cache","side":"client","phase":"end","t_ms":0,"dur_ms":null,"state":"done","detail":{"reason":"cache-hit"}}]}`)
	f.Add(`{"request":{"url":"%zz"},"response":null,"events":[{"stage":"tls","state":"done","dur_ms":-5}]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		var run stage.Run
		if json.Unmarshal([]byte(doc), &run) != nil {
			return
		}
		h := FromRun(run, "http://localhost:8080")
		if _, err := json.Marshal(h); err != nil {
			t.Fatalf("HAR does not encode: %v", err)
		}
		if _, err := time.Parse(time.RFC3339Nano, h.Log.Entries[0].StartedDateTime); err != nil {
			t.Fatalf("startedDateTime %q: %v", h.Log.Entries[0].StartedDateTime, err)
		}
		a, err := json.Marshal(run)
		if err != nil {
			return // a float JSON cannot say (NaN, ±Inf): the API never stores one
		}
		var back stage.Run
		if err := json.Unmarshal(a, &back); err != nil {
			t.Fatalf("the run's JSON does not read back: %v", err)
		}
		b, _ := json.Marshal(back)
		if string(a) != string(b) {
			t.Fatalf("the run's JSON changed on a round trip:\n%s\n%s", a, b)
		}
	})
}
