package constructs

import "github.com/serverless-tictactoe/tictactoe/internal/gobuild"

// goBuild and findModuleDir are the build the function assets use (internal/gobuild), shared
// with the benchmark's package-size measurement so both measure the same binaries.
type goBuild = gobuild.Command

var findModuleDir = gobuild.FindModuleDir
