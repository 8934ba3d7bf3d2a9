package presence

import (
	"fmt"
	"testing"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/game"
)

var at = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func room(mutate ...func(r *game.Room)) *game.Room {
	r := game.NewRoom("K7M2QX", game.Seat{Name: "Ann", TokenHash: "hx", ConnID: "cx"}, at)
	for _, m := range mutate {
		m(r)
	}
	return r
}

func joined(r *game.Room)   { _ = r.Join(game.Seat{Name: "Bob", TokenHash: "ho", ConnID: "co"}, at) }
func oOffline(r *game.Room) { r.Disconnect("co", at) }

func TestDerive(t *testing.T) {
	tests := []struct {
		name     string
		old, new *game.Room
		expired  bool
		want     string
	}{
		{"room created", nil, room(), false, "[player_online/X/Ann]"},
		{"guest joins", room(), room(joined), false, "[player_online/O/Bob]"},
		{"a move is no event", room(joined), room(joined, func(r *game.Room) { _ = r.Move("cx", 4, at) }), false, "[]"},
		{"guest drops", room(joined), room(joined, oOffline), false, "[player_offline/O/Bob]"},
		{"guest back", room(joined, oOffline), room(joined, oOffline, func(r *game.Room) { _, _, _ = r.Rejoin("ho", "co2", at) }), false, "[player_online/O/Bob]"},
		{"guest leaves", room(joined), room(joined, func(r *game.Room) { _ = r.Leave("co", at) }), false, "[player_left/O/Bob]"},
		{"host leaves", room(joined), room(joined, func(r *game.Room) { _ = r.Leave("cx", at) }), false, "[player_left/X/Ann room_abandoned//]"},
		{"new guest replaces the old in one change", room(joined), room(func(r *game.Room) {
			_ = r.Join(game.Seat{Name: "Cy", TokenHash: "hc", ConnID: "cc"}, at)
		}), false, "[player_online/O/Cy]"},
		{"closed by the players", room(), nil, false, "[room_closed//]"},
		{"expired", room(joined), nil, true, "[room_expired//]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, e := range Derive(tc.old, tc.new, tc.expired, at) {
				if e.Room != "K7M2QX" || e.At != at.UnixMilli() {
					t.Fatalf("event %+v lacks room or time", e)
				}
				got = append(got, fmt.Sprintf("%s/%s/%s", e.Type, e.Symbol, e.Name))
			}
			if fmt.Sprint(got) != tc.want && !(len(got) == 0 && tc.want == "[]") {
				t.Fatalf("got %v, want %s", got, tc.want)
			}
		})
	}
}
