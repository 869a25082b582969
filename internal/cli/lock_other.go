//go:build !unix

package cli

// lockServe does nothing where flock(2) is missing.
func lockServe(string, string) (func(), error) { return func() {}, nil }

// runningServe cannot tell here.
func runningServe(string) (string, bool) { return "", false }
