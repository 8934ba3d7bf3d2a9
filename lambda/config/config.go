// Package config reads a function's settings from its environment: the CDK stack sets these
// variables on AWS, the local gateway sets them in development, tests pass their own. Every
// setting is validated up front, with a message that names the variable and what it takes.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Environment variable names: the contract with the CDK stack and the local gateway.
const (
	EnvTableName      = "TABLE_NAME"
	EnvCallbackURL    = "CALLBACK_URL"
	EnvDynamoEndpoint = "AWS_ENDPOINT_URL_DYNAMODB" // the SDK's own variable, read the same way
	EnvGracePeriod    = "GRACE_PERIOD"
	EnvRoomTTL        = "ROOM_TTL"
	EnvAllowedOrigins = "ALLOWED_ORIGINS"
	EnvRatePerSecond  = "RATE_LIMIT_PER_SECOND"
	EnvRateBurst      = "RATE_LIMIT_BURST"
	EnvLogLevel       = "LOG_LEVEL"
	EnvTopicARN       = "TOPIC_ARN"
	EnvPresenceLog    = "PRESENCE_LOG"
)

// Config is one function's settings.
type Config struct {
	// TableName is the game table (TABLE_NAME). Required by the functions that read rooms.
	TableName string
	// CallbackURL is the @connections endpoint, the stage's callback URL (CALLBACK_URL), e.g.
	// https://abc.execute-api.eu-west-1.amazonaws.com/prod. Required by the functions that
	// send frames.
	CallbackURL string
	// DynamoDBEndpoint overrides the DynamoDB endpoint (AWS_ENDPOINT_URL_DYNAMODB); empty on AWS.
	DynamoDBEndpoint string
	// Grace is how long a dropped player's seat is held for a rejoin (GRACE_PERIOD, a Go
	// duration). Default: 2m.
	Grace time.Duration
	// RoomTTL is how long a room lives after its last change (ROOM_TTL). Default: 24h.
	RoomTTL time.Duration
	// AllowedOrigins are the browser origins $connect accepts (ALLOWED_ORIGINS, comma
	// separated). Default: empty, any origin (and clients that send none).
	AllowedOrigins []string
	// RatePerSecond and RateBurst limit each connection's frames (RATE_LIMIT_PER_SECOND,
	// RATE_LIMIT_BURST). Defaults: 5 per second, bursts of 20. 0 per second turns it off.
	RatePerSecond float64
	RateBurst     int
	// LogLevel is debug, info, warn or error (LOG_LEVEL). Default: info.
	LogLevel slog.Level
	// TopicARN is the SNS topic the presence function publishes to (TOPIC_ARN).
	TopicARN string
	// PresenceLog makes the game functions log the presence events of their own writes
	// (PRESENCE_LOG=true): for DynamoDB servers without streams, such as dynalite under
	// `make dev`. Default: off; on AWS the stream's presence function publishes them.
	PresenceLog bool
}

// Defaults.
const (
	DefaultGrace         = 2 * time.Minute
	DefaultRoomTTL       = 24 * time.Hour
	DefaultRatePerSecond = 5
	DefaultRateBurst     = 20
)

// FromEnv reads a Config through getenv (os.Getenv in production) and validates every value.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		TableName:        strings.TrimSpace(getenv(EnvTableName)),
		CallbackURL:      strings.TrimRight(strings.TrimSpace(getenv(EnvCallbackURL)), "/"),
		DynamoDBEndpoint: strings.TrimSpace(getenv(EnvDynamoEndpoint)),
	}
	var errs []error
	c.Grace = duration(getenv, EnvGracePeriod, DefaultGrace, &errs)
	c.RoomTTL = duration(getenv, EnvRoomTTL, DefaultRoomTTL, &errs)
	if c.Grace > c.RoomTTL {
		errs = append(errs, fmt.Errorf("%s (%s) must not exceed %s (%s): a held seat would outlive its room", EnvGracePeriod, c.Grace, EnvRoomTTL, c.RoomTTL))
	}
	for _, o := range strings.Split(getenv(EnvAllowedOrigins), ",") {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" {
			if u, err := url.Parse(o); err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" {
				errs = append(errs, fmt.Errorf("%s: %q is not an origin like https://game.example.com", EnvAllowedOrigins, o))
				continue
			}
			c.AllowedOrigins = append(c.AllowedOrigins, o)
		}
	}
	c.RatePerSecond = DefaultRatePerSecond
	if v := strings.TrimSpace(getenv(EnvRatePerSecond)); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 {
			errs = append(errs, fmt.Errorf("%s: %q is not a number ≥ 0 (0 turns rate limiting off)", EnvRatePerSecond, v))
		}
		c.RatePerSecond = f
	}
	c.RateBurst = DefaultRateBurst
	if v := strings.TrimSpace(getenv(EnvRateBurst)); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("%s: %q is not a whole number ≥ 1", EnvRateBurst, v))
		}
		c.RateBurst = n
	}
	if v := strings.TrimSpace(getenv(EnvLogLevel)); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not one of debug, info, warn, error", EnvLogLevel, v))
		}
	}
	c.TopicARN = strings.TrimSpace(getenv(EnvTopicARN))
	if v := strings.TrimSpace(getenv(EnvPresenceLog)); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not true or false", EnvPresenceLog, v))
		}
		c.PresenceLog = b
	}
	if c.CallbackURL != "" {
		if u, err := url.Parse(c.CallbackURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s: %q is not an http(s) URL like https://abc.execute-api.eu-west-1.amazonaws.com/prod", EnvCallbackURL, c.CallbackURL))
		}
	}
	return c, errors.Join(errs...)
}

func duration(getenv func(string) string, name string, def time.Duration, errs *[]error) time.Duration {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		*errs = append(*errs, fmt.Errorf("%s: %q is not a positive duration like 2m or 90s", name, v))
		return def
	}
	return d
}

// RequireData checks the settings that the functions reading rooms and sending frames need.
func (c Config) RequireData() error {
	var errs []error
	if c.TableName == "" {
		errs = append(errs, fmt.Errorf("%s is not set: it names the game's DynamoDB table", EnvTableName))
	}
	if c.CallbackURL == "" {
		errs = append(errs, fmt.Errorf("%s is not set: it is the WebSocket stage's @connections URL", EnvCallbackURL))
	}
	return errors.Join(errs...)
}

// RequirePresence checks the settings the presence function needs.
func (c Config) RequirePresence() error {
	var errs []error
	if c.TableName == "" {
		errs = append(errs, fmt.Errorf("%s is not set: it names the game's DynamoDB table (published-record markers live there)", EnvTableName))
	}
	if c.TopicARN == "" {
		errs = append(errs, fmt.Errorf("%s is not set: it is the alerts SNS topic's ARN", EnvTopicARN))
	}
	return errors.Join(errs...)
}
