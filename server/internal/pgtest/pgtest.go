// Package pgtest runs a PostgreSQL server of the tests' own: a cluster in a
// temporary directory, on a loopback port, started once per test binary and
// stopped when it ends; each test gets an empty database of its own.
//
// PostgreSQL comes from Debian's packages (/usr/lib/postgresql/*/bin; `make
// test` installs them as root). Its initdb refuses to run as root: as root
// the cluster belongs to the postgres user. Where PostgreSQL is missing the
// tests that need it are skipped, except when CI=true, where they fail.
package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

var (
	once    sync.Once
	cluster *Cluster
	failed  error
	dbs     atomic.Int64
)

// Cluster is a running PostgreSQL server.
type Cluster struct {
	Dir  string // its data directory, which also holds its socket
	Port int
	bin  string
	as   string // the user it runs as, "" for this process's
	// durable: PostgreSQL's default durability (every commit flushed to
	// disk); the tests' shared cluster runs without, for speed.
	durable bool
}

var (
	durableOnce    sync.Once
	durableCluster *Cluster
	durableFailed  error
)

// DurableCPU returns the processor time the Durable cluster's processes
// (the server and its backends, those running now) have used.
func DurableCPU() time.Duration {
	if durableCluster == nil {
		return 0
	}
	return durableCluster.CPU()
}

// CPU returns the processor time the cluster's processes running now (the
// postmaster and its children) have used, as /proc tells it.
func (c *Cluster) CPU() time.Duration {
	pidFile, err := os.ReadFile(filepath.Join(c.Dir, "postmaster.pid"))
	if err != nil {
		return 0
	}
	master, _, _ := strings.Cut(string(pidFile), "\n")
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var ticks int64
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		// pid (comm) state ppid … utime stime: fields 4, 14 and 15, counted
		// after the command's closing parenthesis.
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(string(b[i+1:]))
		pid := filepath.Base(filepath.Dir(f))
		if len(fields) < 13 || pid != master && fields[1] != master {
			continue
		}
		u, _ := strconv.ParseInt(fields[11], 10, 64)
		s, _ := strconv.ParseInt(fields[12], 10, 64)
		ticks += u + s
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}

// Durable creates an empty database on a cluster of the test binary's own
// that keeps PostgreSQL's default durability (fsync, synchronous_commit and
// full_page_writes on: a commit is on disk when it returns), as a production
// server does, for benchmarks; it returns its URL. Main stops the cluster.
func Durable(t testing.TB) string {
	t.Helper()
	Start(t) // skips or fails as the shared one would
	durableOnce.Do(func() { durableCluster, durableFailed = startWith(true) })
	if durableFailed != nil {
		t.Fatal(durableFailed)
	}
	return database(t, durableCluster)
}

// Private starts a cluster for t alone, which t may stop and start again
// (Pause, Resume); it is removed when t ends.
func Private(t testing.TB) *Cluster {
	t.Helper()
	Start(t) // skips or fails as the shared one would
	c, err := start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	return c
}

// Pause stops the server (its sessions cut, its data kept); Resume starts it
// again on the same port.
func (c *Cluster) Pause() error {
	if out, err := c.ctl("stop", "-m", "fast", "-w").CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, out)
	}
	return nil
}

func (c *Cluster) Resume() error {
	if out, err := c.ctl("-o", c.options(), "-l", filepath.Join(c.Dir, "log"), "-w", "-t", "60", "start").CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl start: %v: %s", err, out)
	}
	return waitReady(c)
}

func (c *Cluster) options() string {
	o := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=300", c.Port, c.Dir)
	if !c.durable {
		o += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	}
	return o
}

// URL returns the address of database name on the cluster.
func (c *Cluster) URL(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, name)
}

// Start returns the test binary's cluster, starting it the first time.
// Main must stop it: func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }.
func Start(t testing.TB) *Cluster {
	t.Helper()
	once.Do(func() { cluster, failed = start() })
	if failed != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is needed and CI=true: %v", failed)
		}
		t.Skipf("PostgreSQL is not available (%v); `make test` as root installs it", failed)
	}
	return cluster
}

// Database creates an empty database for t on the cluster and returns its
// URL; it is dropped when t ends.
func Database(t testing.TB) string {
	t.Helper()
	return database(t, Start(t))
}

func database(t testing.TB, c *Cluster) string {
	t.Helper()
	name := fmt.Sprintf("t%d_%d", os.Getpid(), dbs.Add(1))
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin, err := pgx.Connect(ctx, c.URL("postgres"))
		if err != nil {
			return
		}
		defer admin.Close(ctx)
		admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return c.URL(name)
}

// Main runs the tests and then stops the cluster, if one was started.
func Main(m *testing.M) int {
	code := m.Run()
	if cluster != nil {
		cluster.Stop()
	}
	if durableCluster != nil {
		durableCluster.Stop()
	}
	return code
}

// Stop stops the cluster at once and removes its files.
func (c *Cluster) Stop() {
	c.ctl("stop", "-m", "immediate").Run()
	os.RemoveAll(c.Dir)
}

// ctl runs pg_ctl on the cluster.
func (c *Cluster) ctl(args ...string) *exec.Cmd {
	return c.command(filepath.Join(c.bin, "pg_ctl"), append([]string{"-D", c.Dir}, args...)...)
}

func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	if c.as == "" {
		return exec.Command(name, args...)
	}
	quoted := make([]string, 0, len(args)+1)
	for _, a := range append([]string{name}, args...) {
		quoted = append(quoted, "'"+strings.ReplaceAll(a, "'", `'\''`)+"'")
	}
	return exec.Command("su", c.as, "-s", "/bin/sh", "-c", strings.Join(quoted, " "))
}

// Bin returns the directory of PostgreSQL's programs, the newest installed.
func Bin() (string, error) {
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(found) == 0 {
		if p, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p), nil
		}
		return "", fmt.Errorf("no initdb in /usr/lib/postgresql/*/bin or PATH")
	}
	sort.Slice(found, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(found[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(found[j]))))
		return vi > vj
	})
	return filepath.Dir(found[0]), nil
}

func start() (*Cluster, error) { return startWith(false) }

func startWith(durable bool) (*Cluster, error) {
	bin, err := Bin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "reqlab-pg-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, bin: bin, durable: durable}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root, and there is no postgres user to run PostgreSQL as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
		os.Chmod(dir, 0o700)
		c.as = "postgres"
	}
	if out, err := c.command(filepath.Join(bin, "initdb"), "-D", dir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	for try := 0; try < 5; try++ {
		c.Port = freePort()
		out, err := c.ctl("-o", c.options(), "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start").CombinedOutput()
		if err == nil {
			return c, waitReady(c)
		}
		if try == 4 {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pg_ctl start: %v: %s\n%s", err, out, log)
		}
	}
	panic("unreachable")
}

func waitReady(c *Cluster) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		conn, err := pgx.Connect(ctx, c.URL("postgres"))
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("PostgreSQL did not answer: %w", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 54329
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
