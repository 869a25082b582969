package config

import (
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

// set parses s into k's field of c. Its error describes only the value
// ("%q: want ..."); the caller says where it came from.
func (k Key) set(c *Config, s string) error {
	v := reflect.ValueOf(c).Elem().FieldByIndex(k.index)
	switch k.Type {
	case "string":
		v.SetString(s)
	case "bool":
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%q: want true or false", s)
		}
		v.SetBool(b)
	case "int":
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q: want a whole number", s)
		}
		v.SetInt(n)
	case "duration":
		d, err := ParseDuration(s)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
	}
	return nil
}

// reset sets k's field of c to its default, for a value that did not parse.
func (k Key) reset(c *Config) {
	def := Default()
	reflect.ValueOf(c).Elem().FieldByIndex(k.index).Set(reflect.ValueOf(def).FieldByIndex(k.index))
}

// clear sets k's field of c to its zero value (a YAML null).
func (k Key) clear(c *Config) {
	v := reflect.ValueOf(c).Elem().FieldByIndex(k.index)
	v.SetZero()
}

// ParseDuration parses a duration as time.ParseDuration does ("30s", "5m",
// "1h30m"), and also with a leading number of days: "90d", "1d12h". Its
// error says what is wanted.
func ParseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	days, rest, hasDays := strings.Cut(t, "d")
	if !hasDays {
		if d, err := time.ParseDuration(t); err == nil {
			return d, nil
		}
	} else if n, err := strconv.ParseUint(days, 10, 16); err == nil {
		d := time.Duration(n) * 24 * time.Hour
		if rest == "" {
			return d, nil
		}
		if r, err := time.ParseDuration(rest); err == nil && r >= 0 {
			return d + r, nil
		}
	}
	return 0, fmt.Errorf("%q: want a duration such as 30s, 5m, 1h30m or 90d", s)
}
