package handler_test

// Review of issue 33 (game history, stats and ratings without accounts): each test here shows
// a way a hostile client, or a class of children on one network, gets a result the design
// (docs/privacy.md, docs/protocol.md "What is recorded") promises it cannot.

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
// code can take the free seat with joinRoom. The games there are then rated although the two
// players chose each other (a private room's reason not to rate) and come from one address
// (OneSource was decided at the pairing, against the stranger who left). One child, or one
// class, farms a rating with a second identity: pair once with any stranger, wait for them to
// leave, share the code with the second tab.
func TestReviewQuickRoomJoinedByCodeIsRated(t *testing.T) {
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

// A player who is losing closes the tab (goes offline). The opponent sees "X is offline: if
// they are not back in time, you win by forfeit", waits a while, and presses Leave ("Leave the
// game? Your opponent keeps the room…"). The one who stayed is recorded the loser, with a
// forfeit in their stats and a rated loss; the one who walked away gets a rated win while
// offline. Closing the tab is what a child about to lose does; leaving an empty-looking room
// is what the other child does.
func TestReviewLeavingWhileTheOpponentIsOfflineLosesTheStayer(t *testing.T) {
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
// Forget me. The erasure reaches rooms only: the queue item keeps the child's id, and when a
// stranger comes the child is paired under the erased identity. The room holds the id, and the
// game's record puts the erased id and name into the stranger's history (and rates the game).
func TestReviewForgetMeWhileWaitingForAQuickMatch(t *testing.T) {
	e := newEnv(t, envOptions{})
	ann, bob := credential(t), credential(t)
	e.send("a", map[string]any{"action": "playComputer", "name": "Ann", "player": ann, "level": "easy"})
	e.move("a", e.room("a")["code"].(string), 4)
	e.send("a", map[string]any{"action": "leaveRoom", "roomCode": e.room("a")["code"]}) // a first game: a profile
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
	if g := e.lastGame("b", bob); g != nil && g["opponent"] != players.ErasedName {
		t.Errorf("the stranger's history names the erased player: %v", g)
	}
}

// A child's first game is under way in one tab (no profile yet: nothing is kept until a game
// ends); in another tab they open "Your games" and press Forget me. With no profile, the
// erasure clears only the room of the connection that asked (none: that tab is in the lobby).
// The first tab's game then ends and creates the profile the child was just told is gone.
func TestReviewForgetMeFromAnotherTabBeforeTheFirstGameEnds(t *testing.T) {
	e := newEnv(t, envOptions{})
	ann := credential(t)
	e.send("t1", map[string]any{"action": "playComputer", "name": "Ann", "player": ann, "level": "easy"})
	code := e.room("t1")["code"].(string)
	e.move("t1", code, 4)
	e.send("t2", map[string]any{"action": "forgetMe", "player": ann})
	if f := e.last("t2"); f["type"] != "forgotten" {
		t.Fatalf("forgetMe: %v", f)
	}
	e.send("t1", map[string]any{"action": "leaveRoom", "roomCode": code}) // the game ends (a loss by leaving)
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
// at op (the first GetPlayer: before either profile is written; GetBoard: after Ann's profile
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

// The game that ends as Ann erases herself: its record was fixed (names and ids) by the room's
// write, and the erasure cleared the room, but the record already taken in memory is applied
// after the erasure. Ann sat down before she had a profile, so her seat, and the record, carry
// her secret's hash for the whole series (game.Identity.NewHash): finding no profile, the
// recording creates it again, rated game and leaderboard place included, right after the page
// was told "forgotten"; and Bob's history names Ann, with her id, for as long as it keeps the
// game.
func TestReviewForgetMeRacingARecordLeavesTheOpponentsEntry(t *testing.T) {
	e, ann, bob := forgetRacingARecord(t, "GetPlayer")
	if keys := e.keysMentioning(ann["id"].(string)); len(keys) != 0 {
		t.Errorf("items still holding Ann's id after forgetMe: %v", keys)
	}
	for _, g := range e.games("b", bob)["games"].([]any) {
		if o := g.(map[string]any)["opponent"]; o != players.ErasedName {
			t.Errorf("Bob's history names the erased player: %v", g)
		}
	}
}

// The same race one step later: Ann's profile took the game before the erasure read it, and
// her board placement lands after the erasure took her off the board. The leaderboard lists
// the erased player (name, id and rating) until 50 others outrank her or a year passes.
func TestReviewForgetMeRacingARecordPutsThemBackOnTheBoard(t *testing.T) {
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

// attrSize is an attribute value's size as DynamoDB bills it (close enough: numbers count
// their digits halved, plus one).
func attrSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return (len(v.Value)+1)/2 + 1
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + attrSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range v.Value {
			n += 1 + len(k) + attrSize(e)
		}
		return n
	}
	return 0
}

// itemKB is the size of the item at pk in write units (1 KB each, rounded up).
func (e *env) itemKB(pk string) int {
	e.t.Helper()
	out, err := e.table.Client.GetItem(e.t.Context(), &dynamodb.GetItemInput{TableName: &e.table.Name,
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}}})
	if err != nil || out.Item == nil {
		e.t.Fatalf("reading %s: %v", pk, err)
	}
	n := 0
	for k, v := range out.Item {
		n += len(k) + attrSize(v)
	}
	return (n + 1023) / 1024
}

// A player with a full history (50 games, as a regular has within a week) sits down: the
// service notes the room in their profile for erasure (satIn) by rewriting the whole profile,
// history included. Every room a regular opens or joins, every computer game, every quick
// match, then costs a profile-sized write (several write units) on top of the room's one:
// unbilled in docs/cost.md (which counts the profile writes of rated games only), and a loop
// of playComputer and leaveRoom (no move: no game) costs the most for the least.
func TestReviewASeatFrameRewritesTheWholeHistory(t *testing.T) {
	cp := &countingPlayers{}
	e := newEnv(t, envOptions{players: func(p store.Players) store.Players { cp.Players = p; return cp }})
	vet := credential(t)
	now := time.Unix(0, e.now.Load())
	p := players.Profile{ID: vet["id"].(string), SecretHash: players.HashSecret(vet["secret"].(string)), Name: "Veteran", CreatedAt: now, UpdatedAt: now}
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

// One player, two tabs, two rated quick games ending close together: each recording places
// the standing of the profile it wrote, so the slower one puts back the older rating. The
// leaderboard (and the rank) disagree with "Your games" until the player's next rated game.
func TestReviewTwoRecordingsLeaveTheOlderStandingOnTheBoard(t *testing.T) {
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

// "Your games" shows the player id on screen ("Your player id: …"), and the id is claimed by
// whoever finishes a game under it first, with their own secret. A classmate who reads a new
// child's id off the screen, before that child has finished a game, plays one game with it and
// a secret of their own: the child's first game is then not recorded ("created meanwhile under
// another secret"), and every frame that seats the child is refused (not_your_player): they
// cannot open a room, join one, quick match or play the computer until they find "New player".
func TestReviewAnIDReadOffTheScreenLocksItsPlayerOut(t *testing.T) {
	e := newEnv(t, envOptions{})
	kid := credential(t)
	e.send("k", map[string]any{"action": "playComputer", "name": "Kid", "player": kid, "level": "easy"})
	code := e.room("k")["code"].(string)
	e.move("k", code, 4) // the kid's first game is under way

	squat := credential(t)
	squat["id"] = kid["id"] // read off the kid's screen
	e.send("s", map[string]any{"action": "playComputer", "name": "Squatter", "player": squat, "level": "easy"})
	e.move("s", e.room("s")["code"].(string), 4)
	e.send("s", map[string]any{"action": "leaveRoom", "roomCode": e.room("s")["code"]}) // a game recorded first

	e.send("k", map[string]any{"action": "leaveRoom", "roomCode": code})
	e.send("k", map[string]any{"action": "createRoom", "name": "Kid", "player": kid})
	if f := e.last("k"); f["type"] != "room" {
		t.Errorf("the kid, whose id a classmate claimed, cannot open a room: %v", f)
	}
}

// The rating bands count every player ever rated: a profile that expires (a year after its
// last game, by the table's TTL) leaves its band's count behind, and nothing takes it out (only
// forgetMe does). The leaderboard leaves expired standings out, the bands never do, so every
// rank "about" past the board counts departed players, more each month: a site a year old
// tells its players they rank far lower than they do.
func TestReviewDepartedPlayersStayInTheRatingBands(t *testing.T) {
	e := newEnv(t, envOptions{})
	ds := e.store.Store.(*store.DynamoStore)
	now := time.Unix(0, e.now.Load())
	// A full board of 50 live players far above: the players below rank "about".
	b := players.Board{}
	for i := range players.BoardSize {
		b.Top = append(b.Top, players.Standing{ID: fmt.Sprintf("top%02d", i), Name: "Top", Rating: 1500, Rated: 20, Expires: now.Add(10 * players.Retention)})
		if err := ds.MoveBand(t.Context(), 0, false, players.Band(1500), true); err != nil {
			t.Fatal(err)
		}
	}
	if err := ds.PutBoard(t.Context(), &b); err != nil {
		t.Fatal(err)
	}
	bob, cy, ann, di := credential(t), credential(t), credential(t), credential(t)
	e.quickGame("b", "c", bob, cy) // Bob 1220, Cy 1180: then they stop playing
	e.advance(200 * 24 * time.Hour)
	e.quickGame("d", "a", di, ann) // Di 1220, Ann 1180
	e.advance(166 * 24 * time.Hour)
	for _, p := range []map[string]any{bob, cy} { // a year after their last game: the TTL deletes them
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
