package constructs

import (
	"debug/elf"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func TestGoFunctionBuildsAnArm64BootstrapWithStableHash(t *testing.T) {
	var keys []string
	for i := 0; i < 2; i++ {
		stack := newStack(t)
		fn := NewGoFunction(stack, jsii.String("Game"), &GoFunctionProps{Command: jsii.String("game")})
		tpl := assertions.Template_FromStack(stack, nil)
		code := props(only(t, tpl, "AWS::Lambda::Function"))["Code"].(map[string]any)
		key, _ := code["S3Key"].(string)
		if !strings.HasPrefix(key, *fn.AssetHash) {
			// CDK derives the staged hash from ours plus the bundling options.
			t.Logf("S3Key %s, source hash %s", key, *fn.AssetHash)
		}
		keys = append(keys, key)
		outdir := *awscdk.Stage_Of(stack).Outdir()
		bin := filepath.Join(outdir, "asset."+strings.TrimSuffix(key, ".zip"), "bootstrap")
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatalf("the asset has no Linux binary named bootstrap: %v", err)
		}
		if f.Machine != elf.EM_AARCH64 {
			t.Errorf("bootstrap is built for %v, want arm64", f.Machine)
		}
		f.Close()
	}
	if keys[0] != keys[1] {
		t.Errorf("two synths of unchanged code gave different assets: %s and %s", keys[0], keys[1])
	}
}
