package main

import (
	"fmt"
	"strings"

	"github.com/serverless-tictactoe/tictactoe/bench/coldstart"
	"github.com/serverless-tictactoe/tictactoe/bench/cost"
	"github.com/serverless-tictactoe/tictactoe/bench/load"
)

// Targets of the floors issue, for connect's cold start (the measurement before:
// 21–23 ms on amd64, a 3.7 MB package for every function).
const (
	targetConnectInitMs = 10.0
	connectZippedBefore = 3.7e6
)

func dynamoReads(c load.Counts) float64 {
	return float64(c.Dynamo["GetItem"] + c.Dynamo["BatchGetItem"])
}

func dynamoWrites(c load.Counts) float64 {
	return float64(c.Dynamo["PutItem"] + c.Dynamo["DeleteItem"] + c.Dynamo["UpdateItem"])
}

// gameOfPhases is one game's requests from the phases: connect, create, join, nine moves and
// both players leaving at once (the dearer way to leave); the rematch is not part of it.
func gameOfPhases(phases []load.Phase) (cost.Game, bool) {
	g := cost.Game{MessagesIn: 2 + 9, ReadUnitsPerRead: 1, WriteUnitsPerWrite: 1} // create, join, nine moves
	found := 0
	for _, p := range phases {
		if strings.HasPrefix(p.Name, "rematch") || p.Name == "both leave one after the other" {
			continue
		}
		n := float64(max(p.Games, 1))
		g.MessagesOut += float64(p.Counts.Posts) / n
		g.DynamoReads += dynamoReads(p.Counts) / n
		g.DynamoWrites += dynamoWrites(p.Counts) / n
		found++
	}
	return g, found == 5
}

// phasesSection is the per-phase table, with the floors and where each request goes.
func (r *report) phasesSection(w func(string, ...any)) {
	if len(r.phases) == 0 {
		return
	}
	w("\n## Each phase of a game\n\n%d games on a fresh local stack go through each phase together; the counters settle (half a second without a request) between phases, so each phase's requests are its own. The floor is this design's: a read and a conditional write per room change, a connection's record written once. `lambda/handler`'s `TestEachPhaseCostsItsFloor` and `bench/load`'s `TestPhases` fail `make test` if a phase costs more.\n\n", r.phases[0].Games)
	w("| phase | DynamoDB requests per game | floor | by operation | @connections posts per game | where they go |\n|---|---|---|---|---|---|\n")
	total := 0.0
	for _, p := range r.phases {
		w("| %s | %.2f | %g | %s | %.2f | %s |\n", p.Name, p.PerGame(), p.Floor, ops(p.Counts), p.PostsPerGame(), p.Why)
		if !strings.HasPrefix(p.Name, "rematch") && p.Name != "both leave one after the other" {
			total += p.PerGame()
		}
	}
	w("\nA whole game (connect, create, join, nine moves, both players leave at once): %.1f DynamoDB requests; 37.9 before this floor work, against 29 for its floor.\n", total)
	w("\n%s\n", frameCountCost)
	w("\n%s\n", oneRequestMove)
	r.playerPhasesSection(w)
}

// playerPhasesSection is what identified players' history, stats and ratings add, phase by
// phase (lambda/players, docs/privacy.md).
func (r *report) playerPhasesSection(w func(string, ...any)) {
	if len(r.playerPhases) == 0 {
		return
	}
	w("\n### What players' history and ratings add\n\n%d pairs of players who identified (the page always does) meet by quick match one pair at a time, play a rated game, and ask for their games and the leaderboard. `bench/load`'s `TestPlayerPhases` fails `make test` if a phase costs more.\n\n", r.playerPhases[0].Games)
	w("| phase | DynamoDB requests per game | floor | by operation | @connections posts per game | where they go |\n|---|---|---|---|---|---|\n")
	for _, p := range r.playerPhases {
		w("| %s | %.2f | %g | %s | %.2f | %s |\n", p.Name, p.PerGame(), p.Floor, ops(p.Counts), p.PostsPerGame(), p.Why)
	}
	w("\n%s\n", playersCost)
}

// playersCost is the size of what the players' requests read and write (docs/privacy.md).
const playersCost = "A finished game between two identified people adds 12 requests (8 when neither player is or gets on the leaderboard; 4 in a private room, 2 for the one person against the computer: those change no rating and no leaderboard), made after the last move has been answered, so the move that ends a game waits for none of them. Their size is what they cost: a profile holds the player's last 50 games (about 130 bytes each) and is read and written whole, up to about 7 write units a write; the leaderboard's 50 standings are about 4 KB, 4 write units when it changes. At most about 24 write units and 8 read units a rated game: $0.000016 at on-demand prices, $16 for a million rated games. The leaderboard is one GetItem and a player's rank on it comes with it; past the top 50, the rank is one BatchGetItem more, of the last year's weekly rating-band counts: nothing queries or scans the table. An identified seat adds a read (the profile) and one small write (the room noted for erasure, kept a day)."

// frameCountCost is what the per-connection limit adds to the phases (lambda/handler's
// TestFrameLimitCost pins it).
const frameCountCost = "These phases run without the per-connection limit and the per-address share (the load generator is every player at once). With them on, as a deployment has them by default, every frame but a move played against a person at a person's speed (a second or more after the room last changed) is also counted in its connection's record, so that the limit holds across Lambda containers, and in its address's count for the window, its share of the stage: two more requests per frame (an `UpdateItem` each; one more at the first frame of a connection's 10-second window, and one more for an IPv6 address's /48). A move played against a person stays at its floor, 2; one against the computer, which answers at once, or one made within a second (a bot answering a bot) is counted like any frame, 4. A whole game then costs about 30.0 + 12 (create, join, a leave each and a frame of chat or `getRoom`); a flood costs two writes per frame that reaches a function until the connection is closed (docs/capacity.md)."

// oneRequestMove says why a move is a read and a write, not one request (issue: floors).
const oneRequestMove = "A move stays a read and a conditional write. One request would be an `UpdateItem` whose condition checks the seat, the turn and the cell, but the same write must record what the move decides: the next turn, or a win (status, winner, winning line, score) or a draw. Those depend on the other eight cells, and an update expression applies one fixed change: it cannot choose between outcomes. Writing each outcome as its own condition (eight lines for each mark) would put the rules a second time into DynamoDB's expression language, beside `lambda/game`, and they would drift; a client-supplied board with a version condition would trust the client with the state. So the rules stay in Go, on the state just read."

// coldSection is the cold-start table: init and the first invoke per function.
func (r *report) coldSection(w func(string, ...any)) {
	if len(r.cold) == 0 {
		return
	}
	c0 := r.cold[0]
	w("\n### Cold starts\n\nEach function's bootstrap, built as shipped but for this machine (%s, %s), started %d times under a Lambda Runtime API of our own (`bench/coldstart`), the functions in turn so that other work on the machine falls on each alike, with the environment Lambda gives a function: init is exec to its first `GET /next` (the Go runtime, every package's `init`, the function's wiring), the first invoke is from handing it an ordinary first event to its response, with the DynamoDB and @connections endpoints it calls answering at once from the same server. Lambda adds its own sandbox start, not counted here; AWS's Runtime Interface Emulator's \"Init Duration\" leaves out the bootstrap's own start, so it is not used.\n\n", c0.Arch, c0.GoVersion, c0.Runs)
	w("| function | init median | init max | first invoke median | first invoke max |\n|---|---|---|---|---|\n")
	for _, c := range r.cold {
		name := c.Function
		if name == coldstart.Floor().Name {
			name = "*the floor: aws-lambda-go alone (`bench/coldstart/floor`)*"
		}
		w("| %s | %s | %s | %s | %s |\n", name, ms(c.InitMedian), ms(c.InitMax), ms(c.FirstMedian), ms(c.FirstMax))
	}
	w("\nThe floor is a handler that answers its event with it, built and started the same way: the process, the Go runtime, the standard library's and aws-lambda-go's inits and the Runtime API's first request, under every function's init on this machine. Each SDK client a function links adds its package inits: the DynamoDB client's serialization schemas (`service/dynamodb/schemas`, built at init since its schema-based serialization) take about 2.5 ms here, its endpoint tables 0.4 ms, and DynamoDB Streams' schemas, which `attributevalue` links, 0.3 ms (`GODEBUG=inittrace=1`), whether or not a function makes the calls they describe: SSM's client, which the game and disconnect functions linked until they found a multi-Region deployment's @connections URLs in the game table, cost them about 7 ms.\n")
}

// coldTargets are the floors issue's targets for connect: init under 10 ms, a package under
// half the 3.7 MB every function shipped before.
func (r *report) coldTargets(check func(name, measured string, ok bool, why string)) {
	var c, floor *coldstart.Result
	for i := range r.cold {
		switch r.cold[i].Function {
		case "connect":
			c = &r.cold[i]
		case coldstart.Floor().Name:
			floor = &r.cold[i]
		}
	}
	if c != nil {
		init := float64(c.InitMedian.Microseconds()) / 1000
		why := fmt.Sprintf("%.1f ms over", init-targetConnectInitMs)
		if floor != nil {
			why += fmt.Sprintf(": aws-lambda-go alone starts in %s here (the floor, Cold starts); the DynamoDB client's package inits (its serialization schemas about 2.5 ms) and connect's own wiring are the %s above it",
				ms(floor.InitMedian), ms(c.InitMedian-floor.InitMedian))
		}
		check("connect's init (exec to first /next) < 10 ms, median", ms(c.InitMedian), init < targetConnectInitMs, why)
	}
	for _, s := range r.sizes {
		if s.Function == "connect" {
			check("connect's package < half of 3.7 MB zipped", fmt.Sprintf("%.1f MB", float64(s.Zipped)/1e6), float64(s.Zipped) < connectZippedBefore/2,
				fmt.Sprintf("%.1f MB over half: the DynamoDB client and its schemas are most of what is left", (float64(s.Zipped)-connectZippedBefore/2)/1e6))
		}
	}
}
