#!/usr/bin/env python3
"""Sekisho hostile-input test: malformed and abusive ICAP traffic against the
real c-icap daemon with srv_sekisho.so (through build/bin/sekisho-server).

After every hostile case:
  - the hostile connection must end (an answer or a close) within a bounded
    time once we stop sending (we half-close our side);
  - the launcher must still be running;
  - a fresh connection must still get a correct REQMOD pass-through
    (byte-identical body) and a correct block (HTTP 403).
In the sanitizer build any ASan/UBSan report fails the run.

Usage: test_hostile.py --build-dir BUILD [--only CASE[,CASE]]
"""

import argparse
import os
import socket
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from icaplib import (Check, SekishoServer, StartupError, IcapConn, transact,  # noqa: E402
                     options, make_body, http_req_head, http_res_head, sha,
                     port_is_free, check_asan, read_response, chunk, build_head)

# c-icap 0.5.10 request_common.c parse_chunk_data(): the chunk size is parsed
# with strtol() into an int and then "current_chunk_len += 2" overflows for
# 0x7ffffffe/0x7fffffff, after which pstrblock_read moves ~2 GB backwards:
# the worker dies with SIGSEGV (reproduced with the stock srv_echo.so too,
# still present in upstream master). Negative sizes ("-5") likewise move the
# read pointer backwards. sekisho-server preloads icap-server/guard/
# sk_cicap_fix.so, which refuses such sizes before c-icap parses them, so
# these are ordinary checks now: no worker may crash.

END_WAIT = 10.0   # seconds a hostile connection may take to end after we stop


def no_via(hdr):
    if hdr is None:
        return None
    return b"\r\n".join(ln for ln in hdr.split(b"\r\n") if not ln.lower().startswith(b"via:"))


def tag():
    return uuid.uuid4().hex[:10]


class Hostile:
    def __init__(self, ck, srv):
        self.ck, self.srv = ck, srv
        self.n_health = 0
        self.crash_seen = 0

    def settled_crashes(self, quiet=0.3, deadline=3.0):
        """daemon_crashes() once the daemon log has stopped growing for QUIET
        seconds (at most DEADLINE): a worker that dies just after answering
        is blamed on this case, not on the next one (issue 16: no fixed sleep)."""
        p = os.path.join(self.srv.run_dir, "server.log")
        end = time.monotonic() + deadline
        last, still = -1, time.monotonic()
        while time.monotonic() < end:
            try:
                size = os.path.getsize(p)
            except OSError:
                size = -1
            if size != last:
                last, still = size, time.monotonic()
            elif time.monotonic() - still >= quiet:
                break
            time.sleep(0.05)
        return self.daemon_crashes()

    def daemon_crashes(self):
        """The worker deaths in the daemon's server log, or None."""
        return self.srv.worker_crashes()

    # ---------------------------------------------------------------------
    def raw(self, data, half_close=True, timeout=END_WAIT, send_timeout=10.0):
        """Send raw bytes (bounded), half-close, read until close or timeout.
        Returns (received_bytes, how) with how in closed|timeout|reset|send-failed."""
        s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=5)
        got = bytearray()
        how = None
        try:
            s.settimeout(send_timeout)
            if isinstance(data, (bytes, bytearray)):
                data = [data]
            for piece in data:
                try:
                    s.sendall(piece)
                except (BrokenPipeError, ConnectionResetError, socket.timeout) as e:
                    how = "send-failed(%s)" % type(e).__name__
                    break
            if half_close and how is None:
                try:
                    s.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                s.settimeout(max(0.05, deadline - time.monotonic()))
                try:
                    d = s.recv(65536)
                except socket.timeout:
                    break
                except ConnectionResetError:
                    how = how or "reset"
                    break
                if not d:
                    how = how or "closed"
                    break
                got += d
                if len(got) > 64 << 20:
                    how = how or "too-much-data"
                    break
            else:
                pass
            if how is None:
                how = "timeout"
        finally:
            s.close()
        return bytes(got), how

    def status_of(self, got):
        if got.startswith(b"ICAP/1.0 "):
            try:
                return int(got[9:12])
            except ValueError:
                return None
        return None

    def ended(self, name, got, how):
        st = self.status_of(got)
        print("     %s: %s, %d bytes back, first line %r" % (name, how, len(got),
                                                               got.split(b"\r\n", 1)[0][:120]))
        if st in (200, 204):
            print("       raw answer: %r" % got[:600])
        self.ck.ok("%s: connection ends within %.0f s after we stop (%s)" % (name, END_WAIT, how),
                   how != "timeout" or st is not None,
                   "no answer and no close; received %r" % got[:300])
        return st

    def health(self, name, known_crash=None):
        """The server still works: no worker died, alive, pass-through
        byte-identical, block 403."""
        self.n_health += 1
        srv, ck = self.srv, self.ck
        crashes = self.settled_crashes()
        if crashes is None:
            ck.ok("%s: daemon log readable for crash detection (%s/server.log)"
                  % (name, srv.run_dir), False)
        else:
            new = crashes[self.crash_seen:]
            self.crash_seen = len(crashes)
            if known_crash:
                ck.known("%s: no c-icap worker crashed" % name, not new, known_crash)
                if new:
                    time.sleep(1.0)  # let c-icap replace the dead worker
            else:
                ck.ok("%s: no c-icap worker crashed" % name, not new, new)
        alive = srv.proc.poll() is None
        ck.ok("%s: launcher still running" % name, alive, "rc %s; stderr %s" % (
            srv.proc.returncode, srv.stderr_text()[-1500:]))
        if not alive:
            return False
        body = make_body(70001, seed=self.n_health)
        u = "http://health.test/%s" % tag()
        rq = http_req_head("POST", u, body_len=len(body))
        ok = False
        why = ""
        for attempt in range(3):   # the daemon may be replacing a worker: bounded retry
            c = None
            try:
                c = IcapConn("127.0.0.1", srv.port, 20)
                r = transact(c, "REQMOD", srv.url("sekisho"), rq, None, body)
                # exact header identity is the integration suite's business;
                # here an added Via line is tolerated
                ok = (r.status == 200 and no_via(r.parts.get("req-hdr")) == rq and r.body == body)
                why = "status %s body %s" % (r.status, None if r.body is None else sha(r.body))
                if not ok:
                    why += "\n" + c.transcript(600)
                break
            except Exception as e:  # noqa: BLE001
                why = "%s: %s%s" % (type(e).__name__, e, ("\n" + c.transcript(600)) if c else "")
            finally:
                if c:
                    c.close()
            time.sleep(0.5)
        ck.ok("%s: then a normal REQMOD passes (body byte-identical)%s"
              % (name, "" if attempt == 0 else " (after %d retries)" % attempt), ok and attempt == 0,
              why)
        c = IcapConn("127.0.0.1", srv.port, 20)
        try:
            r = transact(c, "REQMOD", srv.url("reqmod"),
                         http_req_head("GET", "http://health.test/sekisho-test-block/%s" % tag()),
                         None, None, allow204=True)
            ck.ok("%s: then a blocked URL still gets 403" % name,
                  r.status == 200 and r.http_status() == 403, r.raw_head)
        except Exception as e:  # noqa: BLE001
            ck.ok("%s: then a blocked URL still gets 403" % name, False, "%s: %s" % (type(e).__name__, e))
        finally:
            c.close()
        return ok

    def icap_head(self, method, extra_lines, service="sekisho"):
        return ("%s %s ICAP/1.0\r\nHost: 127.0.0.1\r\n%s\r\n"
                % (method, self.srv.url(service), "".join(l + "\r\n" for l in extra_lines))).encode()

    # ---------------------------------------------------------------------
    def case_garbage_line(self):
        for name, data in [
            ("garbage request line", b"HELLO THERE\r\n\r\n"),
            ("binary junk", bytes(range(256)) * 8 + b"\r\n\r\n"),
            ("HTTP instead of ICAP", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
            ("unknown ICAP method", b"FROBMOD icap://127.0.0.1/sekisho ICAP/1.0\r\nHost: x\r\n\r\n"),
            ("ICAP/9.9 version", ("OPTIONS %s ICAP/9.9\r\nHost: x\r\n\r\n" % self.srv.url("sekisho")).encode()),
            ("NUL in request line", b"OPTIONS icap://127.0.0.1/sek\x00isho ICAP/1.0\r\n\r\n"),
            ("bare LF line ends", ("OPTIONS %s ICAP/1.0\nHost: x\n\n" % self.srv.url("sekisho")).encode()),
        ]:
            got, how = self.raw(data)
            st = self.ended(name, got, how)
            self.ck.ok("%s: not answered 200/204 (got %s)" % (name, st),
                       st not in (200, 204) or name in ("bare LF line ends", "ICAP/9.9 version"))
            self.health(name)

    def _reqmod_with_body_bytes(self, body_bytes, extra=()):
        rq = http_req_head("POST", "http://hostile.test/%s" % tag(), body_len=10)
        return build_head("REQMOD", self.srv.url("sekisho"), rq, None, True, None, False,
                          extra) + body_bytes

    def case_bad_chunks(self):
        for name, body, known in [
            # parsed sanely by c-icap: strict
            ("chunk size not hex", b"zz\r\nhelloworld\r\n0\r\n\r\n", None),
            ("chunk longer than announced", b"3\r\nhelloworld\r\n0\r\n\r\n", None),
            ("chunk missing CRLF", b"5\r\nhelloXX5\r\nworld\r\n0\r\n\r\n", None),
            ("chunk size line 10 KB long", b"0" * 10000 + b"5\r\nhello\r\n0\r\n\r\n", None),
            ("chunk extension 100 KB", b"5;" + b"x" * 100000 + b"\r\nhello\r\n0\r\n\r\n", None),
            ("ieof outside preview", b"5\r\nhello\r\n0; ieof\r\n\r\n", None),
            ("no terminating chunk", b"5\r\nhello\r\n", None),
            # chunk sizes c-icap turns into negative/overflowed ints: last
            ("negative chunk size", b"-5\r\nhello\r\n0\r\n\r\n", None),
            ("huge chunk size 2^64-1", b"ffffffffffffffff\r\nhello\r\n0\r\n\r\n", None),
            ("chunk size overflowing 64 bits", b"1ffffffffffffffffffff\r\nhello\r\n0\r\n\r\n", None),
            ("chunk size 0x7fffffff then close", b"7fffffff\r\nhello", None),
            ("chunk size 0x7ffffffe after a good chunk", b"5\r\nhello\r\n7ffffffe\r\nhello", None),
        ]:
            got, how = self.raw(self._reqmod_with_body_bytes(body))
            self.ended(name, got, how)
            self.health(name, known_crash=known)

    def case_encapsulated(self):
        rq = http_req_head("GET", "http://hostile.test/%s" % tag())
        L = len(rq)
        # (name, Encapsulated value, payload, answers accepted, refused by the guard?)
        # A guard refusal is a 400/403 plus the guard's own log line, so a
        # guard switched off or accepting decreasing offsets fails here in the
        # normal build too, not only under ASan (issue 16).
        rs = http_res_head(body_len=5)
        for entry in [
            ("Encapsulated body offset beyond headers", "req-hdr=0, req-body=99999",
             rq + b"5\r\nhello\r\n0\r\n\r\n", (400,), False),
            ("Encapsulated offsets decreasing", "req-hdr=%d, req-body=10" % L, rq + b"0\r\n\r\n",
             (400, 403), True),
            ("Encapsulated negative offset", "req-hdr=-1, null-body=%d" % L, rq, (400, 403), True),
            ("Encapsulated offset 2^63", "req-hdr=0, null-body=9223372036854775807", rq, (400, 403), True),
            ("Encapsulated offset short", "req-hdr=0, null-body=5", rq, (400,), False),
            ("Encapsulated garbage", "garbage", rq, (400,), False),
            ("Encapsulated missing", None, rq, (400,), False),
            ("Encapsulated res-hdr in REQMOD", "res-hdr=0, null-body=%d" % L, rq, (400,), False),
            ("Encapsulated duplicated", "req-hdr=0, req-hdr=0, null-body=%d" % L, rq, (400,), False),
            ("Encapsulated 200 entries", ", ".join("req-hdr=0" for _ in range(200)), rq, (400,), False),
            # a header section shorter than its CRLF CRLF end: c-icap compares
            # its last 4 bytes and reads before its buffer (red team 6b)
            ("Encapsulated req-hdr of 2 bytes", "req-hdr=0, null-body=2", b"\r\n", (400, 403),
             True),
            ("Encapsulated req-hdr of 1 byte", "req-hdr=0, null-body=1", b"\n", (400, 403), True),
            ("Encapsulated req-hdr of 3 bytes", "req-hdr=0, null-body=3", b"\r\n\r", (400, 403),
             True),
            ("Encapsulated req-hdr of 2 bytes, then a body", "req-hdr=0, req-body=2",
             b"\r\n5\r\nhello\r\n0\r\n\r\n", (400, 403), True),
            ("Encapsulated res-hdr of 2 bytes (RESPMOD)",
             "req-hdr=0, res-hdr=%d, res-body=%d" % (L, L + 2), rq + b"\r\n5\r\nhello\r\n0\r\n\r\n",
             (400, 403), True, "RESPMOD"),
            ("Encapsulated res-hdr of 2 bytes first (RESPMOD)", "res-hdr=0, res-body=2",
             b"\r\n5\r\nhello\r\n0\r\n\r\n", (400, 403), True, "RESPMOD"),
            ("Encapsulated headers of 4 bytes each are whole (RESPMOD, control)",
             "req-hdr=0, res-hdr=%d, res-body=%d" % (L, L + len(rs)),
             rq + rs + b"5\r\nhello\r\n0\r\n\r\n", (200, 204), False, "RESPMOD"),
            # the header block is complete in content: passed (204) or refused (400)
            ("HTTP headers without blank line", "req-hdr=0, null-body=%d" % (L - 2), rq[:-2],
             (204, 400), False),
        ]:
            name, enc, payload, want, guard = entry[:5]
            method = entry[5] if len(entry) > 5 else "REQMOD"
            lines = ["Allow: 204"]
            if enc is not None:
                lines.append("Encapsulated: " + enc)
            before = self.guard_refusals()
            got, how = self.raw(self.icap_head(method, lines) + payload)
            st = self.ended(name, got, how)
            self.ck.ok("%s: answered ICAP %s (got %s)" % (name, "/".join(map(str, want)), st),
                       st in want, got[:200])
            if guard:
                # which guard refused decides the answer: the access controller
                # (sk_guard.c) makes c-icap answer 403, the request-parsing
                # layer answers 400 itself; a logged refusal with another
                # answer means the request went on regardless
                deadline, now = time.monotonic() + 5, before
                while time.monotonic() < deadline and now == before:
                    now = self.guard_refusals()
                    time.sleep(0.05)
                acl, fix = now[0] - before[0], now[1] - before[1]
                self.ck.ok("%s: refused by the guard (its log line) with the matching answer "
                           "(access controller %d -> 403, parser %d -> 400; got %s)"
                           % (name, acl, fix, st),
                           (acl > 0 and st == 403) or (fix > 0 and st == 400),
                           "refusals logged before %s, after %s" % (before, now))
            self.health(name)

    def guard_refusals(self):
        """(access-controller refusals, request-parser refusals) in the log."""
        try:
            with open(os.path.join(self.srv.run_dir, "server.log"), "rb") as f:
                txt = f.read()
        except OSError:
            return (-1, -1)
        return (txt.count(b"sekisho_guard: refusing"), txt.count(b"sekisho guard: refusing"))

    def case_header_flood(self):
        base = self.icap_head("REQMOD", []).rstrip(b"\r\n") + b"\r\n"
        many = b"".join(b"X-Junk-%d: %s\r\n" % (i, b"a" * 90) for i in range(1100))  # ~110 KB
        for name, data in [
            ("ICAP header flood 100 KB (never terminated)", [base, many]),
            ("ICAP header flood 100 KB (terminated)", [base, many, b"Encapsulated: null-body=0\r\n\r\n"]),
            ("one ICAP header line of 100 KB", [base, b"X-Long: " + b"b" * 102400 + b"\r\n\r\n"]),
            ("HTTP header flood 100 KB in req-hdr", None),
        ]:
            if data is None:
                h = (b"GET http://hostile.test/flood HTTP/1.1\r\nHost: hostile.test\r\n" + many + b"\r\n")
                data = [build_head("REQMOD", self.srv.url("sekisho"), h, None, False, None, True)]
            got, how = self.raw(data)
            st = self.ended(name, got, how)
            if "never terminated" in name:
                self.ck.ok("%s: not answered 200/204 (got %s)" % (name, st), st not in (200, 204))
            elif "HTTP header flood" in name:  # a big but valid header block: passed or refused
                self.ck.ok("%s: answered 204 or 400 (got %s)" % (name, st), st in (204, 400), got[:200])
            else:
                self.ck.ok("%s: refused with 400 (got %s)" % (name, st), st == 400, got[:200])
            self.health(name)

    def case_close_mid_body(self):
        srv = self.srv
        for name, method, preview, cut in [
            ("client closes mid-body (REQMOD 1 MB, half sent)", "REQMOD", None, 512 * 1024),
            ("client closes mid-chunk (RESPMOD)", "RESPMOD", None, 70000 + 3),
            ("client closes after 100 Continue", "RESPMOD", 1024, None),
            ("client closes right after headers", "REQMOD", None, 0),
        ]:
            body = make_body(1 << 20, seed=3)
            u = "http://closer.test/%s" % tag()
            rq = http_req_head("POST" if method == "REQMOD" else "GET", u,
                               body_len=len(body) if method == "REQMOD" else None)
            rs = http_res_head(body_len=len(body)) if method == "RESPMOD" else None
            head = build_head(method, srv.url("sekisho"), rq, rs, True, preview, False)
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
            try:
                if preview is None:
                    stream = head + b"".join(chunk(body[i:i + 65536]) for i in range(0, len(body), 65536))
                    s.sendall(stream[:len(head) + cut])
                else:
                    s.sendall(head + chunk(body[:preview]) + b"0\r\n\r\n")
                    s.settimeout(5)
                    try:
                        first = s.recv(4096)
                    except socket.timeout:
                        first = b""
                    print("     %s: server said %r" % (name, first[:60]))
                    s.sendall(chunk(body[preview:preview + 20000]))
                time.sleep(0.2)
            finally:
                s.close()
            time.sleep(0.3)
            self.health(name)

    def case_pipelined_options(self):
        n = 1000
        one = ("OPTIONS %s ICAP/1.0\r\nHost: 127.0.0.1\r\nEncapsulated: null-body=0\r\n\r\n"
               % self.srv.url("sekisho")).encode()
        c = IcapConn("127.0.0.1", self.srv.port, 10)
        answers, bad, end = 0, [], "all answered"
        t0 = time.monotonic()
        try:
            c.sock.settimeout(10)
            import threading
            err = []

            def send():
                try:
                    c.sock.sendall(one * n)
                except OSError as e:
                    err.append(e)
            th = threading.Thread(target=send, daemon=True)
            th.start()
            while answers < n and time.monotonic() - t0 < 30:
                try:
                    r = read_response(c)
                except (EOFError, ConnectionResetError) as e:
                    end = "server closed after %d answers" % answers
                    break
                except socket.timeout:
                    end = "timeout after %d answers" % answers
                    break
                if r.status != 200 or r.header("ISTag") is None:
                    bad.append(r.raw_head[:200])
                answers += 1
            th.join(5)
        finally:
            c.close()
        print("     1000 pipelined OPTIONS: %d answers, %s, %.1f s" % (answers, end, time.monotonic() - t0))
        self.ck.ok("1000 pipelined OPTIONS: at least one answer, every answer a well-formed 200 (%d answers)"
                   % answers, answers > 0 and not bad, bad[:3])
        self.ck.ok("1000 pipelined OPTIONS: no stall (answers stop only by a close)",
                   not end.startswith("timeout"), end)
        self.health("1000 pipelined OPTIONS")

    def case_long_url(self):
        srv = self.srv
        t = tag()
        long_path = "/" + "a" * 65536
        # 64 KB URL inside the HTTP request (pass and block)
        for name, url, block in [
            ("64 KB URL in HTTP request", "http://long.test/%s%s" % (t, long_path), False),
            ("64 KB URL with block marker and <script>",
             "http://long.test/sekisho-test-block/<script>x</script>%s" % long_path, True),
            # HEAD (or an Accept without HTML) gets the text page, whose
            # '<' stays as sent: nosniff keeps it text (fuzz_icap finding)
            ("HEAD of a blocked URL with <script> (text page)",
             "http://long.test/sekisho-test-block/<script>x</script>", "HEAD"),
        ]:
            c = IcapConn("127.0.0.1", srv.port, 20)
            try:
                r = transact(c, "REQMOD", srv.url("sekisho"),
                             http_req_head(block if block == "HEAD" else "GET", url), None, None,
                             allow204=False)
                print("     %s: ICAP %s, HTTP %s" % (name, r.status, r.http_status()))
                page = r.parts.get("res-hdr") or b""
                if block:
                    html = b"Content-Type: text/html;" in page
                    self.ck.ok("%s: blocked (HTTP 403), a %s page, <script> escaped" % (
                        name, "text" if block == "HEAD" else "HTML"),
                        r.status == 200 and r.http_status() == 403 and html == (block is True)
                        and (not html or b"<script>x" not in (r.body or b"")), r.raw_head + page)
                    self.ck.ok("%s: the page says X-Content-Type-Options: nosniff" % name,
                               b"\r\nX-Content-Type-Options: nosniff\r\n" in page, page)
                else:
                    # a 64 KB URL is legal HTTP: it must pass unchanged (issue 16:
                    # "or any 4xx/5xx" accepted a server that broke on it)
                    self.ck.ok("%s: passes unchanged (Via aside)" % name,
                               r.status == 200 and no_via(r.parts.get("req-hdr")) == http_req_head("GET", url),
                               r.raw_head)
            except (EOFError, ConnectionResetError) as e:
                self.ck.ok("%s: answered (closed instead: %s)" % (name, e), False)
            finally:
                c.close()
            self.health(name)
        # 64 KB ICAP request URI
        name = "64 KB ICAP request URI"
        got, how = self.raw(("OPTIONS %s/%s ICAP/1.0\r\nHost: x\r\nEncapsulated: null-body=0\r\n\r\n"
                             % (srv.url("sekisho"), "u" * 65536)).encode())
        st = self.ended(name, got, how)
        self.ck.ok("%s: refused with 400/404/414 (got %s)" % (name, st), st in (400, 404, 414), got[:200])
        self.health(name)

    def case_preview_abuse(self):
        srv = self.srv
        u = "http://preview.test/%s" % tag()
        body = make_body(200000, seed=4)
        rq = http_req_head("GET", u)
        rs = http_res_head(body_len=len(body))
        for name, pv, data in [
            ("Preview: 200000 (beyond advertised) with all data", 200000,
             chunk(body) + b"0; ieof\r\n\r\n"),
            ("Preview: 10 but 5000 bytes of preview data", 10, chunk(body[:5000]) + b"0\r\n\r\n"),
            ("Preview: -1", -1, chunk(body[:100]) + b"0\r\n\r\n"),
            ("Preview: 99999999999999999999", None, chunk(body[:100]) + b"0\r\n\r\n"),
        ]:
            head = build_head("RESPMOD", srv.url("sekisho"), rq, rs, True, pv if pv is not None else 0,
                              False)
            if pv is None:
                head = head.replace(b"Preview: 0\r\n", b"Preview: 99999999999999999999\r\n")
            got, how = self.raw(head + data)
            st = self.ended(name, got, how)
            # issue 16: what the answer may be. A 200 must carry back exactly
            # the bytes sent (the object is clean); 204 needs all data seen.
            # a Preview over --max-preview (default 64 KiB) is refused
            # before c-icap allocates it (issue 11)
            want = {200000: (400, 413), 10: (400, 408)}.get(pv, (200, 204, 400))
            sent = body[:200000 if pv == 200000 else 5000 if pv == 10 else 100]
            self.ck.ok("%s: answered ICAP %s (got %s)" % (name, "/".join(map(str, want)), st),
                       st in want, got[:300])
            if st == 200:
                self.ck.ok("%s: the 200 carries the sent body byte-identical" % name,
                           got.endswith(chunk(sent) + b"0\r\n\r\n"), got[-300:])
            self.health(name)
        # the rest of the body sent right after the preview, before "100
        # Continue" (RFC 3507 4.5 says wait): c-icap dropped what came in
        # the same read as the preview's last chunk and decided on the
        # preview (EICAR after an empty preview passed, hostile.fuzz's
        # repro); the guard refuses it, no 100 and no verdict
        for pv in (0, 10):
            name = "Preview: %d, the rest sent before 100 Continue" % pv
            head = build_head("RESPMOD", srv.url("sekisho"), rq, rs, True, pv, False)
            got, how = self.raw(head + (chunk(body[:pv]) if pv else b"") + b"0\r\n\r\n" +
                                chunk(body[pv:5000]) + b"0\r\n\r\n")
            st = self.ended(name, got, how)
            self.ck.ok("%s: refused, neither 100 nor a verdict (got %s)" % (name, st),
                       st not in (100, 200, 204), got[:300])
            self.health(name)

    def case_many_idle_connections(self):
        socks = []
        try:
            for _ in range(64):
                try:
                    s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=2)
                    s.sendall(b"REQMOD icap://127.0.0.1/sekisho ICAP/1.0\r\nHost: x\r\n")
                    socks.append(s)
                except OSError:
                    break
            print("     opened %d idle half-request connections" % len(socks))
            for s in socks:
                s.close()
            socks = []
            time.sleep(0.5)
            self.health("64 idle half-request connections, then closed")
        finally:
            for s in socks:
                s.close()


# bad_chunks runs last: without sk_cicap_fix.so some invalid chunk sizes
# corrupt c-icap worker memory and the worker dies later, on another case.
CASES = ["garbage_line", "encapsulated", "header_flood", "close_mid_body",
         "pipelined_options", "long_url", "preview_abuse", "many_idle_connections", "bad_chunks"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    build = os.path.abspath(a.build_dir)
    only = set(x for x in a.only.split(",") if x)
    ck = Check("hostile")
    mod = os.path.join(build, "tests", "modules", "test_block.so")
    for p in (os.path.join(build, "bin", "sekisho-server"), mod):
        ck.ok("built: %s exists" % os.path.relpath(p, build), os.path.exists(p))
    if ck.failed:
        return ck.summary()
    # debug 2: the guard logs each refused request at level 2 (level 1
    # would let any client flood the server log); the Encapsulated cases
    # prove by that line that the guard, not c-icap, refused them
    srv = SekishoServer(build, modules=mod, name="hostile", debug=2)
    try:
        srv.start()
        c = IcapConn("127.0.0.1", srv.port, 10)
        try:
            r = options(c, srv.url("sekisho"))
        finally:
            c.close()
        ck.ok("server starts: OPTIONS answers 200 with an ISTag",
              r.status == 200 and (r.header("ISTag") or "").startswith('"CI0001'), r.raw_head)
    except StartupError as e:
        ck.ok("server starts", False, str(e))
        return ck.summary()
    h = Hostile(ck, srv)
    t0 = time.monotonic()
    try:
        h.health("baseline")
        for name in CASES:
            if only and name not in only:
                continue
            if time.monotonic() - t0 > 400:
                ck.ok("time budget: case %s reached within 400 s" % name, False)
                break
            ck.group(name, getattr(h, "case_" + name))
    finally:
        rc = srv.stop()
        ck.eq("SIGTERM after the hostile run: launcher exits 0", rc, 0)
        ck.ok("port free afterwards", port_is_free(srv.port))
        if ck.failed:
            print("--- server stderr (tail):\n%s" % srv.stderr_text()[-3000:])
            print(srv.daemon_log_tail())
    check_asan(ck)
    srv.cleanup()
    return ck.summary()


if __name__ == "__main__":
    sys.exit(main())
