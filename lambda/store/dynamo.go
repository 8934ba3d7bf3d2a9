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

// DynamoAPI is the part of *dynamodb.Client the store uses.
type DynamoAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
}

// DynamoStore is the Store over one DynamoDB table.
type DynamoStore struct {
	db     DynamoAPI
	table  string
	now    func() time.Time
	expiry Expiry
	// region is the Region of this replica in a multi-Region deployment (Regional): the rooms
	// it writes are homed there. "" in one Region.
	region string
	// roomCondition is what a write of an existing room also requires: nothing in one Region;
	// in several, that the room is still homed where it was read (Regional.writing).
	roomCondition condition
}

var _ Store = (*DynamoStore)(nil)

// NewDynamoStore returns a store over table. now is the clock that decides expiry (time.Now in
// production); expiry.Room is required, a zero Connection takes ConnectionTTL.
func NewDynamoStore(db DynamoAPI, table string, now func() time.Time, expiry Expiry) *DynamoStore {
	return &DynamoStore{db: db, table: table, now: now, expiry: expiry.withDefaults()}
}

// InRegion makes s the store over Region region's replica of a multi-Region deployment: the
// rooms it writes are homed there and its per-address counts are that Region's.
func (s *DynamoStore) InRegion(region string) *DynamoStore {
	s.region = region
	return s
}

func keyOf(pk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{schema.PartitionKey: &types.AttributeValueMemberS{Value: pk}}
}

func epoch(t time.Time) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(t.Unix(), 10)}
}

// get reads an item strongly consistently (a conditional write must start from the latest
// version) and returns nil for an absent or expired one.
func (s *DynamoStore) get(ctx context.Context, pk string) (map[string]types.AttributeValue, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: keyOf(pk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", pk, err)
	}
	if out.Item == nil {
		return nil, nil
	}
	var ttl struct {
		ExpiresAt int64 `dynamodbav:"expiresAt"`
	}
	if err := attributevalue.UnmarshalMap(out.Item, &ttl); err != nil {
		return nil, fmt.Errorf("reading the expiry of %s: %w", pk, err)
	}
	if ttl.ExpiresAt != 0 && ttl.ExpiresAt <= s.now().Unix() {
		return nil, nil // expired: DynamoDB has not deleted it yet
	}
	return out.Item, nil
}

func (s *DynamoStore) GetRoom(ctx context.Context, code string) (*game.Room, error) {
	item, err := s.getRoomItem(ctx, code)
	if err != nil {
		return nil, err
	}
	return DecodeRoom(item)
}

// getRoomItem reads room code's item; ErrNotFound when there is none.
func (s *DynamoStore) getRoomItem(ctx context.Context, code string) (map[string]types.AttributeValue, error) {
	item, err := s.get(ctx, roomKey(code))
	if err != nil {
		return nil, err
	}
	if item == nil {
		return nil, ErrNotFound
	}
	return item, nil
}

// condition is a ConditionExpression and the values it names; the zero condition is none.
type condition struct {
	expr   string
	values map[string]types.AttributeValue
}

// addTo is cond also requiring c, c's values added to values.
func (c condition) addTo(cond string, values map[string]types.AttributeValue) string {
	if c.expr == "" {
		return cond
	}
	maps.Copy(values, c.values)
	return cond + " AND " + c.expr
}

// DecodeRoom rebuilds a room from an item image: a GetItem result or a stream record's image.
func DecodeRoom(item map[string]types.AttributeValue) (*game.Room, error) {
	var it roomItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return nil, fmt.Errorf("decoding a room item: %w", err)
	}
	return it.toRoom()
}

// EncodeRoom is the item a room is stored as, expiring at expires.
func EncodeRoom(r *game.Room, expires time.Time) (map[string]types.AttributeValue, error) {
	item, err := attributevalue.MarshalMap(toRoomItem(r, expires))
	if err != nil {
		return nil, fmt.Errorf("encoding room %s: %w", r.Code, err)
	}
	return item, nil
}

// roomItem is r as this replica writes it: homed in its Region, if it has one.
func (s *DynamoStore) roomItem(r *game.Room, expires time.Time) roomItem {
	it := toRoomItem(r, expires)
	it.Home = s.region
	return it
}

func (s *DynamoStore) put(ctx context.Context, v any, cond string, values map[string]types.AttributeValue) error {
	item, err := attributevalue.MarshalMap(v)
	if err != nil {
		return fmt.Errorf("encoding %T: %w", v, err)
	}
	in := &dynamodb.PutItemInput{TableName: &s.table, Item: item}
	if cond != "" {
		in.ConditionExpression = &cond
		in.ExpressionAttributeValues = values
	}
	_, err = s.db.PutItem(ctx, in)
	return err
}

func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

func (s *DynamoStore) CreateRoom(ctx context.Context, r *game.Room) error {
	now := s.now()
	r.Version = 1
	// An expired room that DynamoDB has not deleted yet does not hold its code.
	err := s.put(ctx, s.roomItem(r, now.Add(s.expiry.Room)),
		"attribute_not_exists(pk) OR expiresAt <= :now",
		map[string]types.AttributeValue{":now": epoch(now)})
	switch {
	case isConditionFailed(err):
		r.Version = 0
		return ErrExists
	case err != nil:
		r.Version = 0
		return fmt.Errorf("creating room %s: %w", r.Code, err)
	}
	return nil
}

// SaveRoom writes r over the version it was read at.
func (s *DynamoStore) SaveRoom(ctx context.Context, r *game.Room) error {
	read := r.Version
	r.Version = read + 1
	values := map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: strconv.FormatInt(read, 10)}}
	cond := s.roomCondition.addTo("version = :v", values)
	err := s.put(ctx, s.roomItem(r, s.now().Add(s.expiry.Room)), cond, values)
	if err != nil {
		r.Version = read
		if isConditionFailed(err) {
			return ErrConflict
		}
		return fmt.Errorf("saving room %s: %w", r.Code, err)
	}
	return nil
}

// DeleteRoom deletes r if it is still at the version it was read at.
func (s *DynamoStore) DeleteRoom(ctx context.Context, r *game.Room) error {
	values := map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: strconv.FormatInt(r.Version, 10)}}
	cond := s.roomCondition.addTo("version = :v", values)
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &s.table, Key: keyOf(roomKey(r.Code)), ConditionExpression: &cond, ExpressionAttributeValues: values,
	})
	switch {
	case isConditionFailed(err):
		return ErrConflict
	case err != nil:
		return fmt.Errorf("deleting room %s: %w", r.Code, err)
	}
	return nil
}

func (s *DynamoStore) PutConnection(ctx context.Context, c *Connection) error {
	now := s.now()
	it := connItem{PK: connKey(c.ID), Kind: schema.KindConnection, ID: c.ID, RoomCode: c.RoomCode, Role: string(c.Role),
		Closed: c.Closed, Source: c.Source, Misses: c.Misses, Queued: c.Queued, Version: c.Version + 1, ExpiresAt: now.Add(s.expiry.Connection).Unix(),
		QuickRoom: c.QuickRoom, QuickLeaves: c.QuickLeaves, QuickLeftAt: epochMilli(c.QuickLeftAt),
		FrameWindow: c.FrameWindow, Frames: c.Frames, PrevWindow: c.PrevWindow, PrevFrames: c.PrevFrames}
	if err := s.putVersioned(ctx, it, c.Version, now); err != nil {
		return fmt.Errorf("recording connection %s: %w", c.ID, err)
	}
	c.Version++
	return nil
}

// putVersioned writes item if the stored one is still at version read, else ErrConflict (not
// wrapped). Version 0 is no item: none at all, an expired one DynamoDB has not deleted yet (as
// reads see it), or one written before items had versions (open across the deploy that brought
// them).
func (s *DynamoStore) putVersioned(ctx context.Context, item any, read int64, now time.Time) error {
	cond, values := "attribute_not_exists(pk) OR expiresAt <= :now OR attribute_not_exists(version)", map[string]types.AttributeValue{":now": epoch(now)}
	if read != 0 {
		cond, values = "version = :v", map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: strconv.FormatInt(read, 10)}}
	}
	err := s.put(ctx, item, cond, values)
	if isConditionFailed(err) {
		return ErrConflict
	}
	return err
}

func (s *DynamoStore) GetConnection(ctx context.Context, id string) (Connection, error) {
	item, err := s.get(ctx, connKey(id))
	if err != nil {
		return Connection{}, err
	}
	if item == nil {
		return Connection{}, ErrNotFound
	}
	c, err := decodeConnection(id, item)
	return c.Connection, err
}

const regionPrefix = "REGION#"

// MarkRegion marks Region name of a multi-Region deployment failed, or clears the mark: with
// it, the other Regions take over its rooms and write nothing there (store.Regional). Written
// in any Region's replica, it reaches the others as any item does.
func (s *DynamoStore) MarkRegion(ctx context.Context, name string, failed bool) error {
	var err error
	if failed {
		_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: map[string]types.AttributeValue{
			schema.PartitionKey:  &types.AttributeValueMemberS{Value: regionPrefix + name},
			schema.KindAttribute: &types.AttributeValueMemberS{Value: schema.KindRegion},
			"failed":             &types.AttributeValueMemberBOOL{Value: true},
		}})
	} else {
		_, err = s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: keyOf(regionPrefix + name)})
	}
	if err != nil {
		return fmt.Errorf("marking Region %s: %w", name, err)
	}
	return nil
}

// RegionFailed reports whether Region name is marked failed.
func (s *DynamoStore) RegionFailed(ctx context.Context, name string) (bool, error) {
	item, err := s.get(ctx, regionPrefix+name)
	return item != nil, err
}
