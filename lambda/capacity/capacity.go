// Package capacity is the one capacity model of a deployment: how many concurrent games it is
// sized for, and the ceilings derived from that (the stage's throttle, $connect's own limit,
// the game function's reserved concurrency, what the deployment costs API Gateway's
// account-level quotas), beside the per-client ceilings, which do not grow with the
// deployment. The CDK stacks size the API and the functions from it, the functions take their
// per-client defaults from it, and docs/capacity.md shows the same arithmetic. It is a leaf
// package: the game's rules, package quotas and the standard library only.
package capacity

import (
	"fmt"
	"math"

	"github.com/serverless-tictactoe/tictactoe/blocks/quotas"
	"github.com/serverless-tictactoe/tictactoe/lambda/game"
)

// DefaultGames is the number of concurrent games a deployment is sized for unless told
// otherwise (the games setting).
const DefaultGames = 100

// API Gateway's account-level quotas in a Region, at their defaults (package quotas, beside
// the CDK constructs that alarm on them, owns them). Every REST, HTTP and WebSocket API of the
// account in the Region shares them, and the @connections calls the functions make
// (PostToConnection, GetConnection, DeleteConnection) count as requests too.
const (
	AccountRequestsPerSecond  = quotas.AccountRequestsPerSecond
	AccountConnectsPerSecond  = quotas.AccountConnectsPerSecond
	AccountAlarmPercent       = quotas.AccountAlarmPercent
	LowQuotaRequestsPerSecond = quotas.LowQuotaRequestsPerSecond
)

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
	// RatePerConnection and BurstPerConnection bound one connection's frames (the game
	// function's token bucket, RATE_LIMIT_PER_SECOND and RATE_LIMIT_BURST): a human clicking
	// and typing sends a move or a chat line every few seconds, and the page adds a getRoom or a
	// rejoin on load and a getRoom every 5 minutes; a burst of 10 covers a whole game's moves
	// clicked as fast as a hand goes, with chat, and 1 a second sustained is several times a
	// player's pace. A connection past it is answered rate_limited.
	RatePerConnection  = 1
	BurstPerConnection = 10
	// MissesPerConnection is how many room_not_found answers one connection gets before the
	// server closes it: enough for a player mistyping a code, not for probing.
	MissesPerConnection = 10
	// An address (an IPv4 address, or an IPv6 /64: what one household, school or phone
	// carrier's NAT shares) is charged for its connections' probing, on a sliding window of
	// AddressWindowMinutes: a room_not_found answer costs MissCost, a connection the server
	// closes for them CloseCost, once per connection. Past AddressStrikes in the window its
	// connections are on probation: ProbationMisses room_not_found answers each instead of
	// MissesPerConnection. Nothing refuses the address: creating, joining by a right code,
	// rejoining and playing go on. One device's 60 typos (60 misses, 6 closes: 120) leave it far
	// below; about 15 connections closed for probing within 15 minutes reach it.
	MissCost       = 1
	CloseCost      = 10
	AddressStrikes = 300
	// NetworkStrikesFactor: an IPv6 address is charged on its /48 too (a site's allocation,
	// 65,536 /64s that one holder could rotate through to keep a fresh budget), whose
	// connections are on probation past NetworkStrikesFactor × AddressStrikes.
	NetworkStrikesFactor = 16
	AddressWindowMinutes = 15
	ProbationMisses      = 1
	// FrameWindowSeconds is the window every container counts a connection's frames in
	// together (the connection's record): FramesPerWindow of them, then rate_limited, and past
	// StrikesToClose more the connection is closed, however many containers its frames reach.
	FrameWindowSeconds = 10
	// StrikesToClose is how many frames a connection may send past its rate limit, in a
	// burst, before the server closes it; a strike is forgiven every StrikeForgiveSeconds.
	StrikesToClose       = 20
	StrikeForgiveSeconds = 10
	// An address's share of the stage. The frames its connections send together in a
	// FrameWindowSeconds window (those the connection's own window counts: every frame but a
	// move played against a person at a person's speed, InstantMoveSeconds or more after the
	// room last changed) are counted in the table. Past AddressFramesPerWindow, each
	// connection keeps its fair part: the larger of a player's pace (PacedFramesPerWindow in
	// the last 10 s: a link's check and join, five chat lines and a rematch, or a game against
	// the computer at a click every 1.5 s) and an equal part of the share among the address's
	// connections in the window. A connection past its part is answered rate_limited, and
	// closed ShareRefusalsToClose frame past it: a flood's connections pay, the players
	// beside them play on. 150 frames per 10 s is under a sixth of a default stage, and what
	// a class of 30 sends opening an invite link and chatting three lines each in the same
	// 10 s, or playing the computer at a click every 2 s; an IPv6 /48 gets
	// NetworkShareFactor times it.
	AddressFramesPerWindow = 150
	PacedFramesPerWindow   = 8
	NetworkShareFactor     = 3
	// InstantMoveSeconds: a move played sooner than this after the room last changed (two
	// bots answering each other at once, as the computer does) is counted like any other
	// frame; a person's slower move is not, and stays at its floor.
	InstantMoveSeconds = 1
	// ShareRefusalsToClose: a connection past its fair part is refused once; the next frame
	// past it closes the connection.
	ShareRefusalsToClose = 1
	// MaxWatchers is how many spectators a room takes (game.MaxWatchers owns it).
	MaxWatchers = game.MaxWatchers
)

// FramesPerWindow is how many frames of one connection every container admits together in a
// FrameWindowSeconds window, for a per-connection rate and burst: the window's worth at the
// rate plus one burst. Sustained, that is at most the rate plus a burst per window (2 a second
// at the defaults, twice the rate); 0 when the rate is off.
func FramesPerWindow(rate float64, burst int) int {
	if rate <= 0 {
		return 0
	}
	return int(math.Ceil(rate*FrameWindowSeconds)) + burst
}

// FramesOutPerFrameIn is the most frames one client frame can make the server send: a room
// update or a chat line to both players and every spectator. A refused frame costs one (the
// error to its sender).
const FramesOutPerFrameIn = PlayersPerGame + MaxWatchers

// PostsPerFrameIn is what one client frame makes the server send on average: a move, a chat
// line or a seat change reaches every connection of its game, players and spectators (a
// getRoom's answer reaches its sender only, which the average rounds up).
const PostsPerFrameIn = PlayersPerGame + SpectatorsPerGame

// Model is a deployment sized for Games concurrent games.
type Model struct {
	Games int
}

// Default is the model of a deployment with no games setting.
func Default() Model { return Model{Games: DefaultGames} }

// Validate says what is wrong with the model, if anything.
func (m Model) Validate() error {
	if m.Games < 1 || m.Games > MaxGames() {
		return fmt.Errorf("%d concurrent games: use 1 to %d, the most one account can serve in a Region: past it, the requests the stage admits and the frames they make the server send (%v/s at worst, with full rooms) would outgrow API Gateway's account-level quota of %d requests per second, shared by every API of the account in the Region (docs/capacity.md)",
			m.Games, MaxGames(), m.WorstAccountRequests(), AccountRequestsPerSecond)
	}
	return nil
}

// maxGames is MaxGames' value, worked out once.
var maxGames = MaxGamesUnder(AccountRequestsPerSecond)

// MaxGames is the most games one account can serve in a Region: the most for which the
// deployment's worst case (WorstAccountRequests) fits API Gateway's account-level request
// quota and its $connect rate the account's new connections per second.
func MaxGames() int { return maxGames }

// MaxGamesUnder is the most games whose worst case fits an account-level quota of quota
// requests per second (LowQuotaRequestsPerSecond: the Regions that start lower).
func MaxGamesUnder(quota int) int {
	n := 0
	for g := 1; ; g++ {
		m := Model{Games: g}
		if m.WorstAccountRequests() > float64(quota) || m.ConnectRate() > AccountConnectsPerSecond {
			return n
		}
		n = g
	}
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

// ConnectBurst is $connect's burst: a tenth of the connections at once, and never fewer than
// MinConnectBurst.
func (m Model) ConnectBurst() float64 {
	return math.Max(MinConnectBurst, math.Ceil(float64(m.Connections())/10))
}

// ConnectWithin is $connect's throttle under a stage throttled at stageRate, stageBurst (the
// model's, or the deployer's throttleRate and throttleBurst): the model's, never more than the
// stage's, which counts connects too.
func (m Model) ConnectWithin(stageRate, stageBurst float64) (rate, burst float64) {
	return min(m.ConnectRate(), stageRate), min(m.ConnectBurst(), stageBurst)
}

// MinConnectBurst is the smallest $connect burst: two classes, or a carrier's subscribers,
// opening the game at the same moment get in at once rather than one in three refused. A
// burst costs nothing until it is used, and is a small share of the account's 500 new
// connections a second.
const MinConnectBurst = 100

// GameConcurrency is the game function's reserved concurrency: the stage's whole burst in
// flight for GameSeconds each, and never fewer than MinGameConcurrency. It is a floor for the
// game (nothing else in the account can take it) and a ceiling on what a flood can take from
// everything else.
func (m Model) GameConcurrency() int {
	return max(MinGameConcurrency, int(math.Ceil(m.StageBurst()*GameSeconds)))
}

// AccountRequests is what the deployment costs API Gateway's account-level request quota, per
// second, at the peak it is sized for: the stage's frames and connects, the posts they make to
// games of average size, and as many disconnects (each tells its room).
func (m Model) AccountRequests() float64 {
	return (m.StageRate() + m.ConnectRate()) * (1 + PostsPerFrameIn)
}

// WorstAccountRequests is the most the deployment can cost the account-level quota, per second:
// everything the stage and $connect admit, each frame fanned out to a full room.
func (m Model) WorstAccountRequests() float64 {
	return WorstRequests(m.StageRate(), m.ConnectRate())
}

// WorstRequests is the most a stage admitting stageRate requests per second, connectRate of
// them connects, costs the account-level quota per second: each request in, and each making
// FramesOutPerFrameIn posts (a connect's are its disconnect's, which tells its room). It
// counts $connect beside the stage's rate, which is conservative.
func WorstRequests(stageRate, connectRate float64) float64 {
	return (stageRate + connectRate) * (1 + FramesOutPerFrameIn)
}

// MaxStageRate is the most a stage of the model's deployment may admit per second, set by
// hand: the worst case of that rate, beside $connect's, fits the account-level request quota.
func (m Model) MaxStageRate() float64 {
	return math.Floor(AccountRequestsPerSecond/(1+FramesOutPerFrameIn) - m.ConnectRate())
}

// ValidateStageRate says what is wrong with a stage rate set by hand (the throttleRate
// setting) for the model's deployment, if anything.
func (m Model) ValidateStageRate(rate float64) error {
	if rate > m.MaxStageRate() {
		return fmt.Errorf("%v requests per second: use at most %v for %d games: each request the stage admits can make the server send %d more (a room update to a full room), and the %v/s that makes at worst, with $connect's %v/s, would outgrow API Gateway's account-level quota of %d requests per second, shared by every API of the account in the Region (docs/capacity.md)",
			rate, m.MaxStageRate(), m.Games, FramesOutPerFrameIn, WorstRequests(rate, m.ConnectRate()), m.ConnectRate(), AccountRequestsPerSecond)
	}
	return nil
}

// LowQuotaRegions start every account at LowQuotaRequestsPerSecond (quotas.LowQuotaRegions).
var LowQuotaRegions = quotas.LowQuotaRegions

// AccountAlarmRate, AccountRequestsIn and AccountAlarmRateIn are package quotas' (one copy).
var (
	AccountAlarmRate   = quotas.AccountAlarmRate
	AccountRequestsIn  = quotas.AccountRequestsIn
	AccountAlarmRateIn = quotas.AccountAlarmRateIn
)

// ConnectionsAtFullRate is how many connections, each sending at RatePerConnection, take the
// stage's whole steady rate: past that many, honest games are throttled with them.
func (m Model) ConnectionsAtFullRate() int { return int(m.StageRate() / RatePerConnection) }

// AddressShareRate is what one address's connections together keep sending, sustained, once
// past a player's pace: its share of the stage, frames per second.
func AddressShareRate() float64 { return float64(AddressFramesPerWindow) / FrameWindowSeconds }

// PacedRate is the most one connection sends, sustained, that its address's share never
// refuses: a player's pace, frames per second.
func PacedRate() float64 { return float64(PacedFramesPerWindow) / FrameWindowSeconds }

// FramesBeforeShareClose is the most frames a connection sends in a window's length before
// its address's share, once spent, closes it.
const FramesBeforeShareClose = PacedFramesPerWindow + ShareRefusalsToClose

// AddressesAtShareToFillStage is how many addresses, each sending its whole share, take the
// stage's steady rate.
func (m Model) AddressesAtShareToFillStage() int {
	return int(math.Ceil(m.StageRate() / AddressShareRate()))
}

// PacedConnectionsToFillStage is how many connections at a player's pace, never refused,
// take the stage's steady rate: what one address must open to take it without being charged.
func (m Model) PacedConnectionsToFillStage() int { return int(math.Ceil(m.StageRate() / PacedRate())) }

// MinGameConcurrency is the smallest reservation: a small deployment's players all coming back
// at once after a deploy, on cold starts slower than GameSeconds, must not be throttled.
const MinGameConcurrency = 10

// MinUnreservedConcurrency is what Lambda insists stays unreserved in an account's Region: a
// reservation that leaves less is refused at deploy time.
const MinUnreservedConcurrency = 100

// AccountConcurrencyNeeded is the Region's concurrency quota a reservation of n needs.
func AccountConcurrencyNeeded(n int) int { return n + MinUnreservedConcurrency }

// Tracing (docs/tracing.md): the game and disconnect functions record a sample of their
// invocations as X-Ray traces, and nothing else records any (API Gateway's WebSocket APIs send
// no trace header, and the functions' tracing mode, PassThrough, has Lambda record only what a
// caller sampled). X-Ray bills each trace recorded.
const (
	// TraceSampleRate is the share of those invocations the functions trace by default
	// (TRACE_SAMPLE_RATE): 1 in 2,000, which keeps the traces of a default deployment under
	// TraceBudgetDollars a month even with its stage at the throttle all month.
	TraceSampleRate = 0.0005
	// TraceBudgetDollars is what tracing may cost a default deployment in a month.
	TraceBudgetDollars = 1
	// HoursPerMonth is the month the costs are for (as bench/cost/prices.json's).
	HoursPerMonth = 730
)

// FramesPerSecond is the game function's invocations per second at the model's pace: each
// game's frame every SecondsPerGameFrame (no headroom).
func (m Model) FramesPerSecond() float64 { return float64(m.Games) / SecondsPerGameFrame }

// TracedInvocations is the game and disconnect functions' invocations per second at the
// model's pace: every game's frames, and a disconnect for every connect $connect's throttle
// admits (every connection replaced each ReconnectSeconds, which is more than players do).
func (m Model) TracedInvocations() float64 { return m.FramesPerSecond() + m.ConnectRate() }

// PeakTracedInvocations is the most of them per second: the stage's whole steady rate, and
// $connect's disconnects beside it (conservative, as WorstRequests is).
func (m Model) PeakTracedInvocations() float64 { return m.StageRate() + m.ConnectRate() }

// TracesPerMonth is the traces recorded in a month of perSecond invocations each traced at
// rate.
func TracesPerMonth(perSecond, rate float64) float64 {
	return perSecond * rate * 3600 * HoursPerMonth
}
