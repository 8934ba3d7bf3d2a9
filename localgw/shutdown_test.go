package localgw_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/coder/websocket"

	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/handler"
	"github.com/serverless-tictactoe/tictactoe/localgw"
)

// rawUpgrade opens a WebSocket connection by hand and then never reads again: a client that
// vanished without closing its TCP connection (a laptop lid shut, a Wi-Fi gone).
func rawUpgrade(t *testing.T, srvURL, stage string) net.Conn {
	t.Helper()
	host := strings.TrimPrefix(srvURL, "http://")
	c, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", stage, host)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("raw upgrade: %v %v", resp, err)
	}
	return c
}

// A client that stops answering is noticed by its unanswered pings: $disconnect with 1006.
func TestVanishedClient(t *testing.T) {
	s := newStack(t, stackOptions{limits: localgw.Limits{PingInterval: 100 * time.Millisecond}})
	rawUpgrade(t, s.srv.URL, s.gw.Stage())
	id := s.nextOf(t, catalog.Connect).ev.RequestContext.ConnectionID
	answering := s.dial(t, nil)
	go answering.ws.Read(context.Background()) // reading answers the pings

	start := time.Now()
	d := s.nextOf(t, catalog.Disconnect).ev.RequestContext
	if d.ConnectionID != id || d.DisconnectStatusCode != 1006 {
		t.Fatalf("$disconnect of %s with %d, want %s with 1006", d.ConnectionID, d.DisconnectStatusCode, id)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("noticed after %s", took)
	}
	s.quiet(t, 300*time.Millisecond) // the client answering pings stays
}

// Shutdown closes every connection with 1001, lets running invocations finish, runs each
// $disconnect, refuses new connections, and leaves no goroutine behind.
func TestShutdown(t *testing.T) {
	before := runtime.NumGoroutine()
	release := make(chan struct{})
	invoked := make(chan struct{})
	finished := make(chan struct{})
	disconnects := make(chan string, 4)
	ok := events.APIGatewayProxyResponse{StatusCode: 200}
	gw, err := localgw.New(localgw.Options{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Functions: map[string]handler.Func{
			catalog.FnConnect: func(context.Context, events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
				return ok, nil
			},
			catalog.FnDisconnect: func(_ context.Context, ev events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
				disconnects <- fmt.Sprintf("%s %d", ev.RequestContext.ConnectionID, ev.RequestContext.DisconnectStatusCode)
				return ok, nil
			},
			catalog.FnGame: func(context.Context, events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
				close(invoked)
				<-release
				close(finished)
				return ok, nil
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	wsURL := "ws" + strings.TrimPrefix(srv.URL, "http") + "/" + gw.Stage()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var clients []*websocket.Conn
	closed := make(chan websocket.StatusCode, 2)
	for range 2 {
		ws, _, err := websocket.Dial(ctx, wsURL, nil)
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, ws)
		go func() {
			for {
				if _, _, err := ws.Read(ctx); err != nil {
					closed <- websocket.CloseStatus(err)
					return
				}
			}
		}()
	}
	if err := clients[0].Write(ctx, websocket.MessageText, []byte(`{"action":"move"}`)); err != nil {
		t.Fatal(err)
	}
	<-invoked

	stopped := make(chan error)
	go func() { stopped <- gw.Shutdown(ctx) }()
	for range clients {
		if code := <-closed; code != websocket.StatusGoingAway {
			t.Errorf("client closed with %v, want 1001", code)
		}
	}
	select {
	case err := <-stopped:
		t.Fatalf("Shutdown returned (%v) while an invocation was running", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if err := <-stopped; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	select {
	case <-finished:
	default:
		t.Fatal("Shutdown returned before the invocation finished")
	}
	if len(disconnects) != 2 {
		t.Fatalf("%d $disconnect invocations, want 2", len(disconnects))
	}
	for range 2 {
		if d := <-disconnects; !strings.HasSuffix(d, " 1001") {
			t.Errorf("$disconnect %s, want code 1001", d)
		}
	}
	if _, resp, err := websocket.Dial(ctx, wsURL, nil); err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("dial after shutdown: %v %v, want 503", resp, err)
	}

	srv.Close()
	http.DefaultClient.CloseIdleConnections()
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before; {
		if time.Now().After(deadline) {
			_ = pprof.Lookup("goroutine").WriteTo(os.Stderr, 1)
			t.Fatalf("%d goroutines after shutdown, %d before", runtime.NumGoroutine(), before)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A shutdown out of time cancels the invocations still running and says so.
func TestShutdownTimeout(t *testing.T) {
	var s *stack
	s = newStack(t, stackOptions{functions: map[string]handler.Func{
		catalog.FnGame: func(ctx context.Context, _ events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
			<-ctx.Done() // a handler stuck until cancelled
			return events.APIGatewayProxyResponse{}, ctx.Err()
		},
	}})
	c := s.dial(t, nil)
	go c.ws.Read(context.Background())
	c.send(t, "stuck")
	s.nextOf(t, catalog.Default)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := s.gw.Shutdown(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v, want the deadline exceeded", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("Shutdown took %s", took)
	}
}
