package stacks

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/serverless-tictactoe/tictactoe/blocks"
	"github.com/serverless-tictactoe/tictactoe/lambda/capacity"
	"github.com/serverless-tictactoe/tictactoe/lambda/presence/eventtype"
)

func noEnv(string) string { return "" }

var pipelineEnv = map[string]string{"CDK_DEFAULT_ACCOUNT": "123456789012", "CDK_DEFAULT_REGION": "eu-west-1"}

const testConnectionArn = "arn:aws:codestar-connections:eu-west-1:123456789012:connection/0a1b2c3d-1111"

// The pipeline's settings: the branch defaults to main; a Prod account that is the pipeline's
// own is no second account; the settings given are kept for the synth step to give again.
func TestFromContextPipeline(t *testing.T) {
	get := func(k string) string { return pipelineEnv[k] }
	c, err := FromContext(map[string]any{KeyPipeline: true, KeyRepository: "acme/tictactoe", KeyConnectionArn: testConnectionArn, KeyProdAccount: "123456789012", KeyGames: "200", "@aws-cdk/core:someFeatureFlag": "x"}, get)
	if err != nil {
		t.Fatal(err)
	}
	want := &PipelineSettings{Repository: "acme/tictactoe", Branch: DefaultBranch, ConnectionArn: testConnectionArn}
	if !reflect.DeepEqual(c.Pipeline, want) {
		t.Errorf("pipeline %+v, want %+v", c.Pipeline, want)
	}
	wantGiven := map[string]string{KeyPipeline: "true", KeyRepository: "acme/tictactoe", KeyConnectionArn: testConnectionArn, KeyProdAccount: "123456789012", KeyGames: "200"}
	if !reflect.DeepEqual(c.Given, wantGiven) {
		t.Errorf("given %v, want %v", c.Given, wantGiven)
	}
	if got := synthArgs(map[string]string{"b": "x'y", "a": "1"}); got != `-c 'a=1' -c 'b=x'\''y'` {
		t.Errorf("synthArgs %s", got)
	}
	c.ForgetFileSettings(map[string]any{KeyGames: 200.0, KeyRepository: "other/repo", "@aws-cdk/core:someFeatureFlag": "x"})
	if _, ok := c.Given[KeyGames]; ok || c.Given[KeyRepository] != "acme/tictactoe" {
		t.Errorf("after forgetting cdk.json's settings: %v", c.Given)
	}
	prod := c.ForStage(blocks.Prod)
	if prod.Pipeline != nil || !prod.Lifecycle.IsProd() || prod.Account != "123456789012" {
		t.Errorf("prod stage config %+v", prod)
	}
}

// A setting left out stays unset: the construct or function that applies it owns its default
// (TestDocumentedDefaultsAreApplied checks what those are).
func TestFromContextLeavesUnsetSettingsUnset(t *testing.T) {
	c, err := FromContext(map[string]any{}, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Lifecycle: blocks.Dev, FunctionEnv: map[string]string{}, Given: map[string]string{}}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("defaults: %+v, want %+v", c, want)
	}
}

func TestFromContextReadsEveryKey(t *testing.T) {
	ctx := map[string]any{
		KeyEnv: "prod", KeyAlertEmail: "ops@example.com", KeyOpsEmail: "oncall@example.com",
		KeyAlertEvents:    "room_abandoned, room_expired,room_abandoned",
		KeyCertificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f",
		KeyDomainName:     "Play.Example.com.", KeyHostedZoneId: "Z0123456789ABCDEFGHIJ", KeyWaf: "false", KeyCloudFront: true, KeyTableKey: "true",
		KeyInstanceType: "m7g.medium", KeyMaxInstances: 6.0, // numbers arrive as float64 from cdk.json
		KeyMaxAzs: "3", KeySsmEndpoints: true, KeyThrottleRate: "50", KeyThrottleBurst: "80",
		KeyAllowedOrigins: "https://play.example.com, http://localhost:8080/", KeyLogLevel: "DEBUG",
		KeyGracePeriod: "90s", KeyRoomTTL: "12h", KeyMoveTimeout: "45s", KeyRateLimitPerSecond: "2.5", KeyRateLimitBurst: 10.0,
		KeyApiGatewayLogRole: "false", KeyGames: "250", KeyReservedConcurrency: "40", KeyTraceRate: "0.01",
	}
	env := map[string]string{"CDK_DEFAULT_ACCOUNT": "123456789012", "CDK_DEFAULT_REGION": "eu-west-1"}
	c, err := FromContext(ctx, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	num := func(f float64) *float64 { return &f }
	yes, no := true, false
	want := Config{
		Lifecycle: blocks.Prod, Account: "123456789012", Region: "eu-west-1", AlertEmail: "ops@example.com",
		OpsEmail: "oncall@example.com", AlertEvents: []eventtype.Type{eventtype.RoomAbandoned, eventtype.RoomExpired},
		CertificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f",
		CloudFront:     &yes, Waf: &no, DomainName: "play.example.com", HostedZoneId: "Z0123456789ABCDEFGHIJ", TableKey: &yes,
		InstanceType: "m7g.medium", MaxInstances: num(6), MaxAzs: num(3), SsmEndpoints: &yes, ApiGatewayLogRole: &no,
		ThrottleRate: num(50), ThrottleBurst: num(80), Games: num(250), ReserveConcurrency: &yes, ReservedConcurrency: num(40),
		FunctionEnv: map[string]string{
			"ALLOWED_ORIGINS": "https://play.example.com,http://localhost:8080", "LOG_LEVEL": "debug",
			"GRACE_PERIOD": "90s", "ROOM_TTL": "12h", "MOVE_TIMEOUT": "45s", "RATE_LIMIT_PER_SECOND": "2.5", "RATE_LIMIT_BURST": "10",
			"TRACE_SAMPLE_RATE": "0.01",
		},
		Given: map[string]string{},
	}
	for k, v := range ctx { // as given, for a pipeline's synth to give again
		want.Given[k] = strings.TrimSpace(fmt.Sprint(v))
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got %+v\nwant %+v", c, want)
	}
}

// Every bad value fails synth with a message naming the key and saying what it takes.
func TestFromContextRejectsBadValues(t *testing.T) {
	tests := []struct {
		name string
		ctx  map[string]any
		env  map[string]string
		want []string
	}{
		{"env", map[string]any{KeyEnv: "staging"}, nil, []string{"context env", `"staging" is not dev or prod`}},
		{"email", map[string]any{KeyAlertEmail: "ops"}, nil, []string{"context alertEmail", "ops@example.com"}},
		{"ops email", map[string]any{KeyOpsEmail: "oncall@"}, nil, []string{"context opsEmail", "ops@example.com"}},
		{"alert event", map[string]any{KeyAlertEvents: "room_abandoned,player_joined"}, nil,
			[]string{"context alertEvents", `"player_joined" is not a presence event type`, "player_online, player_offline, player_left, room_abandoned, room_closed, room_expired"}},
		{"no alert events", map[string]any{KeyAlertEvents: " , "}, nil, []string{"context alertEvents", "is empty"}},
		{"certificate", map[string]any{KeyCertificateArn: "my-cert"}, nil, []string{"context certificateArn", "not an ACM certificate ARN"}},
		{"load balancer certificate elsewhere", map[string]any{KeyCertificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/abc", KeyCloudFront: "false"},
			map[string]string{"CDK_DEFAULT_ACCOUNT": "123456789012", "CDK_DEFAULT_REGION": "eu-west-1"},
			[]string{"certificate is in us-east-1 but the stacks deploy to eu-west-1"}},
		{"distribution certificate outside us-east-1", map[string]any{KeyCertificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/abc", KeyDomainName: "play.example.com"},
			nil, []string{"context certificateArn", "CloudFront takes certificates from us-east-1 only"}},
		{"distribution certificate without its name", map[string]any{KeyCertificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/abc"},
			nil, []string{"context certificateArn", "needs domainName"}},
		{"domain", map[string]any{KeyDomainName: "play example.com", KeyHostedZoneId: "Z123"}, nil, []string{"context domainName", "not a domain name"}},
		{"domain of one label", map[string]any{KeyDomainName: "localhost", KeyHostedZoneId: "Z123"}, nil, []string{"context domainName", "not a domain name"}},
		{"wildcard domain", map[string]any{KeyDomainName: "*.example.com", KeyHostedZoneId: "Z123"}, nil, []string{"context domainName", "not a domain name"}},
		{"domain without zone or certificate", map[string]any{KeyDomainName: "play.example.com"}, nil, []string{"context domainName", "needs hostedZoneId", "or certificateArn"}},
		{"zone", map[string]any{KeyDomainName: "play.example.com", KeyHostedZoneId: "example.com"}, nil, []string{"context hostedZoneId", "not a Route 53 hosted zone ID"}},
		{"zone without domain", map[string]any{KeyHostedZoneId: "Z123"}, nil, []string{"context hostedZoneId", "needs domainName"}},
		{"domain without the distribution", map[string]any{KeyCloudFront: false, KeyDomainName: "play.example.com", KeyHostedZoneId: "Z123"}, nil,
			[]string{"context domainName", "context hostedZoneId", "cloudFront=false"}},
		{"firewall without the distribution", map[string]any{KeyCloudFront: "false", KeyWaf: "true"}, nil, []string{"context waf", "cloudFront=false"}},
		{"cloudFront", map[string]any{KeyCloudFront: "no"}, nil, []string{"context cloudFront", "true or false"}},
		{"one Region", map[string]any{KeyRegions: "eu-west-1"}, pipelineEnv, []string{"context regions", "lists one Region"}},
		{"Regions malformed", map[string]any{KeyRegions: "eu-west-1,Frankfurt,eu-west-1"}, pipelineEnv, []string{"context regions", `"Frankfurt" is not an AWS Region`, "eu-west-1 is listed twice"}},
		{"Regions without an account", map[string]any{KeyRegions: "eu-west-1,eu-central-1"}, nil, []string{"context regions", "needs a known account"}},
		{"Regions with a table key", map[string]any{KeyRegions: "eu-west-1,eu-central-1", KeyTableKey: "true"}, pipelineEnv, []string{"context regions", "tableKey is not supported"}},
		{"github repository", map[string]any{KeyGitHubRepository: "acme"}, nil, []string{"context githubRepository", `"acme" is not a GitHub repository like owner/name`}},
		{"github provider", map[string]any{KeyGitHubRepository: "acme/t", KeyGitHubOidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/gitlab.com"}, nil,
			[]string{"context githubOidcProviderArn", "not the ARN of an OIDC provider for token.actions.githubusercontent.com"}},
		{"github provider without the repository", map[string]any{KeyGitHubOidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}, nil,
			[]string{"context githubOidcProviderArn", "needs githubRepository"}},
		{"pipeline setting without the pipeline", map[string]any{KeyRepository: "acme/tictactoe", KeyProdAccount: "210987654321"}, nil,
			[]string{"context repository", "context prodAccount", "give pipeline=true"}},
		{"pipeline without its source", map[string]any{KeyPipeline: "true"}, pipelineEnv,
			[]string{"context repository", "context connectionArn", "the pipeline needs it"}},
		{"pipeline without an account", map[string]any{KeyPipeline: "true", KeyRepository: "acme/tictactoe", KeyConnectionArn: testConnectionArn}, nil,
			[]string{"context pipeline", "needs a known account and region", "CDK_DEFAULT_ACCOUNT"}},
		{"pipeline settings malformed", map[string]any{KeyPipeline: "yes", KeyRepository: "tictactoe", KeyBranch: "a b", KeyConnectionArn: "arn:aws:codestar:eu-west-1:1:x", KeyProdAccount: "12345"}, pipelineEnv,
			[]string{"context pipeline", "true or false", "context repository", `"tictactoe" is not a repository like owner/name`, `"a b" is not a branch name`,
				"context connectionArn", "not a CodeConnections connection ARN", `"12345" is not an AWS account ID`}},
		{"waf", map[string]any{KeyWaf: "on"}, nil, []string{"context waf", "true or false"}},
		{"table key", map[string]any{KeyTableKey: "kms"}, nil, []string{"context tableKey", "true or false"}},
		{"table key without a region", map[string]any{KeyTableKey: "true"}, nil, []string{"context tableKey", "CDK_DEFAULT_REGION"}},
		{"origins without the domain", map[string]any{KeyDomainName: "play.example.com", KeyHostedZoneId: "Z123", KeyAllowedOrigins: "https://game.example.com"}, nil,
			[]string{"context allowedOrigins", "lacks https://play.example.com"}},
		{"x86", map[string]any{KeyInstanceType: "t3.micro"}, nil, []string{"context instanceType", "not a Graviton (arm64) type"}},
		{"x86 with a g elsewhere", map[string]any{KeyInstanceType: "g4dn.xlarge"}, nil, []string{"not a Graviton"}},
		{"not a type", map[string]any{KeyInstanceType: "micro"}, nil, []string{"not an EC2 instance type"}},
		{"max instances", map[string]any{KeyMaxInstances: "1"}, nil, []string{"context maxInstances", "above the minimum, 2"}},
		{"max instances no room to replace", map[string]any{KeyMaxInstances: "2"}, nil, []string{"context maxInstances", "a rolling replacement adds an instance"}},
		{"max instances too many", map[string]any{KeyMaxInstances: "4000"}, nil, []string{"context maxInstances", "more than 100"}},
		{"max instances text", map[string]any{KeyMaxInstances: "many"}, nil, []string{"context maxInstances", "not a whole number"}},
		{"api gateway log role", map[string]any{KeyApiGatewayLogRole: "maybe"}, nil, []string{"context apiGatewayLogRole", "true or false"}},
		{"one AZ", map[string]any{KeyMaxAzs: 1.0}, nil, []string{"context maxAzs", "from 2 to 6"}},
		{"three AZs without a region", map[string]any{KeyMaxAzs: "3"}, nil, []string{"context maxAzs", "CDK_DEFAULT_REGION"}},
		{"ssm", map[string]any{KeySsmEndpoints: "yes please"}, nil, []string{"context ssmEndpoints", "true or false"}},
		{"throttle rate", map[string]any{KeyThrottleRate: "0"}, nil, []string{"context throttleRate", "above 0"}},
		{"throttle burst", map[string]any{KeyThrottleBurst: "0"}, nil, []string{"context throttleBurst"}},
		{"no games", map[string]any{KeyGames: "0"}, nil, []string{"context games", fmt.Sprintf("use 1 to %d,", capacity.MaxGames())}},
		{"too many games", map[string]any{KeyGames: 5000.0}, nil, []string{"context games", "use 1 to 1010, the most one account can serve in a Region",
			"account-level quota of 10000 requests per second"}},
		{"one game past the account", map[string]any{KeyGames: "1011"}, nil, []string{"context games", "1011 concurrent games: use 1 to 1010",
			"(10017/s at worst"}},
		{"a stage past the account", map[string]any{KeyThrottleRate: "2000"}, nil, []string{"context throttleRate", "use at most 1101 for 100 games",
			"account-level quota of 10000 requests per second"}},
		{"a stage past the account for its games", map[string]any{KeyGames: "1000", KeyThrottleRate: "1012"}, nil, []string{"context throttleRate", "use at most 1011"}},
		{"games in words", map[string]any{KeyGames: "lots"}, nil, []string{"context games", "not a whole number"}},
		{"reserved none", map[string]any{KeyReservedConcurrency: "0"}, nil, []string{"context reservedConcurrency", "from 1 to 900"}},
		{"reserved past the quota", map[string]any{KeyReservedConcurrency: "1000"}, nil, []string{"context reservedConcurrency", "from 1 to 900"}},
		{"reserved in words", map[string]any{KeyReservedConcurrency: "some"}, nil, []string{"context reservedConcurrency", "true, false or a whole number"}},
		{"origins", map[string]any{KeyAllowedOrigins: "game.example.com"}, nil, []string{"context allowedOrigins", "https://game.example.com"}},
		{"log level", map[string]any{KeyLogLevel: "loud"}, nil, []string{"context logLevel", "debug, info, warn, error"}},
		{"grace", map[string]any{KeyGracePeriod: "2 minutes"}, nil, []string{"context gracePeriod", "like 2m"}},
		{"grace longer than a room", map[string]any{KeyGracePeriod: "2h", KeyRoomTTL: "1h"}, nil, []string{"context gracePeriod", "must not exceed"}},
		{"move clock too short", map[string]any{KeyMoveTimeout: "5s"}, nil, []string{"context moveTimeout", "between 10s"}},
		{"grace longer than the default room", map[string]any{KeyGracePeriod: "48h"}, nil, []string{"context gracePeriod", "must not exceed the room's life, 24h0m0s"}},
		{"origin of another scheme", map[string]any{KeyAllowedOrigins: "chrome-extension://abc"}, nil, []string{"context allowedOrigins", "not an origin"}},
		{"burst alone refusing all", map[string]any{KeyThrottleBurst: "0"}, nil, []string{"context throttleBurst", "burst of at least 1"}},
		{"an arm64 type of another shape", map[string]any{KeyInstanceType: "t4g..micro"}, nil, []string{"context instanceType"}},
		{"rate limit", map[string]any{KeyRateLimitPerSecond: "-1"}, nil, []string{"context rateLimitPerSecond"}},
		{"rate burst", map[string]any{KeyRateLimitBurst: "0"}, nil, []string{"context rateLimitBurst"}},
		{"address strikes", map[string]any{KeyAddressStrikes: "-1"}, nil, []string{"context addressStrikes", "from 0 (no per-address ceiling)"}},
		{"address frames", map[string]any{KeyAddressFrames: "lots"}, nil, []string{"context addressFrames", "from 0 (no share per address)"}},
		{"trace rate", map[string]any{KeyTraceRate: "5%"}, nil, []string{"context traceRate", "from 0 (none traced) to 1"}},
		{"connections per source removed", map[string]any{"connectionsPerSource": "200"}, nil, []string{"context connectionsPerSource", "no longer a setting", "addressStrikes"}},
		{"wrong case", map[string]any{"alertemail": "ops@example.com"}, nil, []string{"context alertemail", "did you mean alertEmail?"}},
		{"misspelled", map[string]any{"ssmEndpoint": "true"}, nil, []string{"context ssmEndpoint", "unknown key: did you mean ssmEndpoints?"}},
		{"misspelled badly", map[string]any{"gams": "200"}, nil, []string{"context gams", "did you mean games?"}},
		{"not a setting at all", map[string]any{"region": "eu-west-1"}, nil, []string{"context region", "did you mean regions?", "docs/deploy.md"}},
		{"zones without a region", map[string]any{KeyAvailabilityZones: "eu-west-1b,eu-west-1c"}, nil, []string{"context availabilityZones", "needs a known account and region"}},
		{"zone not a zone", map[string]any{KeyAvailabilityZones: "eu-west-1,eu-west-1c"}, prodEnv, []string{"context availabilityZones", `"eu-west-1" is not an availability zone's name`}},
		{"zone of another Region", map[string]any{KeyAvailabilityZones: "us-east-1b,us-east-1c"}, prodEnv, []string{"context availabilityZones", "us-east-1b is in us-east-1, which this deployment does not use (eu-west-1)"}},
		{"one zone", map[string]any{KeyAvailabilityZones: "eu-west-1b"}, prodEnv, []string{"context availabilityZones", "eu-west-1: 1 availability zones"}},
		{"zone twice", map[string]any{KeyAvailabilityZones: "eu-west-1b,eu-west-1b,eu-west-1c"}, prodEnv, []string{"eu-west-1b is listed twice"}},
		{"zones against maxAzs", map[string]any{KeyAvailabilityZones: "eu-west-1b,eu-west-1c", KeyMaxAzs: "3"}, prodEnv, []string{"names 2 zones in eu-west-1 but maxAzs is 3"}},
		{"a list", map[string]any{KeyAllowedOrigins: []any{"https://a.example"}}, nil, []string{"context allowedOrigins", "not a string, a number or a boolean"}},
		{"every problem at once", map[string]any{KeyEnv: "qa", KeyMaxInstances: "0"}, nil, []string{"context env", "context maxInstances"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromContext(tt.ctx, func(k string) string { return tt.env[k] })
			if err == nil {
				t.Fatalf("no error; want one saying %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// The distribution is on unless turned off; its firewall is on in prod unless turned off,
// and never without the distribution.
func TestFromContextEdgeDefaults(t *testing.T) {
	tests := []struct {
		ctx                 map[string]any
		wantCloudFront, waf bool
	}{
		{map[string]any{}, true, false},
		{map[string]any{KeyEnv: "prod"}, true, true},
		{map[string]any{KeyEnv: "prod", KeyWaf: "false"}, true, false},
		{map[string]any{KeyWaf: "true"}, true, true},
		{map[string]any{KeyEnv: "prod", KeyCloudFront: "false"}, false, false},
	}
	for _, tt := range tests {
		c, err := FromContext(tt.ctx, noEnv)
		if err != nil {
			t.Fatalf("%v: %v", tt.ctx, err)
		}
		if c.UsesCloudFront() != tt.wantCloudFront || c.UsesWaf() != tt.waf {
			t.Errorf("%v: CloudFront %v, WAF %v; want %v, %v", tt.ctx, c.UsesCloudFront(), c.UsesWaf(), tt.wantCloudFront, tt.waf)
		}
	}
}

// The capacity model sizes the stage and, in prod or when asked, the game function's reserved
// concurrency; settings override each.
func TestFromContextCapacity(t *testing.T) {
	tests := []struct {
		name        string
		ctx         map[string]any
		rate, burst float64
		reserved    float64 // 0: none
	}{
		{"dev default", map[string]any{}, 100, 200, 0},
		{"prod default: none, as a new account may not allow one", map[string]any{KeyEnv: "prod"}, 100, 200, 0},
		{"prod asking, sized up", map[string]any{KeyEnv: "prod", KeyGames: "1000", KeyReservedConcurrency: "true"}, 1000, 2000, 200},
		{"prod without a reservation", map[string]any{KeyEnv: "prod", KeyReservedConcurrency: "false"}, 100, 200, 0},
		{"dev asking for the model's", map[string]any{KeyReservedConcurrency: "true", KeyGames: "50"}, 50, 100, 10},
		{"a small deployment keeps the floor", map[string]any{KeyEnv: "prod", KeyGames: "5", KeyReservedConcurrency: "true"}, 5, 10, 10},
		{"dev asking for a number", map[string]any{KeyReservedConcurrency: "7"}, 100, 200, 7},
		{"throttle overridden", map[string]any{KeyGames: "1000", KeyThrottleRate: "300"}, 300, 2000, 0},
	}
	for _, tt := range tests {
		c, err := FromContext(tt.ctx, noEnv)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		rate, burst := c.StageThrottle()
		var reserved float64
		if r := c.GameConcurrency(); r != nil {
			reserved = *r
		}
		if rate != tt.rate || burst != tt.burst || reserved != tt.reserved {
			t.Errorf("%s: stage %v/%v, reserved %v; want %v/%v, %v", tt.name, rate, burst, reserved, tt.rate, tt.burst, tt.reserved)
		}
	}
}

// The alarms go to the alerts address unless the operations one is given.
func TestFromContextOpsEmailDefaultsToAlertEmail(t *testing.T) {
	c, err := FromContext(map[string]any{KeyAlertEmail: "ops@example.com"}, noEnv)
	if err != nil || c.OpsEmail != "ops@example.com" {
		t.Errorf("opsEmail %q (err %v), want alertEmail's ops@example.com", c.OpsEmail, err)
	}
}

// An account without a region (or the reverse) is not an environment: synth stays agnostic.
func TestFromContextNeedsBothAccountAndRegion(t *testing.T) {
	c, err := FromContext(map[string]any{}, func(k string) string {
		return map[string]string{"CDK_DEFAULT_ACCOUNT": "123456789012"}[k]
	})
	if err != nil || c.Account != "" || c.Region != "" {
		t.Errorf("got account %q region %q (err %v), want both empty", c.Account, c.Region, err)
	}
}

// regions puts the primary, the first, where the stacks of one Region would go.
func TestFromContextRegions(t *testing.T) {
	c, err := FromContext(map[string]any{KeyRegions: "eu-central-1, eu-west-1"}, func(k string) string { return pipelineEnv[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Region != "eu-central-1" || strings.Join(c.Regions, ",") != "eu-central-1,eu-west-1" {
		t.Errorf("region %s, regions %v", c.Region, c.Regions)
	}
}

// Named zones go to their own Region's VPC; a Region with none keeps its first maxAzs.
func TestFromContextZonesByRegion(t *testing.T) {
	c, err := FromContext(map[string]any{KeyRegions: "eu-central-1,eu-west-1", KeyAvailabilityZones: " eu-west-1c, eu-west-1a "}, func(k string) string { return pipelineEnv[k] })
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string][]string{"eu-west-1": {"eu-west-1c", "eu-west-1a"}}; !reflect.DeepEqual(c.Zones, want) {
		t.Errorf("zones %v, want %v", c.Zones, want)
	}
}

// The CDK's own context (feature flags, the CLI's keys, cached lookups) is not a setting and
// is not refused; anything else unknown is.
func TestFromContextLetsTheCDKsKeysBe(t *testing.T) {
	ctx := map[string]any{
		"@aws-cdk/core:newStyleStackSynthesis":                       true,
		"aws:cdk:version-reporting":                                  true,
		"aws:cdk:bundling-stacks":                                    []any{"**"},
		"availability-zones:account=123456789012:region=eu-west-1":   []any{"eu-west-1a"},
		"ssm:account=123456789012:parameterName=/x:region=eu-west-1": "v",
		KeyEnv: "dev",
	}
	if _, err := FromContext(ctx, noEnv); err != nil {
		t.Errorf("the CDK's keys were refused: %v", err)
	}
}

func TestNearestKey(t *testing.T) {
	for _, c := range []struct{ typo, want string }{
		{"ssmEndpoint", KeySsmEndpoints}, {"ALERTEMAIL", KeyAlertEmail}, {"maxAz", KeyMaxAzs}, {"throttlerate", KeyThrottleRate},
		{"availabilityZone", KeyAvailabilityZones}, {"reservedconcurency", KeyReservedConcurrency}, {"pipline", KeyPipeline},
	} {
		if got := nearestKey(c.typo); got != c.want {
			t.Errorf("nearestKey(%q) = %s, want %s", c.typo, got, c.want)
		}
	}
}
