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

// KeepAnswer keeps an answer to a lesson's question.
func (db *DB) KeepAnswer(ctx context.Context, a store.Answer) error {
	_, err := db.execCount(ctx, `INSERT INTO answers (session, lesson, choice, correct, answered_at) VALUES (?, ?, ?, ?, ?)`,
		a.Session, a.Lesson, a.Choice, a.Correct, a.At.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("keep answer: %w", err)
	}
	return nil
}

// Answers returns a session's answers, oldest first.
func (db *DB) Answers(ctx context.Context, session string) ([]store.Answer, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT lesson, choice, correct, answered_at FROM answers WHERE session = ? ORDER BY answered_at`, session)
	if err != nil {
		return nil, fmt.Errorf("answers: %w", err)
	}
	defer rows.Close()
	out := []store.Answer{}
	for rows.Next() {
		a := store.Answer{Session: session}
		var at string
		if err := rows.Scan(&a.Lesson, &a.Choice, &a.Correct, &at); err != nil {
			return nil, fmt.Errorf("answers: %w", err)
		}
		if a.At, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return nil, fmt.Errorf("answers: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Class returns a course's students: those launched with no instructor's
// role, each once, with the name sent last.
func (db *DB) Class(ctx context.Context, issuer, context string) ([]store.Student, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT subject, session,
			(SELECT name FROM lti_launches n WHERE n.issuer = l.issuer AND n.subject = l.subject ORDER BY launched_at DESC LIMIT 1)
		FROM lti_launches l WHERE issuer = ? AND context = ? AND roles NOT LIKE '%#Instructor%' AND roles NOT LIKE '%#Administrator%'
		GROUP BY subject, session ORDER BY 3, subject`, issuer, context)
	if err != nil {
		return nil, fmt.Errorf("class: %w", err)
	}
	defer rows.Close()
	out := []store.Student{}
	for rows.Next() {
		var s store.Student
		if err := rows.Scan(&s.Subject, &s.Session, &s.Name); err != nil {
			return nil, fmt.Errorf("class: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
