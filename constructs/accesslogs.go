package constructs

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/regioninfo"
	"github.com/aws/jsii-runtime-go"
)

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
