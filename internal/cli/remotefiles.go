package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/wharf-mft/wharf/internal/remote"
	"github.com/wharf-mft/wharf/internal/store"
)

// remotePath is NAME:PATH split in two. PATH is relative to the remote's
// root; "" is the root.
type remotePath struct {
	name, path string
}

func (p remotePath) String() string {
	if p.path == "" {
		return p.name + ":/"
	}
	return p.name + ":" + p.path
}

// hint adds to a failed operation on a remote how to find out more.
func (p remotePath) hint(err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return err
	}
	return fmt.Errorf("%w (`wharf remote test %s` checks the connection step by step)", err, p.name)
}

// parseRemotePath splits NAME:PATH; a bare NAME is allowed only when
// bareOK. Remote names cannot hold ':'.
func parseRemotePath(s string, bareOK bool) (remotePath, error) {
	if err := urlAsName(s); err != nil {
		return remotePath{}, fmt.Errorf("want NAME:PATH: %w", err)
	}
	name, p, ok := strings.Cut(s, ":")
	if !ok && !bareOK {
		return remotePath{}, fmt.Errorf("%q is not a remote path: write NAME:PATH, e.g. acme:/outbox/order.edi", s)
	}
	if err := store.ValidateName(name); err != nil {
		return remotePath{}, fmt.Errorf("%q: remote %w", s, err)
	}
	return remotePath{name: name, path: p}, nil
}

// pool returns the shared pool of the remote p names.
func (e *remoteEnv) pool(ctx context.Context, p remotePath) (*remote.Pool, error) {
	if _, err := getRemote(ctx, e.st, p.name); err != nil {
		return nil, err
	}
	pool, _, err := e.set.Pool(ctx, p.name)
	return pool, err
}

// lsEntry is one line of `remote ls`.
type lsEntry struct {
	Path    string    `json:"path"`
	Type    string    `json:"type"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mod_time,omitzero"`
}

func (n remotes) lsCmd() *cobra.Command {
	var depth int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ls NAME[:PATH]",
		Short: "List a folder on a remote",
		Long: `List a folder on a remote: its root without PATH. --depth N also lists the
folders inside, N levels deep (0: all of them). Symbolic links are shown but
never followed.`,
		Example: `  wharf remote ls acme
  wharf remote ls acme:/outbox --depth 2
  wharf remote ls acme: --json | jq -r '.[] | select(.type == "file") | .path'`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("want one NAME[:PATH], e.g. `%s acme:/outbox`", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			rp, err := parseRemotePath(args[0], true)
			if err != nil {
				return err
			}
			if depth < 0 {
				return fmt.Errorf("--depth %d: give 1 for this folder only, more to descend, or 0 for no limit", depth)
			}
			ctx := cmd.Context()
			e, err := n.openRemotes(ctx, cmd)
			if err != nil {
				return err
			}
			defer e.Close()
			pool, err := e.pool(ctx, rp)
			if err != nil {
				return err
			}
			list, err := listTree(ctx, pool, rp.path, depth)
			if err != nil {
				return rp.hint(fmt.Errorf("list %s: %w", rp, err))
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeJSON(out, list)
			}
			if len(list) == 0 {
				fmt.Fprintf(out, "%s is empty\n", rp)
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			for _, en := range list {
				mod := "-"
				if !en.ModTime.IsZero() {
					mod = en.ModTime.Local().Format("2006-01-02 15:04")
				}
				size := fmt.Sprint(en.Size)
				name := en.Path
				if en.Type == remote.Dir.String() {
					size, name = "-", name+"/"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", en.Type, size, mod, name)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().IntVar(&depth, "depth", 1, "levels to list: 1 is this folder only, 0 is no limit")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

// listTree lists dir and, up to depth levels (0: all), the folders in it.
// Paths are relative to dir, sorted.
// A dir that is a file lists as itself.
func listTree(ctx context.Context, pool *remote.Pool, dir string, depth int) ([]lsEntry, error) {
	if strings.Trim(dir, "/") != "" {
		st, err := pool.Stat(ctx, dir)
		if err != nil {
			return nil, err
		}
		if st.Type != remote.Dir {
			return []lsEntry{{Path: st.Name, Type: st.Type.String(), Size: st.Size, ModTime: st.ModTime}}, nil
		}
	}
	var out []lsEntry
	type level struct {
		rel   string
		depth int
	}
	queue := []level{{"", 1}}
	for len(queue) > 0 {
		l := queue[0]
		queue = queue[1:]
		es, err := pool.List(ctx, path.Join(dir, l.rel))
		if err != nil {
			return nil, err
		}
		for _, en := range es {
			rel := path.Join(l.rel, en.Name)
			out = append(out, lsEntry{Path: rel, Type: en.Type.String(), Size: en.Size, ModTime: en.ModTime})
			if en.Type == remote.Dir && (depth == 0 || l.depth < depth) {
				queue = append(queue, level{rel, l.depth + 1})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

func (n remotes) getCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "get NAME:PATH LOCAL",
		Short: "Download one file from a remote",
		Long: `Download one file from a remote to LOCAL (a file, or a folder to put it in).
The file is written under a temporary name and renamed into place once
complete, so LOCAL never holds half a file; an existing file is replaced. A
progress bar shows on a terminal, a one-line summary otherwise.`,
		Example: `  wharf remote get acme:/outbox/order.edi ./order.edi
  wharf remote get acme:/outbox/order.edi /srv/in/`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return fmt.Errorf("want NAME:PATH and LOCAL, e.g. `%s acme:/outbox/order.edi ./order.edi`", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			rp, err := parseRemotePath(args[0], false)
			if err != nil {
				return err
			}
			if strings.Trim(rp.path, "/") == "" {
				return fmt.Errorf("%s is the remote's root folder: get copies one file, see `wharf remote ls %s`", rp, rp.name)
			}
			ctx := cmd.Context()
			e, err := n.openRemotes(ctx, cmd)
			if err != nil {
				return err
			}
			defer e.Close()
			pool, err := e.pool(ctx, rp)
			if err != nil {
				return err
			}
			st, err := pool.Stat(ctx, rp.path)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				return fmt.Errorf("%s does not exist: see `wharf remote ls %s:%s`", rp, rp.name, path.Dir(path.Clean("/"+rp.path)))
			case err != nil:
				return rp.hint(fmt.Errorf("get %s: %w", rp, err))
			case st.Type != remote.File:
				return fmt.Errorf("%s is a %s, not a file: get copies one file", rp, st.Type)
			}
			local := localTarget(args[1], path.Base(rp.path))
			start := time.Now()
			moved, err := download(ctx, pool, rp, local, st, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "downloaded %s to %s: %s\n", rp, local, rate(moved, time.Since(start)))
			return nil
		},
	}
	return cmd
}

// localTarget is where a download goes: into dst when it is a folder (or
// ends with a separator), else dst itself.
func localTarget(dst, base string) string {
	if strings.HasSuffix(dst, string(filepath.Separator)) || strings.HasSuffix(dst, "/") {
		return filepath.Join(dst, base)
	}
	if fi, err := os.Stat(dst); err == nil && fi.IsDir() {
		return filepath.Join(dst, base)
	}
	return dst
}

// download copies a remote file into a temporary file beside local and
// renames it into place once complete.
func download(ctx context.Context, pool *remote.Pool, rp remotePath, local string, st remote.Entry, stderr io.Writer) (int64, error) {
	dir, base := filepath.Split(local)
	if dir == "" {
		dir = "."
	}
	// Not os.CreateTemp, whose 0600 ignores the umask: the file gets the
	// mode any new file of the user gets, as a sync's pulls do.
	var rnd [6]byte
	rand.Read(rnd[:])
	tmp, err := os.OpenFile(filepath.Join(dir, "."+base+"."+hex.EncodeToString(rnd[:])+".part"), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return 0, fmt.Errorf("get %s: %w: check that the folder of %s exists and is writable", rp, err, local)
	}
	bar := newProgress(stderr, st.Size, "get "+path.Base(rp.path))
	n, err := pool.Retrieve(ctx, rp.path, 0, io.MultiWriter(tmp, bar))
	bar.Finish()
	if err != nil {
		err = rp.hint(err)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil && !st.ModTime.IsZero() {
		err = os.Chtimes(tmp.Name(), st.ModTime, st.ModTime)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), local)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return n, fmt.Errorf("get %s to %s: %w", rp, local, err)
	}
	return n, nil
}

func (n remotes) putCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "put LOCAL NAME:PATH",
		Short: "Upload one file to a remote",
		Long: `Upload one local file to a remote, to PATH, or into PATH when it is a folder
or ends with '/'. Wharf uploads under a temporary name, checks the size (and a
checksum where the server offers one) and renames it into place where the
server allows, so nobody on the remote sees half a file. An existing file at
PATH is replaced: where the server refuses to rename over it, the old file is
renamed aside first and deleted once the new one is in place. A progress bar
shows on a terminal, a one-line summary otherwise.`,
		Example: `  wharf remote put ./invoice.edi acme:/inbox/invoice.edi
  wharf remote put ./invoice.edi acme:/inbox/`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return fmt.Errorf("want LOCAL and NAME:PATH, e.g. `%s ./invoice.edi acme:/inbox/`", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			local := args[0]
			rp, err := parseRemotePath(args[1], false)
			if err != nil {
				return err
			}
			f, err := os.Open(local)
			if err != nil {
				return fmt.Errorf("put: %w", err)
			}
			defer f.Close()
			fi, err := f.Stat()
			if err != nil {
				return fmt.Errorf("put: %w", err)
			}
			if !fi.Mode().IsRegular() {
				return fmt.Errorf("put: %s is not a regular file: put copies one file", local)
			}
			ctx := cmd.Context()
			e, err := n.openRemotes(ctx, cmd)
			if err != nil {
				return err
			}
			defer e.Close()
			pool, err := e.pool(ctx, rp)
			if err != nil {
				return err
			}
			if rp.path == "" || strings.HasSuffix(rp.path, "/") {
				rp.path = path.Join(rp.path, filepath.Base(local))
			} else if st, err := pool.Stat(ctx, rp.path); err == nil && st.Type == remote.Dir {
				rp.path = path.Join(rp.path, filepath.Base(local))
			}
			bar := newProgress(cmd.ErrOrStderr(), fi.Size(), "put "+filepath.Base(local))
			start := time.Now()
			moved, err := pool.Store(ctx, rp.path, &progressReader{f: f, bar: bar})
			bar.Finish()
			if errors.Is(err, remote.ErrReadOnly) {
				return fmt.Errorf("put %s: remote %q is read-only: allow changes with `wharf remote set %s --read-only=false`", rp, rp.name, rp.name)
			}
			if err != nil {
				return rp.hint(fmt.Errorf("put %s to %s: %w", local, rp, err))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "uploaded %s to %s: %s\n", local, rp, rate(moved, time.Since(start)))
			return nil
		},
	}
	return cmd
}

// progressReader reads a file and moves a progress bar. It seeks too, so
// that Pool.Store can start over on a retry.
type progressReader struct {
	f   *os.File
	bar *progressbar.ProgressBar
}

func (r *progressReader) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	r.bar.Add(n)
	return n, err
}

func (r *progressReader) Seek(off int64, whence int) (int64, error) {
	pos, err := r.f.Seek(off, whence)
	if err == nil {
		r.bar.Set64(pos)
	}
	return pos, err
}

// newProgress returns a progress bar on w when w is a terminal, and a bar
// that draws nothing otherwise. A size of 0 or less shows a spinner.
func newProgress(w io.Writer, size int64, desc string) *progressbar.ProgressBar {
	if size <= 0 {
		size = -1
	}
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return progressbar.DefaultBytesSilent(size, desc)
	}
	return progressbar.NewOptions64(size,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionUseIECUnits(true),
		progressbar.OptionSetWidth(20),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionShowCount(),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionFullWidth(),
		progressbar.OptionSetRenderBlankState(true),
	)
}

// rate says how much moved how fast: "1.5 MiB in 2.1s (731.4 KiB/s)".
func rate(n int64, d time.Duration) string {
	d = max(d, time.Millisecond)
	return fmt.Sprintf("%s in %s (%s/s)", bytesIEC(n), d.Round(time.Millisecond), bytesIEC(int64(float64(n)/d.Seconds())))
}

func bytesIEC(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	f, unit := float64(n), "KMGTPE"
	i := -1
	for f >= 1024 && i < len(unit)-1 {
		f /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %ciB", f, unit[i])
}
