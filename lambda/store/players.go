package store

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-tictactoe/tictactoe/lambda/game"
	"github.com/serverless-tictactoe/tictactoe/lambda/players"
	"github.com/serverless-tictactoe/tictactoe/lambda/store/schema"
)

// Players keeps what lambda/players describes (docs/privacy.md): a player's profile, history
// included ("PLAYER#<id>"), the rooms they sat in ("SEATS#<id>"), the mark an erasure leaves
// ("GONE#<hash of the id>"), the leaderboard ("BOARD#top") and the rating bands' counts
// ("BOARD#bands"). Every read is by key: nothing queries or scans the table.
type Players interface {
	// GetPlayer reads a profile, or ErrNotFound.
	GetPlayer(ctx context.Context, id string) (players.Profile, error)
	// Recall reads player id's profile and whether id and opponent (if not "") were erased, in
	// one request.
	Recall(ctx context.Context, id, opponent string) (Recall, error)
	// PutPlayer writes p if the stored profile is still at p.Version (0: there is none), else
	// ErrConflict, and then advances p.Version.
	PutPlayer(ctx context.Context, p *players.Profile) error
	// DeletePlayer deletes p's profile if still at p.Version, else ErrConflict; an absent one
	// is deleted already.
	DeletePlayer(ctx context.Context, p players.Profile) error
	// MarkErased remembers that player id erased themselves, for players.ErasureMemory;
	// Erased reports whether they did.
	MarkErased(ctx context.Context, id string) error
	Erased(ctx context.Context, id string) (bool, error)
	// NoteSeat adds room code to the rooms player id sat in (the last MaxSeatsNoted of a
	// room's life); Seats reads them; DeleteSeats forgets them.
	NoteSeat(ctx context.Context, id, code string) error
	Seats(ctx context.Context, id string) ([]string, error)
	DeleteSeats(ctx context.Context, id string) error
	// GetBoard reads the leaderboard (empty, version 0, when there is none); PutBoard writes it
	// if still at b.Version, else ErrConflict, and then advances b.Version.
	GetBoard(ctx context.Context) (players.Board, error)
	PutBoard(ctx context.Context, b *players.Board) error
	// MoveBand counts one rated player out of from (if fromOK) and into to (if toOK).
	MoveBand(ctx context.Context, from players.Counted, fromOK bool, to players.Counted, toOK bool) error
	// Bands adds up the weeks' counts of rated players by rating band.
	Bands(ctx context.Context, weeks []int64) (map[int]int, error)
}

// Recall is a player's profile (Found: there is one) and the erasure marks of them and of
// their opponent.
type Recall struct {
	Profile                players.Profile
	Found                  bool
	Erased, OpponentErased bool
}

// MaxSeatsNoted bounds a SEATS item: past it the list starts again from the newest room (a
// player who sat in that many rooms within a room's life; the older ones are reached by the
// erasure mark, which keeps their games from being recorded).
const MaxSeatsNoted = 50

var _ Players = (*DynamoStore)(nil)

const (
	playerPrefix = "PLAYER#"
	seatsPrefix  = "SEATS#"
	gonePrefix   = "GONE#"
	boardPK      = "BOARD#top"
	bandsPK      = "BOARD#bands"
	bandPrefix   = "b"
)

func playerKey(id string) string { return playerPrefix + id }
func seatsKey(id string) string  { return seatsPrefix + id }

// goneKey names an erasure mark by a hash of the id, not the id: nothing of the player is kept.
func goneKey(id string) string {
	sum := sha256.Sum256([]byte("erased player " + id))
	return gonePrefix + base64.RawURLEncoding.EncodeToString(sum[:16])
}

type tallyItem struct {
	Games  int `dynamodbav:"games"`
	Wins   int `dynamodbav:"wins"`
	Losses int `dynamodbav:"losses"`
	Draws  int `dynamodbav:"draws"`
}

type profileItem struct {
	PK        string               `dynamodbav:"pk"`
	Kind      string               `dynamodbav:"kind"`
	Name      string               `dynamodbav:"name,omitempty"`
	People    tallyItem            `dynamodbav:"people"`
	Computer  map[string]tallyItem `dynamodbav:"computer,omitempty"`
	Forfeits  int                  `dynamodbav:"forfeits"`
	Timeouts  int                  `dynamodbav:"timeouts"`
	Streak    int                  `dynamodbav:"streak"`
	Best      int                  `dynamodbav:"best"`
	Rating    int                  `dynamodbav:"rating,omitempty"`
	Rated     int                  `dynamodbav:"rated,omitempty"`
	RatedAt   int64                `dynamodbav:"ratedAt,omitempty"`
	History   []entryItem          `dynamodbav:"history,omitempty"`
	CreatedAt int64                `dynamodbav:"createdAt"`
	UpdatedAt int64                `dynamodbav:"updatedAt"`
	Version   int64                `dynamodbav:"version"`
	ExpiresAt int64                `dynamodbav:"expiresAt"`
}

// entryItem is one game of a profile's history, with short attribute names: a profile holds
// up to players.HistoryKeep of them, and every byte is paid for at each recorded game.
type entryItem struct {
	GameID           string `dynamodbav:"g"`
	StartedAt        int64  `dynamodbav:"s"`
	EndedAt          int64  `dynamodbav:"e"`
	Moves            string `dynamodbav:"m"`
	Starter          string `dynamodbav:"f"` // who moved first
	Seat             string `dynamodbav:"me"`
	Result           string `dynamodbav:"r"`
	How              string `dynamodbav:"h"`
	Opponent         string `dynamodbav:"o"`
	OpponentComputer string `dynamodbav:"oc,omitempty"`
	OpponentID       string `dynamodbav:"oi,omitempty"`
	Rated            bool   `dynamodbav:"rt,omitempty"`
	Delta            int    `dynamodbav:"d,omitempty"`
}

func toEntryItem(e players.Entry) entryItem {
	return entryItem{GameID: e.GameID, StartedAt: millis(e.StartedAt), EndedAt: millis(e.EndedAt), Moves: cellsString(e.Moves),
		Starter: string(e.Starter), Seat: string(e.Seat), Result: e.Result, How: e.How, Opponent: e.Opponent,
		OpponentComputer: string(e.OpponentComputer), OpponentID: e.OpponentID, Rated: e.Rated, Delta: e.Delta}
}

func (it entryItem) entry() (players.Entry, error) {
	moves, err := cellsOf(it.Moves)
	if err != nil {
		return players.Entry{}, fmt.Errorf("history entry %s: %w", it.GameID, err)
	}
	code, _, _ := strings.Cut(it.GameID, "-") // game.RecordID
	return players.Entry{GameID: it.GameID, Code: code, StartedAt: fromMillis(it.StartedAt), EndedAt: fromMillis(it.EndedAt),
		Moves: moves, Starter: game.Symbol(it.Starter), Seat: game.Symbol(it.Seat), Result: it.Result, How: it.How,
		Opponent: it.Opponent, OpponentComputer: game.Level(it.OpponentComputer), OpponentID: it.OpponentID,
		Rated: it.Rated, Delta: it.Delta}, nil
}

type standingItem struct {
	ID      string `dynamodbav:"id"`
	Name    string `dynamodbav:"name"`
	Rating  int    `dynamodbav:"rating"`
	Rated   int    `dynamodbav:"rated"`
	Expires int64  `dynamodbav:"expires"` // epoch seconds
	Version int64  `dynamodbav:"v"`
}

type boardItem struct {
	PK      string         `dynamodbav:"pk"`
	Kind    string         `dynamodbav:"kind"`
	Top     []standingItem `dynamodbav:"top"`
	Version int64          `dynamodbav:"version"`
}

func (s *DynamoStore) GetPlayer(ctx context.Context, id string) (players.Profile, error) {
	item, err := s.get(ctx, playerKey(id))
	if err != nil { // its message names the key: player ids stay out of logs (docs/privacy.md)
		return players.Profile{}, fmt.Errorf("reading a player's profile: %w", errors.Unwrap(err))
	}
	if item == nil {
		return players.Profile{}, ErrNotFound
	}
	return decodeProfile(id, item)
}

func decodeProfile(id string, item map[string]types.AttributeValue) (players.Profile, error) {
	var it profileItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil || it.Kind != schema.KindPlayer {
		return players.Profile{}, fmt.Errorf("an item is not a well-formed player: %v", err)
	}
	p := players.Profile{ID: id, Name: it.Name, Rating: it.Rating, Rated: it.Rated, RatedAt: fromMillis(it.RatedAt),
		CreatedAt: fromMillis(it.CreatedAt), UpdatedAt: fromMillis(it.UpdatedAt), Version: it.Version,
		Stats: players.Stats{People: players.Tally(it.People), Forfeits: it.Forfeits, Timeouts: it.Timeouts, Streak: it.Streak, Best: it.Best}}
	for level, t := range it.Computer {
		if p.Stats.Computer == nil {
			p.Stats.Computer = map[game.Level]players.Tally{}
		}
		p.Stats.Computer[game.Level(level)] = players.Tally(t)
	}
	for _, e := range it.History {
		entry, err := e.entry()
		if err != nil {
			return players.Profile{}, fmt.Errorf("a player's history: %w", err)
		}
		p.History = append(p.History, entry)
	}
	return p, nil
}

// Recall is one consistent BatchGetItem of the profile and the marks.
func (s *DynamoStore) Recall(ctx context.Context, id, opponent string) (Recall, error) {
	keys := []map[string]types.AttributeValue{keyOf(playerKey(id)), keyOf(goneKey(id))}
	if opponent != "" {
		keys = append(keys, keyOf(goneKey(opponent)))
	}
	items, err := s.batchGet(ctx, keys, true)
	if err != nil {
		return Recall{}, fmt.Errorf("reading a player's profile: %w", err)
	}
	var r Recall
	for _, item := range items {
		var head struct {
			PK        string `dynamodbav:"pk"`
			ExpiresAt int64  `dynamodbav:"expiresAt"`
		}
		if err := attributevalue.UnmarshalMap(item, &head); err != nil {
			return Recall{}, fmt.Errorf("reading a player's profile: %w", err)
		}
		if head.ExpiresAt != 0 && head.ExpiresAt <= s.now().Unix() {
			continue // expired: as absent
		}
		switch head.PK {
		case playerKey(id):
			if r.Profile, err = decodeProfile(id, item); err != nil {
				return Recall{}, err
			}
			r.Found = true
		case goneKey(id):
			r.Erased = true
		case goneKey(opponent):
			r.OpponentErased = true
		}
	}
	return r, nil
}

type markItem struct {
	PK        string `dynamodbav:"pk"`
	Kind      string `dynamodbav:"kind"`
	ExpiresAt int64  `dynamodbav:"expiresAt"`
}

func (s *DynamoStore) MarkErased(ctx context.Context, id string) error {
	it := markItem{PK: goneKey(id), Kind: schema.KindErased, ExpiresAt: s.now().Add(players.ErasureMemory).Unix()}
	if err := s.put(ctx, it, "", nil); err != nil {
		return fmt.Errorf("marking a player erased: %w", err)
	}
	return nil
}

func (s *DynamoStore) Erased(ctx context.Context, id string) (bool, error) {
	item, err := s.get(ctx, goneKey(id))
	if err != nil {
		return false, fmt.Errorf("reading an erasure mark: %w", errors.Unwrap(err))
	}
	return item != nil, nil
}

// NoteSeat appends to the list in place (one small write), starting it again past
// MaxSeatsNoted; it lives as long as a room.
func (s *DynamoStore) NoteSeat(ctx context.Context, id, code string) error {
	values := map[string]types.AttributeValue{":code": &types.AttributeValueMemberL{Value: []types.AttributeValue{str(code)}},
		":none": &types.AttributeValueMemberL{}, ":max": num(MaxSeatsNoted), ":kind": str(schema.KindSeats), ":exp": epoch(s.now().Add(s.expiry.Room))}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: keyOf(seatsKey(id)),
		UpdateExpression:          aws.String("SET rooms = list_append(if_not_exists(rooms, :none), :code), kind = :kind, expiresAt = :exp"),
		ConditionExpression:       aws.String("attribute_not_exists(rooms) OR size(rooms) < :max"),
		ExpressionAttributeValues: values,
	})
	if isConditionFailed(err) {
		delete(values, ":none")
		delete(values, ":max")
		_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: &s.table, Key: keyOf(seatsKey(id)),
			UpdateExpression:          aws.String("SET rooms = :code, kind = :kind, expiresAt = :exp"),
			ExpressionAttributeValues: values,
		})
	}
	if err != nil {
		return fmt.Errorf("noting a player's room: %w", err)
	}
	return nil
}

func (s *DynamoStore) Seats(ctx context.Context, id string) ([]string, error) {
	item, err := s.get(ctx, seatsKey(id))
	if err != nil || item == nil {
		if err != nil {
			err = fmt.Errorf("reading a player's rooms: %w", errors.Unwrap(err))
		}
		return nil, err
	}
	var it struct {
		Rooms []string `dynamodbav:"rooms"`
	}
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return nil, fmt.Errorf("reading a player's rooms: %w", err)
	}
	return it.Rooms, nil
}

func (s *DynamoStore) DeleteSeats(ctx context.Context, id string) error {
	if _, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: keyOf(seatsKey(id))}); err != nil {
		return fmt.Errorf("forgetting a player's rooms: %w", err)
	}
	return nil
}

func (s *DynamoStore) PutPlayer(ctx context.Context, p *players.Profile) error {
	it := profileItem{PK: playerKey(p.ID), Kind: schema.KindPlayer, Name: p.Name,
		People: tallyItem(p.Stats.People), Forfeits: p.Stats.Forfeits, Timeouts: p.Stats.Timeouts, Streak: p.Stats.Streak, Best: p.Stats.Best,
		Rating: p.Rating, Rated: p.Rated, RatedAt: millis(p.RatedAt), CreatedAt: millis(p.CreatedAt), UpdatedAt: millis(p.UpdatedAt),
		Version: p.Version + 1, ExpiresAt: p.Expires().Unix()}
	for level, t := range p.Stats.Computer {
		if it.Computer == nil {
			it.Computer = map[string]tallyItem{}
		}
		it.Computer[string(level)] = tallyItem(t)
	}
	for _, e := range p.History {
		it.History = append(it.History, toEntryItem(e))
	}
	cond, values := "version = :v", map[string]types.AttributeValue{":v": num(p.Version)}
	if p.Version == 0 { // a new player; an expired profile of the same id does not count
		cond, values = "attribute_not_exists(pk) OR expiresAt <= :now", map[string]types.AttributeValue{":now": epoch(s.now())}
	}
	err := s.put(ctx, it, cond, values)
	switch {
	case isConditionFailed(err):
		return ErrConflict
	case err != nil:
		return fmt.Errorf("saving a player's profile: %w", err)
	}
	p.Version++
	return nil
}

func (s *DynamoStore) DeletePlayer(ctx context.Context, p players.Profile) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &s.table, Key: keyOf(playerKey(p.ID)),
		ConditionExpression:       aws.String("attribute_not_exists(pk) OR version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": num(p.Version)},
	})
	switch {
	case isConditionFailed(err):
		return ErrConflict
	case err != nil:
		return fmt.Errorf("deleting a player's profile: %w", err)
	}
	return nil
}

func (s *DynamoStore) GetBoard(ctx context.Context) (players.Board, error) {
	item, err := s.get(ctx, boardPK)
	if err != nil || item == nil {
		return players.Board{}, err
	}
	var it boardItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return players.Board{}, fmt.Errorf("decoding the leaderboard: %w", err)
	}
	b := players.Board{Version: it.Version}
	for _, st := range it.Top {
		b.Top = append(b.Top, players.Standing{ID: st.ID, Name: st.Name, Rating: st.Rating, Rated: st.Rated, Expires: time.Unix(st.Expires, 0), Version: st.Version})
	}
	return b, nil
}

func (s *DynamoStore) PutBoard(ctx context.Context, b *players.Board) error {
	it := boardItem{PK: boardPK, Kind: schema.KindBoard, Version: b.Version + 1, Top: []standingItem{}}
	for _, st := range b.Top {
		it.Top = append(it.Top, standingItem{ID: st.ID, Name: st.Name, Rating: st.Rating, Rated: st.Rated, Expires: st.Expires.Unix(), Version: st.Version})
	}
	cond, values := "version = :v", map[string]types.AttributeValue{":v": num(b.Version)}
	if b.Version == 0 {
		cond, values = "attribute_not_exists(pk)", nil
	}
	err := s.put(ctx, it, cond, values)
	switch {
	case isConditionFailed(err):
		return ErrConflict
	case err != nil:
		return fmt.Errorf("saving the leaderboard: %w", err)
	}
	b.Version++
	return nil
}

func bandAttr(band int) string { return bandPrefix + strconv.Itoa(band) }

func bandsKey(week int64) string { return bandsPK + "#" + strconv.FormatInt(week, 10) }

// MoveBand is one UpdateItem per week touched (one when both are the same week): ADD -1 to the
// old band, +1 to the new (ADD creates a missing count), so racing games never lose a count.
// A week's item expires once no live profile can be counted in it.
func (s *DynamoStore) MoveBand(ctx context.Context, from players.Counted, fromOK bool, to players.Counted, toOK bool) error {
	if fromOK && toOK && from == to || !fromOK && !toOK {
		return nil
	}
	type change struct {
		band int
		by   int64
	}
	weeks := map[int64][]change{}
	if fromOK {
		weeks[from.Week] = append(weeks[from.Week], change{from.Band, -1})
	}
	if toOK {
		weeks[to.Week] = append(weeks[to.Week], change{to.Band, 1})
	}
	for week, changes := range weeks {
		names := map[string]string{"#k": schema.KindAttribute, "#exp": schema.TTLAttribute}
		expires := time.Unix((week+1)*int64(7*24*time.Hour/time.Second), 0).Add(players.Retention + 7*24*time.Hour)
		values := map[string]types.AttributeValue{":kind": str(schema.KindBands), ":exp": epoch(expires)}
		var adds []string
		for i, c := range changes {
			n, v := fmt.Sprintf("#b%d", i), fmt.Sprintf(":b%d", i)
			names[n], values[v] = bandAttr(c.band), num(c.by)
			adds = append(adds, n+" "+v)
		}
		_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: &s.table, Key: keyOf(bandsKey(week)),
			UpdateExpression:         aws.String("SET #k = :kind, #exp = :exp ADD " + strings.Join(adds, ", ")),
			ExpressionAttributeNames: names, ExpressionAttributeValues: values,
		})
		if err != nil {
			return fmt.Errorf("counting a rating band: %w", err)
		}
	}
	return nil
}

// Bands reads the weeks' items in one BatchGetItem (of up to 100 keys a call) and adds them up.
func (s *DynamoStore) Bands(ctx context.Context, weeks []int64) (map[int]int, error) {
	var keys []map[string]types.AttributeValue
	for _, w := range weeks {
		keys = append(keys, keyOf(bandsKey(w)))
	}
	items, err := s.batchGet(ctx, keys, false)
	if err != nil {
		return nil, fmt.Errorf("reading the rating bands: %w", err)
	}
	counts := map[int]int{}
	for _, item := range items {
		for k, v := range item {
			n, ok := v.(*types.AttributeValueMemberN)
			band, err := strconv.Atoi(strings.TrimPrefix(k, bandPrefix))
			if !ok || !strings.HasPrefix(k, bandPrefix) || err != nil {
				continue
			}
			c, err := strconv.Atoi(n.Value)
			if err != nil {
				return nil, fmt.Errorf("rating band %s holds %q", k, n.Value)
			}
			counts[band] += c
		}
	}
	return counts, nil
}
