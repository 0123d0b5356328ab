// Command lighthouse audits the lab's pages with Lighthouse, as a student's
// phone would load them (Lighthouse's mobile defaults: a slow 4G and a slowed
// processor), and prints each page's median performance score and layout
// shift beside its target. It starts the built server itself on a loopback
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
	"time"
)

// The targets (issue 11): on /, /lab/cache and /embed/cookies.
const (
	minScore = 90
	maxCLS   = 0.02
)

var pages = []string{"/", "/lab/cache", "/embed/cookies"}

func main() {
	bin := flag.String("bin", "bin/reqlab", "the lab's server binary")
	lh := flag.String("lighthouse", "lighthouse", "the lighthouse command")
	runs := flag.Int("runs", 3, "audits per page; the median is printed")
	flag.Parse()
	if err := run(*bin, *lh, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "lighthouse:", err)
		os.Exit(1)
	}
}

func run(bin, lh string, runs int) error {
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

	fmt.Printf("Lighthouse 12.2.3, mobile defaults (slow 4G, 4× slower CPU), median of %d\n", runs)
	fmt.Printf("%-16s %12s %12s %10s %10s %10s\n", "page", "performance", "target", "CLS", "target", "LCP")
	for _, p := range pages {
		var scores, shifts, lcps []float64
		for i := 0; i < runs; i++ {
			r, err := audit(lh, base+p, dir)
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			scores, shifts, lcps = append(scores, r.score), append(shifts, r.cls), append(lcps, r.lcp)
		}
		fmt.Printf("%-16s %12.0f %12s %10.3f %10s %9.1fs\n", p, median(scores), fmt.Sprintf("≥ %d", minScore),
			median(shifts), fmt.Sprintf("≤ %.2f", maxCLS), median(lcps)/1000)
	}
	return nil
}

type result struct{ score, cls, lcp float64 }

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
