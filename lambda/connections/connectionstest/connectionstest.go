// Package connectionstest is an HTTP server speaking API Gateway's @connections management
// API for tests (localgw/management's wire format, the local gateway's too): the real SDK
// client posts to it, and it records each frame per connection. Connections marked gone
// answer 410 Gone, as API Gateway does for closed connections.
package connectionstest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"

	"github.com/serverless-tictactoe/tictactoe/localgw/management"
)

// Server records frames posted to connections.
type Server struct {
	URL    string // the callback URL (stage URL) to configure the SDK client with
	mu     sync.Mutex
	frames map[string][][]byte
	gone   map[string]bool
	closed map[string]bool
	posts  int
	// described counts GetConnection calls.
	described int
	signed    bool
	wake      chan struct{}
}

// New starts a server for the test's lifetime.
func New(t testing.TB) *Server {
	s := &Server{frames: map[string][][]byte{}, gone: map[string]bool{}, closed: map[string]bool{}, signed: true, wake: make(chan struct{})}
	hs := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(hs.Close)
	s.URL = hs.URL + "/prod"
	return s
}

// Client is a real @connections SDK client for this server.
func (s *Server) Client() *apigatewaymanagementapi.Client {
	return apigatewaymanagementapi.New(apigatewaymanagementapi.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutPrefix(r.URL.EscapedPath(), "/prod/@connections/")
	if !ok {
		management.Error(w, http.StatusNotFound, "NotFoundException", "No route: the @connections API is at /prod/@connections/{id}.")
		return
	}
	if r.Method == http.MethodPost {
		s.mu.Lock()
		s.posts++
		if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
			s.signed = false
		}
		s.mu.Unlock()
	}
	management.Serve(w, r, id, recorded{s}, maxMessageBytes)
}

// maxMessageBytes is API Gateway's limit of a message posted to a WebSocket connection.
const maxMessageBytes = 128 * 1024

// recorded is the server's connections as the @connections API manages them: every one exists
// until marked gone or closed.
type recorded struct{ s *Server }

func (c recorded) Post(id string, body []byte) error {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone[id] {
		return management.ErrGone
	}
	s.frames[id] = append(s.frames[id], body)
	close(s.wake)
	s.wake = make(chan struct{})
	return nil
}

func (c recorded) Describe(id string) (management.Info, error) {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.described++
	if s.gone[id] {
		return management.Info{}, management.ErrGone
	}
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	return management.Info{ConnectedAt: at, LastActiveAt: at, SourceIP: "203.0.113.7"}, nil
}

func (c recorded) Delete(id string) error {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone[id] {
		return management.ErrGone
	}
	s.gone[id], s.closed[id] = true, true
	return nil
}

// SetGone makes id answer 410 Gone from now on.
func (s *Server) SetGone(id string) {
	s.mu.Lock()
	s.gone[id] = true
	s.mu.Unlock()
}

// Closed reports whether the server closed id (DeleteConnection); it is gone from then on.
func (s *Server) Closed(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed[id]
}

// Described is how many GetConnection calls arrived.
func (s *Server) Described() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.described
}

// Posts is how many posts arrived (gone ones included).
func (s *Server) Posts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.posts
}

// AllSigned reports whether every post carried a SigV4 Authorization header.
func (s *Server) AllSigned() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.signed
}

// Frames returns every frame posted to id, decoded as JSON objects.
func (s *Server) Frames(t testing.TB, id string) []map[string]any {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]map[string]any, 0, len(s.frames[id]))
	for _, b := range s.frames[id] {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("frame to %s is not a JSON object: %s", id, b)
		}
		out = append(out, m)
	}
	return out
}

// Last is the last frame sent to id, or nil.
func (s *Server) Last(t testing.TB, id string) map[string]any {
	t.Helper()
	f := s.Frames(t, id)
	if len(f) == 0 {
		return nil
	}
	return f[len(f)-1]
}

// Reset forgets the frames recorded so far.
func (s *Server) Reset() {
	s.mu.Lock()
	s.frames = map[string][][]byte{}
	s.posts = 0
	s.mu.Unlock()
}

// WaitFor waits until id has received n frames in all (sends after an action are synchronous,
// so tests rarely need it).
func (s *Server) WaitFor(t testing.TB, id string, n int) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		s.mu.Lock()
		got, wake := len(s.frames[id]), s.wake
		s.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-wake:
		case <-deadline:
			t.Fatalf("connection %s got %d frames, want %d", id, got, n)
		}
	}
}
