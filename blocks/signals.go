package blocks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/serverless-tictactoe/tictactoe/lambda/ops/signalkey"
)

// OpsCommandsDir holds the main packages of the operations functions the constructs deploy
// (the signal relay, the account-role setter): not the game's (lambda/catalog). They are
// built from this module's directory, wherever the app's own go.mod is (library.go).
const OpsCommandsDir = "lambda/ops/cmd"

// bootSignals carry a web instance's "I serve the site" to CloudFormation. The instances sit
// in isolated subnets with no route to CloudFormation (an interface endpoint would cost more
// than the rest of the web tier), but they reach S3 through the free gateway endpoint: each
// writes SUCCESS/<instance id> or FAILURE/<instance id> to the signals bucket, S3 tells
// EventBridge, and the signal relay calls SignalResource for the group.
type bootSignals struct {
	// Bucket is where instances report; objects expire after a day.
	Bucket awss3.Bucket
	// Relay is the signal relay function; Rule routes the bucket's events to it.
	Relay *GoFunction
	Rule  awsevents.Rule
	scope constructs.Construct
	life  Lifecycle
}

func newSignals(scope constructs.Construct, lifecycle Lifecycle) *bootSignals {
	b := awss3.NewBucket(scope, jsii.String("Signals"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		// Transient: a signal is read once, within minutes. Nothing here outlives the stack.
		RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
		AutoDeleteObjects: jsii.Bool(true),
		LifecycleRules:    &[]*awss3.LifecycleRule{{Expiration: awscdk.Duration_Days(jsii.Number(1))}},
	})
	// Natively, with no notification custom resource: the bucket sends every event to
	// EventBridge, where a rule picks the signals.
	b.Node().DefaultChild().(awss3.CfnBucket).AddPropertyOverride(jsii.String("NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled"), true)
	SuppressNag(b, "AwsSolutions-S1", "Empty objects instances write at boot, read once by the signal relay and expired after a day: their access log would say nothing the relay's log does not")
	return &bootSignals{Bucket: b, scope: scope, life: lifecycle}
}

// grantReports lets role write its instances' boot reports: the status prefixes of the bucket,
// nothing else.
func (s *bootSignals) grantReports(role awsiam.Role) {
	for _, status := range signalkey.Statuses() {
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("s3:PutObject"),
			Resources: &[]*string{s.Bucket.ArnForObjects(jsii.String(status + "/*"))},
		}))
	}
	SuppressNag(role, "AwsSolutions-IAM5", "An instance writes its one boot report, STATUS/<its own instance id>, and an ID exists only once the instance runs: the grant covers the two status prefixes of the signals bucket and nothing else",
		&cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::<[A-Za-z0-9]*Signals[0-9A-F]{8}\.Arn>\/(SUCCESS|FAILURE)\/\*$/`)})
}

// relayFor deploys the relay for group and makes the group wait for it: an instance launched
// before the relay exists could never be signalled.
func (s *bootSignals) relayFor(group awsautoscaling.AutoScalingGroup) {
	stack := awscdk.Stack_Of(s.scope)
	logicalID := stack.GetLogicalId(group.Node().DefaultChild().(awscdk.CfnElement))
	s.Relay = newLibraryFunction(s.scope, jsii.String("SignalRelay"), GoFunctionProps{
		Command:     jsii.String("signalrelay"),
		Description: jsii.String("Web tier: instances' boot reports in S3 to CloudFormation signals"),
		Environment: &map[string]*string{
			signalkey.EnvStackName:  stack.StackName(),
			signalkey.EnvLogicalID:  logicalID,
			signalkey.EnvBucketName: s.Bucket.BucketName(),
		},
		Lifecycle: s.life,
	})
	s.Relay.Function.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("cloudformation:SignalResource"),
		Resources: &[]*string{stack.StackId()},
	}))
	// Its marks of the instances it relayed, so that their repeats are not counted again.
	s.Relay.Function.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("s3:GetObject", "s3:PutObject"),
		Resources: &[]*string{s.Bucket.ArnForObjects(jsii.String(signalkey.Relayed + "/*"))},
	}))
	SuppressNag(s.Relay.Role, "AwsSolutions-IAM5", "Its marks are named by instance IDs known only at run time: the grant covers the RELAYED/ prefix of this stack's signals bucket alone",
		&cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::<[A-Za-z0-9]*Signals[0-9A-F]{8}\.Arn>\/RELAYED\/\*$/`)})
	// Without it S3 answers a missing mark with 403, not 404. The bucket holds empty objects
	// named by instance IDs, nothing more.
	s.Relay.Function.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("s3:ListBucket"),
		Resources: &[]*string{s.Bucket.BucketArn()},
	}))
	var prefixes []any
	for _, status := range signalkey.Statuses() {
		prefixes = append(prefixes, map[string]any{"prefix": status + "/"})
	}
	s.Rule = awsevents.NewRule(s.scope, jsii.String("SignalRule"), &awsevents.RuleProps{
		Description: jsii.String("Web tier: boot reports in the signals bucket to the signal relay"),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings("aws.s3"),
			DetailType: jsii.Strings("Object Created"),
			Detail: &map[string]any{
				"bucket": map[string]any{"name": []any{s.Bucket.BucketName()}},
				"object": map[string]any{"key": prefixes},
			},
		},
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(s.Relay.Function, &awseventstargets.LambdaFunctionProps{
			RetryAttempts: jsii.Number(3),
			MaxEventAge:   awscdk.Duration_Minutes(jsii.Number(30)),
		})},
	})
	group.Node().AddDependency(s.Rule, s.Relay.Construct)
}
