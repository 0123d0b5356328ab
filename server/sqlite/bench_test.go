package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"reqlab/app/stage"
	"reqlab/server/store/storetest"
)

// BenchmarkPersistRuns stores whole runs as a class sends them (see
// storetest.PersistRuns). Target: at least 10,000 runs a second.
func BenchmarkPersistRuns(b *testing.B) {
	db, _ := openTestDB(b)
	storetest.PersistRuns(b, db, "target at least 10000", nil)
}

// BenchmarkReplayLoad reads back a stored run of 200 events, as playback and
// the API do (a run holds a start and an end per stage, 30 at most, now; 200
// is kept as the harder case, stored as the 500-event cap allows but no
// report can: straight into the table, a batch's row each). Target: at most
// 5 ms.
func BenchmarkReplayLoad(b *testing.B) {
	db, path := openTestDB(b)
	ctx := context.Background()
	raw, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	id := stage.NewRunID()
	db.CreateRun(ctx, id, stage.NewRunSecret(), "s", stage.Request{Method: "GET", URL: "/site/"})
	for seq := 1; seq <= 200; seq++ {
		// A batch each, the most rows a run's events can take.
		if _, err := raw.Exec(`INSERT INTO event_batches (run_id, first_seq, last_seq, events) VALUES (?, ?, ?, ?)`, id, seq, seq,
			fmt.Sprintf(`[{"seq":%d,"stage":"assets","side":"client","phase":"start","t_ms":1,"dur_ms":null,"state":"active","detail":{}}]`, seq)); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		run, err := db.Run(ctx, id)
		if err != nil || len(run.Events) != 200 {
			b.Fatal(err, len(run.Events))
		}
	}
	ms := float64(time.Since(start).Microseconds()) / 1000 / float64(b.N)
	b.ReportMetric(ms, "ms/load")
	b.Logf("a 200-event run loads in %.3f ms — target at most 5 ms", ms)
}
