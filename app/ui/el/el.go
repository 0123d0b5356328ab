// Package el makes the HTML elements the lab only fills, styles and listens
// to, as go-app's generic app.Elem.
//
// go-app gives every tag a type of its own with about a hundred methods, and
// the Go linker keeps all of them for each tag a program uses: thirty tags
// cost the wasm client some 0.35 MB. Elements built here share one type.
// Tags that need their own methods (input, button, a, select, option,
// textarea, iframe, label, th, details) keep go-app's constructors.
package el

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// Div is <div>.
func Div() app.HTMLElem { return app.Elem("div") }

// P is <p>.
func P() app.HTMLElem { return app.Elem("p") }

// Span is <span>.
func Span() app.HTMLElem { return app.Elem("span") }

// Code is <code>.
func Code() app.HTMLElem { return app.Elem("code") }

// Li is <li>.
func Li() app.HTMLElem { return app.Elem("li") }

// H1 is <h1>.
func H1() app.HTMLElem { return app.Elem("h1") }

// H2 is <h2>.
func H2() app.HTMLElem { return app.Elem("h2") }

// H3 is <h3>.
func H3() app.HTMLElem { return app.Elem("h3") }

// Section is <section>.
func Section() app.HTMLElem { return app.Elem("section") }

// Tr is <tr>.
func Tr() app.HTMLElem { return app.Elem("tr") }

// Ul is <ul>.
func Ul() app.HTMLElem { return app.Elem("ul") }

// Ol is <ol>.
func Ol() app.HTMLElem { return app.Elem("ol") }

// Pre is <pre>.
func Pre() app.HTMLElem { return app.Elem("pre") }

// Summary is <summary>.
func Summary() app.HTMLElem { return app.Elem("summary") }

// Figure is <figure>.
func Figure() app.HTMLElem { return app.Elem("figure") }

// FigCaption is <figcaption>.
func FigCaption() app.HTMLElem { return app.Elem("figcaption") }

// Table is <table>.
func Table() app.HTMLElem { return app.Elem("table") }

// THead is <thead>.
func THead() app.HTMLElem { return app.Elem("thead") }

// TBody is <tbody>.
func TBody() app.HTMLElem { return app.Elem("tbody") }

// Legend is <legend>.
func Legend() app.HTMLElem { return app.Elem("legend") }

// FieldSet is <fieldset>.
func FieldSet() app.HTMLElem { return app.Elem("fieldset") }

// Strong is <strong>.
func Strong() app.HTMLElem { return app.Elem("strong") }

// Nav is <nav>.
func Nav() app.HTMLElem { return app.Elem("nav") }

// Main is <main>.
func Main() app.HTMLElem { return app.Elem("main") }

// Header is <header>.
func Header() app.HTMLElem { return app.Elem("header") }

// Dt is <dt>.
func Dt() app.HTMLElem { return app.Elem("dt") }

// Dl is <dl>.
func Dl() app.HTMLElem { return app.Elem("dl") }

// Dd is <dd>.
func Dd() app.HTMLElem { return app.Elem("dd") }

// Td is <td>.
func Td() app.HTMLElem { return app.Elem("td") }

// Form is <form>.
func Form() app.HTMLElem { return app.Elem("form") }

// svgNS is the SVG namespace: go-app creates an element in it with
// createElementNS, as an SVG element must be.
const svgNS = "http://www.w3.org/2000/svg"

// SVG is an element of an SVG drawing, tag being its SVG name (svg, g,
// rect, circle, path, line, text, title…).
func SVG(tag string) app.HTMLElem { return app.Elem(tag).XMLNS(svgNS) }

// Bool is the value of a boolean attribute (checked, selected, disabled…),
// set with Attr. The server writes the attribute only where it is true: a
// browser reads its presence, so checked="false" is ticked and
// selected="false" picked (go-app leaves out an attribute whose value is "").
// The client sets the element's property either way, so that what the
// student changed follows the lab's state back.
func Bool(v bool) any {
	if v || app.IsClient {
		return v
	}
	return ""
}
