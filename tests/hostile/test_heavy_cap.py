#!/usr/bin/env python3
"""The per-client cap on heavy-scan slots (virus_scan.max-heavy-per-client)
through the real daemon. Heavy scans (archives, documents, big bodies) share
virus_scan.max-heavy-scans slots across every c-icap child; the ICAP client
is the proxy, so the client is the end-user address it sends in X-Client-IP.

g_flood (max-heavy-scans 2, the cap by default 1): client A keeps six 4 MB
zips of logs in flight; client B's small zips get the other slot at once
(each within half of one of A's scans), B's own 4 MB zip within 3 of A's
scans + 2 s, EICAR in a zip from A is blocked (by its signature, or if it
waited for A's cap past max-scantime by the Busy limit), and every one of
A's scans gets its verdict: clean and byte-identical, or (waiting for A's own
cap in no order, past max-scantime) the Busy limit.
g_capped (max-scantime 3 s): three nested-zip bombs from A, which each run
until max-scantime: the third waits for A's cap past max-scantime and is the
Busy limit (av.on-limit, a 403) with a reason naming max-heavy-per-client,
never a pass; B's small zip is answered meanwhile.

--measure N [--heavy K]: the session-11 scenario instead (max-heavy-scans K,
default 1; A keeps 6 of the 4 MB zips in flight, B sends the same zip N times
one after another); prints the figures, checks nothing. Run it against a build
without the cap (main) and one with it to compare.

Usage: test_heavy_cap.py --build-dir BUILD [--only g_flood g_capped]
"""

import argparse
import os
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from icaplib import (Check, SekishoServer, StartupError, check_asan, main_wrapper,  # noqa: E402
                     zip_bytes)
from test_evasion import (EICAR, SIG, _log_lines_text, blocked, log_entry,  # noqa: E402
                          nested_zip, passed_identical, respmod)

A, B = "10.20.0.1", "10.20.0.2"
SMALL = zip_bytes([("report.txt", b"quarterly numbers, nothing secret\n" * 50)])


def big_zip():
    """A legitimate zip of ~4 MB: 20 MiB of log lines in five members."""
    text = _log_lines_text(20 << 20)
    return zip_bytes([("var/log/auth.%d.log" % i, text[i << 22:(i + 1) << 22]) for i in range(5)])


def scan(srv, client, url, body):
    """One RESPMOD as CLIENT: (response, seconds)."""
    t0 = time.monotonic()
    extra = ["X-Client-IP: %s" % client] if client else []
    r = respmod(srv, url, body, ctype="application/zip", extra=extra)
    return r, time.monotonic() - t0


class Flood:
    """N threads of CLIENT, each sending BODY again as soon as it is answered."""

    def __init__(self, srv, client, body, n):
        self.srv, self.client, self.body = srv, client, body
        self.stop = threading.Event()
        self.results, self.errors = [], []
        self.ths = [threading.Thread(target=self.run, args=(i,)) for i in range(n)]

    def run(self, i):
        k = 0
        while not self.stop.is_set():
            url = "http://origin.test/flood/%d-%d.zip" % (i, k)
            try:
                r, dt = scan(self.srv, self.client, url, self.body)
                self.results.append((r, dt, url))
            except Exception as e:  # an unanswered scan fails the check below
                self.errors.append(repr(e))
            k += 1

    def __enter__(self):
        for t in self.ths:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.ths:
            t.join(120)


def start(ck, build, name, conf, policy=()):
    srv = SekishoServer(build, modules="virus_scan", name=name, config_text=conf)
    try:
        srv.init_db()
        for p in policy:
            srv.policy_cmd(*p)
        srv.start()
    except StartupError as e:
        ck.ok("%s: server starts" % name, False, e)
        srv.cleanup()
        return None
    return srv


def started_line(srv):
    """What the master logged of its slots (c-icap's output, run dir)."""
    for line in srv.all_logs().splitlines():
        if "heavy-scan slots:" in line:
            return line.split("heavy-scan slots:", 1)[1].strip()
    return ""


def g_flood(ck, build):
    srv = start(ck, build, "heavycap",
                "sekisho.Option virus_scan.max-heavy-scans 2\n"
                # A's own scans wait for A's cap in no order: a long wait
                # keeps them from its Busy limit on a slow (ASan) build
                "sekisho.Option virus_scan.max-scantime 60s\n")
    if not srv:
        return
    try:
        ck.eq("flood: the default cap is half the slots", started_line(srv),
              "2, at most 1 per client (X-Client-IP)")
        big = big_zip()
        r, t_big = scan(srv, A, "http://origin.test/alone/a.zip", big)
        ck.ok("flood: A's %d-byte zip alone passes (%.2f s)" % (len(big), t_big),
              passed_identical(r, big))
        r, t_small = scan(srv, B, "http://origin.test/alone/b.zip", SMALL)
        ck.ok("flood: B's small zip alone passes (%.3f s)" % t_small, passed_identical(r, SMALL))
        with Flood(srv, A, big, 6) as fl:
            time.sleep(1.0)  # A's six are in flight
            small = []
            for i in range(3):
                r, dt = scan(srv, B, "http://origin.test/b/small%d.zip" % i, SMALL)
                small.append(dt)
                ck.ok("flood: B's small zip %d passes during A's flood" % i,
                      passed_identical(r, SMALL))
            bound = 0.5 * t_big
            ck.ok("flood: each of B's small zips within half of A's scan (%.2f s): %s"
                  % (bound, ", ".join("%.3f" % d for d in small)), max(small) < bound)
            r, t_b = scan(srv, B, "http://origin.test/b/big.zip", big)
            # beside one of A's scans on two cores (and whatever else runs)
            ck.ok("flood: B's 4 MB zip passes during A's flood in %.2f s (alone %.2f s, "
                  "bound 3 x + 2 s)" % (t_b, t_big),
                  passed_identical(r, big) and t_b < 3 * t_big + 2.0)
            url = "http://origin.test/a/eicar.zip"
            r, t_e = scan(srv, A, url, zip_bytes([("docs/readme.txt", b"hello\n"),
                                                   ("tools/eicar.com", EICAR)]))
            e = log_entry(srv, url)
            # it waits for A's cap among A's six: found by its signature, or
            # on a slow build past max-scantime the Busy limit - blocked
            ck.ok("flood: EICAR in a zip from A is blocked (%.2f s, %s)" % (t_e, e.get("rule", "")),
                  blocked(r) and (e.get("rule", "").startswith(SIG) or
                                  "max-heavy-per-client" in e.get("reason", "")))
        n = len(fl.results)
        ok = sum(1 for r, _, _ in fl.results if passed_identical(r, big))
        # the rest may only be A's Busy limit (its cap past max-scantime)
        busy = [u for r, _, u in fl.results if not passed_identical(r, big) and blocked(r) and
                "max-heavy-per-client" in log_entry(srv, u).get("reason", "")]
        ck.ok("flood: every one of A's %d scans got its verdict: %d clean and identical, %d "
              "at A's cap past max-scantime, errors %s" % (n, ok, len(busy), fl.errors[:2]),
              ok >= 6 and ok + len(busy) == n and not fl.errors)
        if fl.results:
            print("    A's scans during the flood: median %.2f s, max %.2f s"
                  % (statistics.median(d for _, d, _ in fl.results),
                     max(d for _, d, _ in fl.results)))
        ck.ok("flood: no worker crash", not srv.worker_crashes(), srv.worker_crashes())
    finally:
        srv.stop()
        srv.cleanup()


def g_capped(ck, build):
    scantime = 3
    srv = start(ck, build, "heavycap2",
                "sekisho.Option virus_scan.max-heavy-scans 2\n"
                "sekisho.Option virus_scan.max-scantime %ds\n"
                "sekisho.Option virus_scan.max-files 1000000\n" % scantime,
                # members unbounded: each bomb runs until max-scantime
                policy=[("set", "av.max-files", "1000000")])
    if not srv:
        return
    try:
        bomb = nested_zip(16, 4, b"leaf " * 20)
        res = {}

        def one(i):
            res[i] = scan(srv, A, "http://origin.test/capped/%d.zip" % i, bomb)[0]
        ths = [threading.Thread(target=one, args=(i,)) for i in range(3)]
        for t in ths:
            t.start()
            time.sleep(0.2)
        r, dt = scan(srv, B, "http://origin.test/capped/b.zip", SMALL)
        ck.ok("capped: B's small zip passes at once while A's bombs run (%.2f s)" % dt,
              passed_identical(r, SMALL) and dt < scantime / 2)
        for t in ths:
            t.join(60)
        ents = [log_entry(srv, "http://origin.test/capped/%d.zip" % i) for i in range(3)]
        rules = [e.get("rule", "") for e in ents]
        ck.ok("capped: all three of A's bombs blocked %s" % rules,
              all(i in res and blocked(res[i]) for i in range(3)))
        busy = [e for e in ents if e.get("rule") == "Sekisho.Limits.Exceeded.Busy"]
        ck.ok("capped: one waited for A's cap past max-scantime: the Busy limit, "
              "naming max-heavy-per-client", len(busy) == 1 and
              "max-heavy-per-client" in busy[0].get("reason", ""),
              [(e.get("rule"), e.get("reason", "")[:90]) for e in ents])
        # a proxy that sends no X-Client-IP names no user: its address is
        # every user at once and gets no per-client cap. The same three
        # bombs as above: two take the node's two slots side by side, the
        # third gets one when they end; capped as one client, the third
        # would wait for that cap past max-scantime (the Busy limit).
        ths = [threading.Thread(target=lambda i=i: res.__setitem__(
            "p%d" % i, scan(srv, None, "http://origin.test/proxy/%d.zip" % i, bomb)[0]))
            for i in range(3)]
        for t in ths:
            t.start()
            time.sleep(0.2)
        for t in ths:
            t.join(60)
        ents = [log_entry(srv, "http://origin.test/proxy/%d.zip" % i) for i in range(3)]
        ck.ok("no X-Client-IP: the three bombs blocked, none waited for a per-client cap",
              all(res.get("p%d" % i) is not None and blocked(res["p%d" % i]) for i in range(3)) and
              not any("max-heavy-per-client" in e.get("reason", "") for e in ents),
              [(e.get("rule"), e.get("reason", "")[:90]) for e in ents])
    finally:
        srv.stop()
        srv.cleanup()


def measure(build, rounds, heavy):
    """The session-11 scenario; prints B's latencies."""
    srv = SekishoServer(build, modules="virus_scan", name="heavymeasure",
                        config_text="sekisho.Option virus_scan.max-heavy-scans %d\n" % heavy)
    srv.init_db()
    srv.start()
    try:
        big = big_zip()
        alone = [scan(srv, B, "http://origin.test/m/alone%d.zip" % i, big)[1] for i in range(3)]
        print("zip %d bytes; B alone: %s s" % (len(big), ", ".join("%.2f" % d for d in alone)))
        lat, ok = [], 0
        with Flood(srv, A, big, 6) as fl:
            time.sleep(2.0)
            for i in range(rounds):
                r, dt = scan(srv, B, "http://origin.test/m/b%d.zip" % i, big)
                lat.append(dt)
                ok += passed_identical(r, big)
                print("B round %d: %.2f s %s" % (i, dt, "passed" if passed_identical(r, big)
                                                 else "NOT passed (http %s)" % r.http_status()))
        print("B with A keeping 6 in flight (max-heavy-scans %d): min %.2f median %.2f max "
              "%.2f s, %d/%d passed; A: %d scans, median %.2f s"
              % (heavy, min(lat), statistics.median(lat), max(lat), ok, rounds,
                 len(fl.results), statistics.median(d for _, d, _ in fl.results or [(0, 0, 0)])))
    finally:
        srv.stop()
        srv.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--only", nargs="+", metavar="GROUP")
    ap.add_argument("--measure", type=int, metavar="N")
    ap.add_argument("--heavy", type=int, default=1)
    args = ap.parse_args()
    build = os.path.abspath(args.build_dir)
    if args.measure:
        measure(build, args.measure, args.heavy)
        return 0
    want = set(args.only or [])
    ck = Check("heavy_cap")
    for name, fn in [("flood from one client", g_flood), ("over the cap", g_capped)]:
        if not want or fn.__name__ in want:
            ck.group(name, fn, ck, build)
    check_asan(ck)
    return ck.summary()


if __name__ == "__main__":
    main_wrapper(main)
