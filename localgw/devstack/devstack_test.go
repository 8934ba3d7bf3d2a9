package devstack_test

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/serverless-tictactoe/tictactoe/internal/dynalite/dynalitetest"
	"github.com/serverless-tictactoe/tictactoe/localgw/devstack"
)

// Start refuses clearly what it cannot run with, before starting anything.
func TestStartRefuses(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tests := []struct {
		name string
		env  map[string]string
		o    devstack.Options
		want string
	}{
		{"no AWS environment", map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_REGION": ""}, devstack.Options{Addr: "127.0.0.1:0"}, "AWS_ACCESS_KEY_ID"},
		{"port in use", nil, devstack.Options{Addr: busy.Addr().String()}, "-addr"},
		{"DynamoDB unreachable", nil, devstack.Options{Addr: "127.0.0.1:0", DynamoDBEndpoint: "http://127.0.0.1:1"}, "creating the game table"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range devstack.LocalAWSEnv {
				t.Setenv(k, v)
			}
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			st, err := devstack.Start(context.Background(), tc.o)
			if err == nil {
				st.Stop(context.Background())
				t.Fatal("started, want an error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %s", err, tc.want)
			}
		})
	}
}

// A bad function setting stops Start with the variable's name.
func TestStartRefusesBadSetting(t *testing.T) {
	tb := dynalitetest.New(t)
	for k, v := range devstack.LocalAWSEnv {
		t.Setenv(k, v)
	}
	st, err := devstack.Start(context.Background(), devstack.Options{
		Addr:             "127.0.0.1:0",
		DynamoDBEndpoint: tb.Endpoint,
		TableName:        tb.Name,
		Getenv: func(k string) string {
			if k == "GRACE_PERIOD" {
				return "soon"
			}
			return ""
		},
	})
	if err == nil {
		st.Stop(context.Background())
		t.Fatal("started with GRACE_PERIOD=soon")
	}
	if !strings.Contains(err.Error(), "GRACE_PERIOD") {
		t.Fatalf("error %q does not name GRACE_PERIOD", err)
	}
}

// When dynalite dies under a running stack, the stack says so (make dev then stops with the
// error) rather than serving a game that can no longer read or write a room.
func TestStackReportsDynaliteDying(t *testing.T) {
	dynalitetest.New(t) // skips, or fails under CI, without dynalite
	for k, v := range devstack.LocalAWSEnv {
		t.Setenv(k, v)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	st, err := devstack.Start(context.Background(), devstack.Options{Addr: "127.0.0.1:0", DynalitePort: port})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Stop(context.Background()) })
	if out, err := exec.Command("pkill", "-KILL", "-f", "--", fmt.Sprintf("--port %d ", port)).CombinedOutput(); err != nil {
		t.Fatalf("killing dynalite: %v %s", err, out)
	}
	select {
	case err := <-st.Failed():
		if err == nil || !strings.Contains(err.Error(), "dynalite") || !strings.Contains(err.Error(), "start make dev again") {
			t.Fatalf("Failed: %v, want the dynalite's end and what to do", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stack said nothing of its dead dynalite within 10s")
	}
}
