package main

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// The README is a map: short, and with a row naming every Go package, so a newcomer finds
// where a concern lives in one look and a new package cannot go unmapped.
func TestReadmeMapsEveryPackage(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	if n := strings.Count(readme, "\n"); n > 150 {
		t.Errorf("README.md is %d lines, more than 150: what is not the map, the commands or what a player can do belongs in docs/", n)
	}
	i := strings.Index(readme, "## What's where")
	if i < 0 {
		t.Fatal(`README.md has no "## What's where" section`)
	}
	section := readme[i:]
	if j := strings.Index(section[1:], "\n## "); j >= 0 {
		section = section[:j+1]
	}
	named := map[string]bool{}
	for _, m := range regexp.MustCompile("`([A-Za-z0-9_./-]+)`").FindAllStringSubmatch(section, -1) {
		named[strings.TrimSuffix(m[1], "/")] = true
	}
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	module := "github.com/serverless-tictactoe/tictactoe"
	for _, pkg := range strings.Fields(string(out)) {
		dir := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
		if dir == "" {
			dir = "main.go" // the app itself
		}
		if !named[dir] {
			t.Errorf("README.md's map has no row naming `%s`", dir)
		}
	}
}
