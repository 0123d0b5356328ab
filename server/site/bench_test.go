package site

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"reqlab/app/stage"
	"reqlab/server/runs"
	"reqlab/server/sqlite"
	"reqlab/server/store"
)

// counter is the lab's recorder, finding runs and noting requests under
// way as it does in the server, but counting batches and storing none:
// storing is the database's work (BenchmarkPersistRuns), and b.N batches
// kept would make the garbage collector, not the instrumentation, the cost.
type counter struct {
	*runs.Recorder
	n atomic.Int64
}

func (c *counter) Record(_ context.Context, b store.Batch) ([]stage.Event, error) {
	c.n.Add(1)
	return b.Events, nil
}

// BenchmarkInstrumentationCost answers GET /site/api/cursos two ways, turn
// and turn about in one run: without instrumentation (the routes alone) and
// with all of it for a traced request (its run found, arrival, route, db and
// respond timing, Server-Timing, the request and answer kept, the events
// built and handed to the recorder). Target: at most 1.15× the plain request.
//
// It is measured twice. Over HTTP: a request as the sample site serves it, on
// a keep-alive loopback connection to a real server, the instrumented one on
// the timed listener as in the lab (its cost is part of the instrumentation);
// the client writes the request's bytes and reads the answer's. And in the
// handler alone, with no connection and no HTTP parsing, which shows the
// instrumentation against the smallest denominator.
func BenchmarkInstrumentationCost(b *testing.B) {
	db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rec := &counter{Recorder: runs.NewRecorder(db, log)}
	s := New(db, rec, log)
	run, secret, _, err := rec.Open(context.Background(), "bench", stage.Request{Method: "GET", URL: "/site/api/cursos"})
	if err != nil {
		b.Fatal(err)
	}
	tp := stage.Traceparent(run.ID, secret)

	b.Run("http", func(b *testing.B) {
		plain := serve(b, s.mux, false)
		instrumented := serve(b, s, true)
		req := []byte("GET /site/api/cursos HTTP/1.1\r\nHost: lab\r\nUser-Agent: bench\r\nAccept: */*\r\ntraceparent: " + tp + "\r\n\r\n")
		rec.n.Store(0)
		compare(b, "over HTTP", func() { plain.roundTrip(b, req) }, func() { instrumented.roundTrip(b, req) })
		// The client has the answer before the server has recorded it.
		for wait := 0; rec.n.Load() < int64(b.N) && wait < 100; wait++ {
			time.Sleep(10 * time.Millisecond)
		}
		if n := rec.n.Load(); n != int64(b.N) {
			b.Fatalf("%d batches recorded for %d traced requests", n, b.N)
		}
	})
	b.Run("handler", func(b *testing.B) {
		plain, _ := http.NewRequest("GET", "/site/api/cursos", nil)
		traced, _ := http.NewRequest("GET", "/site/api/cursos", nil)
		traced.Header.Set("traceparent", tp)
		rec.n.Store(0)
		compare(b, "handler alone",
			func() { s.mux.ServeHTTP(httptest.NewRecorder(), plain) },
			func() { s.ServeHTTP(httptest.NewRecorder(), traced) })
		if n := rec.n.Load(); n != int64(b.N) {
			b.Fatalf("%d batches recorded for %d traced requests", n, b.N)
		}
	})
}

// compare runs plain and instrumented in turn b.N times and reports the
// ratio of their total times.
func compare(b *testing.B, name string, plain, instrumented func()) {
	var tPlain, tInst time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		plain()
		tPlain += time.Since(start)

		start = time.Now()
		instrumented()
		tInst += time.Since(start)
	}
	b.StopTimer()
	ratio := float64(tInst) / float64(tPlain)
	b.ReportMetric(ratio, "ratio")
	b.Logf("%s: instrumented request %.2f× the plain one (%.1f µs against %.1f µs) — target at most 1.15×",
		name, ratio, float64(tInst.Nanoseconds())/1e3/float64(b.N), float64(tPlain.Nanoseconds())/1e3/float64(b.N))
}

// conn is a client's keep-alive connection to a server of the benchmark.
type conn struct {
	net.Conn
	r *bufio.Reader
}

// serve starts a server with h, set up as the lab sets up the sample site's
// when timed, and returns a connection to it.
func serve(b *testing.B, h http.Handler, timed bool) *conn {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	if timed {
		srv.ConnState, srv.ConnContext = ConnState, ConnContext
		go srv.Serve(Listen(ln))
	} else {
		go srv.Serve(ln)
	}
	b.Cleanup(func() { srv.Close() })
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	return &conn{Conn: c, r: bufio.NewReaderSize(c, 16<<10)}
}

// roundTrip writes a request and reads its answer: the status line and
// headers up to the blank line, then Content-Length bytes of body.
func (c *conn) roundTrip(b *testing.B, req []byte) {
	if _, err := c.Write(req); err != nil {
		b.Fatal(err)
	}
	length := -1
	for first := true; ; first = false {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			b.Fatal(err)
		}
		if first && !bytes.HasPrefix(line, []byte("HTTP/1.1 200 ")) {
			b.Fatalf("answer: %q", line)
		}
		if len(line) == 2 {
			break
		}
		if v, ok := bytes.CutPrefix(line, []byte("Content-Length: ")); ok {
			length, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
		}
	}
	if length < 0 {
		b.Fatal("answer without Content-Length")
	}
	if _, err := c.r.Discard(length); err != nil {
		b.Fatal(err)
	}
}
