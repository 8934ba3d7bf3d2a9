package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	cdkconstructs "github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/constructs"
)

// AlertsStackProps configures the Alerts stack.
type AlertsStackProps struct {
	awscdk.StackProps
	// Email is subscribed to the topic when set. Default: no subscription.
	Email *string
	// Deployment decides whether the topic's key outlives the stack (prod) or not (dev).
	Deployment constructs.Environment
}

// AlertsStack holds the operations topic: stacks with something to report (presence,
// monitoring alarms) take Topic and publish to it. It is its own stack, depending on nothing,
// so any stack can use it without a dependency cycle, and it costs nothing but its key.
type AlertsStack struct {
	awscdk.Stack
	// Topic is the encrypted, TLS-only alerts topic.
	Topic awssns.ITopic
}

// NewAlertsStack defines the stack.
func NewAlertsStack(scope cdkconstructs.Construct, id string, props *AlertsStackProps) *AlertsStack {
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	alerts := constructs.NewAlertsTopic(stack, jsii.String("Alerts"), &constructs.AlertsTopicProps{Email: props.Email, Deployment: props.Deployment})
	awscdk.NewCfnOutput(stack, jsii.String("AlertsTopicArn"), &awscdk.CfnOutputProps{
		Value:       alerts.Topic.TopicArn(),
		Description: jsii.String("SNS topic for operational alerts: subscribe to it"),
	})
	return &AlertsStack{Stack: stack, Topic: alerts.Topic}
}
