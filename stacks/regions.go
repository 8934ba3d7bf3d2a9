package stacks

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	cdkconstructs "github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/serverless-tictactoe/tictactoe/constructs"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
)

// What a Realtime stack of a multi-Region deployment publishes for the other Regions' Links
// stacks (read with Fn::GetStackOutput: each is the exact attribute the reader needs).
const (
	realtimeOutputApiId       = "ApiId"
	realtimeOutputCallbackUrl = "CallbackUrl"
)

// roleOutput is the output naming a route function's role.
func roleOutput(function string) string {
	return "RoleName" + strings.ToUpper(function[:1]) + function[1:]
}

// regionalOutput reads output name of the stack named stack in Region region.
func regionalOutput(stack, name, region string) *string {
	return awscdk.Fn_GetStackOutput(jsii.String(stack), jsii.String(name), jsii.String(region), nil)
}

// callbackURLsParameter is the SSM parameter, in every Region of a deployment, holding every
// Region's @connections URL (config.EnvCallbackURLsParameter).
func callbackURLsParameter(cfg Config) string {
	return "/tictactoe/" + string(cfg.Lifecycle) + "/callback-urls"
}

// grantReplicas lets fn make its table calls on every Region's replica of the table: the
// Regional store reads and writes each item at its home, which may be another Region's.
func grantReplicas(stack awscdk.Stack, table awsdynamodb.ITableV2, regions []string, f catalog.Function, fn *constructs.GoFunction) {
	var arns []*string
	for _, r := range regions {
		arns = append(arns, awscdk.Fn_Join(jsii.String(""), &[]*string{
			jsii.String("arn:"), stack.Partition(), jsii.String(":dynamodb:" + r + ":"), stack.Account(), jsii.String(":table/"), table.TableName(),
		}))
	}
	fn.Function.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings(f.Needs.TableActions...),
		Resources: &arns,
	}))
}

// wireRegions tells a function of a multi-Region deployment that sends frames where to read
// every Region's @connections URL, with the grant to read them.
func wireRegions(stack awscdk.Stack, fn *constructs.GoFunction, parameter string) {
	fn.Function.AddEnvironment(jsii.String(config.EnvCallbackURLsParameter), jsii.String(parameter), nil)
	fn.Function.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("ssm:GetParameter"),
		Resources: jsii.Strings(*awscdk.Fn_Join(jsii.String(""), &[]*string{
			jsii.String("arn:"), stack.Partition(), jsii.String(":ssm:"), stack.Region(), jsii.String(":"), stack.Account(), jsii.String(":parameter" + parameter),
		})),
	}))
}

// LinksStackProps configures a Region's Links stack.
type LinksStackProps struct {
	awscdk.StackProps
	// Parameter is the SSM parameter to write (callbackURLsParameter).
	Parameter string
	// Region is this stack's Region; Realtime names every Region's Realtime stack.
	Region   string
	Regions  []string
	Realtime map[string]string // Region → Realtime stack name
	// Stage is the WebSocket stage's name, the same in every Region.
	Stage string
}

// LinksStack ties one Region's functions to the others' once every Region's API exists: the
// parameter with every Region's @connections URL, and the grants to manage connections on
// the other Regions' APIs. It is its own stack so that no Realtime stack needs another's
// outputs (each would need the other's: a cycle).
type LinksStack struct {
	awscdk.Stack
	Parameter awsssm.StringParameter
}

// NewLinksStack defines the stack.
func NewLinksStack(scope cdkconstructs.Construct, id string, props *LinksStackProps) *LinksStack {
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	var pairs []*string
	var apis []*string
	for i, r := range props.Regions {
		if i > 0 {
			pairs = append(pairs, jsii.String(","))
		}
		pairs = append(pairs, jsii.String(r+"="), regionalOutput(props.Realtime[r], realtimeOutputCallbackUrl, r))
		if r == props.Region {
			continue // this Region's own API: its Realtime stack grants that
		}
		apis = append(apis, awscdk.Fn_Join(jsii.String(""), &[]*string{
			jsii.String("arn:"), stack.Partition(), jsii.String(":execute-api:" + r + ":"), stack.Account(), jsii.String(":"),
			regionalOutput(props.Realtime[r], realtimeOutputApiId, r), jsii.String("/" + props.Stage + "/*/@connections/*"),
		}))
	}
	param := awsssm.NewStringParameter(stack, jsii.String("CallbackUrls"), &awsssm.StringParameterProps{
		ParameterName: jsii.String(props.Parameter),
		StringValue:   awscdk.Fn_Join(jsii.String(""), &pairs),
		Description:   jsii.String("TicTacToe: every Region's @connections URL, read by this Region's functions at start"),
	})
	var roles []awsiam.IRole
	for _, f := range catalog.RouteFunctions() {
		if f.Needs.ManageConnections {
			roles = append(roles, awsiam.Role_FromRoleName(stack, jsii.String("Role"+f.Name), regionalOutput(props.Realtime[props.Region], roleOutput(f.Name), props.Region), nil))
		}
	}
	policy := awsiam.NewPolicy(stack, jsii.String("OtherRegionsConnections"), &awsiam.PolicyProps{
		Roles: &roles,
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("execute-api:ManageConnections"),
			Resources: &apis,
		})},
	})
	constructs.SuppressNag(policy, "AwsSolutions-IAM5", "Connection IDs exist only at run time: the grant covers @connections of the other Regions' game APIs' one stage and nothing else",
		&cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::arn:(<AWS::Partition>|aws[a-z-]*):execute-api:[a-z0-9-]+:(<AWS::AccountId>|[0-9]+):.*\/\*\/@connections\/\*$/`)})
	return &LinksStack{Stack: stack, Parameter: param}
}

// secondaryRegions are the Regions of cfg after the primary.
func secondaryRegions(cfg Config) []string {
	if len(cfg.Regions) < 2 {
		return nil
	}
	return cfg.Regions[1:]
}

// addRegions adds the secondary Regions' stacks, which use the primary's table through their
// replicas, and every Region's Links stack (docs/regions.md).
func (d *Deployment) addRegions(scope cdkconstructs.Construct, cfg Config, baseIn func(region, name, description string) awscdk.StackProps, after func(awscdk.Stack, string, ...awscdk.Stack)) {
	primary := cfg.Regions[0]
	realtimeIn := map[string]string{primary: *d.Realtime.StackName()}
	for _, r := range secondaryRegions(cfg) {
		rs := &RegionStacks{Region: r}
		rs.Alerts = NewAlertsStack(scope, StackPrefix(cfg)+"Alerts-"+r, &AlertsStackProps{
			StackProps:  baseIn(r, "Alerts", "alerts topic (presence events of the rooms homed here) and operations topic (alarms)"),
			Email:       optionalString(cfg.AlertEmail),
			EmailEvents: cfg.AlertEvents,
			OpsEmail:    optionalString(cfg.OpsEmail),
			Lifecycle:   cfg.Lifecycle,
		})
		rs.Network = NewNetworkStack(scope, StackPrefix(cfg)+"Network-"+r, networkPropsFor(cfg, baseIn(r, "Network", networkDescription)))
		rtProps := realtimePropsFor(cfg, baseIn(r, "Realtime", realtimeDescription))
		rtProps.TableName = regionalOutput(*d.Data.StackName(), dataOutputTableName, primary)
		rtProps.AlarmTopic = rs.Alerts.Operations
		rs.Realtime = NewRealtimeStack(scope, StackPrefix(cfg)+"Realtime-"+r, rtProps)
		after(rs.Realtime.Stack, "the functions use the game table's replica, which the primary's Data stack makes", d.Data.Stack)
		after(rs.Realtime.Stack, "the alarms notify this Region's operations topic", rs.Alerts.Stack)
		if rtProps.SharedSecretName != "" {
			after(rs.Realtime.Stack, "the connect function reads this Region's replica of the edge secret the primary's Realtime stack makes", d.Realtime.Stack)
		}
		rs.Presence = NewPresenceStack(scope, StackPrefix(cfg)+"Presence-"+r, &PresenceStackProps{
			StackProps: baseIn(r, "Presence", "presence: the game table replica's stream to presence events of the rooms homed here"),
			TableName:  rtProps.TableName,
			Topic:      rs.Alerts.Topic,
			AlarmTopic: rs.Alerts.Operations,
			LogLevel:   cfg.FunctionEnv[config.EnvLogLevel],
			Lifecycle:  cfg.Lifecycle,
			Region:     r,
		})
		after(rs.Presence.Stack, "the function reads the game table replica's stream, which the primary's Data stack makes", d.Data.Stack)
		after(rs.Presence.Stack, "the function publishes to this Region's alerts topic", rs.Alerts.Stack)
		realtimeIn[r] = *rs.Realtime.StackName()
		d.Secondary = append(d.Secondary, rs)
	}
	realtimes := []awscdk.Stack{d.Realtime.Stack}
	for _, rs := range d.Secondary {
		realtimes = append(realtimes, rs.Realtime.Stack)
	}
	if cfg.UsesCloudFront() {
		after(d.Frontend.Stack, "the distribution passes fallback sockets to every Region's API, read from its Realtime stack's outputs", realtimes[1:]...)
	}
	d.Health = newHealth(scope, cfg, d, baseIn)
	after(d.Health.Stack, "its health checks and records read every Region's API from its Realtime stack's outputs", realtimes...)
	if socketDomain(cfg) != "" {
		after(d.Frontend.Stack, "the domain's socket goes to "+socketDomain(cfg)+", whose records the Health stack makes", d.Health.Stack)
	}
	for _, rs := range d.Secondary {
		r := rs.Region
		props := frontendPropsFor(cfg, d.Edge, rs.Realtime, rs.Network, func(desc string) awscdk.StackProps { return baseIn(r, "Frontend", desc) }, r)
		props.AlarmTopic = rs.Alerts.Operations
		rs.Frontend = NewFrontendStack(scope, StackPrefix(cfg)+"Frontend-"+r, props)
		after(rs.Frontend.Stack, "the instances and load balancer run in the VPC", rs.Network.Stack)
		after(rs.Frontend.Stack, "the alarms notify this Region's operations topic", rs.Alerts.Stack)
		after(rs.Frontend.Stack, "the site connects to the WebSocket API", rs.Realtime.Stack)
		if cfg.UsesCloudFront() {
			after(rs.Frontend.Stack, "the distribution passes fallback sockets to every Region's API, read from its Realtime stack's outputs", realtimes...)
		}
		if d.Edge != nil {
			after(rs.Frontend.Stack, "the distribution reads the firewall's ARN from its outputs", d.Edge.Stack)
		}
	}
	for _, r := range cfg.Regions {
		region := ""
		if r != primary {
			region = r
		}
		links := NewLinksStack(scope, StackPrefix(cfg)+"Links"+suffix(region), &LinksStackProps{
			StackProps: baseIn(region, "Links", "every Region's @connections URL and the grants on the other Regions' APIs"),
			Parameter:  callbackURLsParameter(cfg),
			Region:     r,
			Regions:    cfg.Regions,
			Realtime:   realtimeIn,
			Stage:      constructs.DefaultStageName,
		})
		after(links.Stack, "it reads every Region's API from its Realtime stack's outputs", d.Realtime.Stack)
		for _, rs := range d.Secondary {
			after(links.Stack, "it reads every Region's API from its Realtime stack's outputs", rs.Realtime.Stack)
		}
		d.Links = append(d.Links, links)
	}
}

// newHealth is the Health stack of a multi-Region deployment, in us-east-1.
func newHealth(scope cdkconstructs.Construct, cfg Config, d *Deployment, baseIn func(region, name, description string) awscdk.StackProps) *HealthStack {
	props := &HealthStackProps{
		StackProps: baseIn("", "Health", "Route 53 health checks of every Region's API, their alarms and the socket domain's latency records"),
		OpsEmail:   optionalString(cfg.OpsEmail),
		Lifecycle:  cfg.Lifecycle,
	}
	props.Env = &awscdk.Environment{Account: jsii.String(cfg.Account), Region: jsii.String(EdgeRegion)}
	name := socketDomain(cfg)
	if name != "" {
		props.SocketDomain, props.HostedZoneId = name, cfg.HostedZoneId
	}
	stacks := map[string]string{cfg.Regions[0]: *d.Realtime.StackName()}
	for _, rs := range d.Secondary {
		stacks[rs.Region] = *rs.Realtime.StackName()
	}
	for _, r := range cfg.Regions {
		hr := HealthRegion{Region: r, ApiHost: regionalOutput(stacks[r], realtimeOutputApiDomain, r)}
		if name != "" {
			hr.SocketTarget = &SocketDomainTarget{
				RegionalDomainName:   regionalOutput(stacks[r], realtimeOutputSocketDomain, r),
				RegionalHostedZoneId: regionalOutput(stacks[r], realtimeOutputSocketHostedZoneId, r),
			}
		}
		props.Regions = append(props.Regions, hr)
	}
	return NewHealthStack(scope, StackPrefix(cfg)+"Health", props)
}

func suffix(region string) string {
	if region == "" {
		return ""
	}
	return "-" + region
}

func optionalString(s string) *string {
	if s == "" {
		return nil
	}
	return jsii.String(s)
}
