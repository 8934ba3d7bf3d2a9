package protocol

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/serverless-tictactoe/tictactoe/internal/doctable"
	"github.com/serverless-tictactoe/tictactoe/lambda/apperr"
	"github.com/serverless-tictactoe/tictactoe/lambda/game"
)

// contract is testdata/contract.json: what the server and the page must agree on. The page's
// test (e2e/browser/contract.test.mjs) reads the same file, so a change on one side only fails
// one of them.
type contract struct {
	NameMax  int
	ChatMax  int
	RoomCode struct {
		Length   int
		Alphabet string
	}
	ErrorCodes  []string
	TypedFields []string
}

func readContract(t *testing.T) contract {
	t.Helper()
	raw, err := os.ReadFile("testdata/contract.json")
	if err != nil {
		t.Fatal(err)
	}
	var c contract
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestContractWithThePage(t *testing.T) {
	c := readContract(t)

	t.Run("limits and room codes", func(t *testing.T) {
		for _, tc := range []struct {
			name      string
			got, want any
		}{
			{"MaxNameRunes", MaxNameRunes, c.NameMax},
			{"MaxChatRunes", MaxChatRunes, c.ChatMax},
			{"game.CodeLength", game.CodeLength, c.RoomCode.Length},
			{"game.CodeAlphabet", game.CodeAlphabet, c.RoomCode.Alphabet},
		} {
			if tc.got != tc.want {
				t.Errorf("%s is %v, contract.json says %v: change both, and the page (words.mjs)", tc.name, tc.got, tc.want)
			}
		}
	})

	// What a player would meet at each limit: the longest name and message pass, one more
	// character is refused, and a code made of the alphabet is taken.
	t.Run("enforced at the limits", func(t *testing.T) {
		code := strings.Repeat(c.RoomCode.Alphabet[:1], c.RoomCode.Length)
		for _, tc := range []struct {
			name, route, field, value string
			want                      apperr.Code
		}{
			{"longest name", "createRoom", "name", strings.Repeat("é", c.NameMax), ""},
			{"name one over", "createRoom", "name", strings.Repeat("é", c.NameMax+1), apperr.BadRequest},
			{"longest message", "sendMessage", "text", strings.Repeat("b", c.ChatMax), ""},
			{"message one over", "sendMessage", "text", strings.Repeat("b", c.ChatMax+1), apperr.TooLarge},
			{"a code of the alphabet", "getRoom", "roomCode", strings.ToLower(code), ""},
			{"a code one short", "getRoom", "roomCode", code[1:], apperr.BadRequest},
		} {
			frame := map[string]string{"action": tc.route, "roomCode": code, tc.field: tc.value}
			body, err := json.Marshal(frame)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Decode(tc.route, string(body))
			if got := apperr.CodeOf(err); got != tc.want {
				t.Errorf("%s: code %q (%v), want %q", tc.name, got, err, tc.want)
			}
			if e := apperr.As(err); e != nil && e.Field != tc.field {
				t.Errorf("%s: field %q, want %q: the page says which field by it", tc.name, e.Field, tc.field)
			}
		}
	})

	// The page has a sentence for each code of contract.json (its test checks).
	t.Run("every apperr code is in the contract, and no other", func(t *testing.T) {
		var codes []string
		for _, code := range apperr.Codes() {
			codes = append(codes, string(code))
		}
		for _, code := range codes {
			if !slices.Contains(c.ErrorCodes, code) {
				t.Errorf("apperr has %s, which contract.json (and so the page) lacks", code)
			}
		}
		for _, code := range c.ErrorCodes {
			if !slices.Contains(codes, code) {
				t.Errorf("contract.json has %s, which apperr lacks", code)
			}
		}
	})

	// Each field a player types is named when it is refused, so the page can say which.
	t.Run("a refusal names the typed field", func(t *testing.T) {
		bad := map[string]struct{ route, body string }{
			"name":     {"createRoom", `{"action":"createRoom","name":"\u0301Ann"}`},
			"roomCode": {"joinRoom", `{"action":"joinRoom","roomCode":"K7M2Q0","name":"Ann"}`},
			"text":     {"sendMessage", `{"action":"sendMessage","roomCode":"K7M2QX","text":" "}`},
		}
		for _, field := range c.TypedFields {
			tc, ok := bad[field]
			if !ok {
				t.Errorf("no case refuses %q: add one", field)
				continue
			}
			_, err := Decode(tc.route, tc.body)
			if e := apperr.As(err); e == nil || e.Code != apperr.BadRequest || e.Field != field {
				t.Errorf("%s: %+v, want a bad_request on %q", tc.body, e, field)
			}
		}
	})
}

// docs/protocol.md's table of error codes lists exactly the contract's codes, and its limits
// are the server's.
func TestProtocolDocListsEveryErrorCode(t *testing.T) {
	c := readContract(t)
	var listed []string
	for _, cells := range doctable.Rows(t, "../../docs/protocol.md", "| code | meaning |") {
		listed = append(listed, strings.Trim(cells[0], "`"))
	}
	if !slices.Equal(slices.Sorted(slices.Values(listed)), slices.Sorted(slices.Values(c.ErrorCodes))) {
		t.Errorf("docs/protocol.md lists the codes %v; the contract has %v", listed, c.ErrorCodes)
	}
	b, err := os.ReadFile("../../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		fmt.Sprintf("over %d bytes or the chat text over %d characters", MaxFrameBytes, c.ChatMax),
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("docs/protocol.md does not say %q", want)
		}
	}
}
