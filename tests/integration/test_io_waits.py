#!/usr/bin/env python3
"""How often the daemon waits in poll(2) per transaction (issue 17).

c-icap 0.5.10 polls before every read and every write of a connection:
once for the keep-alive wait and again, at once, before reading what that
wait saw arrive; before each 4 KiB read of a body; before each write. The
preload (icap-server/guard/sk_cicap_fix.c, sk_known_ready) answers the
waits whose answer is already known without a system call. This test
attaches the real strace(1) to the c-icap master and children of a running
Sekisho, sends transactions on one keep-alive connection and counts the
daemon's poll and read calls per transaction:

- no-body REQMOD: one poll (the keep-alive wait); c-icap alone makes two
  (the keep-alive wait and the wait before reading what it saw arrive);
- RESPMOD of 64 KiB with a preview and Allow: 204 (virus_scan reads the
  whole body, then answers 204): at most 4 polls for 17+ reads (the 4 KiB
  reads after a read that filled c-icap's buffer need no wait); stock
  c-icap waits before each read.
The reads per transaction are checked too (the trace saw the traffic), and
every answer is the expected one (the skipped waits lose no byte). A wait
answered from a guess that was wrong (a request of exactly one full header
read, then nothing) must leave the idle connection under the keep-alive
timeout, not the header timeout.

Trust: test harness only; talks to the server it starts on loopback.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from icaplib import (Check, IcapConn, SekishoServer, StartupError, build_head,  # noqa: E402
                     check_asan, http_req_head, http_res_head, make_body, read_response,
                     transact)

N = 40  # transactions per traced run
BODY = 64 * 1024
HEADER_READ = 512  # c-icap reads an ICAP header 512 bytes at a time
HEADER_TIMEOUT = 2


def daemon_pids(srv):
    """The c-icap master and children of SRV (their command line names its run dir)."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read().split(b"\0")
        except OSError:
            continue
        if cmd and cmd[0].endswith(b"c-icap") and any(srv.run_dir.encode() in a for a in cmd):
            pids.append(int(d))
    return pids


def traced(srv, fn):
    """Runs FN() while strace counts the daemon's poll/read calls; returns
    ({syscall: calls}, FN's result)."""
    out = os.path.join(srv.tmp, "strace.txt")
    pids = daemon_pids(srv)
    if not pids:
        raise RuntimeError("no c-icap process found for %s" % srv.run_dir)
    argv = ["strace", "-f", "-c", "-e", "trace=poll,ppoll,read,recvfrom", "-o", out]
    for p in pids:
        argv += ["-p", str(p)]
    st = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    # strace says "Process N attached" for each process it traces
    attached, deadline = 0, time.monotonic() + 20
    while attached < len(pids) and time.monotonic() < deadline:
        line = st.stderr.readline()
        if not line:
            break
        attached += "attached" in line
    if attached < len(pids):
        st.kill()
        raise RuntimeError("strace attached to %d of %d processes" % (attached, len(pids)))
    time.sleep(0.2)
    try:
        res = fn()
    finally:
        time.sleep(0.3)
        st.send_signal(signal.SIGINT)
        st.communicate(timeout=30)
    calls = {}
    with open(out) as f:
        for line in f:
            m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$", line)
            if m and m.group(2) != "total":
                calls[m.group(2)] = int(m.group(1))
    return calls, res


def per_txn(calls):
    """(polls, reads) per transaction of a traced run of N."""
    return ((calls.get("poll", 0) + calls.get("ppoll", 0)) / N,
            (calls.get("read", 0) + calls.get("recvfrom", 0)) / N)


def run(ck, srv):
    c = srv.conn(20)
    body = make_body(BODY, seed=17)
    url = "http://origin.test/io-waits/file.bin"
    icap = srv.url("sekisho")

    def reqmods():
        return [transact(c, "REQMOD", icap, req_hdr=http_req_head("GET", url),
                         allow204=True).status
                for _ in range(N)]

    def respmods():
        return [transact(c, "RESPMOD", icap, req_hdr=http_req_head("GET", url),
                         res_hdr=http_res_head(body_len=len(body)),
                         body=body, preview=1024, allow204=True).status
                for _ in range(N)]

    reqmods()  # warm: the connection is served by one thread from here on
    respmods()
    calls, st = traced(srv, reqmods)
    polls, reads = per_txn(calls)
    ck.ok("no-body REQMOD: every answer is 204", st == [204] * N, st[:5])
    ck.ok("no-body REQMOD: the trace saw the traffic (>= 1 read per transaction: %.2f)" % reads,
          reads >= 1, calls)
    ck.ok("no-body REQMOD: at most 1.3 polls per transaction (%.2f; c-icap alone: 2)" % polls,
          polls <= 1.3, calls)

    calls, st = traced(srv, respmods)
    polls, reads = per_txn(calls)
    ck.ok("64 KiB RESPMOD: every answer is 204 after 100 Continue", st == [204] * N, st[:5])
    ck.ok("64 KiB RESPMOD: the trace saw the body (>= 16 reads per transaction: %.2f)" % reads,
          reads >= 16, calls)
    ck.ok("64 KiB RESPMOD: at most 4 polls per transaction (%.2f; stock c-icap: one per read)"
          % polls, polls <= 4, calls)
    c.close()


def idle_after_full_read(ck, srv):
    """A request of exactly HEADER_READ bytes fills c-icap's first read, so
    the keep-alive wait after it is answered "ready" and its read finds
    nothing: the connection must still be idle under --keepalive-timeout,
    not under the (shorter) --header-timeout of a started header."""
    url = "http://origin.test/io-waits/idle"
    req_hdr = http_req_head("GET", url)

    def head(pad):
        return build_head("REQMOD", srv.url("sekisho"), req_hdr, allow204=True,
                          extra=["X-Pad: " + "a" * pad], host="127.0.0.1")

    msg = head(HEADER_READ - len(head(0)))
    c = IcapConn("127.0.0.1", srv.port, 20)
    try:
        c.send(msg)
        first = read_response(c).status
        time.sleep(HEADER_TIMEOUT + 2)
        try:
            again = transact(c, "REQMOD", srv.url("sekisho"), req_hdr=req_hdr,
                             allow204=True).status
        except OSError as e:
            again = "connection lost: %s" % e
        except Exception as e:  # ProtocolError: closed before an answer
            again = "no answer: %s" % e
    finally:
        c.close()
    ck.ok("a %d-byte request (one full header read) is answered 204 (%s)"
          % (len(msg), first), len(msg) == HEADER_READ and first == 204)
    ck.ok("idle %d s after it (header timeout %d s, keep-alive 30 s): the next request on "
          "the connection is answered 204 (%s)" % (HEADER_TIMEOUT + 2, HEADER_TIMEOUT, again),
          again == 204)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    a = ap.parse_args()
    ck = Check("io_waits")
    ck.ok("strace is installed (Debian package strace)", shutil.which("strace") is not None)
    if ck.failed:
        return ck.summary()
    srv = SekishoServer(a.build_dir, modules="virus_scan", name="iowaits",
                        extra_args=["--header-timeout", str(HEADER_TIMEOUT),
                                    "--keepalive-timeout", "30"])
    try:
        srv.start()
        run(ck, srv)
        idle_after_full_read(ck, srv)
    except (StartupError, RuntimeError, OSError) as e:
        ck.ok("io_waits run completes", False, str(e))
    finally:
        srv.stop()
        srv.cleanup()
    check_asan(ck)
    return ck.summary()


if __name__ == "__main__":
    sys.exit(main())
