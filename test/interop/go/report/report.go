// Package report is how the interop programs under test/interop/go talk to the TypeScript
// tests: one JSON object per step on stdout, "FAIL: ..." on stderr with exit status 1 for a
// setup error. Standard library only, so that every program, whatever its pinned client and
// gRPC versions, can use it.
package report

import (
	"encoding/json"
	"fmt"
	"os"
)

// Step prints one step: the fields, with "step" set to name.
func Step(name string, fields map[string]any) {
	fields["step"] = name
	line, _ := json.Marshal(fields)
	fmt.Println(string(line))
}

// Fail reports a setup error and exits with status 1.
func Fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
	os.Exit(1)
}

// ErrText is the error's text, or "" for none.
func ErrText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Guard runs f, turning a panic inside a client into an error.
func Guard(f func() error) (err error, panicked string) {
	defer func() {
		if r := recover(); r != nil {
			panicked = fmt.Sprint(r)
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return f(), ""
}
