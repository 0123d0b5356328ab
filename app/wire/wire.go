// Package wire is the language of the lab's websocket: the messages the
// browser and the server exchange about runs. Both binaries import it.
//
// The browser starts a run, reports the stages it measured and subscribes to
// a run's events; the server answers and pushes every event of the runs a
// connection follows. A client that reconnects subscribes again with the last
// seq it holds and gets what it missed.
package wire

import (
	"encoding/json"
	"errors"
	"fmt"

	"reqlab/app/stage"
)

// Version is the protocol version, sent in the hello message.
const Version = 1

// MaxMessageBytes bounds one message from a client: room for a request of
// the largest size the lab takes (a 64 KB body, 16 KB of headers), even
// with every byte escaped in JSON.
const MaxMessageBytes = 512 << 10

// TicketParam is the query parameter of a page's URL that carries its run's
// page-load ticket (Message.Ticket).
const TicketParam = "ticket"

// MaxEventsPerReport bounds the events in one report.
const MaxEventsPerReport = 64

// Type names a message.
type Type string

// Messages from the browser.
const (
	Start     Type = "start"     // Ref, Request: open a run; the answer is Started
	Subscribe Type = "subscribe" // Run, After: send the run's events after seq After, then live
	Report    Type = "report"    // Ref, Run, Events, Final, Response: the client's measurements
	Answer    Type = "answer"    // Ref, Lesson, Choice: the lesson's check question answered; the answer is Ack
)

// Messages from the server.
const (
	Hello   Type = "hello"   // Version, Session
	Started Type = "started" // Ref, Run, Secret, Ticket: the run is open and followed by this connection
	Event   Type = "event"   // Run, Event: one event of a followed run
	Ack     Type = "ack"     // Ref, Run, Seq: a report is stored, up to Seq
	Error   Type = "error"   // Ref, Code, Message, Fields, RetryAfter
)

// Message is every message, in one shape; each type uses the fields its
// comment names.
type Message struct {
	Type     Type               `json:"type"`
	Version  int                `json:"v,omitempty"`
	Ref      int64              `json:"ref,omitempty"`
	Run      string             `json:"run,omitempty"`
	After    int64              `json:"after,omitempty"`
	Seq      int64              `json:"seq,omitempty"`
	Request  *stage.Request     `json:"request,omitempty"`
	Response *stage.Response    `json:"response,omitempty"`
	Event    *stage.Event       `json:"event,omitempty"`
	Events   []stage.Event      `json:"events,omitempty"`
	Final    bool               `json:"final,omitempty"`
	Code     string             `json:"code,omitempty"`
	Message  string             `json:"message,omitempty"`
	Fields   []stage.FieldError `json:"fields,omitempty"`
	// RetryAfter, with CodeRateLimited, is how many seconds to wait.
	RetryAfter int `json:"retry_after,omitempty"`
	// Session, with Hello, is the connection's session token, issued by the
	// server: the page keeps it and names it in its requests to the API.
	Session string `json:"session,omitempty"`
	// Secret, with Started, is the run's secret: the opener puts it in its
	// request's traceparent, and the run records only a request that does.
	Secret string `json:"secret,omitempty"`
	// Ticket, with Started for a GET, is the run's page-load ticket: a
	// navigation carries no header of the lab's, so a page loaded in a
	// frame names its run by this ticket in its URL's query (TicketParam),
	// never by the run's secret. It is good for one page, for a few seconds.
	Ticket string `json:"ticket,omitempty"`
	// Lesson and Choice, with Answer, are the lesson whose check question
	// was answered and the option picked (from 0).
	Lesson string `json:"lesson,omitempty"`
	Choice *int   `json:"choice,omitempty"`
}

// Error codes.
const (
	CodeBadMessage  = "bad-message"  // not JSON, or not a message of a known shape
	CodeBadRequest  = "bad-request"  // a start whose request is refused; Fields say why
	CodeNotFound    = "not-found"    // no such run
	CodeRunClosed   = "run-closed"   // the run is complete; nothing more is taken
	CodeBadEvent    = "bad-event"    // a reported event is refused
	CodeInternal    = "internal"     // the server failed; the detail is in its log
	CodeRateLimited = "rate-limited" // too many runs too fast; RetryAfter says when to try again
	CodeNotYours    = "not-yours"    // a report into a run that another lab session opened
	CodeUnavailable = "unavailable"  // the lab's database does not take writes now; try again later
)

// Decode reads one message from a browser and checks its shape: a known type
// with the fields that type needs. What it refuses is a *DecodeError with a
// message safe to send back.
func Decode(b []byte) (Message, error) {
	var m Message
	if err := json.Unmarshal(b, &m); err != nil {
		return Message{}, &DecodeError{Ref: 0, Msg: "the message is not valid JSON"}
	}
	bad := func(format string, args ...any) (Message, error) {
		return Message{}, &DecodeError{Ref: m.Ref, Msg: fmt.Sprintf(format, args...)}
	}
	switch m.Type {
	case Start:
		if m.Request == nil {
			return bad("start needs a request")
		}
	case Subscribe:
		if !stage.ValidRunID(m.Run) {
			return bad("subscribe needs a run id of 32 hex digits")
		}
		if m.After < 0 {
			return bad("after must be 0 or more")
		}
	case Report:
		if !stage.ValidRunID(m.Run) {
			return bad("report needs a run id of 32 hex digits")
		}
		if len(m.Events) > MaxEventsPerReport {
			return bad("a report holds at most %d events", MaxEventsPerReport)
		}
		for i, e := range m.Events {
			if e.Side != stage.Client {
				return bad("event %d: a browser reports client stages only", i)
			}
			if err := e.Validate(); err != nil {
				return bad("event %d: %v", i, err)
			}
		}
		if r := m.Response; r != nil && (r.Status < 100 || r.Status > 999) {
			return bad("response status must be from 100 to 999")
		}
	case Answer:
		if m.Lesson == "" || len(m.Lesson) > 64 {
			return bad("answer needs the lesson's name")
		}
		if m.Choice == nil || *m.Choice < 0 || *m.Choice > 99 {
			return bad("answer needs the option picked, from 0")
		}
	case "":
		return bad("the message has no type")
	default:
		return bad("unknown message type %q", m.Type)
	}
	return m, nil
}

// DecodeError is a message refused by Decode.
type DecodeError struct {
	Ref int64
	Msg string
}

func (e *DecodeError) Error() string { return e.Msg }

// AsDecodeError reports whether err is a *DecodeError.
func AsDecodeError(err error) (*DecodeError, bool) {
	var d *DecodeError
	ok := errors.As(err, &d)
	return d, ok
}
