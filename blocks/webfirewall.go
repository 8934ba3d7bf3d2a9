package blocks

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// WebFirewallProps configures a WebFirewall.
type WebFirewallProps struct {
	// Name of the web ACL, unique in the account: its metrics carry it, so the dashboard of
	// another stack (or Region) can draw them without a reference. Required.
	Name *string
	// RequestLimit is the most requests one client address may make in 5 minutes, pages and
	// sockets together; above it its requests are blocked until it slows down. Default:
	// DefaultRequestLimit.
	RequestLimit *float64
	// SocketPath and SocketLimit bound WebSocket connection attempts: the most one client
	// address may open on SocketPath in 5 minutes. Defaults: DefaultSocketPath,
	// DefaultSocketLimit.
	SocketPath  *string
	SocketLimit *float64
	// BlockedAlarmThreshold is how many blocked requests in 5 minutes make a spike worth a
	// look. Default: DefaultBlockedAlarmThreshold.
	BlockedAlarmThreshold *float64
	// AlarmTopic is told when the blocked-requests alarm fires and clears. Default: none.
	AlarmTopic awssns.ITopic
	// Lifecycle picks the request log's retention and fate. Default: Prod, retained.
	Lifecycle Lifecycle
	// Description of the web ACL. Default: "Site and socket: rate limits per address, AWS
	// managed rules".
	Description *string
}

// WebFirewall is a WAFv2 web ACL for a CloudFront distribution (CLOUDFRONT scope: it must be
// defined in us-east-1): per-address rate limits on all requests and on WebSocket connection
// attempts, then the AWS managed rule groups that fit a static site with a socket (IP
// reputation, the common rule set, known bad inputs). Requests are logged to CloudWatch Logs
// with the cookie and authorization headers and the query string redacted; an alarm watches
// for a spike of blocked requests.
type WebFirewall struct {
	constructs.Construct
	// WebAcl is the web ACL; its AttrArn goes on the distribution.
	WebAcl awswafv2.CfnWebACL
	// Logs is the request log (WAF requires the aws-waf-logs- name prefix).
	Logs awslogs.LogGroup
	// BlockedSpike fires on a spike of blocked requests.
	BlockedSpike awscloudwatch.Alarm
	name         string
}

// WebFirewall's defaults.
const (
	// DefaultRequestLimit allows 200 page loads (about 10 requests each) per address in 5
	// minutes: a school or an office behind one address still plays.
	DefaultRequestLimit = 2000
	// DefaultSocketLimit allows 300 connection attempts per address in 5 minutes: a player's
	// reconnects back off to one per 15 s, so this is 20 players reconnecting all along.
	DefaultSocketLimit = 300
	// DefaultBlockedAlarmThreshold: more blocks than a few players over the limit make.
	DefaultBlockedAlarmThreshold = 1000
)

// Rule names of a WebFirewall: its metrics carry them (MetricBlocked).
const (
	RuleRateLimit     = "RateLimit"
	RuleSocketLimit   = "SocketRateLimit"
	RuleIPReputation  = "AWSManagedRulesAmazonIpReputationList"
	RuleCommon        = "AWSManagedRulesCommonRuleSet"
	RuleKnownBadInput = "AWSManagedRulesKnownBadInputsRuleSet"
)

// FirewallRules lists a WebFirewall's rules in the order they are evaluated.
func FirewallRules() []string {
	return []string{RuleSocketLimit, RuleRateLimit, RuleIPReputation, RuleCommon, RuleKnownBadInput}
}

// webAclName is what WAF takes as a web ACL's name.
var webAclName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// wafLogPrefix starts the name of every log group WAF writes to.
const wafLogPrefix = "aws-waf-logs-"

// waf's limits on a rate-based rule.
const minRateLimit, maxRateLimit = 10, 2000000000

// NewWebFirewall defines the web ACL, its logging and its alarm.
func NewWebFirewall(scope constructs.Construct, id *string, props *WebFirewallProps) *WebFirewall {
	p, err := props.validate(scope)
	if err != nil {
		panic(fmt.Errorf("WebFirewall %s: %w", *id, err))
	}
	this := constructs.NewConstruct(scope, id)
	w := &WebFirewall{Construct: this, name: *p.Name}
	w.WebAcl = awswafv2.NewCfnWebACL(this, jsii.String("Resource"), &awswafv2.CfnWebACLProps{
		Name:             p.Name,
		Description:      orString(p.Description, "Site and socket: rate limits per address, AWS managed rules"),
		Scope:            jsii.String("CLOUDFRONT"),
		DefaultAction:    &awswafv2.CfnWebACL_DefaultActionProperty{Allow: &awswafv2.CfnWebACL_AllowActionProperty{}},
		VisibilityConfig: wafVisibility(*p.Name),
		Rules:            webAclRules(&p),
	})
	w.Logs = newRequestLog(this, w.WebAcl, &p)
	w.BlockedSpike = w.MetricBlockedRequests(&awscloudwatch.MetricOptions{Period: fiveMinutes()}).CreateAlarm(this, jsii.String("BlockedSpike"), &awscloudwatch.CreateAlarmOptions{
		AlarmDescription:   jsii.String(fmt.Sprintf("The firewall blocked %v requests or more in 5 minutes: an attack, a client stuck in a loop, or a rule blocking players. Its log (%s…) says which rule and which address.", *p.BlockedAlarmThreshold, wafLogPrefix+*p.Name)),
		Threshold:          p.BlockedAlarmThreshold,
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	if p.AlarmTopic != nil {
		Notify(w.BlockedSpike, p.AlarmTopic)
	}
	return w
}

// validate checks props, for a web ACL to be defined in scope, and returns a copy with every
// default filled in (the caller's props are never changed).
func (props *WebFirewallProps) validate(scope constructs.Construct) (WebFirewallProps, error) {
	if props == nil || props.Name == nil {
		return WebFirewallProps{}, errors.New("Name is required")
	}
	p := *props
	if !webAclName.MatchString(*p.Name) {
		return p, fmt.Errorf("Name %q is not a web ACL name (letters, digits, - and _, at most 128)", *p.Name)
	}
	if region := awscdk.Stack_Of(scope).Region(); !*awscdk.Token_IsUnresolved(region) && *region != "us-east-1" {
		return p, fmt.Errorf("a web ACL for CloudFront must be defined in us-east-1, not %s", *region)
	}
	if p.RequestLimit == nil {
		p.RequestLimit = jsii.Number(DefaultRequestLimit)
	}
	if p.SocketPath == nil {
		p.SocketPath = jsii.String(DefaultSocketPath)
	}
	if p.SocketLimit == nil {
		p.SocketLimit = jsii.Number(DefaultSocketLimit)
	}
	for what, v := range map[string]float64{"RequestLimit": *p.RequestLimit, "SocketLimit": *p.SocketLimit} {
		if v < minRateLimit || v > maxRateLimit || v != float64(int64(v)) {
			return p, fmt.Errorf("%s %v is not a whole number of requests from %d to %d", what, v, minRateLimit, maxRateLimit)
		}
	}
	if p.BlockedAlarmThreshold == nil {
		p.BlockedAlarmThreshold = jsii.Number(DefaultBlockedAlarmThreshold)
	}
	return p, nil
}

// webAclRules are the web ACL's rules in FirewallRules' order: the rate limits block, the
// managed rule groups act as their own rules say.
func webAclRules(p *WebFirewallProps) []any {
	statements := map[string]*awswafv2.CfnWebACL_StatementProperty{
		RuleSocketLimit: rateLimit(p.SocketLimit, &awswafv2.CfnWebACL_StatementProperty{ByteMatchStatement: &awswafv2.CfnWebACL_ByteMatchStatementProperty{
			FieldToMatch:         &awswafv2.CfnWebACL_FieldToMatchProperty{UriPath: map[string]any{}},
			PositionalConstraint: jsii.String("EXACTLY"),
			SearchString:         p.SocketPath,
			TextTransformations:  &[]*awswafv2.CfnWebACL_TextTransformationProperty{{Priority: jsii.Number(0), Type: jsii.String("NONE")}},
		}}),
		RuleRateLimit:     rateLimit(p.RequestLimit, nil),
		RuleIPReputation:  managedRules(RuleIPReputation),
		RuleCommon:        managedRules(RuleCommon),
		RuleKnownBadInput: managedRules(RuleKnownBadInput),
	}
	block := &awswafv2.CfnWebACL_RuleActionProperty{Block: &awswafv2.CfnWebACL_BlockActionProperty{}}
	var rules []any
	for i, name := range FirewallRules() {
		r := &awswafv2.CfnWebACL_RuleProperty{
			Name: jsii.String(name), Priority: jsii.Number(float64(i)), Statement: statements[name], VisibilityConfig: wafVisibility(name),
		}
		if statements[name].ManagedRuleGroupStatement != nil {
			r.OverrideAction = &awswafv2.CfnWebACL_OverrideActionProperty{None: map[string]any{}}
		} else {
			r.Action = block
		}
		rules = append(rules, r)
	}
	return rules
}

// wafVisibility publishes a rule's (or the web ACL's) metrics under metric, with samples.
func wafVisibility(metric string) *awswafv2.CfnWebACL_VisibilityConfigProperty {
	return &awswafv2.CfnWebACL_VisibilityConfigProperty{
		CloudWatchMetricsEnabled: jsii.Bool(true),
		MetricName:               jsii.String(metric),
		SampledRequestsEnabled:   jsii.Bool(true),
	}
}

// rateLimit matches a client address over limit requests in 5 minutes, of those scopeDown
// matches (nil: all).
func rateLimit(limit *float64, scopeDown any) *awswafv2.CfnWebACL_StatementProperty {
	return &awswafv2.CfnWebACL_StatementProperty{RateBasedStatement: &awswafv2.CfnWebACL_RateBasedStatementProperty{
		AggregateKeyType:    jsii.String("IP"),
		Limit:               limit,
		EvaluationWindowSec: jsii.Number(300),
		ScopeDownStatement:  scopeDown,
	}}
}

// managedRules is the AWS managed rule group name.
func managedRules(name string) *awswafv2.CfnWebACL_StatementProperty {
	return &awswafv2.CfnWebACL_StatementProperty{ManagedRuleGroupStatement: &awswafv2.CfnWebACL_ManagedRuleGroupStatementProperty{
		VendorName: jsii.String("AWS"), Name: jsii.String(name),
	}}
}

// newRequestLog logs webAcl's requests to a log group of their own, with cookies,
// authorization and query strings redacted.
func newRequestLog(scope constructs.Construct, webAcl awswafv2.CfnWebACL, p *WebFirewallProps) awslogs.LogGroup {
	// The stack's own id ends the name: a retained log group of a deleted stack never blocks
	// the name of the next one.
	stackID := awscdk.Fn_Select(jsii.Number(2), awscdk.Fn_Split(jsii.String("/"), awscdk.Aws_STACK_ID(), jsii.Number(3)))
	logName := awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String(wafLogPrefix + *p.Name + "-"), stackID})
	logs := awslogs.NewLogGroup(scope, jsii.String("Logs"), &awslogs.LogGroupProps{
		LogGroupName:  logName,
		Retention:     p.Lifecycle.LogRetention(),
		RemovalPolicy: p.Lifecycle.RemovalPolicy(),
	})
	logging := awswafv2.NewCfnLoggingConfiguration(scope, jsii.String("Logging"), &awswafv2.CfnLoggingConfigurationProps{
		ResourceArn: webAcl.AttrArn(),
		// WAF takes the log group's ARN without the :* CloudFormation gives.
		LogDestinationConfigs: &[]any{awscdk.Stack_Of(scope).FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("logs"), Resource: jsii.String("log-group"), ResourceName: logs.LogGroupName(),
			ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
		})},
		RedactedFields: []any{
			&awswafv2.CfnLoggingConfiguration_FieldToMatchProperty{SingleHeader: map[string]any{"Name": "cookie"}},
			&awswafv2.CfnLoggingConfiguration_FieldToMatchProperty{SingleHeader: map[string]any{"Name": "authorization"}},
			&awswafv2.CfnLoggingConfiguration_FieldToMatchProperty{QueryString: map[string]any{}},
		},
	})
	logging.Node().AddDependency(logs)
	return logs
}

// wafMetric is a web ACL metric: CloudFront's web ACLs publish in us-east-1, with no Region
// dimension. Default statistic: sum over 5 minutes.
func (w *WebFirewall) wafMetric(name, rule string, opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return withOptions(awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String("AWS/WAFV2"),
		MetricName:    jsii.String(name),
		DimensionsMap: &map[string]*string{"WebACL": jsii.String(w.name), "Rule": jsii.String(rule)},
		Statistic:     awscloudwatch.Stats_SUM(),
		Period:        fiveMinutes(),
		Region:        jsii.String("us-east-1"),
	}), opts)
}

// MetricAllowedRequests is the requests the web ACL let through.
func (w *WebFirewall) MetricAllowedRequests(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return w.wafMetric("AllowedRequests", "ALL", opts)
}

// MetricBlockedRequests is the requests any rule blocked.
func (w *WebFirewall) MetricBlockedRequests(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return w.wafMetric("BlockedRequests", "ALL", opts)
}

// MetricBlocked is the requests one rule (FirewallRules) blocked.
func (w *WebFirewall) MetricBlocked(rule string, opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return w.wafMetric("BlockedRequests", rule, opts)
}
