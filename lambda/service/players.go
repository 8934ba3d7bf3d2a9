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

// Identify checks the credential a seating frame carried and returns the identity the seat
// takes: none for no credential. An id never seen (the page drew it) sits down with its
// secret's hash, and nothing is stored until a game of theirs is recorded: a seat frame with a
// fresh id costs one read, never a write that a year's retention would keep. A credential
// whose secret does not match is refused. If the profile cannot be read, the player sits down
// all the same, unidentified, and the fault is logged: a database blip costs a game's record,
// never the game.
func (s *Service) Identify(ctx context.Context, cred *players.Credential) (game.Identity, error) {
	if cred == nil || s.players == nil {
		return game.Identity{}, nil
	}
	p, err := s.known(ctx, *cred)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return game.Identity{ID: cred.ID, NewHash: players.HashSecret(cred.Secret)}, nil
	case apperr.As(err) != nil:
		return game.Identity{}, err
	case err != nil:
		s.log.WarnContext(ctx, "playing unidentified: the player's profile is unavailable", "error", err)
		return game.Identity{}, nil
	}
	return p.Identity(), nil
}

// known reads cred's profile without creating one: ErrNotFound for an id never seen (or
// erased, or expired).
func (s *Service) known(ctx context.Context, cred players.Credential) (players.Profile, error) {
	if s.players == nil {
		return players.Profile{}, store.ErrNotFound
	}
	p, err := s.players.GetPlayer(ctx, cred.ID)
	if err != nil {
		return p, err
	}
	if !players.Matches(p.SecretHash, cred.Secret) {
		return players.Profile{}, apperr.New(apperr.NotYourPlayer, "That player id is kept with another secret.").On("player")
	}
	return p, nil
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

// applyGame applies rec to the profile of seat's player: one read and one conditional write
// (again from a fresh read if another game of theirs landed first); then, for a rated game,
// their rating band and the leaderboard.
func (s *Service) applyGame(ctx context.Context, rec *game.Record, seat game.Symbol) error {
	side := rec.Side(seat)
	entry := players.EntryOf(rec, seat)
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		if attempt > 1 {
			if err := backOff(ctx, attempt); err != nil {
				return err
			}
		}
		p, err := s.players.GetPlayer(ctx, side.ID)
		switch {
		case errors.Is(err, store.ErrNotFound) && side.NewHash == "":
			return nil // erased (or expired) since they sat down: nothing is kept for them
		case errors.Is(err, store.ErrNotFound): // their first recorded game
			p = players.Profile{ID: side.ID, SecretHash: side.NewHash, CreatedAt: s.now(), Rooms: []string{rec.Code}}
		case err != nil:
			return err
		case side.NewHash != "" && p.SecretHash != side.NewHash:
			return nil // created meanwhile under another secret: not this player's
		}
		before := p
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
		if err := s.players.MoveBand(ctx, players.Band(before.Rating), before.Rated > 0, players.Band(p.Rating), true); err != nil {
			return err
		}
		return s.changeBoard(ctx, func(b *players.Board, now time.Time) bool { return b.Place(players.StandingOf(p), now) })
	}
	return fmt.Errorf("a player's profile: still contended after %d attempts", maxAttempts)
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
	bands, err := s.players.Bands(ctx)
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

// ForgetMe erases cred's player (docs/privacy.md): their name and id leave their opponents'
// history ("Erased player"), the leaderboard and the rating bands, the seat of the room this
// connection plays in forgets them (its game is then not recorded for them), and their profile,
// history included, is deleted, last and only if no game landed meanwhile (else all again).
// An id already erased, or never seen, is answered the same: erasure is idempotent.
func (s *Service) ForgetMe(ctx context.Context, connID string, cred players.Credential) error {
	if s.players == nil {
		return errors.New("no player store")
	}
	for range maxAttempts {
		p, err := s.known(ctx, cred)
		if errors.Is(err, store.ErrNotFound) {
			// Nothing recorded yet (or erased already): the room this connection plays in may
			// still hold their id, for a first game that would create their profile.
			if err := s.forgetSeats(ctx, connID, players.Profile{ID: cred.ID}); err != nil {
				return err
			}
			return s.sendForgotten(ctx, connID)
		}
		if err != nil {
			return err
		}
		if err := s.forgetSeats(ctx, connID, p); err != nil {
			return err
		}
		for _, e := range p.History {
			if e.OpponentID != "" {
				if err := s.detach(ctx, e.OpponentID, e.GameID); err != nil {
					return err
				}
			}
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
			if err := s.players.MoveBand(ctx, players.Band(p.Rating), true, 0, false); err != nil {
				s.log.WarnContext(ctx, "an erased player's rating band keeps their count", "error", err)
			}
		}
		s.count.Count(ctx, metrics.Erasures, "")
		return s.sendForgotten(ctx, connID)
	}
	return fmt.Errorf("erasing a player: still contended after %d attempts", maxAttempts)
}

// detach replaces the erased opponent in player id's entry of game gameID.
func (s *Service) detach(ctx context.Context, id, gameID string) error {
	for range maxAttempts {
		p, err := s.players.GetPlayer(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if !p.Detach(gameID) {
			return nil
		}
		if err := s.players.PutPlayer(ctx, &p); !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("detaching game %s from an opponent's history: still contended", gameID)
}

// satIn notes in the profile of player id that they sat down in room code (Profile.Rooms), so
// that erasure finds the room; a player with no profile yet (their first recorded game notes
// its room) costs nothing. A failure is logged: it costs only that erasure's reach.
func (s *Service) satIn(ctx context.Context, id game.Identity, code string) {
	if s.players == nil || id.ID == "" || id.NewHash != "" {
		return
	}
	for range maxAttempts {
		p, err := s.players.GetPlayer(ctx, id.ID)
		if errors.Is(err, store.ErrNotFound) {
			return
		}
		if err == nil {
			if !p.SatIn(code) {
				return
			}
			if err = s.players.PutPlayer(ctx, &p); err == nil {
				return
			}
		}
		if !errors.Is(err, store.ErrConflict) {
			s.log.WarnContext(ctx, "noting a player's room", "room", code, "error", err)
			return
		}
	}
}

// forgetSeats clears player id from the seats and last game of every room they may sit in:
// those their profile noted, those of their history, and the one connID follows.
func (s *Service) forgetSeats(ctx context.Context, connID string, p players.Profile) error {
	rooms := slices.Clone(p.Rooms)
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
		if err := s.forgetSeat(ctx, code, p.ID); err != nil {
			return err
		}
	}
	return nil
}

// forgetSeat clears player id from room code's seats and last game, so that no game of theirs
// is recorded any more.
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
