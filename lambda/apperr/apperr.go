// Package apperr holds the protocol's stable error codes. Every error a client can cause is an
// *Error with a Code; anything else is a server fault and reaches the client as Internal.
//
// The page owns what a player reads: it words each code, and the field at fault, itself
// (frontend/site/js/words.mjs). Detail is English for logs and for tools such as cmd/smoke,
// never shown in the page. lambda/protocol/testdata/contract.json lists the codes both sides
// know, and a test on each side fails when one of them has a code the other has not.
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
	// NotYourPlayer: a player id presented with a secret that is not its own.
	NotYourPlayer Code = "not_your_player"
	// Internal is a server fault (a store outage, contention that outlasted every retry). The
	// client may retry; nothing was changed.
	Internal Code = "internal_error"
)

// Error is a client-caused error: a code, the request field at fault if one is (the page says
// which), and an English detail safe to send.
type Error struct {
	Code   Code
	Field  string // a request field's JSON name, such as "name"; "" for the frame as a whole
	Detail string
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return string(e.Code)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Detail)
}

// Message is the error frame's message: the detail, else the code.
func (e *Error) Message() string {
	if e.Detail != "" {
		return e.Detail
	}
	return string(e.Code)
}

// New returns an *Error with code and a detail formatted like fmt.Sprintf.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// On names the request field at fault.
func (e *Error) On(field string) *Error {
	e.Field = field
	return e
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
		CellTaken, GameNotActive, TooLarge, RateLimited, Internal, NotYourPlayer}
}
