// Command wenshu is the wenshu server and its operator commands. It only
// wires things up: it reads one typed configuration from flags and the
// environment (config.go, which refuses a bad value with exit status 2),
// opens what a command needs through one helper (config.open), calls the
// package that decides, prints the answer and maps it to an exit status.
// The decisions are not here: catch-up or reindex at start is
// indexer.Prepare, adding or updating a unit is identity.UpsertUnit, what
// a verification prints and whether it failed is archive.VerifyReport, and
// a person list is split by archive.SplitPersons, as in the server.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

// commands is the registry of subcommands, filled by init functions at
// start and read-only afterwards.
var commands = map[string]command{}

func register(name string, c command) {
	if _, dup := commands[name]; dup {
		panic("wenshu: command registered twice: " + name)
	}
	commands[name] = c
}

// env is what every command may use: its output streams.
type env struct {
	stdout io.Writer
	stderr io.Writer
	stdin  io.Reader
}

// errUsage marks a usage error (exit status 2); the flag package or the
// command has already said what is wrong.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &env{stdout: os.Stdout, stderr: os.Stderr, stdin: os.Stdin})
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	name := args[0]
	// Two-word commands: "unit add", "user add", "keys export".
	if len(args) > 1 {
		if _, ok := commands[name+" "+args[1]]; ok {
			name, args = name+" "+args[1], args[1:]
		}
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(e.stderr, "wenshu: unknown command %q\n\n", name)
		usage(e.stderr)
		return 2
	}
	return exitCode(e, name, c.run(ctx, e, args[1:]))
}

// exitCode prints a command's error and maps it to the exit status: 0 done,
// 1 failed, 2 a usage error or a refused configuration value.
func exitCode(e *env, name string, err error) int {
	var bad configError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage) || errors.Is(err, flag.ErrHelp):
		return 2
	case errors.As(err, &bad):
		fmt.Fprintf(e.stderr, "wenshu %s: %v\n", name, err)
		return 2
	}
	fmt.Fprintf(e.stderr, "wenshu %s: %v\n", name, err)
	return 1
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "wenshu — 纪检监察文书生成与电子档案服务 (document generation and records archive)")
	fmt.Fprintln(w, "\nUsage: wenshu <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-16s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'wenshu <command> -h' for a command's flags.")
}

// newFlags makes a flag set that reports errors instead of exiting.
func newFlags(name string, e *env) *flag.FlagSet {
	fs := flag.NewFlagSet("wenshu "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// writeJSON prints v as the JSON answer of a command run with --json.
func writeJSON(w io.Writer, v any) error {
	if err := json.NewEncoder(w).Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

func newLogger(w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	if os.Getenv("WENSHU_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}
