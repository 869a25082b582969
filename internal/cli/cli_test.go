package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-mft/wharf/internal/store"
	"github.com/wharf-mft/wharf/internal/store/sqlite"
)

// result is what one run of the command line produced.
type result struct {
	stdout, stderr string
	err            error
}

// run executes wharf --data dir args... in-process with an empty
// environment and stdin as standard input.
func run(t *testing.T, dir, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	err := Execute(t.Context(), append([]string{"--data", dir}, args...), Options{
		Stdin:     strings.NewReader(stdin),
		Stdout:    &out,
		Stderr:    &errOut,
		LookupEnv: func(string) (string, bool) { return "", false },
	})
	return result{out.String(), errOut.String(), err}
}

// step is one command in a scripted session and what it must print.
type step struct {
	name    string
	args    []string
	stdin   string
	wantErr string   // substring of the error; "" wants success
	want    []string // substrings of stdout
	notWant []string // must not appear in stdout
}

// runSteps runs steps in order against one data directory.
func runSteps(t *testing.T, dir string, steps []step) {
	t.Helper()
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			r := run(t, dir, s.stdin, s.args...)
			switch {
			case s.wantErr == "" && r.err != nil:
				t.Fatalf("wharf %s: error %v\nstdout:\n%s", strings.Join(s.args, " "), r.err, r.stdout)
			case s.wantErr != "" && r.err == nil:
				t.Fatalf("wharf %s succeeded, want error containing %q\nstdout:\n%s", strings.Join(s.args, " "), s.wantErr, r.stdout)
			case s.wantErr != "" && !strings.Contains(r.err.Error(), s.wantErr):
				t.Fatalf("wharf %s: error %q, want it to contain %q", strings.Join(s.args, " "), r.err, s.wantErr)
			}
			for _, w := range s.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("wharf %s: stdout lacks %q:\n%s", strings.Join(s.args, " "), w, r.stdout)
				}
			}
			for _, w := range s.notWant {
				if strings.Contains(r.stdout, w) {
					t.Errorf("wharf %s: stdout has %q:\n%s", strings.Join(s.args, " "), w, r.stdout)
				}
			}
		})
	}
}

// openStore opens dir's store for checks the command line cannot make.
func openStore(t *testing.T, dir string) store.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "wharf.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// syncBuffer is a bytes.Buffer safe for a command writing in one goroutine
// while the test waits for output in another.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	written chan struct{} // gets a value after each write
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{written: make(chan struct{}, 1)} }

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.b.Write(p)
	select {
	case s.written <- struct{}{}:
	default:
	}
	return n, err
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor waits until the buffer contains want, or fails after 10s.
func (s *syncBuffer) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for !strings.Contains(s.String(), want) {
		select {
		case <-s.written:
		case <-deadline:
			t.Fatalf("output never contained %q:\n%s", want, s.String())
		}
	}
}

// start runs wharf in the background until the returned cancel is called;
// wait returns its error.
func start(t *testing.T, dir string, env map[string]string, args ...string) (out, errOut *syncBuffer, cancel func(), wait func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	out, errOut = newSyncBuffer(), newSyncBuffer()
	done := make(chan error, 1)
	go func() {
		done <- Execute(ctx, append([]string{"--data", dir}, args...), Options{
			Stdin:        strings.NewReader(""),
			Stdout:       out,
			Stderr:       errOut,
			LookupEnv:    func(k string) (string, bool) { v, ok := env[k]; return v, ok },
			PollInterval: 10 * time.Millisecond,
		})
	}()
	t.Cleanup(cancel)
	return out, errOut, cancel, func() error {
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("command did not stop within 10s of cancel")
			return nil
		}
	}
}
