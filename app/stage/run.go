package stage

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Run is one request sent from the lab and everything measured about it.
type Run struct {
	// ID is 32 lowercase hex digits: the W3C trace-id of the run's request.
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	State     RunState  `json:"state"`
	Request   Request   `json:"request"`
	Response  *Response `json:"response"`
	Events    []Event   `json:"events"`
}

// RunState tells whether a run is still being measured.
type RunState string

// The states of a run.
const (
	RunOpen     RunState = "open"     // started; events may still come
	RunComplete RunState = "complete" // the client reported its last stage
	// RunInterrupted is an open run whose server stopped before it was
	// complete: its events up to then are kept.
	RunInterrupted RunState = "interrupted"
)

// Header is one HTTP header line.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Request is a run's request: as the client meant it until the server
// receives it, then exactly as the server received it.
type Request struct {
	Method  string   `json:"method"`
	URL     string   `json:"url"`
	Headers []Header `json:"headers"`
	// Cookies are the cookies the lab put in the browser's jar for this
	// request. Once the server has it, the Cookie header shows what came.
	Cookies []Cookie `json:"cookies,omitempty"`
	Body    string   `json:"body,omitempty"`
	// Network names the simulated network preset to send it under ("" for
	// none); see Networks.
	Network string `json:"network,omitempty"`
	// FreshConnection asks for a connection of the request's own: the
	// browser sends it without credentials (no cookies), which browsers
	// send on connections apart from the page's, and the server closes that
	// connection once it has answered, so the next such request opens
	// another: the name is looked up, the connection made, and both measured.
	FreshConnection bool `json:"fresh_connection,omitempty"`
}

// Response is what the server answered. Body holds at most MaxBodyBytes;
// BodyTruncated says when there was more.
type Response struct {
	Status        int      `json:"status"`
	Headers       []Header `json:"headers"`
	Body          string   `json:"body,omitempty"`
	BodyTruncated bool     `json:"body_truncated,omitempty"`
}

// NewRunID returns a fresh, unguessable run id in hex: the time in
// milliseconds (48 bits), then 80 random bits. Ids made one after another sort
// together, so the database adds a class's runs and events near each other
// instead of all over its indexes; the random part keeps them unguessable,
// and W3C Trace Context asks only the right-most 7 bytes of a trace-id to be
// random.
func NewRunID() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixMilli())<<16)
	rand.Read(b[6:]) // never fails: crypto/rand panics rather than return an error
	return hex.EncodeToString(b[:])
}

// ValidRunID reports whether s has the form of a run id (and of a W3C
// trace-id): 32 lowercase hex digits, not all zero.
func ValidRunID(s string) bool {
	return isLowerHex(s, 32) && strings.Trim(s, "0") != ""
}

// NewRunSecret returns a run's secret: 64 random bits in hex, never all
// zero. The run's id is public (its link, its page); the secret is told only
// to the connection that opened the run, and a request is recorded as the
// run's only when it carries it.
func NewRunSecret() string {
	var b [8]byte
	for {
		rand.Read(b[:])
		if s := hex.EncodeToString(b[:]); strings.Trim(s, "0") != "" {
			return s
		}
	}
}

// ValidRunSecret reports whether s has the form of a run's secret (and of a
// W3C parent-id): 16 lowercase hex digits, not all zero.
func ValidRunSecret(s string) bool {
	return isLowerHex(s, 16) && strings.Trim(s, "0") != ""
}

// Traceparent returns the W3C traceparent header value that ties a request to
// its run: the run id is the trace-id, the run's secret the parent-id.
func Traceparent(runID, secret string) string {
	return fmt.Sprintf("00-%s-%s-01", runID, secret)
}

// ParseTraceparent returns the trace-id (a run id) and the parent-id (the
// run's secret, if the request is the run's) of a W3C traceparent header
// value, and whether the value was well formed.
func ParseTraceparent(v string) (runID, secret string, ok bool) {
	parts := strings.Split(strings.TrimSpace(v), "-")
	if len(parts) < 4 || !isLowerHex(parts[0], 2) || parts[0] == "ff" ||
		(parts[0] == "00" && len(parts) != 4) {
		return "", "", false
	}
	id, span, flags := parts[1], parts[2], parts[3]
	if !ValidRunID(id) || !ValidRunSecret(span) || !isLowerHex(flags, 2) {
		return "", "", false
	}
	return id, span, true
}

// RunIDFromTraceparent returns the trace-id of a W3C traceparent header
// value, and whether the value was well formed.
func RunIDFromTraceparent(v string) (string, bool) {
	id, _, ok := ParseTraceparent(v)
	return id, ok
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// RunSummary is one line of a browser's history of runs.
type RunSummary struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	State     RunState  `json:"state"`
	Method    string    `json:"method"`
	URL       string    `json:"url"`
	Status    int       `json:"status,omitempty"` // 0 while no answer is known
	// TotalMs is the client's measured time, from the start of the fetch to
	// the end of its last stage; nil until the client has reported.
	TotalMs *float64 `json:"total_ms"`
}
