package postgres

import (
	"testing"

	"reqlab/server/store/storetest"
)

// BenchmarkPersistRuns stores whole runs as a class sends them, as the
// SQLite benchmark of the same name does (storetest.PersistRuns). SQLite's
// target, 10,000 a second, is one machine's; a shared store is for more
// machines, not more speed on one: the figure stands beside it.
func BenchmarkPersistRuns(b *testing.B) {
	storetest.PersistRuns(b, openTestDB(b), "SQLite's target on one machine: 10000")
}
