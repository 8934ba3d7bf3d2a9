package main

import "github.com/serverless-tictactoe/tictactoe/internal/cdktest"

// Template helpers shared with the construct tests (internal/cdktest).
var (
	has         = cdktest.Has
	hasResource = cdktest.HasResource
	count       = cdktest.Count
	catch       = cdktest.Catch
	resources   = cdktest.Resources
	props       = cdktest.Props
	roundTrip   = cdktest.RoundTrip
	jsonOf      = cdktest.JSONOf
)
