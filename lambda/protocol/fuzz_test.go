package protocol

import (
	"encoding/json"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/serverless-tictactoe/tictactoe/lambda/apperr"
	"github.com/serverless-tictactoe/tictactoe/lambda/game"
)

// FuzzDecode feeds arbitrary frames on arbitrary routes: Decode must never panic, every
// failure must carry a client error code, and everything it accepts must be within the
// protocol's limits.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"action":"createRoom","name":"Ann"}`,
		`{"action":"move","roomCode":"k7m2qx","cell":4}`,
		`{"action":"sendMessage","roomCode":"K7M2QX","text":"hi\u202e"}`,
		`{"action":"createRoom","name":"Ann \ud83c\udff4\udb40\udc67\udb40\udc62\udb40\udc65\udb40\udc6e\udb40\udc67\udb40\udc7f"}`,
		`{"action":"sendMessage","roomCode":"K7M2QX","text":"hi\udb40\udc01\udb40\udc68"}`,
		`{"action":"rejoin","roomCode":"K7M2QX","token":"x"}`,
		`{"action":"move","cell":1e400}`, `[]`, `null`, `{"action":null}`, "\xff",
	} {
		f.Add("move", s)
		f.Add("$default", s)
	}
	f.Fuzz(func(t *testing.T, route, body string) {
		req, err := Decode(route, body)
		if err != nil {
			if apperr.As(err) == nil {
				t.Fatalf("error without a code: %v", err)
			}
			if _, encErr := Error(err, req.Action); encErr != nil {
				t.Fatalf("error frame does not encode: %v", encErr)
			}
			return
		}
		if req.Action != route {
			t.Fatalf("accepted action %q on route %q", req.Action, route)
		}
		if req.RoomCode != "" {
			if c, ok := game.NormalizeCode(req.RoomCode); !ok || c != req.RoomCode {
				t.Fatalf("accepted malformed code %q", req.RoomCode)
			}
		}
		if req.Cell < 0 || req.Cell >= game.Cells {
			t.Fatalf("accepted cell %d", req.Cell)
		}
		for _, s := range []struct {
			v   string
			max int
		}{{req.Name, MaxNameRunes}, {req.Text, MaxChatRunes}} {
			if !utf8.ValidString(s.v) || utf8.RuneCountInString(s.v) > s.max {
				t.Fatalf("accepted %q beyond limits", s.v)
			}
			// Kept format characters: the joiner of emoji sequences and the tags of flags.
			for _, r := range subdivisionFlag().ReplaceAllLiteralString(s.v, "") {
				if r != '\n' && r != zeroWidthJoiner && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r)) {
					t.Fatalf("accepted control character %U in %+q", r, s.v)
				}
			}
		}
		if _, err := json.Marshal(req); err != nil {
			t.Fatal(err)
		}
	})
}
