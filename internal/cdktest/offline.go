package cdktest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// OfflineEnv is this process's environment with no way to an AWS account: no AWS or CDK
// variable, credential and config files that do not exist, no instance metadata, a HOME of
// its own (no ~/.aws, no ~/.cdk.json). Go and jsii keep the caches they have, which a new
// HOME would otherwise move. env is the account and Region the CLI would have taken from
// credentials; AWS_REGION too, since the CLI sets CDK_DEFAULT_REGION from it.
func OfflineEnv(home string, env map[string]string) ([]string, error) {
	goVars := []string{"GOENV", "GOPATH", "GOMODCACHE", "GOCACHE"}
	goenv, err := exec.Command("go", append([]string{"env"}, goVars...)...).Output()
	if err != nil {
		return nil, fmt.Errorf("go env: %w", err)
	}
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "CDK_") || k == "HOME" {
			continue
		}
		out = append(out, kv)
	}
	for i, v := range strings.Split(strings.TrimSpace(string(goenv)), "\n") {
		out = append(out, goVars[i]+"="+v)
	}
	if old := os.Getenv("HOME"); old != "" && os.Getenv("JSII_RUNTIME_PACKAGE_CACHE_ROOT") == "" {
		out = append(out, "JSII_RUNTIME_PACKAGE_CACHE_ROOT="+filepath.Join(old, ".cache", "aws", "jsii", "package-cache"))
	}
	out = append(out, "HOME="+home,
		"AWS_CONFIG_FILE="+filepath.Join(home, "no-aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "no-aws-credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"CDK_DISABLE_CLI_TELEMETRY=true",
		"npm_config_update_notifier=false", // a new HOME has no record of npm's last check
	)
	if a := env["CDK_DEFAULT_ACCOUNT"]; a != "" {
		r := env["CDK_DEFAULT_REGION"]
		out = append(out, "CDK_DEFAULT_ACCOUNT="+a, "CDK_DEFAULT_REGION="+r, "AWS_REGION="+r)
	}
	return out, nil
}
