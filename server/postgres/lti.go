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
		_, err = tx.Exec(ctx, `INSERT INTO lti_launches (issuer, subject, name, roles, deployment, context, context_title, resource_link, lesson, session, launched_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			l.Issuer, l.Subject, l.Name, jsonList(l.Roles), l.Deployment, l.Context, l.ContextTitle, l.ResourceLink, l.Lesson, l.Session, l.At.UTC())
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
