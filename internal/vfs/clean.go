package vfs

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"
)

// Limits on names, as POSIX file systems have them.
const (
	MaxNameBytes = 255
	MaxPathBytes = 4096
)

// ErrBadPath is wrapped by every error Clean returns.
var ErrBadPath = errors.New("bad path")

// Clean turns a client-supplied absolute or relative path, already joined
// to the session's working directory, into a clean absolute path: it
// resolves "." and ".." lexically without ever climbing above "/", and
// refuses NUL, CR, LF, invalid UTF-8 and overlong names.
func Clean(p string) (string, error) {
	if len(p) > MaxPathBytes {
		return "", fmt.Errorf("%w: longer than %d bytes", ErrBadPath, MaxPathBytes)
	}
	if !utf8.ValidString(p) {
		return "", fmt.Errorf("%w: not valid UTF-8", ErrBadPath)
	}
	if strings.ContainsAny(p, "\x00\r\n") {
		return "", fmt.Errorf("%w: contains NUL, CR or LF", ErrBadPath)
	}
	p = strings.ReplaceAll(p, "\\", "/")
	c := path.Clean("/" + p)
	for _, seg := range strings.Split(c, "/") {
		if len(seg) > MaxNameBytes {
			return "", fmt.Errorf("%w: a name is longer than %d bytes", ErrBadPath, MaxNameBytes)
		}
	}
	return c, nil
}

// Rel returns clean absolute path p as an FS name: "/" is ".", "/a/b" is "a/b".
func Rel(p string) string {
	if p == "/" {
		return "."
	}
	return strings.TrimPrefix(p, "/")
}
