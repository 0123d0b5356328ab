package runs

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"reqlab/app/lesson"
	"reqlab/app/stage"
	"reqlab/app/wire"
	"reqlab/server/hub"
	"reqlab/server/limit"
	"reqlab/server/site/ticket"
	"reqlab/server/store"
)

// startTimeout bounds opening a run.
const startTimeout = 3 * time.Second

// Socket answers the lab's websocket messages (see package wire).
type Socket struct {
	Recorder *Recorder
	Hub      *hub.Hub
	Log      *slog.Logger
	// Runs meters the runs each lab session opens, and all sessions'.
	Runs *limit.Limiter
	// Messages meters the other messages each session sends (subscribes,
	// reports, answers: each is work for the server and the store), and
	// Answers the answers to lessons' questions on their own (each is a
	// row kept). Nil: not metered.
	Messages, Answers *limit.Limiter
	// Completed, where set, is told of each lesson a session completes.
	Completed func(ctx context.Context, session, lesson string)
}

// Hello is the first message on every connection: the protocol's version and
// the connection's session token, which the page keeps and names in its
// requests to the lab's API.
func (s *Socket) Hello(c *hub.Conn) []byte {
	return encode(wire.Message{Type: wire.Hello, Version: wire.Version, Session: c.Token()})
}

// HandleMessage answers one message. A message it cannot take gets an error
// message on the socket; nothing of it is stored.
func (s *Socket) HandleMessage(ctx context.Context, c *hub.Conn, raw []byte) {
	m, err := wire.Decode(raw)
	if err != nil {
		d, _ := wire.AsDecodeError(err)
		c.Send(encode(wire.Message{Type: wire.Error, Ref: d.Ref, Code: wire.CodeBadMessage, Message: d.Msg}))
		return
	}
	if m.Type != wire.Start && !s.allow(c, m, s.Messages) || m.Type == wire.Answer && !s.allow(c, m, s.Answers) {
		return
	}
	switch m.Type {
	case wire.Start:
		s.start(ctx, c, m)
	case wire.Subscribe:
		s.subscribe(ctx, c, m)
	case wire.Report:
		s.report(ctx, c, m)
	case wire.Answer:
		s.answer(ctx, c, m)
	}
}

// allow takes a token of l for the connection's session and address, or
// tells the client to wait and reports false.
func (s *Socket) allow(c *hub.Conn, m wire.Message, l *limit.Limiter) bool {
	if l == nil {
		return true
	}
	ok, wait := l.Allow(c.Session(), c.Addr())
	if !ok {
		c.Send(encode(wire.Message{Type: wire.Error, Ref: m.Ref, Run: m.Run, Code: wire.CodeRateLimited,
			Message: "too many messages too fast", RetryAfter: limit.Seconds(wait)}))
	}
	return ok
}

// answer takes a lesson's check question answered. A lesson is complete for
// a session when its question is answered right and its experiment was run
// (a run of one of its steps' requests, complete), in either order:
// Completed is then told (here, or by completedByRun as the run completes),
// which sends a launched student's grade to their course platform.
func (s *Socket) answer(ctx context.Context, c *hub.Conn, m wire.Message) {
	ls, ok := lesson.Find(m.Lesson)
	if !ok {
		c.Send(encode(wire.Message{Type: wire.Error, Ref: m.Ref, Code: wire.CodeBadMessage, Message: "no such lesson"}))
		return
	}
	correct := *m.Choice == ls.Question.Correct
	if *m.Choice >= len(ls.Question.Options) {
		c.Send(encode(wire.Message{Type: wire.Error, Ref: m.Ref, Code: wire.CodeBadMessage, Message: "no such option"}))
		return
	}
	// Kept for the teacher's view of a class launched from a course platform.
	if err := s.Recorder.KeepAnswer(ctx, store.Answer{Session: c.Session(), Lesson: ls.Slug, Choice: *m.Choice, Correct: correct, At: time.Now()}); err != nil {
		s.fail(c, m.Ref, "answer", err)
		return
	}
	if correct && s.Completed != nil && s.Recorder.Ran(ctx, c.Session(), ls) {
		s.Completed(ctx, c.Session(), ls.Slug)
	}
	c.Send(encode(wire.Message{Type: wire.Ack, Ref: m.Ref}))
}

func (s *Socket) start(ctx context.Context, c *hub.Conn, m wire.Message) {
	if s.Runs != nil {
		if ok, wait := s.Runs.Allow(c.Session(), c.Addr()); !ok {
			c.Send(encode(wire.Message{Type: wire.Error, Ref: m.Ref, Code: wire.CodeRateLimited,
				Message: "too many runs too fast", RetryAfter: limit.Seconds(wait)}))
			return
		}
	}
	// A run starts within a few seconds or not at all: a database that
	// takes no writes (locked by another process, read-only, a full disk)
	// gets a clear answer rather than a page that waits for ever.
	openCtx, cancel := context.WithTimeout(ctx, startTimeout)
	run, secret, fields, err := s.Recorder.Open(openCtx, c.Session(), *m.Request)
	cancel()
	switch {
	case fields != nil:
		c.Send(encode(wire.Message{Type: wire.Error, Ref: m.Ref, Code: wire.CodeBadRequest,
			Message: "the request is refused", Fields: fields}))
		return
	case err != nil && s.Recorder.Unavailable(err):
		s.Log.Error("websocket start: the database took no write in time", "err", err)
		c.Send(encode(wire.Message{Type: wire.Error, Ref: m.Ref, Code: wire.CodeUnavailable,
			Message: "the lab's database is not taking writes; try again in a moment"}))
		return
	case err != nil:
		s.fail(c, m.Ref, "start", err)
		return
	}
	s.Hub.Follow(c, run.ID)
	started := wire.Message{Type: wire.Started, Ref: m.Ref, Run: run.ID, Secret: secret}
	if m.Request.Method == http.MethodGet {
		// A GET may be a page the browser navigates to: its URL names the
		// run by a ticket for that one page, not by the secret.
		started.Ticket = ticket.Mint(run.ID, store.SecretDigest(secret), time.Now())
	}
	c.Send(encode(started))
}

// subscribe follows a run first and reads what is stored second, so that no
// event falls between the two; the client drops the few it gets twice.
func (s *Socket) subscribe(ctx context.Context, c *hub.Conn, m wire.Message) {
	if !s.Recorder.Exists(ctx, m.Run) {
		c.Send(encode(wire.Message{Type: wire.Error, Ref: m.Ref, Run: m.Run, Code: wire.CodeNotFound, Message: "no such run"}))
		return
	}
	s.Hub.Follow(c, m.Run)
	events, err := s.Recorder.Since(ctx, m.Run, m.After)
	if err != nil {
		s.fail(c, m.Ref, "subscribe", err)
		return
	}
	msgs := make([][]byte, len(events))
	for i := range events {
		msgs[i] = encode(wire.Message{Type: wire.Event, Run: m.Run, Event: &events[i]})
	}
	c.SendPaced(ctx, msgs)
}

func (s *Socket) report(ctx context.Context, c *hub.Conn, m wire.Message) {
	// Only the lab session that opened a run reports into it: its id is
	// public (links, postMessage), its reports are not anyone's to make.
	if err := checkReport(&m); err != nil {
		c.Send(encode(wire.Message{Type: wire.Error, Ref: m.Ref, Run: m.Run, Code: wire.CodeBadEvent, Message: err.Error()}))
		return
	}
	run, open := s.Recorder.Opened(ctx, m.Run)
	if open && run.Session != c.Session() {
		c.Send(encode(wire.Message{Type: wire.Error, Ref: m.Ref, Run: m.Run, Code: wire.CodeNotYours,
			Message: "this run was opened by another lab session"}))
		return
	}
	events, err := s.Recorder.Record(ctx, store.Batch{
		RunID:    m.Run,
		Side:     stage.Client,
		Response: m.Response,
		Events:   m.Events,
		Complete: m.Final,
	})
	reply := wire.Message{Type: wire.Error, Ref: m.Ref, Run: m.Run}
	switch {
	case errors.Is(err, store.ErrNotFound):
		reply.Code, reply.Message = wire.CodeNotFound, "no such run"
	case errors.Is(err, store.ErrRunClosed):
		reply.Code, reply.Message = wire.CodeRunClosed, "the run is complete"
	case errors.Is(err, store.ErrStageEnded), errors.Is(err, store.ErrNotStarted), errors.Is(err, store.ErrTooManyEvents), errors.Is(err, store.ErrRunTooLarge):
		reply.Code, reply.Message = wire.CodeBadEvent, err.Error()
	case err != nil:
		s.fail(c, m.Ref, "report", err)
		return
	default:
		reply = wire.Message{Type: wire.Ack, Ref: m.Ref, Run: m.Run}
		if len(events) > 0 {
			reply.Seq = events[len(events)-1].Seq
		}
		if m.Final && s.Completed != nil {
			s.completedByRun(ctx, c.Session())
		}
	}
	c.Send(encode(reply))
}

// completedByRun tells Completed of the lessons a run just completed may
// complete: those whose question the session answered right before it ran
// their experiment (answer checks the other order). Telling a lesson twice
// sends one grade: the grades kept are one per line item and student.
func (s *Socket) completedByRun(ctx context.Context, session string) {
	for _, ls := range s.Recorder.RanOf(ctx, session, s.Recorder.AnsweredRight(ctx, session)) {
		s.Completed(ctx, session, ls.Slug)
	}
}

// fail logs what went wrong and tells the client only that it did.
func (s *Socket) fail(c *hub.Conn, ref int64, doing string, err error) {
	s.Log.Error("websocket "+doing, "err", err)
	c.Send(encode(wire.Message{Type: wire.Error, Ref: ref, Code: wire.CodeInternal, Message: "the server failed; try again"}))
}

func encode(m wire.Message) []byte {
	b, err := json.Marshal(m)
	if err != nil {
		// Every field of Message encodes; this is a programming error.
		panic("encode websocket message: " + err.Error())
	}
	return b
}
