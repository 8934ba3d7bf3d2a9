package blocks

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-tictactoe/tictactoe/frontend"
	"github.com/serverless-tictactoe/tictactoe/frontend/sitebuild"
	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
)

const testWebSocketURL = "wss://abc.execute-api.eu-west-1.amazonaws.com/prod"

// frontendStack is a stack with a Network and a WebFrontend configured by change.
func frontendStack(t *testing.T, change func(awscdk.Stack, *WebFrontendProps)) (awscdk.Stack, *WebFrontend) {
	t.Helper()
	stack := newStack(t)
	network := NewNetwork(stack, jsii.String("Network"), nil)
	p := &WebFrontendProps{Vpc: network.Vpc, WebSocketUrl: jsii.String(testWebSocketURL), Lifecycle: Dev}
	if change != nil {
		change(stack, p)
	}
	return stack, NewWebFrontend(stack, jsii.String("Web"), p)
}

func TestWebFrontendDefaults(t *testing.T) {
	stack, web := frontendStack(t, nil)
	tpl := assertions.Template_FromStack(stack, nil)

	// An internet-facing load balancer in the public subnets, logging to an encrypted,
	// TLS-only bucket, serving HTTP when there is no certificate.
	cdktest.Has(t, tpl, "AWS::ElasticLoadBalancingV2::LoadBalancer", map[string]any{
		"Scheme": "internet-facing",
		"Subnets": arr(obj(map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("NetworkPublicSubnet1"))}),
			obj(map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("NetworkPublicSubnet2"))})),
		"LoadBalancerAttributes": arr( // in the order CDK renders them
			map[string]any{"Key": "deletion_protection.enabled", "Value": "false"},
			map[string]any{"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
			map[string]any{"Key": "access_logs.s3.enabled", "Value": "true"},
		),
	})
	cdktest.Count(t, tpl, "AWS::ElasticLoadBalancingV2::Listener", 1)
	cdktest.Has(t, tpl, "AWS::ElasticLoadBalancingV2::Listener", map[string]any{"Port": 80, "Protocol": "HTTP"})
	cdktest.Has(t, tpl, "AWS::S3::Bucket", map[string]any{
		"BucketEncryption": obj(map[string]any{"ServerSideEncryptionConfiguration": arr(obj(map[string]any{
			"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"},
		}))}),
		"PublicAccessBlockConfiguration": map[string]any{"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true},
	})
	var bucketPolicy string
	for id, r := range cdktest.Resources(t, tpl, "AWS::S3::BucketPolicy") {
		if strings.HasPrefix(id, "WebAccessLogs") {
			bucketPolicy = cdktest.JSONOf(t, cdktest.Props(r))
		}
	}
	for _, want := range []string{`"aws:SecureTransport":"false"`, "logdelivery.elasticloadbalancing.amazonaws.com", "ElbLogDeliveryAccounts"} {
		if !strings.Contains(bucketPolicy, want) {
			t.Errorf("access log bucket policy lacks %s: %s", want, bucketPolicy)
		}
	}

	// Instances: t4g.micro, arm64 AL2023, IMDSv2 only, encrypted gp3 root, no SSH key.
	lt := cdktest.Props(cdktest.Only(t, tpl, "AWS::EC2::LaunchTemplate"))["LaunchTemplateData"].(map[string]any)
	if lt["InstanceType"] != "t4g.micro" {
		t.Errorf("instance type %v, want t4g.micro", lt["InstanceType"])
	}
	if _, ok := lt["KeyName"]; ok {
		t.Errorf("the launch template has an SSH key: %v", lt["KeyName"])
	}
	if s := cdktest.JSONOf(t, lt["MetadataOptions"]); !strings.Contains(s, `"HttpTokens":"required"`) {
		t.Errorf("metadata options %s, want IMDSv2 required", s)
	}
	if s := cdktest.JSONOf(t, lt["BlockDeviceMappings"]); !strings.Contains(s, `"Encrypted":true`) || !strings.Contains(s, `"VolumeType":"gp3"`) {
		t.Errorf("root volume %s, want encrypted gp3", s)
	}
	if image := cdktest.JSONOf(t, (*tpl.ToJSON())["Parameters"]); !regexp.MustCompile(`/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-[0-9.a-z]+-arm64`).MatchString(image) {
		t.Errorf("the image is not arm64 Amazon Linux 2023: parameters %s", image)
	}
	// The user data (package frontend) gets the site asset and the WebSocket URL.
	userData := cdktest.JSONOf(t, lt["UserData"])
	for _, want := range []string{testWebSocketURL, *web.Site.S3ObjectKey()} {
		if !strings.Contains(userData, want) {
			t.Errorf("user data lacks %s", want)
		}
	}

	// Group: 2 to 4 in the isolated subnets, ELB health checks, CPU target tracking, rolling
	// replacement one at a time keeping the minimum in service.
	cdktest.HasResource(t, tpl, "AWS::AutoScaling::AutoScalingGroup", map[string]any{
		"Properties": obj(map[string]any{
			"MinSize":           "2",
			"MaxSize":           "4",
			"HealthCheckType":   "ELB",
			"VPCZoneIdentifier": arr(obj(map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("NetworkIsolatedSubnet1"))})),
			// The group publishes its strength itself, whether or not a dashboard draws it.
			"MetricsCollection": []any{map[string]any{"Granularity": "1Minute", "Metrics": []string{"GroupInServiceInstances", "GroupDesiredCapacity"}}},
		}),
		// Created and updated only with instances that said they serve the site: two at
		// creation, each one of a rolling update, 15 minutes each, or the deploy rolls back.
		"CreationPolicy": map[string]any{"ResourceSignal": map[string]any{"Count": 2, "Timeout": "PT15M"}},
		"UpdatePolicy": map[string]any{"AutoScalingRollingUpdate": obj(map[string]any{
			"MaxBatchSize": 1, "MinInstancesInService": 2, "WaitOnResourceSignals": true, "PauseTime": "PT15M",
		})},
		"DependsOn": assertions.Match_ArrayWith(&[]any{assertions.Match_StringLikeRegexp(jsii.String("WebSignalRule"))}),
	})
	// The signals: a bucket sending its events to EventBridge, a rule for the two statuses,
	// the relay allowed to signal this stack alone, the instances to write the two prefixes.
	cdktest.Has(t, tpl, "AWS::S3::Bucket", map[string]any{
		"NotificationConfiguration": map[string]any{"EventBridgeConfiguration": map[string]any{"EventBridgeEnabled": true}},
		"LifecycleConfiguration":    obj(map[string]any{"Rules": arr(obj(map[string]any{"ExpirationInDays": 1}))}),
	})
	rule := cdktest.JSONOf(t, cdktest.Props(cdktest.Only(t, tpl, "AWS::Events::Rule")))
	for _, want := range []string{`"source":["aws.s3"]`, `"detail-type":["Object Created"]`, `{"prefix":"SUCCESS/"}`, `{"prefix":"FAILURE/"}`, "WebSignalRelay"} {
		if !strings.Contains(rule, want) {
			t.Errorf("signal rule lacks %s: %s", want, rule)
		}
	}
	relay := cdktest.JSONOf(t, cdktest.Resources(t, tpl, "AWS::Lambda::Function"))
	for _, want := range []string{`"GROUP_LOGICAL_ID":"WebInstancesASG09F72588"`, `"STACK_NAME":"Test"`, `"SIGNAL_BUCKET":{"Ref":"WebSignals`} {
		if !strings.Contains(relay, want) {
			t.Errorf("relay settings lack %s", want)
		}
	}
	var relayPolicy string
	for id, r := range cdktest.Resources(t, tpl, "AWS::IAM::Policy") {
		if strings.HasPrefix(id, "WebSignalRelay") {
			relayPolicy += cdktest.JSONOf(t, cdktest.Props(r)["PolicyDocument"])
		}
	}
	if !strings.Contains(relayPolicy, `{"Action":"cloudformation:SignalResource","Effect":"Allow","Resource":{"Ref":"AWS::StackId"}}`) {
		t.Errorf("relay policy %s, want SignalResource on this stack only", relayPolicy)
	}
	for _, want := range []string{`"s3:GetObject","s3:PutObject"`, `/RELAYED/*"`, `"Action":"s3:ListBucket"`} {
		if !strings.Contains(relayPolicy, want) {
			t.Errorf("relay policy lacks %s (its marks of the instances it relayed): %s", want, relayPolicy)
		}
	}
	for id, r := range cdktest.Resources(t, tpl, "AWS::IAM::Policy") {
		if p := cdktest.JSONOf(t, cdktest.Props(r)); !strings.HasPrefix(id, "WebSignalRelay") && strings.Contains(p, "cloudformation:") {
			t.Errorf("%s allows CloudFormation calls; only the relay signals: %s", id, p)
		}
	}
	cdktest.Has(t, tpl, "AWS::AutoScaling::ScalingPolicy", map[string]any{
		"PolicyType": "TargetTrackingScaling",
		"TargetTrackingConfiguration": obj(map[string]any{
			"PredefinedMetricSpecification": map[string]any{"PredefinedMetricType": "ASGAverageCPUUtilization"},
			"TargetValue":                   50,
		}),
	})
	cdktest.Has(t, tpl, "AWS::ElasticLoadBalancingV2::TargetGroup", map[string]any{
		"HealthCheckPath": "/healthz",
		"Port":            80,
	})

	// The instances accept traffic from the load balancer only.
	for id, sg := range cdktest.Resources(t, tpl, "AWS::EC2::SecurityGroup") {
		if !strings.Contains(id, "InstanceSecurityGroup") {
			continue
		}
		if ingress, ok := cdktest.Props(sg)["SecurityGroupIngress"]; ok {
			t.Errorf("instance security group has inline ingress %s", cdktest.JSONOf(t, ingress))
		}
	}
	for _, r := range cdktest.Resources(t, tpl, "AWS::EC2::SecurityGroupIngress") {
		p := cdktest.Props(r)
		if strings.Contains(cdktest.JSONOf(t, p["GroupId"]), "InstanceSecurityGroup") && !strings.Contains(cdktest.JSONOf(t, p["SourceSecurityGroupId"]), "LoadBalancerSecurityGroup") {
			t.Errorf("instances accept traffic from %s, want only the load balancer", cdktest.JSONOf(t, p))
		}
	}

	// The role reads the site object, and nothing else of the asset bucket.
	var policy string
	for id, r := range cdktest.Resources(t, tpl, "AWS::IAM::Policy") {
		if strings.HasPrefix(id, "WebRole") {
			policy = cdktest.JSONOf(t, cdktest.Props(r)["PolicyDocument"])
		}
	}
	if strings.Contains(policy, "s3:List") || !strings.Contains(policy, `"s3:GetObject"`) {
		t.Errorf("instance policy %s, want s3:GetObject on the site object only", policy)
	}
	for _, prefix := range []string{"/SUCCESS/*", "/FAILURE/*"} {
		if !strings.Contains(policy, `"s3:PutObject"`) || !strings.Contains(policy, prefix) {
			t.Errorf("instance policy %s, want s3:PutObject on the signals bucket's %s", policy, prefix)
		}
	}
}

func TestWebFrontendWithACertificateServesHttpsAndRedirects(t *testing.T) {
	stack, web := frontendStack(t, func(stack awscdk.Stack, p *WebFrontendProps) {
		p.Certificate = awscertificatemanager.Certificate_FromCertificateArn(stack, jsii.String("Cert"),
			jsii.String("arn:aws:acm:eu-west-1:123456789012:certificate/abc"))
	})
	tpl := assertions.Template_FromStack(stack, nil)
	cdktest.Count(t, tpl, "AWS::ElasticLoadBalancingV2::Listener", 2)
	cdktest.Has(t, tpl, "AWS::ElasticLoadBalancingV2::Listener", map[string]any{
		"Port": 443, "Protocol": "HTTPS",
		"Certificates": []any{map[string]any{"CertificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc"}},
	})
	cdktest.Has(t, tpl, "AWS::ElasticLoadBalancingV2::Listener", map[string]any{
		"Port": 80, "Protocol": "HTTP",
		"DefaultActions": []any{obj(map[string]any{"Type": "redirect", "RedirectConfig": obj(map[string]any{"Port": "443", "Protocol": "HTTPS"})})},
	})
	if !strings.HasPrefix(cdktest.JSONOf(t, stack.Resolve(web.SiteUrl)), `{"Fn::Join":["",["https://"`) {
		t.Errorf("site URL %s, want https://", cdktest.JSONOf(t, stack.Resolve(web.SiteUrl)))
	}
}

func TestWebFrontendInProdProtectsTheLoadBalancerAndKeepsItsLogs(t *testing.T) {
	stack, _ := frontendStack(t, func(_ awscdk.Stack, p *WebFrontendProps) { p.Lifecycle = Prod; p.MaxCapacity = jsii.Number(6) })
	tpl := assertions.Template_FromStack(stack, nil)
	cdktest.Has(t, tpl, "AWS::ElasticLoadBalancingV2::LoadBalancer", map[string]any{
		"LoadBalancerAttributes": arr(map[string]any{"Key": "deletion_protection.enabled", "Value": "true"}),
	})
	cdktest.HasResource(t, tpl, "AWS::S3::Bucket", map[string]any{"DeletionPolicy": "Retain"})
	cdktest.Has(t, tpl, "AWS::AutoScaling::AutoScalingGroup", map[string]any{"MaxSize": "6"})
}

// Internal: the load balancer has no public address, sits beside the instances in the
// isolated subnets and takes HTTP from the VPC's range only, with nothing open to the world.
func TestWebFrontendInternalTakesTheVpcOnly(t *testing.T) {
	stack, web := frontendStack(t, func(_ awscdk.Stack, p *WebFrontendProps) { p.Internal = true; p.WebSocketUrl = jsii.String("/ws") })
	tpl := assertions.Template_FromStack(stack, nil)
	cdktest.Has(t, tpl, "AWS::ElasticLoadBalancingV2::LoadBalancer", map[string]any{
		"Scheme": "internal",
		"Subnets": arr(obj(map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("NetworkIsolatedSubnet1"))}),
			obj(map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("NetworkIsolatedSubnet2"))})),
	})
	sg := cdktest.Props(cdktest.Resources(t, tpl, "AWS::EC2::SecurityGroup")[*stack.GetLogicalId((*web.LoadBalancer.Connections().SecurityGroups())[0].Node().DefaultChild().(awscdk.CfnElement))])
	var rules struct{ SecurityGroupIngress []map[string]any }
	cdktest.RoundTrip(t, sg, &rules)
	if len(rules.SecurityGroupIngress) != 1 || rules.SecurityGroupIngress[0]["FromPort"] != 80.0 ||
		!strings.Contains(cdktest.JSONOf(t, rules.SecurityGroupIngress[0]["CidrIp"]), "CidrBlock") {
		t.Errorf("load balancer ingress %v, want port 80 from the VPC's CIDR alone", rules.SecurityGroupIngress)
	}
}

func TestWebFrontendRejectsBadProps(t *testing.T) {
	tests := []struct {
		name   string
		change func(awscdk.Stack, *WebFrontendProps)
		want   string
	}{
		{"x86 instances", func(_ awscdk.Stack, p *WebFrontendProps) {
			p.InstanceType = awsec2.NewInstanceType(jsii.String("t3.micro"))
		}, "not a Graviton (arm64) type"},
		{"one instance", func(_ awscdk.Stack, p *WebFrontendProps) { p.MinCapacity = jsii.Number(1) }, "at least 2"},
		{"max below min", func(_ awscdk.Stack, p *WebFrontendProps) { p.MaxCapacity = jsii.Number(1) }, "must be a whole number above the minimum, 2"},
		{"no room for a rolling replacement", func(_ awscdk.Stack, p *WebFrontendProps) { p.MaxCapacity = jsii.Number(2) }, "MinInstancesInService below MaxSize"},
		{"no API URL", func(_ awscdk.Stack, p *WebFrontendProps) { p.WebSocketUrl = nil }, "WebSocketUrl is required"},
		{"internal with a certificate", func(s awscdk.Stack, p *WebFrontendProps) {
			p.Internal = true
			p.Certificate = awscertificatemanager.Certificate_FromCertificateArn(s, jsii.String("Cert"), jsii.String("arn:aws:acm:eu-west-1:123456789012:certificate/abc"))
		}, "takes no Certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mustPanic(t, tt.want, func() { frontendStack(t, tt.change) })
		})
	}
}

// The Site asset is the game's site as built for serving (frontend/sitebuild: what `make dev`
// and the browser tests serve), the same bytes and asset hash from one synth to the next; a
// SiteDir of the app's own ships as it is.
func TestWebFrontendShipsTheBuiltSite(t *testing.T) {
	built, err := sitebuild.Build(frontend.Site())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(mustRead(t, built, "js/main.mjs"), mustRead(t, frontend.Site(), "js/main.mjs")) {
		t.Fatal("the built js/main.mjs is its source: this test could not tell them apart")
	}
	own := t.TempDir()
	ownMain := []byte("// the app's own module, shipped as it is\nexport const own = true;\n")
	if err := os.MkdirAll(filepath.Join(own, "js"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(own, "js", "main.mjs"), ownMain, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		siteDir  *string
		wantMain []byte
	}{
		{"default: the game's site, built", nil, mustRead(t, built, "js/main.mjs")},
		{"SiteDir: as it is", jsii.String(own), ownMain},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hashes []string
			for range 2 { // two apps, two synths: one asset hash
				stack, web := frontendStack(t, func(_ awscdk.Stack, p *WebFrontendProps) { p.SiteDir = tc.siteDir })
				staged := filepath.Join(*awscdk.Stage_Of(stack).Outdir(), *web.Site.AssetPath())
				got, err := os.ReadFile(filepath.Join(staged, "js", "main.mjs"))
				if err != nil {
					t.Fatalf("the Site asset: %v", err)
				}
				if !bytes.Equal(got, tc.wantMain) {
					t.Errorf("the Site asset's js/main.mjs (%d B) is not the one wanted (%d B): %.80q", len(got), len(tc.wantMain), got)
				}
				if want := "asset." + *web.Site.AssetHash(); tc.siteDir == nil && *web.Site.AssetPath() != want {
					t.Errorf("the Site asset is staged as %s, want %s (a dot in the built site's directory name reads to CDK as an extension)", *web.Site.AssetPath(), want)
				}
				hashes = append(hashes, *web.Site.AssetHash())
			}
			if hashes[0] != hashes[1] {
				t.Errorf("the Site asset's hash changed between synths: %v", hashes)
			}
		})
	}
}

func mustRead(t *testing.T, fsys fs.FS, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// One rule for instance types, on CDK's own reading of the architecture: what the deployer
// writes is checked before any stack exists.
func TestParseInstanceType(t *testing.T) {
	for _, tc := range []struct{ name, wantErr string }{
		{"t4g.micro", ""}, {"m7g.medium", ""}, {"c6gn.large", ""}, {"a1.large", ""},
		{"t3.micro", "not a Graviton"}, {"g4dn.xlarge", "not a Graviton"}, {"micro", "not an EC2 instance type"},
		{"t4g..micro", "not an EC2 instance type"}, {"T4G.MICRO", "not an EC2 instance type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseInstanceType(tc.name)
			if (err == nil) != (tc.wantErr == "") || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseInstanceType(%q) = %v, want an error saying %q", tc.name, err, tc.wantErr)
			}
		})
	}
}

// Another app's web tier: its config file and object, its name and its policy reach the
// instances' user data; the game's are the defaults.
func TestWebFrontendServesAnotherAppsSite(t *testing.T) {
	for _, tt := range []struct {
		name   string
		change func(awscdk.Stack, *WebFrontendProps)
		want   []string
	}{
		{"the game's defaults", nil, []string{"window.TICTACTOE_CONFIG", "/config.js", "/usr/share/nginx/tictactoe", "connect-src 'self' @WS_ORIGIN@;"}},
		{"a chat's", func(_ awscdk.Stack, p *WebFrontendProps) {
			p.ConfigFile, p.ConfigObject, p.Name = jsii.String("settings.js"), jsii.String("CHAT_CONFIG"), jsii.String("chat")
			p.ContentSecurityPolicy = jsii.String("default-src 'self'; connect-src 'self' @WS_ORIGIN@")
		}, []string{"window.CHAT_CONFIG", "/settings.js", "/usr/share/nginx/chat", `Content-Security-Policy \"default-src 'self'; connect-src 'self' @WS_ORIGIN@\" always;`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			stack, _ := frontendStack(t, tt.change)
			lt := cdktest.Props(cdktest.Only(t, assertions.Template_FromStack(stack, nil), "AWS::EC2::LaunchTemplate"))["LaunchTemplateData"].(map[string]any)
			userData := cdktest.JSONOf(t, lt["UserData"])
			for _, want := range tt.want {
				if !strings.Contains(userData, want) {
					t.Errorf("the user data lacks %s", want)
				}
			}
		})
	}
	mustPanic(t, "ConfigObject", func() {
		frontendStack(t, func(_ awscdk.Stack, p *WebFrontendProps) { p.ConfigObject = jsii.String("window.x") })
	})
}
