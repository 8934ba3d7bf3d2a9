package protocol

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/serverless-tictactoe/tictactoe/lambda/apperr"
)

func TestDecodeValid(t *testing.T) {
	tests := []struct {
		name  string
		route string
		body  string
		want  Request
	}{
		{"create", "createRoom", `{"action":"createRoom","name":"  Ann  "}`, Request{Action: "createRoom", Name: "Ann"}},
		{"join lower-case code", "joinRoom", `{"action":"joinRoom","roomCode":"k7m2qx","name":"Bob"}`, Request{Action: "joinRoom", RoomCode: "K7M2QX", Name: "Bob"}},
		{"get", "getRoom", `{"action":"getRoom","roomCode":"K7M2QX"}`, Request{Action: "getRoom", RoomCode: "K7M2QX"}},
		{"get and watch", "getRoom", `{"action":"getRoom","roomCode":"K7M2QX","watch":true}`, Request{Action: "getRoom", RoomCode: "K7M2QX"}},
		{"peek", "getRoom", `{"action":"getRoom","roomCode":"K7M2QX","watch":false}`, Request{Action: "getRoom", RoomCode: "K7M2QX", Peek: true}},
		{"move 0", "move", `{"action":"move","roomCode":"K7M2QX","cell":0}`, Request{Action: "move", RoomCode: "K7M2QX", Cell: 0}},
		{"move 8", "move", `{"action":"move","roomCode":"K7M2QX","cell":8}`, Request{Action: "move", RoomCode: "K7M2QX", Cell: 8}},
		{"chat keeps newlines, strips control", "sendMessage", `{"action":"sendMessage","roomCode":"K7M2QX","text":"gg\nwp\u0007\u202e"}`, Request{Action: "sendMessage", RoomCode: "K7M2QX", Text: "gg\nwp"}},
		{"rematch", "rematch", `{"action":"rematch","roomCode":"K7M2QX"}`, Request{Action: "rematch", RoomCode: "K7M2QX"}},
		{"leave", "leaveRoom", `{"action":"leaveRoom","roomCode":"K7M2QX"}`, Request{Action: "leaveRoom", RoomCode: "K7M2QX"}},
		{"rejoin", "rejoin", `{"action":"rejoin","roomCode":"K7M2QX","token":"abc"}`, Request{Action: "rejoin", RoomCode: "K7M2QX", Token: "abc"}},
		{"unknown fields ignored", "getRoom", `{"action":"getRoom","roomCode":"K7M2QX","v":2}`, Request{Action: "getRoom", RoomCode: "K7M2QX"}},
		{"name of 24 runes", "createRoom", `{"action":"createRoom","name":"` + strings.Repeat("é", 24) + `"}`, Request{Action: "createRoom", Name: strings.Repeat("é", 24)}},
		{"name with tab inside", "createRoom", `{"action":"createRoom","name":"A\tB"}`, Request{Action: "createRoom", Name: "AB"}},
		{"spaces of every kind become one", "createRoom", `{"action":"createRoom","name":" Ann\u3000\u00a0 Lee\u2028"}`, Request{Action: "createRoom", Name: "Ann Lee"}},
		{"fillers dropped", "createRoom", `{"action":"createRoom","name":"\u3164Ann\u3164"}`, Request{Action: "createRoom", Name: "Ann"}},
		// Kept in NFC: the composed letters, counted as the site counts them.
		{"accents on their letters", "createRoom", `{"action":"createRoom","name":"Zoe\u0301 Nguye\u0302\u0303n"}`, Request{Action: "createRoom", Name: "Zo\u00e9 Nguy\u1ec5n"}},
		{"a script without spaces", "createRoom", `{"action":"createRoom","name":"山田 太郎"}`, Request{Action: "createRoom", Name: "山田 太郎"}},
		{"computer, default level", "playComputer", `{"action":"playComputer","name":"Ann"}`, Request{Action: "playComputer", Name: "Ann", Level: "perfect"}},
		{"computer, easy", "playComputer", `{"action":"playComputer","name":"Ann","level":"easy"}`, Request{Action: "playComputer", Name: "Ann", Level: "easy"}},
		{"digits only", "createRoom", `{"action":"createRoom","name":"42"}`, Request{Action: "createRoom", Name: "42"}},
		{"emoji beside a letter", "createRoom", `{"action":"createRoom","name":"Ann 🦊"}`, Request{Action: "createRoom", Name: "Ann 🦊"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode(tc.route, tc.body)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name  string
		route string
		body  string
		want  apperr.Code
	}{
		{"not JSON", "$default", `hello`, apperr.BadRequest},
		{"JSON array", "$default", `[1,2]`, apperr.BadRequest},
		{"watch not a boolean", "getRoom", `{"action":"getRoom","roomCode":"K7M2QX","watch":"no"}`, apperr.BadRequest},
		{"two objects", "getRoom", `{"action":"getRoom","roomCode":"K7M2QX"}{}`, apperr.BadRequest},
		{"no action", "$default", `{"roomCode":"K7M2QX"}`, apperr.BadRequest},
		{"action not a string", "$default", `{"action":5}`, apperr.BadRequest},
		{"unknown action", "$default", `{"action":"fly"}`, apperr.UnknownAction},
		{"route action $connect is not a client action", "$default", `{"action":"$connect"}`, apperr.UnknownAction},
		{"action on the wrong route", "$default", `{"action":"move","roomCode":"K7M2QX","cell":1}`, apperr.BadRequest},
		{"too large", "sendMessage", `{"action":"sendMessage","roomCode":"K7M2QX","text":"` + strings.Repeat("a", MaxFrameBytes) + `"}`, apperr.TooLarge},
		{"missing name", "createRoom", `{"action":"createRoom"}`, apperr.BadRequest},
		{"blank name", "createRoom", `{"action":"createRoom","name":" \u0000 "}`, apperr.BadRequest},
		{"computer, unknown level", "playComputer", `{"action":"playComputer","name":"Ann","level":"hard"}`, apperr.BadRequest},
		{"computer, no name", "playComputer", `{"action":"playComputer","level":"easy"}`, apperr.BadRequest},
		{"Hangul filler name", "createRoom", `{"action":"createRoom","name":"\u3164"}`, apperr.BadRequest},
		{"fillers and blanks", "createRoom", `{"action":"createRoom","name":"\u115F\u1160\uFFA0\u2800 \u3000"}`, apperr.BadRequest},
		{"zero-width only", "createRoom", `{"action":"createRoom","name":"\u200b\u200d\u2060"}`, apperr.BadRequest},
		{"punctuation only", "createRoom", `{"action":"createRoom","name":"(…) !?"}`, apperr.BadRequest},
		{"emoji only", "createRoom", `{"action":"createRoom","name":"🦊"}`, apperr.BadRequest},
		{"lone combining mark", "createRoom", `{"action":"createRoom","name":"\u0301"}`, apperr.BadRequest},
		{"mark after a space", "createRoom", `{"action":"createRoom","name":"Ann \u0301"}`, apperr.BadRequest},
		{"a message of joiners only", "sendMessage", `{"action":"sendMessage","roomCode":"K7M2QX","text":"\u200d \u200d"}`, apperr.BadRequest},
		{"stacked marks", "createRoom", `{"action":"createRoom","name":"Ze\u0301\u0302\u0303\u0304\u0305\u0306"}`, apperr.BadRequest},
		{"name too long", "createRoom", `{"action":"createRoom","name":"` + strings.Repeat("a", 25) + `"}`, apperr.BadRequest},
		{"name wrong type", "createRoom", `{"action":"createRoom","name":7}`, apperr.BadRequest},
		{"missing code", "joinRoom", `{"action":"joinRoom","name":"B"}`, apperr.BadRequest},
		{"short code", "joinRoom", `{"action":"joinRoom","roomCode":"K7M","name":"B"}`, apperr.BadRequest},
		{"ambiguous character", "getRoom", `{"action":"getRoom","roomCode":"K7M2Q0"}`, apperr.BadRequest},
		{"missing cell", "move", `{"action":"move","roomCode":"K7M2QX"}`, apperr.BadRequest},
		{"cell 9", "move", `{"action":"move","roomCode":"K7M2QX","cell":9}`, apperr.BadRequest},
		{"cell -1", "move", `{"action":"move","roomCode":"K7M2QX","cell":-1}`, apperr.BadRequest},
		{"cell fraction", "move", `{"action":"move","roomCode":"K7M2QX","cell":1.5}`, apperr.BadRequest},
		{"cell string", "move", `{"action":"move","roomCode":"K7M2QX","cell":"1"}`, apperr.BadRequest},
		{"cell null", "move", `{"action":"move","roomCode":"K7M2QX","cell":null}`, apperr.BadRequest},
		{"empty chat", "sendMessage", `{"action":"sendMessage","roomCode":"K7M2QX","text":"  "}`, apperr.BadRequest},
		{"chat too long", "sendMessage", `{"action":"sendMessage","roomCode":"K7M2QX","text":"` + strings.Repeat("b", 501) + `"}`, apperr.TooLarge},
		{"missing token", "rejoin", `{"action":"rejoin","roomCode":"K7M2QX"}`, apperr.BadRequest},
		{"huge token", "rejoin", `{"action":"rejoin","roomCode":"K7M2QX","token":"` + strings.Repeat("t", 65) + `"}`, apperr.BadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.route, tc.body)
			e := apperr.As(err)
			if e == nil || e.Code != tc.want {
				t.Fatalf("got %v, want code %s", err, tc.want)
			}
			if e.Message() == "" {
				t.Fatal("an error must say what to fix")
			}
		})
	}
}

func TestErrorFrameHidesServerFaults(t *testing.T) {
	b, err := Error(errorString("dynamodb: connection refused to 10.0.0.1"), "move")
	if err != nil {
		t.Fatal(err)
	}
	var f ErrorFrame
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if f.Type != "error" || f.Code != "internal_error" || strings.Contains(f.Message, "10.0.0.1") || f.Action != "move" {
		t.Fatalf("frame %+v leaks or is wrong", f)
	}
	b, _ = Error(apperr.New(apperr.CellTaken, "Cell 4 is already taken."), "move")
	if !strings.Contains(string(b), `"code":"cell_taken"`) || !strings.Contains(string(b), "Cell 4") || strings.Contains(string(b), `"field"`) {
		t.Fatalf("client error frame %s", b)
	}
	// The field at fault travels: the page words the refusal by it.
	b, _ = Error(apperr.New(apperr.BadRequest, "Names are limited to 24 characters.").On("name"), "createRoom")
	if !strings.Contains(string(b), `"field":"name"`) {
		t.Fatalf("bad_request frame %s names no field", b)
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

// The limits count what the page counts: testdata/lengths.json is the cases both sides run
// (e2e/browser/words.test.mjs reads it too).
func TestLengthCountsAsThePageDoes(t *testing.T) {
	raw, err := os.ReadFile("testdata/lengths.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []struct {
			Name, Text   string
			Length       int
			KeepNewlines bool
		}
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	for _, tc := range f.Cases {
		if got := Length(tc.Text, tc.KeepNewlines); got != tc.Length {
			t.Errorf("%s: %q counts %d, want %d", tc.Name, tc.Text, got, tc.Length)
		}
	}
	// At the limit a text passes; one more and it is refused, not cut.
	family := "\U0001F468\u200D\U0001F469\u200D\U0001F467" // 5
	for _, tc := range []struct {
		text string
		want apperr.Code
	}{
		{strings.Repeat("a", MaxChatRunes-5) + family, ""},
		{strings.Repeat("a", MaxChatRunes-4) + family, apperr.TooLarge},
	} {
		body, _ := json.Marshal(map[string]any{"action": "sendMessage", "roomCode": "K7M2QX", "text": tc.text})
		req, err := Decode("sendMessage", string(body))
		if apperr.CodeOf(err) != tc.want {
			t.Errorf("a %d-character message: %v, want %q", Length(tc.text, true), err, tc.want)
		}
		if err == nil && req.Text != tc.text {
			t.Errorf("the message was changed: %q", req.Text)
		}
	}
}

// Tag characters pass only inside a subdivision flag: testdata/tags.json is the cases both
// sides run (e2e/browser/words.test.mjs reads it too).
func TestTagCharactersOnlyInFlags(t *testing.T) {
	raw, err := os.ReadFile("testdata/tags.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []struct{ Name, Field, Text, Want string }
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	// What each refusal's message says, so a case refused for another reason fails.
	says := map[string]string{"invisible": "invisible tag characters", "too long": "limited to"}
	for _, tc := range f.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			action := map[string]string{"name": "createRoom", "text": "sendMessage"}[tc.Field]
			if action == "" || (tc.Want != "ok" && says[tc.Want] == "") {
				t.Fatalf("a case with field %q and want %q", tc.Field, tc.Want)
			}
			body, err := json.Marshal(map[string]string{"action": action, "roomCode": "K7M2QX", tc.Field: tc.Text})
			if err != nil {
				t.Fatal(err)
			}
			req, err := Decode(action, string(body))
			if tc.Want == "ok" {
				if err != nil {
					t.Fatalf("%+q refused: %v", tc.Text, err)
				}
				// The flags are kept whole.
				tags := func(s string) (n int) {
					for _, r := range s {
						if isTag(r) {
							n++
						}
					}
					return n
				}
				if kept := req.Name + req.Text; tags(kept) != tags(tc.Text) || !strings.Contains(kept, "\U0001F3F4") {
					t.Fatalf("%+q kept as %+q", tc.Text, kept)
				}
				return
			}
			e := apperr.As(err)
			if e == nil || e.Code != apperr.BadRequest || !strings.Contains(e.Message(), says[tc.Want]) {
				t.Fatalf("%+q: got %v, want bad_request saying %q", tc.Text, err, says[tc.Want])
			}
		})
	}
}
