// Command disconnect is the Lambda that serves the WebSocket API's routes.FnDisconnect routes (see
// lambda/routes for which, and why routes are grouped as they are).
package main

import (
	"github.com/serverless-tictactoe/tictactoe/lambda/app"
	"github.com/serverless-tictactoe/tictactoe/lambda/routes"
)

func main() { app.Main(routes.FnDisconnect) }
