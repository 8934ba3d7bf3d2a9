// Package frontend holds what the EC2 instances serve and how they are set up: the static
// site (site/, served as is: no build step), and the bash user data that installs NGINX and
// the site on Amazon Linux 2023 (userdata/). The CDK Web frontend construct ships Site as an S3
// asset and renders UserData into the launch template; the local gateway serves Site directly.
package frontend

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"text/template"
)

//go:embed all:site
var siteFS embed.FS

//go:embed userdata/user-data.sh.tmpl
var userDataTmpl string

// Site is the static site's files, rooted at the site directory.
func Site() fs.FS {
	sub, err := fs.Sub(siteFS, "site")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}

// SiteDir is the site's directory relative to the repository root (for CDK assets).
const SiteDir = "frontend/site"

// ConfigFile is the file the site reads its settings from, written per deployment (by the
// user data on EC2, by the local gateway in development): it sets window.TICTACTOE_CONFIG.
const ConfigFile = "config.js"

// UserDataParams are the values a deployment fills into the user data. They may be CDK tokens.
type UserDataParams struct {
	SiteBucket   string // S3 bucket of the site asset
	SiteKey      string // S3 object key of the site asset (a zip of site/)
	WebSocketURL string // wss:// URL of the WebSocket API stage
	Region       string
}

// UserData renders the instance's bash user data.
func UserData(p UserDataParams) (string, error) {
	for name, v := range map[string]string{"SiteBucket": p.SiteBucket, "SiteKey": p.SiteKey, "WebSocketURL": p.WebSocketURL, "Region": p.Region} {
		if v == "" {
			return "", fmt.Errorf("user data: %s is required", name)
		}
	}
	t, err := template.New("user-data").Option("missingkey=error").Parse(userDataTmpl)
	if err != nil {
		return "", fmt.Errorf("parsing the user data template: %w", err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, p); err != nil {
		return "", fmt.Errorf("rendering the user data: %w", err)
	}
	return b.String(), nil
}
