package runs

import (
	"strings"
	"testing"

	"reqlab/app/stage"
	"reqlab/app/wire"
)

func TestCheckReport(t *testing.T) {
	huge, fine, rows := int64(maxReportedBytes+1), int64(900), maxReportedItems+1
	for _, tt := range []struct {
		name string
		d    stage.Detail
		ok   bool
	}{
		{"measured sizes", stage.Detail{Bytes: &fine, WireBytes: &fine, HeaderBytes: 400}, true},
		{"a body of 1 GB and a byte", stage.Detail{Bytes: &huge}, false},
		{"wire bytes past a GB", stage.Detail{WireBytes: &huge}, false},
		{"header bytes past a GB", stage.Detail{HeaderBytes: huge}, false},
		{"a million rows and one", stage.Detail{Rows: &rows}, false},
		{"details of 4 KB", stage.Detail{URL: strings.Repeat("u", 2048), Error: strings.Repeat("e", 2048)}, true},
		{"details past 4 KB", stage.Detail{URL: strings.Repeat("u", 2048), Error: strings.Repeat("e", 2048), SQL: "x"}, false},
	} {
		m := wire.Message{Events: []stage.Event{{Stage: stage.Download, Detail: tt.d}}}
		if err := checkReport(&m); (err == nil) != tt.ok {
			t.Errorf("%s: %v, want ok %v", tt.name, err, tt.ok)
		}
	}
	sent := &stage.Response{Status: 200, Body: strings.Repeat("b", 400<<10), Headers: []stage.Header{
		{Name: "A", Value: strings.Repeat("a", 10<<10)}, {Name: "B", Value: strings.Repeat("b", 10<<10)}}}
	m := wire.Message{Response: sent}
	if err := checkReport(&m); err != nil {
		t.Fatal(err)
	}
	if r := m.Response; len(r.Body) != maxAnswerBody || !r.BodyTruncated || len(r.Headers) != 1 {
		t.Errorf("an answer of 400 KB and 20 KB of headers kept as %d bytes (cut %v) and %d headers", len(r.Body), r.BodyTruncated, len(r.Headers))
	}
	if len(sent.Body) != 400<<10 || len(sent.Headers) != 2 {
		t.Error("checkReport changed the answer it was given")
	}
}
