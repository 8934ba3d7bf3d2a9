// Package presence turns changes to rooms into presence events (a player came online, went
// offline, left; a room was abandoned, closed or expired) and publishes them to SNS. On AWS its
// input is the game table's stream; locally, where dynalite has no stream, the same derivation
// runs on each write and the events go to the log.
package presence

import (
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/game"
	"github.com/serverless-tictactoe/tictactoe/lambda/presence/eventtype"
)

// Event is one presence event, as published (JSON) and logged.
type Event struct {
	Type   eventtype.Type `json:"type"`
	Room   string         `json:"room"`
	Symbol string         `json:"symbol,omitempty"`
	Name   string         `json:"name,omitempty"`
	// At is when the change happened, epoch milliseconds.
	At int64 `json:"at"`
	// Source identifies the change (the stream record's eventID): with it, a subscriber can
	// drop duplicates and an operator can find the record.
	Source string `json:"source,omitempty"`
}

// Derive lists the events that the change from old to new means. old is nil for a new room,
// new is nil for a deleted one; expired says the deletion was DynamoDB's TTL, not the players.
func Derive(old, new *game.Room, expired bool, at time.Time) []Event {
	var out []Event
	room := codeOf(old, new)
	add := func(t eventtype.Type, s game.Symbol, p *game.Player) {
		e := Event{Type: t, Room: room, At: at.UnixMilli()}
		if p != nil {
			e.Symbol, e.Name = string(s), p.Name
		}
		out = append(out, e)
	}
	if new == nil {
		if expired {
			add(eventtype.RoomExpired, game.None, nil)
		} else {
			add(eventtype.RoomClosed, game.None, nil)
		}
		return out
	}
	for _, s := range []game.Symbol{game.X, game.O} {
		var before *game.Player
		if old != nil {
			before = old.Player(s)
		}
		after := new.Player(s)
		switch {
		case after != nil && after.Online() && (before == nil || !before.Online() || before.TokenHash != after.TokenHash):
			add(eventtype.PlayerOnline, s, after)
		case after != nil && !after.Online() && before != nil && before.Online():
			add(eventtype.PlayerOffline, s, after)
		case after == nil && before != nil:
			add(eventtype.PlayerLeft, s, before)
		}
	}
	if new.Status == game.Abandoned && (old == nil || old.Status != game.Abandoned) {
		add(eventtype.RoomAbandoned, game.None, nil)
	}
	return out
}

func codeOf(old, new *game.Room) string {
	if new != nil {
		return new.Code
	}
	if old != nil {
		return old.Code
	}
	return ""
}
