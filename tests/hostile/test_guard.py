#!/usr/bin/env python3
"""Sekisho guard test (issue 11, "Any ICAP client can crash or exhaust the
server" and "Who may talk to it"): the real c-icap daemon through
build/bin/sekisho-server, with icap-server/guard's preload and controller.

Each hostile case asserts the exact answer (400, 403, 503, a refusal with no
byte, a close after a timeout), then that no c-icap worker died (server log
and the set of child pids) and that a normal REQMOD is still served.
Addresses: 127.0.0.1 is the default client, 127.0.0.3 a second allowed
client, 127.0.0.2 not allowed (all loopback).

Usage: test_guard.py --build-dir BUILD [--only CASE[,CASE]]
"""

import argparse
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from icaplib import (Check, SekishoServer, StartupError, IcapConn, transact,  # noqa: E402
                     make_body, http_req_head, http_res_head, port_is_free, check_asan,
                     read_response, chunk, build_head, free_port, options, make_ca,
                     make_cert)

HEADER_TIMEOUT = 2
# The TLS handshake is bounded by the header timeout too: room for a
# loaded machine (the silent-client check waits this long).
MTLS_HEADER_TIMEOUT = 5
CONTINUE_TIMEOUT = 2
KEEPALIVE_TIMEOUT = 3
IO_TIMEOUT = 4
PER_CLIENT = 12
GUARD_ARGS = ["--allow-clients", "127.0.0.1,127.0.0.3", "--threads", "8", "--max-servers", "4",
              "--max-conns-per-client", str(PER_CLIENT), "--header-timeout", str(HEADER_TIMEOUT),
              "--continue-timeout", str(CONTINUE_TIMEOUT),
              "--keepalive-timeout", str(KEEPALIVE_TIMEOUT), "--io-timeout", str(IO_TIMEOUT)]


def connect(port, src=None, timeout=5):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if src:
        s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s


def recv_all(s, timeout):
    """Reads until close or timeout. Returns (bytes, 'closed'|'reset'|'timeout')."""
    got = bytearray()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            d = s.recv(65536)
        except socket.timeout:
            return bytes(got), "timeout"
        except ConnectionResetError:
            return bytes(got), "reset"
        if not d:
            return bytes(got), "closed"
        got += d
    return bytes(got), "timeout"


def status(got):
    m = re.match(rb"ICAP/1\.0 (\d{3}) ", got)
    return int(m.group(1)) if m else None


def rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class Guard:
    def __init__(self, ck, srv):
        self.ck, self.srv = ck, srv
        self.crash_seen = 0
        self.children0 = None

    # -- daemon state --------------------------------------------------------
    def main_pid(self):
        with open(os.path.join(self.srv.run_dir, "c-icap.pid")) as f:
            return int(f.read().split()[0])

    def children(self):
        main, kids = self.main_pid(), []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d) as f:
                    st = f.read()
            except OSError:
                continue
            if int(st.rsplit(")", 1)[1].split()[1]) == main:
                kids.append(int(d))
        return sorted(kids)

    def healthy(self, name, src=None):
        """No worker died since the last call, and a normal REQMOD is served."""
        ck = self.ck
        crashes = self.srv.worker_crashes()
        ck.ok("%s: server log readable" % name, crashes is not None)
        crashes = crashes or []
        ck.ok("%s: no c-icap worker crashed" % name, len(crashes) == self.crash_seen,
              crashes[self.crash_seen:])
        self.crash_seen = len(crashes)
        ck.ok("%s: launcher still running" % name, self.srv.proc.poll() is None)
        body = make_body(30001, seed=len(name))
        rq = http_req_head("POST", "http://health.test/%d" % time.monotonic_ns(), body_len=len(body))
        c = IcapConn("127.0.0.1", self.srv.port, 10)
        if src:
            c.sock.close()
            c.sock = connect(self.srv.port, src, 10)
        try:
            r = transact(c, "REQMOD", self.srv.url("sekisho"), rq, None, body)
            ok = r.status == 200 and r.body == body
            why = "status %s" % r.status
        except Exception as e:  # noqa: BLE001
            ok, why = False, "%s: %s" % (type(e).__name__, e)
        finally:
            c.close()
        ck.ok("%s: then a normal REQMOD is served (body identical)" % name, ok, why)

    def send_expect(self, name, data, want, src=None, wait=10.0):
        """Sends data, half-closes, expects ICAP status `want` and a close."""
        s = connect(self.srv.port, src)
        try:
            try:
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            got, how = recv_all(s, wait)
        finally:
            s.close()
        self.ck.ok("%s: answered %s and closed (got %s, %s, %r)" % (
            name, want, status(got), how, got[:60]), status(got) == want and how != "timeout")
        return got

    def icap_head(self, lines, method="REQMOD", service="sekisho"):
        return ("%s %s ICAP/1.0\r\nHost: 127.0.0.1\r\n%s\r\n" % (
            method, self.srv.url(service), "".join(l + "\r\n" for l in lines))).encode()

    # -- 1. chunk-size lines ---------------------------------------------------
    def case_chunks(self):
        rq = http_req_head("POST", "http://chunk.test/x", body_len=10)
        head = build_head("REQMOD", self.srv.url("sekisho"), rq, None, True, None, False)
        bad = [
            ("0x prefix", b"0x5\r\nhello\r\n0\r\n\r\n"),
            ("0X prefix after a good chunk", b"5\r\nhello\r\n0X7ffffffe\r\nhello"),
            ("0x7ffffffe", b"0x7ffffffe\r\n" + b"a" * 100),
            ("plus sign", b"+5\r\nhello\r\n0\r\n\r\n"),
            ("minus sign", b"-5\r\nhello\r\n0\r\n\r\n"),
            ("leading space", b" 5\r\nhello\r\n0\r\n\r\n"),
            ("leading tab", b"\t5\r\nhello\r\n0\r\n\r\n"),
            ("leading CRLF", b"\r\n5\r\nhello\r\n0\r\n\r\n"),
            ("space before CRLF", b"5 \r\nhello\r\n0\r\n\r\n"),
            ("extension on a data chunk", b"5;x=1\r\nhello\r\n0\r\n\r\n"),
            ("bare LF", b"5\nhello\r\n0\r\n\r\n"),
            ("CR CR LF", b"5\r\r\nhello\r\n0\r\n\r\n"),
            ("17 hex digits", b"00000000000000005\r\nhello\r\n0\r\n\r\n"),
            ("size above 1 GiB", b"40000001\r\nhello"),
            ("7fffffff", b"7fffffff\r\nhello"),
            ("2^64-1", b"ffffffffffffffff\r\nhello"),
            ("junk after digits", b"5g\r\nhello\r\n0\r\n\r\n"),
            ("NUL after digits", b"5\x00\r\nhello\r\n0\r\n\r\n"),
            ("last chunk 0x0", b"5\r\nhello\r\n0x0\r\n\r\n"),
            ("last chunk with LF in extension", b"5\r\nhello\r\n0;a\nb\r\n\r\n"),
        ]
        for name, body in bad:
            s = connect(self.srv.port)
            try:
                s.sendall(head + body)
                s.shutdown(socket.SHUT_WR)
                got, how = recv_all(s, 10)
            finally:
                s.close()
            # c-icap ends a transaction whose body cannot be parsed by closing
            # it; nothing of the body may come back as a success
            self.ck.ok("chunk %s: refused, connection closed without 200/204 (got %s, %s)"
                       % (name, status(got), how), status(got) not in (200, 204) and how != "timeout")
        self.healthy("chunk variants")
        # what is valid must stay valid
        for name, chunks, want in [
            ("upper-case hex", [b"A\r\n0123456789\r\n", b"0\r\n\r\n"], b"0123456789"),
            ("16 hex digits with leading zeros", [b"000000000000000a\r\n0123456789\r\n",
                                                  b"0\r\n\r\n"], b"0123456789"),
            ("last chunk with extension (preview, ieof)", [b"5\r\nhello\r\n", b"0; ieof\r\n\r\n"],
             b"hello"),
        ]:
            rq2 = http_req_head("POST", "http://chunk.test/ok", body_len=len(want))
            h2 = build_head("REQMOD", self.srv.url("sekisho"), rq2, None, True,
                            1024 if b"ieof" in chunks[-1] else None, False)
            c = IcapConn("127.0.0.1", self.srv.port, 10)
            try:
                c.send(h2 + b"".join(chunks))
                r = read_response(c)
                # inside a preview with ieof the service may answer 204 (unchanged)
                self.ck.ok("chunk %s: still accepted, body identical" % name,
                           (r.status == 200 and r.body == want)
                           or (b"ieof" in chunks[-1] and r.status == 204),
                           "status %s body %r" % (r.status, r.body))
            finally:
                c.close()

    # -- 2. Encapsulated -------------------------------------------------------
    def case_encapsulated(self):
        rq = http_req_head("GET", "http://encaps.test/x")
        L = len(rq)
        many = ", ".join(["req-hdr=0"] * 300)
        for name, lines in [
            ("value-less null-body then a line of 300 req-hdr",
             ["Encapsulated: req-hdr=0, null-body", many]),
            ("value-less null-body then a header line of req-hdr",
             ["Encapsulated: req-hdr=0, null-body", "X-A: " + many]),
            ("value-less null-body last", ["Encapsulated: req-hdr=0, null-body"]),
            ("null-body= without digits", ["Encapsulated: req-hdr=0, null-body="]),
            ("value-less req-hdr", ["Encapsulated: req-hdr, null-body=%d" % L]),
            ("folded line with 4 entities",
             ["Encapsulated: req-hdr=0,\r\n req-hdr=1,\r\n\tres-hdr=2, null-body=%d" % L]),
            ("second Encapsulated, other case",
             ["Encapsulated: req-hdr=0, null-body=%d" % L, "encapsulated: " + many]),
            ("Encapsulated upper case twice",
             ["ENCAPSULATED: req-hdr=0, null-body=%d" % L, "ENCAPSULATED: req-hdr=0"]),
            ("upper-case entity names", ["Encapsulated: REQ-HDR=0, NULL-BODY=%d" % L]),
            ("signed offset", ["Encapsulated: req-hdr=+0, null-body=%d" % L]),
            ("space inside offset", ["Encapsulated: req-hdr= 0, null-body=%d" % L]),
            ("hex offset", ["Encapsulated: req-hdr=0x0, null-body=%d" % L]),
            ("10-digit offset", ["Encapsulated: req-hdr=0, null-body=0000000075"]),
            ("entity after the body", ["Encapsulated: req-hdr=0, null-body=%d, res-body=%d"
                                       % (L, L + 1)]),
            ("opt-body", ["Encapsulated: opt-body=0"]),
            ("space before the colon", ["Encapsulated : req-hdr=0, null-body=%d" % L]),
            ("header line without a colon", ["Encapsulated: req-hdr=0, null-body=%d" % L,
                                             "req-hdr=0 req-hdr=0"]),
        ]:
            self.send_expect("Encapsulated %s" % name, self.icap_head(lines) + rq, 400)
        self.healthy("Encapsulated variants")
        # a folded but valid Encapsulated header is still served
        c = IcapConn("127.0.0.1", self.srv.port, 10)
        try:
            c.send(self.icap_head(["Encapsulated: req-hdr=0,\r\n null-body=%d" % L, "Allow: 204"]) + rq)
            r = read_response(c)
            self.ck.ok("Encapsulated folded over two lines (valid): served (%s)" % r.status,
                       r.status in (200, 204))
        finally:
            c.close()

    # -- 3. sizes: ICAP header and Preview, child memory -------------------------
    def max_child_rss(self):
        vals = [v for v in (rss_kib(p) for p in self.children()) if v]
        return max(vals) if vals else None

    def case_sizes(self):
        before = self.max_child_rss()
        # 200 MiB never-ending header: the server must answer 400 and close
        # long before; we stop sending at the first error
        s = connect(self.srv.port, timeout=10)
        sent = 0
        line = b"X-Flood: " + b"a" * 1014 + b"\r\n"
        block = self.icap_head([])[:-2] + line * 1023
        t0 = time.monotonic()
        try:
            while sent < 200 << 20 and time.monotonic() - t0 < 30:
                s.sendall(block)
                sent += len(block)
        except OSError:
            pass
        got, how = recv_all(s, 5)
        s.close()
        print("     200 MiB header: server stopped us after %d KiB sent: %r" % (sent >> 10, got[:40]))
        self.ck.ok("never-ending ICAP header: answered 400 (got %r)" % got[:40], status(got) == 400)
        # what we got to send beyond 64 KiB sat in the kernel's socket buffers
        self.ck.ok("never-ending ICAP header: refused before 16 MiB were sent (%d KiB)"
                   % (sent >> 10), sent < 16 << 20)
        for name, lines, want in [
            ("Preview: 209715200", ["Preview: 209715200"], 400),
            ("Preview: 65537 (above --max-preview)", ["Preview: 65537"], 400),
            ("Preview: 999999999999", ["Preview: 999999999999"], 400),
            ("Preview: -1", ["Preview: -1"], 400),
            ("Preview: 0x10", ["Preview: 0x10"], 400),
            ("Preview: 1e9", ["Preview: 1e9"], 400),
            ("Preview: (empty)", ["Preview:"], 400),
            ("two Preview headers", ["Preview: 10", "preview: 20"], 400),
        ]:
            rqh = http_req_head("GET", "http://pv.test/x")
            rs = http_res_head(body_len=100)
            head = build_head("RESPMOD", self.srv.url("sekisho"), rqh, rs, True, None, False,
                              extra=lines)
            self.send_expect(name, head + chunk(b"x" * 100) + b"0\r\n\r\n", want)
        # 100 KB of header lines, terminated: 400 (above 64 KiB)
        flood = [("X-Junk-%d: " % i) + "b" * 90 for i in range(1100)]
        self.send_expect("ICAP header of 100 KB (terminated)",
                         self.icap_head(flood + ["Encapsulated: null-body=0"], method="OPTIONS"), 400)
        # 50 KB is below the cap: served
        c = IcapConn("127.0.0.1", self.srv.port, 10)
        try:
            c.send(self.icap_head(flood[:500] + ["Encapsulated: null-body=0"], method="OPTIONS"))
            r = read_response(c)
            self.ck.ok("ICAP header of 50 KB (below 64 KiB): served (%s)" % r.status, r.status == 200)
        finally:
            c.close()
        time.sleep(0.5)
        after = self.max_child_rss()
        print("     child RSS (largest child): before %s KiB, after %s KiB" % (before, after))
        # without the caps the child grows by the 200 MiB sent (issue 11: 13 ->
        # 213 MiB); ASan's shadow and quarantine add ~15 MiB of their own
        bound = 64 << 10 if os.environ.get("SEKISHO_SANITIZED") else 8 << 10
        self.ck.ok("child RSS bounded: grew less than %d MiB (before %s KiB, after %s KiB)"
                   % (bound >> 10, before, after), before and after and after - before < bound)
        self.healthy("sizes")

    # -- 4. slowloris --------------------------------------------------------------
    def closed_within(self, s, limit):
        t0 = time.monotonic()
        got, how = recv_all(s, limit)
        return how != "timeout", time.monotonic() - t0, got

    def case_timeouts(self):
        port = self.srv.port
        for name, data in [("silent new connection", b""),
                           ("half an ICAP header", self.icap_head([])[:30])]:
            s = connect(port)
            if data:
                s.sendall(data)
            ok, dt, got = self.closed_within(s, HEADER_TIMEOUT + 3)
            s.close()
            want = 408 if data else None
            self.ck.ok("%s: closed after the header timeout (%.1f s, %r)" % (name, dt, got[:30]),
                       ok and dt >= HEADER_TIMEOUT - 1 and status(got) == want)
        # slow header: one byte a second never completes within the timeout
        s = connect(port)
        t0, closed = time.monotonic(), False
        for b in self.icap_head(["Encapsulated: null-body=0"] + ["X-Slow: 1"] * 20, method="OPTIONS"):
            try:
                s.sendall(bytes([b]))
            except OSError:
                closed = True
                break
            try:
                s.settimeout(0.5)
                if s.recv(100) == b"":
                    closed = True
                    break
            except socket.timeout:
                pass
            except OSError:
                closed = True
                break
            if time.monotonic() - t0 > HEADER_TIMEOUT + 5:
                break
        s.close()
        self.ck.ok("header trickled a byte per 0.5 s: closed by the header deadline (%.1f s)"
                   % (time.monotonic() - t0), closed and time.monotonic() - t0 < HEADER_TIMEOUT + 3)
        # after 100 Continue the client sends nothing
        body = make_body(5000, seed=7)
        rq = http_req_head("GET", "http://cont.test/x")
        rs = http_res_head(body_len=len(body))
        s = connect(port)
        s.sendall(build_head("RESPMOD", self.srv.url("sekisho"), rq, rs, True, 1024, False)
                  + chunk(body[:1024]) + b"0\r\n\r\n")
        s.settimeout(5)
        first = s.recv(4096)
        ok, dt, _ = self.closed_within(s, CONTINUE_TIMEOUT + 4)
        s.close()
        self.ck.ok("100 Continue then silence: got 100 (%r), closed after the continue timeout "
                   "(%.1f s)" % (first[:25], dt), status(first) == 100 and ok)
        # a body that stalls mid-chunk (c-icap's Timeout, --io-timeout)
        rq = http_req_head("POST", "http://stall.test/x", body_len=4096)
        s = connect(port)
        s.sendall(build_head("REQMOD", self.srv.url("sekisho"), rq, None, True, None, False)
                  + b"1000\r\n" + b"s" * 100)
        ok, dt, _ = self.closed_within(s, IO_TIMEOUT + 4)
        s.close()
        self.ck.ok("body stalled mid-chunk: closed after --io-timeout %d (%.1f s)" % (IO_TIMEOUT, dt),
                   ok and dt >= IO_TIMEOUT - 1)
        # idle keep-alive
        c = IcapConn("127.0.0.1", port, 10)
        try:
            r = transact(c, "REQMOD", self.srv.url("sekisho"), http_req_head("GET", "http://ka.test/"),
                         None, None, allow204=True)
            ok, dt, _ = self.closed_within(c.sock, KEEPALIVE_TIMEOUT + 4)
            self.ck.ok("idle keep-alive after a request (%s): closed after %d s (%.1f s)"
                       % (r.status, KEEPALIVE_TIMEOUT, dt), ok and dt >= KEEPALIVE_TIMEOUT - 1)
        finally:
            c.close()
        self.healthy("timeouts")

    def case_slowloris(self):
        port = self.srv.port
        held, refused = [], 0
        head = self.icap_head([])
        t0 = time.monotonic()
        for i in range(300):
            try:
                s = connect(port, timeout=2)
                if i % 3 == 1:
                    s.sendall(head[:20])
                elif i % 3 == 2:
                    s.sendall(head[:-4])
                held.append(s)
            except OSError:
                refused += 1
        # legitimate client from another address, while the 300 are open
        t1 = time.monotonic()
        self.healthy("slowloris: 300 slow connections from 127.0.0.1, client 127.0.0.3",
                     src="127.0.0.3")
        dt = time.monotonic() - t1
        print("     slowloris: opened 300 in %.1f s; legit client served in %.2f s" % (t1 - t0, dt))
        self.ck.ok("slowloris: the other client was served within 3 s (%.2f s)" % dt, dt < 3)
        # the held connections beyond the per-client limit got 503 at once
        n503 = 0
        for s in held:
            try:
                s.settimeout(0.01)
                if s.recv(100).startswith(b"ICAP/1.0 503 "):
                    n503 += 1
            except OSError:
                pass
        self.ck.ok("slowloris: connections over --max-conns-per-client %d answered 503 (%d of 300)"
                   % (PER_CLIENT, n503), n503 >= 300 - PER_CLIENT - 8)
        for s in held:
            s.close()
        txt = self.srv.server_log() or ""
        n = len(re.findall(r"refusing connections from 127\.0\.0\.1: too many", txt))
        self.ck.ok("slowloris: one log line for the address, not one per connection (%d)" % n,
                   n == 1)
        time.sleep(0.5)
        self.healthy("slowloris over")

    # -- 5. who may talk to it -------------------------------------------------------
    def case_allow_clients(self):
        port = self.srv.port
        for i in range(20):
            s = connect(port, src="127.0.0.2")
            try:
                s.sendall(("OPTIONS %s ICAP/1.0\r\nHost: x\r\nEncapsulated: null-body=0\r\n\r\n"
                           % self.srv.url("sekisho")).encode())
            except OSError:
                pass
            got, how = recv_all(s, 5)
            s.close()
            if i == 0:
                self.ck.ok("127.0.0.2 (not in --allow-clients): closed without a byte (%s, %r)"
                           % (how, got[:30]), got == b"" and how in ("closed", "reset"))
        txt = self.srv.server_log() or ""
        n = len(re.findall(r"refusing connections from 127\.0\.0\.2: not an allowed", txt))
        self.ck.ok("20 refused connections from 127.0.0.2 logged once (%d lines)" % n, n == 1)
        self.healthy("allowed 127.0.0.3 after refusals", src="127.0.0.3")
        self.send_expect("OPTIONS on c-icap's info service", (
            "OPTIONS %s ICAP/1.0\r\nHost: x\r\nEncapsulated: null-body=0\r\n\r\n"
            % self.srv.url("info")).encode(), 403)
        self.send_expect("REQMOD on c-icap's info service", self.icap_head(
            ["Encapsulated: req-hdr=0, null-body=%d" % len(http_req_head("GET", "http://i/"))],
            service="info") + http_req_head("GET", "http://i/"), 403)

    def case_launcher_defaults(self):
        b = self.srv.bin
        for args, want_rc, want in [
            (["--listen", "0.0.0.0:%d" % free_port()], 2, "needs --allow-clients"),
            (["--allow-clients", "10.0.0.300"], 2, "--allow-clients"),
            (["--allow-clients", "10.0.0.0/33"], 2, "--allow-clients"),
            (["--max-header-size", "12"], 2, "--max-header-size"),
            (["--tls-client-ca", "/nonexistent/ca.pem"], 2, "--tls-client-ca"),
        ]:
            p = subprocess.run([b, "--foreground", "--policy-db", self.srv.db] + args,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
            err = p.stderr.decode(errors="replace")
            self.ck.ok("launcher %s: exit %d naming the problem (%d: %s)"
                       % (" ".join(args), want_rc, p.returncode, err.strip()[:120]),
                       p.returncode == want_rc and want in err)
        c = IcapConn("127.0.0.1", self.srv.port, 10)
        try:
            r = options(c, self.srv.url("sekisho"))
            self.ck.eq("OPTIONS advertises Max-Connections = --max-conns-per-client",
                       r.header("Max-Connections"), str(PER_CLIENT))
        finally:
            c.close()
        conf = open(os.path.join(self.srv.run_dir, "c-icap.conf")).read()
        self.ck.ok("c-icap.conf carries the guard settings",
                   "sekisho_guard.AllowClients 127.0.0.1,127.0.0.3" in conf
                   and "sekisho_guard.MaxConnsPerClient %d" % PER_CLIENT in conf
                   and "\nTimeout %d\n" % IO_TIMEOUT in conf)


# -- mutual TLS -----------------------------------------------------------------------
def make_pki(d):
    for ca in ("ca", "rogue"):
        make_ca(d, ca, "/CN=Sekisho test %s" % ca)
    for name, ca in (("server", "ca"), ("client", "ca"), ("badclient", "rogue")):
        make_cert(d, name, ca)
    # what the test clients verify the server with (ca.pem, the server's
    # --tls-client-ca, is rewritten by the reload check)
    shutil.copy(os.path.join(d, "ca.pem"), os.path.join(d, "trust.pem"))


def tls_options(port, d, cert, src=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(os.path.join(d, "trust.pem"))
    if cert:
        ctx.load_cert_chain(os.path.join(d, cert + ".pem"), os.path.join(d, cert + ".key"))
    raw = connect(port, src, timeout=MTLS_HEADER_TIMEOUT + 5)
    try:
        s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        s.sendall(("OPTIONS icaps://127.0.0.1:%d/sekisho ICAP/1.0\r\nHost: x\r\n"
                   "Encapsulated: null-body=0\r\n\r\n" % port).encode())
        got = b""
        while b"\r\n\r\n" not in got:
            d2 = s.recv(4096)
            if not d2:
                break
            got += d2
        s.close()
        return got
    except (ssl.SSLError, OSError) as e:
        raw.close()
        return "error: %s" % e


def tls_served_within(port, d, secs):
    """OPTIONS over TLS with the good client certificate until it is
    answered 200, for up to SECS seconds; the last answer (or error)."""
    deadline = time.monotonic() + secs
    got = None
    while time.monotonic() < deadline:
        got = tls_options(port, d, "client")
        if isinstance(got, bytes) and got.startswith(b"ICAP/1.0 200 "):
            break
        time.sleep(0.1)
    return got


def case_mtls(ck, build):
    if not shutil.which("openssl"):
        ck.ok("openssl is installed (needed for the mTLS test)", False)
        return
    d = tempfile.mkdtemp(prefix="sekisho-mtls-")
    make_pki(d)
    tport = free_port()
    srv = SekishoServer(build, modules=os.path.join(build, "tests", "modules", "test_block.so"),
                        name="mtls", extra_args=[
        "--tls-listen", "127.0.0.1:%d" % tport, "--tls-cert", os.path.join(d, "server.pem"),
        "--tls-key", os.path.join(d, "server.key"), "--tls-client-ca", os.path.join(d, "ca.pem"),
        "--header-timeout", str(MTLS_HEADER_TIMEOUT), "--allow-clients", "127.0.0.1",
        "--max-conns-per-client", "2"])
    # c-icap's client_ca= verifies against its cafile= AND OpenSSL's default
    # store, which SSL_CERT_FILE names: put the rogue CA there, as a public CA
    # would be, so only the guard's own issuer check can refuse badclient
    # (both CAs are there, so the reload check below is decided by the guard
    # alone too)
    with open(os.path.join(d, "public.pem"), "wb") as out:
        for ca in ("rogue.pem", "ca.pem"):
            with open(os.path.join(d, ca), "rb") as f:
                out.write(f.read())
    old_cert_file = os.environ.get("SSL_CERT_FILE")
    os.environ["SSL_CERT_FILE"] = os.path.join(d, "public.pem")
    try:
        srv.start()
        if old_cert_file is None:
            del os.environ["SSL_CERT_FILE"]
        else:
            os.environ["SSL_CERT_FILE"] = old_cert_file
        # The launcher's and this harness's readiness probes (connect, close)
        # count against 127.0.0.1's --max-conns-per-client 2 until a worker
        # has read their EOF; on a loaded machine the first TLS connection
        # once came before that and was refused in accept() (a reset). Wait
        # for the count to drain, as a client retrying would.
        tls_served_within(tport, d, 5)
        for cert, want in [("client", True), (None, False), ("badclient", False)]:
            got = tls_options(tport, d, cert)
            ok = isinstance(got, bytes) and got.startswith(b"ICAP/1.0 200 ")
            ck.ok("mTLS: client %s is %s (%r)" % (cert or "without a certificate",
                                                   "served" if want else "refused",
                                                   got[:40] if isinstance(got, bytes) else got[:80]),
                  ok == want)
        # an address outside --allow-clients gets no TLS handshake at all:
        # closed in accept(), before c-icap's listener starts one
        got = tls_options(tport, d, "client", src="127.0.0.2")
        ck.ok("mTLS port: 127.0.0.2 (not allowed) is closed before the handshake (%s)" % (got,),
              isinstance(got, str) and "error" in got)
        # a client that connects to the TLS port and stays silent must not
        # stop c-icap's listener (the handshake runs there)
        silent = socket.create_connection(("127.0.0.1", tport), timeout=5)
        t0 = time.monotonic()
        got = tls_options(tport, d, "client")
        dt = time.monotonic() - t0
        silent.close()
        ck.ok("mTLS: a silent TCP client on the TLS port delays others by less than %d s "
              "(%.1f s, %r)" % (MTLS_HEADER_TIMEOUT + 3, dt, got[:30]),
              isinstance(got, bytes) and got.startswith(b"ICAP/1.0 200 ") and
              dt < MTLS_HEADER_TIMEOUT + 3)
        # over --max-conns-per-client 2: the third ICAPS connection is closed
        # before its handshake (a 503 would cost a whole handshake)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(os.path.join(d, "trust.pem"))
        ctx.load_cert_chain(os.path.join(d, "client.pem"), os.path.join(d, "client.key"))
        held = [ctx.wrap_socket(socket.create_connection(("127.0.0.1", tport), timeout=5),
                                server_hostname="127.0.0.1") for _ in range(2)]
        got = tls_options(tport, d, "client")
        for h in held:
            h.close()
        ck.ok("mTLS: a third connection over --max-conns-per-client 2 is closed before the "
              "handshake (%s)" % (got,), isinstance(got, str) and "error" in got)
        got = tls_served_within(tport, d, 5)
        ck.ok("mTLS: served again once the two are closed (%r)" % (got[:30],),
              isinstance(got, bytes) and got.startswith(b"ICAP/1.0 200 "))
        with open(os.path.join(srv.run_dir, "server.log"), errors="replace") as f:
            txt = f.read()
        ck.ok("mTLS: no worker crashed", "did not exit normally" not in txt)
        ck.ok("mTLS port: the refusal of 127.0.0.2 logged once",
              len(re.findall(r"refusing connections from 127\.0\.0\.2: not an allowed client "
                             r"\(", txt)) == 1)
        ck.ok("mTLS: the rogue-CA client was refused by the guard's issuer check (logged once)",
              len(re.findall(r"refusing connections from 127\.0\.0\.1: not an allowed client or no "
                             r"valid client certificate", txt)) == 1)
        # The CA file now names only the other CA, then SIGHUP: the guard's
        # set is what the file holds now (it used to be added to, so the
        # CA taken out stayed trusted). c-icap's own check trusts both CAs
        # (its default store, public.pem), so only the guard can refuse
        # "client" here; a reconfigured c-icap also used to leave an ICAPS
        # client's address empty, and the guard refused every client as "?".
        shutil.copy(os.path.join(d, "rogue.pem"), os.path.join(d, "ca.pem"))
        os.kill(srv.proc.pid, signal.SIGHUP)
        deadline, got = time.monotonic() + 20, None
        while time.monotonic() < deadline:
            got = tls_options(tport, d, "badclient")
            if isinstance(got, bytes) and got.startswith(b"ICAP/1.0 200 "):
                break
            time.sleep(0.3)
        ck.ok("mTLS after the CA file changed and SIGHUP: the new CA's client is served (%r)"
              % (got[:30],), isinstance(got, bytes) and got.startswith(b"ICAP/1.0 200 "))
        got = tls_options(tport, d, "client")
        ck.ok("mTLS after the CA file changed and SIGHUP: the removed CA's client is refused "
              "(%r)" % (got[:40],), not (isinstance(got, bytes) and got.startswith(b"ICAP/1.0 200")))
    except StartupError as e:
        ck.ok("mTLS server starts", False, str(e))
    finally:
        if old_cert_file is None:
            os.environ.pop("SSL_CERT_FILE", None)
        else:
            os.environ["SSL_CERT_FILE"] = old_cert_file
        srv.stop()
        if ck.failed:
            print(srv.daemon_log_tail())
        srv.cleanup()
        shutil.rmtree(d, ignore_errors=True)

# -- 9. many addresses, each under its limit, hold every thread ----------------
SPREAD_THREADS, SPREAD_CHILDREN, SPREAD_HEADER, SPREAD_KEEPALIVE = 4, 2, 15, 60
SPREAD_SERVED = 8  # s: three rounds of the 1 s grace, with room; one header timeout is 15
SPREAD_ADDRS = ["127.0.0.%d" % i for i in range(11, 17)]  # 6 x 4 = 24 = 3 x the threads


def spread_served(ck, srv, name):
    """A REQMOD from 127.0.0.2, connected behind the held ones: seconds to its answer."""
    body = make_body(2000, seed=3)
    rq = http_req_head("POST", "http://spread.test/x", body_len=len(body))
    t0 = time.monotonic()
    c = IcapConn("127.0.0.1", srv.port, 30)
    c.sock.close()
    c.sock = connect(srv.port, "127.0.0.2", 30)
    try:
        r = transact(c, "REQMOD", srv.url("sekisho"), rq, None, body)
        ok = r.status == 200 and r.body == body
    except Exception as e:  # noqa: BLE001
        ok, r = False, e
    finally:
        c.close()
    dt = time.monotonic() - t0
    print("     spread %s: the other client served in %.1f s" % (name, dt))
    return ok, dt


def spread_hold(srv, first):
    """4 connections from each of SPREAD_ADDRS; FIRST(sock) starts each."""
    held = []
    for a in SPREAD_ADDRS:
        for _ in range(4):
            s = connect(srv.port, a, 5)
            first(s)
            held.append(s)
    return held


def spread_closed(held):
    """How many of HELD the server has closed (an answer, if any, then EOF)."""
    n = 0
    for s in held:
        try:
            s.settimeout(0.05)
            while True:
                if s.recv(4096) == b"":
                    n += 1
                    break
        except socket.timeout:
            pass
        except OSError:
            n += 1
        s.close()
    return n


def case_spread(ck, build):
    """Slow clients from several addresses, each under --max-conns-per-client,
    take every thread: while connections wait, a full child lets the ones
    that send no complete request go after a second, so a client queued
    behind them is served in seconds, not after three header timeouts."""
    srv = SekishoServer(build, modules=os.path.join(build, "tests", "modules", "test_block.so"),
                        name="spread", extra_args=[
        "--allow-clients", "127.0.0.0/8", "--threads", str(SPREAD_THREADS),
        "--max-servers", str(SPREAD_CHILDREN), "--header-timeout", str(SPREAD_HEADER),
        "--keepalive-timeout", str(SPREAD_KEEPALIVE)])
    try:
        srv.start()
    except StartupError as e:
        ck.ok("spread: server starts", False, str(e))
        return
    try:
        head = ("REQMOD %s ICAP/1.0\r\nHost: 127.0.0.1\r\n" % srv.url("sekisho")).encode()
        # a header begun and never finished
        t0 = time.monotonic()
        held = spread_hold(srv, lambda s: s.sendall(head[:25]))
        time.sleep(0.3)
        ok, dt = spread_served(ck, srv, "slow headers")
        ck.ok("spread: 24 unfinished headers from 6 addresses (8 threads, header timeout %d s):"
              " a client behind them served within %d s (%.1f s)"
              % (SPREAD_HEADER, SPREAD_SERVED, dt), ok and dt < SPREAD_SERVED)
        n, dt = spread_closed(held), time.monotonic() - t0
        ck.ok("spread: the unfinished headers were let go before their timeout (%d of 24 in "
              "%.1f s)" % (n, dt), n >= 16 and dt < SPREAD_HEADER)
        # a request, then idle on a keep-alive connection
        opt = ("OPTIONS %s ICAP/1.0\r\nHost: 127.0.0.1\r\nEncapsulated: null-body=0\r\n\r\n"
               % srv.url("sekisho")).encode()

        held = []
        try:
            held = spread_hold(srv, lambda s: s.sendall(opt))
        except OSError:
            pass
        time.sleep(0.3)
        ok, dt = spread_served(ck, srv, "idle keep-alive")
        ck.ok("spread: 24 idle keep-alive connections (keep-alive timeout %d s): a client behind"
              " them served within %d s (%.1f s)" % (SPREAD_KEEPALIVE, SPREAD_SERVED, dt),
              ok and dt < SPREAD_SERVED)
        spread_closed(held)
        # every thread held by idle keep-alive connections, nobody waiting:
        # they keep their keep-alive timeout
        time.sleep(1.5)
        idle = [connect(srv.port, SPREAD_ADDRS[i // 4], 5)
                for i in range(SPREAD_THREADS * SPREAD_CHILDREN)]
        for s in idle:
            s.sendall(opt)
        time.sleep(3)
        alive = 0
        for s in idle:
            try:
                s.settimeout(3)
                got, asked = b"", False
                while got.count(b"ICAP/1.0 200") < 2 or not got.endswith(b"\r\n\r\n"):
                    part = s.recv(4096)
                    if not part:
                        break
                    got += part
                    if not asked and got.endswith(b"\r\n\r\n"):
                        asked = True
                        s.sendall(opt)  # the second request, 3 s after the first
                alive += got.count(b"ICAP/1.0 200") == 2
            except OSError:
                pass
        spread_closed(idle)
        ck.ok("spread: %d idle keep-alive connections on every thread, nobody waiting: all still"
              " served a second request after 3 s (%d)" % (len(idle), alive), alive == len(idle))
        txt = srv.server_log() or ""
        n = len(re.findall(r"every thread of this child holds a connection", txt))
        ck.ok("spread: logged at most once per child and minute (%d lines)" % n,
              1 <= n <= SPREAD_CHILDREN)
    finally:
        srv.stop()
        if ck.failed:
            print(srv.daemon_log_tail())
        srv.cleanup()


CASES = ["launcher_defaults", "chunks", "encapsulated", "sizes", "allow_clients", "timeouts",
         "slowloris"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    build = os.path.abspath(a.build_dir)
    only = set(x for x in a.only.split(",") if x)
    ck = Check("guard")
    mod = os.path.join(build, "tests", "modules", "test_block.so")
    srv = SekishoServer(build, modules=mod, name="guard", extra_args=GUARD_ARGS)
    try:
        srv.start()
        ck.ok("server starts with the guard flags", True)
    except StartupError as e:
        ck.ok("server starts with the guard flags", False, str(e))
        return ck.summary()
    g = Guard(ck, srv)
    try:
        g.children0 = g.children()
        g.healthy("baseline")
        for name in CASES:
            if not only or name in only:
                ck.group(name, getattr(g, "case_" + name))
        print("     c-icap children: at start %s, at the end %s" % (g.children0, g.children()))
    finally:
        rc = srv.stop()
        ck.eq("SIGTERM: launcher exits 0", rc, 0)
        ck.ok("port free afterwards", port_is_free(srv.port))
        if ck.failed:
            print(srv.daemon_log_tail())
    if not only or "mtls" in only:
        ck.group("mtls", case_mtls, ck, build)
    if not only or "spread" in only:
        ck.group("spread", case_spread, ck, build)
    check_asan(ck)
    srv.cleanup()
    return ck.summary()


if __name__ == "__main__":
    sys.exit(main())
