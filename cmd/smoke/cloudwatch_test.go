package main

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/serverless-tictactoe/tictactoe/lambda/metrics"
)

// fakeMetrics answers GetMetricData as CloudWatch would once the EMF lines have arrived: with
// nothing for the first `late` calls, then a value per query (its id's percentile).
type fakeMetrics struct {
	mu    sync.Mutex
	late  int
	calls []*cloudwatch.GetMetricDataInput
}

func (f *fakeMetrics) GetMetricData(_ context.Context, in *cloudwatch.GetMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, in)
	out := &cloudwatch.GetMetricDataOutput{}
	for _, q := range in.MetricDataQueries {
		r := types.MetricDataResult{Id: q.Id}
		if len(f.calls) > f.late {
			v := 4.5
			if strings.HasPrefix(*q.Id, "p99") {
				v = 12.25
			}
			r.Values = []float64{v}
		}
		out.MetricDataResults = append(out.MetricDataResults, r)
	}
	return out, nil
}

func TestCloudWatchReadsEachHopOfAMove(t *testing.T) {
	from := time.Date(2026, 12, 6, 14, 0, 30, 0, time.UTC)
	to := from.Add(90 * time.Second)
	tests := []struct {
		name    string
		late    int
		wait    time.Duration
		wantErr string
	}{
		{"there at once", 0, time.Second, ""},
		{"arriving late", 2, time.Second, ""},
		{"never in time", 1000, 50 * time.Millisecond, "4 of 4 hops had no data in time"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeMetrics{late: tc.late}
			ctx, cancel := context.WithTimeout(context.Background(), tc.wait)
			defer cancel()
			hops, err := cloudWatch{api: f, poll: 5 * time.Millisecond}.MoveHops(ctx, from, to)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(hops) != len(metrics.Latencies()) {
				t.Fatalf("hops %+v, err %v", hops, err)
			}
			if h := hops[0]; h.Name != "in all" || h.P50 != 4500*time.Microsecond || h.P99 != 12250*time.Microsecond {
				t.Fatalf("the first hop %+v", h)
			}
			// One period over the whole window, in whole minutes, for the move action.
			in := f.calls[0]
			if !aws.ToTime(in.StartTime).Equal(from.Truncate(time.Minute)) || !aws.ToTime(in.EndTime).Equal(to.Truncate(time.Minute).Add(time.Minute)) {
				t.Fatalf("window %v..%v", in.StartTime, in.EndTime)
			}
			q := in.MetricDataQueries[1].MetricStat
			if *q.Period != 180 || *q.Stat != "p99" || *q.Metric.Namespace != metrics.Namespace || len(q.Metric.Dimensions) != 2 ||
				*q.Metric.Dimensions[1].Name != metrics.ActionDimension || *q.Metric.Dimensions[1].Value != "move" {
				t.Fatalf("query %+v", q)
			}
		})
	}
}
