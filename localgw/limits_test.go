package localgw_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/localgw"
)

// writeFrames sends body as one text message in frames of at most frame bytes.
func writeFrames(t *testing.T, ws *websocket.Conn, body string, frame int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	w, err := ws.Writer(ctx, websocket.MessageText)
	if err != nil {
		t.Fatal(err)
	}
	for len(body) > 0 {
		n := min(frame, len(body))
		if _, err := w.Write([]byte(body[:n])); err != nil { // one frame per Write
			t.Fatal(err)
		}
		body = body[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// API Gateway's size quotas: frames up to 32 KB, messages up to 128 KB in such frames. Beyond
// either, the connection closes with 1009 and the message reaches no route.
func TestSizeLimits(t *testing.T) {
	const kb = 1024
	tests := []struct {
		name      string
		size      int // message bytes
		frame     int // frame size the client uses
		delivered bool
		code      websocket.StatusCode
	}{
		{"one frame at the frame limit", 32 * kb, 32 * kb, true, 0},
		{"one frame over the frame limit", 32*kb + 1, 32*kb + 1, false, websocket.StatusMessageTooBig},
		{"100 KB in 32 KB frames", 100 * kb, 32 * kb, true, 0},
		{"at the message limit in 32 KB frames", 128 * kb, 32 * kb, true, 0},
		{"over the message limit in 32 KB frames", 128*kb + 1, 32 * kb, false, websocket.StatusMessageTooBig},
		{"a small frame after a big one", 40 * kb, 36 * kb, false, websocket.StatusMessageTooBig},
		{"a 1 MB frame", 1024 * kb, 1024 * kb, false, websocket.StatusMessageTooBig},
	}
	s := newStack(t, stackOptions{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := s.dial(t, nil)
			c.ws.SetReadLimit(1 << 20)
			body := `{"action":"sendMessage","text":"` + strings.Repeat("x", tc.size-len(`{"action":"sendMessage","text":""}`)) + `"}`
			writeFrames(t, c.ws, body, tc.frame)
			if tc.delivered {
				got := s.next(t).ev
				if got.RequestContext.RouteKey != catalog.SendMessage || got.Body != body {
					t.Fatalf("routed to %q, body of %d bytes; want sendMessage with %d", got.RequestContext.RouteKey, len(got.Body), len(body))
				}
				c.ws.CloseNow()
				s.nextOf(t, catalog.Disconnect)
				return
			}
			if got := c.closedWith(t, 5*time.Second); got != tc.code {
				t.Fatalf("closed with %v, want %v", got, tc.code)
			}
			d := s.next(t) // nothing routed: the next invocation is $disconnect
			if rc := d.ev.RequestContext; rc.RouteKey != catalog.Disconnect || rc.DisconnectStatusCode != int64(tc.code) {
				t.Fatalf("invocation on %s (code %d), want $disconnect with %d", rc.RouteKey, rc.DisconnectStatusCode, tc.code)
			}
		})
	}
}

// Binary frames are refused with 1003, as API Gateway does.
func TestBinaryFrameCloses(t *testing.T) {
	s := newStack(t, stackOptions{})
	c := s.dial(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageBinary, []byte(`{"action":"move"}`)); err != nil {
		t.Fatal(err)
	}
	if got := c.closedWith(t, 5*time.Second); got != websocket.StatusUnsupportedData {
		t.Fatalf("closed with %v, want 1003", got)
	}
	if d := s.next(t).ev.RequestContext; d.RouteKey != catalog.Disconnect || d.DisconnectStatusCode != 1003 {
		t.Fatalf("next invocation %s %d, want $disconnect 1003", d.RouteKey, d.DisconnectStatusCode)
	}
}

// An idle connection closes with 1001 after the idle timeout; a message either way keeps it
// open.
func TestIdleTimeout(t *testing.T) {
	const idle = 600 * time.Millisecond // long enough that a loaded CI machine keeps the active clients within it
	s := newStack(t, stackOptions{limits: localgw.Limits{IdleTimeout: idle}})
	quiet := s.dial(t, nil)
	talking := s.dial(t, nil)
	listening := s.dial(t, nil)

	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for time.Since(start) < 3*idle {
		talking.send(t, "ping")
		talking.read(t)
		if err := s.sender().Send(ctx, listening.id, []byte("news")); err != nil {
			t.Fatalf("posting to the listening client: %v", err)
		}
		if _, b, err := listening.ws.Read(ctx); err != nil || string(b) != "news" {
			t.Fatalf("listening client read %q, %v", b, err)
		}
		time.Sleep(idle / 4)
	}
	if got := quiet.closedWith(t, 2*time.Second); got != websocket.StatusGoingAway {
		t.Fatalf("idle client closed with %v, want 1001", got)
	}
	for _, c := range []client{talking, listening} {
		if err := s.sender().Send(ctx, c.id, []byte("still there?")); err != nil {
			t.Fatalf("an active client was closed: %v", err)
		}
	}
	if got := talking.closedWith(t, 3*idle); got != websocket.StatusGoingAway {
		t.Fatalf("client idle after talking closed with %v, want 1001", got)
	}
}

// A connection closes with 1001 at the maximum duration, however active.
func TestMaxDuration(t *testing.T) {
	const max = 400 * time.Millisecond
	s := newStack(t, stackOptions{limits: localgw.Limits{MaxDuration: max}})
	c := s.dial(t, nil)
	start := time.Now()
	done := make(chan websocket.StatusCode)
	go func() {
		_, _, err := c.ws.Read(context.Background()) // answers echoes until the close
		for err == nil {
			_, _, err = c.ws.Read(context.Background())
		}
		done <- websocket.CloseStatus(err)
	}()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.ws.Write(ctx, websocket.MessageText, []byte("active"))
		cancel()
		if err != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := <-done; got != websocket.StatusGoingAway {
		t.Fatalf("closed with %v, want 1001", got)
	}
	if took := time.Since(start); took < max || took > max+2*time.Second {
		t.Fatalf("closed after %s, want about %s", took, max)
	}
	d := s.nextOf(t, catalog.Disconnect).ev.RequestContext
	if d.DisconnectStatusCode != 1001 || !strings.Contains(*d.DisconnectReason, "duration") {
		t.Fatalf("$disconnect %d %q", d.DisconnectStatusCode, *d.DisconnectReason)
	}
}
