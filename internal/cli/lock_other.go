//go:build !unix

package cli

// lockServe does nothing where flock(2) is missing.
func lockServe(string) (func(), error) { return func() {}, nil }
