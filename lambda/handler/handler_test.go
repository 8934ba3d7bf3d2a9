package handler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/apperr"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/config"
	"github.com/serverless-tictactoe/tictactoe/lambda/players"
	"github.com/serverless-tictactoe/tictactoe/lambda/ratelimit"
)

func TestGoldenEventForEveryRoute(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, r := range catalog.Routes() {
		t.Run(r.Key, func(t *testing.T) {
			ev := golden(t, r.Key)
			if ev.RequestContext.RouteKey != r.Key || ev.RequestContext.ConnectionID == "" || ev.RequestContext.DomainName == "" {
				t.Fatalf("golden event for %s is malformed: %+v", r.Key, ev.RequestContext)
			}
			fn, err := e.h.For(r.Function)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := fn(context.Background(), ev)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("%s: status %d, err %v", r.Key, resp.StatusCode, err)
			}
		})
	}
}

func TestWholeGame(t *testing.T) {
	e := newEnv(t, envOptions{})
	code := e.create("x", "Ann")
	if len(code) != 6 || strings.ContainsAny(code, "01ILO") {
		t.Fatalf("room code %q", code)
	}
	first := e.last("x")
	if you := first["you"].(map[string]any); you["symbol"] != "X" || you["token"] == "" {
		t.Fatalf("creator's you = %v", you)
	}
	if st := e.room("x"); st["status"] != "waiting" || st["players"].(map[string]any)["O"] != nil {
		t.Fatalf("new room %v", st)
	}

	e.send("o", map[string]any{"action": "joinRoom", "roomCode": strings.ToLower(code), "name": "Bob"})
	for _, c := range []string{"x", "o"} {
		st := e.room(c)
		if st["status"] != "playing" || st["turn"] != "X" {
			t.Fatalf("%s sees %v after join", c, st)
		}
	}
	if you := e.last("o")["you"].(map[string]any); you["symbol"] != "O" || you["token"] == "" {
		t.Fatalf("guest's you = %v", you)
	}
	if you := e.last("x")["you"].(map[string]any); you["symbol"] != "X" || you["token"] != nil {
		t.Fatalf("host's frame after join = %v: a token goes only with a seat grant", you)
	}

	// Each move: one frame to each player and nothing else.
	for i, m := range []struct {
		conn string
		cell int
	}{{"x", 0}, {"o", 3}, {"x", 1}, {"o", 4}, {"x", 2}} {
		nx, no := e.count("x"), e.count("o")
		e.move(m.conn, code, m.cell)
		if e.count("x") != nx+1 || e.count("o") != no+1 {
			t.Fatalf("move %d: frames to x %d→%d, o %d→%d; want one each", i, nx, e.count("x"), no, e.count("o"))
		}
	}
	st := e.room("o")
	if st["status"] != "won" || st["winner"] != "X" || fmt.Sprint(st["winLine"]) != "[0 1 2]" || board(st) != "XXXOO...." {
		t.Fatalf("after the winning move: %v", st)
	}
	if sc := st["score"].(map[string]any); sc["X"] != 1.0 || sc["O"] != 0.0 || sc["draws"] != 0.0 {
		t.Fatalf("score %v", sc)
	}

	e.send("o", map[string]any{"action": "sendMessage", "roomCode": code, "text": "gg <b>wp</b>"})
	for _, c := range []string{"x", "o"} {
		f := e.last(c)
		if f["type"] != "chat" || f["from"] != "Bob" || f["symbol"] != "O" || f["text"] != "gg <b>wp</b>" || f["roomCode"] != code {
			t.Fatalf("%s got %v", c, f)
		}
	}

	e.send("x", map[string]any{"action": "rematch", "roomCode": code})
	if r := e.room("o")["rematch"].(map[string]any); r["X"] != true || r["O"] != false {
		t.Fatalf("rematch asks %v", r)
	}
	e.send("o", map[string]any{"action": "rematch", "roomCode": code})
	st = e.room("x")
	if st["status"] != "playing" || st["turn"] != "O" || board(st) != "........." || st["score"].(map[string]any)["X"] != 1.0 {
		t.Fatalf("rematch: %v (O opens the second game, score carries on)", st)
	}
	assertTokensPrivate(t, e)
	want := map[string]int{"RoomsCreated": 1, "GamesStarted": 2, "Moves": 5, "GamesFinished": 1, "ChatMessages": 1}
	if got := e.metricCounts(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("game metrics %v, want %v", got, want)
	}
}

// assertTokensPrivate checks that no connection ever received a token other than its own.
func assertTokensPrivate(t *testing.T, e *env) {
	t.Helper()
	for conn := range e.tokens {
		for _, f := range e.conns.Frames(t, conn) {
			b, _ := json.Marshal(f)
			for other, tok := range e.tokens {
				if other != conn && tok != e.tokens[conn] && strings.Contains(string(b), tok) {
					t.Fatalf("%s received %s's token in %s", conn, other, b)
				}
			}
		}
	}
}

// goldenID is the id testdata's golden secret makes (lambda/players.IDOf).
var goldenID = players.IDOf(goldenSecret)

const goldenSecret = "Z29sZGVuLXNlY3JldC1vZi10aGlydHktdHdvLWJ5dGU"

func TestEveryErrorCodeGoesToTheSenderOnly(t *testing.T) {
	tests := []struct {
		code   apperr.Code
		action string
		opts   envOptions
		frame  func(code string) string
		setup  func(e *env, code string)
	}{
		{code: apperr.BadRequest, action: "", frame: func(string) string { return "not json" }},
		{code: apperr.UnknownAction, action: "fly", frame: func(string) string { return `{"action":"fly"}` }},
		{code: apperr.RoomNotFound, action: "joinRoom", frame: func(string) string { return `{"action":"joinRoom","roomCode":"ZZZZZZ","name":"C"}` }},
		{code: apperr.RoomFull, action: "joinRoom", frame: func(c string) string { return `{"action":"joinRoom","roomCode":"` + c + `","name":"C"}` }},
		{code: apperr.NotInRoom, action: "move", frame: func(c string) string { return `{"action":"move","roomCode":"` + c + `","cell":0}` }},
		{code: apperr.NotYourTurn, action: "move", frame: func(c string) string { return `{"action":"move","roomCode":"` + c + `","cell":0}` }, setup: func(e *env, _ string) {}},
		{code: apperr.CellTaken, action: "move", frame: func(c string) string { return `{"action":"move","roomCode":"` + c + `","cell":4}` },
			setup: func(e *env, c string) { e.move("x", c, 4) }},
		{code: apperr.GameNotActive, action: "rematch", frame: func(c string) string { return `{"action":"rematch","roomCode":"` + c + `"}` }},
		{code: apperr.TooLarge, action: "sendMessage", frame: func(c string) string {
			return `{"action":"sendMessage","roomCode":"` + c + `","text":"` + strings.Repeat("a", 501) + `"}`
		}},
		{code: apperr.RateLimited, action: "getRoom", opts: envOptions{limiter: ratelimit.New(0.001, 2, time.Now)},
			frame: func(c string) string { return `{"action":"getRoom","roomCode":"` + c + `"}` },
			setup: func(e *env, c string) {
				e.send("o", map[string]any{"action": "getRoom", "roomCode": c})
			}},
		{code: apperr.NotYourPlayer, action: "myGames",
			frame: func(string) string {
				return `{"action":"myGames","player":{"id":"` + goldenID + `","secret":"` + strings.Repeat("A", 43) + `"}}`
			}},
		{code: apperr.Internal, action: "getRoom", opts: envOptions{table: "no-such-table"},
			frame: func(string) string { return `{"action":"getRoom","roomCode":"ABCDEF"}` }},
	}
	sender := map[apperr.Code]string{apperr.NotInRoom: "z", apperr.RoomFull: "z", apperr.RoomNotFound: "z", apperr.NotYourTurn: "o", apperr.CellTaken: "o"}
	for _, tc := range tests {
		t.Run(string(tc.code), func(t *testing.T) {
			e := newEnv(t, tc.opts)
			code := "ABCDEF"
			if tc.opts.table == "" {
				code = e.startGame()
			}
			if tc.setup != nil {
				tc.setup(e, code)
			}
			from := sender[tc.code]
			if from == "" {
				from = "o"
			}
			before := map[string]int{"x": e.count("x"), "o": e.count("o"), "z": e.count("z")}
			e.sendRaw(from, tc.frame(code))
			e.wantError(from, string(tc.code), tc.action)
			for c, n := range before {
				if c != from && e.count(c) != n {
					t.Fatalf("%s received %v: errors go to the sender only", c, e.last(c))
				}
			}
			if tc.code == apperr.Internal && strings.Contains(fmt.Sprint(e.last(from)), "no-such-table") {
				t.Fatal("a server fault's details must not reach the client")
			}
		})
	}
	// Every code the protocol defines is exercised above.
	seen := map[apperr.Code]bool{}
	for _, tc := range tests {
		seen[tc.code] = true
	}
	for _, c := range apperr.Codes() {
		if !seen[c] {
			t.Errorf("no test produces %s", c)
		}
	}
}

func TestRefusedActionsChangeNothing(t *testing.T) {
	e := newEnv(t, envOptions{})
	code := e.startGame()
	e.move("x", code, 4)
	before := e.room("x")
	e.move("x", code, 0) // not your turn
	e.move("o", code, 4) // taken
	e.move("z", code, 1) // stranger
	e.sendRaw("o", `{"action":"move","roomCode":"`+code+`","cell":"1"}`)
	e.send("x", map[string]any{"action": "getRoom", "roomCode": code})
	after := e.room("x")
	if board(after) != board(before) || after["turn"] != "O" || after["version"] != before["version"] {
		t.Fatalf("refused moves changed the room: %v → %v", before, after)
	}
}

func TestDisconnectGraceAndRejoin(t *testing.T) {
	e := newEnv(t, envOptions{})
	code := e.startGame()
	e.move("x", code, 4)
	oToken := e.tokens["o"]

	e.disconnect("o")
	if p := e.room("x")["players"].(map[string]any)["O"].(map[string]any); p["online"] != false {
		t.Fatalf("the opponent must be told at once that O is offline: %v", p)
	}
	e.advance(grace - time.Second)
	e.send("o2", map[string]any{"action": "rejoin", "roomCode": code, "token": oToken})
	st := e.room("o2")
	if you := e.last("o2")["you"].(map[string]any); you["symbol"] != "O" || st["status"] != "playing" || board(st) != "....X...." {
		t.Fatalf("rejoin: you %v room %v", you, st)
	}
	if p := e.room("x")["players"].(map[string]any)["O"].(map[string]any); p["online"] != true {
		t.Fatalf("X must see O back online: %v", p)
	}
	e.move("o2", code, 0)
	if board(e.room("x")) != "O...X...." {
		t.Fatal("the rejoined player's move did not land")
	}

	// Drop again and let the grace period pass: the next action applies the leave rule.
	e.disconnect("o2")
	e.advance(grace)
	e.send("x", map[string]any{"action": "getRoom", "roomCode": code})
	st = e.room("x")
	if st["status"] != "waiting" || st["players"].(map[string]any)["O"] != nil {
		t.Fatalf("after the grace period the guest's seat must be given up: %v", st)
	}
	e.send("o3", map[string]any{"action": "rejoin", "roomCode": code, "token": oToken})
	e.wantError("o3", "not_in_room", "rejoin")
}

func TestRejoinReplacesAnOpenConnection(t *testing.T) {
	e := newEnv(t, envOptions{})
	code := e.startGame()
	e.send("x2", map[string]any{"action": "rejoin", "roomCode": code, "token": e.tokens["x"]})
	if f := e.last("x"); f["type"] != "left" || f["roomCode"] != code {
		t.Fatalf("the replaced connection must be told: %v", f)
	}
	e.move("x", code, 0)
	e.wantError("x", "not_in_room", "move")
	e.move("x2", code, 0)
	if board(e.room("o")) != "X........" {
		t.Fatal("the new connection must hold the seat")
	}
}

func TestLeaveRules(t *testing.T) {
	t.Run("guest leaves, new guest joins", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		code := e.startGame()
		e.move("x", code, 4)
		e.send("o", map[string]any{"action": "leaveRoom", "roomCode": code})
		if f := e.last("o"); f["type"] != "left" {
			t.Fatalf("leaver got %v", f)
		}
		if st := e.room("x"); st["status"] != "waiting" || board(st) != "........." {
			t.Fatalf("host sees %v", st)
		}
		e.send("c", map[string]any{"action": "joinRoom", "roomCode": code, "name": "Cy"})
		if st := e.room("x"); st["status"] != "playing" || st["players"].(map[string]any)["O"].(map[string]any)["name"] != "Cy" {
			t.Fatalf("new guest: %v", st)
		}
	})
	t.Run("host leaves: abandoned; both gone: deleted", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		code := e.startGame()
		e.send("x", map[string]any{"action": "leaveRoom", "roomCode": code})
		if st := e.room("o"); st["status"] != "abandoned" || st["players"].(map[string]any)["X"] != nil {
			t.Fatalf("guest sees %v", st)
		}
		e.move("o", code, 0)
		e.wantError("o", "game_not_active", "move")
		e.send("o", map[string]any{"action": "leaveRoom", "roomCode": code})
		e.send("z", map[string]any{"action": "getRoom", "roomCode": code})
		e.wantError("z", "room_not_found", "getRoom")
	})
	t.Run("a new room leaves the old one", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		code := e.startGame()
		e.create("o", "Bob again")
		if st := e.room("x"); st["status"] != "waiting" {
			t.Fatalf("old room after the guest opened another: %v", st)
		}
		_ = code
	})
}

func TestDisconnectOfUnknownConnectionIsQuiet(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.disconnect("never-joined")
	if e.conns.Posts() != 0 {
		t.Fatal("nothing to tell")
	}
}

func TestExpiredRoomIsNotFound(t *testing.T) {
	e := newEnv(t, envOptions{})
	code := e.startGame()
	e.advance(24*time.Hour + time.Second)
	e.move("x", code, 0)
	e.wantError("x", "room_not_found", "move")
}

func TestGoneConnectionIsDroppedWithoutFailingTheSender(t *testing.T) {
	e := newEnv(t, envOptions{})
	code := e.startGame()
	e.conns.SetGone("o") // O vanished without a $disconnect
	e.move("x", code, 4)
	st := e.room("x") // the last frame to x: O marked offline after the 410
	if board(st) != "....X...." || st["players"].(map[string]any)["O"].(map[string]any)["online"] != false {
		t.Fatalf("after 410: %v", st)
	}
	for _, f := range e.conns.Frames(t, "x") {
		if f["type"] == "error" {
			t.Fatalf("the mover must not get an error for the opponent's gone connection: %v", f)
		}
	}
	e.send("o2", map[string]any{"action": "rejoin", "roomCode": code, "token": e.tokens["o"]})
	if e.room("o2")["players"].(map[string]any)["O"].(map[string]any)["online"] != true {
		t.Fatal("the dropped player must be able to rejoin")
	}
}

func TestSpectator(t *testing.T) {
	e := newEnv(t, envOptions{})
	code := e.startGame()
	e.send("w", map[string]any{"action": "getRoom", "roomCode": code})
	if f := e.last("w"); f["you"] != nil || f["room"].(map[string]any)["code"] != code {
		t.Fatalf("spectator got %v", f)
	}
	e.move("x", code, 8)
	if board(e.room("w")) != "........X" {
		t.Fatal("the spectator must follow the game")
	}
	e.send("w", map[string]any{"action": "sendMessage", "roomCode": code, "text": "hi"})
	e.wantError("w", "not_in_room", "sendMessage")
	e.disconnect("w")
	n := e.count("w")
	e.move("o", code, 0)
	if e.count("w") != n {
		t.Fatal("a disconnected spectator must not be sent updates")
	}
}

// TestConcurrentMovesOneWins fires every cell at once from the player to move: exactly one
// move lands, every other is refused with a clear code, and the board holds one mark.
func TestConcurrentMovesOneWins(t *testing.T) {
	e := newEnv(t, envOptions{})
	code := e.startGame()
	var wg sync.WaitGroup
	for cell := 0; cell < 9; cell++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ev := golden(t, "move")
			ev.RequestContext.ConnectionID = "x"
			ev.Body = fmt.Sprintf(`{"action":"move","roomCode":%q,"cell":%d}`, code, cell)
			if resp, err := e.h.Game(context.Background(), ev); err != nil || resp.StatusCode != 200 {
				t.Errorf("status %d err %v", resp.StatusCode, err)
			}
		}()
	}
	wg.Wait()
	refused := 0
	for _, f := range e.conns.Frames(t, "x") {
		if f["type"] == "error" {
			if f["code"] != "not_your_turn" && f["code"] != "cell_taken" {
				t.Fatalf("unexpected refusal %v", f)
			}
			refused++
		}
	}
	e.send("z", map[string]any{"action": "getRoom", "roomCode": code})
	st := e.room("z")
	if refused != 8 || strings.Count(board(st), "X") != 1 || st["turn"] != "O" {
		t.Fatalf("refused %d, board %s, turn %v: want exactly one move", refused, board(st), st["turn"])
	}
}

func TestConnectOrigins(t *testing.T) {
	const secret, other = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"
	site := map[string]string{config.EdgeSecretHeader: secret, config.ViewerHostHeader: "d111.cloudfront.net"}
	tests := []struct {
		name    string
		allowed []string
		edge    string
		origin  string
		headers map[string]string
		want    int
	}{
		{"any origin by default", nil, "", "https://evil.example", nil, 200},
		{"no origin by default", nil, "", "", nil, 200},
		{"allowed", []string{"https://game.example.com"}, "", "https://game.example.com", nil, 200},
		{"other site refused", []string{"https://game.example.com"}, "", "https://evil.example", nil, 403},
		{"no origin refused when a list is set", []string{"https://game.example.com"}, "", "", nil, 403},
		{"through the edge, the site's own page", nil, secret, "https://d111.cloudfront.net", site, 200},
		{"through the edge, host compared without case", nil, secret, "https://D111.cloudfront.net/", site, 200},
		{"through the edge, another site's page refused", nil, secret, "https://evil.example", site, 403},
		{"through the edge, plain http page refused", nil, secret, "http://d111.cloudfront.net", site, 403},
		{"through the edge, no origin refused", nil, secret, "", site, 403},
		{"through the edge, no viewer host refused", nil, secret, "https://d111.cloudfront.net", map[string]string{config.EdgeSecretHeader: secret}, 403},
		{"skipping the edge refused", nil, secret, "https://d111.cloudfront.net", map[string]string{config.ViewerHostHeader: "d111.cloudfront.net"}, 403},
		{"either of two secrets, the first", nil, secret + "," + other, "https://d111.cloudfront.net", site, 200},
		{"either of two secrets, the second", nil, other + "," + secret, "https://d111.cloudfront.net", site, 200},
		{"a wrong secret refused", nil, secret, "https://d111.cloudfront.net", map[string]string{config.EdgeSecretHeader: secret[1:] + "x", config.ViewerHostHeader: "d111.cloudfront.net"}, 403},
		{"through the edge, the list replaces the same-site rule", []string{"https://game.example.com"}, secret, "https://game.example.com", site, 200},
		{"through the edge, the list only", []string{"https://game.example.com"}, secret, "https://d111.cloudfront.net", site, 403},
		{"the list still needs the secret", []string{"https://game.example.com"}, secret, "https://game.example.com", map[string]string{}, 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{origins: tc.allowed, edge: tc.edge})
			ev := golden(t, catalog.Connect)
			delete(ev.Headers, "Origin")
			if tc.origin != "" {
				ev.Headers["origin"] = tc.origin // API Gateway keeps the client's header case
			}
			for k, v := range tc.headers {
				ev.Headers[strings.ToLower(k)] = v
			}
			resp, err := e.h.Connect(context.Background(), ev)
			if err != nil || resp.StatusCode != tc.want {
				t.Fatalf("status %d err %v, want %d", resp.StatusCode, err, tc.want)
			}
			if strings.Contains(e.logs.String(), secret) {
				t.Errorf("the log shows the edge secret: %s", e.logs.String())
			}
		})
	}
}

func TestOneLogLinePerRequest(t *testing.T) {
	e := newEnv(t, envOptions{})
	code := e.startGame()
	e.logs.Reset()
	e.move("o", code, 0) // not O's turn
	var line map[string]any
	lines := strings.Split(strings.TrimSpace(e.logs.String()), "\n")
	if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &line) != nil {
		t.Fatalf("want one JSON line, got %q", e.logs.String())
	}
	for k, want := range map[string]any{"route": "move", "room": code, "outcome": "client_error", "errorCode": "not_your_turn", "connectionId": "o"} {
		if line[k] != want {
			t.Errorf("log %s = %v, want %v", k, line[k], want)
		}
	}
	if _, ok := line["durationMs"].(float64); !ok {
		t.Error("log line lacks durationMs")
	}
}
