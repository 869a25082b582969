package remote

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// EntryType is the kind of a listed entry.
type EntryType int

const (
	File EntryType = iota
	Dir
	Link  // a symbolic link whose target could not be told (see Entry.Link)
	Other // devices, pipes and whatever else a server lists
)

func (t EntryType) String() string {
	return [...]string{"file", "dir", "link", "other"}[t]
}

// Entry is one file or directory on a remote.
type Entry struct {
	Name    string // base name, checked by checkName
	Type    EntryType
	Size    int64
	ModTime time.Time // UTC; zero when the server gave none
	// PreciseTime is true when ModTime came from MLSD/MLST or MDTM (seconds,
	// UTC) rather than a LIST line (minutes at best, server time zone).
	PreciseTime bool
	// Link is true for a symbolic link that was followed: Type, Size and
	// ModTime are its target's. List follows links to files only; Stat
	// follows links to folders too (see resolveLink). Walkers that must
	// not loop do not descend into a Dir with Link set.
	Link bool
}

// maxNameLen bounds a remote name (Linux NAME_MAX).
const maxNameLen = 255

// errBadName reports a name from a listing that could escape or break a local
// tree (C-05).
var errBadName = errors.New("unsafe name in remote listing")

// checkName accepts a single, harmless path element.
func checkName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("%w: %q", errBadName, name)
	case len(name) > maxNameLen:
		return fmt.Errorf("%w: %d bytes long", errBadName, len(name))
	case strings.ContainsAny(name, "/\\\x00\r\n"):
		return fmt.Errorf("%w: %q", errBadName, name)
	}
	return nil
}

// parseMLSx parses one MLSD/MLST line: "fact=value;fact=value; name"
// (RFC 3659 §7). skip is true for the cdir and pdir entries.
func parseMLSx(line string) (e Entry, skip bool, err error) {
	facts, name, ok := strings.Cut(line, " ")
	if !ok {
		return e, false, fmt.Errorf("malformed MLSD line %q", truncate(line))
	}
	e.Name = name
	e.Type = Other
	for _, f := range strings.Split(facts, ";") {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			continue
		}
		switch strings.ToLower(k) {
		case "type":
			switch t := strings.ToLower(v); {
			case t == "file":
				e.Type = File
			case t == "dir":
				e.Type = Dir
			case t == "cdir" || t == "pdir":
				skip = true
			case strings.HasPrefix(t, "os.unix=slink") || strings.HasPrefix(t, "os.unix=symlink"):
				e.Type = Link
			}
		case "size":
			if e.Size, err = strconv.ParseInt(v, 10, 64); err != nil || e.Size < 0 {
				return e, false, fmt.Errorf("malformed MLSD size %q", v)
			}
		case "modify":
			if e.ModTime, err = parseMDTM(v); err != nil {
				return e, false, err
			}
			e.PreciseTime = true
		}
	}
	return e, skip, nil
}

// parseMDTM parses YYYYMMDDHHMMSS[.sss] in UTC (RFC 3659 §2.3).
func parseMDTM(v string) (time.Time, error) {
	v, frac, _ := strings.Cut(v, ".")
	t, err := time.Parse("20060102150405", v)
	if err != nil {
		return time.Time{}, fmt.Errorf("malformed time %q", v)
	}
	if frac != "" {
		if ns, err := strconv.ParseFloat("0."+frac, 64); err == nil {
			t = t.Add(time.Duration(ns * float64(time.Second)))
		}
	}
	return t.UTC(), nil
}

// parseLIST parses one LIST line in Unix ("-rw-r--r-- 1 u g 5 Nov 22 01:30 a")
// or DOS ("11-22-26  01:30AM  <DIR>  a") form. skip is true for "total" lines
// and the . and .. entries. Times are read as UTC.
func parseLIST(line string, now time.Time) (e Entry, skip bool, err error) {
	if strings.HasPrefix(line, "total ") || line == "" {
		return e, true, nil
	}
	if len(line) > 0 && line[0] >= '0' && line[0] <= '9' {
		return parseDOS(line)
	}
	f, rest := fields(line, 8)
	if len(f) < 8 || rest == "" || len(f[0]) < 10 {
		return e, false, fmt.Errorf("malformed LIST line %q", truncate(line))
	}
	switch f[0][0] {
	case '-':
		e.Type = File
	case 'd':
		e.Type = Dir
	case 'l':
		e.Type = Link
		rest, _, _ = strings.Cut(rest, " -> ")
	default:
		e.Type = Other
	}
	if e.Size, err = strconv.ParseInt(f[4], 10, 64); err != nil || e.Size < 0 {
		return e, false, fmt.Errorf("malformed LIST size in %q", truncate(line))
	}
	e.ModTime = parseListTime(f[5], f[6], f[7], now)
	e.Name = rest
	return e, rest == "." || rest == "..", nil
}

// fields splits the first n space-separated fields and returns the remainder
// as is, so names keep their inner spaces.
func fields(s string, n int) ([]string, string) {
	var out []string
	for len(out) < n {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			return out, ""
		}
		i := strings.IndexByte(s, ' ')
		if i < 0 {
			return append(out, s), ""
		}
		out = append(out, s[:i])
		s = s[i+1:]
	}
	return out, s
}

// parseListTime reads "Nov 22 01:30" (this year, or last year when that would
// be in the future) or "Nov 22 2025".
func parseListTime(mon, day, yt string, now time.Time) time.Time {
	if strings.Contains(yt, ":") {
		t, err := time.Parse("Jan 2 15:04 2006", fmt.Sprintf("%s %s %s %d", mon, day, yt, now.Year()))
		if err != nil {
			return time.Time{}
		}
		if t.After(now.Add(24 * time.Hour)) {
			t = t.AddDate(-1, 0, 0)
		}
		return t
	}
	t, err := time.Parse("Jan 2 2006", mon+" "+day+" "+yt)
	if err != nil {
		return time.Time{}
	}
	return t
}

func parseDOS(line string) (e Entry, skip bool, err error) {
	f, rest := fields(line, 3)
	rest = strings.TrimLeft(rest, " ") // DOS listings align names in a column
	if len(f) < 3 || rest == "" {
		return e, false, fmt.Errorf("malformed LIST line %q", truncate(line))
	}
	for _, layout := range []string{"01-02-06 03:04PM", "01-02-2006 03:04PM", "01-02-06 15:04"} {
		if t, err := time.Parse(layout, f[0]+" "+f[1]); err == nil {
			e.ModTime = t
			break
		}
	}
	if f[2] == "<DIR>" {
		e.Type = Dir
	} else {
		e.Type = File
		if e.Size, err = strconv.ParseInt(f[2], 10, 64); err != nil {
			return e, false, fmt.Errorf("malformed LIST size in %q", truncate(line))
		}
	}
	e.Name = rest
	return e, rest == "." || rest == "..", nil
}
