package routes

import (
	"os"
	"path/filepath"
	"testing"
)

func TestEveryFunctionHasACommand(t *testing.T) {
	for _, fn := range Functions() {
		if _, err := os.Stat(filepath.Join("..", "cmd", fn, "main.go")); err != nil {
			t.Errorf("function %s has no lambda/cmd/%s/main.go: %v", fn, fn, err)
		}
	}
}

func TestTable(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Table {
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
}
