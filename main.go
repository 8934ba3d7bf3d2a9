// Command tictactoe is the game's CDK app: it reads the deployment's settings from CDK context
// (cdk.json, -c key=value; docs/deploy.md lists them) and composes the stacks. The CDK CLI runs
// it: `npx cdk synth` (make synth), `npx cdk deploy --all`.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/serverless-tictactoe/tictactoe/constructs"
	lambdaapp "github.com/serverless-tictactoe/tictactoe/lambda/app"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/lambda/routes"
	"github.com/serverless-tictactoe/tictactoe/stacks"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "tictactoe:", err)
		os.Exit(1)
	}
}

func run() (err error) {
	defer jsii.Close()
	// Constructs reject bad props and failed builds by panicking (jsii has no other way out of
	// a constructor): report the message, which says what to fix, without a Go stack trace.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("synth failed: %v", r)
		}
	}()
	app := awscdk.NewApp(nil)
	if _, err := compose(app, os.Getenv); err != nil {
		return err
	}
	app.Synth(nil)
	return nil
}

// deployment is the composed app's stacks.
type deployment struct {
	Alerts     *stacks.AlertsStack
	Network    *stacks.NetworkStack
	Data       *stacks.DataStack
	Realtime   *stacks.RealtimeStack
	Frontend   *stacks.FrontendStack
	Presence   *stacks.PresenceStack
	Monitoring *stacks.MonitoringStack
}

// compose validates the settings in app's context and adds every stack to app, with the
// AwsSolutions checks over all of them: a finding without a suppression fails synth.
func compose(app awscdk.App, getenv func(string) string) (*deployment, error) {
	ctx, _ := app.Node().GetAllContext(nil).(map[string]any)
	cfg, err := stacks.FromContext(ctx, getenv)
	if err != nil {
		return nil, fmt.Errorf("invalid settings: fix them in cdk.json or with -c key=value (docs/deploy.md lists every key):\n%w", err)
	}
	var env *awscdk.Environment
	if cfg.Account != "" {
		env = &awscdk.Environment{Account: jsii.String(cfg.Account), Region: jsii.String(cfg.Region)}
	}
	// Stack names carry the environment, so dev and prod can share an account.
	prefix := "TicTacToe-" + strings.ToUpper(string(cfg.Env[:1])) + string(cfg.Env[1:]) + "-"
	base := func(description string) awscdk.StackProps {
		return awscdk.StackProps{
			Env:                   env,
			Description:           jsii.String("TicTacToe (" + string(cfg.Env) + "): " + description),
			TerminationProtection: jsii.Bool(cfg.Env.IsProd()),
		}
	}
	var d deployment
	optional := func(s string) *string {
		if s == "" {
			return nil
		}
		return jsii.String(s)
	}
	d.Alerts = stacks.NewAlertsStack(app, prefix+"Alerts", &stacks.AlertsStackProps{
		StackProps:  base("alerts topic (presence events) and operations topic (alarms)"),
		Email:       optional(cfg.AlertEmail),
		EmailEvents: cfg.AlertEvents,
		OpsEmail:    optional(cfg.OpsEmail),
		Deployment:  cfg.Env,
	})
	d.Network = stacks.NewNetworkStack(app, prefix+"Network", &stacks.NetworkStackProps{
		StackProps:              base("VPC over two or more AZs, no NAT gateway"),
		Deployment:              cfg.Env,
		MaxAzs:                  jsii.Number(float64(cfg.MaxAzs)),
		SessionManagerEndpoints: jsii.Bool(cfg.SsmEndpoints),
	})
	d.Data = stacks.NewDataStack(app, prefix+"Data", &stacks.DataStackProps{
		StackProps: base("game table"),
		Deployment: cfg.Env,
	})
	d.Realtime = stacks.NewRealtimeStack(app, prefix+"Realtime", &stacks.RealtimeStackProps{
		StackProps:     base("WebSocket API and route functions"),
		Table:          d.Data.Table,
		Deployment:     cfg.Env,
		FunctionEnv:    cfg.FunctionEnv,
		ThrottleRate:   jsii.Number(cfg.ThrottleRate),
		ThrottleBurst:  jsii.Number(float64(cfg.ThrottleBurst)),
		AccountLogRole: jsii.Bool(cfg.ApiGatewayLogRole),
	})
	// Explicit, though the references imply them: the order of a deploy is read here. Pass the
	// embedded awscdk.Stack: jsii cannot convert a Go struct that embeds one.
	d.Realtime.AddStackDependency(d.Data.Stack, jsii.String("the functions read and write the game table"))
	d.Presence = stacks.NewPresenceStack(app, prefix+"Presence", &stacks.PresenceStackProps{
		StackProps: base("presence: the game table's stream to presence events on the alerts topic"),
		Table:      d.Data.Table,
		Topic:      d.Alerts.Topic,
		AlarmTopic: d.Alerts.Operations,
		LogLevel:   cfg.FunctionEnv[config.EnvLogLevel],
		Deployment: cfg.Env,
	})
	d.Presence.AddStackDependency(d.Data.Stack, jsii.String("the function reads the game table's stream and writes its markers to the table"))
	d.Presence.AddStackDependency(d.Alerts.Stack, jsii.String("the function publishes to the alerts topic; the alarms notify the operations topic"))
	var maxInstances = jsii.Number(float64(cfg.MaxInstances))
	d.Frontend = stacks.NewFrontendStack(app, prefix+"Frontend", &stacks.FrontendStackProps{
		StackProps:     base("load balancer and NGINX instances serving the site"),
		Vpc:            d.Network.Vpc,
		WebSocketUrl:   d.Realtime.WebSocketUrl,
		CertificateArn: cfg.CertificateArn,
		InstanceType:   cfg.InstanceType,
		MaxInstances:   maxInstances,
		Deployment:     cfg.Env,
	})
	d.Frontend.AddStackDependency(d.Network.Stack, jsii.String("the instances and load balancer run in the VPC"))
	d.Frontend.AddStackDependency(d.Realtime.Stack, jsii.String("the site connects to the WebSocket API"))

	// Monitoring watches every other stack; nothing refers to it.
	var functions []constructs.NamedFunction
	for _, name := range routes.Functions() {
		fn := d.Realtime.Functions[name]
		functions = append(functions, constructs.NamedFunction{Name: name, Function: fn.Function, LogGroup: fn.LogGroup})
	}
	functions = append(functions, constructs.NamedFunction{Name: lambdaapp.PresenceFunction, Function: d.Presence.Function.Function, LogGroup: d.Presence.Function.LogGroup})
	stream := d.Presence.Stream
	d.Monitoring = stacks.NewMonitoringStack(app, prefix+"Monitoring", &stacks.MonitoringStackProps{
		StackProps: base("dashboard and alarms"),
		Dashboard: constructs.GameDashboardProps{
			Title:             jsii.String("TicTacToe (" + string(cfg.Env) + ")"),
			Stage:             d.Realtime.Api.Stage,
			Functions:         functions,
			Table:             d.Data.Table,
			StreamFunction:    d.Presence.Function.Function,
			DeadLetterQueue:   stream.DeadLetterQueue,
			LoadBalancer:      d.Frontend.Web.LoadBalancer,
			TargetGroup:       d.Frontend.Web.TargetGroup,
			AutoScalingGroup:  d.Frontend.Web.AutoScalingGroup,
			AvailabilityZones: *d.Network.Vpc.AvailabilityZones(),
			AlarmTopic:        d.Alerts.Operations,
			OtherAlarms:       []awscloudwatch.IAlarm{stream.DeadLetterAlarm, stream.IteratorAgeAlarm},
		},
	})
	for _, st := range []awscdk.Stack{d.Alerts.Stack, d.Data.Stack, d.Realtime.Stack, d.Presence.Stack, d.Frontend.Stack} {
		d.Monitoring.AddStackDependency(st, jsii.String("the dashboard and alarms watch its resources"))
	}

	awscdk.Tags_Of(app).Add(jsii.String("project"), jsii.String("tictactoe"), nil)
	awscdk.Tags_Of(app).Add(jsii.String("environment"), jsii.String(string(cfg.Env)), nil)
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	return &d, nil
}
