package postgres

import (
	"context"
	"testing"

	"reqlab/server/internal/pgtest"
	"reqlab/server/store/storetest"
)

// BenchmarkPersistRuns stores whole runs as a class sends them, as the
// SQLite benchmark of the same name does (storetest.PersistRuns), on a
// cluster with PostgreSQL's default durability: every commit flushed to
// disk (fsync, synchronous_commit and full_page_writes on). Target: at
// least 3,000 runs a second.
func BenchmarkPersistRuns(b *testing.B) {
	db, err := Open(context.Background(), pgtest.Durable(b))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	storetest.PersistRuns(b, db, "target at least 3000, fsync on", pgtest.DurableCPU)
}
