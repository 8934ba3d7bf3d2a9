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

// ReturnTime is the least time the player to move has when a player comes back, once a turn:
// enough to see the board again, too little to stall a game by leaving and returning.
const ReturnTime = 15 * time.Second

// TimeoutsToLoseSeat is how many games in a row a player of a quick-match room may lose by
// timeout before the seat is given up: a player who never moves frees the room for someone
// who will.
const TimeoutsToLoseSeat = 2

// Expire applies both deadlines at now: seats past their grace period are given up, then the
// player to move who has run out of time loses the game. It reports whether anything changed.
func (r *Room) Expire(now time.Time, c Clocks) bool {
	graced := r.ExpireGrace(now, c.Grace)
	timed := r.ExpireTurn(now, c.Move)
	return graced || timed
}

// TurnEnds is when the player to move must have moved, under a move clock of move; zero when the
// clock does not decide. It decides only in a game between two people who are both online:
// nobody waits on a player who plays the computer (and the computer does not dawdle); while the
// player to move is offline their grace period decides instead (ExpireGrace); while the other
// is offline nobody is waiting. The deadline does not move while it does not decide: when a
// player comes back, the player to move has at least ReturnTime, once a turn (Resume).
func (r *Room) TurnEnds(move time.Duration) time.Time {
	if move <= 0 || r.Status != Playing || r.TurnAt.IsZero() || !r.X.person() || !r.O.person() ||
		!r.X.Online() || !r.O.Online() {
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

// ExpireTurn ends the game when the player to move has let the move clock run out: the other
// player wins it, counted in the series score, and the room says why (Timeout). In a
// quick-match room a player who loses TimeoutsToLoseSeat games in a row this way gives up the
// seat (the leave rule). It reports whether anything changed.
func (r *Room) ExpireTurn(now time.Time, move time.Duration) bool {
	end := r.TurnEnds(move)
	if end.IsZero() || now.Before(end) {
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
	r.UpdatedAt = now
	p.Timeouts++
	if r.Quick && p.Timeouts >= TimeoutsToLoseSeat {
		r.vacate(s, now, true)
	}
	return true
}

// startTurn starts the clock of the player to move.
func (r *Room) startTurn(now time.Time) {
	r.TurnAt, r.ResumedAt = now, time.Time{}
}

// Resume gives the player to move ReturnTime from now, when a player has just come back
// (Rejoin) and the move clock would leave less; once a turn, so that leaving and coming back
// cannot stall a game.
func (r *Room) Resume(now time.Time, move time.Duration) {
	if r.Status != Playing || !r.ResumedAt.IsZero() || r.TurnAt.IsZero() || move <= 0 {
		return
	}
	if now.Add(min(move, ReturnTime)).After(r.TurnAt.Add(move)) {
		r.ResumedAt = now
	}
}
