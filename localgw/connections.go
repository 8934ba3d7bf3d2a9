package localgw

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The @connections management API, as the apigatewaymanagementapi SDK client calls it:
//
//	POST   /{stage}/@connections/{id}  body: the message to send     → 200
//	GET    /{stage}/@connections/{id}  → 200 {connectedAt, identity, lastActiveAt}
//	DELETE /{stage}/@connections/{id}  closes the connection         → 204
//
// An unknown or closed connection answers 410 GoneException. Requests must be SigV4-signed,
// as on AWS (the signature is not verified: any credentials do), and come from this machine:
// anyone who can reach the API can write to every player.

// connectionInfo is GetConnection's answer.
type connectionInfo struct {
	ConnectedAt  string       `json:"connectedAt"`
	Identity     identityInfo `json:"identity"`
	LastActiveAt string       `json:"lastActiveAt"`
}

type identityInfo struct {
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

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
	id, err := url.PathUnescape(escapedID)
	switch {
	case !fromLoopback(r):
		return apiError(w, http.StatusForbidden, "ForbiddenException", "The @connections API answers only requests from this machine."), 0
	case !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 "):
		return apiError(w, http.StatusForbidden, "ForbiddenException", "Missing Authentication Token: sign the request with SigV4 (any credentials), as on AWS."), 0
	case err != nil || id == "" || strings.Contains(id, "/"):
		return apiError(w, http.StatusBadRequest, "BadRequestException", fmt.Sprintf("Invalid connection id %q.", escapedID)), 0
	}
	switch r.Method {
	case http.MethodPost:
		body, err := io.ReadAll(io.LimitReader(r.Body, g.limits.MessageBytes+1))
		if err != nil {
			return apiError(w, http.StatusBadRequest, "BadRequestException", "Reading the body: "+err.Error()), len(body)
		}
		if int64(len(body)) > g.limits.MessageBytes {
			return apiError(w, http.StatusRequestEntityTooLarge, "PayloadTooLargeException", fmt.Sprintf("Messages are limited to %d bytes.", g.limits.MessageBytes)), len(body)
		}
		c := g.lookup(id)
		if c == nil {
			return gone(w, id), len(body)
		}
		ctx, cancel := context.WithTimeout(g.ctx, sendTimeout)
		defer cancel()
		if err := c.send(ctx, body); err != nil {
			if !errors.Is(err, errGone) {
				g.log.Warn("writing to a client", "conn", id, "error", err.Error())
			}
			return gone(w, id), len(body)
		}
		w.WriteHeader(http.StatusOK)
		return http.StatusOK, len(body)
	case http.MethodGet:
		c := g.lookup(id)
		if c == nil {
			return gone(w, id), 0
		}
		info := connectionInfo{
			ConnectedAt:  timestamp(c.connectedAt),
			Identity:     identityInfo{SourceIP: c.client.sourceIP, UserAgent: c.client.userAgent},
			LastActiveAt: timestamp(time.Unix(0, c.lastActive.Load())),
		}
		b, err := json.Marshal(info)
		if err != nil {
			return apiError(w, http.StatusInternalServerError, "InternalServerErrorException", err.Error()), 0
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
		return http.StatusOK, 0
	case http.MethodDelete:
		c := g.lookup(id)
		if c == nil {
			return gone(w, id), 0
		}
		c.closeWith(closeDeleted)
		w.WriteHeader(http.StatusNoContent)
		return http.StatusNoContent, 0
	}
	w.Header().Set("Allow", "POST, GET, DELETE")
	return apiError(w, http.StatusMethodNotAllowed, "MethodNotAllowedException", "The @connections API takes POST, GET and DELETE."), 0
}

func gone(w http.ResponseWriter, id string) int {
	return apiError(w, http.StatusGone, "GoneException", fmt.Sprintf("No connection %s: it closed, or never existed.", id))
}

// apiError writes an error as API Gateway does: the type in X-Amzn-ErrorType (which the SDK
// maps to its error types, e.g. *types.GoneException) and a JSON message.
func apiError(w http.ResponseWriter, status int, errType, message string) int {
	b, err := json.Marshal(map[string]string{"message": message})
	if err != nil {
		b = []byte(`{"message":"error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", errType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
	return status
}

func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// fromLoopback reports whether r came from this machine.
func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
