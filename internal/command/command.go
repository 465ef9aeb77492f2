// Package command gives kvplace's commands Go's conventions. -h prints the usage and
// exits 0; bad usage prints what is wrong and the usage and exits 2; any other error is
// printed once, after the command's name, and exits 1. The usage starts with a synopsis
// that names the positional arguments and a line on what the command does.
//
//	fs := flag.NewFlagSet("scenario", flag.ContinueOnError)
//	command.Setup(fs, stderr, "scenario [flags] [FILE]", "Runs a runbook ...")
//	if err := command.Parse(fs, args); err != nil {
//		return err
//	}
//	...
//	os.Exit(command.Exit("scenario", run(...), os.Stderr))
package command

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// A usageError is bad usage whose message and the usage are already printed.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// IsUsage reports whether err is bad usage (exit status 2).
func IsUsage(err error) bool {
	var u *usageError
	return errors.As(err, &u)
}

// Setup makes fs print its errors and usage to out, the usage being synopsis, about and
// the flags.
func Setup(fs *flag.FlagSet, out io.Writer, synopsis, about string) {
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "usage: %s\n\n%s\n\nflags:\n", synopsis, strings.TrimSpace(about))
		fs.PrintDefaults()
	}
}

// Parse parses args with fs. It returns flag.ErrHelp for -h, and a usage error (already
// printed with the usage, by the flag package) for a bad flag.
func Parse(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	return &usageError{err}
}

// Usagef prints a usage mistake that the flag package cannot see (a missing or extra
// argument) with the usage of fs, and returns it as a usage error.
func Usagef(fs *flag.FlagSet, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	fmt.Fprintf(fs.Output(), "%s: %v\n", fs.Name(), err)
	fs.Usage()
	return &usageError{err}
}

// Exit returns the exit status for err, the outcome of command name, and prints err to
// stderr when it is neither help nor bad usage (which are printed already): once, after
// the name, unless its text starts with the name already.
func Exit(name string, err error, stderr io.Writer) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case IsUsage(err):
		return 2
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, name+": ") {
		msg = name + ": " + msg
	}
	fmt.Fprintln(stderr, msg)
	return 1
}

// Progress returns stderr if it is a terminal, for the progress lines of a long run, and
// nil otherwise: a log file or a pipe gets no percentages rewritten with \r, and a CI log
// no hundred lines of counts.
func Progress(stderr io.Writer) io.Writer {
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return stderr
	}
	return nil
}

// Given reports whether the flag name was set on the command line of fs (after Parse).
func Given(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}
