package site

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"reqlab/app/stage"
	"reqlab/server/sqlite"
)

// counter is a recorder that counts batches and keeps none: holding b.N
// batches would make the garbage collector, not the instrumentation, the cost.
type counter struct {
	recorder
	n int
}

func (c *counter) Record(_ context.Context, b sqlite.Batch) ([]stage.Event, error) {
	c.n++
	return b.Events, nil
}

// BenchmarkInstrumentationCost answers GET /site/api/cursos two ways,
// turn and turn about in one run: through the routes alone, and through the
// whole instrumentation of a traced request (arrival, route, db and respond
// timing, Server-Timing, the events built and handed to the recorder).
// Target: instrumented at most 1.1× plain.
func BenchmarkInstrumentationCost(b *testing.B) {
	db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	rec := &counter{recorder: recorder{open: map[string]sqlite.OpenRun{}}}
	s := New(db, rec, slog.New(slog.NewTextHandler(io.Discard, nil)))
	id := rec.openRun()
	plain, _ := http.NewRequest("GET", "/site/api/cursos", nil)
	traced, _ := http.NewRequest("GET", "/site/api/cursos", nil)
	traced.Header.Set("traceparent", stage.Traceparent(id))

	var tPlain, tTraced time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		s.mux.ServeHTTP(httptest.NewRecorder(), plain)
		tPlain += time.Since(start)

		start = time.Now()
		s.ServeHTTP(httptest.NewRecorder(), traced)
		tTraced += time.Since(start)
	}
	b.StopTimer()
	if rec.n != b.N {
		b.Fatalf("%d batches recorded for %d traced requests", rec.n, b.N)
	}
	ratio := float64(tTraced) / float64(tPlain)
	b.ReportMetric(ratio, "ratio")
	b.Logf("instrumented request %.2f× the plain one (%.1f µs against %.1f µs) — target at most 1.10×",
		ratio, float64(tTraced.Microseconds())/float64(b.N), float64(tPlain.Microseconds())/float64(b.N))
}
