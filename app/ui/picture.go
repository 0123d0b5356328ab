package ui

import (
	"strconv"
	"strings"
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
	// By is who answered (answeredBy): the badge goes where the answer
	// came from.
	By string
	// Live is set for a run sent from this page: its events come in
	// batches (the server's four at once), and the token visits each place
	// they tell of in turn, each for as long as it took and at least
	// visitMin, so that none is skipped. Run names the run.
	Live bool
	Run  string
	// Spent is where the run's time went, by place, where it is not what
	// its first N moments say (a live run's, see runView.spent).
	Spent map[stage.Place]float64

	ctx     app.Context // the picture's own, to step the token
	mounted bool
	visit   visitState
}

// pictureText is the picture's own wording, in both languages.
var pictureText = map[string]text{
	"picture.crossing.out":  {"Red — la petición viaja hacia el servidor", "Network — the request travels to the server"},
	"picture.crossing.back": {"Red — la respuesta viaja de vuelta a tu navegador", "Network — the answer travels back to your browser"},
	"outcome.by.browser":    {"respondió la caché de tu navegador; el servidor no la vio", "your browser's cache answered; the server never saw it"},
	"outcome.by.proxy":      {"respondió un proxy delante del servidor; el servidor no la vio", "a proxy in front of the server answered; the server never saw it"},
}

// Who answered a run: the lab's server, the browser's own cache, or
// something between them (a proxy).
const (
	byServer  = "server"
	byBrowser = "browser"
	byProxy   = "proxy"
)

// answeredBy says who answered a stored run: the browser's cache where its
// cache stage says so, a proxy where the browser went to the network and an
// answer came that the server never received (proxyAnswered), else the
// server.
func answeredBy(run stage.Run) string {
	if c, ok := finals(run)[stage.Cache]; ok && c.Detail.Reason == stage.ReasonCacheHit {
		return byBrowser
	}
	if proxyAnswered(run) {
		return byProxy
	}
	return byServer
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

// spotsOf places each stage of a table: on its place's arrow for its leg,
// spaced in path order — left to right on the way out, right to left on the
// way back. A place with a single stage (the database) has it in its middle.
func spotsOf(table []stage.Info) map[stage.ID]point {
	out := make(map[stage.ID]point, len(table))
	for _, pl := range places {
		var legs = map[stage.Leg][]stage.ID{}
		n := 0
		for _, s := range table {
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
}

// Render draws the picture and, beside it, the same in words.
func (p *Picture) Render() app.UI {
	l := p.Lang
	states := p.TL.States(p.N)
	at := p.where()
	spent := p.Spent
	if spent == nil {
		spent = p.TL.Spent(p.N)
	}
	total := 0.0
	for _, v := range spent {
		total += v
	}
	return el.Figure().Class("picture").Attr("data-diagram", "path").
		Attr("data-status", p.Status).Attr("data-outcome", p.Outcome).Body(
		el.SVG("svg").
			// One drawing, two layouts, chosen by the picture's width in
			// CSS alike on the server's page and the client's (nothing
			// moves when the client takes over): side by side in the top
			// 360 × 200 where there is room; where there is not (a phone),
			// top to bottom in the left 250 × 360, so that its labels
			// read at 12 px or more. See narrow.
			Attr("viewBox", "0 0 360 360").
			Attr("preserveAspectRatio", "xMinYMin slice").
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
				el.SVG("g").Class("in-frame").Body(p.renderToken(at)),
				p.renderOutcome(),
			),
		el.FigCaption().ID("picture-now").Class("picture-now").Attr("data-field", "now").Text(p.caption(at, states)),
	)
}

// narrow is the picture's layout where it is narrow: the drawing turned
// top to bottom (each place a band, the request going down on the left and
// its answer coming up on the right) by mirroring it about its diagonal
// (CSS .in-frame: x' = y - frameShift, y' = x), and its labels, upright,
// in a column on the right of each band (CSS .moves: translated by --dx,
// --dy from where the side-by-side layout has them).
const (
	frameShift = 26.0  // the turned drawing's boxes start at x' = 4
	labelX     = 152.0 // the labels' column
)

// offset is the style that takes a label from (x, y) in the side-by-side
// layout to (nx, ny) in the narrow one.
func offset(x, y, nx, ny float64) string {
	return "--dx: " + px(nx-x) + "; --dy: " + px(ny-y)
}

// narrowAt returns where a place's labels go in the narrow layout: the
// name, the lines of its sub, its time and its share's bar, down its band.
func narrowAt(pl float64, subLines int) (name float64, sub []float64, time, share float64) {
	name = pl + 16
	y := name
	for i := 0; i < subLines; i++ {
		y += 14
		sub = append(sub, y)
	}
	time = y + 15
	return name, sub, time, time + 6
}

// splitSub breaks a long sub label in two where the narrow layout's column
// has no room for it in one: before its parenthesis.
func splitSub(s string) []string {
	if i := strings.Index(s, " ("); i > 0 && len([]rune(s)) > 16 {
		return []string{s[:i], s[i+1:]}
	}
	return []string{s}
}

// renderPlace draws one place with its name and the time the run spent there.
func (p *Picture) renderPlace(i int, spent, total float64) app.UI {
	l := p.Lang
	pl := places[i]
	box := el.SVG("rect").Class("place-box in-frame").Attr("x", pl.x).Attr("y", 30).Attr("width", pl.w).Attr("height", 140).Attr("rx", 10)
	if pl.id == stage.AtNetwork {
		box = box.Attr("y", 50).Attr("height", 100).Attr("rx", 40)
	}
	if pl.id == stage.AtDatabase {
		box = el.SVG("path").Class("place-box in-frame").
			Attr("d", "M296,62 a30,9 0 0,0 60,0 v78 a30,9 0 0,1 -60,0 z M296,62 a30,9 0 0,1 60,0")
	}
	sub := l.T(pl.sub)
	if pl.id == stage.AtNetwork && p.Network != "" {
		sub = l.T("place.network-simulated." + p.Network)
	}
	lines := splitSub(sub)
	nName, nSub, nTime, nShare := narrowAt(pl.x, len(lines))
	cx := pl.x + pl.w/2
	share := 0.0
	if total > 0 {
		share = spent / total
	}
	label := func(class string, y, ny float64, text string) app.UI {
		x, anchor := cx, "middle"
		if pl.x+pl.w > 350 {
			// The last place's labels are wider than it: they end at its
			// right edge rather than past the drawing's.
			x, anchor = pl.x+pl.w, "end"
		}
		return el.SVG("text").Class(class+" moves").Attr("x", x).Attr("y", y).Attr("text-anchor", anchor).
			Attr("style", offset(x, y, labelX, ny)).Text(text)
	}
	g := el.SVG("g").Class("place place-"+string(pl.id)).Attr("data-node", string(pl.id))
	body := []app.UI{
		el.SVG("title").Text(l.T(pl.key) + ": " + sub),
		box,
		label("place-name", 18, nName, l.T(pl.key)),
	}
	if len(lines) == 1 {
		body = append(body, label("place-sub", 186, nSub[0], sub))
	} else {
		// Whole side by side; in two lines in the narrow layout's column.
		body = append(body, label("place-sub wide-only", 186, nSub[0], sub))
		for j, line := range lines {
			body = append(body, label("place-sub narrow-only", 186, nSub[j], line))
		}
	}
	if spent > 0 {
		// Where the time goes: a bar under the place, as long as its share
		// of the run, and the time measured there.
		body = append(body,
			el.SVG("rect").Class("place-share moves").Attr("x", pl.x).Attr("y", 192).Attr("height", 5).Attr("rx", 2).
				Attr("width", strconv.FormatFloat(max(1.5, pl.w*share), 'f', 1, 64)).
				Attr("style", offset(pl.x, 192, labelX, nShare)),
			el.SVG("text").Class("place-time moves").Attr("x", cx).Attr("y", 162).Attr("text-anchor", "middle").
				Attr("style", offset(cx, 162, labelX, nTime)).
				Attr("data-field", "place-time").Text(l.Ms(spent)),
		)
	}
	g = g.Body(body...)
	return g
}

func arrow(leg string, x1, x2, y float64) app.UI {
	return el.SVG("line").Class("path-arrow path-"+leg+" in-frame").Attr("x1", x1).Attr("x2", x2).Attr("y1", y).Attr("y2", y).
		Attr("marker-end", "url(#arrow)")
}

// renderDot draws where one stage happens, in its state.
func (p *Picture) renderDot(id stage.ID, state stage.State) app.UI {
	if state == "" {
		state = stage.Idle
	}
	pt := spots[id]
	return el.SVG("circle").Class("dot in-frame").Attr("data-dot", string(id)).Attr("data-state", string(state)).
		Attr("cx", pt.x).Attr("cy", pt.y).Attr("r", 4.5).
		Body(el.SVG("title").Text(p.Lang.StageName(id) + ": " + p.Lang.T("state."+string(state))))
}

// crossingSpot is where the token stands while it crosses the network: in
// the middle of the network's place.
var crossingSpot = point{146, (outY + backY) / 2}

// renderToken draws the request, or the answer on its way back, on the stage
// it is on (or crossing the network); it glides there in the time the run
// took to get there.
func (p *Picture) renderToken(at stop) app.UI {
	pt, leg := spots[stage.Table[0].ID], at.leg
	if at.at == timeline.Network {
		pt = crossingSpot
	} else if _, ok := stage.Lookup(stage.ID(at.at)); ok {
		pt = spots[stage.ID(at.at)]
	}
	switch p.Toward {
	case "":
	case stage.Wait:
		pt = crossingSpot // waiting is the request crossing the network
	default:
		pt = spots[p.Toward]
	}
	glide := p.Glide
	if p.Live {
		glide = min(glide, visitMin)
	}
	return el.SVG("g").Class("token token-"+string(leg)).
		Attr("data-token", string(leg)).
		Attr("data-at", at.at).
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
	title := l.Tf("outcome.title", p.Status, l.T("outcome."+p.Outcome))
	by := p.By
	if by == "" {
		by = byServer
	}
	// Where the answer came from: the server's middle, the browser's (its
	// cache answered) or the network's (a proxy did, or none came).
	x, w := 244.0, 46.0
	switch {
	case p.Outcome == "failed":
		label, x, w, by = mark+" "+l.T("outcome.none"), 146, 84, "none"
	case by == byBrowser:
		x = 46
	case by == byProxy:
		x = 146
	}
	if t, ok := pictureText["outcome.by."+by]; ok {
		title += "; " + t.in(l)
	}
	// In the narrow layout: in the middle of the same place's band.
	return el.SVG("g").Class("outcome outcome-"+p.Outcome+" moves").Attr("data-field", "outcome").
		Attr("data-answered-by", by).
		Attr("style", offset(x, 101, 101-frameShift, x)).Body(
		el.SVG("title").Text(title),
		el.SVG("rect").Class("outcome-box").Attr("x", x-w/2).Attr("y", 90).Attr("width", w).Attr("height", 22).Attr("rx", 5),
		el.SVG("text").Class("outcome-text").Attr("x", x).Attr("y", 105.5).Attr("text-anchor", "middle").Text(label),
	)
}

func px(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + "px" }

// caption says in words where the request is, so that the picture's state is
// also in text.
func (p *Picture) caption(at stop, states map[stage.ID]timeline.Moment) string {
	l := p.Lang
	switch at.at {
	case "":
		return l.T("picture.idle")
	case timeline.Network:
		return pictureText["picture.crossing."+string(at.leg)].in(l)
	}
	id := stage.ID(at.at)
	m := states[id]
	info, _ := stage.Lookup(id)
	return l.Tf("picture.now", l.T("place."+string(info.Place)), l.StageName(id), l.T("state."+string(m.State)))
}
