// Package management answers API Gateway's @connections management API over HTTP, as the
// apigatewaymanagementapi SDK client calls it:
//
//	POST   /{stage}/@connections/{id}  body: the message to send     → 200
//	GET    /{stage}/@connections/{id}  → 200 {connectedAt, identity, lastActiveAt}
//	DELETE /{stage}/@connections/{id}  closes the connection         → 204
//
// An unknown or closed connection answers 410 GoneException. It is the one copy of that wire
// format: the local gateway (localgw) serves it over its real connections, and the handlers'
// tests (lambda/connections/connectionstest) over recorded ones.
package management

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ErrGone is a connection that is closed, closing or unknown: 410 GoneException.
var ErrGone = errors.New("connection gone")

// Info is GetConnection's answer.
type Info struct {
	ConnectedAt, LastActiveAt time.Time
	SourceIP, UserAgent       string
}

// Connections are what the API manages.
type Connections interface {
	// Post delivers body to connection id (ErrGone: it cannot).
	Post(id string, body []byte) error
	// Describe is connection id (ErrGone: there is none).
	Describe(id string) (Info, error)
	// Delete closes connection id (ErrGone: there is none).
	Delete(id string) error
}

// Serve answers one request for the connection escapedID (the path after @connections/, as
// sent), over conns, and returns its status and the posted size. A body over maxBytes is
// refused (413), as API Gateway refuses one over 128 KB. Who may call is the caller's check.
func Serve(w http.ResponseWriter, r *http.Request, escapedID string, conns Connections, maxBytes int64) (status, size int) {
	id, err := url.PathUnescape(escapedID)
	if err != nil || id == "" || strings.Contains(id, "/") {
		return Error(w, http.StatusBadRequest, "BadRequestException", fmt.Sprintf("Invalid connection id %q.", escapedID)), 0
	}
	switch r.Method {
	case http.MethodPost:
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBytes+1))
		if err != nil {
			return Error(w, http.StatusBadRequest, "BadRequestException", "Reading the body: "+err.Error()), len(body)
		}
		if int64(len(body)) > maxBytes {
			return Error(w, http.StatusRequestEntityTooLarge, "PayloadTooLargeException", fmt.Sprintf("Messages are limited to %d bytes.", maxBytes)), len(body)
		}
		if err := conns.Post(id, body); err != nil {
			return gone(w, id), len(body)
		}
		w.WriteHeader(http.StatusOK)
		return http.StatusOK, len(body)
	case http.MethodGet:
		info, err := conns.Describe(id)
		if err != nil {
			return gone(w, id), 0
		}
		b, err := json.Marshal(map[string]any{
			"connectedAt":  timestamp(info.ConnectedAt),
			"identity":     map[string]string{"sourceIp": info.SourceIP, "userAgent": info.UserAgent},
			"lastActiveAt": timestamp(info.LastActiveAt),
		})
		if err != nil {
			return Error(w, http.StatusInternalServerError, "InternalServerErrorException", err.Error()), 0
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
		return http.StatusOK, 0
	case http.MethodDelete:
		if err := conns.Delete(id); err != nil {
			return gone(w, id), 0
		}
		w.WriteHeader(http.StatusNoContent)
		return http.StatusNoContent, 0
	}
	w.Header().Set("Allow", "POST, GET, DELETE")
	return Error(w, http.StatusMethodNotAllowed, "MethodNotAllowedException", "The @connections API takes POST, GET and DELETE."), 0
}

func gone(w http.ResponseWriter, id string) int {
	return Error(w, http.StatusGone, "GoneException", fmt.Sprintf("No connection %s: it closed, or never existed.", id))
}

// Error writes an error as API Gateway does: the type in X-Amzn-ErrorType (which the SDK maps
// to its error types, e.g. *types.GoneException) and a JSON message. It returns status.
func Error(w http.ResponseWriter, status int, errType, message string) int {
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
