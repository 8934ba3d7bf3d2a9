package stacks

import (
	"fmt"
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// TeardownOutputPrefix starts the name of each output that names what a teardown must handle
// by hand.
const TeardownOutputPrefix = "Teardown"

// protectedTypes are the resource types that may carry deletion protection of their own, which
// must be lifted before their stack can be deleted.
var protectedTypes = map[string]string{
	"AWS::ElasticLoadBalancingV2::LoadBalancer": "deletion protection on in prod: lift it before destroying the stack (docs/deploy.md, Destroy)",
	"AWS::DynamoDB::GlobalTable":                "deletion protection on in prod, and retained: lift it, then delete the table by hand once you are sure",
}

// retainedAdvice replaces the plain "delete it by hand" for a retained type that needs an order.
var retainedAdvice = map[string]string{
	"AWS::KMS::Key": "retained when the stack is deleted: schedule its deletion last, once the table and backups it encrypts are gone (they cannot be read without it)",
}

// publishTeardown adds an output to stack for every resource a teardown must handle by hand:
// each one CloudFormation retains when the stack is deleted, and each one with deletion
// protection. The output's value is the resource's Ref (a name, an ARN, an ID: what the AWS
// CLI takes to delete it), its key Teardown<logical ID>, its description what to do.
func publishTeardown(stack awscdk.Stack) {
	type entry struct{ id, why string }
	var found []entry
	byID := map[string]awscdk.CfnResource{}
	for _, c := range *stack.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		res, ok := c.(awscdk.CfnResource)
		if !ok || awscdk.Stack_Of(res) != stack {
			continue
		}
		typ := *res.CfnResourceType()
		why, protected := protectedTypes[typ]
		retained := res.CfnOptions().DeletionPolicy() == awscdk.CfnDeletionPolicy_RETAIN ||
			res.CfnOptions().DeletionPolicy() == awscdk.CfnDeletionPolicy_RETAIN_EXCEPT_ON_CREATE
		if !protected && !retained {
			continue
		}
		if !protected {
			why = "retained when the stack is deleted: delete it by hand once you are sure"
			if advice, ok := retainedAdvice[typ]; ok {
				why = advice
			}
		}
		id := *stack.GetLogicalId(res)
		byID[id] = res
		found = append(found, entry{id, fmt.Sprintf("%s %s", typ, why)})
	}
	sort.Slice(found, func(i, j int) bool { return found[i].id < found[j].id })
	for _, e := range found {
		awscdk.NewCfnOutput(stack, jsii.String(TeardownOutputPrefix+e.id), &awscdk.CfnOutputProps{
			Value:       byID[e.id].Ref(),
			Description: jsii.String(e.why),
		})
	}
}
