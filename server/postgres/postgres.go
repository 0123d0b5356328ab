// Package postgres opens reqlab's store in PostgreSQL, which several lab
// servers share (see package sqlstore, which keeps the data for both
// engines), and carries the servers' news to one another: every group of
// batches stored is notified on Channel as it commits (see Listen).
package postgres

import (
	"context"
	"log/slog"
	"strings"

	"reqlab/server/sqlstore"
)

// DB is the lab's data in one PostgreSQL database, shared by the lab's
// servers.
type DB struct {
	*sqlstore.DB
	url string

	// Log is where what goes wrong in the background is said.
	Log *slog.Logger
}

// IsURL reports whether dsn names a PostgreSQL database (postgres:// or
// postgresql://) rather than a SQLite file.
func IsURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open connects to the database at url and applies the migrations it lacks;
// several servers starting at once apply each one once.
func Open(ctx context.Context, url string) (*DB, error) {
	db, err := sqlstore.Open(ctx, sqlstore.PostgreSQL, url)
	if err != nil {
		return nil, err
	}
	return &DB{DB: db, url: url}, nil
}

// Channel is the channel every group of stored batches is notified on, a
// line "<id> <seq>" per batch: the run's id and its last seq.
const Channel = sqlstore.Channel

// The sample site's statements, as PostgreSQL runs them and the lab shows
// them.
var (
	CoursesSQL     = sqlstore.PostgreSQL.SQL(sqlstore.CoursesSQL)
	EnrollmentsSQL = sqlstore.PostgreSQL.SQL(sqlstore.EnrollmentsSQL)
)
