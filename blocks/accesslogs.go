package blocks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/regioninfo"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// newLogBucket is an access-log bucket: S3-managed encryption (the only kind load balancers
// can write to), TLS only, never public, objects kept as long as lifecycle keeps logs, emptied
// and deleted with a dev stack. ownership is how the writer delivers (ACLs for CloudFront's
// standard logs, none for a load balancer's); writer names it in the S1 suppression.
func newLogBucket(scope constructs.Construct, id string, lifecycle Lifecycle, ownership awss3.ObjectOwnership, writer string) awss3.Bucket {
	env := lifecycle.orDefault()
	b := awss3.NewBucket(scope, jsii.String(id), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:   ownership,
		RemovalPolicy:     env.RemovalPolicy(),
		AutoDeleteObjects: jsii.Bool(!env.IsProd()),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Expiration: awscdk.Duration_Days(jsii.Number(env.LogRetentionDays())),
		}},
	})
	SuppressNag(b, "AwsSolutions-S1", "This bucket is the "+writer+"'s access log: only it writes here, and logging the log bucket's own access would need yet another bucket")
	return b
}

// logAccessLogs sends lb's access logs to bucket, in any region, even when the stack's region
// is unknown at synth (environment-agnostic stacks, as CI synthesizes them).
//
// Load balancers write their logs as a regional Elastic Load Balancing account in regions
// opened before August 2022, and as the logdelivery.elasticloadbalancing.amazonaws.com service
// in later ones. CDK's own LogAccessLogs picks one at synth and so needs a concrete region; this
// picks at deploy time instead: a mapping from region to ELB account, looked up with a default
// (the stack's own account, which grants nothing new) for regions that have none, plus the
// service principal. The lookup default needs the AWS::LanguageExtensions transform.
func logAccessLogs(lb awselasticloadbalancingv2.ApplicationLoadBalancer, bucket awss3.Bucket) {
	stack := awscdk.Stack_Of(lb)
	accounts := map[string]*map[string]any{}
	for _, r := range *regioninfo.RegionInfo_Regions() {
		if a := r.Elbv2Account(); a != nil {
			accounts[*r.Name()] = &map[string]any{"account": *a}
		}
	}
	mapping := awscdk.NewCfnMapping(lb, jsii.String("ElbLogDeliveryAccounts"), &awscdk.CfnMappingProps{
		Mapping: &accounts,
	})
	stack.AddTransform(jsii.String("AWS::LanguageExtensions"))
	elbAccount := mapping.FindInMap(awscdk.Aws_REGION(), jsii.String("account"), awscdk.Aws_ACCOUNT_ID())

	lb.SetAttribute(jsii.String("access_logs.s3.enabled"), jsii.String("true"))
	lb.SetAttribute(jsii.String("access_logs.s3.bucket"), bucket.BucketName())
	logs := bucket.ArnForObjects(awscdk.Fn_Join(jsii.String(""), jsii.Strings("AWSLogs/", *awscdk.Aws_ACCOUNT_ID(), "/*")))
	bucket.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("ElbLogDeliveryAccount"),
		Actions:    jsii.Strings("s3:PutObject"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewArnPrincipal(awscdk.Fn_Join(jsii.String(""), jsii.Strings("arn:", *awscdk.Aws_PARTITION(), ":iam::", *elbAccount, ":root")))},
		Resources:  &[]*string{logs},
	}))
	bucket.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("ElbLogDeliveryService"),
		Actions:    jsii.Strings("s3:PutObject"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("logdelivery.elasticloadbalancing.amazonaws.com"), nil)},
		Resources:  &[]*string{logs},
	}))
	// The load balancer checks it may write when logging is turned on: the policy comes first.
	if policy := bucket.Policy(); policy != nil {
		lb.Node().AddDependency(policy)
	}
}
