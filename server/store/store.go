// Package store names what the lab keeps, in the lab's own terms: runs and
// the batches of events each side reports about them, the lab's keys, and
// the sample site's catalogue. One implementation keeps it in SQL (package
// sqlstore) on two engines: SQLite, embedded, the default (opened by package
// sqlite), and PostgreSQL, which several lab servers share (package
// postgres). Both pass the same tests (package storetest).
package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"reqlab/app/stage"
)

// The store is seen by what each caller needs of it: Runs (the runs and
// their events), Catalogue (the sample site's data), Launches (course
// platforms' launches and the grades owed them), Answers and Keys. Store is
// all of it, for the server that wires the parts together.

// Runs is what the lab keeps of runs and their events.
type Runs interface {
	// CreateRun stores a new, open run of a lab session, whose request is
	// as the client meant it, with its secret (see stage.NewRunSecret).
	CreateRun(ctx context.Context, id, secret, session string, req stage.Request) (stage.Run, error)
	// Append stores a batch, whole or not at all, and returns its events
	// numbered with the run's next seqs. It fails with ErrNotFound for an
	// unknown run, ErrRunClosed for a complete one, ErrStageEnded,
	// ErrNotStarted or ErrTooManyEvents for events the run cannot take, and
	// ErrRunTooLarge for a batch that would take the run past MaxRunBytes
	// (counted by Grown).
	Append(ctx context.Context, b Batch) ([]stage.Event, error)
	// Run returns a stored run with all its events, or ErrNotFound.
	Run(ctx context.Context, id string) (stage.Run, error)
	// Runs returns a session's latest runs, newest first.
	Runs(ctx context.Context, session string, limit int) ([]stage.RunSummary, error)
	// Events returns a run's events whose seq is above after, in seq order.
	Events(ctx context.Context, runID string, after int64) ([]stage.Event, error)
	// RunOpened returns an open run, and false where there is no such run,
	// or it is complete or interrupted.
	RunOpened(ctx context.Context, id string) (OpenRun, bool, error)
	// RunExists reports whether a run is stored.
	RunExists(ctx context.Context, id string) (bool, error)
	// Unavailable reports whether err says the store takes no writes for
	// now (see the function Unavailable).
	Unavailable(err error) bool
}

// Upkeep is what keeps the store bounded and its runs honest.
type Upkeep interface {
	// Prune deletes runs (and the sample courses sessions added) older than
	// maxAge, each session's oldest runs beyond its newest perSession, the
	// oldest beyond the newest maxRuns in all, and the oldest beyond the
	// newest that keep maxBytes together (as Grown counts them), with their
	// events. A zero limit is no limit. It returns how many runs it deleted.
	Prune(ctx context.Context, maxAge time.Duration, perSession, maxRuns int, maxBytes int64) (int64, error)
	// MarkInterrupted notes that the runs still open that heard nothing
	// since the time given (opened before it, and no batch appended since)
	// were cut off: their page, or the server recording them, went away.
	// It returns how many.
	MarkInterrupted(ctx context.Context, before time.Time) (int64, error)
}

// Keys are the lab's own secrets, the same for every server sharing the
// store.
type Keys interface {
	// Key returns the lab's key of that name, made of size random bytes the
	// first time it is asked for and kept from then on: every server that
	// shares the store gets the same.
	Key(ctx context.Context, name string, size int) ([]byte, error)
	// KeepKey keeps value as the key of that name unless one is kept
	// already, and returns the one kept: for keys that are not random bytes
	// (an RSA key), made by the caller.
	KeepKey(ctx context.Context, name string, value []byte) ([]byte, error)
}

// Answers are the lab sessions' answers to the lessons' questions.
type Answers interface {
	// KeepAnswer keeps an answer a lab session gave to a lesson's question.
	KeepAnswer(ctx context.Context, a Answer) error
	// Answers returns a session's answers, oldest first.
	Answers(ctx context.Context, session string) ([]Answer, error)
}

// Store is one engine's keeping of all the lab's data.
type Store interface {
	Runs
	Upkeep
	Keys
	Catalogue
	Launches
	Health

	// Message returns the engine's own words for why a statement failed
	// ("no such table: inscripciones"), without the wrapping added on the
	// way up (see the function Message).
	Message(err error) string
	// Engine names the engine, as the lab tells students ("SQLite").
	Engine() string
	Close() error
}

// Health is whether the store answers, for a balancer's probe.
type Health interface {
	// Ping checks that the store answers; CheckWrite that it commits a
	// write, and why not.
	Ping(ctx context.Context) error
	CheckWrite(ctx context.Context) error
}

// Launches is what the lab keeps of course platforms' launches (LTI 1.3):
// the nonces used, and for each launch the platform's user id, the name it
// sent and the roles, the course and the lesson. Nothing else of a person.
type Launches interface {
	// The class view reads the answers of a course's students.
	Answers

	// UseNonce notes a nonce of a platform used, and reports false where
	// it was used before: a launch is taken once.
	UseNonce(ctx context.Context, issuer, nonce string) (bool, error)
	// RecordLaunch keeps a launch that passed every check, with its nonce
	// (as UseNonce): in one transaction, so that a refused replay keeps
	// nothing. It reports false where the nonce was used before.
	RecordLaunch(ctx context.Context, l Launch) (bool, error)
	// ForgetLaunches deletes the launches, and the nonces, older than the
	// time given, and returns how many launches.
	ForgetLaunches(ctx context.Context, before time.Time) (int64, error)

	// LineItems returns a session's launches of a lesson that carry a line
	// item to report its grade to, one per line item.
	LineItems(ctx context.Context, session, lesson string) ([]Launch, error)
	// QueueScore keeps a score to send, once per line item and user, and
	// reports false where one is kept already.
	QueueScore(ctx context.Context, s Score) (bool, error)
	// DueScores returns up to limit scores the platforms have not taken
	// whose next try is due at now, and changes nothing.
	DueScores(ctx context.Context, now time.Time, limit int) ([]Score, error)
	// ClaimScores takes up to limit scores due at now for one sender: each
	// is moved to its next try at now+lease in the statement that returns
	// it, so that no other server sharing the store gets it meanwhile. A
	// score is sent once, whichever servers look; one whose sender stopped
	// before ScoreTaken or ScoreRetry is due again once the lease is over.
	ClaimScores(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Score, error)
	// ScoreTaken notes a score taken by its platform; ScoreRetry notes a
	// try that failed and when to try again.
	ScoreTaken(ctx context.Context, id int64, at time.Time) error
	ScoreRetry(ctx context.Context, id int64, next time.Time) error

	// Class returns the students a platform launched the lab for in a
	// course: each once, with the name it last sent and their lab session.
	Class(ctx context.Context, issuer, context string) ([]Student, error)
}

// Answer is one answer to a lesson's check question.
type Answer struct {
	Session string    `json:"-"`
	Lesson  string    `json:"lesson"`
	Choice  int       `json:"choice"`
	Correct bool      `json:"correct"`
	At      time.Time `json:"at"`
}

// Student is one student of a course, as the platform named them.
type Student struct {
	Subject string `json:"id"`
	Name    string `json:"name"`
	Session string `json:"-"`
}

// Score is a grade the lab owes a platform: kept before it is sent, and
// sent until the platform takes it.
type Score struct {
	ID         int64
	Issuer     string
	ClientID   string
	LineItem   string // the line item's URL (Assignment and Grade Services)
	UserID     string // the platform's id of the student
	Lesson     string
	Given, Max float64
	At         time.Time // when the student completed the lesson
	Attempts   int       // tries so far
}

// Launch is one launch from a course platform, as the lab keeps it.
type Launch struct {
	Issuer, Subject string   // the platform and its id of the user
	ClientID        string   // the lab's client id on the platform
	LineItem        string   // where the lesson's grade goes, if the platform gave one
	Name            string   // the name the platform sent, if any
	Roles           []string // the roles it sent
	Deployment      string
	Context         string // the course's id on the platform, if any
	ContextTitle    string
	ResourceLink    string // the link's id on the platform
	Lesson          string // the lesson it opened ("" for the lab's home)
	Session         string // the lab session the user works in
	Nonce           string
	At              time.Time
}

// Catalogue is the sample site's data: a catalogue of courses per lab
// session. Each call returns the statement as it ran (Query), which the lab
// shows to students.
type Catalogue interface {
	// Courses returns a session's catalogue: the seed and its own courses.
	// The session "" (a request from outside the lab) sees the seed alone.
	Courses(ctx context.Context, session string) ([]Course, Query, error)
	// CoursesOfLevel returns the courses of one level (básico, intermedio,
	// avanzado) in a session's catalogue.
	CoursesOfLevel(ctx context.Context, session, nivel string) ([]Course, Query, error)
	// Course returns one course of a session's catalogue; nil where there
	// is none (the query ran and found no row, which Query.Rows says).
	Course(ctx context.Context, session string, id int64) (*Course, Query, error)
	// Enrollments reads a table that does not exist, so it always fails
	// inside the database. The sample site keeps this bug on purpose: it is
	// the lab's real 500.
	Enrollments(ctx context.Context) ([]Enrollment, Query, error)
	// Levels counts the courses of each level in a session's catalogue.
	Levels(ctx context.Context, session string) ([]Level, Query, error)
	// InsertCourse adds a course to a session's catalogue and returns it
	// with its new id. It fails with ErrFull past MaxCoursesPerSession for
	// the session or MaxAddedCourses in all.
	InsertCourse(ctx context.Context, session string, c Course) (Course, Query, error)
	// ResetCourses takes a session's catalogue back to the seed, and
	// returns how many courses it deleted.
	ResetCourses(ctx context.Context, session string) (int64, error)
}

// Batch is what one side reports about a run at one time. Append stores it
// whole or not at all.
type Batch struct {
	RunID string
	Side  stage.Side
	// Request, when set, replaces the stored request: the server sets it to
	// the request exactly as it arrived.
	Request *stage.Request
	// Response, when set, is the answer. The server's is the truth; the
	// client's is kept only where the server saw nothing (the cache answered).
	Response *stage.Response
	Events   []stage.Event
	// Complete closes the run: no event is taken after it.
	Complete bool
	// Served, on a store several servers share (Shared), says the batch
	// records the stages of one of the run's sample-site requests: it counts
	// that request served in the batch's own transaction, so that Served
	// need not.
	Served bool
	// Waited, on a client's completing batch, says its caller waited for
	// the run's requests already: it is stored even if the count says one
	// is still being served (see ErrServing).
	Waited bool
	// Secret is the run's secret, where the caller has it at hand: the
	// recorder takes it out of all the batch carries before it is stored
	// (see runs.Recorder.Record). No store keeps it from here.
	Secret string
}

// OpenRun is what the sample site needs of a run its request belongs to.
type OpenRun struct {
	Opened  time.Time // when the run began
	Network string    // the simulated network to answer under
	Session string    // the lab session that sent it: whose sample data it sees
	Fresh   bool      // its request came on a connection of its own: close it after answering
	Cookies []string  // the names of the cookies the lab put in the jar for it
	Secret  string    // the digest (SecretDigest) of what a request must carry to be recorded as the run's
}

// SecretDigest is what is kept of a run's secret: a request carrying the
// secret is the run's when its digest is the one kept (stores keep what
// CreateRun is given: the runs package gives them this). The secret itself
// is told to the run's opener, and kept nowhere.
func SecretDigest(secret string) string {
	sum := sha256.Sum256([]byte("reqlab run secret " + secret))
	return hex.EncodeToString(sum[:])
}

// Course is one course of the sample site's catalogue. Its JSON is the sample
// site's, in Spanish like the site.
type Course struct {
	ID          int64  `json:"id"`
	Titulo      string `json:"titulo"`
	Nivel       string `json:"nivel"`
	Horas       int    `json:"horas"`
	Descripcion string `json:"descripcion"`
}

// Enrollment would be one student's enrollment in a course. Its table was
// never created.
type Enrollment struct {
	ID      int64  `json:"id"`
	CursoID int64  `json:"curso_id"`
	Alumno  string `json:"alumno"`
}

// Level counts the courses of one level.
type Level struct {
	Nivel  string `json:"nivel"`
	Cursos int    `json:"cursos"`
}

// Query describes one statement as it ran: its text, the rows it returned and
// how long it took from sending it to reading its last row.
type Query struct {
	SQL   string
	Rows  int
	Start time.Time
	Dur   time.Duration
}

// The errors a store returns, the same from every engine.
var (
	ErrNotFound      = errors.New("not found")
	ErrRunClosed     = errors.New("run is complete")
	ErrTooManyEvents = errors.New("too many events for one run")
	ErrStageEnded    = errors.New("stage already ended") // ended twice, or started once ended
	ErrNotStarted    = errors.New("stage ended before it started")
	ErrFull          = errors.New("the catalogue is full") // a session's catalogue, or all sessions' added courses
	ErrClosed        = errors.New("store closed")
	// ErrServing refuses a run's last report while a store several servers
	// share counts its sample-site requests still being served (see
	// Shared): the caller waits for them and tries again.
	ErrServing = errors.New("the run's requests are still being served")
)

// Error is a statement's failure as the engine reported it, mapped once, where
// the store hands it back: whether the store takes no writes for now, and the
// engine's own words. The store's refusals above are not Errors: they are
// returned as they are.
type Error struct {
	Op          string // what the store was doing ("append")
	Message     string // the engine's words ("no such table: inscripciones")
	Unavailable bool   // locked, read-only, unreachable, full or shutting down: a write may work later
	Err         error  // the driver's error
}

func (e *Error) Error() string { return e.Op + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Unavailable reports whether err says the store takes no writes for now
// (locked, read-only, unreachable, full, or no answer in time): a write may
// work later, the data was not at fault.
func Unavailable(err error) bool {
	var e *Error
	if errors.As(err, &e) && e.Unavailable {
		return true
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// Message returns the engine's own words for why a statement failed, without
// the wrapping added on the way up.
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return err.Error()
}

// The bounds every engine keeps.
const (
	// MaxEventsPerRun bounds one run's events: a request has fourteen
	// stages, each started and ended; a page load no more.
	MaxEventsPerRun = 500
	// MaxCoursesPerSession and MaxAddedCourses bound the sample catalogue:
	// what one session may add, and what all sessions together may hold (a
	// class of 1,000 adding 20 each).
	MaxCoursesPerSession = 20
	MaxAddedCourses      = 20_000
)

// Shared is a store that several lab servers share. Each server tells the
// others, through the store, what it stored and which sample-site requests
// it is serving; the events themselves are read from the store.
type Shared interface {
	// Listen calls stored with a run's id and last seq each time any
	// server stores batches of that run, and with their events where the
	// news could carry them, undecoded (Carried), until ctx ends. Whenever
	// it has (re)connected and news may have been missed, it calls missed
	// first: the caller then reads what it follows from the store.
	Listen(ctx context.Context, stored func(run string, seq int64, events Carried), missed func(ctx context.Context)) error
	// Serving finds the open run a sample-site request belongs to, as
	// RunOpened does, and notes in the store that one of its requests is
	// being served, on whichever server; Served notes it done; AwaitServed
	// waits until none is, or ctx ends.
	Serving(ctx context.Context, id string) (OpenRun, bool, error)
	Served(ctx context.Context, id string) error
	AwaitServed(ctx context.Context, id string) error
}

// Carried is the events a store's news carried of a run, as the news had
// them: a JSON array of stage.Event, or "" where they are to be read from
// the store. They are decoded only by a server that has followers of the
// run to publish them to (Events): every server hears of every run, and
// most follow few of them.
type Carried string

// Events decodes the events carried; nil where none were, or where they do
// not decode (the store is read instead).
func (c Carried) Events() []stage.Event {
	if c == "" {
		return nil
	}
	var events []stage.Event
	if err := json.Unmarshal([]byte(c), &events); err != nil {
		return nil
	}
	return events
}
