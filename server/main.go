// Command reqlab serves the lab: its pages and wasm client, the websocket of
// run events, the runs API and the sample site the lab's requests travel to.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/net/netutil"

	"reqlab/app/wire"
	"reqlab/server/hub"
	"reqlab/server/limit"
	"reqlab/server/lti"
	"reqlab/server/postgres"
	"reqlab/server/runs"
	"reqlab/server/session"
	"reqlab/server/site"
	"reqlab/server/sqlite"
	"reqlab/server/store"
	"reqlab/web"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "reqlab:", err)
		os.Exit(1)
	}
}

// config is the server's settings: each a flag, whose default comes from an
// environment variable where it is set.
type config struct {
	addr           string
	dbPath         string
	webDir         string
	frameAncestors []string       // origins that may frame /embed/; none: any
	keepDays       int            // runs older are deleted; 0: kept for ever
	keepRuns       int            // at most this many runs are kept; 0: no limit
	keepPerSession int            // at most this many runs of one session are kept; 0: no limit
	keepBytes      int64          // the runs kept hold at most this many bytes; 0: no limit
	maxConns       int            // connections served at once; more wait to be accepted
	maxConnsPerIP  int            // websockets open from one address at once; 0: no limit
	readTimeout    time.Duration  // to read a request, its headers and its body
	runTimeout     time.Duration  // an open run that hears nothing for this long ends as interrupted
	trustedProxies []netip.Prefix // balancers whose X-Forwarded-For names the client
	ltiPlatforms   []lti.Platform // course platforms that launch the lab; none: no LTI
	ltiKeepDays    int            // launches (who, in which course) older are forgotten
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	var c config
	flags := flag.NewFlagSet("reqlab", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.StringVar(&c.addr, "addr", env("REQLAB_ADDR", ":8080"), "address to listen on (REQLAB_ADDR)")
	flags.StringVar(&c.dbPath, "db", env("REQLAB_DB", "reqlab.db"), "the store: a SQLite database file, created if missing, or a postgres:// URL, shared by several lab servers (REQLAB_DB)")
	flags.StringVar(&c.webDir, "web", env("REQLAB_WEB", ""), "serve the static files and app.wasm from this folder instead of the ones built in (REQLAB_WEB)")
	ancestors := flags.String("frame-ancestors", env("REQLAB_FRAME_ANCESTORS", ""),
		"space-separated origins that may embed /embed/ pages in a frame; empty: any (REQLAB_FRAME_ANCESTORS)")
	keepDays := flags.String("keep-days", env("REQLAB_KEEP_DAYS", "30"), "delete runs older than this many days, 0 for never (REQLAB_KEEP_DAYS)")
	keepRuns := flags.String("keep-runs", env("REQLAB_KEEP_RUNS", "100000"), "keep at most this many runs, the newest, 0 for no limit (REQLAB_KEEP_RUNS)")
	keepPerSession := flags.String("keep-session-runs", env("REQLAB_KEEP_SESSION_RUNS", "1000"),
		"keep at most this many runs of one browser, the newest, 0 for no limit (REQLAB_KEEP_SESSION_RUNS)")
	keepBytes := flags.String("keep-bytes", env("REQLAB_KEEP_BYTES", "4GB"),
		"keep the newest runs that hold at most this much (as 500MB or 4GB), 0 for no limit (REQLAB_KEEP_BYTES)")
	maxConns := flags.String("max-conns", env("REQLAB_MAX_CONNS", "10000"),
		"connections served at once, websockets included; more wait to be accepted (REQLAB_MAX_CONNS)")
	maxConnsPerIP := flags.String("max-conns-per-addr", env("REQLAB_MAX_CONNS_PER_ADDR", "256"),
		"websockets open at once from one client address (a class behind its school's shares one), 0 for no limit (REQLAB_MAX_CONNS_PER_ADDR)")
	readTimeout := flags.String("read-timeout", env("REQLAB_READ_TIMEOUT", "30s"),
		"time a client has to send a request, its headers and its body (REQLAB_READ_TIMEOUT)")
	runTimeout := flags.String("run-timeout", env("REQLAB_RUN_TIMEOUT", "60s"),
		"an open run that hears nothing from its page or its server for this long ends as interrupted, 60s at most (REQLAB_RUN_TIMEOUT)")
	platforms := flags.String("lti-platforms", env("REQLAB_LTI_PLATFORMS", ""),
		"JSON file of the course platforms that launch the lab by LTI 1.3; none: no LTI (REQLAB_LTI_PLATFORMS)")
	ltiKeepDays := flags.String("lti-keep-days", env("REQLAB_LTI_KEEP_DAYS", "180"),
		"forget launches (the platform's user id, name and roles, the course) after this many days (REQLAB_LTI_KEEP_DAYS)")
	proxies := flags.String("trusted-proxies", env("REQLAB_TRUSTED_PROXIES", ""),
		"addresses or CIDR ranges of the balancers in front of the lab, whose X-Forwarded-For names the client (REQLAB_TRUSTED_PROXIES)")
	if err := flags.Parse(args); err != nil {
		return config{}, err
	}
	if *platforms != "" {
		ps, err := lti.LoadPlatforms(*platforms)
		if err != nil {
			return config{}, fmt.Errorf("-lti-platforms: %w", err)
		}
		c.ltiPlatforms = ps
	}
	if d, err := strconv.Atoi(*ltiKeepDays); err != nil || d < 1 {
		return config{}, fmt.Errorf("-lti-keep-days: %q is not a number of days (1 at least)", *ltiKeepDays)
	} else {
		c.ltiKeepDays = d
	}
	if p, err := parsePrefixes(*proxies); err != nil {
		return config{}, fmt.Errorf("-trusted-proxies: %w", err)
	} else {
		c.trustedProxies = p
	}
	if n, err := strconv.Atoi(*maxConns); err != nil || n < 16 {
		return config{}, fmt.Errorf("-max-conns: %q is not a number of connections (16 at least)", *maxConns)
	} else {
		c.maxConns = n
	}
	if n, err := strconv.Atoi(*maxConnsPerIP); err != nil || n < 0 || n > 0 && n < 64 {
		return config{}, fmt.Errorf("-max-conns-per-addr: %q is not a number of connections (64 at least, or 0)", *maxConnsPerIP)
	} else {
		c.maxConnsPerIP = n
	}
	if d, err := time.ParseDuration(*readTimeout); err != nil || d < 100*time.Millisecond {
		return config{}, fmt.Errorf("-read-timeout: %q is not a duration such as 30s (100ms at least)", *readTimeout)
	} else {
		c.readTimeout = d
	}
	if d, err := time.ParseDuration(*runTimeout); err != nil || d < 100*time.Millisecond || d > time.Minute {
		return config{}, fmt.Errorf("-run-timeout: %q is not a duration from 100ms to 60s", *runTimeout)
	} else {
		c.runTimeout = d
	}
	var err error
	if c.keepDays, err = strconv.Atoi(*keepDays); err != nil || c.keepDays < 0 {
		return config{}, fmt.Errorf("-keep-days: %q is not a number of days", *keepDays)
	}
	if c.keepRuns, err = strconv.Atoi(*keepRuns); err != nil || c.keepRuns < 0 {
		return config{}, fmt.Errorf("-keep-runs: %q is not a number of runs", *keepRuns)
	}
	if c.keepPerSession, err = strconv.Atoi(*keepPerSession); err != nil || c.keepPerSession < 0 {
		return config{}, fmt.Errorf("-keep-session-runs: %q is not a number of runs", *keepPerSession)
	}
	if c.keepBytes, err = parseBytes(*keepBytes); err != nil || (c.keepBytes != 0 && c.keepBytes < store.MaxRunBytes) {
		return config{}, fmt.Errorf("-keep-bytes: %q is not a size such as 500MB or 4GB (one run's %d KB at least), or 0", *keepBytes, store.MaxRunBytes>>10)
	}
	for _, o := range strings.Fields(*ancestors) {
		origin, ok := parseOrigin(o)
		if !ok {
			return config{}, fmt.Errorf("-frame-ancestors: %q is not an origin such as https://campus.example.edu (a list of origins, separated by spaces, and nothing else: it goes into the pages' Content-Security-Policy)", o)
		}
		c.frameAncestors = append(c.frameAncestors, origin)
	}
	if flags.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %v", flags.Args())
	}
	return c, nil
}

// run starts the lab and serves it until ctx ends, then shuts down: the
// websockets close with a close frame, requests under way finish.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))

	files := fs.FS(web.Files)
	if cfg.webDir != "" {
		files = os.DirFS(cfg.webDir)
	}
	if len(cfg.frameAncestors) > 0 {
		// The platforms frame the lessons they launch.
		for _, o := range lti.Origins(cfg.ltiPlatforms) {
			if !slices.Contains(cfg.frameAncestors, o) {
				cfg.frameAncestors = append(cfg.frameAncestors, o)
			}
		}
	}
	pages, err := newPages(files, cfg.frameAncestors)
	if err != nil {
		return err
	}
	db, where, err := openStore(ctx, log, cfg.dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	prerenderRuns(db)

	shared := postgres.IsURL(cfg.dbPath)
	if !shared {
		// The one server is this one: what was open when it stopped was cut
		// off. (A shared store's runs go on through the other servers.)
		if n, err := db.MarkInterrupted(ctx, time.Now()); err != nil {
			return err
		} else if n > 0 {
			log.Info("runs cut off when the server last stopped", "runs", n)
		}
	}
	go prune(ctx, log, db, time.Duration(cfg.keepDays)*24*time.Hour, cfg.keepPerSession, cfg.keepRuns, cfg.keepBytes)
	go endSilentRuns(ctx, log, db, cfg.runTimeout)

	recorder := runs.NewRecorder(db, log)
	socket := &runs.Socket{Recorder: recorder, Log: log,
		// A student may open 30 runs at once, then 2 a second; one address
		// (a class behind its school's), 600 at once, then 60 a second; the
		// whole lab, 1,000 at once, then 200 a second.
		Runs: limit.New(limit.Rate{PerSecond: 2, Burst: 30}, limit.Rate{PerSecond: 60, Burst: 600}, limit.Rate{PerSecond: 200, Burst: 1000}),
		// A page sends a few reports a run and subscribes when it
		// reconnects: 20 a second, 100 at once, per student; 400 a second
		// from one address; 5,000 a second in all. An answer is a student
		// thinking: 1 a second, 10 at once.
		Messages: limit.New(limit.Rate{PerSecond: 20, Burst: 100}, limit.Rate{PerSecond: 400, Burst: 4000}, limit.Rate{PerSecond: 5000, Burst: 10000}),
		Answers:  limit.New(limit.Rate{PerSecond: 1, Burst: 10}, limit.Rate{PerSecond: 40, Burst: 400}, limit.Rate{PerSecond: 500, Burst: 1000})}
	key, err := db.Key(ctx, "session", 32)
	if err != nil {
		return err
	}
	sessions := session.New(key)
	var tool *lti.Tool
	if len(cfg.ltiPlatforms) > 0 {
		if tool, err = lti.New(ctx, db, sessions, cfg.ltiPlatforms, log, nil); err != nil {
			return err
		}
		go forgetLaunches(ctx, log, db, time.Duration(cfg.ltiKeepDays)*24*time.Hour)
		go tool.Grades.SendScores(ctx)
		socket.Completed = func(ctx context.Context, session, lesson string) {
			if _, err := tool.Grades.LessonDone(ctx, session, lesson); err != nil {
				log.Error("LTI grades: keep a score", "err", err)
			}
		}
	}
	h := hub.New(log, socket, wire.MaxMessageBytes)
	h.Sessions = sessions
	h.MaxPerAddr = cfg.maxConnsPerIP
	// New sessions, per address: 120 at once (a class arriving together,
	// three times over), then one each 6 s. A mint is an HMAC: no limit
	// for the whole lab.
	h.Mints = limit.New(limit.Rate{}, limit.Rate{PerSecond: 1.0 / 6, Burst: 120}, limit.Rate{PerSecond: 1e6, Burst: 1e6})
	socket.Hub = h
	recorder.SetPublisher(h)
	if shared, ok := db.(store.Shared); ok {
		// What the other servers store reaches this one's followers.
		go func() {
			if err := shared.Listen(ctx, recorder.Notifications(ctx), recorder.CatchUp); err != nil {
				log.Error("listen for other servers' events", "err", err)
			}
		}()
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	maxConns := connectionCap(cfg.maxConns, log)
	// Past the cap, a new connection waits to be accepted rather than take a
	// file descriptor the lab's own database and websockets need.
	ln = netutil.LimitListener(ln, maxConns)
	srv := &http.Server{
		Handler:           behindProxies(cfg.trustedProxies, NewServer(log, db, h, sessions, site.New(db, recorder, log), pages, cfg.frameAncestors, tool)),
		ConnState:         site.ConnState,
		ConnContext:       site.ConnContext,
		ReadHeaderTimeout: 10 * time.Second,
		// A request's body, too, must arrive in time: a client trickling
		// it a byte at a time holds a connection for this long at most.
		// (A websocket's own reading has no deadline: gorilla clears it
		// once upgraded.)
		ReadTimeout:    cfg.readTimeout,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: maxHeaderBytes,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(site.Listen(ln)) }()

	fmt.Fprintf(stdout, "reqlab listening on http://%s (database %s)\n", displayAddr(ln.Addr()), where)

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = errors.Join(h.Shutdown(shutdownCtx), srv.Shutdown(shutdownCtx))
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// maxHeaderBytes bounds a request's line and headers as the server reads
// them: the sample site refuses past 8 KB itself (431), with its own page;
// past this the server does, before anything is kept.
const maxHeaderBytes = 64 << 10

// connectionCap is the number of connections served at once: want, or fewer
// where the process may not open that many files (leaving room for the
// database and the logs).
func connectionCap(want int, log *slog.Logger) int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < uint64(want)+128 && lim.Cur > 256 {
		capped := int(lim.Cur) - 128
		log.Warn("fewer connections than asked: the process may open only so many files", "max_conns", capped, "asked", want, "nofile", lim.Cur)
		return capped
	}
	return want
}

// openStore opens the store dsn names: a postgres:// URL, PostgreSQL;
// anything else, a SQLite file. It also returns where the store is, to say
// so (a URL without its password).
func openStore(ctx context.Context, log *slog.Logger, dsn string) (store.Store, string, error) {
	if postgres.IsURL(dsn) {
		db, err := postgres.Open(ctx, dsn)
		if err != nil {
			return nil, "", err
		}
		db.Log = log
		where := dsn
		if u, err := url.Parse(dsn); err == nil {
			where = u.Redacted()
		}
		return db, where, nil
	}
	db, err := sqlite.Open(ctx, dsn)
	if err != nil {
		return nil, "", err
	}
	abs, _ := filepath.Abs(dsn)
	return db, abs, nil
}

// parseBytes reads a size: a number of bytes, or of KB, MB or GB (of 1,024).
func parseBytes(s string) (int64, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	unit := int64(1)
	for _, u := range []struct {
		suffix string
		n      int64
	}{{"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"B", 1}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			s, unit = strings.TrimSpace(n), u.n
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/unit {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	return n * unit, nil
}

// parseOrigin returns o as an origin for CSP's frame-ancestors — http or
// https, a host name (its first label may be *, as CSP allows) or an IP
// address, and a port — and false for anything else: whatever is taken goes
// into a header, where a ";" or a "," would start another directive or
// policy.
func parseOrigin(o string) (string, bool) {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(o, "#") {
		return "", false
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || port[0] == '0' {
			return "", false
		}
	}
	host := u.Hostname()
	if strings.HasPrefix(u.Host, "[") {
		if a, err := netip.ParseAddr(host); err != nil || !a.Is6() {
			return "", false
		}
		return u.Scheme + "://" + u.Host, true
	}
	labels := strings.Split(host, ".")
	for i, label := range labels {
		if i == 0 && label == "*" && len(labels) > 1 {
			continue
		}
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", false
		}
		for _, r := range label {
			if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-') {
				return "", false
			}
		}
	}
	return u.Scheme + "://" + u.Host, true
}

// endSilentRuns ends as interrupted, until ctx ends, every open run that
// has heard nothing (no batch from its page or its server) for timeout: its
// page was closed, or the server recording it went away. It looks six times
// a timeout, for runs silent for five sixths of it, so that none stays open
// longer than timeout after its last word. On a shared store every server
// does so; the update is the same whoever makes it.
func endSilentRuns(ctx context.Context, log *slog.Logger, db store.Upkeep, timeout time.Duration) {
	t := time.NewTicker(timeout / 6)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := db.MarkInterrupted(ctx, time.Now().Add(-timeout*5/6)); err != nil && ctx.Err() == nil {
			log.Error("end silent runs", "err", err)
		} else if n > 0 {
			log.Info("runs that heard nothing, ended as interrupted", "runs", n, "after", timeout)
		}
	}
}

// prune keeps the store bounded: at start and then every hour it deletes
// the runs past their age or past the counts kept, and every minute those
// past the bytes kept (fat runs fill a store faster than many), until ctx
// ends. On a shared store its Prune runs on one server at a time.
func prune(ctx context.Context, log *slog.Logger, db store.Upkeep, maxAge time.Duration, perSession, maxRuns int, maxBytes int64) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	var full time.Time // when all the limits were last applied
	for {
		var n int64
		var err error
		switch {
		case time.Since(full) >= time.Hour:
			full = time.Now()
			if maxAge != 0 || perSession != 0 || maxRuns != 0 || maxBytes != 0 {
				n, err = db.Prune(ctx, maxAge, perSession, maxRuns, maxBytes)
			}
		case maxBytes != 0:
			n, err = db.Prune(ctx, 0, 0, 0, maxBytes)
		}
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("prune runs", "err", err)
		case n > 0:
			log.Info("pruned old runs", "runs", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// forgetLaunches forgets, at start and then daily, the launches older than
// keep: who a platform's user was, in which course.
func forgetLaunches(ctx context.Context, log *slog.Logger, db store.Launches, keep time.Duration) {
	t := time.NewTicker(24 * time.Hour)
	defer t.Stop()
	for {
		if n, err := db.ForgetLaunches(ctx, time.Now().Add(-keep)); err != nil && ctx.Err() == nil {
			log.Error("forget old launches", "err", err)
		} else if n > 0 {
			log.Info("forgot old launches", "launches", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// displayAddr turns a listening address into one a browser can open.
func displayAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return fmt.Sprintf("localhost:%d", tcp.Port)
}
