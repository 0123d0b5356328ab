package ui

import (
	"reqlab/app/stage"
)

// store is the client's one store of runs: the run on screen as its events
// arrive, live or played back, what the page read of its answer, and the run
// as the server stored it. The components are drawn from it.
type store struct {
	// sending is set while a run is sent live from this page.
	sending bool
	// run is the run on screen; liveNow is where a live one has got to, on
	// its clock.
	run     *runView
	liveNow float64
	// resp is the answer as the page read it; stored is the run as the
	// server stored it, once it has.
	resp   *responseView
	stored *stage.Run
	// play is the playback of a stored run, if one is played; missing is
	// the id of a run asked for that the server does not hold.
	play    *playback
	missing string
	// runsRev is bumped whenever one of this browser's runs is stored, so
	// that the history reads itself again.
	runsRev int
}
