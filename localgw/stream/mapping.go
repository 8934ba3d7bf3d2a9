package stream

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
)

// Mapping delivers stream records to a function as a Lambda event source mapping with
// ReportBatchItemFailures and BisectBatchOnFunctionError does, one shard in order:
//   - records no filter matches are dropped (no filter: all pass);
//   - batches of up to BatchSize;
//   - a batch item failure checkpoints before the failed record, and the next batch starts
//     with it; a function error, or a failure of the batch's first record, is a retry of that
//     batch, bisected (half the records);
//   - after RetryAttempts retries the failing batch goes to the dead-letter list, and
//     delivery goes on after it.
type Mapping struct {
	Filters       []map[string]any
	BatchSize     int
	RetryAttempts int
	Invoke        func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error)
}

// Result is what a run delivered.
type Result struct {
	// Delivered are the records that passed the filters; Invocations the function's calls.
	Delivered, Invocations int
	// DeadLetters are the records that failed for good.
	DeadLetters []events.DynamoDBEventRecord
}

// Run delivers records. Its error is a mapping that cannot run (no function, a filter it
// cannot read), never the function's.
func (m Mapping) Run(ctx context.Context, records []events.DynamoDBEventRecord) (Result, error) {
	var res Result
	if m.Invoke == nil || m.BatchSize < 1 || m.RetryAttempts < 0 {
		return res, errors.New("a mapping needs Invoke, a BatchSize of 1 or more and RetryAttempts of 0 or more")
	}
	var pending []events.DynamoDBEventRecord
	for _, rec := range records {
		pass := len(m.Filters) == 0
		for _, f := range m.Filters {
			ok, err := Match(f, rec)
			if err != nil {
				return res, fmt.Errorf("filter %v: %w", f, err)
			}
			pass = pass || ok
		}
		if pass {
			pending = append(pending, rec)
		}
	}
	res.Delivered = len(pending)
	size, retries := m.BatchSize, 0
	for len(pending) > 0 {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		batch := pending[:min(size, len(pending))]
		resp, err := m.Invoke(ctx, events.DynamoDBEvent{Records: batch})
		res.Invocations++
		failed := len(batch) // no failure
		if err != nil {
			failed = 0
		} else {
			for _, f := range resp.BatchItemFailures {
				i := indexOf(batch, f.ItemIdentifier)
				if i < 0 {
					i = 0 // an identifier not in the batch: Lambda retries the whole batch
				}
				failed = min(failed, i)
			}
		}
		if failed == len(batch) {
			pending, size, retries = pending[len(batch):], m.BatchSize, 0
			continue
		}
		if failed > 0 { // progress: the failed record heads a new batch
			pending, size, retries = pending[failed:], m.BatchSize, 0
			continue
		}
		retries++
		if retries > m.RetryAttempts {
			res.DeadLetters = append(res.DeadLetters, batch...)
			pending, size, retries = pending[len(batch):], m.BatchSize, 0
			continue
		}
		size = max(1, len(batch)/2)
	}
	return res, nil
}

func indexOf(batch []events.DynamoDBEventRecord, seq string) int {
	for i, r := range batch {
		if r.Change.SequenceNumber == seq {
			return i
		}
	}
	return -1
}
