package stacks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	cdkconstructs "github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/constructs"
)

// FrontendStackProps configures the Frontend stack.
type FrontendStackProps struct {
	awscdk.StackProps
	// Vpc to run in (public and isolated subnets, S3 gateway endpoint). Required.
	Vpc awsec2.IVpc
	// WebSocketUrl is the API's wss:// URL the site connects to. Required.
	WebSocketUrl *string
	// CertificateArn turns on HTTPS when set. Default: HTTP only.
	CertificateArn string
	// InstanceType of the web instances, by name. Default: WebFrontend's.
	InstanceType string
	// MaxInstances is the most instances scaling may run. Default: WebFrontend's.
	MaxInstances *float64
	// Lifecycle picks the access logs' fate and the load balancer's deletion protection.
	Lifecycle constructs.Lifecycle
}

// FrontendStack serves the site: load balancer, instances, scaling.
type FrontendStack struct {
	awscdk.Stack
	// Web is the load balancer and its instances.
	Web *constructs.WebFrontend
	// SiteUrl is where players open the game.
	SiteUrl *string
}

// NewFrontendStack defines the stack.
func NewFrontendStack(scope cdkconstructs.Construct, id string, props *FrontendStackProps) *FrontendStack {
	if props.Vpc == nil || props.WebSocketUrl == nil {
		panic(fmt.Errorf("stack %s: Vpc and WebSocketUrl are required", id))
	}
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	var cert awscertificatemanager.ICertificate
	if props.CertificateArn != "" {
		cert = awscertificatemanager.Certificate_FromCertificateArn(stack, jsii.String("Certificate"), jsii.String(props.CertificateArn))
	}
	var instanceType awsec2.InstanceType
	if props.InstanceType != "" {
		it, err := constructs.ParseInstanceType(props.InstanceType)
		if err != nil {
			panic(fmt.Errorf("stack %s: InstanceType: %w", id, err))
		}
		instanceType = it
	}
	web := constructs.NewWebFrontend(stack, jsii.String("Web"), &constructs.WebFrontendProps{
		Vpc:          props.Vpc,
		WebSocketUrl: props.WebSocketUrl,
		Certificate:  cert,
		InstanceType: instanceType,
		MaxCapacity:  props.MaxInstances,
		Lifecycle:    props.Lifecycle,
	})
	awscdk.NewCfnOutput(stack, jsii.String("SiteUrl"), &awscdk.CfnOutputProps{
		Value:       web.SiteUrl,
		Description: jsii.String("Open this to play"),
	})
	return &FrontendStack{Stack: stack, Web: web, SiteUrl: web.SiteUrl}
}
