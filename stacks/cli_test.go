package stacks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	stdflag "flag" // the package has a flag of its own (settings.go)
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
)

// cliRow is one documented settings combination as a deployer gives it to the CDK CLI: its
// -c settings, and the account and Region where the combination needs one (what the CLI would
// take from credentials; none leaves the stacks environment-agnostic, as `make synth` offline).
// The rest is the row's synth, done once per test run.
type cliRow struct {
	name string
	ctx  map[string]string
	env  map[string]string

	ran    sync.Once // the CLI, in the background on a full run (prefetchCLI)
	dir    string    // its cloud assembly
	out    []byte    // what make synth printed
	runErr error

	loaded  sync.Once // its assembly read, by a test: jsii calls stay in the tests' goroutine
	s       *synthesized
	loadErr error
}

// cliRows is every settings combination docs/deploy.md documents. Tests that read only
// templates and the manifest read them from these rows (cliSynth) rather than synthesize the
// combination again in process; the rows they read come first, to be ready sooner.
var cliRows = []*cliRow{
	{name: "two Regions", ctx: map[string]string{KeyRegions: "eu-west-1,eu-central-1"}, env: prodEnv},
	{name: "two Regions with a domain", ctx: map[string]string{
		KeyRegions: "eu-west-1,eu-central-1", KeyDomainName: "play.example.com", KeyHostedZoneId: "Z0123456789ABCDEFGHIJ",
	}, env: prodEnv},
	{name: "default"},
	{name: "prod", ctx: map[string]string{KeyEnv: "prod"}},
	{name: "own domain", ctx: map[string]string{KeyDomainName: "play.example.com", KeyHostedZoneId: "Z0123456789ABCDEFGHIJ"}},
	{name: "waf", ctx: map[string]string{KeyWaf: "true"}},
	{name: "cloudFront=false", ctx: map[string]string{KeyCloudFront: "false"}},
	// With an account, as `cdk deploy` synthesizes the defaults (the CLI always knows the
	// account then), and the one setting of one Region that needs it.
	{name: "tableKey", ctx: map[string]string{KeyTableKey: "true"}, env: prodEnv},
	{name: "pipeline", ctx: map[string]string{
		KeyPipeline: "true", KeyRepository: "acme/tictactoe",
		KeyConnectionArn: "arn:aws:codeconnections:eu-west-1:123456789012:connection/0a1b2c3d-1111-2222-3333-444455556666",
	}, env: prodEnv},
}

// Every documented combination synthesizes through the CDK CLI running cdk.json's app, with no
// AWS credentials, given an account only where it needs one, and writes no cdk.context.json:
// what a first deploy's synth does in a fresh account, and `make synth` with no account.
// A synth that needs a lookup fails here ("Need to perform AWS calls ..."). Every stack of
// every combination is cdk-nag clean, as the in-process combinations are.
func TestEveryCombinationSynthesizesOfflineThroughTheCLI(t *testing.T) {
	t.Parallel() // after the in-process tests, while a full run's rows synthesize beside them
	for _, row := range cliRows {
		t.Run(row.name, func(t *testing.T) {
			var artifacts map[string]stackArtifact
			dir := cliRun(t, row.name).dir
			if err := cdktest.Catch(func() { artifacts = stackArtifacts(cxapi.NewCloudAssembly(jsii.String(dir), nil)) }); err != nil {
				t.Fatalf("%s: reading the cloud assembly in %s: %v", row.name, dir, err)
			}
			if len(artifacts) == 0 {
				t.Errorf("%s: the CLI synthesized no stack", row.name)
			}
			for name, a := range artifacts {
				nagFindings(t, row.name+" "+name, a, regexp.MustCompile("AwsSolutions-|TicTacToe-"))
			}
		})
	}
}

// cliRun is a row, synthesized by the CLI once per test run.
func cliRun(t *testing.T, name string) *cliRow {
	t.Helper()
	var row *cliRow
	for _, r := range cliRows {
		if r.name == name {
			row = r
		}
	}
	if row == nil {
		t.Fatalf("no CLI row %q", name)
	}
	requireCLI(t)
	row.ran.Do(row.run)
	if row.runErr != nil {
		t.Fatalf("%s: %v", name, row.runErr)
	}
	return row
}

// cliSynth is a row's cloud assembly as the CLI wrote it: its templates and manifest, no Go
// constructs (s.d is nil).
func cliSynth(t *testing.T, name string) *synthesized {
	t.Helper()
	row := cliRun(t, name)
	row.loaded.Do(func() { row.s, row.loadErr = readCLIAssembly(row.dir) })
	if row.loadErr != nil {
		t.Fatalf("%s: reading the cloud assembly in %s: %v", name, row.dir, row.loadErr)
	}
	return row.s
}

// cliAvailable says what is missing to run the CDK CLI, if anything.
func cliAvailable() error {
	var missing []string
	if _, err := exec.LookPath("npx"); err != nil {
		missing = append(missing, "no npx on PATH (Node.js)")
	}
	if _, err := exec.LookPath("make"); err != nil {
		missing = append(missing, "no make on PATH")
	}
	if _, err := os.Stat("../node_modules/.bin/cdk"); err != nil {
		missing = append(missing, "no CDK CLI in node_modules (make deps)")
	}
	if len(missing) > 0 {
		return errors.New(strings.Join(missing, ", "))
	}
	return nil
}

// requireCLI stops the test when the CDK CLI cannot run: FAIL under CI=true, SKIP otherwise.
func requireCLI(t *testing.T) {
	t.Helper()
	if err := cliAvailable(); err == nil {
		return
	} else if os.Getenv("CI") == "true" {
		t.Fatalf("%v, and CI=true: failing", err)
	} else {
		t.Skipf("SKIPPING the CLI synth: %v", err)
	}
}

var (
	cliRoot   string             // the rows' assemblies and homes, made and removed by TestMain
	cliCtx    context.Context    // canceled when the tests are done: stops a prefetch still running
	cliCancel context.CancelFunc // for TestMain
	cliWG     sync.WaitGroup
)

// prefetchCLI synthesizes every row in the background, one at a time, when the run is the
// package's every test: each is another process, so it takes the core the in-process tests
// (one jsii runtime, one request at a time) leave. A run of chosen tests synthesizes the
// rows they read when they read them.
func prefetchCLI() {
	for _, name := range []string{"test.run", "test.skip", "test.list"} {
		if f := stdflag.Lookup(name); f != nil && f.Value.String() != "" {
			return
		}
	}
	if cliAvailable() != nil {
		return
	}
	cliWG.Add(1)
	go func() {
		defer cliWG.Done()
		for _, row := range cliRows {
			if cliCtx.Err() != nil {
				return
			}
			row.ran.Do(row.run)
		}
	}()
}

// run runs `cdk synth` from the repository root as `make synth` does, the row's settings as
// -c flags, into a directory of its own.
func (row *cliRow) run() {
	cliMu.Lock()
	defer cliMu.Unlock()
	row.runErr = func() error {
		// A deployer keeps the lookups an older deployment made (docs/deploy.md). Each is keyed
		// by its account and Region, so none answers a lookup for the rows' account, unless the
		// file holds that one's; and the CLI must not write to it.
		const contextFile = "../cdk.context.json"
		before, beforeErr := os.ReadFile(contextFile)
		if beforeErr == nil && bytes.Contains(before, []byte(prodEnv["CDK_DEFAULT_ACCOUNT"])) {
			return fmt.Errorf("cdk.context.json holds lookups for account %s, the one the rows give: they would answer the lookups this test proves synth never needs; move it away while the test runs", prodEnv["CDK_DEFAULT_ACCOUNT"])
		}
		dir, err := os.MkdirTemp(cliRoot, "assembly-")
		if err != nil {
			return err
		}
		home, err := os.MkdirTemp(cliRoot, "home-")
		if err != nil {
			return err
		}
		if err := seedAssets(dir); err != nil {
			return err
		}
		// `make synth`, as the docs tell a deployer: the pinned Node and CLI, the settings as
		// CDK_ARGS.
		cdkArgs := []string{"-o", dir}
		var keys []string
		for k := range row.ctx {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			cdkArgs = append(cdkArgs, "-c", k+"="+row.ctx[k])
		}
		args := []string{"-s", "synth", "CDK_ARGS=" + strings.Join(cdkArgs, " ")}
		cmd := exec.CommandContext(cliCtx, "make", args...)
		cmd.Dir = ".."
		env, err := cdktest.OfflineEnv(home, row.env)
		if err != nil {
			return err
		}
		for _, kv := range env {
			// Unsilenced, as a deployer's shell is: the quiet test sees what they would.
			if !strings.HasPrefix(kv, "JSII_SILENCE_") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		// Its own process group, so that a canceled synth stops the app and its builds too.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
		out, runErr := cmd.CombinedOutput()
		row.out = out
		failed := fmt.Sprintf("make %s: %v", strings.Join(args, " "), runErr)
		if after, afterErr := os.ReadFile(contextFile); (afterErr == nil) != (beforeErr == nil) || !bytes.Equal(before, after) {
			if beforeErr != nil {
				os.Remove(contextFile)
			} else {
				os.WriteFile(contextFile, before, 0o644)
			}
			return fmt.Errorf("the CLI wrote cdk.context.json (put back as it was): the synth looked something up (%s)\n%s", failed, cliLines(out))
		}
		if runErr != nil {
			return fmt.Errorf("%s\n%s", failed, cliLines(out))
		}
		row.dir = dir
		assetsMu.Lock()
		if assetsFrom == "" {
			assetsFrom = dir
		}
		assetsMu.Unlock()
		return nil
	}()
}

// cliMu runs one row at a time: the machine's other core is the in-process tests', and the rows
// share cdk.context.json's check.
var cliMu sync.Mutex

var (
	assetsMu   sync.Mutex
	assetsFrom string // the first finished row's assembly: its functions, built and staged
)

// seedAssets links the functions the first finished row built into dir. The CDK builds no
// asset whose directory (asset.<hash of its sources>) is there already, as on a second
// `cdk synth` into one cdk.out: the first row builds the functions through the CLI, the
// others skip five `go build`s each, a third of a row's time.
func seedAssets(dir string) error {
	assetsMu.Lock()
	from := assetsFrom
	assetsMu.Unlock()
	staged, err := filepath.Glob(filepath.Join(from, "asset.*"))
	if from == "" || err != nil {
		return err
	}
	for _, a := range staged {
		if !strings.HasSuffix(a, "-building") {
			if err := os.Symlink(a, filepath.Join(dir, filepath.Base(a))); err != nil {
				return err
			}
		}
	}
	return nil
}

// cliLines is the CLI's output without its progress lines: the app's and the CLI's errors.
func cliLines(out []byte) string {
	var keep []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if !strings.HasPrefix(l, "Bundling asset ") {
			keep = append(keep, "    "+l)
		}
	}
	return strings.Join(keep, "\n")
}

// readCLIAssembly reads the stacks of a cloud assembly the CLI wrote, nested ones too.
func readCLIAssembly(dir string) (*synthesized, error) {
	var s *synthesized
	err := cdktest.Catch(func() {
		asm := cxapi.NewCloudAssembly(jsii.String(dir), nil)
		s = &synthesized{templates: map[string]assertions.Template{}, artifacts: stackArtifacts(asm)}
		for _, st := range *asm.StacksRecursively() {
			tpl, _ := st.Template().(map[string]any)
			withoutCLIMetadata(tpl)
			s.templates[*st.StackName()] = assertions.Template_FromJSON(&tpl, nil)
		}
	})
	return s, err
}

// withoutCLIMetadata takes out of a template what only the CLI adds (the resources'
// construct paths and asset metadata, the CDK's version-reporting resource), so that checks
// read it as they read an in-process synth's: the two are then the same, byte for byte.
func withoutCLIMetadata(tpl map[string]any) {
	resources, _ := tpl["Resources"].(map[string]any)
	for id, r := range resources {
		r, _ := r.(map[string]any)
		if r["Type"] == "AWS::CDK::Metadata" {
			delete(resources, id)
			continue
		}
		md, _ := r["Metadata"].(map[string]any)
		for k := range md {
			if k == "aws:cdk:path" || strings.HasPrefix(k, "aws:asset:") {
				delete(md, k)
			}
		}
		if md != nil && len(md) == 0 {
			delete(r, "Metadata")
		}
	}
	if conditions, ok := tpl["Conditions"].(map[string]any); ok {
		delete(conditions, "CDKMetadataAvailable")
		if len(conditions) == 0 {
			delete(tpl, "Conditions")
		}
	}
}

// cliNoise is what a synth must not print: jsii's end-of-life box for an unsupported Node, a
// child's crash, the CLI asking for feature flags.
var cliNoise = []string{"end-of-life", "!!!!", "waitid", "exited abnormally", "feature flags are not configured"}

// Every row's `make synth` says it synthesized and nothing else worth a deployer's worry, and
// the assembly asks for no newer CLI than package.json pins.
func TestEveryCLISynthIsQuiet(t *testing.T) {
	requireCLI(t)
	pkg, err := os.ReadFile("../package.json")
	if err != nil {
		t.Fatal(err)
	}
	cli, err := CLIVersion(pkg)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range cliRows {
		cliSynth(t, row.name)
		text := string(row.out)
		if !strings.Contains(text, "Successfully synthesized") {
			t.Errorf("%s: make synth did not say it synthesized:\n%s", row.name, text)
		}
		for _, noise := range cliNoise {
			if strings.Contains(text, noise) {
				t.Errorf("%s: make synth printed %q:\n%s", row.name, noise, text)
			}
		}
		b, err := os.ReadFile(filepath.Join(row.dir, "manifest.json"))
		if err != nil {
			t.Fatalf("%s: the cloud assembly: %v", row.name, err)
		}
		var manifest struct {
			MinimumCliVersion string `json:"minimumCliVersion"`
		}
		if err := json.Unmarshal(b, &manifest); err != nil {
			t.Fatalf("%s: manifest.json: %v", row.name, err)
		}
		if manifest.MinimumCliVersion != "" && versionLess(cli, manifest.MinimumCliVersion) {
			t.Errorf("%s: package.json pins CLI %s; the library asks for %s or later", row.name, cli, manifest.MinimumCliVersion)
		}
	}
}

// versionLess compares two x.y.z versions by number.
func versionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, _ := strconv.Atoi(as[i])
		y, _ := strconv.Atoi(bs[i])
		if x != y {
			return x < y
		}
	}
	return len(as) < len(bs)
}
