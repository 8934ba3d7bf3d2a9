// Command floor is the least a Go Lambda function on aws-lambda-go can be: a handler that
// answers its event with it, no SDK client and no wiring. bench/coldstart starts it beside the
// functions, built the same way: its init is the floor under theirs on the machine measured (the
// process, the Go runtime, the standard library's and aws-lambda-go's inits, the Runtime API's
// first request).
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(_ context.Context, event json.RawMessage) (json.RawMessage, error) { return event, nil })
}
