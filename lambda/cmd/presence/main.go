// Command presence is the Lambda on the game table's stream: it turns room changes into
// presence events (player online/offline/left, room abandoned/closed/expired) and publishes
// them to the alerts SNS topic.
package main

import "github.com/serverless-tictactoe/tictactoe/lambda/app/stream"

func main() { stream.Main() }
