package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/serverless-tictactoe/tictactoe/lambda/game"
	"github.com/serverless-tictactoe/tictactoe/lambda/players"
	"github.com/serverless-tictactoe/tictactoe/lambda/region"
)

// Regional is the Store of a multi-Region deployment over the replicas of one global table
// (docs/regions.md). Global tables resolve concurrent writes to one item in two Regions by
// "last writer wins", which would lose moves; so every item has one replica that takes all its
// writes, and every Region's functions read and write it there:
//   - a room, in its home Region: the one it was created in (its code says which, see
//     region.HomeOf), or the one that took it over when that Region failed (its item says);
//   - a connection's record, in the Region the connection is held by (its id says which);
//   - the quick-match queue, in the primary Region.
//
// One strongly consistent read and one conditional write per change on one replica: the
// single-Region invariant (no double move, no lost update) holds whatever Region the players
// are connected to.
//
// Failover: once a Region is marked failed (MarkRegion: by the runbook's operator, or by
// automation on its health check; never by what one request sees, which would let two
// Regions write one room), a room homed there is read from this Region's replica and, if that
// copy still names the failed home, the next write here takes it over, conditioned on that
// home: what the failed Region wrote in its last moments and did not replicate is lost (the
// recovery point is the replication lag). The mark also fences the way back: nobody writes at
// a marked Region, so it is cleared only once that Region's replica has caught up.
type Regional struct {
	// Local is this function's Region; Primary the deployment's first; Regions all of them in
	// the deployment's order (region.HomeOf reads codes against it).
	Local, Primary string
	Regions        []string
	// Replicas is each Region's store over its replica.
	Replicas map[string]*DynamoStore
	// Timeout bounds a call to another Region's replica, so that a Region that stopped
	// answering is given up quickly. Default: RemoteTimeout.
	Timeout time.Duration
	// Log receives takeovers. Default: slog.Default().
	Log *slog.Logger

	mu     sync.Mutex
	homes  map[string]homed // room code → where its last read found it
	failed map[string]mark  // Region → whether it is marked failed, as last read
}

// mark is a Region's failure mark as read at.
type mark struct {
	failed bool
	at     time.Time
}

// MarkTTL is how long a read failure mark is trusted before it is read again.
const MarkTTL = 10 * time.Second

// RemoteTimeout bounds a call to another Region's replica by default.
const RemoteTimeout = 2 * time.Second

// maxHomes bounds the remembered homes; past it they are forgotten (and looked up again).
const maxHomes = 10000

// homed is where a room is written: at Region write, over the home it was read with (the
// failed Region's during a takeover).
type homed struct{ write, expect string }

var _ Store = (*Regional)(nil)

// NewRegional checks that every Region has a replica.
func NewRegional(r *Regional) (*Regional, error) {
	if r.Primary == "" && len(r.Regions) > 0 {
		r.Primary = r.Regions[0]
	}
	for _, name := range r.Regions {
		rep, ok := r.Replicas[name]
		if !ok {
			return nil, fmt.Errorf("store: no replica for Region %s", name)
		}
		rep.region = name
	}
	if r.Replicas[r.Local] == nil {
		return nil, fmt.Errorf("store: no replica for this function's Region %q", r.Local)
	}
	if r.Timeout <= 0 {
		r.Timeout = RemoteTimeout
	}
	if r.Log == nil {
		r.Log = slog.Default()
	}
	r.homes, r.failed = map[string]homed{}, map[string]mark{}
	return r, nil
}

// regionFailed reports whether Region name is marked failed, from this Region's replica (the
// mark is replicated like any item), read at most every MarkTTL.
func (s *Regional) regionFailed(ctx context.Context, name string, fresh bool) bool {
	s.mu.Lock()
	m, ok := s.failed[name]
	s.mu.Unlock()
	if ok && !fresh && time.Since(m.at) < MarkTTL {
		return m.failed
	}
	failed, err := s.Replicas[s.Local].RegionFailed(ctx, name)
	if err != nil {
		s.Log.WarnContext(ctx, "reading a Region's failure mark", "region", name, "error", err)
		return m.failed
	}
	s.mu.Lock()
	s.failed[name] = mark{failed: failed, at: time.Now()}
	s.mu.Unlock()
	return failed
}

// at is ctx bounded for a call to Region name.
func (s *Regional) at(ctx context.Context, name string) (context.Context, context.CancelFunc) {
	if name == s.Local {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.Timeout)
}

// unreachable reports whether err says a Region did not answer, rather than answering no.
func unreachable(err error) bool {
	if err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) || errors.Is(err, ErrExists) {
		return false
	}
	if errors.Is(err, context.Canceled) {
		return false // the request itself ended
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorFault() == smithy.FaultServer
	}
	return true // no answer at all: a network failure, a timeout
}

func (s *Regional) remember(code string, h homed) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.homes) >= maxHomes {
		s.homes = map[string]homed{}
	}
	s.homes[code] = h
}

func (s *Regional) recall(code string) homed {
	s.mu.Lock()
	h, ok := s.homes[code]
	s.mu.Unlock()
	if !ok {
		home := region.HomeOf(code, s.Regions)
		h = homed{write: home, expect: home}
	}
	return h
}

// roomAndHome reads room code at replica rep, and the Region its item says it is homed in (""
// for a room written when the deployment had one Region).
func roomAndHome(ctx context.Context, rep *DynamoStore, code string) (*game.Room, string, error) {
	item, err := rep.getRoomItem(ctx, code)
	if err != nil {
		return nil, "", err
	}
	var home struct {
		Home string `dynamodbav:"home"`
	}
	if err := attributevalue.UnmarshalMap(item, &home); err != nil {
		return nil, "", fmt.Errorf("decoding the home of room %s: %w", code, err)
	}
	r, err := DecodeRoom(item)
	return r, home.Home, err
}

// writing is the store that writes a room at its home (h.write) only while the room is still
// homed where it was read (h.expect): a room taken over by another Region since must not be
// written there. A copy of that replica's store, which holds nothing shared but its client.
func (s *Regional) writing(h homed) *DynamoStore {
	rep := *s.Replicas[h.write]
	rep.roomCondition = homeCondition(h.expect)
	return &rep
}

// homeCondition is that a room is homed in Region home ("": in the Region of a deployment that
// had one, before it had more).
func homeCondition(home string) condition {
	if home == "" {
		return condition{expr: "attribute_not_exists(home)"}
	}
	return condition{expr: "home = :home", values: map[string]types.AttributeValue{":home": &types.AttributeValueMemberS{Value: home}}}
}

// GetRoom reads the room at its home, following the home its item names, and from this
// Region's replica when the home is marked failed.
func (s *Regional) GetRoom(ctx context.Context, code string) (*game.Room, error) {
	at, failed := s.recall(code).write, ""
	for hop := 0; hop <= len(s.Regions); hop++ {
		if at != s.Local && s.regionFailed(ctx, at, false) {
			failed, at = at, s.Local // marked failed: its rooms are read, and taken over, here
			continue
		}
		cctx, cancel := s.at(ctx, at)
		r, home, err := roomAndHome(cctx, s.Replicas[at], code)
		cancel()
		if unreachable(err) && at != s.Local {
			if s.regionFailed(ctx, at, true) { // marked since the mark was last read
				failed, at = at, s.Local
				continue
			}
			// Not marked failed: the request fails and is retried; the room stays where it is.
			s.Log.WarnContext(ctx, "a room's home Region does not answer", "room", code, "home", at, "error", err)
			return nil, fmt.Errorf("room %s: its home Region %s does not answer: %w", code, at, err)
		}
		if err != nil {
			return nil, err
		}
		eff := home
		if eff == "" { // a room of the deployment's one Region, before there were more
			eff = s.Primary
		}
		switch {
		case eff == at:
			s.remember(code, homed{write: at, expect: home})
			return r, nil
		case eff == failed:
			// This Region's copy is homed where nobody answers: the next write takes it over.
			s.Log.WarnContext(ctx, "taking over a room whose home Region does not answer", "room", code, "from", failed, "to", s.Local)
			s.remember(code, homed{write: s.Local, expect: home})
			return r, nil
		}
		at = eff
	}
	return nil, fmt.Errorf("room %s: its home kept moving", code)
}

// CreateRoom creates the room in this Region: its home.
func (s *Regional) CreateRoom(ctx context.Context, r *game.Room) error {
	if err := s.Replicas[s.Local].CreateRoom(ctx, r); err != nil {
		return err
	}
	s.remember(r.Code, homed{write: s.Local, expect: s.Local})
	return nil
}

// SaveRoom writes the room at its home, over the version and the home it was read with.
func (s *Regional) SaveRoom(ctx context.Context, r *game.Room) error {
	h := s.recall(r.Code)
	cctx, cancel := s.at(ctx, h.write)
	defer cancel()
	if err := s.writing(h).SaveRoom(cctx, r); err != nil {
		return err
	}
	s.remember(r.Code, homed{write: h.write, expect: h.write})
	return nil
}

// DeleteRoom deletes the room at its home.
func (s *Regional) DeleteRoom(ctx context.Context, r *game.Room) error {
	h := s.recall(r.Code)
	cctx, cancel := s.at(ctx, h.write)
	defer cancel()
	return s.writing(h).DeleteRoom(cctx, r)
}

// connectionReplica is where a connection's record lives: with the Region that holds it.
func (s *Regional) connectionReplica(id string) (*DynamoStore, string, error) {
	name, _ := region.Split(id)
	if name == "" {
		name = s.Primary
	}
	rep, ok := s.Replicas[name]
	if !ok {
		return nil, "", fmt.Errorf("connection %s: Region %s is not one of the deployment's", id, name)
	}
	return rep, name, nil
}

func (s *Regional) PutConnection(ctx context.Context, c *Connection) error {
	rep, name, err := s.connectionReplica(c.ID)
	if err != nil {
		return err
	}
	cctx, cancel := s.at(ctx, name)
	defer cancel()
	return rep.PutConnection(cctx, c)
}

func (s *Regional) GetConnection(ctx context.Context, id string) (Connection, error) {
	rep, name, err := s.connectionReplica(id)
	if err != nil {
		return Connection{}, err
	}
	cctx, cancel := s.at(ctx, name)
	defer cancel()
	return rep.GetConnection(cctx, id)
}

// GetQueue reads the quick-match queue at the primary Region.
func (s *Regional) GetQueue(ctx context.Context) (Queue, error) {
	cctx, cancel := s.at(ctx, s.Primary)
	defer cancel()
	return s.Replicas[s.Primary].GetQueue(cctx)
}

// PutQueue writes the quick-match queue at the primary Region.
func (s *Regional) PutQueue(ctx context.Context, q *Queue) error {
	cctx, cancel := s.at(ctx, s.Primary)
	defer cancel()
	return s.Replicas[s.Primary].PutQueue(cctx, q)
}

// AppendChat keeps the message with its room: at the room's home.
func (s *Regional) AppendChat(ctx context.Context, code string, born time.Time, m ChatMessage) (int64, error) {
	h := s.recall(code)
	cctx, cancel := s.at(ctx, h.write)
	defer cancel()
	return s.Replicas[h.write].AppendChat(cctx, code, born, m)
}

// ChatHistory reads the room's chat at the room's home.
func (s *Regional) ChatHistory(ctx context.Context, code string, born time.Time) ([]ChatMessage, error) {
	h := s.recall(code)
	cctx, cancel := s.at(ctx, h.write)
	defer cancel()
	return s.Replicas[h.write].ChatHistory(cctx, code, born)
}

var _ Narrow = (*Regional)(nil)

// known is where this container last read or wrote room code, if it has: a narrow write goes
// there without a read only then (a room taken over since its code's home was computed lives
// elsewhere), and only while that Region is not marked failed.
func (s *Regional) known(ctx context.Context, code string) (homed, bool) {
	s.mu.Lock()
	h, ok := s.homes[code]
	s.mu.Unlock()
	if !ok || (h.write != s.Local && s.regionFailed(ctx, h.write, false)) {
		return homed{}, false
	}
	return h, true
}

// narrowRoom makes a narrow write at the room's known home; any failure there sends the
// caller to the read path, which finds out why (a room taken over, a Region down).
func (s *Regional) narrowRoom(ctx context.Context, code string, write func(ctx context.Context, rep *DynamoStore) (*game.Room, error)) (*game.Room, error) {
	h, ok := s.known(ctx, code)
	if !ok {
		return nil, ErrNeedsRead
	}
	cctx, cancel := s.at(ctx, h.write)
	defer cancel()
	r, err := write(cctx, s.writing(h))
	if err != nil {
		// Not ErrConflict: a refused condition here may be a home moved since, not the change
		// already made.
		return nil, fmt.Errorf("%w (%v)", ErrNeedsRead, err)
	}
	s.remember(code, homed{write: h.write, expect: h.write})
	return r, nil
}

func (s *Regional) SetOffline(ctx context.Context, code string, seat game.Symbol, id string, at time.Time) (*game.Room, error) {
	return s.narrowRoom(ctx, code, func(ctx context.Context, rep *DynamoStore) (*game.Room, error) {
		return rep.SetOffline(ctx, code, seat, id, at)
	})
}

func (s *Regional) RecordRematch(ctx context.Context, code string, seat game.Symbol, id string, at time.Time) (*game.Room, error) {
	return s.narrowRoom(ctx, code, func(ctx context.Context, rep *DynamoStore) (*game.Room, error) {
		return rep.RecordRematch(ctx, code, seat, id, at)
	})
}

func (s *Regional) ClaimConnection(ctx context.Context, id, code string, role Role) error {
	rep, name, err := s.connectionReplica(id)
	if err != nil {
		return err
	}
	cctx, cancel := s.at(ctx, name)
	defer cancel()
	return rep.ClaimConnection(cctx, id, code, role)
}

func (s *Regional) ChargeFrame(ctx context.Context, id string, window, previous int64) (Connection, error) {
	rep, name, err := s.connectionReplica(id)
	if err != nil {
		return Connection{ID: id}, err
	}
	cctx, cancel := s.at(ctx, name)
	defer cancel()
	return rep.ChargeFrame(cctx, id, window, previous)
}

func (s *Regional) CountMiss(ctx context.Context, id string) (Connection, error) {
	rep, name, err := s.connectionReplica(id)
	if err != nil {
		return Connection{ID: id}, err
	}
	cctx, cancel := s.at(ctx, name)
	defer cancel()
	return rep.CountMiss(cctx, id)
}

func (s *Regional) CloseConnection(ctx context.Context, id string) (Connection, error) {
	rep, name, err := s.connectionReplica(id)
	if err != nil {
		return Connection{ID: id}, err
	}
	cctx, cancel := s.at(ctx, name)
	defer cancel()
	return rep.CloseConnection(cctx, id)
}

// What lambda/players keeps lives in the primary Region, as the queue does: a profile and the
// leaderboard take conditional writes, which one replica must serialize. While the primary is
// marked failed, calls fail at once (ErrPrimaryDown): players then sit down unidentified and
// games go unrecorded, without each seat waiting out RemoteTimeout.
var _ Players = (*Regional)(nil)

// ErrPrimaryDown: the primary Region is marked failed, and what only it keeps is unavailable.
var ErrPrimaryDown = errors.New("the primary Region is marked failed")

func onPrimary[T any](s *Regional, ctx context.Context, f func(*DynamoStore, context.Context) (T, error)) (T, error) {
	var zero T
	if s.Primary != s.Local && s.regionFailed(ctx, s.Primary, false) {
		return zero, ErrPrimaryDown
	}
	cctx, cancel := s.at(ctx, s.Primary)
	defer cancel()
	return f(s.Replicas[s.Primary], cctx)
}

// none adapts a call that returns only an error to onPrimary.
func none(f func(*DynamoStore, context.Context) error) func(*DynamoStore, context.Context) (struct{}, error) {
	return func(d *DynamoStore, ctx context.Context) (struct{}, error) { return struct{}{}, f(d, ctx) }
}

func (s *Regional) GetPlayer(ctx context.Context, id string) (players.Profile, error) {
	return onPrimary(s, ctx, func(d *DynamoStore, ctx context.Context) (players.Profile, error) { return d.GetPlayer(ctx, id) })
}

func (s *Regional) PutPlayer(ctx context.Context, p *players.Profile) error {
	_, err := onPrimary(s, ctx, none(func(d *DynamoStore, ctx context.Context) error { return d.PutPlayer(ctx, p) }))
	return err
}

func (s *Regional) DeletePlayer(ctx context.Context, p players.Profile) error {
	_, err := onPrimary(s, ctx, none(func(d *DynamoStore, ctx context.Context) error { return d.DeletePlayer(ctx, p) }))
	return err
}

func (s *Regional) GetBoard(ctx context.Context) (players.Board, error) {
	return onPrimary(s, ctx, func(d *DynamoStore, ctx context.Context) (players.Board, error) { return d.GetBoard(ctx) })
}

func (s *Regional) PutBoard(ctx context.Context, b *players.Board) error {
	_, err := onPrimary(s, ctx, none(func(d *DynamoStore, ctx context.Context) error { return d.PutBoard(ctx, b) }))
	return err
}

func (s *Regional) MoveBand(ctx context.Context, from players.Counted, fromOK bool, to players.Counted, toOK bool) error {
	_, err := onPrimary(s, ctx, none(func(d *DynamoStore, ctx context.Context) error { return d.MoveBand(ctx, from, fromOK, to, toOK) }))
	return err
}

func (s *Regional) Bands(ctx context.Context, weeks []int64) (map[int]int, error) {
	return onPrimary(s, ctx, func(d *DynamoStore, ctx context.Context) (map[int]int, error) { return d.Bands(ctx, weeks) })
}

func (s *Regional) Recall(ctx context.Context, id, opponent string) (Recall, error) {
	return onPrimary(s, ctx, func(d *DynamoStore, ctx context.Context) (Recall, error) { return d.Recall(ctx, id, opponent) })
}

func (s *Regional) MarkErased(ctx context.Context, id string) error {
	_, err := onPrimary(s, ctx, none(func(d *DynamoStore, ctx context.Context) error { return d.MarkErased(ctx, id) }))
	return err
}

func (s *Regional) Erased(ctx context.Context, id string) (bool, error) {
	return onPrimary(s, ctx, func(d *DynamoStore, ctx context.Context) (bool, error) { return d.Erased(ctx, id) })
}

func (s *Regional) NoteSeat(ctx context.Context, id, code string) error {
	_, err := onPrimary(s, ctx, none(func(d *DynamoStore, ctx context.Context) error { return d.NoteSeat(ctx, id, code) }))
	return err
}

func (s *Regional) Seats(ctx context.Context, id string) ([]string, error) {
	return onPrimary(s, ctx, func(d *DynamoStore, ctx context.Context) ([]string, error) { return d.Seats(ctx, id) })
}

func (s *Regional) DeleteSeats(ctx context.Context, id string) error {
	_, err := onPrimary(s, ctx, none(func(d *DynamoStore, ctx context.Context) error { return d.DeleteSeats(ctx, id) }))
	return err
}
