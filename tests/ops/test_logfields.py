#!/usr/bin/env python3
"""Access-log fields and syslog delivery (issue 13 item 2) through the real
c-icap daemon, with a real rsyslogd (Debian package) started here on a
private socket with its own configuration:

  fields   a virus download: threat, sha256 of the whole body,
           filename (Content-Disposition filename*), content_type,
           http_status, policy, groups, istag, generation; a multipart upload
           with a virus in a file part: filename of the part, sha256 of the
           whole body; clean transactions carry neither sha256 nor threat
  rsyslog  every line arrived at rsyslogd, parsed by rsyslog as RFC 5424
           (protocol version 1, app sekisho, msgid access, facility local5,
           severity warning for a block) with the JSON line as message
  stderr   server-log lines that matter reach the launcher's stderr: the
           built-in TEST-signatures warning, a signature reload, a policy
           database that cannot be loaded
  rotate   the real logrotate with contrib/logrotate/sekisho (paths, owner
           and the systemctl call swapped for the test's): the old lines
           stay in access.log.1, lines after the reload go to a new
           access.log (mode 0600), none lost, the server log reopened too

Needs rsyslog (contrib/deps.sh test); fails without it.
Usage: test_logfields.py --build-dir BUILD
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from icaplib import (Check, SekishoServer, StartupError, transact,  # noqa: E402
                     http_req_head, http_res_head)

SIGS = os.path.join(HERE, "..", "sigs")
EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
RSYSLOGD = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
LOCAL5 = 21


def poll(fn, timeout, step=0.2):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(step)


class Rsyslog:
    """rsyslogd in the foreground on SOCK; each message as one line of
    rsyslog's own parse: version|facility|severity|app|msgid|msg."""

    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "rsyslog")
        os.makedirs(self.dir)
        self.sock = os.path.join(self.dir, "log.sock")
        self.out = os.path.join(self.dir, "out.log")
        conf = os.path.join(self.dir, "rsyslog.conf")
        with open(conf, "w") as f:
            f.write('global(workDirectory="%s")\n' % self.dir)
            f.write('module(load="imuxsock" SysSock.Use="off")\n')
            # the normal parser chain (RFC 5424, then 3164), not the
            # special local-socket one, so rsyslog parses what we send
            f.write('input(type="imuxsock" Socket="%s" UseSpecialParser="off" '
                    'ParseHostname="on" UseSysTimeStamp="off")\n' % self.sock)
            f.write('template(name="sk" type="string" string="%protocol-version%|'
                    '%syslogfacility%|%syslogseverity%|%app-name%|%msgid%|%msg%\\n")\n')
            f.write('*.* action(type="omfile" file="%s" template="sk")\n' % self.out)
        self.log = open(os.path.join(self.dir, "rsyslogd.log"), "wb")
        self.proc = subprocess.Popen([RSYSLOGD, "-n", "-f", conf, "-i",
                                      os.path.join(self.dir, "pid")],
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        if not poll(lambda: os.path.exists(self.sock), 10):
            raise StartupError("rsyslogd made no socket: %s" % self.tail())

    def tail(self):
        with open(os.path.join(self.dir, "rsyslogd.log"), "rb") as f:
            return f.read()[-600:]

    def lines(self):
        try:
            with open(self.out, "rb") as f:
                return [ln.decode("utf-8", "replace") for ln in f.read().splitlines()]
        except OSError:
            return []

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def multipart(boundary, parts):
    out = []
    for headers, data in parts:
        out.append(b"--" + boundary + b"\r\n" + b"".join(h + b"\r\n" for h in headers) +
                   b"\r\n" + data + b"\r\n")
    return b"".join(out) + b"--" + boundary + b"--\r\n"


def traffic(srv):
    """The transactions, by name; each checks its ICAP answer."""
    groups = ["X-Authenticated-User: alice", "X-Authenticated-Groups: Staff"]
    res = http_res_head(ctype="application/x-msdownload", body_len=len(EICAR), extra=(
        "Content-Disposition: attachment; filename=\"old.com\"; "
        "filename*=UTF-8''r%C3%A9sum%C3%A9.com",))
    c = srv.conn()
    got = {}
    got["download"] = transact(c, "RESPMOD", srv.url("respmod"),
                               req_hdr=http_req_head("GET", "http://dl.test/virus.com"),
                               res_hdr=res, body=EICAR, allow204=True, extra=groups)
    clean = b"just text\n" * 100
    got["clean_download"] = transact(
        c, "RESPMOD", srv.url("respmod"), req_hdr=http_req_head("GET", "http://dl.test/ok.txt"),
        res_hdr=http_res_head(ctype="text/plain", body_len=len(clean)), body=clean,
        allow204=True)
    got["clean_get"] = transact(c, "REQMOD", srv.url("reqmod"),
                                req_hdr=http_req_head("GET", "http://ok.test/"), allow204=True)
    c.close()
    body = multipart(b"sk-b0undary", [
        ([b'Content-Disposition: form-data; name="comment"'], b"hello"),
        ([b'Content-Disposition: form-data; name="file"; filename="upload \\"1\\".exe"',
          b"Content-Type: application/octet-stream"], EICAR),
    ])
    hdr = http_req_head("POST", "http://upload.test/form", extra=[
        "Content-Type: multipart/form-data; boundary=sk-b0undary"], body_len=len(body))
    c = srv.conn()
    got["upload"] = transact(c, "REQMOD", srv.url("reqmod"), req_hdr=hdr, body=body,
                             allow204=False)
    c.close()
    return got, hashlib.sha256(body).hexdigest()


def t_fields(ck, recs, got, upload_sha):
    ck.ok("the virus download is blocked", got["download"].http_status() == 403, got["download"])
    ck.ok("the upload with a virus part is blocked", got["upload"].http_status() == 403,
          got["upload"])
    by_url = {j.get("url"): j for j in recs}
    d = by_url.get("http://dl.test/virus.com", {})
    ck.ok("download: threat named", d.get("threat", "").startswith("Eicar"), d)
    ck.eq("download: sha256 of the body", d.get("sha256"), hashlib.sha256(EICAR).hexdigest())
    ck.eq("download: filename from filename* (RFC 6266 over filename, percent-decoded)",
          d.get("filename"), "r\u00e9sum\u00e9.com")
    ck.eq("download: content_type", d.get("content_type"), "application/x-msdownload")
    ck.eq("download: http_status", d.get("http_status"), 200)
    ck.eq("download: groups", d.get("groups"), "Staff")
    ck.eq("download: policy", d.get("policy"), "default")
    ck.ok("download: istag and generation", d.get("istag", "").startswith("CI0001-") and
          isinstance(d.get("generation"), int) and d["generation"] >= 1, d)
    u = by_url.get("http://upload.test/form", {})
    ck.eq("upload: filename of the multipart file part", u.get("filename"), 'upload "1".exe')
    ck.eq("upload: sha256 of the whole body", u.get("sha256"), upload_sha)
    ck.ok("upload: threat named", u.get("threat", "").startswith("Eicar"), u)
    ck.ok("upload: content_type is the form's",
          u.get("content_type", "").startswith("multipart/form-data"), u)
    for url in ("http://dl.test/ok.txt", "http://ok.test/"):
        j = by_url.get(url, {})
        ck.ok("clean %s: logged, no sha256, no threat" % url,
              j.get("verdict") == "allow" and "sha256" not in j and "threat" not in j, j)


LOGROTATE = shutil.which("logrotate") or "/usr/sbin/logrotate"
SAMPLE = os.path.join(HERE, "..", "..", "contrib", "logrotate", "sekisho")


def get(srv, n, tag):
    c = srv.conn()
    for i in range(n):
        for attempt in (0, 1):
            seen = c.recv_total
            try:
                r = transact(c, "REQMOD", srv.url("reqmod"),
                             req_hdr=http_req_head("GET", "http://%s.test/%d" % (tag, i)),
                             allow204=True)
                break
            except (EOFError, ConnectionResetError):
                # A reload replaces the c-icap children; one retiring closes
                # its idle keep-alive connections. Like Squid, retry once on
                # a new connection - only a reused connection that closed
                # before any byte of this reply.
                if attempt or i == 0 or c.recv_total != seen:
                    raise
                c.close()
                c = srv.conn()
        assert r.status == 204, r
    c.close()


def urls(path):
    try:
        with open(path) as f:
            return [json.loads(ln)["url"] for ln in f if ln.strip()]
    except OSError:
        return []


def t_rotate(ck, build_dir, tmp):
    """contrib/logrotate/sekisho with the real logrotate."""
    srv = SekishoServer(build_dir, name="logrotate")
    try:
        srv.start()
        get(srv, 20, "before")
        with open(SAMPLE) as f:
            conf = f.read()
        conf = (conf.replace("/var/log/sekisho/access.log", srv.access_log)
                .replace("/run/sekisho", srv.run_dir)
                .replace("create 0600 sekisho sekisho", "create 0600 root root")
                .replace("systemctl reload sekisho.service", "false"))  # the kill -HUP path
        cf = os.path.join(tmp, "logrotate.conf")
        with open(cf, "w") as f:
            f.write(conf)
        ck.ok("the sample still names the access log and the pid file it reloads",
              srv.access_log in conf and os.path.join(srv.run_dir, "c-icap.pid") in conf, conf)
        p = subprocess.run([LOGROTATE, "-f", "-s", os.path.join(tmp, "lr.state"), cf],
                           capture_output=True, timeout=60)
        ck.eq("logrotate -f with the sample exits 0", (p.returncode, p.stderr), (0, b""))
        ck.ok("the old lines are in access.log.1",
              urls(srv.access_log + ".1").count("http://before.test/0") == 1,
              urls(srv.access_log + ".1")[:3])
        ck.ok("the server log was rotated too",
              os.path.exists(os.path.join(srv.run_dir, "server.log.1")))

        def after():  # old children finish; new ones write the new file
            get(srv, 5, "after")
            return "http://after.test/0" in urls(srv.access_log)
        ck.ok("after the reload, lines go to a new access.log", poll(after, 20, 0.5),
              urls(srv.access_log)[:3])
        # the children the reload retires write what they still hold to the
        # file they opened (now access.log.1) as they exit: give them time
        want = sorted("http://before.test/%d" % i for i in range(20))
        poll(lambda: sorted(u for u in urls(srv.access_log + ".1") if "before" in u) == want,
             15, 0.2)
        new, old = urls(srv.access_log), urls(srv.access_log + ".1")
        ck.eq("every 'before' line is in the rotated file, once",
              sorted(u for u in old if "before" in u), want)
        ck.ok("no 'before' line in the new file", not any("before" in u for u in new))
        ck.eq("the new access.log is 0600", oct(os.stat(srv.access_log).st_mode & 0o777),
              oct(0o600))
        ck.ok("the server log was reopened (written after the reload)",
              poll(lambda: os.path.getsize(os.path.join(srv.run_dir, "server.log")) > 0, 10))
    except StartupError as e:
        ck.ok("logrotate server starts", False, e)
    finally:
        srv.stop()
        srv.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    a = ap.parse_args()
    ck = Check("ops.logfields")
    if not os.access(RSYSLOGD, os.X_OK):
        ck.ok("rsyslogd is installed (contrib/deps.sh test)", False, RSYSLOGD)
        return ck.summary()
    tmp = tempfile.mkdtemp(prefix="sekisho-logfields-")
    rs = srv = None
    try:
        rs = Rsyslog(tmp)
        sigs = os.path.join(tmp, "sigs")
        shutil.copytree(SIGS, sigs)
        srv = SekishoServer(a.build_dir, name="logfields", test_signatures=False,
                            config_text="sekisho.Option virus_scan.reload-interval 1s\n",
                            extra_args=[
            "--clamav-db", sigs, "--access-log", "syslog:local5", "--syslog-socket", rs.sock])
        srv.init_db()
        srv.start()
        got, upload_sha = traffic(srv)
        poll(lambda: len(rs.lines()) >= 4, 10)
        lines = rs.lines()
        ck.eq("four messages reached rsyslogd", len(lines), 4)
        parts = [ln.split("|", 5) for ln in lines]
        ck.ok("rsyslog parsed each as RFC 5424: version 1, app sekisho, msgid access",
              parts and all(len(p) == 6 and p[0] == "1" and p[3] == "sekisho" and
                            p[4] == "access" for p in parts), lines[:2])
        recs = []
        for p in parts:
            try:
                recs.append((int(p[1]), int(p[2]), json.loads(p[5].strip())))
            except (ValueError, IndexError):
                ck.ok("the message is the JSON line", False, p)
        ck.ok("facility local5; warning for a block, info for an allow",
              recs and all(f == LOCAL5 for f, _, _ in recs) and
              all(s == (4 if j["verdict"] == "block" else 6) for _, s, j in recs),
              [(f, s, j.get("verdict")) for f, s, j in recs])
        ck.group("fields", t_fields, ck, [j for _, _, j in recs], got, upload_sha)

        # server-log lines that matter, on the launcher's stderr
        with open(os.path.join(sigs, "extra.hdb"), "w") as f:
            f.write("%s:%d:Sekisho.Test.Reload\n" % (hashlib.md5(b"reload").hexdigest(), 6))
        def reloaded():  # the check runs from a request thread that scans
            c = srv.conn()
            transact(c, "RESPMOD", srv.url("respmod"),
                     req_hdr=http_req_head("GET", "http://ok.test/poke"),
                     res_hdr=http_res_head(ctype="text/plain", body_len=4), body=b"poke",
                     allow204=True)
            c.close()
            return re.search(r"sekisho-server: server: sekisho virus_scan: signatures reloaded from",
                             srv.stderr_text())
        ck.ok("a signature reload reaches the launcher's stderr", poll(reloaded, 40, 0.5),
              srv.stderr_text()[-600:])
        with open(srv.db, "rb") as f:
            good = f.read()
        with open(srv.db, "r+b") as f:
            f.write(b"this is not a database" * 200)
        ck.ok("a policy database that cannot be loaded reaches the launcher's stderr",
              poll(lambda: re.search(r"server log: .*(policy database|cannot be loaded)",
                                     srv.stderr_text()), 15), srv.stderr_text()[-600:])
        with open(srv.db, "wb") as f:
            f.write(good)
        srv.stop()
        srv.cleanup()
        srv = SekishoServer(a.build_dir, name="logfields-test-sigs", test_signatures=True)
        srv.start()
        ck.ok("the built-in TEST-signatures warning reaches the launcher's stderr",
              poll(lambda: re.search(r"WARNING: no ClamAV signatures in .*built-in TEST",
                                     srv.stderr_text()), 10), srv.stderr_text()[-600:])
    except StartupError as e:
        ck.ok("servers start", False, e)
    finally:
        if srv:
            srv.stop()
            srv.cleanup()
        if rs:
            rs.close()
    try:
        if not ck.ok("logrotate is installed", os.access(LOGROTATE, os.X_OK), LOGROTATE):
            return ck.summary()
        ck.group("rotate", t_rotate, ck, a.build_dir, tmp)
    finally:
        if not os.environ.get("SEKISHO_KEEP_TMP"):
            shutil.rmtree(tmp, ignore_errors=True)
    return ck.summary()


if __name__ == "__main__":
    sys.exit(main())
