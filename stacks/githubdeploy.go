package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/serverless-tictactoe/tictactoe/blocks"
)

// GitHubDeployStackName is the stack of the role GitHub's deploy workflow assumes
// (.github/workflows/deploy.yml): one for both lifecycles, so named for neither.
const GitHubDeployStackName = "TicTacToe-GitHubDeploy"

// GitHubTokenHost is the issuer of GitHub Actions' OIDC tokens.
const GitHubTokenHost = "token.actions.githubusercontent.com"

// GitHubEnvironments are the GitHub environments the deploy workflow runs in, one per
// lifecycle: only a job in one of them may assume the role.
var GitHubEnvironments = []blocks.Lifecycle{blocks.Dev, blocks.Prod}

// GitHubDeployStackProps configures the role.
type GitHubDeployStackProps struct {
	awscdk.StackProps
	// Repository is owner/name: only its workflows may assume the role.
	Repository string
	// ProviderArn is the account's OIDC provider for GitHubTokenHost. Default: the one at
	// its conventional ARN, which the account makes once (docs/pipeline.md).
	ProviderArn string
}

// GitHubDeployStack holds the role.
type GitHubDeployStack struct {
	awscdk.Stack
	Role awsiam.Role
}

// NewGitHubDeployStack defines a role GitHub Actions assumes with its OIDC token, from the
// repository's dev and prod environments only, that can do what `cdk deploy` does: assume
// the CDK bootstrap roles. It holds no other permission; the bootstrap's roles do the deploy.
func NewGitHubDeployStack(scope constructs.Construct, id string, props *GitHubDeployStackProps) *GitHubDeployStack {
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	providerArn := props.ProviderArn
	if providerArn == "" {
		providerArn = *awscdk.Fn_Join(jsii.String(""), &[]*string{
			jsii.String("arn:"), stack.Partition(), jsii.String(":iam::"), stack.Account(), jsii.String(":oidc-provider/" + GitHubTokenHost),
		})
	}
	var subjects []*string
	for _, l := range GitHubEnvironments {
		subjects = append(subjects, jsii.String("repo:"+props.Repository+":environment:"+string(l)))
	}
	role := awsiam.NewRole(stack, jsii.String("DeployRole"), &awsiam.RoleProps{
		Description: jsii.String("GitHub Actions of " + props.Repository + " (environments dev and prod) deploying TicTacToe through the CDK bootstrap roles"),
		AssumedBy: awsiam.NewFederatedPrincipal(jsii.String(providerArn), &map[string]any{
			"StringEquals": map[string]any{
				GitHubTokenHost + ":aud": "sts.amazonaws.com",
				GitHubTokenHost + ":sub": subjects,
			},
		}, jsii.String("sts:AssumeRoleWithWebIdentity")),
		MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(2)),
	})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("sts:AssumeRole", "sts:TagSession"),
		Resources: jsii.Strings(*awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), stack.Partition(), jsii.String(":iam::"), stack.Account(), jsii.String(":role/*")})),
		Conditions: &map[string]any{
			"ForAnyValue:StringEquals": map[string]any{"iam:ResourceTag/aws-cdk:bootstrap-role": []string{"deploy", "file-publishing", "image-publishing", "lookup"}},
		},
	}))
	blocks.SuppressNag(role, "AwsSolutions-IAM5", "The role may assume only this account's CDK bootstrap roles, which the condition selects by their aws-cdk:bootstrap-role tag: their names carry the bootstrap's qualifier, which this app does not know",
		&cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::arn:(<AWS::Partition>|aws[a-z-]*):iam::(<AWS::AccountId>|\d{12}):role\/\*$/`)})
	awscdk.NewCfnOutput(stack, jsii.String("DeployRoleArn"), &awscdk.CfnOutputProps{
		Value:       role.RoleArn(),
		Description: jsii.String("Set it as the AWS_DEPLOY_ROLE_ARN variable of the repository's dev and prod environments"),
	})
	checkStack(stack, nil)
	return &GitHubDeployStack{Stack: stack, Role: role}
}
