package main

import (
	"github.com/wharf-mft/wharf/bench/internal/benchkit"
	"net"
	"strconv"
)

// server is one FTP server under test. Partners upload into /receive and
// download from /send on both; recvDir and sendDir are those folders on disk.
type server struct {
	name     string
	host     string
	port     int
	user     string
	password string
	sendDir  string
	recvDir  string
	uid, gid int // owner of files the server writes; seeded files get it too
	proc     *benchkit.Proc
}

func (s *server) addr() string { return net.JoinHostPort(s.host, strconv.Itoa(s.port)) }

func (s *server) url(p string) string { return "ftp://" + s.addr() + p }
