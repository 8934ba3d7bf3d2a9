package blocks

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/internal/gobuild"
)

// GoFunctionProps configures a GoFunction.
type GoFunctionProps struct {
	// Command is the directory of the function's main package under CommandsDir, e.g. "game".
	// Required.
	Command *string
	// CommandsDir is where the commands live, relative to ModuleDir. Default: "lambda/cmd".
	CommandsDir *string
	// ModuleDir is the Go module root to build in. Default: the nearest directory holding a
	// go.mod, from the working directory up (the app's module under `cdk synth`). A Command,
	// CommandsDir or ModuleDir that names no directory fails synth with an error saying so.
	ModuleDir *string
	// Description of the function. Default: "Go function <Command>".
	Description *string
	// Environment variables of the function. Default: none.
	Environment *map[string]*string
	// MemorySize in MB. Default: DefaultMemorySize, 256, which also buys twice the CPU of
	// 128 MB: a game move is CPU-light but the first request after a cold start is not.
	MemorySize *float64
	// Timeout of one invocation. Default: DefaultTimeoutSeconds, 10 seconds, well inside API
	// Gateway's 29-second integration limit.
	Timeout awscdk.Duration
	// Lifecycle picks the log group's removal policy and retention. Default: Prod (logs kept
	// for a year and retained when the stack is deleted).
	Lifecycle Lifecycle
	// LogRetention overrides the lifecycle's log retention. Default: Lifecycle's.
	LogRetention awslogs.RetentionDays
	// ReservedConcurrency reserves this many concurrent executions of the Region's quota for
	// the function, which is also the most it runs at once. Lambda refuses a reservation that
	// leaves the Region fewer than 100 unreserved, so it fails to deploy in an account whose
	// quota is low. Default: none, the Region's unreserved pool.
	ReservedConcurrency *float64
	// LoggedErrors says which of the function's log lines MetricLoggedErrors counts. Default:
	// JSON lines whose "level" is "ERROR", as Go's log/slog JSON handler writes at
	// slog.LevelError (DefaultLevelField, DefaultErrorLevel).
	LoggedErrors *LoggedErrorRule
	// MetricNamespace is the CloudWatch namespace of the logged-errors metric. Default:
	// DefaultMetricNamespace.
	MetricNamespace *string
	// Tracing is the function's X-Ray tracing mode. Default: DefaultTracing, PASS_THROUGH:
	// Lambda records a trace only when the caller sampled it (API Gateway's WebSocket APIs and
	// stream event sources never do), runs the X-Ray daemon beside the function
	// (AWS_XRAY_DAEMON_ADDRESS; docs/tracing.md says what to check once after a deploy) and
	// lets the role write to X-Ray, so that the function's own code decides what it traces
	// (this project's lambda/xray, at a rate).
	// ACTIVE has Lambda sample every function's invocations itself, the first each second and
	// 5 % of the rest, which X-Ray bills per trace ($5 a million) and no setting lowers: a
	// function serving 30 requests a second records about 6.4 million a month ($32). DISABLED: no
	// daemon, no trace, no X-Ray permission.
	Tracing awslambda.Tracing
	// FunctionProps is the escape hatch: any field it sets is passed to the Lambda function
	// over the construct's defaults and the props above (a VPC, layers, a dead-letter queue,
	// ephemeral storage…). The fields that make it this construct's function are refused
	// (GoFunctionOwned): its code, handler, runtime, architecture, role, log group, logging
	// format and log levels (a level above INFO would drop the EMF metric lines), its tracing
	// (Tracing below), and its environment (Environment above, which it would replace).
	// Default: none.
	FunctionProps *awslambda.FunctionProps
}

// GoFunctionOwned are the fields of FunctionProps a GoFunction decides: the build, the role
// that may write only its own logs, the JSON logs its logged-errors metric reads, the X-Ray
// policy of its own.
var GoFunctionOwned = []string{"Code", "Handler", "Runtime", "Architecture", "Role", "LogGroup", "LogRetention", "LogRetentionRole", "LogRetentionRetryOptions", "LoggingFormat", "LogFormat",
	"ApplicationLogLevel", "ApplicationLogLevelV2", "SystemLogLevel", "SystemLogLevelV2", "Tracing", "Environment"}

// LoggedErrorRule says which log lines are errors: JSON lines whose LevelField holds
// ErrorLevel. A line that is not JSON, or lacks the field, is not counted.
type LoggedErrorRule struct {
	// LevelField is the JSON key of a line's level, dots for nested keys ("log.level").
	// Default: DefaultLevelField.
	LevelField *string
	// ErrorLevel is the value that makes a line an error, compared exactly (case and all): a
	// handler that writes "error" or "ERROR+4" needs it said. Default: DefaultErrorLevel.
	ErrorLevel *string
}

// GoFunction's defaults.
const (
	DefaultCommandsDir    = "lambda/cmd"
	DefaultMemorySize     = 256
	DefaultTimeoutSeconds = 10
	// DefaultLevelField and DefaultErrorLevel are log/slog's JSON handler's key and its
	// slog.LevelError, which this project's logger (lambda/app/base) writes too.
	DefaultLevelField = "level"
	DefaultErrorLevel = "ERROR"
	// DefaultMetricNamespace holds the logged-errors metrics of functions that name no
	// namespace of their own.
	DefaultMetricNamespace = "GoFunction"
	// DefaultTracing has Lambda record only what a caller sampled and leaves the rest to the
	// function's code (GoFunctionProps.Tracing).
	DefaultTracing = awslambda.Tracing_PASS_THROUGH
)

// GoFunction is a Go Lambda function built from source at synth time, on this machine: no
// Docker. It runs on provided.al2023 on arm64 (Graviton: cheaper per GB-second), logs JSON to
// its own log group with a retention, and has X-Ray's daemon beside it (PassThrough tracing by
// default: the traces are the function's to make). Its role starts with exactly the
// permissions to write its logs and traces; grant it the rest.
//
// Its log lines at level ERROR are counted (MetricLoggedErrors; LoggedErrors says which lines
// those are): a function that answers a failure without failing the invocation (a table or
// @connections call failing, a record that cannot be published) logs it at that level, which
// Lambda's Errors metric never sees.
type GoFunction struct {
	constructs.Construct
	// Function is the Lambda function.
	Function awslambda.Function
	// Role is the function's execution role.
	Role awsiam.Role
	// LogGroup receives the function's logs.
	LogGroup awslogs.LogGroup
	// LoggedErrors counts the function's error lines (GoFunctionProps.LoggedErrors) into
	// MetricLoggedErrors.
	LoggedErrors awslogs.MetricFilter
	// SourceHash fingerprints what the binary is built from (docs/deploy.md, "How the
	// functions are built"); the staged asset's hash derives from it alone, so unchanged code
	// stages the same asset on any machine and `cdk deploy` skips the upload. Empty when the
	// source was not found (synth then fails).
	SourceHash *string
	// namespace is MetricLoggedErrors' namespace (GoFunctionProps.MetricNamespace).
	namespace *string
}

var (
	commandName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	jsonKeyPath = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)
)

// NewGoFunction builds props.Command and defines the function. Synth fails with the compiler's
// output when the build fails; it never falls back to a Docker build.
func NewGoFunction(scope constructs.Construct, id *string, props *GoFunctionProps) *GoFunction {
	return newGoFunction(scope, id, props, func(p *GoFunctionProps) (string, error) {
		dir := "."
		if p.ModuleDir != nil {
			dir = *p.ModuleDir
		}
		return gobuild.FindModuleDir(dir)
	})
}

// newLibraryFunction is a function this module deploys for itself, from OpsCommandsDir: built
// from this module's source (libraryDir), not the app's.
func newLibraryFunction(scope constructs.Construct, id *string, props GoFunctionProps) *GoFunction {
	props.CommandsDir = jsii.String(OpsCommandsDir)
	return newGoFunction(scope, id, &props, func(p *GoFunctionProps) (string, error) {
		if _, err := libraryPath(path.Join(OpsCommandsDir, *p.Command)); err != nil {
			return "", err
		}
		return libraryDir()
	})
}

// newGoFunction is NewGoFunction with the module found by moduleDir. A source that is not
// there fails synth with an error annotation (failSynth) rather than a panic: it is the first
// thing an app in another module meets, and a panic would greet it with a Go stack trace.
func newGoFunction(scope constructs.Construct, id *string, props *GoFunctionProps, moduleDir func(*GoFunctionProps) (string, error)) *GoFunction {
	p, err := props.validate()
	if err != nil {
		panic(fmt.Errorf("GoFunction %s: %w", *id, err))
	}
	this := constructs.NewConstruct(scope, id)
	build, err := findCommand(&p, moduleDir)
	var code awslambda.Code
	hash := ""
	if err != nil {
		failSynth(this, fmt.Errorf("GoFunction %s: %w", *id, err))
		code = awslambda.Code_FromAsset(jsii.String(placeholderDir(this)), nil)
	} else {
		if hash, err = build.SourceHash(); err != nil {
			panic(fmt.Errorf("GoFunction %s: %w", *id, err))
		}
		code = goCode(build, hash)
	}
	logGroup := awslogs.NewLogGroup(this, jsii.String("Logs"), &awslogs.LogGroupProps{
		Retention:     p.LogRetention,
		RemovalPolicy: p.Lifecycle.RemovalPolicy(),
	})
	// An explicit role instead of the default one: the default attaches the managed
	// AWSLambdaBasicExecutionRole, which may write to any log group in the account.
	role := awsiam.NewRole(this, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String(fmt.Sprintf("Runs the %s function: its logs and traces, plus what the stack grants", *p.Command)),
	})
	logGroup.GrantWrite(role)
	fnProps, err := overlay(awslambda.FunctionProps{
		Runtime:                      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:                 awslambda.Architecture_ARM_64(),
		Handler:                      jsii.String("bootstrap"),
		Code:                         code,
		Description:                  p.Description,
		Environment:                  p.Environment,
		ReservedConcurrentExecutions: p.ReservedConcurrency,
		MemorySize:                   p.MemorySize,
		Timeout:                      p.Timeout,
		Role:                         role,
		LogGroup:                     logGroup,
		LoggingFormat:                awslambda.LoggingFormat_JSON,
		// Lambda drops JSON lines below this level; TRACE lets the function's own LOG_LEVEL
		// setting decide, instead of silently hiding its debug lines behind Lambda's INFO.
		ApplicationLogLevelV2: awslambda.ApplicationLogLevel_TRACE,
	}, p.FunctionProps, "FunctionProps", GoFunctionOwned...)
	if err != nil {
		panic(fmt.Errorf("GoFunction %s: %w", *id, err))
	}
	fn := awslambda.NewFunction(this, jsii.String("Resource"), &fnProps)
	traceWithXRay(this, fn, role, p.Tracing)
	loggedErrors := countLoggedErrors(this, logGroup, fn, p.LoggedErrors, p.MetricNamespace)
	return &GoFunction{Construct: this, Function: fn, Role: role, LogGroup: logGroup, LoggedErrors: loggedErrors, SourceHash: jsii.String(hash), namespace: p.MetricNamespace}
}

// validate checks props and returns a copy with every default filled in (the caller's props
// are never changed) but ModuleDir, which findCommand looks for.
func (props *GoFunctionProps) validate() (GoFunctionProps, error) {
	if props == nil || props.Command == nil || !commandName.MatchString(*props.Command) {
		return GoFunctionProps{}, errors.New("Command must name a directory under lambda/cmd, such as \"game\"")
	}
	p := *props
	if p.CommandsDir == nil {
		p.CommandsDir = jsii.String(DefaultCommandsDir)
	}
	rule := LoggedErrorRule{}
	if p.LoggedErrors != nil {
		rule = *p.LoggedErrors
	}
	if rule.LevelField == nil {
		rule.LevelField = jsii.String(DefaultLevelField)
	}
	if rule.ErrorLevel == nil {
		rule.ErrorLevel = jsii.String(DefaultErrorLevel)
	}
	if !jsonKeyPath.MatchString(*rule.LevelField) {
		return p, fmt.Errorf("LoggedErrors.LevelField %q is not a JSON key such as \"level\" (dots for nested keys: \"log.level\")", *rule.LevelField)
	}
	if *rule.ErrorLevel == "" || strings.ContainsAny(*rule.ErrorLevel, `"\*`) {
		return p, fmt.Errorf("LoggedErrors.ErrorLevel %q must be the exact level value of an error line, such as \"ERROR\", without quotes, backslashes or wildcards", *rule.ErrorLevel)
	}
	p.LoggedErrors = &rule
	if p.LogRetention == "" {
		p.LogRetention = p.Lifecycle.LogRetention()
	}
	if p.MetricNamespace == nil {
		p.MetricNamespace = jsii.String(DefaultMetricNamespace)
	}
	if p.Description == nil {
		p.Description = jsii.String("Go function " + *p.Command)
	}
	if p.MemorySize == nil {
		p.MemorySize = jsii.Number(DefaultMemorySize)
	}
	if p.Timeout == nil {
		p.Timeout = awscdk.Duration_Seconds(jsii.Number(DefaultTimeoutSeconds))
	}
	if p.Tracing == "" {
		p.Tracing = DefaultTracing
	}
	if _, ok := tracingModes[p.Tracing]; !ok {
		return p, fmt.Errorf("Tracing %q is not one of awslambda.Tracing_PASS_THROUGH, Tracing_ACTIVE, Tracing_DISABLED", p.Tracing)
	}
	return p, nil
}

// findCommand is how p's command is built: in the module moduleDir finds, whose CommandsDir
// must hold the Command directory.
func findCommand(p *GoFunctionProps, moduleDir func(*GoFunctionProps) (string, error)) (gobuild.Command, error) {
	dir, err := moduleDir(p)
	if err != nil {
		return gobuild.Command{}, err
	}
	rel := path.Join(*p.CommandsDir, *p.Command)
	if info, err := os.Stat(filepath.Join(dir, filepath.FromSlash(rel))); err != nil || !info.IsDir() {
		return gobuild.Command{}, fmt.Errorf("no directory %s in the Go module at %s: Command names the directory of the function's main package under CommandsDir (default %s), relative to ModuleDir (default: the module of the working directory)", rel, dir, DefaultCommandsDir)
	}
	return gobuild.Command{ModuleDir: dir, Package: "./" + rel}, nil
}

// goCode is build's binary as a bundled asset whose hash is the source's, hash: built on this
// machine at synth, never in Docker.
func goCode(build gobuild.Command, hash string) awslambda.Code {
	return awslambda.Code_FromAsset(jsii.String(build.ModuleDir), &awss3assets.AssetOptions{
		AssetHash:     jsii.String(hash),
		AssetHashType: awscdk.AssetHashType_CUSTOM,
		Bundling: &awscdk.BundlingOptions{
			// Required by the API even though it is never used: localBundler either builds or
			// fails synth, and CDK only runs the image when local bundling declines.
			Image: awscdk.DockerImage_FromRegistry(jsii.String("public.ecr.aws/docker/library/golang:1")),
			Local: &localBundler{build: build},
		},
	})
}

// tracingModes are the CloudFormation names of the tracing modes; DISABLED sets none.
var tracingModes = map[awslambda.Tracing]string{
	awslambda.Tracing_ACTIVE: "Active", awslambda.Tracing_PASS_THROUGH: "PassThrough", awslambda.Tracing_DISABLED: "",
}

// traceWithXRay sets fn's X-Ray tracing mode, with its permissions in a policy of their own
// rather than CDK's default (which would mix them into the policy that later grants land in):
// X-Ray's write calls take no resource, so the policy needs "*", and its suppression below then
// excuses exactly that and nothing a later grant adds. Lambda's daemon writes with the
// function's role in either mode.
func traceWithXRay(scope constructs.Construct, fn awslambda.Function, role awsiam.Role, tracing awslambda.Tracing) {
	mode := tracingModes[tracing]
	if mode == "" {
		return
	}
	fn.Node().DefaultChild().(awscdk.CfnResource).AddPropertyOverride(jsii.String("TracingConfig.Mode"), jsii.String(mode))
	policy := awsiam.NewPolicy(scope, jsii.String("Tracing"), &awsiam.PolicyProps{
		Roles: &[]awsiam.IRole{role},
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("xray:PutTraceSegments", "xray:PutTelemetryRecords"),
			Resources: jsii.Strings("*"),
		})},
	})
	fn.Node().AddDependency(policy)
	SuppressNag(policy, "AwsSolutions-IAM5", "X-Ray's PutTraceSegments and PutTelemetryRecords support no resource-level permissions: \"*\" is the only resource they accept", "Resource::*")
}

// countLoggedErrors counts fn's error lines, as rule says, into MetricLoggedErrors.
//
// The metric has no dimension: the function's name is in the metric's name. CloudWatch Logs
// takes a dimension's value only from a field of the log line, never a fixed one
// (aws-cloudformation/aws-cloudformation-resource-providers-logs#108), and of a line without
// that field it publishes the metric without the dimension: "This dimension will only be
// published for a metric if the value is found in the log event" (AWS::Logs::MetricFilter
// Dimension, Value:
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-logs-metricfilter-dimension.html).
// The dimension this metric once read from a "function" field so put every line without one
// (log/slog's own JSON lines) into a dimensionless metric that no function's alarm reads. The
// log group is the function's alone, so every line the pattern matches is the function's.
func countLoggedErrors(scope constructs.Construct, logGroup awslogs.LogGroup, fn awslambda.Function, rule *LoggedErrorRule, namespace *string) awslogs.MetricFilter {
	return awslogs.NewMetricFilter(scope, jsii.String("LoggedErrors"), &awslogs.MetricFilterProps{
		LogGroup:        logGroup,
		FilterPattern:   awslogs.FilterPattern_StringValue(jsii.String("$."+*rule.LevelField), jsii.String("="), rule.ErrorLevel),
		MetricNamespace: namespace,
		MetricName:      loggedErrorsMetricName(fn),
		MetricValue:     jsii.String("1"),
		Unit:            awscloudwatch.Unit_COUNT,
	})
}

// LoggedErrorsMetric starts the name of a function's logged-errors metric, in its namespace
// (GoFunctionProps.MetricNamespace): LoggedErrorsMetric, a hyphen and the function's name.
const LoggedErrorsMetric = "LoggedErrors"

func loggedErrorsMetricName(fn awslambda.IFunction) *string {
	return awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String(LoggedErrorsMetric + "-"), fn.FunctionName()})
}

// MetricLoggedErrors is the function's error lines (GoFunctionProps.LoggedErrors): failures
// it handled.
// Default statistic: sum over 5 minutes.
func (f *GoFunction) MetricLoggedErrors(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return withOptions(awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:  f.namespace,
		MetricName: loggedErrorsMetricName(f.Function),
		Statistic:  awscloudwatch.Stats_SUM(),
		Period:     awscdk.Duration_Minutes(jsii.Number(5)),
	}), opts)
}

// MetricAllErrors is failed invocations (crashes, timeouts) plus logged errors (failures the
// function handled), over period: what an errors alarm should count.
func (f *GoFunction) MetricAllErrors(period awscdk.Duration) awscloudwatch.IMetric {
	sum := awscloudwatch.Stats_SUM()
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("FILL(failed, 0) + FILL(logged, 0)"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"failed": f.Function.MetricErrors(&awscloudwatch.MetricOptions{Statistic: sum, Period: period, Label: jsii.String("failed invocations")}),
			"logged": f.MetricLoggedErrors(&awscloudwatch.MetricOptions{Statistic: sum, Period: period, Label: jsii.String("logged errors (handled)")}),
		},
		Label:  jsii.String("errors"),
		Period: period,
	})
}

// MetricConcurrentExecutions is how many instances of the function run at once (Lambda has
// no named method for it on a function).
func (f *GoFunction) MetricConcurrentExecutions(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return f.Function.Metric(jsii.String("ConcurrentExecutions"), opts)
}

// localBundler is CDK's local bundling hook (awscdk.ILocalBundling), implemented in Go.
type localBundler struct{ build gobuild.Command }

// TryBundle builds into outputDir. A failed build panics: the jsii runtime turns the panic into
// a synth error carrying the compiler's output. Returning false instead would make CDK retry
// the build in Docker, which most machines and CI runners here do not have.
func (l *localBundler) TryBundle(outputDir *string, _ *awscdk.BundlingOptions) *bool {
	if err := l.build.Build(*outputDir); err != nil {
		panic(fmt.Errorf("building the Lambda function %s: %w", l.build.Package, err))
	}
	return jsii.Bool(true)
}
