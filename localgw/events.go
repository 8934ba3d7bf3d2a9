package localgw

import (
	"crypto/rand"
	"encoding/base64"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
)

// Event types, as in requestContext.eventType.
const (
	eventConnect    = "CONNECT"
	eventMessage    = "MESSAGE"
	eventDisconnect = "DISCONNECT"
)

// newID returns an id shaped like API Gateway's connection, request and message ids: 16
// characters of URL-safe base64 ending in "=" (e.g. "L0SM9cOFvHcCIhw=").
func newID() string {
	var b [11]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error()) // never returns an error on Linux
	}
	return base64.URLEncoding.EncodeToString(b[:])
}

// requestTime formats t as requestContext.requestTime does: 20/Jan/2024:11:55:08 +0000.
func requestTime(t time.Time) string { return t.UTC().Format("02/Jan/2006:15:04:05 -0700") }

// client is what API Gateway knows about a connection's client from its upgrade request.
type client struct {
	sourceIP  string
	userAgent string
	host      string // the Host the client connected to: domainName
}

func clientOf(r *http.Request) client {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	return client{sourceIP: ip, userAgent: r.UserAgent(), host: r.Host}
}

// requestContext is the context every event carries.
func (g *Gateway) requestContext(route, eventType, connID string, connectedAt time.Time, cl client, now time.Time) events.APIGatewayWebsocketProxyRequestContext {
	id := newID()
	return events.APIGatewayWebsocketProxyRequestContext{
		RouteKey:          route,
		EventType:         eventType,
		ExtendedRequestID: id,
		RequestTime:       requestTime(now),
		MessageDirection:  "IN",
		Stage:             g.stage,
		ConnectedAt:       connectedAt.UnixMilli(),
		RequestTimeEpoch:  now.UnixMilli(),
		Identity:          events.APIGatewayRequestIdentity{SourceIP: cl.sourceIP, UserAgent: cl.userAgent},
		RequestID:         id,
		DomainName:        cl.host,
		ConnectionID:      connID,
		APIID:             g.apiID,
	}
}

// connectEvent is $connect's event: the upgrade request's headers (with Host and the
// X-Forwarded-* headers API Gateway adds) and query string.
func (g *Gateway) connectEvent(r *http.Request, connID string, now time.Time) events.APIGatewayWebsocketProxyRequest {
	cl := clientOf(r)
	multi := map[string][]string{"Host": {r.Host}}
	for k, v := range r.Header {
		multi[k] = append([]string(nil), v...)
	}
	port := "80"
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, p, err := net.SplitHostPort(a.String()); err == nil {
			port = p
		}
	}
	multi["X-Forwarded-For"] = []string{cl.sourceIP}
	multi["X-Forwarded-Port"] = []string{port}
	multi["X-Forwarded-Proto"] = []string{"http"}
	ev := events.APIGatewayWebsocketProxyRequest{
		Headers:           lastValues(multi),
		MultiValueHeaders: multi,
		RequestContext:    g.requestContext(catalog.Connect, eventConnect, connID, now, cl, now),
	}
	if q := r.URL.Query(); len(q) > 0 {
		ev.MultiValueQueryStringParameters = q
		ev.QueryStringParameters = lastValues(q)
	}
	return ev
}

// messageEvent is the event of one message on route.
func (g *Gateway) messageEvent(c *conn, route, body string, now time.Time) events.APIGatewayWebsocketProxyRequest {
	rc := g.requestContext(route, eventMessage, c.id, c.connectedAt, c.client, now)
	rc.MessageID = newID()
	return events.APIGatewayWebsocketProxyRequest{RequestContext: rc, Body: body}
}

// disconnectEvent is $disconnect's event. API Gateway sends these few headers, some empty.
func (g *Gateway) disconnectEvent(c *conn, code int, reason string, now time.Time) events.APIGatewayWebsocketProxyRequest {
	multi := map[string][]string{
		"Host":            {c.client.host},
		"x-api-key":       {""},
		"X-Forwarded-For": {""},
		"x-restapi":       {""},
	}
	rc := g.requestContext(catalog.Disconnect, eventDisconnect, c.id, c.connectedAt, c.client, now)
	rc.DisconnectStatusCode = int64(code)
	rc.DisconnectReason = &reason
	return events.APIGatewayWebsocketProxyRequest{Headers: lastValues(multi), MultiValueHeaders: multi, RequestContext: rc}
}

// lastValues flattens multi-value maps the way API Gateway's single-value maps do: the last
// value wins.
func lastValues(m map[string][]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if len(v) > 0 {
			out[k] = v[len(v)-1]
		}
	}
	return out
}
