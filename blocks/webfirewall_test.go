package blocks

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
)

// edgeStack is a stack in us-east-1, where CloudFront's web ACLs live.
func edgeStack(t *testing.T, region string) awscdk.Stack {
	t.Helper()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	return awscdk.NewStack(app, jsii.String("Edge"), &awscdk.StackProps{Env: &awscdk.Environment{Region: jsii.String(region)}})
}

func TestWebFirewallDefaults(t *testing.T) {
	stack := edgeStack(t, "us-east-1")
	topic := NewAlertsTopic(stack, jsii.String("Ops"), &AlertsTopicProps{Lifecycle: Dev})
	w := NewWebFirewall(stack, jsii.String("Firewall"), &WebFirewallProps{Name: jsii.String("Game-Site"), AlarmTopic: topic.Topic, Lifecycle: Dev})
	tpl := assertions.Template_FromStack(stack, nil)
	acl := cdktest.Props(cdktest.Only(t, tpl, "AWS::WAFv2::WebACL"))
	if acl["Scope"] != "CLOUDFRONT" || acl["Name"] != "Game-Site" || cdktest.JSONOf(t, acl["DefaultAction"]) != `{"Allow":{}}` {
		t.Errorf("web ACL %v", acl)
	}
	rules := acl["Rules"].([]any)
	if len(rules) != len(FirewallRules()) {
		t.Fatalf("%d rules, want %d", len(rules), len(FirewallRules()))
	}
	for i, name := range FirewallRules() {
		r := cdktest.JSONOf(t, rules[i])
		if !strings.Contains(r, `"Name":"`+name+`"`) || !strings.Contains(r, `"MetricName":"`+name+`"`) {
			t.Errorf("rule %d is not %s with its metric: %s", i, name, r)
		}
	}
	all := cdktest.JSONOf(t, rules)
	for _, want := range []string{`"Limit":2000`, `"Limit":300`, `"EvaluationWindowSec":300`, `"PositionalConstraint":"EXACTLY"`, `"SearchString":"/ws"`} {
		if !strings.Contains(all, want) {
			t.Errorf("rules lack %s", want)
		}
	}
	cdktest.HasResource(t, tpl, "AWS::Logs::LogGroup", map[string]any{"DeletionPolicy": "Delete", "Properties": obj(map[string]any{"RetentionInDays": 30})})
	cdktest.Has(t, tpl, "AWS::CloudWatch::Alarm", map[string]any{
		"MetricName": "BlockedRequests", "Namespace": "AWS/WAFV2", "Threshold": DefaultBlockedAlarmThreshold,
		"Dimensions": arr(map[string]any{"Name": "Rule", "Value": "ALL"}, map[string]any{"Name": "WebACL", "Value": "Game-Site"}),
	})
	// The metrics name the web ACL literally: another Region's dashboard reads them without a
	// reference.
	for _, m := range []awscloudwatch.Metric{w.MetricAllowedRequests(nil), w.MetricBlockedRequests(nil), w.MetricBlocked(RuleSocketLimit, nil)} {
		if *m.Region() != "us-east-1" || (*m.Dimensions())["WebACL"] != "Game-Site" || (*m.Dimensions())["Rule"] == nil {
			t.Errorf("metric %s in %s dims %v", *m.MetricName(), *m.Region(), m.Dimensions())
		}
	}
}

func TestWebFirewallRejectsBadProps(t *testing.T) {
	tests := []struct {
		name, region string
		props        *WebFirewallProps
		want         string
	}{
		{"no name", "us-east-1", &WebFirewallProps{}, "Name is required"},
		{"bad name", "us-east-1", &WebFirewallProps{Name: jsii.String("my site")}, "is not a web ACL name"},
		{"another region", "eu-west-1", &WebFirewallProps{Name: jsii.String("Site")}, "must be defined in us-east-1, not eu-west-1"},
		{"limit too low", "us-east-1", &WebFirewallProps{Name: jsii.String("Site"), RequestLimit: jsii.Number(5)}, "RequestLimit 5 is not a whole number of requests from 10"},
		{"fractional socket limit", "us-east-1", &WebFirewallProps{Name: jsii.String("Site"), SocketLimit: jsii.Number(20.5)}, "SocketLimit 20.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mustPanic(t, tt.want, func() { NewWebFirewall(edgeStack(t, tt.region), jsii.String("Firewall"), tt.props) })
		})
	}
}
