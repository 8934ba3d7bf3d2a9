package game

import "time"

// Clocks are the two deadlines a room keeps without a timer: the first request on the room
// after one passes applies it (Expire), with the server's clock.
type Clocks struct {
	// Grace is how long an offline player's seat is held (ExpireGrace).
	Grace time.Duration
	// Move is how long a player has to make a move in a game between two people (ExpireTurn);
	// 0 turns the move clock off.
	Move time.Duration
}

// ReturnTime is the least time the player to move has when a player comes back: enough to see
// the board again. A player to move gets it for their own return once a turn, so that leaving
// and coming back cannot stall a game.
const ReturnTime = 15 * time.Second

// TimeoutsToLoseSeat is how many games in a row a player of a quick-match room may lose by
// timeout before the seat is given up: a player who never finishes a game frees the room for
// someone who will.
const TimeoutsToLoseSeat = 2

// Expire applies both deadlines at now, in the order they passed: a move clock that ran out
// did so while both players were online, before either went offline, so before any grace
// period could end; then seats past their grace period are given up. It reports whether
// anything changed.
func (r *Room) Expire(now time.Time, c Clocks) bool {
	timed := r.ExpireTurn(now, c.Move)
	graced := r.ExpireGrace(now, c.Grace)
	return timed || graced
}

// The move clock runs only in a game between two people (nobody waits on a player who plays the
// computer, and the computer does not dawdle), and counts only while both are online:
//   - the player to move offline: their grace period decides (ExpireGrace), but their clock
//     does not stop: back, they have what is left, or ReturnTime once a turn (Resume);
//   - the other player offline: nobody is waiting, and the clock stops: their return gives the
//     player to move back the time it was away (Rejoin), and at least ReturnTime.
//
// A deadline that passed while both were online stands whoever goes offline after it.

// TurnEnds is when the player to move must have moved while both players are online, under a
// move clock of move; zero when the clock does not decide now (see above).
func (r *Room) TurnEnds(move time.Duration) time.Time {
	end := r.turnEnd(move) // zero unless both seats are people's
	if end.IsZero() || !r.X.Online() || !r.O.Online() {
		return time.Time{}
	}
	return end
}

// turnEnd is the deadline, whoever is online; zero when no clock runs.
func (r *Room) turnEnd(move time.Duration) time.Time {
	if move <= 0 || r.Status != Playing || r.TurnAt.IsZero() || !r.X.person() || !r.O.person() {
		return time.Time{}
	}
	end := r.TurnAt.Add(move)
	if !r.ResumedAt.IsZero() {
		if back := r.ResumedAt.Add(min(move, ReturnTime)); back.After(end) {
			end = back
		}
	}
	return end
}

// ExpireTurn ends the game when the player to move let the move clock run out while both were
// online: the other player wins it, counted in the series score, and the room says why
// (Timeout). In a quick-match room a player who loses TimeoutsToLoseSeat games in a row this
// way gives up the seat (the leave rule). It reports whether anything changed.
func (r *Room) ExpireTurn(now time.Time, move time.Duration) bool {
	end := r.turnEnd(move)
	if end.IsZero() {
		return false
	}
	// The clock counts until someone went offline.
	until := now
	for _, p := range []*Player{r.X, r.O} {
		if !p.Online() && p.OfflineSince.Before(until) {
			until = p.OfflineSince
		}
	}
	if until.Before(end) {
		return false
	}
	s := r.Turn
	p := r.Player(s)
	r.Status, r.Winner, r.WinLine, r.Turn = Won, s.Other(), nil, None
	if s.Other() == X {
		r.Score.X++
	} else {
		r.Score.O++
	}
	r.Timeout = &Forfeit{Symbol: s, Name: p.Name}
	r.end(s.Other(), EndTimeout, now)
	r.UpdatedAt = now
	p.Timeouts++
	r.Player(s.Other()).Timeouts = 0 // "in a row": the other's run is broken by this game
	if r.Quick && p.Timeouts >= TimeoutsToLoseSeat {
		r.vacate(s, now, true)
	}
	return true
}

// startTurn starts the clock of the player to move.
func (r *Room) startTurn(now time.Time) {
	r.TurnAt, r.ResumedAt = now, time.Time{}
}

// pause gives the player to move back the time the other player, offline since since and back
// at now, was away during this turn: nobody was waiting. Called by Rejoin before it forgets since.
func (r *Room) pause(back Symbol, since, now time.Time) {
	if r.Status != Playing || r.Turn == back || r.TurnAt.IsZero() || since.IsZero() {
		return
	}
	if away := now.Sub(maxTime(since, r.TurnAt)); away > 0 {
		r.TurnAt = r.TurnAt.Add(away)
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Resume, when seat s has just come back from offline (Rejoin), gives the player to move at
// least ReturnTime from now: always when s is the other player, once a turn when s is the
// player to move, so that leaving and coming back cannot stall a game.
func (r *Room) Resume(s Symbol, now time.Time, move time.Duration) {
	if r.Status != Playing || r.TurnAt.IsZero() || move <= 0 {
		return
	}
	least := now.Add(min(move, ReturnTime))
	if !least.After(r.turnEnd(move)) {
		return // it has that much already
	}
	if s != r.Turn {
		r.TurnAt = least.Add(-move)
		return
	}
	if r.ResumedAt.IsZero() {
		r.ResumedAt = now
	}
}
