#!/usr/bin/env python3
"""Squid end-to-end virus test: curl -> Squid -> (ICAP) Sekisho with the
virus_scan and xheaders modules -> local origin.

EICAR downloaded through Squid is blocked with the virus page (403, the
signature name); EICAR uploaded (POST multipart and PUT) is blocked before
it reaches the origin; a clean 50 MB download passes byte-identical.
Reuses test_squid.py's origin, process and Squid helpers. Sekisho runs with
an empty --clamav-db directory, so the project's test signatures are used.
Missing squid, curl or c-icap are failures, not skips.
"""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_squid as ts  # noqa: E402

EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR" +
         b"-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
SIG = b"Eicar-Test-Signature"


# /ranged/{eicar,clean}: 4000 bytes (EICAR at 2000 in the first), served
# whole or as a single range (RFC 9110: 206 + Content-Range) as any web
# server does for resumed and segmented downloads
RANGED = {"eicar": b"a" * 2000 + EICAR + b"a" * (2000 - len(EICAR)), "clean": b"c" * 4000}


class AvHandler(ts.OriginHandler):
    def do_GET(self):
        if self.path.startswith("/eicar"):
            self.server.record("GET", self.path, 0, None, False)
            self._send(200, EICAR, "application/octet-stream")
        elif self.path.startswith("/ranged/"):
            self.server.record("GET", self.path, 0, None, False)
            body = RANGED[self.path.rsplit("/", 1)[1]]
            rng = self.headers.get("Range", "")
            if not rng.startswith("bytes="):
                self._send(200, body, "application/octet-stream")
                return
            a, b = (int(x) for x in rng[6:].split("-"))
            piece = body[a:b + 1]
            self.send_response(206)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Range", "bytes %d-%d/%d" % (a, a + len(piece) - 1, len(body)))
            self.send_header("Content-Length", str(len(piece)))
            self.end_headers()
            self.wfile.write(piece)
        else:
            super().do_GET()

    def do_PUT(self):
        length, digest, marker = self._read_body()
        self.server.record("PUT", self.path, length, digest, marker)
        self._send(201, b"stored\n")


class AvOrigin(ts.Origin):
    def __init__(self, addr):
        super().__init__(addr)
        self.RequestHandlerClass = AvHandler


def start_sekisho_av(args, tmp, procs, icap_port):
    server = os.path.join(args.build_dir, "bin", "sekisho-server")
    policy = os.path.join(args.build_dir, "bin", "sekisho-policy")
    for f in (server, policy, os.path.join(args.build_dir, "lib", "sekisho", "modules",
                                           "virus_scan.so")):
        if not os.path.exists(f):
            raise ts.Failure(f"build output missing: {f}")
    db = os.path.join(tmp, "policy.db")
    for cmd in (["init"], ["set", "icap.x-virus-id", "on"]):
        r = subprocess.run([policy, "--db", db] + cmd, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=60)
        if r.returncode != 0:
            raise ts.Failure(f"sekisho-policy {cmd} failed: {r.stdout!r} {r.stderr!r}")
    clamdb = os.path.join(tmp, "clamav-empty")
    os.mkdir(clamdb)
    access_log = os.path.join(tmp, "sekisho-access.log")
    argv = [server, "--foreground", "--listen", f"127.0.0.1:{icap_port}", "--policy-db", db,
            "--run-dir", os.path.join(tmp, "sekisho-run"), "--access-log", access_log,
            "--modules", "virus_scan xheaders", "--clamav-db", clamdb,
            "--test-signatures"]
    ts.launch_sekisho(procs, tmp, icap_port, argv)
    return access_log


def log_has(access_log, path, wait=5.0):
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            with open(access_log) as f:
                for line in f:
                    try:
                        e = json.loads(line)
                    except ValueError:
                        continue
                    if e.get("url", "").endswith(path) and e.get("rule", "").startswith(
                            SIG.decode()):
                        return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def run_checks(c, origin, origin_port, access_log):
    base = f"http://127.0.0.1:{origin_port}"
    out = os.path.join(c.tmp, "curl.out")
    c.t0 = time.monotonic()

    status, err = c.curl_run(f"{base}/eicar.com", out)
    page = open(out, "rb").read() if status else b""
    c.check("EICAR download through Squid: 403 virus page naming the signature",
            status == 403 and SIG in page and b"Virus detected" in page,
            f"status={status} {err} page={page[:200]!r}")
    c.check("EICAR download: access log has the signature", log_has(access_log, "/eicar.com"))

    src = os.path.join(c.tmp, "eicar.com")
    with open(src, "wb") as f:
        f.write(b"\x00\x01" * 100 + EICAR + b"\x00" * 100)
    before = len([e for e in origin.requests() if e[0] in ("POST", "PUT")])
    status, err = c.curl_run(f"{base}/upload/form", out, extra=("-F", f"file=@{src}"))
    page = open(out, "rb").read() if status else b""
    c.check("EICAR multipart upload through Squid: 403 virus page",
            status == 403 and SIG in page, f"status={status} {err} page={page[:200]!r}")
    status, err = c.curl_run(f"{base}/upload/put.com", out, extra=("-T", src))
    page = open(out, "rb").read() if status else b""
    c.check("EICAR PUT upload through Squid: 403 virus page",
            status == 403 and SIG in page, f"status={status} {err} page={page[:200]!r}")
    after = len([e for e in origin.requests() if e[0] in ("POST", "PUT")])
    c.check("blocked uploads never reached the origin", after == before,
            f"{after - before} uploads arrived")

    # a download in pieces (curl -r: resumed and segmented downloads): no
    # piece is the whole object, so none can be scanned as one (a hash
    # signature, a signature split between two): av.on-partial, block
    for rng, what in (("1990-2100", "holding EICAR"), ("0-999", "clean"),
                      ("2010-3999", "holding EICAR's end")):
        status, err = c.curl_run(f"{base}/ranged/eicar", out, extra=("-r", rng))
        page = open(out, "rb").read() if status else b""
        c.check(f"range {rng} of an infected file ({what}) through Squid: 403 (av.on-partial)",
                status == 403 and b"av-partial" in page, f"status={status} {err} {page[:200]!r}")
    status, err = c.curl_run(f"{base}/ranged/clean", out, extra=("-r", "0-3999"))
    got = open(out, "rb").read() if status else b""
    c.check("a range that is the whole clean file passes intact (206)",
            status == 206 and got == RANGED["clean"], f"status={status} {err} {got[:80]!r}")

    size = 50 * ts.MB
    status, err = c.curl_run(f"{base}/file/{size}", out)
    got = ts.file_sha256(out) if status else None
    want = ts.payload_sha256(size)
    c.check("clean 50 MB download through Squid+virus_scan arrives intact",
            status == 200 and got == want, f"status={status} {err} got={got} want={want}")


def main():
    def setup(args, tmp, procs, icap_port, origin, origin_port):
        access_log = start_sekisho_av(args, tmp, procs, icap_port)
        return lambda c: run_checks(c, origin, origin_port, access_log)
    return ts.squid_main("squid virus end-to-end", "sekisho-squid-av-", AvOrigin, setup)


if __name__ == "__main__":
    sys.exit(main())
