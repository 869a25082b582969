package cli

import "testing"

// TestSyncReadOnlyRemote: add and set refuse a sync that would change a
// remote set read-only (push, two-way, a pull deleting its sources), and
// say why and what to do; a pull that keeps the sources is fine.
func TestSyncReadOnlyRemote(t *testing.T) {
	dir := t.TempDir()
	add := func(name string, flags ...string) []string {
		return append([]string{"sync", "add", name, "--folder", "acme/receive", "--remote", "arch:/out"}, flags...)
	}
	runSteps(t, dir, []step{
		{name: "partner", args: []string{"partner", "add", "acme"}},
		{name: "read-only remote", args: []string{"remote", "add", "arch", "--url", "ftps://u@archive.example", "--read-only"}},
		{name: "push refused", args: add("p", "--direction", "push"),
			wantErr: `remote "arch" is read-only, so a push cannot deliver to it: use --direction pull to fetch from it, or let Wharf change the remote with ` + "`wharf remote set arch --read-only=false`"},
		{name: "two-way refused", args: add("t", "--direction", "two-way"), wantErr: "a two-way sync cannot copy or delete there"},
		{name: "pull with delete refused", args: add("d", "--direction", "pull", "--after-copy", "delete"),
			wantErr: "--after-copy delete cannot remove the files pulled from it: use --after-copy keep"},
		{name: "pull keeping sources", args: add("k", "--direction", "pull"), want: []string{"added sync k"}},
		{name: "set to delete refused", args: []string{"sync", "set", "k", "--after-copy", "delete"}, wantErr: "--after-copy delete cannot remove"},
		{name: "set to push refused", args: []string{"sync", "set", "k", "--direction", "push"}, wantErr: "a push cannot deliver"},
		{name: "unchanged", args: []string{"sync", "show", "k"}, want: []string{"pull", "keep source"}},
		{name: "writable remote", args: []string{"remote", "set", "arch", "--read-only=false"}},
		{name: "then delete is fine", args: []string{"sync", "set", "k", "--after-copy", "delete"}, want: []string{"delete source after copy"}},
		{name: "read-only again refused", args: []string{"remote", "set", "arch", "--read-only"},
			wantErr: "sync k writes to remote \"arch\" (pull, delete after copy): change or remove it first"},
		{name: "keep sources", args: []string{"sync", "set", "k", "--after-copy", "keep"}},
		{name: "read-only again", args: []string{"remote", "set", "arch", "--read-only"}, want: []string{"updated remote"}},
	})
}
