// Package stacks holds the game's CloudFormation stacks, one per file: each wires constructs
// from package blocks and exposes what other stacks need as CDK interfaces. NewDeployment
// composes them; Config is what a deployer chose through CDK context (-c key=value or
// cdk.json). A setting the deployer left out stays unset here: the construct or function that
// applies it owns its default.
package stacks

import (
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"

	"github.com/serverless-tictactoe/tictactoe/blocks"
	"github.com/serverless-tictactoe/tictactoe/lambda/capacity"
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
	KeyMoveTimeout         = "moveTimeout"
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
	KeyAddressFrames       = "addressFrames"
	KeyTraceRate           = "traceRate"
	KeyActiveTracing       = "activeTracing"
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

// removedConnectionsPerSource was a setting: a deployment still passing it is told what
// replaced it rather than ignored.
const removedConnectionsPerSource = "connectionsPerSource"

// DefaultLifecycle is the lifecycle of a deployment whose env is not set.
const DefaultLifecycle = blocks.Dev

// Config is one deployment's settings, validated. Nil and empty fields are unset.
type Config struct {
	// Lifecycle is dev (data deleted with the stacks) or prod (data retained, deletion
	// protection), from the env key. Default: DefaultLifecycle.
	Lifecycle blocks.Lifecycle
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
	// ActiveTracing has Lambda sample the game function itself (Active tracing), should the
	// functions' own traces under PassThrough not arrive (docs/tracing.md). Default: off.
	ActiveTracing *bool
	// ApiGatewayLogRole sets the region's API Gateway CloudWatch Logs role, which the
	// WebSocket stage's access logs need (see blocks.WebSocketApiProps.AccountLogRole).
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
	// (GRACE_PERIOD, ROOM_TTL, MOVE_TIMEOUT, ALLOWED_ORIGINS, RATE_LIMIT_*, LOG_LEVEL): only
	// those set.
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

// GameTracing is the game function's tracing mode: Active with activeTracing, else the
// constructs' default ("").
func (c Config) GameTracing() awslambda.Tracing {
	if c.ActiveTracing != nil && *c.ActiveTracing {
		return awslambda.Tracing_ACTIVE
	}
	return ""
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
