#!/usr/bin/env python3
"""Cost of schedules on no-body REQMOD throughput (issue 14: 20 schedules
must stay within 5%). Not a test: prints figures and the ratio only.

Two policies with the same 20 URL rules, all of which match the bench URL
(allow rules, so every request is answered 204 either way):
  none  - the rules without --when
  sched - each rule --when its own schedule (20 schedules, 10 zones), so
          every request evaluates all 20 schedules (the worst case: rules
          that do not match the URL cost nothing extra)
Each is measured RUNS times, alternating, with build/bin/icapbench against
the real daemon; the machine is shared, so only the ratio of the medians
means anything.

Usage: bench_schedule.py --build-dir BUILD [--runs 3] [--duration 5]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from icaplib import SekishoServer  # noqa: E402

ZONES = ["Asia/Tokyo", "America/New_York", "Europe/Berlin", "Australia/Sydney", "UTC",
         "Asia/Kolkata", "America/Sao_Paulo", "Europe/London", "Pacific/Auckland", ""]
# 20 distinct substring patterns that all occur in the bench URL
PATTERNS = ["bench", "ench.", "nch.e", "ch.ex", "h.exa", ".exam", "examp", "xampl", "ample",
            "mple/", "bench.e", "bench.ex", "ench.exa", "nch.exam", "ch.examp", "h.exampl",
            "e.example", "bench.example", "ench.example", "nch.example"]
URL = "http://bench.example/"


def make(build, name, scheduled):
    srv = SekishoServer(build, modules="url_block", name=name, test_signatures=False)
    srv.init_db()
    for i, pat in enumerate(PATTERNS):
        args = ["url", "add", "--list", "allow", "--match", "substring", pat]
        if scheduled:
            sched = "s%02d" % i
            tz = ZONES[i % len(ZONES)]
            srv.policy_cmd("schedule", "add", sched, "--days", "mon-fri", "--time",
                           "09:00-12:00", "--time", "13:00-18:00",
                           *(["--tz", tz] if tz else []))
            args += ["--when", sched if i % 2 else "!" + sched]
        srv.policy_cmd(*args)
    return srv


def cpu_ticks(srv):
    """utime + stime of every live process of this server: the launcher
    and the c-icap master and children (their command line names the
    server's run directory)."""
    total = 0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read()
            with open("/proc/%s/stat" % d) as f:
                st = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(d) == srv.proc.pid or srv.run_dir.encode() in cmd:
            total += int(st[11]) + int(st[12])  # utime stime (after "(comm)")
    return total


def run(build, srv, duration):
    """(req/s, server CPU µs per request). On a shared machine req/s is
    noise; the server's CPU time per request is the steadier figure."""
    t0 = cpu_ticks(srv)
    p = subprocess.run([os.path.join(build, "bin", "icapbench"), "--port", str(srv.port),
                        "--service", "REQ-Service", "--method", "REQMOD", "--allow204",
                        "--url", URL, "--connections", "4", "--duration", str(duration),
                        "--json"], capture_output=True, check=True)
    out = json.loads(p.stdout.decode())
    ticks = cpu_ticks(srv) - t0
    return out["req_per_s"], ticks * 1e6 / os.sysconf("SC_CLK_TCK") / max(1, out["completed"])


def decide(build, none_db, sched_db):
    """The decision alone, in process (bench_schedule_decide.c, built here
    against the build's static policy libraries)."""
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench_schedule_decide.c")
    exe = os.path.join(os.path.dirname(none_db), "bench_schedule_decide")
    pc = subprocess.run(["pkg-config", "--libs", "sqlite3", "libpcre2-8", "libidn2", "libcurl",
                         "libcrypto"], capture_output=True, check=True).stdout.decode().split()
    subprocess.run(["cc", "-O2", "-I", os.path.join(os.path.dirname(src), "../../policy-db/include"),
                    "-o", exe, src,
                    os.path.join(build, "policy-db", "libsekisho_policy.a"),
                    os.path.join(build, "policy-db", "libsekisho_policy_read.a"),
                    os.path.join(build, "icap-server", "toolkit", "libsekisho_toolkit.a")] + pc,
                   check=True)
    print(subprocess.run([exe, none_db, sched_db, "1000000"], capture_output=True,
                         check=True).stdout.decode(), end="")


def profile(build, srv, seconds=4):
    """Share of the sched server's CPU samples in the schedule code (perf).
    Robust where req/s is not: it does not depend on what else runs."""
    import shutil
    import tempfile
    if shutil.which("perf") is None:
        print("perf not installed: no profile share")
        return
    pids = []
    for d in os.listdir("/proc"):
        try:
            if d.isdigit() and srv.run_dir.encode() in open("/proc/%s/cmdline" % d, "rb").read():
                pids.append(d)
        except OSError:  # gone meanwhile
            pass
    data = os.path.join(tempfile.mkdtemp(prefix="sekisho-perf-"), "perf.data")
    load = subprocess.Popen([os.path.join(build, "bin", "icapbench"), "--port", str(srv.port),
                             "--service", "REQ-Service", "--method", "REQMOD", "--allow204",
                             "--url", URL, "--connections", "4", "--duration", str(seconds + 2)],
                            stdout=subprocess.DEVNULL)
    subprocess.run(["perf", "record", "-o", data, "-p", ",".join(pids), "--", "sleep",
                    str(seconds)], capture_output=True)
    load.wait()
    rep = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "symbol",
                          "--stdio"], capture_output=True).stdout.decode()
    share = 0.0
    for ln in rep.splitlines():
        f = ln.split()
        sym = f[f.index("[.]") + 1] if "[.]" in f[:-1] else ""
        if f and f[0].endswith("%") and sym.startswith(("sk_tz_", "sk_when_", "sk_sched_")):
            share += float(f[0].rstrip("%"))
    print("perf: schedule code (sk_tz_*, sk_when_*, sk_sched_*) = %.2f%% of the sched"
          " server's CPU samples" % share)
    os.unlink(data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--duration", type=int, default=5)
    a = ap.parse_args()
    build = os.path.abspath(a.build_dir)
    srvs = {"none": make(build, "bnone", False), "sched": make(build, "bsched", True)}
    res = {k: [] for k in srvs}
    decide(build, srvs["none"].db, srvs["sched"].db)
    try:
        for s in srvs.values():
            s.start()
        for k in srvs:  # warm up
            run(build, srvs[k], 1)
        profile(build, srvs["sched"])
        for i in range(a.runs):  # alternate the order: no place is favoured
            for k in (["none", "sched"] if i % 2 == 0 else ["sched", "none"]):
                res[k].append(run(build, srvs[k], a.duration))
    finally:
        for s in srvs.values():
            s.stop()
            s.cleanup()
    med = {}
    for k in res:
        rps = [v[0] for v in res[k]]
        cpu = [v[1] for v in res[k]]
        med[k] = (statistics.median(rps), statistics.median(cpu))
        print("%-5s req/s: %s (median %.0f); server CPU us/request: %s (median %.1f)" % (
            k, ", ".join("%.0f" % v for v in rps), med[k][0], ", ".join("%.1f" % v for v in cpu),
            med[k][1]))
    print("ratio sched/none, req/s (medians): %.3f" % (med["sched"][0] / med["none"][0]))
    print("ratio sched/none, server CPU per request (medians): %.3f" % (
        med["sched"][1] / med["none"][1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
