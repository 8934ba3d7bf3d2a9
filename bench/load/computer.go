package load

import (
	"context"
	"fmt"
	"time"
)

// ComputerResult is what playing the computer cost, per move a player makes.
type ComputerResult struct {
	Games, Moves int
	// MoveCounts are the DynamoDB requests and @connections posts during the moves only.
	MoveCounts Counts
	Errors     int
	Samples    []string
}

// DynamoPerMove is DynamoDB requests per move of the player (the computer's answer included).
func (r ComputerResult) DynamoPerMove() float64 {
	if r.Moves == 0 {
		return 0
	}
	return float64(r.MoveCounts.DynamoTotal()) / float64(r.Moves)
}

// MessagesPerMove is API Gateway messages per move: the frame in, plus the posts out.
func (r ComputerResult) MessagesPerMove() float64 {
	if r.Moves == 0 {
		return 0
	}
	return float64(int64(r.Moves)+r.MoveCounts.Posts) / float64(r.Moves)
}

// Computer plays games players against the perfect computer at once, each player taking the
// first free cell, and counts what the moves cost: each move is answered by the computer's in
// the same write and the same frame.
func Computer(ctx context.Context, url string, c *Counters, games int) (ComputerResult, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	res := ComputerResult{Games: games}
	players := make([]*player, games)
	codes := make([]string, games)
	defer func() {
		for _, p := range players {
			if p != nil {
				p.close()
			}
		}
	}()
	if errs := parallel(games, func(i int) error {
		p, err := dial(ctx, url, nil)
		if err != nil {
			return err
		}
		players[i] = p
		if err := p.sendUntilServed(ctx, map[string]any{"action": "playComputer", "name": fmt.Sprintf("c%d", i), "level": "perfect"}, 1); err != nil {
			return err
		}
		room, err := p.waitVersion(ctx, 1)
		codes[i] = room.Code
		return err
	}); len(errs) > 0 {
		return res, fmt.Errorf("opening %d rooms against the computer: %d failed, first: %v", games, len(errs), errs[0])
	}
	before := settle(ctx, c)
	moves := make([]int, games)
	errs := parallel(games, func(i int) error {
		p := players[i]
		room, err := p.waitVersion(ctx, 1)
		for err == nil && room.Status == "playing" {
			cell := -1
			for j, m := range room.Board {
				if m == "" {
					cell = j
					break
				}
			}
			if err = p.send(ctx, map[string]any{"action": "move", "roomCode": codes[i], "cell": cell}); err != nil {
				break
			}
			moves[i]++
			room, err = p.waitVersion(ctx, room.Version+1)
		}
		return err
	})
	res.MoveCounts = settle(ctx, c).Sub(before)
	for _, n := range moves {
		res.Moves += n
	}
	for _, p := range players {
		res.Errors += len(p.errors())
		res.Samples = append(res.Samples, p.errors()...)
	}
	res.Errors += len(errs)
	res.Samples = append(res.Samples, sample(errs)...)
	if len(res.Samples) > 5 {
		res.Samples = res.Samples[:5]
	}
	if res.Errors > 0 {
		return res, fmt.Errorf("playing the computer: %d errors, first: %v", res.Errors, res.Samples[0])
	}
	return res, nil
}
