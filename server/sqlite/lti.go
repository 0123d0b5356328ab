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
		_, err = tx.Exec(`INSERT INTO lti_launches (issuer, subject, name, roles, deployment, context, context_title, resource_link, lesson, session, launched_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			l.Issuer, l.Subject, l.Name, roles, l.Deployment, l.Context, l.ContextTitle, l.ResourceLink, l.Lesson, l.Session, l.At.UTC().Format(time.RFC3339Nano))
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
