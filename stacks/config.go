// Package stacks holds the game's CloudFormation stacks, one per file: each wires constructs
// from package constructs and exposes what other stacks need as CDK interfaces. main.go composes
// them; Config is what a deployer chooses through CDK context (-c key=value or cdk.json).
package stacks

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/serverless-tictactoe/tictactoe/constructs"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/lambda/presence"
)

// Context keys: the deployer's settings (docs/deploy.md lists them with examples).
const (
	KeyEnv                = "env"
	KeyAlertEmail         = "alertEmail"
	KeyAlertEvents        = "alertEvents"
	KeyOpsEmail           = "opsEmail"
	KeyCertificateArn     = "certificateArn"
	KeyInstanceType       = "instanceType"
	KeyMaxInstances       = "maxInstances"
	KeyMaxAzs             = "maxAzs"
	KeySsmEndpoints       = "ssmEndpoints"
	KeyThrottleRate       = "throttleRate"
	KeyThrottleBurst      = "throttleBurst"
	KeyAllowedOrigins     = "allowedOrigins"
	KeyLogLevel           = "logLevel"
	KeyGracePeriod        = "gracePeriod"
	KeyRoomTTL            = "roomTtl"
	KeyRateLimitPerSecond = "rateLimitPerSecond"
	KeyRateLimitBurst     = "rateLimitBurst"
	KeyApiGatewayLogRole  = "apiGatewayLogRole"
)

var knownKeys = []string{KeyEnv, KeyAlertEmail, KeyAlertEvents, KeyOpsEmail, KeyCertificateArn, KeyInstanceType, KeyMaxInstances,
	KeyMaxAzs, KeySsmEndpoints, KeyThrottleRate, KeyThrottleBurst, KeyAllowedOrigins, KeyLogLevel,
	KeyGracePeriod, KeyRoomTTL, KeyRateLimitPerSecond, KeyRateLimitBurst, KeyApiGatewayLogRole}

// Config is one deployment's settings, validated.
type Config struct {
	// Env is dev (data deleted with the stacks) or prod (data retained, deletion protection).
	Env constructs.Environment
	// Account and Region are where the stacks deploy; both empty for environment-agnostic
	// stacks (synth with no AWS account).
	Account, Region string
	// AlertEmail is subscribed to the alerts topic (presence events) when set.
	AlertEmail string
	// AlertEvents are the presence event types AlertEmail receives.
	AlertEvents []presence.Type
	// OpsEmail is subscribed to the operations topic (alarms) when set; it defaults to
	// AlertEmail.
	OpsEmail string
	// CertificateArn is the ACM certificate that turns on HTTPS for the site when set.
	CertificateArn string
	// InstanceType of the web instances (a Graviton type).
	InstanceType string
	// MaxInstances is the most web instances scaling may run.
	MaxInstances int
	// MaxAzs is how many availability zones the VPC spans.
	MaxAzs int
	// SsmEndpoints adds the interface endpoints Session Manager needs (billed per hour).
	SsmEndpoints bool
	// ApiGatewayLogRole sets the region's API Gateway CloudWatch Logs role, which the
	// WebSocket stage's access logs need (see constructs.WebSocketApiProps.AccountLogRole).
	ApiGatewayLogRole bool
	// ThrottleRate and ThrottleBurst limit the WebSocket stage's requests per second.
	ThrottleRate  float64
	ThrottleBurst int
	// FunctionEnv are the settings every route function gets, as lambda/config reads them
	// (GRACE_PERIOD, ROOM_TTL, ALLOWED_ORIGINS, RATE_LIMIT_*, LOG_LEVEL).
	FunctionEnv map[string]string
}

// DefaultAlertEvents are the presence events mailed to alertEmail unless alertEvents says
// otherwise: a room abandoned by its host is worth a look; players coming and going are not.
var DefaultAlertEvents = []presence.Type{presence.RoomAbandoned}

// Defaults.
const (
	DefaultInstanceType  = "t4g.micro"
	DefaultMaxInstances  = 4
	DefaultMaxAzs        = 2
	DefaultThrottleRate  = 100
	DefaultThrottleBurst = 200
)

var (
	// ACM certificate ARNs, in any partition.
	certificateArnRE = regexp.MustCompile(`^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[A-Za-z0-9-]+$`)
	// Instance types as family.size, and the Graviton families among them: a "g" after the
	// generation digit (t4g, m7g, c6gn, r8gd, im4gn...), or the first Graviton, a1.
	instanceTypeRE = regexp.MustCompile(`^([a-z]+)(\d+)([a-z-]*)\.([a-z0-9]+)$`)
)

// FromContext reads and validates the settings from a CDK app's context (all of it, as
// app.Node().GetAllContext returns it) and the CDK CLI's environment variables (through
// getenv). The error lists every problem, each naming the key and what it takes.
func FromContext(ctx map[string]any, getenv func(string) string) (Config, error) {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("context %s: %s", key, fmt.Sprintf(format, args...)))
	}
	get := func(key string) (string, bool) {
		v, ok := ctx[key]
		if !ok || v == nil {
			return "", false
		}
		switch v := v.(type) {
		case string:
			return strings.TrimSpace(v), true
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64), true
		case bool:
			return strconv.FormatBool(v), true
		}
		bad(key, "%v is not a string, a number or a boolean", v)
		return "", false
	}
	integer := func(key string, def, min, max int) int {
		s, ok := get(key)
		if !ok {
			return def
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < min || n > max {
			bad(key, "%q is not a whole number from %d to %d", s, min, max)
			return def
		}
		return n
	}

	// A key differing from a known one only in case is a typo that would otherwise be
	// ignored silently (-c alertemail=... would subscribe nobody).
	for k := range ctx {
		for _, known := range knownKeys {
			if k != known && strings.EqualFold(k, known) {
				bad(k, "unknown key: did you mean %s?", known)
			}
		}
	}

	c := Config{Env: constructs.Dev, InstanceType: DefaultInstanceType, ThrottleRate: DefaultThrottleRate, ApiGatewayLogRole: true}
	if s, ok := get(KeyEnv); ok {
		env, err := constructs.ParseEnvironment(s)
		if err != nil {
			bad(KeyEnv, "%q is not dev or prod (dev deletes data with the stacks, prod retains it)", s)
		}
		c.Env = env
	}
	c.Account, c.Region = getenv("CDK_DEFAULT_ACCOUNT"), getenv("CDK_DEFAULT_REGION")
	if c.Account == "" || c.Region == "" {
		c.Account, c.Region = "", ""
	}
	email := func(key string) string {
		s, ok := get(key)
		if !ok || s == "" {
			return ""
		}
		if a, err := mail.ParseAddress(s); err != nil || a.Address != s {
			bad(key, "%q is not an email address like ops@example.com", s)
		}
		return s
	}
	c.AlertEmail = email(KeyAlertEmail)
	c.OpsEmail = email(KeyOpsEmail)
	if c.OpsEmail == "" {
		c.OpsEmail = c.AlertEmail
	}
	c.AlertEvents = append([]presence.Type(nil), DefaultAlertEvents...)
	if s, ok := get(KeyAlertEvents); ok {
		c.AlertEvents = alertEvents(KeyAlertEvents, s, bad)
	}
	if s, ok := get(KeyCertificateArn); ok && s != "" {
		if !certificateArnRE.MatchString(s) {
			bad(KeyCertificateArn, "%q is not an ACM certificate ARN like arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-...", s)
		} else if region := strings.Split(s, ":")[3]; c.Region != "" && region != c.Region {
			bad(KeyCertificateArn, "the certificate is in %s but the stacks deploy to %s: a load balancer needs a certificate from its own region", region, c.Region)
		}
		c.CertificateArn = s
	}
	if s, ok := get(KeyInstanceType); ok {
		m := instanceTypeRE.FindStringSubmatch(s)
		switch {
		case m == nil:
			bad(KeyInstanceType, "%q is not an EC2 instance type like t4g.small", s)
		case !(strings.Contains(m[3], "g") || m[1]+m[2] == "a1"):
			bad(KeyInstanceType, "%q is not a Graviton (arm64) type: the instances run arm64 Amazon Linux 2023, pick one such as t4g.micro, t4g.small or m7g.medium", s)
		}
		c.InstanceType = s
	}
	// At least 3: the group keeps its 2 instances in service during a rolling replacement by
	// adding one first, and CloudFormation requires MinInstancesInService below MaxSize.
	c.MaxInstances = integer(KeyMaxInstances, DefaultMaxInstances, 3, 100)
	c.MaxAzs = integer(KeyMaxAzs, DefaultMaxAzs, 2, 6)
	if c.MaxAzs > 2 && c.Region == "" {
		bad(KeyMaxAzs, "%d availability zones need a known account and region: environment-agnostic stacks span 2; set CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION (the CDK CLI does when it has credentials)", c.MaxAzs)
	}
	if s, ok := get(KeySsmEndpoints); ok {
		b, err := strconv.ParseBool(s)
		if err != nil {
			bad(KeySsmEndpoints, "%q is not true or false", s)
		}
		c.SsmEndpoints = b
	}
	if s, ok := get(KeyApiGatewayLogRole); ok {
		b, err := strconv.ParseBool(s)
		if err != nil {
			bad(KeyApiGatewayLogRole, "%q is not true or false (false when the account already sets API Gateway's CloudWatch Logs role)", s)
		}
		c.ApiGatewayLogRole = b
	}
	if s, ok := get(KeyThrottleRate); ok {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f <= 0 {
			bad(KeyThrottleRate, "%q is not a number of requests per second above 0", s)
		} else {
			c.ThrottleRate = f
		}
	}
	c.ThrottleBurst = integer(KeyThrottleBurst, DefaultThrottleBurst, 1, 1_000_000)

	c.FunctionEnv = functionEnv(get, bad)
	if _, err := config.FromEnv(func(k string) string { return c.FunctionEnv[k] }); err != nil {
		// Each key was checked above; this catches what only the pair reveals (a grace period
		// longer than a room's life) in the functions' own words.
		errs = append(errs, fmt.Errorf("context: the functions would refuse these settings: %w", err))
	}
	return c, errors.Join(dedupe(errs)...)
}

// functionEnv maps the function settings' context keys to the variables lambda/config reads.
func functionEnv(get func(string) (string, bool), bad func(key, format string, args ...any)) map[string]string {
	env := map[string]string{}
	duration := func(key, name string) {
		if s, ok := get(key); ok {
			if d, err := time.ParseDuration(s); err != nil || d <= 0 {
				bad(key, "%q is not a positive duration like 2m or 24h", s)
				return
			}
			env[name] = s
		}
	}
	duration(KeyGracePeriod, config.EnvGracePeriod)
	duration(KeyRoomTTL, config.EnvRoomTTL)
	if s, ok := get(KeyAllowedOrigins); ok && s != "" {
		var origins []string
		for _, o := range strings.Split(s, ",") {
			o = strings.TrimRight(strings.TrimSpace(o), "/")
			if u, err := url.Parse(o); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" {
				bad(KeyAllowedOrigins, "%q is not an origin like https://game.example.com", o)
				continue
			}
			origins = append(origins, o)
		}
		env[config.EnvAllowedOrigins] = strings.Join(origins, ",")
	}
	if s, ok := get(KeyRateLimitPerSecond); ok {
		if f, err := strconv.ParseFloat(s, 64); err != nil || f < 0 {
			bad(KeyRateLimitPerSecond, "%q is not a number of frames per second ≥ 0 (0 turns the limit off)", s)
		} else {
			env[config.EnvRatePerSecond] = s
		}
	}
	if s, ok := get(KeyRateLimitBurst); ok {
		if n, err := strconv.Atoi(s); err != nil || n < 1 {
			bad(KeyRateLimitBurst, "%q is not a whole number ≥ 1", s)
		} else {
			env[config.EnvRateBurst] = s
		}
	}
	if s, ok := get(KeyLogLevel); ok {
		switch strings.ToLower(s) {
		case "debug", "info", "warn", "error":
			env[config.EnvLogLevel] = strings.ToLower(s)
		default:
			bad(KeyLogLevel, "%q is not one of debug, info, warn, error", s)
		}
	}
	return env
}

// alertEvents reads a comma-separated list of presence event types (presence.Types()), each
// kept once, in the order given.
func alertEvents(key, s string, bad func(key, format string, args ...any)) []presence.Type {
	known := map[presence.Type]bool{}
	var names []string
	for _, t := range presence.Types() {
		known[t] = true
		names = append(names, string(t))
	}
	var out []presence.Type
	seen := map[presence.Type]bool{}
	unknown := false
	for _, f := range strings.Split(s, ",") {
		t := presence.Type(strings.TrimSpace(f))
		switch {
		case t == "":
		case !known[t]:
			unknown = true
			bad(key, "%q is not a presence event type: use one or more of %s, comma-separated", t, strings.Join(names, ", "))
		case !seen[t]:
			seen[t] = true
			out = append(out, t)
		}
	}
	if len(out) == 0 && !unknown {
		bad(key, "is empty: list the event types to mail, e.g. %s (to mail none, leave alertEmail unset)", presence.RoomAbandoned)
	}
	return out
}

// dedupe drops repeated messages (a typo'd key seen twice) and sorts them, so the error reads
// the same on every run.
func dedupe(errs []error) []error {
	seen := map[string]error{}
	for _, e := range errs {
		seen[e.Error()] = e
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]error, 0, len(keys))
	for _, k := range keys {
		out = append(out, seen[k])
	}
	return out
}
