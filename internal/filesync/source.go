package filesync

import (
	"fmt"
	"io"

	"github.com/wharf-mft/wharf/internal/vfs"
)

// listedSource reads a local file being pushed and fails the read, rather
// than end it, when the file is not the one listed (want): more bytes than
// listed, or at the end a size or modification time that differs, as when
// a program rewrites the file in place during the copy. An upload whose
// reader fails is not published (remote.Pool deletes its temporary
// name), so a copy mixing two versions never shows under the file's
// name, and the next run pushes the new version once.
type listedSource struct {
	f    vfs.File
	want File
	n    int64 // read so far
}

// errTorn reports a local file that changed while its push read it.
var errTorn = fmt.Errorf("%w: changed while it was being copied, so the copy was not published; the next run sends the file as it is then", errNotRetried)

// check returns io.EOF when the file is still as listed after n bytes,
// else errTorn.
func (s *listedSource) check() error {
	fi, err := s.f.Stat()
	if err != nil {
		return err
	}
	if s.n != s.want.Size || fi.Size() != s.want.Size || !fi.ModTime().Equal(s.want.ModTime) {
		return errTorn
	}
	return io.EOF
}

func (s *listedSource) Read(p []byte) (int, error) {
	if s.n > s.want.Size {
		return 0, errTorn
	}
	// One byte past the listed size tells a file that grew.
	if rest := s.want.Size + 1 - s.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := s.f.Read(p)
	s.n += int64(n)
	switch {
	case s.n > s.want.Size:
		return n, errTorn
	case err == io.EOF:
		return n, s.check()
	}
	return n, err
}

// Seek rewinds for an upload's retry.
func (s *listedSource) Seek(off int64, whence int) (int64, error) {
	pos, err := s.f.Seek(off, whence)
	if err == nil {
		s.n = pos
	}
	return pos, err
}

// WriteTo hands w the file itself, limited to one byte past the listed
// size, where w reads from a reader (a plain data connection sends a
// local file with sendfile), then checks the file as Read does at its end.
func (s *listedSource) WriteTo(w io.Writer) (int64, error) {
	rf, ok := w.(io.ReaderFrom)
	if !ok || s.n > s.want.Size {
		return io.Copy(w, struct{ io.Reader }{s})
	}
	n, err := rf.ReadFrom(&io.LimitedReader{R: s.f, N: s.want.Size + 1 - s.n})
	s.n += n
	if err != nil {
		return n, err
	}
	if err := s.check(); err != io.EOF {
		return n, err
	}
	return n, nil
}
