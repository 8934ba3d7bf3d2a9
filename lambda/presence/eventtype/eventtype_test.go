package eventtype

import (
	"slices"
	"strings"
	"testing"
)

func TestParseList(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []Type
		wantErr string
	}{
		{in: "room_abandoned", want: []Type{RoomAbandoned}},
		{in: " player_left , room_expired,player_left", want: []Type{PlayerLeft, RoomExpired}},
		{in: "room_abandoned,,", want: []Type{RoomAbandoned}},
		{in: "player_joined", wantErr: `"player_joined" is not a presence event type: use one or more of player_online, player_offline`},
		{in: "Room_Abandoned", wantErr: "is not a presence event type"},
		{in: "", wantErr: "empty"},
		{in: " , ", wantErr: "empty"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseList(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseList(%q) = %v, %v; want an error saying %q", tc.in, got, err, tc.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("ParseList(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestEveryTypeChecks(t *testing.T) {
	for _, ty := range All() {
		if err := Check(ty); err != nil {
			t.Errorf("%s: %v", ty, err)
		}
	}
}
