package constructs

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/jsii-runtime-go"
)

// The whole dashboard is tested on the synthesized app (monitoring_test.go at the repository
// root), where its inputs are the real stacks; these tests cover what the app cannot show.

func TestGameDashboardRejectsMissingProps(t *testing.T) {
	mustPanic(t, "Stage, Table, LoadBalancer, TargetGroup and AutoScalingGroup are required", func() {
		NewGameDashboard(newStack(t), jsii.String("Dashboard"), &GameDashboardProps{})
	})
	mustPanic(t, "are required", func() { NewGameDashboard(newStack(t), jsii.String("Dashboard"), nil) })
}

func TestOperationNames(t *testing.T) {
	for op, want := range map[awsdynamodb.Operation]string{
		awsdynamodb.Operation_GET_ITEM:             "GetItem",
		awsdynamodb.Operation_DELETE_ITEM:          "DeleteItem",
		awsdynamodb.Operation_TRANSACT_WRITE_ITEMS: "TransactWriteItems",
		awsdynamodb.Operation_GET_RECORDS:          "GetRecords",
	} {
		if got := operationName(op); got != want {
			t.Errorf("operationName(%s) = %s, want %s", op, got, want)
		}
	}
}

// The dashboard turns on the group metrics it draws, but leaves a group's own choice alone.
func TestEnableGroupMetrics(t *testing.T) {
	for name, tc := range map[string]struct {
		own  []awsautoscaling.GroupMetrics
		want []any
	}{
		"off":         {nil, []any{map[string]any{"Granularity": "1Minute", "Metrics": []string{"GroupInServiceInstances", "GroupDesiredCapacity"}}}},
		"group's own": {[]awsautoscaling.GroupMetrics{awsautoscaling.GroupMetrics_All()}, []any{map[string]any{"Granularity": "1Minute"}}},
	} {
		t.Run(name, func(t *testing.T) {
			stack := newStack(t)
			vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{NatGateways: jsii.Number(0), MaxAzs: jsii.Number(2)})
			groupProps := &awsautoscaling.AutoScalingGroupProps{
				Vpc:          vpc,
				VpcSubnets:   &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PUBLIC},
				InstanceType: awsec2.NewInstanceType(jsii.String("t4g.micro")),
				MachineImage: awsec2.MachineImage_LatestAmazonLinux2023(&awsec2.AmazonLinux2023ImageSsmParameterProps{CpuType: awsec2.AmazonLinuxCpuType_ARM_64}),
			}
			if tc.own != nil {
				groupProps.GroupMetrics = &tc.own
			}
			group := awsautoscaling.NewAutoScalingGroup(stack, jsii.String("Group"), groupProps)
			enableGroupMetrics(group)
			tpl := assertions.Template_FromStack(stack, nil)
			has(t, tpl, "AWS::AutoScaling::AutoScalingGroup", map[string]any{"MetricsCollection": tc.want})
			if tc.own != nil {
				// GroupMetrics.all() lists no metric names: every metric, not the two the dashboard sets.
				if m := jsonOf(t, props(only(t, tpl, "AWS::AutoScaling::AutoScalingGroup"))["MetricsCollection"]); m != `[{"Granularity":"1Minute"}]` {
					t.Errorf("the group's own metrics were replaced: %s", m)
				}
			}
		})
	}
}
