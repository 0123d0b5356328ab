package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgxlisten"

	"reqlab/app/stage"
	"reqlab/server/sqlstore"
	"reqlab/server/store"
)

// Several lab servers share one database. What one stores, the others learn
// through PostgreSQL itself: every group of batches is notified on Channel as
// it commits, a line for each run with its id and last seq (some 40 bytes)
// and, where they fit in the notification's 8,000 bytes, the events the
// group stored of it, which a server following the run then publishes
// without reading them. The notification is small, so
// the notify queue (8 GB by default) holds millions, and a listener that
// drops loses nothing it cannot read again: when it is back, Listen says so
// (missed) and the server reads, for each run it follows, the events after
// the last it delivered. Listen also watches the queue's use, which grows
// only while some listener is connected and not reading.

var _ store.Shared = (*DB)(nil)

// Listen calls stored for every batch any server stores, until ctx ends,
// and missed whenever it has (re)connected. It reconnects by itself. The
// events a notification carries are handed on undecoded: only a server
// following the run decodes them.
func (db *DB) Listen(ctx context.Context, stored func(run string, seq int64, events store.Carried), missed func(ctx context.Context)) error {
	l := &pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) {
			cfg, err := pgx.ParseConfig(db.url)
			if err != nil {
				return nil, err
			}
			return pgx.ConnectConfig(ctx, cfg)
		},
		LogError: func(ctx context.Context, err error) {
			if ctx.Err() == nil {
				db.log().Warn("listening for other servers' events", "err", err)
			}
		},
		ReconnectDelay: time.Second,
	}
	l.Handle(Channel, &listener{stored: stored, missed: missed})
	go db.watchQueue(ctx)
	err := l.Listen(ctx)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// listener hands the notifications to the recorder.
type listener struct {
	stored func(run string, seq int64, events store.Carried)
	missed func(ctx context.Context)
}

func (l *listener) HandleNotification(ctx context.Context, n *pgconn.Notification, _ *pgx.Conn) error {
	for line := range strings.Lines(n.Payload) {
		run, rest, ok := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
		seq, carried, _ := strings.Cut(rest, " ")
		last, err := strconv.ParseInt(seq, 10, 64)
		if !ok || err != nil || !stage.ValidRunID(run) {
			return fmt.Errorf("notification %q: not a run and a seq", line)
		}
		l.stored(run, last, store.Carried(carried))
	}
	return nil
}

// HandleBacklog runs each time the listener has connected: what was stored
// while it was not is in the tables.
func (l *listener) HandleBacklog(ctx context.Context, _ string, _ *pgx.Conn) error {
	l.missed(ctx)
	return nil
}

// QueueUsage returns how full PostgreSQL's notify queue is, from 0 to 1.
func (db *DB) QueueUsage(ctx context.Context) (float64, error) {
	var used float64
	err := db.SQL().QueryRowContext(ctx, `SELECT pg_notification_queue_usage()`).Scan(&used)
	return used, err
}

// watchQueue logs the notify queue's use every half minute while it is above
// a tenth: a server is then connected but not reading, and past full every
// server's commits would fail.
func (db *DB) watchQueue(ctx context.Context) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if used, err := db.QueueUsage(ctx); err == nil && used > 0.1 {
			db.log().Warn("PostgreSQL's notify queue is filling: a lab server is not reading its notifications", "used", used)
		}
	}
}

// Serving finds an open run and counts one more of its requests under way,
// in one statement.
func (db *DB) Serving(ctx context.Context, id string) (store.OpenRun, bool, error) {
	r, err := sqlstore.ScanOpenRun(db.SQL().QueryRowContext(ctx, `UPDATE runs SET serving = serving + 1
		WHERE id = $1 AND state = 'open' AND interrupted_at IS NULL RETURNING `+sqlstore.OpenRunColumns, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.OpenRun{}, false, nil
	}
	if err != nil {
		return store.OpenRun{}, false, fmt.Errorf("serve run: %w", err)
	}
	return r, true, nil
}

// Served counts one request of the run done, where the batch of its stages
// did not (see store.Batch.Served).
func (db *DB) Served(ctx context.Context, id string) error {
	_, err := db.SQL().ExecContext(ctx, `UPDATE runs SET serving = greatest(serving - 1, 0) WHERE id = $1`, id)
	return err
}

// AwaitServed waits until no request of the run is being served, on any
// server, or ctx ends. The wait is a few milliseconds: the server records a
// request's stages as soon as its answer is out.
func (db *DB) AwaitServed(ctx context.Context, id string) error {
	pause := time.Millisecond
	for {
		var serving int
		err := db.SQL().QueryRowContext(ctx, `SELECT serving FROM runs WHERE id = $1`, id).Scan(&serving)
		if errors.Is(err, sql.ErrNoRows) || err == nil && serving == 0 {
			return nil
		}
		if err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, 20*time.Millisecond)
	}
}

// log is where the package says what went wrong in the background.
func (db *DB) log() *slog.Logger {
	if db.Log != nil {
		return db.Log
	}
	return slog.Default()
}
