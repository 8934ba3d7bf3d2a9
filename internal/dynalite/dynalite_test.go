package dynalite

import (
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func start(t *testing.T) *Server {
	t.Helper()
	s, err := Start(context.Background(), Options{})
	if errors.Is(err, ErrNotInstalled) && os.Getenv("CI") != "true" {
		t.Skip("dynalite is not installed (make deps installs it)")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// A dynalite that dies says so; one that is stopped does not.
func TestDiedReportsOnlyAnUnaskedEnd(t *testing.T) {
	killed := start(t)
	died := killed.Died()
	if err := syscall.Kill(-killed.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case err, ok := <-died:
		if !ok || err == nil || !strings.Contains(err.Error(), "exited on its own") {
			t.Fatalf("died: %v (%v), want an error saying it exited on its own", err, ok)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no word of a killed dynalite within 10s")
	}

	stopped := start(t)
	died = stopped.Died()
	stopped.Stop()
	select {
	case err, ok := <-died:
		if ok {
			t.Fatalf("a stopped dynalite reported %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Died did not end after Stop")
	}
}
