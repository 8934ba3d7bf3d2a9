package blocks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// zoneProvider is the CDK's context provider for a Region's availability zones.
const zoneProvider = "availability-zones"

// PinZones answers an account-bound stack's availability-zone lookup before anything asks it:
// with zones, those; else the Region's first count zones as CloudFormation lists them at
// deploy (Fn::GetAZs), as an environment-agnostic stack gets them. Synth then makes no AWS
// call and needs no cdk.context.json, offline and in a pipeline's synth step alike, and the
// template is the same in every account. Zones already looked up and kept in cdk.context.json
// stay as they are, unless zones names others. Call it on a new stack, before it has
// children. An environment-agnostic stack is left alone: the CDK already uses Fn::GetAZs
// there.
func PinZones(stack awscdk.Stack, zones []*string, count int) {
	if *awscdk.Token_IsUnresolved(stack.Account()) || *awscdk.Token_IsUnresolved(stack.Region()) {
		return
	}
	key := awscdk.ContextProvider_GetKey(stack, &awscdk.GetContextKeyOptions{Provider: jsii.String(zoneProvider)})
	if len(zones) == 0 {
		if stack.Node().TryGetContext(key.Key) != nil {
			// A lookup a deployer already made (cdk.context.json) keeps its literal names: a
			// subnet whose zone changed from a name to Fn::GetAZs would show as replaced.
			return
		}
		all := awscdk.Fn_GetAzs(stack.Region())
		for i := range count {
			zones = append(zones, awscdk.Fn_Select(jsii.Number(i), all))
		}
	}
	if len(zones) < 2 {
		panic(fmt.Errorf("PinZones %s: %d availability zones: a load balancer needs 2", *stack.StackName(), len(zones)))
	}
	stack.Node().SetContext(key.Key, zones)
}
