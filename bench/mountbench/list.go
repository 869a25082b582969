package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
)

const entryPrefix = "mb-entry-"

// writeListDir creates n empty files in dir, owned by uid:gid.
func writeListDir(dir string, n, uid, gid int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		return err
	}
	for i := range n {
		name := filepath.Join(dir, fmt.Sprintf("%s%05d.edi", entryPrefix, i))
		f, err := os.Create(name)
		if err != nil {
			return err
		}
		f.Close()
		if err := os.Chown(name, uid, gid); err != nil {
			return err
		}
	}
	return nil
}

// list runs LIST (or NLST with nlst) of the folder /bank/name/ and checks
// that the reply names every entry once.
func list(ctx context.Context, e endpoint, name string, nlst bool, out string, entries int) (curlRun, error) {
	args := []string{"-o", out}
	if nlst {
		args = append(args, "--list-only")
	}
	r, err := curl(ctx, e, "/bank/"+name+"/", args...)
	if err != nil {
		return r, err
	}
	data, err := os.ReadFile(out)
	if err != nil {
		return r, err
	}
	got := 0
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		if nlst && bytes.HasPrefix(line, []byte(entryPrefix)) ||
			!nlst && bytes.Contains(line, []byte(" "+entryPrefix)) {
			got++
		}
	}
	if got != entries {
		verb := "LIST"
		if nlst {
			verb = "NLST"
		}
		return r, fmt.Errorf("%s %s: %d entries in %d bytes, want %d", e.name, verb, got, len(data), entries)
	}
	return r, nil
}
