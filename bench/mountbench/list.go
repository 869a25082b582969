package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
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
	if got := countEntries(data, nlst); got != entries {
		return r, fmt.Errorf("%s %s: %d entries in %d bytes, want %d", e.name, verbOf(nlst), got, len(data), entries)
	}
	return r, nil
}

func verbOf(nlst bool) string {
	if nlst {
		return "NLST"
	}
	return "LIST"
}

// countEntries counts the lines of a listing that name a listed file.
func countEntries(data []byte, nlst bool) int {
	got := 0
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		if nlst && bytes.HasPrefix(line, []byte(entryPrefix)) ||
			!nlst && bytes.Contains(line, []byte(" "+entryPrefix)) {
			got++
		}
	}
	return got
}

// goList logs in to e with the Go client, changes into /bank/name, and
// times one LIST (or NLST) there: EPSV to 226, login not included. The
// servers' CPU time is that of the listing alone.
func goList(ctx context.Context, e endpoint, name string, nlst bool, entries int) (curlRun, error) {
	c, err := dialFTP(ctx, e)
	if err != nil {
		return curlRun{}, fmt.Errorf("%s: %w", e.name, err)
	}
	defer c.close()
	if _, err := c.cmd(250, "CWD /bank/"+name); err != nil {
		return curlRun{}, fmt.Errorf("%s: %w", e.name, err)
	}
	var data []byte
	r, err := metered(e, func(r *curlRun) error {
		start := time.Now()
		data, err = c.list(ctx, verbOf(nlst))
		r.total = time.Since(start)
		return err
	})
	if err != nil {
		return r, fmt.Errorf("%s: %w", e.name, err)
	}
	r.down = int64(len(data))
	if got := countEntries(data, nlst); got != entries {
		return r, fmt.Errorf("%s %s (Go client): %d entries in %d bytes, want %d", e.name, verbOf(nlst), got, len(data), entries)
	}
	return r, nil
}
