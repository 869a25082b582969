package remote

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"net/textproto"
	"path"
	"slices"
	"strings"
	"time"
)

// ErrVerify reports an upload whose size or hash on the server differs from
// what was sent.
var ErrVerify = errors.New("upload verification failed")

// Store uploads r to p without ever showing a partial file under p: it writes
// a hidden temporary name in the same directory, checks SIZE and, where the
// server offers HASH, XSHA256 or XMD5, the hash, then renames it into place.
// On failure it deletes the temporary file; when the connection broke or the
// delete failed, Pool deletes it over another connection.
func (c *Conn) Store(ctx context.Context, p string, r io.Reader) (int64, error) {
	u, err := c.Upload(ctx, p, r, UploadOptions{})
	return u.Bytes, err
}

// UploadOptions are Upload's choices; the zero value uploads as Store does.
type UploadOptions struct {
	// Temp is the hidden name the data goes to before the rename: one from
	// TempName(p), so a caller that journals it can delete it after a
	// crash. "" picks a fresh one.
	Temp string
	// ModTime, when not zero, is set on the temporary file once it is
	// verified and before it is renamed, on the same connection, so the
	// file appears under its name with its time. A server that refuses
	// (5xx) does not fail the upload; Uploaded.ModTimeSet tells.
	ModTime time.Time
}

// Uploaded is what an upload did.
type Uploaded struct {
	Bytes      int64
	ModTimeSet bool // UploadOptions.ModTime was set
	// TempLeft is the temporary name (as Upload takes paths) of a failed
	// upload whose delete failed too (Pool.Upload, which logged it): the
	// hidden file may still be on the server. "" otherwise.
	TempLeft string
}

// Upload is Store with options: a caller-chosen temporary name and the
// modification time to give the file.
func (c *Conn) Upload(ctx context.Context, p string, r io.Reader, o UploadOptions) (Uploaded, error) {
	ap, err := c.abs(p)
	if err != nil {
		return Uploaded{}, err
	}
	if c.cfg.ReadOnly {
		return Uploaded{}, fmt.Errorf("store %q: %w", p, ErrReadOnly)
	}
	tmp := tempName(ap)
	if o.Temp != "" {
		if !IsTemp(path.Base(o.Temp)) || path.Dir(path.Clean("/"+o.Temp)) != path.Dir(path.Clean("/"+p)) {
			return Uploaded{}, fmt.Errorf("store %q: temporary name %q: %w: want TempName's form in the same folder", p, o.Temp, ErrInvalidArg)
		}
		if tmp, err = c.abs(o.Temp); err != nil {
			return Uploaded{}, err
		}
	}
	var u Uploaded
	err = c.run(ctx, func() error {
		u, err = c.store(ctx, ap, tmp, r, o.ModTime)
		return err
	})
	if err != nil {
		return u, fmt.Errorf("store %q: %w", p, err)
	}
	return u, nil
}

func (c *Conn) store(ctx context.Context, ap, tmp string, r io.Reader, mtime time.Time) (u Uploaded, err error) {
	alg, verb := c.hashMethod()
	var h hash.Hash
	if alg != "" {
		h = NewDigest(alg)
		r = io.TeeReader(r, h)
	}
	defer func() {
		if err == nil {
			return
		}
		var ne *netError
		if c.broken || errors.As(err, &ne) {
			c.leftover = tmp // Pool.Store deletes it over another connection
			return
		}
		if _, derr := c.expect(250, "DELE", tmp); derr != nil && !isReply(derr, 550) {
			c.leftover = tmp // and so it is when the delete failed here
		}
	}()
	n, err := c.upload(ctx, "STOR", tmp, r)
	u.Bytes = n
	if err != nil {
		return u, err
	}
	if h == nil && (mtime.IsZero() || c.mtimeMethod != 0) {
		u.ModTimeSet, err = c.publish(tmp, ap, n, mtime)
		return u, err
	}
	size, err := c.size(tmp)
	if err != nil {
		return u, err
	}
	if size >= 0 && size != n {
		return u, fmt.Errorf("%w: sent %d bytes, server has %d", ErrVerify, n, size)
	}
	if h != nil {
		got, err := c.remoteHash(alg, verb, tmp)
		var te *textproto.Error
		switch {
		case errors.As(err, &te) && te.Code >= 500:
			// The server offers the hash but refuses it here (a Wharf
			// partner folder that allows uploads only, say): SIZE matched.
			c.log.Info("remote refused the hash check; verified by size", "path", tmp, "reply", te.Error())
		case err != nil:
			return u, err
		}
		if want := hex.EncodeToString(h.Sum(nil)); err == nil && !strings.EqualFold(got, want) {
			return u, fmt.Errorf("%w: %s sent %s, server has %s", ErrVerify, alg, want, got)
		}
	}
	if !mtime.IsZero() {
		// rename(2) keeps the time, so the file never shows without it.
		err := c.setModTime(tmp, mtime.UTC())
		var te *textproto.Error
		switch {
		case err == nil:
			u.ModTimeSet = true
		case errors.Is(err, errNoSetTime) || errors.As(err, &te) && te.Code >= 500:
			c.log.Debug("remote did not set the modification time", "path", tmp, "err", err)
		default:
			return u, err
		}
	}
	return u, c.renameOver(tmp, ap)
}

// TempSuffix ends the hidden names Store uploads to before renaming.
const TempSuffix = ".wharf-part"

// IsTemp reports whether name is one of Store's temporary names, which a
// crash can leave behind: listings for sync or mounts skip them, and a
// cleanup may delete old ones.
func IsTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.HasSuffix(name, TempSuffix)
}

// TempName returns a fresh temporary name for uploading p (a path as
// Upload takes it): ".<name>.<12 hex>.wharf-part" in p's folder.
func TempName(p string) string { return tempName(p) }

// tempName returns a hidden name next to ap: ".<name>.<random>.wharf-part",
// cut to fit maxNameLen.
func tempName(ap string) string {
	var b [6]byte
	rand.Read(b[:])
	dir, base := path.Split(ap)
	suffix := "." + hex.EncodeToString(b[:]) + TempSuffix
	if max := maxNameLen - 1 - len(suffix); len(base) > max {
		base = base[:max]
	}
	return dir + "." + base + suffix
}

// deleteTemp removes the temporary file a failed upload left; p is
// absolute. It is gone when the server says 550 too.
func (c *Conn) deleteTemp(ctx context.Context, p string) error {
	err := c.run(ctx, func() error {
		_, err := c.expect(250, "DELE", p)
		return err
	})
	if isReply(err, 550) {
		return nil
	}
	return err
}

// hashMethod picks the strongest hash the server offers: HASH (draft-bryan-
// ftpext-hash) with SHA-256, SHA-1 or MD5, else XSHA256, XSHA1 or XMD5.
func (c *Conn) hashMethod() (alg, verb string) {
	if params, ok := c.feat["HASH"]; ok {
		offered := strings.ToUpper(params)
		for _, a := range []string{"SHA-256", "SHA-1", "MD5"} {
			if strings.Contains(offered, a) {
				return a, "HASH"
			}
		}
	}
	for _, v := range []struct{ verb, alg string }{{"XSHA256", "SHA-256"}, {"XSHA1", "SHA-1"}, {"XMD5", "MD5"}} {
		if _, ok := c.feat[v.verb]; ok {
			return v.alg, v.verb
		}
	}
	return "", ""
}

// NewDigest returns a new hash.Hash for a digest named as
// draft-bryan-ftpext-hash names them (SHA-256, SHA-1, SHA-512, MD5,
// CRC32; any case), or nil for another name.
func NewDigest(alg string) hash.Hash {
	switch strings.ToUpper(alg) {
	case "SHA-256":
		return sha256.New()
	case "SHA-1":
		return sha1.New()
	case "SHA-512":
		return sha512.New()
	case "MD5":
		return md5.New()
	case "CRC32":
		return crc32.NewIEEE()
	}
	return nil
}

// ErrNoHash reports a server that offers no command for the hash asked.
var ErrNoHash = errors.New("the server offers no command for this hash")

// xHashVerbs are the commands that tell one algorithm's digest, for
// servers without HASH (draft-bryan-ftpext-hash's predecessors).
var xHashVerbs = map[string]string{"SHA-256": "XSHA256", "SHA-1": "XSHA1", "MD5": "XMD5", "SHA-512": "XSHA512", "CRC32": "XCRC"}

// HashAlg returns the server's hex digest of p by alg ("SHA-256", "SHA-1",
// "MD5", "SHA-512" or "CRC32", as HASH names them), with HASH where the
// server offers alg there, else with alg's own command (XSHA256, …). It
// fails with ErrNoHash when the server offers neither.
func (c *Conn) HashAlg(ctx context.Context, p, alg string) (string, error) {
	ap, err := c.abs(p)
	if err != nil {
		return "", err
	}
	verb := ""
	if NewDigest(alg) == nil {
		return "", fmt.Errorf("hash %q by %s: %w", p, alg, ErrNoHash)
	}
	if params, ok := c.feat["HASH"]; ok && slices.ContainsFunc(strings.Split(params, ";"), func(a string) bool {
		return strings.EqualFold(strings.TrimSuffix(strings.TrimSpace(a), "*"), alg)
	}) {
		verb = "HASH"
	} else if v, ok := xHashVerbs[alg]; ok {
		if _, offered := c.feat[v]; offered {
			verb = v
		}
	}
	if verb == "" {
		return "", fmt.Errorf("hash %q by %s: %w", p, alg, ErrNoHash)
	}
	var sum string
	err = c.run(ctx, func() error {
		sum, err = c.remoteHash(alg, verb, ap)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("hash %q: %w", p, err)
	}
	return strings.ToLower(sum), nil
}

// remoteHash asks the server for the hash of ap and returns it in hex.
func (c *Conn) remoteHash(alg, verb, ap string) (string, error) {
	if verb == "HASH" {
		params := c.feat["HASH"]
		if !strings.Contains(strings.ToUpper(params), alg+"*") {
			if _, err := c.expect(200, "OPTS", "HASH "+alg); err != nil {
				return "", err
			}
			c.feat["HASH"] = strings.ReplaceAll(strings.ReplaceAll(params, "*", ""), alg, alg+"*")
		}
	}
	code, msg, err := c.cmd(verb, ap)
	if err != nil {
		return "", err
	}
	if code/100 != 2 {
		return "", fmt.Errorf("%s: %w", verb, replyError(code, msg))
	}
	// "213 SHA-256 0-42 <hex> <path>" for HASH; "<hex>" or "<hex> <path>" for
	// the X commands. The digest is the first field of the right length.
	want := NewDigest(alg).Size() * 2
	for _, f := range strings.Fields(msg) {
		if len(f) == want {
			if _, err := hex.DecodeString(f); err == nil {
				return f, nil
			}
		}
	}
	return "", fmt.Errorf("%s: no %s digest in reply %q", verb, alg, truncate(msg))
}

// Hash returns the server's digest of p, and the algorithm, or "" when the
// server offers no hash command.
func (c *Conn) Hash(ctx context.Context, p string) (alg, sum string, err error) {
	ap, err := c.abs(p)
	if err != nil {
		return "", "", err
	}
	alg, verb := c.hashMethod()
	if alg == "" {
		return "", "", nil
	}
	err = c.run(ctx, func() error {
		sum, err = c.remoteHash(alg, verb, ap)
		return err
	})
	if err != nil {
		return "", "", fmt.Errorf("hash %q: %w", p, err)
	}
	return alg, strings.ToLower(sum), nil
}

// Append appends r to p (APPE). A failed append may leave part of r behind.
func (c *Conn) Append(ctx context.Context, p string, r io.Reader) (int64, error) {
	ap, err := c.abs(p)
	if err != nil {
		return 0, err
	}
	if c.cfg.ReadOnly {
		return 0, fmt.Errorf("append %q: %w", p, ErrReadOnly)
	}
	var n int64
	err = c.run(ctx, func() error {
		n, err = c.upload(ctx, "APPE", ap, r)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("append %q: %w", p, err)
	}
	return n, nil
}

// simple runs one command that changes the remote and expects code.
func (c *Conn) simple(ctx context.Context, op string, want int, verb, p string) error {
	ap, err := c.abs(p)
	if err != nil {
		return err
	}
	if c.cfg.ReadOnly {
		return fmt.Errorf("%s %q: %w", op, p, ErrReadOnly)
	}
	err = c.run(ctx, func() error {
		_, err := c.expect(want, verb, ap)
		return err
	})
	if err != nil {
		return fmt.Errorf("%s %q: %w", op, p, err)
	}
	return nil
}

// Delete removes the file p.
func (c *Conn) Delete(ctx context.Context, p string) error {
	return c.simple(ctx, "delete", 2, "DELE", p)
}

// MakeDir creates the directory p.
func (c *Conn) MakeDir(ctx context.Context, p string) error {
	return c.simple(ctx, "mkdir", 257, "MKD", p)
}

// RemoveDir removes the empty directory p.
func (c *Conn) RemoveDir(ctx context.Context, p string) error {
	return c.simple(ctx, "rmdir", 2, "RMD", p)
}

// Rename moves from to to, replacing to where the server allows it.
func (c *Conn) Rename(ctx context.Context, from, to string) error {
	af, err := c.abs(from)
	if err != nil {
		return err
	}
	at, err := c.abs(to)
	if err != nil {
		return err
	}
	if c.cfg.ReadOnly {
		return fmt.Errorf("rename %q: %w", from, ErrReadOnly)
	}
	err = c.run(ctx, func() error { return c.renameOver(af, at) })
	if err != nil {
		return fmt.Errorf("rename %q to %q: %w", from, to, err)
	}
	return nil
}

func (c *Conn) rename(from, to string) error {
	if _, err := c.expect(350, "RNFR", from); err != nil {
		return err
	}
	_, err := c.expect(250, "RNTO", to)
	return err
}

// SetModTime sets p's modification time, with MFMT where the server offers
// it, else SITE UTIME or vsftpd's MDTM with a time (see quirks.go).
func (c *Conn) SetModTime(ctx context.Context, p string, t time.Time) error {
	ap, err := c.abs(p)
	if err != nil {
		return err
	}
	if c.cfg.ReadOnly {
		return fmt.Errorf("set mtime %q: %w", p, ErrReadOnly)
	}
	err = c.run(ctx, func() error { return c.setModTime(ap, t.UTC()) })
	if err != nil {
		return fmt.Errorf("set mtime %q: %w", p, err)
	}
	return nil
}
