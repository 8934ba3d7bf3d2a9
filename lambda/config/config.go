// Package config reads a function's settings from its environment: the CDK stack sets these
// variables on AWS, the local gateway sets them in development, tests pass their own. Every
// setting is validated here and only here (the CDK app validates the deployer's settings by
// calling FromEnv), with a message that names the variable and what it takes. The functions'
// defaults live here, but for the per-client ceilings (frames and connections), which
// lambda/capacity owns beside the stage they are sized against.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/capacity"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/region"
)

// Environment variable names: the contract with the CDK stack and the local gateway.
const (
	EnvTableName      = "TABLE_NAME"
	EnvCallbackURL    = "CALLBACK_URL"
	EnvDynamoEndpoint = "AWS_ENDPOINT_URL_DYNAMODB" // the SDK's own variable, read the same way
	EnvGracePeriod    = "GRACE_PERIOD"
	EnvRoomTTL        = "ROOM_TTL"
	EnvMoveTimeout    = "MOVE_TIMEOUT"
	EnvAllowedOrigins = "ALLOWED_ORIGINS"
	EnvRatePerSecond  = "RATE_LIMIT_PER_SECOND"
	EnvRateBurst      = "RATE_LIMIT_BURST"
	EnvLogLevel       = "LOG_LEVEL"
	EnvTopicARN       = "TOPIC_ARN"
	EnvPresenceLog    = "PRESENCE_LOG"
	EnvEdgeSecret     = "EDGE_SECRET"
	// EnvTraceSampleRate is the share of invocations the game and disconnect functions record
	// as X-Ray traces (lambda/xray, docs/tracing.md); EnvXRayDaemon is where Lambda's X-Ray
	// daemon listens, which Lambda sets for a function whose tracing is on (Active or
	// PassThrough).
	EnvTraceSampleRate = "TRACE_SAMPLE_RATE"
	EnvXRayDaemon      = "AWS_XRAY_DAEMON_ADDRESS"
	// EnvAddressStrikes is what one source address's probing may cost in the window before
	// its connections are on probation (lambda/guard); EnvSourceKeySecret keys the addresses'
	// hashes.
	EnvAddressStrikes  = "ADDRESS_STRIKES"
	EnvSourceKeySecret = "SOURCE_KEY_SECRET"
	// EnvAddressFrames is one source address's share of the stage: the frames its connections
	// may send together in a 10-second window (lambda/guard).
	EnvAddressFrames    = "ADDRESS_FRAMES"
	envRemovedPerSource = "CONNECTIONS_PER_SOURCE"
	// A multi-Region deployment's (docs/regions.md): the function's own Region (the SDK's
	// variable, which Lambda sets), every Region in the deployment's order, each Region's
	// @connections URL, and (locally) each Region's DynamoDB endpoint.
	EnvRegion            = "AWS_REGION"
	EnvRegions           = "REGIONS"
	EnvCallbackURLs      = "CALLBACK_URLS"
	EnvDynamoDBEndpoints = "DYNAMODB_ENDPOINTS"
	// EnvCallbackURLsInTable has the functions read the @connections URL of each Region that
	// CALLBACK_URLS does not give from the game table, where that Region's Links stack writes
	// it (store.CallbackURL): on AWS each Region's API is known only once every Region is
	// deployed.
	EnvCallbackURLsInTable = "CALLBACK_URLS_IN_TABLE"
)

// Headers the CloudFront distribution adds to each WebSocket connection it passes to the API,
// read by $connect when EDGE_SECRET is set.
const (
	// EdgeSecretHeader carries EDGE_SECRET's value: a connection without it skipped the
	// distribution (and its firewall).
	EdgeSecretHeader = "X-Tictactoe-Edge"
	// ViewerHostHeader is the host name the player connected to (the distribution's or the
	// deployment's own domain): the API sees its own host in Host.
	ViewerHostHeader = "X-Tictactoe-Viewer-Host"
	// ViewerAddressHeader is the player's address as the distribution saw it (its function
	// overwrites whatever a client sent): behind the distribution, API Gateway's source IP is
	// CloudFront's, so $connect counts connections per source by this instead, trusting it only
	// on connections that carry the edge secret.
	ViewerAddressHeader = "X-Tictactoe-Viewer-Address"
)

// Config is one function's settings.
type Config struct {
	// TableName is the game table (TABLE_NAME). Required by the functions that use it.
	TableName string
	// CallbackURL is the @connections endpoint, the stage's callback URL (CALLBACK_URL), e.g.
	// https://abc.execute-api.eu-west-1.amazonaws.com/prod. Required by the functions that
	// send frames.
	CallbackURL string
	// DynamoDBEndpoint overrides the DynamoDB endpoint (AWS_ENDPOINT_URL_DYNAMODB); empty on AWS.
	DynamoDBEndpoint string
	// Grace is how long a dropped player's seat is held for a rejoin (GRACE_PERIOD, a Go
	// duration). Default: DefaultGrace.
	Grace time.Duration
	// RoomTTL is how long a room lives after its last change (ROOM_TTL). Default:
	// DefaultRoomTTL.
	RoomTTL time.Duration
	// MoveTimeout is how long a player has to move in a game between two people (MOVE_TIMEOUT,
	// a Go duration; 0 turns the move clock off). Default: DefaultMoveTimeout.
	MoveTimeout time.Duration
	// AllowedOrigins are the browser origins $connect accepts (ALLOWED_ORIGINS, comma
	// separated http(s) origins, kept as scheme://host[:port] in lower case). Default: empty,
	// any origin (and clients that send none).
	AllowedOrigins []string
	// RatePerSecond and RateBurst limit each connection's frames (RATE_LIMIT_PER_SECOND,
	// RATE_LIMIT_BURST). Defaults: capacity.RatePerConnection, capacity.BurstPerConnection
	// (lambda/capacity owns the numbers and sizes the stage by them). 0 per second turns it off.
	RatePerSecond float64
	RateBurst     int
	// AddressStrikes is what one source address's probing (room misses, connections closed
	// for them) may cost within capacity.AddressWindowMinutes before its connections are on
	// probation (ADDRESS_STRIKES). Default: capacity.AddressStrikes; 0 turns the per-address
	// ceiling off.
	AddressStrikes int
	// AddressFrames is the frames one source address's connections may send together in a
	// capacity.FrameWindowSeconds window before each is held to its fair part, refused past
	// it and closed just after (ADDRESS_FRAMES, lambda/guard's Share). Default:
	// capacity.AddressFramesPerWindow; 0 turns the share off. It needs the per-connection count
	// (RatePerSecond above 0).
	AddressFrames int
	// SourceKeySecret keys the hashes addresses are kept under (SOURCE_KEY_SECRET, from Secrets
	// Manager on AWS). Default: empty, and each process draws its own (the local stack's one
	// process), which on AWS would split an address's count between containers.
	SourceKeySecret string
	// LogLevel is debug, info, warn or error (LOG_LEVEL). Default: info.
	LogLevel slog.Level
	// TopicARN is the SNS topic the presence function publishes to (TOPIC_ARN).
	TopicARN string
	// EdgeSecrets are set when the API is served through the site's CloudFront distributions
	// (EDGE_SECRET, from Secrets Manager; comma-separated when more than one value is accepted,
	// as in a multi-Region deployment's primary): $connect then refuses connections that do
	// not carry one of them in EdgeSecretHeader, and, unless AllowedOrigins lists origins,
	// pages from any host but the one the player connected to (ViewerHostHeader). Default:
	// empty, no such check.
	EdgeSecrets []string
	// Region is the function's own Region (AWS_REGION). Regions are every Region of a
	// multi-Region deployment, in its order, the first the primary (REGIONS, comma-separated);
	// empty in one Region. CallbackURLs are each Region's @connections URL (CALLBACK_URLS,
	// region=url pairs); DynamoDBEndpoints override each Region's DynamoDB endpoint
	// (DYNAMODB_ENDPOINTS, region=url pairs; the local stack's).
	Region            string
	Regions           []string
	CallbackURLs      map[string]string
	DynamoDBEndpoints map[string]string
	// CallbackURLsInTable has the URLs CallbackURLs does not give read from the game table
	// (CALLBACK_URLS_IN_TABLE=true). Default: false, CallbackURLs give every Region's.
	CallbackURLsInTable bool
	// TraceSampleRate is the share of the game and disconnect functions' invocations that
	// nobody upstream sampled which they record as X-Ray traces (TRACE_SAMPLE_RATE, 0 to 1; 0
	// records none). Default: capacity.TraceSampleRate, which keeps a default deployment's
	// traces under capacity.TraceBudgetDollars a month (docs/tracing.md).
	TraceSampleRate float64
	// XRayDaemon is the UDP address of the X-Ray daemon the traces go to, host:port
	// (AWS_XRAY_DAEMON_ADDRESS, which Lambda sets when the function's tracing is on, as
	// "host:port" or "tcp:host:port udp:host:port"). Default: empty, and nothing is traced
	// (make dev).
	XRayDaemon string
	// TracingOff says why AWS_XRAY_DAEMON_ADDRESS, though set, was not understood: nothing is
	// traced then. "" otherwise.
	TracingOff string
	// PresenceLog makes the game functions log the presence events of their own writes
	// (PRESENCE_LOG=true): for DynamoDB servers without streams, such as dynalite under
	// `make dev`. Default: off; on AWS the stream's presence function publishes them.
	PresenceLog bool
}

// Defaults.
const (
	DefaultGrace   = 2 * time.Minute
	DefaultRoomTTL = 24 * time.Hour
	// DefaultMoveTimeout is long enough to think, short enough that nobody waits on a player who
	// never moves for long.
	DefaultMoveTimeout = time.Minute
	// MinMoveTimeout is the shortest move clock: a phone's player must see the board, think and
	// tap, and the page shows the clock's last 15 seconds.
	MinMoveTimeout  = 10 * time.Second
	DefaultLogLevel = slog.LevelInfo
)

// SettingError is what is wrong with one variable. FromEnv joins one per problem, so a caller
// that knows the variable under another name (the CDK app's context keys) can say so.
type SettingError struct {
	// Var is the variable, e.g. GRACE_PERIOD.
	Var string
	// Problem says what is wrong and what the variable takes.
	Problem string
}

func (e *SettingError) Error() string { return e.Var + ": " + e.Problem }

// SettingErrors lists the SettingErrors in err (as FromEnv returns it).
func SettingErrors(err error) []*SettingError {
	var out []*SettingError
	var walk func(error)
	walk = func(err error) {
		if se, ok := err.(*SettingError); ok {
			out = append(out, se)
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
		}
	}
	walk(err)
	return out
}

// FromEnv reads a Config through getenv (os.Getenv in production) and validates every value.
// The error joins a *SettingError per problem.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		TableName:        strings.TrimSpace(getenv(EnvTableName)),
		CallbackURL:      strings.TrimRight(strings.TrimSpace(getenv(EnvCallbackURL)), "/"),
		DynamoDBEndpoint: strings.TrimSpace(getenv(EnvDynamoEndpoint)),
		TopicARN:         strings.TrimSpace(getenv(EnvTopicARN)),
		RatePerSecond:    capacity.RatePerConnection,
		RateBurst:        capacity.BurstPerConnection,
		AddressStrikes:   capacity.AddressStrikes,
		AddressFrames:    capacity.AddressFramesPerWindow,
		TraceSampleRate:  capacity.TraceSampleRate,
		LogLevel:         DefaultLogLevel,
	}
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, &SettingError{Var: name, Problem: fmt.Sprintf(format, args...)})
	}
	lifetimes(&c, getenv, bad)
	for _, s := range settings {
		if v := strings.TrimSpace(getenv(s.name)); v != "" {
			s.read(&c, v, func(format string, args ...any) { bad(s.name, format, args...) })
		}
	}
	if c.CallbackURL != "" && !httpURL(c.CallbackURL) {
		bad(EnvCallbackURL, "%q is not an http(s) URL like https://abc.execute-api.eu-west-1.amazonaws.com/prod", c.CallbackURL)
	}
	regionSettings(&c, getenv, bad)
	return c, errors.Join(errs...)
}

// lifetimes reads how long a seat is held, a player has to move and a room lives, and the
// rules between them.
func lifetimes(c *Config, getenv func(string) string, bad func(name, format string, args ...any)) {
	c.Grace = duration(getenv, EnvGracePeriod, DefaultGrace, bad)
	c.RoomTTL = duration(getenv, EnvRoomTTL, DefaultRoomTTL, bad)
	if c.Grace > c.RoomTTL {
		bad(EnvGracePeriod, "%s must not exceed the room's life, %s (%s): a held seat would outlive its room", c.Grace, c.RoomTTL, EnvRoomTTL)
	}
	c.MoveTimeout = DefaultMoveTimeout
	if v := strings.TrimSpace(getenv(EnvMoveTimeout)); v != "" {
		d, err := time.ParseDuration(v)
		switch {
		case err != nil || d < 0:
			bad(EnvMoveTimeout, "%q is not a duration like 60s or 2m (0 turns the move clock off)", v)
		case d == 0:
			c.MoveTimeout = 0
		case d < MinMoveTimeout || d > c.RoomTTL:
			bad(EnvMoveTimeout, "%s is not between %s and the room's life, %s (%s); 0 turns the move clock off", d, MinMoveTimeout, c.RoomTTL, EnvRoomTTL)
		default:
			c.MoveTimeout = d
		}
	}
}

// setting is one variable that stands alone: read parses its value (trimmed, not empty) into
// c and reports each problem, the variable named for it. Unset, the field keeps the default
// FromEnv starts from.
type setting struct {
	name string
	read func(c *Config, v string, bad problem)
}

// problem reports what is wrong with one setting's value.
type problem func(format string, args ...any)

// settings are read in this order, which is the order their problems are reported in.
var settings = []setting{
	{EnvAllowedOrigins, func(c *Config, v string, bad problem) {
		origins, err := ParseOrigins(v)
		if err != nil {
			bad("%v", err)
		}
		c.AllowedOrigins = origins
	}},
	{EnvRatePerSecond, func(c *Config, v string, bad problem) {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 {
			bad("%q is not a number of frames per second ≥ 0 (0 turns rate limiting off)", v)
		}
		c.RatePerSecond = f
	}},
	{EnvRateBurst, func(c *Config, v string, bad problem) {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			bad("%q is not a whole number ≥ 1", v)
		}
		c.RateBurst = n
	}},
	{EnvAddressStrikes, func(c *Config, v string, bad problem) {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxAddressStrikes {
			bad("%q is not a whole number from 0 (no per-address ceiling) to %d", v, maxAddressStrikes)
		}
		c.AddressStrikes = n
	}},
	{EnvAddressFrames, func(c *Config, v string, bad problem) {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxAddressFrames {
			bad("%q is not a whole number from 0 (no share per address) to %d frames per %d seconds", v, maxAddressFrames, capacity.FrameWindowSeconds)
		}
		c.AddressFrames = n
	}},
	{envRemovedPerSource, func(_ *Config, _ string, bad problem) {
		bad("is no longer a setting: an address's open connections are not counted (docs/capacity.md); %s sets what its probing may cost (0 turns it off)", EnvAddressStrikes)
	}},
	{EnvSourceKeySecret, func(c *Config, v string, bad problem) {
		if len(v) < minEdgeSecret {
			bad("is %d characters: use at least %d (Secrets Manager generates 32)", len(v), minEdgeSecret)
		}
		c.SourceKeySecret = v
	}},
	{EnvLogLevel, func(c *Config, v string, bad problem) {
		// slog also reads "info+2" and the like: only the four names are a setting here.
		known := slices.Contains([]string{"debug", "info", "warn", "error"}, strings.ToLower(v))
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil || !known {
			c.LogLevel = DefaultLogLevel
			bad("%q is not one of debug, info, warn, error", v)
		}
	}},
	{EnvEdgeSecret, func(c *Config, v string, bad problem) {
		for i, s := range strings.Split(v, ",") {
			s = strings.TrimSpace(s)
			if len(s) < minEdgeSecret {
				// The value itself never goes into a message: it is a secret.
				bad("value %d is %d characters: use at least %d (Secrets Manager generates 32)", i+1, len(s), minEdgeSecret)
				continue
			}
			c.EdgeSecrets = append(c.EdgeSecrets, s)
		}
	}},
	{EnvTraceSampleRate, func(c *Config, v string, bad problem) {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1 {
			bad("%q is not a share of invocations from 0 (none traced) to 1 (every one), like 0.0005 for 1 in 2,000", v)
			return
		}
		c.TraceSampleRate = f
	}},
	{EnvXRayDaemon, func(c *Config, v string, _ problem) {
		// Lambda sets it, not the deployer: a value of a form not known here turns tracing off
		// (TracingOff says why, and the function logs it) rather than keeping every function,
		// $connect included, from starting.
		addr, err := XRayDaemonUDP(v)
		if err != nil {
			c.TracingOff = err.Error()
		}
		c.XRayDaemon = addr
	}},
	{EnvPresenceLog, func(c *Config, v string, bad problem) {
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad("%q is not true or false", v)
		}
		c.PresenceLog = b
	}},
}

// XRayDaemonUDP is the UDP address in an AWS_XRAY_DAEMON_ADDRESS value: "host:port", or
// "tcp:host:port udp:host:port" (either order), as the X-Ray SDKs read it.
func XRayDaemonUDP(v string) (string, error) {
	addr := v
	if fields := strings.Fields(v); len(fields) > 1 || strings.HasPrefix(v, "udp:") || strings.HasPrefix(v, "tcp:") {
		addr = ""
		for _, f := range fields {
			if a, ok := strings.CutPrefix(f, "udp:"); ok {
				addr = a
			}
		}
	}
	host, port, err := net.SplitHostPort(addr)
	if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("%q is not an X-Ray daemon address like 127.0.0.1:2000 or tcp:127.0.0.1:2000 udp:127.0.0.1:2000", v)
	}
	return addr, nil
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// regionSettings reads a multi-Region deployment's settings: the Regions, each with its
// @connections URL (and, locally, its DynamoDB endpoint), the function's own among them.
func regionSettings(c *Config, getenv func(string) string, bad func(name, format string, args ...any)) {
	c.Region = strings.TrimSpace(getenv(EnvRegion))
	v := strings.TrimSpace(getenv(EnvRegions))
	if v == "" {
		return
	}
	for _, r := range strings.Split(v, ",") {
		r = strings.TrimSpace(r)
		switch {
		case !region.Valid(r):
			bad(EnvRegions, "%q is not a Region name like us-east-1", r)
		case slices.Contains(c.Regions, r):
			bad(EnvRegions, "%s is listed twice", r)
		default:
			c.Regions = append(c.Regions, r)
		}
	}
	if len(c.Regions) > 0 && !slices.Contains(c.Regions, c.Region) {
		bad(EnvRegion, "%q is not one of the deployment's Regions (%s)", c.Region, strings.Join(c.Regions, ", "))
	}
	pairs := func(name string) map[string]string {
		out, err := c.RegionURLs(getenv(name))
		if err != nil {
			bad(name, "%v", err)
		}
		return out
	}
	c.CallbackURLs = pairs(EnvCallbackURLs)
	c.DynamoDBEndpoints = pairs(EnvDynamoDBEndpoints)
	if v := strings.TrimSpace(getenv(EnvCallbackURLsInTable)); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad(EnvCallbackURLsInTable, "%q is not true or false", v)
		}
		c.CallbackURLsInTable = b
	}
}

// RegionURLs reads region=url pairs (CALLBACK_URLS, DYNAMODB_ENDPOINTS), each Region one of
// c.Regions.
func (c Config) RegionURLs(s string) (map[string]string, error) {
	out := map[string]string{}
	var errs []error
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		r, u, ok := strings.Cut(p, "=")
		switch {
		case !ok || !httpURL(strings.TrimSpace(u)):
			errs = append(errs, fmt.Errorf("%q is not region=URL, like us-west-2=https://abc.execute-api.us-west-2.amazonaws.com/prod", p))
		case !slices.Contains(c.Regions, strings.TrimSpace(r)):
			errs = append(errs, fmt.Errorf("%q names a Region not in %s", p, EnvRegions))
		default:
			out[strings.TrimSpace(r)] = strings.TrimRight(strings.TrimSpace(u), "/")
		}
	}
	return out, errors.Join(errs...)
}

// MissingCallbackURLs lists the Regions with no @connections URL.
func (c Config) MissingCallbackURLs() []string {
	var out []string
	for _, r := range c.Regions {
		if c.CallbackURLs[r] == "" {
			out = append(out, r)
		}
	}
	return out
}

// maxAddressStrikes bounds ADDRESS_STRIKES: past it the ceiling would never be reached.
const maxAddressStrikes = 100000

// maxAddressFrames bounds ADDRESS_FRAMES: 1,000 a second, about what a stage of the largest
// deployment admits (capacity.MaxGames).
const maxAddressFrames = 10000

// minEdgeSecret is the shortest EDGE_SECRET (and SOURCE_KEY_SECRET) accepted: long enough that it cannot be guessed.
const minEdgeSecret = 16

// ParseOrigins reads a comma-separated list of browser origins: each an http or https
// origin (scheme, host and optional port; no path, query, fragment or user), as a browser
// sends it in the Origin header. A trailing slash is dropped and the scheme and host are
// lower-cased, as browsers send them. Empty entries are skipped.
func ParseOrigins(s string) ([]string, error) {
	var out []string
	var errs []error
	for _, o := range strings.Split(s, ",") {
		o = strings.TrimRight(strings.TrimSpace(o), "/")
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery || u.User != nil || u.Opaque != "" {
			errs = append(errs, fmt.Errorf("%q is not an origin like https://game.example.com", o))
			continue
		}
		out = append(out, strings.ToLower(u.Scheme+"://"+u.Host))
	}
	return out, errors.Join(errs...)
}

func duration(getenv func(string) string, name string, def time.Duration, bad func(name, format string, args ...any)) time.Duration {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		bad(name, "%q is not a positive duration like 2m or 90s", v)
		return def
	}
	return d
}

// Require checks that the settings fn needs (catalog.Needs) are present: the table's name for
// a function that uses the table, the @connections URL for one that posts to connections, the
// topic for one that publishes alerts.
func (c Config) Require(fn catalog.Function) error {
	var errs []error
	if fn.Needs.Table() && c.TableName == "" {
		errs = append(errs, fmt.Errorf("%s is not set: it names the game's DynamoDB table", EnvTableName))
	}
	if fn.Needs.ManageConnections && c.CallbackURL == "" {
		errs = append(errs, fmt.Errorf("%s is not set: it is the WebSocket stage's @connections URL", EnvCallbackURL))
	}
	if fn.Needs.ManageConnections && !c.CallbackURLsInTable {
		for _, r := range c.MissingCallbackURLs() {
			if r == c.Region && c.CallbackURL != "" {
				continue
			}
			errs = append(errs, fmt.Errorf("%s has no URL for %s: frames to players connected there could not be sent", EnvCallbackURLs, r))
		}
	}
	if fn.Needs.PublishAlerts && c.TopicARN == "" {
		errs = append(errs, fmt.Errorf("%s is not set: it is the alerts SNS topic's ARN", EnvTopicARN))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("function %s: %w", fn.Name, err)
	}
	return nil
}
