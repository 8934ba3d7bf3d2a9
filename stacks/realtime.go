package stacks

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	cdkconstructs "github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/serverless-tictactoe/tictactoe/constructs"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
)

// RealtimeStackProps configures the Realtime stack.
type RealtimeStackProps struct {
	awscdk.StackProps
	// Table is the game table the functions read and write. Required, unless TableName is
	// given.
	Table awsdynamodb.ITableV2
	// TableName names the table to import in this stack's Region (a replica of the primary's
	// global table), when Table is not given.
	TableName *string
	// Regions are a multi-Region deployment's, the primary first (docs/regions.md): the
	// functions get them, may use every Region's replica, and read every Region's @connections
	// URL from CallbackURLsParameter, which the Links stack of their Region writes.
	Regions               []string
	CallbackURLsParameter string
	// Lifecycle picks the log groups' retention and removal.
	Lifecycle constructs.Lifecycle
	// FunctionEnv are settings every function gets (lambda/config variables). Default: none,
	// the functions' own defaults.
	FunctionEnv map[string]string
	// ThrottleRate and ThrottleBurst limit the stage. Default: WebSocketApi's.
	ThrottleRate, ThrottleBurst *float64
	// ConnectThrottle limits $connect within the stage's limit. Default: none of its own.
	ConnectThrottle *constructs.Throttle
	// GameConcurrency is the game function's reserved concurrency. Default: none reserved.
	GameConcurrency *float64
	// AccountLogRole sets the region's API Gateway CloudWatch Logs role. Default:
	// WebSocketApi's (see constructs.WebSocketApiProps.AccountLogRole).
	AccountLogRole *bool
	// BehindDistribution makes the edge secret the site's CloudFront distribution adds to
	// every connection, and has the functions that check it (catalog Needs.EdgeSecret) refuse
	// connections without it. Default: false, connections straight to the API.
	BehindDistribution bool
	// SharedSecretName names, in a multi-Region deployment behind distributions, the edge
	// secret every Region's distribution sends to every Region's API (a page may fail over
	// through its own distribution to any Region). The primary makes it, with a replica in
	// each of SharedSecretReplicas; the other Regions read their replica by name, so they
	// deploy after the primary's Realtime stack. Default: none, one Region.
	SharedSecretName     string
	SharedSecretReplicas []string
	// AlarmTopic is told when the API's and the functions' alarms go off and when they clear.
	// Default: none, alarms without actions.
	AlarmTopic awssns.ITopic
	// SocketDomain gives the API a regional custom domain of that name (every Region's API
	// the same name, as latency records of it need), with a certificate of this Region.
	// ValidationZoneId is the Route 53 zone the primary validates it in; the other Regions'
	// certificates need the same record (ACM's DNS validation record of a name is one per
	// account, whatever the Region), so they deploy after the primary's. Default: none.
	SocketDomain, ValidationZoneId string
}

// RealtimeStack is the WebSocket API and the Go functions behind its routes: one per route
// function of lambda/catalog, each granted what the catalog says it needs.
type RealtimeStack struct {
	awscdk.Stack
	// Api is the WebSocket API with its stage.
	Api *constructs.WebSocketApi
	// Functions are the route functions by name (catalog.Fn*).
	Functions map[string]*constructs.GoFunction
	// WebSocketUrl is the stage's wss:// URL.
	WebSocketUrl *string
	// ApiDomainName is the API's own host, where the distribution passes sockets.
	ApiDomainName *string
	// EdgeSecret is the value the distribution adds to connections (BehindDistribution): the
	// shared one in a multi-Region deployment; nil without one.
	EdgeSecret awssecretsmanager.ISecret
	// ApiAlarms and FunctionAlarms (by function name) page, beside what they watch.
	ApiAlarms      *constructs.ApiAlarms
	FunctionAlarms map[string]*constructs.FunctionAlarms
}

// Alarms are the stack's alarms: the API's, then each function's in the catalog's order.
func (r *RealtimeStack) Alarms() []awscloudwatch.IAlarm {
	alarms := r.ApiAlarms.Alarms()
	for _, f := range catalog.RouteFunctions() {
		alarms = append(alarms, r.FunctionAlarms[f.Name].Alarms()...)
	}
	return alarms
}

// Outputs a multi-Region deployment's other Regions read from a Realtime stack.
const (
	realtimeOutputApiDomain          = "ApiDomainName"
	realtimeOutputSocketDomain       = "SocketRegionalDomainName"
	realtimeOutputSocketHostedZoneId = "SocketRegionalHostedZoneId"
)

// NewRealtimeStack defines the stack.
func NewRealtimeStack(scope cdkconstructs.Construct, id string, props *RealtimeStackProps) *RealtimeStack {
	if props.Table == nil && props.TableName == nil {
		panic(fmt.Errorf("stack %s: Table or TableName is required", id))
	}
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	if props.Table == nil {
		props.Table = awsdynamodb.TableV2_FromTableName(stack, jsii.String("Games"), props.TableName)
	}

	// accepted are the secrets $connect takes; edgeSecret is the one the distributions send.
	var edgeSecret awssecretsmanager.ISecret
	var accepted []awssecretsmanager.ISecret
	primary := len(props.SharedSecretReplicas) > 0
	if props.BehindDistribution && (props.SharedSecretName == "" || primary) {
		edgeSecret = awssecretsmanager.NewSecret(stack, jsii.String("EdgeSecret"), &awssecretsmanager.SecretProps{
			Description: jsii.String("TicTacToe: the value the site's CloudFront distribution adds to each WebSocket connection; $connect refuses connections without it"),
			GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
				PasswordLength: jsii.Number(32), ExcludePunctuation: jsii.Bool(true),
			},
			// Nothing but this deployment reads it, and a new one is made with the stack.
			RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
		})
		constructs.SuppressNag(edgeSecret, "AwsSolutions-SMG4", edgeSecretNoRotation)
		accepted = append(accepted, edgeSecret)
	}
	if props.BehindDistribution && props.SharedSecretName != "" {
		if primary {
			var replicas []*awssecretsmanager.ReplicaRegion
			for _, r := range props.SharedSecretReplicas {
				replicas = append(replicas, &awssecretsmanager.ReplicaRegion{Region: jsii.String(r)})
			}
			shared := awssecretsmanager.NewSecret(stack, jsii.String("SharedEdgeSecret"), &awssecretsmanager.SecretProps{
				SecretName:  jsii.String(props.SharedSecretName),
				Description: jsii.String("TicTacToe: the value every Region's CloudFront distribution adds to each WebSocket connection to any Region's API; $connect refuses connections without it"),
				GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
					PasswordLength: jsii.Number(32), ExcludePunctuation: jsii.Bool(true),
				},
				ReplicaRegions: &replicas,
				RemovalPolicy:  awscdk.RemovalPolicy_DESTROY,
			})
			constructs.SuppressNag(shared, "AwsSolutions-SMG4", edgeSecretNoRotation)
			keepPublished(stack, edgeSecret.SecretArn())
			edgeSecret = shared
		} else {
			// This Region's replica of the primary's: a dynamic reference by name resolves
			// in the stack's own Region.
			edgeSecret = awssecretsmanager.Secret_FromSecretNameV2(stack, jsii.String("SharedEdgeSecret"), jsii.String(props.SharedSecretName))
		}
		// The primary keeps accepting its own secret, which its distribution sent before a
		// second Region: no connection is refused while the stacks update one by one.
		accepted = append(accepted, edgeSecret)
	}

	// The key $connect hashes addresses with, so the table holds no address nor a hash anyone
	// can invert by trying every IPv4 address; each Region has its own (its counts are its own).
	sourceKey := awssecretsmanager.NewSecret(stack, jsii.String("SourceKeySecret"), &awssecretsmanager.SecretProps{
		Description: jsii.String("TicTacToe: the key $connect hashes client addresses with before anything about them is stored"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength: jsii.Number(32), ExcludePunctuation: jsii.Bool(true),
		},
		// Losing it forgets only what addresses were charged in the last minutes.
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	constructs.SuppressNag(sourceKey, "AwsSolutions-SMG4", "A key for hashing client addresses that grants nothing, written into this stack's connect function at deploy time: a rotation would take effect at the next deploy and forget the per-address charges of the last 15 minutes")

	functions := map[string]*constructs.GoFunction{}
	functionsScope := cdkconstructs.NewConstruct(stack, jsii.String("Functions"))
	var integrations []constructs.WebSocketIntegration
	for _, f := range catalog.RouteFunctions() {
		if f.Needs.StreamRead || f.Needs.PublishAlerts {
			panic(fmt.Errorf("stack %s: route function %s needs the stream or the alerts topic, which this stack does not have: serve it from the Presence stack", id, f.Name))
		}
		env := environment(props.FunctionEnv)
		if f.Needs.Table() {
			env[config.EnvTableName] = props.Table.TableName()
		}
		if len(props.Regions) > 0 {
			env[config.EnvRegions] = jsii.String(strings.Join(props.Regions, ","))
		}
		if f.Needs.EdgeSecret && len(accepted) > 0 {
			// Resolved by CloudFormation at deploy time: the function reads no secret at run time.
			values := make([]*string, len(accepted))
			for i, a := range accepted {
				values[i] = a.SecretValue().UnsafeUnwrap()
			}
			env[config.EnvEdgeSecret] = values[0]
			if len(values) > 1 {
				env[config.EnvEdgeSecret] = awscdk.Fn_Join(jsii.String(","), &values)
			}
		}
		if f.Needs.SourceKey {
			// Resolved by CloudFormation at deploy time, as the edge secret is.
			env[config.EnvSourceKeySecret] = sourceKey.SecretValue().UnsafeUnwrap()
		}
		var reserved *float64
		if f.Name == catalog.FnGame {
			reserved = props.GameConcurrency
		}
		fn := constructs.NewGoFunction(functionsScope, jsii.String(f.Name), &constructs.GoFunctionProps{
			Command:             jsii.String(f.Name),
			Description:         jsii.String(f.Description),
			Environment:         &env,
			Lifecycle:           props.Lifecycle,
			ReservedConcurrency: reserved,
		})
		if f.Needs.Table() {
			props.Table.Grant(fn.Function, *jsii.Strings(f.Needs.TableActions...)...)
			grantTableKey(props.Table, fn)
			if len(props.Regions) > 0 && f.Needs.ManageConnections {
				grantReplicas(stack, props.Table, props.Regions, f, fn)
			}
		}
		functions[f.Name] = fn
		integrations = append(integrations, constructs.WebSocketIntegration{Name: f.Name, Handler: fn.Function, RouteKeys: f.Routes})
	}

	var routeThrottles map[string]constructs.Throttle
	if props.ConnectThrottle != nil {
		routeThrottles = map[string]constructs.Throttle{catalog.Connect: *props.ConnectThrottle}
	}
	api := constructs.NewWebSocketApi(stack, jsii.String("Api"), &constructs.WebSocketApiProps{
		Integrations:             integrations,
		RouteSelectionExpression: jsii.String(catalog.SelectionExpression),
		ThrottleRate:             props.ThrottleRate,
		ThrottleBurst:            props.ThrottleBurst,
		RouteThrottles:           routeThrottles,
		Description:              jsii.String("TicTacToe protocol v1"),
		Lifecycle:                props.Lifecycle,
		AccountLogRole:           props.AccountLogRole,
	})

	constructs.SuppressNag(api.Routes[catalog.Connect], "AwsSolutions-APIG4", "The game has no accounts by design: anyone may open a connection. The connect function checks the Origin against ALLOWED_ORIGINS, every frame is rate-limited per connection, and a seat in a room is held by a secret token only its player has")

	for _, f := range catalog.RouteFunctions() {
		if !f.Needs.ManageConnections {
			continue
		}
		fn := functions[f.Name]
		api.GrantManageConnections(fn.Function)
		constructs.SuppressNag(fn.Role, "AwsSolutions-IAM5", "Connection IDs exist only at run time: the grant covers @connections of this API's one stage and nothing else",
			&cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::arn:(<AWS::Partition>|aws[a-z-]*):execute-api:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|[0-9]+):<[A-Za-z0-9]+>\/[^/*]+\/\*\/@connections\/\*$/`)})
		fn.Function.AddEnvironment(jsii.String(config.EnvCallbackURL), api.Stage.CallbackUrl(), nil)
		if len(props.Regions) > 0 {
			wireRegions(stack, fn, props.CallbackURLsParameter)
			awscdk.NewCfnOutput(stack, jsii.String(roleOutput(f.Name)), &awscdk.CfnOutputProps{
				Value:       fn.Role.RoleName(),
				Description: jsii.String("The " + f.Name + " function's role: the Links stack grants it the other Regions' @connections"),
			})
		}
	}
	if len(props.Regions) > 0 {
		awscdk.NewCfnOutput(stack, jsii.String(realtimeOutputApiId), &awscdk.CfnOutputProps{
			Value: api.Api.ApiId(), Description: jsii.String("The WebSocket API's id, for the other Regions' grants"),
		})
		awscdk.NewCfnOutput(stack, jsii.String(realtimeOutputCallbackUrl), &awscdk.CfnOutputProps{
			Value: api.Stage.CallbackUrl(), Description: jsii.String("The stage's @connections URL, for the other Regions' functions"),
		})
	}

	awscdk.NewCfnOutput(stack, jsii.String("WebSocketUrl"), &awscdk.CfnOutputProps{
		Value:       api.Stage.Url(),
		Description: jsii.String("WebSocket API URL the site connects to"),
	})
	apiDomain := awscdk.Fn_Join(jsii.String(""), &[]*string{api.Api.ApiId(), jsii.String(".execute-api."), stack.Region(), jsii.String("."), stack.UrlSuffix()})
	if len(props.Regions) > 0 {
		awscdk.NewCfnOutput(stack, jsii.String(realtimeOutputApiDomain), &awscdk.CfnOutputProps{
			Value: apiDomain, Description: jsii.String("The WebSocket API's host, where the other Regions' distributions pass their fallback sockets"),
		})
	}
	if props.SocketDomain != "" {
		newSocketDomain(stack, api, props.SocketDomain, props.ValidationZoneId)
	}
	rs := &RealtimeStack{Stack: stack, Api: api, Functions: functions, WebSocketUrl: api.Stage.Url(), ApiDomainName: apiDomain, EdgeSecret: edgeSecret,
		FunctionAlarms: map[string]*constructs.FunctionAlarms{}}
	rs.ApiAlarms = constructs.NewApiAlarms(stack, jsii.String("ApiAlarms"), &constructs.ApiAlarmsProps{Api: api, AlarmTopic: props.AlarmTopic})
	alarms := cdkconstructs.NewConstruct(stack, jsii.String("FunctionAlarms"))
	for _, f := range catalog.RouteFunctions() {
		rs.FunctionAlarms[f.Name] = constructs.NewFunctionAlarms(alarms, jsii.String(f.Name), &constructs.FunctionAlarmsProps{
			Name: f.Name, Function: functions[f.Name], AlarmTopic: props.AlarmTopic,
		})
	}
	return rs
}

// newSocketDomain gives api the custom domain name, mapped to its stage under the stage's name
// (so the path is the one the execute-api host takes), and publishes its regional endpoint for
// the latency records.
func newSocketDomain(stack awscdk.Stack, api *constructs.WebSocketApi, name, zoneId string) {
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
	scope := cdkconstructs.NewConstruct(stack, jsii.String("Publish"))
	awscdk.NewCfnOutput(scope, jsii.String("Output"+string(resolved)), &awscdk.CfnOutputProps{Value: value})
}

// edgeSecretNoRotation is why an edge secret does not rotate.
const edgeSecretNoRotation = "The value is written into the distribution's origin header and the connect function's settings at deploy time; a rotation would refuse players until both are redeployed. It grants nothing: it only tells connections through the distribution (and its firewall) from those that skip it"

// environment is a function's environment: the deployer's settings, in a stable order.
func environment(settings map[string]string) map[string]*string {
	names := make([]string, 0, len(settings))
	for k := range settings {
		names = append(names, k)
	}
	sort.Strings(names)
	env := map[string]*string{}
	for _, k := range names {
		env[k] = jsii.String(settings[k])
	}
	return env
}
