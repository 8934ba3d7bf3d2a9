package userdatatest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/serverless-tictactoe/tictactoe/frontend"
)

// deployment is what the stack would resolve its tokens to.
var deployment = frontend.UserDataParams{
	SiteBucket:   "frontend-sitebucket-1a2b3c4d5e6f",
	SiteKey:      "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9.zip",
	WebSocketURL: "wss://a1b2c3d4e5.execute-api.eu-west-3.amazonaws.com/live",
	Region:       "eu-west-3",
	SignalBucket: "frontend-signals-9f8e7d6c5b4a",
}

const wsOrigin = "wss://a1b2c3d4e5.execute-api.eu-west-3.amazonaws.com"

// assetCache is an asset's Cache-Control: browsers revalidate every time, the distribution
// keeps it 5 minutes.
const assetCache = "max-age=0, must-revalidate, s-maxage=300"

// probeName is a static asset the test adds beside the real site's files, so caching and
// compression are checked on an asset whose size the test controls.
const probeName = "probe.css"

// probe is the asset's content: every color gives the same size.
func probe(color string) string { return strings.Repeat(".cell{color:#"+color+"}\n", 40) }

func TestUserDataBootsAnInstance(t *testing.T) {
	tl := requireTools(t)
	in := newInstance(t, deployment, startIMDS(t, true))
	in.deploySite(map[string]string{probeName: probe("000")})
	out, calls := in.mustRun()

	t.Run("installs with dnf, fetches the asset, enables and starts nginx", func(t *testing.T) {
		for _, want := range []string{
			"dnf install -y -q nginx unzip awscli-2",
			"aws s3 cp --only-show-errors --region eu-west-3 s3://" + deployment.SiteBucket + "/" + deployment.SiteKey + " ",
			"systemctl enable --quiet nginx",
			"systemctl start nginx",
		} {
			if !hasCall(calls, want) {
				t.Errorf("no call %q among:\n%s", want, strings.Join(calls, "\n"))
			}
		}
	})
	t.Run("reports success once nginx serves the site, and only then", func(t *testing.T) {
		success := "s3://" + deployment.SignalBucket + "/SUCCESS/" + emulatedInstanceID
		var started, signalled = -1, -1
		for i, c := range calls {
			if c == "systemctl start nginx" {
				started = i
			}
			if strings.HasPrefix(c, "aws s3 cp --only-show-errors --region eu-west-3 ") && strings.HasSuffix(c, " "+success) {
				signalled = i
			}
			if strings.Contains(c, "/FAILURE/") {
				t.Errorf("a good boot reported a failure: %s", c)
			}
		}
		if signalled < 0 || signalled < started {
			t.Errorf("no %s after nginx started among:\n%s", success, strings.Join(calls, "\n"))
		}
	})
	t.Run("reports success again, for a signals bucket whose events are not flowing yet", func(t *testing.T) {
		var n int
		for _, c := range calls {
			if strings.HasSuffix(c, " s3://"+deployment.SignalBucket+"/SUCCESS/"+emulatedInstanceID) {
				n++
			}
		}
		if n < 2 {
			t.Errorf("%d success reports, want the first and its repeats", n)
		}
	})
	t.Run("logs to the console and a file", func(t *testing.T) {
		logged, err := os.ReadFile(in.rootPath("var/log/tictactoe-user-data.log"))
		if err != nil {
			t.Fatalf("reading the log file: %v", err)
		}
		if !strings.Contains(out, "done in") || string(logged) != out {
			t.Errorf("console output and log file differ or lack the final line:\nconsole:\n%s\nfile:\n%s", out, logged)
		}
	})
	t.Run("nginx -t accepts the written config", func(t *testing.T) {
		b, err := exec.Command(tl.nginx, in.nginxArgs("-t")...).CombinedOutput()
		if err != nil || !strings.Contains(string(b), "test is successful") {
			t.Fatalf("nginx -t: %v\n%s", err, b)
		}
	})

	base := in.startNginx(tl)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableCompression: true}}
	index, err := fs.ReadFile(frontend.Site(), "index.html")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("serves the site, its config, the instance facts and the health check", func(t *testing.T) {
		tests := []struct {
			path, wantType, wantCache string
			wantBody                  string
		}{
			{"/", "text/html; charset=utf-8", "no-store", string(index)},
			{"/healthz", "text/plain; charset=utf-8", "no-store", "ok\n"},
			{"/config.js", "text/javascript; charset=utf-8", "no-store",
				`window.TICTACTOE_CONFIG = {"webSocketUrl": "` + deployment.WebSocketURL + `"};` + "\n"},
			{"/instance.json", "application/json; charset=utf-8", "no-store",
				`{"instanceId": "` + emulatedInstanceID + `", "availabilityZone": "` + emulatedZone + `", "region": "` + emulatedRegion + `"}` + "\n"},
			{"/" + probeName, "text/css; charset=utf-8", assetCache, probe("000")},
		}
		for _, tt := range tests {
			resp, body := get(t, client, base+tt.path, nil)
			if resp.StatusCode != http.StatusOK || string(body) != tt.wantBody {
				t.Errorf("GET %s = %d %q, want 200 %q", tt.path, resp.StatusCode, body, tt.wantBody)
			}
			if got := resp.Header.Get("Content-Type"); got != tt.wantType {
				t.Errorf("GET %s Content-Type = %q, want %q", tt.path, got, tt.wantType)
			}
			if got := resp.Header.Get("Cache-Control"); got != tt.wantCache {
				t.Errorf("GET %s Cache-Control = %q, want %q", tt.path, got, tt.wantCache)
			}
		}
		var cfg struct {
			WebSocketURL string `json:"webSocketUrl"`
		}
		_, body := get(t, client, base+"/config.js", nil)
		js := strings.TrimSuffix(strings.TrimPrefix(string(body), "window.TICTACTOE_CONFIG = "), ";\n")
		if err := json.Unmarshal([]byte(js), &cfg); err != nil || cfg.WebSocketURL != deployment.WebSocketURL {
			t.Errorf("config.js object %q: webSocketUrl %q, err %v", js, cfg.WebSocketURL, err)
		}
	})

	// Every file of the site is in the asset and served as it is, each of the page's modules
	// as JavaScript: a browser runs no module script served as anything else.
	t.Run("serves every site file, modules as JavaScript", func(t *testing.T) {
		files := in.siteFiles("")
		if len(files) < 3 {
			t.Fatalf("the site has %d files", len(files))
		}
		for name, want := range files {
			resp, body := get(t, client, base+"/"+name, nil)
			if resp.StatusCode != http.StatusOK || !bytes.Equal(body, want) {
				t.Errorf("GET /%s = %d, %d bytes; want 200 and the asset's %d bytes", name, resp.StatusCode, len(body), len(want))
			}
			if ext := path.Ext(name); ext == ".mjs" || ext == ".js" {
				if got := resp.Header.Get("Content-Type"); got != "text/javascript; charset=utf-8" {
					t.Errorf("GET /%s Content-Type = %q, want text/javascript; charset=utf-8", name, got)
				}
			}
		}
	})

	t.Run("security headers on pages, assets and errors", func(t *testing.T) {
		wantCSP := map[string]string{
			"default-src":     "'none'",
			"script-src":      "'self'",
			"style-src":       "'self'",
			"connect-src":     "'self' " + wsOrigin,
			"frame-ancestors": "'none'",
		}
		for _, path := range []string{"/", "/" + probeName, "/no-such-page"} {
			resp, _ := get(t, client, base+path, nil)
			csp := parseCSP(resp.Header.Get("Content-Security-Policy"))
			for directive, want := range wantCSP {
				if csp[directive] != want {
					t.Errorf("GET %s: CSP %s = %q, want %q", path, directive, csp[directive], want)
				}
			}
			for header, want := range map[string]string{
				"X-Content-Type-Options": "nosniff",
				"X-Frame-Options":        "DENY",
				"Referrer-Policy":        "no-referrer",
				"Server":                 "nginx", // no version
			} {
				if got := resp.Header.Get(header); got != want {
					t.Errorf("GET %s: %s = %q, want %q", path, header, got, want)
				}
			}
		}
	})

	t.Run("HSTS only to visitors who came over HTTPS", func(t *testing.T) {
		for _, tt := range []struct {
			proto, want string
		}{
			{"", ""},     // the ALB always sets the header; an absent one is not HTTPS
			{"http", ""}, // a deployment without a certificate must not lock browsers out
			{"https", "max-age=31536000"},
		} {
			header := map[string]string{}
			if tt.proto != "" {
				header["X-Forwarded-Proto"] = tt.proto
			}
			for _, path := range []string{"/", "/no-such-page"} {
				resp, _ := get(t, client, base+path, header)
				if got := resp.Header.Get("Strict-Transport-Security"); got != tt.want {
					t.Errorf("GET %s with X-Forwarded-Proto %q: Strict-Transport-Security %q, want %q", path, tt.proto, got, tt.want)
				}
			}
		}
	})

	t.Run("gzip for the page and assets", func(t *testing.T) {
		for path, want := range map[string]string{"/": string(index), "/" + probeName: probe("000")} {
			resp, body := get(t, client, base+path, map[string]string{"Accept-Encoding": "gzip"})
			if resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
				t.Errorf("GET %s with gzip: Content-Encoding %q, Vary %q", path, resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"))
				continue
			}
			zr, err := gzip.NewReader(strings.NewReader(string(body)))
			if err != nil {
				t.Fatalf("GET %s: gzip: %v", path, err)
			}
			plain, err := io.ReadAll(zr)
			if err != nil || string(plain) != want {
				t.Errorf("GET %s: gunzipped %q (err %v), want %q", path, plain, err, want)
			}
		}
	})

	etag := revalidates(t, client, base+"/"+probeName)

	t.Run("only GET, no dotfiles", func(t *testing.T) {
		resp, err := client.Post(base+"/", "text/plain", strings.NewReader("x"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST / = %d, want 403", resp.StatusCode)
		}
		if resp, _ := get(t, client, base+"/.env", nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET /.env = %d, want 404", resp.StatusCode)
		}
	})

	t.Run("a second run changes nothing", func(t *testing.T) {
		before := in.treeState()
		out, calls := in.mustRun()
		if diff := stateDiff(before, in.treeState()); diff != "" {
			t.Errorf("the second run changed the instance:\n%s\noutput:\n%s", diff, out)
		}
		if hasCall(calls, "systemctl start") || hasCall(calls, "systemctl reload") {
			t.Errorf("the second run restarted nginx: %q", calls)
		}
		for _, want := range []string{"site unchanged", "nginx.conf unchanged"} {
			if !strings.Contains(out, want) {
				t.Errorf("the second run's log lacks %q:\n%s", want, out)
			}
		}
		if resp, _ := get(t, client, base+"/healthz", nil); resp.StatusCode != http.StatusOK {
			t.Errorf("GET /healthz after the second run = %d", resp.StatusCode)
		}
	})

	t.Run("a same-size edit of an asset changes its ETag", func(t *testing.T) {
		in.deploySite(map[string]string{probeName: probe("111")})
		_, calls := in.mustRun()
		if hasCall(calls, "systemctl reload") {
			t.Errorf("a site-only change reloaded nginx: %q", calls)
		}
		resp, body := get(t, client, base+"/"+probeName, map[string]string{"If-None-Match": etag})
		if resp.StatusCode != http.StatusOK || string(body) != probe("111") {
			t.Errorf("GET with the old ETag = %d %q, want 200 with the new content", resp.StatusCode, body)
		}
		if got := resp.Header.Get("ETag"); got == etag || got == "" {
			t.Errorf("ETag after the edit = %q, before %q", got, etag)
		}
	})

	t.Run("a new WebSocket URL reloads nginx with its origin in the CSP", func(t *testing.T) {
		in.p.WebSocketURL = "wss://z9y8x7w6v5.execute-api.eu-west-3.amazonaws.com/live"
		_, calls := in.mustRun()
		if !hasCall(calls, "systemctl reload nginx") {
			t.Fatalf("no reload among %q", calls)
		}
		want := "'self' wss://z9y8x7w6v5.execute-api.eu-west-3.amazonaws.com"
		deadline := time.Now().Add(5 * time.Second)
		for {
			resp, body := get(t, client, base+"/config.js", nil)
			got := parseCSP(resp.Header.Get("Content-Security-Policy"))["connect-src"]
			if got == want && strings.Contains(string(body), in.p.WebSocketURL) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after the reload: connect-src %q, config.js %q; want %q and the new URL", got, body, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

// revalidates checks that an asset comes with an ETag and that asking again with it costs a
// 304, and returns the ETag.
func revalidates(t *testing.T, client *http.Client, url string) string {
	t.Helper()
	var etag string
	t.Run("assets revalidate with their ETag", func(t *testing.T) {
		resp, _ := get(t, client, url, nil)
		etag = resp.Header.Get("ETag")
		if etag == "" || resp.Header.Get("Cache-Control") != assetCache {
			t.Fatalf("GET %s: ETag %q, Cache-Control %q; want an ETag and %s", url, etag, resp.Header.Get("Cache-Control"), assetCache)
		}
		resp, body := get(t, client, url, map[string]string{"If-None-Match": etag})
		if resp.StatusCode != http.StatusNotModified || len(body) != 0 {
			t.Errorf("GET %s If-None-Match %s = %d with %d bytes, want 304 and none", url, etag, resp.StatusCode, len(body))
		}
	})
	return etag
}

func TestUserDataNeedsIMDSv2Tokens(t *testing.T) {
	requireTools(t)
	tests := []struct {
		name    string
		v2Only  bool // the emulator refuses requests without a token, as EC2 with HttpTokens=required
		env     []string
		wantErr bool
	}{
		{"tokens, metadata requires them", true, nil, false},
		{"no token, metadata requires them", true, []string{"IMDS_SKIP_TOKEN=1"}, true},
		// The refusal above comes from the emulator's enforcement, not from the knob itself.
		{"no token, metadata allows IMDSv1", false, []string{"IMDS_SKIP_TOKEN=1"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := newInstance(t, deployment, startIMDS(t, tt.v2Only))
			in.deploySite(nil)
			out, calls, err := in.run(tt.env...)
			facts, readErr := os.ReadFile(in.rootPath("usr/share/nginx/tictactoe/instance.json"))
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("user data failed: %v\n%s", err, out)
				}
				if !strings.Contains(string(facts), emulatedInstanceID) {
					t.Fatalf("instance.json = %q (%v), want the emulator's instance id", facts, readErr)
				}
				return
			}
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("user data: %v, want exit status 1\n%s", err, out)
			}
			for _, want := range []string{"401", "error: reading instance metadata instance-id", "a 401 means no valid IMDSv2 token"} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			if readErr == nil || hasCall(calls, "systemctl") {
				t.Errorf("a refused boot went on: instance.json %q, calls %q", facts, calls)
			}
		})
	}
}

// Resolved values are checked on the instance before anything is installed: a value that is not
// what its name says stops the boot with a message naming it.
// Behind the CloudFront distribution the socket is a path on the page's own host: config.js
// carries the path and the CSP's 'self' covers it, naming no other origin.
func TestUserDataServesASocketOnItsOwnHost(t *testing.T) {
	tl := requireTools(t)
	p := deployment
	p.WebSocketURL = "/ws"
	in := newInstance(t, p, startIMDS(t, true))
	in.deploySite(nil)
	in.mustRun()
	base := in.startNginx(tl)
	client := &http.Client{Timeout: 5 * time.Second}
	_, body := get(t, client, base+"/config.js", nil)
	if want := `window.TICTACTOE_CONFIG = {"webSocketUrl": "/ws"};` + "\n"; string(body) != want {
		t.Errorf("config.js = %q, want %q", body, want)
	}
	resp, _ := get(t, client, base+"/", map[string]string{"X-Forwarded-Proto": "http"})
	if got := parseCSP(resp.Header.Get("Content-Security-Policy"))["connect-src"]; got != "'self'" {
		t.Errorf("CSP connect-src = %q, want only 'self'", got)
	}
}

// In a multi-Region deployment config.js lists the other Regions' sockets after the page's own,
// in order, each a path on the distribution's host that 'self' covers; a value that is not
// such a path stops the boot.
func TestUserDataListsOtherRegionsSockets(t *testing.T) {
	tl := requireTools(t)
	p := deployment
	p.WebSocketURL = "/ws"
	p.FallbackSockets = []string{"/ws-eu-central-1", "/ws-us-east-2"}
	in := newInstance(t, p, startIMDS(t, true))
	in.deploySite(nil)
	in.mustRun()
	base := in.startNginx(tl)
	client := &http.Client{Timeout: 5 * time.Second}
	_, body := get(t, client, base+"/config.js", nil)
	want := `window.TICTACTOE_CONFIG = {"webSocketUrl": "/ws", "webSocketUrls": ["/ws", "/ws-eu-central-1", "/ws-us-east-2"]};` + "\n"
	if string(body) != want {
		t.Errorf("config.js = %q, want %q", body, want)
	}
	resp, _ := get(t, client, base+"/", map[string]string{"X-Forwarded-Proto": "http"})
	if got := parseCSP(resp.Header.Get("Content-Security-Policy"))["connect-src"]; got != "'self'" {
		t.Errorf("CSP connect-src = %q, want only 'self'", got)
	}

	bad := deployment
	bad.WebSocketURL = "/ws"
	bad.FallbackSockets = []string{"/ws-b", `wss://evil.example/"`}
	refused := newInstance(t, bad, startIMDS(t, true))
	refused.deploySite(nil)
	out, _, err := refused.run()
	if err == nil {
		t.Fatal("a fallback socket that is not a path: the boot went on")
	}
	if !strings.Contains(out, "FALLBACK_SOCKETS is not space-separated paths") {
		t.Errorf("output does not name FALLBACK_SOCKETS:\n%s", out)
	}
}

// A broken boot never reports success, so CloudFormation never counts the instance as
// launched: the rolling update stops and rolls back. It reports the failure instead, when it
// knows which instance it is, so the rollback starts at once rather than at the timeout.
func TestUserDataBrokenBootReportsNoSuccess(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(*instance) []string // extra environment
		wantLog string
	}{
		{"a site asset without its page", func(in *instance) []string {
			in.deploySiteWithout("index.html")
			return nil
		}, "the site asset has no index.html"},
		{"nginx that starts and dies", func(in *instance) []string {
			in.deploySite(nil)
			return []string{"SHIM_NGINX_DEAD=1", "SERVE_WAIT=2"}
		}, "NGINX does not serve the site"},
	}
	requireTools(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := newInstance(t, deployment, startIMDS(t, true))
			env := tt.prepare(in)
			out, calls, err := in.run(env...)
			if err == nil || !strings.Contains(out, tt.wantLog) {
				t.Fatalf("user data: %v, want a failure logging %q:\n%s", err, tt.wantLog, out)
			}
			var failure bool
			for _, c := range calls {
				if strings.Contains(c, "/SUCCESS/") {
					t.Errorf("a broken boot reported success: %s", c)
				}
				failure = failure || strings.HasSuffix(c, "s3://"+deployment.SignalBucket+"/FAILURE/"+emulatedInstanceID)
			}
			if !failure {
				t.Errorf("no FAILURE report among:\n%s", strings.Join(calls, "\n"))
			}
		})
	}
}

// A repeat of the success report that fails is no failed boot: the instance serves the site and
// said so once.
func TestUserDataFailedRepeatIsNoFailure(t *testing.T) {
	requireTools(t)
	in := newInstance(t, deployment, startIMDS(t, true))
	in.deploySite(nil)
	out, calls, err := in.run("SHIM_UPLOADS_OK=1", "SIGNAL_REPEATS=2")
	if err != nil {
		t.Fatalf("user data failed after its success was reported: %v\n%s", err, out)
	}
	if !strings.Contains(out, "repeat 1 of the success report failed") {
		t.Errorf("the failed repeat is not logged:\n%s", out)
	}
	for _, c := range calls {
		if strings.Contains(c, "/FAILURE/") {
			t.Errorf("a boot that reported success reported a failure: %s", c)
		}
	}
}

func TestUserDataRejectsBadValues(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatalf("bash: %v", err)
	}
	tests := []struct {
		name    string
		change  func(*frontend.UserDataParams)
		wantLog string
	}{
		{"unresolved token as bucket", func(p *frontend.UserDataParams) { p.SiteBucket = "${Token[TOKEN.123]}" },
			"SITE_BUCKET is not an S3 bucket name: '${Token[TOKEN.123]}'"},
		{"space in the key", func(p *frontend.UserDataParams) { p.SiteKey = "a b.zip" }, "SITE_KEY is not an S3 object key"},
		{"region name", func(p *frontend.UserDataParams) { p.Region = "Europe (Paris)" }, "AWS_REGION is not an AWS region"},
		{"plain ws URL", func(p *frontend.UserDataParams) { p.WebSocketURL = "ws://example.com/live" }, "WEBSOCKET_URL is not a wss:// URL"},
		{"relative path", func(p *frontend.UserDataParams) { p.WebSocketURL = "ws" }, "WEBSOCKET_URL is not a wss:// URL or a path"},
		{"path breaking JSON", func(p *frontend.UserDataParams) { p.WebSocketURL = `/ws"};alert(1);//` }, "WEBSOCKET_URL is not a wss:// URL or a path"},
		{"URL breaking JSON", func(p *frontend.UserDataParams) { p.WebSocketURL = `wss://example.com/"};alert(1);//` },
			"WEBSOCKET_URL is not a wss:// URL"},
		{"URL breaking the shell quotes", func(p *frontend.UserDataParams) { p.WebSocketURL = `wss://example.com/'; touch "$ROOT/pwned"; '` },
			"WEBSOCKET_URL is not a wss:// URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := deployment
			tt.change(&p)
			in := newInstance(t, p, "http://127.0.0.1:9")
			out, calls, err := in.run()
			if err == nil || !strings.Contains(out, "error: "+tt.wantLog) {
				t.Fatalf("user data: %v, want a failure logging %q:\n%s", err, tt.wantLog, out)
			}
			if len(calls) > 0 {
				t.Errorf("the script went on after the bad value: %q", calls)
			}
			if _, err := os.Stat(in.rootPath("pwned")); err == nil {
				t.Errorf("a value ran as a command")
			}
		})
	}
}

func get(t *testing.T, client *http.Client, url string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", url, err)
	}
	return resp, body
}

// parseCSP maps each directive to its sources, as written.
func parseCSP(policy string) map[string]string {
	m := map[string]string{}
	for _, d := range strings.Split(policy, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		if name != "" {
			m[name] = value
		}
	}
	return m
}
