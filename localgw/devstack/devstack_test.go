package devstack_test

import (
	"context"
	"net"
	"strings"
	"testing"

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
