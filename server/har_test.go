package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"reqlab/app/stage"
	"reqlab/app/wire"
	"reqlab/server/har"
)

func TestHARExportPassesTheHAR12Schema(t *testing.T) {
	l := startLab(t, nil)
	s := dialLab(t, l)
	req := stage.Request{Method: "POST", URL: "/site/api/cursos?origen=lab",
		Headers: []stage.Header{{Name: "Content-Type", Value: "application/json"}},
		Cookies: []stage.Cookie{{Name: "tema", Value: "oscuro"}}, Body: `{"titulo":"Redes"}`}
	s.send(wire.Message{Type: wire.Start, Ref: 1, Request: &req})
	m := s.read()
	if m.Type != wire.Started {
		t.Fatalf("start: %+v", m)
	}
	run := m.Run

	// The request as the browser would send it: its cookie from the jar.
	hr, _ := http.NewRequest(req.Method, l.url+req.URL, strings.NewReader(req.Body))
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Cookie", "tema=oscuro")
	hr.Header.Set("traceparent", stage.Traceparent(run, m.Secret))
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	s.send(clientReport(run))
	if m := s.reply(); m.Type != wire.Ack {
		t.Fatalf("report: %+v", m)
	}

	res, err = http.Get(l.url + "/api/runs/" + run + "/har")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("GET har: %d %q", res.StatusCode, res.Header.Get("Content-Disposition"))
	}

	c := jsonschema.NewCompiler()
	c.AssertFormat()
	schema, err := c.Compile("testdata/har-schema/har.json")
	if err != nil {
		t.Fatalf("compile the HAR schema: %v", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(doc); err != nil {
		t.Fatalf("the export is not valid HAR 1.2: %v", err)
	}

	// And it says what a HAR reader looks for.
	var h har.HAR
	if err := json.Unmarshal(body, &h); err != nil {
		t.Fatal(err)
	}
	if h.Log.Version != "1.2" || len(h.Log.Entries) != 1 {
		t.Fatalf("version %q with %d entries", h.Log.Version, len(h.Log.Entries))
	}
	e := h.Log.Entries[0]
	if e.Request.Method != "POST" || !strings.HasPrefix(e.Request.URL, "http://") || !strings.HasSuffix(e.Request.URL, req.URL) {
		t.Errorf("request %s %s", e.Request.Method, e.Request.URL)
	}
	if len(e.Request.Cookies) != 1 || e.Request.Cookies[0].Name != "tema" || e.Request.Cookies[0].Value != "oscuro" {
		t.Errorf("request cookies %+v", e.Request.Cookies)
	}
	if len(e.Request.QueryString) != 1 || e.Request.QueryString[0] != (har.NameValue{Name: "origen", Value: "lab"}) {
		t.Errorf("query string %+v", e.Request.QueryString)
	}
	if e.Request.PostData == nil || e.Request.PostData.Text != req.Body || e.Request.HeadersSize <= 0 {
		t.Errorf("post data %+v, headers size %d", e.Request.PostData, e.Request.HeadersSize)
	}
	if e.Response.Status != 400 || e.Response.StatusText != "Bad Request" || e.Response.Content.Text == "" {
		t.Errorf("response %d %q, content %+v", e.Response.Status, e.Response.StatusText, e.Response.Content)
	}
	timings := e.Timings
	for name, v := range map[string]float64{"send": timings.Send, "wait": timings.Wait, "receive": timings.Receive} {
		if v < 0 {
			t.Errorf("timings.%s = %v: HAR wants it measured", name, v)
		}
	}
	if timings.SSL != -1 || timings.Wait != 3 || timings.Receive != 1 {
		t.Errorf("timings %+v, want the browser's wait 3 and receive 1 and no ssl", timings)
	}
	var serverTiming string
	for _, hv := range e.Response.Headers {
		if hv.Name == "Server-Timing" {
			serverTiming = hv.Value
		}
	}
	if !strings.Contains(serverTiming, "receive;dur=") || !strings.Contains(serverTiming, "route;dur=") {
		t.Errorf("the server's stages are not in the entry's Server-Timing: %q", serverTiming)
	}
	if e.Reqlab.RunID != run || len(e.Reqlab.Events) != 2*len(stage.All()) {
		t.Errorf("_reqlab %s with %d events", e.Reqlab.RunID, len(e.Reqlab.Events))
	}
}
