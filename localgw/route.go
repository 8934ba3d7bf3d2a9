package localgw

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
)

// selectRoute evaluates the selection expression on a message (catalog.ActionOf): the route
// it names, when that is a route other than $connect and $disconnect; $default otherwise. It
// returns "" when nothing matches and there is no $default route.
func (g *Gateway) selectRoute(body string) string {
	if action := catalog.ActionOf(body); action != "" {
		if _, ok := g.routes[action]; ok && action != catalog.Connect && action != catalog.Disconnect {
			return action
		}
	}
	if _, ok := g.routes[catalog.Default]; ok {
		return catalog.Default
	}
	return ""
}

// invoke calls the function serving route as Lambda would: with its own timeout, a Lambda
// context, and a panic turned into an invocation error.
func (g *Gateway) invoke(route string, ev events.APIGatewayWebsocketProxyRequest) (resp events.APIGatewayProxyResponse, fn string, err error) {
	fn = g.routes[route]
	ctx, cancel := context.WithTimeout(g.ctx, g.limits.InvokeTimeout)
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       newID(),
		InvokedFunctionArn: "arn:aws:lambda:local:000000000000:function:" + fn,
	})
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("function %s panicked: %v\n%s", fn, p, debug.Stack())
		}
	}()
	resp, err = g.fns[fn](ctx, ev)
	if err == nil && ctx.Err() != nil {
		err = fmt.Errorf("function %s: %w after %s", fn, ctx.Err(), g.limits.InvokeTimeout)
	}
	return resp, fn, err
}

// since is a duration rounded for log lines.
func since(start time.Time) time.Duration {
	d := time.Since(start)
	if d > time.Millisecond {
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}
