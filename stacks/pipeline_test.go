package stacks

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
)

// The pipeline's settings: a repository through a connection, Prod in a second account.
var pipelineContext = map[string]any{
	"pipeline": "true", "repository": "acme/tictactoe", "branch": "release",
	"connectionArn": "arn:aws:codeconnections:eu-west-1:123456789012:connection/0a1b2c3d-1111-2222-3333-444455556666",
	"prodAccount":   "210987654321", "alertEmail": "ops@example.com",
	"domainName": "play.example.com", "hostedZoneId": "Z0123456789ABCDEFGHIJ",
	"allowedOrigins": "https://play.example.com",
}

var (
	pipelineOnce sync.Once
	pipelineApp  *PipelineStack
	pipelineErr  error
	pipelineTpl  assertions.Template
	// pipelineArtifacts is every stack of the assembly, the stages' too, by stack name.
	pipelineArtifacts map[string]stackArtifact
)

// pipelineSynth is the app with the pipeline settings, synthesized once.
func pipelineSynth(t *testing.T) (*PipelineStack, assertions.Template) {
	t.Helper()
	pipelineOnce.Do(func() {
		pipelineErr = cdktest.Catch(func() {
			outdir, err := os.MkdirTemp("", "cdk.out-")
			if err != nil {
				panic(err)
			}
			outdirs = append(outdirs, outdir)
			all, err := cdkJSONContext()
			if err != nil {
				panic(err)
			}
			file := maps.Clone(all)
			maps.Copy(all, pipelineContext)
			app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir), Context: &all})
			cfg, err := FromContext(all, func(k string) string { return prodEnv[k] })
			if err != nil {
				panic(err)
			}
			cfg.ForgetFileSettings(file) // as main does: cdk.json's come from the commit
			pkg, err := os.ReadFile("../package.json")
			if err != nil {
				panic(err)
			}
			cli, err := CLIVersion(pkg)
			if err != nil {
				panic(err)
			}
			pipelineApp = NewPipelineStack(app, &PipelineStackProps{Config: cfg, CliVersion: cli})
			pipelineArtifacts = stackArtifacts(app.Synth(nil))
			pipelineTpl = assertions.Template_FromStack(pipelineApp.Stack, nil)
		})
	})
	if pipelineErr != nil {
		t.Fatalf("synthesizing the pipeline: %v", pipelineErr)
	}
	return pipelineApp, pipelineTpl
}

type pipelineAction struct {
	Name          string
	ActionTypeId  struct{ Category, Provider string }
	Configuration map[string]any
	RoleArn       any
	RunOrder      int
}

// stages is the pipeline's stages, by name, in order.
func stages(t *testing.T, tpl assertions.Template) ([]string, map[string][]pipelineAction) {
	var p struct {
		Stages []struct {
			Name    string
			Actions []pipelineAction
		}
	}
	cdktest.RoundTrip(t, cdktest.Props(cdktest.Only(t, tpl, "AWS::CodePipeline::Pipeline")), &p)
	var names []string
	by := map[string][]pipelineAction{}
	for _, s := range p.Stages {
		names = append(names, s.Name)
		by[s.Name] = s.Actions
	}
	return names, by
}

// The pipeline goes source, synth, self-update, assets, Dev and its smoke test, approval, Prod
// and its smoke test: each stage's actions in that order.
func TestPipelineStages(t *testing.T) {
	_, tpl := pipelineSynth(t)
	names, by := stages(t, tpl)
	if got := strings.Join(names, " "); got != "Source Build UpdatePipeline Assets Dev Prod" {
		t.Fatalf("stages %s", got)
	}
	src := by["Source"][0]
	if src.ActionTypeId.Provider != "CodeStarSourceConnection" || src.Configuration["FullRepositoryId"] != "acme/tictactoe" ||
		src.Configuration["BranchName"] != "release" || src.Configuration["ConnectionArn"] != pipelineContext["connectionArn"] {
		t.Errorf("source %+v", src)
	}
	for _, stage := range []string{"Dev", "Prod"} {
		acts := by[stage]
		last := acts[len(acts)-1]
		if last.Name != SmokeStepPrefix+stage || last.ActionTypeId.Provider != "CodeBuild" {
			t.Errorf("%s ends with %s (%s), want its smoke test", stage, last.Name, last.ActionTypeId.Provider)
		}
		if !strings.Contains(cdktest.JSONOf(t, last.Configuration["EnvironmentVariables"]), `SITE_URL`) ||
			!strings.Contains(cdktest.JSONOf(t, last.Configuration["EnvironmentVariables"]), `.SiteUrl}`) {
			t.Errorf("%s smoke test does not get the site from the Frontend stack's output: %v", stage, last.Configuration)
		}
		deploys := map[string]bool{}
		for _, a := range acts {
			if a.ActionTypeId.Provider == "CloudFormation" {
				if a.RunOrder >= last.RunOrder {
					t.Errorf("%s: %s runs at %d, not before the smoke test (%d)", stage, a.Name, a.RunOrder, last.RunOrder)
				}
				deploys[strings.TrimSuffix(strings.TrimSuffix(a.Name, ".Prepare"), ".Deploy")] = true
			}
		}
		d := pipelineApp.Dev
		if stage == "Prod" {
			d = pipelineApp.Prod
		}
		for _, st := range d.Stacks() {
			if !deploys[*st.StackName()] {
				t.Errorf("%s deploys no %s (deploys %v)", stage, *st.StackName(), deploys)
			}
		}
	}
	approve := by["Prod"][0]
	if approve.Name != ApprovalStepName || approve.ActionTypeId.Provider != "Manual" || approve.RunOrder != 1 {
		t.Errorf("Prod opens with %+v, want the manual approval", approve)
	}
	// Prod deploys through the second account's CDK deploy role.
	for _, a := range by["Prod"] {
		if a.ActionTypeId.Provider == "CloudFormation" && !strings.Contains(cdktest.JSONOf(t, a.RoleArn), ":iam::210987654321:role/cdk-") {
			t.Errorf("Prod action %s acts as %s, want the prod account's deploy role", a.Name, cdktest.JSONOf(t, a.RoleArn))
		}
	}
}

// The synth step installs the pinned toolchain, runs the tests that need no browser, and
// synthesizes with the settings the pipeline was made with; the smoke steps run make smoke.
func TestPipelineBuildSteps(t *testing.T) {
	_, tpl := pipelineSynth(t)
	projects := cdktest.Resources(t, tpl, "AWS::CodeBuild::Project")
	var synth, smoke string
	for _, p := range projects {
		// The buildspec (a JSON string) as its text, and the environment.
		var props struct {
			Source      struct{ BuildSpec string }
			Environment any
		}
		cdktest.RoundTrip(t, cdktest.Props(p), &props)
		var spec bytes.Buffer
		if err := json.Compact(&spec, []byte(props.Source.BuildSpec)); err != nil {
			t.Fatalf("buildspec: %v", err)
		}
		js := spec.String() + cdktest.JSONOf(t, props.Environment)
		switch {
		case strings.Contains(js, "make synth"):
			synth = js
		case strings.Contains(js, "make smoke"):
			smoke = js
		}
	}
	for _, want := range []string{`make check`, `n \"$(cat .node-version)\"`, `GOTOOLCHAIN`, `-c 'pipeline=true'`, `-c 'repository=acme/tictactoe'`, `-c 'prodAccount=210987654321'`, `-c 'domainName=play.example.com'`} {
		if !strings.Contains(synth, want) {
			t.Errorf("the synth step lacks %s", want)
		}
	}
	if strings.Contains(synth, `-c 'env=`) {
		t.Errorf("the synth step pins cdk.json's env instead of reading it from the commit")
	}
	if !strings.Contains(synth, `"runtime-versions":{"golang":"`+goRuntime+`"}`) {
		t.Errorf("the synth step does not select Go %s: the image's default cannot read go.mod", goRuntime)
	}
	if !strings.Contains(smoke, `make smoke SITE=\"$SITE_URL\" SMOKE_FLAGS=\"-wait 5m\"`) {
		t.Errorf("the smoke step does not run make smoke against SITE_URL: %s", cdktest.FirstLines(smoke, 3))
	}
	// Every build logs to the retained log group; the artifacts are under a rotated key.
	for id, p := range projects {
		if !strings.Contains(cdktest.JSONOf(t, cdktest.Props(p)["LogsConfig"]), "BuildLogs") {
			t.Errorf("project %s does not log to BuildLogs", id)
		}
		if cdktest.Props(p)["EncryptionKey"] == nil {
			t.Errorf("project %s has no encryption key", id)
		}
	}
	cdktest.HasResource(t, tpl, "AWS::Logs::LogGroup", map[string]any{"DeletionPolicy": "Retain", "Properties": map[string]any{"RetentionInDays": 365}})
	cdktest.Has(t, tpl, "AWS::KMS::Key", map[string]any{"EnableKeyRotation": true})
}

// The stages deploy the stacks `make deploy` makes, by the same names and logical IDs, so a
// pipeline takes over a deployment instead of making a second one: Dev without the domain
// (it names the Prod deployment), Prod with it.
func TestPipelineStagesAreTheDeployments(t *testing.T) {
	ps, _ := pipelineSynth(t)
	for _, tc := range []struct {
		d      *Deployment
		prefix string
		edge   bool
	}{{ps.Dev, "TicTacToe-Dev-", false}, {ps.Prod, "TicTacToe-Prod-", true}} {
		if (tc.d.Edge != nil) != tc.edge {
			t.Errorf("%s: Edge stack %v, want %v", tc.prefix, tc.d.Edge != nil, tc.edge)
		}
		for _, st := range tc.d.Stacks() {
			name := *st.StackName()
			short := strings.TrimPrefix(name, tc.prefix)
			if !strings.HasPrefix(name, tc.prefix) {
				t.Errorf("stack %s, want the prefix %s", name, tc.prefix)
			}
			tpl := assertions.Template_FromStack(st, nil)
			for id, typ := range statefulLogicalIDs[short] {
				if optionalLogicalIDs[id] {
					continue
				}
				if _, ok := cdktest.Resources(t, tpl, typ)[id]; !ok {
					t.Errorf("%s: the %s %s is not there: the pipeline would replace it", name, typ, id)
				}
			}
		}
	}
	if *ps.Prod.Data.Stack.Account() != "210987654321" || *ps.Dev.Data.Stack.Account() != "123456789012" {
		t.Errorf("accounts: Dev %s, Prod %s", *ps.Dev.Data.Stack.Account(), *ps.Prod.Data.Stack.Account())
	}
}

// The checks run over the pipeline stack, its cross-Region support stack and every stage.
func TestPipelineHasNoUnsuppressedNagFindings(t *testing.T) {
	ps, _ := pipelineSynth(t)
	checked := []awscdk.Stack{ps.Stack}
	for _, c := range *ps.Stack.Node().Scope().Node().Children() {
		if st, ok := c.(awscdk.Stack); ok && *awscdk.Stack_IsStack(c) && *st.StackName() != PipelineStackName {
			checked = append(checked, st)
		}
	}
	if len(checked) != 2 {
		t.Errorf("want the pipeline stack and one support stack (us-east-1, for Prod's Edge), got %d", len(checked))
	}
	checked = append(checked, ps.Dev.Stacks()...)
	checked = append(checked, ps.Prod.Stacks()...)
	rule := regexp.MustCompile("AwsSolutions-")
	for _, st := range checked {
		a, ok := pipelineArtifacts[*st.StackName()]
		if !ok {
			t.Errorf("%s is not in the cloud assembly", *st.StackName())
		}
		nagFindings(t, *st.StackName(), a, rule)
	}
}

// goRuntime, the Go the CodeBuild image selects, is go.mod's minor version.
func TestGoRuntimeIsGoMods(t *testing.T) {
	b, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)(\.\d+)?$`).FindSubmatch(b)
	if m == nil || string(m[1]) != goRuntime {
		t.Errorf("go.mod's go line %q, the pipeline selects Go %s", m, goRuntime)
	}
}

// The source action may use a connection of the codeconnections prefix (IAM matches the
// prefix of the resource); Dev keeps the same-site rule while Prod gets allowedOrigins.
func TestPipelineConnectionAndStageSettings(t *testing.T) {
	ps, tpl := pipelineSynth(t)
	found := false
	for _, p := range cdktest.Resources(t, tpl, "AWS::IAM::Policy") {
		js := cdktest.JSONOf(t, cdktest.Props(p)["PolicyDocument"])
		if strings.Contains(js, `"codeconnections:UseConnection"`) && strings.Contains(js, pipelineContext["connectionArn"].(string)) {
			found = true
		}
	}
	if !found {
		t.Error("no role may codeconnections:UseConnection the connection")
	}
	for _, tc := range []struct {
		d    *Deployment
		want bool
	}{{ps.Dev, false}, {ps.Prod, true}} {
		fns := cdktest.JSONOf(t, cdktest.Resources(t, assertions.Template_FromStack(tc.d.Realtime.Stack, nil), "AWS::Lambda::Function"))
		if got := strings.Contains(fns, `"ALLOWED_ORIGINS":"https://play.example.com"`); got != tc.want {
			t.Errorf("%s: ALLOWED_ORIGINS set %v, want %v", *tc.d.Realtime.StackName(), got, tc.want)
		}
	}
}
