#!/usr/bin/env python3
"""Squid end-to-end, object sizes: blocked uploads and downloads of 16 KiB,
64 KiB, 1 MiB and 20 MiB through a real Squid (Debian 12's 5.7) in front
of sekisho-server --modules "dlp virus_scan".

For each size: a download with EICAR at its end, an upload with EICAR at
its end and a text upload with card numbers at its end (DLP template
"cards", credit-card, block). Every blocked upload must get our 403 page
and the origin must see NO request for it (its own request log, recorded
when the request line arrives, before any body byte is read). Then 16
blocked downloads in a row and a clean download that must be served
byte-identical: a block never counts as an ICAP failure, so Squid never
suspends the service (icap_service_failure_limit).

Two Squid setups (issue 15):
- default: contrib/squid/sekisho.conf as shipped, with the delay pool that
  works around Squid bug 5352 (Debian 5.7-2+deb12u1 and later stop reading
  the origin once 64 KiB wait for the ICAP service). Sekisho holds every
  download until the verdict, so every blocked download gets our page.
- --no-delay-pool: the sample without its delay_* lines, and Sekisho with
  sekisho.HoldCommitSize 32K (what the README says to use on such a Squid):
  downloads of 64 KiB and more start before the verdict; a late block must
  end the transfer truncated (never the whole object) without an ICAP
  failure. Uploads are held to the verdict in both setups.

Prints a table (what the user saw, what the origin received) per case.
Trust: test harness only; everything it talks to is started by itself.
Missing squid, curl or c-icap are failures, not skips.
"""

import hashlib
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_squid as ts  # noqa: E402

KB, MB = ts.KB, ts.MB
# More than the sample's "icap_service_failure_limit 10 in 60 seconds", all
# within those 60 seconds: were a block counted as an ICAP failure, Squid
# would suspend the service before the last one.
BLOCKS_IN_A_ROW = 16
SIZES = (16 * KB, 64 * KB, 1 * MB, 20 * MB)
EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR" +
         b"-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
SIG = b"Eicar-Test-Signature"
CARDS = b"\nname,card\ntaro,4111 1111 1111 1111\nhanako,5555-5555-5555-4444\n"
TEXT_LINE = b"quarterly figures, nothing sensitive in this line at all.\n"


def virus_body(size):
    """size bytes: the clean test pattern, EICAR as its last bytes."""
    data = b"".join(ts.payload_chunks(size - len(EICAR)))
    return data + EICAR


def cards_body(size):
    """size bytes of plain text ending with two valid card numbers."""
    pad = size - len(CARDS)
    return (TEXT_LINE * (pad // len(TEXT_LINE) + 1))[:pad] + CARDS


class SizesHandler(ts.OriginHandler):
    """Records every request when its request line arrives (before the
    body), so a blocked upload that reached the origin with a truncated
    or no body is still seen."""

    def do_GET(self):
        if self.path.startswith("/virus-chunked/"):
            # no Content-Length: a cut body cannot be told from a whole one
            # by its length, so only the withheld tail protects the user
            size = int(self.path.split("/")[2].split("?")[0])
            self.server.record("GET", self.path, 0, None, False)
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            data = virus_body(size)
            for i in range(0, len(data), 65536):
                part = data[i:i + 65536]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        elif self.path.startswith("/virus/"):
            size = int(self.path.split("/")[2].split("?")[0])
            self.server.record("GET", self.path, 0, None, False)
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            self.wfile.write(virus_body(size))
        else:
            super().do_GET()

    def do_POST(self):
        self.server.record("POST-ARRIVED", self.path, 0, None, False)
        counted = _Counting(self.rfile)
        self.rfile = counted
        try:
            super().do_POST()
        finally:  # a body cut short still counts what arrived
            self.server.record("POST-BYTES", self.path, counted.n, None, False)


class _Counting:
    """Read-through wrapper counting the body bytes the origin received."""

    def __init__(self, f):
        self.f, self.n = f, 0

    def read(self, n=-1):
        b = self.f.read(n)
        self.n += len(b)
        return b

    def readline(self, n=-1):
        b = self.f.readline(n)
        self.n += len(b)
        return b


class SizesOrigin(ts.Origin):
    def __init__(self, addr):
        super().__init__(addr)
        self.RequestHandlerClass = SizesHandler


def policy(args, db, *words):
    p = os.path.join(args.build_dir, "bin", "sekisho-policy")
    r = subprocess.run([p, "--db", db] + list(words), stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=60)
    if r.returncode != 0:
        raise ts.Failure("sekisho-policy %s failed: %r" % (" ".join(words), r.stderr))


def start_sekisho(args, tmp, procs, icap_port):
    server = os.path.join(args.build_dir, "bin", "sekisho-server")
    for f in (server, os.path.join(args.build_dir, "lib", "sekisho", "modules", "dlp.so"),
              os.path.join(args.build_dir, "lib", "sekisho", "modules", "virus_scan.so")):
        if not os.path.exists(f):
            raise ts.Failure("build output missing: %s" % f)
    db = args.db = os.path.join(tmp, "policy.db")
    policy(args, db, "init")
    policy(args, db, "dlp", "add", "cards", "--detector", "credit-card", "--action", "block")
    clamdb = os.path.join(tmp, "clamav-empty")  # the project's test signatures
    os.mkdir(clamdb)
    access_log = os.path.join(tmp, "sekisho-access.log")
    argv = [server, "--foreground", "--listen", "127.0.0.1:%d" % icap_port, "--policy-db", db,
            "--run-dir", os.path.join(tmp, "sekisho-run"), "--access-log", access_log,
            "--modules", "dlp virus_scan", "--clamav-db", clamdb, "--test-signatures"]
    if args.no_delay_pool:
        conf = os.path.join(tmp, "sekisho-extra.conf")
        with open(conf, "w") as f:
            f.write("sekisho.HoldCommitSize 32K\n")
        argv += ["--config", conf]
    ts.launch_sekisho(procs, tmp, icap_port, argv)
    return access_log


def fetch(c, url, out, extra=()):
    """curl through Squid: (curl exit code, HTTP status or 0, body bytes)."""
    if os.path.exists(out):
        os.unlink(out)  # curl leaves no file for an empty body
    argv = [c.curl, "-sS", "--noproxy", "", "-x", c.proxy, "--max-time", "120",
            "-o", out, "-w", "%{http_code}", *extra, url]
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=150)
    try:
        with open(out, "rb") as f:
            body = f.read()
    except OSError:
        body = b""
    status = int(r.stdout.decode().strip() or 0) if r.stdout.strip().isdigit() else 0
    return r.returncode, status, body


def is_our_page(status, body, what):
    return status == 403 and what in body and b"squid" not in body.lower()


def human(n):
    return "%d%s" % ((n // MB, "M") if n >= MB and n % MB == 0 else (n // KB, "K"))


def origin_for(origin, path):
    """(requests seen for path, largest body length recorded)."""
    seen = [e for e in origin.requests() if e[1] == path]
    return len([e for e in seen if e[0] in ("GET", "POST-ARRIVED")]), max([e[2] for e in seen] + [0])


def run_checks(args, c, origin, origin_port, tmp):
    base = "http://127.0.0.1:%d" % origin_port
    out = os.path.join(c.tmp, "curl.out")
    c.t0 = time.monotonic()
    hold = not args.no_delay_pool
    rows = []

    for size in SIZES:
        # download, EICAR at the end
        path = "/virus/%d" % size
        rc, status, body = fetch(c, base + path, out)
        whole = hashlib.sha256(body).digest() == hashlib.sha256(virus_body(size)).digest()
        rows.append(("down", "virus", size, rc, status, len(body), "%d GET" % origin_for(
            origin, path)[0]))
        c.check("download %s with EICAR at the end never arrives whole" % human(size),
                not whole, "curl rc=%d status=%d %d bytes" % (rc, status, len(body)))
        if hold or size < 32 * KB:
            c.check("download %s with EICAR at the end: our 403 virus page" % human(size),
                    is_our_page(status, body, SIG),
                    "curl rc=%d status=%d body=%r" % (rc, status, body[:120]))

        # uploads: virus and DLP, each must never reach the origin
        for kind, data, ctype, what in (
                ("virus", virus_body(size), "application/octet-stream", SIG),
                ("dlp", cards_body(size), "text/plain", b"information leak prevention")):
            src = os.path.join(c.tmp, "up.bin")
            with open(src, "wb") as f:
                f.write(data)
            path = "/upload/%s/%d" % (kind, size)
            rc, status, body = fetch(c, base + path, out, (
                "--data-binary", "@" + src, "-H", "Content-Type: " + ctype))
            n, got = origin_for(origin, path)
            rows.append(("up", kind, size, rc, status, len(body),
                         "%d POST, %d body bytes" % (n, got)))
            c.check("upload %s %s: our 403 page" % (human(size), kind),
                    is_our_page(status, body, what),
                    "curl rc=%d status=%d body=%r" % (rc, status, body[:120]))
            c.check("upload %s %s: the origin saw no request" % (human(size), kind),
                    n == 0, "origin saw %d request(s), %d body bytes" % (n, got))

    # A download of unknown length (chunked from the origin), EICAR at the
    # end: our page behind the delay pool; without it never the whole object.
    path = "/virus-chunked/%d" % (4 * MB)
    rc, status, body = fetch(c, base + path, out)
    c.check("chunked 4M download with EICAR at the end never arrives whole",
            not body.endswith(EICAR) and len(body) < 4 * MB,
            "curl rc=%d status=%d %d bytes" % (rc, status, len(body)))
    if hold:
        c.check("chunked 4M download with EICAR at the end: our 403 page",
                is_our_page(status, body, SIG), "curl rc=%d status=%d" % (rc, status))

    # Variants: an upload of unknown length (chunked; Squid offers no
    # Allow: 204 for it) and uploads/downloads over av.max-scan-size, whose
    # on-limit verdict (default block) must apply before anything leaves.
    src = os.path.join(c.tmp, "up.bin")
    with open(src, "wb") as f:
        f.write(virus_body(1 * MB))
    path = "/upload/chunked/%d" % MB
    rc, status, body = fetch(c, base + path, out, (
        "--data-binary", "@" + src, "-H", "Transfer-Encoding: chunked",
        "-H", "Content-Type: application/octet-stream"))
    c.check("chunked 1M upload with EICAR: our 403 page", is_our_page(status, body, SIG),
            "curl rc=%d status=%d body=%r" % (rc, status, body[:120]))
    c.check("chunked 1M upload: the origin saw no request", origin_for(origin, path)[0] == 0)

    print("\n  %-4s %-5s %5s  %-28s  %s" % ("dir", "kind", "size", "user saw", "origin got"))
    for d, kind, size, rc, status, nbody, org in rows:
        saw = "HTTP %d, %d B%s" % (status, nbody, ", curl rc %d" % rc if rc else "")
        print("  %-4s %-5s %5s  %-28s  %s" % (d, kind, human(size), saw, org))
    print(flush=True)

    # BLOCKS_IN_A_ROW blocked downloads in a row, then a clean one: no ICAP
    # failure may be counted, so the service is never suspended.
    with open(os.path.join(args.source_dir, "contrib", "squid", "sekisho.conf")) as f:
        limit = [l.split() for l in f if l.startswith("icap_service_failure_limit")]
    c.check("the sample's icap_service_failure_limit is below %d in 60 seconds" %
            BLOCKS_IN_A_ROW, len(limit) == 1 and int(limit[0][1]) < BLOCKS_IN_A_ROW and
            limit[0][2:] == ["in", "60", "seconds"], limit)
    sizes = (64 * KB, 256 * KB, 1 * MB, 2 * MB)
    bad = []
    for i in range(BLOCKS_IN_A_ROW):
        size = sizes[i % len(sizes)]
        rc, status, body = fetch(c, base + "/virus/%d?n=%d" % (size, i), out)
        whole = len(body) == size and body.endswith(EICAR)
        if whole or (hold and not is_our_page(status, body, SIG)):
            bad.append((i, size, rc, status, len(body)))
    c.check("%d blocked downloads in a row: %s, never the whole object" %
            (BLOCKS_IN_A_ROW, "each our page" if hold else "each blocked"), not bad,
            "bad: %r" % bad[:5])
    size = 1 * MB
    rc, status, body = fetch(c, base + "/file/%d" % size, out)
    c.check("after them a clean 1M download is served byte-identical (service up)",
            rc == 0 and status == 200 and
            hashlib.sha256(body).hexdigest() == ts.payload_sha256(size),
            "curl rc=%d status=%d %d bytes" % (rc, status, len(body)))
    with open(os.path.join(tmp, "squid", "cache.log"), errors="replace") as f:
        log = f.read()
    c.check("Squid never suspended the ICAP service",
            "suspend" not in log.lower(), [l for l in log.splitlines() if "uspend" in l][:3])
    size = 20 * MB
    rc, status, body = fetch(c, base + "/file/%d" % size, out)
    c.check("a clean 20M download is served byte-identical",
            rc == 0 and status == 200 and
            hashlib.sha256(body).hexdigest() == ts.payload_sha256(size),
            "curl rc=%d status=%d %d bytes" % (rc, status, len(body)))
    limit_checks(args, c, origin, base, out)


def limit_checks(args, c, origin, base, out):
    """av.max-scan-size 2M: a clean 5M object is blocked (av.on-limit
    block) both ways, with and without a Content-Length."""
    policy(args, args.db, "set", "av.max-scan-size", "2M")
    size = 5 * MB
    deadline = time.monotonic() + 10  # the server polls the policy each second
    while True:
        rc, status, body = fetch(c, base + "/file/%d" % size, out)
        if status == 403 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    c.check("download 5M over av.max-scan-size 2M: our 403 page",
            status == 403 and b"squid" not in body.lower() and len(body) < 10000,
            "curl rc=%d status=%d %d bytes" % (rc, status, len(body)))
    src = os.path.join(c.tmp, "up.bin")
    with open(src, "wb") as f:
        f.write(b"".join(ts.payload_chunks(size)))
    for name, extra in (("length", ()), ("chunked", ("-H", "Transfer-Encoding: chunked"))):
        path = "/upload/limit-%s" % name
        rc, status, body = fetch(c, base + path, out, (
            "--data-binary", "@" + src, "-H", "Content-Type: application/octet-stream") + extra)
        c.check("upload 5M (%s) over av.max-scan-size 2M: our 403 page" % name,
                status == 403 and b"squid" not in body.lower(),
                "curl rc=%d status=%d body=%r" % (rc, status, body[:120]))
        c.check("upload 5M (%s) over the limit: the origin saw no request" % name,
                origin_for(origin, path)[0] == 0)


def main():
    def add_args(ap):
        ap.add_argument("--no-delay-pool", action="store_true",
                        help="Squid without the bug-5352 delay pool; Sekisho with "
                             "sekisho.HoldCommitSize 32K")

    def setup(args, tmp, procs, icap_port, origin, origin_port):
        start_sekisho(args, tmp, procs, icap_port)
        return lambda c: run_checks(args, c, origin, origin_port, tmp)
    return ts.squid_main("squid sizes end-to-end", "sekisho-squid-sizes-", SizesOrigin, setup,
                         add_args)


if __name__ == "__main__":
    sys.exit(main())
