package stacks

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/pipelines"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/serverless-tictactoe/tictactoe/blocks"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
)

// PipelineStackName is the delivery pipeline's stack: deployed once by hand, it then updates
// itself and deploys the rest (docs/pipeline.md).
const PipelineStackName = "TicTacToe-Pipeline"

// The pipeline's parts, as its stages and actions are named.
const (
	PipelineName     = "TicTacToe"
	DevStageName     = "Dev"
	ProdStageName    = "Prod"
	ApprovalStepName = "PromoteToProd"
	SmokeStepPrefix  = "Smoke"
	SynthStepName    = "Synth"
)

// PipelineStack is the delivery pipeline: source, synth, self-mutation, Dev and its smoke test,
// a manual approval, Prod and its smoke test.
type PipelineStack struct {
	awscdk.Stack
	Pipeline pipelines.CodePipeline
	// Dev and Prod are the stacks each stage deploys.
	Dev, Prod *Deployment
}

// PipelineStackProps configures the pipeline.
type PipelineStackProps struct {
	// Config is the deployment's settings; its Pipeline must be set.
	Config Config
	// CliVersion is the CDK CLI the pipeline runs, the one package-lock.json pins (CLIVersion).
	CliVersion string
}

// goRuntime is the Go the standard image selects (its default, 1.20, cannot read go.mod):
// go.mod's minor version, which TestGoRuntimeIsGoMods holds to it; GOTOOLCHAIN=auto then
// fetches go.mod's exact release when the image's is older.
const goRuntime = "1.26"

// buildSpec selects goRuntime on every CodeBuild step of the pipeline.
func buildSpec() awscodebuild.BuildSpec {
	return awscodebuild.BuildSpec_FromObject(&map[string]any{
		"version": "0.2",
		"phases":  map[string]any{"install": map[string]any{"runtime-versions": map[string]any{"golang": goRuntime}}},
	})
}

// toolchain installs the pinned Node (.node-version; the image's `n` installs Node versions)
// and shows the Go that GOTOOLCHAIN chose from go.mod.
var toolchain = []string{
	`n "$(cat .node-version)"`,
	`go version && node --version`,
}

// toolchainEnv is what every step that builds needs in its environment.
var toolchainEnv = map[string]string{"GOTOOLCHAIN": "auto", "CI": "true"}

// NewPipelineStack adds the pipeline stack, and the Dev and Prod stages within it, to app.
func NewPipelineStack(app awscdk.App, props *PipelineStackProps) *PipelineStack {
	cfg := props.Config
	p := cfg.Pipeline
	if p == nil {
		panic("stacks: NewPipelineStack needs Config.Pipeline")
	}
	stack := awscdk.NewStack(app, jsii.String(PipelineStackName), &awscdk.StackProps{
		Env:                   &awscdk.Environment{Account: jsii.String(cfg.Account), Region: jsii.String(cfg.Region)},
		Description:           jsii.String("TicTacToe: the delivery pipeline (" + p.Repository + "@" + p.Branch + " to Dev, then on approval to Prod)"),
		TerminationProtection: jsii.Bool(true),
	})
	// Every build's log, kept as long as prod's logs, kept when the stack goes.
	logs := awslogs.NewLogGroup(stack, jsii.String("BuildLogs"), &awslogs.LogGroupProps{
		Retention:     blocks.Prod.LogRetention(),
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	source := pipelines.CodePipelineSource_Connection(jsii.String(p.Repository), jsii.String(p.Branch), &pipelines.ConnectionSourceOptions{
		ConnectionArn: jsii.String(p.ConnectionArn),
		TriggerOnPush: jsii.Bool(true),
	})
	synth := pipelines.NewCodeBuildStep(jsii.String(SynthStepName), &pipelines.CodeBuildStepProps{
		Input:           source,
		InstallCommands: jsii.Strings(toolchain...),
		// The tests that need no browser, then the templates of every stage.
		Commands:               jsii.Strings("make check", "make synth"),
		Env:                    env(toolchainEnv, map[string]string{"CDK_ARGS": synthArgs(cfg.Given)}),
		PrimaryOutputDirectory: jsii.String("cdk.out"),
		Timeout:                awscdk.Duration_Minutes(jsii.Number(60)),
	})
	pipeline := pipelines.NewCodePipeline(stack, jsii.String("Pipeline"), &pipelines.CodePipelineProps{
		PipelineName: jsii.String(PipelineName),
		PipelineType: awscodepipeline.PipelineType_V2,
		Synth:        synth,
		// A KMS key for the artifacts, which a Prod account can be granted; rotated yearly.
		CrossAccountKeys:  jsii.Bool(true),
		EnableKeyRotation: jsii.Bool(true),
		CliVersion:        jsii.String(props.CliVersion),
		CodeBuildDefaults: &pipelines.CodeBuildOptions{
			PartialBuildSpec: buildSpec(),
			BuildEnvironment: &awscodebuild.BuildEnvironment{
				BuildImage:  awscodebuild.LinuxBuildImage_STANDARD_7_0(),
				ComputeType: awscodebuild.ComputeType_MEDIUM,
			},
			Logging: &awscodebuild.LoggingOptions{CloudWatch: &awscodebuild.CloudWatchLoggingOptions{LogGroup: logs}},
		},
	})

	ps := &PipelineStack{Stack: stack, Pipeline: pipeline}
	devCfg, prodCfg := cfg.ForStage(blocks.Dev), cfg.ForStage(blocks.Prod)
	dev := awscdk.NewStage(stack, jsii.String(DevStageName), &awscdk.StageProps{Env: &awscdk.Environment{Account: jsii.String(devCfg.Account), Region: jsii.String(devCfg.Region)}})
	ps.Dev = NewDeployment(dev, devCfg)
	pipeline.AddStage(dev, &pipelines.AddStageOpts{Post: &[]pipelines.Step{smokeStep(DevStageName, source, ps.Dev)}})

	prod := awscdk.NewStage(stack, jsii.String(ProdStageName), &awscdk.StageProps{Env: &awscdk.Environment{Account: jsii.String(prodCfg.Account), Region: jsii.String(prodCfg.Region)}})
	ps.Prod = NewDeployment(prod, prodCfg)
	approval := pipelines.NewManualApprovalStep(jsii.String(ApprovalStepName), &pipelines.ManualApprovalStepProps{
		Comment: jsii.String("Dev passed its smoke test. Approve to deploy this commit to Prod (" + prodCfg.Account + ", " + prodCfg.Region + ")."),
	})
	pipeline.AddStage(prod, &pipelines.AddStageOpts{
		Pre:  &[]pipelines.Step{approval},
		Post: &[]pipelines.Step{smokeStep(ProdStageName, source, ps.Prod)},
	})

	// Built now rather than at synth, so that the grant and the checks below see every
	// resource it makes: the pipeline stack's, and the support stack CodePipeline adds to app
	// for each other Region a stage deploys to (its artifact replication bucket).
	pipeline.BuildPipeline()
	// Connections made since mid-2024 are codeconnections ARNs, and IAM matches the service
	// prefix of the resource: CDK grants only codestar-connections:UseConnection.
	if strings.Contains(p.ConnectionArn, ":codeconnections:") {
		grantUseConnection(pipeline, p.ConnectionArn)
	}
	suppressPipelineFindings(pipeline)
	checked := []awscdk.Stack{stack}
	for _, c := range *app.Node().Children() {
		if support, ok := c.(awscdk.Stack); ok && *awscdk.Stack_IsStack(c) && *support.StackName() != PipelineStackName {
			blocks.SuppressNag(support, "AwsSolutions-S1", "CodePipeline's replication bucket for the stages in this Region: it holds only copies of the pipeline's artifacts, encrypted with its own key, written by the pipeline's role")
			checked = append(checked, support)
		}
	}
	for _, st := range checked {
		checkStack(st, nil)
	}
	return ps
}

// grantUseConnection lets the source action's role of the built pipeline use the connection
// under its new prefix.
func grantUseConnection(pipeline pipelines.CodePipeline, arn string) {
	src := pipeline.Pipeline().Node().TryFindChild(jsii.String("Source"))
	if src == nil {
		panic("stacks: the pipeline has no Source stage to grant the connection to")
	}
	granted := false
	for _, c := range *src.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		if role, ok := c.(awsiam.Role); ok {
			role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings("codeconnections:UseConnection"), Resources: jsii.Strings(arn),
			}))
			granted = true
		}
	}
	if !granted {
		panic("stacks: found no role of the Source action to grant the connection to")
	}
}

// smokeStep plays a game against the stage just deployed (cmd/smoke), at the site its
// Frontend stack publishes; a failure stops the pipeline there.
func smokeStep(stage string, source pipelines.IFileSetProducer, d *Deployment) pipelines.Step {
	return pipelines.NewCodeBuildStep(jsii.String(SmokeStepPrefix+stage), &pipelines.CodeBuildStepProps{
		Input:           source,
		InstallCommands: jsii.Strings(toolchain...),
		// A first deploy's load balancer may still be taking its instances in: the site may
		// answer 502 for a minute or two, which the smoke test waits out.
		Commands:          jsii.Strings(`make smoke SITE="$SITE_URL" SMOKE_FLAGS="-wait 5m"`),
		Env:               env(toolchainEnv),
		EnvFromCfnOutputs: &map[string]awscdk.CfnOutput{"SITE_URL": d.Frontend.SiteUrlOutput},
		Timeout:           awscdk.Duration_Minutes(jsii.Number(15)),
	})
}

// ForStage is the settings a pipeline's stage deploys with: these, in lifecycle l. The
// domain (its certificate, the origins its pages come from) names one deployment, so only
// Prod has it; Prod deploys to ProdAccount when one is given.
func (c Config) ForStage(l blocks.Lifecycle) Config {
	s := c
	s.Lifecycle, s.Pipeline = l, nil
	if !l.IsProd() {
		// allowedOrigins lists the domain's pages: Dev, on its own name, keeps the same-site rule.
		s.DomainName, s.HostedZoneId, s.CertificateArn = "", "", ""
		s.FunctionEnv = maps.Clone(c.FunctionEnv)
		delete(s.FunctionEnv, config.EnvAllowedOrigins)
		return s
	}
	if c.Pipeline != nil && c.Pipeline.ProdAccount != "" {
		s.Account = c.Pipeline.ProdAccount
	}
	return s
}

// synthArgs is the -c arguments that give the app the settings it was given, for the synth
// step's `make synth CDK_ARGS=...`. Values are single-quoted for the shell make runs.
func synthArgs(given map[string]string) string {
	keys := make([]string, 0, len(given))
	for k := range given {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	args := make([]string, 0, len(keys))
	for _, k := range keys {
		args = append(args, "-c "+shellQuote(k+"="+given[k]))
	}
	return strings.Join(args, " ")
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func env(maps ...map[string]string) *map[string]*string {
	out := map[string]*string{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = jsii.String(v)
		}
	}
	return &out
}

// CLIVersion is the CDK CLI version package.json pins (devDependencies' aws-cdk).
func CLIVersion(packageJSON []byte) (string, error) {
	var pkg struct {
		DevDependencies map[string]string `json:"devDependencies"`
	}
	if err := json.Unmarshal(packageJSON, &pkg); err != nil {
		return "", fmt.Errorf("package.json: %w", err)
	}
	v := pkg.DevDependencies["aws-cdk"]
	if v == "" || strings.ContainsAny(v, "^~<>=* ") {
		return "", fmt.Errorf("package.json: aws-cdk is %q, want an exact version", v)
	}
	return v, nil
}

// suppressPipelineFindings records why the AwsSolutions findings CDK Pipelines' own resources
// raise do not apply, each narrowed to the findings it names.
func suppressPipelineFindings(pipeline pipelines.CodePipeline) {
	re := func(r string) any { return &cdknag.RegexAppliesTo{Regex: jsii.String(r)} }
	blocks.SuppressNag(pipeline, "AwsSolutions-IAM5", "CDK's read and write grants on the pipeline's own artifact bucket (its objects) and on that bucket's own KMS key: the wildcards are the grant helpers' action groups and the objects of that one bucket",
		re(`/^Action::s3:(GetObject|GetBucket|List|DeleteObject|Abort)\*$/`),
		re(`/^Resource::<PipelineArtifactsBucket[A-Z0-9]+\.Arn>\/\*$/`),
		re(`/^Resource::arn:(<AWS::Partition>|aws[a-z-]*):s3:::[a-z0-9.-]+replicationbucket[a-z0-9]+\/\*$/`),
		re(`/^Action::kms:(ReEncrypt|GenerateDataKey)\*$/`))
	blocks.SuppressNag(pipeline, "AwsSolutions-IAM5", "CodeBuild's grants to write its build's logs and test reports: under the project's own name, or for the asset publishing projects (one per asset, named at synth) under /aws/codebuild",
		re(`/^Resource::arn:(<AWS::Partition>|aws[a-z-]*):logs:[a-z0-9-]+:\d{12}:log-group:\/aws\/codebuild\/(<[A-Za-z0-9]+>:)?\*$/`),
		re(`/^Resource::arn:(<AWS::Partition>|aws[a-z-]*):codebuild:[a-z0-9-]+:\d{12}:report-group\/(<[A-Za-z0-9]+>-)?\*$/`))
	blocks.SuppressNag(pipeline.SelfMutationProject().Role(), "AwsSolutions-IAM5", "The self-mutation runs cdk deploy of the pipeline stack: it may assume only the CDK bootstrap roles (the condition names their aws-cdk:bootstrap-role tag), and reads stack states and lists the bootstrap bucket, whose names come from the bootstrap, not this app",
		re(`/^Resource::arn:\*:iam::\d{12}:role\/\*$/`), "Resource::*")
	if files := pipeline.Node().TryFindChild(jsii.String("Assets")); files != nil {
		if role := files.Node().TryFindChild(jsii.String("FileRole")); role != nil {
			blocks.SuppressNag(role, "AwsSolutions-IAM5", "The asset publishing role starts and watches the asset publishing builds, which CDK Pipelines makes one per asset at synth",
				"Resource::*")
		}
	}
	blocks.SuppressNag(pipeline.Pipeline().Role(), "AwsSolutions-IAM5", "Only with a stage in another Region (Prod's Edge stack in us-east-1): CodePipeline's replication bucket there is encrypted with a key its support stack names by alias only, so CDK cannot name the key in the grant. Key policies still decide which keys the role can use",
		"Resource::*")
	blocks.SuppressNag(pipeline.Pipeline().ArtifactBucket(), "AwsSolutions-S1", "Holds only the pipeline's own artifacts (the source and the cloud assembly), written and read by the pipeline's roles, encrypted with its key and deleted as runs age: CloudTrail records who changed the pipeline; an access log would be a second bucket to keep for no reader")
}
