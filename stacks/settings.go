package stacks

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/serverless-tictactoe/tictactoe/blocks"
	"github.com/serverless-tictactoe/tictactoe/lambda/capacity"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/lambda/presence/eventtype"
)

// setting is one row of the settings table: a context key and how its value, when given,
// goes into a Config. A function setting (env) becomes the route functions' environment
// variable of that name instead, which lambda/config validates. Rules between settings run
// after every row (settingrules.go). Adding a setting is a row here and a line in
// docs/deploy.md's table, which stacks/defaults_test.go holds to the code.
type setting struct {
	key  string
	env  string
	read func(r *reader, c *Config, key, s string)
}

// settings is every setting, in docs/deploy.md's order. The pipeline's keys are read
// together, by pipelineSettings.
var settings = []setting{
	{key: KeyEnv, read: func(r *reader, c *Config, key, s string) {
		l, err := blocks.ParseLifecycle(s)
		r.badErr(KeyEnv, err)
		c.Lifecycle = l
	}},
	{key: KeyAlertEmail, read: email(func(c *Config) *string { return &c.AlertEmail })},
	{key: KeyAlertEvents, read: func(r *reader, c *Config, key, s string) {
		events, err := eventtype.ParseList(s)
		if err != nil {
			r.bad(KeyAlertEvents, "%v (to mail none, leave alertEmail unset)", err)
		}
		c.AlertEvents = events
	}},
	{key: KeyOpsEmail, read: email(func(c *Config) *string { return &c.OpsEmail })},
	{key: KeyCertificateArn, read: nonEmpty(func(r *reader, c *Config, key, s string) {
		c.CertificateArn = s
		if !certificateArnRE.MatchString(s) {
			r.bad(KeyCertificateArn, "%q is not an ACM certificate ARN like arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-...", s)
		}
	})},
	{key: KeyInstanceType, read: func(r *reader, c *Config, key, s string) {
		_, err := blocks.ParseInstanceType(s)
		r.badErr(KeyInstanceType, err)
		c.InstanceType = s
	}},
	{key: KeyMaxInstances, read: number(whole, func(c *Config) **float64 { return &c.MaxInstances }, func(n float64) error {
		if n > maxMaxInstances {
			return fmt.Errorf("%v is more than %d instances", n, maxMaxInstances)
		}
		return blocks.ValidateCapacity(blocks.DefaultMinCapacity, n)
	})},
	{key: KeyMaxAzs, read: number(whole, func(c *Config) **float64 { return &c.MaxAzs }, blocks.ValidateMaxAzs)},
	{key: KeyAvailabilityZones}, // read with the Regions (zoneRules)
	{key: KeySsmEndpoints, read: flag(func(c *Config) **bool { return &c.SsmEndpoints }, "")},
	{key: KeyThrottleRate, read: number(decimal, func(c *Config) **float64 { return &c.ThrottleRate }, nil)},
	{key: KeyThrottleBurst, read: number(whole, func(c *Config) **float64 { return &c.ThrottleBurst }, nil)},
	{key: KeyAllowedOrigins, env: config.EnvAllowedOrigins},
	{key: KeyLogLevel, env: config.EnvLogLevel},
	{key: KeyGracePeriod, env: config.EnvGracePeriod},
	{key: KeyRoomTTL, env: config.EnvRoomTTL},
	{key: KeyMoveTimeout, env: config.EnvMoveTimeout},
	{key: KeyRateLimitPerSecond, env: config.EnvRatePerSecond},
	{key: KeyRateLimitBurst, env: config.EnvRateBurst},
	{key: KeyAddressStrikes, env: config.EnvAddressStrikes},
	{key: KeyAddressFrames, env: config.EnvAddressFrames},
	{key: KeyTraceRate, env: config.EnvTraceSampleRate},
	{key: KeyActiveTracing, read: flag(func(c *Config) **bool { return &c.ActiveTracing }, " (true has Lambda sample the game function itself: docs/tracing.md)")},
	{key: KeyApiGatewayLogRole, read: flag(func(c *Config) **bool { return &c.ApiGatewayLogRole }, " (false when the account already sets API Gateway's CloudWatch Logs role)")},
	{key: KeyCloudFront, read: flag(func(c *Config) **bool { return &c.CloudFront }, " (false serves the site from an internet-facing load balancer)")},
	{key: KeyDomainName, read: nonEmpty(func(r *reader, c *Config, key, s string) {
		s = strings.TrimSuffix(strings.ToLower(s), ".")
		if len(s) > 253 || !domainNameRE.MatchString(s) {
			r.bad(KeyDomainName, "%q is not a domain name like play.example.com", s)
		}
		c.DomainName = s
	})},
	{key: KeyHostedZoneId, read: nonEmpty(func(r *reader, c *Config, key, s string) {
		if !hostedZoneIdRE.MatchString(s) {
			r.bad(KeyHostedZoneId, "%q is not a Route 53 hosted zone ID like Z0123456789ABCDEFGHIJ", s)
		}
		c.HostedZoneId = s
	})},
	{key: KeyWaf, read: flag(func(c *Config) **bool { return &c.Waf }, "")},
	{key: KeyTableKey, read: flag(func(c *Config) **bool { return &c.TableKey }, "")},
	{key: KeyGames, read: number(whole, func(c *Config) **float64 { return &c.Games }, func(n float64) error {
		return capacity.Model{Games: int(n)}.Validate()
	})},
	{key: KeyReservedConcurrency, read: func(r *reader, c *Config, key, s string) {
		// Only the words: ParseBool would read "0" and "1" as booleans, not as numbers.
		if b := strings.ToLower(s); b == "true" || b == "false" {
			yes := b == "true"
			c.ReserveConcurrency = &yes
		} else if n, err := strconv.Atoi(s); err == nil && n >= 1 && n <= maxReservedConcurrency {
			f, yes := float64(n), true
			c.ReservedConcurrency, c.ReserveConcurrency = &f, &yes
		} else {
			r.bad(KeyReservedConcurrency, "%q is not true, false or a whole number of executions from 1 to %d (true reserves the capacity model's)", s, maxReservedConcurrency)
		}
	}},
	{key: KeyPipeline},
	{key: KeyRepository},
	{key: KeyBranch},
	{key: KeyConnectionArn},
	{key: KeyProdAccount},
	{key: KeyGitHubRepository, read: nonEmpty(func(r *reader, c *Config, key, s string) {
		if !repositoryRE.MatchString(s) {
			r.bad(KeyGitHubRepository, "%q is not a GitHub repository like owner/name", s)
		}
		c.GitHub = &GitHubSettings{Repository: s}
	})},
	{key: KeyGitHubOidcProviderArn}, // needs the repository (githubRules)
	{key: KeyRegions, read: nonEmpty(func(r *reader, c *Config, key, s string) {
		for _, region := range strings.Split(s, ",") {
			region = strings.TrimSpace(region)
			switch {
			case !awsRegionRE.MatchString(region):
				r.bad(KeyRegions, "%q is not an AWS Region like us-east-1", region)
			case slices.Contains(c.Regions, region):
				r.bad(KeyRegions, "%s is listed twice", region)
			default:
				c.Regions = append(c.Regions, region)
			}
		}
	})},
}

// knownKeys are the settings' keys, in the table's order.
var knownKeys = func() []string {
	keys := make([]string, len(settings))
	for i, s := range settings {
		keys[i] = s.key
	}
	return keys
}()

// FromContext reads and validates the settings from a CDK app's context (all of it, as
// app.Node().GetAllContext returns it) and the CDK CLI's environment variables (through
// getenv): each row of the table, then the rules between them. Each rule is checked by its
// owner (a construct's validator, lambda/config, eventtype); the error lists every problem,
// each naming the key.
func FromContext(ctx map[string]any, getenv func(string) string) (Config, error) {
	r := &reader{ctx: ctx}
	r.errs = append(r.errs, unknownKeys(ctx)...)
	if _, ok := ctx[removedConnectionsPerSource]; ok {
		r.bad(removedConnectionsPerSource, "is no longer a setting: an address's open connections are not counted (docs/capacity.md); %s sets what its probing may cost (0 turns it off)", KeyAddressStrikes)
	}
	c := Config{Lifecycle: DefaultLifecycle, Given: map[string]string{}}
	c.Account, c.Region = getenv("CDK_DEFAULT_ACCOUNT"), getenv("CDK_DEFAULT_REGION")
	if c.Account == "" || c.Region == "" {
		c.Account, c.Region = "", ""
	}
	for _, s := range settings {
		v, ok := r.get(s.key)
		if !ok {
			continue
		}
		c.Given[s.key] = v
		if s.read != nil {
			s.read(r, &c, s.key, v)
		}
	}
	if c.OpsEmail == "" {
		c.OpsEmail = c.AlertEmail
	}
	accountRules(r, &c)
	edgeRules(r, &c)
	sizeRules(r, &c)
	regionRules(r, &c)
	c.Pipeline = pipelineSettings(r, c)
	githubRules(r, &c)
	env, valid := functionEnv(r)
	c.FunctionEnv = env
	originRules(r, c, valid)
	return c, errors.Join(dedupe(r.errs)...)
}

// reader reads settings from a CDK app's context and collects every problem.
type reader struct {
	ctx  map[string]any
	errs []error
}

func (r *reader) bad(key, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("context %s: %s", key, fmt.Sprintf(format, args...)))
}

func (r *reader) badErr(key string, err error) {
	if err != nil {
		r.bad(key, "%v", err)
	}
}

// get is key's value as a string, if it is given and is a string, a number or a boolean.
func (r *reader) get(key string) (string, bool) {
	v, ok := r.ctx[key]
	if !ok || v == nil {
		return "", false
	}
	if s, ok := contextString(v); ok {
		return s, true
	}
	r.bad(key, "%v is not a string, a number or a boolean", v)
	return "", false
}

// needsAccount reports that key's setting needs the account and Region at synth: what needs
// them, and why.
func (r *reader) needsAccount(key, what, why string) {
	r.bad(key, "%s needs a known account and region (%s): set CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION (the CDK CLI does when it has credentials)", what, why)
}

// The settings' kinds, as rows read them.

// nonEmpty reads a value only when it is not empty: an empty one leaves the setting unset.
func nonEmpty(read func(r *reader, c *Config, key, s string)) func(r *reader, c *Config, key, s string) {
	return func(r *reader, c *Config, key, s string) {
		if s != "" {
			read(r, c, key, s)
		}
	}
}

func email(field func(*Config) *string) func(r *reader, c *Config, key, s string) {
	return nonEmpty(func(r *reader, c *Config, key, s string) {
		*field(c) = s
		if err := blocks.ValidateEmail(s); err != nil {
			r.bad(key, "%v", err)
		}
	})
}

func flag(field func(*Config) **bool, hint string) func(r *reader, c *Config, key, s string) {
	return func(r *reader, c *Config, key, s string) {
		b, err := strconv.ParseBool(s)
		if err != nil {
			r.bad(key, "%q is not true or false%s", s, hint)
			return
		}
		*field(c) = &b
	}
}

func number(parse func(string) (float64, error), field func(*Config) **float64, check func(float64) error) func(r *reader, c *Config, key, s string) {
	return func(r *reader, c *Config, key, s string) {
		f, err := parse(s)
		if err != nil {
			r.bad(key, "%q %v", s, err)
			return
		}
		*field(c) = &f
		if check != nil {
			r.badErr(key, check(f))
		}
	}
}

func whole(s string) (float64, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, errors.New("is not a whole number")
	}
	return float64(n), nil
}

func decimal(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, errors.New("is not a number")
	}
	return f, nil
}
