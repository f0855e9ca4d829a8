#!/usr/bin/env python3
"""Mixed traffic at once (hostile.mixed): clean, blocked, infected, DLP,
malformed and abandoned transactions interleaved on several connections
against one server with every module, every verdict checked.

What the one-at-a-time suites cannot see: state shared between the
transactions a child serves at once (the DLP plan cache, the policy
snapshot's readings, the metrics, the access log, the spill files of
bodies over memory-threshold) while other connections send garbage or
vanish mid-body. Each of THREADS workers runs the twelve kinds in its own
order; a kind's verdict must be exactly its own (a clean body 204 or
byte-identical, a threat an HTTP 403 naming it). Then: no c-icap worker
died, the access log has one line per answered transaction, and the
children's memory after the last round is printed next to the first
(figures, not a pass/fail: glibc's heap grows a little while its mmap
threshold adapts; the leak check is LeakSanitizer's, in the ASan pass of
contrib/test.sh, which runs this test too).

Usage: test_mixed.py --build-dir BUILD [--rounds N] [--per N]
"""

import argparse
import gzip
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from icaplib import (Check, SekishoServer, StartupError, transact, http_req_head,  # noqa: E402
                     http_res_head, zip_bytes, make_body, check_asan, main_wrapper,
                     tree_kb)

EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR" + b"-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
CARDS = b"card numbers: 4111 1111 1111 1111, 5500-0000-0000-0004\n"
THREADS = 4
KINDS = 12


def blocked(r, what):
    return r.status == 200 and r.http_status() == 403 and what in (r.body or b"")


def passed(r, body):
    return r.status == 204 or (r.status == 200 and r.http_status() in (None, 200) and
                               r.body == body)


class Mix:
    def __init__(self, srv):
        self.srv = srv
        self.clean10 = make_body(10000, 3)
        self.zeicar = zip_bytes([("a/e.com", EICAR)])
        self.gz = gzip.compress(make_body(50000, 5))
        self.big = make_body(2 * 1024 * 1024 + 7, 9)  # over memory-threshold: spilled
        self.form = (b"--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.txt\"\r\n\r\n" +
                     make_body(20000, 4) + b"\r\n--B--\r\n")
        self.lock = threading.Lock()
        self.bad = []
        self.answered = 0
        self.abandoned = 0

    def respmod(self, c, i, body, extra=()):
        return transact(c, "RESPMOD", self.srv.url("respmod"),
                        req_hdr=http_req_head("GET", "http://dl.test/f%d" % i),
                        res_hdr=http_res_head(body_len=len(body), extra=list(extra)),
                        body=body, allow204=True)

    def upload(self, c, i, body, ctype):
        return transact(c, "REQMOD", self.srv.url("reqmod"),
                        req_hdr=http_req_head("POST", "http://up.test/u%d" % i,
                                              extra=["Content-Type: " + ctype],
                                              body_len=len(body)),
                        body=body, allow204=True)

    def one(self, k, i):
        """Kind K, transaction I: (ok, detail, what its access-log line
        says: True a verdict, "error" abandoned, False no line)."""
        srv = self.srv
        c = srv.conn(120)
        try:
            if k == 0:
                r = transact(c, "REQMOD", srv.url("reqmod"),
                             req_hdr=http_req_head("GET", "http://ok%d.test/a?b=%d" % (i, i)),
                             allow204=True)
                return r.status == 204, r, True
            if k == 1:
                r = transact(c, "REQMOD", srv.url("reqmod"),
                             req_hdr=http_req_head("GET", "http://www.blocked.test/x%d" % i),
                             allow204=True)
                return blocked(r, b"blocked.test"), r, True
            if k == 2:
                r = self.respmod(c, i, self.clean10)
                return passed(r, self.clean10), r, True
            if k == 3:
                r = self.respmod(c, i, EICAR + b"%d" % i)
                return blocked(r, b"Eicar"), r, True
            if k == 4:
                r = self.respmod(c, i, self.zeicar)
                return blocked(r, b"Eicar"), r, True
            if k == 5:
                r = self.respmod(c, i, self.gz, ["Content-Encoding: gzip"])
                return passed(r, self.gz), r, True
            if k == 6:
                r = self.upload(c, i, CARDS, "text/plain")
                return blocked(r, b"cards"), r, True
            if k == 7:
                r = self.upload(c, i, self.form, "multipart/form-data; boundary=B")
                return passed(r, self.form), r, True
            if k == 8:  # garbage: an error or a close, never a verdict
                c.send(b"REQMOD icap://x/ ICAP/1.0\r\nEncapsulated: req-hdr=50, null-body=2"
                       b"\r\n\r\nGARBAGE" * 3)
                head = c.read_until(b"\r\n\r\n") if not c.at_eof(1.0) else b""
                return head == b"" or head.startswith(b"ICAP/1.0 4"), head[:80], False
            if k == 9:  # a body abandoned after 500 of its 100,000 bytes
                req = http_req_head("GET", "http://dl.test/t%d" % i)
                res = http_res_head(body_len=100000)
                c.send(("RESPMOD %s ICAP/1.0\r\nHost: x\r\nEncapsulated: req-hdr=0, "
                        "res-hdr=%d, res-body=%d\r\n\r\n"
                        % (srv.url("respmod"), len(req), len(req) + len(res))).encode() +
                       req + res + b"186a0\r\n" + b"A" * 500)
                return True, None, "error"
            if k == 10:
                r = self.respmod(c, i, self.big)
                return passed(r, self.big), r, True
            c.send(("OPTIONS %s ICAP/1.0\r\nHost: x\r\n\r\n" % srv.url("respmod")).encode())
            head = c.read_until(b"\r\n\r\n")
            return head.startswith(b"ICAP/1.0 200") and b"ISTag:" in head, head[:80], False
        except Exception as e:  # noqa: BLE001 - every failure is a finding
            return False, repr(e)[:200], False
        finally:
            c.close()

    def worker(self, w, n, base):
        for j in range(n):
            k = (j * 5 + w * 7) % KINDS  # each worker its own order
            ok, detail, logged = self.one(k, base + j)
            with self.lock:
                self.answered += logged is True
                self.abandoned += logged == "error"
                if not ok:
                    self.bad.append("kind %d #%d: %r" % (k, base + j, detail))

    def round(self, per, base):
        ths = [threading.Thread(target=self.worker, args=(w, per, base + w * per))
               for w in range(THREADS)]
        for t in ths:
            t.start()
        for t in ths:
            t.join()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--per", type=int, default=2 * KINDS, help="transactions per worker per round")
    args = ap.parse_args()
    ck = Check("mixed")
    srv = SekishoServer(os.path.abspath(args.build_dir), name="mixed",
                        modules="url_block virus_scan dlp xheaders")
    try:
        try:
            srv.init_db()
            srv.policy_cmd("url", "add", "--list", "block", "--match", "domain", "blocked.test")
            srv.policy_cmd("dlp", "add", "cards", "--detector", "credit-card", "--action", "block")
            srv.start()
        except StartupError as e:
            ck.ok("server starts", False, e)
            return ck.summary()
        mix = Mix(srv)
        mem = []
        t0 = time.monotonic()
        for rnd in range(args.rounds):
            mix.round(args.per, rnd * THREADS * args.per)
            mem.append(tree_kb(srv.proc.pid, "Anonymous", include_root=False))
        took = time.monotonic() - t0
        n = args.rounds * THREADS * args.per
        ck.ok("%d transactions of %d kinds on %d connections at once: every verdict its own"
              % (n, KINDS, THREADS), not mix.bad, "%d wrong: %s" % (len(mix.bad), mix.bad[:8]))
        crashes = srv.worker_crashes()
        ck.ok("no c-icap worker died (server log read)", crashes == [], (crashes or [])[:4])
        ck.ok("the launcher still runs", srv.proc.poll() is None)
        # every transaction logged once, an abandoned one as an error (the
        # flusher writes within ~1 s); garbage and OPTIONS are no transactions
        want, lines = mix.answered + mix.abandoned, []
        for _ in range(50):
            lines = [json.loads(ln) for ln in srv.log_lines() if ln.strip()]
            if len(lines) >= want:
                break
            time.sleep(0.2)
        errors = sum(1 for ln in lines if ln.get("verdict") == "error")
        ck.ok("one access-log line per transaction, the abandoned ones as errors",
              len(lines) == want and errors == mix.abandoned,
              "%d lines (%d errors), %d answered + %d abandoned"
              % (len(lines), errors, mix.answered, mix.abandoned))
        print("# %d transactions in %.1f s; children's anonymous memory per round (KB): %s"
              % (n, took, " ".join(str(m) for m in mem)))
    finally:
        srv.stop()
        srv.cleanup()
    check_asan(ck)
    return ck.summary()


if __name__ == "__main__":
    main_wrapper(main)
