package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/apperr"
	"github.com/serverless-tictactoe/tictactoe/lambda/game"
	"github.com/serverless-tictactoe/tictactoe/lambda/metrics"
	"github.com/serverless-tictactoe/tictactoe/lambda/players"
	"github.com/serverless-tictactoe/tictactoe/lambda/protocol"
	"github.com/serverless-tictactoe/tictactoe/lambda/store"
)

// Identify returns the identity a seat takes for the credential a seating frame carried (the
// credential proved itself when it was decoded: its id is its secret's): none for no
// credential, the player's rating as it stands, and for a player with nothing recorded yet
// their id alone: nothing is stored until a game of theirs ends. If the profile cannot be
// read, the player sits down all the same, unidentified, and the fault is logged: a database
// blip costs a game's record, never the game.
func (s *Service) Identify(ctx context.Context, cred *players.Credential) (game.Identity, error) {
	if cred == nil || s.players == nil {
		return game.Identity{}, nil
	}
	p, err := s.players.GetPlayer(ctx, cred.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return game.Identity{ID: cred.ID}, nil
	case err != nil:
		s.log.WarnContext(ctx, "playing unidentified: the player's profile is unavailable", "error", err)
		return game.Identity{}, nil
	}
	return p.Identity(), nil
}

// known reads cred's profile: ErrNotFound for an id with nothing recorded (or erased, or
// expired).
func (s *Service) known(ctx context.Context, cred players.Credential) (players.Profile, error) {
	if s.players == nil {
		return players.Profile{}, store.ErrNotFound
	}
	return s.players.GetPlayer(ctx, cred.ID)
}

// deferredKey keys the games that ended during a request whose handler records them once it
// has answered (Deferring).
type deferredKey struct{}

type deferred struct {
	mu      sync.Mutex
	records []*game.Record
}

// Deferring returns a context under which games that end are recorded by RecordDeferred, not
// before the write's frames are sent: the frame that ends a game waits for no profile write.
// Without it they are recorded at once.
func Deferring(ctx context.Context) context.Context {
	return context.WithValue(ctx, deferredKey{}, &deferred{})
}

// RecordDeferred records the games that ended under ctx (Deferring).
func (s *Service) RecordDeferred(ctx context.Context) {
	d, _ := ctx.Value(deferredKey{}).(*deferred)
	if d == nil {
		return
	}
	d.mu.Lock()
	records := d.records
	d.records = nil
	d.mu.Unlock()
	for _, rec := range records {
		s.recordGame(ctx, rec)
	}
}

// gameEnded records rec, now or when the request is answered (Deferring).
func (s *Service) gameEnded(ctx context.Context, rec *game.Record) {
	if d, _ := ctx.Value(deferredKey{}).(*deferred); d != nil {
		d.mu.Lock()
		d.records = append(d.records, rec)
		d.mu.Unlock()
		return
	}
	s.recordGame(ctx, rec)
}

// recordGame applies a game that just ended to each identified player's profile, once, and
// places the rated ones on the leaderboard. It runs after the room's write that ended the game
// (update): the record is the room's own, fixed by that write, so retries and races apply the
// same one, and each profile's conditional write applies it once. A failure is logged and
// counted; the game itself is not affected.
func (s *Service) recordGame(ctx context.Context, rec *game.Record) {
	if s.players == nil {
		return
	}
	ctx = context.WithoutCancel(ctx)
	kept := false
	for _, seat := range []game.Symbol{game.X, game.O} {
		side := rec.Side(seat)
		if side.ID == "" || side.Computer != "" {
			continue
		}
		kept = true
		if err := s.applyGame(ctx, rec, seat); err != nil {
			s.count.Count(ctx, metrics.RecordFailures, rec.Code)
			s.log.ErrorContext(ctx, "recording a finished game", "room", rec.Code, "game", rec.ID, "seat", seat, "error", err)
		}
	}
	if !kept {
		return
	}
	s.count.Count(ctx, metrics.GamesRecorded, rec.Code)
	if rec.Rated {
		s.count.Count(ctx, metrics.RatedGames, rec.Code)
	}
}

// applyGame applies rec to the profile of seat's player: one read (with the erasure marks of
// the player and their opponent) and one conditional write, again from a fresh read if another
// game of theirs landed first; the first recorded game creates the profile. Then, for a rated
// game, their rating band and the leaderboard. An erased player gets nothing, and an erased
// opponent is "Erased player" in the entry.
func (s *Service) applyGame(ctx context.Context, rec *game.Record, seat game.Symbol) error {
	side, other := rec.Side(seat), rec.Side(seat.Other())
	opponent := ""
	if other.Computer == "" {
		opponent = other.ID
	}
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		if attempt > 1 {
			if err := backOff(ctx, attempt); err != nil {
				return err
			}
		}
		r, err := s.players.Recall(ctx, side.ID, opponent)
		switch {
		case err != nil:
			return err
		case r.Erased:
			return nil // erased since they sat down: nothing is kept for them
		case !r.Found: // their first recorded game
			r.Profile = players.Profile{ID: side.ID, CreatedAt: s.now()}
		}
		p, before := r.Profile, r.Profile
		entry := players.EntryOf(rec, seat)
		if r.OpponentErased {
			entry.Opponent, entry.OpponentID = players.ErasedName, ""
		}
		if !p.Apply(entry, side.Name, s.now()) {
			return nil // applied already
		}
		if err := s.players.PutPlayer(ctx, &p); errors.Is(err, store.ErrConflict) {
			continue
		} else if err != nil {
			return err
		}
		if !rec.Rated {
			return nil
		}
		from, wasRated := players.CountedOf(before)
		to, _ := players.CountedOf(p)
		if err := s.players.MoveBand(ctx, from, wasRated, to, true); err != nil {
			return err
		}
		return s.placeOnBoard(ctx, p)
	}
	return fmt.Errorf("a player's profile: still contended after %d attempts", maxAttempts)
}

// placeOnBoard places p's standing on the leaderboard. An erasure racing the recording may have
// taken them off just before: when the board changed, the erasure mark is read once more, and
// an erased player is taken off again.
func (s *Service) placeOnBoard(ctx context.Context, p players.Profile) error {
	changed := false
	err := s.changeBoard(ctx, func(b *players.Board, now time.Time) bool {
		changed = b.Place(players.StandingOf(p), now)
		return changed
	})
	if err != nil || !changed {
		return err
	}
	gone, err := s.players.Erased(ctx, p.ID)
	if err != nil || !gone {
		return err
	}
	return s.changeBoard(ctx, func(b *players.Board, _ time.Time) bool { return b.Remove(p.ID) })
}

// changeBoard applies change to the leaderboard with a version-conditioned write, from a
// fresh read whenever another game's write landed first; no write when nothing changed.
func (s *Service) changeBoard(ctx context.Context, change func(b *players.Board, now time.Time) bool) error {
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		b, err := s.players.GetBoard(ctx)
		if err != nil {
			return err
		}
		if !change(&b, s.now()) {
			return nil
		}
		if err := s.players.PutBoard(ctx, &b); !errors.Is(err, store.ErrConflict) {
			return err
		}
		if err := backOff(ctx, attempt); err != nil {
			return err
		}
	}
	return fmt.Errorf("the leaderboard: still contended after %d attempts", maxAttempts)
}

// MyGames answers connID with its player's stats, rating, rank and history (the games frame).
// An id never seen has played nothing yet: it gets empty stats, and nothing is stored.
func (s *Service) MyGames(ctx context.Context, connID string, cred players.Credential) error {
	p, err := s.known(ctx, cred)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	var rank protocol.Rank
	if p.Rated > 0 {
		b, err := s.players.GetBoard(ctx)
		if err != nil {
			return err
		}
		if rank, err = s.rankOf(ctx, p, b); err != nil {
			return err
		}
	}
	frame, err := protocol.GamesFrame(p, rank)
	if err != nil {
		return err
	}
	return s.send.Send(ctx, connID, frame)
}

// rankOf is p's place among rated players: exact on the leaderboard b, by rating band past it
// (one more read); zero when p is not rated.
func (s *Service) rankOf(ctx context.Context, p players.Profile, b players.Board) (protocol.Rank, error) {
	if p.Rated == 0 {
		return protocol.Rank{}, nil
	}
	for i, st := range b.Live(s.now()) {
		if st.ID == p.ID {
			return protocol.Rank{Place: i + 1}, nil
		}
	}
	bands, err := s.players.Bands(ctx, players.CountedWeeks(s.now()))
	if err != nil {
		return protocol.Rank{}, err
	}
	return protocol.Rank{Place: players.RankAbove(players.Band(p.Rating), bands), About: true}, nil
}

// Leaderboard answers connID with the top players; with a credential, its own row is marked
// and its rank given.
func (s *Service) Leaderboard(ctx context.Context, connID string, cred *players.Credential) error {
	if s.players == nil {
		return errors.New("no player store")
	}
	b, err := s.players.GetBoard(ctx)
	if err != nil {
		return err
	}
	var me players.Profile
	var rank protocol.Rank
	if cred != nil {
		if me, err = s.known(ctx, *cred); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if rank, err = s.rankOf(ctx, me, b); err != nil {
			return err
		}
	}
	frame, err := protocol.LeaderboardFrame(b.Live(s.now()), me, rank)
	if err != nil {
		return err
	}
	return s.send.Send(ctx, connID, frame)
}

// ForgetMe erases cred's player (docs/privacy.md). The erasure mark comes first: from then on
// no game of theirs is recorded and they are an erased opponent in others' records. Then their
// place in the quick-match queue and the seats of every room they sat in forget their id, their
// opponents' histories keep the games as "Erased player", they leave the leaderboard and their
// rating band, and their profile, history included, is deleted, last and only if no game
// landed meanwhile (else all again). An id with nothing kept, or erased already, is answered
// the same: erasure is idempotent.
func (s *Service) ForgetMe(ctx context.Context, connID string, cred players.Credential) error {
	if s.players == nil {
		return errors.New("no player store")
	}
	if err := s.players.MarkErased(ctx, cred.ID); err != nil {
		return err
	}
	if err := s.forgetQueued(ctx, cred.ID); err != nil {
		return err
	}
	for range maxAttempts {
		p, err := s.known(ctx, cred)
		found := err == nil
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := s.forgetSeats(ctx, connID, cred.ID, p); err != nil {
			return err
		}
		if !found {
			return s.sendForgotten(ctx, connID)
		}
		if err := s.detachAll(ctx, p); err != nil {
			return err
		}
		if p.Rated > 0 {
			if err := s.changeBoard(ctx, func(b *players.Board, _ time.Time) bool { return b.Remove(p.ID) }); err != nil {
				return err
			}
		}
		if err := s.players.DeletePlayer(ctx, p); errors.Is(err, store.ErrConflict) {
			continue // a game landed meanwhile: it too has an opponent to detach
		} else if err != nil {
			return err
		}
		if p.Rated > 0 {
			if from, ok := players.CountedOf(p); ok {
				err = s.players.MoveBand(ctx, from, true, players.Counted{}, false)
			}
			if err != nil {
				s.log.WarnContext(ctx, "an erased player's rating band keeps their count", "error", err)
			}
		}
		s.count.Count(ctx, metrics.Erasures, "")
		return s.sendForgotten(ctx, connID)
	}
	return fmt.Errorf("erasing a player: still contended after %d attempts", maxAttempts)
}

// detachAll replaces p in each opponent's history: one read and one write per opponent,
// whatever the number of games against them.
func (s *Service) detachAll(ctx context.Context, p players.Profile) error {
	games := map[string][]string{}
	for _, e := range p.History {
		if e.OpponentID != "" {
			games[e.OpponentID] = append(games[e.OpponentID], e.GameID)
		}
	}
	for opponent, ids := range games {
		if err := s.detach(ctx, opponent, ids); err != nil {
			return err
		}
	}
	return nil
}

// detach replaces the erased opponent in player id's entries of games ids.
func (s *Service) detach(ctx context.Context, id string, ids []string) error {
	for range maxAttempts {
		p, err := s.players.GetPlayer(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		changed := false
		for _, g := range ids {
			changed = p.Detach(g) || changed
		}
		if !changed {
			return nil
		}
		if err := s.players.PutPlayer(ctx, &p); !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
	return errors.New("detaching games from an opponent's history: still contended")
}

// forgetQueued clears player id from the quick-match queue, so that a wait under way pairs
// them unidentified.
func (s *Service) forgetQueued(ctx context.Context, id string) error {
	return s.changeQueue(ctx, func(entries []store.QueueEntry) []store.QueueEntry {
		changed := false
		for i := range entries {
			if entries[i].Identity.ID == id {
				entries[i].Identity, changed = game.Identity{}, true
			}
		}
		if !changed {
			return nil // nothing to write
		}
		return entries
	})
}

// satIn notes that player id sat down in room code (store.Players.NoteSeat: one small write),
// so that erasure finds the room. A failure is logged: it costs only that erasure's reach (the
// erasure mark still keeps the room's games from being recorded for them).
func (s *Service) satIn(ctx context.Context, id game.Identity, code string) {
	if s.players == nil || id.ID == "" {
		return
	}
	if err := s.players.NoteSeat(ctx, id.ID, code); err != nil {
		s.log.WarnContext(ctx, "noting a player's room", "room", code, "error", err)
	}
}

// forgetSeats clears player id from the seats and last game of every room they may sit in:
// those noted (store.Players.Seats), those of their history (p), and the one connID follows;
// then forgets the rooms noted.
func (s *Service) forgetSeats(ctx context.Context, connID, id string, p players.Profile) error {
	rooms, err := s.players.Seats(ctx, id)
	if err != nil {
		return err
	}
	for _, e := range p.History {
		rooms = append(rooms, e.Code)
	}
	rec, err := s.store.GetConnection(ctx, connID)
	if err == nil && rec.RoomCode != "" {
		rooms = append(rooms, rec.RoomCode)
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	slices.Sort(rooms)
	for _, code := range slices.Compact(rooms) {
		if err := s.forgetSeat(ctx, code, id); err != nil {
			return err
		}
	}
	return s.players.DeleteSeats(ctx, id)
}

// forgetSeat clears player id from room code's seats and last game.
func (s *Service) forgetSeat(ctx context.Context, code, id string) error {
	out, err := s.update(ctx, code, func(r *game.Room, _ time.Time) error {
		changed := false
		for _, seat := range []game.Symbol{game.X, game.O} {
			if p := r.Player(seat); p != nil && p.ID == id {
				p.Identity = game.Identity{}
				changed = true
			}
		}
		if r.Ended != nil {
			for _, seat := range []game.Symbol{game.X, game.O} {
				if sd := r.Ended.Side(seat); sd.ID == id {
					sd.Identity = game.Identity{}
					changed = true
				}
			}
		}
		if !changed {
			return errNoChange
		}
		return nil
	})
	if apperr.CodeOf(err) == apperr.RoomNotFound {
		return nil
	}
	s.announce(ctx, out)
	return err
}

func (s *Service) sendForgotten(ctx context.Context, connID string) error {
	frame, err := protocol.ForgottenFrame()
	if err != nil {
		return err
	}
	return s.send.Send(ctx, connID, frame)
}
