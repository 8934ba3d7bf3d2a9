package localgw_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi/types"
	"github.com/coder/websocket"

	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/connections"
	"github.com/serverless-tictactoe/tictactoe/lambda/handler"
)

// The handlers' own sender, with the real SDK client, posts to a live connection; a closed or
// unknown one answers 410, which the sender reports as connections.ErrGone.
func TestPostToConnection(t *testing.T) {
	s := newStack(t, stackOptions{})
	ctx := context.Background()
	c := s.dial(t, nil)
	c.ws.SetReadLimit(1 << 20)

	for _, size := range []int{2, 32 << 10, 100 << 10, 128 << 10} {
		msg := bytes.Repeat([]byte("y"), size)
		if err := s.sender().Send(ctx, c.id, msg); err != nil {
			t.Fatalf("posting %d bytes: %v", size, err)
		}
		if got := c.read(t); !bytes.Equal(got, msg) {
			t.Fatalf("client got %d bytes, want the %d posted", len(got), size)
		}
	}

	_, err := s.sdk().PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: aws.String(c.id), Data: make([]byte, 128<<10+1)})
	var tooLarge *types.PayloadTooLargeException
	if !errors.As(err, &tooLarge) {
		t.Fatalf("posting 128 KB + 1: %v, want PayloadTooLargeException", err)
	}

	if err := s.sender().Send(ctx, "bm8gc3VjaCBjb25u", []byte("hi")); !errors.Is(err, connections.ErrGone) {
		t.Fatalf("posting to an unknown id: %v, want ErrGone", err)
	}

	c.ws.Close(websocket.StatusNormalClosure, "")
	s.nextOf(t, catalog.Disconnect)
	if err := s.sender().Send(ctx, c.id, []byte("hi")); !errors.Is(err, connections.ErrGone) {
		t.Fatalf("posting to a closed connection: %v, want ErrGone", err)
	}
}

// During $disconnect the connection is already gone, as on AWS: posting to it answers 410.
func TestGoneDuringDisconnect(t *testing.T) {
	var s *stack
	got := make(chan error, 1)
	s = newStack(t, stackOptions{functions: map[string]handler.Func{
		catalog.FnDisconnect: func(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
			got <- s.sender().Send(ctx, ev.RequestContext.ConnectionID, []byte("bye"))
			return events.APIGatewayProxyResponse{StatusCode: 200}, nil
		},
	}})
	c := s.dial(t, nil)
	c.ws.Close(websocket.StatusNormalClosure, "")
	if err := <-got; !errors.Is(err, connections.ErrGone) {
		t.Fatalf("posting from $disconnect: %v, want ErrGone", err)
	}
}

func TestGetAndDeleteConnection(t *testing.T) {
	s := newStack(t, stackOptions{})
	ctx := context.Background()
	before := time.Now().Add(-time.Second)
	c := s.dial(t, &websocket.DialOptions{HTTPHeader: http.Header{"User-Agent": {"ua-test"}}})

	info, err := s.sdk().GetConnection(ctx, &apigatewaymanagementapi.GetConnectionInput{ConnectionId: aws.String(c.id)})
	if err != nil {
		t.Fatalf("GetConnection: %v", err)
	}
	if info.ConnectedAt == nil || info.ConnectedAt.Before(before) || info.ConnectedAt.After(time.Now()) ||
		info.LastActiveAt == nil || info.Identity == nil || aws.ToString(info.Identity.SourceIp) != "127.0.0.1" || aws.ToString(info.Identity.UserAgent) != "ua-test" {
		t.Fatalf("GetConnection = %+v identity %+v", info, info.Identity)
	}

	if _, err := s.sdk().DeleteConnection(ctx, &apigatewaymanagementapi.DeleteConnectionInput{ConnectionId: aws.String(c.id)}); err != nil {
		t.Fatalf("DeleteConnection: %v", err)
	}
	if code := c.closedWith(t, 5*time.Second); code != websocket.StatusNormalClosure {
		t.Fatalf("deleted connection closed with %v, want 1000", code)
	}
	d := s.nextOf(t, catalog.Disconnect).ev.RequestContext
	if d.ConnectionID != c.id || d.DisconnectStatusCode != 1000 {
		t.Fatalf("$disconnect %s %d", d.ConnectionID, d.DisconnectStatusCode)
	}
	_, err = s.sdk().GetConnection(ctx, &apigatewaymanagementapi.GetConnectionInput{ConnectionId: aws.String(c.id)})
	var gone *types.GoneException
	if !errors.As(err, &gone) {
		t.Fatalf("GetConnection after delete: %v, want GoneException", err)
	}
	_, err = s.sdk().DeleteConnection(ctx, &apigatewaymanagementapi.DeleteConnectionInput{ConnectionId: aws.String(c.id)})
	if !errors.As(err, &gone) {
		t.Fatalf("DeleteConnection twice: %v, want GoneException", err)
	}
}

// The management API is for this machine's handlers only, signed as on AWS.
func TestConnectionsAPIRefuses(t *testing.T) {
	s := newStack(t, stackOptions{})
	c := s.dial(t, nil)
	path := "/" + s.gw.Stage() + "/@connections/" + c.id
	signed := http.Header{"Authorization": {"AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=00"}}
	tests := []struct {
		name   string
		method string
		remote string
		header http.Header
		want   int
	}{
		{"another machine", http.MethodPost, "192.0.2.7:41000", signed, http.StatusForbidden},
		{"unsigned", http.MethodPost, "127.0.0.1:41000", nil, http.StatusForbidden},
		{"another method", http.MethodPut, "127.0.0.1:41000", signed, http.StatusMethodNotAllowed},
		{"signed from loopback", http.MethodPost, "127.0.0.1:41000", signed, http.StatusOK},
		{"signed from IPv6 loopback", http.MethodPost, "[::1]:41000", signed, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, path, strings.NewReader("hello"))
			r.RemoteAddr = tc.remote
			for k, v := range tc.header {
				r.Header[k] = v
			}
			w := httptest.NewRecorder()
			s.gw.ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Fatalf("%s from %s: %d %s, want %d", tc.method, tc.remote, w.Code, w.Body, tc.want)
			}
			if tc.want == http.StatusOK {
				if got := c.read(t); string(got) != "hello" {
					t.Fatalf("client got %q", got)
				}
			} else if w.Header().Get("X-Amzn-ErrorType") == "" {
				t.Fatal("an error without X-Amzn-ErrorType: the SDK could not name it")
			}
		})
	}
}

func TestNotAnUpgrade(t *testing.T) {
	s := newStack(t, stackOptions{})
	resp, err := http.Get(s.srv.URL + "/" + s.gw.Stage())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUpgradeRequired {
		t.Fatalf("plain GET of the endpoint: %d, want 426", resp.StatusCode)
	}
	resp, err = http.Get(s.srv.URL + "/elsewhere")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET outside the stage: %d, want 404", resp.StatusCode)
	}
}
