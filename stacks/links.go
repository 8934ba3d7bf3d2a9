package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/aws-cdk-go/awscdk/v2/customresources"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/serverless-tictactoe/tictactoe/blocks"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/store/schema"
)

// LinksStackProps configures a Region's Links stack.
type LinksStackProps struct {
	awscdk.StackProps
	// TableName names the game table (its replica in this Region takes this Region's
	// @connections URL); Lifecycle picks the retention of the log of the function that writes it.
	TableName *string
	Lifecycle blocks.Lifecycle
	// Parameter is the SSM parameter to write (callbackURLsParameter): every Region's
	// @connections URL, as functions deployed before the table held the URLs read it at start.
	Parameter string
	// Region is this stack's Region; Realtime names every Region's Realtime stack.
	Region   string
	Regions  []string
	Realtime map[string]string // Region → Realtime stack name
	// Stage is the WebSocket stage's name, the same in every Region.
	Stage string
}

// LinksStack ties one Region's functions to the others' once every Region's API exists: this
// Region's @connections URL in the game table, which replicates it to every Region's functions,
// and the grants to manage connections on the other Regions' APIs. It is its own stack so that
// no Realtime stack needs another's outputs (each would need the other's: a cycle), and so that
// an upgrade can write the URLs before any function that reads them (docs/deploy.md).
type LinksStack struct {
	awscdk.Stack
	// CallbackURL writes this Region's item (schema.KindCallbackURL) at deploy time.
	CallbackURL customresources.AwsCustomResource
	// Parameter is the SSM parameter functions deployed before the table held the URLs read;
	// nothing reads it now (docs/deploy.md says why it stays).
	Parameter awsssm.StringParameter
}

// NewLinksStack defines the stack.
func NewLinksStack(scope constructs.Construct, id string, props *LinksStackProps) *LinksStack {
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	var pairs []*string
	var apis []*string
	for i, r := range props.Regions {
		if i > 0 {
			pairs = append(pairs, jsii.String(","))
		}
		pairs = append(pairs, jsii.String(r+"="), regionalOutput(props.Realtime[r], realtimeOutputCallbackUrl, r))
		if r == props.Region {
			continue // this Region's own API: its Realtime stack grants that
		}
		apis = append(apis, awscdk.Fn_Join(jsii.String(""), &[]*string{
			jsii.String("arn:"), stack.Partition(), jsii.String(":execute-api:" + r + ":"), stack.Account(), jsii.String(":"),
			regionalOutput(props.Realtime[r], realtimeOutputApiId, r), jsii.String("/" + props.Stage + "/*/@connections/*"),
		}))
	}
	// Kept, unread, for functions deployed before the table held the URLs, while an upgrade
	// replaces them: deploying the Links stacks first writes the items and leaves this
	// (docs/deploy.md).
	param := awsssm.NewStringParameter(stack, jsii.String("CallbackUrls"), &awsssm.StringParameterProps{
		ParameterName: jsii.String(props.Parameter),
		StringValue:   awscdk.Fn_Join(jsii.String(""), &pairs),
		Description:   jsii.String("TicTacToe: every Region's @connections URL, as functions deployed before the game table held them read it; nothing reads it now"),
	})
	var roles []awsiam.IRole
	for _, f := range catalog.RouteFunctions() {
		if f.Needs.ManageConnections {
			roles = append(roles, awsiam.Role_FromRoleName(stack, jsii.String("Role"+f.Name), regionalOutput(props.Realtime[props.Region], roleOutput(f.Name), props.Region), nil))
		}
	}
	policy := awsiam.NewPolicy(stack, jsii.String("OtherRegionsConnections"), &awsiam.PolicyProps{
		Roles: &roles,
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("execute-api:ManageConnections"),
			Resources: &apis,
		})},
	})
	blocks.SuppressNag(policy, "AwsSolutions-IAM5", "Connection IDs exist only at run time: the grant covers @connections of the other Regions' game APIs' one stage and nothing else",
		&cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::arn:(<AWS::Partition>|aws[a-z-]*):execute-api:[a-z0-9-]+:(<AWS::AccountId>|[0-9]+):.*\/\*\/@connections\/\*$/`)})
	own := regionalOutput(props.Realtime[props.Region], realtimeOutputCallbackUrl, props.Region)
	return &LinksStack{Stack: stack, CallbackURL: newCallbackURLItem(stack, props.TableName, props.Region, own, props.Lifecycle), Parameter: param}
}

// newCallbackURLItem writes Region region's @connections URL into its replica of the game
// table at deploy time (schema.KindCallbackURL, the item store.CallbackURL reads), and deletes
// it with the stack: the global table replicates it to every Region's functions. The item is
// this Region's alone, written here only, as each item of the table has one home Region
// (docs/regions.md). Its physical ID never changes, so an update is a PutItem over the item and
// never a replacement, whose clean-up would delete the item just written: keep the construct's
// ID too.
func newCallbackURLItem(stack awscdk.Stack, tableName *string, region string, url *string, lifecycle blocks.Lifecycle) customresources.AwsCustomResource {
	key := schema.CallbackURLKeyPrefix + region
	put := &customresources.AwsSdkCall{
		Service: jsii.String("DynamoDB"),
		Action:  jsii.String("putItem"),
		Parameters: map[string]any{"TableName": tableName, "Item": map[string]any{
			schema.PartitionKey:         map[string]any{"S": key},
			schema.KindAttribute:        map[string]any{"S": schema.KindCallbackURL},
			schema.CallbackURLAttribute: map[string]any{"S": url},
		}},
		PhysicalResourceId: customresources.PhysicalResourceId_Of(jsii.String(key)),
	}
	table := awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("arn:"), stack.Partition(), jsii.String(":dynamodb:"), stack.Region(), jsii.String(":"), stack.Account(), jsii.String(":table/"), tableName,
	})
	item := customresources.NewAwsCustomResource(stack, jsii.String("CallbackUrlItem"), &customresources.AwsCustomResourceProps{
		OnCreate: put,
		OnUpdate: put,
		OnDelete: &customresources.AwsSdkCall{
			Service:    jsii.String("DynamoDB"),
			Action:     jsii.String("deleteItem"),
			Parameters: map[string]any{"TableName": tableName, "Key": map[string]any{schema.PartitionKey: map[string]any{"S": key}}},
			// The table may be gone first (a teardown by hand): nothing is left to delete then.
			IgnoreErrorCodesMatching: jsii.String("ResourceNotFoundException"),
		},
		InstallLatestAwsSdk: jsii.Bool(false),
		Policy: customresources.AwsCustomResourcePolicy_FromStatements(&[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("dynamodb:PutItem", "dynamodb:DeleteItem"),
			Resources: &[]*string{table},
			// This one item and no other.
			Conditions: &map[string]any{"ForAllValues:StringEquals": map[string]any{"dynamodb:LeadingKeys": []string{key}}},
		})}),
		Timeout: awscdk.Duration_Minutes(jsii.Number(2)),
		LogGroup: awslogs.NewLogGroup(stack, jsii.String("CallbackUrlItemLogs"), &awslogs.LogGroupProps{
			Retention:     lifecycle.LogRetention(),
			RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
		}),
	})
	suppressAwsCustomResourceNag(stack, "dynamodb:PutItem and DeleteItem of this Region's one item of the game table")
	settleBeforeTheCall(stack, item)
	return item
}

// settleBeforeTheCall has CDK's AwsCustomResource function created only once item's policy
// exists, so that IAM has the function's creation to propagate the policy before the first
// call: the resource already waits for its policy, but the function, its role and the policy
// are all new in the same deployment (a first deploy, or the upgrade that adds the item), and
// the handler of this CDK version gives up at the first AccessDenied (aws/aws-cdk#37675),
// which fails the stack. The dependency is the function resource's, not its construct's: that
// holds the role the policy is attached to.
func settleBeforeTheCall(stack awscdk.Stack, item customresources.AwsCustomResource) {
	fn := stack.Node().TryFindChild(jsii.String("AWS679f53fac002430cb0da5b7982bd2287"))
	policy := item.Node().TryFindChild(jsii.String("CustomResourcePolicy"))
	if fn == nil || policy == nil {
		panic("stacks: CDK's AwsCustomResource no longer has the function or policy settleBeforeTheCall orders")
	}
	fn.Node().DefaultChild().Node().AddDependency(policy)
}
