// Command sitebuild writes the site as it is served (package frontend/sitebuild: each
// JavaScript and CSS file minified) into a directory: to see what ships, and for the first-load
// budget of e2e/browser/site.test.mjs, which measures it.
//
//	go run ./cmd/sitebuild -out dir [-src frontend/site]
package main

import (
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/serverless-tictactoe/tictactoe/frontend"
	"github.com/serverless-tictactoe/tictactoe/frontend/sitebuild"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "sitebuild:", err)
		os.Exit(1)
	}
}

// run is the command with args, its usage to stderr.
func run(args []string, stderr io.Writer) error {
	flags := flag.NewFlagSet("sitebuild", flag.ContinueOnError)
	flags.SetOutput(stderr)
	out := flags.String("out", "", "write the built site into `dir` (new or empty)")
	src := flags.String("src", "", "build the site in `dir` (default: the game's, frontend/site as this command was compiled with it)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if *out == "" || flags.NArg() > 0 {
		flags.Usage()
		return fmt.Errorf("usage: sitebuild -out dir [-src dir]")
	}
	var site fs.FS = frontend.Site()
	if *src != "" {
		site = os.DirFS(*src)
	}
	built, err := sitebuild.Build(site)
	if err != nil {
		return err
	}
	if entries, err := os.ReadDir(*out); err == nil && len(entries) > 0 {
		return fmt.Errorf("-out %s is not empty", *out)
	}
	return sitebuild.Write(*out, built)
}
