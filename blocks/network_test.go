package blocks

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
)

func TestNetworkDefaults(t *testing.T) {
	stack := newStack(t)
	n := NewNetwork(stack, jsii.String("Network"), &NetworkProps{Lifecycle: Dev})
	tpl := assertions.Template_FromStack(stack, nil)

	// Two AZs: a public and an isolated subnet in each, and no NAT gateway at all.
	cdktest.Count(t, tpl, "AWS::EC2::Subnet", 4)
	if got := len(*n.Vpc.PublicSubnets()); got != 2 {
		t.Errorf("want 2 public subnets, got %d", got)
	}
	if got := len(*n.Vpc.IsolatedSubnets()); got != 2 {
		t.Errorf("want 2 isolated subnets, got %d", got)
	}
	if got := len(*n.Vpc.PrivateSubnets()); got != 0 {
		t.Errorf("want no private subnets with egress (they need NAT), got %d", got)
	}
	cdktest.Count(t, tpl, "AWS::EC2::NatGateway", 0)
	cdktest.Count(t, tpl, "AWS::EC2::EIP", 0)

	// The isolated subnets reach S3 (site asset, AL2023 repositories) through the gateway
	// endpoint: both their route tables are attached to it.
	ep := cdktest.Props(cdktest.Only(t, tpl, "AWS::EC2::VPCEndpoint"))
	if ep["VpcEndpointType"] != nil && ep["VpcEndpointType"] != "Gateway" {
		t.Errorf("S3 endpoint type %v, want Gateway (free)", ep["VpcEndpointType"])
	}
	if s := cdktest.JSONOf(t, ep["ServiceName"]); !strings.Contains(s, ".s3") {
		t.Errorf("endpoint service %s, want S3", s)
	}
	tables, _ := ep["RouteTableIds"].([]any)
	if len(tables) != 2 || !strings.Contains(cdktest.JSONOf(t, tables), "Isolated") {
		t.Errorf("endpoint route tables %s, want the 2 isolated subnets'", cdktest.JSONOf(t, tables))
	}

	// Flow logs of all traffic to a log group kept a month in dev.
	cdktest.Has(t, tpl, "AWS::EC2::FlowLog", map[string]any{"TrafficType": "ALL", "LogDestinationType": "cloud-watch-logs"})
	cdktest.HasResource(t, tpl, "AWS::Logs::LogGroup", map[string]any{
		"Properties":     map[string]any{"RetentionInDays": 30},
		"DeletionPolicy": "Delete",
	})
}

func TestNetworkSessionManagerEndpointsOnlyWhenAskedFor(t *testing.T) {
	for _, on := range []bool{false, true} {
		stack := newStack(t)
		NewNetwork(stack, jsii.String("Network"), &NetworkProps{SessionManagerEndpoints: jsii.Bool(on)})
		tpl := assertions.Template_FromStack(stack, nil)
		want := 1 // the S3 gateway endpoint
		if on {
			want = 4
		}
		cdktest.Count(t, tpl, "AWS::EC2::VPCEndpoint", want)
		if on {
			// HTTPS from the VPC's own range, nothing else.
			cdktest.Has(t, tpl, "AWS::EC2::SecurityGroup", map[string]any{
				"SecurityGroupIngress": []any{obj(map[string]any{"CidrIp": "10.0.0.0/16", "FromPort": 443, "ToPort": 443, "IpProtocol": "tcp"})},
			})
		}
	}
}

func TestNetworkRejectsOneAz(t *testing.T) {
	mustPanic(t, "from 2 to 6", func() {
		NewNetwork(newStack(t), jsii.String("Network"), &NetworkProps{MaxAzs: jsii.Number(1)})
	})
}

// The public subnets hold only an internet-facing load balancer, which takes its own addresses:
// nothing launched there gets a public IPv4 address by default.
func TestNetworkPublicSubnetsAssignNoPublicAddress(t *testing.T) {
	stack := newStack(t)
	NewNetwork(stack, jsii.String("Network"), nil)
	tpl := assertions.Template_FromStack(stack, nil)
	for id, r := range cdktest.Resources(t, tpl, "AWS::EC2::Subnet") {
		if v := cdktest.Props(r)["MapPublicIpOnLaunch"]; v != false {
			t.Errorf("subnet %s: MapPublicIpOnLaunch %v, want false", id, v)
		}
	}
}

func TestNetworkTakesMaxAzsOrZonesNotBoth(t *testing.T) {
	mustPanic(t, "not both", func() {
		NewNetwork(newStack(t), jsii.String("Network"), &NetworkProps{MaxAzs: jsii.Number(2), AvailabilityZones: *jsii.Strings("eu-west-1a", "eu-west-1b")})
	})
}
