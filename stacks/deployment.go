package stacks

import (
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/serverless-tictactoe/tictactoe/blocks"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/lambda/store/schema"
)

// Deployment is the game's stacks, composed in one app.
type Deployment struct {
	// Edge is in us-east-1: the firewall and the domain's certificate; nil when the
	// deployment needs neither.
	Edge       *EdgeStack
	Alerts     *AlertsStack
	Network    *NetworkStack
	Data       *DataStack
	Realtime   *RealtimeStack
	Frontend   *FrontendStack
	Presence   *PresenceStack
	Monitoring *MonitoringStack
	// Secondary are the other Regions' stacks of a multi-Region deployment, and Links each
	// Region's ties to the others (docs/regions.md); empty in one Region.
	Secondary []*RegionStacks
	Links     []*LinksStack
	// Health watches every Region from us-east-1 (and holds the socket domain's latency
	// records); nil in one Region.
	Health *HealthStack
}

// RegionStacks are a secondary Region's own stacks: it shares the primary's table (a replica),
// presence pipeline and edge.
type RegionStacks struct {
	Region   string
	Alerts   *AlertsStack
	Network  *NetworkStack
	Realtime *RealtimeStack
	Frontend *FrontendStack
	// Presence publishes the rooms homed in this Region to its Alerts topic.
	Presence *PresenceStack
	// Monitoring is this Region's dashboard (its alarms are in its Realtime, Presence and
	// Frontend stacks).
	Monitoring *MonitoringStack
}

// Stacks lists every stack of the deployment.
func (d *Deployment) Stacks() []awscdk.Stack {
	all := []awscdk.Stack{d.Alerts.Stack, d.Network.Stack, d.Data.Stack, d.Realtime.Stack, d.Frontend.Stack, d.Presence.Stack, d.Monitoring.Stack}
	if d.Edge != nil {
		all = append([]awscdk.Stack{d.Edge.Stack}, all...)
	}
	for _, r := range d.Secondary {
		all = append(all, r.Alerts.Stack, r.Network.Stack, r.Realtime.Stack, r.Frontend.Stack, r.Presence.Stack, r.Monitoring.Stack)
	}
	for _, l := range d.Links {
		all = append(all, l.Stack)
	}
	if d.Health != nil {
		all = append(all, d.Health.Stack)
	}
	return all
}

// checkStack tags st as the project's (and with tags) and runs the AwsSolutions checks over it:
// a finding without a suppression fails synth. Each stack has its own, so that every stack of
// the app is checked once, whether it is in the app or in a pipeline's stage.
func checkStack(st awscdk.Stack, tags map[string]string) {
	// Not on VPC origins: CloudFront refuses any change to one a distribution uses, a tag
	// included, so a new tag would fail the Frontend stack's update.
	untagged := &awscdk.TagProps{ExcludeResourceTypes: jsii.Strings("AWS::CloudFront::VpcOrigin")}
	awscdk.Tags_Of(st).Add(jsii.String("project"), jsii.String("tictactoe"), untagged)
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		awscdk.Tags_Of(st).Add(jsii.String(k), jsii.String(tags[k]), untagged)
	}
	awscdk.Aspects_Of(st).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}

// Stack descriptions shared by every Region's stacks.
const (
	networkDescription  = "VPC over two or more AZs, no NAT gateway"
	realtimeDescription = "WebSocket API and route functions"
)

// networkPropsFor is a Network stack's props.
func networkPropsFor(cfg Config, stackProps awscdk.StackProps) *NetworkStackProps {
	props := &NetworkStackProps{
		StackProps:              stackProps,
		Lifecycle:               cfg.Lifecycle,
		MaxAzs:                  cfg.MaxAzs,
		SessionManagerEndpoints: cfg.SsmEndpoints,
	}
	if stackProps.Env != nil && stackProps.Env.Region != nil {
		if zones := cfg.Zones[*stackProps.Env.Region]; len(zones) > 0 {
			props.AvailabilityZones, props.MaxAzs = zones, nil // the zones named decide
		}
	}
	return props
}

// realtimePropsFor is the props of region's Realtime stack but its table: the capacity model
// sizes the API (the stage, $connect within it, the game function).
func realtimePropsFor(cfg Config, region string, stackProps awscdk.StackProps) *RealtimeStackProps {
	rate, burst := cfg.StageThrottle()
	model := cfg.Capacity()
	connectRate, connectBurst := model.ConnectWithin(rate, burst)
	connect := blocks.Throttle{Rate: connectRate, Burst: connectBurst}
	return &RealtimeStackProps{
		StackProps:      stackProps,
		Lifecycle:       cfg.Lifecycle,
		FunctionEnv:     cfg.FunctionEnv,
		ThrottleRate:    &rate,
		ThrottleBurst:   &burst,
		ConnectThrottle: &connect,
		GameConcurrency: cfg.GameConcurrency(),
		GameTracing:     cfg.GameTracing(),
		AccountLogRole:  cfg.ApiGatewayLogRole,

		BehindDistribution: cfg.UsesCloudFront(),
		Regional:           regionalRealtime(cfg, region),
	}
}

// frontendPropsFor is a Frontend stack's props, serving the site of rt in region: behind the
// distribution (with the domain, on the primary only; with every other Region's socket in a
// multi-Region deployment) or from an internet-facing load balancer.
func frontendPropsFor(cfg Config, edgeStack *EdgeStack, rt *RealtimeStack, network *NetworkStack, stackProps func(description string) awscdk.StackProps, region string) *FrontendStackProps {
	primary := len(cfg.Regions) == 0 || region == cfg.Regions[0]
	props := &FrontendStackProps{
		StackProps:   stackProps("CloudFront distribution, load balancer and NGINX instances serving the site"),
		Vpc:          network.Vpc,
		InstanceType: cfg.InstanceType,
		MaxInstances: cfg.MaxInstances,
		Lifecycle:    cfg.Lifecycle,
	}
	if !cfg.UsesCloudFront() {
		props.StackProps = stackProps("internet-facing load balancer and NGINX instances serving the site")
		props.WebSocketUrl = rt.WebSocketUrl
		if primary {
			props.CertificateArn = cfg.CertificateArn
		}
		return props
	}
	edge := &FrontendEdge{
		ApiDomainName: rt.ApiDomainName,
		ApiStageName:  rt.Api.Stage.StageName(),
		EdgeSecret:    rt.EdgeSecret,
	}
	edge.OtherSockets = otherSockets(cfg, region)
	if name := socketDomain(cfg); name != "" && primary {
		// The domain's socket goes to whichever Region its latency records answer with.
		edge.ApiDomainName = jsii.String(name)
	}
	if primary { // a domain names one distribution: the primary's
		edge.DomainName, edge.HostedZoneId = cfg.DomainName, cfg.HostedZoneId
		if cfg.CertificateArn != "" {
			edge.CertificateArn = jsii.String(cfg.CertificateArn)
		} else if edgeStack != nil {
			edge.CertificateArn = edgeStack.CertificateArn()
		}
	}
	if edgeStack != nil {
		edge.WebAclArn = edgeStack.WebAclArn()
	}
	props.Edge = edge
	return props
}

// StackPrefix is what every stack name of a deployment starts with: the lifecycle is in it, so
// a dev and a prod deployment can share an account.
func StackPrefix(cfg Config) string {
	l := string(cfg.Lifecycle)
	return "TicTacToe-" + strings.ToUpper(l[:1]) + l[1:] + "-"
}

// NewDeployment adds every stack to scope (the app, or a pipeline's stage), wired from cfg
// (FromContext), with the AwsSolutions checks over all of them: a finding without a
// suppression fails synth. Only what the deployer set is passed on; the constructs and
// functions apply their own defaults. Each stack is named for cfg alone (StackPrefix), so the
// stacks a pipeline's stage deploys are those `make deploy` would: switching takes them over.
func NewDeployment(scope constructs.Construct, cfg Config) *Deployment {
	m := newStackMaker(scope, cfg)
	var d Deployment
	d.Edge = m.edge()
	d.addPrimary(m)
	if len(cfg.Regions) > 1 {
		d.addRegions(m)
	}
	d.addMonitoring(m)
	if cfg.Lifecycle.IsProd() {
		for _, st := range d.Stacks() {
			publishTeardown(st)
		}
	}
	for _, st := range d.Stacks() {
		checkStack(st, map[string]string{"environment": string(cfg.Lifecycle)})
	}
	// AwsSolutions checks AWS::DynamoDB::Table only; the game table is a global table.
	awscdk.Aspects_Of(d.Data.Stack).Add(&blocks.TableRules{Prod: cfg.Lifecycle.IsProd(), TTLAttribute: schema.TTLAttribute}, nil)
	return &d
}

// stackMaker is what every stack of a deployment shares: its scope, settings, name prefix and
// environment.
type stackMaker struct {
	scope  constructs.Construct
	cfg    Config
	prefix string
	env    *awscdk.Environment // nil: environment-agnostic
}

func newStackMaker(scope constructs.Construct, cfg Config) stackMaker {
	m := stackMaker{scope: scope, cfg: cfg, prefix: StackPrefix(cfg)}
	if cfg.Account != "" {
		m.env = &awscdk.Environment{Account: jsii.String(cfg.Account), Region: jsii.String(cfg.Region)}
	}
	return m
}

// id is the construct ID (and stack name) of stack name in region ("" for the primary's).
func (m stackMaker) id(region, name string) string { return m.prefix + name + suffix(region) }

// propsIn is the props of stack name in region ("" for the primary's).
func (m stackMaker) propsIn(region, name, description string) awscdk.StackProps {
	stackEnv := m.env
	if region != "" {
		stackEnv = &awscdk.Environment{Account: jsii.String(m.cfg.Account), Region: jsii.String(region)}
		description += " (" + region + ")"
	}
	return awscdk.StackProps{
		StackName:             jsii.String(m.id(region, name)),
		Env:                   stackEnv,
		Description:           jsii.String("TicTacToe (" + string(m.cfg.Lifecycle) + "): " + description),
		TerminationProtection: jsii.Bool(m.cfg.Lifecycle.IsProd()),
	}
}

// props is the props of the primary Region's stack name.
func (m stackMaker) props(name, description string) awscdk.StackProps {
	return m.propsIn("", name, description)
}

// after makes st depend on each of on, though the references imply it: the order of a deploy
// is read here. Pass the embedded awscdk.Stack: jsii cannot convert a Go struct that embeds one.
func after(st awscdk.Stack, reason string, on ...awscdk.Stack) {
	for _, o := range on {
		st.AddStackDependency(o, jsii.String(reason))
	}
}

// edge is the us-east-1 stack of what CloudFront takes from there (the firewall, the domain's
// certificate), or nil when the deployment needs neither.
func (m stackMaker) edge() *EdgeStack {
	cfg := m.cfg
	makeCertificate := cfg.UsesCloudFront() && cfg.DomainName != "" && cfg.CertificateArn == ""
	if !cfg.UsesWaf() && !makeCertificate {
		return nil
	}
	props := &EdgeStackProps{
		StackProps: m.props("Edge", "what CloudFront takes from us-east-1: the web application firewall, the domain's certificate"),
		OpsEmail:   optionalString(cfg.OpsEmail),
		Lifecycle:  cfg.Lifecycle,
	}
	props.Env = &awscdk.Environment{Region: jsii.String(EdgeRegion)}
	if cfg.Account != "" {
		props.Env.Account = jsii.String(cfg.Account)
	}
	if cfg.UsesWaf() {
		props.FirewallName = m.prefix + "Site"
	}
	if makeCertificate {
		props.DomainName, props.HostedZoneId = cfg.DomainName, cfg.HostedZoneId
	}
	return NewEdgeStack(m.scope, m.id("", "Edge"), props)
}

// addPrimary adds the primary Region's stacks (the only Region's, in one Region).
func (d *Deployment) addPrimary(m stackMaker) {
	cfg := m.cfg
	d.Alerts = NewAlertsStack(m.scope, m.id("", "Alerts"), &AlertsStackProps{
		StackProps:  m.props("Alerts", "alerts topic (presence events) and operations topic (alarms)"),
		Email:       optionalString(cfg.AlertEmail),
		EmailEvents: cfg.AlertEvents,
		OpsEmail:    optionalString(cfg.OpsEmail),
		Lifecycle:   cfg.Lifecycle,
	})
	d.Network = NewNetworkStack(m.scope, m.id("", "Network"), networkPropsFor(cfg, m.props("Network", networkDescription)))
	d.Data = NewDataStack(m.scope, m.id("", "Data"), &DataStackProps{
		StackProps:         m.props("Data", "game table"),
		Lifecycle:          cfg.Lifecycle,
		CustomerManagedKey: cfg.TableKey != nil && *cfg.TableKey,
		Replicas:           secondaryRegions(cfg),
	})
	rtProps := realtimePropsFor(cfg, cfg.Region, m.props("Realtime", realtimeDescription))
	rtProps.Table = d.Data.Table
	rtProps.AlarmTopic = d.Alerts.Operations
	d.Realtime = NewRealtimeStack(m.scope, m.id("", "Realtime"), rtProps)
	after(d.Realtime.Stack, "the functions read and write the game table", d.Data.Stack)
	after(d.Realtime.Stack, "the alarms notify the operations topic", d.Alerts.Stack)
	d.Presence = NewPresenceStack(m.scope, m.id("", "Presence"), &PresenceStackProps{
		StackProps: m.props("Presence", "presence: the game table's stream to presence events on the alerts topic"),
		Table:      d.Data.Table,
		Topic:      d.Alerts.Topic,
		AlarmTopic: d.Alerts.Operations,
		LogLevel:   cfg.FunctionEnv[config.EnvLogLevel],
		Lifecycle:  cfg.Lifecycle,
		Region:     primaryRegion(cfg),
		Primary:    true,
	})
	after(d.Presence.Stack, "the function reads the game table's stream and writes its markers to the table", d.Data.Stack)
	after(d.Presence.Stack, "the function publishes to the alerts topic; the alarms notify the operations topic", d.Alerts.Stack)
	frontendProps := frontendPropsFor(cfg, d.Edge, d.Realtime, d.Network, func(desc string) awscdk.StackProps { return m.props("Frontend", desc) }, cfg.Region)
	frontendProps.AlarmTopic = d.Alerts.Operations
	d.Frontend = NewFrontendStack(m.scope, m.id("", "Frontend"), frontendProps)
	after(d.Frontend.Stack, "the instances and load balancer run in the VPC", d.Network.Stack)
	after(d.Frontend.Stack, "the alarms notify the operations topic", d.Alerts.Stack)
	after(d.Frontend.Stack, "the site connects to the WebSocket API", d.Realtime.Stack)
	if d.Edge != nil {
		after(d.Frontend.Stack, "the distribution reads the firewall's and the certificate's ARNs from its outputs", d.Edge.Stack)
	}
}

// addMonitoring adds each Region's dashboard. Monitoring watches every other stack of its
// Region; nothing refers to it.
func (d *Deployment) addMonitoring(m stackMaker) {
	cfg := m.cfg
	d.Monitoring = NewMonitoringStack(m.scope, m.id("", "Monitoring"), &MonitoringStackProps{
		StackProps: m.props("Monitoring", "dashboard"),
		Title:      jsii.String("TicTacToe (" + string(cfg.Lifecycle) + ")"),
		Network:    d.Network,
		Data:       d.Data,
		Realtime:   d.Realtime,
		Presence:   d.Presence,
		Frontend:   d.Frontend,
		Edge:       d.Edge,
		Replicas:   secondaryRegions(cfg),
	})
	after(d.Monitoring.Stack, "the dashboard watches its resources and shows its alarms", d.Data.Stack, d.Realtime.Stack, d.Presence.Stack, d.Frontend.Stack)
	for _, rs := range d.Secondary {
		var others []string
		for _, r := range cfg.Regions {
			if r != rs.Region {
				others = append(others, r)
			}
		}
		rs.Monitoring = NewMonitoringStack(m.scope, m.id(rs.Region, "Monitoring"), &MonitoringStackProps{
			StackProps: m.propsIn(rs.Region, "Monitoring", "dashboard"),
			Title:      jsii.String("TicTacToe (" + string(cfg.Lifecycle) + ", " + rs.Region + ")"),
			Network:    rs.Network,
			TableName:  regionalOutput(*d.Data.StackName(), dataOutputTableName, cfg.Regions[0]),
			Realtime:   rs.Realtime,
			Presence:   rs.Presence,
			Frontend:   rs.Frontend,
			Edge:       d.Edge,
			Replicas:   others,
		})
		after(rs.Monitoring.Stack, "the dashboard watches its resources and shows its alarms", rs.Realtime.Stack, rs.Presence.Stack, rs.Frontend.Stack)
	}
}
