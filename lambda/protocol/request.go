// Package protocol is protocol v1 on the wire (docs/protocol.md): decoding and validating the
// frames clients send, and the frames the server sends back. Fields may be added; none renamed.
package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/serverless-tictactoe/tictactoe/lambda/apperr"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/game"
	"github.com/serverless-tictactoe/tictactoe/lambda/players"
)

// Limits on client input.
const (
	// MaxFrameBytes bounds a client frame: every valid v1 frame fits in far less, so anything
	// bigger is refused before it is parsed.
	MaxFrameBytes = 4096
	MaxNameRunes  = 24
	MaxChatRunes  = 500
	// MaxTokenBytes bounds a seat token as sent back by a client (a real one is 22 bytes).
	MaxTokenBytes = 64
	// MaxRTTMillis bounds a move's report of the last move's round trip (rtt): past a minute a
	// page was asleep, not waiting.
	MaxRTTMillis = 60000
)

// Request is a decoded, validated client frame. Only the fields of its Action are set.
type Request struct {
	Action   string
	RoomCode string // normalized: upper case, well formed
	Name     string // trimmed, control characters removed, 1..MaxNameRunes runes
	Cell     int
	Text     string // chat text, control characters (but newlines) removed, 1..MaxChatRunes runes
	Token    string
	Level    game.Level // playComputer's level, DefaultLevel when not given
	// Peek is getRoom's "watch": false: answer with the room, follow nothing.
	Peek bool
	// RTT is a move's report of the page's last move's round trip (send → the room frame
	// holding it); zero when not reported.
	RTT time.Duration
	// Player is the player's credential (lambda/players): optional on the frames that seat a
	// player and on leaderboard, required on myGames and forgetMe; nil when not sent.
	Player *players.Credential
}

// wireRequest is a client frame as JSON. Pointers tell a missing field from a zero one.
type wireRequest struct {
	Action   *string         `json:"action"`
	RoomCode *string         `json:"roomCode"`
	Name     *string         `json:"name"`
	Cell     json.RawMessage `json:"cell"`
	Text     *string         `json:"text"`
	Token    *string         `json:"token"`
	Level    *string         `json:"level"`
	Watch    *bool           `json:"watch"`
	RTT      json.RawMessage `json:"rtt"`
	Player   json.RawMessage `json:"player"`
}

// Decode parses and validates a client frame sent on route. route is the route API Gateway
// chose; it must equal the frame's action for action routes. Every failure is an *apperr.Error
// whose detail says what to fix, naming the field at fault when there is one.
func Decode(route, body string) (Request, error) {
	if len(body) > MaxFrameBytes {
		return Request{}, apperr.New(apperr.TooLarge, "Frames are limited to %d bytes; this one has %d.", MaxFrameBytes, len(body))
	}
	var w wireRequest
	dec := json.NewDecoder(bytes.NewReader([]byte(body)))
	if err := dec.Decode(&w); err != nil {
		return Request{}, apperr.New(apperr.BadRequest, "A frame must be a JSON object: %s.", jsonProblem(err))
	}
	if dec.More() {
		return Request{}, apperr.New(apperr.BadRequest, "A frame must be a single JSON object.")
	}
	if w.Action == nil || *w.Action == "" {
		return Request{}, apperr.New(apperr.BadRequest, `A frame needs an "action" string.`)
	}
	req := Request{Action: *w.Action}
	if !catalog.IsAction(req.Action) {
		return req, apperr.New(apperr.UnknownAction, "Unknown action %q.", truncate(req.Action, 40))
	}
	if route != req.Action {
		return req, apperr.New(apperr.BadRequest, "Frame for %q arrived on route %q.", req.Action, route)
	}
	var err error
	switch req.Action {
	case catalog.CreateRoom, catalog.QuickMatch:
		req.Name, err = name(w.Name)
	case catalog.JoinRoom:
		if req.RoomCode, err = roomCode(w.RoomCode); err == nil {
			req.Name, err = name(w.Name)
		}
	case catalog.GetRoom:
		req.RoomCode, err = roomCode(w.RoomCode)
		req.Peek = w.Watch != nil && !*w.Watch
	case catalog.Rematch, catalog.LeaveRoom:
		req.RoomCode, err = roomCode(w.RoomCode)
	case catalog.Move:
		if req.RoomCode, err = roomCode(w.RoomCode); err == nil {
			req.Cell, err = cell(w.Cell)
		}
		if err == nil && w.RTT != nil {
			req.RTT, err = rtt(w.RTT)
		}
	case catalog.SendMessage:
		if req.RoomCode, err = roomCode(w.RoomCode); err == nil {
			req.Text, err = chatText(w.Text)
		}
	case catalog.Rejoin:
		if req.RoomCode, err = roomCode(w.RoomCode); err == nil {
			req.Token, err = token(w.Token)
		}
	case catalog.PlayComputer:
		if req.Name, err = name(w.Name); err == nil {
			req.Level, err = level(w.Level)
		}
	}
	if err != nil {
		return req, err
	}
	switch req.Action {
	case catalog.CreateRoom, catalog.QuickMatch, catalog.JoinRoom, catalog.PlayComputer, catalog.Rejoin, catalog.Leaderboard:
		if w.Player != nil && string(w.Player) != "null" {
			req.Player, err = player(w.Player)
		}
	case catalog.MyGames, catalog.ForgetMe:
		if w.Player == nil || string(w.Player) == "null" {
			return req, apperr.New(apperr.BadRequest, `"player" is required: {"id", "secret"}, as the page drew them.`).On("player")
		}
		req.Player, err = player(w.Player)
	}
	return req, err
}

// player reads a credential: {"id": …, "secret": …}, each of the shape a page draws.
func player(raw json.RawMessage) (*players.Credential, error) {
	var w struct {
		ID     *string `json:"id"`
		Secret *string `json:"secret"`
	}
	if err := json.Unmarshal(raw, &w); err != nil || w.ID == nil || w.Secret == nil {
		return nil, apperr.New(apperr.BadRequest, `"player" must be an object {"id", "secret"} of strings.`).On("player")
	}
	c := players.Credential{ID: *w.ID, Secret: *w.Secret}
	if err := c.Check(); err != nil {
		return nil, err
	}
	return &c, nil
}

func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q must be a %s", typ.Field, typ.Type.Kind())
	}
	return "invalid JSON"
}

func roomCode(v *string) (string, error) {
	if v == nil {
		return "", apperr.New(apperr.BadRequest, `"roomCode" is required.`).On("roomCode")
	}
	c, ok := game.NormalizeCode(*v)
	if !ok {
		return "", apperr.New(apperr.BadRequest, "A room code is %d characters from %s, like %q: no 0, 1, I, L or O, which look alike.", game.CodeLength, game.CodeAlphabet, "K7M2QX").On("roomCode")
	}
	return c, nil
}

// invisibleLetters are characters Unicode counts as letters or symbols that draw nothing: a
// name of them alone would be a blank seat.
var invisibleLetters = map[rune]bool{
	'\u115F': true, '\u1160': true, // Hangul choseong and jungseong fillers
	'\u3164': true, '\uFFA0': true, // Hangul filler, halfwidth Hangul filler
	'\u2800': true,                 // Braille pattern blank
	'\u17B4': true, '\u17B5': true, // Khmer inherent vowels
}

// maxMarksPerLetter bounds the combining marks on one base character: enough for any script's
// accents, too few to stack a name over its neighbours' lines.
const maxMarksPerLetter = 4

// name is a player's name as shown to others: what it looks like is what it is. Spaces of every
// kind become one space, invisible fillers go, and what is left must have a letter or a digit
// and no accent standing on its own.
func name(v *string) (string, error) {
	if v == nil {
		return "", apperr.New(apperr.BadRequest, `"name" is required.`).On("name")
	}
	var b strings.Builder
	space := false
	for _, r := range clean(*v, false) {
		switch {
		case invisibleLetters[r]:
			continue
		case unicode.IsSpace(r) || unicode.Is(unicode.Zs, r) || unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r):
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	n := b.String()
	if strayTags(n) {
		return "", apperr.New(apperr.BadRequest, "Names can't contain invisible tag characters outside a flag such as England's.").On("name")
	}
	visible, marks := false, 0
	var prev rune
	for i, r := range n {
		visible = visible || unicode.IsLetter(r) || unicode.IsNumber(r)
		if !unicode.Is(unicode.M, r) {
			marks, prev = 0, r
			continue
		}
		if marks++; i == 0 || prev == ' ' {
			return "", apperr.New(apperr.BadRequest, "An accent or mark in a name needs a letter to sit on.").On("name")
		}
		if marks > maxMarksPerLetter {
			return "", apperr.New(apperr.BadRequest, "A letter in a name takes at most %d accents or marks.", maxMarksPerLetter).On("name")
		}
	}
	switch r := utf8.RuneCountInString(n); {
	case !visible:
		return "", apperr.New(apperr.BadRequest, "A name needs at least one visible letter or digit.").On("name")
	case r > MaxNameRunes:
		return "", apperr.New(apperr.BadRequest, "Names are limited to %d characters.", MaxNameRunes).On("name")
	}
	return n, nil
}

func chatText(v *string) (string, error) {
	if v == nil {
		return "", apperr.New(apperr.BadRequest, `"text" is required.`).On("text")
	}
	t := strings.TrimSpace(clean(*v, true))
	if strayTags(t) {
		return "", apperr.New(apperr.BadRequest, "Chat messages can't contain invisible tag characters outside a flag such as England's.").On("text")
	}
	switch r := utf8.RuneCountInString(t); {
	case r == 0 || !visible(t):
		return "", apperr.New(apperr.BadRequest, "A chat message cannot be empty.").On("text")
	case r > MaxChatRunes:
		return "", apperr.New(apperr.TooLarge, "Chat messages are limited to %d characters.", MaxChatRunes).On("text")
	}
	return t, nil
}

func cell(raw json.RawMessage) (int, error) {
	if raw == nil || string(raw) == "null" {
		return 0, apperr.New(apperr.BadRequest, `"cell" is required.`).On("cell")
	}
	var c int
	if err := json.Unmarshal(raw, &c); err != nil || c < 0 || c >= game.Cells {
		return 0, apperr.New(apperr.BadRequest, "cell must be a whole number from 0 to 8.").On("cell")
	}
	return c, nil
}

func rtt(raw json.RawMessage) (time.Duration, error) {
	var ms int
	if err := json.Unmarshal(raw, &ms); err != nil || ms < 1 || ms > MaxRTTMillis {
		return 0, apperr.New(apperr.BadRequest, "rtt must be a whole number of milliseconds from 1 to %d.", MaxRTTMillis).On("rtt")
	}
	return time.Duration(ms) * time.Millisecond, nil
}

func level(v *string) (game.Level, error) {
	s := ""
	if v != nil {
		s = *v
	}
	l, err := game.ParseLevel(s)
	if err != nil {
		return "", apperr.New(apperr.BadRequest, `"level" is easy, medium or perfect (the default).`).On("level")
	}
	return l, nil
}

func token(v *string) (string, error) {
	if v == nil || *v == "" {
		return "", apperr.New(apperr.BadRequest, `"token" is required.`).On("token")
	}
	if len(*v) > MaxTokenBytes {
		return "", apperr.New(apperr.BadRequest, "That is not a seat token.").On("token")
	}
	return *v, nil
}

// clean drops invalid UTF-8 and control and format characters (which can reorder or hide
// text) but the zero-width joiner (emoji sequences such as a family are joined with it) and
// the tag characters (name and chatText refuse those outside a flag: strayTags), keeping
// newlines when keepNewlines is set, and normalizes to NFC. Lengths are counted on what it
// returns, in code points: the site counts the same way (words.mjs textLength).
func clean(s string, keepNewlines bool) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if keepNewlines && r == '\n' || r == zeroWidthJoiner || isTag(r) {
			return r
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
	return norm.NFC.String(s)
}

const zeroWidthJoiner = '\u200D'

// isTag: the tag characters, U+E0001 LANGUAGE TAG and U+E0020 to U+E007F CANCEL TAG. They
// draw nothing and each one spells an ASCII character, so a run of them is text nobody sees;
// a subdivision flag is spelled with them (England's is a black flag, the tags gbeng and
// CANCEL TAG).
func isTag(r rune) bool { return r == 0xE0001 || r >= 0xE0020 && r <= 0xE007F }

// subdivisionFlag is a well-formed emoji tag sequence (Unicode UTS #51): U+1F3F4 WAVING BLACK
// FLAG, a subdivision code in tag lowercase letters and digits (a region of two letters or
// three digits, then one to four more, as CLDR's unicode_subdivision_id), and CANCEL TAG.
// words.mjs SUBDIVISION_FLAG is the same expression. Compiled on first use: the functions that
// never read a name or a chat line ($connect) do not pay for it at their cold start.
var subdivisionFlag = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\x{1F3F4}(?:[\x{E0061}-\x{E007A}]{2}|[\x{E0030}-\x{E0039}]{3})[\x{E0030}-\x{E0039}\x{E0061}-\x{E007A}]{1,4}\x{E007F}`)
})

// strayTags reports whether s has a tag character that is not part of a subdivision flag.
func strayTags(s string) bool {
	return strings.ContainsFunc(subdivisionFlag().ReplaceAllLiteralString(s, ""), isTag)
}

// visible reports whether s has something to read: not only spaces and joiners.
func visible(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) && r != zeroWidthJoiner && !isTag(r) && !unicode.Is(unicode.M, r) {
			return true
		}
	}
	return false
}

// Length is how long a text counts for the limits: code points after clean (NFC).
func Length(s string, keepNewlines bool) int { return utf8.RuneCountInString(clean(s, keepNewlines)) }

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
