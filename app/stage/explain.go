package stage

// Explain completes what a run's last client report says with what only the
// server knows, once both sides are in: it returns the report's events,
// adjusted, and the server events to add. status is the answer the server
// sent (0 if it sent none); serverEnded, the server stages it recorded.
//
//   - The browser reports a revalidation as a miss: it had a copy, sent
//     If-None-Match, got 304 and gives the page its copy with status 200, and
//     its timing entry cannot tell it from a miss. The server saw the 304:
//     the cache stage is then "revalidated".
//   - Where the browser's cache answered, the server's stages never happened:
//     each is started and ended as skipped, "not reached", so that no place
//     waits for ever.
func Explain(events []Event, status int, serverEnded map[ID]bool) ([]Event, []Event) {
	var cache *Event
	for i := range events {
		if events[i].Stage == Cache && events[i].Phase == End {
			cache = &events[i]
		}
	}
	if cache == nil {
		return events, nil
	}
	var extra []Event
	switch cache.Detail.Reason {
	case ReasonCacheMiss:
		if status == 304 {
			cache.Detail.Reason = ReasonRevalidated
		}
	case ReasonCacheHit:
		at := cache.TMs
		if cache.DurMs != nil {
			at += *cache.DurMs
		}
		for _, id := range ServerStages {
			if !serverEnded[id] {
				extra = append(extra, Event{Stage: id, Side: Server, Phase: End, TMs: at, State: Skipped,
					Detail: Detail{Reason: ReasonNotReached}})
			}
		}
		extra = WithStarts(extra)
	}
	return events, extra
}

// WithStarts puts before each end its stage's start, at the time the stage
// started: a stage's end needs its start, which the server checks. A start
// the server holds already (one a page announced as it happened) it takes
// again as the repeat it is.
func WithStarts(events []Event) []Event {
	out := make([]Event, 0, 2*len(events))
	started := map[ID]bool{}
	for _, e := range events {
		if e.Phase == Start {
			started[e.Stage] = true
		} else if !started[e.Stage] {
			out = append(out, Event{Stage: e.Stage, Side: e.Side, Phase: Start, TMs: e.TMs, State: Active})
			started[e.Stage] = true
		}
		out = append(out, e)
	}
	return out
}
