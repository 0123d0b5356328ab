package ui

import "reqlab/app/stage"

// What the page draws of the stages is laid out from the stage table, once
// (layout), and never by hand: a stage added to the table is drawn.
var (
	// spots says where each stage happens in the picture (spotsOf).
	spots map[stage.ID]point
	// lanes are the stage cards' lanes, along the request's path: out of
	// the browser, through the server, back into the browser (lanesOf).
	lanes []lane
	// rows are the timeline's lines (rowsOf).
	rows []timelineRow
	// visitOrder is the way a live token goes (visitOrderOf).
	visitOrder []stop
)

func init() { layout() }

// layout lays the picture, the cards, the timeline and the token's way out
// from the stage table: at start, and again after a test declares a stage
// of its own (with stage.Reindex).
func layout() {
	spots, lanes, rows, visitOrder = spotsOf(stage.Table), lanesOf(stage.Table), rowsOf(stage.Table), visitOrderOf(stage.Table)
}
