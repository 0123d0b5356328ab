package main

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdpfetch "github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"

	"reqlab/app/stage"
)

// cutProxy stands between the browser and the lab like a network: it
// forwards every connection, and can cut the websockets in it, as a
// classroom's wifi does, while other requests go on.
type cutProxy struct {
	ln      net.Listener
	target  string
	mu      sync.Mutex
	sockets []net.Conn
	down    bool // websockets are refused: the network is out for them
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *cutProxy) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	first, err := br.Peek(8)
	if err != nil && len(first) == 0 {
		return
	}
	ws := bytes.HasPrefix(first, []byte("GET /ws"))
	p.mu.Lock()
	refused := ws && p.down
	p.mu.Unlock()
	if refused {
		return
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer up.Close()
	if ws {
		p.mu.Lock()
		p.sockets = append(p.sockets, c, up)
		p.mu.Unlock()
	}
	go io.Copy(up, br)
	io.Copy(c, up)
}

// cut closes every websocket going through, as a dropped network would,
// and refuses new ones until restore.
func (p *cutProxy) cut() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	n := len(p.sockets) / 2
	for _, c := range p.sockets {
		c.Close()
	}
	p.sockets = nil
	return n
}

// restore lets websockets through again.
func (p *cutProxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// TestBrowserResumesAfterTheSocketIsCutMidRun cuts the page's websocket while
// a run is under way (its fetch held in the browser until the socket is
// out, so that the server answers and records every stage unseen): the page
// reconnects on its own, asks for what it missed, delivers its report, and
// in the end shows every stage as the database holds it.
func TestBrowserResumesAfterTheSocketIsCutMidRun(t *testing.T) {
	l := startLab(t, nil)
	proxy := newCutProxy(t, strings.TrimPrefix(l.url, "http://"))
	url := "http://" + proxy.ln.Addr().String()
	ctx := newBrowser(t)
	openLab(t, ctx, url+"/")
	typeInto(t, ctx, `[data-field="url"]`, "/site/api/cursos")

	// The run's fetch waits in the browser (CDP Fetch) until the cut.
	paused := make(chan cdpfetch.RequestID, 1)
	chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*cdpfetch.EventRequestPaused); ok {
			select { // never block chromedp's event loop
			case paused <- e.RequestID:
			default:
			}
		}
	})
	if _, err := chromedp.Call(ctx, cdpfetch.Enable, cdpfetch.EnableParams{Patterns: []*cdpfetch.RequestPattern{{URLPattern: "*/site/api/cursos*"}}}); err != nil {
		t.Fatal(err)
	}
	before := clickToRun(t, ctx, `[data-action="send"]`)
	var held cdpfetch.RequestID
	select {
	case held = <-paused:
	case <-time.After(20 * time.Second):
		t.Fatal("the run's fetch never left")
	}
	if n := proxy.cut(); n == 0 {
		t.Fatal("no websocket to cut")
	}
	waitFor(t, ctx, "the page to see the cut", `document.querySelector('[data-socket]').dataset.socket === "closed"`)
	if _, err := chromedp.Call(ctx, cdpfetch.ContinueRequest, cdpfetch.ContinueRequestParams{RequestID: held}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, cdpfetch.Disable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	// The socket stays out while the server answers and records its stages
	// and while the browser would report its own: all of it goes by unseen.
	id := eval[string](t, ctx, runIDJS)
	deadline := time.Now().Add(15 * time.Second)
	for {
		var run stage.Run
		getJSON(t, l.url+"/api/runs/"+id, &run)
		if len(finalStates(run)) >= len(stage.ServerStages) && finalStates(run)[stage.Respond].State == stage.Done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the server never recorded its stages")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The server's stages all came while the socket was out.
	if st := eval[string](t, ctx, `document.querySelector('.stage[data-stage="respond"]').dataset.state`); st == "done" {
		t.Fatalf("the page saw respond %s while its socket was out", st)
	}
	time.Sleep(500 * time.Millisecond)
	proxy.restore()
	waitFor(t, ctx, "the page to reconnect", `document.querySelector('[data-socket]').dataset.socket === "open"`)

	run := waitRun(t, ctx, l, before)
	if run.State != stage.RunComplete {
		t.Fatalf("the run is %s after the cut, want complete", run.State)
	}
	final := finalStates(run)
	page := eval[[]pageStage](t, ctx, readDiagram)
	for _, p := range page {
		if want := final[stage.ID(p.Stage)].State; p.State != string(want) {
			t.Errorf("after the cut the page shows %s %s, the database %s", p.Stage, p.State, want)
		}
	}
	if len(page) != len(stage.All()) {
		t.Errorf("%d stages on the page", len(page))
	}
}
