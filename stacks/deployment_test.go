package stacks

import (
	"context"
	"encoding/json"
	"errors"
	stdflag "flag" // the package has a flag of its own (settings.go)
	"fmt"
	"maps"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/blocks"
	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
	"github.com/serverless-tictactoe/tictactoe/internal/jsiiexit"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
)

// Synthesizing the whole app takes seconds, so each configuration is synthesized once per test
// run, by the first test that needs it, and every test reads its templates and its cloud
// assembly's manifest (never assertions.Annotations_FromStack, which synthesizes the whole app
// again on every call). Combinations read only that way come from the CLI's rows (cli_test.go);
// those whose tests need the Go constructs are synthesized here. Tests of one stack build only
// that stack (and what it reads) in an app of their own.
var (
	devOnce, prodOnce sync.Once
	devApp, prodApp   *synthesized
	devErr, prodErr   error
)

// dev is the app as `make synth` builds it offline: default settings, environment-agnostic.
func dev(t *testing.T) *synthesized {
	t.Helper()
	devOnce.Do(func() { devApp, devErr = synth(map[string]any{}, nil) })
	if devErr != nil {
		t.Fatalf("synthesizing the default app: %v", devErr)
	}
	return devApp
}

// prod is every setting turned on, for an account and region.
func prod(t *testing.T) *synthesized {
	t.Helper()
	prodOnce.Do(func() { prodApp, prodErr = synth(prodContext, prodEnv) })
	if prodErr != nil {
		t.Fatalf("synthesizing the prod app: %v", prodErr)
	}
	return prodApp
}

var prodContext = map[string]any{
	"env": "prod", "alertEmail": "ops@example.com", "opsEmail": "oncall@example.com",
	"alertEvents": "room_abandoned,room_expired",
	"domainName":  "play.example.com", "hostedZoneId": "Z0123456789ABCDEFGHIJ",
	"maxInstances": "6", "maxAzs": "3", "ssmEndpoints": "true", "instanceType": "t4g.small",
	"allowedOrigins": "https://play.example.com,https://game.example.com", "logLevel": "debug", "gracePeriod": "90s",
	"traceRate": "0.001", "activeTracing": "true",
}

var prodEnv = map[string]string{"CDK_DEFAULT_ACCOUNT": "123456789012", "CDK_DEFAULT_REGION": "eu-west-1"}

// synthesized is one synthesized app: its stacks' templates and what its cloud assembly says
// of each, by stack name, and the Deployment it composed (nil when the CLI synthesized it).
type synthesized struct {
	d         *Deployment
	cfg       Config
	templates map[string]assertions.Template
	artifacts map[string]stackArtifact
}

// stackArtifact is what a cloud assembly's manifest says of a stack beside its template.
type stackArtifact struct {
	account, region string
	dependsOn       []string                 // the stacks deployed before it
	problems        []cxapi.SynthesisMessage // the errors and warnings its synth left, cdk-nag's among them
}

// stackArtifacts reads every stack of an assembly, nested ones (a pipeline's stages) too. It
// is what assertions.Annotations_FromStack reads, without the whole new synth of the app that
// each of its calls forces.
func stackArtifacts(asm cxapi.CloudAssembly) map[string]stackArtifact {
	out := map[string]stackArtifact{}
	names := map[string]string{} // artifact ID → stack name, within this assembly
	for _, st := range *asm.Stacks() {
		names[*st.Id()] = *st.StackName()
	}
	for _, st := range *asm.Stacks() {
		a := stackArtifact{account: *st.Environment().Account, region: *st.Environment().Region}
		for _, dep := range *st.Dependencies() {
			if name, ok := names[*dep.Id()]; ok {
				a.dependsOn = append(a.dependsOn, name)
			}
		}
		for _, m := range *st.Messages() {
			if m.Level == cxapi.SynthesisMessageLevel_ERROR || m.Level == cxapi.SynthesisMessageLevel_WARNING {
				a.problems = append(a.problems, *m)
			}
		}
		out[*st.StackName()] = a
	}
	for _, nested := range *asm.NestedAssemblies() {
		maps.Copy(out, stackArtifacts(nested.NestedAssembly()))
	}
	return out
}

// nagFindings fails for every cdk-nag finding (error or warning) whose rule matches rule in
// the named stack's artifact.
func nagFindings(t *testing.T, where string, a stackArtifact, rule *regexp.Regexp) {
	t.Helper()
	for _, m := range a.problems {
		if data := fmt.Sprint(m.Entry.Data); rule.MatchString(data) {
			t.Errorf("%s: nag %s at %s: %v", where, m.Level, *m.Id, firstLine(data))
		}
	}
}

var outdirs []string

func synth(ctx map[string]any, env map[string]string) (*synthesized, error) {
	outdir, err := os.MkdirTemp("", "cdk.out-")
	if err != nil {
		return nil, err
	}
	outdirs = append(outdirs, outdir) // removed after the tests
	// cdk.json's context (its feature flags) first, as the CLI gives it to the app, then the
	// test's settings, as -c would.
	all, err := cdkJSONContext()
	if err != nil {
		return nil, err
	}
	maps.Copy(all, ctx)
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir), Context: &all})
	cfg, err := FromContext(all, func(k string) string { return env[k] })
	if err != nil {
		return nil, err
	}
	d := NewDeployment(app, cfg)
	s := &synthesized{d: d, cfg: cfg, templates: map[string]assertions.Template{}, artifacts: stackArtifacts(app.Synth(nil))}
	for _, st := range d.Stacks() {
		s.templates[*st.StackName()] = assertions.Template_FromStack(st, nil)
	}
	return s, nil
}

// cdkJSONContext reads the context of cdk.json: the feature flags every synth runs with.
func cdkJSONContext() (map[string]any, error) {
	b, err := os.ReadFile("../cdk.json")
	if err != nil {
		return nil, err
	}
	var f struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("cdk.json: %w", err)
	}
	if len(f.Context) == 0 {
		return nil, errors.New("cdk.json has no context: the feature flags are missing")
	}
	return f.Context, nil
}

func TestMain(m *testing.M) {
	_, closeRuntime := jsiiexit.Quiet()
	stdflag.Parse()
	var err error
	if cliRoot, err = os.MkdirTemp("", "cdk-cli-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cliCtx, cliCancel = context.WithCancel(context.Background())
	prefetchCLI()
	code := m.Run()
	cliCancel()
	cliWG.Wait()
	for _, d := range append(outdirs, cliRoot) {
		os.RemoveAll(d)
	}
	closeRuntime()
	os.Exit(code)
}

func TestEveryStackSynthesizes(t *testing.T) {
	for name, s := range map[string]*synthesized{"dev": dev(t), "prod": prod(t)} {
		var got []string
		for n := range s.templates {
			got = append(got, n)
		}
		sort.Strings(got)
		prefix := "TicTacToe-" + strings.ToUpper(name[:1]) + name[1:] + "-"
		want := []string{prefix + "Alerts", prefix + "Data", prefix + "Frontend", prefix + "Monitoring", prefix + "Network", prefix + "Presence", prefix + "Realtime"}
		if name == "prod" { // the firewall and the domain's certificate, in us-east-1
			want = append([]string{want[0], want[1], prefix + "Edge"}, want[2:]...)
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s stacks %v, want %v", name, got, want)
		}
	}
}

// The AwsSolutions checks run over every stack of every settings combination: no error or warning
// is left without a suppression (each suppression sits next to its resource, with its reason).
func TestNoUnsuppressedNagFindings(t *testing.T) {
	rule := regexp.MustCompile("AwsSolutions-|" + blocks.TableRulesPrefix)
	for name, s := range every(t) {
		for stackName, a := range s.artifacts {
			nagFindings(t, name+" "+stackName, a, rule)
		}
	}
}

// The deployed API has exactly the routes of lambda/catalog.Routes(), each integrated with the
// function the table names.
func TestDeployedRoutesAreTheRouteTable(t *testing.T) {
	rt := dev(t).d.Realtime
	tpl := dev(t).templates[*rt.StackName()]
	fnLogicalID := map[string]string{}
	for name, fn := range rt.Functions {
		fnLogicalID[name] = *rt.GetLogicalId(fn.Function.Node().DefaultChild().(awscdk.CfnElement))
	}
	integrationFn := map[string]string{}
	for id, r := range cdktest.Resources(t, tpl, "AWS::ApiGatewayV2::Integration") {
		uri := cdktest.JSONOf(t, cdktest.Props(r)["IntegrationUri"])
		for name, logical := range fnLogicalID {
			if strings.Contains(uri, `"`+logical+`"`) {
				integrationFn[id] = name
			}
		}
	}
	got := map[string]string{}
	for _, r := range cdktest.Resources(t, tpl, "AWS::ApiGatewayV2::Route") {
		p := cdktest.Props(r)
		key, _ := p["RouteKey"].(string)
		got[key] = "(no function)"
		for id, name := range integrationFn {
			if strings.Contains(cdktest.JSONOf(t, p["Target"]), `"`+id+`"`) {
				got[key] = name
			}
		}
	}
	want := map[string]string{}
	for _, r := range catalog.Routes() {
		want[r.Key] = r.Function
	}
	if cdktest.JSONOf(t, got) != cdktest.JSONOf(t, want) {
		t.Errorf("deployed routes → functions:\n got %v\nwant %v (catalog.Routes())", got, want)
	}
	cdktest.Has(t, tpl, "AWS::ApiGatewayV2::Api", map[string]any{"RouteSelectionExpression": catalog.SelectionExpression})
}

// Each function can do what it does and no more: $connect touches neither the table nor
// @connections; the others make the store's three calls and post to connections.
func TestFunctionsGetOnlyTheirPermissions(t *testing.T) {
	rt := dev(t).d.Realtime
	tpl := dev(t).templates[*rt.StackName()]
	for _, name := range catalog.RouteFunctionNames() {
		role := *rt.GetLogicalId(rt.Functions[name].Role.Node().DefaultChild().(awscdk.CfnElement))
		actions := map[string]bool{}
		for _, r := range cdktest.Resources(t, tpl, "AWS::IAM::Policy") {
			p := cdktest.Props(r)
			if !strings.Contains(cdktest.JSONOf(t, p["Roles"]), `"`+role+`"`) {
				continue
			}
			var doc struct{ Statement []struct{ Action any } }
			cdktest.RoundTrip(t, p["PolicyDocument"], &doc)
			for _, st := range doc.Statement {
				switch a := st.Action.(type) {
				case string:
					actions[a] = true
				case []any:
					for _, x := range a {
						actions[x.(string)] = true
					}
				}
			}
		}
		var data []string
		for a := range actions {
			if strings.HasPrefix(a, "dynamodb:") || strings.HasPrefix(a, "execute-api:") {
				data = append(data, a)
			}
		}
		sort.Strings(data)
		// UpdateItem: the narrow writes of $disconnect; BatchGetItem: a room's kept chat (its last
		// messages) and, in both functions, a finished game's record (a profile with its erasure
		// marks: $disconnect ends a game whose clock ran out).
		want := "dynamodb:BatchGetItem dynamodb:DeleteItem dynamodb:GetItem dynamodb:PutItem dynamodb:UpdateItem execute-api:ManageConnections"
		if name == catalog.FnConnect { // its address's share and the connection's record; it sends nothing
			want = "dynamodb:GetItem dynamodb:PutItem"
		}
		if got := strings.Join(data, " "); got != want {
			t.Errorf("%s may %q, want %q", name, got, want)
		}
	}
}

// The functions get the settings lambda/config reads: the table and the @connections URL only
// where they use them, and the deployer's context settings everywhere; each runs with
// PassThrough tracing (X-Ray's daemon beside it, Lambda sampling nothing itself: the functions'
// TRACE_SAMPLE_RATE decides what is traced), the game function Active with activeTracing (as
// prod's context has it), and may write to X-Ray.
func TestFunctionsGetTheirSettings(t *testing.T) {
	for cfgName, s := range map[string]*synthesized{"dev": dev(t), "prod": prod(t)} {
		rt := s.d.Realtime
		tpl := s.templates[*rt.StackName()]
		for _, name := range catalog.RouteFunctionNames() {
			logical := *rt.GetLogicalId(rt.Functions[name].Function.Node().DefaultChild().(awscdk.CfnElement))
			var fn struct {
				Properties struct {
					Environment   struct{ Variables map[string]any }
					TracingConfig struct{ Mode string }
				}
			}
			cdktest.RoundTrip(t, cdktest.Resources(t, tpl, "AWS::Lambda::Function")[logical], &fn)
			vars := fn.Properties.Environment.Variables
			want := "PassThrough"
			if cfgName == "prod" && name == catalog.FnGame { // activeTracing=true
				want = "Active"
			}
			if fn.Properties.TracingConfig.Mode != want {
				t.Errorf("%s %s: tracing mode %q, want %s", cfgName, name, fn.Properties.TracingConfig.Mode, want)
			}
			role := *rt.GetLogicalId(rt.Functions[name].Role.Node().DefaultChild().(awscdk.CfnElement))
			writes := false
			for _, r := range cdktest.Resources(t, tpl, "AWS::IAM::Policy") {
				p := cdktest.JSONOf(t, cdktest.Props(r))
				writes = writes || strings.Contains(p, `"`+role+`"`) && strings.Contains(p, "xray:PutTraceSegments")
			}
			if !writes {
				t.Errorf("%s %s: its role may not write to X-Ray", cfgName, name)
			}
			if rate, set := vars[config.EnvTraceSampleRate]; cfgName == "dev" && set || cfgName == "prod" && rate != "0.001" {
				t.Errorf("%s %s: TRACE_SAMPLE_RATE = %v, want lambda/config's default in dev and the context's 0.001 in prod", cfgName, name, rate)
			}
			_, hasTable := vars[config.EnvTableName]
			_, hasCallback := vars[config.EnvCallbackURL]
			if sends := name != catalog.FnConnect; !hasTable || hasCallback != sends {
				t.Errorf("%s %s: TABLE_NAME set %v, CALLBACK_URL set %v; want the table, and the URL %v", cfgName, name, hasTable, hasCallback, sends)
			}
			if cb := cdktest.JSONOf(t, vars[config.EnvCallbackURL]); hasCallback && !strings.Contains(cb, "https://") {
				t.Errorf("%s %s: CALLBACK_URL %s is not the stage's https callback URL", cfgName, name, cb)
			}
			if cfgName == "prod" {
				for k, v := range map[string]string{config.EnvLogLevel: "debug", config.EnvAllowedOrigins: "https://play.example.com,https://game.example.com", config.EnvGracePeriod: "90s"} {
					if vars[k] != v {
						t.Errorf("prod %s: %s = %v, want %q", name, k, vars[k], v)
					}
				}
			}
		}
	}
}

func TestOutputsGiveTheSiteAndWebSocketUrls(t *testing.T) {
	for cfgName, s := range map[string]*synthesized{"dev": dev(t), "prod": prod(t)} {
		site := cdktest.JSONOf(t, s.templates[*s.d.Frontend.StackName()].FindOutputs(jsii.String("SiteUrl"), nil))
		want := map[string]string{"dev": `"https://",{"Fn::GetAtt":["Distribution9930A484","DomainName"]}`, "prod": `"https://play.example.com"`}[cfgName]
		if !strings.Contains(site, want) {
			t.Errorf("%s SiteUrl output %s, want %s", cfgName, site, want)
		}
		ws := cdktest.JSONOf(t, s.templates[*s.d.Realtime.StackName()].FindOutputs(jsii.String("WebSocketUrl"), nil))
		if !strings.Contains(ws, "wss://") {
			t.Errorf("%s WebSocketUrl output %s, want wss://", cfgName, ws)
		}
	}
}

func TestProdKeepsDataAndServesItsDomain(t *testing.T) {
	d := prod(t).d
	for _, st := range d.Stacks() {
		if tp := st.TerminationProtection(); tp == nil || !*tp {
			t.Errorf("%s has no termination protection in prod", *st.StackName())
		}
		want := "123456789012/eu-west-1"
		if st == d.Edge.Stack {
			want = "123456789012/us-east-1"
		}
		if env := *st.Account() + "/" + *st.Region(); env != want {
			t.Errorf("%s deploys to %s, want %s", *st.StackName(), env, want)
		}
	}
	cdktest.HasResource(t, prod(t).templates[*d.Data.StackName()], "AWS::DynamoDB::GlobalTable", map[string]any{"DeletionPolicy": "Retain"})
	front := prod(t).templates[*d.Frontend.StackName()]
	cdktest.Has(t, front, "AWS::AutoScaling::AutoScalingGroup", map[string]any{"MaxSize": "6"})
	cdktest.Has(t, front, "AWS::EC2::LaunchTemplate", map[string]any{"LaunchTemplateData": map[string]any{"InstanceType": "t4g.small"}})
	cdktest.Has(t, prod(t).templates[*d.Alerts.StackName()], "AWS::SNS::Subscription", map[string]any{"Endpoint": "ops@example.com"})
	cdktest.Count(t, prod(t).templates[*d.Network.StackName()], "AWS::EC2::Subnet", 6)
	cdktest.Count(t, prod(t).templates[*d.Network.StackName()], "AWS::EC2::VPCEndpoint", 4)
	if dev(t).d.Data.Stack.TerminationProtection() != nil && *dev(t).d.Data.Stack.TerminationProtection() {
		t.Errorf("dev stacks have termination protection: cdk destroy would fail")
	}
	cdktest.HasResource(t, dev(t).templates[*dev(t).d.Data.StackName()], "AWS::DynamoDB::GlobalTable", map[string]any{"DeletionPolicy": "Delete"})
}

func firstLine(v any) string {
	s := fmt.Sprint(v)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
