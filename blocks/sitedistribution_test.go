package blocks

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
)

// distributionStack is a stack with an internal WebFrontend and a SiteDistribution in front
// of it, configured by change.
func distributionStack(t *testing.T, change func(awscdk.Stack, *SiteDistributionProps)) (awscdk.Stack, *SiteDistribution) {
	t.Helper()
	stack, web := frontendStack(t, func(_ awscdk.Stack, p *WebFrontendProps) {
		p.Internal = true
		p.WebSocketUrl = jsii.String(DefaultSocketPath)
	})
	p := &SiteDistributionProps{
		LoadBalancer:     web.LoadBalancer,
		ApiDomainName:    jsii.String("abc123.execute-api.eu-west-1.amazonaws.com"),
		ApiStageName:     jsii.String("prod"),
		ApiHeaders:       map[string]*string{"X-Test-Secret": jsii.String("s3cr3t")},
		ViewerHostHeader: jsii.String("X-Test-Viewer-Host"),
		HstsMaxAge:       awscdk.Duration_Days(jsii.Number(365)),
		Lifecycle:        Dev,
	}
	if change != nil {
		change(stack, p)
	}
	return stack, NewSiteDistribution(stack, jsii.String("Site"), p)
}

func distributionConfig(t *testing.T, tpl assertions.Template) map[string]any {
	t.Helper()
	var d struct{ DistributionConfig map[string]any }
	cdktest.RoundTrip(t, cdktest.Props(cdktest.Only(t, tpl, "AWS::CloudFront::Distribution")), &d)
	return d.DistributionConfig
}

func TestSiteDistributionServesTheSiteAndTheSocket(t *testing.T) {
	stack, site := distributionStack(t, nil)
	tpl := assertions.Template_FromStack(stack, nil)
	d := distributionConfig(t, tpl)
	for k, want := range map[string]any{"HttpVersion": "http2and3", "IPV6Enabled": true, "PriceClass": "PriceClass_100", "Enabled": true} {
		if d[k] != want {
			t.Errorf("%s = %v, want %v", k, d[k], want)
		}
	}
	def := d["DefaultCacheBehavior"].(map[string]any)
	if def["ViewerProtocolPolicy"] != "redirect-to-https" || def["Compress"] != true {
		t.Errorf("site behavior %v: want HTTP redirected and compression", def)
	}
	ws := d["CacheBehaviors"].([]any)[0].(map[string]any)
	if ws["PathPattern"] != "/ws" || ws["ViewerProtocolPolicy"] != "https-only" ||
		ws["CachePolicyId"] != "4135ea2d-6df8-44a3-9df3-4b5a84be39ad" || // CachingDisabled
		ws["OriginRequestPolicyId"] != "b689b0a8-53d0-40ab-baf2-68738e2966ac" { // AllViewerExceptHostHeader
		t.Errorf("socket behavior %v: want /ws, https only, uncached, every viewer header but Host", ws)
	}
	origins := cdktest.JSONOf(t, d["Origins"])
	for _, want := range []string{`"DomainName":"abc123.execute-api.eu-west-1.amazonaws.com"`, `"OriginProtocolPolicy":"https-only"`, `{"HeaderName":"X-Test-Secret","HeaderValue":"s3cr3t"}`, `"VpcOriginConfig"`} {
		if !strings.Contains(origins, want) {
			t.Errorf("origins %s lack %s", origins, want)
		}
	}
	cdktest.Has(t, tpl, "AWS::CloudFront::VpcOrigin", map[string]any{"VpcOriginEndpointConfig": map[string]any{"OriginProtocolPolicy": "http-only", "HTTPPort": 80}})
	code := cdktest.Props(cdktest.Only(t, tpl, "AWS::CloudFront::Function"))["FunctionCode"].(string)
	for _, want := range []string{`request.headers["x-test-viewer-host"] = { value: request.headers.host.value };`, `request.uri = "/prod";`} {
		if !strings.Contains(code, want) {
			t.Errorf("socket function lacks %s:\n%s", want, code)
		}
	}
	// Logs go to a bucket CloudFront's log delivery can write (ACLs on), emptied in dev.
	cdktest.Has(t, tpl, "AWS::S3::Bucket", map[string]any{"OwnershipControls": map[string]any{"Rules": []any{map[string]any{"ObjectOwnership": "ObjectWriter"}}}})
	if got := cdktest.JSONOf(t, stack.Resolve(site.SiteUrl)); !strings.Contains(got, "https://") || !strings.Contains(got, "DomainName") {
		t.Errorf("SiteUrl %s, want https:// and the distribution's name", got)
	}
}

// CloudFront publishes in us-east-1 with Region=Global: a metric without either draws nothing.
func TestSiteDistributionMetricsAreReadFromUsEast1(t *testing.T) {
	_, site := distributionStack(t, nil)
	for _, m := range []awscloudwatch.Metric{site.MetricRequests(nil), site.Metric4xxErrorRate(nil), site.Metric5xxErrorRate(nil), site.MetricBytesDownloaded(nil)} {
		dims := *m.Dimensions()
		if *m.Namespace() != "AWS/CloudFront" || m.Region() == nil || *m.Region() != "us-east-1" || dims["Region"] != "Global" || dims["DistributionId"] == nil {
			t.Errorf("metric %s: region %v, dimensions %v; want us-east-1 and Region=Global", *m.MetricName(), m.Region(), dims)
		}
	}
}

// The VPC origin is never changed in place (CloudFront refuses while a distribution uses it):
// it follows the load balancer's ID, carries a Region-unique name.
func TestSiteDistributionVpcOriginFollowsTheLoadBalancer(t *testing.T) {
	stack, _ := distributionStack(t, nil)
	tpl := assertions.Template_FromStack(stack, nil)
	origins := cdktest.Resources(t, tpl, "AWS::CloudFront::VpcOrigin")
	for id, r := range origins {
		if !strings.Contains(id, "OriginInternalLoadBalancer") {
			t.Errorf("VPC origin %s: its ID does not follow the load balancer's", id)
		}
		if name := cdktest.JSONOf(t, cdktest.Props(r)["VpcOriginEndpointConfig"].(map[string]any)["Name"]); !strings.Contains(name, "AWS::Region") {
			t.Errorf("VPC origin name %s does not carry the Region", name)
		}
	}
	if len(origins) != 1 {
		t.Errorf("%d VPC origins, want 1", len(origins))
	}
}

func TestSiteDistributionWithADomain(t *testing.T) {
	stack, site := distributionStack(t, func(s awscdk.Stack, p *SiteDistributionProps) {
		p.DomainNames = []*string{jsii.String("play.example.com")}
		p.Certificate = awscertificatemanager.Certificate_FromCertificateArn(s, jsii.String("Cert"), jsii.String("arn:aws:acm:us-east-1:123456789012:certificate/abc"))
		p.WebAclArn = jsii.String("arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/1")
	})
	d := distributionConfig(t, assertions.Template_FromStack(stack, nil))
	if cdktest.JSONOf(t, d["Aliases"]) != `["play.example.com"]` || d["WebACLId"] != "arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/1" {
		t.Errorf("aliases %v, web ACL %v", d["Aliases"], d["WebACLId"])
	}
	if cert := cdktest.JSONOf(t, d["ViewerCertificate"]); !strings.Contains(cert, `"MinimumProtocolVersion":"TLSv1.2_2021"`) {
		t.Errorf("viewer certificate %s, want TLS 1.2 at least", cert)
	}
	if got := cdktest.JSONOf(t, stack.Resolve(site.SiteUrl)); !strings.Contains(got, `"https://","play.example.com"`) && got != `"https://play.example.com"` {
		t.Errorf("SiteUrl %s, want https://play.example.com", got)
	}
}

func TestSiteDistributionRejectsBadProps(t *testing.T) {
	tests := []struct {
		name   string
		change func(awscdk.Stack, *SiteDistributionProps)
		want   string
	}{
		{"no load balancer", func(_ awscdk.Stack, p *SiteDistributionProps) { p.LoadBalancer = nil }, "LoadBalancer is required"},
		{"no API", func(_ awscdk.Stack, p *SiteDistributionProps) { p.ApiDomainName = nil }, "ApiDomainName and ApiStageName are required"},
		{"no host header", func(_ awscdk.Stack, p *SiteDistributionProps) { p.ViewerHostHeader = nil }, "ViewerHostHeader is required"},
		{"no HSTS", func(_ awscdk.Stack, p *SiteDistributionProps) { p.HstsMaxAge = nil }, "HstsMaxAge is required"},
		{"domain without certificate", func(_ awscdk.Stack, p *SiteDistributionProps) {
			p.DomainNames = []*string{jsii.String("play.example.com")}
		}, "need a Certificate"},
		{"certificate without domain", func(s awscdk.Stack, p *SiteDistributionProps) {
			p.Certificate = awscertificatemanager.Certificate_FromCertificateArn(s, jsii.String("Cert"), jsii.String("arn:aws:acm:us-east-1:123456789012:certificate/abc"))
		}, "needs the DomainNames"},
		{"socket path pattern", func(_ awscdk.Stack, p *SiteDistributionProps) { p.SocketPath = jsii.String("/ws/*") }, "is not a path like /ws"},
		{"socket path without slash", func(_ awscdk.Stack, p *SiteDistributionProps) { p.SocketPath = jsii.String("ws") }, "is not a path like /ws"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mustPanic(t, tt.want, func() { distributionStack(t, tt.change) })
		})
	}
}

// CloudFront's account-wide names carry the stack and the Region once, and fit the limit
// however long the stack's name: a long one keeps its start and a hash, so two stay apart.
func TestRegionalNameFitsAndStaysUnique(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	bound := func(name, region string) awscdk.Stack {
		return awscdk.NewStack(app, jsii.String(name), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String(region)}})
	}
	long := strings.Repeat("TicTacToe-Prod-Frontend-", 3)
	for _, c := range []struct {
		stack awscdk.Stack
		want  string
	}{
		{bound("TicTacToe-Dev-Frontend", "eu-west-1"), "TicTacToe-Dev-Frontend-InternalLoadBalancer-eu-west-1"},
		// A second Region's name that fits keeps its form: a deployed origin cannot be renamed.
		{bound("TicTacToe-Prod-Frontend-us-west-2", "us-west-2"), "TicTacToe-Prod-Frontend-us-west-2-InternalLoadBalancer-us-west-2"},
		{bound("TicTacToe-Dev-Frontend-eu-central-1", "eu-central-1"), "TicTacToe-Dev-Frontend-eu-central-1-InternalLoadBalancer"},
		{bound(long+"a", "ap-southeast-5"), ""},
		{bound(long+"b", "ap-southeast-5"), ""},
	} {
		got, _ := c.stack.Resolve(regionalName(c.stack, "InternalLoadBalancer", MaxVpcOriginName)).(string)
		if len(got) > MaxVpcOriginName {
			t.Errorf("%s: %q is %d characters", *c.stack.StackName(), got, len(got))
		}
		if c.want != "" && got != c.want {
			t.Errorf("%s: %q, want %q", *c.stack.StackName(), got, c.want)
		}
	}
	a := *shorten(long+"a-InternalLoadBalancer", 48)
	b := *shorten(long+"b-InternalLoadBalancer", 48)
	if a == b || len(a) > 48 || !strings.HasPrefix(a, "TicTacToe-Prod-Frontend-") {
		t.Errorf("shortened names %q and %q", a, b)
	}
	// An environment-agnostic stack keeps room for the longest Region.
	agnostic := awscdk.NewStack(app, jsii.String(long+"c"), nil)
	j := cdktest.JSONOf(t, agnostic.Resolve(regionalName(agnostic, "InternalLoadBalancer", MaxVpcOriginName)))
	if !strings.Contains(j, `"Ref":"AWS::Region"`) {
		t.Errorf("agnostic name %s does not end in the Region", j)
	}
}
