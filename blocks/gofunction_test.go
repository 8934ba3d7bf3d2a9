package blocks

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
)

// Two synths of unchanged code, in two apps writing to two directories, stage the same asset:
// a redeploy uploads nothing. The staged asset is the linux/arm64 bootstrap.
func TestGoFunctionStagesTheSameArm64BootstrapOnEverySynth(t *testing.T) {
	var keys []string
	for i := 0; i < 2; i++ {
		stack := newStack(t)
		NewGoFunction(stack, jsii.String("Game"), &GoFunctionProps{Command: jsii.String("game")})
		tpl := assertions.Template_FromStack(stack, nil)
		key, _ := cdktest.Props(cdktest.Only(t, tpl, "AWS::Lambda::Function"))["Code"].(map[string]any)["S3Key"].(string)
		keys = append(keys, key)
		bin := filepath.Join(*awscdk.Stage_Of(stack).Outdir(), "asset."+strings.TrimSuffix(key, ".zip"), "bootstrap")
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatalf("the staged asset has no Linux binary named bootstrap: %v", err)
		}
		if f.Machine != elf.EM_AARCH64 {
			t.Errorf("bootstrap is built for %v, want arm64", f.Machine)
		}
		f.Close()
	}
	if keys[0] == "" || keys[0] != keys[1] {
		t.Errorf("two synths of unchanged code staged different assets: %q and %q", keys[0], keys[1])
	}
}

func TestGoFunctionDefaults(t *testing.T) {
	stack := newStack(t)
	NewGoFunction(stack, jsii.String("Fn"), &GoFunctionProps{
		Command:     jsii.String("connect"),
		Environment: &map[string]*string{"LOG_LEVEL": jsii.String("debug")},
		Lifecycle:   Dev,
	})
	tpl := assertions.Template_FromStack(stack, nil)
	cdktest.Has(t, tpl, "AWS::Lambda::Function", map[string]any{
		"Runtime":       "provided.al2023",
		"Architectures": []string{"arm64"},
		"Handler":       "bootstrap",
		"MemorySize":    256,
		"Timeout":       10,
		"TracingConfig": map[string]any{"Mode": "PassThrough"},
		"LoggingConfig": obj(map[string]any{"LogFormat": "JSON", "LogGroup": assertions.Match_AnyValue()}),
		"Environment":   map[string]any{"Variables": map[string]any{"LOG_LEVEL": "debug"}},
	})
	// Dev: a month of logs, deleted with the stack.
	cdktest.HasResource(t, tpl, "AWS::Logs::LogGroup", map[string]any{
		"Properties":     map[string]any{"RetentionInDays": 30},
		"DeletionPolicy": "Delete",
	})
	// Its own least-privilege role: no managed policy such as AWSLambdaBasicExecutionRole.
	role := cdktest.Props(cdktest.Only(t, tpl, "AWS::IAM::Role"))
	if _, ok := role["ManagedPolicyArns"]; ok {
		t.Errorf("the role has managed policies: %v", role["ManagedPolicyArns"])
	}
	policies := cdktest.JSONOf(t, cdktest.Resources(t, tpl, "AWS::IAM::Policy"))
	for _, want := range []string{"logs:PutLogEvents", "xray:PutTraceSegments"} {
		if !strings.Contains(policies, want) {
			t.Errorf("the role cannot %s: %s", want, policies)
		}
	}
}

// Tracing: PassThrough by default (Lambda records only what a caller sampled, and the
// function's code what it samples), Active when asked (Lambda samples every function itself),
// each with the daemon's permission to write in a policy of its own; Disabled sets no mode and
// grants nothing; anything else fails synth saying what it takes.
func TestGoFunctionTracingModes(t *testing.T) {
	for _, tc := range []struct {
		tracing awslambda.Tracing
		mode    string // "" for none
	}{
		{"", "PassThrough"},
		{awslambda.Tracing_PASS_THROUGH, "PassThrough"},
		{awslambda.Tracing_ACTIVE, "Active"},
		{awslambda.Tracing_DISABLED, ""},
	} {
		t.Run(string(tc.tracing), func(t *testing.T) {
			stack := newStack(t)
			NewGoFunction(stack, jsii.String("Fn"), &GoFunctionProps{Command: jsii.String("connect"), Tracing: tc.tracing})
			tpl := assertions.Template_FromStack(stack, nil)
			fn := cdktest.Props(cdktest.Only(t, tpl, "AWS::Lambda::Function"))
			got := ""
			if c, ok := fn["TracingConfig"].(map[string]any); ok {
				got, _ = c["Mode"].(string)
			}
			if got != tc.mode {
				t.Errorf("TracingConfig.Mode %q, want %q", got, tc.mode)
			}
			policies := cdktest.Resources(t, tpl, "AWS::IAM::Policy")
			xrayPolicies := 0
			for id, p := range policies {
				if strings.Contains(cdktest.JSONOf(t, p), "xray:PutTraceSegments") {
					xrayPolicies++
					if !strings.HasPrefix(id, "FnTracing") {
						t.Errorf("X-Ray's permission is in %s, want the function's Tracing policy", id)
					}
				}
			}
			if want := map[bool]int{true: 1, false: 0}[tc.mode != ""]; xrayPolicies != want {
				t.Errorf("%d policies grant X-Ray's writes, want %d", xrayPolicies, want)
			}
		})
	}
	mustPanic(t, "Tracing \"Sometimes\" is not one of", func() {
		NewGoFunction(newStack(t), jsii.String("Fn"), &GoFunctionProps{Command: jsii.String("connect"), Tracing: "Sometimes"})
	})
}

func TestGoFunctionInProdKeepsLogsForAYear(t *testing.T) {
	stack := newStack(t)
	NewGoFunction(stack, jsii.String("Fn"), &GoFunctionProps{Command: jsii.String("connect")})
	tpl := assertions.Template_FromStack(stack, nil)
	cdktest.HasResource(t, tpl, "AWS::Logs::LogGroup", map[string]any{
		"Properties":     map[string]any{"RetentionInDays": 365},
		"DeletionPolicy": "Retain",
	})
}

func TestGoFunctionFailsSynthWithTheCompilerOutput(t *testing.T) {
	// In a process of its own: the jsii kernel that saw a bundling hook panic has been seen to
	// raise that failure again, much later, in another test's call (as a RangeError).
	if os.Getenv(brokenBuildChild) == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestGoFunctionFailsSynthWithTheCompilerOutput$", "-test.count=1")
		cmd.Env = append(os.Environ(), brokenBuildChild+"=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("the test in its own process: %v\n%s", err, cdktest.FirstLines(string(out), 40))
		}
		return
	}
	dir := t.TempDir()
	for name, body := range map[string]string{
		"go.mod":                    "module example.com/m\n\ngo 1.22\n",
		"lambda/cmd/broken/main.go": "package main\n\nfunc main() { undefinedThing() }\n",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// go list succeeds on code that does not compile, so the failure comes from the build,
	// through CDK's local bundling hook.
	mustPanic(t, "undefinedThing", func() {
		NewGoFunction(newStack(t), jsii.String("Broken"), &GoFunctionProps{Command: jsii.String("broken"), ModuleDir: jsii.String(dir)})
	})
}

// brokenBuildChild marks the process TestGoFunctionFailsSynthWithTheCompilerOutput runs in.
const brokenBuildChild = "TICTACTOE_BROKEN_BUILD_CHILD"

func TestGoFunctionRejectsBadCommands(t *testing.T) {
	for _, cmd := range []string{"", "../etc", "Game Room"} {
		mustPanic(t, "Command must name a directory", func() {
			NewGoFunction(newStack(t), jsii.String("Fn"), &GoFunctionProps{Command: jsii.String(cmd)})
		})
	}
	for _, rule := range []LoggedErrorRule{
		{LevelField: jsii.String("$.level")}, {LevelField: jsii.String("")}, {LevelField: jsii.String("log level")},
		{ErrorLevel: jsii.String("")}, {ErrorLevel: jsii.String(`ERR"OR`)}, {ErrorLevel: jsii.String("ERR*")},
	} {
		mustPanic(t, "LoggedErrors.", func() {
			NewGoFunction(newStack(t), jsii.String("Fn"), &GoFunctionProps{Command: jsii.String("game"), LoggedErrors: &rule})
		})
	}
}

// A source that is not there fails synth with an error that says what to change, as an error
// annotation: `cdk synth` prints it and stops, where a panic would end an app that does not
// recover in a Go stack trace. Nothing is built.
func TestGoFunctionWithoutItsSourceFailsSynth(t *testing.T) {
	module := t.TempDir()
	if err := os.WriteFile(filepath.Join(module, "go.mod"), []byte("module example.com/m\n\ngo 1.22\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, tt := range map[string]struct {
		props GoFunctionProps
		want  string
	}{
		"no module":    {GoFunctionProps{Command: jsii.String("game"), ModuleDir: jsii.String("/")}, "no go.mod in / or above"},
		"no command":   {GoFunctionProps{Command: jsii.String("missing"), ModuleDir: jsii.String(module)}, "no directory lambda/cmd/missing in the Go module at " + module},
		"commands dir": {GoFunctionProps{Command: jsii.String("game"), CommandsDir: jsii.String("cmd")}, "no directory cmd/game in the Go module at "},
	} {
		t.Run(name, func(t *testing.T) {
			stack := newStack(t)
			fn := NewGoFunction(stack, jsii.String("Fn"), &tt.props)
			errs := assertions.Annotations_FromStack(stack).FindError(jsii.String("/Test/Fn"), assertions.Match_AnyValue())
			if len(*errs) != 1 || !strings.Contains(cdktest.JSONOf(t, (*errs)[0].Entry.Data), tt.want) {
				t.Errorf("errors at /Test/Fn: %s; want one saying %q", cdktest.JSONOf(t, errs), tt.want)
			}
			if *fn.SourceHash != "" {
				t.Errorf("SourceHash %q of a function with no source", *fn.SourceHash)
			}
		})
	}
}
