// Package frontend holds what the EC2 instances serve and how they are set up: the static
// site's source (site/: ES modules, a stylesheet and the page, no framework), and the bash user
// data that installs NGINX and the site on Amazon Linux 2023 (userdata/). What ships is Site
// built by package sitebuild (each script and stylesheet minified, nothing renamed or
// bundled): the CDK Web frontend construct stages it as an S3 asset and renders UserData into
// the launch template; the local gateway serves the same build.
package frontend

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"strings"
	"text/template"
)

//go:embed all:site
var siteFS embed.FS

//go:embed userdata/user-data.sh.tmpl
var userDataTmpl string

//go:embed nginx/nginx.conf
var nginxConf string

// Site is the static site's source files, rooted at the site directory: what sitebuild.Build
// makes the served site from.
func Site() fs.FS {
	sub, err := fs.Sub(siteFS, "site")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}

// ConfigFile is the file the site reads its settings from, written per deployment (by the
// user data on EC2, by the local gateway in development): it sets window.ConfigObject.
const ConfigFile = "config.js"

// ConfigObject is the global object ConfigFile sets: window.TICTACTOE_CONFIG.
const ConfigObject = "TICTACTOE_CONFIG"

// Name names the game on its instances: the site under /usr/share/nginx/tictactoe, the boot log
// /var/log/tictactoe-user-data.log.
const Name = "tictactoe"

// InstanceFile names the instance that served the page (its id and zone), written by the user
// data on EC2; the local gateway answers it with no content.
const InstanceFile = "instance.json"

// UserDataParams are the values a deployment fills into the user data. They may be CDK token
// strings ("${Token[TOKEN.123]}"), resolved only by CloudFormation, so UserData checks no more
// than presence here; the script checks each resolved value's form on the instance at boot.
type UserDataParams struct {
	SiteBucket   string // S3 bucket of the site asset
	SiteKey      string // S3 object key of the site asset (a zip of site/)
	WebSocketURL string // wss:// URL of the WebSocket API stage (the CSP allows exactly its origin), or a path such as /ws on the page's own host
	// FallbackSockets are other Regions' sockets, paths on the page's own host (/ws-eu-central-1),
	// which config.js lists after WebSocketURL for the page to fail over to. Default: none.
	FallbackSockets []string
	Region          string // region of the site bucket, for the AWS CLI
	SignalBucket    string // where the instance reports SUCCESS/<id> or FAILURE/<id> (same region)

	// What the web tier serves, the game's where empty (another app's site says its own):
	// ConfigFile and ConfigObject are the file the instance writes into the site and the
	// global object it sets (window.<ConfigObject> = {"webSocketUrl": …}); Name names the
	// site's directory (/usr/share/nginx/<Name>) and the boot log
	// (/var/log/<Name>-user-data.log); NginxConf is the whole nginx.conf, with nginx.conf's
	// @…@ placeholders; ContentSecurityPolicy replaces the value of its
	// Content-Security-Policy header (@WS_ORIGIN@ stands for the socket's origin).
	ConfigFile, ConfigObject, Name, NginxConf, ContentSecurityPolicy string
}

var (
	configFileForm   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*\.js$`)
	configObjectForm = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	nameForm         = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)
	cspHeader        = regexp.MustCompile(`(?m)^(\s*add_header\s+Content-Security-Policy\s+")[^"]*("\s+always;)`)
)

// withDefaults is p with the game's values where p names none, checked: each lands in the
// script, in JavaScript or in nginx.conf as it is.
func (p UserDataParams) withDefaults() (UserDataParams, error) {
	for _, f := range []struct {
		field *string
		def   string
	}{{&p.ConfigFile, ConfigFile}, {&p.ConfigObject, ConfigObject}, {&p.Name, Name}, {&p.NginxConf, nginxConf}} {
		if *f.field == "" {
			*f.field = f.def
		}
	}
	switch {
	case !configFileForm.MatchString(p.ConfigFile):
		return p, fmt.Errorf("user data: ConfigFile %q is not a file name ending in .js, such as config.js", p.ConfigFile)
	case !configObjectForm.MatchString(p.ConfigObject):
		return p, fmt.Errorf("user data: ConfigObject %q is not a JavaScript name such as CHAT_CONFIG", p.ConfigObject)
	case !nameForm.MatchString(p.Name):
		return p, fmt.Errorf("user data: Name %q is not lower-case letters, digits and hyphens (at most 40)", p.Name)
	}
	// The game's nginx.conf never lets a cache keep the config file: under another name too.
	if p.ConfigFile != ConfigFile && p.NginxConf == nginxConf {
		p.NginxConf = strings.Replace(p.NginxConf, "\n        /"+ConfigFile+" ", "\n        /"+p.ConfigFile+" ", 1)
	}
	if p.ContentSecurityPolicy != "" {
		if strings.ContainsAny(p.ContentSecurityPolicy, "\"$\\\n") {
			return p, fmt.Errorf("user data: ContentSecurityPolicy holds a quote, a dollar sign, a backslash or a line break, which nginx.conf cannot carry as it is")
		}
		if !cspHeader.MatchString(p.NginxConf) {
			return p, fmt.Errorf("user data: ContentSecurityPolicy is set but nginx.conf has no add_header Content-Security-Policy \"…\" always; line to put it in")
		}
		// No $ in the policy (refused above), so the replacement expands only the two groups.
		p.NginxConf = cspHeader.ReplaceAllString(p.NginxConf, "${1}"+p.ContentSecurityPolicy+"${2}")
	}
	return p, nil
}

// FallbackSocketList is FallbackSockets as the script reads them: space-separated.
func (p UserDataParams) FallbackSocketList() string {
	return strings.Join(p.FallbackSockets, " ")
}

// MaxUserDataBytes is EC2's limit on user data, counted before base64 encoding.
const MaxUserDataBytes = 16 * 1024

// nginxConfEnd ends the quoted heredoc that carries nginx.conf inside the script.
const nginxConfEnd = "TICTACTOE_NGINX_CONF"

// UserData renders the instance's bash user data: one self-contained script (nginx.conf
// included) for Amazon Linux 2023, described in docs/frontend-instances.md.
func UserData(p UserDataParams) (string, error) {
	for _, f := range []struct{ name, value string }{
		{"SiteBucket", p.SiteBucket}, {"SiteKey", p.SiteKey},
		{"WebSocketURL", p.WebSocketURL}, {"Region", p.Region}, {"SignalBucket", p.SignalBucket},
	} {
		if f.value == "" {
			return "", fmt.Errorf("user data: %s is required", f.name)
		}
	}
	p, err := p.withDefaults()
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(p.NginxConf, "\n") {
		if line == nginxConfEnd {
			return "", fmt.Errorf("user data: nginx.conf contains the line %q that ends its heredoc", nginxConfEnd)
		}
	}
	t, err := template.New("user-data").Option("missingkey=error").Funcs(template.FuncMap{
		"shq":       shellQuote,
		"nginxConf": func() string { return instanceNginxConf(p.NginxConf) },
	}).Parse(userDataTmpl)
	if err != nil {
		return "", fmt.Errorf("parsing the user data template: %w", err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, p); err != nil {
		return "", fmt.Errorf("rendering the user data: %w", err)
	}
	if b.Len() > MaxUserDataBytes {
		return "", fmt.Errorf("user data: %d bytes rendered, EC2 takes at most %d", b.Len(), MaxUserDataBytes)
	}
	return b.String(), nil
}

// instanceNginxConf is nginx.conf as the instance gets it: without its comment lines, which
// would take a third of EC2's 16 KB of user data. The repository's file keeps them, and the
// first line of the instance's says where it is.
func instanceNginxConf(conf string) string {
	first := "# frontend/nginx/nginx.conf of the TicTacToe repository, its comments left out"
	if conf != nginxConf {
		first = "# the app's nginx.conf (WebFrontend's NginxConf), its comments left out"
	}
	lines := []string{first}
	for _, line := range strings.Split(strings.TrimRight(conf, "\n"), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, "\n")
}

// shellQuote makes s one single-quoted bash word. A CDK token passes through unchanged (it has
// no quote), and CloudFormation puts the resolved value inside the quotes, which is why the
// script, not this, checks the resolved values.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
