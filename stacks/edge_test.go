package stacks

import (
	"encoding/json"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/blocks"
	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
)

// The two settings combinations beside dev (the default: the distribution on its own name)
// and prod (own domain in a Route 53 zone, firewall by default): a certificate made elsewhere
// with the firewall asked for in dev, and the direct load balancer.
var (
	ownCertContext = map[string]any{
		"domainName": "play.example.com", "waf": "true", "tableKey": "true",
		"certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d",
	}
	directContext = map[string]any{
		"env": "prod", "cloudFront": "false",
		"certificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d",
	}
	extraOnce           sync.Map // name → *sync.Once
	extraApps, extraErr sync.Map
)

func synthOnce(t *testing.T, name string, ctx map[string]any, env map[string]string) *synthesized {
	t.Helper()
	once, _ := extraOnce.LoadOrStore(name, &sync.Once{})
	once.(*sync.Once).Do(func() {
		s, err := synth(ctx, env)
		extraApps.Store(name, s)
		extraErr.Store(name, err)
	})
	if err, _ := extraErr.Load(name); err != nil {
		t.Fatalf("synthesizing %s: %v", name, err)
	}
	s, _ := extraApps.Load(name)
	return s.(*synthesized)
}

func ownCert(t *testing.T) *synthesized {
	return synthOnce(t, "own certificate", ownCertContext, prodEnv)
}
func direct(t *testing.T) *synthesized { return synthOnce(t, "direct", directContext, prodEnv) }

// every is each settings combination that changes resources.
func every(t *testing.T) map[string]*synthesized {
	return map[string]*synthesized{"dev": dev(t), "prod": prod(t), "own certificate": ownCert(t), "direct": direct(t)}
}

func (s *synthesized) tpl(st awscdk.Stack) assertions.Template { return s.templates[*st.StackName()] }

// distribution is the Frontend stack's one distribution's config.
func distribution(t *testing.T, s *synthesized) map[string]any {
	t.Helper()
	var d struct{ DistributionConfig map[string]any }
	cdktest.RoundTrip(t, cdktest.Props(cdktest.Only(t, s.tpl(s.d.Frontend.Stack), "AWS::CloudFront::Distribution")), &d)
	return d.DistributionConfig
}

// userData is the instances' user data, its CloudFormation tokens as JSON.
func userData(t *testing.T, s *synthesized) string {
	t.Helper()
	lt := cdktest.Props(cdktest.Only(t, s.tpl(s.d.Frontend.Stack), "AWS::EC2::LaunchTemplate"))
	return cdktest.JSONOf(t, lt["LaunchTemplateData"].(map[string]any)["UserData"])
}

func connectEnv(t *testing.T, s *synthesized) map[string]any {
	t.Helper()
	rt := s.d.Realtime
	logical := *rt.GetLogicalId(rt.Functions[catalog.FnConnect].Function.Node().DefaultChild().(awscdk.CfnElement))
	var fn struct {
		Environment struct{ Variables map[string]any }
	}
	cdktest.RoundTrip(t, cdktest.Props(cdktest.Resources(t, s.tpl(rt.Stack), "AWS::Lambda::Function")[logical]), &fn)
	return fn.Environment.Variables
}

// By default the site is on HTTPS at the distribution's name: HTTP redirected, HTTP/2 and 3,
// IPv6, logged; the load balancer is internal, reached through a VPC origin from inside the
// VPC only; sockets go to the API through the same distribution, carrying the edge secret.
func TestDefaultServesHttpsThroughTheDistribution(t *testing.T) {
	s := dev(t)
	front := s.tpl(s.d.Frontend.Stack)
	cdktest.Has(t, front, "AWS::ElasticLoadBalancingV2::LoadBalancer", map[string]any{"Scheme": "internal"})
	cdktest.Count(t, front, "AWS::ElasticLoadBalancingV2::Listener", 1)
	cdktest.Has(t, front, "AWS::ElasticLoadBalancingV2::Listener", map[string]any{"Port": 80, "Protocol": "HTTP"})
	cdktest.Has(t, front, "AWS::CloudFront::VpcOrigin", map[string]any{"VpcOriginEndpointConfig": assertions.Match_ObjectLike(&map[string]any{"HTTPPort": 80, "OriginProtocolPolicy": "http-only"})})
	// Untagged: CloudFront refuses any change, a new tag included, to a VPC origin in use.
	if _, tagged := cdktest.Props(cdktest.Only(t, front, "AWS::CloudFront::VpcOrigin"))["Tags"]; tagged {
		t.Errorf("the VPC origin is tagged: a tag change would fail the stack's update")
	}
	var ingress []map[string]any
	for _, r := range cdktest.Resources(t, front, "AWS::EC2::SecurityGroup") {
		var sg struct{ SecurityGroupIngress []map[string]any }
		cdktest.RoundTrip(t, cdktest.Props(r), &sg)
		ingress = append(ingress, sg.SecurityGroupIngress...)
	}
	for _, r := range cdktest.Resources(t, front, "AWS::EC2::SecurityGroupIngress") {
		ingress = append(ingress, cdktest.Props(r))
	}
	for _, rule := range ingress {
		if rule["CidrIp"] == "0.0.0.0/0" || rule["CidrIpv6"] == "::/0" {
			t.Errorf("the Frontend stack takes traffic from anywhere: %v", rule)
		}
	}
	if in := cdktest.JSONOf(t, ingress); !strings.Contains(in, "CidrBlock") || !strings.Contains(in, `"FromPort":80`) {
		t.Errorf("the load balancer takes no HTTP from the VPC's range: %s", in)
	}

	d := distribution(t, s)
	for k, want := range map[string]any{"HttpVersion": "http2and3", "IPV6Enabled": true, "PriceClass": "PriceClass_100"} {
		if d[k] != want {
			t.Errorf("distribution %s = %v, want %v", k, d[k], want)
		}
	}
	for _, k := range []string{"Aliases", "WebACLId", "ViewerCertificate"} {
		if _, ok := d[k]; ok {
			t.Errorf("default distribution sets %s: %v", k, d[k])
		}
	}
	if _, ok := d["Logging"]; !ok {
		t.Errorf("the distribution writes no access logs")
	}
	if p := d["DefaultCacheBehavior"].(map[string]any)["ViewerProtocolPolicy"]; p != "redirect-to-https" {
		t.Errorf("the site's viewer protocol policy is %v, want redirect-to-https", p)
	}
	behaviors := d["CacheBehaviors"].([]any)
	if len(behaviors) != 1 {
		t.Fatalf("%d cache behaviors, want the socket's alone", len(behaviors))
	}
	ws := behaviors[0].(map[string]any)
	if ws["PathPattern"] != blocks.DefaultSocketPath || ws["ViewerProtocolPolicy"] != "https-only" || ws["FunctionAssociations"] == nil {
		t.Errorf("socket behavior %v: want %s, https-only, with the socket function", ws, blocks.DefaultSocketPath)
	}
	origins := cdktest.JSONOf(t, d["Origins"])
	for _, want := range []string{`"HeaderName":"` + config.EdgeSecretHeader + `"`, "{{resolve:secretsmanager:", ".execute-api.", `"OriginSSLProtocols":["TLSv1.2"]`} {
		if !strings.Contains(origins, want) {
			t.Errorf("origins %s do not contain %s", origins, want)
		}
	}
	cdktest.Has(t, front, "AWS::CloudFront::ResponseHeadersPolicy", map[string]any{"ResponseHeadersPolicyConfig": map[string]any{
		"SecurityHeadersConfig": map[string]any{"StrictTransportSecurity": map[string]any{"AccessControlMaxAgeSec": 31536000, "Override": true, "IncludeSubdomains": false}},
	}})
	cdktest.Has(t, front, "AWS::CloudFront::CachePolicy", map[string]any{"CachePolicyConfig": map[string]any{
		"MinTTL": 0, "ParametersInCacheKeyAndForwardedToOrigin": map[string]any{"EnableAcceptEncodingGzip": true, "EnableAcceptEncodingBrotli": true},
	}})
	if ud := userData(t, s); !strings.Contains(ud, `WEBSOCKET_URL='/ws'`) {
		t.Errorf("the site's config does not name the socket on its own host: %s", cdktest.FirstLines(ud, 3))
	}
	cdktest.Count(t, front, "AWS::Route53::RecordSet", 0)
	if s.d.Edge != nil {
		t.Errorf("the default deployment has an Edge stack: it needs neither a firewall nor a certificate")
	}

	rt := s.tpl(s.d.Realtime.Stack)
	cdktest.Count(t, rt, "AWS::SecretsManager::Secret", 2) // the edge secret, the address key
	env := connectEnv(t, s)
	for _, name := range []string{config.EnvEdgeSecret, config.EnvSourceKeySecret} {
		if !strings.Contains(cdktest.JSONOf(t, env[name]), "{{resolve:secretsmanager:") {
			t.Errorf("the connect function's %s is %v, want the secret's dynamic reference", name, env[name])
		}
		var withSecret int
		for _, r := range cdktest.Resources(t, rt, "AWS::Lambda::Function") {
			var fn struct {
				Environment struct{ Variables map[string]any }
			}
			cdktest.RoundTrip(t, cdktest.Props(r), &fn)
			if _, ok := fn.Environment.Variables[name]; ok {
				withSecret++
			}
		}
		if withSecret != 1 {
			t.Errorf("%d functions get %s, want the connect function alone", withSecret, name)
		}
	}
	if a, b := cdktest.JSONOf(t, env[config.EnvEdgeSecret]), cdktest.JSONOf(t, env[config.EnvSourceKeySecret]); a == b {
		t.Errorf("the edge secret and the address key are one secret: %s", a)
	}
}

// The socket function sends a connection to the API's stage and names the viewer's host and
// address, over whatever the viewer sent in those headers: run in Node, as CloudFront runs it.
func TestSocketFunctionRewritesToTheStage(t *testing.T) {
	s := dev(t)
	code := cdktest.Props(cdktest.Only(t, s.tpl(s.d.Frontend.Stack), "AWS::CloudFront::Function"))["FunctionCode"].(string)
	var req struct {
		URI     string                       `json:"uri"`
		Headers map[string]map[string]string `json:"headers"`
	}
	runFunction(t, code, `{"viewer":{"ip":"203.0.113.7"},"request":{"uri":"/ws","querystring":{},"headers":{"host":{"value":"d111.cloudfront.net"},"origin":{"value":"https://d111.cloudfront.net"},"x-tictactoe-viewer-host":{"value":"forged.example"},"x-tictactoe-viewer-address":{"value":"198.51.100.99"}}}}`, &req)
	if got := req.Headers[strings.ToLower(config.ViewerAddressHeader)]["value"]; got != "203.0.113.7" {
		t.Errorf("%s = %q, want the viewer's address 203.0.113.7 over the forged one", config.ViewerAddressHeader, got)
	}
	if req.URI != "/prod" {
		t.Errorf("uri %q, want the stage /prod", req.URI)
	}
	if got := req.Headers[strings.ToLower(config.ViewerHostHeader)]["value"]; got != "d111.cloudfront.net" {
		t.Errorf("%s = %q, want the viewer's host d111.cloudfront.net", config.ViewerHostHeader, got)
	}
	if req.Headers["origin"]["value"] != "https://d111.cloudfront.net" {
		t.Errorf("the Origin header was changed: %v", req.Headers["origin"])
	}
}

// Own domain in a Route 53 zone: the certificate is made and DNS-validated in us-east-1, the
// distribution serves the name with it (TLS 1.2 at least), A and AAAA aliases point at it, and
// config.js names the socket on the domain. Prod puts the firewall in front.
func TestOwnDomainInAZone(t *testing.T) {
	s := prod(t)
	if s.d.Edge == nil {
		t.Fatal("no Edge stack")
	}
	edge := s.tpl(s.d.Edge.Stack)
	cdktest.Has(t, edge, "AWS::CertificateManager::Certificate", map[string]any{
		"DomainName": "play.example.com", "ValidationMethod": "DNS",
		"DomainValidationOptions": []any{map[string]any{"DomainName": "play.example.com", "HostedZoneId": "Z0123456789ABCDEFGHIJ"}},
	})
	d := distribution(t, s)
	if a := cdktest.JSONOf(t, d["Aliases"]); a != `["play.example.com"]` {
		t.Errorf("aliases %s", a)
	}
	cert := cdktest.JSONOf(t, d["ViewerCertificate"])
	for _, want := range []string{`"Fn::GetStackOutput"`, `"Region":"us-east-1"`, `"StackName":"TicTacToe-Prod-Edge"`, `"MinimumProtocolVersion":"TLSv1.2_2021"`, `"SslSupportMethod":"sni-only"`} {
		if !strings.Contains(cert, want) {
			t.Errorf("viewer certificate %s lacks %s", cert, want)
		}
	}
	front := s.tpl(s.d.Frontend.Stack)
	for _, typ := range []string{"A", "AAAA"} {
		cdktest.Has(t, front, "AWS::Route53::RecordSet", map[string]any{
			"Name": "play.example.com.", "Type": typ, "HostedZoneId": "Z0123456789ABCDEFGHIJ",
			"AliasTarget": assertions.Match_ObjectLike(&map[string]any{"HostedZoneId": assertions.Match_AnyValue()}),
		})
	}
	if ud := userData(t, s); !strings.Contains(ud, `WEBSOCKET_URL='wss://play.example.com/ws'`) {
		t.Errorf("config.js does not name the domain's socket: %s", cdktest.FirstLines(ud, 3))
	}
	if waf := cdktest.JSONOf(t, d["WebACLId"]); !strings.Contains(waf, `"OutputName":"WebAclArn"`) || !strings.Contains(waf, `"Region":"us-east-1"`) {
		t.Errorf("prod distribution WebACLId %s, want the Edge stack's web ACL", waf)
	}
	deps := map[string]bool{}
	for _, dep := range *s.d.Frontend.Dependencies() {
		deps[*dep.StackName()] = true
	}
	if !deps[*s.d.Edge.StackName()] {
		t.Errorf("Frontend does not deploy after Edge, whose outputs it reads")
	}
}

// The firewall: rate limits per address (sockets apart), the managed rule groups, redacted
// logs, and an alarm on blocked requests notifying the Edge stack's operations topic (an alarm
// notifies only a topic of its own Region).
func TestFirewallGuardsTheDistribution(t *testing.T) {
	s := prod(t)
	edge := s.tpl(s.d.Edge.Stack)
	acl := cdktest.Props(cdktest.Only(t, edge, "AWS::WAFv2::WebACL"))
	if acl["Scope"] != "CLOUDFRONT" || acl["Name"] != "TicTacToe-Prod-Site" {
		t.Errorf("web ACL scope %v name %v", acl["Scope"], acl["Name"])
	}
	var rules []struct {
		Name      string
		Statement struct {
			RateBasedStatement *struct {
				Limit              float64
				AggregateKeyType   string
				ScopeDownStatement any
			}
			ManagedRuleGroupStatement *struct{ Name, VendorName string }
		}
		Action, OverrideAction map[string]any
	}
	cdktest.RoundTrip(t, acl["Rules"], &rules)
	got := map[string]bool{}
	for _, r := range rules {
		got[r.Name] = true
		switch {
		case r.Statement.RateBasedStatement != nil:
			rb := r.Statement.RateBasedStatement
			if rb.AggregateKeyType != "IP" || r.Action["Block"] == nil {
				t.Errorf("rule %s: %+v, action %v: want a per-address block", r.Name, rb, r.Action)
			}
			if r.Name == blocks.RuleSocketLimit && (rb.Limit != blocks.DefaultSocketLimit || !strings.Contains(cdktest.JSONOf(t, rb.ScopeDownStatement), `"SearchString":"/ws"`)) {
				t.Errorf("socket rule %+v: want %d attempts on /ws", rb, blocks.DefaultSocketLimit)
			}
		case r.Statement.ManagedRuleGroupStatement != nil:
			if r.Statement.ManagedRuleGroupStatement.VendorName != "AWS" || r.OverrideAction["None"] == nil {
				t.Errorf("managed rule %s: %+v, override %v", r.Name, r.Statement.ManagedRuleGroupStatement, r.OverrideAction)
			}
		}
	}
	for _, want := range blocks.FirewallRules() {
		if !got[want] {
			t.Errorf("no rule %s", want)
		}
	}
	logging := cdktest.JSONOf(t, cdktest.Props(cdktest.Only(t, edge, "AWS::WAFv2::LoggingConfiguration")))
	for _, want := range []string{`{"SingleHeader":{"Name":"cookie"}}`, `{"SingleHeader":{"Name":"authorization"}}`, `{"QueryString":{}}`, "log-group:"} {
		if !strings.Contains(logging, want) {
			t.Errorf("logging %s lacks %s", logging, want)
		}
	}
	if logs := cdktest.JSONOf(t, cdktest.Only(t, edge, "AWS::Logs::LogGroup")); !strings.Contains(logs, "aws-waf-logs-TicTacToe-Prod-Site-") || !strings.Contains(logs, `"DeletionPolicy":"Retain"`) {
		t.Errorf("request log %s: want the aws-waf-logs- name, retained in prod", logs)
	}
	alarm := cdktest.JSONOf(t, cdktest.Props(cdktest.Only(t, edge, "AWS::CloudWatch::Alarm")))
	for _, want := range []string{`"MetricName":"BlockedRequests"`, `"Namespace":"AWS/WAFV2"`, `"Value":"TicTacToe-Prod-Site"`, `"AlarmActions":[{"Ref":"OperationsC48D56F6"}]`} {
		if !strings.Contains(alarm, want) {
			t.Errorf("alarm %s lacks %s", alarm, want)
		}
	}
	cdktest.Has(t, edge, "AWS::SNS::Subscription", map[string]any{"Endpoint": "oncall@example.com", "Protocol": "email"})

	// The dashboard draws the edge from us-east-1.
	dash := cdktest.JSONOf(t, s.tpl(s.d.Monitoring.Stack).ToJSON())
	for _, want := range []string{"AWS/CloudFront", "AWS/WAFV2", `\"region\":\"us-east-1\"`, "TicTacToe-Prod-Site"} {
		if !strings.Contains(dash, want) {
			t.Errorf("the dashboard lacks %s", want)
		}
	}
}

// A certificate made elsewhere: the distribution serves the name with it, no record is made
// (the deployer points the name at DistributionDomainName), and the Edge stack holds only the
// firewall asked for.
func TestOwnCertificateWithoutAZone(t *testing.T) {
	s := ownCert(t)
	d := distribution(t, s)
	if cert := cdktest.JSONOf(t, d["ViewerCertificate"]); !strings.Contains(cert, `"AcmCertificateArn":"arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d"`) {
		t.Errorf("viewer certificate %s, want the one given", cert)
	}
	front := s.tpl(s.d.Frontend.Stack)
	cdktest.Count(t, front, "AWS::Route53::RecordSet", 0)
	if out := cdktest.JSONOf(t, front.FindOutputs(jsii.String("DistributionDomainName"), nil)); !strings.Contains(out, "DomainName") {
		t.Errorf("no DistributionDomainName output to point the name at: %s", out)
	}
	if s.d.Edge == nil {
		t.Fatal("waf=true made no Edge stack")
	}
	edge := s.tpl(s.d.Edge.Stack)
	cdktest.Count(t, edge, "AWS::CertificateManager::Certificate", 0)
	cdktest.Count(t, edge, "AWS::WAFv2::WebACL", 1)
	if _, ok := d["WebACLId"]; !ok {
		t.Errorf("waf=true: the distribution has no web ACL")
	}
}

// cloudFront=false: today's internet-facing load balancer with its own certificate, the page
// on the API's own URL, no distribution, no secret, no firewall even in prod.
func TestDirectLoadBalancer(t *testing.T) {
	s := direct(t)
	if s.d.Edge != nil {
		t.Errorf("the direct load balancer has an Edge stack")
	}
	front := s.tpl(s.d.Frontend.Stack)
	cdktest.Count(t, front, "AWS::CloudFront::Distribution", 0)
	cdktest.Has(t, front, "AWS::ElasticLoadBalancingV2::LoadBalancer", map[string]any{"Scheme": "internet-facing"})
	cdktest.Has(t, front, "AWS::ElasticLoadBalancingV2::Listener", map[string]any{"Port": 443, "Protocol": "HTTPS"})
	cdktest.Count(t, s.tpl(s.d.Realtime.Stack), "AWS::SecretsManager::Secret", 1) // the address key only: no edge secret
	if _, ok := connectEnv(t, s)[config.EnvEdgeSecret]; ok {
		t.Errorf("the connect function checks an edge secret no distribution sends")
	}
	if ud := userData(t, s); strings.Contains(ud, `WEBSOCKET_URL='/ws'`) || !strings.Contains(ud, "wss://") {
		t.Errorf("the direct site's config does not name the API's URL: %s", cdktest.FirstLines(ud, 3))
	}
	if site := cdktest.JSONOf(t, front.FindOutputs(jsii.String("SiteUrl"), nil)); !strings.Contains(site, `"https://"`) {
		t.Errorf("SiteUrl %s, want https:// on the load balancer", site)
	}
}

// With a domain, a page opened on the distribution's own name is redirected to the domain,
// path and query kept (a shared ?room= link still lands in its room): its socket would be on
// the domain, which the same-site check refuses to a page of another name.
func TestPagesMoveToTheDomain(t *testing.T) {
	s := prod(t)
	var code string
	for _, r := range cdktest.Resources(t, s.tpl(s.d.Frontend.Stack), "AWS::CloudFront::Function") {
		if c := cdktest.Props(r)["FunctionCode"].(string); strings.Contains(c, "statusCode: 301") {
			code = c
		}
	}
	if code == "" {
		t.Fatal("no redirecting function with a domain")
	}
	if def := cdktest.JSONOf(t, distribution(t, s)["DefaultCacheBehavior"]); !strings.Contains(def, "FunctionAssociations") {
		t.Errorf("the site's behavior runs no function: %s", def)
	}
	run := func(host, query string) map[string]any {
		var res map[string]any
		runFunction(t, code, `{"request":{"method":"GET","uri":"/index.html","querystring":`+query+`,"headers":{"host":{"value":"`+host+`"}}}}`, &res)
		return res
	}
	res := run("d111.cloudfront.net", `{"room":{"value":"K7M2QX"},"a b":{"value":"x&y","multiValue":[{"value":"x&y"},{"value":""}]}}`)
	headers, _ := res["headers"].(map[string]any)
	loc, _ := headers["location"].(map[string]any)
	if res["statusCode"] != 301.0 || loc["value"] != "https://play.example.com/index.html?room=K7M2QX&a%20b=x%26y&a%20b" {
		t.Errorf("from the distribution's name: %v", res)
	}
	if res := run("play.example.com", `{"room":{"value":"K7M2QX"}}`); res["uri"] != "/index.html" || res["statusCode"] != nil {
		t.Errorf("on the domain the request must pass: %v", res)
	}
	for name, s := range map[string]*synthesized{"dev": dev(t), "direct": direct(t)} {
		if n := len(cdktest.Resources(t, s.tpl(s.d.Frontend.Stack), "AWS::CloudFront::Function")); n > 1 {
			t.Errorf("%s: %d CloudFront functions, want the socket's alone (no domain to move to)", name, n)
		}
	}
}

// runFunction runs a CloudFront function's code on event in Node, as CloudFront runs it, and
// decodes what its handler returns into out.
func runFunction(t *testing.T, code, event string, out any) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	b, err := exec.Command(node, "-e", code+"\nprocess.stdout.write(JSON.stringify(handler("+event+")))").CombinedOutput()
	if err != nil {
		t.Fatalf("running the function: %v\n%s", err, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("the function returned %s: %v", b, err)
	}
}

// tableKey: the table and its stream under a customer managed key, rotated, and every function
// that touches the table able to use it.
func TestTableKeyEncryptsTheTableForItsFunctions(t *testing.T) {
	s := ownCert(t)
	data := s.tpl(s.d.Data.Stack)
	cdktest.Has(t, data, "AWS::KMS::Key", map[string]any{"EnableKeyRotation": true})
	table := cdktest.JSONOf(t, cdktest.Props(cdktest.Only(t, data, "AWS::DynamoDB::GlobalTable")))
	if !strings.Contains(table, `"SSEType":"KMS"`) || !strings.Contains(table, "KMSMasterKeyId") {
		t.Errorf("table %s: want the customer managed key", table)
	}
	for name, st := range map[string]awscdk.Stack{"Realtime": s.d.Realtime.Stack, "Presence": s.d.Presence.Stack} {
		policies := cdktest.JSONOf(t, cdktest.Resources(t, s.tpl(st), "AWS::IAM::Policy"))
		if !strings.Contains(policies, "kms:Decrypt") || !strings.Contains(policies, "kms:GenerateDataKey") {
			t.Errorf("%s: no function may use the table's key", name)
		}
	}
	if n := len(cdktest.Resources(t, dev(t).tpl(dev(t).d.Data.Stack), "AWS::KMS::Key")); n != 0 {
		t.Errorf("dev has %d table keys: the AWS managed key is the default", n)
	}
}
