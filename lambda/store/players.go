package store

import (
	"context"
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
// included ("PLAYER#<id>"), the leaderboard ("BOARD#top") and the rating bands' counts
// ("BOARD#bands"). Every read is a GetItem of a known key: nothing queries or scans the table.
type Players interface {
	// GetPlayer reads a profile, or ErrNotFound.
	GetPlayer(ctx context.Context, id string) (players.Profile, error)
	// PutPlayer writes p if the stored profile is still at p.Version (0: there is none), else
	// ErrConflict, and then advances p.Version.
	PutPlayer(ctx context.Context, p *players.Profile) error
	// DeletePlayer deletes p's profile if still at p.Version, else ErrConflict; an absent one
	// is deleted already.
	DeletePlayer(ctx context.Context, p players.Profile) error
	// GetBoard reads the leaderboard (empty, version 0, when there is none); PutBoard writes it
	// if still at b.Version, else ErrConflict, and then advances b.Version.
	GetBoard(ctx context.Context) (players.Board, error)
	PutBoard(ctx context.Context, b *players.Board) error
	// MoveBand counts one rated player out of band from (if fromOK) and into band to (if toOK).
	MoveBand(ctx context.Context, from int, fromOK bool, to int, toOK bool) error
	// Bands reads every rating band's count of rated players.
	Bands(ctx context.Context) (map[int]int, error)
}

var _ Players = (*DynamoStore)(nil)

const (
	playerPrefix = "PLAYER#"
	boardPK      = "BOARD#top"
	bandsPK      = "BOARD#bands"
	bandPrefix   = "b"
)

func playerKey(id string) string { return playerPrefix + id }

type tallyItem struct {
	Games  int `dynamodbav:"games"`
	Wins   int `dynamodbav:"wins"`
	Losses int `dynamodbav:"losses"`
	Draws  int `dynamodbav:"draws"`
}

type profileItem struct {
	PK         string               `dynamodbav:"pk"`
	Kind       string               `dynamodbav:"kind"`
	SecretHash string               `dynamodbav:"secretHash"`
	Name       string               `dynamodbav:"name,omitempty"`
	People     tallyItem            `dynamodbav:"people"`
	Computer   map[string]tallyItem `dynamodbav:"computer,omitempty"`
	Forfeits   int                  `dynamodbav:"forfeits"`
	Timeouts   int                  `dynamodbav:"timeouts"`
	Streak     int                  `dynamodbav:"streak"`
	Best       int                  `dynamodbav:"best"`
	Rating     int                  `dynamodbav:"rating,omitempty"`
	Rated      int                  `dynamodbav:"rated,omitempty"`
	History    []entryItem          `dynamodbav:"history,omitempty"`
	Rooms      []string             `dynamodbav:"rooms,omitempty"`
	CreatedAt  int64                `dynamodbav:"createdAt"`
	UpdatedAt  int64                `dynamodbav:"updatedAt"`
	Version    int64                `dynamodbav:"version"`
	ExpiresAt  int64                `dynamodbav:"expiresAt"`
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
	var it profileItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil || it.Kind != schema.KindPlayer {
		return players.Profile{}, fmt.Errorf("an item is not a well-formed player: %v", err)
	}
	p := players.Profile{ID: id, SecretHash: it.SecretHash, Name: it.Name, Rating: it.Rating, Rated: it.Rated, Rooms: it.Rooms,
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

func (s *DynamoStore) PutPlayer(ctx context.Context, p *players.Profile) error {
	it := profileItem{PK: playerKey(p.ID), Kind: schema.KindPlayer, SecretHash: p.SecretHash, Name: p.Name,
		People: tallyItem(p.Stats.People), Forfeits: p.Stats.Forfeits, Timeouts: p.Stats.Timeouts, Streak: p.Stats.Streak, Best: p.Stats.Best,
		Rating: p.Rating, Rated: p.Rated, Rooms: p.Rooms, CreatedAt: millis(p.CreatedAt), UpdatedAt: millis(p.UpdatedAt),
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
		b.Top = append(b.Top, players.Standing{ID: st.ID, Name: st.Name, Rating: st.Rating, Rated: st.Rated, Expires: time.Unix(st.Expires, 0)})
	}
	return b, nil
}

func (s *DynamoStore) PutBoard(ctx context.Context, b *players.Board) error {
	it := boardItem{PK: boardPK, Kind: schema.KindBoard, Version: b.Version + 1, Top: []standingItem{}}
	for _, st := range b.Top {
		it.Top = append(it.Top, standingItem{ID: st.ID, Name: st.Name, Rating: st.Rating, Rated: st.Rated, Expires: st.Expires.Unix()})
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

// MoveBand is one UpdateItem: ADD -1 to the old band, +1 to the new (ADD creates a missing
// count), so racing games never lose a count.
func (s *DynamoStore) MoveBand(ctx context.Context, from int, fromOK bool, to int, toOK bool) error {
	if fromOK && toOK && from == to || !fromOK && !toOK {
		return nil
	}
	var adds []string
	names := map[string]string{"#k": schema.KindAttribute}
	values := map[string]types.AttributeValue{":kind": str(schema.KindBands)}
	if fromOK {
		adds, names["#from"], values[":out"] = append(adds, "#from :out"), bandAttr(from), num(-1)
	}
	if toOK {
		adds, names["#to"], values[":in"] = append(adds, "#to :in"), bandAttr(to), num(1)
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: keyOf(bandsPK),
		UpdateExpression:         aws.String("SET #k = :kind ADD " + strings.Join(adds, ", ")),
		ExpressionAttributeNames: names, ExpressionAttributeValues: values,
	})
	if err != nil {
		return fmt.Errorf("counting a rating band: %w", err)
	}
	return nil
}

func (s *DynamoStore) Bands(ctx context.Context) (map[int]int, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: keyOf(bandsPK)})
	if err != nil {
		return nil, fmt.Errorf("reading the rating bands: %w", err)
	}
	counts := map[int]int{}
	for k, v := range out.Item {
		n, ok := v.(*types.AttributeValueMemberN)
		band, err := strconv.Atoi(strings.TrimPrefix(k, bandPrefix))
		if !ok || !strings.HasPrefix(k, bandPrefix) || err != nil {
			continue
		}
		c, err := strconv.Atoi(n.Value)
		if err != nil {
			return nil, fmt.Errorf("rating band %s holds %q", k, n.Value)
		}
		counts[band] = c
	}
	return counts, nil
}
