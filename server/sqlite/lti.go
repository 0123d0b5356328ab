package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"reqlab/server/store"
)

// KeepKey keeps value as the key name unless one is kept, and returns the
// one kept.
func (db *DB) KeepKey(ctx context.Context, name string, value []byte) ([]byte, error) {
	var key []byte
	err := db.do(ctx, func(tx *sql.Tx) error {
		if _, err := tx.Exec(`INSERT INTO keys (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`,
			name, value, db.Now().UTC().Format(time.RFC3339Nano)); err != nil {
			return err
		}
		return tx.QueryRow(`SELECT value FROM keys WHERE name = ?`, name).Scan(&key)
	})
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", name, err)
	}
	return key, nil
}

// useNonce notes a nonce used in tx, and reports false where it was already.
func (db *DB) useNonce(tx *sql.Tx, issuer, nonce string) (bool, error) {
	res, err := tx.Exec(`INSERT INTO lti_nonces (issuer, nonce, used_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		issuer, nonce, db.Now().UTC().Format(time.RFC3339Nano))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// UseNonce notes a platform's nonce used, once.
func (db *DB) UseNonce(ctx context.Context, issuer, nonce string) (bool, error) {
	var fresh bool
	err := db.do(ctx, func(tx *sql.Tx) (err error) {
		fresh, err = db.useNonce(tx, issuer, nonce)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("use nonce: %w", err)
	}
	return fresh, nil
}

// RecordLaunch keeps a launch and uses its nonce, or neither.
func (db *DB) RecordLaunch(ctx context.Context, l store.Launch) (bool, error) {
	roles, err := marshalJSON(l.Roles, "[]")
	if err != nil {
		return false, err
	}
	var fresh bool
	err = db.do(ctx, func(tx *sql.Tx) error {
		var err error
		if fresh, err = db.useNonce(tx, l.Issuer, l.Nonce); err != nil || !fresh {
			return err
		}
		_, err = tx.Exec(`INSERT INTO lti_launches (issuer, subject, name, roles, deployment, context, context_title, resource_link, lesson, session, launched_at, client_id, line_item)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			l.Issuer, l.Subject, l.Name, roles, l.Deployment, l.Context, l.ContextTitle, l.ResourceLink, l.Lesson, l.Session, l.At.UTC().Format(time.RFC3339Nano),
			l.ClientID, l.LineItem)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("record launch: %w", err)
	}
	return fresh, nil
}

// ForgetLaunches deletes launches and nonces older than before.
func (db *DB) ForgetLaunches(ctx context.Context, before time.Time) (int64, error) {
	cutoff := before.UTC().Format(time.RFC3339Nano)
	var n int64
	err := db.do(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`DELETE FROM lti_launches WHERE launched_at < ?`, cutoff)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		_, err = tx.Exec(`DELETE FROM lti_nonces WHERE used_at < ?`, cutoff)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("forget launches: %w", err)
	}
	return n, nil
}

// LineItems returns a session's launches of a lesson with a line item, the
// latest per line item.
func (db *DB) LineItems(ctx context.Context, session, lesson string) ([]store.Launch, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT issuer, client_id, subject, line_item FROM lti_launches
		WHERE session = ? AND lesson = ? AND line_item <> '' GROUP BY issuer, line_item, subject`, session, lesson)
	if err != nil {
		return nil, fmt.Errorf("line items: %w", err)
	}
	defer rows.Close()
	var out []store.Launch
	for rows.Next() {
		l := store.Launch{Session: session, Lesson: lesson}
		if err := rows.Scan(&l.Issuer, &l.ClientID, &l.Subject, &l.LineItem); err != nil {
			return nil, fmt.Errorf("line items: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// QueueScore keeps a score to send, once per line item and user.
func (db *DB) QueueScore(ctx context.Context, s store.Score) (bool, error) {
	at := s.At.UTC().Format(time.RFC3339Nano)
	n, err := db.execCount(ctx, `INSERT INTO lti_scores (issuer, client_id, line_item, user_id, lesson, given, maximum, done_at, next_try)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, s.Issuer, s.ClientID, s.LineItem, s.UserID, s.Lesson, s.Given, s.Max, at, at)
	if err != nil {
		return false, fmt.Errorf("queue score: %w", err)
	}
	return n == 1, nil
}

// DueScores returns scores not taken whose next try is due.
func (db *DB) DueScores(ctx context.Context, now time.Time, limit int) ([]store.Score, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, issuer, client_id, line_item, user_id, lesson, given, maximum, done_at, attempts
		FROM lti_scores WHERE taken_at IS NULL AND next_try <= ? ORDER BY next_try LIMIT ?`, now.UTC().Format(time.RFC3339Nano), limit)
	if err != nil {
		return nil, fmt.Errorf("due scores: %w", err)
	}
	defer rows.Close()
	var out []store.Score
	for rows.Next() {
		var s store.Score
		var at string
		if err := rows.Scan(&s.ID, &s.Issuer, &s.ClientID, &s.LineItem, &s.UserID, &s.Lesson, &s.Given, &s.Max, &at, &s.Attempts); err != nil {
			return nil, fmt.Errorf("due scores: %w", err)
		}
		if s.At, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return nil, fmt.Errorf("due scores: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// ScoreTaken notes a score taken.
func (db *DB) ScoreTaken(ctx context.Context, id int64, at time.Time) error {
	_, err := db.execCount(ctx, `UPDATE lti_scores SET taken_at = ?, attempts = attempts + 1 WHERE id = ?`, at.UTC().Format(time.RFC3339Nano), id)
	return err
}

// ScoreRetry notes a failed try and the next.
func (db *DB) ScoreRetry(ctx context.Context, id int64, next time.Time) error {
	_, err := db.execCount(ctx, `UPDATE lti_scores SET attempts = attempts + 1, next_try = ? WHERE id = ?`, next.UTC().Format(time.RFC3339Nano), id)
	return err
}
