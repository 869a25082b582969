package cli

import (
	"fmt"
	"strings"
)

// urlAsName is the error for a URL given where a remote's name belongs
// (`wharf remote test ftps://u:pw@host/`), or nil when s is no URL. It
// never quotes s as given: a password in it would reach the terminal, and
// the logs of whatever runs the command, once more.
func urlAsName(s string) error {
	if !strings.Contains(s, "://") {
		return nil
	}
	msg := fmt.Sprintf("%s is a URL, not a remote name: give a remote NAME; add one with `wharf remote add NAME --url URL --password-stdin`", redactURL(s))
	if urlHasPassword(s) {
		msg += " (and keep the password out of the URL: --password-stdin reads it)"
	}
	return fmt.Errorf("%s", msg)
}

// redactURL is s with the password of its user info, if any, replaced by
// xxxxx, as url.URL.Redacted does; unlike that it works on URLs that do
// not parse.
func redactURL(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	end := len(rest)
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		end = i
	}
	at := strings.LastIndex(rest[:end], "@")
	if at < 0 {
		return s
	}
	user, _, hasPW := strings.Cut(rest[:at], ":")
	if !hasPW {
		return s
	}
	return scheme + "://" + user + ":xxxxx" + rest[at:]
}
