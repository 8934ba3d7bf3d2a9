package stacks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53targets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/blocks"
	"github.com/serverless-tictactoe/tictactoe/frontend"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
)

// FrontendStackProps configures the Frontend stack.
type FrontendStackProps struct {
	awscdk.StackProps
	// Vpc to run in (public and isolated subnets, S3 gateway endpoint). Required.
	Vpc awsec2.IVpc
	// Edge puts the site and its socket behind a CloudFront distribution, the load balancer
	// internal. Default: false, an internet-facing load balancer and the API's own URL.
	Edge *FrontendEdge
	// WebSocketUrl is the API's wss:// URL the site connects to without Edge. Required
	// without Edge.
	WebSocketUrl *string
	// CertificateArn turns on HTTPS on an internet-facing load balancer when set (no Edge).
	// Default: HTTP only.
	CertificateArn string
	// InstanceType of the web instances, by name. Default: WebFrontend's.
	InstanceType string
	// MaxInstances is the most instances scaling may run. Default: WebFrontend's.
	MaxInstances *float64
	// Lifecycle picks the access logs' fate and the load balancer's deletion protection.
	Lifecycle blocks.Lifecycle
	// AlarmTopic is told when the site's alarms go off and when they clear. Default: none,
	// alarms without actions.
	AlarmTopic awssns.ITopic
}

// FrontendEdge is what the distribution in front of the site needs.
type FrontendEdge struct {
	// ApiDomainName and ApiStageName are where sockets go. Required.
	ApiDomainName, ApiStageName *string
	// EdgeSecret is added to every connection (config.EdgeSecretHeader). Required.
	EdgeSecret awssecretsmanager.ISecret
	// DomainName is the deployment's own name, served with CertificateArn (us-east-1), and
	// given A and AAAA alias records in HostedZoneId when that is set. Default: none.
	DomainName, HostedZoneId string
	CertificateArn           *string
	// WebAclArn filters every request. Default: none.
	WebAclArn *string
	// OtherSockets pass sockets to the other Regions' APIs (a multi-Region deployment): the
	// page lists them after its own. Default: none.
	OtherSockets []blocks.SocketOrigin
}

// FrontendStack serves the site: distribution, load balancer, instances, scaling.
type FrontendStack struct {
	awscdk.Stack
	// Web is the load balancer and its instances.
	Web *blocks.WebFrontend
	// Distribution is in front of Web; nil without Edge.
	Distribution *blocks.SiteDistribution
	// SiteUrl is where players open the game.
	SiteUrl *string
	// SiteUrlOutput publishes SiteUrl: the pipeline's smoke test reads it.
	SiteUrlOutput awscdk.CfnOutput
	// Alarms page on the site's server errors and unhealthy instances.
	Alarms *blocks.SiteAlarms
}

// NewFrontendStack defines the stack.
func NewFrontendStack(scope constructs.Construct, id string, props *FrontendStackProps) *FrontendStack {
	edge := props.Edge
	if props.Vpc == nil || (edge == nil && props.WebSocketUrl == nil) {
		panic(fmt.Errorf("stack %s: Vpc, and WebSocketUrl or Edge, are required", id))
	}
	if edge != nil && (edge.ApiDomainName == nil || edge.ApiStageName == nil || edge.EdgeSecret == nil) {
		panic(fmt.Errorf("stack %s: Edge needs ApiDomainName, ApiStageName and EdgeSecret", id))
	}
	if edge != nil && props.CertificateArn != "" {
		panic(fmt.Errorf("stack %s: behind the distribution the certificate is the distribution's: give Edge.CertificateArn", id))
	}
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	var cert awscertificatemanager.ICertificate
	if props.CertificateArn != "" {
		cert = awscertificatemanager.Certificate_FromCertificateArn(stack, jsii.String("Certificate"), jsii.String(props.CertificateArn))
	}
	var instanceType awsec2.InstanceType
	if props.InstanceType != "" {
		it, err := blocks.ParseInstanceType(props.InstanceType)
		if err != nil {
			panic(fmt.Errorf("stack %s: InstanceType: %w", id, err))
		}
		instanceType = it
	}
	var socketUrl *string
	if edge == nil {
		socketUrl = localCopy(stack, "SocketUrl", props.WebSocketUrl, "TicTacToe: the WebSocket URL the site's instances write into config.js, the Realtime stack's")
	} else {
		// The socket is on the page's own host; with a domain, config.js names it.
		socketUrl = jsii.String(blocks.DefaultSocketPath)
		if edge.DomainName != "" {
			socketUrl = jsii.String("wss://" + edge.DomainName + blocks.DefaultSocketPath)
		}
	}
	var fallbacks []string
	if edge != nil {
		for _, o := range edge.OtherSockets {
			fallbacks = append(fallbacks, o.Path)
		}
	}
	web := blocks.NewWebFrontend(stack, jsii.String("Web"), &blocks.WebFrontendProps{
		Vpc:             props.Vpc,
		FallbackSockets: fallbacks,
		Internal:        edge != nil,
		WebSocketUrl:    socketUrl,
		Certificate:     cert,
		InstanceType:    instanceType,
		MaxCapacity:     props.MaxInstances,
		Lifecycle:       props.Lifecycle,
	})
	fs := &FrontendStack{Stack: stack, Web: web, SiteUrl: web.SiteUrl}
	fs.Alarms = blocks.NewSiteAlarms(stack, jsii.String("SiteAlarms"), &blocks.SiteAlarmsProps{Web: web, AlarmTopic: props.AlarmTopic})
	if edge != nil {
		fs.Distribution = newSiteDistribution(stack, web, edge, props.Lifecycle)
		fs.SiteUrl = fs.Distribution.SiteUrl
		awscdk.NewCfnOutput(stack, jsii.String("DistributionDomainName"), &awscdk.CfnOutputProps{
			Value:       fs.Distribution.Distribution.DistributionDomainName(),
			Description: jsii.String("The distribution's own name: point your domain's CNAME (or alias) here when its DNS is not in Route 53"),
		})
	}
	fs.SiteUrlOutput = awscdk.NewCfnOutput(stack, jsii.String("SiteUrl"), &awscdk.CfnOutputProps{
		Value:       fs.SiteUrl,
		Description: jsii.String("Open this to play"),
	})
	return fs
}

// newSiteDistribution puts the distribution in front of web, with the domain's records.
func newSiteDistribution(stack awscdk.Stack, web *blocks.WebFrontend, edge *FrontendEdge, lifecycle blocks.Lifecycle) *blocks.SiteDistribution {
	hsts, err := frontend.HSTSMaxAge()
	if err != nil {
		panic(fmt.Errorf("stack %s: %w", *stack.StackName(), err))
	}
	props := &blocks.SiteDistributionProps{
		LoadBalancer:        web.LoadBalancer,
		ApiDomainName:       edge.ApiDomainName,
		ApiStageName:        edge.ApiStageName,
		ApiHeaders:          map[string]*string{config.EdgeSecretHeader: edge.EdgeSecret.SecretValue().UnsafeUnwrap()},
		ViewerHostHeader:    jsii.String(config.ViewerHostHeader),
		ViewerAddressHeader: jsii.String(config.ViewerAddressHeader),
		HstsMaxAge:          awscdk.Duration_Seconds(jsii.Number(hsts.Seconds())),
		WebAclArn:           edge.WebAclArn,
		OtherSockets:        edge.OtherSockets,
		Lifecycle:           lifecycle,
		Name:                jsii.String(gameName),
	}
	if edge.DomainName != "" {
		if edge.CertificateArn == nil {
			panic(fmt.Errorf("stack %s: DomainName %s needs a certificate", *stack.StackName(), edge.DomainName))
		}
		props.DomainNames = []*string{jsii.String(edge.DomainName)}
		props.Certificate = awscertificatemanager.Certificate_FromCertificateArn(stack, jsii.String("DistributionCertificate"), edge.CertificateArn)
	}
	dist := blocks.NewSiteDistribution(stack, jsii.String("Distribution"), props)
	if edge.HostedZoneId != "" {
		zone := awsroute53.HostedZone_FromHostedZoneId(stack, jsii.String("Zone"), jsii.String(edge.HostedZoneId))
		target := awsroute53.RecordTarget_FromAlias(awsroute53targets.NewCloudFrontTarget(dist.Distribution))
		// A trailing dot: the name is whole, the imported zone's own name is not known here.
		name := jsii.String(edge.DomainName + ".")
		awsroute53.NewARecord(stack, jsii.String("SiteAlias"), &awsroute53.ARecordProps{Zone: zone, RecordName: name, Target: target})
		awsroute53.NewAaaaRecord(stack, jsii.String("SiteAliasIpv6"), &awsroute53.AaaaRecordProps{Zone: zone, RecordName: name, Target: target})
	}
	return dist
}

// localCopy is value, another stack's, as a value of stack's own: an SSM parameter of stack
// holds it, read as the parameter's property (where CloudFormation documents
// Fn::GetStackOutput), and what needs it reads the parameter's Value. An instance's user data
// is in Fn::Base64, where CloudFormation refuses Fn::GetStackOutput (InternalFailure).
func localCopy(stack awscdk.Stack, id string, value *string, description string) *string {
	return awsssm.NewStringParameter(stack, jsii.String(id), &awsssm.StringParameterProps{
		StringValue: value,
		Description: jsii.String(description),
	}).StringValue()
}
