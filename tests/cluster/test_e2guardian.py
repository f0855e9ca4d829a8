#!/usr/bin/env python3
"""e2guardian as a second real ICAP client (issue 15): its icapscan content
scanner against our RESPMOD service.

A private e2guardian (Debian package, its stock configuration copied and
pointed at temporary paths) filters on a loopback port with icapscan set to
icap://127.0.0.1:PORT/avscan, fetching directly from a loopback origin.
Checks: a clean download passes byte-identical; the EICAR download is
blocked (the origin's bytes never reach curl) and e2guardian's access log
names the threat Sekisho reported (X-Infection-Found / X-Virus-ID, which
OPTIONS lists in X-Allow-Out).

Trust: test harness only; everything runs on loopback ports it picked.
"""

import argparse
import hashlib
import http.server
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from icaplib import Check, SekishoServer, StartupError, free_port, make_body  # noqa: E402

# split so that a scanner on the developer's machine does not flag this file
EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR" +
         b"-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
SIG = "Eicar-Test-Signature"
CLEAN = make_body(300 * 1024, seed=15)
E2G_CONF_DIR = "/etc/e2guardian"


class Origin(http.server.BaseHTTPRequestHandler):
    # e2guardian's stock lists ban .com/.bin/.exe downloads outright: the
    # names avoid them so the content scanner is what decides
    files = {"/download/clean.dat": CLEAN, "/download/eicar.txt": EICAR}
    served = []

    def do_GET(self):  # noqa: N802 - http.server's name
        body = self.files.get(self.path)
        Origin.served.append(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def e2g_config(tmp, filter_port, icap_port):
    """Copy the packaged configuration, point every path at tmp, listen on
    loopback, run in the foreground, scan with icapscan through us."""
    conf = os.path.join(tmp, "conf")
    shutil.copytree(E2G_CONF_DIR, conf)
    for root, _, files in os.walk(conf):
        for fn in files:
            p = os.path.join(root, fn)
            if not (fn.endswith(".conf") or fn.endswith(".story") or "list" in fn):
                continue
            try:
                text = open(p, encoding="utf-8").read()
            except (UnicodeDecodeError, OSError):
                continue
            open(p, "w", encoding="utf-8").write(text.replace(E2G_CONF_DIR, conf))
    main = os.path.join(conf, "e2guardian.conf")
    text = open(main).read()
    settings = {
        "filterip": "127.0.0.1", "filterports": str(filter_port), "checkip": "127.0.0.1",
        "nodaemon": "on", "loglocation": "'%s'" % os.path.join(tmp, "access.log"),
        "pidfilename": "'%s'" % os.path.join(tmp, "e2g.pid"),
        "filecachedir": "'%s'" % os.path.join(tmp, "cache"),
        "contentscanner": "'%s'" % os.path.join(conf, "contentscanners", "icapscan.conf"),
        "httpworkers": "20", "logfileformat": "1",
        "transparenthttpsport": None,  # the stock file listens on *:8443
    }
    for k, v in settings.items():
        if v is None:
            text = re.sub(r"(?m)^\s*%s\s*=.*$" % k, "", text)
            continue
        text, n = re.subn(r"(?m)^#?\s*%s\s*=.*$" % k, "%s = %s" % (k, v), text, count=1)
        if n == 0:
            text += "\n%s = %s\n" % (k, v)
    open(main, "w").write(text)
    scan = os.path.join(conf, "contentscanners", "icapscan.conf")
    text = open(scan).read()
    text = re.sub(r"(?m)^icapurl\s*=.*$", "icapurl = 'icap://127.0.0.1:%d/avscan'" % icap_port, text)
    open(scan, "w").write(text)
    os.makedirs(os.path.join(tmp, "cache"), exist_ok=True)
    os.chmod(tmp, 0o777)
    os.chmod(os.path.join(tmp, "cache"), 0o777)
    return main


def curl(proxy_port, url):
    p = subprocess.run(["curl", "-s", "-S", "--max-time", "60", "-x",
                        "http://127.0.0.1:%d" % proxy_port, "-o", "-", "-w", "\n%{http_code}", url],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=90)
    out = p.stdout
    body, _, code = out.rpartition(b"\n")
    return int(code or 0), body, p.stderr.decode("utf-8", "replace")


def wait_port(port, proc, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def read(path):
    try:
        return open(path, "rb").read().decode("utf-8", "replace")
    except OSError:
        return ""


def run(ck, build, keep):
    for tool in ("e2guardian", "curl"):
        if not ck.ok("%s is installed (contrib/deps.sh test)" % tool, shutil.which(tool)):
            return
    tmp = tempfile.mkdtemp(prefix="sekisho-e2g-")
    srv = SekishoServer(build, modules="virus_scan xheaders", name="e2g",
                        extra_args=["--clamav-db", os.path.join(tmp, "empty-clamav")])
    os.makedirs(os.path.join(tmp, "empty-clamav"))
    httpd = e2g = None
    try:
        srv.init_db()
        for key in ("icap.x-virus-id", "icap.x-infection-found"):
            srv.policy_cmd("set", key, "on")
        srv.start()
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Origin)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        origin = "http://127.0.0.1:%d" % httpd.server_address[1]
        fport = free_port()
        conf = e2g_config(tmp, fport, srv.port)
        out = open(os.path.join(tmp, "e2g.out"), "wb")
        e2g = subprocess.Popen(["e2guardian", "-N", "-c", conf], stdout=out, stderr=subprocess.STDOUT,
                               start_new_session=True)
        if not ck.ok("e2guardian starts with icapscan pointing at Sekisho", wait_port(fport, e2g),
                     read(os.path.join(tmp, "e2g.out"))[-2000:]):
            return

        code, body, err = curl(fport, origin + "/download/clean.dat")
        ck.eq("clean 300 KB download through e2guardian: HTTP 200", code, 200)
        ck.ok("clean download byte-identical (%d bytes)" % len(body),
              hashlib.sha256(body).digest() == hashlib.sha256(CLEAN).digest(), err)
        code, body, err = curl(fport, origin + "/download/eicar.txt")
        ck.ok("EICAR download through e2guardian: blocked (HTTP %d, %d bytes)" % (code, len(body)),
              EICAR not in body and b"EICAR" not in body and code != 0, err)
        ck.ok("EICAR: the origin was asked (the block is the scan's, not a URL rule)",
              "/download/eicar.txt" in Origin.served)
        log = ""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "eicar.txt" not in log:
            time.sleep(0.1)
            log = read(os.path.join(tmp, "access.log"))
        line = next((l for l in log.splitlines() if "eicar.txt" in l), "")
        ck.ok("e2guardian's access log names the threat %s" % SIG, SIG in line,
              "line: %r\nlog tail: %s" % (line, log[-1500:]))
        sk = [l for l in srv.log_lines() if b"eicar.txt" in l]
        ck.ok("Sekisho logged the RESPMOD it blocked for e2guardian",
              any(b'"verdict":"block"' in l for l in sk), sk[-1:] if sk else "no line")
    except StartupError as e:
        ck.ok("Sekisho starts", False, str(e))
    finally:
        if e2g is not None and e2g.poll() is None:
            os.killpg(e2g.pid, signal.SIGTERM)
            try:
                e2g.wait(3)  # e2guardian 5.3 often ignores SIGTERM in -N mode
            except subprocess.TimeoutExpired:
                os.killpg(e2g.pid, signal.SIGKILL)
        if httpd is not None:
            httpd.shutdown()
        srv.stop()
        if ck.failed:
            print(read(os.path.join(tmp, "e2g.out"))[-2000:])
            print(srv.daemon_log_tail())
        srv.cleanup()
        if keep:
            print("keeping %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    ck = Check("cluster.e2guardian")
    ck.group("e2guardian", run, ck, os.path.abspath(a.build_dir), a.keep)
    return ck.summary()


if __name__ == "__main__":
    sys.exit(main())
