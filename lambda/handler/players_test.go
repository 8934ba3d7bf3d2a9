package handler_test

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/guard"
	"github.com/serverless-tictactoe/tictactoe/lambda/players"
)

// credential draws a secret as the page does, with the id it makes.
func credential(t *testing.T) map[string]any {
	t.Helper()
	b := make([]byte, players.SecretBytes)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	secret := base64.RawURLEncoding.EncodeToString(b)
	return map[string]any{"id": players.IDOf(secret), "secret": secret}
}

// quickGame pairs a (as X) and b by quick match, as the players p and q, and plays X's win.
func (e *env) quickGame(a, b string, p, q map[string]any) string {
	e.t.Helper()
	e.send(a, map[string]any{"action": "quickMatch", "name": "Ann", "player": p})
	e.send(b, map[string]any{"action": "quickMatch", "name": "Bob", "player": q})
	code := e.room(a)["code"].(string)
	for i, c := range []int{0, 3, 1, 4, 2} {
		e.move([]string{a, b}[i%2], code, c)
	}
	return code
}

// games asks for connID's games as player p.
func (e *env) games(connID string, p map[string]any) map[string]any {
	e.t.Helper()
	e.send(connID, map[string]any{"action": "myGames", "player": p})
	f := e.last(connID)
	if f["type"] != "games" {
		e.t.Fatalf("myGames: %v", f)
	}
	return f
}

// A quick-match game between two identified players is kept in both histories with its moves,
// counted in both stats and rated for both; the leaderboard lists both, the winner first, and
// marks the asker's own row.
func TestIdentifiedGamesAreRecordedAndRated(t *testing.T) {
	e := newEnv(t, envOptions{})
	ann, bob := credential(t), credential(t)
	code := e.quickGame("a", "b", ann, bob)

	fa, fb := e.games("a", ann), e.games("b", bob)
	for who, tc := range map[string]struct {
		f      map[string]any
		result string
		rating float64
		people map[string]any
	}{
		"Ann": {fa, "win", 1220, map[string]any{"games": 1.0, "wins": 1.0, "losses": 0.0, "draws": 0.0}},
		"Bob": {fb, "loss", 1180, map[string]any{"games": 1.0, "wins": 0.0, "losses": 1.0, "draws": 0.0}},
	} {
		g := tc.f["games"].([]any)
		if len(g) != 1 {
			t.Fatalf("%s's history: %v", who, g)
		}
		entry := g[0].(map[string]any)
		if entry["code"] != code || entry["result"] != tc.result || entry["how"] != "line" || entry["rated"] != true ||
			fmt.Sprint(entry["moves"]) != "[0 3 1 4 2]" || entry["starter"] != "X" {
			t.Errorf("%s's game: %v", who, entry)
		}
		if _, leaked := entry["opponentId"]; leaked {
			t.Errorf("%s's game names the opponent's id: %v", who, entry)
		}
		pl := tc.f["player"].(map[string]any)
		if pl["rating"] != tc.rating || pl["ratedGames"] != 1.0 || pl["provisional"] != true || pl["rank"] == nil {
			t.Errorf("%s's standing: %v", who, pl)
		}
		if fmt.Sprint(tc.f["stats"].(map[string]any)["people"]) != fmt.Sprint(tc.people) {
			t.Errorf("%s's stats: %v", who, tc.f["stats"])
		}
	}
	e.send("b", map[string]any{"action": "leaderboard", "player": bob})
	lb := e.last("b")
	top := lb["top"].([]any)
	if lb["type"] != "leaderboard" || len(top) != 2 || top[0].(map[string]any)["name"] != "Ann" || top[1].(map[string]any)["you"] != true ||
		lb["you"].(map[string]any)["rank"] != 2.0 {
		t.Fatalf("leaderboard: %v", lb)
	}
	if m := e.metricCounts(); m["GamesRecorded"] != 1 || m["RatedGames"] != 1 || m["RecordFailures"] != 0 {
		t.Errorf("metrics %v", m)
	}

	// A private room counts in stats and history, not in ratings.
	e.send("a", map[string]any{"action": "createRoom", "name": "Ann", "player": ann})
	private := e.room("a")["code"].(string)
	e.send("b", map[string]any{"action": "joinRoom", "roomCode": private, "name": "Bob", "player": bob})
	for i, c := range []int{0, 3, 1, 4, 2} {
		e.move([]string{"a", "b"}[i%2], private, c)
	}
	fa = e.games("a", ann)
	if g := fa["games"].([]any); len(g) != 2 || g[0].(map[string]any)["code"] != private || g[0].(map[string]any)["rated"] != false ||
		fa["player"].(map[string]any)["rating"] != 1220.0 {
		t.Fatalf("after a private game: %v", fa)
	}
}

// A credential whose id is not its secret's is refused, whatever the frame: an id read off a
// screen is worth nothing without the secret that makes it. An id with nothing recorded
// sitting down or asking for its games stores no profile: a finished game makes one.
func TestAWrongSecretIsRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	ann := credential(t)
	thief := credential(t)
	thief["id"] = ann["id"]
	for _, frame := range []map[string]any{
		{"action": "createRoom", "name": "Ann", "player": thief},
		{"action": "quickMatch", "name": "Ann", "player": thief},
		{"action": "myGames", "player": thief},
		{"action": "leaderboard", "player": thief},
		{"action": "forgetMe", "player": thief},
	} {
		e.send("t", frame)
		e.wantError("t", "not_your_player", frame["action"].(string))
	}
	e.send("t", map[string]any{"action": "myGames", "player": map[string]any{"id": "x", "secret": "y"}})
	e.wantError("t", "bad_request", "myGames")

	stranger := credential(t)
	e.send("s", map[string]any{"action": "createRoom", "name": "Sam", "player": stranger})
	e.send("s", map[string]any{"action": "leaveRoom", "roomCode": e.room("s")["code"]})
	f := e.games("s", stranger)
	if len(f["games"].([]any)) != 0 || f["player"].(map[string]any)["ratedGames"] != 0.0 {
		t.Fatalf("a stranger's games: %v", f)
	}
	if keys := e.keysMentioning(stranger["id"].(string)); len(keys) != 1 || keys[0] != "SEATS#"+stranger["id"].(string) {
		t.Fatalf("sitting down stored %v, want only the rooms noted for erasure (a day)", keys)
	}
}

// Forget me: at once, nothing of the player is left in the table (a scan finds neither their
// id nor their secret's hash), the opponent's history keeps the games with the name replaced,
// the leaderboard drops them; asking again is answered the same.
func TestForgetMeLeavesNothing(t *testing.T) {
	e := newEnv(t, envOptions{})
	ann, bob := credential(t), credential(t)
	e.quickGame("a", "b", ann, bob)
	e.send("a", map[string]any{"action": "rematch", "roomCode": e.room("a")["code"]})
	e.send("b", map[string]any{"action": "rematch", "roomCode": e.room("a")["code"]})
	code := e.room("a")["code"].(string)
	for i, c := range []int{4, 0, 8, 2} { // O opens the rematch; a game under way when Ann leaves
		e.move([]string{"b", "a"}[i%2], code, c)
	}
	e.send("c", map[string]any{"action": "playComputer", "name": "Ann", "player": ann, "level": "easy"})
	e.send("a", map[string]any{"action": "quickMatch", "name": "Ann", "player": ann})
	e.send("b", map[string]any{"action": "quickMatch", "name": "Bob", "player": bob}) // a live room with Ann's seat
	if len(e.keysMentioning(ann["id"].(string))) == 0 {
		t.Fatal("nothing names Ann before she erases herself: the test proves nothing")
	}

	e.send("a", map[string]any{"action": "forgetMe", "player": ann})
	if f := e.last("a"); f["type"] != "forgotten" {
		t.Fatalf("forgetMe: %v", f)
	}
	for _, s := range []string{ann["id"].(string), ann["secret"].(string)} {
		if keys := e.keysMentioning(s); len(keys) != 0 {
			t.Errorf("items %v still hold %q after forgetMe", keys, s)
		}
	}
	fb := e.games("b", bob)
	for _, g := range fb["games"].([]any) {
		if g.(map[string]any)["opponent"] != players.ErasedName {
			t.Errorf("Bob's game against the erased player: %v", g)
		}
	}
	if n := len(fb["games"].([]any)); n != 2 {
		t.Errorf("Bob's history has %d games, want 2 (the win, and the rematch Ann left under way): %v", n, fb["games"])
	}
	e.send("b", map[string]any{"action": "leaderboard"})
	for _, st := range e.last("b")["top"].([]any) {
		if st.(map[string]any)["name"] == "Ann" {
			t.Errorf("the leaderboard still lists Ann: %v", st)
		}
	}
	e.send("a", map[string]any{"action": "forgetMe", "player": ann})
	if f := e.last("a"); f["type"] != "forgotten" {
		t.Fatalf("forgetMe again: %v", f)
	}
	if m := e.metricCounts(); m["Erasures"] != 1 {
		t.Errorf("erasures %d, want 1", m["Erasures"])
	}
}

// The requests a finished rated game adds, per player: read and write the profile, move the
// rating band, read the board (and write it when the standing changed). A move that ends an
// unidentified game adds none.
func TestAFinishedGameCosts(t *testing.T) {
	rc := &requestCounter{}
	e := newEnv(t, envOptions{requests: rc})
	ann, bob := credential(t), credential(t)
	e.send("a", map[string]any{"action": "quickMatch", "name": "Ann", "player": ann})
	e.send("b", map[string]any{"action": "quickMatch", "name": "Bob", "player": bob})
	code := e.room("a")["code"].(string)
	for i, c := range []int{0, 3, 1, 4} {
		e.move([]string{"a", "b"}[i%2], code, c)
	}
	rc.take()
	e.move("a", code, 2) // the winning move
	got := rc.take()
	// The move's floor (GetItem 1, PutItem 1), then per player: the profile and the erasure
	// marks read together (BatchGetItem), the profile written, the band moved (UpdateItem), the
	// board read and written, and, the board having changed, the player's erasure mark read
	// once more (GetItem).
	want := map[string]int{"BatchGetItem": 2, "GetItem": 1 + 2*2, "PutItem": 1 + 2*2, "UpdateItem": 2}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("the winning move of a rated game made %v, want %v", got, want)
	}

	e.send("c", map[string]any{"action": "createRoom", "name": "Cy"})
	anon := e.room("c")["code"].(string)
	e.send("d", map[string]any{"action": "joinRoom", "roomCode": anon, "name": "Di"})
	for i, c := range []int{0, 3, 1, 4} {
		e.move([]string{"c", "d"}[i%2], anon, c)
	}
	rc.take()
	e.move("c", anon, 2)
	if got := rc.take(); fmt.Sprint(got) != fmt.Sprint(map[string]int{"GetItem": 1, "PutItem": 1}) {
		t.Fatalf("the winning move of an unidentified game made %v, want the move's floor", got)
	}
}

// Quick match between two identified players from one address (one person in two tabs, or a
// class) is recorded for both and rated for neither; from two addresses it is rated.
func TestOneAddressPlaysUnrated(t *testing.T) {
	e := newEnv(t, envOptions{guard: &guard.Limits{}})
	for conn, ip := range map[string]string{"a": "203.0.113.7", "b": "203.0.113.7", "c": "203.0.113.7", "d": "198.51.100.9"} {
		if code := e.connectFrom(conn, ip, nil); code != 200 {
			t.Fatalf("$connect %s: %d", conn, code)
		}
	}
	ann, bob, cy, di := credential(t), credential(t), credential(t), credential(t)
	e.quickGame("a", "b", ann, bob)
	if g := e.games("a", ann)["games"].([]any); len(g) != 1 || g[0].(map[string]any)["rated"] != false {
		t.Fatalf("one address's game: %v", g)
	}
	e.quickGame("c", "d", cy, di)
	if g := e.games("c", cy)["games"].([]any); len(g) != 1 || g[0].(map[string]any)["rated"] != true {
		t.Fatalf("two addresses' game: %v", g)
	}
}

// $disconnect can end a game (the clock of the player to move ran out: the room's clocks are
// applied with the seat going offline) and then records it like the game function does: the
// disconnect function must be granted every call the recording makes, or the game is lost from
// both histories in a real account only.
func TestADisconnectRecordsTheGameItEnds(t *testing.T) {
	rc := &requestCounter{}
	e := newEnv(t, envOptions{requests: rc, moveTimeout: moveTimeout})
	for conn, ip := range map[string]string{"a": "203.0.113.7", "b": "198.51.100.9"} {
		if code := e.connectFrom(conn, ip, nil); code != 200 {
			t.Fatalf("$connect %s: %d", conn, code)
		}
	}
	ann, bob := credential(t), credential(t)
	e.send("a", map[string]any{"action": "quickMatch", "name": "Ann", "player": ann})
	e.send("b", map[string]any{"action": "quickMatch", "name": "Bob", "player": bob})
	code := e.room("a")["code"].(string)
	e.move("a", code, 0)
	e.advance(moveTimeout) // Bob's time runs out...
	rc.take()
	e.disconnect("a") // ...and Ann's leaving is the first request on the room
	got := rc.take()
	if got["BatchGetItem"] == 0 {
		t.Fatalf("the $disconnect that ended the game made %v: no profile read, was the game recorded?", got)
	}
	wantGranted(t, "a $disconnect that ends a game", catalog.FnDisconnect, got)
	if m := e.metricCounts(); m["GamesRecorded"] != 1 || m["RecordFailures"] != 0 {
		t.Errorf("metrics %v, want the game recorded", m)
	}
	if g := e.games("b", bob)["games"].([]any); len(g) != 1 || g[0].(map[string]any)["how"] != "timeout" {
		t.Errorf("Bob's history after the $disconnect: %v", g)
	}
}
