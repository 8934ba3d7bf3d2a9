// Package stacks holds the game's CloudFormation stacks, one per file: each wires constructs
// from package constructs and exposes what other stacks need as CDK interfaces. NewDeployment
// composes them; Config is what a deployer chose through CDK context (-c key=value or
// cdk.json). A setting the deployer left out stays unset here: the construct or function that
// applies it owns its default.
package stacks

import (
	"errors"
	"fmt"
	"github.com/serverless-tictactoe/tictactoe/lambda/capacity"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/serverless-tictactoe/tictactoe/constructs"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/lambda/presence/eventtype"
)

// Context keys: the deployer's settings (docs/deploy.md lists them with examples).
const (
	KeyEnv                 = "env"
	KeyAlertEmail          = "alertEmail"
	KeyAlertEvents         = "alertEvents"
	KeyOpsEmail            = "opsEmail"
	KeyCertificateArn      = "certificateArn"
	KeyInstanceType        = "instanceType"
	KeyMaxInstances        = "maxInstances"
	KeyMaxAzs              = "maxAzs"
	KeyAvailabilityZones   = "availabilityZones"
	KeySsmEndpoints        = "ssmEndpoints"
	KeyThrottleRate        = "throttleRate"
	KeyThrottleBurst       = "throttleBurst"
	KeyAllowedOrigins      = "allowedOrigins"
	KeyLogLevel            = "logLevel"
	KeyGracePeriod         = "gracePeriod"
	KeyRoomTTL             = "roomTtl"
	KeyRateLimitPerSecond  = "rateLimitPerSecond"
	KeyRateLimitBurst      = "rateLimitBurst"
	KeyApiGatewayLogRole   = "apiGatewayLogRole"
	KeyCloudFront          = "cloudFront"
	KeyDomainName          = "domainName"
	KeyHostedZoneId        = "hostedZoneId"
	KeyWaf                 = "waf"
	KeyTableKey            = "tableKey"
	KeyGames               = "games"
	KeyReservedConcurrency = "reservedConcurrency"
	KeyAddressStrikes      = "addressStrikes"
	// The delivery pipeline's (docs/pipeline.md).
	KeyPipeline      = "pipeline"
	KeyRepository    = "repository"
	KeyBranch        = "branch"
	KeyConnectionArn = "connectionArn"
	KeyProdAccount   = "prodAccount"
	// The role GitHub's deploy workflow assumes (docs/pipeline.md).
	KeyGitHubRepository      = "githubRepository"
	KeyGitHubOidcProviderArn = "githubOidcProviderArn"
	// KeyRegions deploys to several Regions, the first the primary (docs/regions.md).
	KeyRegions = "regions"
)

// functionKeys are the settings that become every route function's environment variables,
// read and validated by lambda/config.
var functionKeys = map[string]string{
	KeyAllowedOrigins:     config.EnvAllowedOrigins,
	KeyLogLevel:           config.EnvLogLevel,
	KeyGracePeriod:        config.EnvGracePeriod,
	KeyRoomTTL:            config.EnvRoomTTL,
	KeyRateLimitPerSecond: config.EnvRatePerSecond,
	KeyRateLimitBurst:     config.EnvRateBurst,
	KeyAddressStrikes:     config.EnvAddressStrikes,
}

// removedConnectionsPerSource was a setting: a deployment still passing it is told what
// replaced it rather than ignored.
const removedConnectionsPerSource = "connectionsPerSource"

var knownKeys = []string{KeyEnv, KeyAlertEmail, KeyAlertEvents, KeyOpsEmail, KeyCertificateArn, KeyInstanceType, KeyMaxInstances,
	KeyMaxAzs, KeyAvailabilityZones, KeySsmEndpoints, KeyThrottleRate, KeyThrottleBurst, KeyAllowedOrigins, KeyLogLevel,
	KeyGracePeriod, KeyRoomTTL, KeyRateLimitPerSecond, KeyRateLimitBurst, KeyApiGatewayLogRole,
	KeyCloudFront, KeyDomainName, KeyHostedZoneId, KeyWaf, KeyTableKey, KeyGames, KeyReservedConcurrency, KeyAddressStrikes,
	KeyPipeline, KeyRepository, KeyBranch, KeyConnectionArn, KeyProdAccount, KeyGitHubRepository, KeyGitHubOidcProviderArn, KeyRegions}

// DefaultLifecycle is the lifecycle of a deployment whose env is not set.
const DefaultLifecycle = constructs.Dev

// Config is one deployment's settings, validated. Nil and empty fields are unset.
type Config struct {
	// Lifecycle is dev (data deleted with the stacks) or prod (data retained, deletion
	// protection), from the env key. Default: DefaultLifecycle.
	Lifecycle constructs.Lifecycle
	// Account and Region are where the stacks deploy; both empty for environment-agnostic
	// stacks (synth with no AWS account).
	Account, Region string
	// AlertEmail is subscribed to the alerts topic (presence events) when set.
	AlertEmail string
	// AlertEvents are the presence event types AlertEmail receives. Default: the Alerts
	// stack's.
	AlertEvents []eventtype.Type
	// OpsEmail is subscribed to the operations topic (alarms) when set; it defaults to
	// AlertEmail.
	OpsEmail string
	// CloudFront puts the site and its socket behind a CloudFront distribution, the load
	// balancer internal; false serves the site from an internet-facing load balancer, as
	// before the distribution. Default (nil): true.
	CloudFront *bool
	// DomainName is the deployment's own name (play.example.com) on the distribution. With
	// HostedZoneId, the certificate and the alias records are made; with CertificateArn alone,
	// the deployer points the name at the distribution.
	DomainName string
	// HostedZoneId is the Route 53 public hosted zone DomainName belongs to.
	HostedZoneId string
	// Waf puts a web application firewall on the distribution. Default (nil): on in prod,
	// off in dev.
	Waf *bool
	// TableKey encrypts the game table with a customer managed KMS key instead of the AWS
	// managed one. Default (nil): off.
	TableKey *bool
	// CertificateArn is an ACM certificate made elsewhere: for DomainName on the distribution
	// (in us-east-1), or for the internet-facing load balancer (in the stacks' region).
	CertificateArn string
	// InstanceType of the web instances (a Graviton type).
	InstanceType string
	// MaxInstances is the most web instances scaling may run.
	MaxInstances *float64
	// MaxAzs is how many availability zones the VPC spans.
	MaxAzs *float64
	// Zones names the availability zones a Region's VPC spans, by Region, where the deployer
	// chose them (availabilityZones); a Region without uses its first MaxAzs.
	Zones map[string][]string
	// SsmEndpoints adds the interface endpoints Session Manager needs (billed per hour).
	SsmEndpoints *bool
	// ApiGatewayLogRole sets the region's API Gateway CloudWatch Logs role, which the
	// WebSocket stage's access logs need (see constructs.WebSocketApiProps.AccountLogRole).
	ApiGatewayLogRole *bool
	// Games is how many concurrent games the deployment is sized for (lambda/capacity): the
	// stage's throttle, $connect's and the game function's reserved concurrency follow from
	// it. Default (nil): capacity.DefaultGames; at most capacity.MaxGames(), what one account
	// serves in a Region within API Gateway's account-level quotas.
	Games *float64
	// ThrottleRate and ThrottleBurst override the stage's throttle the capacity model sets.
	ThrottleRate, ThrottleBurst *float64
	// ReserveConcurrency reserves the game function's concurrency: ReservedConcurrency when
	// set, else the capacity model's. Default (nil): none, in prod too, as a fresh account's
	// quota may be too low for any reservation and the deploy would fail late
	// (docs/capacity.md).
	ReserveConcurrency  *bool
	ReservedConcurrency *float64
	// FunctionEnv are the settings every route function gets, as lambda/config reads them
	// (GRACE_PERIOD, ROOM_TTL, ALLOWED_ORIGINS, RATE_LIMIT_*, LOG_LEVEL): only those set.
	FunctionEnv map[string]string
	// Pipeline, when set, makes the app the delivery pipeline that deploys these settings to
	// a Dev and a Prod stage (stacks/pipeline.go) instead of the stacks themselves.
	Pipeline *PipelineSettings
	// Regions are the Regions of a multi-Region deployment, the primary (Region) first; empty
	// for one Region (docs/regions.md).
	Regions []string
	// GitHub, when set, adds the role GitHub's deploy workflow assumes (stacks/githubdeploy.go).
	GitHub *GitHubSettings
	// Given are the settings as the deployer gave them (known keys only), for the pipeline's
	// synth step to give the app again.
	Given map[string]string
}

// PipelineSettings are the delivery pipeline's own settings.
type PipelineSettings struct {
	// Repository is the GitHub (or GitLab, Bitbucket) repository, owner/name.
	Repository string
	// Branch is the branch the pipeline follows. Default: DefaultBranch.
	Branch string
	// ConnectionArn is the AWS CodeConnections connection to the repository's host.
	ConnectionArn string
	// ProdAccount is the account of the Prod stage; empty for the pipeline's own account.
	ProdAccount string
}

// GitHubSettings are the deploy role's.
type GitHubSettings struct {
	// Repository is owner/name, whose dev and prod environments may assume the role.
	Repository string
	// ProviderArn is the account's OIDC provider for GitHub; empty for the conventional one.
	ProviderArn string
}

// awsRegionRE is an AWS Region's name.
var awsRegionRE = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-\d+$`)

// maxRegions bounds regions: each Region is a whole deployment to pay for.
const maxRegions = 5

// DefaultBranch is the branch a pipeline follows when the deployer names none.
const DefaultBranch = "main"

// Capacity is the capacity model the deployment is sized by.
func (c Config) Capacity() capacity.Model {
	if c.Games == nil {
		return capacity.Default()
	}
	return capacity.Model{Games: int(*c.Games)}
}

// StageThrottle is the stage's rate and burst: the settings', else the capacity model's.
func (c Config) StageThrottle() (rate, burst float64) {
	rate, burst = c.Capacity().StageRate(), c.Capacity().StageBurst()
	if c.ThrottleRate != nil {
		rate = *c.ThrottleRate
	}
	if c.ThrottleBurst != nil {
		burst = *c.ThrottleBurst
	}
	return rate, burst
}

// GameConcurrency is the game function's reserved concurrency, or nil for none.
func (c Config) GameConcurrency() *float64 {
	switch {
	case c.ReserveConcurrency == nil || !*c.ReserveConcurrency:
		return nil
	case c.ReservedConcurrency != nil:
		return c.ReservedConcurrency
	}
	n := float64(c.Capacity().GameConcurrency())
	return &n
}

// UsesCloudFront reports whether the site is behind the distribution (CloudFront's default).
func (c Config) UsesCloudFront() bool { return c.CloudFront == nil || *c.CloudFront }

// UsesWaf reports whether the distribution gets a web application firewall: Waf, else on in
// prod; never without the distribution.
func (c Config) UsesWaf() bool {
	if !c.UsesCloudFront() {
		return false
	}
	if c.Waf != nil {
		return *c.Waf
	}
	return c.Lifecycle.IsProd()
}

// EdgeRegion is where CloudFront takes its certificates and web ACLs from.
const EdgeRegion = "us-east-1"

// domainNameRE is a DNS name of two labels or more, as Route 53 and ACM take it (lower case,
// no trailing dot, no wildcard).
var domainNameRE = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)

// hostedZoneIdRE is a Route 53 hosted zone ID.
var hostedZoneIdRE = regexp.MustCompile(`^Z[A-Z0-9]{1,31}$`)

// ACM certificate ARNs, in any partition.
var certificateArnRE = regexp.MustCompile(`^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[A-Za-z0-9-]+$`)

// The pipeline's settings' forms.
var (
	repositoryRE    = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	branchRE        = regexp.MustCompile(`^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$`)
	connectionArnRE = regexp.MustCompile(`^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection/[A-Za-z0-9-]+$`)
	accountRE       = regexp.MustCompile(`^\d{12}$`)
	oidcProviderRE  = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/` + regexp.QuoteMeta(GitHubTokenHost) + `$`)
)

// maxReservedConcurrency bounds reservedConcurrency: Lambda's default Regional quota is 1,000,
// of which 100 stay unreserved.
const maxReservedConcurrency = 900

// maxMaxInstances bounds maxInstances: a typo (4000) should not reach an account.
const maxMaxInstances = 100

// FromContext reads and validates the settings from a CDK app's context (all of it, as
// app.Node().GetAllContext returns it) and the CDK CLI's environment variables (through
// getenv). Each rule is checked by its owner (a construct's validator, lambda/config,
// eventtype); the error lists every problem, each naming the key.
func FromContext(ctx map[string]any, getenv func(string) string) (Config, error) {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("context %s: %s", key, fmt.Sprintf(format, args...)))
	}
	badErr := func(key string, err error) {
		if err != nil {
			bad(key, "%v", err)
		}
	}
	get := func(key string) (string, bool) {
		v, ok := ctx[key]
		if !ok || v == nil {
			return "", false
		}
		if s, ok := contextString(v); ok {
			return s, true
		}
		bad(key, "%v is not a string, a number or a boolean", v)
		return "", false
	}
	number := func(key string, parse func(string) (float64, error)) *float64 {
		s, ok := get(key)
		if !ok {
			return nil
		}
		f, err := parse(s)
		if err != nil {
			bad(key, "%q %v", s, err)
			return nil
		}
		return &f
	}
	whole := func(s string) (float64, error) {
		n, err := strconv.Atoi(s)
		if err != nil {
			return 0, errors.New("is not a whole number")
		}
		return float64(n), nil
	}
	decimal := func(s string) (float64, error) {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, errors.New("is not a number")
		}
		return f, nil
	}
	boolean := func(key, hint string) *bool {
		s, ok := get(key)
		if !ok {
			return nil
		}
		b, err := strconv.ParseBool(s)
		if err != nil {
			bad(key, "%q is not true or false%s", s, hint)
			return nil
		}
		return &b
	}

	errs = append(errs, unknownKeys(ctx)...)

	if _, ok := ctx[removedConnectionsPerSource]; ok {
		bad(removedConnectionsPerSource, "is no longer a setting: an address's open connections are not counted (docs/capacity.md); %s sets what its probing may cost (0 turns it off)", KeyAddressStrikes)
	}

	c := Config{Lifecycle: DefaultLifecycle}
	if s, ok := get(KeyEnv); ok {
		l, err := constructs.ParseLifecycle(s)
		badErr(KeyEnv, err)
		c.Lifecycle = l
	}
	c.Account, c.Region = getenv("CDK_DEFAULT_ACCOUNT"), getenv("CDK_DEFAULT_REGION")
	if c.Account == "" || c.Region == "" {
		c.Account, c.Region = "", ""
	}
	email := func(key string) string {
		s, _ := get(key)
		if s != "" {
			badErr(key, constructs.ValidateEmail(s))
		}
		return s
	}
	c.AlertEmail = email(KeyAlertEmail)
	c.OpsEmail = email(KeyOpsEmail)
	if c.OpsEmail == "" {
		c.OpsEmail = c.AlertEmail
	}
	if s, ok := get(KeyAlertEvents); ok {
		events, err := eventtype.ParseList(s)
		if err != nil {
			bad(KeyAlertEvents, "%v (to mail none, leave alertEmail unset)", err)
		}
		c.AlertEvents = events
	}
	c.CloudFront = boolean(KeyCloudFront, " (false serves the site from an internet-facing load balancer)")
	c.Waf = boolean(KeyWaf, "")
	c.TableKey = boolean(KeyTableKey, "")
	if c.TableKey != nil && *c.TableKey && c.Region == "" {
		bad(KeyTableKey, "a customer managed key for the global table needs a known account and region (CDK renders the key per replica Region): set CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION (the CDK CLI does when it has credentials)")
	}
	if s, ok := get(KeyDomainName); ok && s != "" {
		s = strings.TrimSuffix(strings.ToLower(s), ".")
		if len(s) > 253 || !domainNameRE.MatchString(s) {
			bad(KeyDomainName, "%q is not a domain name like play.example.com", s)
		}
		c.DomainName = s
	}
	if s, ok := get(KeyHostedZoneId); ok && s != "" {
		if !hostedZoneIdRE.MatchString(s) {
			bad(KeyHostedZoneId, "%q is not a Route 53 hosted zone ID like Z0123456789ABCDEFGHIJ", s)
		}
		c.HostedZoneId = s
		if c.DomainName == "" {
			bad(KeyHostedZoneId, "needs domainName: the name to make records for in the zone")
		}
	}
	if s, ok := get(KeyCertificateArn); ok && s != "" {
		c.CertificateArn = s
		region := ""
		if !certificateArnRE.MatchString(s) {
			bad(KeyCertificateArn, "%q is not an ACM certificate ARN like arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-...", s)
		} else {
			region = strings.Split(s, ":")[3]
		}
		switch {
		case region == "":
		case c.UsesCloudFront() && region != EdgeRegion:
			bad(KeyCertificateArn, "the certificate is in %s: CloudFront takes certificates from %s only (or set cloudFront=false to put it on the load balancer)", region, EdgeRegion)
		case c.UsesCloudFront() && c.DomainName == "":
			bad(KeyCertificateArn, "needs domainName: the name the certificate covers, served by the distribution")
		case !c.UsesCloudFront() && c.Region != "" && region != c.Region:
			bad(KeyCertificateArn, "the certificate is in %s but the stacks deploy to %s: a load balancer needs a certificate from its own region", region, c.Region)
		}
	}
	if !c.UsesCloudFront() {
		for key, set := range map[string]bool{KeyDomainName: c.DomainName != "", KeyHostedZoneId: c.HostedZoneId != "", KeyWaf: c.Waf != nil && *c.Waf} {
			if set {
				bad(key, "needs the CloudFront distribution, which cloudFront=false turns off (with a direct load balancer, point your DNS at it and give certificateArn)")
			}
		}
	}
	if c.UsesCloudFront() && c.DomainName != "" && c.HostedZoneId == "" && c.CertificateArn == "" {
		bad(KeyDomainName, "needs hostedZoneId (the certificate and records are made in that zone) or certificateArn (a us-east-1 certificate you made; you then point the name at the distribution)")
	}
	if s, ok := get(KeyInstanceType); ok {
		_, err := constructs.ParseInstanceType(s)
		badErr(KeyInstanceType, err)
		c.InstanceType = s
	}
	if c.MaxInstances = number(KeyMaxInstances, whole); c.MaxInstances != nil {
		if *c.MaxInstances > maxMaxInstances {
			bad(KeyMaxInstances, "%v is more than %d instances", *c.MaxInstances, maxMaxInstances)
		}
		badErr(KeyMaxInstances, constructs.ValidateCapacity(constructs.DefaultMinCapacity, *c.MaxInstances))
	}
	if c.MaxAzs = number(KeyMaxAzs, whole); c.MaxAzs != nil {
		badErr(KeyMaxAzs, constructs.ValidateMaxAzs(*c.MaxAzs))
		if *c.MaxAzs > 2 && c.Region == "" {
			bad(KeyMaxAzs, "%v availability zones need a known account and region: environment-agnostic stacks span 2; set CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION (the CDK CLI does when it has credentials)", *c.MaxAzs)
		}
	}
	c.SsmEndpoints = boolean(KeySsmEndpoints, "")
	c.ApiGatewayLogRole = boolean(KeyApiGatewayLogRole, " (false when the account already sets API Gateway's CloudWatch Logs role)")
	if c.Games = number(KeyGames, whole); c.Games != nil {
		badErr(KeyGames, capacity.Model{Games: int(*c.Games)}.Validate())
	}
	c.ThrottleRate = number(KeyThrottleRate, decimal)
	c.ThrottleBurst = number(KeyThrottleBurst, whole)
	if c.ThrottleRate != nil || c.ThrottleBurst != nil {
		key := KeyThrottleRate
		if c.ThrottleRate == nil {
			key = KeyThrottleBurst
		}
		badErr(key, constructs.ValidateThrottle(c.StageThrottle()))
		if c.ThrottleRate != nil {
			badErr(KeyThrottleRate, c.Capacity().ValidateStageRate(*c.ThrottleRate))
		}
	}
	if s, ok := get(KeyReservedConcurrency); ok {
		// Only the words: ParseBool would read "0" and "1" as booleans, not as numbers.
		if b := strings.ToLower(s); b == "true" || b == "false" {
			yes := b == "true"
			c.ReserveConcurrency = &yes
		} else if n, err := strconv.Atoi(s); err == nil && n >= 1 && n <= maxReservedConcurrency {
			f, yes := float64(n), true
			c.ReservedConcurrency, c.ReserveConcurrency = &f, &yes
		} else {
			bad(KeyReservedConcurrency, "%q is not true, false or a whole number of executions from 1 to %d (true reserves the capacity model's)", s, maxReservedConcurrency)
		}
	}

	c.Given = map[string]string{}
	for _, k := range knownKeys {
		if v, ok := get(k); ok {
			c.Given[k] = v
		}
	}
	if s, ok := get(KeyRegions); ok && s != "" {
		for _, r := range strings.Split(s, ",") {
			r = strings.TrimSpace(r)
			switch {
			case !awsRegionRE.MatchString(r):
				bad(KeyRegions, "%q is not an AWS Region like us-east-1", r)
			case slices.Contains(c.Regions, r):
				bad(KeyRegions, "%s is listed twice", r)
			default:
				c.Regions = append(c.Regions, r)
			}
		}
		switch {
		case len(c.Regions) == 1:
			bad(KeyRegions, "lists one Region: for one, leave regions unset (the stacks go to CDK_DEFAULT_REGION)")
		case len(c.Regions) > maxRegions:
			bad(KeyRegions, "lists %d Regions, more than %d", len(c.Regions), maxRegions)
		case c.Account == "":
			bad(KeyRegions, "a multi-Region deployment needs a known account (its stacks name their Regions): set CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION (the CDK CLI does when it has credentials)")
		}
		if c.TableKey != nil && *c.TableKey {
			bad(KeyRegions, "tableKey is not supported with several Regions yet: each replica would need a key of its own Region")
		}
		if len(c.Regions) > 1 && c.Account != "" {
			c.Region = c.Regions[0] // the primary
		}
	}
	if s, ok := get(KeyAvailabilityZones); ok && s != "" {
		c.Zones = zonesByRegion(s, c, bad)
	}
	c.Pipeline = pipelineSettings(get, boolean, bad, c)
	if repo, _ := get(KeyGitHubRepository); repo != "" {
		if !repositoryRE.MatchString(repo) {
			bad(KeyGitHubRepository, "%q is not a GitHub repository like owner/name", repo)
		}
		c.GitHub = &GitHubSettings{Repository: repo}
	}
	if arn, _ := get(KeyGitHubOidcProviderArn); arn != "" {
		switch {
		case !oidcProviderRE.MatchString(arn):
			bad(KeyGitHubOidcProviderArn, "%q is not the ARN of an OIDC provider for %s like arn:aws:iam::123456789012:oidc-provider/%s", arn, GitHubTokenHost, GitHubTokenHost)
		case c.GitHub == nil:
			bad(KeyGitHubOidcProviderArn, "needs githubRepository: the repository whose workflows may assume the role")
		default:
			c.GitHub.ProviderArn = arn
		}
	}

	env, err := functionEnv(get)
	errs = append(errs, err...)
	c.FunctionEnv = env
	// Behind the distribution a list replaces the same-site rule: one without the domain would
	// refuse every player on it.
	if list, ok := env[config.EnvAllowedOrigins]; ok && len(err) == 0 && c.UsesCloudFront() && c.DomainName != "" &&
		!slices.Contains(strings.Split(list, ","), "https://"+c.DomainName) {
		bad(KeyAllowedOrigins, "lacks https://%s: behind the distribution the list replaces the same-site rule, so players on your domain would be refused (leave allowedOrigins unset to accept the site's own pages)", c.DomainName)
	}
	return c, errors.Join(dedupe(errs)...)
}

// zoneRE is an availability zone's name: its Region's and a letter.
var zoneRE = regexp.MustCompile(`^([a-z]{2}(-gov)?-[a-z]+-\d+)[a-z]$`)

// zonesByRegion reads availabilityZones: zone names, each of one of the deployment's Regions,
// grouped by Region. A Region's zones replace its first maxAzs, so the two must agree.
func zonesByRegion(s string, c Config, bad func(key, format string, args ...any)) map[string][]string {
	regions := c.Regions
	if len(regions) == 0 && c.Region != "" {
		regions = []string{c.Region}
	}
	if len(regions) == 0 {
		bad(KeyAvailabilityZones, "naming zones needs a known account and region (a zone belongs to one Region): set CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION (the CDK CLI does when it has credentials)")
		return nil
	}
	zones := map[string][]string{}
	for _, z := range strings.Split(s, ",") {
		z = strings.TrimSpace(z)
		m := zoneRE.FindStringSubmatch(z)
		switch {
		case m == nil:
			bad(KeyAvailabilityZones, "%q is not an availability zone's name like us-east-1b", z)
		case !slices.Contains(regions, m[1]):
			bad(KeyAvailabilityZones, "%s is in %s, which this deployment does not use (%s)", z, m[1], strings.Join(regions, ", "))
		case slices.Contains(zones[m[1]], z):
			bad(KeyAvailabilityZones, "%s is listed twice", z)
		default:
			zones[m[1]] = append(zones[m[1]], z)
		}
	}
	for _, r := range regions {
		n := len(zones[r])
		if n == 0 {
			continue
		}
		if err := constructs.ValidateMaxAzs(float64(n)); err != nil {
			bad(KeyAvailabilityZones, "%s: %v", r, err)
		}
		if c.MaxAzs != nil && *c.MaxAzs != float64(n) {
			bad(KeyAvailabilityZones, "names %d zones in %s but maxAzs is %v: leave maxAzs unset (the zones named decide)", n, r, *c.MaxAzs)
		}
	}
	return zones
}

// pipelineSettings reads the pipeline's keys: all or none of them, with pipeline=true.
func pipelineSettings(get func(string) (string, bool), boolean func(key, hint string) *bool, bad func(key, format string, args ...any), c Config) *PipelineSettings {
	_, given := get(KeyPipeline)
	on := boolean(KeyPipeline, "")
	p := &PipelineSettings{Branch: DefaultBranch}
	for _, f := range []struct {
		key, form, example string
		re                 *regexp.Regexp
		to                 *string
	}{
		{KeyRepository, "a repository", "owner/name", repositoryRE, &p.Repository},
		{KeyBranch, "a branch name", "main", branchRE, &p.Branch},
		{KeyConnectionArn, "a CodeConnections connection ARN", "arn:aws:codeconnections:eu-west-1:123456789012:connection/0a1b2c3d-...", connectionArnRE, &p.ConnectionArn},
		{KeyProdAccount, "an AWS account ID", "123456789012", accountRE, &p.ProdAccount},
	} {
		s, ok := get(f.key)
		if !ok || s == "" {
			continue
		}
		switch {
		case !f.re.MatchString(s):
			bad(f.key, "%q is not %s like %s", s, f.form, f.example)
		case (on == nil && !given) || (on != nil && !*on): // not when pipeline itself is malformed
			bad(f.key, "is a setting of the delivery pipeline: give pipeline=true with it (docs/pipeline.md)")
		}
		*f.to = s
	}
	if on == nil || !*on {
		return nil
	}
	for key, missing := range map[string]bool{KeyRepository: p.Repository == "", KeyConnectionArn: p.ConnectionArn == ""} {
		if missing {
			bad(key, "the pipeline needs it: the source it follows (docs/pipeline.md)")
		}
	}
	if c.Account == "" {
		bad(KeyPipeline, "the pipeline needs a known account and region, where it runs: set CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION (the CDK CLI does when it has credentials)")
	}
	if p.ProdAccount == c.Account {
		p.ProdAccount = ""
	}
	return p
}

// contextString is a context value as a setting reads it.
func contextString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(v), true
	}
	return "", false
}

// ForgetFileSettings drops from Given the settings file (cdk.json's context) holds as given:
// the pipeline's synth reads those from the commit's cdk.json, so passing them again as -c
// would pin them to today's values.
func (c *Config) ForgetFileSettings(file map[string]any) {
	for k, v := range file {
		if s, ok := contextString(v); ok && c.Given[k] == s {
			delete(c.Given, k)
		}
	}
}

// functionEnv maps the function settings that are set to lambda/config's variables and has
// lambda/config validate them; each problem is reported under its context key.
func functionEnv(get func(string) (string, bool)) (map[string]string, []error) {
	env := map[string]string{}
	keyOf := map[string]string{}
	for key, name := range functionKeys {
		keyOf[name] = key
		if s, ok := get(key); ok && s != "" {
			env[name] = s
		}
	}
	parsed, err := config.FromEnv(func(k string) string { return env[k] })
	var errs []error
	for _, se := range config.SettingErrors(err) {
		errs = append(errs, fmt.Errorf("context %s: %s", keyOf[se.Var], se.Problem))
	}
	if err != nil && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("context: the functions would refuse these settings: %w", err))
	}
	// Written as lambda/config reads them back: origins normalized, the level in lower case.
	if _, ok := env[config.EnvAllowedOrigins]; ok && err == nil {
		env[config.EnvAllowedOrigins] = strings.Join(parsed.AllowedOrigins, ",")
	}
	if _, ok := env[config.EnvLogLevel]; ok && err == nil {
		env[config.EnvLogLevel] = strings.ToLower(parsed.LogLevel.String())
	}
	return env, errs
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
