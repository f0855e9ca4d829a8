#!/usr/bin/env python3
"""Reproducer: transactions on fresh connections while c-icap retires
children (MaxRequestsPerChild, and optionally "reconfigure" through the
control pipe), counting every connection that gets no ICAP reply (reset,
EOF before a status line, timeout).

  retire_probe.py --build-dir build            # sekisho-server (our preload)
  retire_probe.py --build-dir build --stock    # stock c-icap + srv_echo.so
  options: --seconds 20 --threads 8 --recycle 20 --children 3
           --reconfigure-every 2 (s; 0 = never) --pause 0.02 (s per thread)

Prints one PASS/FAIL line; exit status 1 when any transaction failed (or
none ran). ctest integration.retire_probe runs it for 20 s (before the
fix: 1-2 resets in every such run); test_reload_once.py checks the same
thing across reloads as part of its run. icap-server/guard/sk_accept_fix.c and
icap-server/README.md ("Reload") have the analysis.

Trust: test harness only; talks to the server it starts on loopback.
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from icaplib import SekishoServer, free_port  # noqa: E402

STOCK_MODDIR = "/usr/lib/x86_64-linux-gnu/c_icap"


def conf_text(a):
    return ("StartServers %d\nMaxServers %d\nMinSpareThreads 1\nMaxSpareThreads 1000\n"
            "ThreadsPerChild 4\nMaxRequestsPerChild %d\n"
            % (a.children, a.children, a.recycle))


class Stock:
    """c-icap 0.5.10 as Debian ships it, echo service, same settings."""

    def __init__(self, a):
        self.tmp = tempfile.mkdtemp(prefix="sekisho-retire-stock-")
        self.port = free_port()
        self.ctl = os.path.join(self.tmp, "c-icap.ctl")
        self.conf = os.path.join(self.tmp, "c-icap.conf")
        with open(self.conf, "w") as f:
            f.write(conf_text(a))
            f.write("PidFile %s/c-icap.pid\nCommandsSocket %s\nPort 127.0.0.1:%d\n"
                    "ServerLog %s/server.log\nAccessLog %s/access.log\nTmpDir %s\n"
                    "DebugLevel %d\nModulesDir %s\nServicesDir %s\nService echo srv_echo.so\n"
                    % (self.tmp, self.ctl, self.port, self.tmp, self.tmp, self.tmp,
                       a.debug, STOCK_MODDIR, STOCK_MODDIR))
        self.service = "echo"
        self.proc = subprocess.Popen(["c-icap", "-N", "-f", self.conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("stock c-icap did not start")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        if os.environ.get("SEKISHO_KEEP_TMP"):
            print("keeping %s" % self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


class Ours:
    def __init__(self, a):
        self.srv = SekishoServer(a.build_dir, name="retire", config_text=conf_text(a),
                                 debug=a.debug if a.debug else None)
        self.srv.start(timeout=60)
        self.port = self.srv.port
        self.tmp = self.srv.tmp
        self.ctl = os.path.join(self.srv.run_dir, "c-icap.ctl")
        self.service = "reqmod"

    def stop(self):
        self.srv.stop()
        self.srv.cleanup()


def one(port, service, k):
    """One transaction on a fresh connection: None if a status line came
    back, else what went wrong."""
    host = "127.0.0.1:%d" % port
    if k % 2:
        msg = ("OPTIONS icap://%s/%s ICAP/1.0\r\nHost: %s\r\n\r\n" % (host, service, host))
    else:
        hdr = "GET http://origin.test/p%d HTTP/1.1\r\nHost: origin.test\r\n\r\n" % k
        msg = ("REQMOD icap://%s/%s ICAP/1.0\r\nHost: %s\r\nAllow: 204\r\n"
               "Encapsulated: req-hdr=0, null-body=%d\r\n\r\n%s"
               % (host, service, host, len(hdr), hdr))
    try:
        s = socket.create_connection(("127.0.0.1", port), 10)
    except OSError as e:
        return "connect: %s" % e
    try:
        s.settimeout(10)
        s.sendall(msg.encode())
        got = b""
        while b"\r\n" not in got:
            d = s.recv(4096)
            if not d:
                return "EOF after %d bytes" % len(got)
            got += d
        if not got.startswith(b"ICAP/1.0 "):
            return "bad reply %r" % got[:40]
        return None
    except ConnectionResetError:
        return "reset"
    except socket.timeout:
        return "timeout"
    except OSError as e:
        return "%s" % e
    finally:
        s.close()


def run(server, a):
    stop = threading.Event()
    counts = {"ok": 0}
    fails = []
    lock = threading.Lock()

    def worker(i):
        k = i
        while not stop.is_set():
            r = one(server.port, server.service, k)
            k += a.threads
            if a.pause:
                time.sleep(a.pause)
            with lock:
                if r is None:
                    counts["ok"] += 1
                else:
                    fails.append("%.2f %s %s" % (time.monotonic() - t0, time.strftime("%H:%M:%S", time.localtime()), r))

    t0 = time.monotonic()
    ts = [threading.Thread(target=worker, args=(i,)) for i in range(a.threads)]
    for t in ts:
        t.start()
    reconf = 0
    next_reconf = t0 + a.reconfigure_every if a.reconfigure_every else None
    while time.monotonic() - t0 < a.seconds:
        time.sleep(0.05)
        if next_reconf and time.monotonic() >= next_reconf:
            with open(server.ctl, "w") as f:
                f.write("reconfigure")
            reconf += 1
            next_reconf += a.reconfigure_every
    stop.set()
    for t in ts:
        t.join()
    return counts["ok"], fails, reconf


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", default=os.path.join(HERE, "..", "..", "build"))
    ap.add_argument("--stock", action="store_true")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--recycle", type=int, default=20)
    ap.add_argument("--children", type=int, default=3)
    ap.add_argument("--reconfigure-every", type=float, default=0)
    ap.add_argument("--pause", type=float, default=0.02,
                    help="s each client thread waits between transactions")
    ap.add_argument("--debug", type=int, default=0)
    a = ap.parse_args()
    server = Stock(a) if a.stock else Ours(a)
    try:
        ok, fails, reconf = run(server, a)
    finally:
        server.stop()
    kinds = {}
    for f in fails:
        kind = f.split(" ", 2)[2]
        kinds[kind] = kinds.get(kind, 0) + 1
    print("%s %s: %d transactions on fresh connections in %.0f s (%d children, "
          "MaxRequestsPerChild %d, %d reconfigures): %d failed %s"
          % ("FAIL" if fails or not ok else "PASS",
             "stock c-icap echo" if a.stock else "sekisho-server", ok + len(fails), a.seconds,
             a.children, a.recycle, reconf, len(fails), kinds or ""))
    for f in fails[:10]:
        print("  at %s" % f)
    return 1 if fails or not ok else 0


if __name__ == "__main__":
    sys.exit(main())
