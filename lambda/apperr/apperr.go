// Package apperr holds the protocol's stable error codes and the one place that turns a code
// into the message a player reads. Every error a client can cause is an *Error with a Code;
// anything else is a server fault and reaches the client as CodeInternal.
package apperr

import (
	"errors"
	"fmt"
)

// Code is a stable, machine-readable error code sent in `error` frames (docs/protocol.md).
// Codes are an external contract: add new ones, never rename.
type Code string

const (
	BadRequest    Code = "bad_request"
	UnknownAction Code = "unknown_action"
	RoomNotFound  Code = "room_not_found"
	RoomFull      Code = "room_full"
	NotInRoom     Code = "not_in_room"
	NotYourTurn   Code = "not_your_turn"
	CellTaken     Code = "cell_taken"
	GameNotActive Code = "game_not_active"
	TooLarge      Code = "too_large"
	RateLimited   Code = "rate_limited"
	// Internal is a server fault (a store outage, contention that outlasted every retry). The
	// client may retry; nothing was changed.
	Internal Code = "internal_error"
)

// messages are the default player-facing texts, one per code.
var messages = map[Code]string{
	BadRequest:    "That request was not understood.",
	UnknownAction: "That action does not exist.",
	RoomNotFound:  "No room with that code. Check the code, or the room may have closed.",
	RoomFull:      "That room already has two players.",
	NotInRoom:     "You are not a player in that room.",
	NotYourTurn:   "It is not your turn.",
	CellTaken:     "That cell is already taken.",
	GameNotActive: "There is no game in progress for that.",
	TooLarge:      "That message is too large.",
	RateLimited:   "Too many messages. Slow down a little.",
	Internal:      "Something went wrong on our side. Please try again.",
}

// Error is a client-caused error: a code and a precise, player-safe detail.
type Error struct {
	Code   Code
	Detail string
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return string(e.Code)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Detail)
}

// Message is what the player reads: the detail when there is one (it says exactly what to fix),
// else the code's default text.
func (e *Error) Message() string {
	if e.Detail != "" {
		return e.Detail
	}
	return MessageFor(e.Code)
}

// New returns an *Error with code and a detail formatted like fmt.Sprintf.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// MessageFor is the default text for code.
func MessageFor(code Code) string {
	if m, ok := messages[code]; ok {
		return m
	}
	return messages[Internal]
}

// As returns the *Error inside err, or nil when err is not client-caused.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// CodeOf is err's code: its own when client-caused, Internal otherwise, "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	if e := As(err); e != nil {
		return e.Code
	}
	return Internal
}

// Codes lists every code, for tests and docs.
func Codes() []Code {
	return []Code{BadRequest, UnknownAction, RoomNotFound, RoomFull, NotInRoom, NotYourTurn,
		CellTaken, GameNotActive, TooLarge, RateLimited, Internal}
}
