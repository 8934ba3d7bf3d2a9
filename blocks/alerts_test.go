package blocks

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
)

func TestAlertsTopicIsEncryptedAndTlsOnly(t *testing.T) {
	stack := newStack(t)
	NewAlertsTopic(stack, jsii.String("Alerts"), nil)
	tpl := assertions.Template_FromStack(stack, nil)
	cdktest.Has(t, tpl, "AWS::SNS::Topic", map[string]any{"KmsMasterKeyId": assertions.Match_AnyValue()})
	cdktest.Has(t, tpl, "AWS::KMS::Key", map[string]any{"EnableKeyRotation": true})
	policy := cdktest.JSONOf(t, cdktest.Props(cdktest.Only(t, tpl, "AWS::SNS::TopicPolicy")))
	if !strings.Contains(policy, `"aws:SecureTransport":"false"`) || !strings.Contains(policy, `"Deny"`) {
		t.Errorf("topic policy %s does not deny non-TLS publishing", policy)
	}
	// CloudWatch alarms must be able to use the key, or their notifications never arrive.
	if key := cdktest.JSONOf(t, cdktest.Props(cdktest.Only(t, tpl, "AWS::KMS::Key"))["KeyPolicy"]); !strings.Contains(key, "cloudwatch.amazonaws.com") {
		t.Errorf("key policy %s does not let CloudWatch alarms encrypt", key)
	}
	// The EnforceSSL topic policy replaces SNS's default one: alarms of this account (and only
	// they) need a statement of their own to publish.
	for _, want := range []string{`"Service":"cloudwatch.amazonaws.com"`, `"sns:Publish"`, `"aws:SourceAccount"`, `":alarm:*"`} {
		if !strings.Contains(policy, want) {
			t.Errorf("topic policy %s does not let this account's alarms publish: no %s", policy, want)
		}
	}
	cdktest.Count(t, tpl, "AWS::SNS::Subscription", 0)
	cdktest.HasResource(t, tpl, "AWS::KMS::Key", map[string]any{"DeletionPolicy": "Retain"})
}

// In dev the key goes with the stack: a retained key would bill $1 a month forever.
func TestAlertsTopicKeyInDevIsDeletedWithTheStack(t *testing.T) {
	stack := newStack(t)
	NewAlertsTopic(stack, jsii.String("Alerts"), &AlertsTopicProps{Lifecycle: Dev})
	tpl := assertions.Template_FromStack(stack, nil)
	cdktest.HasResource(t, tpl, "AWS::KMS::Key", map[string]any{
		"DeletionPolicy": "Delete",
		"Properties":     map[string]any{"PendingWindowInDays": 7},
	})
}

func TestAlertsTopicSubscribesTheEmailGiven(t *testing.T) {
	stack := newStack(t)
	NewAlertsTopic(stack, jsii.String("Alerts"), &AlertsTopicProps{Email: jsii.String("ops@example.com")})
	tpl := assertions.Template_FromStack(stack, nil)
	cdktest.Has(t, tpl, "AWS::SNS::Subscription", map[string]any{"Protocol": "email", "Endpoint": "ops@example.com"})
}

// The email receives only the messages its filter policy matches, on message attributes.
func TestAlertsTopicFiltersTheEmail(t *testing.T) {
	stack := newStack(t)
	NewAlertsTopic(stack, jsii.String("Alerts"), &AlertsTopicProps{
		Email: jsii.String("ops@example.com"),
		EmailFilter: &map[string]awssns.SubscriptionFilter{
			"eventType": awssns.SubscriptionFilter_StringFilter(&awssns.StringConditions{Allowlist: jsii.Strings("room_abandoned", "room_expired")}),
		},
	})
	tpl := assertions.Template_FromStack(stack, nil)
	cdktest.Has(t, tpl, "AWS::SNS::Subscription", map[string]any{
		"Protocol":     "email",
		"FilterPolicy": map[string]any{"eventType": []string{"room_abandoned", "room_expired"}},
	})
}

// A second topic on the first one's key: one key to pay for.
func TestAlertsTopicsCanShareAKey(t *testing.T) {
	stack := newStack(t)
	first := NewAlertsTopic(stack, jsii.String("Alerts"), nil)
	NewAlertsTopic(stack, jsii.String("Operations"), &AlertsTopicProps{MasterKey: first.Key})
	tpl := assertions.Template_FromStack(stack, nil)
	cdktest.Count(t, tpl, "AWS::KMS::Key", 1)
	cdktest.Count(t, tpl, "AWS::SNS::Topic", 2)
}

func TestAlertsTopicRejectsAFilterWithoutEmail(t *testing.T) {
	mustPanic(t, "EmailFilter is set but Email is not", func() {
		NewAlertsTopic(newStack(t), jsii.String("Alerts"), &AlertsTopicProps{
			EmailFilter: &map[string]awssns.SubscriptionFilter{"eventType": awssns.SubscriptionFilter_ExistsFilter()},
		})
	})
}

func TestAlertsTopicRejectsABadEmail(t *testing.T) {
	for _, email := range []string{"ops", "Ops <ops@example.com>", "ops@"} {
		mustPanic(t, "not an email address", func() {
			NewAlertsTopic(newStack(t), jsii.String("Alerts"), &AlertsTopicProps{Email: jsii.String(email)})
		})
	}
}
