// Command disconnect is the Lambda that serves the WebSocket API's catalog.FnDisconnect routes (see
// lambda/catalog for which, and why routes are grouped as they are).
package main

import (
	"github.com/serverless-tictactoe/tictactoe/lambda/app"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
)

func main() { app.Main(catalog.FnDisconnect) }
