package management

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type fake struct {
	posted map[string]string
	open   map[string]bool
}

func (f *fake) Post(id string, body []byte) error {
	if !f.open[id] {
		return ErrGone
	}
	f.posted[id] += string(body)
	return nil
}

func (f *fake) Describe(id string) (Info, error) {
	if !f.open[id] {
		return Info{}, ErrGone
	}
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	return Info{ConnectedAt: at, LastActiveAt: at.Add(time.Second), SourceIP: "203.0.113.7", UserAgent: "ua"}, nil
}

func (f *fake) Delete(id string) error {
	if !f.open[id] {
		return ErrGone
	}
	delete(f.open, id)
	return nil
}

// Each request is answered as API Gateway answers it: the status, the error type the SDK maps
// to its errors, and GetConnection's JSON.
func TestServeAnswersAsAPIGateway(t *testing.T) {
	for _, c := range []struct {
		name, method, id, body string
		status                 int
		errType, contains      string
	}{
		{"post", http.MethodPost, "c1", `{"type":"room"}`, http.StatusOK, "", ""},
		{"post to a gone connection", http.MethodPost, "c2", `{}`, http.StatusGone, "GoneException", "No connection c2"},
		{"post over the limit", http.MethodPost, "c1", strings.Repeat("x", 17), http.StatusRequestEntityTooLarge, "PayloadTooLargeException", "16 bytes"},
		{"describe", http.MethodGet, "c1", "", http.StatusOK, "", `"identity":{"sourceIp":"203.0.113.7","userAgent":"ua"},"lastActiveAt":"2026-12-06T10:00:01.000Z"`},
		{"describe a gone connection", http.MethodGet, "c2", "", http.StatusGone, "GoneException", ""},
		{"delete", http.MethodDelete, "c1", "", http.StatusNoContent, "", ""},
		{"delete a gone connection", http.MethodDelete, "c2", "", http.StatusGone, "GoneException", ""},
		{"an id with a slash", http.MethodPost, "a%2Fb", `{}`, http.StatusBadRequest, "BadRequestException", "Invalid connection id"},
		{"another method", http.MethodPut, "c1", `{}`, http.StatusMethodNotAllowed, "MethodNotAllowedException", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := &fake{posted: map[string]string{}, open: map[string]bool{"c1": true}}
			w := httptest.NewRecorder()
			r := httptest.NewRequest(c.method, "/prod/@connections/"+c.id, strings.NewReader(c.body))
			status, _ := Serve(w, r, c.id, f, 16)
			if status != c.status || w.Code != c.status {
				t.Errorf("status %d (written %d), want %d", status, w.Code, c.status)
			}
			if got := w.Header().Get("X-Amzn-ErrorType"); got != c.errType {
				t.Errorf("X-Amzn-ErrorType %q, want %q", got, c.errType)
			}
			if !strings.Contains(w.Body.String(), c.contains) {
				t.Errorf("body %s, want it to hold %s", w.Body.String(), c.contains)
			}
			if c.name == "post" && f.posted["c1"] != c.body {
				t.Errorf("posted %q, want %q", f.posted["c1"], c.body)
			}
			if c.name == "delete" && f.open["c1"] {
				t.Error("c1 is still open after its delete")
			}
		})
	}
}
