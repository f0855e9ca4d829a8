#!/usr/bin/env python3
"""Squid end-to-end test of url_block: curl -> Squid -> (ICAP) Sekisho with
the url_block module -> local origin.

A blocked domain requested over plain HTTP (GET) and over HTTPS through
Squid without decryption (CONNECT) must both reach curl as a denial (403),
without Squid ever contacting the blocked host; an allowed URL reaches the
origin intact; the page follows Accept-Language. With virus_scan after
url_block, EICAR from an approved URL passes unscanned while the same file
from another path is blocked as a virus. Reuses the harness of
test_squid.py (origin, process groups, Squid configuration from
contrib/squid/sekisho.conf).

Trust: test harness only; everything it talks to is started by itself.
Missing squid, curl, c-icap or build outputs are failures, not skips.
"""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_squid import (Failure, Origin, OriginHandler,  # noqa: E402
                        launch_sekisho, squid_main)

BLOCKED = "blocked-by-url.test"  # never resolvable: only Sekisho may stop it
EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR" +
         b"-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")


class UrlHandler(OriginHandler):
    def do_GET(self):
        if self.path.endswith("/eicar.com"):
            self.server.record("GET", self.path, 0, None, False)
            self._send(200, EICAR, "application/octet-stream")
        else:
            super().do_GET()


class UrlOrigin(Origin):
    def __init__(self, addr):
        super().__init__(addr)
        self.RequestHandlerClass = UrlHandler


def policy(args, db, *argv):
    exe = os.path.join(args.build_dir, "bin", "sekisho-policy")
    r = subprocess.run([exe, "--db", db, *argv], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=60)
    if r.returncode != 0:
        raise Failure(f"sekisho-policy {' '.join(argv)} failed: {r.stderr!r}")


def start_sekisho_url(args, tmp, procs, icap_port, origin_port):
    server = os.path.join(args.build_dir, "bin", "sekisho-server")
    moddir = os.path.join(args.build_dir, "lib", "sekisho", "modules")
    for f in (server, os.path.join(moddir, "url_block.so"), os.path.join(moddir, "virus_scan.so")):
        if not os.path.exists(f):
            raise Failure(f"build output missing: {f}")
    db = os.path.join(tmp, "policy.db")
    policy(args, db, "init")
    policy(args, db, "url", "add", "--list", "block", "--match", "domain", "*." + BLOCKED)
    policy(args, db, "url", "add", "--list", "approved", "--match", "prefix",
           f"127.0.0.1:{origin_port}/approved/")
    run_dir = os.path.join(tmp, "sekisho-run")
    access_log = os.path.join(tmp, "sekisho-access.log")
    clamdb = os.path.join(tmp, "clamav-empty")  # empty: the project's test signatures
    os.mkdir(clamdb)
    argv = [server, "--foreground", "--listen", f"127.0.0.1:{icap_port}", "--policy-db", db,
            "--run-dir", run_dir, "--access-log", access_log,
            "--modules", "url_block virus_scan", "--clamav-db", clamdb,
            "--test-signatures"]
    launch_sekisho(procs, tmp, icap_port, argv)
    return access_log


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


def log_records(access_log):
    out = []
    for line in read(access_log).decode("utf-8", "replace").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def run_checks(c, origin, origin_port, access_log):
    out = os.path.join(c.tmp, "curl.out")
    c.t0 = time.monotonic()

    status, err = c.curl_run(f"http://127.0.0.1:{origin_port}/allowed", out)
    c.check("allowed URL reaches the origin (200, origin body)",
            status == 200 and read(out) == b"hello from the origin\n", f"{status} {err}")

    for host, lang, al in ((BLOCKED, "en", "en-US,en;q=0.9"),
                           ("www." + BLOCKED.upper(), "ja", "ja,en;q=0.5")):
        status, err = c.curl_run(f"http://{host}/page", out, ["-H", f"Accept-Language: {al}"])
        page = read(out).decode("utf-8", "replace")
        c.check(f"GET http://{host}/page: 403 page from Sekisho in {lang}",
                status == 403 and "Sekisho" in page and f'<html lang="{lang}">' in page,
                f"status={status} {err} page={page[:300]!r}")

    # HTTPS without decryption: Squid asks REQMOD about the CONNECT
    r = subprocess.run([c.curl, "-sS", "--noproxy", "", "-x", c.proxy, "--max-time", "60",
                        "-o", out, "-w", "%{http_connect}", f"https://{BLOCKED}/secret"],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=90)
    code = r.stdout.decode().strip()
    c.check("HTTPS (CONNECT) to the blocked domain: curl fails with CONNECT 403",
            r.returncode != 0 and code == "403",
            f"rc={r.returncode} http_connect={code!r} {r.stderr.decode(errors='replace')}")

    seen = [e[1] for e in origin.requests()]
    c.check("the origin only ever saw the allowed request", seen == ["/allowed"], f"{seen}")

    # approved URL: virus_scan is skipped, EICAR arrives; elsewhere it is blocked
    status, err = c.curl_run(f"http://127.0.0.1:{origin_port}/approved/eicar.com", out)
    c.check("EICAR from an approved URL passes unscanned (200, the file)",
            status == 200 and read(out) == EICAR, f"status={status} {err} {read(out)[:200]!r}")
    status, err = c.curl_run(f"http://127.0.0.1:{origin_port}/other/eicar.com", out)
    c.check("EICAR from a URL that is not approved is blocked by virus_scan (403)",
            status == 403 and b"eicar" in read(out).lower(),
            f"status={status} {err} {read(out)[:300]!r}")

    deadline = time.monotonic() + 10
    recs = []
    while time.monotonic() < deadline:
        recs = log_records(access_log)
        conn = [e for e in recs if e.get("method") == "CONNECT" and e.get("verdict") == "block"]
        gets = [e for e in recs if BLOCKED in str(e.get("url", "")).lower()
                and e.get("method") == "GET" and e.get("verdict") == "block"]
        if conn and len(gets) >= 2:
            break
        time.sleep(0.2)
    c.check("access log: CONNECT blocked by url_block with the domain rule",
            any(e.get("module") == "url_block" and e.get("rule") == f"block:domain:{BLOCKED}"
                for e in conn), f"{recs[-5:]}")
    c.check("access log: both GETs blocked by url_block",
            len([e for e in gets if e.get("module") == "url_block"]) >= 2, f"{recs[-5:]}")
    appr = [e for e in recs if "/approved/eicar.com" in str(e.get("url", ""))]
    c.check('access log: the approved download is "verdict":"approved"',
            any(e.get("verdict") == "approved" for e in appr), f"{appr}")


def main():
    def setup(args, tmp, procs, icap_port, origin, origin_port):
        access_log = start_sekisho_url(args, tmp, procs, icap_port, origin_port)
        return lambda c: run_checks(c, origin, origin_port, access_log)
    return squid_main("squid url_block end-to-end", "sekisho-squid-url-", UrlOrigin, setup)


if __name__ == "__main__":
    sys.exit(main())
