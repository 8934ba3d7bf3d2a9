package blocks

import (
	"fmt"
	"net/mail"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// AlertsTopicProps configures an AlertsTopic.
type AlertsTopicProps struct {
	// Email subscribes this address to the topic (AWS sends it a confirmation link first).
	// Default: no subscription; subscribe later, or add subscriptions to Topic.
	Email *string
	// EmailFilter is the email subscription's filter policy on message attributes: the address
	// receives only the messages whose attributes match it (a message without the attribute
	// never matches). Default: none, every message is mailed.
	EmailFilter *map[string]awssns.SubscriptionFilter
	// DisplayName is the sender name of email notifications. Default: DefaultDisplayName.
	DisplayName *string
	// MasterKey encrypts messages at rest. Default: a new customer managed key with yearly
	// rotation (about $1 a month) that CloudWatch alarms may use: the AWS managed key for SNS
	// cannot be used by alarms, so alarms on a topic encrypted with it never arrive.
	// Topics may share a key: pass another AlertsTopic's Key (whose policy already lets
	// CloudWatch alarms use it) to pay for one key instead of two.
	MasterKey awskms.IKey
	// Lifecycle decides the fate of the default key when the stack is deleted. Default: Prod,
	// the key is retained. Dev: it is scheduled for deletion after the shortest waiting period
	// (7 days).
	Lifecycle Lifecycle
	// KeyDescription describes the key made when MasterKey is not given. Default: "Encrypts
	// SNS topics of alarms and alerts".
	KeyDescription *string
	// TopicProps is the escape hatch: any field it sets is passed to the topic over the
	// defaults (a name, delivery logging, tracing…). The key, TLS enforcement and display
	// name are the props above (AlertsTopicOwned) and are refused. A TopicName added to a
	// deployed topic replaces it (subscribers confirm again): give it at creation only.
	// Default: none.
	TopicProps *awssns.TopicProps
}

// AlertsTopicOwned are the fields of TopicProps that AlertsTopic decides.
var AlertsTopicOwned = []string{"MasterKey", "EnforceSSL", "DisplayName"}

// AlertsTopic is an SNS topic for operational alerts: messages encrypted at rest, publishing
// only over TLS, optionally delivered by email. Publishers get permissions through
// Topic.GrantPublish (which covers the key); CloudWatch alarms of the topic's account can
// publish as is (the topic policy and the default key's policy let them).
type AlertsTopic struct {
	constructs.Construct
	// Topic is the topic.
	Topic awssns.Topic
	// Key encrypts the topic.
	Key awskms.IKey
}

// DefaultDisplayName is an AlertsTopic's default sender name.
const DefaultDisplayName = "Alerts"

// ValidateEmail checks that s is a bare e-mail address (ops@example.com), as an SNS e-mail
// subscription takes it: no display name, no angle brackets.
func ValidateEmail(s string) error {
	if a, err := mail.ParseAddress(s); err != nil || a.Address != s {
		return fmt.Errorf("%q is not an email address like ops@example.com", s)
	}
	return nil
}

// NewAlertsTopic defines the topic.
func NewAlertsTopic(scope constructs.Construct, id *string, props *AlertsTopicProps) *AlertsTopic {
	if props == nil {
		props = &AlertsTopicProps{}
	}
	if props.Email != nil && !*awscdk.Token_IsUnresolved(props.Email) {
		if err := ValidateEmail(*props.Email); err != nil {
			panic(fmt.Errorf("AlertsTopic %s: Email: %w", *id, err))
		}
	}
	if props.EmailFilter != nil && props.Email == nil {
		panic(fmt.Errorf("AlertsTopic %s: EmailFilter is set but Email is not: the filter applies to the email subscription", *id))
	}
	this := constructs.NewConstruct(scope, id)
	key := props.MasterKey
	if key == nil {
		k := awskms.NewKey(this, jsii.String("Key"), &awskms.KeyProps{
			Description:       orString(props.KeyDescription, "Encrypts SNS topics of alarms and alerts"),
			EnableKeyRotation: jsii.Bool(true),
			RemovalPolicy:     props.Lifecycle.orDefault().RemovalPolicy(),
			PendingWindow:     awscdk.Duration_Days(jsii.Number(7)),
		})
		// CloudWatch publishes alarm notifications with its service principal, which must be
		// able to encrypt with the topic's key.
		k.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
			Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
			Resources:  jsii.Strings("*"),
		}), nil)
		key = k
	}
	displayName := props.DisplayName
	if displayName == nil {
		displayName = jsii.String(DefaultDisplayName)
	}
	topicProps, err := overlay(awssns.TopicProps{
		DisplayName: displayName,
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	}, props.TopicProps, "TopicProps", AlertsTopicOwned...)
	if err != nil {
		panic(fmt.Errorf("AlertsTopic %s: %w", *id, err))
	}
	topic := awssns.NewTopic(this, jsii.String("Resource"), &topicProps)
	// The topic policy CDK writes for EnforceSSL replaces SNS's default one, which let any
	// service acting for the account publish: without this statement, alarm notifications are
	// refused ("no resource-based policy allows the SNS:Publish action").
	stack := awscdk.Stack_Of(this)
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowAlarmsOfThisAccount"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{topic.TopicArn()},
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()},
			"ArnLike": map[string]any{"aws:SourceArn": stack.FormatArn(&awscdk.ArnComponents{
				Service: jsii.String("cloudwatch"), Resource: jsii.String("alarm"), ResourceName: jsii.String("*"),
				ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
			})},
		},
	}))
	if props.Email != nil {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(props.Email, &awssnssubscriptions.EmailSubscriptionProps{
			FilterPolicy: props.EmailFilter,
		}))
	}
	return &AlertsTopic{Construct: this, Topic: topic, Key: key}
}
