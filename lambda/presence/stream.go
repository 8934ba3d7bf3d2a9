package presence

import (
	"fmt"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-tictactoe/tictactoe/lambda/game"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"

	"github.com/serverless-tictactoe/tictactoe/lambda/store/schema"
)

// ttlPrincipal is the principal of the deletions DynamoDB's TTL makes.
const ttlPrincipal = "dynamodb.amazonaws.com"

// FromRecord derives the events of one stream record. A record that is not about a room (a
// connection or marker item that got past the filter) yields none; one whose images cannot be
// decoded is an error: it is a poison record, to be retried and then sent to the queue.
func FromRecord(rec events.DynamoDBEventRecord) ([]Event, error) {
	oldRoom, err := roomImage(rec.Change.OldImage)
	if err != nil {
		return nil, fmt.Errorf("record %s: old image: %w", rec.EventID, err)
	}
	newRoom, err := roomImage(rec.Change.NewImage)
	if err != nil {
		return nil, fmt.Errorf("record %s: new image: %w", rec.EventID, err)
	}
	var evs []Event
	switch rec.EventName {
	case "INSERT", "MODIFY":
		if newRoom == nil {
			return nil, nil
		}
		evs = Derive(oldRoom, newRoom, false, rec.Change.ApproximateCreationDateTime.Time)
	case "REMOVE":
		if oldRoom == nil {
			return nil, nil
		}
		expired := rec.UserIdentity != nil && rec.UserIdentity.Type == "Service" && rec.UserIdentity.PrincipalID == ttlPrincipal
		evs = Derive(oldRoom, nil, expired, rec.Change.ApproximateCreationDateTime.Time)
	default:
		return nil, fmt.Errorf("record %s: unknown event name %q", rec.EventID, rec.EventName)
	}
	for i := range evs {
		evs[i].Source = rec.EventID
	}
	return evs, nil
}

// roomImage decodes a stream image: nil for no image or an item that is not a room.
func roomImage(img map[string]events.DynamoDBAttributeValue) (*game.Room, error) {
	if len(img) == 0 {
		return nil, nil
	}
	item, err := toSDK(img)
	if err != nil {
		return nil, err
	}
	kind, _ := item[schema.KindAttribute].(*types.AttributeValueMemberS)
	if kind == nil || kind.Value != schema.KindRoom {
		return nil, nil
	}
	return store.DecodeRoom(item)
}

// toSDK converts a stream image to the SDK's attribute values, so the store's own decoding
// reads stream images and table items alike.
func toSDK(img map[string]events.DynamoDBAttributeValue) (map[string]types.AttributeValue, error) {
	out := make(map[string]types.AttributeValue, len(img))
	for k, v := range img {
		av, err := attr(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", k, err)
		}
		out[k] = av
	}
	return out, nil
}

func attr(v events.DynamoDBAttributeValue) (av types.AttributeValue, err error) {
	// The accessors panic on a type mismatch; DataType() guards every call, and this recover
	// turns a malformed image into an error rather than a crashed batch.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed attribute value: %v", r)
		}
	}()
	switch v.DataType() {
	case events.DataTypeString:
		return &types.AttributeValueMemberS{Value: v.String()}, nil
	case events.DataTypeNumber:
		if _, err := strconv.ParseFloat(v.Number(), 64); err != nil {
			return nil, fmt.Errorf("number %q: %w", v.Number(), err)
		}
		return &types.AttributeValueMemberN{Value: v.Number()}, nil
	case events.DataTypeBoolean:
		return &types.AttributeValueMemberBOOL{Value: v.Boolean()}, nil
	case events.DataTypeNull:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case events.DataTypeBinary:
		return &types.AttributeValueMemberB{Value: v.Binary()}, nil
	case events.DataTypeStringSet:
		return &types.AttributeValueMemberSS{Value: v.StringSet()}, nil
	case events.DataTypeNumberSet:
		return &types.AttributeValueMemberNS{Value: v.NumberSet()}, nil
	case events.DataTypeBinarySet:
		return &types.AttributeValueMemberBS{Value: v.BinarySet()}, nil
	case events.DataTypeList:
		var l []types.AttributeValue
		for _, e := range v.List() {
			a, err := attr(e)
			if err != nil {
				return nil, err
			}
			l = append(l, a)
		}
		return &types.AttributeValueMemberL{Value: l}, nil
	case events.DataTypeMap:
		m, err := toSDK(v.Map())
		if err != nil {
			return nil, err
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	}
	return nil, fmt.Errorf("unsupported attribute type %v", v.DataType())
}
