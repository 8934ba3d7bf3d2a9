package app_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// Each function links the SDK clients it uses and no others: what is linked is initialised at
// every cold start and shipped in every package (docs/benchmarks.md measures both).
func TestEachFunctionLinksOnlyItsClients(t *testing.T) {
	const sdk = "github.com/aws/aws-sdk-go-v2/"
	clients := []string{"service/dynamodb", "service/apigatewaymanagementapi", "service/ssm", "service/sns", "service/sts", "service/sso", "service/ssooidc", "config", "feature/ec2/imds"}
	for _, tc := range []struct {
		cmd   string
		links []string
	}{
		{"connect", []string{"service/dynamodb"}},
		// A multi-Region deployment's URLs are read from the game table: SSM's client took
		// about 7 ms of these two functions' every cold start (its schemas' init), one Region or
		// many.
		{"disconnect", []string{"service/dynamodb", "service/apigatewaymanagementapi"}},
		{"game", []string{"service/dynamodb", "service/apigatewaymanagementapi"}},
		{"presence", []string{"service/dynamodb", "service/sns"}},
	} {
		t.Run(tc.cmd, func(t *testing.T) {
			cmd := exec.Command("go", "list", "-deps", "-tags", "lambda.norpc", "../cmd/"+tc.cmd)
			cmd.Env = append(cmd.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list: %v", err)
			}
			deps := strings.Fields(string(out))
			for _, c := range clients {
				linked := slices.Contains(deps, sdk+c)
				if want := slices.Contains(tc.links, c); linked != want {
					t.Errorf("%s links %s: %v, want %v", tc.cmd, c, linked, want)
				}
			}
		})
	}
}
