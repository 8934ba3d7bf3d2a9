package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/serverless-tictactoe/tictactoe/e2e/smoke"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
	"github.com/serverless-tictactoe/tictactoe/lambda/metrics"
)

// metricsAPI is the CloudWatch call the reader makes.
type metricsAPI interface {
	GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

// cloudWatch reads a deployment's per-hop latencies of a move from its metrics (the game
// function's EMF lines, lambda/metrics): each hop's p50 and p99 over the smoke's timed moves.
// EMF lines become metrics a minute or two after they are written, so it asks again every
// poll until every hop has its numbers or ctx ends.
type cloudWatch struct {
	api  metricsAPI
	poll time.Duration
}

var _ smoke.ServerSide = cloudWatch{}

// hopNames name the hops as the dashboard does.
var hopNames = map[string]string{
	metrics.ActionLatency: "in all", metrics.ReadLatency: "reads", metrics.WriteLatency: "writes", metrics.PostLatency: "slowest post",
}

func (c cloudWatch) MoveHops(ctx context.Context, from, to time.Time) ([]smoke.Hop, error) {
	in := c.query(from, to)
	for {
		hops, missing, err := c.read(ctx, in)
		if err == nil && missing == 0 {
			return hops, nil
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = fmt.Errorf("%d of %d hops had no data in time (the metrics arrive a minute or two after the moves; wait longer with -metrics-wait)", missing, len(in.MetricDataQueries)/2)
			}
			return hops, err
		case <-time.After(c.poll):
		}
	}
}

// query asks for each hop's p50 and p99 of the move action over one period that spans the
// window (whole minutes, as CloudWatch keeps them).
func (c cloudWatch) query(from, to time.Time) *cloudwatch.GetMetricDataInput {
	start, end := from.Truncate(time.Minute), to.Truncate(time.Minute).Add(time.Minute)
	period := int32(end.Sub(start) / time.Second)
	in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(start), EndTime: aws.Time(end)}
	for i, name := range metrics.Latencies() {
		for _, stat := range []string{"p50", "p99"} {
			in.MetricDataQueries = append(in.MetricDataQueries, types.MetricDataQuery{
				Id: aws.String(fmt.Sprintf("%s%d", stat, i)),
				MetricStat: &types.MetricStat{
					Metric: &types.Metric{
						Namespace:  aws.String(metrics.Namespace),
						MetricName: aws.String(name),
						Dimensions: []types.Dimension{
							{Name: aws.String(metrics.ServiceDimension), Value: aws.String(metrics.ServiceName)},
							{Name: aws.String(metrics.ActionDimension), Value: aws.String(catalog.Move)},
						},
					},
					Period: aws.Int32(period),
					Stat:   aws.String(stat),
				},
			})
		}
	}
	return in
}

// read makes the query once: the hops with both percentiles, and how many lack one.
func (c cloudWatch) read(ctx context.Context, in *cloudwatch.GetMetricDataInput) ([]smoke.Hop, int, error) {
	out, err := c.api.GetMetricData(ctx, in)
	if err != nil {
		return nil, 0, fmt.Errorf("reading the deployment's metrics: %w", err)
	}
	values := map[string]float64{}
	for _, r := range out.MetricDataResults {
		if r.Id != nil && len(r.Values) > 0 && !math.IsNaN(r.Values[0]) {
			values[*r.Id] = r.Values[0]
		}
	}
	ms := func(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }
	var hops []smoke.Hop
	missing := 0
	for i, name := range metrics.Latencies() {
		p50, ok50 := values[fmt.Sprintf("p50%d", i)]
		p99, ok99 := values[fmt.Sprintf("p99%d", i)]
		if !ok50 || !ok99 {
			missing++
			continue
		}
		hops = append(hops, smoke.Hop{Name: hopNames[name], P50: ms(p50), P99: ms(p99)})
	}
	if len(hops) == 0 && missing == 0 {
		return nil, 0, errors.New("the query asked for no hop")
	}
	return hops, missing, nil
}
