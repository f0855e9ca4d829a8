#!/usr/bin/env python3
"""Reload once per node (issue 17 item 1), through the real daemon.

A generated signature set (tests/bench/gen_sigs.py, smaller than the
bench's so the test stays short) and three c-icap children that c-icap
also recycles (MaxRequestsPerChild). Three times a new signature file is
added. Checks, for each reload: the new signature is detected on fresh
connections by the children that answer, the previous children are
replaced, the engine is compiled exactly once more for the whole node and
by the c-icap master (one "engine compiled in pid N" line per compile);
across the second reload a load loop sees no failed transaction, and no
transaction on a fresh connection fails across the reloads and the
recycling (c-icap's child retirement, icap-server/guard/sk_accept_fix.c). Then the
summed PSS of the c-icap tree (master and children, smaps_rollup) after
the three reloads, and again after c-icap recycled children, is at most
1.15 times the PSS after start; recycled children detect the newest
signature without compiling anything.

Run with --build-dir of another build to print the same figures for it
(the checks then say what that build does).

Trust: test harness only; talks to the server it starts on loopback.
"""

import argparse
import os
import re
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from icaplib import (Check, SekishoServer, StartupError, transact,  # noqa: E402
                     http_req_head, http_res_head, children_of, tree_kb)
import test_stop  # noqa: E402  (its keep-alive RESPMOD load client)

HASHES = 150_000
PATTERNS = 8_000
CHILDREN = 3
RECYCLE_AFTER = 40  # MaxRequestsPerChild
PSS_LIMIT = 1.15
CONF = ("StartServers %d\nMaxServers %d\nMinSpareThreads 1\nMaxSpareThreads 1000\n"
        "ThreadsPerChild 4\nMaxRequestsPerChild %d\n"
        "sekisho.Option virus_scan.reload-interval 1s\n" % (CHILDREN, CHILDREN, RECYCLE_AFTER))
COMPILED = re.compile(r"engine compiled in pid (\d+)")


def marker(k):
    return b"SEKISHO-RELOAD-ONCE-SIGNATURE-%d-4be1" % k


def add_signature(db, k):
    """One more .ndb file, written beside and renamed in (as freshclam does)."""
    line = "Sekisho.Test.ReloadOnce.%d:0:*:%s\n" % (k, marker(k).hex())
    tmp = os.path.join(db, ".reload%d.tmp" % k)
    with open(tmp, "w") as f:
        f.write(line)
    os.rename(tmp, os.path.join(db, "reload%d.ndb" % k))


def respmod(srv, tag, body):
    c = srv.conn(30)
    try:
        return transact(c, "RESPMOD", srv.url("respmod"),
                        http_req_head("GET", "http://origin.test/%s" % tag),
                        http_res_head(body_len=len(body)), body, allow204=True)
    finally:
        c.close()


ERRORS = []  # every transaction of the test that failed, with its phase
MISSED = []  # detection checks answered without the block, with the answer
FRESH = [0]  # transactions through safe_respmod (each on a fresh connection)


def safe_respmod(srv, tag, body):
    """respmod, a failure recorded (the checks count them) instead of
    ending a worker thread."""
    FRESH[0] += 1  # += on a list item: under the GIL, close enough for a count
    try:
        return respmod(srv, tag, body)
    except (OSError, EOFError) as e:
        ERRORS.append("%s: %s: %s" % (tag, type(e).__name__, e))
        return None


def blocked(r):
    return r is not None and r.status == 200 and r.http_status() == 403


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return ""


def cicap_master(srv):
    for p in children_of(srv.proc.pid):
        if comm(p) == "c-icap":
            return p
    return None


def cicap_children(master):
    return sorted(p for p in children_of(master) if comm(p) == "c-icap")


def pss_tree(master):
    """Summed PSS (kB) of the c-icap master and every process below it."""
    return tree_kb(master, "Pss")


def compiles(srv):
    """PIDs of every engine compile so far (each compile logs once)."""
    return [int(m) for m in COMPILED.findall(srv.all_logs())]


def answering_pids(srv, tag):
    """c-icap children that answered transactions of URL /tag/... (the
    access log's txn id is HEX-PID-N)."""
    pids = set()
    for line in srv.log_lines():
        if b"/%s/" % tag.encode() in line:
            m = re.search(rb'"txn":"[0-9a-f]+-(\d+)-', line)
            if m:
                pids.add(int(m.group(1)))
    return pids


def warm(srv, rounds=4):
    """Clean traffic on parallel fresh connections (every child's threads
    and buffers in use), as a proxy would, before PSS is read."""
    body = os.urandom(64 * 1024)

    def worker(i):
        for n in range(rounds):
            safe_respmod(srv, "warm/%d/%d" % (i, n), body)
    ts = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    time.sleep(1.0)


def wait_for(pred, limit, step=0.05):
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        if pred():
            return time.monotonic() - t0
        time.sleep(step)
    return None


def detect_all(srv, k, n=24):
    """n fresh connections, 4 at a time: every answer blocks marker k."""
    results = []
    lock = threading.Lock()

    def worker(i):
        for j in range(n // 4):
            tag = "detect%d/%d/%d" % (k, i, j)
            r = safe_respmod(srv, tag, b"xx " + marker(k) + b" xx")
            with lock:
                results.append(blocked(r))
                if r is not None and not blocked(r):
                    MISSED.append("%s: %r" % (tag, r.raw_head[:160]))
    ts = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return results


def child_states(master):
    """For a failure message: each child's state, age and open connections,
    to tell a lingering retiree from a spare child."""
    out = []
    hz = os.sysconf("SC_CLK_TCK")
    with open("/proc/uptime") as f:
        up = float(f.read().split()[0])
    for pid in cicap_children(master):
        try:
            with open("/proc/%d/stat" % pid) as f:
                st = f.read().rsplit(")", 1)[1].split()
            conns = sum(1 for fd in os.listdir("/proc/%d/fd" % pid)
                        if os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("socket:"))
            out.append("%d %s age %.1f s, %d sockets" % (pid, st[0], up - int(st[19]) / hz, conns))
        except OSError:
            out.append("%d gone" % pid)
    return "; ".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    a = ap.parse_args()
    build = os.path.abspath(a.build_dir)
    ck = Check("reload-once")
    srv = SekishoServer(build, modules="virus_scan", name="reload-once", config_text=CONF,
                        test_signatures=False)
    db = os.path.join(srv.tmp, "sigs")
    gen = os.path.join(HERE, "..", "bench", "gen_sigs.py")
    p = subprocess.run([sys.executable, gen, db, "--hashes", str(HASHES),
                        "--patterns", str(PATTERNS)], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=120)
    ck.ok("gen_sigs.py wrote %d hash + %d body signatures" % (HASHES, PATTERNS),
          p.returncode == 0, p.stdout.decode(errors="replace")[-500:])
    # The detection checks open 4 fresh connections at a time, back to
    # back: with 12 threads the guard's per-client limit ("auto", half) is
    # 6, and closed connections whose worker has not yet seen the EOF still
    # count, so a 503 from the guard came now and then (once in ~7 runs).
    # This test is about reloads; hostile.guard tests the limit.
    srv.extra_args += ["--clamav-db", db, "--max-conns-per-client", "0"]
    figures = {}
    try:
        srv.start(timeout=120)
        master = cicap_master(srv)
        ck.ok("c-icap master found below the launcher", master is not None)
        ck.ok("%d c-icap children" % CHILDREN,
              wait_for(lambda: len(cicap_children(master)) == CHILDREN, 20) is not None,
              str(cicap_children(master)))
        got = compiles(srv)
        ck.ok("start: one engine compile, in the c-icap master (%s, master %s)" % (got, master),
              got == [master])
        # the children measured later served the detection checks of a
        # reload: the same traffic here, so PSS compares like with like
        detect_all(srv, 0)
        detect_all(srv, 0, 8)
        warm(srv)
        figures["start"] = pss_tree(master)

        for k in (1, 2, 3):
            before = set(cicap_children(master))
            clients, stop_evt = [], threading.Event()
            if k == 2:  # load across this reload
                clients = [test_stop.Client(srv.port, i, stop_evt) for i in range(4)]
                for c in clients:
                    c.start()
                wait_for(lambda: min(c.ok for c in clients) >= 2, 30)
            t0 = time.monotonic()
            add_signature(db, k)
            seen = wait_for(lambda: blocked(safe_respmod(srv, "probe%d/x" % k, marker(k))), 30, 0.1)
            ck.ok("reload %d: the new signature is detected (after %s)"
                  % (k, "never" if seen is None else "%.2f s" % seen), seen is not None)
            gone = wait_for(lambda: not (before & set(cicap_children(master))) and
                            len(cicap_children(master)) == CHILDREN, 20)
            ck.ok("reload %d: every child from before the reload replaced (%.2f s after the file)"
                  % (k, time.monotonic() - t0), gone is not None,
                  "before %s, now %s; %s" % (sorted(before), cicap_children(master),
                                             child_states(master)))
            if clients:
                time.sleep(0.5)
                stop_evt.set()
                for c in clients:
                    c.ended.wait(60)
                failed = [f for c in clients for f in c.failed]
                ck.ok("reload %d under load: %d transactions (%d retried after a keep-alive "
                      "close), none failed" % (k, sum(c.ok for c in clients),
                                               sum(c.retried for c in clients)),
                      sum(c.ok for c in clients) > 0 and not failed, "; ".join(failed[:5]))
            res = detect_all(srv, k)
            pids = answering_pids(srv, "detect%d" % k)
            missed = [m for m in MISSED if m.startswith("detect%d/" % k)]
            ck.ok("reload %d: %d of %d fresh connections detect it, answered by children %s"
                  % (k, sum(res), len(res), sorted(pids)),
                  res and all(res) and len(pids) >= 2 and not (pids & before),
                  "; ".join(missed[:3]) + " | log: " + " ".join(
                      l.decode(errors="replace")[:400] for l in srv.log_lines()
                      if any(b"/%s " % m.split(":")[0].encode() in l or
                             b"/%s\"" % m.split(":")[0].encode() in l for m in missed[:3])))
            old = detect_all(srv, 1, 8) if k > 1 else [True]
            ck.ok("reload %d: the first reload's signature is still detected" % k, all(old))
            got = compiles(srv)
            ck.ok("reload %d: %d engine compiles so far, all in the master (%s)"
                  % (k, 1 + k, got), got == [master] * (1 + k))

        warm(srv)
        figures["after 3 reloads"] = pss_tree(master)
        ck.ok("PSS after 3 reloads %d kB <= %.2f x start %d kB"
              % (figures["after 3 reloads"], PSS_LIMIT, figures["start"]),
              figures["after 3 reloads"] <= PSS_LIMIT * figures["start"])

        # recycling: c-icap replaces a child after RECYCLE_AFTER requests
        # (at most one per monitor loop turn); the new ones fork from the
        # master's current engine
        after_reloads = set(cicap_children(master))
        deadline = time.monotonic() + 20
        res = []
        while time.monotonic() < deadline and \
                len(set(cicap_children(master)) - after_reloads) < CHILDREN:
            res += detect_all(srv, 3, 8)
            time.sleep(0.2)
        recycled = set(cicap_children(master)) - after_reloads
        ck.ok("recycling: %d children forked after the last reload" % len(recycled),
              len(recycled) >= 2, "%s -> %s" % (sorted(after_reloads), cicap_children(master)))
        res += detect_all(srv, 3)
        pids = answering_pids(srv, "detect3") - after_reloads
        ck.ok("recycled children (%s) detect the newest signature: %d of %d"
              % (sorted(pids), sum(res), len(res)), all(res) and pids)
        got = compiles(srv)
        ck.ok("recycling compiled nothing (%d compiles)" % len(got), got == [master] * 4)
        warm(srv)
        figures["after recycling"] = pss_tree(master)
        ck.ok("PSS after recycling %d kB <= %.2f x start %d kB"
              % (figures["after recycling"], PSS_LIMIT, figures["start"]),
              figures["after recycling"] <= PSS_LIMIT * figures["start"])
        # Fresh connections across the three reloads and the recycling:
        # c-icap 0.5.10 reset about one in 700 of them when a retiring
        # child's listener accepted after its workers had exited
        # (sk_accept_fix.c; icap-server/README.md, "Reload").
        ck.ok("%d transactions on fresh connections across reloads and recycling, "
              "none failed" % FRESH[0], FRESH[0] > 0 and not ERRORS,
              "%d failed: %s" % (len(ERRORS), "; ".join(ERRORS[:5])))
    except StartupError as e:
        ck.ok("server started", False, str(e))
    finally:
        if figures:
            base = figures.get("start") or 1
            print("     summed PSS of the c-icap tree (%d children, %d hash + %d body "
                  "signatures): %s" % (CHILDREN, HASHES, PATTERNS, ", ".join(
                      "%s %.1f MB (%.2fx)" % (k, v / 1024.0, v / base)
                      for k, v in figures.items())))
        srv.stop()
        srv.cleanup()
    return ck.summary()


if __name__ == "__main__":
    sys.exit(main())
