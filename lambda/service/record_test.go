package service

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/store"
	"github.com/serverless-tictactoe/tictactoe/lambda/store/memstore"
)

type nopSender struct{}

func (nopSender) Send(context.Context, string, []byte) error  { return nil }
func (nopSender) Close(context.Context, string) error         { return nil }
func (nopSender) Alive(context.Context, string) (bool, error) { return true, nil }

// fromRecord reads the record again only while a step says another frame changed it first, and
// at most maxAttempts times; any other error, and a closed connection, end it at once.
func TestFromRecordReadsAgainOnlyForAChangedRecord(t *testing.T) {
	other := errors.New("the room is full")
	for _, c := range []struct {
		name      string
		closed    bool
		fails     []error // the step's answer on each call; nil once it runs out
		wantCalls int
		wantErr   error
	}{
		{"first time", false, nil, 1, nil},
		{"changed twice, then written", false, []error{recordChanged(store.ErrConflict), recordChanged(store.ErrConflict)}, 3, nil},
		{"another error is returned at once", false, []error{other}, 1, other},
		{"a conflict of another write is not read again", false, []error{fmt.Errorf("leaving: %w", store.ErrConflict)}, 1, store.ErrConflict},
		{"closed: no step", true, nil, 0, ErrClosed},
		{"always changed: gives up", false, repeat(recordChanged(store.ErrConflict), maxAttempts+2), maxAttempts, errRecordChanged},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			st := memstore.New()
			if err := st.PutConnection(ctx, &store.Connection{ID: "c1", Closed: c.closed}); err != nil {
				t.Fatal(err)
			}
			s := New(Options{Store: st, Sender: nopSender{}, Grace: time.Minute})
			calls := 0
			err := s.fromRecord(ctx, "c1", changedFirst, func(current store.Connection) error {
				calls++
				if current.ID != "c1" {
					t.Errorf("step got record %q", current.ID)
				}
				if calls <= len(c.fails) {
					return c.fails[calls-1]
				}
				return nil
			})
			if calls != c.wantCalls {
				t.Errorf("%d steps, want %d", calls, c.wantCalls)
			}
			if (c.wantErr == nil) != (err == nil) || (c.wantErr != nil && !errors.Is(err, c.wantErr)) {
				t.Errorf("err = %v, want %v", err, c.wantErr)
			}
		})
	}
}

func repeat(err error, n int) []error {
	out := make([]error, n)
	for i := range out {
		out[i] = err
	}
	return out
}
