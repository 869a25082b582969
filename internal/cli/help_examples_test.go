package cli

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// example is one command line of a help text's examples: its arguments
// after "wharf", and what it pipes to stdin.
type example struct {
	line  string
	args  []string
	stdin string
}

// examples splits cmd's Example into command lines. A leading
// `printf '%s\n' "$PW" |` becomes a password on stdin; single quotes
// group words as the shell does.
func examples(t *testing.T, cmd *cobra.Command) []example {
	t.Helper()
	var out []example
	for _, line := range strings.Split(cmd.Example, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		ex := example{line: line}
		if pre, rest, ok := strings.Cut(line, " | "); ok && strings.HasPrefix(pre, "printf ") {
			ex.stdin, line = "example-pw-"+canary+"\n", rest
		}
		words := shellWords(t, line)
		if len(words) == 0 || words[0] != "wharf" {
			t.Fatalf("example %q does not start with wharf", ex.line)
		}
		ex.args = words[1:]
		out = append(out, ex)
	}
	return out
}

// shellWords splits s at spaces outside single quotes.
func shellWords(t *testing.T, s string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	quoted, inWord := false, false
	for _, r := range s {
		switch {
		case r == '\'':
			quoted, inWord = !quoted, true
		case r == ' ' && !quoted:
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
			}
			inWord = false
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quoted {
		t.Fatalf("unbalanced quote in %q", s)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

func subcommand(t *testing.T, cmd *cobra.Command, name string) *cobra.Command {
	t.Helper()
	for _, c := range cmd.Commands() {
		if c.Name() == name {
			return c
		}
	}
	t.Fatalf("%s has no subcommand %s", cmd.Name(), name)
	return nil
}

// TestMountHelpExamples: the examples of `mount --help` and `mount add
// --help` agree (every mount add of the first is one of the second), and
// each list runs as shown, in order, against a data directory with the
// accounts and remotes they name (remotes on a closed loopback port, so
// add's check warns and goes on).
func TestMountHelpExamples(t *testing.T) {
	mount := newMount(&app{})
	add := subcommand(t, mount, "add")
	addLines := map[string]bool{}
	for _, ex := range examples(t, add) {
		addLines[ex.line] = true
	}
	for _, ex := range examples(t, mount) {
		if len(ex.args) > 1 && ex.args[0] == "mount" && ex.args[1] == "add" && !addLines[ex.line] {
			t.Errorf("mount --help shows %q, which mount add --help does not", ex.line)
		}
	}
	for _, cmd := range []*cobra.Command{mount, add} {
		t.Run(cmd.Name(), func(t *testing.T) {
			dir := t.TempDir()
			mustRun(t, dir, "", "partner", "add", "acme")
			mustRun(t, dir, "", "staff", "add", "ops")
			for _, r := range []string{"acme-ftp", "archive-ftp"} {
				mustRun(t, dir, "", "remote", "add", r, "--url", "ftps://u@127.0.0.1:1")
			}
			for _, ex := range examples(t, cmd) {
				mustRun(t, dir, ex.stdin, ex.args...)
			}
		})
	}
}

// TestRemoteAddHelp: `remote add --help` documents the URL forms the
// parser takes, the ?tls= query among them, and its examples run as shown
// (add dials nothing).
func TestRemoteAddHelp(t *testing.T) {
	r := run(t, t.TempDir(), "", "remote", "add", "--help")
	for _, w := range []string{"?tls=never", "if-available", "implicit", "ftpes://"} {
		if r.err != nil || !strings.Contains(r.stdout, w) {
			t.Errorf("remote add --help lacks %q (err %v):\n%s", w, r.err, r.stdout)
		}
	}
	dir := t.TempDir()
	for _, ex := range examples(t, subcommand(t, newRemote(&app{}), "add")) {
		mustRun(t, dir, ex.stdin, ex.args...)
	}
	st := openStore(t, dir)
	list, err := st.Remotes(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	modes := map[string]bool{}
	for _, rm := range list {
		modes[rm.Settings.TLS] = true
	}
	if !modes["never"] || !modes["implicit"] {
		t.Errorf("the examples set tls modes %v; want one with never and one with implicit", modes)
	}
}
