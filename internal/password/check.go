package password

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MinLength is the fewest characters a chosen password may have. FTP
// logins are single-factor and offer no second check, so Wharf follows
// NIST SP 800-63B's advice for them: long passwords rather than
// composition rules (a generated one has 26 characters).
const MinLength = 12

// Check returns an error saying what is wrong when pw is too weak, or
// cannot be sent by FTP clients, to be the password of account.
func Check(account, pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case !utf8.ValidString(pw):
		return fmt.Errorf("password is not valid UTF-8")
	case strings.IndexFunc(pw, unicode.IsControl) >= 0:
		return fmt.Errorf("password holds a control character (tab, CR, LF, NUL, ...): FTP clients cannot send it in PASS")
	case strings.TrimSpace(pw) != pw:
		return fmt.Errorf("password starts or ends with a space: some FTP clients drop it")
	case n < MinLength:
		return fmt.Errorf("password too short: %d characters, want at least %d", n, MinLength)
	case strings.Count(pw, string([]rune(pw)[0])) == n:
		return fmt.Errorf("password repeats one character")
	case account != "" && strings.Contains(strings.ToLower(pw), strings.ToLower(account)):
		return fmt.Errorf("password contains the account name %q", account)
	}
	return nil
}
