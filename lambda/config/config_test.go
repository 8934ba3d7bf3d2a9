package config

import (
	"log/slog"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Grace != 2*time.Minute || c.RoomTTL != 24*time.Hour || c.RatePerSecond != 5 || c.RateBurst != 20 || c.LogLevel != slog.LevelInfo || c.AllowedOrigins != nil {
		t.Fatalf("defaults %+v", c)
	}
	if err := c.RequireData(); err == nil || !strings.Contains(err.Error(), "TABLE_NAME") || !strings.Contains(err.Error(), "CALLBACK_URL") {
		t.Fatalf("RequireData = %v, want both variables named", err)
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
		c.LogLevel != slog.LevelDebug || c.DynamoDBEndpoint != "http://127.0.0.1:4567" || c.RequireData() != nil {
		t.Fatalf("parsed %+v", c)
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
		{EnvAllowedOrigins, "game.example.com", "ALLOWED_ORIGINS"},
		{EnvAllowedOrigins, "https://a.example/path", "ALLOWED_ORIGINS"},
		{EnvRatePerSecond, "fast", "RATE_LIMIT_PER_SECOND"},
		{EnvRateBurst, "0", "RATE_LIMIT_BURST"},
		{EnvLogLevel, "loud", "LOG_LEVEL"},
		{EnvCallbackURL, "abc.execute-api.amazonaws.com", "CALLBACK_URL"},
		{EnvPresenceLog, "yes please", "PRESENCE_LOG"},
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

func TestPresenceSettings(t *testing.T) {
	c, err := FromEnv(env(map[string]string{EnvPresenceLog: "true", EnvTopicARN: "arn:aws:sns:eu-west-1:1:t"}))
	if err != nil || !c.PresenceLog || c.TopicARN == "" {
		t.Fatalf("%+v %v", c, err)
	}
	if err := c.RequirePresence(); err == nil || !strings.Contains(err.Error(), "TABLE_NAME") {
		t.Fatalf("RequirePresence = %v", err)
	}
}
