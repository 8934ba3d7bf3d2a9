package frontend

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// addHeader matches nginx.conf's constant response headers: add_header NAME "VALUE" always;
var addHeader = regexp.MustCompile(`(?m)^\s*add_header\s+([A-Za-z-]+)\s+"([^"$]*)"\s+always;`)

// SecurityHeaders are the headers NGINX sends with every response in production
// (nginx/nginx.conf), with wsOrigin (e.g. ws://localhost:8080) as the WebSocket origin the
// Content-Security-Policy allows beside 'self', or none when it is empty (the socket on the
// page's own host, as behind the CloudFront distribution). The local stack sends the same, so a page that breaks the
// policy breaks under `make dev` too, not first in production.
func SecurityHeaders(wsOrigin string) (http.Header, error) {
	h := http.Header{}
	for _, m := range addHeader.FindAllStringSubmatch(nginxConf, -1) {
		v := m[2]
		if wsOrigin == "" { // the socket on the page's own host: 'self' covers it
			v = strings.ReplaceAll(v, " @WS_ORIGIN@", "")
		}
		h.Set(m[1], strings.ReplaceAll(v, "@WS_ORIGIN@", wsOrigin))
	}
	if h.Get("Content-Security-Policy") == "" || strings.Contains(h.Get("Content-Security-Policy"), "@") {
		return nil, fmt.Errorf("nginx.conf: no Content-Security-Policy header with the @WS_ORIGIN@ placeholder found")
	}
	return h, nil
}

// hstsValue is the Strict-Transport-Security value nginx.conf sends to HTTPS visitors.
var hstsValue = regexp.MustCompile(`(?m)^\s*https\s+"max-age=([0-9]+)";`)

// HSTSMaxAge is how long browsers are told to use HTTPS only: nginx.conf's value, which the
// CloudFront distribution sends too, so the site says one thing whoever answers.
func HSTSMaxAge() (time.Duration, error) {
	m := hstsValue.FindStringSubmatch(nginxConf)
	if m == nil {
		return 0, fmt.Errorf("nginx.conf: no Strict-Transport-Security max-age found in the HSTS map")
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return 0, fmt.Errorf("nginx.conf: HSTS max-age %q: %w", m[1], err)
	}
	return time.Duration(n) * time.Second, nil
}
