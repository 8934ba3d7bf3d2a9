package blocks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// NetworkProps configures a Network.
type NetworkProps struct {
	// MaxAzs is how many availability zones the VPC spans: at least 2, as the load balancer
	// requires (ValidateMaxAzs). Default: DefaultMaxAzs. An environment-agnostic stack can
	// span at most 2.
	MaxAzs *float64
	// AvailabilityZones names the zones the VPC spans (us-east-1b, us-east-1c), at least 2,
	// instead of the Region's first MaxAzs: for an account whose first zones a service cannot
	// use (CloudFront's VPC origins refuse the zone IDs use1-az3, usw1-az2, apne1-az3,
	// cac1-az3). An account-bound stack names them to PinZones too. Default: none.
	AvailabilityZones []*string
	// Cidr is the VPC's IPv4 range. Default: DefaultCidr.
	Cidr *string
	// SessionManagerEndpoints adds the interface endpoints Session Manager needs to reach
	// instances in isolated subnets (ssm, ssmmessages, ec2messages). Default: false: they bill
	// per hour per AZ (about $44 a month for three services in two AZs), more than the rest of
	// the idle stack; turn them on while you need a shell on an instance.
	// (DefaultSessionManagerEndpoints)
	SessionManagerEndpoints *bool
	// Lifecycle picks the flow log group's removal policy and retention. Default: Prod.
	Lifecycle Lifecycle
	// VpcProps is the escape hatch: any field it sets is passed to the VPC over the defaults
	// (a name, IPv6…). The address range, zones, subnets, NAT gateways, flow logs and DNS (which
	// the endpoints' private DNS and the instances' S3 access need on) are the props above or
	// fixed (NetworkOwned), and are refused. Default: none.
	VpcProps *awsec2.VpcProps
}

// NetworkOwned are the fields of VpcProps that Network decides.
var NetworkOwned = []string{"IpAddresses", "Cidr", "MaxAzs", "AvailabilityZones", "SubnetConfiguration", "NatGateways", "NatGatewayProvider", "NatGatewaySubnets", "FlowLogs", "RestrictDefaultSecurityGroup",
	"EnableDnsHostnames", "EnableDnsSupport"}

// Network is a VPC with public subnets (for internet-facing load balancers) and private
// isolated subnets (for instances), and no NAT gateway: a NAT gateway costs about $33 a month
// per AZ before any traffic. Instances reach S3, which also hosts the Amazon Linux 2023 package
// repositories, through a free gateway endpoint. All traffic is recorded in VPC flow logs.
type Network struct {
	constructs.Construct
	// Vpc is the network.
	Vpc awsec2.Vpc
	// S3Endpoint is the gateway endpoint that routes the isolated subnets' S3 traffic.
	S3Endpoint awsec2.GatewayVpcEndpoint
	// FlowLogs receives the VPC's flow logs.
	FlowLogs awslogs.LogGroup
}

// Network's defaults.
const (
	DefaultMaxAzs                  = 2
	DefaultCidr                    = "10.0.0.0/16"
	DefaultSessionManagerEndpoints = false
)

// ValidateMaxAzs checks a VPC's zone count: a whole number from 2 (a load balancer needs
// subnets in two availability zones) to 6.
func ValidateMaxAzs(n float64) error {
	if n < 2 || n > 6 || n != float64(int(n)) {
		return fmt.Errorf("%v availability zones: use a whole number from 2 to 6, since a load balancer needs subnets in two", n)
	}
	return nil
}

// Subnet group names: stable, they name the subnets' construct IDs.
const (
	PublicSubnets   = "Public"
	IsolatedSubnets = "Isolated"
)

// NewNetwork defines the VPC.
func NewNetwork(scope constructs.Construct, id *string, props *NetworkProps) *Network {
	if props == nil {
		props = &NetworkProps{}
	}
	maxAzs := float64(DefaultMaxAzs)
	if props.MaxAzs != nil {
		maxAzs = *props.MaxAzs
	}
	if len(props.AvailabilityZones) > 0 {
		if props.MaxAzs != nil {
			panic(fmt.Errorf("Network %s: give MaxAzs or AvailabilityZones, not both", *id))
		}
		maxAzs = float64(len(props.AvailabilityZones))
	}
	if err := ValidateMaxAzs(maxAzs); err != nil {
		panic(fmt.Errorf("Network %s: MaxAzs: %w", *id, err))
	}
	cidr := props.Cidr
	if cidr == nil {
		cidr = jsii.String(DefaultCidr)
	}
	this := constructs.NewConstruct(scope, id)
	env := props.Lifecycle.orDefault()

	flowLogs := awslogs.NewLogGroup(this, jsii.String("FlowLogs"), &awslogs.LogGroupProps{
		Retention:     env.LogRetention(),
		RemovalPolicy: env.RemovalPolicy(),
	})
	// MaxAzs and AvailabilityZones exclude each other in the VPC's props.
	zoneCount, zones := jsii.Number(maxAzs), &props.AvailabilityZones
	if len(props.AvailabilityZones) > 0 {
		zoneCount = nil
	} else {
		zones = nil
	}
	vpcProps, err := overlay(awsec2.VpcProps{
		IpAddresses:       awsec2.IpAddresses_Cidr(cidr),
		MaxAzs:            zoneCount,
		AvailabilityZones: zones,
		NatGateways:       jsii.Number(0),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{
			// Only an internet-facing load balancer goes in the public subnets, and it takes its
			// addresses itself: an instance launched there by mistake gets no public address
			// (Control Tower's rule against auto-assigned public IPv4).
			{Name: jsii.String(PublicSubnets), SubnetType: awsec2.SubnetType_PUBLIC, CidrMask: jsii.Number(24), MapPublicIpOnLaunch: jsii.Bool(false)},
			{Name: jsii.String(IsolatedSubnets), SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED, CidrMask: jsii.Number(24)},
		},
		FlowLogs: &map[string]*awsec2.FlowLogOptions{
			"FlowLog": {
				Destination: awsec2.FlowLogDestination_ToCloudWatchLogs(flowLogs, nil),
				TrafficType: awsec2.FlowLogTrafficType_ALL,
			},
		},
		RestrictDefaultSecurityGroup: jsii.Bool(true),
	}, props.VpcProps, "VpcProps", NetworkOwned...)
	if err != nil {
		panic(fmt.Errorf("Network %s: %w", *id, err))
	}
	vpc := awsec2.NewVpc(this, jsii.String("Resource"), &vpcProps)
	s3 := vpc.AddGatewayEndpoint(jsii.String("S3"), &awsec2.GatewayVpcEndpointOptions{
		Service: awsec2.GatewayVpcEndpointAwsService_S3(),
		Subnets: &[]*awsec2.SubnetSelection{{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED}},
	})
	endpoints := DefaultSessionManagerEndpoints
	if props.SessionManagerEndpoints != nil {
		endpoints = *props.SessionManagerEndpoints
	}
	if endpoints {
		// HTTPS from inside the VPC only. The range is the literal Cidr (rather than the
		// default rule's reference to the VPC's attribute) so checks can read it at synth.
		endpointSG := awsec2.NewSecurityGroup(this, jsii.String("EndpointSecurityGroup"), &awsec2.SecurityGroupProps{
			Vpc:              vpc,
			Description:      jsii.String("Session Manager endpoints: HTTPS from inside the VPC"),
			AllowAllOutbound: jsii.Bool(false),
		})
		endpointSG.AddIngressRule(awsec2.Peer_Ipv4(cidr), awsec2.Port_Tcp(jsii.Number(443)), jsii.String("HTTPS from the VPC"), nil)
		// A slice, not a map: construct order is template order, and synth must be repeatable.
		for _, e := range []struct {
			name string
			svc  awsec2.InterfaceVpcEndpointAwsService
		}{
			{"Ssm", awsec2.InterfaceVpcEndpointAwsService_SSM()},
			{"SsmMessages", awsec2.InterfaceVpcEndpointAwsService_SSM_MESSAGES()},
			{"Ec2Messages", awsec2.InterfaceVpcEndpointAwsService_EC2_MESSAGES()},
		} {
			vpc.AddInterfaceEndpoint(jsii.String(e.name), &awsec2.InterfaceVpcEndpointOptions{
				Service:        e.svc,
				Subnets:        &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED},
				Open:           jsii.Bool(false),
				SecurityGroups: &[]awsec2.ISecurityGroup{endpointSG},
			})
		}
	}
	return &Network{Construct: this, Vpc: vpc, S3Endpoint: s3, FlowLogs: flowLogs}
}
