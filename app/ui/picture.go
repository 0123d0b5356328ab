package ui

import (
	"strconv"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/stage"
	"reqlab/app/timeline"
	"reqlab/app/ui/el"
)

// Picture draws the request's path: the browser, the network, the server and
// its database as places, the request's arrows out and the answer's back, a
// dot where each stage happens, and a token that travels to the stage the
// request is on. The server prerenders it; the client draws the same.
type Picture struct {
	app.Compo

	Lang Lang
	// TL is the run on one clock, and N how many of its moments have
	// happened (all of them, live).
	TL timeline.Timeline
	N  int
	// Network is the simulated network the run went through ("" for none).
	Network string
	// Glide is how long the token takes to reach where it goes next, and
	// Toward where that is ("" for the stage it is on).
	Glide  time.Duration
	Toward stage.ID
	// Status is the status code of the run shown ("" before any run, "0"
	// where no answer came) and Outcome what it says (Lab.outcome).
	Status, Outcome string
}

// point is a spot in the drawing's coordinates (a 360 × 200 box).
type point struct{ x, y float64 }

// Where the arrows run: the request out along the top, the answer back
// along the bottom.
const outY, backY = 72.0, 130.0

// places are the drawing's four places: their box and label spot.
var places = []struct {
	id       stage.Place
	x, w     float64
	key, sub string
}{
	{stage.AtBrowser, 4, 84, "place.browser", "place.browser-sub"},
	{stage.AtNetwork, 96, 100, "place.network", "place.network-sub"},
	{stage.AtServer, 204, 80, "place.server", "place.server-sub"},
	{stage.AtDatabase, 296, 60, "place.database", "place.database-sub"},
}

// spots says where each stage happens in the drawing, from the stage table:
// on its place's arrow for its leg, spaced in path order — left to right on
// the way out, right to left on the way back. A place with a single stage
// (the database) has it in its middle.
var spots = func() map[stage.ID]point {
	out := make(map[stage.ID]point, len(stage.Table))
	for _, pl := range places {
		var legs = map[stage.Leg][]stage.ID{}
		n := 0
		for _, s := range stage.Table {
			if s.Place == pl.id {
				legs[s.Leg] = append(legs[s.Leg], s.ID)
				n++
			}
		}
		for leg, ids := range legs {
			k := float64(len(ids))
			for i, id := range ids {
				x, y := pl.x+pl.w*float64(i+1)/(k+1), outY
				if leg == stage.Back {
					x, y = pl.x+pl.w*(k-float64(i))/(k+1), backY
				}
				if n == 1 {
					y = (outY + backY) / 2
				}
				out[id] = point{x, y}
			}
		}
	}
	return out
}()

// Render draws the picture and, beside it, the same in words.
func (p *Picture) Render() app.UI {
	l := p.Lang
	states := p.TL.States(p.N)
	at := p.TL.At(p.N)
	spent := timeSpent(p.TL, p.N)
	total := 0.0
	for _, v := range spent {
		total += v
	}
	return el.Figure().Class("picture").Attr("data-diagram", "path").
		Attr("data-status", p.Status).Attr("data-outcome", p.Outcome).Body(
		el.SVG("svg").
			Attr("viewBox", "0 0 360 200").
			Attr("role", "img").
			Aria("labelledby", "picture-title picture-now").
			Class("picture-svg").
			Body(
				el.SVG("title").ID("picture-title").Text(l.T("picture.title")),
				el.SVG("defs").Body(
					el.SVG("marker").ID("arrow").Attr("viewBox", "0 0 10 10").Attr("refX", 9).Attr("refY", 5).
						Attr("markerWidth", 6).Attr("markerHeight", 6).Attr("orient", "auto-start-reverse").
						Body(el.SVG("path").Attr("d", "M0,0 L10,5 L0,10 z").Class("arrow-head")),
				),
				app.Range(places).Slice(func(i int) app.UI { return p.renderPlace(i, spent[places[i].id], total) }),
				arrow("out", 88, 204, outY), arrow("out", 284, 296, outY),
				arrow("back", 296, 284, backY), arrow("back", 204, 88, backY),
				app.Range(stage.Table).Slice(func(i int) app.UI {
					id := stage.Table[i].ID
					return p.renderDot(id, states[id].State)
				}),
				p.renderToken(at),
				p.renderOutcome(),
			),
		el.FigCaption().ID("picture-now").Class("picture-now").Attr("data-field", "now").Text(p.caption(at, states)),
	)
}

// renderPlace draws one place with its name and the time the run spent there.
func (p *Picture) renderPlace(i int, spent, total float64) app.UI {
	l := p.Lang
	pl := places[i]
	box := el.SVG("rect").Class("place-box").Attr("x", pl.x).Attr("y", 30).Attr("width", pl.w).Attr("height", 140).Attr("rx", 10)
	if pl.id == stage.AtNetwork {
		box = box.Attr("y", 50).Attr("height", 100).Attr("rx", 40)
	}
	if pl.id == stage.AtDatabase {
		box = el.SVG("path").Class("place-box").
			Attr("d", "M296,62 a30,9 0 0,0 60,0 v78 a30,9 0 0,1 -60,0 z M296,62 a30,9 0 0,1 60,0")
	}
	sub := l.T(pl.sub)
	if pl.id == stage.AtNetwork && p.Network != "" {
		sub = l.T("place.network-simulated." + p.Network)
	}
	cx := pl.x + pl.w/2
	share := 0.0
	if total > 0 {
		share = spent / total
	}
	g := el.SVG("g").Class("place place-"+string(pl.id)).Attr("data-node", string(pl.id))
	body := []app.UI{
		el.SVG("title").Text(l.T(pl.key) + ": " + sub),
		box,
		el.SVG("text").Class("place-name").Attr("x", cx).Attr("y", 18).Attr("text-anchor", "middle").Text(l.T(pl.key)),
		el.SVG("text").Class("place-sub").Attr("x", cx).Attr("y", 186).Attr("text-anchor", "middle").Text(sub),
	}
	if spent > 0 {
		// Where the time goes: a bar under the place, as long as its share
		// of the run, and the time measured there.
		body = append(body,
			el.SVG("rect").Class("place-share").Attr("x", pl.x).Attr("y", 192).Attr("height", 5).Attr("rx", 2).
				Attr("width", strconv.FormatFloat(max(1.5, pl.w*share), 'f', 1, 64)),
			el.SVG("text").Class("place-time").Attr("x", cx).Attr("y", 162).Attr("text-anchor", "middle").
				Attr("data-field", "place-time").Text(l.Ms(spent)),
		)
	}
	g = g.Body(body...)
	return g
}

func arrow(leg string, x1, x2, y float64) app.UI {
	return el.SVG("line").Class("path-arrow path-"+leg).Attr("x1", x1).Attr("x2", x2).Attr("y1", y).Attr("y2", y).
		Attr("marker-end", "url(#arrow)")
}

// renderDot draws where one stage happens, in its state.
func (p *Picture) renderDot(id stage.ID, state stage.State) app.UI {
	if state == "" {
		state = stage.Idle
	}
	pt := spots[id]
	return el.SVG("circle").Class("dot").Attr("data-dot", string(id)).Attr("data-state", string(state)).
		Attr("cx", pt.x).Attr("cy", pt.y).Attr("r", 4.5).
		Body(el.SVG("title").Text(p.Lang.StageName(id) + ": " + p.Lang.T("state."+string(state))))
}

// renderToken draws the request, or the answer on its way back, on the stage
// it is on; it glides there in the time the run took to get there.
func (p *Picture) renderToken(at stage.ID) app.UI {
	pt, leg := spots[stage.Table[0].ID], stage.Out
	if info, ok := stage.Lookup(at); ok {
		pt, leg = spots[at], info.Leg
	}
	if p.Toward != "" {
		pt = spots[p.Toward]
	}
	glide := p.Glide
	return el.SVG("g").Class("token token-"+string(leg)).
		Attr("data-token", string(leg)).
		Attr("data-at", string(at)).
		Attr("aria-hidden", "true").
		Style("transform", "translate("+px(pt.x)+","+px(pt.y)+")").
		Style("transition-duration", strconv.FormatInt(glide.Milliseconds(), 10)+"ms").
		Body(
			el.SVG("circle").Class("token-halo").Attr("r", 10),
			el.SVG("circle").Class("token-core").Attr("r", 6),
		)
}

// renderOutcome draws how the run ended where its answer was made: on the
// server, its status code in a badge whose colour and mark say success (✓),
// the client's error (!) or the server's (✕); in the network, that no
// answer came. Nothing before the run has ended.
func (p *Picture) renderOutcome() app.UI {
	if p.Outcome == "" {
		return nil
	}
	l := p.Lang
	mark := map[string]string{"ok": "✓", "client-error": "!", "server-error": "✕", "failed": "✕"}[p.Outcome]
	label := mark + " " + p.Status
	x, w := 244.0, 46.0 // the server's middle
	if p.Outcome == "failed" {
		label, x, w = mark+" "+l.T("outcome.none"), 146, 84 // the network's
	}
	return el.SVG("g").Class("outcome outcome-"+p.Outcome).Attr("data-field", "outcome").Body(
		el.SVG("title").Text(l.Tf("outcome.title", p.Status, l.T("outcome."+p.Outcome))),
		el.SVG("rect").Class("outcome-box").Attr("x", x-w/2).Attr("y", 90).Attr("width", w).Attr("height", 22).Attr("rx", 5),
		el.SVG("text").Class("outcome-text").Attr("x", x).Attr("y", 105.5).Attr("text-anchor", "middle").Text(label),
	)
}

func px(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + "px" }

// caption says in words where the request is, so that the picture's state is
// also in text.
func (p *Picture) caption(at stage.ID, states map[stage.ID]timeline.Moment) string {
	l := p.Lang
	if at == "" {
		return l.T("picture.idle")
	}
	m := states[at]
	info, _ := stage.Lookup(at)
	return l.Tf("picture.now", l.T("place."+string(info.Place)), l.StageName(at), l.T("state."+string(m.State)))
}

// timeSpent is the time the run spent at each place once the first n moments
// have happened, on the run's one clock. The server's share is what it did
// before it began answering (its database's query aside); its answer then
// travels, so sending it counts with the wait and the download on the
// network.
func timeSpent(tl timeline.Timeline, n int) map[stage.Place]float64 {
	out := map[stage.Place]float64{}
	bars := map[stage.ID]timeline.Bar{}
	for _, b := range tl.BarsAt(n) {
		bars[b.Stage] = b
	}
	if r, ok := bars[stage.Receive]; ok {
		answering := tl.Now(n)
		if a, ok := bars[stage.Respond]; ok {
			answering = a.Start
		}
		out[stage.AtServer] = max(0, answering-r.Start-bars[stage.DB].Dur)
	}
	for _, s := range stage.Table {
		switch s.ID {
		case stage.Receive, stage.Route, stage.Respond:
			// counted above, as the server's span
		case stage.Wait:
			out[stage.AtNetwork] += max(0, bars[s.ID].Dur-out[stage.AtServer]-bars[stage.DB].Dur)
		default:
			out[s.Place] += bars[s.ID].Dur
		}
	}
	// The browser's share is the rest of the run's time so far: its own
	// stages and what it did between them, so that the four add up to the
	// run's one total.
	if len(bars) > 0 {
		others := out[stage.AtNetwork] + out[stage.AtServer] + out[stage.AtDatabase]
		out[stage.AtBrowser] = max(0, tl.Now(n)-others)
	}
	return out
}
