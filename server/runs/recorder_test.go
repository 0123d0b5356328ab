package runs

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"reqlab/app/stage"
	"reqlab/app/wire"
	"reqlab/server/sqlite"
)

type published struct {
	mu   sync.Mutex
	seqs []int64
}

func (p *published) Publish(run string, msg []byte) {
	var m wire.Message
	json.Unmarshal(msg, &m)
	p.mu.Lock()
	p.seqs = append(p.seqs, m.Event.Seq)
	p.mu.Unlock()
}

func newTestRecorder(t *testing.T) (*Recorder, *published) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "runs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r := NewRecorder(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	p := &published{}
	r.SetPublisher(p)
	return r, p
}

func TestOpenRefusesARequestOutsideTheSite(t *testing.T) {
	r, _ := newTestRecorder(t)
	_, fields, err := r.Open(context.Background(), "s", stage.Request{Method: "GET", URL: "/api/runs"})
	if err != nil || len(fields) != 1 || fields[0].Code != stage.CodeURLOutside {
		t.Fatalf("Open = %v, %v; want the url refused", fields, err)
	}
}

// The browser has the answer before the server has recorded its stages; the
// client's last report must not close the run ahead of them.
func TestLastReportWaitsForTheServersStages(t *testing.T) {
	r, pub := newTestRecorder(t)
	ctx := context.Background()
	run, _, err := r.Open(ctx, "s", stage.Request{Method: "GET", URL: "/site/api/cursos"})
	if err != nil {
		t.Fatal(err)
	}
	end := r.Begin(run.ID)

	reported := make(chan error, 1)
	go func() {
		_, err := r.Record(ctx, sqlite.Batch{RunID: run.ID, Side: stage.Client, Complete: true, Events: []stage.Event{
			{Stage: stage.Wait, Side: stage.Client, Phase: stage.End, State: stage.Done},
		}})
		reported <- err
	}()
	select {
	case err := <-reported:
		t.Fatalf("the last report went through while the server was still recording: %v", err)
	case <-time.After(100 * time.Millisecond):
	}

	if _, err := r.Record(ctx, sqlite.Batch{RunID: run.ID, Side: stage.Server, Events: []stage.Event{
		{Stage: stage.Receive, Side: stage.Server, Phase: stage.End, State: stage.Done},
	}}); err != nil {
		t.Fatalf("server stages: %v", err)
	}
	end()
	if err := <-reported; err != nil {
		t.Fatalf("last report: %v", err)
	}
	pub.mu.Lock()
	defer pub.mu.Unlock()
	if len(pub.seqs) != 2 || pub.seqs[0] != 1 || pub.seqs[1] != 2 {
		t.Errorf("published seqs %v, want the server's 1 then the client's 2", pub.seqs)
	}
}
