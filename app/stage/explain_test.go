package stage

import "testing"

func TestExplain(t *testing.T) {
	cache := func(r Reason) []Event {
		return []Event{{Stage: Cache, Side: Client, Phase: End, TMs: 1, DurMs: Ms(0.5), State: Done, Detail: Detail{Reason: r}}}
	}
	// A miss the server answered 304 was a revalidation.
	events, extra := Explain(cache(ReasonCacheMiss), 304, map[ID]bool{Receive: true, Route: true, DB: true, Respond: true})
	if events[0].Detail.Reason != ReasonRevalidated || extra != nil {
		t.Errorf("a 304: %q, %d extra", events[0].Detail.Reason, len(extra))
	}
	// A plain miss stays one.
	if events, _ := Explain(cache(ReasonCacheMiss), 200, nil); events[0].Detail.Reason != ReasonCacheMiss {
		t.Errorf("a 200: %q", events[0].Detail.Reason)
	}
	// A hit ends every server stage as never reached, after the cache.
	_, extra = Explain(cache(ReasonCacheHit), 0, map[ID]bool{})
	if len(extra) != 2*len(ServerStages) {
		t.Fatalf("a hit: %d server events, want a start and an end for each of %d", len(extra), len(ServerStages))
	}
	for i, e := range extra {
		if i%2 == 0 {
			if e.Phase != Start || e.Stage != extra[i+1].Stage || e.Validate() != nil {
				t.Errorf("event %d: %+v, want the start of %s", i, e, extra[i+1].Stage)
			}
			continue
		}
		if e.Side != Server || e.Phase != End || e.State != Skipped || e.Detail.Reason != ReasonNotReached || e.TMs != 1.5 || e.Validate() != nil {
			t.Errorf("a hit's server stage: %+v", e)
		}
	}
}
