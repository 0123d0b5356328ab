package runs

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"reqlab/app/stage"
	"reqlab/app/wire"
	"reqlab/server/sqlite"
	"reqlab/server/store"
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

func (p *published) Following(run string) bool { return true }

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
	_, _, fields, err := r.Open(context.Background(), "s", stage.Request{Method: "GET", URL: "/api/runs"})
	if err != nil || len(fields) != 1 || fields[0].Code != stage.CodeURLOutside {
		t.Fatalf("Open = %v, %v; want the url refused", fields, err)
	}
}

// The browser has the answer before the server has recorded its stages; the
// client's last report must not close the run ahead of them.
func TestLastReportWaitsForTheServersStages(t *testing.T) {
	r, pub := newTestRecorder(t)
	ctx := context.Background()
	run, _, _, err := r.Open(ctx, "s", stage.Request{Method: "GET", URL: "/site/api/cursos"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Serving(ctx, run.ID); !ok {
		t.Fatal("the run is not open")
	}

	reported := make(chan error, 1)
	go func() {
		_, err := r.Record(ctx, store.Batch{RunID: run.ID, Side: stage.Client, Complete: true, Events: stage.WithStarts([]stage.Event{
			{Stage: stage.Wait, Side: stage.Client, Phase: stage.End, State: stage.Done},
		})})
		reported <- err
	}()
	select {
	case err := <-reported:
		t.Fatalf("the last report went through while the server was still recording: %v", err)
	case <-time.After(100 * time.Millisecond):
	}

	if _, err := r.Record(ctx, store.Batch{RunID: run.ID, Side: stage.Server, Events: stage.WithStarts([]stage.Event{
		{Stage: stage.Receive, Side: stage.Server, Phase: stage.End, State: stage.Done},
	})}); err != nil {
		t.Fatalf("server stages: %v", err)
	}
	r.Served(run.ID)
	if err := <-reported; err != nil {
		t.Fatalf("last report: %v", err)
	}
	pub.mu.Lock()
	defer pub.mu.Unlock()
	if len(pub.seqs) != 4 || pub.seqs[0] != 1 || pub.seqs[3] != 4 {
		t.Errorf("published seqs %v, want the server's 1 and 2 then the client's 3 and 4", pub.seqs)
	}
}

// The site finds open runs in memory; one opened before the recorder was
// made (or let go of) is found in the database, and a complete run in
// neither.
func TestServingFindsOpenRunsAndOnlyThose(t *testing.T) {
	r, _ := newTestRecorder(t)
	ctx := context.Background()
	run, _, _, err := r.Open(ctx, "s", stage.Request{Method: "GET", URL: "/site/api/cursos", Network: "fast-3g"})
	if err != nil {
		t.Fatal(err)
	}
	kept, ok := r.Serving(ctx, run.ID)
	r.Served(run.ID)
	if !ok || !kept.Opened.Equal(run.CreatedAt) || kept.Network != "fast-3g" {
		t.Fatalf("Serving = %+v, %v; want the run opened at %v on fast-3g", kept, ok, run.CreatedAt)
	}

	other := NewRecorder(r.db, r.log)
	other.SetPublisher(&published{})
	found, ok := other.Serving(ctx, run.ID)
	other.Served(run.ID)
	if !ok || !reflect.DeepEqual(found, kept) {
		t.Fatalf("from the database: %+v, %v; want %+v", found, ok, kept)
	}

	if _, err := other.Record(ctx, store.Batch{RunID: run.ID, Side: stage.Client, Complete: true, Events: stage.WithStarts([]stage.Event{
		{Stage: stage.Wait, Side: stage.Client, Phase: stage.End, State: stage.Done},
	})}); err != nil {
		t.Fatal(err)
	}
	if _, ok := other.Serving(ctx, run.ID); ok {
		t.Error("a complete run is still served as open")
	}
	if _, ok := r.Serving(ctx, stage.NewRunID()); ok {
		t.Error("a run never opened is served as open")
	}
}
