// Package routes is the one route table of the WebSocket API: which route keys exist and which
// Lambda function serves each. The CDK stack deploys it and the local gateway serves it, so a
// route added here reaches both, and a route missing here exists in neither.
package routes

// SelectionExpression is the API's route selection expression: the route key is the frame's
// "action" field, as API Gateway evaluates it.
const SelectionExpression = "$request.body.action"

// Function names: each is a directory under lambda/cmd/ and one deployed Lambda.
//
// Routes are grouped by what they need rather than one Lambda per route:
//   - connect serves only $connect, which touches no data, so it runs with no table or
//     @connections permissions at all;
//   - disconnect serves $disconnect, the one route API Gateway invokes without a client frame;
//   - game serves every client action and $default: they share one set of permissions (read and
//     write the table, post to connections), so splitting them would buy no least privilege, and
//     one function keeps a game's moves on warm containers instead of a cold start per route.
const (
	FnConnect    = "connect"
	FnDisconnect = "disconnect"
	FnGame       = "game"
)

// Route keys of protocol v1 (docs/protocol.md).
const (
	Connect     = "$connect"
	Disconnect  = "$disconnect"
	Default     = "$default"
	CreateRoom  = "createRoom"
	JoinRoom    = "joinRoom"
	GetRoom     = "getRoom"
	Move        = "move"
	SendMessage = "sendMessage"
	Rematch     = "rematch"
	LeaveRoom   = "leaveRoom"
	Rejoin      = "rejoin"
)

// Route binds a route key to the function that serves it.
type Route struct {
	Key      string
	Function string
}

// Table lists every route of the API in a stable order (construct IDs are derived from keys).
var Table = []Route{
	{Connect, FnConnect},
	{Disconnect, FnDisconnect},
	{Default, FnGame},
	{CreateRoom, FnGame},
	{JoinRoom, FnGame},
	{GetRoom, FnGame},
	{Move, FnGame},
	{SendMessage, FnGame},
	{Rematch, FnGame},
	{LeaveRoom, FnGame},
	{Rejoin, FnGame},
}

// Functions returns each function name once, in the order it first appears in Table.
func Functions() []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range Table {
		if !seen[r.Function] {
			seen[r.Function] = true
			out = append(out, r.Function)
		}
	}
	return out
}

// FunctionFor returns the function serving key, and whether the key is a route at all.
func FunctionFor(key string) (string, bool) {
	for _, r := range Table {
		if r.Key == key {
			return r.Function, true
		}
	}
	return "", false
}

// IsAction reports whether key is a client action route (not one of the $-routes).
func IsAction(key string) bool {
	_, ok := FunctionFor(key)
	return ok && key != Connect && key != Disconnect && key != Default
}
