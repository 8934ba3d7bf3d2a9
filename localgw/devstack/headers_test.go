package devstack_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestSiteSendsProductionHeaders: the local site carries NGINX's security headers as they are
// behind the distribution, the socket on the page's own host covered by 'self' alone, so a page
// that breaks the policy breaks under make dev.
func TestSiteSendsProductionHeaders(t *testing.T) {
	st := startStack(t, nil)
	for _, path := range []string{"", "config.js"} {
		resp, err := http.Get(st.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "connect-src 'self';") || !strings.Contains(csp, "script-src 'self'") {
			t.Fatalf("/%s: CSP %q, want connect-src 'self' alone", path, csp)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("/%s: no nosniff", path)
		}
	}
}
