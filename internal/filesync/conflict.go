package filesync

import (
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxName is the longest base name a conflict name may have (NAME_MAX).
const maxName = 255

// conflictName returns the name the version of p from side is kept under:
// "dir/stem.conflict-<side>-<UTC time>.ext", so filters on the extension
// still match it. When taken reports the name in use, "-2", "-3", ... are
// added. The base name never exceeds maxName bytes and stays valid UTF-8.
func conflictName(p, side string, t time.Time, taken func(string) bool) string {
	dir, base := path.Split(p)
	ext := path.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	if stem == "" { // ".profile": no extension to keep
		stem, ext = base, ""
	}
	if len(ext) > 32 {
		stem, ext = base, ""
	}
	mark := ".conflict-" + side + "-" + t.UTC().Format("20060102T150405Z")
	for n := 1; ; n++ {
		m := mark
		if n > 1 {
			m += "-" + strconv.Itoa(n)
		}
		s := stem
		if over := len(s) + len(m) + len(ext) - maxName; over > 0 {
			s = truncUTF8(s, len(s)-over)
		}
		name := dir + s + m + ext
		if taken == nil || !taken(name) {
			return name
		}
	}
}

// truncUTF8 cuts s to at most n bytes without splitting a rune.
func truncUTF8(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
