package catalog

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestEveryFunctionHasACommand(t *testing.T) {
	for _, fn := range All() {
		if _, err := os.Stat(filepath.Join("..", "cmd", fn.Name, "main.go")); err != nil {
			t.Errorf("function %s has no lambda/cmd/%s/main.go: %v", fn.Name, fn.Name, err)
		}
	}
	entries, err := os.ReadDir(filepath.Join("..", "cmd"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, ok := Lookup(e.Name()); e.IsDir() && !ok {
			t.Errorf("lambda/cmd/%s is not in the catalog: it would never be deployed", e.Name())
		}
	}
}

func TestRoutes(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Routes() {
		if seen[r.Key] {
			t.Errorf("route %s listed twice", r.Key)
		}
		seen[r.Key] = true
	}
	for _, k := range []string{Connect, Disconnect, Default, CreateRoom, JoinRoom, GetRoom, Move, SendMessage, Rematch, LeaveRoom, Rejoin} {
		if !seen[k] {
			t.Errorf("protocol v1 route %s missing", k)
		}
	}
	if IsAction(Connect) || IsAction(Default) || !IsAction(Move) || IsAction("fly") {
		t.Error("IsAction wrong")
	}
	if fn, ok := FunctionFor(Connect); !ok || fn != FnConnect {
		t.Error("$connect must be served by connect alone")
	}
	if _, ok := FunctionFor("presence"); ok {
		t.Error("the stream function serves no route")
	}
}

// What each function may do is the least it needs: $connect reads and writes items by key (its
// source's share, the connection's record) and sends nothing, the stream function only its
// marker calls, and only functions with a table need a table's calls.
func TestNeeds(t *testing.T) {
	for _, tc := range []struct {
		name string
		want Needs
	}{
		{FnConnect, Needs{TableActions: []string{GetItem, PutItem}}},
		{FnDisconnect, Needs{TableActions: []string{GetItem, PutItem, DeleteItem, UpdateItem, BatchGetItem}, ManageConnections: true}},
		{FnGame, Needs{TableActions: []string{GetItem, PutItem, DeleteItem, UpdateItem, BatchGetItem}, ManageConnections: true}},
		{FnPresence, Needs{TableActions: []string{GetItem, PutItem}, StreamRead: true, PublishAlerts: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, ok := Lookup(tc.name)
			if !ok {
				t.Fatalf("no function %s", tc.name)
			}
			got := f.Needs
			if !slices.Equal(got.TableActions, tc.want.TableActions) || got.ManageConnections != tc.want.ManageConnections ||
				got.StreamRead != tc.want.StreamRead || got.PublishAlerts != tc.want.PublishAlerts {
				t.Errorf("needs %+v, want %+v", got, tc.want)
			}
			if got.Table() != (len(tc.want.TableActions) > 0) {
				t.Errorf("Table() = %v", got.Table())
			}
		})
	}
}

// The catalog hands out copies: a caller changing what it got cannot change the deployment.
func TestAllIsACopy(t *testing.T) {
	fs := All()
	fs[1].Routes[0] = "hijacked"
	fs[1].Needs.TableActions[0] = "dynamodb:Scan"
	f, _ := Lookup(FnDisconnect)
	if f.Routes[0] != Disconnect || f.Needs.TableActions[0] != GetItem {
		t.Errorf("the catalog changed through a returned value: %+v", f)
	}
}

func TestActionOf(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`{"action":"move","cell":3}`, "move"},
		{`{"Action":"move"}`, ""}, // API Gateway matches the member's exact name
		{`{"action":3}`, ""},
		{`{"action":null}`, ""},
		{`["action"]`, ""},
		{`not json`, ""},
		{``, ""},
		{`{"action":"$connect"}`, "$connect"},
	} {
		if got := ActionOf(tc.body); got != tc.want {
			t.Errorf("ActionOf(%q) = %q, want %q", tc.body, got, tc.want)
		}
	}
}
