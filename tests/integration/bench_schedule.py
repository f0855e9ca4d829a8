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


def run(build, srv, duration):
    p = subprocess.run([os.path.join(build, "bin", "icapbench"), "--port", str(srv.port),
                        "--service", "REQ-Service", "--method", "REQMOD", "--allow204",
                        "--url", URL, "--connections", "4", "--duration", str(duration),
                        "--json"], capture_output=True, check=True)
    out = json.loads(p.stdout.decode())
    return out["req_per_s"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--duration", type=int, default=5)
    a = ap.parse_args()
    build = os.path.abspath(a.build_dir)
    srvs = {"none": make(build, "bnone", False), "sched": make(build, "bsched", True)}
    res = {k: [] for k in srvs}
    try:
        for s in srvs.values():
            s.start()
        for k in srvs:  # warm up
            run(build, srvs[k], 1)
        for _ in range(a.runs):
            for k in srvs:
                res[k].append(run(build, srvs[k], a.duration))
    finally:
        for s in srvs.values():
            s.stop()
            s.cleanup()
    for k in res:
        print("%-5s req/s: %s (median %.0f)" % (k, ", ".join("%.0f" % v for v in res[k]),
                                                 statistics.median(res[k])))
    ratio = statistics.median(res["sched"]) / statistics.median(res["none"])
    print("ratio sched/none (medians): %.3f" % ratio)
    return 0


if __name__ == "__main__":
    sys.exit(main())
