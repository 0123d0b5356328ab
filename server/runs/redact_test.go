package runs

import (
	"strings"
	"testing"

	"reqlab/app/stage"
	"reqlab/server/store"
)

func TestRedact(t *testing.T) {
	id, secret, other := stage.NewRunID(), stage.NewRunSecret(), stage.NewRunSecret()
	tp := stage.Traceparent(id, secret)
	kept := stage.Traceparent(id, RedactedSpan)
	for _, tt := range []struct{ in, want string }{
		{tp, kept},
		{"/site/?traceparent=" + tp, "/site/?traceparent=" + kept},
		{"/site/?a=1&traceparent=" + tp + "&b=2", "/site/?a=1&traceparent=" + kept + "&b=2"},
		{"a body that names " + secret + " twice: " + secret, "a body that names " + RedactedSpan + " twice: " + RedactedSpan},
		{"/site/api/cursos", "/site/api/cursos"},
		{"", ""},
	} {
		if got := redactText(tt.in, secret); got != tt.want {
			t.Errorf("redactText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// Another run's traceparent, whoever typed it, loses its parent-id too.
	foreign := stage.Traceparent(stage.NewRunID(), other)
	if got := redactText("traceparent: "+foreign, secret); strings.Contains(got, other) {
		t.Errorf("another run's secret kept: %q", got)
	}

	req := stage.Request{Method: "GET", URL: "/site/?traceparent=" + tp, Headers: []stage.Header{{Name: "Traceparent", Value: tp}},
		Cookies: []stage.Cookie{{Name: "c", Value: secret}}, Body: secret}
	resp := stage.Response{Status: 200, Headers: []stage.Header{{Name: "X-Echo", Value: tp}}, Body: tp}
	b := store.Batch{RunID: id, Request: &req, Response: &resp, Events: []stage.Event{{Stage: stage.Receive, Detail: stage.Detail{URL: req.URL, Error: secret}}}}
	got := redactBatch(b, secret)
	for _, s := range []string{got.Request.URL, got.Request.Headers[0].Value, got.Request.Cookies[0].Value, got.Request.Body,
		got.Response.Headers[0].Value, got.Response.Body, got.Events[0].Detail.URL, got.Events[0].Detail.Error} {
		if strings.Contains(s, secret) {
			t.Errorf("the batch keeps the secret in %q", s)
		}
	}
	if req.Headers[0].Value != tp || b.Events[0].Detail.URL != req.URL || resp.Body != tp {
		t.Error("redactBatch changed the batch it was given")
	}
}
