package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"reqlab/server/store"
)

const useNonceSQL = `INSERT INTO lti_nonces (issuer, nonce, used_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`

// UseNonce notes a platform's nonce used, once.
func (db *DB) UseNonce(ctx context.Context, issuer, nonce string) (bool, error) {
	n, err := db.execCount(ctx, "nonce:"+issuer+"\x00"+nonce, useNonceSQL, issuer, nonce, db.at(db.Now()))
	if err != nil {
		return false, db.fail("use nonce", err)
	}
	return n == 1, nil
}

// RecordLaunch keeps a launch and uses its nonce, or neither.
func (db *DB) RecordLaunch(ctx context.Context, l store.Launch) (bool, error) {
	roles, err := marshalJSON(l.Roles)
	if err != nil {
		return false, err
	}
	var fresh bool
	err = db.do(ctx, "nonce:"+l.Issuer+"\x00"+l.Nonce, func(w *wtx) error {
		n, err := w.count(useNonceSQL, l.Issuer, l.Nonce, db.at(db.Now()))
		if fresh = err == nil && n == 1; !fresh {
			return err
		}
		_, err = w.exec(`INSERT INTO lti_launches (issuer, subject, name, roles, deployment, context, context_title, resource_link, lesson, session, launched_at, client_id, line_item)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			l.Issuer, l.Subject, l.Name, roles, l.Deployment, l.Context, l.ContextTitle, l.ResourceLink, l.Lesson, l.Session, db.at(l.At),
			l.ClientID, l.LineItem)
		return err
	})
	if err != nil {
		return false, db.fail("record launch", err)
	}
	return fresh, nil
}

// ForgetLaunches deletes launches and nonces older than before.
func (db *DB) ForgetLaunches(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := db.do(ctx, "", func(w *wtx) error {
		var err error
		if n, err = w.count(`DELETE FROM lti_launches WHERE launched_at < ?`, db.at(before)); err != nil {
			return err
		}
		_, err = w.exec(`DELETE FROM lti_nonces WHERE used_at < ?`, db.at(before))
		return err
	})
	if err != nil {
		return 0, db.fail("forget launches", err)
	}
	return n, nil
}

// LineItems returns a session's launches of a lesson with a line item, one
// per platform, client, user and line item.
func (db *DB) LineItems(ctx context.Context, session, lesson string) ([]store.Launch, error) {
	rows, err := db.read.QueryContext(ctx, db.d.q(`SELECT DISTINCT issuer, client_id, subject, line_item FROM lti_launches
		WHERE session = ? AND lesson = ? AND line_item <> '' ORDER BY issuer, line_item, subject, client_id`), session, lesson)
	if err != nil {
		return nil, db.fail("line items", err)
	}
	defer rows.Close()
	var out []store.Launch
	for rows.Next() {
		l := store.Launch{Session: session, Lesson: lesson}
		if err := rows.Scan(&l.Issuer, &l.ClientID, &l.Subject, &l.LineItem); err != nil {
			return nil, db.fail("line items", err)
		}
		out = append(out, l)
	}
	return out, db.fail("line items", rows.Err())
}

// QueueScore keeps a score to send, once per line item and user.
func (db *DB) QueueScore(ctx context.Context, s store.Score) (bool, error) {
	n, err := db.execCount(ctx, "", `INSERT INTO lti_scores (issuer, client_id, line_item, user_id, lesson, given, maximum, done_at, next_try)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, s.Issuer, s.ClientID, s.LineItem, s.UserID, s.Lesson, s.Given, s.Max, db.at(s.At), db.at(s.At))
	if err != nil {
		return false, db.fail("queue score", err)
	}
	return n == 1, nil
}

const scoreColumns = `id, issuer, client_id, line_item, user_id, lesson, given, maximum, done_at, attempts`

// DueScores returns scores not taken whose next try is due, and changes
// nothing.
func (db *DB) DueScores(ctx context.Context, now time.Time, limit int) ([]store.Score, error) {
	rows, err := db.read.QueryContext(ctx, db.d.q(`SELECT `+scoreColumns+`
		FROM lti_scores WHERE taken_at IS NULL AND next_try <= ? ORDER BY next_try, id LIMIT ?`), db.at(now), limit)
	if err != nil {
		return nil, db.fail("due scores", err)
	}
	out, err := scanScores(rows)
	return out, db.fail("due scores", err)
}

// ClaimScores takes the scores due for one sender (see store.Launches): one
// statement moves each to its next try at now+lease and returns it. On
// PostgreSQL a second server's statement waits for the first's rows, then
// finds them no longer due (the condition is checked again on the row as
// committed); SQLite has one writer.
func (db *DB) ClaimScores(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.Score, error) {
	var out []store.Score
	err := db.do(ctx, "", func(w *wtx) error {
		rows, err := w.query(`UPDATE lti_scores SET next_try = ? WHERE taken_at IS NULL AND next_try <= ? AND id IN (
			SELECT id FROM lti_scores WHERE taken_at IS NULL AND next_try <= ? ORDER BY next_try, id LIMIT ?)
			RETURNING `+scoreColumns, db.at(now.Add(lease)), db.at(now), db.at(now), limit)
		if err != nil {
			return err
		}
		out, err = scanScores(rows)
		return err
	})
	if err != nil {
		return nil, db.fail("claim scores", err)
	}
	return out, nil
}

func scanScores(rows *sql.Rows) ([]store.Score, error) {
	defer rows.Close()
	var out []store.Score
	for rows.Next() {
		var s store.Score
		if err := rows.Scan(&s.ID, &s.Issuer, &s.ClientID, &s.LineItem, &s.UserID, &s.Lesson, &s.Given, &s.Max, when{&s.At}, &s.Attempts); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// ScoreTaken notes a score taken.
func (db *DB) ScoreTaken(ctx context.Context, id int64, at time.Time) error {
	_, err := db.execCount(ctx, "", `UPDATE lti_scores SET taken_at = ?, attempts = attempts + 1 WHERE id = ?`, db.at(at), id)
	return db.fail("score taken", err)
}

// ScoreRetry notes a failed try and the next.
func (db *DB) ScoreRetry(ctx context.Context, id int64, next time.Time) error {
	_, err := db.execCount(ctx, "", `UPDATE lti_scores SET attempts = attempts + 1, next_try = ? WHERE id = ?`, db.at(next), id)
	return db.fail("score retry", err)
}

// KeepAnswer keeps an answer to a lesson's question.
func (db *DB) KeepAnswer(ctx context.Context, a store.Answer) error {
	_, err := db.execCount(ctx, "", `INSERT INTO answers (session, lesson, choice, correct, answered_at) VALUES (?, ?, ?, ?, ?)`,
		a.Session, a.Lesson, a.Choice, a.Correct, db.at(a.At))
	return db.fail("keep answer", err)
}

// Answers returns a session's answers, oldest first.
func (db *DB) Answers(ctx context.Context, session string) ([]store.Answer, error) {
	rows, err := db.read.QueryContext(ctx, db.d.q(`SELECT lesson, choice, correct, answered_at FROM answers WHERE session = ? ORDER BY answered_at`), session)
	if err != nil {
		return nil, db.fail("answers", err)
	}
	defer rows.Close()
	out := []store.Answer{}
	for rows.Next() {
		a := store.Answer{Session: session}
		if err := rows.Scan(&a.Lesson, &a.Choice, &a.Correct, when{&a.At}); err != nil {
			return nil, db.fail("answers", err)
		}
		out = append(out, a)
	}
	return out, db.fail("answers", rows.Err())
}

// Class returns a course's students: those launched with no instructor's
// role, each once, with their latest launch's name and session, by name.
func (db *DB) Class(ctx context.Context, issuer, context string) ([]store.Student, error) {
	rows, err := db.read.QueryContext(ctx, db.d.q(`SELECT subject, session, name FROM (
			SELECT subject, session, name, row_number() OVER (PARTITION BY subject ORDER BY launched_at DESC, id DESC) AS n
			FROM lti_launches WHERE issuer = ? AND context = ?
			AND CAST(roles AS TEXT) NOT LIKE '%#Instructor%' AND CAST(roles AS TEXT) NOT LIKE '%#Administrator%') latest
		WHERE n = 1 ORDER BY name, subject`), issuer, context)
	if err != nil {
		return nil, db.fail("class", err)
	}
	defer rows.Close()
	out := []store.Student{}
	for rows.Next() {
		var s store.Student
		if err := rows.Scan(&s.Subject, &s.Session, &s.Name); err != nil {
			return nil, db.fail("class", err)
		}
		out = append(out, s)
	}
	return out, db.fail("class", rows.Err())
}
