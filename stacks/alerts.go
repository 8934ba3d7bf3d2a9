package stacks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/blocks"
	"github.com/serverless-tictactoe/tictactoe/lambda/presence/eventtype"
)

// AlertsStackProps configures the Alerts stack.
type AlertsStackProps struct {
	awscdk.StackProps
	// Email is subscribed to the alerts topic when set, for the presence events in EmailEvents
	// only. Default: no subscription.
	Email *string
	// EmailEvents are the presence event types (the eventType message attribute) Email
	// receives. Default: DefaultAlertEvents, abandoned rooms.
	EmailEvents []eventtype.Type
	// OpsEmail is subscribed to the operations topic when set: every alarm, raised and
	// cleared. Default: no subscription.
	OpsEmail *string
	// Lifecycle decides whether the topics' key outlives the stack (prod) or not (dev).
	Lifecycle blocks.Lifecycle
}

// DefaultAlertEvents are the presence events mailed to Email unless EmailEvents says
// otherwise: a room abandoned by its host is worth a look; players coming and going are not.
func DefaultAlertEvents() []eventtype.Type { return []eventtype.Type{eventtype.RoomAbandoned} }

// AlertsStack holds the two notification topics, on one key: Topic for what happens in the
// game (presence events, published by the presence function with message attributes that
// subscriptions filter on) and Operations for the alarms. They are two because alarm
// notifications carry no message attributes, so a filtered subscription would drop every one,
// and because the audiences differ: every alarm must reach whoever is on call, while game
// events are many and each reader picks a few. The stack depends on nothing, so any stack can
// publish without a dependency cycle; it costs nothing but its key.
type AlertsStack struct {
	awscdk.Stack
	// Topic is the encrypted, TLS-only alerts topic: presence events.
	Topic awssns.ITopic
	// Operations is the encrypted, TLS-only operations topic: alarm notifications.
	Operations awssns.ITopic
}

// gameName names the game in the descriptions and comments of what the blocks make for it.
const gameName = "TicTacToe"

// topicKeyDescription describes the key of each stack's alert topics.
const topicKeyDescription = "Encrypts the TicTacToe SNS topics (alerts and operations)"

// handlerLogFields are the fields of the functions' error lines (lambda/handler's one line per
// invocation) that the errors alarms name.
const handlerLogFields = "route, room, outcome, errorCode, error"

// NewAlertsStack defines the stack.
func NewAlertsStack(scope constructs.Construct, id string, props *AlertsStackProps) *AlertsStack {
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	var filter *map[string]awssns.SubscriptionFilter
	if props.Email != nil {
		events := props.EmailEvents
		if len(events) == 0 {
			events = DefaultAlertEvents()
		}
		var allow []*string
		for _, t := range events {
			if err := eventtype.Check(t); err != nil {
				panic(fmt.Errorf("stack %s: EmailEvents: %w", id, err))
			}
			allow = append(allow, jsii.String(string(t)))
		}
		filter = &map[string]awssns.SubscriptionFilter{
			eventtype.Attribute: awssns.SubscriptionFilter_StringFilter(&awssns.StringConditions{Allowlist: &allow}),
		}
	}
	alerts := blocks.NewAlertsTopic(stack, jsii.String("Alerts"), &blocks.AlertsTopicProps{
		Email:          props.Email,
		EmailFilter:    filter,
		DisplayName:    jsii.String("TicTacToe alerts"),
		KeyDescription: jsii.String(topicKeyDescription),
		Lifecycle:      props.Lifecycle,
	})
	ops := blocks.NewAlertsTopic(stack, jsii.String("Operations"), &blocks.AlertsTopicProps{
		Email:       props.OpsEmail,
		DisplayName: jsii.String("TicTacToe operations"),
		MasterKey:   alerts.Key,
		Lifecycle:   props.Lifecycle,
	})
	awscdk.NewCfnOutput(stack, jsii.String("AlertsTopicArn"), &awscdk.CfnOutputProps{
		Value:       alerts.Topic.TopicArn(),
		Description: jsii.String("SNS topic of presence events (message attribute eventType): subscribe to it, filtering on eventType"),
	})
	awscdk.NewCfnOutput(stack, jsii.String("OperationsTopicArn"), &awscdk.CfnOutputProps{
		Value:       ops.Topic.TopicArn(),
		Description: jsii.String("SNS topic of alarm notifications: subscribe whoever is on call"),
	})
	return &AlertsStack{Stack: stack, Topic: alerts.Topic, Operations: ops.Topic}
}
