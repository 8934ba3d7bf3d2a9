// Command outputs prints every stack output of a deployment in one place: the outputs file the
// CDK CLI writes at `make deploy` (cdk deploy --all --outputs-file cdk-outputs.json), stack by
// stack, the outputs a player or an operator clicks first and the teardown's list last.
//
//	make outputs                         # reads cdk-outputs.json
//	go run ./cmd/outputs -file other.json
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/serverless-tictactoe/tictactoe/stacks"
)

func main() {
	file := flag.String("file", "cdk-outputs.json", "the CDK CLI's outputs file")
	flag.Parse()
	if err := run(os.Stdout, *file); err != nil {
		fmt.Fprintln(os.Stderr, "outputs:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, file string) error {
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s not found: deploy with `make deploy` (it writes the file), or pass -file", file)
	}
	if err != nil {
		return err
	}
	var all map[string]map[string]string
	if err := json.Unmarshal(b, &all); err != nil {
		return fmt.Errorf("%s is not the CDK CLI's outputs file (stack → output → value): %w", file, err)
	}
	if len(all) == 0 {
		return fmt.Errorf("%s has no stack in it", file)
	}
	return write(w, all)
}

// write prints each stack's outputs: the ones to use first, then those a teardown needs, then
// the ones stacks publish for each other (CDK's PublishOutput… weak references).
func write(w io.Writer, all map[string]map[string]string) error {
	names := slices.Sorted(maps.Keys(all))
	var teardown []string
	for _, stack := range names {
		var use, internal []string
		for _, key := range slices.Sorted(maps.Keys(all[stack])) {
			switch {
			case strings.HasPrefix(key, stacks.TeardownOutputPrefix):
				teardown = append(teardown, fmt.Sprintf("  %-22s %-52s %s", stack, strings.TrimPrefix(key, stacks.TeardownOutputPrefix), all[stack][key]))
			case strings.HasPrefix(key, "PublishOutput") || strings.HasPrefix(key, "ExportsOutput"):
				internal = append(internal, key)
			default:
				use = append(use, fmt.Sprintf("  %-24s %s", key, all[stack][key]))
			}
		}
		if _, err := fmt.Fprintf(w, "%s\n", stack); err != nil {
			return err
		}
		for _, line := range use {
			fmt.Fprintln(w, line)
		}
		if len(internal) > 0 {
			fmt.Fprintf(w, "  (%d more that other stacks read)\n", len(internal))
		}
	}
	if len(teardown) > 0 {
		fmt.Fprintln(w, "\nLeft for a teardown by hand (docs/deploy.md, Destroy):")
		for _, line := range teardown {
			fmt.Fprintln(w, line)
		}
	}
	return nil
}
