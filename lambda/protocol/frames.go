package protocol

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/apperr"
	"github.com/serverless-tictactoe/tictactoe/lambda/game"
)

// Server frame types.
const (
	TypeRoom  = "room"
	TypeChat  = "chat"
	TypeError = "error"
	TypeLeft  = "left"
	// TypeQueued: the sender waits in the quick-match queue; a room frame follows when a
	// stranger arrives. TypeUnqueued: it no longer waits (cancelQuickMatch).
	TypeQueued   = "queued"
	TypeUnqueued = "unqueued"
	// TypeChatHistory: a room's kept chat, to a connection that rejoins or starts watching.
	TypeChatHistory = "chatHistory"
)

// RoomFrame carries a room's state; You is set only in the frame sent to that seat's holder.
type RoomFrame struct {
	Type string    `json:"type"`
	Room RoomState `json:"room"`
	You  *You      `json:"you,omitempty"`
	// ServerTime is the server's clock when the frame was made (epoch milliseconds): a page
	// counts down to graceEndsAt and turnEndsAt against it, whatever its own clock says.
	ServerTime int64 `json:"serverTime"`
}

// You tells a player which seat they hold. Token is sent only when the seat is granted
// (createRoom, joinRoom, rejoin): the server keeps only its hash and never sends it to anyone else.
type You struct {
	Symbol string `json:"symbol"`
	Token  string `json:"token,omitempty"`
}

// RoomState is the public view of a room: nothing secret, safe for players and spectators.
type RoomState struct {
	Code    string     `json:"code"`
	Status  string     `json:"status"`
	Board   [9]string  `json:"board"`
	Turn    string     `json:"turn"`
	Winner  string     `json:"winner"`
	WinLine []int      `json:"winLine"`
	Players Players    `json:"players"`
	Score   Score      `json:"score"`
	Rematch RematchAsk `json:"rematch"`
	// Forfeit is set when the last game ended with a player's grace period running out.
	Forfeit *ForfeitState `json:"forfeit,omitempty"`
	// Timeout is set when the last game ended with the player to move out of time.
	Timeout *ForfeitState `json:"timeout,omitempty"`
	// TurnEndsAt is, while the move clock runs (game.Room.TurnEnds), when the player to move
	// must have moved (epoch milliseconds, the server's clock). Absent otherwise.
	TurnEndsAt int64 `json:"turnEndsAt,omitempty"`
	Version    int64 `json:"version"`
}

// ForfeitState says who forfeited the last game, or ran out of time in it.
type ForfeitState struct {
	Symbol string `json:"symbol"`
	Name   string `json:"name"`
}

// Players are the two seats; an empty seat is null.
type Players struct {
	X *PlayerState `json:"X"`
	O *PlayerState `json:"O"`
}

// PlayerState is a seat's public view.
type PlayerState struct {
	Name   string `json:"name"`
	Online bool   `json:"online"`
	// Computer marks the computer's seat; Level is its level.
	Computer bool   `json:"computer,omitempty"`
	Level    string `json:"level,omitempty"`
	// GraceEndsAt is, for an offline player, when the seat is given up (epoch milliseconds,
	// the server's clock): the game is then forfeited. Absent while online.
	GraceEndsAt int64 `json:"graceEndsAt,omitempty"`
}

// Score is the series score.
type Score struct {
	X     int `json:"X"`
	O     int `json:"O"`
	Draws int `json:"draws"`
}

// RematchAsk says who has asked for a rematch of the finished game.
type RematchAsk struct {
	X bool `json:"X"`
	O bool `json:"O"`
}

// ChatFrame is a chat message relayed to the room. At is epoch milliseconds.
type ChatFrame struct {
	Type     string `json:"type"`
	RoomCode string `json:"roomCode"`
	From     string `json:"from"`
	Symbol   string `json:"symbol"`
	Text     string `json:"text"`
	At       int64  `json:"at"`
	// Seq numbers the series' kept messages: a client merges a history and live messages by
	// it. Absent when the message could not be kept.
	Seq int64 `json:"seq,omitempty"`
}

// ChatHistoryFrame is a room's last kept chat messages, oldest first.
type ChatHistoryFrame struct {
	Type     string     `json:"type"`
	RoomCode string     `json:"roomCode"`
	Messages []ChatLine `json:"messages"`
}

// ChatLine is one message of a history: as a chat frame has it.
type ChatLine struct {
	From   string `json:"from"`
	Symbol string `json:"symbol"`
	Text   string `json:"text"`
	At     int64  `json:"at"`
	Seq    int64  `json:"seq"`
}

// ChatHistory encodes a history frame.
func ChatHistory(code string, lines []ChatLine) ([]byte, error) {
	return encode(ChatHistoryFrame{Type: TypeChatHistory, RoomCode: code, Messages: lines})
}

// ErrorFrame goes to the sender of a request that failed, and to nobody else. A page words Code
// (and Field) itself; Message is English for logs and tools (package apperr).
type ErrorFrame struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	Action  string `json:"action"`
}

// LeftFrame tells a connection it no longer follows a room: it left, or the room closed.
type LeftFrame struct {
	Type     string `json:"type"`
	RoomCode string `json:"roomCode"`
	// Reason is LeftElsewhere when the seat was rejoined from another connection (another
	// tab), LeftTimeout when the move clock took it; absent otherwise.
	Reason string `json:"reason,omitempty"`
}

// LeftElsewhere: the seat's token rejoined it from another connection. LeftTimeout: the seat
// was given up for timeouts in a row (game.TimeoutsToLoseSeat).
const (
	LeftElsewhere = "elsewhere"
	LeftTimeout   = "timeout"
)

// QueueFrame says the sender waits in the quick-match queue (TypeQueued) or no longer does
// (TypeUnqueued).
type QueueFrame struct {
	Type string `json:"type"`
	// RetryIn, in a queued frame, says the sender has no place in the queue: nobody is paired
	// with it until it asks again, in RetryIn seconds (its quick-match cooldown left to run,
	// or a second when the queue was too busy to take it). Absent: it waits in the queue.
	RetryIn int `json:"retryIn,omitempty"`
}

// Queued encodes the queued frame.
func Queued() ([]byte, error) { return encode(QueueFrame{Type: TypeQueued}) }

// QueuedRetry encodes the queued frame of a sender who has no place in the queue and should
// ask again in the time given (rounded up to whole seconds, at least one).
func QueuedRetry(in time.Duration) ([]byte, error) {
	return encode(QueueFrame{Type: TypeQueued, RetryIn: max(1, int((in+time.Second-1)/time.Second))})
}

// Unqueued encodes the unqueued frame.
func Unqueued() ([]byte, error) { return encode(QueueFrame{Type: TypeUnqueued}) }

// StateOf is the public view of r under its clocks.
func StateOf(r *game.Room, c game.Clocks) RoomState {
	st := RoomState{
		Code:    r.Code,
		Status:  string(r.Status),
		Turn:    string(r.Turn),
		Winner:  string(r.Winner),
		WinLine: r.WinLine,
		Score:   Score{X: r.Score.X, O: r.Score.O, Draws: r.Score.Draws},
		Version: r.Version,
	}
	for i, s := range r.Board {
		st.Board[i] = string(s)
	}
	st.Players.X, st.Rematch.X = playerState(r.X, c.Grace)
	st.Players.O, st.Rematch.O = playerState(r.O, c.Grace)
	st.Forfeit, st.Timeout = forfeitState(r.Forfeit), forfeitState(r.Timeout)
	if end := r.TurnEnds(c.Move); !end.IsZero() {
		st.TurnEndsAt = end.UnixMilli()
	}
	return st
}

func forfeitState(f *game.Forfeit) *ForfeitState {
	if f == nil {
		return nil
	}
	return &ForfeitState{Symbol: string(f.Symbol), Name: f.Name}
}

func playerState(p *game.Player, grace time.Duration) (*PlayerState, bool) {
	if p == nil {
		return nil, false
	}
	ps := &PlayerState{Name: p.Name, Online: p.Online(), Computer: p.Computer != "", Level: string(p.Computer)}
	if !p.Online() {
		ps.GraceEndsAt = p.GraceEnds(grace).UnixMilli()
	}
	return ps, p.Rematch
}

// Room encodes a room frame made at now under the room's clocks; you may be nil.
func Room(r *game.Room, you *You, c game.Clocks, now time.Time) ([]byte, error) {
	return encode(RoomFrame{Type: TypeRoom, Room: StateOf(r, c), You: you, ServerTime: now.UnixMilli()})
}

// Chat encodes a chat frame; seq is the message's number among the room's kept ones (0: not
// kept).
func Chat(code, from string, symbol game.Symbol, text string, at time.Time, seq int64) ([]byte, error) {
	return encode(ChatFrame{Type: TypeChat, RoomCode: code, From: from, Symbol: string(symbol), Text: text, At: at.UnixMilli(), Seq: seq})
}

// Left encodes a left frame; reason is "", LeftElsewhere or LeftTimeout.
func Left(code, reason string) ([]byte, error) {
	return encode(LeftFrame{Type: TypeLeft, RoomCode: code, Reason: reason})
}

// internalMessage is a server fault's message: its details are logged, never sent.
const internalMessage = "Something went wrong on the server; nothing was changed."

// Error encodes the error frame for err, answering action.
func Error(err error, action string) ([]byte, error) {
	f := ErrorFrame{Type: TypeError, Code: string(apperr.Internal), Message: internalMessage, Action: action}
	if e := apperr.As(err); e != nil {
		f.Code, f.Field, f.Message = string(e.Code), e.Field, e.Message()
	}
	return encode(f)
}

func encode(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding %T: %w", v, err)
	}
	return b, nil
}
