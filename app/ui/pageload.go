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
	start := p.Document.StartTime
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
	// It may scroll sideways in a narrow column: it takes the keyboard's
	// focus, so that the arrows scroll it.
	return el.Figure().Class("waterfall").Attr("data-field", "waterfall").Attr("tabindex", 0).Body(
		el.FigCaption().Text(l.T("page.waterfall")),
		app.If(p.FCP > 0, func() app.UI {
			return el.P().Attr("data-field", "fcp").Text(l.Tf("page.fcp", l.Ms(p.FCP-start)))
		}),
		el.P().Class("hint").Text(cookieNote),
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
					Attr("data-cache", r.t.FromCache()).Attr("data-start", fmt.Sprintf("%.1f", r.t.StartTime-start)).Body(
					app.Th().Scope("row").Body(el.Code().Text(r.name)),
					el.Td().Text(kindName(l, r.kind)),
					el.Td().Text(from+" · "+l.Tf("page.bytes", bytes)),
					el.Td().Text(l.Ms(r.t.StartTime-start)+" → "+l.Ms(r.t.ResponseEnd-start)),
					el.Td().Class("bar-cell").Body(
						el.Span().Class("bar").Aria("hidden", true).
							Style("margin-left", pct(r.t.StartTime-start)).
							Style("width", pct(max(r.t.ResponseEnd-r.t.StartTime, span/200))),
					),
				)
			})),
		),
	)
}

// kindName says what started a request, in l.
func kindName(l Lang, kind string) string {
	key := "page.kind." + strings.ToLower(kind)
	if _, ok := messages[key]; ok {
		return l.T(key)
	}
	return kind
}
