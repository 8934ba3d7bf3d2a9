package stacks

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
)

// The deploy role: assumable with GitHub's OIDC token by the repository's dev and prod
// environments only, for the CDK bootstrap roles only; the checks pass.
func TestGitHubDeployRole(t *testing.T) {
	for _, tc := range []struct {
		name, provider, wantProvider string
	}{
		{"the account's provider", "", `:oidc-provider/token.actions.githubusercontent.com`},
		{"a provider given", "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com", `"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
			st := NewGitHubDeployStack(app, GitHubDeployStackName, &GitHubDeployStackProps{Repository: "acme/tictactoe", ProviderArn: tc.provider})
			app.Synth(nil)
			tpl := assertions.Template_FromStack(st.Stack, nil)
			role := cdktest.Props(cdktest.Only(t, tpl, "AWS::IAM::Role"))
			trust := cdktest.JSONOf(t, role["AssumeRolePolicyDocument"])
			for _, want := range []string{
				`"Action":"sts:AssumeRoleWithWebIdentity"`, tc.wantProvider,
				`"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"`,
				`"token.actions.githubusercontent.com:sub":["repo:acme/tictactoe:environment:dev","repo:acme/tictactoe:environment:prod"]`,
			} {
				if !strings.Contains(trust, want) {
					t.Errorf("trust policy lacks %s: %s", want, trust)
				}
			}
			if strings.Contains(trust, "StringLike") || strings.Contains(trust, "*") {
				t.Errorf("trust policy has a wildcard: %s", trust)
			}
			policy := cdktest.JSONOf(t, cdktest.Props(cdktest.Only(t, tpl, "AWS::IAM::Policy"))["PolicyDocument"])
			for _, want := range []string{`"sts:AssumeRole"`, `"iam:ResourceTag/aws-cdk:bootstrap-role":["deploy","file-publishing","image-publishing","lookup"]`} {
				if !strings.Contains(policy, want) {
					t.Errorf("policy lacks %s: %s", want, policy)
				}
			}
			if n := strings.Count(policy, `"Effect":"Allow"`); n != 1 {
				t.Errorf("the role has %d statements, want only the bootstrap roles: %s", n, policy)
			}
			rule := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-"))
			a := assertions.Annotations_FromStack(st.Stack)
			for _, f := range append(*a.FindError(jsii.String("*"), rule), *a.FindWarning(jsii.String("*"), rule)...) {
				t.Errorf("nag finding at %s: %v", *f.Id, firstLine(f.Entry.Data))
			}
		})
	}
}
