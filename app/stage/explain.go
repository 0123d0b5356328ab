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
//     each is ended as skipped, "not reached", so that no place waits for
//     ever.
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
	}
	return events, extra
}
