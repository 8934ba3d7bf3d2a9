package load

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/players"
)

// The phases of what lambda/players keeps, in the order a player meets them; their floors are
// this design's (docs/privacy.md, docs/benchmarks.md), and TestPlayerPhases holds the code to
// them.
var playerPhaseDefs = []phaseDef{
	{"quick match, both identified", 15, "what a quick match costs unidentified (11: the queue, the room, both connections' records); each player's profile read (1 each; new players, as here, have none until their first game is recorded) and the room noted for erasure (one small write each)"},
	{"9 moves of a rated game, recorded for both", 30, "a read and a conditional write per move (18); then, once the last move has been answered, each player's profile and the erasure marks read in one request and the profile written (2 each; the first game creates it), their rating band moved (1 each), the leaderboard read (1 each) and, when their standing changed, written and their erasure mark read again (2 each; not for a player who neither is nor gets on the board)"},
	{"myGames (a rated player)", 2, "the profile, stats and history in one item (1), and the leaderboard for the rank (1); past the leaderboard's 50, the rating bands too (1)"},
	{"leaderboard, with the asker's rank", 2, "the leaderboard (1) and the asker's profile (1); past the 50, the rating bands (1)"},
}

// credential draws a secret as the page does, with the id it makes.
func credential() (map[string]any, error) {
	b := make([]byte, players.SecretBytes)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	secret := base64.RawURLEncoding.EncodeToString(b)
	return map[string]any{"id": players.IDOf(secret), "secret": secret}, nil
}

// PlayerPhases plays games rated games between identified players phase by phase against url
// and counts each phase apart: what the players' history, stats, ratings and leaderboard add.
// The quick matches are made one pair at a time, so that each pair is the one intended.
func PlayerPhases(ctx context.Context, url string, c *Counters, games int) ([]Phase, error) {
	games = max(games, 1)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	pairs := make([]*pair, games)
	creds := make([][2]map[string]any, games)
	codes := make([]string, games)
	defer func() {
		for _, p := range pairs {
			if p != nil {
				p.x.close()
				p.o.close()
			}
		}
	}()
	for i := range pairs {
		x, err := dial(ctx, url, nil)
		if err != nil {
			return nil, err
		}
		o, err := dial(ctx, url, nil)
		if err != nil {
			x.close()
			return nil, err
		}
		pairs[i] = &pair{x: x, o: o}
		for k := range creds[i] {
			if creds[i][k], err = credential(); err != nil {
				return nil, err
			}
		}
	}
	settle(ctx, c)
	var out []Phase
	phase := func(i int, run func(i int) error) error {
		before := c.Snapshot()
		for g := range games {
			if err := run(g); err != nil {
				return fmt.Errorf("phase %s: %w", playerPhaseDefs[i].name, err)
			}
		}
		d := playerPhaseDefs[i]
		out = append(out, Phase{Name: d.name, Floor: d.floor, Why: d.why, Games: games, Counts: settle(ctx, c).Sub(before)})
		return nil
	}
	steps := []func(i int) error{
		func(i int) error {
			p := pairs[i]
			if err := p.x.send(ctx, map[string]any{"action": "quickMatch", "name": fmt.Sprintf("x%d", i), "player": creds[i][0]}); err != nil {
				return err
			}
			if err := p.x.waitType(ctx, "queued", 1); err != nil {
				return err
			}
			if err := p.o.send(ctx, map[string]any{"action": "quickMatch", "name": fmt.Sprintf("o%d", i), "player": creds[i][1]}); err != nil {
				return err
			}
			room, err := p.x.waitVersion(ctx, 1)
			codes[i] = room.Code
			if err == nil {
				_, err = p.o.waitVersion(ctx, 1)
			}
			return err
		},
		func(i int) error {
			_, err := playGame(ctx, pairs[i], codes[i], 0, 10*time.Second, pace{})
			return err
		},
		func(i int) error {
			if err := pairs[i].x.send(ctx, map[string]any{"action": "myGames", "player": creds[i][0]}); err != nil {
				return err
			}
			return pairs[i].x.waitType(ctx, "games", 1)
		},
		func(i int) error {
			if err := pairs[i].o.send(ctx, map[string]any{"action": "leaderboard", "player": creds[i][1]}); err != nil {
				return err
			}
			return pairs[i].o.waitType(ctx, "leaderboard", 1)
		},
	}
	for i, run := range steps {
		if err := phase(i, run); err != nil {
			return out, err
		}
	}
	return out, nil
}
