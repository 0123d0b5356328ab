package runs

import (
	"fmt"

	"reqlab/app/stage"
	"reqlab/app/wire"
)

// What a page reports is measured by the page, and taken as measured only
// within what a browser can measure: a size past maxReportedBytes, or an
// answer kept past what the server itself keeps of one, is not a
// measurement but a way to fill the store.
const (
	// maxReportedBytes bounds a size an event reports: a gigabyte, far
	// past anything the sample site sends.
	maxReportedBytes = 1 << 30
	// maxReportedItems bounds the records render reports, and the rows.
	maxReportedItems = 1_000_000
	// maxEventText bounds the text of one reported event's details, all
	// fields together: a URL at the form's limit (2 KB) and some words.
	maxEventText = 4 << 10
	// maxAnswerBody and maxAnswerHeaders bound what is kept of an answer a
	// page reports (the cache answered, the server saw nothing): as much
	// as the sample site keeps of its own answers, the rest marked cut.
	maxAnswerBody    = 64 << 10
	maxAnswerHeaders = 16 << 10
)

// checkReport refuses a page's report whose events claim what no browser
// measured, and cuts an answer it reports to what the lab keeps of one.
func checkReport(m *wire.Message) error {
	for i, e := range m.Events {
		d := e.Detail
		for _, n := range []*int64{d.Bytes, d.WireBytes, d.DecodedBytes, &d.HeaderBytes, &d.CookieBytes} {
			if n != nil && *n > maxReportedBytes {
				return fmt.Errorf("event %d: a size past %d bytes is not a measurement", i, maxReportedBytes)
			}
		}
		if d.Items > maxReportedItems || d.Rows != nil && *d.Rows > maxReportedItems {
			return fmt.Errorf("event %d: a count past %d is not a measurement", i, maxReportedItems)
		}
		text := len(d.Reason) + len(d.Method) + len(d.URL) + len(d.Route) + len(d.SQL) + len(d.Error) + len(d.Protocol) + len(d.Network) + len(d.ServerAddr)
		if text > maxEventText {
			return fmt.Errorf("event %d: its details take %d bytes, past %d", i, text, maxEventText)
		}
	}
	if r := m.Response; r != nil {
		cut := *r
		if len(cut.Body) > maxAnswerBody {
			cut.Body, cut.BodyTruncated = cut.Body[:maxAnswerBody], true
		}
		n := 0
		for i, h := range cut.Headers {
			if n += len(h.Name) + len(h.Value) + 4; n > maxAnswerHeaders {
				cut.Headers = append([]stage.Header(nil), cut.Headers[:i]...)
				break
			}
		}
		m.Response = &cut
	}
	return nil
}
