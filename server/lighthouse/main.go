// Command lighthouse audits the lab's pages with Lighthouse, as a student's
// phone would load them (Lighthouse's mobile defaults: a slow 4G and a slowed
// processor): the lab, every lesson, an embedded lesson and the page of a run
// it makes first. It prints each page's median performance score, total
// blocking time, largest paint and layout shift beside the targets. It starts the built server itself on a loopback
// port, with a database of its own, and stops it at the end.
//
//	go run ./server/lighthouse -bin bin/reqlab -lighthouse build/lighthouse/node_modules/.bin/lighthouse
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"reqlab/app/lesson"
)

// The targets (issue 22), on every page a student opens: the lab, each
// lesson, an embedded lesson and a stored run's page.
const (
	minScore = 95
	maxCLS   = 0.02
)

// pages are the pages audited; a stored run's page is added once a run is
// made.
func pages() []string {
	p := []string{"/"}
	for _, slug := range lesson.Slugs() {
		p = append(p, "/lab/"+slug)
	}
	return append(p, "/embed/cookies")
}

func main() {
	bin := flag.String("bin", "bin/reqlab", "the lab's server binary")
	lh := flag.String("lighthouse", "lighthouse", "the lighthouse command")
	runs := flag.Int("runs", 3, "audits per page; the median is printed")
	only := flag.String("pages", "", "audit only these pages, comma-separated (runs for the run's page)")
	flag.Parse()
	if err := run(*bin, *lh, *runs, *only); err != nil {
		fmt.Fprintln(os.Stderr, "lighthouse:", err)
		os.Exit(1)
	}
}

func run(bin, lh string, runs int, only string) error {
	dir, err := os.MkdirTemp("", "reqlab-lighthouse")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	srv := exec.Command(bin)
	srv.Env = append(os.Environ(), "REQLAB_ADDR="+addr, "REQLAB_DB="+filepath.Join(dir, "lab.db"))
	if err := srv.Start(); err != nil {
		return fmt.Errorf("start the lab: %w", err)
	}
	defer srv.Process.Kill()
	base := "http://" + addr
	if err := waitHealthy(base); err != nil {
		return err
	}

	audited := pages()
	if only != "" {
		audited = strings.Split(only, ",")
	}
	if only == "" || slices.Contains(audited, "runs") {
		id, err := makeRun(base)
		if err != nil {
			return fmt.Errorf("make a run to audit its page: %w", err)
		}
		audited = append(slices.DeleteFunc(audited, func(p string) bool { return p == "runs" }), "/runs/"+id)
	}

	fmt.Printf("Lighthouse 12.2.3, mobile defaults (slow 4G, 4× slower CPU), median of %d\n", runs)
	fmt.Printf("%-24s %11s %7s %8s %9s %7s %9s\n", "page", "performance", "target", "TBT", "LCP", "CLS", "target")
	for _, p := range audited {
		var scores, shifts, lcps, tbts []float64
		for i := 0; i < runs; i++ {
			r, err := audit(lh, base+p, dir)
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			scores, shifts, lcps, tbts = append(scores, r.score), append(shifts, r.cls), append(lcps, r.lcp), append(tbts, r.tbt)
		}
		name := p
		if len(name) > 24 {
			name = name[:21] + "…"
		}
		fmt.Printf("%-24s %11.0f %7s %6.0fms %8.2fs %7.3f %9s\n", name, median(scores), fmt.Sprintf("≥ %d", minScore),
			median(tbts), median(lcps)/1000, median(shifts), fmt.Sprintf("≤ %.2f", maxCLS))
	}
	return nil
}

// makeRun sends the lab's first request from a real browser, as a student
// does, and returns the stored run's id.
func makeRun(base string) (string, error) {
	dir, err := os.MkdirTemp("", "reqlab-lighthouse-browser")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath("/usr/bin/chromium"), chromedp.UserDataDir(dir), chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true))
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil {
		return "", err
	}
	ctx, cancelTimeout := context.WithTimeout(ctx, time.Minute)
	defer cancelTimeout()
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible(`[data-action="send"]`),
		chromedp.Click(`[data-action="send"]`),
		chromedp.Poll[chromedp.Void](`document.querySelector('[data-lab]').dataset.runState === "done"`)); err != nil {
		return "", err
	}
	return chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-lab]').dataset.runId`))
}

type result struct{ score, cls, lcp, tbt float64 }

// audit runs Lighthouse once on url and reads its JSON report.
func audit(lh, url, dir string) (result, error) {
	out := filepath.Join(dir, "report.json")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, lh, url, "--quiet", "--output=json", "--output-path="+out,
		"--only-categories=performance", `--chrome-flags=--headless=new --no-sandbox --disable-gpu`)
	cmd.Env = append(os.Environ(), "CHROME_PATH=/usr/bin/chromium")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return result{}, fmt.Errorf("run lighthouse: %w", err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return result{}, err
	}
	var report struct {
		Categories struct {
			Performance struct {
				Score float64 `json:"score"`
			} `json:"performance"`
		} `json:"categories"`
		Audits map[string]struct {
			NumericValue float64 `json:"numericValue"`
		} `json:"audits"`
	}
	if err := json.Unmarshal(b, &report); err != nil {
		return result{}, fmt.Errorf("read the report: %w", err)
	}
	return result{
		score: report.Categories.Performance.Score * 100,
		cls:   report.Audits["cumulative-layout-shift"].NumericValue,
		lcp:   report.Audits["largest-contentful-paint"].NumericValue,
		tbt:   report.Audits["total-blocking-time"].NumericValue,
	}, nil
}

func median(v []float64) float64 {
	slices.Sort(v)
	return v[len(v)/2]
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitHealthy(base string) error {
	for i := 0; i < 100; i++ {
		if res, err := http.Get(base + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("the lab at %s did not become healthy", base)
}
