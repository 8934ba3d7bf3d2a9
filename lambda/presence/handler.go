package presence

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// DoneLog remembers which records were published (store.DynamoStore implements it).
type DoneLog interface {
	Done(ctx context.Context, id string) (bool, error)
	MarkDone(ctx context.Context, id string, keep time.Duration) error
}

// keepMarkers outlives the stream's 24-hour retention: a record cannot come back after that.
const keepMarkers = 48 * time.Hour

// Handler consumes the game table's stream.
type Handler struct {
	pub  Publisher
	done DoneLog
	log  *slog.Logger
}

// NewHandler returns a stream handler publishing through pub and remembering published
// records in done.
func NewHandler(pub Publisher, done DoneLog, log *slog.Logger) *Handler {
	return &Handler{pub: pub, done: done, log: log}
}

// Handle processes a batch in order. On the first record that fails it stops and reports that
// record as the batch item failure: Lambda retries from it (with bisection and a bounded
// number of retries, then the on-failure queue), and records before it are not redone. A
// record already published (a redelivery) is skipped.
func (h *Handler) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var resp events.DynamoDBEventResponse
	for _, rec := range ev.Records {
		n, err := h.record(ctx, rec)
		if err != nil {
			h.log.ErrorContext(ctx, "stream record failed", "eventID", rec.EventID, "eventName", rec.EventName,
				"sequenceNumber", rec.Change.SequenceNumber, "error", err.Error())
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: rec.Change.SequenceNumber})
			return resp, nil
		}
		h.log.InfoContext(ctx, "stream record", "eventID", rec.EventID, "eventName", rec.EventName, "published", n)
	}
	return resp, nil
}

func (h *Handler) record(ctx context.Context, rec events.DynamoDBEventRecord) (int, error) {
	evs, err := FromRecord(rec)
	if err != nil {
		return 0, err
	}
	published := 0
	for i, e := range evs {
		// One marker per event: a retry after a failure part-way through a record publishes
		// only what is missing.
		id := fmt.Sprintf("%s#%d", rec.EventID, i)
		done, err := h.done.Done(ctx, id)
		if err != nil {
			return published, fmt.Errorf("checking whether %s was published: %w", id, err)
		}
		if done {
			continue
		}
		if err := h.pub.Publish(ctx, e); err != nil {
			return published, err
		}
		if err := h.done.MarkDone(ctx, id, keepMarkers); err != nil {
			return published, err
		}
		published++
	}
	return published, nil
}

// LogPublisher writes events to the log: what production would publish, for local runs.
type LogPublisher struct{ Log *slog.Logger }

func (p LogPublisher) Publish(ctx context.Context, e Event) error {
	p.Log.InfoContext(ctx, "presence event", "type", string(e.Type), "room", e.Room, "symbol", e.Symbol, "name", e.Name)
	return nil
}
