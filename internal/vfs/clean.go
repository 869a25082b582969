package vfs

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"unicode"
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

// Within reports whether the slash-separated path p is dir or inside it
// ("acme/send/x" is within "acme/send" and "acme", not "acme/se"); dir ""
// is the root, which holds everything. Neither has a leading slash.
func Within(p, dir string) bool {
	return dir == "" || p == dir || strings.HasPrefix(p, dir+"/")
}

// CheckNewName returns an error unless name, one element of a path, may be
// given to a new file or folder. It is stricter than Clean, which lets
// clients read whatever names a back-end put on disk: a new name must not
// be empty, "." or "..", longer than MaxNameBytes, invalid UTF-8, or hold
// a control character, "/" or a backslash (Clean reads a backslash as "/":
// a client that sends a\b.edi may mean the folder a), and it must not
// begin or end with white space or end with a dot. Windows drops trailing
// spaces and dots, so a Windows partner or share cannot open such names,
// and other FTP servers rewrite them (pure-ftpd stores "trail.edi " as
// "trail.edi_").
//
// The error's text is the name, quoted, and the reason, fit to show a
// client: `"trail.edi ": a name may not begin or end with a space`. It
// wraps fs.ErrInvalid.
func CheckNewName(name string) error {
	if reason := newNameProblem(name); reason != "" {
		return &nameError{name: name, reason: reason}
	}
	return nil
}

func newNameProblem(name string) string {
	switch {
	case name == "":
		return "a name may not be empty"
	case name == "." || name == "..":
		return "a name may not be . or .."
	case len(name) > MaxNameBytes:
		return fmt.Sprintf("a name is longer than %d bytes", MaxNameBytes) // as Clean says it
	case !utf8.ValidString(name):
		return "a name must be valid UTF-8"
	case strings.ContainsFunc(name, unicode.IsControl):
		return "control characters (such as NUL, tab, CR or LF) are not allowed in names"
	case strings.Contains(name, "/"):
		return "a name may not contain /"
	case strings.Contains(name, "\\"):
		return "backslash is not allowed in names on this server; use / to separate folders"
	case strings.TrimFunc(name, unicode.IsSpace) != name:
		// Any white space, as Python's str.strip() and .NET's Trim() drop
		// it too: a no-break space at the end is as invisible as a space.
		return "a name may not begin or end with a space"
	case strings.HasSuffix(name, "."):
		return "a name may not end with a dot"
	}
	return ""
}

// nameError is a name CheckNewName refused, and why.
type nameError struct {
	name, reason string
}

// Error quotes the name, so no control character or CR/LF of it reaches a
// reply line.
func (e *nameError) Error() string { return strconv.Quote(e.name) + ": " + e.reason }

func (e *nameError) Unwrap() error { return fs.ErrInvalid }
