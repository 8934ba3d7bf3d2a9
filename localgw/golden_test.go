package localgw_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
)

// goldenDir holds the API Gateway events the backend's handler tests replay, one per route.
const goldenDir = "../lambda/handler/testdata"

// knownExtra lists key paths the gateway sends that a golden event lacks, each with why the
// gateway is right. Anything else that differs fails.
var knownExtra = map[string]string{}

// The gateway's events have the shape of API Gateway's: for each golden event, the event the
// gateway sends on that route has the same set of JSON key paths (header and query names
// aside) and the same eventType and messageDirection.
func TestEventsMatchGoldenShape(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden events in %s (%v): the handler tests keep one per route there", goldenDir, err)
	}
	goldens := map[string]map[string]any{} // route key → golden event
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var ev map[string]any
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		route, _ := dig(ev, "requestContext.routeKey").(string)
		if route == "" {
			t.Fatalf("%s has no requestContext.routeKey", f)
		}
		goldens[route] = ev
	}
	for _, r := range catalog.Routes() {
		if goldens[r.Key] == nil {
			t.Errorf("no golden event for route %s in %s", r.Key, goldenDir)
		}
	}

	// Produce the gateway's event for every golden route: connect with headers and a query
	// string, send each golden body, close with 1001.
	s := newStack(t, stackOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, s.wsURL+"?v=1", &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"http://localhost"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	got := map[string]map[string]any{catalog.Connect: marshalEvent(t, s.nextOf(t, catalog.Connect))}
	for _, key := range slices.Sorted(maps.Keys(goldens)) {
		if key == catalog.Connect || key == catalog.Disconnect {
			continue
		}
		body, _ := goldens[key]["body"].(string)
		if err := ws.Write(ctx, websocket.MessageText, []byte(body)); err != nil {
			t.Fatal(err)
		}
		ev := s.nextOf(t, key) // fails unless the golden body is routed to the golden's route
		got[key] = marshalEvent(t, ev)
		if _, _, err := ws.Read(ctx); err != nil { // the echo
			t.Fatal(err)
		}
	}
	ws.Close(websocket.StatusGoingAway, "")
	got[catalog.Disconnect] = marshalEvent(t, s.nextOf(t, catalog.Disconnect))

	for key, golden := range goldens {
		t.Run(key, func(t *testing.T) {
			ev := got[key]
			want, have := keyPaths(golden, ""), keyPaths(ev, "")
			for _, p := range want {
				if !slices.Contains(have, p) {
					t.Errorf("the gateway's %s event lacks %s", key, p)
				}
			}
			for _, p := range have {
				if !slices.Contains(want, p) && knownExtra[p] == "" {
					t.Errorf("the gateway's %s event has %s, which API Gateway's (the golden) does not", key, p)
				}
			}
			for _, field := range []string{"requestContext.eventType", "requestContext.messageDirection", "isBase64Encoded"} {
				if g, h := dig(golden, field), dig(ev, field); g != h {
					t.Errorf("%s = %v, golden has %v", field, h, g)
				}
			}
		})
	}
}

// marshalEvent is the event as the Lambda runtime receives it: JSON.
func marshalEvent(t *testing.T, c call) map[string]any {
	t.Helper()
	b, err := json.Marshal(c.ev)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// freeForm are maps whose keys are data (header and parameter names), not shape.
var freeForm = map[string]bool{"headers": true, "multiValueHeaders": true, "queryStringParameters": true, "multiValueQueryStringParameters": true}

// keyPaths lists the dotted key paths of a JSON object, with free-form maps as "name.*".
func keyPaths(v any, prefix string) []string {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	var out []string
	for k, sub := range m {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		out = append(out, p)
		if freeForm[p] {
			if len(sub.(map[string]any)) > 0 {
				out = append(out, p+".*")
			}
			continue
		}
		out = append(out, keyPaths(sub, p)...)
	}
	slices.Sort(out)
	return out
}

// dig returns the value at a dotted path, or nil.
func dig(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
