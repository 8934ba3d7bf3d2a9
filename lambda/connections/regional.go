package connections

import (
	"context"
	"fmt"

	"github.com/serverless-tictactoe/tictactoe/lambda/region"
)

// Regional sends to a connection through the @connections API of the Region that holds it
// (its id says which: region.Qualify): in a multi-Region deployment the two players of a room
// may be connected to different Regions. Ids of no Region are the primary's, which held every
// connection before there were others.
type Regional struct {
	// Primary is the deployment's first Region.
	Primary string
	// By is each Region's sender.
	By map[string]Sender
}

var _ Sender = (*Regional)(nil)

func (s *Regional) route(id string) (Sender, string, error) {
	r, raw := region.Split(id)
	if r == "" {
		r = s.Primary
	}
	to, ok := s.By[r]
	if !ok {
		return nil, "", fmt.Errorf("connection %s: no @connections endpoint for Region %s", id, r)
	}
	return to, raw, nil
}

func (s *Regional) Send(ctx context.Context, id string, frame []byte) error {
	to, raw, err := s.route(id)
	if err != nil {
		return err
	}
	return to.Send(ctx, raw, frame)
}

func (s *Regional) Close(ctx context.Context, id string) error {
	to, raw, err := s.route(id)
	if err != nil {
		return err
	}
	return to.Close(ctx, raw)
}

func (s *Regional) Alive(ctx context.Context, id string) (bool, error) {
	to, raw, err := s.route(id)
	if err != nil {
		return false, err
	}
	return to.Alive(ctx, raw)
}
