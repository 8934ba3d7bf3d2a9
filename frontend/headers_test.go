package frontend

import (
	"strings"
	"testing"
	"time"
)

func TestSecurityHeadersMatchNginx(t *testing.T) {
	h, err := SecurityHeaders("ws://localhost:8080")
	if err != nil {
		t.Fatal(err)
	}
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"connect-src 'self' ws://localhost:8080;", "script-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
		t.Fatalf("headers %v", h)
	}
	if h.Get("Cache-Control") != "" {
		t.Fatal("Cache-Control depends on the path in nginx; it must not be copied as a constant")
	}
}

func TestHSTSMaxAgeIsAYear(t *testing.T) {
	got, err := HSTSMaxAge()
	if err != nil || got != 365*24*time.Hour {
		t.Fatalf("HSTSMaxAge = %v, %v; want a year (nginx.conf's max-age=31536000)", got, err)
	}
}

func TestSecurityHeadersWithTheSocketOnThePagesHost(t *testing.T) {
	h, err := SecurityHeaders("")
	if err != nil {
		t.Fatal(err)
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self'; ") {
		t.Errorf("CSP %q: want connect-src 'self' alone", csp)
	}
}
