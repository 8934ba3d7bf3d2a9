package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-tictactoe/tictactoe/lambda/game"
	"github.com/serverless-tictactoe/tictactoe/lambda/store/schema"
)

// The narrow writes change a few attributes of an item under a condition on what the change
// depends on, instead of the whole item under its version: no read before them, and two of
// them on one item commute (two players going offline at once, two rematch wishes) where two
// versioned writes would conflict and one would be retried. docs/benchmarks.md counts what
// each saves. The rules stay in lambda/game: each narrow write is one a rule makes, and
// narrow_test.go holds the item it leaves to the one the rule's whole-item write would.

// ErrNeedsRead: this store cannot make the narrow write safely (it does not know the room's
// home without a read): read the item and write it whole.
var ErrNeedsRead = errors.New("this write needs the item read first")

// Narrow is what a store offers beyond Store to skip reads and conflicts. Every method may
// answer ErrNeedsRead; the caller then takes the read-modify-write path.
type Narrow interface {
	// ClaimConnection records that connection id follows room code as role, if its record
	// follows nothing, is not closed and waits in no queue (a new connection's record, as
	// $connect wrote it); else ErrConflict, and nothing is written.
	ClaimConnection(ctx context.Context, id, code string, role Role) error
	// CloseConnection closes connection id's record (Closed, no longer queued) and returns it
	// as it was before; a connection with no record gets a closed one and Connection{ID: id}.
	CloseConnection(ctx context.Context, id string) (Connection, error)
	// SetOffline marks seat s of room code offline since at (game.Room.Disconnect), if connection
	// id holds it, and returns the room as written; ErrConflict when id does not hold it or there
	// is no such room.
	SetOffline(ctx context.Context, code string, s game.Symbol, id string, at time.Time) (*game.Room, error)
	// RecordRematch records seat s's wish for a rematch in room code (game.Room.RequestRematch
	// when the other seat has not asked), if connection id holds the seat, the game is
	// finished and both seats are taken, and returns the room as written; else ErrConflict.
	RecordRematch(ctx context.Context, code string, s game.Symbol, id string, at time.Time) (*game.Room, error)
	// CountMiss adds one room_not_found answer to connection id's record and returns the
	// record as written: one atomic write, so misses racing each other are all counted. A
	// connection with no live record, or a closed one, is ErrConflict and nothing is written.
	CountMiss(ctx context.Context, id string) (Connection, error)
	// ChargeFrame counts one frame of connection id in the window that starts at window
	// (epoch seconds) and returns the record as written, its Version advanced: Frames is the
	// window's count so far, across every container, PrevFrames the count of the window just
	// before (which starts at previous; 0 if it sent nothing then), and Source the address to
	// charge it to. A connection with no live record is ErrConflict.
	ChargeFrame(ctx context.Context, id string, window, previous int64) (Connection, error)
}

var _ Narrow = (*DynamoStore)(nil)

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}
func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func boolean(b bool) types.AttributeValue {
	return &types.AttributeValueMemberBOOL{Value: b}
}

// playerAttr is the attribute seat s is stored under (roomItem's PlayerX, PlayerO).
func playerAttr(s game.Symbol) (string, error) {
	switch s {
	case game.X:
		return "playerX", nil
	case game.O:
		return "playerO", nil
	}
	return "", fmt.Errorf("no seat %q", s)
}

func (s *DynamoStore) ClaimConnection(ctx context.Context, id, code string, role Role) error {
	now := s.now()
	cond := "attribute_exists(pk) AND expiresAt > :now AND (attribute_not_exists(#room) OR #room = :empty)" +
		" AND (attribute_not_exists(#closed) OR #closed = :false) AND (attribute_not_exists(#queued) OR #queued = :false)"
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: keyOf(connKey(id)),
		UpdateExpression:         aws.String("SET #room = :code, #role = :role, #v = #v + :one"),
		ConditionExpression:      &cond,
		ExpressionAttributeNames: map[string]string{"#room": "roomCode", "#role": "role", "#closed": "closed", "#queued": "queued", "#v": "version"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":code": str(code), ":role": str(string(role)), ":one": num(1), ":now": epoch(now), ":empty": str(""), ":false": boolean(false),
		},
	})
	switch {
	case isConditionFailed(err):
		return ErrConflict
	case err != nil:
		return fmt.Errorf("recording connection %s in room %s: %w", id, code, err)
	}
	return nil
}

func (s *DynamoStore) CloseConnection(ctx context.Context, id string) (Connection, error) {
	now := s.now()
	// A record that had none (or an expired one) is created closed, with a fresh life: a frame
	// still running then finds it closed too.
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: keyOf(connKey(id)),
		UpdateExpression: aws.String("SET #kind = :kind, #id = :id, #closed = :true, #queued = :false, #exp = :exp," +
			" #v = if_not_exists(#v, :zero) + :one"),
		ExpressionAttributeNames: map[string]string{"#kind": schema.KindAttribute, "#id": "connectionId", "#closed": "closed", "#queued": "queued", "#exp": "expiresAt", "#v": "version"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":kind": str(schema.KindConnection), ":id": str(id), ":true": boolean(true), ":false": boolean(false),
			":exp": epoch(now.Add(s.expiry.Connection)), ":zero": num(0), ":one": num(1),
		},
		ReturnValues: types.ReturnValueAllOld,
	})
	if err != nil {
		return Connection{ID: id}, fmt.Errorf("closing connection %s: %w", id, err)
	}
	if len(out.Attributes) == 0 {
		return Connection{ID: id}, nil
	}
	c, err := decodeConnection(id, out.Attributes)
	if err != nil {
		return Connection{ID: id}, err
	}
	if c.expiresAt != 0 && c.expiresAt <= now.Unix() {
		return Connection{ID: id}, nil // expired: as reads see it, there was none
	}
	return c.Connection, nil
}

func (s *DynamoStore) CountMiss(ctx context.Context, id string) (Connection, error) {
	cond := "attribute_exists(pk) AND expiresAt > :now AND (attribute_not_exists(#closed) OR #closed = :false)"
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: keyOf(connKey(id)),
		UpdateExpression:         aws.String("ADD #misses :one, #v :one"),
		ConditionExpression:      &cond,
		ExpressionAttributeNames: map[string]string{"#misses": "misses", "#closed": "closed", "#v": "version"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one": num(1), ":now": epoch(s.now()), ":false": boolean(false),
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	if isConditionFailed(err) {
		return Connection{ID: id}, ErrConflict
	}
	if err != nil {
		return Connection{ID: id}, fmt.Errorf("counting a miss of connection %s: %w", id, err)
	}
	c, err := decodeConnection(id, out.Attributes)
	return c.Connection, err
}

func (s *DynamoStore) ChargeFrame(ctx context.Context, id string, window, previous int64) (Connection, error) {
	names := map[string]string{"#w": "frameWindow", "#n": "frames", "#v": "version"}
	values := map[string]types.AttributeValue{":w": num(window), ":one": num(1), ":now": epoch(s.now())}
	// Starting a window names the last one's attributes too (DynamoDB refuses names a request
	// does not use).
	shiftNames := map[string]string{"#pw": "prevWindow", "#p": "prevFrames"}
	shiftValues := map[string]types.AttributeValue{":zero": num(0)}
	maps.Copy(shiftNames, names)
	maps.Copy(shiftValues, values)
	live := "attribute_exists(pk) AND expiresAt > :now AND "
	// Within the window: one ADD. The window's first frame starts it over, moving the last
	// window's count aside; two first frames racing each other both land, the second as an
	// ADD. Each count advances the version, so that a whole-record write made from an older
	// read (a seat taken) fails and reads again instead of writing older counts back.
	steps := []struct {
		update, cond string
		names        map[string]string
		values       map[string]types.AttributeValue
	}{
		{"ADD #n :one, #v :one", "#w = :w", names, values},
		{"SET #pw = if_not_exists(#w, :zero), #p = if_not_exists(#n, :zero), #w = :w, #n = :one ADD #v :one",
			"(attribute_not_exists(#w) OR #w < :w)", shiftNames, shiftValues},
	}
	for range 2 {
		for _, step := range steps {
			cond := live + step.cond
			out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName: &s.table, Key: keyOf(connKey(id)), UpdateExpression: aws.String(step.update),
				ConditionExpression: &cond, ExpressionAttributeNames: step.names, ExpressionAttributeValues: step.values,
				ReturnValues: types.ReturnValueAllNew,
			})
			if err == nil {
				return chargedFrame(id, out.Attributes, previous)
			}
			if !isConditionFailed(err) {
				return Connection{ID: id}, fmt.Errorf("counting a frame of connection %s: %w", id, err)
			}
		}
	}
	return Connection{ID: id}, ErrConflict // no live record (or a clock far behind the record's window)
}

// chargedFrame decodes the record a frame's count returned; the last window's count is
// PrevFrames only if it was the window just before (previous).
func chargedFrame(id string, item map[string]types.AttributeValue, previous int64) (Connection, error) {
	c, err := decodeConnection(id, item)
	if err != nil {
		return Connection{ID: id}, fmt.Errorf("decoding connection %s's frame count: %w", id, err)
	}
	if c.PrevWindow != previous {
		c.PrevFrames = 0
	}
	return c.Connection, nil
}

func (s *DynamoStore) SetOffline(ctx context.Context, code string, seat game.Symbol, id string, at time.Time) (*game.Room, error) {
	return s.patchRoom(ctx, code, seat, id, at, patch{
		set:    "#p.#online = :false, #p.#since = :at, #pc = :true",
		remove: "#p.#conn",
		names:  map[string]string{"#online": "online", "#since": "offlineSince"},
		values: map[string]types.AttributeValue{":at": num(at.UnixMilli()), ":false": boolean(false), ":true": boolean(true)},
	})
}

func (s *DynamoStore) RecordRematch(ctx context.Context, code string, seat game.Symbol, id string, at time.Time) (*game.Room, error) {
	return s.patchRoom(ctx, code, seat, id, at, patch{
		set:   "#p.#rematch = :true, #pc = :false",
		cond:  "#status IN (:won, :draw) AND attribute_exists(playerX) AND attribute_exists(playerO)",
		names: map[string]string{"#rematch": "rematch", "#status": "status"},
		values: map[string]types.AttributeValue{":true": boolean(true), ":false": boolean(false),
			":won": str(string(game.Won)), ":draw": str(string(game.Draw))},
	})
}

// patch is a narrow write of one seat (#p): what it sets and removes, and what else its
// condition needs beyond the seat being connection id's.
type patch struct {
	set, remove, cond string
	names             map[string]string
	values            map[string]types.AttributeValue
}

// patchRoom makes p on room code's seat seat, if connection id holds it and the room has not
// expired, bumping the version, updatedAt and the expiry as any write of the room does, and
// homing it as SaveRoom would; it returns the room as written.
func (s *DynamoStore) patchRoom(ctx context.Context, code string, seat game.Symbol, id string, at time.Time, p patch) (*game.Room, error) {
	attr, err := playerAttr(seat)
	if err != nil {
		return nil, err
	}
	now := s.now()
	names := map[string]string{"#p": attr, "#conn": "connectionId", "#v": "version", "#upd": "updatedAt", "#exp": "expiresAt", "#pc": "presenceChanged"}
	values := map[string]types.AttributeValue{":id": str(id), ":one": num(1), ":upd": num(at.UnixMilli()), ":exp": epoch(now.Add(s.expiry.Room)), ":now": epoch(now)}
	for k, v := range p.names {
		names[k] = v
	}
	for k, v := range p.values {
		values[k] = v
	}
	set := "SET " + p.set + ", #v = #v + :one, #upd = :upd, #exp = :exp"
	if s.region != "" {
		set += ", home = :region"
		values[":region"] = str(s.region)
	}
	expr := set
	if p.remove != "" {
		expr += " REMOVE " + p.remove
	}
	cond := "attribute_exists(pk) AND #exp > :now AND #p.#conn = :id"
	if p.cond != "" {
		cond += " AND " + p.cond
	}
	cond = s.roomCondition.addTo(cond, values)
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: keyOf(roomKey(code)), UpdateExpression: &expr, ConditionExpression: &cond,
		ExpressionAttributeNames: names, ExpressionAttributeValues: values, ReturnValues: types.ReturnValueAllNew,
	})
	switch {
	case isConditionFailed(err):
		return nil, ErrConflict
	case err != nil:
		return nil, fmt.Errorf("updating seat %s of room %s: %w", seat, code, err)
	}
	return DecodeRoom(out.Attributes)
}

// storedConnection is a connection record with its expiry, as decoded.
type storedConnection struct {
	Connection
	expiresAt int64
}

func decodeConnection(id string, item map[string]types.AttributeValue) (storedConnection, error) {
	var it connItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return storedConnection{}, fmt.Errorf("decoding connection %s: %w", id, err)
	}
	return storedConnection{Connection: Connection{ID: it.ID, RoomCode: it.RoomCode, Role: Role(it.Role), Closed: it.Closed, Source: it.Source,
		Misses: it.Misses, Queued: it.Queued, Version: it.Version, QuickRoom: it.QuickRoom, QuickLeaves: it.QuickLeaves,
		QuickLeftAt: fromEpochMilli(it.QuickLeftAt), FrameWindow: it.FrameWindow, Frames: it.Frames, PrevWindow: it.PrevWindow, PrevFrames: it.PrevFrames}, expiresAt: it.ExpiresAt}, nil
}

// epochMilli is t in epoch milliseconds, 0 for the zero time (an attribute left out).
func epochMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromEpochMilli undoes epochMilli.
func fromEpochMilli(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
