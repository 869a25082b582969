package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// Sources are where Load looks, in increasing precedence.
type Sources struct {
	// File is the YAML config file. Empty means the file named by
	// WHARF_CONFIG, if any, and otherwise none.
	File string
	// LookupEnv reads the environment (os.LookupEnv in main). Nil means an
	// empty environment. A variable that is set but empty is an empty
	// value: the default for a string setting, an error for the others
	// (see Load).
	LookupEnv func(string) (string, bool)
	// Environ lists the environment as NAME=value lines (os.Environ), so
	// that Load can report a WHARF_ variable that is no setting, such as
	// a misspelt one. Only names that LookupEnv also finds count. Nil
	// means os.Environ, which with LookupEnv os.LookupEnv is the process's
	// environment and with a fake LookupEnv finds what both hold.
	Environ func() []string
	// Flags are applied last, in order.
	Flags []Flag
}

// Flag is one setting given on the command line.
type Flag struct {
	Name  string // as typed, e.g. "--idle-timeout"; used in messages
	Key   string // Key.Path, e.g. "server.idle_timeout"
	Value string
}

// Load composes defaults, the file, the environment and the flags. It reports
// every unreadable value, unknown key and unknown WHARF_ variable at once.
// When it finds any, its error also lists what Validate reports (with a
// value that did not parse taken as unset), so that one run shows every
// problem; otherwise it does not Validate.
//
// Every source is read by the same rules. A YAML null ("key:" with no
// value) is the same as leaving the key out. An empty value (key: "", an
// empty WHARF_ variable, --flag=) sets a string setting other than data
// to its default, and is an error for data and for a bool, int or
// duration setting. Only "off" (in any case) switches a listener off:
// Listen, ListenImplicit and MetricsListen given as "off" become empty.
// Log.Level and Log.Format are lower-cased. A setting left out keeps its
// default (Default has the server defaults filled in), and a value given is
// kept as given: a 0 is never replaced by the default. A 0 for a setting
// where it would mean nothing (server.idle_timeout, server.ban_after, ...;
// Key.Limits says which) is an error, as is the placeholder `wharf config
// show` prints for secrets_url or server.pkcs12_password.
func Load(src Sources) (Config, error) {
	c := Default()
	c.origin = map[string]string{}
	keys := map[string]Key{}
	for _, k := range Keys() {
		keys[k.Path] = k
	}
	lookup := src.LookupEnv
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	var errs Problems

	file := src.File
	if file == "" {
		file, _ = lookup(EnvConfig)
	}
	if file != "" {
		errs = append(errs, loadFile(&c, keys, file)...)
	}
	for _, k := range Keys() {
		if v, ok := lookup(k.Env); ok {
			errs = append(errs, c.setFrom(k, k.Env, v, "unset it")...)
		}
	}
	environ := src.Environ
	if environ == nil {
		environ = os.Environ
	}
	errs = append(errs, unknownEnv(environ(), lookup)...)
	for _, f := range src.Flags {
		k, ok := keys[f.Key]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: no setting %q (a bug: please report it)", f.Name, f.Key))
			continue
		}
		errs = append(errs, c.setFrom(k, f.Name, f.Value, "leave the flag out")...)
	}

	for _, l := range []*string{&c.Server.Listen, &c.Server.ListenImplicit, &c.MetricsListen} {
		if strings.EqualFold(strings.TrimSpace(*l), "off") {
			*l = ""
		}
	}
	c.Log.Level = strings.ToLower(strings.TrimSpace(c.Log.Level))
	c.Log.Format = strings.ToLower(strings.TrimSpace(c.Log.Format))
	if len(errs) > 0 {
		// Report the rest now rather than after the user fixes these.
		errs = append(errs, flatten(c.Validate())...)
	}
	return c, errs.Err()
}

// setFrom sets k to v, given by source (an environment variable or a
// flag), and records where it came from. A value that does not parse is
// reported and leaves k at its default; how says how to get the default
// instead of an empty value.
func (c *Config) setFrom(k Key, source, v, how string) []error {
	c.origin[k.Path] = source
	err := k.set(c, v)
	if err == nil {
		return nil
	}
	k.reset(c)
	var empty *emptyError
	if errors.As(err, &empty) {
		return []error{fmt.Errorf("%s %w", source, withDefault(err, how))}
	}
	if strings.HasPrefix(source, envPrefix) {
		return []error{fmt.Errorf("%s=%w", source, err)} // WHARF_X="soon": want ...
	}
	return []error{fmt.Errorf("%s %w", source, err)} // --flag "soon": want ...
}

func loadFile(c *Config, keys map[string]Key, path string) []error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return []error{fmt.Errorf("config file %s does not exist: check --config or %s", path, EnvConfig)}
	}
	if err != nil {
		return []error{fmt.Errorf("read config file: %w", err)}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return []error{fmt.Errorf("config file %s: %w%s", path, err, aliasHint(data))}
	}
	if len(doc.Content) == 0 { // empty file
		return nil
	}
	l := fileLoader{c: c, keys: keys, path: path}
	l.mapping(doc.Content[0], "")
	return l.errs
}

// fileLoader walks a YAML document against the known keys, so that every
// unknown key and bad value is reported with its line.
type fileLoader struct {
	c    *Config
	keys map[string]Key
	path string
	errs []error
}

func (l *fileLoader) errorf(n *yaml.Node, format string, args ...any) {
	l.errs = append(l.errs, fmt.Errorf("%s:%d: %s", l.path, n.Line, fmt.Sprintf(format, args...)))
}

func (l *fileLoader) mapping(n *yaml.Node, prefix string) {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		what := "the file"
		if prefix != "" {
			what = strings.TrimSuffix(prefix, ".")
		}
		l.errorf(n, "%s: want a mapping of key: value", what)
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], deref(n.Content[i+1])
		path := prefix + kn.Value
		if line, dup := seen[kn.Value]; dup {
			l.errorf(kn, "duplicate key %q (first on line %d): remove one", path, line)
			continue
		}
		seen[kn.Value] = kn.Line
		if k, ok := l.keys[path]; ok {
			l.scalar(k, vn)
			continue
		}
		if l.isSection(path) {
			l.mapping(vn, path+".")
			continue
		}
		if s := suggest(path, l.keys); s != "" {
			l.errorf(kn, "unknown key %q: did you mean %q?", path, s)
		} else {
			l.errorf(kn, "unknown key %q: see `wharf serve --help` for the settings", path)
		}
	}
}

func (l *fileLoader) scalar(k Key, n *yaml.Node) {
	if n.Kind != yaml.ScalarNode {
		l.errorf(n, "%s: want a single value, not a list or mapping", k.Path)
		return
	}
	if n.Tag == "!!null" {
		// As if the key were not there: "listen:" with its value
		// commented out must not switch the listener off.
		k.reset(l.c)
		delete(l.c.origin, k.Path)
		return
	}
	l.c.origin[k.Path] = fmt.Sprintf("%s:%d", l.path, n.Line)
	if err := k.set(l.c, n.Value); err != nil {
		l.errorf(n, "%s %v", k.Path, withDefault(err, "remove the key"))
	}
}

// aliasHint explains the YAML error of an unquoted value starting with
// "*", which YAML reads as an alias (*name) to an anchor: the parser only
// says "did not find expected alphabetic or numeric character". It
// returns "" when data has no such line.
func aliasHint(data []byte) string {
	var b strings.Builder
	for i, line := range strings.Split(string(data), "\n") {
		key, value, ok := strings.Cut(strings.TrimSpace(line), ":")
		value = strings.TrimSpace(value)
		if !ok || !strings.HasPrefix(value, "*") || strings.ContainsAny(key, " \"'") {
			continue
		}
		if v, _, ok := strings.Cut(value, " #"); ok {
			value = strings.TrimSpace(v)
		}
		fmt.Fprintf(&b, "; line %d: a value starting with * must be quoted in YAML: %s: %q", i+1, key, value)
	}
	return b.String()
}

func (l *fileLoader) isSection(path string) bool {
	for p := range l.keys {
		if strings.HasPrefix(p, path+".") {
			return true
		}
	}
	return false
}

// suggest returns the name in known closest to name, if it is close enough
// to be a typo.
func suggest[V any](name string, known map[string]V) string {
	best, bestD := "", 3
	for p := range known {
		if d := Distance(p, name); d < bestD || (d == bestD && p < best) {
			best, bestD = p, d
		}
	}
	return best
}

func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// Distance is the Levenshtein distance between a and b, in bytes: how
// near a mistyped name is to a known one (setting keys here, flags in
// the CLI).
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
