// Package dynalite runs dynalite, the DynamoDB-compatible server from npm (pinned in
// package.json), as a child process: for `make dev` and for the tests that need a real
// DynamoDB wire protocol. It speaks DynamoDB's API but has no streams, no transactions and no
// TTL deletion, which the store is built not to need.
package dynalite

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Server is a running dynalite.
type Server struct {
	// Endpoint is the URL to give the SDK (BaseEndpoint or AWS_ENDPOINT_URL_DYNAMODB).
	Endpoint string
	cmd      *exec.Cmd
	done     chan error
	exited   chan struct{} // closed when the process has ended, for whatever reason
	exitErr  error         // how it ended; read after exited is closed
	stopping atomic.Bool
}

// Options configures Start.
type Options struct {
	// Port to listen on (loopback only). Default: a free port.
	Port int
	// Dir keeps the data on disk there; default: in memory, gone when the server stops.
	Dir string
	// Log receives dynalite's own output. Default: discarded.
	Log io.Writer
}

// ErrNotInstalled means node_modules has no dynalite: run `npm ci` (make does it).
var ErrNotInstalled = errors.New("dynalite is not installed: run `make deps` (npm ci) at the repository root")

// Bin finds node_modules/.bin/dynalite in the module root above the working directory.
func Bin() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding dynalite: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			bin := filepath.Join(dir, "node_modules", ".bin", "dynalite")
			if _, err := os.Stat(bin); err != nil {
				return "", ErrNotInstalled
			}
			return bin, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", ErrNotInstalled
		}
		dir = parent
	}
}

// Start launches dynalite and waits until it accepts connections. Stop it with Stop; it also
// dies with the parent process.
func Start(ctx context.Context, o Options) (*Server, error) {
	bin, err := Bin()
	if err != nil {
		return nil, err
	}
	port := o.Port
	if port == 0 {
		if port, err = freePort(); err != nil {
			return nil, err
		}
	}
	args := []string{"--host", "127.0.0.1", "--port", strconv.Itoa(port),
		// Tables are ACTIVE at once: tests and `make dev` start faster.
		"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"}
	if o.Dir != "" {
		args = append(args, "--path", o.Dir)
	}
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	out := o.Log
	if out == nil {
		out = io.Discard
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("dynalite: %w", err)
	}
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting dynalite: %w", err)
	}
	s := &Server{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, done: make(chan error, 1), exited: make(chan struct{})}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if strings.Contains(line, "listening") {
				close(ready)
			}
			fmt.Fprintln(out, line)
		}
		err := cmd.Wait()
		s.exitErr = err
		close(s.exited)
		s.done <- err
	}()
	select {
	case <-ready:
		return s, nil
	case err := <-s.done:
		return nil, fmt.Errorf("dynalite exited before listening on port %d: %v", port, err)
	case <-time.After(20 * time.Second):
		s.Stop()
		return nil, errors.New("dynalite did not start listening within 20s")
	case <-ctx.Done():
		s.Stop()
		return nil, ctx.Err()
	}
}

// Died delivers how the server ended when it ends without Stop (killed, crashed): the
// game's data is then unreachable, which a caller must not keep quiet about.
func (s *Server) Died() <-chan error {
	died := make(chan error, 1)
	go func() {
		<-s.exited
		if !s.stopping.Load() {
			died <- fmt.Errorf("dynalite on %s exited on its own (%v)", s.Endpoint, s.exitErr)
		}
		close(died)
	}()
	return died
}

// Stop ends the server and waits for it. Safe to call twice.
func (s *Server) Stop() {
	if s == nil || s.cmd.Process == nil {
		return
	}
	s.stopping.Store(true)
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM) // the group: npm shims may fork
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
	s.done <- nil // later Stops return at once
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
