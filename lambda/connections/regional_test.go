package connections

import (
	"context"
	"testing"
)

type recording struct {
	name string
	got  *[]string
}

func (r recording) Send(_ context.Context, id string, _ []byte) error {
	*r.got = append(*r.got, r.name+":"+id)
	return nil
}
func (r recording) Close(context.Context, string) error         { return nil }
func (r recording) Alive(context.Context, string) (bool, error) { return true, nil }

// Each connection goes through its own Region's API: unqualified ids are the primary's; a
// Region not known yet is looked up again, at most every RefreshEvery.
func TestRegionalRoutesByTheConnectionsRegion(t *testing.T) {
	var got []string
	refreshes := 0
	s := NewRegional(&Regional{Local: "eu-central-1", Primary: "eu-west-1", Refresh: func(context.Context) (map[string]Sender, error) {
		refreshes++
		return map[string]Sender{
			"eu-west-1": recording{"west", &got}, "eu-central-1": recording{"central", &got}, "us-east-1": recording{"east", &got},
		}, nil
	}}, map[string]Sender{"eu-west-1": recording{"west", &got}, "eu-central-1": recording{"central", &got}})
	ctx := context.Background()
	for _, id := range []string{"GXLKAe7jFiACGgQ=", "eu-central-1~abc=", "us-east-1~new="} {
		if err := s.Send(ctx, id, nil); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
	}
	want := []string{"west:GXLKAe7jFiACGgQ=", "central:abc=", "east:new="}
	if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("sent %v, want %v", got, want)
	}
	if refreshes != 1 {
		t.Fatalf("%d refreshes, want 1 (for the Region added later)", refreshes)
	}
	if err := s.Send(ctx, "ap-south-1~x=", nil); err == nil || refreshes != 1 {
		t.Fatalf("an unknown Region right after a refresh: %v, %d refreshes", err, refreshes)
	}
}
