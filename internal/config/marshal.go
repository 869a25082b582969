package config

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// MarshalYAML writes c as a config file that Load reads back to c: every
// key in the order Keys lists them, durations as a user writes them (90d,
// 5m, 1h30m) and a listener that is off as "off". Secrets are written as
// they are: redact them first.
func (c Config) MarshalYAML() (any, error) {
	doc := &yaml.Node{Kind: yaml.MappingNode}
	sections := map[string]*yaml.Node{}
	for _, k := range Keys() {
		parent := doc
		parts := strings.Split(k.Path, ".")
		for i, name := range parts[:len(parts)-1] {
			path := strings.Join(parts[:i+1], ".")
			sec, ok := sections[path]
			if !ok {
				sec = &yaml.Node{Kind: yaml.MappingNode}
				parent.Content = append(parent.Content, scalar("", name), sec)
				sections[path] = sec
			}
			parent = sec
		}
		parent.Content = append(parent.Content, scalar("", parts[len(parts)-1]), scalar(k.tag(), k.format(c)))
	}
	return doc, nil
}

func scalar(tag, value string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
	if tag == "!!str" && isOldBool(value) {
		// As yaml.Marshal quotes a string: a YAML 1.1 reader (and
		// some editors) would take listen: off for false.
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// isOldBool reports whether s is a YAML 1.1 boolean.
func isOldBool(s string) bool {
	switch strings.ToLower(s) {
	case "y", "yes", "n", "no", "on", "off":
		return true
	}
	return false
}

// tag is the YAML tag of k's values: the encoder quotes a string that
// would otherwise read as another type ("1.2", "true").
func (k Key) tag() string {
	switch k.Type {
	case "bool":
		return "!!bool"
	case "int":
		return "!!int"
	}
	return "!!str"
}
