package blocks

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// libraryPackages are the packages of this module that an app importing blocks may link: the
// blocks themselves, and what they cannot do without.
var libraryPackages = []string{
	"blocks", "blocks/quotas",
	// Building Go functions on this machine (GoFunction).
	"internal/gobuild",
	// The contracts between two constructs and the functions they deploy for themselves (the
	// account-role setter, the signal relay), built from lambda/ops/cmd at synth, not linked.
	"lambda/ops/accountkey", "lambda/ops/signalkey",
	// WebFrontend's defaults: the instances' user data and nginx.conf, and the default site
	// (the game's: the package embeds it). Deliberately kept: the web tier's machinery lives
	// with the site it serves, and an app passing its own SiteDir still uses the user data.
	"frontend",
	// WebFrontend's default site is the game's built for serving (each script and stylesheet
	// minified by esbuild): an app that passes its own SiteDir links it without running it.
	"frontend/sitebuild",
}

// notLibrary is what of deps is this module's but not in libraryPackages: the game's rules,
// store, handlers, metrics, catalog, capacity model, stacks, tools.
func notLibrary(deps []string) []string {
	var out []string
	for _, dep := range deps {
		rel, ok := strings.CutPrefix(dep, libraryModule+"/")
		if !ok || slices.Contains(libraryPackages, rel) {
			continue
		}
		out = append(out, rel)
	}
	return out
}

// The reusable package imports nothing of the game: an app that imports it compiles neither
// the game's rules (lambda/game) nor any other package only the game needs.
func TestBlocksLinkNothingOfTheGame(t *testing.T) {
	deps := func(pkg string) []string {
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		return strings.Fields(string(out))
	}
	if extra := notLibrary(deps("./...")); len(extra) > 0 {
		t.Errorf("blocks links packages of the game: %v (move the game's knowledge to stacks, and give the construct a prop)", extra)
	}
	// The check sees the game where it is: the game's capacity model reaches its rules.
	if extra := notLibrary(deps("../lambda/capacity")); !slices.Contains(extra, "lambda/game") {
		t.Errorf("notLibrary does not flag lambda/game in lambda/capacity's dependencies: %v", extra)
	}
}
