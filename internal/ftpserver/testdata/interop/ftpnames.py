#!/usr/bin/env python3
"""Names scenario for TestInteropFtplibNames (internal/ftpserver/names_test.go),
on ftpclient.py's helpers: uploads, MKD and RNTO of names the server refuses,
then a download, a rename and a delete of files a back-end misnamed.

Usage: ftpnames.py HOST PORT USER
The password is read from $WHARF_FTP_PASSWORD. Prints ftpclient.py's JSON
object of steps; the Go test makes every assertion.
"""

import io
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ftpclient as fc  # noqa: E402


def main():
    host, port, user = sys.argv[1:4]
    ftp = fc.connect(host, port, user)
    fc.record("cwd", lambda: ftp.cwd("/receive"))
    # ftplib sends "STOR " and the name as given: " lead.edi" goes out as
    # "STOR  lead.edi".
    for step, name in (("stor_lead", " lead.edi"), ("stor_trail", "trail.edi "),
                       ("stor_backslash", "a\\b.edi"), ("stor_dot", "dot.edi.")):
        fc.record(step, lambda: ftp.storbinary("STOR " + name, io.BytesIO(b"payload")))
    fc.record("mkd_trail", lambda: ftp.mkd("dir "))
    fc.record("rename_trail", lambda: ftp.rename("ok.edi", "ok.edi "))
    buf = io.BytesIO()
    st = fc.record("retr_old", lambda: ftp.retrbinary("RETR old.edi ", buf.write))
    st["lines"] = [buf.getvalue().decode()]
    fc.record("rename_fix", lambda: ftp.rename("old.edi ", "old.edi"))
    fc.record("delete_gone", lambda: ftp.delete("gone.edi "))
    fc.record("nlst", lambda: sorted(ftp.nlst()))
    ftp.quit()
    print(json.dumps(fc.steps))


if __name__ == "__main__":
    main()
