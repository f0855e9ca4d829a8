#!/usr/bin/env python3
"""What a configured, cached directory costs a no-body REQMOD (issue 14:
"within 5% of without"). Not a test (no pass/fail); prints req/s and the
ratio. One server, one slapd; rounds alternate without/with a directory
(in alternating order)
(`directory rm` / `directory add` on the live server), so both see the
same machine load; the median of each is compared.

icapbench sends no user header, so the server runs with
`--user-header X-Client-IP`: the "user" is 127.0.0.1, a uid in the slapd
(member of Eng, so RnD and AllStaff too): every request after the first
is a cache hit that adds three groups, and a policy scoped to AllStaff
makes the resolver compare them.

    python3 tests/integration/bench_directory.py --build-dir build [--duration 5] [--rounds 3]

Trust: harness only; loopback servers it starts.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from icaplib import SekishoServer  # noqa: E402
import ldaplib  # noqa: E402


def tree_cpu(root):
    """CPU seconds (user + system) of ROOT and all its descendants."""
    kids, cpu = {}, {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        kids.setdefault(int(st[1]), []).append(int(d))
        cpu[int(d)] = (int(st[11]) + int(st[12])) / os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [root]
    while todo:
        p = todo.pop()
        total += cpu.get(p, 0.0)
        todo += kids.get(p, [])
    return total


def bench(build, srv, duration):
    p = subprocess.run([os.path.join(build, "bin", "icapbench"), "--port", str(srv.port),
                        "--service", "reqmod", "--method", "REQMOD", "--allow204",
                        "--connections", "4", "--duration", str(duration), "--json"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=duration + 60)
    if p.returncode != 0:
        raise RuntimeError("icapbench: %s" % p.stderr.decode(errors="replace"))
    r = json.loads(p.stdout)
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    build = os.path.abspath(a.build_dir)
    ldap = ldaplib.Slapd(name="bench-slapd", extra_eng=["127.0.0.1"])
    ldap.start()
    srv = SekishoServer(build, modules="url_block", name="bench-dir",
                        extra_args=["--user-header", "X-Client-IP"])
    add = ["directory", "add", "corp", "--uri", ldap.uri, "--base", ldaplib.BASE,
           "--bind-dn", ldaplib.BIND_DN, "--password-file", ldap.password_file]
    groups = None
    res = {"without": [], "with": []}
    cpu = {"without": [], "with": []}
    try:
        srv.init_db()
        srv.policy_cmd("policy", "add", "eng", "--group", "AllStaff", "--priority", "10")
        srv.policy_cmd("url", "add", "--list", "block", "--match", "domain",
                       "eng-blocked.example", "--policy", "eng")
        srv.start()
        for rnd in range(a.rounds):
            # alternate the order: neither mode always runs second
            for mode in (("without", "with") if rnd % 2 == 0 else ("with", "without")):
                if mode == "with":
                    srv.policy_cmd(*add)
                time.sleep(1.5)  # the server picks the change up
                c0 = tree_cpu(srv.proc.pid)
                r = bench(build, srv, a.duration)
                us = (tree_cpu(srv.proc.pid) - c0) * 1e6 / max(1, r["completed"])
                res[mode].append(r["req_per_s"])
                cpu[mode].append(us)
                print("round %d %-8s %8.0f req/s  %6.1f us server CPU/request" %
                      (rnd + 1, mode, res[mode][-1], us), flush=True)
                if mode == "with":
                    line = [raw for raw in srv.log_lines() if raw.strip()][-1]
                    groups = json.loads(line).get("groups")
                    srv.policy_cmd("directory", "rm", "corp")
    finally:
        srv.stop()
        srv.cleanup()
        ldap.cleanup()
    wo, wi = statistics.median(res["without"]), statistics.median(res["with"])
    print("median without directory: %.0f req/s" % wo)
    print("median with directory (cached): %.0f req/s" % wi)
    print("ratio with/without (req/s): %.3f" % (wi / wo))
    cwo, cwi = statistics.median(cpu["without"]), statistics.median(cpu["with"])
    print("server CPU per request: without %.1f us, with %.1f us, ratio %.3f"
          % (cwo, cwi, cwi / cwo))
    print("(req/s swings with the machine's load; CPU per request much less)")
    print("(groups in the access log during 'with': %r)" % groups)
    return 0


if __name__ == "__main__":
    sys.exit(main())
