// Package catalog is the one list of the game's Lambda functions: for each, its name (the
// directory of its main under lambda/cmd), the WebSocket route keys it serves, and what it needs
// from the rest of the deployment. The CDK stacks create, wire and grant from it, the functions'
// wiring checks its settings against it, the dashboard lists from it, and the local gateway
// serves its routes. A function or route missing here exists nowhere.
//
// It is a leaf package (standard library only), so the CDK app can read it without linking
// the Lambda runtime.
package catalog

import (
	"encoding/json"
	"slices"
)

// SelectionExpression is the API's route selection expression: the route key is the frame's
// "action" member, as API Gateway evaluates it (ActionOf).
const SelectionExpression = "$request.body.action"

// Function names: each is a directory under lambda/cmd/ and one deployed Lambda.
const (
	FnConnect    = "connect"
	FnDisconnect = "disconnect"
	FnGame       = "game"
	FnPresence   = "presence"
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
	// PlayComputer opens a room against the computer.
	PlayComputer = "playComputer"
	// QuickMatch pairs the sender with the longest-waiting stranger, or queues them;
	// CancelQuickMatch leaves the queue.
	QuickMatch       = "quickMatch"
	CancelQuickMatch = "cancelQuickMatch"
	// MyGames answers with the sender's player's stats, rating and history; Leaderboard with
	// the top players; ForgetMe erases the sender's player (lambda/players).
	MyGames     = "myGames"
	Leaderboard = "leaderboard"
	ForgetMe    = "forgetMe"
)

// DynamoDB actions on the game table. lambda/store makes only these calls, by key: one item at
// a time, but for a room's kept chat (a counter update, and one batch read of its last
// messages).
const (
	GetItem      = "dynamodb:GetItem"
	PutItem      = "dynamodb:PutItem"
	DeleteItem   = "dynamodb:DeleteItem"
	UpdateItem   = "dynamodb:UpdateItem"
	BatchGetItem = "dynamodb:BatchGetItem"
)

// Needs is what a function uses beyond its own logs and traces: the stacks grant exactly this
// and set the variables that go with it, and lambda/config requires those variables.
type Needs struct {
	// TableActions are the DynamoDB calls it makes on the game table (TABLE_NAME). None: no
	// table at all.
	TableActions []string
	// ManageConnections posts to, reads and closes the stage's connections (CALLBACK_URL).
	ManageConnections bool
	// StreamRead reads the game table's stream (an event source mapping invokes it).
	StreamRead bool
	// PublishAlerts publishes to the alerts topic (TOPIC_ARN).
	PublishAlerts bool
	// EdgeSecret checks that connections came through the site's CloudFront distribution
	// (EDGE_SECRET, set when the deployment has one).
	EdgeSecret bool
	// SourceKey keys the hashes client addresses are kept under (SOURCE_KEY_SECRET, a secret
	// of the deployment's own).
	SourceKey bool
}

// Table reports whether the function uses the game table.
func (n Needs) Table() bool { return len(n.TableActions) > 0 }

// Function is one Lambda function of the game.
type Function struct {
	// Name is the directory of its main package under lambda/cmd and its name on dashboards.
	Name string
	// Description says what it does, for the deployed function's description.
	Description string
	// Routes are the WebSocket route keys it serves, in a stable order (construct IDs derive
	// from them). None for a function invoked otherwise (the stream's).
	Routes []string
	// Needs is what it is granted.
	Needs Needs
}

// storeActions are lambda/store's calls for rooms, connections and players' records
// (UpdateItem: its narrow writes, such as $disconnect's, and the rating bands; BatchGetItem: a
// profile read with the erasure marks when a finished game is recorded, which $disconnect does
// too when the room's clocks it applies end a game); the game function makes the same calls,
// for a room's kept chat and the players' pages as well.
var (
	storeActions = []string{GetItem, PutItem, DeleteItem, UpdateItem, BatchGetItem}
	gameActions  = []string{GetItem, PutItem, DeleteItem, UpdateItem, BatchGetItem}
)

// all lists every function, route functions first, in a stable order. Routes are grouped by
// what they need rather than one Lambda per route:
//   - connect serves only $connect: it checks its source address's misbehaviour budget and
//     records the connection (two items, read and written by key), and sends nothing, so it
//     has no @connections permission;
//   - disconnect serves $disconnect, the one route API Gateway invokes without a client frame;
//   - game serves every client action and $default: they share one set of permissions, so
//     splitting them would buy no least privilege, and one function keeps a game's moves on
//     warm containers instead of a cold start per route;
//   - presence reads the table's stream and publishes presence events; it checks and writes the
//     markers that make publishing idempotent, and needs no other table call.
var all = []Function{
	{
		Name:        FnConnect,
		Description: "TicTacToe $connect: checks the Origin, refuses an address whose connections misbehaved too often",
		Routes:      []string{Connect},
		Needs:       Needs{TableActions: []string{GetItem, PutItem}, EdgeSecret: true, SourceKey: true},
	},
	{
		Name:        FnDisconnect,
		Description: "TicTacToe $disconnect: the player shows offline and the room is told",
		Routes:      []string{Disconnect},
		Needs:       Needs{TableActions: storeActions, ManageConnections: true},
	},
	{
		Name:        FnGame,
		Description: "TicTacToe game actions: every client frame and $default",
		Routes: []string{Default, CreateRoom, JoinRoom, GetRoom, Move, SendMessage, Rematch, LeaveRoom, Rejoin, PlayComputer, QuickMatch, CancelQuickMatch,
			MyGames, Leaderboard, ForgetMe},
		Needs: Needs{TableActions: gameActions, ManageConnections: true},
	},
	{
		Name:        FnPresence,
		Description: "TicTacToe presence: game table stream to presence events on the alerts topic",
		Needs:       Needs{TableActions: []string{GetItem, PutItem}, StreamRead: true, PublishAlerts: true},
	},
}

// All returns every function (a copy: the catalog cannot be changed from outside).
func All() []Function {
	out := make([]Function, len(all))
	for i, f := range all {
		f.Routes = slices.Clone(f.Routes)
		f.Needs.TableActions = slices.Clone(f.Needs.TableActions)
		out[i] = f
	}
	return out
}

// Lookup returns the function named name.
func Lookup(name string) (Function, bool) {
	for _, f := range All() {
		if f.Name == name {
			return f, true
		}
	}
	return Function{}, false
}

// RouteFunctions returns the functions that serve WebSocket routes, in catalog order.
func RouteFunctions() []Function {
	var out []Function
	for _, f := range All() {
		if len(f.Routes) > 0 {
			out = append(out, f)
		}
	}
	return out
}

// Route binds a route key to the function that serves it.
type Route struct {
	Key      string
	Function string
}

// Routes lists every route of the API in a stable order: by function, then as each lists them.
func Routes() []Route {
	var out []Route
	for _, f := range RouteFunctions() {
		for _, k := range f.Routes {
			out = append(out, Route{Key: k, Function: f.Name})
		}
	}
	return out
}

// FunctionFor returns the function serving key, and whether the key is a route at all.
func FunctionFor(key string) (string, bool) {
	for _, r := range Routes() {
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

// ActionOf evaluates SelectionExpression on a frame as API Gateway does: the "action" member
// (exact name) of a JSON object when it is a string, "" otherwise.
func ActionOf(body string) string {
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(body), &obj) != nil {
		return ""
	}
	var action string
	if raw, ok := obj["action"]; !ok || json.Unmarshal(raw, &action) != nil {
		return ""
	}
	return action
}

// RouteFunctionNames returns the names of RouteFunctions.
func RouteFunctionNames() []string {
	var out []string
	for _, f := range RouteFunctions() {
		out = append(out, f.Name)
	}
	return out
}
