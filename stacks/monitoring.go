package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	cdkconstructs "github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/constructs"
)

// MonitoringStackProps configures the Monitoring stack.
type MonitoringStackProps struct {
	awscdk.StackProps
	// Dashboard is what to watch and whom to tell, taken from the other stacks (the API's
	// stage, the functions, the table, the stream pipeline, the site) as CDK interfaces.
	Dashboard constructs.GameDashboardProps
}

// MonitoringStack is the game's dashboard and alarms. It reads every other stack and nothing
// reads it, so it deploys last and can be destroyed and redeployed on its own.
type MonitoringStack struct {
	awscdk.Stack
	// Dashboard is the dashboard and its alarms.
	Dashboard *constructs.GameDashboard
}

// NewMonitoringStack defines the stack.
func NewMonitoringStack(scope cdkconstructs.Construct, id string, props *MonitoringStackProps) *MonitoringStack {
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	dashboard := constructs.NewGameDashboard(stack, jsii.String("Dashboard"), &props.Dashboard)
	awscdk.NewCfnOutput(stack, jsii.String("DashboardUrl"), &awscdk.CfnOutputProps{
		Value:       dashboard.Url,
		Description: jsii.String("The CloudWatch dashboard: can players play?"),
	})
	return &MonitoringStack{Stack: stack, Dashboard: dashboard}
}
