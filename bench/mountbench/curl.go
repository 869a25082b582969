package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// endpoint is where curl goes: Wharf's mount or vsftpd itself.
type endpoint struct {
	name     string // "mount" or "direct"
	mode     mode
	url      func(p string) string
	user     string
	password string
	servers  []server // whose CPU time a run is charged: Wharf and vsftpd, or vsftpd
}

// curlRun is one curl call: its phases as curl reports them (-w), the bytes
// it moved, and the CPU time curl and each server used meanwhile.
type curlRun struct {
	pretransfer   time.Duration // connect, TLS, login, CWD, EPSV, TYPE
	starttransfer time.Duration // up to the first byte of data
	total         time.Duration
	up, down      int64
	curlCPU       time.Duration
	serverCPU     []time.Duration // as endpoint.servers
	otherCPU      time.Duration   // busy CPU time of everything else on the machine
	busyStart     bool            // the machine was not idle when the run started
}

// curl runs curl once against e, in passive mode, with args before the URL
// of path: over explicit FTPS (--ssl-reqd, certificate checks off) or, in
// plain mode, over plain FTP.
func curl(ctx context.Context, e endpoint, path string, args ...string) (curlRun, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	argv := []string{"-sS", "--fail", "--ftp-pasv"}
	if e.mode.tls() {
		argv = append(argv, "--ssl-reqd", "-k")
	}
	argv = append(argv, "--max-time", "600", "-K", "-",
		"-w", "%{time_pretransfer} %{time_starttransfer} %{time_total} %{size_upload} %{size_download}")
	argv = append(argv, args...)
	argv = append(argv, e.url(path))
	cmd := exec.CommandContext(ctx, "curl", argv...)
	// The password goes through curl's config on stdin, not the command line.
	cmd.Stdin = strings.NewReader(fmt.Sprintf("user = \"%s:%s\"\n", e.user, e.password))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	r, err := metered(e, func(r *curlRun) error {
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("curl %s (%s) %s: %w: %s", e.name, e.mode.label(), e.url(path), err, strings.TrimSpace(stderr.String()))
		}
		r.curlCPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		return nil
	})
	if err != nil {
		return r, err
	}
	f := strings.Fields(stdout.String())
	if len(f) != 5 {
		return curlRun{}, fmt.Errorf("curl %s: unexpected -w output %q", e.name, stdout.String())
	}
	r.pretransfer = seconds(f[0])
	r.starttransfer = seconds(f[1])
	r.total = seconds(f[2])
	r.up, _ = strconv.ParseInt(f[3], 10, 64)
	r.down, _ = strconv.ParseInt(f[4], 10, 64)
	return r, nil
}

// metered runs fn (a client talking to e) and charges the CPU time of
// e's servers, and of everything else on the machine, to the run.
func metered(e endpoint, fn func(*curlRun) error) (curlRun, error) {
	meters := make([]*cpuMeter, len(e.servers))
	for i, p := range e.servers {
		meters[i] = startCPU(p)
	}
	busy0, _ := cpuBusy()
	self0 := selfCPU()
	var r curlRun
	err := fn(&r)
	// Let the servers finish the session (QUIT, exit) before the meters stop.
	time.Sleep(200 * time.Millisecond)
	busy1, _ := cpuBusy()
	for _, m := range meters {
		r.serverCPU = append(r.serverCPU, m.Stop())
	}
	self := selfCPU() - self0 // the meters' sampling, and a Go client's work
	r.otherCPU = busy1 - busy0 - self - r.curlCPU
	for _, t := range r.serverCPU {
		r.otherCPU -= t
	}
	r.otherCPU = max(0, r.otherCPU)
	return r, err
}

func seconds(s string) time.Duration {
	x, _ := strconv.ParseFloat(s, 64)
	return time.Duration(x * float64(time.Second))
}
