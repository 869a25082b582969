package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// writeBigFile writes size pseudo-random bytes to name, owned by uid:gid
// (random so that nothing on the way could compress or deduplicate them).
func writeBigFile(name string, size int64, uid, gid int) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	rng := rand.NewChaCha8([32]byte{'w', 'h', 'a', 'r', 'f'})
	buf := make([]byte, 1<<20)
	for left := size; left > 0; {
		rng.Read(buf)
		n := min(left, int64(len(buf)))
		if _, err := f.Write(buf[:n]); err != nil {
			f.Close()
			return err
		}
		left -= n
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Chown(name, uid, gid)
}

// download fetches /bank/name to /dev/null.
func download(ctx context.Context, e endpoint, name string, size int64) (curlRun, error) {
	r, err := curl(ctx, e, "/bank/"+name, "-o", os.DevNull)
	if err == nil && r.down != size {
		err = fmt.Errorf("%s download: %d bytes, want %d", e.name, r.down, size)
	}
	return r, err
}

// upload sends src to /bank/name, then checks on vsftpd's disk that the
// file has src's size and sampled content and that no temporary file is
// left beside it, and removes it.
func upload(ctx context.Context, e endpoint, v *peer, src, name string, size int64) (curlRun, error) {
	r, err := curl(ctx, e, "/bank/"+name, "-T", src)
	if err != nil {
		return r, err
	}
	if r.up != size {
		return r, fmt.Errorf("%s upload: curl sent %d bytes, want %d", e.name, r.up, size)
	}
	dst := filepath.Join(v.bank, name)
	defer os.Remove(dst)
	fi, err := os.Stat(dst)
	if err != nil {
		return r, fmt.Errorf("%s upload: %w", e.name, err)
	}
	if fi.Size() != size {
		return r, fmt.Errorf("%s upload: %s has %d bytes on vsftpd's disk, want %d", e.name, dst, fi.Size(), size)
	}
	if err := sameSamples(src, dst, size); err != nil {
		return r, fmt.Errorf("%s upload: %w", e.name, err)
	}
	ents, err := os.ReadDir(v.bank)
	if err != nil {
		return r, err
	}
	for _, ent := range ents {
		if strings.HasSuffix(ent.Name(), ".wharf-part") {
			return r, fmt.Errorf("%s upload: temporary file %s left on vsftpd", e.name, ent.Name())
		}
	}
	return r, nil
}

// sameSamples compares 16 blocks of 64 KiB spread over both files, the last
// one ending at size: a cheap check that the bytes arrived in order.
func sameSamples(a, b string, size int64) error {
	fa, err := os.Open(a)
	if err != nil {
		return err
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return err
	}
	defer fb.Close()
	const n, block = 16, 64 << 10
	ba, bb := make([]byte, block), make([]byte, block)
	for i := range int64(n) {
		off := max(0, min(size-block, i*(size/(n-1))))
		ka, err := fa.ReadAt(ba, off)
		if err != nil && err != io.EOF {
			return err
		}
		kb, err := fb.ReadAt(bb, off)
		if err != nil && err != io.EOF {
			return err
		}
		if !bytes.Equal(ba[:ka], bb[:kb]) {
			return fmt.Errorf("%s differs from %s near offset %d", b, a, off)
		}
	}
	return nil
}
