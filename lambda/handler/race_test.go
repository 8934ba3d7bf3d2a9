package handler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/game"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
	"github.com/serverless-tictactoe/tictactoe/lambda/store/schema"
)

// raceRounds is how many times one connection races its seat-taking frames.
const raceRounds = 200

// One connection that sends createRoom, joinRoom and rejoin at the same instant ends with one
// seat, the one its record names; and once it closes (its $disconnect racing the frames in a
// quarter of the rounds) no room shows it online.
func TestOneSeatPerConnectionUnderRacingFrames(t *testing.T) {
	e := newEnv(t, envOptions{})
	racers := make([]string, raceRounds)
	for i := range raceRounds {
		host, rejoinHost, guest, c := fmt.Sprintf("h%d", i), fmt.Sprintf("p%d", i), fmt.Sprintf("q%d", i), fmt.Sprintf("c%d", i)
		racers[i] = c
		waiting := e.create(host, "Host")
		held := e.create(rejoinHost, "Pat")
		e.send(guest, map[string]any{"action": "joinRoom", "roomCode": held, "name": "Quinn"})
		e.disconnect(guest) // its seat is held for the grace period, for a rejoin with its token
		frames := []map[string]any{
			{"action": "createRoom", "name": "Racer"},
			{"action": "joinRoom", "roomCode": waiting, "name": "Racer"},
			{"action": "rejoin", "roomCode": held, "token": e.tokens[guest]},
		}
		closing := i%4 == 0
		var wg sync.WaitGroup
		errs := make(chan error, len(frames)+1)
		for _, f := range frames {
			wg.Add(1)
			go func() { defer wg.Done(); errs <- e.deliver(c, f) }()
		}
		if closing {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ev := golden(t, catalog.Disconnect)
				ev.RequestContext.ConnectionID = c
				_, err := e.h.Disconnect(context.Background(), ev)
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("round %d: %v", i, err)
			}
		}
	}
	seats := e.seatsOf()
	for i, c := range racers {
		rec, err := e.store.GetConnection(context.Background(), c)
		if err != nil {
			t.Fatalf("%s has no record: %v", c, err)
		}
		held := seats[c]
		if i%4 == 0 {
			if !rec.Closed || len(held.online) > 0 {
				t.Errorf("round %d: %s closed (record %+v) still shows online in %v", i, c, rec, held.online)
			}
			continue
		}
		if len(held.all) != 1 || held.all[0] != rec.RoomCode || len(held.online) != 1 {
			t.Errorf("round %d: %s holds %v (online in %v), its record names %q: want exactly that one seat", i, c, held.all, held.online, rec.RoomCode)
		}
	}
	for i, c := range racers {
		if i%4 != 0 {
			e.disconnect(c)
		}
	}
	after := e.seatsOf()
	for _, c := range racers {
		if held := after[c]; len(held.online) > 0 {
			t.Errorf("after its $disconnect %s still shows online in %v (a ghost)", c, held.online)
		}
	}
}

// deliver sends one frame as API Gateway would, safe to call from several goroutines.
func (e *env) deliver(connID string, frame map[string]any) error {
	b, err := json.Marshal(frame)
	if err != nil {
		return err
	}
	route := frame["action"].(string)
	ev := golden(e.t, route)
	ev.RequestContext.RouteKey, ev.RequestContext.ConnectionID, ev.Body = route, connID, string(b)
	resp, err := e.h.Game(context.Background(), ev)
	if err == nil && resp.StatusCode != 200 {
		err = fmt.Errorf("%s: status %d", route, resp.StatusCode)
	}
	return err
}

type held struct{ all, online []string } // room codes where a connection has a seat or a watch

// seatsOf reads every room in the table and lists, per connection, where it sits or watches.
func (e *env) seatsOf() map[string]held {
	e.t.Helper()
	out := map[string]held{}
	p := dynamodb.NewScanPaginator(e.table.Client, &dynamodb.ScanInput{
		TableName:                 aws.String(e.table.Name),
		FilterExpression:          aws.String("#k = :room"),
		ExpressionAttributeNames:  map[string]string{"#k": schema.KindAttribute},
		ExpressionAttributeValues: map[string]types.AttributeValue{":room": &types.AttributeValueMemberS{Value: schema.KindRoom}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			e.t.Fatalf("scanning the table: %v", err)
		}
		for _, item := range page.Items {
			r, err := store.DecodeRoom(item)
			if err != nil {
				e.t.Fatal(err)
			}
			for _, pl := range []*game.Player{r.X, r.O} {
				if pl == nil || pl.ConnID == "" {
					continue
				}
				h := out[pl.ConnID]
				h.all = append(h.all, r.Code)
				if pl.Online() {
					h.online = append(h.online, r.Code)
				}
				out[pl.ConnID] = h
			}
			for _, w := range r.Watchers {
				h := out[w]
				h.all, h.online = append(h.all, r.Code), append(h.online, r.Code)
				out[w] = h
			}
		}
	}
	return out
}
