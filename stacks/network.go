package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/blocks"
)

// NetworkStackProps configures the Network stack.
type NetworkStackProps struct {
	awscdk.StackProps
	// Lifecycle picks the flow logs' retention and removal.
	Lifecycle blocks.Lifecycle
	// MaxAzs is how many availability zones the VPC spans. Default: Network's.
	MaxAzs *float64
	// AvailabilityZones names the zones the VPC spans instead (us-east-1b, us-east-1c).
	// Default: the Region's first MaxAzs.
	AvailabilityZones []string
	// SessionManagerEndpoints adds the endpoints Session Manager needs. Default: Network's.
	SessionManagerEndpoints *bool
}

// NetworkStack is the VPC: public subnets for the load balancer, isolated subnets for the web
// instances, no NAT gateway.
type NetworkStack struct {
	awscdk.Stack
	// Vpc is the network.
	Vpc awsec2.IVpc
}

// NewNetworkStack defines the stack.
func NewNetworkStack(scope constructs.Construct, id string, props *NetworkStackProps) *NetworkStack {
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	count := blocks.DefaultMaxAzs
	if props.MaxAzs != nil {
		count = int(*props.MaxAzs)
	}
	var zones []*string
	for _, z := range props.AvailabilityZones {
		zones = append(zones, jsii.String(z))
	}
	// Before the stack has children: the VPC asks for the zones as it is made.
	blocks.PinZones(stack, zones, count)
	network := blocks.NewNetwork(stack, jsii.String("Network"), &blocks.NetworkProps{
		MaxAzs:                  props.MaxAzs,
		AvailabilityZones:       zones,
		SessionManagerEndpoints: props.SessionManagerEndpoints,
		Lifecycle:               props.Lifecycle,
	})
	return &NetworkStack{Stack: stack, Vpc: network.Vpc}
}
