package handler_test

// A hostile and classroom review of players' history, stats and ratings (docs/privacy.md,
// docs/protocol.md "What is recorded") found each of these; each test holds its fix.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-tictactoe/tictactoe/bench/cost"
	"github.com/serverless-tictactoe/tictactoe/lambda/guard"
	"github.com/serverless-tictactoe/tictactoe/lambda/players"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
)

// play plays cells in turn in room code, from first's connection then second's.
func (e *env) play(code, first, second string, cells ...int) {
	e.t.Helper()
	for i, c := range cells {
		e.move([]string{first, second}[i%2], code, c)
	}
}

// lastGame is the newest entry of p's history, as connID is answered it; nil when empty.
func (e *env) lastGame(connID string, p map[string]any) map[string]any {
	e.t.Helper()
	g := e.games(connID, p)["games"].([]any)
	if len(g) == 0 {
		return nil
	}
	return g[0].(map[string]any)
}

// A room quick match made stays a quick-match room after its guest leaves, and anyone with its
// code can take the free seat with joinRoom: a guest chosen, not paired, perhaps a second
// identity from the host's own address. Their games are not rated (Room.RatedPair).
func TestAQuickRoomJoinedByCodeIsNotRated(t *testing.T) {
	e := newEnv(t, envOptions{guard: &guard.Limits{}})
	for conn, ip := range map[string]string{"a": "203.0.113.7", "b": "203.0.113.7", "s": "198.51.100.9"} {
		if code := e.connectFrom(conn, ip, nil); code != 200 {
			t.Fatalf("$connect %s: %d", conn, code)
		}
	}
	farmer, puppet, stranger := credential(t), credential(t), credential(t)
	code := e.quickGame("a", "s", farmer, stranger) // a stranger from elsewhere: rated, as it should be
	e.send("s", map[string]any{"action": "leaveRoom", "roomCode": code})
	if st := e.room("a")["status"]; st != "waiting" {
		t.Fatalf("after the stranger left, the quick room is %v", st)
	}
	// The second identity, from the farmer's own address, joins by the code.
	e.send("b", map[string]any{"action": "joinRoom", "roomCode": code, "name": "Puppet", "player": puppet})
	e.play(code, "a", "b", 0, 3, 1, 4, 2) // the puppet throws the game
	g := e.lastGame("a", farmer)
	if g == nil || g["opponent"] != "Puppet" {
		t.Fatalf("the farmer's last game: %v", g)
	}
	if g["rated"] == true {
		t.Errorf("a game against a chosen opponent from the same address, in a quick room joined by its code, was rated (%+v)", g)
	}
}

// A player who is losing closes the tab; the opponent waits a while and leaves. Nobody is
// waiting on that game any more: it is not recorded, and the one who stayed loses nothing.
func TestLeavingWhileTheOpponentIsOfflineCostsNobody(t *testing.T) {
	e := newEnv(t, envOptions{})
	quitter, stayer := credential(t), credential(t)
	e.send("q", map[string]any{"action": "quickMatch", "name": "Quitter", "player": quitter})
	e.send("s", map[string]any{"action": "quickMatch", "name": "Stayer", "player": stayer})
	code := e.room("q")["code"].(string)
	e.play(code, "q", "s", 0, 4, 8, 2) // the stayer (O) threatens 2-4-6; the quitter is to move
	e.disconnect("q")                  // closes the tab instead of losing
	e.advance(grace / 2)
	e.send("s", map[string]any{"action": "leaveRoom", "roomCode": code})
	g := e.lastGame("s", stayer)
	if g != nil && g["result"] == "loss" {
		t.Errorf("the player who stayed is recorded losing a game their offline opponent walked away from: %v", g)
	}
	f := e.games("s", stayer)
	if st := f["stats"].(map[string]any); st["forfeits"] != 0.0 {
		t.Errorf("the player who stayed has %v forfeits", st["forfeits"])
	}
	if g := e.lastGame("q2", quitter); g != nil && g["result"] == "win" {
		t.Errorf("the player who closed the tab is recorded winning: %v", g)
	}
}

// A child who has played before asks for a quick match and, while waiting, looks at "Your
// games" (the page keeps the wait: main.mjs closes the view when the pairing comes) and presses
// Forget me. The erasure reaches the queue too: when a stranger comes the child is paired
// unidentified, and nothing of the erased identity is stored again.
func TestForgetMeWhileWaitingForAQuickMatch(t *testing.T) {
	e := newEnv(t, envOptions{})
	ann, bob, zed := credential(t), credential(t), credential(t)
	e.quickGame("a", "z", ann, zed) // a first game: a profile
	if g := e.lastGame("a", ann); g == nil {
		t.Fatal("Ann has no first game: the test proves nothing")
	}
	e.send("a", map[string]any{"action": "quickMatch", "name": "Ann", "player": ann})
	if f := e.last("a"); f["type"] != "queued" {
		t.Fatalf("quickMatch: %v", f)
	}
	e.send("a", map[string]any{"action": "forgetMe", "player": ann})
	if f := e.last("a"); f["type"] != "forgotten" {
		t.Fatalf("forgetMe: %v", f)
	}
	if keys := e.keysMentioning(ann["id"].(string)); len(keys) != 0 {
		t.Errorf("answered forgotten, but items still hold Ann's id: %v", keys)
	}
	e.send("b", map[string]any{"action": "quickMatch", "name": "Bob", "player": bob})
	code := e.room("a")["code"].(string)
	e.play(code, "a", "b", 0, 3, 1, 4, 2)
	if keys := e.keysMentioning(ann["id"].(string)); len(keys) != 0 {
		t.Errorf("after a game the erased identity was paired into, items hold Ann's id: %v", keys)
	}
	// Paired after the erasure, Ann played unidentified: a new game with a name, like any
	// anonymous player's, recorded for the stranger only and rated for nobody.
	if g := e.lastGame("b", bob); g == nil || g["rated"] != false {
		t.Errorf("the stranger's game against the erased player's wait: %v", g)
	}
}

// A child's first game is under way in one tab (no profile yet); in another tab they press
// Forget me. The erasure mark keeps the first game, when it ends, from creating the profile
// the child was just told is gone, and the opponent's history names "Erased player".
func TestForgetMeFromAnotherTabBeforeTheFirstGameEnds(t *testing.T) {
	e := newEnv(t, envOptions{})
	ann, bob := credential(t), credential(t)
	e.send("t1", map[string]any{"action": "createRoom", "name": "Ann", "player": ann})
	code := e.room("t1")["code"].(string)
	e.send("b", map[string]any{"action": "joinRoom", "roomCode": code, "name": "Bob", "player": bob})
	e.move("t1", code, 4)
	e.send("t2", map[string]any{"action": "forgetMe", "player": ann})
	if f := e.last("t2"); f["type"] != "forgotten" {
		t.Fatalf("forgetMe: %v", f)
	}
	e.play(code, "b", "t1", 0, 1, 2, 7) // the game goes on in the first tab, and Ann wins it
	if keys := e.keysMentioning(ann["id"].(string)); len(keys) != 0 {
		t.Errorf("after forgotten, the other tab's first game created: %v", keys)
	}
}

// heldPlayers is the player store with one hold: the first call of op made under a context
// named name (racerName) signals held and waits for release.
type heldPlayers struct {
	store.Players
	op, name string
	once     sync.Once
	held     chan struct{}
	release  chan struct{}
}

func (h *heldPlayers) hold(ctx context.Context, op string) {
	if op != h.op {
		return
	}
	if name, _ := ctx.Value(racerName{}).(string); name != h.name {
		return
	}
	h.once.Do(func() {
		close(h.held)
		<-h.release
	})
}

func (h *heldPlayers) GetPlayer(ctx context.Context, id string) (players.Profile, error) {
	h.hold(ctx, "GetPlayer")
	return h.Players.GetPlayer(ctx, id)
}

func (h *heldPlayers) Recall(ctx context.Context, id, opponent string) (store.Recall, error) {
	h.hold(ctx, "Recall")
	return h.Players.Recall(ctx, id, opponent)
}

func (h *heldPlayers) GetBoard(ctx context.Context) (players.Board, error) {
	h.hold(ctx, "GetBoard")
	return h.Players.GetBoard(ctx)
}

// deliverAs delivers frame from connID under a context named name (racerName), in the
// background; the returned channel closes once it is answered and its games recorded.
func (e *env) deliverAs(name, connID string, frame map[string]any) <-chan struct{} {
	e.t.Helper()
	done := make(chan struct{})
	b, _ := json.Marshal(frame)
	action := frame["action"].(string)
	ev := golden(e.t, action)
	ev.RequestContext.RouteKey, ev.RequestContext.ConnectionID, ev.Body = action, connID, string(b)
	go func() {
		defer close(done)
		ctx := context.WithValue(context.Background(), racerName{}, name)
		if _, err := e.h.Game(ctx, ev); err != nil {
			e.t.Error(err)
		}
	}()
	return done
}

// forgetRacingARecord plays a rated quick game between Ann and Bob (so both have profiles),
// then a rematch whose winning move is recorded while Ann erases herself: the recording is held
// at op (the first Recall: before either profile is written; GetBoard: after Ann's profile
// and band are written, before her board placement) until forgetMe is answered.
func forgetRacingARecord(t *testing.T, op string) (e *env, ann, bob map[string]any) {
	hp := &heldPlayers{op: op, name: "ender", held: make(chan struct{}), release: make(chan struct{})}
	e = newEnv(t, envOptions{players: func(p store.Players) store.Players { hp.Players = p; return hp }})
	ann, bob = credential(t), credential(t)
	code := e.quickGame("a", "b", ann, bob)
	e.send("a", map[string]any{"action": "rematch", "roomCode": code})
	e.send("b", map[string]any{"action": "rematch", "roomCode": code})
	e.play(code, "b", "a", 0, 3, 1, 4) // O (Bob) opens the rematch; Bob to win at 2
	done := e.deliverAs("ender", "b", map[string]any{"action": "move", "roomCode": code, "cell": 2})
	select {
	case <-hp.held:
	case <-time.After(10 * time.Second):
		t.Fatal("the winning move's recording never reached the hold")
	}
	e.send("a", map[string]any{"action": "forgetMe", "player": ann})
	if f := e.last("a"); f["type"] != "forgotten" {
		t.Fatalf("forgetMe: %v", f)
	}
	close(hp.release)
	<-done
	return e, ann, bob
}

// A game ends as its player erases themselves, its recording held before either profile is
// read: the erasure mark makes the recording skip the erased player and write the opponent's
// entry as "Erased player".
func TestForgetMeRacingARecordLeavesNothing(t *testing.T) {
	e, ann, bob := forgetRacingARecord(t, "Recall")
	if keys := e.keysMentioning(ann["id"].(string)); len(keys) != 0 {
		t.Errorf("items still holding Ann's id after forgetMe: %v", keys)
	}
	for _, g := range e.games("b", bob)["games"].([]any) {
		if o := g.(map[string]any)["opponent"]; o != players.ErasedName {
			t.Errorf("Bob's history names the erased player: %v", g)
		}
	}
}

// The same race one step later: the player's profile took the game before the erasure, and
// the board placement lands after the erasure took them off the board; the placement reads
// the erasure mark once more and takes them off again.
func TestForgetMeRacingABoardPlacement(t *testing.T) {
	e, ann, bob := forgetRacingARecord(t, "GetBoard")
	if keys := e.keysMentioning(ann["id"].(string)); len(keys) != 0 {
		t.Errorf("items still holding Ann's id after forgetMe: %v", keys)
	}
	e.send("b", map[string]any{"action": "leaderboard", "player": bob})
	for _, st := range e.last("b")["top"].([]any) {
		if st.(map[string]any)["name"] == "Ann" {
			t.Errorf("the leaderboard lists the erased player: %v", st)
		}
	}
}

// keysMentioning lists the keys of the table's items any attribute of which holds s (tests only).
func (e *env) keysMentioning(s string) []string {
	e.t.Helper()
	out, err := e.table.Client.Scan(e.t.Context(), &dynamodb.ScanInput{TableName: &e.table.Name})
	if err != nil {
		e.t.Fatal(err)
	}
	var keys []string
	for _, item := range out.Items {
		var v map[string]any
		if err := attributevalue.UnmarshalMap(item, &v); err != nil {
			e.t.Fatal(err)
		}
		if strings.Contains(fmt.Sprint(v), s) {
			keys = append(keys, fmt.Sprint(v["pk"]))
		}
	}
	return keys
}

// countingPlayers counts the profile writes made through it.
type countingPlayers struct {
	store.Players
	mu   sync.Mutex
	puts int
}

func (c *countingPlayers) PutPlayer(ctx context.Context, p *players.Profile) error {
	c.mu.Lock()
	c.puts++
	c.mu.Unlock()
	return c.Players.PutPlayer(ctx, p)
}

func (c *countingPlayers) take() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.puts
	c.puts = 0
	return n
}

// itemKB is the size of the item at pk in write units (1 KB each, rounded up).
func (e *env) itemKB(pk string) int {
	e.t.Helper()
	out, err := e.table.Client.GetItem(e.t.Context(), &dynamodb.GetItemInput{TableName: &e.table.Name,
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}}})
	if err != nil || out.Item == nil {
		e.t.Fatalf("reading %s: %v", pk, err)
	}
	return (cost.ItemBytes(out.Item) + 1023) / 1024
}

// A player with a full history (50 games) sits down: the room is noted for erasure in a small
// item of its own, never by rewriting the profile (several write units a seat).
func TestASeatWritesNoProfile(t *testing.T) {
	cp := &countingPlayers{}
	e := newEnv(t, envOptions{players: func(p store.Players) store.Players { cp.Players = p; return cp }})
	vet := credential(t)
	now := time.Unix(0, e.now.Load())
	p := players.Profile{ID: vet["id"].(string), Name: "Veteran", CreatedAt: now, UpdatedAt: now}
	for i := range players.HistoryKeep {
		p.Apply(players.Entry{GameID: fmt.Sprintf("K7M2QX-mwrsbk%02d-1", i), Code: "K7M2QX", StartedAt: now, EndedAt: now,
			Moves: []int{0, 3, 1, 4, 2, 5, 6, 7, 8}, Starter: "X", Seat: "X", Result: players.Win, How: "line",
			Opponent: "Alexandria-Catherine Lee", OpponentID: credential(t)["id"].(string)}, "Veteran", now)
	}
	if err := e.store.Store.(*store.DynamoStore).PutPlayer(t.Context(), &p); err != nil {
		t.Fatal(err)
	}
	kb := e.itemKB("PLAYER#" + p.ID)
	cp.take()
	for i := range 3 {
		e.send("v", map[string]any{"action": "playComputer", "name": "Veteran", "player": vet, "level": "easy"})
		e.send("v", map[string]any{"action": "leaveRoom", "roomCode": e.room("v")["code"]})
		if units := cp.take() * kb; units > 1 {
			t.Errorf("sitting down %d (no game played) wrote %d write units of profile (the profile is %d KB)", i+1, units, kb)
		}
	}
}

// One player, two tabs, two rated quick games ending close together: the slower recording's
// older standing does not replace the newer one on the board (Standing.Version).
func TestTheNewerStandingStaysOnTheBoard(t *testing.T) {
	hp := &heldPlayers{op: "GetBoard", name: "first", held: make(chan struct{}), release: make(chan struct{})}
	e := newEnv(t, envOptions{players: func(p store.Players) store.Players { hp.Players = p; return hp }})
	ann, bob, cy := credential(t), credential(t), credential(t)
	e.send("a1", map[string]any{"action": "quickMatch", "name": "Ann", "player": ann})
	e.send("b", map[string]any{"action": "quickMatch", "name": "Bob", "player": bob})
	one := e.room("a1")["code"].(string)
	e.send("a2", map[string]any{"action": "quickMatch", "name": "Ann", "player": ann})
	e.send("c", map[string]any{"action": "quickMatch", "name": "Cy", "player": cy})
	two := e.room("a2")["code"].(string)
	e.play(one, "a1", "b", 0, 3, 1, 4)
	e.play(two, "a2", "c", 0, 3, 1, 4)
	done := e.deliverAs("first", "a1", map[string]any{"action": "move", "roomCode": one, "cell": 2})
	<-hp.held            // Ann's first win is in her profile; its board placement waits
	e.move("a2", two, 2) // her second win is recorded whole
	close(hp.release)
	<-done
	mine := e.games("a1", ann)["player"].(map[string]any)["rating"]
	e.send("a1", map[string]any{"action": "leaderboard", "player": ann})
	for _, st := range e.last("a1")["top"].([]any) {
		if st := st.(map[string]any); st["you"] == true && st["rating"] != mine {
			t.Errorf("the leaderboard shows Ann at %v, her games at %v", st["rating"], mine)
		}
	}
}

// "Your games" shows the player id on screen. A classmate who reads it off the screen and
// presents it with a secret of their own is refused on every frame (the id is the secret's),
// and the child's own first game is recorded as theirs.
func TestAnIDReadOffTheScreenIsWorthNothing(t *testing.T) {
	e := newEnv(t, envOptions{})
	kid, friend := credential(t), credential(t)
	e.send("k", map[string]any{"action": "createRoom", "name": "Kid", "player": kid})
	code := e.room("k")["code"].(string)
	e.send("f", map[string]any{"action": "joinRoom", "roomCode": code, "name": "Friend", "player": friend})
	e.move("k", code, 4) // the kid's first game is under way

	squat := credential(t)
	squat["id"] = kid["id"] // read off the kid's screen
	e.send("s", map[string]any{"action": "playComputer", "name": "Squatter", "player": squat, "level": "easy"})
	e.wantError("s", "not_your_player", "playComputer")

	e.play(code, "f", "k", 0, 3, 2, 5) // the kid wins their first game
	if g := e.lastGame("k", kid); g == nil || g["result"] != "win" {
		t.Fatalf("the kid's first game: %v", g)
	}
	e.send("k", map[string]any{"action": "createRoom", "name": "Kid", "player": kid})
	if f := e.last("k"); f["type"] != "room" {
		t.Errorf("the kid cannot open a room: %v", f)
	}
}

// Rating bands are counted by week (players.Counted): a player whose profile expired (a year
// after their last game) is out of every rank "about" within a week, with no deletion to miss.
func TestDepartedPlayersLeaveTheRatingBands(t *testing.T) {
	e := newEnv(t, envOptions{})
	ds := e.store.Store.(*store.DynamoStore)
	now := time.Unix(0, e.now.Load())
	// A full board of 50 live players far above: the players below rank "about".
	b := players.Board{}
	for i := range players.BoardSize {
		b.Top = append(b.Top, players.Standing{ID: fmt.Sprintf("top%02d", i), Name: "Top", Rating: 1500, Rated: 20, Expires: now.Add(10 * players.Retention)})
		if err := ds.MoveBand(t.Context(), players.Counted{}, false, players.Counted{Band: players.Band(1500), Week: players.WeekOf(now.Add(370 * 24 * time.Hour))}, true); err != nil {
			t.Fatal(err)
		}
	}
	if err := ds.PutBoard(t.Context(), &b); err != nil {
		t.Fatal(err)
	}
	bob, cy, ann, di := credential(t), credential(t), credential(t), credential(t)
	e.quickGame("b", "c", bob, cy) // Bob 1220, Cy 1180: then they stop playing
	e.advance(200 * 24 * time.Hour)
	e.quickGame("d", "a", di, ann)                // Di 1220, Ann 1180
	e.advance(173 * 24 * time.Hour)               // a year and a week after their game: the bands count by week
	for _, p := range []map[string]any{bob, cy} { // past a year after their last game: the TTL deletes them
		if _, err := e.table.Client.DeleteItem(t.Context(), &dynamodb.DeleteItemInput{TableName: &e.table.Name,
			Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "PLAYER#" + p["id"].(string)}}}); err != nil {
			t.Fatal(err)
		}
	}
	me := e.games("a", ann)["player"].(map[string]any)
	// Above Ann: the 50 on the board and Di; Bob left the game months ago.
	if me["rank"] != 52.0 || me["rankAbout"] != true {
		t.Errorf("Ann's rank: %v (about: %v), want about 52: the bands still count the departed Bob", me["rank"], me["rankAbout"])
	}
}
