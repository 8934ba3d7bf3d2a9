package stacks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53targets"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/blocks"
)

// HealthRegion is one Region as the Health stack watches it.
type HealthRegion struct {
	Region string
	// ApiHost is the Region's API endpoint the health check connects to.
	ApiHost *string
	// SocketTarget is the Region's API custom domain (its regional name and hosted zone) that
	// the socket name's latency record points to; nil without a socket domain.
	SocketTarget *SocketDomainTarget
}

// SocketDomainTarget is an API Gateway custom domain's regional endpoint.
type SocketDomainTarget struct {
	RegionalDomainName, RegionalHostedZoneId *string
}

// HealthStackProps configures the Health stack.
type HealthStackProps struct {
	// StackProps: Env's Region must be EdgeRegion (us-east-1), where Route 53 publishes its
	// health checks' metrics.
	awscdk.StackProps
	// Regions are the deployment's, in its order. Required: two or more.
	Regions []HealthRegion
	// SocketDomain and HostedZoneId make the latency records of SocketDomain in the zone,
	// one per Region, each answered only while its Region's health check passes. Default:
	// none.
	SocketDomain, HostedZoneId string
	// OpsEmail is subscribed to the stack's operations topic, which the alarms notify (an
	// alarm notifies a topic of its own Region).
	OpsEmail *string
	// Lifecycle picks the topic key's fate.
	Lifecycle blocks.Lifecycle
}

// HealthStack watches each Region of a multi-Region deployment from outside it: a Route 53
// health check on the Region's WebSocket API, an alarm when it fails, and, with a socket
// domain, the latency records that send connections to the nearest healthy Region
// (docs/regions.md).
type HealthStack struct {
	awscdk.Stack
	// Checks are the health checks by Region.
	Checks map[string]awsroute53.CfnHealthCheck
	// Alarms are the Region-down alarms by Region.
	Alarms map[string]awscloudwatch.Alarm
	// Operations is the topic the alarms notify.
	Operations *blocks.AlertsTopic
}

// Health check timing: a Region is unhealthy after FailureThreshold failed checks RequestInterval
// seconds apart, seen by most of Route 53's checkers: about 90 s.
const (
	healthCheckInterval  = 30
	healthCheckFailures  = 3
	regionDownAlarmEvery = 60 // seconds: one period of HealthCheckStatus
)

// NewHealthStack defines the stack.
func NewHealthStack(scope constructs.Construct, id string, props *HealthStackProps) *HealthStack {
	if props.Env == nil || props.Env.Region == nil || *props.Env.Region != EdgeRegion {
		panic(fmt.Errorf("stack %s: it must deploy to %s, where Route 53 publishes health check metrics", id, EdgeRegion))
	}
	if len(props.Regions) < 2 {
		panic(fmt.Errorf("stack %s: it watches a deployment of two Regions or more", id))
	}
	if (props.SocketDomain == "") != (props.HostedZoneId == "") {
		panic(fmt.Errorf("stack %s: SocketDomain and HostedZoneId go together", id))
	}
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	h := &HealthStack{Stack: stack, Checks: map[string]awsroute53.CfnHealthCheck{}, Alarms: map[string]awscloudwatch.Alarm{}}
	h.Operations = blocks.NewAlertsTopic(stack, jsii.String("Operations"), &blocks.AlertsTopicProps{
		Email:          props.OpsEmail,
		DisplayName:    jsii.String("TicTacToe operations (Region health)"),
		KeyDescription: jsii.String(topicKeyDescription),
		Lifecycle:      props.Lifecycle,
	})
	var zone awsroute53.IHostedZone
	if props.HostedZoneId != "" {
		zone = awsroute53.HostedZone_FromHostedZoneId(stack, jsii.String("Zone"), jsii.String(props.HostedZoneId))
	}
	for _, r := range props.Regions {
		if r.ApiHost == nil {
			panic(fmt.Errorf("stack %s: Region %s has no ApiHost", id, r.Region))
		}
		// A TCP check: a WebSocket API answers no plain HTTPS request with a 2xx. It shows
		// the Region's API endpoint taking connections, which a Region's loss ends.
		check := awsroute53.NewCfnHealthCheck(stack, jsii.String("Api-"+r.Region), &awsroute53.CfnHealthCheckProps{
			HealthCheckConfig: &awsroute53.CfnHealthCheck_HealthCheckConfigProperty{
				Type:                     jsii.String("TCP"),
				FullyQualifiedDomainName: r.ApiHost,
				Port:                     jsii.Number(443),
				RequestInterval:          jsii.Number(healthCheckInterval),
				FailureThreshold:         jsii.Number(healthCheckFailures),
			},
			HealthCheckTags: &[]*awsroute53.CfnHealthCheck_HealthCheckTagProperty{
				{Key: jsii.String("Name"), Value: jsii.String(*stack.StackName() + " " + r.Region + " API")},
			},
		})
		h.Checks[r.Region] = check
		status := awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace:     jsii.String("AWS/Route53"),
			MetricName:    jsii.String("HealthCheckStatus"),
			DimensionsMap: &map[string]*string{"HealthCheckId": check.AttrHealthCheckId()},
			Statistic:     awscloudwatch.Stats_MINIMUM(),
			Period:        awscdk.Duration_Seconds(jsii.Number(regionDownAlarmEvery)),
		})
		alarm := awscloudwatch.NewAlarm(stack, jsii.String("RegionDown-"+r.Region), &awscloudwatch.AlarmProps{
			AlarmDescription: jsii.String("The WebSocket API in " + r.Region + " fails Route 53's health check: follow docs/regions.md's runbook (is the Region lost? then mark it failed)"),
			Metric:           status,
			Threshold:        jsii.Number(1),
			// Two minutes down, on top of the check's own 90 s: a blip does not page.
			EvaluationPeriods:  jsii.Number(2),
			ComparisonOperator: awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD,
			// Route 53 reports every minute; no data means it cannot say: not an outage.
			TreatMissingData: awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		alarm.AddAlarmAction(awscloudwatchactions.NewSnsAction(h.Operations.Topic))
		alarm.AddOkAction(awscloudwatchactions.NewSnsAction(h.Operations.Topic))
		h.Alarms[r.Region] = alarm

		if zone == nil {
			continue
		}
		if r.SocketTarget == nil {
			panic(fmt.Errorf("stack %s: Region %s has no SocketTarget for the latency record of %s", id, r.Region, props.SocketDomain))
		}
		// A trailing dot: the name is whole, the imported zone's own name is not known here.
		awsroute53.NewARecord(stack, jsii.String("Socket-"+r.Region), &awsroute53.ARecordProps{
			Zone:       zone,
			RecordName: jsii.String(props.SocketDomain + "."),
			Target: awsroute53.RecordTarget_FromAlias(awsroute53targets.NewApiGatewayv2DomainProperties(
				r.SocketTarget.RegionalDomainName, r.SocketTarget.RegionalHostedZoneId)),
			Region:        jsii.String(r.Region),
			SetIdentifier: jsii.String(r.Region),
			HealthCheck:   awsroute53.HealthCheck_FromHealthCheckId(stack, jsii.String("Check-"+r.Region), check.AttrHealthCheckId()),
		})
	}
	return h
}

// newHealth is the Health stack of a multi-Region deployment, in us-east-1.
func newHealth(m stackMaker, d *Deployment) *HealthStack {
	cfg := m.cfg
	props := &HealthStackProps{
		StackProps: m.propsIn("", "Health", "Route 53 health checks of every Region's API, their alarms and the socket domain's latency records"),
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
	return NewHealthStack(m.scope, m.id("", "Health"), props)
}
