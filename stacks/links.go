package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/serverless-tictactoe/tictactoe/blocks"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
)

// LinksStackProps configures a Region's Links stack.
type LinksStackProps struct {
	awscdk.StackProps
	// Parameter is the SSM parameter to write (callbackURLsParameter).
	Parameter string
	// Region is this stack's Region; Realtime names every Region's Realtime stack.
	Region   string
	Regions  []string
	Realtime map[string]string // Region → Realtime stack name
	// Stage is the WebSocket stage's name, the same in every Region.
	Stage string
}

// LinksStack ties one Region's functions to the others' once every Region's API exists: the
// parameter with every Region's @connections URL, and the grants to manage connections on
// the other Regions' APIs. It is its own stack so that no Realtime stack needs another's
// outputs (each would need the other's: a cycle).
type LinksStack struct {
	awscdk.Stack
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
	param := awsssm.NewStringParameter(stack, jsii.String("CallbackUrls"), &awsssm.StringParameterProps{
		ParameterName: jsii.String(props.Parameter),
		StringValue:   awscdk.Fn_Join(jsii.String(""), &pairs),
		Description:   jsii.String("TicTacToe: every Region's @connections URL, read by this Region's functions at start"),
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
	return &LinksStack{Stack: stack, Parameter: param}
}
