package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// App is what one synth of the app holds.
type App struct {
	// Deployment is the game's stacks; nil when Pipeline deploys them.
	Deployment *Deployment
	// Pipeline is the delivery pipeline, with pipeline=true.
	Pipeline *PipelineStack
	// GitHubDeploy is the role of GitHub's deploy workflow, with githubRepository.
	GitHubDeploy *GitHubDeployStack
}

// Compose adds to app what cfg asks for: the game's stacks, or the pipeline that deploys them
// (cliVersion is the CDK CLI it runs), and the GitHub deploy role when asked.
func Compose(app awscdk.App, cfg Config, cliVersion string) *App {
	var a App
	if cfg.Pipeline != nil {
		a.Pipeline = NewPipelineStack(app, &PipelineStackProps{Config: cfg, CliVersion: cliVersion})
	} else {
		a.Deployment = NewDeployment(app, cfg)
	}
	if cfg.GitHub != nil {
		props := &GitHubDeployStackProps{
			StackProps: awscdk.StackProps{
				Description: jsii.String("TicTacToe: the role GitHub Actions of " + cfg.GitHub.Repository + " deploys with (no access keys)"),
			},
			Repository:  cfg.GitHub.Repository,
			ProviderArn: cfg.GitHub.ProviderArn,
		}
		if cfg.Account != "" {
			props.Env = &awscdk.Environment{Account: jsii.String(cfg.Account), Region: jsii.String(cfg.Region)}
		}
		a.GitHubDeploy = NewGitHubDeployStack(app, GitHubDeployStackName, props)
	}
	return &a
}
