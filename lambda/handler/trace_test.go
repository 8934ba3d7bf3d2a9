package handler_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/serverless-tictactoe/tictactoe/lambda/xray"
	"github.com/serverless-tictactoe/tictactoe/lambda/xray/xraytest"
)

const (
	traceRoot   = "1-6760f0a0-a006649127e371903a2de979"
	traceRoot2  = "1-6760f0a1-0c7b3f1e2d4a5968778695a4"
	traceParent = "53995c3f42cd8ad8"
)

// calls names a document's subsegments by service and operation, in order.
func calls(s xraytest.Segment) []string {
	var out []string
	for _, sub := range s.Subsegments {
		out = append(out, sub.Name+"."+sub.AWS.Operation)
	}
	return out
}

// checkCalls fails unless every subsegment of s carries the action and room, and is timed
// within s; DynamoDB's name the table.
func checkCalls(t *testing.T, s xraytest.Segment, action, room, table string) {
	t.Helper()
	want := fmt.Sprint(map[string]string{"action": action, "room": room})
	if got := fmt.Sprint(s.Annotations); got != want {
		t.Errorf("%s's annotations %s, want %s", s.Name, got, want)
	}
	for _, sub := range s.Subsegments {
		if got := fmt.Sprint(sub.Annotations); got != want || sub.Namespace != "aws" || sub.Start < s.Start || sub.End > s.End || sub.End < sub.Start {
			t.Errorf("%s.%s: annotations %s, namespace %q, %.6f–%.6f in %.6f–%.6f", sub.Name, sub.AWS.Operation, got, sub.Namespace, sub.Start, sub.End, s.Start, s.End)
		}
		if sub.Name == "DynamoDB" && sub.AWS.TableName != table {
			t.Errorf("%s.%s on table %q, want %q", sub.Name, sub.AWS.Operation, sub.AWS.TableName, table)
		}
	}
}

// A traced frame, against dynalite and the real @connections client, is one segment under the
// trace ID Lambda gave the invocation: named for the function, with no parent when nobody
// upstream sampled it (PassThrough), the action and room on it and on a subsegment per
// DynamoDB call and @connections post; under Lambda's own segment (the header's Parent) when
// Lambda sampled it; and $disconnect is traced the same way. The calls are the ones
// TestActionsAreTimedHopByHop counts.
func TestActionsAreTracedWithTheirCalls(t *testing.T) {
	daemon := xraytest.New(t)
	const function = "TicTacToe-Test-Realtime-game"
	e := newEnv(t, envOptions{tracer: xray.New(xray.Options{Name: function, Daemon: daemon.Addr(), Rate: 1})})
	code := e.startGame()
	seen := len(daemon.Segments(2)) // createRoom and joinRoom, no header: trace IDs of their own

	e.traceHeader = "Root=" + traceRoot + ";Lineage=061379e8:0" // PassThrough, no caller's trace
	e.move("x", code, 4)
	move := daemon.Segments(seen + 1)[seen]
	if move.Name != function || move.TraceID != traceRoot || move.ParentID != "" || move.Type != "" || move.Origin != "AWS::Lambda::Function" || move.Error || move.Fault {
		t.Errorf("the move's segment: %+v", move)
	}
	if got, want := calls(move), []string{"DynamoDB.GetItem", "DynamoDB.PutItem", "ApiGatewayManagementApi.PostToConnection", "ApiGatewayManagementApi.PostToConnection"}; !slices.Equal(got, want) {
		t.Errorf("the move's calls %v, want %v", got, want)
	}
	checkCalls(t, move, "move", code, e.table.Name)
	for _, sub := range move.Subsegments {
		if sub.HTTP.Response.Status != 200 || sub.Error || sub.Fault || sub.AWS.Region == "" {
			t.Errorf("%s.%s: status %d, error %v, fault %v, region %q", sub.Name, sub.AWS.Operation, sub.HTTP.Response.Status, sub.Error, sub.Fault, sub.AWS.Region)
		}
	}

	e.traceHeader = "Root=" + traceRoot2 + ";Parent=" + traceParent + ";Sampled=1" // Lambda recorded it
	e.move("x", code, 5)                                                           // not X's turn
	refused := daemon.Segments(seen + 2)[seen+1]
	if refused.Type != "subsegment" || refused.ParentID != traceParent || refused.TraceID != traceRoot2 || refused.Name != "move" || !refused.Error || refused.Fault {
		t.Errorf("the refused move's document: %+v", refused)
	}
	if got, want := calls(refused), []string{"DynamoDB.GetItem", "ApiGatewayManagementApi.PostToConnection"}; !slices.Equal(got, want) {
		t.Errorf("the refused move's calls %v, want %v", got, want)
	}
	checkCalls(t, refused, "move", code, e.table.Name)

	e.traceHeader = "Root=" + traceRoot + ";Lineage=061379e8:0"
	e.disconnect("o")
	gone := daemon.Segments(seen + 3)[seen+2]
	if gone.Name != function || gone.TraceID != traceRoot || gone.ParentID != "" || len(gone.Subsegments) == 0 {
		t.Errorf("$disconnect's segment: %+v", gone)
	}
	if !slices.Contains(calls(gone), "ApiGatewayManagementApi.PostToConnection") {
		t.Errorf("$disconnect's calls %v: the room is not told", calls(gone))
	}
	checkCalls(t, gone, "$disconnect", code, e.table.Name)
}

// At the default rate a game's frames are (almost always) not traced, and nothing is sent for
// them; a function without a daemon traces nothing at all.
func TestFramesPassedOverSendNothing(t *testing.T) {
	daemon := xraytest.New(t)
	e := newEnv(t, envOptions{tracer: xray.New(xray.Options{Name: "game", Daemon: daemon.Addr(), Rate: 0})})
	e.traceHeader = "Root=" + traceRoot + ";Lineage=061379e8:0"
	code := e.startGame()
	e.move("x", code, 4)
	e.disconnect("o")
	daemon.Quiet()
}
