package stacks

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/serverless-tictactoe/tictactoe/internal/cdktest"
	"github.com/serverless-tictactoe/tictactoe/lambda/capacity"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/lambda/presence/eventtype"
)

// docTable reads the first two columns of the markdown table rows in the section of path that
// starts with heading: `key` → its default, with backquotes removed.
func docTable(t *testing.T, path, heading string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	i := strings.Index(text, heading)
	if i < 0 {
		t.Fatalf("%s has no %q section", path, heading)
	}
	text = text[i+len(heading):]
	if j := strings.Index(text, "\n#"); j >= 0 {
		text = text[:j]
	}
	row := regexp.MustCompile("(?m)^\\| `([A-Za-z_]+)` \\| ([^|]+) \\|")
	out := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(text, -1) {
		out[m[1]] = strings.TrimSpace(strings.ReplaceAll(m[2], "`", ""))
	}
	if len(out) == 0 {
		t.Fatalf("%s: no settings table under %q", path, heading)
	}
	return out
}

// gamesSizing is the documented games when a deployment sized for them has the stage's rate.
func gamesSizing(doc string, stageRate float64) string {
	n, err := strconv.Atoi(doc)
	if err != nil {
		return "not a number: " + doc
	}
	if got := (capacity.Model{Games: n}).StageRate(); got != stageRate {
		return fmt.Sprintf("a stage of %v/s (%d games would make %v/s)", stageRate, n, got)
	}
	return doc
}

// firstZones is the documented default of availabilityZones when the default deployment's
// subnets are in the Region's first maxAzs zones as CloudFormation lists them.
func firstZones(t *testing.T, s *synthesized) string {
	t.Helper()
	for id, r := range cdktest.Resources(t, s.tpl(s.d.Network.Stack), "AWS::EC2::Subnet") {
		if az := cdktest.JSONOf(t, cdktest.Props(r)["AvailabilityZone"]); !strings.Contains(az, "Fn::GetAZs") {
			return "subnet " + id + " in " + az
		}
	}
	return "none (the Region's first maxAzs)"
}

// gameReserved reports whether the deployment's game function reserves concurrency.
func gameReserved(t *testing.T, s *synthesized) bool {
	t.Helper()
	rt := s.d.Realtime
	logical := *rt.GetLogicalId(rt.Functions[catalog.FnGame].Function.Node().DefaultChild().(awscdk.CfnElement))
	_, ok := cdktest.Props(cdktest.Resources(t, s.tpl(rt.Stack), "AWS::Lambda::Function")[logical])["ReservedConcurrentExecutions"]
	return ok
}

// gameTracing is the deployment's game function's tracing mode.
func gameTracing(t *testing.T, s *synthesized) string {
	t.Helper()
	rt := s.d.Realtime
	logical := *rt.GetLogicalId(rt.Functions[catalog.FnGame].Function.Node().DefaultChild().(awscdk.CfnElement))
	var fn struct{ TracingConfig struct{ Mode string } }
	cdktest.RoundTrip(t, cdktest.Props(cdktest.Resources(t, s.tpl(rt.Stack), "AWS::Lambda::Function")[logical]), &fn)
	return fn.TracingConfig.Mode
}

// The defaults docs/deploy.md states for every setting are the ones the app applies: read off
// the default deployment's templates where a construct applies them, and off lambda/config
// where the functions do.
func TestDocumentedDefaultsAreApplied(t *testing.T) {
	doc := docTable(t, "../docs/deploy.md", "## Settings (CDK context)")
	s := dev(t)
	resources := func(stack, typ string) map[string]map[string]any {
		return cdktest.Resources(t, s.templates[*map[string]*string{
			"Network": s.d.Network.StackName(), "Realtime": s.d.Realtime.StackName(), "Frontend": s.d.Frontend.StackName(), "Data": s.d.Data.StackName(),
		}[stack]], typ)
	}
	one := func(stack, typ string) map[string]any {
		rs := resources(stack, typ)
		if len(rs) != 1 {
			t.Fatalf("%s: %d %s, want 1", stack, len(rs), typ)
		}
		for _, r := range rs {
			return cdktest.Props(r)
		}
		return nil
	}
	var lt struct{ LaunchTemplateData struct{ InstanceType string } }
	cdktest.RoundTrip(t, one("Frontend", "AWS::EC2::LaunchTemplate"), &lt)
	var stage struct {
		DefaultRouteSettings struct{ ThrottlingRateLimit, ThrottlingBurstLimit float64 }
	}
	cdktest.RoundTrip(t, one("Realtime", "AWS::ApiGatewayV2::Stage"), &stage)
	fn, err := config.FromEnv(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	var alertEvents []string
	for _, e := range DefaultAlertEvents() {
		alertEvents = append(alertEvents, string(e))
	}
	num := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
	none := func(unset bool) string {
		if unset {
			return "none"
		}
		return "set"
	}
	// Unset, no function gets a list, and the connect function gets the edge secret that
	// turns on the same-site rule.
	allowedOrigins := "a list, or no same-site rule"
	edgeSecret := false
	for _, r := range resources("Realtime", "AWS::Lambda::Function") {
		var fn struct {
			Environment struct{ Variables map[string]any }
		}
		cdktest.RoundTrip(t, cdktest.Props(r), &fn)
		if _, ok := fn.Environment.Variables[config.EnvAllowedOrigins]; ok {
			edgeSecret = false
			break
		}
		if _, ok := fn.Environment.Variables[config.EnvEdgeSecret]; ok {
			edgeSecret = true
		}
	}
	if edgeSecret {
		allowedOrigins = "none (the site's own)"
	}
	duration := func(doc string) string { // the doc's "2m" read as the functions read it
		d, err := time.ParseDuration(doc)
		if err != nil {
			return "not a duration: " + doc
		}
		return d.String()
	}
	applied := map[string]struct{ got, want string }{
		KeyEnv:                   {doc[KeyEnv], string(s.cfg.Lifecycle)},
		KeyAlertEmail:            {doc[KeyAlertEmail], "none"},
		KeyAlertEvents:           {doc[KeyAlertEvents], strings.Join(alertEvents, ",")},
		KeyOpsEmail:              {doc[KeyOpsEmail], KeyAlertEmail},
		KeyCertificateArn:        {doc[KeyCertificateArn], "none"},
		KeyCloudFront:            {doc[KeyCloudFront], strconv.FormatBool(len(resources("Frontend", "AWS::CloudFront::Distribution")) == 1)},
		KeyDomainName:            {doc[KeyDomainName], none(len(resources("Frontend", "AWS::Route53::RecordSet")) == 0 && s.d.Edge == nil)},
		KeyHostedZoneId:          {doc[KeyHostedZoneId], none(len(resources("Frontend", "AWS::Route53::RecordSet")) == 0)},
		KeyTableKey:              {doc[KeyTableKey], strconv.FormatBool(len(resources("Data", "AWS::KMS::Key")) == 1)},
		KeyWaf:                   {doc[KeyWaf], fmt.Sprintf("%v (%v in prod)", s.d.Edge != nil, prod(t).d.Edge != nil && prod(t).d.Edge.Firewall != nil)},
		KeyInstanceType:          {doc[KeyInstanceType], lt.LaunchTemplateData.InstanceType},
		KeyMaxInstances:          {doc[KeyMaxInstances], fmt.Sprint(one("Frontend", "AWS::AutoScaling::AutoScalingGroup")["MaxSize"])},
		KeyMaxAzs:                {doc[KeyMaxAzs], strconv.Itoa(len(resources("Network", "AWS::EC2::Subnet")) / 2)},
		KeySsmEndpoints:          {doc[KeySsmEndpoints], strconv.FormatBool(len(resources("Network", "AWS::EC2::VPCEndpoint")) > 1)},
		KeyThrottleRate:          {doc[KeyThrottleRate], num(stage.DefaultRouteSettings.ThrottlingRateLimit)},
		KeyThrottleBurst:         {doc[KeyThrottleBurst], num(stage.DefaultRouteSettings.ThrottlingBurstLimit)},
		KeyApiGatewayLogRole:     {doc[KeyApiGatewayLogRole], strconv.FormatBool(len(resources("Realtime", "Custom::ApiGatewayCloudWatchRole")) == 1)},
		KeyAllowedOrigins:        {doc[KeyAllowedOrigins], allowedOrigins},
		KeyLogLevel:              {doc[KeyLogLevel], strings.ToLower(fn.LogLevel.String())},
		KeyGracePeriod:           {duration(doc[KeyGracePeriod]), fn.Grace.String()},
		KeyRoomTTL:               {duration(doc[KeyRoomTTL]), fn.RoomTTL.String()},
		KeyMoveTimeout:           {duration(doc[KeyMoveTimeout]), fn.MoveTimeout.String()},
		KeyRateLimitPerSecond:    {doc[KeyRateLimitPerSecond], num(fn.RatePerSecond)},
		KeyRateLimitBurst:        {doc[KeyRateLimitBurst], strconv.Itoa(fn.RateBurst)},
		KeyGames:                 {doc[KeyGames], gamesSizing(doc[KeyGames], stage.DefaultRouteSettings.ThrottlingRateLimit)},
		KeyReservedConcurrency:   {doc[KeyReservedConcurrency], strconv.FormatBool(gameReserved(t, prod(t)) || gameReserved(t, s))},
		KeyAvailabilityZones:     {doc[KeyAvailabilityZones], firstZones(t, s)},
		KeyAddressStrikes:        {doc[KeyAddressStrikes], strconv.Itoa(fn.AddressStrikes)},
		KeyAddressFrames:         {doc[KeyAddressFrames], strconv.Itoa(fn.AddressFrames)},
		KeyTraceRate:             {doc[KeyTraceRate], num(fn.TraceSampleRate)},
		KeyActiveTracing:         {doc[KeyActiveTracing], strconv.FormatBool(gameTracing(t, s) == "Active")},
		KeyPipeline:              {doc[KeyPipeline], strconv.FormatBool(s.cfg.Pipeline != nil)},
		KeyRepository:            {doc[KeyRepository], "none"},
		KeyBranch:                {doc[KeyBranch], DefaultBranch},
		KeyConnectionArn:         {doc[KeyConnectionArn], "none"},
		KeyProdAccount:           {doc[KeyProdAccount], "the pipeline's"},
		KeyGitHubRepository:      {doc[KeyGitHubRepository], none(s.cfg.GitHub == nil)},
		KeyGitHubOidcProviderArn: {doc[KeyGitHubOidcProviderArn], "the account's"},
		KeyRegions:               {doc[KeyRegions], map[bool]string{true: "none (one Region)"}[len(s.d.Secondary) == 0 && len(s.cfg.Regions) == 0]},
	}
	for _, key := range knownKeys {
		a, ok := applied[key]
		switch {
		case !ok:
			t.Errorf("setting %s: this test does not check its default", key)
		case doc[key] == "":
			t.Errorf("docs/deploy.md does not list %s", key)
		case a.got != a.want:
			t.Errorf("%s: docs/deploy.md says the default is %q, the app applies %q", key, a.got, a.want)
		}
	}
	for key := range doc {
		if _, ok := applied[key]; !ok {
			t.Errorf("docs/deploy.md lists %s, which is not a setting", key)
		}
	}
	// Every event type the docs offer is one.
	if _, err := eventtype.ParseList(doc[KeyAlertEvents]); err != nil {
		t.Errorf("alertEvents default: %v", err)
	}
}

// docs/backend.md's table of the functions' variables states lambda/config's defaults.
func TestBackendDocStatesTheFunctionDefaults(t *testing.T) {
	doc := docTable(t, "../docs/backend.md", "## Function configuration")
	fn, err := config.FromEnv(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		config.EnvGracePeriod: fn.Grace.String(), config.EnvRoomTTL: fn.RoomTTL.String(),
		config.EnvMoveTimeout:     fn.MoveTimeout.String(),
		config.EnvLogLevel:        strings.ToLower(fn.LogLevel.String()),
		config.EnvTraceSampleRate: strconv.FormatFloat(fn.TraceSampleRate, 'f', -1, 64),
	} {
		got := doc[name]
		if d, err := time.ParseDuration(got); err == nil {
			got = d.String()
		}
		if got != want {
			t.Errorf("docs/backend.md: %s defaults to %q, lambda/config to %q", name, doc[name], want)
		}
	}
}
