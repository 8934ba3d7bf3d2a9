// Package eventtype names the presence events and the SNS message attributes they are published
// with: the contract between the presence function and the alerts topic's subscription filter
// policies. It is a leaf package (standard library only), so the CDK app reads it without
// linking the function's SNS client.
package eventtype

import (
	"fmt"
	"strings"
)

// Type is what happened. Types are a contract with subscription filter policies: add, never
// rename.
type Type string

const (
	PlayerOnline  Type = "player_online"  // took a seat, or came back within the grace period
	PlayerOffline Type = "player_offline" // the connection dropped; the seat is held
	PlayerLeft    Type = "player_left"    // gave the seat up (left, or the grace period ran out)
	RoomAbandoned Type = "room_abandoned" // the host left: the game is over for everyone
	RoomClosed    Type = "room_closed"    // both seats empty: the room was deleted
	RoomExpired   Type = "room_expired"   // DynamoDB's TTL deleted the room
)

// Message attribute names: subscription filter policies match on them (the email
// subscription, for one, receives only the event types an operator wants).
const (
	Attribute     = "eventType"
	RoomAttribute = "room"
)

// All lists every event type.
func All() []Type {
	return []Type{PlayerOnline, PlayerOffline, PlayerLeft, RoomAbandoned, RoomClosed, RoomExpired}
}

// Check returns an error naming the known types when t is not one of them.
func Check(t Type) error {
	for _, k := range All() {
		if t == k {
			return nil
		}
	}
	return fmt.Errorf("%q is not a presence event type: use one or more of %s", t, names())
}

// ParseList reads a comma-separated list of event types, each kept once, in the order given.
// It refuses unknown types and an empty list.
func ParseList(s string) ([]Type, error) {
	var out []Type
	seen := map[Type]bool{}
	for _, f := range strings.Split(s, ",") {
		t := Type(strings.TrimSpace(f))
		switch {
		case t == "":
		case Check(t) != nil:
			return nil, fmt.Errorf("%w, comma-separated", Check(t))
		case !seen[t]:
			seen[t] = true
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the list is empty: name the event types, e.g. %s", RoomAbandoned)
	}
	return out, nil
}

func names() string {
	var s []string
	for _, t := range All() {
		s = append(s, string(t))
	}
	return strings.Join(s, ", ")
}
