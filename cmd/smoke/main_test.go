package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/serverless-tictactoe/tictactoe/localgw/devstack/devstacktest"
)

// TestExitCodes: 0 against the local stack, 1 naming the failed step against a broken site,
// 2 without a site.
func TestExitCodes(t *testing.T) {
	st := devstacktest.Start(t, devstacktest.Options{})
	t.Setenv("SITE_URL", "")
	t.Setenv("WS_URL", "")
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream connect error", http.StatusBadGateway)
	}))
	defer broken.Close()

	for _, tc := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{args: []string{"-site", st.URL, "-timeout", "10s"}, code: 0, stdout: "every step passed"},
		{args: []string{"-site", broken.URL}, code: 1, stderr: "smoke: FAILED: step site failed: want 200 OK; got 502 Bad Gateway"},
		{args: nil, code: 2, stderr: "give the site's URL"},
		{args: []string{"-site", "ftp://example.com"}, code: 1, stderr: "an http:// or https:// site URL"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(tc.args, &stdout, &stderr); code != tc.code {
			t.Errorf("%v: exit %d, want %d\nstdout: %s\nstderr: %s", tc.args, code, tc.code, stdout.String(), stderr.String())
		}
		if !strings.Contains(stdout.String(), tc.stdout) || !strings.Contains(stderr.String(), tc.stderr) {
			t.Errorf("%v: stdout %q, stderr %q; want %q and %q", tc.args, stdout.String(), stderr.String(), tc.stdout, tc.stderr)
		}
	}
}
