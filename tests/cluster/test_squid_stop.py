#!/usr/bin/env python3
"""Stopping and reloading Sekisho behind a real Squid, under load (issue 15
item 4).

Squid (Debian package) with the ICAP lines of contrib/squid/sekisho.conf
keeps persistent ICAP connections to Sekisho (url_block + virus_scan, so
downloads are held for the scan). Browsers (curl) fetch 48 KB objects the
origin sends slowly, so transactions are in flight at any moment.
Checks: SIGHUP during the load: every download intact; SIGTERM during the
load: every download that had started arrives whole and byte-identical
(none cut, no ICAP error page), Sekisho gone within 5 s without SIGKILL.

Trust: test harness only; everything runs on loopback ports it picked.
"""

import argparse
import hashlib
import http.server
import os
import pwd
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

SIZE = 48 * 1024      # below Squid 5.7's 64 KiB RESPMOD buffer (issue 15 item 2)
PIECES = 6
GAP = 0.12            # origin pauses: ~0.7 s per download
CLIENTS = 6
MAX_PER_CLIENT = 200  # bounded even if the stop never comes
BODIES = {}


def body_for(n):
    if n not in BODIES:
        BODIES[n] = make_body(SIZE, seed=1000 + n)
    return BODIES[n]


class SlowOrigin(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802 - http.server's name
        try:
            n = int(self.path.rsplit("/", 1)[1])
        except (IndexError, ValueError):
            self.send_error(404)
            return
        body = body_for(n)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        step = len(body) // PIECES + 1
        for i in range(0, len(body), step):
            self.wfile.write(body[i:i + step])
            self.wfile.flush()
            time.sleep(GAP)

    def log_message(self, *a):
        pass


def squid_conf(source, sd, http_port, icap_port):
    sample = open(os.path.join(source, "contrib", "squid", "sekisho.conf")).read()
    icap = [l.replace("127.0.0.1:1344", "127.0.0.1:%d" % icap_port)
            for l in sample.splitlines() if l.strip() and not l.lstrip().startswith("#")]
    conf = ["http_port 127.0.0.1:%d" % http_port, "visible_hostname sekisho-stop-test",
            "pid_filename %s/squid.pid" % sd, "access_log stdio:%s/access.log" % sd,
            "cache_log %s/cache.log" % sd, "cache_store_log none", "coredump_dir %s" % sd,
            "netdb_filename none", "pinger_enable off", "logfile_rotate 0", "cache deny all",
            "cache_mem 8 MB", "shutdown_lifetime 1 second", "acl localnet src 127.0.0.0/8",
            "http_access allow localnet", "http_access deny all"] + icap
    if os.geteuid() == 0:
        conf.append("cache_effective_user proxy")
    return "\n".join(conf) + "\n"


class Browser(threading.Thread):
    def __init__(self, proxy_port, origin_port, idx, stop_evt):
        super().__init__(daemon=True)
        self.proxy_port, self.origin_port, self.idx = proxy_port, origin_port, idx
        self.stop_evt = stop_evt
        self.ok = 0
        self.failed = []

    def run(self):
        for k in range(MAX_PER_CLIENT):
            if self.stop_evt.is_set():
                break
            n = self.idx * 1000 + k
            p = subprocess.run(["curl", "-s", "-S", "--max-time", "30", "-x",
                                "http://127.0.0.1:%d" % self.proxy_port, "-o", "-", "-w",
                                "\n%{http_code}",
                                "http://127.0.0.1:%d/obj/%d" % (self.origin_port, n)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
            body, _, code = p.stdout.rpartition(b"\n")
            if code == b"200" and hashlib.sha256(body).digest() == hashlib.sha256(body_for(n)).digest():
                self.ok += 1
            else:
                self.failed.append("browser %d download %d: HTTP %s, %d bytes%s %s"
                                   % (self.idx, n, code.decode(errors="replace"), len(body),
                                      " (differs)" if code == b"200" else "",
                                      p.stderr.decode(errors="replace").strip()))


def load(ck, srv, proxy_port, origin_port, action):
    stop_evt = threading.Event()
    browsers = [Browser(proxy_port, origin_port, i, stop_evt) for i in range(CLIENTS)]
    for b in browsers:
        b.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and min(b.ok for b in browsers) < 2:
        time.sleep(0.02)
    time.sleep(GAP * 2)  # every browser is inside a download now
    res = action(stop_evt)
    for b in browsers:
        b.join(120)
    return browsers, res


def run(ck, build, source):
    for tool in ("squid", "curl"):
        if not ck.ok("%s is installed (contrib/deps.sh test)" % tool, shutil.which(tool)):
            return
    tmp = tempfile.mkdtemp(prefix="sekisho-squidstop-")
    os.chmod(tmp, 0o755)
    clam = os.path.join(tmp, "empty-clamav")
    os.makedirs(clam)
    srv = SekishoServer(build, modules="url_block virus_scan", name="squidstop",
                        extra_args=["--clamav-db", clam])
    origin = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowOrigin)
    threading.Thread(target=origin.serve_forever, daemon=True).start()
    squid = None
    try:
        srv.start()
        sd = os.path.join(tmp, "squid")
        os.makedirs(sd)
        http_port = free_port()
        conf = os.path.join(sd, "squid.conf")
        open(conf, "w").write(squid_conf(source, sd, http_port, srv.port))
        if os.geteuid() == 0:
            pw = pwd.getpwnam("proxy")
            for p in (sd, conf):
                os.chown(p, pw.pw_uid, pw.pw_gid)
        squid = subprocess.Popen(["squid", "-N", "-f", conf], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 30
        up = False
        while time.monotonic() < deadline and squid.poll() is None and not up:
            try:
                socket.create_connection(("127.0.0.1", http_port), 1).close()
                up = True
            except OSError:
                time.sleep(0.1)
        if not ck.ok("Squid starts with the contrib ICAP lines", up):
            return
        oport = origin.server_address[1]

        def hup(stop_evt):
            os.kill(srv.proc.pid, signal.SIGHUP)
            time.sleep(2.0)  # the load runs across the reconfigure
            stop_evt.set()

        browsers, _ = load(ck, srv, http_port, oport, hup)
        fails = [f for b in browsers for f in b.failed]
        ck.ok("SIGHUP under Squid load: %d downloads, all intact" % sum(b.ok for b in browsers),
              not fails, "; ".join(fails[:4]))

        t = {}

        def term(stop_evt):
            stop_evt.set()  # downloads in flight finish; no new ones start
            t["sent"] = time.monotonic()
            os.kill(srv.proc.pid, signal.SIGTERM)
            srv.proc.wait(30)
            t["gone"] = time.monotonic()

        browsers, _ = load(ck, srv, http_port, oport, term)
        took = t["gone"] - t["sent"]
        fails = [f for b in browsers for f in b.failed]
        done = sum(b.ok for b in browsers)
        print("squid stop under load: Sekisho gone after %.2f s, %d downloads intact, %d failed"
              % (took, done, len(fails)), flush=True)
        ck.ok("SIGTERM under Squid load: downloads in flight arrive whole (%d ok)" % done,
              not fails, "; ".join(fails[:4]))
        ck.ok("SIGTERM under Squid load: Sekisho gone within 5 s (%.2f s)" % took, took < 5.0)
        ck.ok("SIGTERM: no SIGKILL needed", "killing it" not in srv.stderr_text())
    except StartupError as e:
        ck.ok("Sekisho starts", False, str(e))
    finally:
        if squid is not None and squid.poll() is None:
            os.killpg(squid.pid, signal.SIGTERM)
            try:
                squid.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(squid.pid, signal.SIGKILL)
        origin.shutdown()
        srv.stop()
        if ck.failed:
            print(srv.daemon_log_tail())
            try:
                print(open(os.path.join(tmp, "squid", "cache.log")).read()[-3000:])
            except OSError:
                pass
        srv.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--source-dir", required=True)
    a = ap.parse_args()
    ck = Check("cluster.squid_stop")
    ck.group("squid_stop", run, ck, os.path.abspath(a.build_dir), os.path.abspath(a.source_dir))
    return ck.summary()


if __name__ == "__main__":
    sys.exit(main())
