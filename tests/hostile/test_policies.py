#!/usr/bin/env python3
"""hostile.policies: findings of fuzz_icap.py --profile, one case each,
against a server with that profile's policy (deterministic).

- permissive (av.on-error allow): a plain EICAR sent under a
  Content-Encoding it is not (deflate, gzip, zstd, br, xz, bzip2, lz4,
  compress, lzma, a chain) is blocked: the decoder passes on all the input
  of a stage that went corrupt within its first 64 KiB, not only what the
  library had not swallowed (raw deflate ate "X5O!P" as a stored block's
  lengths and the signature no longer matched: fuzz seed 21 case 363,
  repro/fuzz-permissive-21-363-deflate-eats-eicar.bin; "\n\r\r\n\n" first
  is a fixed-Huffman block that puts out noise before it breaks: seed 23
  case 6939); a clean body
  under such a coding comes back byte-identical and its access-log line
  says why it was not decoded (it said nothing).
- permissive: a body declared multipart/form-data that holds no delimiter
  (av.on-error: Django reads it as one part) was "passed unscanned" under
  allow, EICAR and all (seed 21 case 4180,
  repro/fuzz-permissive-21-4180-multipart-undelimited.bin): the whole body
  is now scanned as it is, and passes with that reason logged when clean.
- permissive: a RESPMOD whose Content-Length said more than
  av.max-scan-size (-1, 4294967295, 99999999999999999999 ...) was passed
  unscanned at its headers under av.on-limit allow, whatever its bytes
  (fuzz seed 22: a 68-byte EICAR); the bytes decide now.

Usage: test_policies.py --build-dir BUILD
"""

import argparse
import json
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)
from icaplib import (Check, SekishoServer, StartupError, IcapConn, transact,  # noqa: E402
                     http_req_head, http_res_head, make_body)
import fuzz_icap  # noqa: E402
from test_hostile import Hostile  # noqa: E402

EICAR = fuzz_icap.EICAR
CODINGS = ["deflate", "gzip", "x-gzip", "zstd", "br", "xz", "bzip2", "lz4", "compress", "lzma",
           "deflate, gzip", "gzip, deflate"]


def log_rows(srv, url, wait=5.0):
    """The access-log lines of URL (written as the transaction ends, maybe
    just after its answer went out: a few seconds' grace)."""
    end = time.monotonic() + wait
    while True:
        rows = [json.loads(ln) for ln in srv.log_lines() if url.encode() in ln]
        if rows or time.monotonic() > end:
            return rows
        time.sleep(0.05)


def permissive(ck, build):
    prof = fuzz_icap.PROFILES["permissive"]
    srv = SekishoServer(build, name="pol", modules="url_block virus_scan dlp xheaders",
                        config_text=prof.config)
    srv.init_db()
    prof.setup(srv)
    try:
        srv.start()
    except StartupError as e:
        ck.ok("permissive server starts", False, str(e))
        return
    port = srv.port

    def resp(url, body, **res):
        """One RESPMOD of BODY for URL on a connection of its own."""
        c = IcapConn("127.0.0.1", port)
        try:
            return transact(c, "RESPMOD", srv.url("sekisho"), http_req_head("GET", url),
                            http_res_head(**res), body)
        finally:
            c.close()

    try:
        rnd = make_body(9000, seed=3)
        n = 0
        for coding in CODINGS:
            # the last: fixed-Huffman noise first (seed 23 case 6939)
            for body in (EICAR, rnd[:61].replace(b"\x1b", b".") + EICAR + rnd[:5000], b"\n\r\r\n\n" + EICAR):
                n += 1
                r = resp("http://x.test/v%d" % n, body, body_len=len(body), extra=["Content-Encoding: " + coding])
                ck.ok("EICAR (%d bytes) sent as Content-Encoding %s is blocked under av.on-error allow"
                      % (len(body), coding), r.status == 200 and r.http_status() == 403,
                      (r.status, r.http_status()))
        # the saved fuzz case itself (seed 21 case 363), as sent
        with open(os.path.join(HERE, "repro", "fuzz-permissive-21-363-deflate-eats-eicar.bin"), "rb") as f:
            data = re.sub(rb"icap://127\.0\.0\.1:\d+/", b"icap://127.0.0.1:%d/" % port, f.read(), count=1)
        got, how = Hostile(ck, srv).raw(data)
        ck.ok("fuzz case 21/363 (plain EICAR as deflate) blocked", b"\r\n\r\nHTTP/1.1 403 " in got,
              (how, got[:120]))
        # a declared Content-Length over av.max-scan-size (256K here) is the
        # header's word against the bytes: under av.on-limit allow it let a
        # 68-byte EICAR pass unscanned (fuzz seed 22: -1, 4294967295,
        # 99999999999999999999 ...); the bytes decide
        for k, cl in enumerate(("4294967295", "-1", "99999999999999999999", "18446744073709551616",
                                "300000")):
            r = resp("http://x.test/cl%d" % k, EICAR, extra=["Content-Length: " + cl])
            ck.ok("EICAR declared Content-Length: %s is blocked under av.on-limit allow" % cl,
                  r.status == 200 and r.http_status() == 403, (r.status, r.http_status()))
        big = make_body(300000, seed=4)
        url = "http://x.test/big-real"
        r = resp(url, big, body_len=len(big))
        ck.ok("a body really over av.max-scan-size passes byte-identical", r.status == 200 and r.body == big,
              (r.status, r.http_status()))
        rows = log_rows(srv, url)
        ck.ok("its access-log line: allow, av-limit:max-scan-size, passed unscanned (av.on-limit: allow)",
              any(d.get("verdict") == "allow" and d.get("rule") == "av-limit:max-scan-size"
                  and "av.on-limit: allow" in (d.get("reason") or "") for d in rows), rows)
        # a body declared multipart/form-data without a delimiter in it
        # (av.on-error: Django reads it as one part): under allow it was
        # "passed unscanned" with EICAR plain in it (seed 21 case 4180)
        for k, body in enumerate((EICAR, b"x" * 100 + EICAR, b"--A\r\n\r\n" + EICAR + b"\r\n--A--\r\n")):
            for ct in ("multipart/form-data; boundary=B", 'multipart/form-data; boundary="B"'):
                r = resp("http://x.test/m%d%d" % (k, len(ct)), body, body_len=len(body), ctype=ct)
                ck.ok("EICAR in an undelimited %s body (%d bytes) is blocked under av.on-error allow" % (ct, len(body)),
                      r.status == 200 and r.http_status() == 403, (r.status, r.http_status()))
        with open(os.path.join(HERE, "repro", "fuzz-permissive-21-4180-multipart-undelimited.bin"), "rb") as f:
            data = re.sub(rb"icap://127\.0\.0\.1:\d+/", b"icap://127.0.0.1:%d/" % port, f.read(), count=1)
        got, how = Hostile(ck, srv).raw(data)
        ck.ok("fuzz case 21/4180 (EICAR in an undelimited multipart body) blocked",
              b"\r\n\r\nHTTP/1.1 403 " in got, (how, got[:120]))
        clean = b"just text, no delimiter\n" * 10
        url = "http://x.test/clean-mp"
        r = resp(url, clean, body_len=len(clean), ctype="multipart/form-data; boundary=B")
        ck.ok("clean undelimited multipart body passes byte-identical", r.status == 200 and r.body == clean,
              (r.status, r.http_status()))
        rows = log_rows(srv, url)
        ck.ok("its access-log line: allow, av-error, scanned as it is",
              any(d.get("verdict") == "allow" and d.get("rule") == "av-error"
                  and "without its boundary; scanned as it is (av.on-error: allow)" in (d.get("reason") or "")
                  for d in rows), rows)
        # a clean body under a coding it is not: passed byte-identical,
        # the reason logged
        clean = b"plain text, not deflate at all\n" * 20
        url = "http://x.test/clean-deflate"
        r = resp(url, clean, body_len=len(clean), extra=["Content-Encoding: deflate"])
        ck.ok("clean body as a corrupt deflate passes byte-identical", r.status == 200 and r.body == clean,
              (r.status, r.http_status()))
        rows = log_rows(srv, url)
        ck.ok("its access-log line: allow, rule av-error, reason names the corrupt coding",
              any(d.get("verdict") == "allow" and d.get("rule") == "av-error"
                  and "corrupt" in (d.get("reason") or "") and "av.on-error: allow" in d["reason"]
                  for d in rows), rows)
    finally:
        ck.eq("permissive server: SIGTERM exit 0", srv.stop(), 0)
        if not ck.failed:
            srv.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    a = ap.parse_args()
    ck = Check("policies")
    permissive(ck, a.build_dir)
    return ck.summary()


if __name__ == "__main__":
    sys.exit(main())
