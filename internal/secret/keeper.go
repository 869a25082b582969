package secret

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gocloud.dev/secrets"
	"gocloud.dev/secrets/localsecrets" // base64key:// keepers
)

// KeyFile is the name of the local key inside the data directory.
const KeyFile = "secret.key"

// ErrBinding reports a ciphertext that was sealed for another record.
var ErrBinding = errors.New("secret sealed for another record")

// Keeper encrypts and decrypts secrets. It is safe for concurrent use; the
// caller closes it.
type Keeper struct {
	k *secrets.Keeper
}

// Open returns a keeper for keeperURL, or, when keeperURL is empty, the local key in
// dataDir/secret.key, generating it (mode 0600) on first use. A key file that
// its group or others can read is refused.
func Open(ctx context.Context, dataDir, keeperURL string) (*Keeper, error) {
	return OpenSealed(ctx, dataDir, keeperURL, nil)
}

// OpenSealed is Open for a data directory whose store may hold secrets
// sealed with its local key: sealed lists the remotes that hold one, and is
// asked only when dataDir/secret.key is missing. A missing key with
// secrets sealed under it is refused, saying what to do, rather than
// replaced by a new one under which none of them would open.
func OpenSealed(ctx context.Context, dataDir, keeperURL string, sealed func(context.Context) ([]string, error)) (*Keeper, error) {
	if keeperURL != "" {
		if err := CheckURL(keeperURL); err != nil {
			return nil, fmt.Errorf("open secrets keeper %s: %w", RedactURL(keeperURL), err)
		}
		k, err := secrets.OpenKeeper(ctx, keeperURL)
		if err != nil {
			return nil, fmt.Errorf("open secrets keeper %s: %w", RedactURL(keeperURL), err)
		}
		return &Keeper{k: k}, nil
	}
	key, err := localKey(ctx, filepath.Join(dataDir, KeyFile), sealed)
	if err != nil {
		return nil, err
	}
	return &Keeper{k: localsecrets.NewKeeper(key)}, nil
}

// CheckURL reports whether rawURL names a keeper this build can open: its
// scheme must have a driver linked into the binary, and only base64key://
// (gocloud.dev/secrets/localsecrets) is. The key of a base64key:// URL is
// decoded as that driver decodes it (the URL's host, URL-safe base64 of 32
// bytes), so that a key the keeper would refuse is refused here. It opens
// nothing. Its error does not repeat rawURL, which may hold a key: the
// caller names the setting.
func CheckURL(rawURL string) error {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok || scheme == "" {
		return fmt.Errorf("not a keeper URL: want %s, or leave it unset to use DATA/%s", Schemes(), KeyFile)
	}
	if !secrets.DefaultURLMux().ValidKeeperScheme(strings.ToLower(scheme)) {
		return fmt.Errorf("no keeper driver for %s:// in this build, which has %s only: leave it unset to use DATA/%s", scheme, Schemes(), KeyFile)
	}
	if strings.EqualFold(scheme, localsecrets.Scheme) {
		return checkBase64Key(rawURL, rest)
	}
	return nil
}

// keyHint says how to make a key for base64key://.
const keyHint = "use URL-safe base64, e.g. `" + keyCommand + "`"

// keyCommand makes a key in the form the local key file and base64key://
// take.
const keyCommand = "openssl rand -base64 32 | tr '+/' '-_'"

// checkBase64Key checks a base64key:// URL as localsecrets' URLOpener
// reads it: url.Parse, no query parameters, and the host through
// localsecrets.Base64Key. rest is what follows "://". Its errors name
// neither the URL nor the key.
func checkBase64Key(rawURL, rest string) error {
	key, _, _ := strings.Cut(rest, "?")
	key = strings.TrimRight(key, "/") // "base64key://KEY/" opens KEY
	if key == "" {
		// gocloud makes up a random key for "base64key://": passwords
		// stored with it could not be read after a restart.
		return fmt.Errorf("base64key:// needs the key after it (base64key://KEY, 32 bytes in URL-safe base64): %s, or leave it unset to use DATA/%s", keyHint, KeyFile)
	}
	if strings.ContainsAny(key, "+/") {
		// The driver decodes URL-safe base64 (- and _), and the URL's
		// host ends at a "/": a standard base64 key fails, or is cut.
		return fmt.Errorf("base64key:// key has + or / (standard base64), which the keeper cannot read: %s", keyHint)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		// err would repeat the URL.
		return fmt.Errorf("base64key:// URL does not parse: %s", keyHint)
	}
	if q := u.Query(); len(q) > 0 {
		return fmt.Errorf("base64key:// takes no query parameters, and has %q: remove them", slices.Sorted(maps.Keys(q)))
	}
	if _, err := localsecrets.Base64Key(u.Host); err != nil {
		// err says where decoding stopped or how many bytes it got,
		// never the key.
		return fmt.Errorf("base64key:// key is not 32 bytes in URL-safe base64 (%w): %s", err, keyHint)
	}
	return nil
}

// Schemes lists the keeper URL schemes this build can open, as
// "base64key://".
func Schemes() string {
	schemes := secrets.DefaultURLMux().KeeperSchemes() // sorted
	for i, s := range schemes {
		schemes[i] = s + "://"
	}
	return strings.Join(schemes, ", ")
}

// RedactURL keeps only the scheme of a keeper URL, for printing: a
// base64key:// URL carries the key itself.
func RedactURL(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		return u[:i+3] + "..."
	}
	return "..."
}

// IsRedactedURL reports whether u is what RedactURL prints (as `wharf
// config show` does) rather than a keeper URL.
func IsRedactedURL(u string) bool { return u != "" && RedactURL(u) == u }

// missingKey refuses to make a new key file name while the store holds
// secrets (sealed lists the remotes with one) that the old key sealed: a
// new key would open none of them.
func missingKey(ctx context.Context, name string, sealed func(context.Context) ([]string, error)) error {
	if sealed == nil {
		return nil
	}
	names, err := sealed(ctx)
	if err != nil {
		return fmt.Errorf("secret key %s is missing, and the store could not tell whether secrets were sealed with it: %w", name, err)
	}
	if len(names) == 0 {
		return nil
	}
	var again []string
	for _, n := range names {
		again = append(again, "wharf remote set "+n+" --password-stdin")
	}
	return fmt.Errorf("secret key %s is missing, and the passwords of remotes %s were sealed with it or with another keeper: "+
		"if that was a keeper URL, give it again (secrets_url, --secrets-url or WHARF_SECRETS_URL); otherwise restore the key from a backup of the data directory "+
		"(a new key cannot open them), or, if it is lost for good, make a new one (%s > %s, then chmod 600 it) and set each password again (%s)",
		name, strings.Join(names, ", "), keyCommand, name, strings.Join(again, "; "))
}

// localKey reads the key file, or creates it when it does not exist yet
// (unless missingKey refuses).
func localKey(ctx context.Context, name string, sealed func(context.Context) ([]string, error)) ([32]byte, error) {
	var key [32]byte
	fi, err := os.Stat(name)
	if errors.Is(err, fs.ErrNotExist) {
		if err := missingKey(ctx, name, sealed); err != nil {
			return key, err
		}
		return createKey(name)
	}
	if err != nil {
		return key, fmt.Errorf("secret key: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return key, fmt.Errorf("secret key %s has mode %04o: make it readable by its owner only (chmod 600 %s)",
			name, fi.Mode().Perm(), name)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return key, fmt.Errorf("secret key: %w", err)
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return key, fmt.Errorf("secret key %s is empty (cut short while it was made?): if no remote password was stored yet, remove it and Wharf makes a new one; otherwise restore it from a backup of the data directory", name)
	}
	key, err = localsecrets.Base64Key(strings.TrimSpace(string(data)))
	if err != nil {
		return key, fmt.Errorf("secret key %s: %w", name, err)
	}
	return key, nil
}

func createKey(name string) ([32]byte, error) {
	key, err := localsecrets.NewRandomKey()
	if err != nil {
		return key, fmt.Errorf("generate secret key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o700); err != nil {
		return key, fmt.Errorf("secret key: %w", err)
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return localKey(context.Background(), name, nil) // another process created it first
	}
	if err != nil {
		return key, fmt.Errorf("secret key: %w", err)
	}
	_, err = f.WriteString(base64.URLEncoding.EncodeToString(key[:]) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return key, fmt.Errorf("write secret key: %w", err)
	}
	return key, nil
}

// Encrypt seals s for the record named by bind (for example "remote/42"), so
// that its ciphertext cannot be moved to another record.
func (k *Keeper) Encrypt(ctx context.Context, s Secret, bind string) ([]byte, error) {
	plain := append([]byte(fmt.Sprintf("%d:%s", len(bind), bind)), s...)
	ct, err := k.k.Encrypt(ctx, plain)
	if err != nil {
		return nil, fmt.Errorf("encrypt secret for %s: %w", bind, err)
	}
	return ct, nil
}

// Decrypt opens a ciphertext from Encrypt with the same bind.
func (k *Keeper) Decrypt(ctx context.Context, ct []byte, bind string) (Secret, error) {
	plain, err := k.k.Decrypt(ctx, ct)
	if err != nil {
		return "", fmt.Errorf("decrypt secret for %s: %w", bind, err)
	}
	prefix := fmt.Sprintf("%d:%s", len(bind), bind)
	if !strings.HasPrefix(string(plain), prefix) {
		return "", fmt.Errorf("decrypt secret for %s: %w", bind, ErrBinding)
	}
	return Secret(plain[len(prefix):]), nil
}

// Close releases the keeper.
func (k *Keeper) Close() error { return k.k.Close() }
