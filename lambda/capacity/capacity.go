// Package capacity is the one capacity model of a deployment: how many concurrent games it is
// sized for, and the ceilings derived from that (the stage's throttle, $connect's own limit,
// the game function's reserved concurrency), beside the per-client ceilings, which do not
// grow with the deployment. The CDK stacks size the API and the functions from it, the
// functions take their per-client defaults from it, and docs/capacity.md shows the same
// arithmetic. It is a leaf package: the game's rules and the standard library only.
package capacity

import (
	"fmt"
	"math"

	"github.com/serverless-tictactoe/tictactoe/lambda/game"
)

// DefaultGames is the number of concurrent games a deployment is sized for unless told
// otherwise (the games setting).
const DefaultGames = 100

// MaxGames bounds the setting: past it, the stage throttle would pass API Gateway's default
// account quota of 10,000 requests per second in a Region.
const MaxGames = 3000

// What one game costs, on average, at a player's pace.
const (
	// PlayersPerGame and SpectatorsPerGame make a game's connections.
	PlayersPerGame    = 2
	SpectatorsPerGame = 1
	// SecondsPerGameFrame: two players taking turns, a move every 6 s or so each, with chat
	// and the odd getRoom: a frame every 3 s per game. Spectators only receive.
	SecondsPerGameFrame = 3
	// Headroom over the average: moves come in pairs, games start and end together.
	Headroom = 3
	// GameSeconds is a generous p99 of one game-function invocation on AWS (a read, a
	// conditional write and the posts of one room; docs/benchmarks.md measures the local part).
	GameSeconds = 0.1
	// ReconnectSeconds is how fast every connection of the deployment may come back at once
	// (after a network blip or a deploy of the API): the $connect rate lets all of them
	// reconnect within it.
	ReconnectSeconds = 30
)

// Per-client ceilings: what one client can take, whatever the deployment's size.
const (
	// MissesPerConnection is how many room_not_found answers one connection gets before the
	// server closes it: enough for a player mistyping a code, not for probing.
	MissesPerConnection = 10
	// An address (an IPv4 address, or an IPv6 /64: what one household, school or phone
	// carrier's NAT shares) is charged for what its connections do wrong, on a sliding window
	// of AddressWindowMinutes: a room_not_found answer costs MissCost, a connection the server
	// closes (for probing or flooding) CloseCost, once per connection. Past AddressStrikes in
	// the window its new connections are refused until enough of them age out. One device's 60
	// typos (60 misses, 6 closes: 120) or one flood close (10) leave it far below; it takes
	// about 15 connections closed for probing, or 30 for flooding, within 15 minutes.
	MissCost             = 1
	CloseCost            = 10
	AddressStrikes       = 300
	AddressWindowMinutes = 15
	// StrikesToClose is how many frames a connection may send past its rate limit, in a
	// burst, before the server closes it; a strike is forgiven every StrikeForgiveSeconds.
	StrikesToClose       = 20
	StrikeForgiveSeconds = 10
	// MaxWatchers is how many spectators a room takes (game.MaxWatchers owns it).
	MaxWatchers = game.MaxWatchers
)

// FramesOutPerFrameIn is the most frames one client frame can make the server send: a room
// update or a chat line to both players and every spectator. A refused frame costs one (the
// error to its sender).
const FramesOutPerFrameIn = PlayersPerGame + MaxWatchers

// Model is a deployment sized for Games concurrent games.
type Model struct {
	Games int
}

// Default is the model of a deployment with no games setting.
func Default() Model { return Model{Games: DefaultGames} }

// Validate says what is wrong with the model, if anything.
func (m Model) Validate() error {
	if m.Games < 1 || m.Games > MaxGames {
		return fmt.Errorf("%d concurrent games: use 1 to %d (past it the stage would outgrow API Gateway's default Regional quota of 10,000 requests per second)", m.Games, MaxGames)
	}
	return nil
}

// Connections is how many open connections the deployment is sized for.
func (m Model) Connections() int { return m.Games * (PlayersPerGame + SpectatorsPerGame) }

// StageRate is the stage's steady throttle, requests (connects and frames) per second across
// every client.
func (m Model) StageRate() float64 {
	return math.Ceil(float64(m.Games*Headroom) / SecondsPerGameFrame)
}

// StageBurst is the stage's burst: two seconds at the steady rate.
func (m Model) StageBurst() float64 { return 2 * m.StageRate() }

// ConnectRate is $connect's own steady limit: every connection back within ReconnectSeconds.
// It keeps a flood of connection attempts from eating the frames' share of the stage.
func (m Model) ConnectRate() float64 {
	return math.Max(1, math.Ceil(float64(m.Connections())/ReconnectSeconds))
}

// ConnectBurst is $connect's burst: a tenth of the connections at once.
func (m Model) ConnectBurst() float64 {
	return math.Max(2, math.Ceil(float64(m.Connections())/10))
}

// GameConcurrency is the game function's reserved concurrency: the stage's whole burst in
// flight for GameSeconds each, and never fewer than MinGameConcurrency. It is a floor for the
// game (nothing else in the account can take it) and a ceiling on what a flood can take from
// everything else.
func (m Model) GameConcurrency() int {
	return max(MinGameConcurrency, int(math.Ceil(m.StageBurst()*GameSeconds)))
}

// MinGameConcurrency is the smallest reservation: a small deployment's players all coming back
// at once after a deploy, on cold starts slower than GameSeconds, must not be throttled.
const MinGameConcurrency = 10

// MinUnreservedConcurrency is what Lambda insists stays unreserved in an account's Region: a
// reservation that leaves less is refused at deploy time.
const MinUnreservedConcurrency = 100

// AccountConcurrencyNeeded is the Region's concurrency quota a reservation of n needs.
func AccountConcurrencyNeeded(n int) int { return n + MinUnreservedConcurrency }
