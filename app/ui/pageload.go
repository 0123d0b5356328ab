package ui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"reqlab/app/lesson"
	"reqlab/app/timing"
	"reqlab/app/ui/el"
)

// hasPage reports whether a lesson loads a whole page.
func hasPage(ls *lesson.Lesson) bool {
	for _, s := range ls.Steps {
		if s.Page {
			return true
		}
	}
	return false
}

// renderPageLoad shows the sample site's page in a frame and, once loaded,
// the waterfall of its requests drawn from the browser's own timing entries.
func (c *LessonPanel) renderPageLoad() app.UI {
	l := c.Lang
	return el.Div().Class("page-load").Body(
		app.IFrame().ID("site-frame").Class("site-frame").Title(l.T("page.frame")).Src("about:blank").Attr("loading", "eager"),
		c.renderWaterfall(),
	)
}

// waterfallRow is one request of a page load.
type waterfallRow struct {
	name, kind string
	t          timing.Entry
}

func (c *LessonPanel) renderWaterfall() app.UI {
	p := c.Page
	if p == nil {
		return nil
	}
	l := c.Lang
	rows := []waterfallRow{{name: "/site/", kind: "navigation", t: p.Document}}
	for _, a := range p.Assets {
		rows = append(rows, waterfallRow{name: a.Name, kind: a.Initiator, t: a.Timing})
	}
	start := p.Document.StartTime // this load's own origin
	if p.Began > 0 {
		start = min(start, p.Began)
	}
	end := start
	for _, r := range rows {
		end = max(end, r.t.ResponseEnd)
	}
	span := max(end-start, 1)
	pct := func(v float64) string { return strconv.FormatFloat(max(0, v)*100/span, 'f', 2, 64) + "%" }
	cookies := p.Cookies
	cookieNote := l.T("page.no-cookies")
	if cookies != "" {
		cookieNote = l.Tf("page.cookies", cookies, len("Cookie: ")+len(cookies)+2)
	}
	// In a column too narrow for its table (a phone, the steps' column of a
	// laptop) each request is a block of its own (web/lab.css): nothing is
	// hidden sideways.
	return el.Figure().Class("waterfall").Attr("data-field", "waterfall").Body(
		el.FigCaption().Text(l.T("page.waterfall")),
		app.If(p.FCP > 0, func() app.UI {
			return el.P().Attr("data-field", "fcp").Attr("data-ms", fmt.Sprintf("%.1f", p.FCP-start)).Text(l.Tf("page.fcp", l.Ms(p.FCP-start)))
		}),
		app.If(p.DOMContentLoad > 0 && p.Load > 0, func() app.UI {
			return el.P().Attr("data-field", "page-events").Attr("data-dcl-ms", fmt.Sprintf("%.1f", p.DOMContentLoad-start)).
				Attr("data-load-ms", fmt.Sprintf("%.1f", p.Load-start)).
				Text(l.Tf("page.events", l.Ms(p.DOMContentLoad-start), l.Ms(p.Load-start)))
		}),
		el.P().Class("hint").Text(cookieNote),
		el.Ul().Class("waterfall-key").Body(
			el.Li().Body(el.Span().Class("swatch phase-before").Aria("hidden", true), app.Text(l.T("page.key-before"))),
			el.Li().Body(el.Span().Class("swatch phase-wait").Aria("hidden", true), app.Text(l.T("page.key-wait"))),
			el.Li().Body(el.Span().Class("swatch phase-download").Aria("hidden", true), app.Text(l.T("page.key-download"))),
			el.Li().Body(el.Span().Class("swatch mark-fcp").Aria("hidden", true), app.Text(l.T("page.key-fcp"))),
			el.Li().Body(el.Span().Class("swatch mark-load").Aria("hidden", true), app.Text(l.T("page.key-load"))),
		),
		el.Table().Body(
			el.THead().Body(el.Tr().Body(
				app.Th().Scope("col").Text(l.T("page.resource")),
				app.Th().Scope("col").Text(l.T("page.kind")),
				app.Th().Scope("col").Text(l.T("page.from")),
				app.Th().Scope("col").Text(l.T("page.when")),
				app.Th().Scope("col").Text(l.T("page.timeline")),
			)),
			el.TBody().Body(app.Range(rows).Slice(func(i int) app.UI {
				r := rows[i]
				from := l.T("page.network")
				if r.t.FromCache() {
					from = l.T("page.cache")
				}
				bytes := int64(r.t.TransferSize)
				return el.Tr().Attr("data-waterfall-row", i).Attr("data-kind", r.kind).Attr("data-name", r.name).
					Attr("data-cache", r.t.FromCache()).Attr("data-start", fmt.Sprintf("%.1f", r.t.StartTime-start)).
					Attr("data-end", fmt.Sprintf("%.1f", r.t.ResponseEnd-start)).Body(
					app.Th().Scope("row").Body(el.Code().Text(r.name)),
					el.Td().Text(kindName(l, r.kind)),
					el.Td().Text(from+" · "+l.Tf("page.bytes", bytes)),
					el.Td().Text(l.Ms(r.t.StartTime-start)+" → "+l.Ms(r.t.ResponseEnd-start)),
					el.Td().Class("bar-cell").Body(c.renderPhases(r.t, start, span, pct)),
				)
			})),
		),
	)
}

// renderPhases draws a request's bar on the load's axis in its phases:
// before the request went out (the cache, a connection), waiting for the
// first byte, and the download; the first paint and the load event are
// marked across every row.
func (c *LessonPanel) renderPhases(t timing.Entry, start, span float64, pct func(float64) string) app.UI {
	p := c.Page
	sent, first := t.RequestStart, t.ResponseStart
	if sent < t.StartTime || first < sent || t.FromCache() {
		sent, first = t.StartTime, t.StartTime // from the cache: nothing went out
	}
	width := func(from, to float64) string { return pct(max(to-from, 0)) }
	segs := []struct {
		class      string
		from, to   float64
		minVisible bool
	}{
		{"phase-before", t.StartTime, sent, false},
		{"phase-wait", sent, first, false},
		{"phase-download", first, max(t.ResponseEnd, first), true},
	}
	bar := el.Span().Class("phases").Aria("hidden", true).Style("margin-left", pct(t.StartTime-start))
	var parts []app.UI
	for _, s := range segs {
		w := width(s.from, s.to)
		if s.minVisible {
			w = pct(max(s.to-s.from, span/200))
		}
		parts = append(parts, el.Span().Class("phase "+s.class).Style("width", w))
	}
	marks := []app.UI{bar.Body(parts...)}
	if p.FCP > 0 {
		marks = append(marks, el.Span().Class("mark mark-fcp").Aria("hidden", true).Style("left", pct(p.FCP-start)))
	}
	if p.Load > 0 {
		marks = append(marks, el.Span().Class("mark mark-load").Aria("hidden", true).Style("left", pct(p.Load-start)))
	}
	return el.Div().Class("phases-track").Body(marks...)
}

// kindName says what started a request, in l.
func kindName(l Lang, kind string) string {
	key := "page.kind." + strings.ToLower(kind)
	if _, ok := messages[key]; ok {
		return l.T(key)
	}
	return kind
}
