#!/usr/bin/env python3
"""Squid end-to-end test of the dlp module: curl -> Squid -> (ICAP)
sekisho-server --modules dlp -> local origin.

A multipart upload of a CSV holding card numbers is blocked with the 403
"information leak prevention" page and never reaches the origin; so is a
large one (Squid sends no Allow: 204 past 64 KiB; the server holds the
upload until the verdict); with `set dlp.enabled off` the same uploads
arrive at the origin byte-identical. Reuses the harness of test_squid.py
(origin, process groups, Squid config from contrib/squid/sekisho.conf).

Trust: test harness only; everything it talks to is started by itself.
Missing squid, curl or c-icap are failures, not skips.
"""

import hashlib
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_squid import Failure, Origin, launch_sekisho, squid_main  # noqa: E402

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
    # the numbers as sent and their digits alone; not "4111" anywhere: the
    # page's time and transaction reference may contain those digits
    c.check("the page does not echo the numbers",
            not re.search(rb"4111[ -]?1111[ -]?1111[ -]?1111|5555[ -]?5555[ -]?5555[ -]?4444",
                          page), page[:600])
    c.check("the blocked small upload never reached the origin",
            not any(p == "/upload/small-on" for _, p, _, _, _ in origin.requests()))

    status, err = upload(c, base + "/upload/large-on", large, out, "large.bin")
    with open(out, "rb") as f:
        page = f.read()
    c.check("large (400 KiB) upload with card numbers at its end: 403 page (held to the verdict)",
            status == 403 and b"nformation leak prevention" in page,
            "status=%s %s %r" % (status, err, page[:200]))
    c.check("the large upload never reached the origin, not even its headers",
            not any(p == "/upload/large-on" for _, p, _, _, _ in origin.requests()))

    # a GET form / a search box: the card leaves in the URL's query
    status, err = c.curl_run(base + "/search?q=4111+1111+1111+1111", out, ())
    with open(out, "rb") as f:
        page = f.read()
    c.check("GET with a card number in the query: 403 information leak prevention page",
            status == 403 and b"nformation leak prevention" in page,
            "status=%s %s %r" % (status, err, page[:200]))
    c.check("... the page shows the URL up to its query, not the number",
            b"/search?[hidden]" in page and not re.search(rb"4111[ +]?1111[ +]?1111", page),
            page[:800])
    c.check("... and the request never reached the origin",
            not any(p == "/search" or p.startswith("/search?") for _, p, _, _, _ in
                    origin.requests()))
    status, err = c.curl_run(base + "/search?q=hello+4111", out, ())
    c.check("GET with a clean query passes (200)", status == 200, "status=%s %s" % (status, err))

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
    def setup(args, tmp, procs, icap_port, origin, origin_port):
        db, _access_log = start_sekisho_dlp(args, tmp, procs, icap_port)
        return lambda c: run_checks(args, c, origin, origin_port, db)
    return squid_main("squid dlp end-to-end", "sekisho-squid-dlp-", Origin, setup)


if __name__ == "__main__":
    sys.exit(main())
