#!/usr/bin/env python3
"""Drive Wharf's FTP server with Python's ftplib (FTP_TLS) for the interop
tests in internal/ftpserver/interop_ftplib_test.go.

Usage: ftpclient.py SCENARIO HOST PORT USER [ARGS...]
The password is read from $WHARF_FTP_PASSWORD. The script prints one JSON
object mapping step names to {"ok", "reply", "exc", "lines", "extra"}; the
Go test makes every assertion. It exits non-zero only on a bug of its own.
"""

import ftplib
import json
import os
import socket
import ssl
import sys

TIMEOUT = 10
steps = {}


def record(name, fn):
    """Run fn, recording its reply (or error) as step name."""
    st = {"ok": True, "reply": "", "exc": "", "lines": [], "extra": []}
    try:
        out = fn()
        if isinstance(out, list):
            st["lines"] = [str(x) for x in out]
        elif out is not None:
            st["reply"] = str(out)
    except ftplib.Error as e:
        st["ok"], st["reply"], st["exc"] = False, str(e), type(e).__name__ + ": " + str(e)
    except (OSError, EOFError, ValueError) as e:
        st["ok"], st["exc"] = False, type(e).__name__ + ": " + str(e)
    steps[name] = st
    return st


_contexts = {}


def context(tls_max):
    """One client context per TLS setting, shared by all connections (a
    TLS session can only be resumed through the context that made it)."""
    if tls_max in _contexts:
        return _contexts[tls_max]
    ctx = _contexts[tls_max] = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if tls_max == "1.2":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    elif tls_max == "1.3":
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    return ctx


class ReusingFTP_TLS(ftplib.FTP_TLS):
    """FTP_TLS that resumes the control connection's TLS session on data
    connections, as vsftpd's require_ssl_reuse expects."""

    session_from = None  # another ReusingFTP_TLS whose session to offer

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            src = self.session_from or self
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=src.sock.session)
            st = steps.setdefault("resumed", {"ok": True, "reply": "", "exc": "", "lines": [], "extra": []})
            st["lines"].append(str(conn.session_reused))
        return conn, size


def connect(host, port, user, tls_max="", reuse=False, prefix=""):
    cls = ReusingFTP_TLS if reuse else ftplib.FTP_TLS
    ftp = cls(context=context(tls_max), timeout=TIMEOUT)
    record(prefix + "connect", lambda: ftp.connect(host, int(port)))
    record(prefix + "login", lambda: ftp.login(user, os.environ["WHARF_FTP_PASSWORD"]))
    record(prefix + "prot_p", ftp.prot_p)
    return ftp


def connect_plain(host, port, user):
    ftp = ftplib.FTP(timeout=TIMEOUT)
    record("connect", lambda: ftp.connect(host, int(port)))
    record("login", lambda: ftp.login(user, os.environ["WHARF_FTP_PASSWORD"]))
    return ftp


def read_extra(ftp, st, n=3):
    """Read the replies still pending after an error or abort (at most n),
    until a 2xx reply or until the server goes quiet for 2 s."""
    ftp.sock.settimeout(2)
    try:
        for _ in range(n):
            line = ftp.getmultiline()
            st["extra"].append(line)
            if line[:1] == "2":
                break
    except (OSError, EOFError) as e:
        st["extra"].append("(" + type(e).__name__ + ")")
    finally:
        ftp.sock.settimeout(TIMEOUT)


def roundtrip(ftp, up, down):
    record("mkd", lambda: ftp.mkd("/receive/dir"))
    with open(up, "rb") as f:
        record("stor_a", lambda: ftp.storbinary("STOR /receive/dir/a.edi", f))
    with open(up, "rb") as f:
        record("stor_c", lambda: ftp.storbinary("STOR /receive/dir/c.edi", f))
    record("nlst", lambda: sorted(ftp.nlst("/receive/dir")))
    record("mlsd", lambda: sorted("%s type=%s size=%s" % (n, f.get("type"), f.get("size")) for n, f in ftp.mlsd("/receive/dir")))
    record("rename", lambda: ftp.rename("/receive/dir/a.edi", "/receive/dir/b.edi"))
    record("delete", lambda: ftp.delete("/receive/dir/c.edi"))
    with open(down, "wb") as f:
        record("retr", lambda: ftp.retrbinary("RETR /send/x.edi", f.write))
    record("nlst_after", lambda: sorted(ftp.nlst("/receive/dir")))


def upload_abnormal(ftp, path, nbytes, how, peek=None):
    ftp.voidcmd("TYPE I")
    holder = {}

    def start():
        holder["conn"] = ftp.transfercmd("STOR " + path)
        return "150"

    st = record("stor", start)
    if not st["ok"]:
        return
    conn = holder["conn"]
    chunk = b"U" * 65536
    sent = 0
    while sent < nbytes:
        conn.sendall(chunk[: min(len(chunk), nbytes - sent)])
        sent += min(len(chunk), nbytes - sent)
    if peek:
        # While the upload is open, a second session lists its folder.
        other = connect(*peek, prefix="peek_")
        folder = path.rsplit("/", 1)[0] or "/"
        record("nlst_during", lambda: sorted(other.nlst(folder)))
        record("list_during", lambda: (lambda out: (other.retrlines("LIST -a " + folder, out.append), out)[1])([]))
        other.quit()
    if how == "abor":
        st = record("abort", ftp.abort)
        read_extra(ftp, st)
        conn.close()  # no unwrap(): no close_notify
    else:
        conn.shutdown(socket.SHUT_WR)  # drops the TLS layer: a bare FIN
        record("result", ftp.voidresp)
        conn.close()


def download_abort(ftp, path, nbytes):
    ftp.voidcmd("TYPE I")
    holder = {}

    def start():
        holder["conn"] = ftp.transfercmd("RETR " + path)
        return "150"

    st = record("retr", start)
    if not st["ok"]:
        return
    conn = holder["conn"]
    got = 0
    while got < nbytes:
        b = conn.recv(min(65536, nbytes - got))
        if not b:
            break
        got += len(b)
    steps["retr"]["lines"] = ["received %d" % got]
    st = record("abort", ftp.abort)
    read_extra(ftp, st)
    conn.close()


def data_ops(ftp, down):
    """A listing and a download; on a failed data connection, also read
    the server's final reply for it."""
    for name, fn in (("nlst", lambda: ftp.nlst("/send")),
                     ("retr", lambda: ftp.retrbinary("RETR /send/x.edi", open(down, "wb").write))):
        st = record(name, fn)
        if not st["ok"] and not st["reply"]:
            read_extra(ftp, st, 1)


def main():
    scenario, host, port, user = sys.argv[1:5]
    args = sys.argv[5:]
    if scenario == "roundtrip":
        ftp = connect(host, port, user)
        roundtrip(ftp, args[0], args[1])
    elif scenario == "upload-abor":
        ftp = connect(host, port, user)
        upload_abnormal(ftp, args[0], int(args[1]), "abor", peek=(host, port, user))
        record("nlst_after", lambda: sorted(ftp.nlst(args[2])))
    elif scenario == "upload-fin":
        ftp = connect(host, port, user)
        upload_abnormal(ftp, args[0], int(args[1]), "fin")
        record("nlst_after", lambda: sorted(ftp.nlst(args[2])))
    elif scenario in ("download-abort", "download-abort-plain"):
        # Plain FTP: ftplib sends ABOR's last byte as TCP urgent data.
        ftp = connect(host, port, user) if scenario == "download-abort" else connect_plain(host, port, user)
        download_abort(ftp, args[0], int(args[1]))
        record("noop_after", lambda: ftp.voidcmd("NOOP"))
    elif scenario == "data":
        # args: tls_max ("", "1.2", "1.3"), reuse ("reuse"/"noreuse"),
        # local file, and optionally "active" for PORT instead of PASV
        ftp = connect(host, port, user, tls_max=args[0], reuse=args[1] == "reuse")
        if args[3:4] == ["active"]:
            ftp.set_pasv(False)
        steps["tls"] = {"ok": True, "reply": ftp.sock.version(), "exc": "", "lines": [], "extra": []}
        data_ops(ftp, args[2])
    elif scenario == "cross-session":
        # args: tls_max, local file. Session b offers session a's TLS
        # session on its data connections (same user, same IP).
        a = connect(host, port, user, tls_max=args[0], reuse=True, prefix="a_")
        record("a_nlst", lambda: a.nlst("/send"))  # a's own session: works
        ftp = connect(host, port, user, tls_max=args[0], reuse=True, prefix="b_")
        ftp.session_from = a
        steps["b_tls"] = {"ok": True, "reply": ftp.sock.version(), "exc": "", "lines": [], "extra": []}
        data_ops(ftp, args[1])
        a.quit()
    elif scenario == "prot-c":
        # TLS on the control connection, clear data (PROT C).
        ftp = connect(host, port, user)
        record("prot_c", ftp.prot_c)
        st = record("nlst", lambda: ftp.nlst("/send"))
        if not st["ok"] and not st["reply"]:
            read_extra(ftp, st, 1)
        with open(args[0], "wb") as f:
            st = record("retr", lambda: ftp.retrbinary("RETR /send/x.edi", f.write))
        if not st["ok"] and not st["reply"]:
            read_extra(ftp, st, 1)
    else:
        sys.exit("unknown scenario " + scenario)
    try:
        ftp.quit()
    except (ftplib.Error, OSError, EOFError):
        ftp.close()
    print(json.dumps(steps))


if __name__ == "__main__":
    main()
