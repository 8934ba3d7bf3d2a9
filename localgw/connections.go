package localgw

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/serverless-tictactoe/tictactoe/localgw/management"
)

// The @connections management API (package management owns its wire format), for requests
// that are SigV4-signed, as on AWS (the signature is not verified: any credentials do), and
// come from this machine: anyone who can reach the API can write to every player.

// sendTimeout bounds writing one posted message to a client.
const sendTimeout = 10 * time.Second

func (g *Gateway) serveConnections(w http.ResponseWriter, r *http.Request, escapedID string) {
	start := time.Now()
	status, size := g.manage(w, r, escapedID)
	id, _ := url.PathUnescape(escapedID)
	attrs := []any{"method", r.Method, "conn", id, "status", status, "duration", since(start)}
	if r.Method == http.MethodPost {
		attrs = append(attrs, "bytes", size)
	}
	g.log.Info("@connections", attrs...)
}

// manage answers one @connections request and returns its status and the posted size.
func (g *Gateway) manage(w http.ResponseWriter, r *http.Request, escapedID string) (status, size int) {
	switch {
	case !fromLoopback(r):
		return management.Error(w, http.StatusForbidden, "ForbiddenException", "The @connections API answers only requests from this machine."), 0
	case !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 "):
		return management.Error(w, http.StatusForbidden, "ForbiddenException", "Missing Authentication Token: sign the request with SigV4 (any credentials), as on AWS."), 0
	}
	return management.Serve(w, r, escapedID, managed{g}, g.limits.MessageBytes)
}

// managed is the gateway's open connections, as the @connections API manages them.
type managed struct{ g *Gateway }

func (m managed) Post(id string, body []byte) error {
	c := m.g.lookup(id)
	if c == nil {
		return management.ErrGone
	}
	ctx, cancel := context.WithTimeout(m.g.ctx, sendTimeout)
	defer cancel()
	if err := c.send(ctx, body); err != nil {
		if !errors.Is(err, errGone) {
			m.g.log.Warn("writing to a client", "conn", id, "error", err.Error())
		}
		return management.ErrGone
	}
	return nil
}

func (m managed) Describe(id string) (management.Info, error) {
	c := m.g.lookup(id)
	if c == nil {
		return management.Info{}, management.ErrGone
	}
	return management.Info{
		ConnectedAt:  c.connectedAt,
		LastActiveAt: time.Unix(0, c.lastActive.Load()),
		SourceIP:     c.client.sourceIP,
		UserAgent:    c.client.userAgent,
	}, nil
}

func (m managed) Delete(id string) error {
	c := m.g.lookup(id)
	if c == nil {
		return management.ErrGone
	}
	c.closeWith(closeDeleted)
	return nil
}

// fromLoopback reports whether r came from this machine.
func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
