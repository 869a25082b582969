package config

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Key is one setting: its YAML path, its environment variable and its type.
type Key struct {
	Path string // YAML path, e.g. "server.idle_timeout"
	Env  string // environment variable, e.g. "WHARF_IDLE_TIMEOUT"
	Type string // "string", "bool", "int" or "duration"

	index []int // reflect index path within Config
}

// EnvConfig names the environment variable holding the config file path.
const EnvConfig = "WHARF_CONFIG"

var durationType = reflect.TypeFor[time.Duration]()

// Keys lists every setting, in the order Config declares them. It is derived
// from the yaml tags, so a field added to ftpserver.Config gets its key and
// environment variable without further wiring.
func Keys() []Key {
	return walk(reflect.TypeFor[Config](), "", "WHARF_", nil)
}

func walk(t reflect.Type, path, env string, index []int) []Key {
	var out []Key
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "-" || name == "" {
			continue
		}
		idx := append(append([]int(nil), index...), i)
		if f.Type.Kind() == reflect.Struct {
			sub := env + strings.ToUpper(name) + "_"
			if f.Tag.Get("env") == "flat" {
				sub = env
			}
			out = append(out, walk(f.Type, path+name+".", sub, idx)...)
			continue
		}
		out = append(out, Key{
			Path:  path + name,
			Env:   env + strings.ToUpper(name),
			Type:  typeName(f.Type),
			index: idx,
		})
	}
	return out
}

func typeName(t reflect.Type) string {
	switch {
	case t == durationType:
		return "duration"
	case t.Kind() == reflect.String:
		return "string"
	case t.Kind() == reflect.Bool:
		return "bool"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		return "int"
	}
	// A programming error caught by TestKeys, like regexp.MustCompile.
	panic(fmt.Sprintf("config: unsupported setting type %v", t))
}

// set parses s into k's field of c. An empty s sets a string setting
// other than data to its default; for data, a bool, an int or a duration it
// is an *emptyError. A value that parses but that refuse reports (a 0 that
// would mean nothing, a redacted secret) leaves the default. Other errors
// describe only the value ("%q: want ..."); the caller says where it came
// from.
func (k Key) set(c *Config, s string) error {
	v := reflect.ValueOf(c).Elem().FieldByIndex(k.index)
	t := strings.TrimSpace(s)
	if k.Type == "string" && s == "" && k.Path != "data" {
		k.reset(c)
		return nil
	}
	if t == "" {
		return &emptyError{key: k}
	}
	switch k.Type {
	case "string":
		v.SetString(s)
	case "bool":
		// true and false only, in any case: YAML 1.2 and JSON have no
		// other booleans, and a yes, on or 1 that some sources took and
		// others refused made the same line mean different things.
		switch {
		case strings.EqualFold(t, "true"):
			v.SetBool(true)
		case strings.EqualFold(t, "false"):
			v.SetBool(false)
		default:
			return fmt.Errorf("%q: want %s", s, k.want())
		}
	case "int":
		n, err := strconv.ParseInt(t, 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q: want %s", s, k.want())
		}
		v.SetInt(n)
	case "duration":
		d, err := ParseDuration(s)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
	}
	if err := k.refuse(c, s); err != nil {
		k.reset(c)
		return err
	}
	return nil
}

// want says what k takes, for an error.
func (k Key) want() string {
	switch {
	case k.Path == "data":
		return "the data directory"
	case k.Type == "bool":
		return "true or false"
	case k.Type == "int":
		return "a whole number"
	case k.Type == "duration":
		return durationWant
	}
	return "a value"
}

// emptyError is an empty value for a setting that has no empty form.
type emptyError struct{ key Key }

func (e *emptyError) Error() string { return "is empty: want " + e.key.want() }

// withDefault adds to err, when it is an *emptyError, how to get the
// setting's default instead: by what (for example "unset it").
func withDefault(err error, how string) error {
	var e *emptyError
	if !errors.As(err, &e) {
		return err
	}
	return fmt.Errorf("%w, or %s for the default (%s)", err, how, e.key.format(Default()))
}

// format returns k's value in c as a config file or a flag takes it: a
// duration as a user writes it (90d, 5m, 1h30m) and a listener that is off
// as "off".
func (k Key) format(c Config) string {
	v := reflect.ValueOf(c).FieldByIndex(k.index)
	switch k.Type {
	case "bool":
		return strconv.FormatBool(v.Bool())
	case "int":
		return strconv.FormatInt(v.Int(), 10)
	case "duration":
		return FormatDuration(time.Duration(v.Int()))
	}
	if k.canBeOff() && v.String() == "" {
		return "off"
	}
	return v.String()
}

// canBeOff reports whether k is a listener, which "off" switches off.
func (k Key) canBeOff() bool {
	switch k.Path {
	case "server.listen", "server.listen_implicit", "metrics_listen":
		return true
	}
	return false
}

// reset sets k's field of c to its default: for a YAML null, an empty
// string, or a value that did not parse.
func (k Key) reset(c *Config) {
	def := Default()
	reflect.ValueOf(c).Elem().FieldByIndex(k.index).Set(reflect.ValueOf(def).FieldByIndex(k.index))
}

const durationWant = "a duration such as 30s, 5m, 1h30m or 90d"

// ParseDuration parses a duration as time.ParseDuration does ("30s", "5m",
// "1h30m"), and also with a leading number of days: "90d", "1d12h". "-1"
// is Off, which turns off the settings that can be (password_cache: -1),
// as -1 does for a number. Every duration setting, from every source, is
// parsed here. Its error says what is wanted.
func ParseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if t == "-1" {
		return Off, nil
	}
	days, rest, hasDays := strings.Cut(t, "d")
	if !hasDays {
		if d, err := time.ParseDuration(t); err == nil {
			return d, nil
		}
	} else if n, err := strconv.ParseUint(days, 10, 16); err == nil {
		d := time.Duration(n) * day
		if rest == "" {
			return d, nil
		}
		if r, err := time.ParseDuration(rest); err == nil && r >= 0 {
			return d + r, nil
		}
	}
	return 0, fmt.Errorf("%q: want %s", s, durationWant)
}

const day = 24 * time.Hour

// Off is the duration "-1": negative, which for the durations that can be
// turned off (server.password_cache, server.login_fail_delay) turns them
// off. FormatDuration writes it as "-1".
const Off time.Duration = -1

// FormatDuration formats d as a user writes it and ParseDuration reads
// it: whole days as "90d", other durations as time.Duration does but
// without zero minutes or seconds ("5m", "1h30m", "36h"), zero as "0" and
// Off as "-1".
func FormatDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0"
	case d == Off:
		return "-1"
	case d > 0 && d%day == 0 && d/day <= 1<<16-1:
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
