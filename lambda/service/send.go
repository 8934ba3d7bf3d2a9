package service

import (
	"context"
	"errors"
	"sync"

	"github.com/serverless-tictactoe/tictactoe/lambda/connections"
	"github.com/serverless-tictactoe/tictactoe/lambda/game"
	"github.com/serverless-tictactoe/tictactoe/lambda/protocol"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
)

// announce tells a room's connections about a write that landed; it does nothing otherwise.
func (s *Service) announce(ctx context.Context, out outcome) {
	s.tellDropped(ctx, out)
	switch {
	case !out.wrote:
	case out.deleted:
		frame, err := protocol.Left(out.room.Code, "")
		if err != nil {
			s.log.ErrorContext(ctx, "encoding a left frame", "room", out.room.Code, "error", err)
			return
		}
		s.sendAll(ctx, out.room, out.room.Connections(), func(string) []byte { return frame })
	default:
		s.broadcast(ctx, out.room, nil)
	}
}

// tellDropped sends a left frame to each connection the room's clocks took a seat from (a
// broadcast reaches only those still in the room).
func (s *Service) tellDropped(ctx context.Context, out outcome) {
	for _, id := range out.dropped {
		if err := s.sendLeft(ctx, id, out.room.Code, protocol.LeftTimeout); err != nil && !isGone(err) {
			s.log.WarnContext(ctx, "telling a player the clock took the seat", "room", out.room.Code, "connectionId", id, "error", err)
		}
	}
}

// broadcast sends r to every connection following it: each player's frame says which seat is
// theirs, and tokens (connection id → seat token) go only to the connection they belong to.
func (s *Service) broadcast(ctx context.Context, r *game.Room, tokens map[string]string) {
	frames := map[string][]byte{}
	for _, id := range r.Connections() {
		var you *protocol.You
		if sym := r.SymbolOf(id); sym != game.None {
			you = &protocol.You{Symbol: string(sym), Token: tokens[id]}
		}
		frame, err := protocol.Room(r, you, s.clocks, s.now())
		if err != nil {
			s.log.ErrorContext(ctx, "encoding a room frame", "room", r.Code, "error", err)
			return
		}
		frames[id] = frame
	}
	s.sendAll(ctx, r, r.Connections(), func(id string) []byte { return frames[id] })
}

// reply sends r to one connection only.
func (s *Service) reply(ctx context.Context, connID string, r *game.Room) error {
	var you *protocol.You
	if sym := r.SymbolOf(connID); sym != game.None {
		you = &protocol.You{Symbol: string(sym)}
	}
	frame, err := protocol.Room(r, you, s.clocks, s.now())
	if err != nil {
		return err
	}
	return s.send.Send(ctx, connID, frame)
}

func (s *Service) sendLeft(ctx context.Context, connID, code, reason string) error {
	frame, err := protocol.Left(code, reason)
	if err != nil {
		return err
	}
	return s.send.Send(ctx, connID, frame)
}

// sendAll posts concurrently (a room has a handful of connections, and each post is a network
// round trip). A connection found gone is dropped from the room after the sends; other
// failures are logged and never fail the action that caused them.
//
// Dropping one announces the change, which calls sendAll again; that recursion ends because
// each drop that writes takes its connection out of r.Connections() (a watcher removed, a seat's
// ConnID cleared), a drop that finds it gone already writes and announces nothing, and a room
// has at most two seats and a bounded list of watchers: every round sends to fewer.
func (s *Service) sendAll(ctx context.Context, r *game.Room, ids []string, frameFor func(id string) []byte) {
	var mu sync.Mutex
	var gone []string
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.send.Send(ctx, id, frameFor(id))
			switch {
			case err == nil:
			case isGone(err):
				mu.Lock()
				gone = append(gone, id)
				mu.Unlock()
			default:
				s.log.WarnContext(ctx, "sending a frame", "room", r.Code, "connectionId", id, "error", err)
			}
		}()
	}
	wg.Wait()
	for _, id := range gone {
		// Its record stays for its $disconnect (or its expiry) to close. A seat is marked
		// offline in one conditional write, which its $disconnect, if first, makes fail.
		s.log.InfoContext(ctx, "dropping a gone connection", "room", r.Code, "connectionId", id)
		role := store.RoleWatcher
		if sym := r.SymbolOf(id); sym != game.None {
			role = store.RoleOf(sym)
		}
		s.dropFrom(ctx, r.Code, id, role)
	}
}

func isGone(err error) bool { return errors.Is(err, connections.ErrGone) }

// sendHistory sends connID the room's kept chat (rejoin, a new spectator): a failure to read
// it costs the history, never the seat or the watch.
func (s *Service) sendHistory(ctx context.Context, connID string, r *game.Room) {
	msgs, err := s.store.ChatHistory(ctx, r.Code, r.Series())
	if err != nil {
		s.log.ErrorContext(ctx, "reading a room's chat", "room", r.Code, "error", err.Error())
		return
	}
	if len(msgs) == 0 {
		return
	}
	lines := make([]protocol.ChatLine, len(msgs))
	for i, m := range msgs {
		lines[i] = protocol.ChatLine{From: m.From, Symbol: m.Symbol, Text: m.Text, At: m.At.UnixMilli(), Seq: m.Seq}
	}
	frame, err := protocol.ChatHistory(r.Code, lines)
	if err != nil {
		s.log.ErrorContext(ctx, "encoding a room's chat", "room", r.Code, "error", err.Error())
		return
	}
	if err := s.send.Send(ctx, connID, frame); err != nil && !isGone(err) {
		s.log.WarnContext(ctx, "sending a room's chat", "room", r.Code, "connectionId", connID, "error", err)
	}
}
