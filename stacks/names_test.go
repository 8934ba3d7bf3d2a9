package stacks

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
)

// nameLimits are AWS's documented limits on the names a template gives, by resource type and
// property path (dots between keys, list indexes left out), where they are not defaultNameLimit.
var nameLimits = map[string]int{
	"AWS::IAM::Policy PolicyName":                                             128,
	"AWS::IAM::Role Policies.PolicyName":                                      128,
	"AWS::CloudWatch::Alarm AlarmName":                                        255,
	"AWS::CloudWatch::Dashboard DashboardName":                                255,
	"AWS::SNS::Topic DisplayName":                                             100,
	"AWS::SNS::Topic TopicName":                                               256,
	"AWS::DynamoDB::GlobalTable TableName":                                    255,
	"AWS::DynamoDB::Table TableName":                                          255,
	"AWS::Logs::LogGroup LogGroupName":                                        512,
	"AWS::CloudFront::CachePolicy CachePolicyConfig.Name":                     128,
	"AWS::CloudFront::ResponseHeadersPolicy ResponseHeadersPolicyConfig.Name": 128,
	"AWS::CloudFront::OriginRequestPolicy OriginRequestPolicyConfig.Name":     128,
	"AWS::ApiGatewayV2::Api Name":                                             128,
	"AWS::ApiGatewayV2::Stage StageName":                                      128,
	"AWS::WAFv2::WebACL Name":                                                 128,
	"AWS::SecretsManager::Secret Name":                                        512,
	"AWS::SSM::Parameter Name":                                                1011,
	"AWS::CodePipeline::Pipeline Name":                                        100,
	"AWS::CodeBuild::Project Name":                                            150,
	"AWS::CodePipeline::Pipeline Stages.Name":                                 100,
	"AWS::CodePipeline::Pipeline Stages.Actions.Name":                         100,
	"AWS::ElasticLoadBalancingV2::LoadBalancer Name":                          32,
	"AWS::ElasticLoadBalancingV2::TargetGroup Name":                           32,
	"AWS::EC2::LaunchTemplate LaunchTemplateName":                             128,
	"AWS::S3::Bucket BucketName":                                              63,
	"AWS::KMS::Alias AliasName":                                               256,
}

// defaultNameLimit is most services' limit on a name: CloudFront's VPC origins and functions,
// IAM roles, Lambda functions, EventBridge rules. The CDK caps its own generated names at it.
const defaultNameLimit = 64

// notNames are name-like keys that hold no name the template gives: DNS names (253 by DNS),
// metric names (255), names of AWS's services, headers and rule vendors.
var notNames = []string{"DomainName", "FullyQualifiedDomainName", "HostedZoneName", "MetricName", "ServiceName", "HeaderName", "VendorName"}

// pseudoLength is the most a pseudo parameter can add to a name.
var pseudoLength = map[string]int{"AWS::Region": longestRegion, "AWS::AccountId": 12, "AWS::Partition": len("aws-iso-b"), "AWS::URLSuffix": len("amazonaws.com.cn")}

const longestRegion = len("ap-southeast-5") + 1

// No name a template gives is longer than its service takes, in any Region of any
// combination: the longest lifecycle (prod) in the Regions with the longest names, a second
// Region, the pipeline's stages. A name over the limit fails the deploy, late.
func TestNamesFitTheirServicesLimits(t *testing.T) {
	combos := every(t)
	combos["two Regions"] = twoRegions(t)
	combos["prod in the longest-named Regions, own domain"] = synthOnce(t, "long regions", map[string]any{
		KeyEnv: "prod", KeyRegions: "ap-southeast-5,ap-northeast-3", KeyDomainName: "play.example.com", KeyHostedZoneId: "Z0123456789ABCDEFGHIJ",
	}, map[string]string{"CDK_DEFAULT_ACCOUNT": "123456789012", "CDK_DEFAULT_REGION": "ap-southeast-5"})
	templates := map[string]assertions.Template{}
	for name, s := range combos {
		for stack, tpl := range s.templates {
			templates[name+": "+stack] = tpl
		}
	}
	p, ptpl := pipelineSynth(t)
	templates["pipeline: "+*p.StackName()] = ptpl
	for _, d := range []*Deployment{p.Dev, p.Prod} {
		for _, st := range d.Stacks() {
			templates["pipeline: "+*awscdk.Stage_Of(st).StageName()+"/"+*st.StackName()] = assertions.Template_FromStack(st, nil)
		}
	}
	checked := 0
	for where, tpl := range templates {
		resources, _ := (*tpl.ToJSON())["Resources"].(map[string]any)
		for id, r := range resources {
			res, _ := r.(map[string]any)
			typ, _ := res["Type"].(string)
			walkNames(res["Properties"], "", func(path string, v any) {
				n, known := nameLength(v)
				if !known {
					return
				}
				checked++
				limit, ok := nameLimits[typ+" "+path]
				if !ok {
					limit = defaultNameLimit
				}
				if n > limit {
					t.Errorf("%s: %s %s %s is %d characters, more than the %d %s takes: %v", where, typ, id, path, n, limit, typ, v)
				}
			})
		}
	}
	if checked < 50 {
		t.Errorf("only %d names checked: the walk misses them", checked)
	}
}

// walkNames calls f with every name-like property under v: a key ending in Name, or a Name.
func walkNames(v any, path string, f func(path string, v any)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if strings.HasSuffix(k, "Name") && !isNotName(k) {
				f(p, x)
				continue
			}
			if !strings.HasPrefix(k, "Fn::") && k != "Ref" {
				walkNames(x, p, f)
			}
		}
	case []any:
		for _, x := range v {
			walkNames(x, path, f)
		}
	}
}

func isNotName(k string) bool {
	for _, n := range notNames {
		if k == n {
			return true
		}
	}
	return false
}

// nameLength is the most characters v can be at deploy: a string, or a join of strings and
// pseudo parameters. A name made of another resource's attribute is not known.
func nameLength(v any) (int, bool) {
	switch v := v.(type) {
	case string:
		return len(v), true
	case map[string]any:
		if ref, ok := v["Ref"].(string); ok {
			n, known := pseudoLength[ref]
			return n, known
		}
		join, ok := v["Fn::Join"].([]any)
		if !ok || len(join) != 2 {
			return 0, false
		}
		sep, _ := join[0].(string)
		parts, _ := join[1].([]any)
		total := sep
		n := 0
		for i, p := range parts {
			m, known := nameLength(p)
			if !known {
				return 0, false
			}
			n += m
			if i > 0 {
				n += len(total)
			}
		}
		return n, true
	}
	return 0, false
}
