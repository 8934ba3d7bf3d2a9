package devstack_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestSiteSendsProductionHeaders: the local site carries NGINX's security headers, with the
// local WebSocket origin in the CSP, so a page that breaks the policy breaks under make dev.
func TestSiteSendsProductionHeaders(t *testing.T) {
	st := startStack(t, nil)
	for _, path := range []string{"", "config.js"} {
		resp, err := http.Get(st.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		csp := resp.Header.Get("Content-Security-Policy")
		wsOrigin := strings.TrimSuffix(st.WebSocketURL, "/dev")
		if !strings.Contains(csp, "connect-src 'self' "+wsOrigin+";") || !strings.Contains(csp, "script-src 'self'") {
			t.Fatalf("/%s: CSP %q, want connect-src for %s", path, csp, wsOrigin)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("/%s: no nosniff", path)
		}
	}
}
