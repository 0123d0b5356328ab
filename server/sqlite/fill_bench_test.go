package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"reqlab/app/stage"
	"reqlab/server/store"
	"reqlab/server/store/storetest"
)

// BenchmarkHonestRunAsStoreFills times an honest run stored (opened, then
// its 28 events in one batch, complete, as the page's last report does) on
// an empty store and again once thousands of the fattest runs a page can
// make have filled it to its byte cap, pruned by bytes as the server prunes
// it (issue 24, point 7: the honest p50 stays flat as the store fills).
// Target: p50 full at most 2× p50 empty.
func BenchmarkHonestRunAsStoreFills(b *testing.B) {
	const (
		fat      = 2000      // fat runs stored
		keep     = 128 << 20 // the store's byte cap (-keep-bytes)
		samples  = 400       // honest runs timed, each time
		pruneGap = 100       // fat runs between prunes: the server prunes every minute
	)
	path := filepath.Join(b.TempDir(), "fill.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	events := storetest.FullRun()
	honest := func() time.Duration {
		start := time.Now()
		id := stage.NewRunID()
		if _, err := db.CreateRun(ctx, id, store.SecretDigest(stage.NewRunSecret()), "honest", stage.Request{Method: "GET", URL: "/site/api/cursos"}); err != nil {
			b.Fatal(err)
		}
		if _, err := db.Append(ctx, store.Batch{RunID: id, Side: stage.Client, Events: events, Complete: true}); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	p50 := func() time.Duration {
		took := make([]time.Duration, samples)
		for i := range took {
			took[i] = honest()
		}
		slices.Sort(took)
		return took[samples/2]
	}
	for i := 0; i < b.N; i++ {
		empty := p50()
		filled := time.Now()
		for n := 1; n <= fat; n++ {
			fatRun(b, db)
			if n%pruneGap == 0 {
				if _, err := db.Prune(ctx, 0, 0, 0, keep); err != nil {
					b.Fatal(err)
				}
			}
		}
		fillTook := time.Since(filled)
		full := p50()
		var kept, bytes int64
		db.SQL().QueryRow(`SELECT count(*), coalesce(sum(bytes), 0) FROM runs`).Scan(&kept, &bytes)
		ratio := float64(full) / float64(empty)
		b.ReportMetric(float64(empty.Microseconds())/1000, "ms-p50-empty")
		b.ReportMetric(float64(full.Microseconds())/1000, "ms-p50-full")
		b.ReportMetric(ratio, "full/empty")
		b.Logf("an honest run's p50: %.2f ms empty, %.2f ms after %d fat runs (%.0f s) filled the store to its %d MB cap (%d runs, %d MB kept): %.2f× — target at most 2×",
			ms(empty), ms(full), fat, fillTook.Seconds(), keep>>20, kept, bytes>>20, ratio)
		if ratio > 2 {
			b.Errorf("the honest p50 went from %.2f ms to %.2f ms as the store filled, want at most 2×", ms(empty), ms(full))
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// fatRun stores the fattest run a page can make, as the server would keep
// it: the form's limits filled (a 2 KB URL, 14 KB of headers, a 64 KB body),
// the site's answer, and a report whose every event carries 4 KB of details
// and whose answer is cut to what a run may keep.
func fatRun(b *testing.B, db *DB) {
	ctx := context.Background()
	url := "/site/api/cursos?q=" + strings.Repeat("u", stage.MaxURLBytes-40)
	var headers []stage.Header
	for i := 0; i < 14; i++ {
		headers = append(headers, stage.Header{Name: "X-Fat-" + string(rune('a'+i)), Value: strings.Repeat("h", 1000)})
	}
	req := stage.Request{Method: "POST", URL: url, Headers: headers, Body: strings.Repeat("b", stage.MaxBodyBytes)}
	id := stage.NewRunID()
	if _, err := db.CreateRun(ctx, id, store.SecretDigest(stage.NewRunSecret()), "fat", req); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Append(ctx, store.Batch{RunID: id, Side: stage.Server, Request: &req,
		Response: &stage.Response{Status: 201, Body: strings.Repeat("r", 16<<10)}}); err != nil {
		b.Fatal(err)
	}
	events := storetest.FullRun()
	for i := range events {
		events[i].Side = stage.Client
		events[i].Detail.Error = strings.Repeat("e", 2<<10)
		events[i].Detail.SQL = strings.Repeat("s", 2<<10)
	}
	client := events[:0]
	for _, e := range events {
		if side, _ := stage.SideOf(e.Stage); side == stage.Client {
			client = append(client, e)
		}
	}
	// What a run may keep is store.MaxRunBytes: the answer the page reports
	// is cut to fit (a batch that would pass it is refused whole).
	for _, body := range []int{48 << 10, 16 << 10, 0} {
		_, err := db.Append(ctx, store.Batch{RunID: id, Side: stage.Client, Events: client, Complete: true,
			Response: &stage.Response{Status: 201, Body: strings.Repeat("r", body)}})
		if err == nil {
			return
		}
		if !errors.Is(err, store.ErrRunTooLarge) {
			b.Fatal(err)
		}
	}
	b.Fatal("a fat run's report refused at every size")
}
