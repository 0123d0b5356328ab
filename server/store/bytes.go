package store

import (
	"errors"

	"reqlab/app/stage"
)

// What a run keeps is bounded in bytes as well as in events, so that the
// store's size is bounded by what it holds (see Store.Prune) and one fat run
// costs no more than MaxRunBytes: its request (as meant, then as received),
// its answer and its events, counted as the text they keep.

// MaxRunBytes bounds what one run keeps. An honest run keeps a few
// kilobytes; the fattest the lab itself makes — a 64 KB body sent and a
// 64 KB answer kept, 16 KB of headers each way — some 170 KB.
const MaxRunBytes = 256 << 10

// ErrRunTooLarge refuses a batch that would take its run past MaxRunBytes.
var ErrRunTooLarge = errors.New("the run would keep more than its share of bytes")

// perItem is what a header, a cookie or an event costs beyond its text: its
// names and numbers, as stored.
const perItem = 16

// RequestBytes is what a run keeps of a request.
func RequestBytes(r stage.Request) int64 {
	n := int64(len(r.Method) + len(r.URL) + len(r.Body) + len(r.Network))
	for _, h := range r.Headers {
		n += int64(perItem + len(h.Name) + len(h.Value))
	}
	for _, c := range r.Cookies {
		n += int64(perItem + len(c.Name) + len(c.Value))
	}
	return n
}

// ResponseBytes is what a run keeps of an answer.
func ResponseBytes(r stage.Response) int64 {
	n := int64(perItem + len(r.Body))
	for _, h := range r.Headers {
		n += int64(perItem + len(h.Name) + len(h.Value))
	}
	return n
}

// EventBytes is what a run keeps of an event: its details' text and the
// rest.
func EventBytes(e stage.Event) int64 {
	d := e.Detail
	return int64(8*perItem + len(d.Reason) + len(d.Method) + len(d.URL) + len(d.Route) + len(d.SQL) + len(d.Error) +
		len(d.Protocol) + len(d.Network) + len(d.ServerAddr))
}

// Grown returns what a run keeps once b is stored, given what it keeps now
// (runBytes) and, of that, its request (requestBytes): a batch's request
// replaces the one kept. It also returns the request's bytes then.
func Grown(b Batch, runBytes, requestBytes int64) (run, request int64) {
	run, request = runBytes, requestBytes
	if b.Request != nil {
		request = RequestBytes(*b.Request)
		run += request - requestBytes
	}
	if b.Response != nil {
		run += ResponseBytes(*b.Response)
	}
	for _, e := range b.Events {
		run += EventBytes(e)
	}
	return run, request
}
