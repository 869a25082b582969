package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// writeBigFile writes size pseudo-random bytes to name (random so that
// nothing on the way could compress or deduplicate them).
func writeBigFile(name string, size int64) error {
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
	return nil
}

// warmPages writes and deletes a scratch file of size bytes just before an
// upload, so that the upload's page cache lands in memory the VM already
// backs. On a VM whose balloon driver hands freed memory back to the host
// (virtio free page reporting, as on the project's Firecracker VM), writing
// 1 GiB into the page cache costs 0.4 s or 2.4 s of kernel time depending on
// whether those pages were recently in use: dd alone shows it. Without
// this, an upload's time depends on how long ago the previous one's file
// was deleted, not on the server.
func warmPages(dir string, size int64) error {
	name := filepath.Join(dir, "warm.tmp")
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	defer os.Remove(name)
	buf := make([]byte, 1<<20)
	for left := size + size/8; left > 0; left -= int64(len(buf)) {
		if _, err := f.Write(buf); err != nil {
			f.Close()
			return fmt.Errorf("warm page cache: %w", err)
		}
	}
	return f.Close()
}

// seed hard-links the big file into a server's send folder, owned by the
// server's user, so both servers read the same cached pages.
func seed(s *server, big string) error {
	dst := filepath.Join(s.sendDir, filepath.Base(big))
	os.Remove(dst)
	if err := os.Link(big, dst); err != nil {
		return fmt.Errorf("seed %s: %w", s.name, err)
	}
	return os.Chmod(big, 0o644)
}

// curlXfer transfers the big file once with curl and returns MB/s (10^6
// bytes per second over curl's total time, login included) and the time
// curl took before the transfer began (connect, TLS, login, PASV). An
// upload goes to /receive/name and is checked on disk, then removed.
func curlXfer(ctx context.Context, s *server, tls, up bool, big, name string, size int64) (mbps float64, setup time.Duration, err error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	args := []string{"-sS", "--fail", "--ftp-pasv", "--max-time", "600", "-K", "-",
		"-w", "%{time_total} %{size_upload} %{size_download} %{time_pretransfer}"}
	if tls {
		args = append(args, "--ssl-reqd", "-k")
	}
	if up {
		args = append(args, "-T", big, s.url("/receive/"+name))
	} else {
		args = append(args, "-o", os.DevNull, s.url("/send/"+filepath.Base(big)))
	}
	cmd := exec.CommandContext(ctx, "curl", args...)
	// The password goes through curl's config on stdin, not the command line.
	cmd.Stdin = strings.NewReader(fmt.Sprintf("user = \"%s:%s\"\n", s.user, s.password))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return 0, 0, fmt.Errorf("curl %s %s: %w: %s", s.name, strings.Join(args[len(args)-2:], " "), err, strings.TrimSpace(stderr.String()))
	}
	f := strings.Fields(stdout.String())
	if len(f) != 4 {
		return 0, 0, fmt.Errorf("curl %s: unexpected -w output %q", s.name, stdout.String())
	}
	secs, _ := strconv.ParseFloat(f[0], 64)
	moved, _ := strconv.ParseInt(f[2], 10, 64)
	if up {
		moved, _ = strconv.ParseInt(f[1], 10, 64)
		dst := filepath.Join(s.recvDir, name)
		fi, err := os.Stat(dst)
		if err != nil {
			return 0, 0, fmt.Errorf("%s upload: %w", s.name, err)
		}
		if fi.Size() != size {
			return 0, 0, fmt.Errorf("%s upload %s: %d bytes on disk, want %d", s.name, dst, fi.Size(), size)
		}
		os.Remove(dst)
	}
	if moved != size || secs <= 0 {
		return 0, 0, fmt.Errorf("curl %s: moved %d bytes in %gs, want %d", s.name, moved, secs, size)
	}
	pre, _ := strconv.ParseFloat(f[3], 64)
	return float64(size) / secs / 1e6, time.Duration(pre * float64(time.Second)), nil
}
