package frontend_test

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/serverless-tictactoe/tictactoe/frontend"
	"github.com/serverless-tictactoe/tictactoe/internal/doctable"
)

// validUserDataParams are realistic resolved values. The script that runs them on this machine
// is tested in frontend/userdatatest.
func validUserDataParams() frontend.UserDataParams {
	return frontend.UserDataParams{
		SiteBucket:   "frontend-sitebucket-1a2b3c4d5e6f",
		SiteKey:      "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9.zip",
		WebSocketURL: "wss://a1b2c3d4e5.execute-api.eu-west-3.amazonaws.com/live",
		Region:       "eu-west-3",
		SignalBucket: "frontend-signals-9f8e7d6c5b4a",
	}
}

func TestUserDataRequiresEveryParam(t *testing.T) {
	tests := []struct {
		name    string
		blank   func(*frontend.UserDataParams)
		wantErr string
	}{
		{"all set", func(*frontend.UserDataParams) {}, ""},
		{"no bucket", func(p *frontend.UserDataParams) { p.SiteBucket = "" }, "SiteBucket is required"},
		{"no key", func(p *frontend.UserDataParams) { p.SiteKey = "" }, "SiteKey is required"},
		{"no WebSocket URL", func(p *frontend.UserDataParams) { p.WebSocketURL = "" }, "WebSocketURL is required"},
		{"no region", func(p *frontend.UserDataParams) { p.Region = "" }, "Region is required"},
		{"no signals bucket", func(p *frontend.UserDataParams) { p.SignalBucket = "" }, "SignalBucket is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validUserDataParams()
			tt.blank(&p)
			_, err := frontend.UserData(p)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("UserData: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("UserData error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// EC2 refuses user data over 16 KB (before base64). CloudFormation substitutes the tokens after
// synth, so the resolved case uses the longest values a deployment can have.
func TestUserDataFitsEC2Limit(t *testing.T) {
	tests := []struct {
		name string
		p    frontend.UserDataParams
	}{
		{"CDK tokens, as synth renders it", frontend.UserDataParams{
			SiteBucket:   "${Token[TOKEN.1234]}",
			SiteKey:      "${Token[TOKEN.1235]}",
			WebSocketURL: "wss://${Token[TOKEN.1236]}.execute-api.${Token[AWS.Region.12]}.${Token[AWS.URLSuffix.13]}/${Token[TOKEN.1237]}",
			Region:       "${Token[AWS.Region.12]}",
			SignalBucket: "${Token[TOKEN.99]}",
		}},
		{"longest resolved values", frontend.UserDataParams{
			SiteBucket:   "cdk-hnb659fds-assets-123456789012-ap-southeast-4-abcdefghijklmn"[:63],
			SiteKey:      strings.Repeat("f", 64) + ".zip",
			WebSocketURL: "wss://a1b2c3d4e5.execute-api.ap-southeast-4.amazonaws.com.cn/" + strings.Repeat("s", 128),
			Region:       "ap-southeast-4",
			SignalBucket: strings.Repeat("s", 63),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ud, err := frontend.UserData(tt.p)
			if err != nil {
				t.Fatalf("UserData: %v", err)
			}
			t.Logf("%d bytes of %d", len(ud), frontend.MaxUserDataBytes)
			if len(ud) >= frontend.MaxUserDataBytes {
				t.Fatalf("user data is %d bytes, EC2 takes at most %d", len(ud), frontend.MaxUserDataBytes)
			}
		})
	}
}

// The values land in bash as single-quoted words: whatever a value holds, bash sees exactly it,
// and the rendered script is valid bash.
func TestUserDataQuotesParams(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatalf("bash: %v", err)
	}
	p := frontend.UserDataParams{
		SiteBucket:   `it's`,
		SiteKey:      `$(touch /tmp/never) "$HOME"`,
		WebSocketURL: `wss://x.example/'; exit 7; '`,
		Region:       "${Token[AWS.Region.12]}",
		SignalBucket: `sig'nals`,
	}
	ud, err := frontend.UserData(p)
	if err != nil {
		t.Fatalf("UserData: %v", err)
	}
	if out, err := exec.Command(bash, "-n", "-c", ud).CombinedOutput(); err != nil {
		t.Fatalf("bash -n rejects the rendered user data: %v\n%s", err, out)
	}
	// The assignments only, then print them back.
	head, _, ok := strings.Cut(ud, "\nROOT=")
	if !ok {
		t.Fatal("rendered user data has no ROOT= line after the deployment values")
	}
	out, err := exec.Command(bash, "-c", head+"\nprintf '%s\\n' \"$SITE_BUCKET\" \"$SITE_KEY\" \"$WEBSOCKET_URL\" \"$AWS_REGION\"").Output()
	if err != nil {
		t.Fatalf("running the assignments: %v", err)
	}
	want := strings.Join([]string{p.SiteBucket, p.SiteKey, p.WebSocketURL, p.Region}, "\n") + "\n"
	if string(out) != want {
		t.Fatalf("bash saw\n%s\nwant\n%s", out, want)
	}
}

// docs/frontend-instances.md's overrides table states each variable the script takes from its
// environment (VAR=${VAR:-default}) and that default, and no other.
func TestInstancesDocStatesTheOverrides(t *testing.T) {
	stated := map[string]string{}
	for _, cells := range doctable.Rows(t, "../docs/frontend-instances.md", "| Variable | Default |") {
		stated[strings.Trim(cells[0], "`")] = cells[1]
	}
	override := regexp.MustCompile(`(?m)^([A-Z_]+)=\$\{([A-Z_]+):-([^}]*)\}`)
	script, err := os.ReadFile("userdata/user-data.sh.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	// The table states the game's defaults: its Name in the paths.
	found := override.FindAllStringSubmatch(strings.ReplaceAll(string(script), "{{.Name}}", frontend.Name), -1)
	if len(found) == 0 {
		t.Fatal("the script takes no override: the pattern is stale")
	}
	for _, m := range found {
		name, def := m[1], m[3]
		if m[2] != name {
			continue
		}
		cell, ok := stated[name]
		if !ok {
			t.Errorf("docs/frontend-instances.md: no row for %s (default %q)", name, def)
			continue
		}
		delete(stated, name)
		want := "`" + def + "`"
		if def == "" {
			want = "empty"
		}
		if !strings.HasPrefix(cell, want) {
			t.Errorf("docs/frontend-instances.md: %s defaults to %q; the script's default is %s", name, cell, want)
		}
	}
	for name := range stated {
		t.Errorf("docs/frontend-instances.md lists %s, which the script does not take", name)
	}
}

// Another app's web tier says its own name, config file and object, and policy; the game's
// are the defaults; what would break the script, JavaScript or nginx.conf is refused.
func TestUserDataServesAnotherAppsSite(t *testing.T) {
	for _, tt := range []struct {
		name    string
		set     func(*frontend.UserDataParams)
		want    []string
		wantErr string
	}{
		{"the game's defaults", func(*frontend.UserDataParams) {}, []string{
			`printf 'window.TICTACTOE_CONFIG = {"webSocketUrl": "%s"};\n' "$WEBSOCKET_URL" >"$stage/config.js"`,
			"LOG_FILE=${LOG_FILE:-$ROOT/var/log/tictactoe-user-data.log}",
			"SITE_ROOT=${SITE_ROOT:-$ROOT/usr/share/nginx/tictactoe}",
			"# frontend/nginx/nginx.conf of the TicTacToe repository",
			"# TicTacToe web frontend bootstrap",
			`add_header Content-Security-Policy "default-src 'none'; script-src 'self';`,
		}, ""},
		{"another app's", func(p *frontend.UserDataParams) {
			p.Name, p.ConfigFile, p.ConfigObject = "chat", "settings.js", "CHAT_CONFIG"
			p.ContentSecurityPolicy = "default-src 'self'; connect-src 'self' @WS_ORIGIN@"
		}, []string{
			`printf 'window.CHAT_CONFIG = {"webSocketUrl": "%s"};\n' "$WEBSOCKET_URL" >"$stage/settings.js"`,
			`printf 'window.CHAT_CONFIG = {"webSocketUrl": "%s", "webSocketUrls": [%s]};\n' "$WEBSOCKET_URL" "$urls" >"$stage/settings.js"`,
			"LOG_FILE=${LOG_FILE:-$ROOT/var/log/chat-user-data.log}",
			"SITE_ROOT=${SITE_ROOT:-$ROOT/usr/share/nginx/chat}",
			`add_header Content-Security-Policy "default-src 'self'; connect-src 'self' @WS_ORIGIN@" always;`,
			`        /settings.js      "no-store";`, // no cache keeps the config file, under its name
			"# the app's nginx.conf",
			"# chat web frontend bootstrap",
		}, ""},
		{"a whole nginx.conf of the app's", func(p *frontend.UserDataParams) {
			p.NginxConf = "# mine\nevents {}\nhttp { server { listen @NGINX_LISTEN@; root @SITE_ROOT@; } }\n"
		}, []string{"http { server { listen @NGINX_LISTEN@; root @SITE_ROOT@; } }"}, ""},
		{"a policy with nowhere to go", func(p *frontend.UserDataParams) {
			p.NginxConf, p.ContentSecurityPolicy = "events {}\n", "default-src 'self'"
		}, nil, "nginx.conf has no add_header Content-Security-Policy"},
		{"a policy nginx.conf cannot carry", func(p *frontend.UserDataParams) { p.ContentSecurityPolicy = `default-src "self"` }, nil, "ContentSecurityPolicy holds a quote"},
		{"a config file that is not a script", func(p *frontend.UserDataParams) { p.ConfigFile = "../config" }, nil, "ConfigFile"},
		{"a config object that is not a name", func(p *frontend.UserDataParams) { p.ConfigObject = "a.b = 1; x" }, nil, "ConfigObject"},
		{"a name that is not a path part", func(p *frontend.UserDataParams) { p.Name = "My App" }, nil, "Name"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := validUserDataParams()
			tt.set(&p)
			ud, err := frontend.UserData(p)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("UserData error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range tt.want {
				if !strings.Contains(ud, want) {
					t.Errorf("the user data has no line %q", want)
				}
			}
			if strings.Contains(tt.name, "another") && strings.Contains(ud, "TICTACTOE_CONFIG") {
				t.Error("another app's user data still writes TICTACTOE_CONFIG")
			}
		})
	}
}
