package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/serverless-tictactoe/tictactoe/bench/coldstart"
	"github.com/serverless-tictactoe/tictactoe/bench/cost"
	"github.com/serverless-tictactoe/tictactoe/bench/load"
	"github.com/serverless-tictactoe/tictactoe/bench/pkgsize"
	"github.com/serverless-tictactoe/tictactoe/e2e/smoke"
	"github.com/serverless-tictactoe/tictactoe/lambda/capacity"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
)

// Targets (issue: benchmarks). The report says for each whether it is met, and by how much not.
const (
	targetDynamoPerMove   = 2.0
	targetMessagesPerMove = 3.0
	targetP99             = 50 * time.Millisecond
	targetIdleUSD         = 40.0
)

// Assumptions the local run cannot measure, stated in the report.
var assumptions = cost.Assumptions{
	ConnectionMinutesPerGame:  10,   // two players, five minutes each
	LambdaMillisPerInvocation: 30,   // a read, a write and two posts, each a few ms inside AWS
	LambdaMemoryMB:            256,  // the GoFunction construct's default
	ExtraInvocationsPerGame:   4,    // $connect and $disconnect of both players
	LogBytesPerInvocation:     1200, // the request line, an EMF line, Lambda's START/END/REPORT
}

type report struct {
	command  string
	started  time.Time
	machine  string
	goBench  []string
	loads    []load.Result
	floods   []floodOf
	computer *load.ComputerResult
	sweep    *load.SweepResult
	took     time.Duration // the whole bench, up to writing the report
	sizes    []pkgsize.Size
	phases   []load.Phase
	// playerPhases are what identified players' history, stats and ratings add (load.PlayerPhases).
	playerPhases []load.Phase
	cold         []coldstart.Result
	smoke        *smoke.Latency // make smoke's timed moves against a local stack
	prices       cost.Prices
	itemBytes    int
	deploy       cost.Deployment
	deployNotes  []string
	deployErr    error
	missed       []string
}

func perMove(n int64, moves int) float64 {
	if moves == 0 {
		return 0
	}
	return float64(n) / float64(moves)
}

// game derives one game's requests from a load run: setup and teardown per game, moves per
// move times the moves of the game the run plays (a draw: 9, the longest game).
func gameOf(r load.Result) cost.Game {
	g := float64(r.Games)
	moves := 9.0
	writes, reads := dynamoWrites, dynamoReads
	return cost.Game{
		MessagesIn:         float64(r.MessagesInSetup)/g + moves,
		MessagesOut:        float64(r.SetupCounts.Posts+r.TeardownCounts.Posts)/g + moves*perMove(r.MoveCounts.Posts, r.Moves),
		DynamoReads:        (reads(r.SetupCounts)+reads(r.TeardownCounts))/g + moves*reads(r.MoveCounts)/float64(max(r.Moves, 1)),
		DynamoWrites:       (writes(r.SetupCounts)+writes(r.TeardownCounts))/g + moves*writes(r.MoveCounts)/float64(max(r.Moves, 1)),
		ReadUnitsPerRead:   1,
		WriteUnitsPerWrite: 1,
	}
}

func (r *report) markdown() string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("# Benchmarks\n\n")
	w("Produced by `%s` on %s, %s. Regenerate with `make bench`; numbers from another machine are not comparable.\n\n", r.command, r.started.Format("2006-01-02 15:04 MST"), r.machine)

	w("## Targets\n\n| target | measured | verdict |\n|---|---|---|\n")
	r.targets(w)
	r.movesSection(w)
	r.phasesSection(w)
	r.latencySection(w)
	r.machineSection(w)
	r.kneeSection(w)
	r.floodSection(w)
	w("\n## The game function's own work\n\n`go test -bench` with DynamoDB and @connections in memory (no network): the rules alone, and a whole move through the handler (decode, read and decode the item, rules, encode and write, a frame per player, the log line).\n\n```\n%s\n```\n", strings.Join(r.goBench, "\n"))
	r.packagesSection(w)
	r.coldSection(w)
	r.onAWSSection(w)
	r.billsSection(w)
	return b.String()
}

// movesSection is what a move costs in each load run, and a game outside its moves.
func (r *report) movesSection(w func(string, ...any)) {
	w("\n## What a move costs\n\nEach load run starts the local stack (the real Lambda handlers behind the local API Gateway emulator, on dynalite behind a counting proxy), opens two WebSocket clients per game, creates and joins every room, then has every pair play full games at once (a drawn game: nine moves, the longest): the latency run at a player's pace (a pause of about a second between moves, each game starting at its own moment within the first), the stress run with no pause at all, which measures capacity (moves/s) and, by Little's law, queues every move behind all the others. A move's round trip is from sending it to both players holding the new state. DynamoDB requests are counted at the DynamoDB endpoint, messages out at @connections, during the moves only; create, join, rematch and disconnect are counted apart.\n\n")
	w("| concurrent games | pause between moves | moves | moves/s | p50 | p95 | p99 | max | errors | lost | DynamoDB req/move | @connections posts/move | API GW messages/move |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, l := range r.loads {
		w("| %d | %v | %d | %.0f | %s | %s | %s | %s | %d | %d | %.2f (%s) | %.2f | %.2f |\n", l.Games, l.Think, l.Moves, l.MovesPerSecond,
			ms(l.P50), ms(l.P95), ms(l.P99), ms(l.Max), l.Errors, l.Lost,
			perMove(l.MoveCounts.DynamoTotal(), l.Moves), ops(l.MoveCounts), perMove(l.MoveCounts.Posts, l.Moves),
			1+perMove(l.MoveCounts.Posts, l.Moves))
	}
	for _, l := range r.loads {
		for _, e := range l.ErrorSamples {
			w("\n- error sample (%d games): %s", l.Games, e)
		}
	}
	if len(r.loads) > 0 {
		l := r.loads[0]
		w("\nPer game, outside the moves (%d games): create + join %.1f DynamoDB requests (%s) and %.1f messages out; both players disconnecting %.1f DynamoDB requests (%s) and %.1f messages out.\n",
			l.Games, float64(l.SetupCounts.DynamoTotal())/float64(l.Games), ops(l.SetupCounts), float64(l.SetupCounts.Posts)/float64(l.Games),
			float64(l.TeardownCounts.DynamoTotal())/float64(l.Games), ops(l.TeardownCounts), float64(l.TeardownCounts.Posts)/float64(l.Games))
	}
	w("\n%s\n", chatCost)
}

// floodSection is the flood runs: honest games played with and without the ceilings.
func (r *report) floodSection(w func(string, ...any)) {
	if len(r.floods) == 0 {
		return
	}
	w("\n## Under a flood\n\n%d honest games (each player from its own loopback address) play one full game at a player's pace while other clients flood, three ways. **Hostile:** %s. **Polite:** %s. **Polite, one address:** %s. Without the ceilings is the stack before them (no stage or `$connect` throttle in the local gateway, no per-connection rate limit, no per-address ceiling); with them is a default deployment's (docs/capacity.md). Honest players send a move the gateway throttled again after 250 ms, as a client should. Messages per flooding frame: the frames that reached a function plus the posts to the flooders, per flooding frame the gateway received (a throttled one is counted as unbilled).\n\n",
		r.floods[0].Honest.Games, floodKinds[0].describe(), floodKinds[1].describe(), floodKinds[2].describe())
	w("| flood | ceilings | honest moves | honest p50 | honest p99 | honest errors | honest moves throttled | flooding frames at the gateway | reached a function | throttled | rate_limited answers | connections closed by the server | connects refused | messages per flooding frame |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, f := range r.floods {
		on := "off"
		if f.ceilings {
			on = "on"
		}
		w("| %s | %s | %d | %s | %s | %d | %d | %d | %d | %d | %d | %d | %d | %.2f |\n", f.kind.name, on, f.Honest.Moves, ms(f.Honest.P50), ms(f.Honest.P99),
			f.Honest.Errors+f.Honest.Lost, f.HonestThrottled, f.HostileInvocations+f.HostileThrottled, f.HostileInvocations, f.HostileThrottled,
			f.Hostile.RateLimited, f.Hostile.Closed, f.Hostile.ConnectsRefused, f.MessagesPerFrame())
	}
	for _, f := range r.floods {
		if len(f.Honest.ErrorSamples) > 0 {
			on := "without"
			if f.ceilings {
				on = "with"
			}
			w("\nUnder the %s flood %s the ceilings, the first honest failure: `%s`.\n", f.kind.name, on, f.Honest.ErrorSamples[0])
		}
	}
	w("\nWhat the ceilings buy is the bill and the backend: a hostile frame costs a fraction of a message instead of two, and the flooders' connections are closed (no address is refused: docs/capacity.md). What they cost honest players under the hostile flood is the stage's throttle: the local gateway keeps one bucket for the stage (docs/capacity.md), so until the flooders are closed, honest moves are throttled too and sent again, which is the p99 with the ceilings on. The polite floods keep to the per-connection rate, so the per-connection limit closes none of them; what closes their connections is their address's share of the stage (docs/capacity.md): past 100 frames in 10 s from one address, its connections faster than a player's pace are closed at their 5th frame, and come back through `$connect`, whose throttle then bounds them. Per-IP refusal before the stage is the edge firewall's job (`waf`, on in prod). On one 2-core machine the clients, the gateway emulator, the handlers and dynalite share the CPU; the gateway's work on throttled frames is API Gateway's on AWS, not the game's.\n")
}

// onAWSSection is the table make smoke prints against a deployment, this machine's line first,
// with room for readers' numbers.
func (r *report) onAWSSection(w func(string, ...any)) {
	if r.smoke == nil {
		return
	}
	s := r.smoke
	w("\n## On AWS\n\n`make smoke SITE=<the Frontend stack's SiteUrl>` plays a whole game against a deployment from the outside, then %d more moves in drawn games, paced under the per-connection rate, each timed from its send until the mover's board shows it and until both players' boards do: a move's trip as players live it, network included. It prints one line (`ok   latency …`), the numbers of a row below. The deployment's own side of the same moves is on its dashboard: the game function's time per action, in all and in DynamoDB reads, writes and its slowest @connections post (`ActionLatency`, `ReadLatency`, `WriteLatency`, `PostLatency`), and the round trips pages opened with `?rtt=1` report (`MoveRoundTrip`); the network's share is the difference ([monitoring](monitoring.md)). With AWS credentials for the deployment's account and Region, `make smoke SITE=… SMOKE_FLAGS=-metrics` reads the deployment's own side of those very moves from its metrics too and prints it (`ok   metrics …`: each hop's p50 and p99).\n\n", s.Moves)
	w("| where | moves | to the mover p50 | p99 | to both players p50 | p99 |\n|---|---|---|---|---|---|\n")
	w("| `make dev` on this machine (the local stack with a deployment's ceilings, above) | %d | %s | %s | %s | %s |\n", s.Moves, ms(s.MoverP50), ms(s.MoverP99), ms(s.BothP50), ms(s.BothP99))
	w("| your deployment: its Region, where you played from, the date | | | | | |\n")
	w("\nA pull request that adds a row (the `ok   latency` line of `make smoke`, and where the players were) is welcome.\n")
}

// packagesSection is each function's package size.
func (r *report) packagesSection(w func(string, ...any)) {
	w("\n## Lambda packages\n\nBuilt as the CDK construct builds them (linux/arm64, `CGO_ENABLED=0 -trimpath -ldflags \"-s -w\" -tags lambda.norpc`), zipped with deflate.\n\n| function | bootstrap | zipped |\n|---|---|---|\n")
	for _, s := range r.sizes {
		w("| %s | %.1f MB | %.1f MB |\n", s.Function, float64(s.Binary)/1e6, float64(s.Zipped)/1e6)
	}
	w("\nEach function links the SDK clients it uses and no others (`lambda/app/linking_test.go`): connect the DynamoDB client, disconnect and game DynamoDB and @connections, presence DynamoDB and SNS; none links the SDK's configuration loader (STS, SSO, shared files), since Lambda gives credentials and the Region in the environment. Before, all four were one 10 MB binary, 3.7 MB zipped.\n")
}

// billsSection prices a game and the idle stack at AWS's list prices.
func (r *report) billsSection(w func(string, ...any)) {
	w("\n## What AWS bills\n\nPrices: %s list prices as of %s (`bench/cost/prices.json`; %s)\n\n", r.prices.Region, r.prices.AsOf, r.prices.Source)
	r.perGamesBill(w)
	r.idleBill(w)
}

// perGamesBill is what 1,000 games cost, counted from the phases of a game where they were
// run, else from the first load run.
func (r *report) perGamesBill(w func(string, ...any)) {
	if len(r.loads) == 0 {
		return
	}
	g := gameOf(r.loads[0])
	from := fmt.Sprintf("From the %d-game run", r.loads[0].Games)
	if pg, ok := gameOfPhases(r.phases); ok {
		g, from = pg, fmt.Sprintf("From the phases above (%d games)", r.phases[0].Games)
	}
	g.WriteUnitsPerWrite = cost.Units(r.itemBytes, 1024)
	g.ReadUnitsPerRead = cost.Units(r.itemBytes, 4096)
	bill := cost.PerGames(1000, g, assumptions, r.prices)
	w("### Per 1,000 games\n\nA game here: create, join, nine moves, both players leave. %s: %.1f messages in and %.1f out, %.1f DynamoDB reads and %.1f writes per game; a room item is about %d bytes (%.0f WRU per write, %.0f RRU per strongly consistent read). Assumed, not measured: %.0f connection minutes per game, %.0f ms billed per invocation at %.0f MB, %.0f extra invocations per game ($connect, $disconnect), %.0f log bytes per invocation.\n\n",
		from, g.MessagesIn, g.MessagesOut, g.DynamoReads, g.DynamoWrites, r.itemBytes, g.WriteUnitsPerWrite, g.ReadUnitsPerRead,
		assumptions.ConnectionMinutesPerGame, assumptions.LambdaMillisPerInvocation, assumptions.LambdaMemoryMB, assumptions.ExtraInvocationsPerGame, assumptions.LogBytesPerInvocation)
	bills(w, bill)
}

// idleBill is what the synthesized stack costs a month with no one playing.
func (r *report) idleBill(w func(string, ...any)) {
	w("\n### The stack at idle, per month\n\n")
	if r.deployErr != nil {
		w("Not computed: %v\n", r.deployErr)
		return
	}
	idle, err := cost.Idle(r.deploy, r.prices)
	if err != nil {
		w("Not computed: %v\n", err)
		return
	}
	w("Counted from the synthesized templates in cdk.out (the default context: two AZs, `%s`).\n\n", r.deploy.InstanceType)
	bills(w, idle)
	for _, n := range r.deployNotes {
		w("\n- %s", n)
	}
	w("\n")
}

func (r *report) targets(w func(string, ...any)) {
	check := func(name, measured string, ok bool, why string) {
		verdict := "met"
		if !ok {
			verdict = "**missed**: " + why
			r.missed = append(r.missed, name+": "+why)
		}
		w("| %s | %s | %s |\n", name, measured, verdict)
	}
	if len(r.loads) > 0 {
		l := r.loads[0]
		d := perMove(l.MoveCounts.DynamoTotal(), l.Moves)
		check("DynamoDB requests per move ≤ 2", fmt.Sprintf("%.2f (%s)", d, ops(l.MoveCounts)), d <= targetDynamoPerMove,
			fmt.Sprintf("%.2f over", d-targetDynamoPerMove))
		m := 1 + perMove(l.MoveCounts.Posts, l.Moves)
		check("API Gateway messages per move = 3 (1 in, 1 out to each player)", fmt.Sprintf("%.2f", m), m <= targetMessagesPerMove,
			fmt.Sprintf("%.2f over", m-targetMessagesPerMove))
		r.p99Target(check)
	}
	if c := r.computer; c != nil {
		d, m := c.DynamoPerMove(), c.MessagesPerMove()
		check(fmt.Sprintf("a move against the computer, its answer included, costs what a move costs: DynamoDB requests ≤ 2 (%d games, %d moves)", c.Games, c.Moves),
			fmt.Sprintf("%.2f (%s)", d, ops(c.MoveCounts)), d <= targetDynamoPerMove, fmt.Sprintf("%.2f over", d-targetDynamoPerMove))
		check("API Gateway messages per move against the computer = 2 (1 in, 1 out with both marks)", fmt.Sprintf("%.2f", m), m <= 2,
			fmt.Sprintf("%.2f over", m-2))
	}
	if len(r.loads) > 1 {
		l := r.loads[len(r.loads)-1]
		check(fmt.Sprintf("zero errors and lost moves at %d games", l.Games), fmt.Sprintf("%d errors, %d lost of %d moves", l.Errors, l.Lost, l.Moves),
			l.Errors == 0 && l.Lost == 0, fmt.Sprintf("%d errors, %d lost", l.Errors, l.Lost))
	}
	r.coldTargets(check)
	if r.deployErr == nil {
		if idle, err := cost.Idle(r.deploy, r.prices); err == nil {
			why := fmt.Sprintf("$%.2f over. The ALB and two instances are most of it (and, with cloudFront=false, the ALB's public IPv4 addresses); the dashboard and alarms tip it over.", idle.Total-targetIdleUSD)
			if r.deploy.InstanceType != "t4g.nano" {
				nano := r.deploy
				nano.InstanceType = "t4g.nano"
				if alt, err := cost.Idle(nano, r.prices); err == nil {
					why += fmt.Sprintf(" The default instance type is %s, as the infrastructure issue specifies; `-c instanceType=t4g.nano` (0.5 GB, enough for NGINX serving a static site) brings the stack to $%.2f.", r.deploy.InstanceType, alt.Total)
				}
			}
			check("idle cost < $40/month, two AZs, no NAT", fmt.Sprintf("$%.2f", idle.Total), idle.Total < targetIdleUSD, why)
		}
	}
}

// floodOf is one flood run.
type floodOf struct {
	kind     floodKind
	ceilings bool
	load.FloodResult
}

// floodKind is one way to flood.
type floodKind struct {
	name string
	opts load.FloodOptions
}

// floodKinds: far past every limit, and exactly at the per-connection rate (the polite flood
// of docs/capacity.md: 40 connections from 2 addresses, and 120 from one, more than a default
// stage's rate).
var floodKinds = []floodKind{
	{"hostile", load.FloodOptions{Addresses: load.DefaultFloodAddresses, PerAddress: load.DefaultFloodPerAddress, Rate: load.DefaultFloodRate}},
	{"polite", load.FloodOptions{Addresses: 2, PerAddress: 20, Rate: capacity.RatePerConnection}},
	{"polite, one address", load.FloodOptions{Addresses: 1, PerAddress: 120, Rate: capacity.RatePerConnection}},
}

func (k floodKind) describe() string {
	rate := fmt.Sprintf("%d frames a second", k.opts.Rate)
	if k.opts.Rate == 1 {
		rate = "1 frame a second"
	}
	return fmt.Sprintf("%d clients from %d addresses send chat to rooms of their own, %s each, ignore every answer, and connect again whenever they are closed",
		k.opts.Addresses*k.opts.PerAddress, k.opts.Addresses, rate)
}

func (r *report) verdict() error {
	if len(r.missed) == 0 {
		fmt.Fprintln(os.Stderr, "bench: every target met")
		return nil
	}
	fmt.Fprintln(os.Stderr, "bench: targets missed (see the report):\n  "+strings.Join(r.missed, "\n  "))
	return nil
}

func bills(w func(string, ...any), b cost.Bill) {
	w("| item | quantity | USD |\n|---|---|---|\n")
	for _, l := range b.Lines {
		w("| %s | %s | %s |\n", l.Item, l.Quantity, usd(l.USD))
	}
	w("| **total** | | **%s** |\n", usd(b.Total))
}

func usd(v float64) string {
	if v != 0 && v < 0.01 {
		return fmt.Sprintf("$%.4f", v)
	}
	return fmt.Sprintf("$%.2f", v)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func ops(c load.Counts) string {
	var parts []string
	for _, op := range []string{"GetItem", "PutItem", "UpdateItem", "DeleteItem", "BatchGetItem", "DescribeTable", "CreateTable"} {
		if n := c.Dynamo[op]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", op, n))
		}
	}
	return strings.Join(parts, ", ")
}

// chatCost is what a room's kept chat costs: the requests are asserted by
// lambda/store's TestChatRingCostAndBound, so they are stated rather than measured here.
var chatCost = fmt.Sprintf("Chat is kept apart from the room item, so a move never reads or writes it: a message costs the room's read (1 GetItem, 1 read unit) plus 1 UpdateItem of the room's chat counter and 1 PutItem of the message (1 write unit each for a message up to 1 KB; a 500-character message of 4-byte characters is 2 KB, 2 units). A rejoin, a reload or a new spectator costs 1 GetItem of the counter and 1 BatchGetItem of the last %[1]d messages (strongly consistent, so a reload right after a message finds it: 1 read unit per message, %[2]g for a full history) on top of what it cost before. The history is the current series' (a new guest starts one and never reads an earlier guest's conversation). A room's chat occupies at most the counter and %[1]d message items (the ring: message n replaces message n-%[1]d), under %[3]d KB however long the room lives; they expire with the room, %[4]s after its last message.",
	// A message item is at most about 2.3 KB: 500 four-byte characters, a 24-character name, keys.
	store.ChatKeep, float64(store.ChatKeep), (store.ChatKeep*23+10)/10, fmt.Sprintf("%g hours (ROOM_TTL's default)", config.DefaultRoomTTL.Hours()))
