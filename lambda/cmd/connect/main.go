// Command connect is the Lambda that serves the WebSocket API's catalog.FnConnect routes (see
// lambda/catalog for which, and why routes are grouped as they are). It links the DynamoDB
// client only (lambda/app/connect).
package main

import (
	"github.com/serverless-tictactoe/tictactoe/lambda/app/base"
	"github.com/serverless-tictactoe/tictactoe/lambda/app/connect"
	"github.com/serverless-tictactoe/tictactoe/lambda/catalog"
)

func main() { base.Main(catalog.FnConnect, connect.New) }
