package config

import (
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/capacity"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Grace != 2*time.Minute || c.RoomTTL != 24*time.Hour || c.RatePerSecond != capacity.RatePerConnection || c.RateBurst != capacity.BurstPerConnection || c.LogLevel != slog.LevelInfo || c.AllowedOrigins != nil {
		t.Fatalf("defaults %+v", c)
	}
	game, _ := catalog.Lookup(catalog.FnGame)
	if err := c.Require(game); err == nil || !strings.Contains(err.Error(), "TABLE_NAME") || !strings.Contains(err.Error(), "CALLBACK_URL") {
		t.Fatalf("Require(game) = %v, want both variables named", err)
	}
}

func TestValues(t *testing.T) {
	c, err := FromEnv(env(map[string]string{
		EnvTableName: "game", EnvCallbackURL: "https://abc.execute-api.eu-west-1.amazonaws.com/prod/",
		EnvGracePeriod: "90s", EnvRoomTTL: "2h", EnvAllowedOrigins: "https://a.example, http://localhost:8080/",
		EnvRatePerSecond: "0", EnvRateBurst: "5", EnvLogLevel: "debug", EnvDynamoEndpoint: "http://127.0.0.1:4567",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.CallbackURL != "https://abc.execute-api.eu-west-1.amazonaws.com/prod" || c.Grace != 90*time.Second || c.RoomTTL != 2*time.Hour ||
		len(c.AllowedOrigins) != 2 || c.AllowedOrigins[1] != "http://localhost:8080" || c.RatePerSecond != 0 || c.RateBurst != 5 ||
		c.LogLevel != slog.LevelDebug || c.DynamoDBEndpoint != "http://127.0.0.1:4567" || c.Require(mustLookup(t, catalog.FnGame)) != nil {
		t.Fatalf("parsed %+v", c)
	}
}

func TestMoveTimeout(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want time.Duration
	}{
		{nil, DefaultMoveTimeout},
		{map[string]string{EnvMoveTimeout: "0"}, 0},
		{map[string]string{EnvMoveTimeout: "0s"}, 0},
		{map[string]string{EnvMoveTimeout: " 90s "}, 90 * time.Second},
		{map[string]string{EnvMoveTimeout: "10s"}, MinMoveTimeout},
		{map[string]string{EnvMoveTimeout: "2h", EnvRoomTTL: "2h"}, 2 * time.Hour},
	}
	for _, tc := range tests {
		c, err := FromEnv(env(tc.env))
		if err != nil || c.MoveTimeout != tc.want {
			t.Errorf("%v: MoveTimeout %s, err %v; want %s", tc.env, c.MoveTimeout, err, tc.want)
		}
	}
}

func TestEdgeSecret(t *testing.T) {
	const secret = "0123456789abcdef0123456789abcdef"
	c, err := FromEnv(env(map[string]string{EnvEdgeSecret: " " + secret + " "}))
	if err != nil || !slices.Equal(c.EdgeSecrets, []string{secret}) {
		t.Fatalf("EdgeSecrets %q, err %v", c.EdgeSecrets, err)
	}
	// A multi-Region primary accepts its own and the deployment's shared secret.
	c, err = FromEnv(env(map[string]string{EnvEdgeSecret: secret + ", " + strings.ToUpper(secret)}))
	if err != nil || !slices.Equal(c.EdgeSecrets, []string{secret, strings.ToUpper(secret)}) {
		t.Fatalf("two secrets: %q, err %v", c.EdgeSecrets, err)
	}
	_, err = FromEnv(env(map[string]string{EnvEdgeSecret: secret + ",guessable"}))
	if err == nil || strings.Contains(err.Error(), "guessable") || !strings.Contains(err.Error(), "value 2") {
		t.Fatalf("a short second secret: error %v, want one naming value 2 and not repeating it", err)
	}
	_, err = FromEnv(env(map[string]string{EnvEdgeSecret: "guessable"}))
	if err == nil || strings.Contains(err.Error(), "guessable") {
		t.Fatalf("a short secret: error %v, want one that does not repeat the value", err)
	}
}

func TestInvalidValuesNameTheVariable(t *testing.T) {
	tests := []struct {
		name, value, wantIn string
	}{
		{EnvGracePeriod, "2 minutes", "GRACE_PERIOD"},
		{EnvGracePeriod, "-1s", "GRACE_PERIOD"},
		{EnvRoomTTL, "0s", "ROOM_TTL"},
		{EnvGracePeriod, "48h", "must not exceed"},
		{EnvMoveTimeout, "a minute", "MOVE_TIMEOUT"},
		{EnvMoveTimeout, "-5s", "MOVE_TIMEOUT"},
		{EnvMoveTimeout, "3s", "between 10s"},
		{EnvMoveTimeout, "48h", "room's life"},
		{EnvAllowedOrigins, "game.example.com", "ALLOWED_ORIGINS"},
		{EnvAllowedOrigins, "https://a.example/path", "ALLOWED_ORIGINS"},
		{EnvAllowedOrigins, "ftp://a.example", "ALLOWED_ORIGINS"},
		{EnvAllowedOrigins, "chrome-extension://abc", "ALLOWED_ORIGINS"},
		{EnvAllowedOrigins, "https://a.example?x=1", "ALLOWED_ORIGINS"},
		{EnvAllowedOrigins, "https://user@a.example", "ALLOWED_ORIGINS"},
		{EnvLogLevel, "debug+2", "LOG_LEVEL"},
		{EnvRatePerSecond, "fast", "RATE_LIMIT_PER_SECOND"},
		{EnvRateBurst, "0", "RATE_LIMIT_BURST"},
		{EnvLogLevel, "loud", "LOG_LEVEL"},
		{EnvCallbackURL, "abc.execute-api.amazonaws.com", "CALLBACK_URL"},
		{EnvPresenceLog, "yes please", "PRESENCE_LOG"},
		{EnvEdgeSecret, "short", "EDGE_SECRET"},
		{EnvAddressStrikes, "-1", "ADDRESS_STRIKES"},
		{EnvAddressStrikes, "lots", "ADDRESS_STRIKES"},
		{EnvAddressFrames, "-5", "ADDRESS_FRAMES"},
		{EnvAddressFrames, "10001", "ADDRESS_FRAMES"},
		{EnvSourceKeySecret, "short", "SOURCE_KEY_SECRET"},
		{envRemovedPerSource, "200", "ADDRESS_STRIKES sets"},
		{EnvTraceSampleRate, "1%", "TRACE_SAMPLE_RATE"},
		{EnvTraceSampleRate, "2", "from 0 (none traced) to 1"},
		{EnvTraceSampleRate, "-0.1", "TRACE_SAMPLE_RATE"},
	}
	for _, tc := range tests {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			_, err := FromEnv(env(map[string]string{tc.name: tc.value}))
			if err == nil || !strings.Contains(err.Error(), tc.wantIn) {
				t.Fatalf("got %v, want an error mentioning %s", err, tc.wantIn)
			}
		})
	}
}

// Tracing is on by default at capacity's rate wherever Lambda names a daemon, in either of the
// forms the X-Ray SDKs read, and off without one.
func TestTraceSettings(t *testing.T) {
	c, err := FromEnv(env(nil))
	if err != nil || c.TraceSampleRate != capacity.TraceSampleRate || c.XRayDaemon != "" {
		t.Fatalf("defaults: rate %v, daemon %q, %v", c.TraceSampleRate, c.XRayDaemon, err)
	}
	for v, want := range map[string]string{
		"169.254.79.129:2000":                   "169.254.79.129:2000",
		"tcp:127.0.0.1:2000 udp:127.0.0.2:2001": "127.0.0.2:2001",
		"udp:127.0.0.2:2001 tcp:127.0.0.1:2000": "127.0.0.2:2001",
		"[::1]:2000":                            "[::1]:2000",
	} {
		c, err := FromEnv(env(map[string]string{EnvXRayDaemon: v, EnvTraceSampleRate: "1"}))
		if err != nil || c.XRayDaemon != want || c.TraceSampleRate != 1 {
			t.Errorf("%s: daemon %q rate %v (%v), want %q", v, c.XRayDaemon, c.TraceSampleRate, err, want)
		}
	}
	if c, err := FromEnv(env(map[string]string{EnvTraceSampleRate: "0"})); err != nil || c.TraceSampleRate != 0 {
		t.Errorf("0: %v %v", c.TraceSampleRate, err)
	}
}

func TestPresenceSettings(t *testing.T) {
	c, err := FromEnv(env(map[string]string{EnvPresenceLog: "true", EnvTopicARN: "arn:aws:sns:eu-west-1:1:t"}))
	if err != nil || !c.PresenceLog || c.TopicARN == "" {
		t.Fatalf("%+v %v", c, err)
	}
	if err := c.Require(mustLookup(t, catalog.FnPresence)); err == nil || !strings.Contains(err.Error(), "TABLE_NAME") || strings.Contains(err.Error(), "TOPIC_ARN") {
		t.Fatalf("Require(presence) = %v, want TABLE_NAME (and only it) named", err)
	}
}

func mustLookup(t *testing.T, name string) catalog.Function {
	t.Helper()
	f, ok := catalog.Lookup(name)
	if !ok {
		t.Fatalf("no function %s in the catalog", name)
	}
	return f
}

// Each function requires exactly the variables of what the catalog says it needs.
func TestRequireFollowsTheCatalog(t *testing.T) {
	for _, fn := range catalog.All() {
		t.Run(fn.Name, func(t *testing.T) {
			err := Config{}.Require(fn)
			msg := ""
			if err != nil {
				msg = err.Error()
			}
			for v, needed := range map[string]bool{EnvTableName: fn.Needs.Table(), EnvCallbackURL: fn.Needs.ManageConnections, EnvTopicARN: fn.Needs.PublishAlerts} {
				if strings.Contains(msg, v) != needed {
					t.Errorf("Require's error %q names %s: %v, want %v", msg, v, !needed, needed)
				}
			}
			full := Config{TableName: "t", CallbackURL: "https://x", TopicARN: "arn:aws:sns:eu-west-1:1:t"}
			if err := full.Require(fn); err != nil {
				t.Errorf("with every variable set: %v", err)
			}
		})
	}
}

func TestOriginsAreNormalized(t *testing.T) {
	got, err := ParseOrigins(" HTTPS://Game.Example.com/ ,http://localhost:8080,, https://[::1]:9000")
	want := []string{"https://game.example.com", "http://localhost:8080", "https://[::1]:9000"}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("ParseOrigins = %v, %v; want %v", got, err, want)
	}
}

// The CDK app maps each problem back to its context key: every one is a SettingError naming
// its variable.
func TestEveryProblemNamesItsVariable(t *testing.T) {
	_, err := FromEnv(env(map[string]string{EnvGracePeriod: "soon", EnvRateBurst: "0", EnvAllowedOrigins: "a.example,b.example"}))
	var got []string
	for _, se := range SettingErrors(err) {
		got = append(got, se.Var)
	}
	slices.Sort(got)
	if want := []string{EnvAllowedOrigins, EnvGracePeriod, EnvRateBurst}; !slices.Equal(got, want) {
		t.Fatalf("problems for %v, want %v (error: %v)", got, want, err)
	}
}

// A multi-Region deployment's settings: the Regions in order, the function's own among them,
// each with its @connections URL; every problem names its variable.
func TestRegionSettings(t *testing.T) {
	env := map[string]string{
		EnvRegion: "us-west-2", EnvRegions: "us-east-1, us-west-2",
		EnvCallbackURLs:      "us-east-1=https://a.execute-api.us-east-1.amazonaws.com/prod/, us-west-2=https://b.execute-api.us-west-2.amazonaws.com/prod",
		EnvDynamoDBEndpoints: "us-east-1=http://127.0.0.1:8000",
	}
	c, err := FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Region != "us-west-2" || strings.Join(c.Regions, ",") != "us-east-1,us-west-2" ||
		c.CallbackURLs["us-east-1"] != "https://a.execute-api.us-east-1.amazonaws.com/prod" || c.DynamoDBEndpoints["us-east-1"] != "http://127.0.0.1:8000" {
		t.Errorf("read %+v", c)
	}
	for _, tc := range []struct {
		env  map[string]string
		want []string
	}{
		{map[string]string{EnvRegion: "eu-west-1", EnvRegions: "us-east-1,us-west-2"}, []string{"AWS_REGION", `"eu-west-1" is not one of`}},
		{map[string]string{EnvRegion: "us-east-1", EnvRegions: "us-east-1,us-east-1"}, []string{"REGIONS", "listed twice"}},
		{map[string]string{EnvRegion: "us-east-1", EnvRegions: "us-east-1,Mars"}, []string{"REGIONS", `"Mars" is not a Region name`}},
		{map[string]string{EnvRegion: "us-east-1", EnvRegions: "us-east-1", EnvCallbackURLs: "eu-west-1=https://x.example/prod"}, []string{"CALLBACK_URLS", "not in REGIONS"}},
		{map[string]string{EnvRegion: "us-east-1", EnvRegions: "us-east-1", EnvCallbackURLs: "us-east-1"}, []string{"CALLBACK_URLS", "is not region=URL"}},
		{map[string]string{EnvRegion: "us-east-1", EnvRegions: "us-east-1", EnvCallbackURLsInTable: "yes please"}, []string{"CALLBACK_URLS_IN_TABLE", "is not true or false"}},
	} {
		_, err := FromEnv(func(k string) string { return tc.env[k] })
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%v: error %v, want %q", tc.env, err, w)
			}
		}
	}
	// The game function needs every Region's @connections URL.
	c, _ = FromEnv(func(k string) string {
		return map[string]string{EnvRegion: "us-east-1", EnvRegions: "us-east-1,us-west-2", EnvTableName: "t", EnvCallbackURL: "https://a.example/prod",
			EnvCallbackURLs: "us-east-1=https://a.example/prod"}[k]
	})
	fn, _ := catalog.Lookup(catalog.FnGame)
	if err := c.Require(fn); err == nil || !strings.Contains(err.Error(), "CALLBACK_URLS has no URL for us-west-2") {
		t.Errorf("Require: %v", err)
	}
	// Or to read those CALLBACK_URLS does not give from the table, as on AWS.
	c, _ = FromEnv(func(k string) string {
		return map[string]string{EnvRegion: "us-east-1", EnvRegions: "us-east-1,us-west-2", EnvTableName: "t", EnvCallbackURL: "https://a.example/prod",
			EnvCallbackURLsInTable: "true"}[k]
	})
	if err := c.Require(fn); err != nil || !c.CallbackURLsInTable {
		t.Errorf("with %s: %v (%v)", EnvCallbackURLsInTable, err, c.CallbackURLsInTable)
	}
}

// AWS_XRAY_DAEMON_ADDRESS is Lambda's, not the deployer's: a form not known here turns tracing
// off and says why, and never keeps a function from starting.
func TestAnUnknownDaemonAddressTurnsTracingOff(t *testing.T) {
	for _, v := range []string{"localhost", "tcp:127.0.0.1:2000", "127.0.0.1:99999"} {
		c, err := FromEnv(env(map[string]string{EnvXRayDaemon: v}))
		if err != nil || c.XRayDaemon != "" || !strings.Contains(c.TracingOff, v) {
			t.Errorf("%q: %v, daemon %q, off %q", v, err, c.XRayDaemon, c.TracingOff)
		}
	}
	c, err := FromEnv(env(map[string]string{EnvXRayDaemon: "tcp:169.254.79.129:2000 udp:169.254.79.129:2000"}))
	if err != nil || c.XRayDaemon != "169.254.79.129:2000" || c.TracingOff != "" {
		t.Errorf("Lambda's form: %v, %q, %q", err, c.XRayDaemon, c.TracingOff)
	}
}
