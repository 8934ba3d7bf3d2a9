package stacks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/blocks"
)

// EdgeStackProps configures the Edge stack.
type EdgeStackProps struct {
	// StackProps: Env's Region must be EdgeRegion (us-east-1).
	awscdk.StackProps
	// FirewallName names the web ACL when one is made. Default: no firewall.
	FirewallName string
	// DomainName and HostedZoneId make a DNS-validated certificate for the name when both are
	// set. Default: no certificate.
	DomainName, HostedZoneId string
	// OpsEmail is subscribed to this Region's operations topic, which the firewall's alarm
	// notifies (an alarm can only notify a topic of its own Region).
	OpsEmail *string
	// Lifecycle picks the request log's and the topic key's fate.
	Lifecycle blocks.Lifecycle
}

// EdgeStack holds what CloudFront takes from us-east-1 only, whatever the deployment's Region:
// the web application firewall (with its alarm and an operations topic for it) and the
// certificate of the deployment's own domain. The Frontend stack reads them through
// WebAclArn and CertificateArn. It is not the edge itself (the distribution is in Frontend):
// "Edge" is kept because it is the deployed stack's name, and a renamed stack is a new stack
// whose web ACL would collide with the old one's name and whose certificate would be made anew.
type EdgeStack struct {
	awscdk.Stack
	// Firewall is the web ACL; nil without one.
	Firewall *blocks.WebFirewall
	// Certificate covers the domain; nil without one.
	Certificate awscertificatemanager.Certificate
	// Operations is the topic the firewall's alarm notifies; nil without a firewall.
	Operations *blocks.AlertsTopic
}

// Output names of the Edge stack that the Frontend stack reads.
const (
	edgeOutputWebAcl      = "WebAclArn"
	edgeOutputCertificate = "CertificateArn"
)

// NewEdgeStack defines the stack.
func NewEdgeStack(scope constructs.Construct, id string, props *EdgeStackProps) *EdgeStack {
	if props.Env == nil || props.Env.Region == nil || *props.Env.Region != EdgeRegion {
		panic(fmt.Errorf("stack %s: it must deploy to %s, where CloudFront takes certificates and web ACLs from", id, EdgeRegion))
	}
	if props.FirewallName == "" && props.DomainName == "" {
		panic(fmt.Errorf("stack %s: nothing to hold: give FirewallName, or DomainName and HostedZoneId", id))
	}
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	e := &EdgeStack{Stack: stack}
	if props.FirewallName != "" {
		e.Operations = blocks.NewAlertsTopic(stack, jsii.String("Operations"), &blocks.AlertsTopicProps{
			Email:          props.OpsEmail,
			DisplayName:    jsii.String("TicTacToe operations (edge)"),
			KeyDescription: jsii.String(topicKeyDescription),
			Lifecycle:      props.Lifecycle,
		})
		e.Firewall = blocks.NewWebFirewall(stack, jsii.String("Firewall"), &blocks.WebFirewallProps{
			Name:        jsii.String(props.FirewallName),
			AlarmTopic:  e.Operations.Topic,
			Lifecycle:   props.Lifecycle,
			Description: jsii.String(gameName + " site and socket: rate limits per address, AWS managed rules"),
		})
		awscdk.NewCfnOutput(stack, jsii.String(edgeOutputWebAcl), &awscdk.CfnOutputProps{
			Value:       e.Firewall.WebAcl.AttrArn(),
			Description: jsii.String("The web ACL on the site's distribution"),
		})
	}
	if props.DomainName != "" {
		if props.HostedZoneId == "" {
			panic(fmt.Errorf("stack %s: DomainName needs HostedZoneId, the zone its certificate is validated in", id))
		}
		zone := awsroute53.HostedZone_FromHostedZoneId(stack, jsii.String("Zone"), jsii.String(props.HostedZoneId))
		e.Certificate = awscertificatemanager.NewCertificate(stack, jsii.String("Certificate"), &awscertificatemanager.CertificateProps{
			DomainName: jsii.String(props.DomainName),
			Validation: awscertificatemanager.CertificateValidation_FromDns(zone),
		})
		awscdk.NewCfnOutput(stack, jsii.String(edgeOutputCertificate), &awscdk.CfnOutputProps{
			Value:       e.Certificate.CertificateArn(),
			Description: jsii.String("The certificate of " + props.DomainName + " on the site's distribution"),
		})
	}
	return e
}

// WebAclArn is the firewall's ARN as a stack in another Region reads it; nil without one.
func (e *EdgeStack) WebAclArn() *string {
	if e.Firewall == nil {
		return nil
	}
	return e.output(edgeOutputWebAcl)
}

// CertificateArn is the certificate's ARN as a stack in another Region reads it; nil without
// one.
func (e *EdgeStack) CertificateArn() *string {
	if e.Certificate == nil {
		return nil
	}
	return e.output(edgeOutputCertificate)
}

// output reads one of the stack's outputs from any Region: CloudFormation resolves it when the
// reading stack deploys, so the reader must deploy after this stack (NewDeployment says so).
func (e *EdgeStack) output(name string) *string {
	return awscdk.Fn_GetStackOutput(e.StackName(), jsii.String(name), jsii.String(EdgeRegion), nil)
}
