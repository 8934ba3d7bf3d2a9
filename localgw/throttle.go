package localgw

import (
	"fmt"
	"time"

	"github.com/serverless-tictactoe/tictactoe/lambda/ratelimit"
)

// Throttle is a token bucket: Rate requests per second, bursts of Burst, as API Gateway
// throttles a stage or a route (docs/capacity.md).
type Throttle struct {
	Rate, Burst float64
}

// throttles are the gateway's buckets: one for every route without settings of its own (the
// stage's default route settings), one per route with its own.
type throttles struct {
	stage  *ratelimit.Limiter // nil: the stage is not throttled
	routes map[string]*ratelimit.Limiter
}

const stageKey = "" // no route key is empty

func newThrottles(stage *Throttle, routes map[string]Throttle, now func() time.Time) (throttles, error) {
	t := throttles{routes: map[string]*ratelimit.Limiter{}}
	limiter := func(what string, th Throttle) (*ratelimit.Limiter, error) {
		if th.Rate <= 0 || th.Burst < 1 {
			return nil, fmt.Errorf("throttle of %s: %v per second with bursts of %v would refuse everything", what, th.Rate, th.Burst)
		}
		return ratelimit.New(th.Rate, int(th.Burst), now), nil
	}
	var err error
	if stage != nil {
		if t.stage, err = limiter("the stage", *stage); err != nil {
			return t, err
		}
	}
	for key, th := range routes {
		if t.routes[key], err = limiter("route "+key, th); err != nil {
			return t, err
		}
	}
	return t, nil
}

// allow takes a token for one request to route, reporting false when it is throttled.
func (t throttles) allow(route string) bool {
	if l, ok := t.routes[route]; ok {
		return l.Allow(route)
	}
	return t.stage.Allow(stageKey) // a nil Limiter allows everything
}
