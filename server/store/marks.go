package store

import (
	"fmt"

	"reqlab/app/stage"
)

// Marks holds a batch to a stage's life, given the stages the run's stored
// events started and ended: a stage starts once, ends once after its start,
// and nothing of it comes after its end. A start the run holds already, of a
// stage not yet ended, is a repeat (a page's last report carries the starts
// it announced before, in case they were lost): it is left out. Marks
// returns the indexes of the events to store, and updates started and ended
// with them; every engine's Append keeps to it.
func Marks(started, ended map[stage.ID]bool, events []stage.Event) ([]int, error) {
	keep := make([]int, 0, len(events))
	for i, e := range events {
		switch {
		case ended[e.Stage]:
			return nil, fmt.Errorf("%w: %s", ErrStageEnded, e.Stage)
		case e.Phase == stage.Start && started[e.Stage]:
			continue // a repeat
		case e.Phase == stage.Start:
			started[e.Stage] = true
		case !started[e.Stage]:
			return nil, fmt.Errorf("%w: %s", ErrNotStarted, e.Stage)
		default:
			ended[e.Stage] = true
		}
		keep = append(keep, i)
	}
	return keep, nil
}

// Explained is the batch a client's last report stores: its events as
// stage.Explain completes them with what only the server knows, the status
// it answered (0 for none) and the server stages it ended.
func Explained(b Batch, status int, serverEnded map[stage.ID]bool) Batch {
	events := append([]stage.Event(nil), b.Events...)
	var extra []stage.Event
	events, extra = stage.Explain(events, status, serverEnded)
	b.Events = append(events, extra...)
	return b
}
