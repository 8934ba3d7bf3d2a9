package store_test

import (
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-tictactoe/tictactoe/lambda/store"
	"github.com/serverless-tictactoe/tictactoe/lambda/store/schema"
)

// During a rolling deploy (or a rollback and a redeploy) game-function containers of the
// version before the address's share run beside the new ones. The old ChargeFrame starts a
// window with "SET frameWindow = :w, frames = :one" and knows nothing of prevFrames, so the
// record keeps the count of a window two or more back as prevFrames. The new code then reads
// that stale count as the window just before this one, and a connection at a player's pace can
// be judged past it (refused, closed at its 5th frame) once its address is past its share.
func TestChargeFrameBesideThePreviousVersion(t *testing.T) {
	s, tb := newStore(t, newClock(t0))
	if err := s.PutConnection(ctx(t), &store.Connection{ID: "c", Source: "src"}); err != nil {
		t.Fatal(err)
	}
	charge := func(window, previous int64, n int) store.Connection {
		t.Helper()
		var c store.Connection
		for range n {
			var err error
			if c, err = s.ChargeFrame(ctx(t), "c", window, previous); err != nil {
				t.Fatal(err)
			}
		}
		return c
	}
	charge(80, 70, 5) // a busy window, new code
	if c := charge(90, 80, 2); c.PrevFrames != 5 || c.Frames != 2 {
		t.Fatalf("window 90: %+v, want 2 frames, 5 before", c)
	}
	// The previous version's first frame of window 100 (HEAD~6's lambda/store/narrow.go).
	cond := "attribute_exists(pk) AND expiresAt > :now AND (attribute_not_exists(#w) OR #w < :w)"
	_, err := tb.Client.UpdateItem(ctx(t), &dynamodb.UpdateItemInput{
		TableName: &tb.Name, Key: map[string]types.AttributeValue{schema.PartitionKey: &types.AttributeValueMemberS{Value: "CONN#c"}},
		UpdateExpression: aws.String("SET #w = :w, #n = :one"), ConditionExpression: &cond,
		ExpressionAttributeNames: map[string]string{"#w": "frameWindow", "#n": "frames"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":w": &types.AttributeValueMemberN{Value: "100"}, ":one": &types.AttributeValueMemberN{Value: "1"},
			":now": &types.AttributeValueMemberN{Value: strconv.FormatInt(t0.Unix(), 10)},
		},
	})
	if err != nil {
		t.Fatalf("the previous version's write: %v", err)
	}
	// The new version's next frame in window 100: the window before it (90) had 2 frames.
	c := charge(100, 90, 1)
	if c.PrevFrames > 2 {
		t.Errorf("window 100 after a frame counted by the previous version: prevFrames %d, the count of window 80; window 90 had 2 (a mixed-version deploy over-counts a connection's pace: keep the window prevFrames belongs to, and read it only when it is the one just before)", c.PrevFrames)
	}
}
