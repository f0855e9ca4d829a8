#!/usr/bin/env python3
"""Squid end-to-end test of the dlp module: curl -> Squid -> (ICAP)
sekisho-server --modules dlp -> local origin.

A multipart upload of a CSV holding card numbers is blocked with the 403
"information leak prevention" page and never reaches the origin; a large
one (Squid sends no Allow: 204 past 64 KiB, so the server trickles) never
reaches the origin complete; with `set dlp.enabled off` the same uploads
arrive at the origin byte-identical. Reuses the harness of test_squid.py
(origin, process groups, Squid config from contrib/squid/sekisho.conf).

Trust: test harness only; everything it talks to is started by itself.
Missing squid, curl or c-icap are failures, not skips.
"""

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_squid import (Checker, Failure, Origin, Procs, free_port,  # noqa: E402
                        launch_sekisho, require_tool, start_squid, tail)

BOUNDARY = "----sekishoSquidDLP0123"


def multipart_body(filler):
    csv = b"name,card\r\ntaro,4111 1111 1111 1111\r\nhanako,5555-5555-5555-4444\r\n"
    head = ("--%s\r\nContent-Disposition: form-data; name=\"comment\"\r\n\r\nmonthly report\r\n"
            "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cards.csv\"\r\n"
            "Content-Type: text/csv\r\n\r\n" % (BOUNDARY, BOUNDARY)).encode()
    pad = (b"padding line without numbers of interest\r\n" * (filler // 42 + 1))[:filler]
    return head + pad + csv + ("\r\n--%s--\r\n" % BOUNDARY).encode()


def policy(args, db, *words):
    p = os.path.join(args.build_dir, "bin", "sekisho-policy")
    r = subprocess.run([p, "--db", db] + list(words), stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=60)
    if r.returncode != 0:
        raise Failure("sekisho-policy %s failed: %r" % (" ".join(words), r.stderr))


def start_sekisho_dlp(args, tmp, procs, icap_port):
    server = os.path.join(args.build_dir, "bin", "sekisho-server")
    so = os.path.join(args.build_dir, "lib", "sekisho", "modules", "dlp.so")
    for f in (server, so):
        if not os.path.exists(f):
            raise Failure("build output missing: %s" % f)
    db = os.path.join(tmp, "policy.db")
    policy(args, db, "init")
    policy(args, db, "dlp", "add", "card numbers", "--detector", "credit-card",
           "--action", "block")
    run_dir = os.path.join(tmp, "sekisho-run")
    access_log = os.path.join(tmp, "sekisho-access.log")
    argv = [server, "--foreground", "--listen", "127.0.0.1:%d" % icap_port, "--policy-db", db,
            "--run-dir", run_dir, "--access-log", access_log, "--modules", "dlp"]
    launch_sekisho(procs, tmp, icap_port, argv)
    return db, access_log


def upload(c, url, body, out, name):
    src = os.path.join(c.tmp, name)
    with open(src, "wb") as f:
        f.write(body)
    return c.curl_run(url, out, ("-H", "Content-Type: multipart/form-data; boundary=" + BOUNDARY,
                                 "-H", "Expect:", "--data-binary", "@" + src))


def arrived(origin, path, body):
    want = hashlib.sha256(body).hexdigest()
    return any(m == "POST" and p == path and d == want for m, p, _, d, _ in origin.requests())


def run_checks(args, c, origin, origin_port, db):
    base = "http://127.0.0.1:%d" % origin_port
    out = os.path.join(c.tmp, "curl.out")
    c.t0 = time.monotonic()
    small = multipart_body(1000)
    large = multipart_body(400 * 1024)

    status, err = upload(c, base + "/upload/small-on", small, out, "small.bin")
    with open(out, "rb") as f:
        page = f.read()
    c.check("small multipart upload with card numbers: 403", status == 403,
            "status=%s %s" % (status, err))
    c.check("the page says information leak prevention and names the template",
            b"nformation leak prevention" in page and b"card numbers" in page, page[:300])
    c.check("the page does not echo the numbers", b"4111" not in page and b"5555" not in page)
    c.check("the blocked small upload never reached the origin",
            not any(p == "/upload/small-on" for _, p, _, _, _ in origin.requests()))

    status, err = upload(c, base + "/upload/large-on", large, out, "large.bin")
    time.sleep(0.5)
    c.check("large (400 KiB) upload with card numbers at its end is stopped (status %s)"
            % status, status != 200 or not arrived(origin, "/upload/large-on", large), err)
    c.check("the large upload never reached the origin complete",
            not arrived(origin, "/upload/large-on", large))

    policy(args, db, "set", "dlp.enabled", "off")
    deadline = time.monotonic() + 10
    while True:
        status, err = upload(c, base + "/upload/small-off", small, out, "small.bin")
        if status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    c.check("with dlp.enabled off the small upload passes (200)", status == 200,
            "status=%s %s" % (status, err))
    c.check("... and arrives at the origin byte-identical",
            arrived(origin, "/upload/small-off", small))
    status, err = upload(c, base + "/upload/large-off", large, out, "large.bin")
    c.check("with dlp.enabled off the large upload passes (200)", status == 200,
            "status=%s %s" % (status, err))
    c.check("... and arrives at the origin byte-identical",
            arrived(origin, "/upload/large-off", large))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--source-dir", default=os.path.dirname(os.path.dirname(here)))
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = ap.parse_args()
    args.build_dir = os.path.abspath(args.build_dir)
    args.source_dir = os.path.abspath(args.source_dir)

    t_start = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="sekisho-squid-dlp-")
    procs = Procs()
    origin = None
    ok = False
    try:
        require_tool("c-icap")
        icap_port, http_port = free_port(), free_port()
        origin = Origin(("127.0.0.1", 0))
        origin_port = origin.server_address[1]
        threading.Thread(target=origin.serve_forever, daemon=True).start()
        db, access_log = start_sekisho_dlp(args, tmp, procs, icap_port)
        start_squid(args, tmp, procs, http_port, icap_port)
        print("started in %.1fs; checking:" % (time.monotonic() - t_start), flush=True)
        c = Checker(tmp, http_port)
        run_checks(args, c, origin, origin_port, db)
        ok = not c.failed
        print("%d passed, %d failed" % (c.passed, len(c.failed)), flush=True)
    except Failure as e:
        print("FAIL: %s" % e, flush=True)
    except Exception as e:  # a harness bug must fail the test too
        import traceback
        traceback.print_exc()
        print("FAIL: harness error: %s" % e, flush=True)
    finally:
        procs.stop_all()
        if origin is not None:
            origin.shutdown()
            origin.server_close()
        if not ok:
            for p in ("sekisho-server.out", "sekisho-access.log", "squid/cache.log",
                      "squid/access.log"):
                tail(os.path.join(tmp, p))
        if args.keep:
            print("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("squid dlp end-to-end: %s in %.1fs" % ("PASS" if ok else "FAIL",
                                                 time.monotonic() - t_start))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
