#!/usr/bin/env python3
"""The c-icap sample for administrators who run c-icap under their own
service manager (contrib/c-icap/sekisho.conf): Debian's stock c-icap with
a minimal c-icap.conf of its own, the Service line and the sample Included
after it, the sample's paths pointed at the build. No launcher, so no
sk_cicap_fix.so preload: the sekisho_guard access controller is the only
guard, and this is the one test where a controller switched off shows.

Checks: c-icap starts with the sample; the sample's service aliases answer
OPTIONS; a blocked domain gets the block page, EICAR is blocked and a clean
download passes byte-identical; requests c-icap would crash on (decreasing
Encapsulated offsets, a header section shorter than CRLF CRLF) get the
controller's 403 and its log line, no worker dies, and the next request is
served.

Usage: test_cicap_sample.py --build-dir BUILD [--source-dir SRC]
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from icaplib import (Check, IcapConn, transact, options, http_req_head,  # noqa: E402
                     http_res_head, make_body, free_port, check_asan, main_wrapper)

EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
SAMPLE_PATHS = ("/usr/lib/sekisho", "/var/lib/sekisho/policy.db", "/var/lib/clamav",
                "/var/log/sekisho/access.log")


def write_confs(src, build, tmp, port):
    """The sample with the build's paths, and a c-icap.conf that includes
    it as the sample's header says. Returns (c-icap.conf, access log)."""
    with open(os.path.join(src, "contrib", "c-icap", "sekisho.conf")) as f:
        sample = f.read()
    missing = [p for p in SAMPLE_PATHS if p not in sample]
    if missing:
        raise RuntimeError("the sample no longer names %s: update this test" % missing)
    lib = os.path.join(build, "lib", "sekisho")
    clamdb = os.path.join(tmp, "clamav-empty")
    os.mkdir(clamdb)
    access_log = os.path.join(tmp, "access.log")
    sample = (sample.replace("/var/lib/sekisho/policy.db", os.path.join(tmp, "policy.db"))
              .replace("/usr/lib/sekisho", lib).replace("/var/lib/clamav", clamdb)
              .replace("/var/log/sekisho/access.log", access_log))
    # no ClamAV signatures on a test machine: the project's test set
    sample += "\nsekisho.Option virus_scan.test-signatures on\n"
    with open(os.path.join(tmp, "sekisho.conf"), "w") as f:
        f.write(sample)
    conf = os.path.join(tmp, "c-icap.conf")
    with open(conf, "w") as f:
        f.write("PidFile %s/c-icap.pid\nCommandsSocket %s/c-icap.ctl\n"
                "Port 127.0.0.1:%d\nTmpDir %s\nServerLog %s/server.log\n"
                "StartServers 1\nMaxServers 1\nThreadsPerChild 8\n"
                "MinSpareThreads 1\nMaxSpareThreads 8\n"
                # level 2: the controller logs each refusal at 2
                "DebugLevel 2\n"
                "Service sekisho %s/srv_sekisho.so\nInclude %s/sekisho.conf\n"
                % (tmp, tmp, port, tmp, tmp, lib, tmp))
    return conf, access_log


def daemon_env():
    env = dict(os.environ)
    pre = os.environ.get("SEKISHO_DAEMON_PRELOAD")  # test.sh's ASan pass
    if pre:
        env["LD_PRELOAD"] = pre
        env["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=1:" + env.get("ASAN_OPTIONS", "")
    return env


def wait_port(port, proc, limit):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def raw(port, data):
    """Send DATA, half-close, read until close (10 s at most)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    got = b""
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except OSError:
        pass
    finally:
        s.close()
    return got


def children(pid):
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    except OSError:
        return set()
    return set(out.split())


def log_count(tmp, what):
    try:
        with open(os.path.join(tmp, "server.log"), "rb") as f:
            return f.read().count(what)
    except OSError:
        return 0


def checks(ck, tmp, port, proc):
    url = "icap://127.0.0.1:%d/" % port
    for alias in ("reqmod", "respmod", "avscan", "REQ-Service"):
        c = IcapConn("127.0.0.1", port, 10)
        try:
            r = options(c, url + alias)
        finally:
            c.close()
        ck.ok("OPTIONS %s: 200 with an ISTag" % alias,
              r.status == 200 and (r.header("ISTag") or "").startswith('"CI0001'), r.raw_head)
    c = IcapConn("127.0.0.1", port, 20)
    try:
        r = transact(c, "REQMOD", url + "reqmod", http_req_head("GET", "http://blocked.test/x"),
                     None, None, allow204=True)
    finally:
        c.close()
    ck.ok("REQMOD of a blocked domain: the block page", r.status == 200
          and r.http_status() == 403, r.raw_head)
    for name, body, blocked in (("EICAR", EICAR, True), ("a clean 300 KB body",
                                                         make_body(300 * 1024), False)):
        c = IcapConn("127.0.0.1", port, 20)
        try:
            r = transact(c, "RESPMOD", url + "respmod",
                         http_req_head("GET", "http://origin.test/%d" % len(body)),
                         http_res_head(200, body_len=len(body)), body, preview=1024,
                         allow204=True)
        finally:
            c.close()
        if blocked:
            ck.ok("RESPMOD %s: blocked" % name, r.status == 200 and r.http_status() == 403,
                  r.raw_head)
        else:
            ck.ok("RESPMOD %s: passes byte-identical" % name, r.status == 204 or
                  (r.status == 200 and r.http_status() == 200 and r.body == body), r.raw_head)
    # the access controller alone: 403 and its own log line; the worker lives
    rq = http_req_head("GET", "http://hostile.test/x")
    for name, enc, payload in (
            ("decreasing Encapsulated offsets", "req-hdr=%d, req-body=10" % len(rq),
             rq + b"0\r\n\r\n"),
            ("a header section of 2 bytes", "req-hdr=0, null-body=2", b"\r\n")):
        kids = children(proc.pid)
        before = log_count(tmp, b"sekisho_guard: refusing")
        got = raw(port, ("REQMOD %sreqmod ICAP/1.0\r\nHost: 127.0.0.1\r\nAllow: 204\r\n"
                         "Encapsulated: %s\r\n\r\n" % (url, enc)).encode() + payload)
        deadline = time.monotonic() + 5
        while log_count(tmp, b"sekisho_guard: refusing") == before and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        ck.ok("controller: %s: ICAP 403" % name, got.startswith(b"ICAP/1.0 403"), got[:120])
        ck.ok("controller: %s: its refusal logged" % name,
              log_count(tmp, b"sekisho_guard: refusing") > before)
        ck.ok("controller: %s: no worker died" % name, children(proc.pid) == kids,
              (kids, children(proc.pid)))
        c = IcapConn("127.0.0.1", port, 10)
        try:
            r = options(c, url + "reqmod")
        finally:
            c.close()
        ck.ok("controller: %s: the next request is served" % name, r.status == 200)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--source-dir",
                    default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    a = ap.parse_args()
    build, src = os.path.abspath(a.build_dir), os.path.abspath(a.source_dir)
    ck = Check("c-icap sample")
    cicap = shutil.which("c-icap") or "/usr/bin/c-icap"
    if not ck.ok("c-icap is installed", os.access(cicap, os.X_OK)):
        return ck.summary()
    tmp = tempfile.mkdtemp(prefix="sekisho-sample-")
    port = free_port()
    policy = os.path.join(build, "bin", "sekisho-policy")
    db = os.path.join(tmp, "policy.db")
    for args in (["init"], ["url", "add", "--list", "block", "--match", "domain", "blocked.test"]):
        subprocess.run([policy, "--db", db] + args, check=True, capture_output=True, timeout=30)
    conf, _ = write_confs(src, build, tmp, port)
    out = open(os.path.join(tmp, "c-icap.out"), "wb")
    proc = subprocess.Popen([cicap, "-N", "-D", "-f", conf], stdin=subprocess.DEVNULL,
                            stdout=out, stderr=subprocess.STDOUT, env=daemon_env())
    try:
        if ck.ok("stock c-icap starts with the sample Included", wait_port(port, proc, 30)):
            checks(ck, tmp, port, proc)
        if ck.failed:
            with open(os.path.join(tmp, "c-icap.out"), "rb") as f:
                print(f.read()[-3000:].decode(errors="replace"))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        out.close()
    check_asan(ck)
    shutil.rmtree(tmp, ignore_errors=True)
    return ck.summary()


if __name__ == "__main__":
    main_wrapper(main)
