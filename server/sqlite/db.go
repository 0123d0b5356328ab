// Package sqlite opens reqlab's store in SQLite, embedded, the default: one
// file, one writer (see package sqlstore, which keeps the data for both
// engines).
package sqlite

import (
	"context"

	"reqlab/server/sqlstore"
)

// DB is the lab's data in one SQLite file.
type DB = sqlstore.DB

// Open opens (creating it if needed) the database file at path, in WAL mode,
// and applies the migrations it lacks.
func Open(ctx context.Context, path string) (*DB, error) {
	return sqlstore.Open(ctx, sqlstore.SQLite, path)
}

// The sample site's statements, as SQLite runs them and the lab shows them.
var (
	CoursesSQL     = sqlstore.SQLite.SQL(sqlstore.CoursesSQL)
	EnrollmentsSQL = sqlstore.SQLite.SQL(sqlstore.EnrollmentsSQL)
)
