// Package mapping is the presence function's event source mapping: which stream records it
// takes and how they are batched and retried. The CDK app sets it on the mapping, and the local
// stream (localgw/stream) runs the function under the same rules. A leaf package: the CDK app
// reads it without linking the function.
package mapping

import "github.com/serverless-tictactoe/tictactoe/lambda/store/schema"

const (
	// BatchSize is the most records per invocation: with a few calls per record, a batch
	// stays well inside the function's timeout.
	BatchSize = 20
	// RetryAttempts bounds the retries of a failing record (the batch is bisected towards it);
	// after them it goes to the dead-letter queue.
	RetryAttempts = 3
)

// Filters are the stream records the presence function takes, as Lambda event filter patterns
// over the stream record: a room created, a room deleted (by the players or by the TTL: the
// function tells them apart), and a room changed in a way that changes presence. Everything
// else (moves, chat, connection items, the function's own markers) is dropped before it is
// billed.
//
// In a multi-Region deployment (region set) every replica's stream carries every change,
// whichever Region made it, so each Region's function takes only the rooms homed in it: every
// room write is made at its home and names it (schema.HomeAttribute), so each change is
// published once, by its home, and presence goes on in the Regions that stay up. The primary
// also takes rooms homed nowhere: written in one Region, before the second.
//
// Lambda accepts five filters per mapping: one Region uses three, a multi-Region primary four.
func Filters(region string, primary bool) []map[string]any {
	kindRoom := map[string]any{"S": []any{schema.KindRoom}}
	if region == "" {
		return []map[string]any{
			{"eventName": []any{"INSERT"}, "dynamodb": map[string]any{"NewImage": map[string]any{schema.KindAttribute: kindRoom}}},
			{"eventName": []any{"MODIFY"}, "dynamodb": map[string]any{"NewImage": map[string]any{
				schema.KindAttribute: kindRoom, schema.PresenceChangedAttribute: map[string]any{"BOOL": []any{true}},
			}}},
			{"eventName": []any{"REMOVE"}, "dynamodb": map[string]any{"OldImage": map[string]any{schema.KindAttribute: kindRoom}}},
		}
	}
	// A created room always has presenceChanged set (game.NewRoom): one pattern covers both.
	homes := []any{map[string]any{"S": []any{region}}}
	if primary {
		// On the leaf: Lambda's exists matches leaves only, and an image's home is {"S": …}.
		homes = append(homes, map[string]any{"S": []any{map[string]any{"exists": false}}})
	}
	var filters []map[string]any
	for _, home := range homes {
		filters = append(filters,
			map[string]any{"eventName": []any{"INSERT", "MODIFY"}, "dynamodb": map[string]any{"NewImage": map[string]any{
				schema.KindAttribute: kindRoom, schema.PresenceChangedAttribute: map[string]any{"BOOL": []any{true}}, schema.HomeAttribute: home,
			}}},
			map[string]any{"eventName": []any{"REMOVE"}, "dynamodb": map[string]any{"OldImage": map[string]any{
				schema.KindAttribute: kindRoom, schema.HomeAttribute: home,
			}}},
		)
	}
	return filters
}
