package stacks

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/blocks"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
)

// What a Realtime stack of a multi-Region deployment publishes for the other Regions' stacks
// (read with Fn::GetStackOutput: each is the exact attribute the reader needs).
const (
	realtimeOutputApiId              = "ApiId"
	realtimeOutputCallbackUrl        = "CallbackUrl"
	realtimeOutputApiDomain          = "ApiDomainName"
	realtimeOutputSocketDomain       = "SocketRegionalDomainName"
	realtimeOutputSocketHostedZoneId = "SocketRegionalHostedZoneId"
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
// Region's @connections URL, which functions read before the game table held them (LinksStack).
func callbackURLsParameter(cfg Config) string {
	return "/tictactoe/" + string(cfg.Lifecycle) + "/callback-urls"
}

// RegionalRealtime is what a multi-Region deployment adds to a Region's Realtime stack
// (docs/regions.md): the shared edge secret, the grants on every Region's replica, where the
// functions read every Region's @connections URL, the outputs the other Regions' stacks read
// and the socket domain. NewRealtimeStack calls its methods where each belongs; on a nil
// *RegionalRealtime, one Region's, they add nothing (edgeSecrets: the stack's own secret).
type RegionalRealtime struct {
	// Region is the stack's; Regions are the deployment's, the primary first: the functions
	// get them, may use every Region's replica, and read every other Region's @connections URL
	// from the game table, where each Region's Links stack writes its own.
	Region  string
	Regions []string
	// SharedSecretName names, behind distributions, the edge secret every Region's
	// distribution sends to every Region's API (a page may fail over through its own
	// distribution to any Region). The primary makes it, with a replica in every other
	// Region; the others read their replica by name, so they deploy after the primary's
	// Realtime stack. Default: none, each stack its own.
	SharedSecretName string
	// SocketDomain gives the API a regional custom domain of that name (every Region's API
	// the same name, as latency records of it need), with a certificate of this Region.
	// HostedZoneId is the Route 53 zone the primary validates it in; the other Regions'
	// certificates need the same record (ACM's DNS validation record of a name is one per
	// account, whatever the Region), so they deploy after the primary's. Default: none.
	SocketDomain, HostedZoneId string
}

// regionalRealtime is what a multi-Region deployment adds to the Realtime stack of region;
// nil in one Region.
func regionalRealtime(cfg Config, region string) *RegionalRealtime {
	if len(cfg.Regions) == 0 {
		return nil
	}
	return &RegionalRealtime{
		Region:           region,
		Regions:          cfg.Regions,
		SharedSecretName: sharedSecretName(cfg),
		SocketDomain:     socketDomain(cfg),
		HostedZoneId:     cfg.HostedZoneId,
	}
}

// primary reports whether the stack is the primary Region's.
func (m *RegionalRealtime) primary() bool {
	return m.Region == m.Regions[0]
}

// edgeSecrets are the stack's edge secrets. In one Region, the stack's own. In several, every
// Region's distribution sends the shared one, which the primary makes with a replica in every
// other Region and the others read by name; the primary keeps accepting its own, which its
// distribution sent before the second Region, so that no connection is refused while the
// stacks update one by one.
func (m *RegionalRealtime) edgeSecrets(stack awscdk.Stack) edgeSecrets {
	if m == nil || m.SharedSecretName == "" {
		own := newEdgeSecret(stack)
		return edgeSecrets{sent: own, accepted: []awssecretsmanager.ISecret{own}}
	}
	if !m.primary() {
		// This Region's replica of the primary's: a dynamic reference by name resolves in the
		// stack's own Region.
		shared := awssecretsmanager.Secret_FromSecretNameV2(stack, jsii.String("SharedEdgeSecret"), jsii.String(m.SharedSecretName))
		return edgeSecrets{sent: shared, accepted: []awssecretsmanager.ISecret{shared}}
	}
	own := newEdgeSecret(stack)
	var replicas []*awssecretsmanager.ReplicaRegion
	for _, r := range m.Regions[1:] {
		replicas = append(replicas, &awssecretsmanager.ReplicaRegion{Region: jsii.String(r)})
	}
	shared := awssecretsmanager.NewSecret(stack, jsii.String("SharedEdgeSecret"), &awssecretsmanager.SecretProps{
		SecretName:  jsii.String(m.SharedSecretName),
		Description: jsii.String("TicTacToe: the value every Region's CloudFront distribution adds to each WebSocket connection to any Region's API; $connect refuses connections without it"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength: jsii.Number(32), ExcludePunctuation: jsii.Bool(true),
		},
		ReplicaRegions: &replicas,
		RemovalPolicy:  awscdk.RemovalPolicy_DESTROY,
	})
	blocks.SuppressNag(shared, "AwsSolutions-SMG4", edgeSecretNoRotation)
	keepPublished(stack, own.SecretArn())
	return edgeSecrets{sent: shared, accepted: []awssecretsmanager.ISecret{own, shared}}
}

// addEnvironment tells a function the deployment's Regions.
func (m *RegionalRealtime) addEnvironment(env map[string]*string) {
	if m == nil {
		return
	}
	env[config.EnvRegions] = jsii.String(strings.Join(m.Regions, ","))
}

// grantReplicas lets a function that sends frames make its table calls on every Region's
// replica of the table: the Regional store reads and writes each item at its home, which may
// be another Region's.
func (m *RegionalRealtime) grantReplicas(stack awscdk.Stack, table awsdynamodb.ITableV2, f catalog.Function, fn *blocks.GoFunction) {
	if m == nil || !f.Needs.ManageConnections {
		return
	}
	var arns []*string
	for _, r := range m.Regions {
		arns = append(arns, awscdk.Fn_Join(jsii.String(""), &[]*string{
			jsii.String("arn:"), stack.Partition(), jsii.String(":dynamodb:" + r + ":"), stack.Account(), jsii.String(":table/"), table.TableName(),
		}))
	}
	fn.Function.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings(f.Needs.TableActions...),
		Resources: &arns,
	}))
}

// wireSenders tells each function that sends frames to read the other Regions' @connections
// URLs from the game table (which its grants on the table cover), and publishes what the Links
// stacks read: each such function's role, the API's id and its @connections URL.
func (m *RegionalRealtime) wireSenders(stack awscdk.Stack, api *blocks.WebSocketApi, functions map[string]*blocks.GoFunction) {
	if m == nil {
		return
	}
	for _, f := range catalog.RouteFunctions() {
		if !f.Needs.ManageConnections {
			continue
		}
		fn := functions[f.Name]
		fn.Function.AddEnvironment(jsii.String(config.EnvCallbackURLsInTable), jsii.String("true"), nil)
		awscdk.NewCfnOutput(stack, jsii.String(roleOutput(f.Name)), &awscdk.CfnOutputProps{
			Value:       fn.Role.RoleName(),
			Description: jsii.String("The " + f.Name + " function's role: the Links stack grants it the other Regions' @connections"),
		})
	}
	awscdk.NewCfnOutput(stack, jsii.String(realtimeOutputApiId), &awscdk.CfnOutputProps{
		Value: api.Api.ApiId(), Description: jsii.String("The WebSocket API's id, for the other Regions' grants"),
	})
	awscdk.NewCfnOutput(stack, jsii.String(realtimeOutputCallbackUrl), &awscdk.CfnOutputProps{
		Value: api.Stage.CallbackUrl(), Description: jsii.String("The stage's @connections URL, for the other Regions' functions"),
	})
}

// publishHosts publishes the API's host (apiDomain), where the other Regions' distributions
// pass their fallback sockets and the Health stack checks it, and gives the API the socket
// domain.
func (m *RegionalRealtime) publishHosts(stack awscdk.Stack, api *blocks.WebSocketApi, apiDomain *string) {
	if m == nil {
		return
	}
	awscdk.NewCfnOutput(stack, jsii.String(realtimeOutputApiDomain), &awscdk.CfnOutputProps{
		Value: apiDomain, Description: jsii.String("The WebSocket API's host, where the other Regions' distributions pass their fallback sockets"),
	})
	if m.SocketDomain != "" {
		zoneId := ""
		if m.primary() {
			zoneId = m.HostedZoneId
		}
		newSocketDomain(stack, api, m.SocketDomain, zoneId)
	}
}

// newSocketDomain gives api the custom domain name, mapped to its stage under the stage's name
// (so the path is the one the execute-api host takes), and publishes its regional endpoint for
// the latency records.
func newSocketDomain(stack awscdk.Stack, api *blocks.WebSocketApi, name, zoneId string) {
	validation := awscertificatemanager.CertificateValidation_FromDns(nil)
	if zoneId != "" {
		validation = awscertificatemanager.CertificateValidation_FromDns(awsroute53.HostedZone_FromHostedZoneId(stack, jsii.String("Zone"), jsii.String(zoneId)))
	}
	cert := awscertificatemanager.NewCertificate(stack, jsii.String("SocketCertificate"), &awscertificatemanager.CertificateProps{
		DomainName: jsii.String(name),
		Validation: validation,
	})
	domain := awsapigatewayv2.NewDomainName(stack, jsii.String("SocketDomain"), &awsapigatewayv2.DomainNameProps{
		DomainName:  jsii.String(name),
		Certificate: cert,
	})
	awsapigatewayv2.NewApiMapping(stack, jsii.String("SocketMapping"), &awsapigatewayv2.ApiMappingProps{
		Api:           api.Api,
		DomainName:    domain,
		Stage:         api.Stage,
		ApiMappingKey: api.Stage.StageName(),
	})
	awscdk.NewCfnOutput(stack, jsii.String(realtimeOutputSocketDomain), &awscdk.CfnOutputProps{
		Value: domain.RegionalDomainName(), Description: jsii.String("The regional endpoint of " + name + ", for its latency record"),
	})
	awscdk.NewCfnOutput(stack, jsii.String(realtimeOutputSocketHostedZoneId), &awscdk.CfnOutputProps{
		Value: domain.RegionalHostedZoneId(), Description: jsii.String("The hosted zone of that endpoint, for the record's alias"),
	})
}

// keepPublished keeps the output CDK made for value when another stack read it (a weak
// reference, Fn::GetStackOutput), after that stack has stopped reading it: a rollback of the
// reader's update goes back to a template that reads it. Its path is the one CDK gives such an
// output (Publish/Output<the value resolved>), so the logical ID stays, and CDK reuses it
// should a stack read the value again.
func keepPublished(stack awscdk.Stack, value *string) {
	resolved, err := json.Marshal(stack.Resolve(value))
	if err != nil {
		panic(fmt.Errorf("stack %s: resolving %s: %w", *stack.StackName(), *value, err))
	}
	// CDK makes its Publish scope at synth, and finds this one then.
	if stack.Node().TryFindChild(jsii.String("Publish")) != nil {
		panic(fmt.Errorf("stack %s: keepPublished is called once, before synth", *stack.StackName()))
	}
	scope := constructs.NewConstruct(stack, jsii.String("Publish"))
	awscdk.NewCfnOutput(scope, jsii.String("Output"+string(resolved)), &awscdk.CfnOutputProps{Value: value})
}

// secondaryRegions are the Regions of cfg after the primary.
func secondaryRegions(cfg Config) []string {
	if len(cfg.Regions) < 2 {
		return nil
	}
	return cfg.Regions[1:]
}

// socketDomain is the name every Region's API answers on in a multi-Region deployment with a
// domain in a Route 53 zone: latency records of it send the domain's sockets to the nearest
// healthy Region. "" otherwise.
func socketDomain(cfg Config) string {
	if len(cfg.Regions) < 2 || !cfg.UsesCloudFront() || cfg.DomainName == "" || cfg.HostedZoneId == "" {
		return ""
	}
	return "ws." + cfg.DomainName
}

// primaryRegion is the primary's name in a multi-Region deployment, "" in one Region.
func primaryRegion(cfg Config) string {
	if len(cfg.Regions) < 2 {
		return ""
	}
	return cfg.Regions[0]
}

// sharedSecretName names the edge secret every Region's distribution sends to every Region's
// API in a multi-Region deployment behind distributions; "" otherwise.
func sharedSecretName(cfg Config) string {
	if len(cfg.Regions) < 2 || !cfg.UsesCloudFront() {
		return ""
	}
	return StackPrefix(cfg) + "EdgeSecret"
}

// fallbackSocketPath is where a distribution passes sockets to region's API in a multi-Region
// deployment.
func fallbackSocketPath(region string) string {
	return blocks.DefaultSocketPath + "-" + region
}

// otherSockets are the sockets a distribution in region passes to the other Regions' APIs, in
// the deployment's order: each reads the API's host from its Realtime stack's output. None in
// one Region.
func otherSockets(cfg Config, region string) []blocks.SocketOrigin {
	var sockets []blocks.SocketOrigin
	for i, r := range cfg.Regions {
		if r == region {
			continue
		}
		stack := StackPrefix(cfg) + "Realtime"
		if i > 0 {
			stack += suffix(r)
		}
		sockets = append(sockets, blocks.SocketOrigin{Path: fallbackSocketPath(r), ApiDomainName: regionalOutput(stack, realtimeOutputApiDomain, r)})
	}
	return sockets
}

// addRegions adds the secondary Regions' stacks, which use the primary's table through their
// replicas, and every Region's Links stack (docs/regions.md).
func (d *Deployment) addRegions(m stackMaker) {
	cfg, scope := m.cfg, m.scope
	primary := cfg.Regions[0]
	realtimeIn := map[string]string{primary: *d.Realtime.StackName()}
	for _, r := range secondaryRegions(cfg) {
		rs := &RegionStacks{Region: r}
		rs.Alerts = NewAlertsStack(scope, m.id(r, "Alerts"), &AlertsStackProps{
			StackProps:  m.propsIn(r, "Alerts", "alerts topic (presence events of the rooms homed here) and operations topic (alarms)"),
			Email:       optionalString(cfg.AlertEmail),
			EmailEvents: cfg.AlertEvents,
			OpsEmail:    optionalString(cfg.OpsEmail),
			Lifecycle:   cfg.Lifecycle,
		})
		rs.Network = NewNetworkStack(scope, m.id(r, "Network"), networkPropsFor(cfg, m.propsIn(r, "Network", networkDescription)))
		rtProps := realtimePropsFor(cfg, r, m.propsIn(r, "Realtime", realtimeDescription))
		rtProps.TableName = regionalOutput(*d.Data.StackName(), dataOutputTableName, primary)
		rtProps.AlarmTopic = rs.Alerts.Operations
		rs.Realtime = NewRealtimeStack(scope, m.id(r, "Realtime"), rtProps)
		after(rs.Realtime.Stack, "the functions use the game table's replica, which the primary's Data stack makes", d.Data.Stack)
		after(rs.Realtime.Stack, "the alarms notify this Region's operations topic", rs.Alerts.Stack)
		if rtProps.Regional.SharedSecretName != "" {
			after(rs.Realtime.Stack, "the connect function reads this Region's replica of the edge secret the primary's Realtime stack makes", d.Realtime.Stack)
		}
		rs.Presence = NewPresenceStack(scope, m.id(r, "Presence"), &PresenceStackProps{
			StackProps: m.propsIn(r, "Presence", "presence: the game table replica's stream to presence events of the rooms homed here"),
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
	d.Health = newHealth(m, d)
	after(d.Health.Stack, "its health checks and records read every Region's API from its Realtime stack's outputs", realtimes...)
	if socketDomain(cfg) != "" {
		after(d.Frontend.Stack, "the domain's socket goes to "+socketDomain(cfg)+", whose records the Health stack makes", d.Health.Stack)
	}
	for _, rs := range d.Secondary {
		r := rs.Region
		props := frontendPropsFor(cfg, d.Edge, rs.Realtime, rs.Network, func(desc string) awscdk.StackProps { return m.propsIn(r, "Frontend", desc) }, r)
		props.AlarmTopic = rs.Alerts.Operations
		rs.Frontend = NewFrontendStack(scope, m.id(r, "Frontend"), props)
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
		links := NewLinksStack(scope, m.id(region, "Links"), &LinksStackProps{
			StackProps: m.propsIn(region, "Links", "this Region's @connections URL in the game table and the grants on the other Regions' APIs"),
			TableName:  regionalOutput(*d.Data.StackName(), dataOutputTableName, primary),
			Lifecycle:  cfg.Lifecycle,
			Parameter:  callbackURLsParameter(cfg),
			Region:     r,
			Regions:    cfg.Regions,
			Realtime:   realtimeIn,
			Stage:      blocks.DefaultStageName,
		})
		after(links.Stack, "it writes this Region's @connections URL into its replica of the game table, which the primary's Data stack makes", d.Data.Stack)
		after(links.Stack, "it reads every Region's API from its Realtime stack's outputs", d.Realtime.Stack)
		for _, rs := range d.Secondary {
			after(links.Stack, "it reads every Region's API from its Realtime stack's outputs", rs.Realtime.Stack)
		}
		d.Links = append(d.Links, links)
	}
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
