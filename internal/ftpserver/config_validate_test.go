package ftpserver_test

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/wharf-mft/wharf/internal/ftpserver"
)

// checkValidate runs Validate and checks its error: nil when want is
// empty, otherwise containing each of want and none of notWant.
func checkValidate(t *testing.T, c ftpserver.Config, want, notWant []string) {
	t.Helper()
	err := c.Defaults().Validate()
	if len(want) == 0 {
		if err != nil {
			t.Errorf("Validate() = %v, want nil", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("Validate() = nil, want an error containing %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("Validate() error:\n%v\nwant it to contain %q", err, w)
		}
	}
	for _, w := range notWant {
		if strings.Contains(err.Error(), w) {
			t.Errorf("Validate() error:\n%v\nwant it not to contain %q", err, w)
		}
	}
}

func TestValidateListen(t *testing.T) {
	for _, tt := range []struct {
		listen, implicit string
		want             string // "" means valid
	}{
		{"127.0.0.1:99999", "", `listen "127.0.0.1:99999": port "99999" is not a number from 0 to 65535`},
		{"", ":65536", `listen_implicit ":65536": port "65536" is not a number`},
		{":-1", "", `listen ":-1": port "-1" is not a number`},
		{":ftp", "", `listen ":ftp": port "ftp" is not a number`},
		{"127.0.0.1:", "", `listen "127.0.0.1:": port "" is not a number`},
		{"nowhere", "", `listen "nowhere": want HOST:PORT or :PORT`},
		{"127.0.0.1:2121", "", ""},
		{":0", ":65535", ""},
		{":2121", ":2121", `listen ":2121" and listen_implicit ":2121" both use port 2121: give each listener its own port`},
		{":2121", "127.0.0.1:2121", `listen ":2121" and listen_implicit "127.0.0.1:2121" both use port 2121`},
		{"[::1]:21", "0.0.0.0:21", "both use port 21"},
		{"[::]:21", "[::1]:21", "both use port 21"},
		{"[::1]:21", "[0:0::1]:21", "both use port 21"},
		{"LocalHost:21", "localhost:21", "both use port 21"},
		{"127.0.0.1:21", "127.0.0.2:21", ""},
		{"127.0.0.1:21", "[::1]:21", ""},
		{"127.0.0.1:0", "127.0.0.1:0", ""}, // the kernel picks two ports
	} {
		t.Run(tt.listen+" "+tt.implicit, func(t *testing.T) {
			var want []string
			if tt.want != "" {
				want = []string{tt.want}
			}
			checkValidate(t, ftpserver.Config{Listen: tt.listen, ListenImplicit: tt.implicit}, want, nil)
		})
	}
}

func TestValidateTempExtensions(t *testing.T) {
	for in, want := range map[string]string{
		"":            "",
		".tmp, .part": "",
		"tmp":         `temp_extensions: "tmp" is not an extension: write it with its dot, e.g. .tmp,.part`,
		".tmp,*.part": `temp_extensions: "*.part" is not an extension`,
		".":           `temp_extensions: "." is not an extension`,
	} {
		var w []string
		if want != "" {
			w = []string{want}
		}
		checkValidate(t, ftpserver.Config{Listen: ":0", TempExtensions: in}, w, nil)
	}
	if got, err := ftpserver.CleanExtensions(" .tmp,, .PART "); got != ".tmp,.PART" || err != nil {
		t.Errorf(`CleanExtensions(" .tmp,, .PART ") = %q, %v; want ".tmp,.PART"`, got, err)
	}
}

// TestValidateCertificate: Validate opens and loads the certificate files
// as serving does, and says what is wrong with them.
func TestValidateCertificate(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	certPEM, keyPEM, err := ftpserver.SelfSigned([]string{"v.example"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, otherKey, err := ftpserver.SelfSigned([]string{"other.example"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, p("c.pem"), certPEM)
	writeFile(t, p("k.pem"), keyPEM)
	writeFile(t, p("other-k.pem"), otherKey)
	writeFile(t, p("both.pem"), append(append([]byte{}, certPEM...), keyPEM...))
	junk := make([]byte, 300)
	rand.Read(junk)
	writeFile(t, p("junk.p12"), junk)
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	for name, enc := range map[string]*pkcs12.Encoder{"modern.p12": pkcs12.Modern, "legacy.p12": pkcs12.LegacyDES, "rc2.p12": pkcs12.LegacyRC2} {
		data, err := enc.Encode(pair.PrivateKey, leaf, nil, "p12secret")
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, p(name), data)
	}

	const listen = "127.0.0.1:0"
	tests := []struct {
		name          string
		cfg           ftpserver.Config
		want, notWant []string
	}{
		{name: "PEM pair", cfg: ftpserver.Config{CertFile: p("c.pem"), KeyFile: p("k.pem")}},
		{name: "PEM in one file", cfg: ftpserver.Config{CertFile: p("both.pem"), KeyFile: p("both.pem")}},
		{name: "cert without key", cfg: ftpserver.Config{CertFile: p("c.pem")},
			want: []string{"cert_file and key_file go together: set both or neither"}},
		{name: "key without cert", cfg: ftpserver.Config{KeyFile: p("k.pem")},
			want: []string{"cert_file and key_file go together"}},
		{name: "missing files", cfg: ftpserver.Config{CertFile: p("nope.pem"), KeyFile: p("k.pem"), PKCS12File: p("nope.p12")},
			want: []string{
				"set either cert_file/key_file or pkcs12_file, not both",
				`cert_file "` + p("nope.pem") + `": no such file or directory: check the path`,
				`pkcs12_file "` + p("nope.p12") + `": no such file or directory`,
			}},
		{name: "directory", cfg: ftpserver.Config{CertFile: dir, KeyFile: p("k.pem")},
			want: []string{`cert_file "` + dir + `" is a directory: want a file`}},
		{name: "key of another certificate", cfg: ftpserver.Config{CertFile: p("c.pem"), KeyFile: p("other-k.pem")},
			want: []string{`cert_file "` + p("c.pem") + `" with key_file "` + p("other-k.pem") + `": tls: private key does not match public key`}},
		{name: "key as certificate", cfg: ftpserver.Config{CertFile: p("k.pem"), KeyFile: p("k.pem")},
			want: []string{"want a PEM certificate chain and its own PEM private key"}},
		{name: "PKCS#12 modern", cfg: ftpserver.Config{PKCS12File: p("modern.p12"), PKCS12Password: "p12secret"}},
		{name: "PKCS#12 3DES", cfg: ftpserver.Config{PKCS12File: p("legacy.p12"), PKCS12Password: "p12secret"}},
		{name: "PKCS#12 RC2", cfg: ftpserver.Config{PKCS12File: p("rc2.p12"), PKCS12Password: "p12secret"}},
		{name: "PKCS#12 wrong password", cfg: ftpserver.Config{PKCS12File: p("modern.p12"), PKCS12Password: "wrong"},
			want: []string{`pkcs12_file "` + p("modern.p12") + `": wrong password`, "check pkcs12_password"}},
		{name: "PKCS#12 no password", cfg: ftpserver.Config{PKCS12File: p("legacy.p12")},
			want: []string{"wrong password", "check pkcs12_password"}},
		{name: "not PKCS#12", cfg: ftpserver.Config{PKCS12File: p("junk.p12"), PKCS12Password: "p12secret"},
			want: []string{`pkcs12_file "` + p("junk.p12") + `": not a PKCS#12 file`}, notWant: []string{"pkcs12_password", "asn1"}},
		{name: "PEM as PKCS#12", cfg: ftpserver.Config{PKCS12File: p("both.pem")},
			want: []string{"not a PKCS#12 file but PEM: set cert_file and key_file"}, notWant: []string{"pkcs12_password"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Listen = listen
			checkValidate(t, tt.cfg, tt.want, tt.notWant)
		})
	}

	t.Run("unreadable", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root reads any file: run as another user to test permission denied")
		}
		if err := os.Chmod(p("k.pem"), 0); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(p("k.pem"), 0o600)
		checkValidate(t, ftpserver.Config{Listen: listen, CertFile: p("c.pem"), KeyFile: p("k.pem")},
			[]string{`key_file "` + p("k.pem") + `": permission denied: make the file (and its directories) readable by the user that runs wharf`}, nil)
	})

	// In a larger configuration, every setting named carries its section.
	err = ftpserver.Config{ListenImplicit: "127.0.0.1:99999", PKCS12File: p("modern.p12"), MinTLS: "1.1"}.Defaults().ValidateSection("server")
	for _, w := range []string{`server.listen_implicit "127.0.0.1:99999"`, `server.pkcs12_file "` + p("modern.p12") + `": wrong password`,
		"check server.pkcs12_password", `server.min_tls "1.1": want 1.2 or 1.3`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("ValidateSection(server) error:\n%v\nwant it to contain %q", err, w)
		}
	}
}
