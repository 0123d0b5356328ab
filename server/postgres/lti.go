package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"reqlab/server/store"
)

// KeepKey keeps value as the key name unless one is kept, and returns the
// one kept: servers asking at once all get the same.
func (db *DB) KeepKey(ctx context.Context, name string, value []byte) ([]byte, error) {
	var key []byte
	err := db.pool.QueryRow(ctx, `WITH made AS (
			INSERT INTO keys (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING RETURNING value)
		SELECT value FROM made UNION ALL SELECT value FROM keys WHERE name = $1 LIMIT 1`,
		name, value, db.Now().UTC()).Scan(&key)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", name, err)
	}
	return key, nil
}

const useNonceSQL = `INSERT INTO lti_nonces (issuer, nonce, used_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`

// UseNonce notes a platform's nonce used, once.
func (db *DB) UseNonce(ctx context.Context, issuer, nonce string) (bool, error) {
	tag, err := db.pool.Exec(ctx, useNonceSQL, issuer, nonce, db.Now().UTC())
	if err != nil {
		return false, fmt.Errorf("use nonce: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// RecordLaunch keeps a launch and uses its nonce, or neither.
func (db *DB) RecordLaunch(ctx context.Context, l store.Launch) (bool, error) {
	var fresh bool
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, useNonceSQL, l.Issuer, l.Nonce, db.Now().UTC())
		if fresh = err == nil && tag.RowsAffected() == 1; !fresh {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO lti_launches (issuer, subject, name, roles, deployment, context, context_title, resource_link, lesson, session, launched_at, client_id, line_item)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			l.Issuer, l.Subject, l.Name, jsonList(l.Roles), l.Deployment, l.Context, l.ContextTitle, l.ResourceLink, l.Lesson, l.Session, l.At.UTC(),
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
	var n int64
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM lti_launches WHERE launched_at < $1`, before.UTC())
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		_, err = tx.Exec(ctx, `DELETE FROM lti_nonces WHERE used_at < $1`, before.UTC())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("forget launches: %w", err)
	}
	return n, nil
}

// LineItems returns a session's launches of a lesson with a line item, one
// per line item.
func (db *DB) LineItems(ctx context.Context, session, lesson string) ([]store.Launch, error) {
	rows, err := db.pool.Query(ctx, `SELECT DISTINCT issuer, client_id, subject, line_item FROM lti_launches
		WHERE session = $1 AND lesson = $2 AND line_item <> ''`, session, lesson)
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
	tag, err := db.pool.Exec(ctx, `INSERT INTO lti_scores (issuer, client_id, line_item, user_id, lesson, given, maximum, done_at, next_try)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT DO NOTHING`, s.Issuer, s.ClientID, s.LineItem, s.UserID, s.Lesson, s.Given, s.Max, s.At.UTC())
	if err != nil {
		return false, fmt.Errorf("queue score: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// DueScores returns scores not taken whose next try is due. Servers sharing
// the store may each pick a score at once: the platform then takes it twice,
// which for a score is the same.
func (db *DB) DueScores(ctx context.Context, now time.Time, limit int) ([]store.Score, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, issuer, client_id, line_item, user_id, lesson, given, maximum, done_at, attempts
		FROM lti_scores WHERE taken_at IS NULL AND next_try <= $1 ORDER BY next_try LIMIT $2`, now.UTC(), limit)
	if err != nil {
		return nil, fmt.Errorf("due scores: %w", err)
	}
	defer rows.Close()
	var out []store.Score
	for rows.Next() {
		var s store.Score
		if err := rows.Scan(&s.ID, &s.Issuer, &s.ClientID, &s.LineItem, &s.UserID, &s.Lesson, &s.Given, &s.Max, &s.At, &s.Attempts); err != nil {
			return nil, fmt.Errorf("due scores: %w", err)
		}
		s.At = s.At.UTC()
		out = append(out, s)
	}
	return out, rows.Err()
}

// ScoreTaken notes a score taken.
func (db *DB) ScoreTaken(ctx context.Context, id int64, at time.Time) error {
	_, err := db.pool.Exec(ctx, `UPDATE lti_scores SET taken_at = $1, attempts = attempts + 1 WHERE id = $2`, at.UTC(), id)
	return err
}

// ScoreRetry notes a failed try and the next.
func (db *DB) ScoreRetry(ctx context.Context, id int64, next time.Time) error {
	_, err := db.pool.Exec(ctx, `UPDATE lti_scores SET attempts = attempts + 1, next_try = $1 WHERE id = $2`, next.UTC(), id)
	return err
}

// KeepAnswer keeps an answer to a lesson's question.
func (db *DB) KeepAnswer(ctx context.Context, a store.Answer) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO answers (session, lesson, choice, correct, answered_at) VALUES ($1, $2, $3, $4, $5)`,
		a.Session, a.Lesson, a.Choice, a.Correct, a.At.UTC())
	if err != nil {
		return fmt.Errorf("keep answer: %w", err)
	}
	return nil
}

// Answers returns a session's answers, oldest first.
func (db *DB) Answers(ctx context.Context, session string) ([]store.Answer, error) {
	rows, err := db.pool.Query(ctx, `SELECT lesson, choice, correct, answered_at FROM answers WHERE session = $1 ORDER BY answered_at`, session)
	if err != nil {
		return nil, fmt.Errorf("answers: %w", err)
	}
	defer rows.Close()
	out := []store.Answer{}
	for rows.Next() {
		a := store.Answer{Session: session}
		if err := rows.Scan(&a.Lesson, &a.Choice, &a.Correct, &a.At); err != nil {
			return nil, fmt.Errorf("answers: %w", err)
		}
		a.At = a.At.UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}

// Class returns a course's students: those launched with no instructor's
// role, each once, with the name sent last.
func (db *DB) Class(ctx context.Context, issuer, context string) ([]store.Student, error) {
	rows, err := db.pool.Query(ctx, `SELECT DISTINCT ON (subject) subject, session, name FROM lti_launches
		WHERE issuer = $1 AND context = $2 AND NOT roles::text LIKE '%#Instructor%' AND NOT roles::text LIKE '%#Administrator%'
		ORDER BY subject, launched_at DESC`, issuer, context)
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
