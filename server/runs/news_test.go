package runs

import (
	"context"
	"sync"
	"testing"
	"time"

	"reqlab/app/stage"
	"reqlab/server/store"
)

// sharedStub is a store several servers would share, as far as a run's last
// report sees it: the run's count of requests being served (serving), set
// by the test, refuses the last report (store.ErrServing) as PostgreSQL's
// does, and AwaitServed counts the times the count was read.
type sharedStub struct {
	Store
	mu      sync.Mutex
	serving int
	tries   int // the last report's tries
	reads   int // AwaitServed's calls
	waited  bool
}

func (s *sharedStub) Append(ctx context.Context, b store.Batch) ([]stage.Event, error) {
	if b.Complete && b.Side == stage.Client {
		s.mu.Lock()
		s.tries++
		refused := s.serving > 0 && !b.Waited
		s.waited = b.Waited
		s.mu.Unlock()
		if refused {
			return nil, store.ErrServing
		}
	}
	return s.Store.Append(ctx, b)
}

func (s *sharedStub) Listen(context.Context, func(string, int64, store.Carried), func(context.Context)) error {
	return nil
}

func (s *sharedStub) Serving(ctx context.Context, id string) (store.OpenRun, bool, error) {
	return store.OpenRun{}, false, nil
}

func (s *sharedStub) Served(ctx context.Context, id string) error { return nil }

func (s *sharedStub) AwaitServed(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	s.serving = 0
	return nil
}

// A run's last report, refused while another server serves one of the run's
// requests, is tried again when news of the run comes (the other server
// stored the request's stages, counting it served), without reading the
// count; where no news comes it reads the count after newsPatience.
func TestLastReportWaitsForNewsOfTheRun(t *testing.T) {
	for _, tc := range []struct {
		name      string
		news      bool
		wantReads int
		wantTries int
	}{
		{"news of the request's stages", true, 0, 2},
		{"no news: the count is read", false, 1, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, _ := newTestRecorder(t)
			stub := &sharedStub{Store: base.db, serving: 1}
			r := NewRecorder(stub, base.log)
			r.SetPublisher(&published{})
			if r.shared == nil {
				t.Fatal("the stub is not a shared store")
			}
			ctx := context.Background()
			notify := r.Notifications(ctx)
			run, _, _, err := r.Open(ctx, "s", stage.Request{Method: "GET", URL: "/site/api/cursos"})
			if err != nil {
				t.Fatal(err)
			}

			reported := make(chan error, 1)
			start := time.Now()
			go func() {
				_, err := r.Record(ctx, store.Batch{RunID: run.ID, Side: stage.Client, Complete: true, Events: stage.WithStarts([]stage.Event{
					{Stage: stage.Wait, Side: stage.Client, Phase: stage.End, State: stage.Done},
				})})
				reported <- err
			}()
			time.Sleep(20 * time.Millisecond)
			if tc.news {
				stub.mu.Lock()
				stub.serving = 0 // the other server's stages, stored
				stub.mu.Unlock()
				notify(run.ID, 3, "")
			}
			if err := <-reported; err != nil {
				t.Fatalf("last report: %v", err)
			}
			took := time.Since(start)
			stub.mu.Lock()
			defer stub.mu.Unlock()
			if stub.reads != tc.wantReads || stub.tries != tc.wantTries || stub.waited != !tc.news {
				t.Errorf("count read %d times, report tried %d times, waited %v; want %d, %d and %v",
					stub.reads, stub.tries, stub.waited, tc.wantReads, tc.wantTries, !tc.news)
			}
			if tc.news && took >= newsPatience {
				t.Errorf("the report took %v with news after 20 ms; want it stored at the news", took)
			}
			if !tc.news && took < newsPatience {
				t.Errorf("the report took %v with no news; want the count read after %v", took, newsPatience)
			}
			if len(r.news) != 0 {
				t.Errorf("%d runs still listened for", len(r.news))
			}
		})
	}
}
