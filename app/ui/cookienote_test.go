package ui

import (
	"strings"
	"testing"

	"reqlab/app/lesson"
	"reqlab/app/stage"
)

func TestSetCookieKeepsTheAttributesThatDecide(t *testing.T) {
	resp := &stage.Response{Headers: []stage.Header{
		{Name: "Set-Cookie", Value: "otra=1; Path=/"},
		{Name: "Set-Cookie", Value: "visitas=3; Path=/site/; Max-Age=86400; Secure; SameSite=None; Partitioned"},
	}}
	value, attrs, ok := setCookie(resp, "visitas")
	if !ok || value != "3" || attrs != "Secure; SameSite=None; Partitioned" {
		t.Errorf("setCookie = %q %q %v", value, attrs, ok)
	}
	if _, _, ok := setCookie(&stage.Response{}, "visitas"); ok {
		t.Error("found a Set-Cookie in an answer with none")
	}
	if _, _, ok := setCookie(nil, "visitas"); ok {
		t.Error("found a Set-Cookie in no answer")
	}
}

func TestPageTitleIsAProxysWordsOnly(t *testing.T) {
	for body, want := range map[string]string{
		"<html>\r\n<head><title>400 Request Header Or Cookie Too Large</title></head>": "400 Request Header Or Cookie Too Large",
		`{"error": "<title>"}`:              "",
		"<title>no end":                     "",
		"<title><script>x</script></title>": "",
		"":                                  "",
	} {
		if got := pageTitle(body); got != want {
			t.Errorf("pageTitle(%q) = %q, want %q", body, got, want)
		}
	}
}

func TestCookieNoteOnlyForThisLessonsLiveRun(t *testing.T) {
	cookies, _ := lesson.Find("cookies")
	cache, _ := lesson.Find("cache")
	// An answer the lab's server never saw: no server stage but "not
	// reached" ends, and a status the browser got.
	unseen := &stage.Run{ID: "r1", Request: stage.Request{Method: "GET", URL: "/site/api/sesion"},
		Response: &stage.Response{Status: 400},
		Events: []stage.Event{{Stage: stage.Cache, Side: stage.Client, Phase: stage.End, State: stage.Done, Detail: stage.Detail{Reason: stage.ReasonCacheMiss}},
			{Stage: stage.Receive, Side: stage.Server, Phase: stage.End, State: stage.Skipped, Detail: stage.Detail{Reason: stage.ReasonNotReached}}}}
	cached := *unseen
	cached.Events = []stage.Event{{Stage: stage.Cache, Side: stage.Client, Phase: stage.End, State: stage.Done, Detail: stage.Detail{Reason: stage.ReasonCacheHit}}}
	cached.Response = &stage.Response{Status: 200}
	live := &runView{id: "r1", origin: 1}
	proxyPage := &responseView{status: 400, pretty: "<html><head><title>400 Request Header Or Cookie Too Large</title></head></html>"}
	tests := []struct {
		name string
		c    *Lab
		want string
	}{
		{"a proxy answered", &Lab{lang: EN, lessonState: lessonState{lesson: &cookies}, store: store{run: live, stored: unseen, resp: proxyPage}}, "answer:proxy"},
		{"the browser's cache answered", &Lab{lang: EN, lessonState: lessonState{lesson: &cookies}, store: store{run: live, stored: &cached, resp: &responseView{status: 200}}}, ""},
		{"another lesson", &Lab{lang: EN, lessonState: lessonState{lesson: &cache}, store: store{run: live, stored: unseen, resp: proxyPage}}, ""},
		{"a run played back", &Lab{lang: EN, lessonState: lessonState{lesson: &cookies}, store: store{run: &runView{id: "r1"}, stored: unseen, resp: proxyPage}}, ""},
		{"another run stored", &Lab{lang: EN, lessonState: lessonState{lesson: &cookies}, store: store{run: &runView{id: "r2", origin: 1}, stored: unseen, resp: proxyPage}}, ""},
		{"still sending", &Lab{lang: EN, lessonState: lessonState{lesson: &cookies}, store: store{sending: true, run: live, stored: unseen, resp: proxyPage}}, ""},
		{"no answer", &Lab{lang: EN, lessonState: lessonState{lesson: &cookies}, store: store{run: live, stored: unseen}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			for _, f := range tt.c.cookieFacts() {
				got += f.about + ":" + f.kind
				if f.kind == cookieProxy && (!strings.Contains(f.text, "400 Request Header Or Cookie Too Large") || !strings.Contains(f.text, "large_client_header_buffers")) {
					t.Errorf("the proxy's note: %q", f.text)
				}
			}
			if got != tt.want {
				t.Errorf("facts %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReceivedElsewhereTellsAProxyFromTheCache(t *testing.T) {
	miss := stage.Event{Stage: stage.Cache, Side: stage.Client, Phase: stage.End, State: stage.Done, Detail: stage.Detail{Reason: stage.ReasonCacheMiss}}
	hit := miss
	hit.Detail.Reason = stage.ReasonCacheHit
	proxy := stage.Run{Response: &stage.Response{Status: 400}, Events: []stage.Event{miss}}
	cache := stage.Run{Response: &stage.Response{Status: 200}, Events: []stage.Event{hit}}
	if where, headers := receivedElsewhere(EN, proxy); !strings.Contains(where, "proxy") || !strings.Contains(headers, "proxy") {
		t.Errorf("a proxy's answer: %q %q", where, headers)
	}
	if where, headers := receivedElsewhere(EN, cache); where != EN.T("received.no-server") || headers != EN.T("received.cached-headers") {
		t.Errorf("the cache's answer: %q %q", where, headers)
	}
}
