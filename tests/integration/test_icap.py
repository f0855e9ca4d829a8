#!/usr/bin/env python3
"""Sekisho integration test: the real c-icap daemon with srv_sekisho.so, started
through build/bin/sekisho-server on a free loopback port, driven by raw sockets
and by the real c-icap-client.

Usage: test_icap.py --build-dir BUILD [--only GROUP[,GROUP]] [--verbose]
Prints one PASS/FAIL line per check and a summary; exits 1 on any failure.
"""

import argparse
import base64
import hashlib
import html
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from icaplib import check_started, wait_live  # noqa: E402  (issue 16)
from icaplib import (Check, SekishoServer, StartupError, IcapConn, transact,  # noqa: E402
                     options, make_body, http_req_head, http_req_head_raw,
                     http_res_head, sha, free_port, port_is_free,
                     run_launcher_expect_failure, check_asan, read_response,
                     chunk, build_head)

ALIASES = ["sekisho", "reqmod", "respmod", "REQ-Service", "resp", "avscan"]
SIZES = [0, 1, 65535, 65536, 65537]
TEN_MB = 10 * 1024 * 1024
REQUIRED_OPTIONS = ["Methods", "Preview", "Transfer-Preview", "Allow", "Max-Connections",
                    "Options-TTL", "Service", "ISTag", "X-Include"]
X_INCLUDES = ["X-Client-IP", "X-Server-IP", "X-Authenticated-User", "X-Authenticated-Groups"]
LOG_KEYS = ["time", "txn", "client", "user", "method", "url", "icap_status", "verdict",
            "module", "rule", "bytes_in", "bytes_out", "duration_ms", "service"]
BLOCK_BODY_MARKER = b"SEKISHO-TEST-BLOCK-BODY"


class Ctx:
    """State shared by the groups: server, advertised preview, logged txns."""

    def __init__(self, ck, srv, build):
        self.ck, self.srv, self.build = ck, srv, build
        self.preview = 1024
        self.istag = None
        self.expect_log = []   # (url, dict of expected fields, label)


def tag():
    return uuid.uuid4().hex[:12]


def detail(r, conn, extra=""):
    s = "%s\nICAP head: %r\nparts: %r\nbody: %s" % (
        extra, r.raw_head if r else None,
        {k: v[:400] for k, v in r.parts.items()} if r else None,
        ("%d bytes sha %s" % (len(r.body), sha(r.body))) if (r and r.body is not None) else None)
    if conn is not None:
        s += "\n" + conn.transcript(1200)
    return s


# --------------------------------------------------------------------------
# OPTIONS

def g_options(cx):
    ck, srv = cx.ck, cx.srv
    tags = {}
    urls = [(a, srv.url(a)) for a in ALIASES] + [("<root>", srv.url()),
                                                 ("<root/>", srv.url() + "/")]
    for name, url in urls:
        c = srv.conn(10)
        try:
            r = options(c, url)
        finally:
            c.close()
        if not ck.eq("OPTIONS %s: status 200" % name, r.status, 200):
            print("   raw: %r" % r.raw_head)
            continue
        missing = [h for h in REQUIRED_OPTIONS if r.header(h) is None]
        ck.ok("OPTIONS %s: headers %s present" % (name, ",".join(REQUIRED_OPTIONS)),
              not missing, "missing %s; head %r" % (missing, r.raw_head))
        methods = r.header("Methods", "")
        # one method per one-mode name (RFC 3507 4.10.2; test_options.py
        # covers every name and letter case); "sekisho" does both
        want = {"sekisho": "RESPMOD, REQMOD", "reqmod": "REQMOD",
                "REQ-Service": "REQMOD"}.get(name, "RESPMOD")
        ck.eq("OPTIONS %s: Methods" % name, methods, want)
        ck.ok("OPTIONS %s: Allow contains 204" % name, "204" in (r.header("Allow") or ""),
              r.header("Allow"))
        ck.ok("OPTIONS %s: Preview is a non-negative integer" % name,
              re.fullmatch(r"\d+", r.header("Preview") or "") is not None, r.header("Preview"))
        ck.ok("OPTIONS %s: Max-Connections and Options-TTL are positive integers" % name,
              re.fullmatch(r"[1-9]\d*", r.header("Max-Connections") or "") is not None
              and re.fullmatch(r"[1-9]\d*", r.header("Options-TTL") or "") is not None,
              "%r %r" % (r.header("Max-Connections"), r.header("Options-TTL")))
        xi = [x.strip().lower() for x in (r.header("X-Include") or "").split(",")]
        ck.ok("OPTIONS %s: X-Include has %s" % (name, ",".join(X_INCLUDES)),
              all(x.lower() in xi for x in X_INCLUDES), r.header("X-Include"))
        ist = r.header("ISTag") or ""
        ck.ok("OPTIONS %s: ISTag is a quoted string of at most 32 chars (%s)" % (name, ist),
              len(ist) >= 3 and ist[0] == '"' and ist[-1] == '"' and len(ist) - 2 <= 32)
        tags[name] = ist
        if name == "sekisho":
            try:
                cx.preview = int(r.header("Preview"))
            except (TypeError, ValueError):
                pass
    ck.ok("OPTIONS: same ISTag on every alias and the root", len(set(tags.values())) == 1,
          tags)
    cx.istag = tags.get("sekisho")
    # unknown service: not silently accepted
    c = srv.conn(10)
    try:
        r = options(c, srv.url("no-such-service-%s" % tag()))
        # c-icap answers 404 Service not found; a 200 (or no answer) is a failure
        ck.ok("OPTIONS unknown service: ICAP 404 (got %s)" % r.status, r.status == 404, r.raw_head)
    except (EOFError, OSError) as e:
        ck.ok("OPTIONS unknown service: answered 404, not dropped", False,
              "%s: %s" % (type(e).__name__, e))
    finally:
        c.close()
    # each alias and the root answer REQMOD and RESPMOD (null body, no 204)
    for name, url in urls:
        for method in ("REQMOD", "RESPMOD"):
            u = "http://alias.test/%s/%s" % (name.strip("<>/"), tag())
            rq = http_req_head("GET", u)
            rs = http_res_head(body_len=0) if method == "RESPMOD" else None
            c = srv.conn(10)
            try:
                r = transact(c, method, url, rq, rs, None)
                part = "req-hdr" if method == "REQMOD" else "res-hdr"
                want = rq if method == "REQMOD" else rs
                ck.ok("%s on %s: 200 with the HTTP headers unchanged" % (method, name),
                      r.status == 200 and r.parts.get(part) == want,
                      via_note(want, r.parts.get(part)) + detail(r, c))
            finally:
                c.close()


# --------------------------------------------------------------------------
# pass-through

def expected_statuses(size, has_body, preview, allow204):
    if allow204:
        return {204}
    if preview is not None and (not has_body or size <= preview):
        return {204}
    if preview is not None:
        return {200, "204-at-preview"}
    return {200}


def via_note(sent, got):
    """Say so when the only change is an added Via header line."""
    if not got:
        return ""
    lines = [ln for ln in got.split(b"\r\n") if not ln.lower().startswith(b"via:")]
    if b"\r\n".join(lines) == sent:
        return " (only an added Via header)"
    return ""


def passthrough_one(cx, method, size, preview, allow204, body=None, squid=True,
                    chunk_size=65536, conn=None, label=None, extra=(), log=True):
    ck, srv = cx.ck, cx.srv
    if body is None:
        body = make_body(size)
    t = tag()
    if method == "REQMOD":
        url = "http://upload.test/pass/%s?size=%d" % (t, size)
        rq = http_req_head("POST", url, body_len=len(body), extra=["Content-Type: application/octet-stream"])
        rs = None
    else:
        url = "http://download.test/pass/%s?size=%d" % (t, size)
        rq = http_req_head("GET", url) if squid else None
        rs = http_res_head(body_len=len(body))
    name = label or "%s %s body=%d preview=%s allow204=%s%s" % (
        "raw", method, size, preview, "yes" if allow204 else "no",
        "" if squid or method == "REQMOD" else " (res-hdr only)")
    own = conn is None
    c = conn or srv.conn(60)
    try:
        r = transact(c, method, srv.url("sekisho"), rq, rs, body, preview=preview,
                     allow204=allow204, chunk_size=chunk_size, extra=extra)
    except Exception as e:
        ck.ok(name + ": completes", False, "%s: %s\n%s" % (type(e).__name__, e, c.transcript()))
        if own:
            c.close()
        return None
    exp = expected_statuses(size, True, preview, allow204)
    got = "204-at-preview" if (r.status == 204 and r.at_preview) else r.status
    if got == "204-at-preview" and 204 in exp:
        got = 204
    ok = got in exp
    why = ""
    if ok and r.status == 200:
        part = "req-hdr" if method == "REQMOD" else "res-hdr"
        sent_hdr = rq if method == "REQMOD" else rs
        rbody = r.body if r.body is not None else b""
        if r.parts.get(part) != sent_hdr:
            ok, why = False, "HTTP headers differ%s: sent %r got %r" % (
                via_note(sent_hdr, r.parts.get(part)), sent_hdr, r.parts.get(part))
        elif rbody != body:
            ok, why = False, "body differs: sent %d bytes sha %s, got %d bytes sha %s" % (
                len(body), sha(body), len(rbody), sha(rbody))
        elif r.body is None and len(body) > 0:
            ok, why = False, "no body returned"
    elif not ok:
        why = "status %s not in expected %s" % (got, sorted(map(str, exp)))
    if r.status == 200:
        name += ": 200 byte-identical (sha %s)" % sha(body)
    else:
        name += ": %s" % got
    ck.ok(name, ok, why + "\n" + detail(r, c) if not ok else "")
    if own:
        c.close()
    if log and (squid or method == "REQMOD"):  # no req-hdr: no URL to find the line by
        cx.expect_log.append((url, {"icap_method": method,
                                    "method": ["POST" if method == "REQMOD" else "GET", method],
                                    "verdict": "allow", "icap_status": r.status,
                                    "min_bytes": len(body)}, name))
    return r


def g_passthrough(cx):
    pv = min(cx.preview, 4096)
    for method in ("REQMOD", "RESPMOD"):
        for preview in (None, pv):
            for allow204 in (False, True):
                for size in SIZES:
                    passthrough_one(cx, method, size, preview, allow204,
                                    chunk_size=4093 if size % 2 else 65536)
    # RESPMOD with res-hdr + res-body only (as c-icap-client sends it)
    passthrough_one(cx, "RESPMOD", 65537, None, False, squid=False)
    passthrough_one(cx, "RESPMOD", 65537, pv, False, squid=False)
    # null-body REQMOD: GET with no body
    ck, srv = cx.ck, cx.srv
    for allow204 in (False, True):
        url = "http://get.test/%s" % tag()
        rq = http_req_head("GET", url)
        c = srv.conn(10)
        try:
            r = transact(c, "REQMOD", srv.url("reqmod"), rq, None, None, allow204=allow204)
            if allow204:
                ck.ok("raw REQMOD GET null-body allow204=yes: 204", r.status == 204, detail(r, c))
            else:
                ck.ok("raw REQMOD GET null-body allow204=no: 200 with headers unchanged",
                      r.status == 200 and r.parts.get("req-hdr") == rq and r.body is None,
                      via_note(rq, r.parts.get("req-hdr")) + detail(r, c))
            cx.expect_log.append((url, {"icap_method": "REQMOD", "method": ["GET", "REQMOD"],
                                        "verdict": "allow", "icap_status": r.status},
                                  "GET null-body allow204=%s" % allow204))
        finally:
            c.close()


def g_ten_mb(cx):
    pv = min(cx.preview, 4096)
    body = make_body(TEN_MB, seed=7)
    t0 = time.monotonic()
    passthrough_one(cx, "REQMOD", TEN_MB, None, False, body=body)
    passthrough_one(cx, "RESPMOD", TEN_MB, pv, False, body=body)
    passthrough_one(cx, "RESPMOD", TEN_MB, None, True, body=body)
    cx.ck.ok("raw 10 MB cases finish within 60 s (%.1f s)" % (time.monotonic() - t0),
             time.monotonic() - t0 < 60)


def g_keepalive(cx):
    ck, srv = cx.ck, cx.srv
    pv = min(cx.preview, 4096)
    c = srv.conn(30)
    try:
        r = options(c, srv.url("sekisho"))
        ck.eq("keep-alive #1 OPTIONS: 200", r.status, 200)
        passthrough_one(cx, "REQMOD", 65537, None, False, conn=c,
                        label="keep-alive #2 REQMOD 64K+1 no-204")
        passthrough_one(cx, "RESPMOD", 1000, pv, True, conn=c,
                        label="keep-alive #3 RESPMOD preview+204")
        # a block in the middle must not poison the connection
        u = "http://ka.test/sekisho-test-block/%s" % tag()
        r = transact(c, "REQMOD", srv.url("reqmod"), http_req_head("GET", u), None, None,
                     allow204=True)
        ck.ok("keep-alive #4 REQMOD block: ICAP 200 + HTTP 403",
              r.status == 200 and r.http_status() == 403, detail(r, c))
        passthrough_one(cx, "RESPMOD", 65536, None, False, conn=c,
                        label="keep-alive #5 RESPMOD 64K no-204 after a block")
        passthrough_one(cx, "REQMOD", 0, None, True, conn=c,
                        label="keep-alive #6 REQMOD 0 B allow204")
        for i in range(7, 12):
            passthrough_one(cx, "RESPMOD", 100 * i, None, False, conn=c,
                            label="keep-alive #%d RESPMOD %d B" % (i, 100 * i), log=False)
        ck.ok("keep-alive: connection still open after 11 transactions", not c.at_eof(0.2))
    finally:
        c.close()


# --------------------------------------------------------------------------
# c-icap-client

def run_cicap_client(cx, args, infile=None, outfile=None, timeout=120):
    cmd = ["c-icap-client", "-i", "127.0.0.1", "-p", str(cx.srv.port), "-v"] + args
    if infile:
        cmd += ["-f", infile]
    if outfile:
        cmd += ["-o", outfile]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    out = p.stdout.decode("utf-8", "replace")
    m = re.search(r"ICAP HEADERS:\s*\n\s*ICAP/1\.0 (\d{3})", out)
    return p.returncode, (int(m.group(1)) if m else None), out, cmd


def g_cicap_client(cx):
    ck = cx.ck
    d = tempfile.mkdtemp(prefix="sekisho-cc-", dir=cx.srv.tmp)
    pv = cx.preview
    # OPTIONS through c-icap-client
    rc, st, out, cmd = run_cicap_client(cx, ["-s", "sekisho"])
    ck.ok("c-icap-client OPTIONS sekisho: 200, Methods lists REQMOD and RESPMOD",
          st == 200 and re.search(r"Methods: .*REQMOD", out) and "RESPMOD" in out, out[-1500:])
    cases = []
    for method in ("REQMOD", "RESPMOD"):
        for preview in (True, False):
            for allow204 in (True, False):
                for size in SIZES:
                    cases.append((method, size, preview, allow204))
    cases += [("RESPMOD", TEN_MB, False, False), ("REQMOD", TEN_MB, True, True)]
    big = None
    for method, size, preview, allow204 in cases:
        if size == TEN_MB:
            if big is None:
                big = os.path.join(d, "in-10M.bin")
                with open(big, "wb") as f:
                    f.write(make_body(TEN_MB, seed=11))
            inf = big
        else:
            inf = os.path.join(d, "in-%d.bin" % size)
            if not os.path.exists(inf):
                with open(inf, "wb") as f:
                    f.write(make_body(size, seed=3))
        outf = os.path.join(d, "out-%s.bin" % tag())
        t = tag()
        url = "http://cicap.test/%s/%s" % (method.lower(), t)
        args = ["-s", "sekisho", "-req" if method == "REQMOD" else "-resp", url]
        if method == "REQMOD":
            args += ["-method", "POST"]
        if not preview:
            args.append("-nopreview")
        if not allow204:
            args.append("-no204")
        name = "c-icap-client %s body=%d %s %s" % (method, size,
                                                  "preview" if preview else "-nopreview",
                                                  "allow204" if allow204 else "-no204")
        rc, st, out, cmd = run_cicap_client(cx, args, inf, outf)
        exp = expected_statuses(size, True, pv if preview else None, allow204)
        if st == 204 and 204 not in exp and "204-at-preview" in exp:
            # c-icap-client does not say whether the 204 came at preview time;
            # allowed only when the preview could hold the whole answer decision
            exp = exp | {204}
        with open(inf, "rb") as f:
            sent = f.read()
        if st == 200:
            got = open(outf, "rb").read() if os.path.exists(outf) else None
            ok = st in exp and got == sent
            ck.ok(name + ": 200 output byte-identical", ok,
                  "status %s expected %s; output %s vs sent %d bytes sha %s\n%s\n%s" % (
                      st, exp, None if got is None else "%d bytes sha %s" % (len(got), sha(got)),
                      len(sent), sha(sent), " ".join(cmd), out[-2000:]))
        else:
            ok = st in exp and rc == 0 and not os.path.exists(outf)
            ck.ok(name + ": %s" % st, ok, "expected %s, rc %s\n%s\n%s" % (
                exp, rc, " ".join(cmd), out[-2000:]))
        cx.expect_log.append((url, {"icap_method": method,
                                    "method": ["POST" if method == "REQMOD" else "GET", method],
                                    "verdict": "allow"}, name))
        if os.path.exists(outf):
            os.unlink(outf)
    # block through c-icap-client
    outf = os.path.join(d, "block.out")
    url = "http://cicap.test/sekisho-test-block/%s" % tag()
    rc, st, out, cmd = run_cicap_client(cx, ["-s", "REQ-Service", "-req", url, "-no204"],
                                        None, outf)
    page = open(outf, "rb").read() if os.path.exists(outf) else b""
    ck.ok("c-icap-client REQMOD blocked URL: ICAP 200, HTTP 403, page mentions Sekisho",
          st == 200 and re.search(r"HTTP/1\.[01] 403", out) is not None
          and b"sekisho" in page.lower(), "%s\npage: %r" % (out[-2000:], page[:500]))
    cx.expect_log.append((url, {"verdict": "block", "module": "test_block", "rule": "test-url"},
                          "c-icap-client block"))
    # X-Client-IP through c-icap-client's -x
    url = "http://cicap.test/xclient/%s" % tag()
    rc, st, out, cmd = run_cicap_client(cx, ["-s", "sekisho", "-req", url,
                                             "-x", "X-Client-IP: 192.0.2.77"], None, None)
    ck.ok("c-icap-client REQMOD with -x X-Client-IP: answered (%s)" % st, st in (200, 204), out[-1500:])
    cx.expect_log.append((url, {"client": "192.0.2.77"}, "c-icap-client X-Client-IP"))


# --------------------------------------------------------------------------
# block verdicts

def check_block_page(cx, r, c, name, url_bytes=None):
    ck = cx.ck
    ok = ck.ok(name + ": ICAP 200 with an encapsulated HTTP 403",
               r is not None and r.status == 200 and r.http_status() == 403, detail(r, c))
    if not ok:
        return False
    hdr = r.parts.get("res-hdr", b"")
    body = r.body or b""
    ck.ok(name + ": 403 page is text/html", re.search(rb"(?im)^content-type:\s*text/html", hdr)
          is not None, hdr)
    m = re.search(rb"(?im)^content-length:\s*(\d+)", hdr)
    ck.ok(name + ": Content-Length (if any) matches the page", m is None or int(m.group(1)) == len(body),
          "%r vs %d" % (m.group(1) if m else None, len(body)))
    ck.ok(name + ": page mentions Sekisho", b"sekisho" in body.lower(), body[:600])
    return True


def g_block(cx):
    ck, srv = cx.ck, cx.srv
    pv = min(cx.preview, 4096)
    t = tag()
    # URL block with hostile characters in the URL
    url = ('http://blocked.test/sekisho-test-block/%s?q=<script>alert(1)</script>'
           '&x="y"&z=\'w\'' % t)
    c = srv.conn(10)
    try:
        r = transact(c, "REQMOD", srv.url("REQ-Service"), http_req_head("GET", url), None, None,
                     allow204=True)
        if check_block_page(cx, r, c, "block URL (REQMOD, allow204)"):
            body = r.body or b""
            ck.ok("block URL: page contains the URL HTML-escaped",
                  ("http://blocked.test/sekisho-test-block/%s?q=&lt;script&gt;alert(1)&lt;/script&gt;"
                   % t).encode() in body, body[:1500])
            ck.ok("block URL: page never contains the raw <script> from the URL",
                  b"<script>alert(1)" not in body and b"</script>&x" not in body, body[:1500])
            ck.ok("block URL: quotes from the URL are escaped",
                  b'x="y"' not in body and b"z='w'" not in body, body[:1500])
    finally:
        c.close()
    cx.expect_log.append((url, {"icap_method": "REQMOD", "method": ["GET", "REQMOD"], "verdict": "block",
                                "module": "test_block", "rule": "test-url", "icap_status": 200}, "block URL"))
    # URL block in RESPMOD (URL from req-hdr, Blue Coat response-mode style)
    url2 = "http://blocked.test/sekisho-test-block/resp/%s" % tag()
    body = make_body(5000)
    c = srv.conn(10)
    try:
        r = transact(c, "RESPMOD", srv.url(), http_req_head("GET", url2),
                     http_res_head(body_len=len(body)), body, preview=pv, allow204=True)
        check_block_page(cx, r, c, "block URL (RESPMOD on root, preview+allow204)")
    finally:
        c.close()
    cx.expect_log.append((url2, {"icap_method": "RESPMOD", "method": ["GET", "RESPMOD"], "verdict": "block",
                                 "module": "test_block", "rule": "test-url"}, "block URL RESPMOD"))
    # body marker split across two chunks
    for method in ("REQMOD", "RESPMOD"):
        u = "http://body.test/split/%s/%s" % (method.lower(), tag())
        a = make_body(30000, seed=5) + BLOCK_BODY_MARKER[:9]
        b = BLOCK_BODY_MARKER[9:] + make_body(20000, seed=6)
        rq = http_req_head("POST" if method == "REQMOD" else "GET", u,
                           body_len=len(a) + len(b) if method == "REQMOD" else None)
        rs = http_res_head(body_len=len(a) + len(b)) if method == "RESPMOD" else None
        c = srv.conn(10)
        try:
            r = transact(c, method, srv.url("sekisho"), rq, rs, chunks=[a, b], allow204=False)
            check_block_page(cx, r, c, "block body marker split across chunks (%s)" % method)
        finally:
            c.close()
        cx.expect_log.append((u, {"icap_method": method, "method": ["POST" if method == "REQMOD" else "GET", method],
                                  "verdict": "block", "module": "test_block", "rule": "test-body"}, "block body split %s" % method))
    # marker far beyond the preview, client allows 204: must not get 204
    u = "http://body.test/late/%s" % tag()
    body = make_body(200000, seed=8)
    body = body[:150001] + BLOCK_BODY_MARKER + body[150001:]
    c = srv.conn(20)
    try:
        r = transact(c, "RESPMOD", srv.url("respmod"), http_req_head("GET", u),
                     http_res_head(body_len=len(body)), body, preview=pv, allow204=True,
                     chunk_size=7777)
        check_block_page(cx, r, c, "block body marker at 150001 after preview=%d, allow204" % pv)
    finally:
        c.close()
    cx.expect_log.append((u, {"verdict": "block", "rule": "test-body"}, "block late marker"))
    # marker straddling the preview boundary
    u = "http://body.test/pvedge/%s" % tag()
    body = make_body(pv - 10, seed=9) + BLOCK_BODY_MARKER + make_body(3000, seed=10)
    c = srv.conn(20)
    try:
        r = transact(c, "REQMOD", srv.url("reqmod"), http_req_head("POST", u, body_len=len(body)),
                     None, body, preview=pv, allow204=True)
        check_block_page(cx, r, c, "block body marker straddling the preview boundary")
    finally:
        c.close()
    cx.expect_log.append((u, {"verdict": "block", "rule": "test-body"}, "block preview edge"))
    # module error -> failure verdict (default block)
    u = "http://err.test/sekisho-test-error/%s" % tag()
    c = srv.conn(10)
    try:
        r = transact(c, "REQMOD", srv.url("sekisho"), http_req_head("GET", u), None, None,
                     allow204=True)
        check_block_page(cx, r, c, "module ERROR -> failure verdict block")
    finally:
        c.close()
    cx.expect_log.append((u, {"verdict": "block", "rule~": "error"}, "module error"))
    # after all that, a clean request still passes
    passthrough_one(cx, "REQMOD", 12345, None, False, label="clean REQMOD after blocks")


# --------------------------------------------------------------------------
# access log

def g_identity(cx):
    """X-Client-IP / X-Authenticated-User transactions whose log lines are checked."""
    srv = cx.srv
    cases = [
        ("xcip", ["X-Client-IP: 10.1.2.3"], {"client": "10.1.2.3"}),
        # plain, as Squid sends them (sekisho.UserEncoding plain, the
        # default; base64 forms: test_identity.py)
        ("user", ["X-Client-IP: 10.1.2.4", "X-Authenticated-User: alice"],
         {"client": "10.1.2.4", "user": "alice"}),
        ("winnt", ["X-Authenticated-User: WinNT://CORP/bob"], {"user~": "bob"}),
        ("noid", [], {"client": "127.0.0.1", "user?": ""}),
    ]
    for name, hdrs, want in cases:
        u = "http://ident.test/%s/%s" % (name, tag())
        c = srv.conn(10)
        try:
            r = transact(c, "REQMOD", srv.url("sekisho"), http_req_head("GET", u), None, None,
                         allow204=True, extra=hdrs)
            cx.ck.ok("identity %s: REQMOD answered 204" % name, r.status == 204, detail(r, c))
        finally:
            c.close()
        cx.expect_log.append((u, want, "identity %s" % name))
    # hostile URL characters, logged as valid JSON
    t = tag()
    raw_url = (b'http://weird.test/' + t.encode() +
               b'?q="quoted"&b=back\\slash&c=\x01\x1b\x7f&d=\xe6\x97\xa5\xe6\x9c\xac&e=\xff\xfe&f=</x>')
    c = srv.conn(10)
    try:
        c.send(build_head("REQMOD", srv.url("sekisho"), http_req_head_raw("GET", raw_url), None,
                          False, None, True, host="127.0.0.1"))
        r = read_response(c)
        cx.ck.ok("weird URL REQMOD: answered (%s)" % r.status, r.status in (200, 204), detail(r, c))
    finally:
        c.close()
    cx.expect_log.append((t, {"url~": ['"quoted"', "back\\slash", "\u65e5\u672c"]},
                          "weird URL (quotes, backslash, controls, UTF-8, invalid UTF-8)"))


def g_log_burst(cx):
    """Many transactions at once on keep-alive connections: the access log
    batches lines under load and writes them outside the append lock; every
    transaction must still get exactly one whole line."""
    ck, srv = cx.ck, cx.srv
    t, nconn, per = tag(), 8, 250
    errors = []

    def worker(k):
        c = srv.conn(30)
        try:
            for i in range(per):
                u = "http://burst.test/%s/%d/%d" % (t, k, i)
                r = transact(c, "REQMOD", srv.url("sekisho"), http_req_head("GET", u), None,
                             None, allow204=True)
                if r.status != 204:
                    errors.append((u, r.status))
                    return
        except OSError as e:
            errors.append(("conn %d" % k, str(e)))
        finally:
            c.close()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(nconn)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    ck.ok("log burst: %d transactions on %d connections all answered 204" % (nconn * per, nconn),
          not errors, errors[:3])
    want = nconn * per
    deadline = time.monotonic() + 5
    while True:
        urls = []
        for ln in srv.log_lines():
            if t.encode() in ln:
                try:
                    urls.append(json.loads(ln.decode("utf-8"))["url"])
                except (UnicodeDecodeError, ValueError, KeyError):
                    urls.append(None)
        if len(urls) >= want or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    ck.eq("log burst: one line per transaction", len(urls), want)
    ck.ok("log burst: every line whole JSON with its own URL",
          None not in urls and len(set(urls)) == want)


def g_access_log(cx):
    ck, srv = cx.ck, cx.srv
    deadline = time.monotonic() + 5
    entries, bad = [], []
    while True:
        lines = [ln for ln in srv.log_lines() if ln.strip()]
        entries, bad = [], []
        for ln in lines:
            try:
                entries.append(json.loads(ln.decode("utf-8")))
            except (UnicodeDecodeError, ValueError) as e:
                bad.append((ln[:300], str(e)))
        missing = [u for u, _, _ in cx.expect_log
                   if not any(u in str(e.get("url", "")) for e in entries)]
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    ck.ok("access log exists and has lines (%d)" % len(entries), len(entries) > 0, srv.access_log)
    ck.ok("access log: every line is valid UTF-8 JSON", not bad, bad[:5])
    ck.ok("access log: every line is a JSON object with keys %s" % ",".join(LOG_KEYS),
          all(isinstance(e, dict) and all(k in e for k in LOG_KEYS) for e in entries),
          [sorted(set(LOG_KEYS) - set(e)) for e in entries if isinstance(e, dict)
           and not all(k in e for k in LOG_KEYS)][:3])
    txns = [e.get("txn") for e in entries if isinstance(e, dict)]
    ck.ok("access log: txn ids are non-empty and unique",
          all(txns) and len(set(map(str, txns))) == len(txns),
          "%d ids, %d unique" % (len(txns), len(set(map(str, txns)))))
    sane = []
    for e in entries:
        if not isinstance(e, dict):
            continue
        probs = []
        if not isinstance(e.get("method"), str) or not (
                re.fullmatch(r"[A-Z][A-Z_-]*", e["method"])
                or (e["method"] == "" and e.get("url") == "" and e.get("icap_method") == "RESPMOD")):
            probs.append("method %r" % e.get("method"))
        if "icap_method" in e and e["icap_method"] not in ("REQMOD", "RESPMOD"):
            probs.append("icap_method %r" % e.get("icap_method"))
        if e.get("verdict") not in ("allow", "block", "approved", "error"):
            probs.append("verdict %r" % e.get("verdict"))
        for k in ("bytes_in", "bytes_out", "icap_status"):
            if not isinstance(e.get(k), int) or e.get(k) < 0:
                probs.append("%s %r" % (k, e.get(k)))
        if not isinstance(e.get("duration_ms"), (int, float)) or e["duration_ms"] < 0 \
                or e["duration_ms"] > 600000:
            probs.append("duration_ms %r" % e.get("duration_ms"))
        if not isinstance(e.get("time"), str) or not re.match(r"\d{4}-\d\d-\d\d", e.get("time", "")):
            probs.append("time %r" % e.get("time"))
        if not isinstance(e.get("service"), str) or not e.get("service"):
            probs.append("service %r" % e.get("service"))
        if probs:
            sane.append((e.get("url"), probs))
    ck.ok("access log: method/verdict/bytes/status/duration/time/service values are sensible",
          not sane, sane[:5])
    for url, want, label in cx.expect_log:
        found = [e for e in entries if isinstance(e, dict) and url in str(e.get("url", ""))]
        if not ck.ok("access log: exactly one line for %s" % label, len(found) == 1,
                     "%d lines for %r" % (len(found), url)):
            continue
        e = found[0]
        probs = []
        for k, v in want.items():
            if k == "min_bytes":
                if e.get("verdict") == "allow" and e.get("icap_status") == 200 and not (
                        isinstance(e.get("bytes_in"), int) and e["bytes_in"] >= v
                        and isinstance(e.get("bytes_out"), int) and e["bytes_out"] >= v):
                    probs.append("bytes_in/out %r/%r < body %d" % (e.get("bytes_in"),
                                                                   e.get("bytes_out"), v))
            elif k == "icap_method":
                # the ICAP method: in "icap_method" if the server logs it
                # separately, otherwise it must be what "method" holds
                if e.get("icap_method", e.get("method")) != v:
                    probs.append("icap_method %r / method %r != %r" % (e.get("icap_method"),
                                                                      e.get("method"), v))
            elif k.endswith("~"):
                vals = v if isinstance(v, list) else [v]
                for s in vals:
                    if s not in str(e.get(k[:-1], "")):
                        probs.append("%s %r lacks %r" % (k[:-1], e.get(k[:-1]), s))
            elif isinstance(v, list):
                if e.get(k) not in v:
                    probs.append("%s %r not in %r" % (k, e.get(k), v))
            elif k.endswith("?"):
                if e.get(k[:-1]) not in (None, "", "-"):
                    probs.append("%s %r should be empty" % (k[:-1], e.get(k[:-1])))
            elif e.get(k) != v:
                probs.append("%s %r != %r" % (k, e.get(k), v))
        ck.ok("access log: %s has %s" % (label, ", ".join(
            "%s=%s" % (k, v) for k, v in want.items())), not probs, "%s\nline: %s" % (probs, e))


# --------------------------------------------------------------------------
# ISTag / policy generation

def g_istag(cx):
    ck, srv = cx.ck, cx.srv

    def istag(alias="sekisho"):
        c = srv.conn(5)
        try:
            return options(c, srv.url(alias)).header("ISTag")
        finally:
            c.close()
    t1 = istag()
    time.sleep(1.2)
    ck.eq("ISTag stable while the policy does not change", istag(), t1)
    p = srv.policy_cmd("set", "icap.x-virus-id", "on", check=False)
    ck.eq("sekisho-policy set icap.x-virus-id on: exit 0", p.returncode, 0)
    t0 = time.monotonic()
    t2 = t1
    while time.monotonic() - t0 < 5 and t2 == t1:
        time.sleep(0.25)
        t2 = istag()
    ck.ok("ISTag changes after the policy generation changes (%s -> %s in %.1f s)"
          % (t1, t2, time.monotonic() - t0), t2 != t1 and t2 is not None)
    tags = {a: istag(a) for a in ALIASES + [""]}
    ck.ok("new ISTag is the same on every alias and the root", set(tags.values()) == {t2}, tags)
    passthrough_one(cx, "RESPMOD", 4000, None, False, label="pass-through after policy reload",
                    log=False)


# --------------------------------------------------------------------------
# launcher

def g_launcher(cx):
    ck, build = cx.ck, cx.build
    mod = os.path.join(build, "tests", "modules", "test_block.so")
    # port taken
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    s = SekishoServer(build, port=port, name="porttaken")
    try:
        s.init_db()
        rc, out, err = run_launcher_expect_failure(s)
        lines = [ln for ln in err.splitlines() if ln.strip()]
        ck.eq("launcher, port taken: exit 1", rc, 1)
        ck.ok("launcher, port taken: no processes left behind", not s.leftovers)
        ck.ok("launcher, port taken: one stderr line 'sekisho-server: ...' naming 127.0.0.1:%d"
              % port, len(lines) == 1 and lines[0].startswith("sekisho-server:")
              and str(port) in lines[0], "stderr %r stdout %r" % (err[-1500:], out[-500:]))
    finally:
        holder.close()
        s.cleanup()
    # missing DB
    s = SekishoServer(build, name="nodb")
    s.db = os.path.join(s.tmp, "does-not-exist", "policy.db")
    rc, out, err = run_launcher_expect_failure(s)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    ck.eq("launcher, missing DB: exit 1", rc, 1)
    ck.ok("launcher, missing DB: no processes left behind", not s.leftovers)
    ck.ok("launcher, missing DB: one stderr line naming the file",
          len(lines) == 1 and lines[0].startswith("sekisho-server:") and s.db in lines[0],
          "stderr %r" % err[-1500:])
    ck.ok("launcher, missing DB: port not left open", port_is_free(s.port))
    s.cleanup()
    # garbage DB
    s = SekishoServer(build, name="baddb")
    with open(s.db, "wb") as f:
        f.write(b"this is not an SQLite database\n" * 100)
    rc, out, err = run_launcher_expect_failure(s)
    ck.eq("launcher, corrupt (non-SQLite) DB: exit 1", rc, 1)
    ck.ok("launcher, corrupt DB: stderr names the file", s.db in err, "stderr %r" % err[-1500:])
    s.cleanup()
    # module init failure
    s = SekishoServer(build, modules=mod, config_text="sekisho.Option test_block.fail-init yes\n",
                      name="failinit")
    s.init_db()
    rc, out, err = run_launcher_expect_failure(s)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    ck.eq("launcher, module fail-init: exit 1", rc, 1)
    ck.ok("launcher, module fail-init: no processes left behind", not s.leftovers)
    ck.ok("launcher, module fail-init: one stderr line naming test_block",
          len(lines) == 1 and lines[0].startswith("sekisho-server:") and "test_block" in lines[0],
          "stderr %r" % err[-1500:])
    ck.ok("launcher, module fail-init: port not left open", port_is_free(s.port))
    s.cleanup()
    # module that does not exist
    s = SekishoServer(build, modules="/nonexistent/sekisho-no-such-module.so", name="nomod")
    s.init_db()
    rc, out, err = run_launcher_expect_failure(s)
    ck.eq("launcher, missing module object: exit 1", rc, 1)
    ck.ok("launcher, missing module object: stderr names it",
          "sekisho-no-such-module" in err, "stderr %r" % err[-1500:])
    s.cleanup()
    # SIGINT stops cleanly too
    s = SekishoServer(build, modules=mod, name="sigint", extra_args=("--access-log", "none"))
    try:
        s.start()
        conf = open(os.path.join(s.run_dir, "c-icap.conf")).read()
        ck.ok("launcher: --access-log none switches the log off (not a file named 'none')",
              "sekisho.AccessLog none\n" in conf, [ln for ln in conf.splitlines() if "AccessLog" in ln])
        import signal as _sig
        s.proc.send_signal(_sig.SIGINT)
        try:
            rc = s.proc.wait(15)
        except subprocess.TimeoutExpired:
            rc = "hung"
        ck.eq("launcher: SIGINT -> exit 0", rc, 0)
        free = False
        for _ in range(50):
            if port_is_free(s.port):
                free = True
                break
            time.sleep(0.1)
        ck.ok("launcher: port free after SIGINT", free)
    except StartupError as e:
        ck.ok("launcher: second instance starts for the SIGINT test", False, str(e))
    finally:
        s.stop()
        ck.ok("launcher: no processes left behind after SIGINT", not getattr(s, "leftovers", False))
        s.cleanup()


def read_head(sock):
    """Bytes from a socket up to the end of the first header block (or EOF)."""
    head = b""
    while b"\r\n\r\n" not in head:
        b = sock.recv(4096)
        if not b:
            break
        head += b
    return head


def g_icaps(cx):
    """--tls-listen: the same service over TLS (Squid's icaps://), and the
    launcher's refusals of incomplete or broken TLS options."""
    import ssl
    ck, build = cx.ck, cx.build
    d = tempfile.mkdtemp(prefix="sekisho-icaps-")
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    p = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                        key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"], capture_output=True)
    if not ck.ok("openssl makes a test certificate", p.returncode == 0, p.stderr[-300:]):
        return
    tport = free_port()
    mod = os.path.join(build, "tests", "modules", "test_block.so")
    s = SekishoServer(build, modules=mod, name="icaps",
                      extra_args=("--tls-listen", "127.0.0.1:%d" % tport, "--tls-cert", cert,
                                  "--tls-key", key))
    try:
        s.start()
        out = "\n".join(s.stdout_lines)
        ck.ok("icaps: launcher says where ICAP over TLS listens",
              "icaps://127.0.0.1:%d" % tport in out, out[-400:])
        ctx = ssl.create_default_context(cafile=cert)

        def over_tls(when):
            """OPTIONS then REQMOD on one TLS connection; the REQMOD's
            access-log line, with the client address c-icap gave us."""
            with socket.create_connection(("127.0.0.1", tport), timeout=10) as raw:
                with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as t:
                    t.sendall(b"OPTIONS icap://127.0.0.1/sekisho ICAP/1.0\r\nHost: 127.0.0.1\r\n"
                              b"Encapsulated: null-body=0\r\n\r\n")
                    head = read_head(t)
                    ck.ok("icaps%s: OPTIONS over TLS answers 200 with an ISTag" % when,
                          head.startswith(b"ICAP/1.0 200") and b"ISTag:" in head, head[:300])
                    u = "http://icaps.test/%s" % tag()
                    req = http_req_head("GET", u)
                    t.sendall(b"REQMOD icap://127.0.0.1/reqmod ICAP/1.0\r\nHost: 127.0.0.1\r\n"
                              b"Allow: 204\r\nEncapsulated: req-hdr=0, null-body=%d\r\n\r\n"
                              % len(req) + req)
                    head = read_head(t)
                    ck.ok("icaps%s: REQMOD over TLS on the same connection answers 204" % when,
                          head.startswith(b"ICAP/1.0 204"), head[:300])
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not any(u.encode() in ln for ln in s.log_lines()):
                time.sleep(0.1)
            line = [json.loads(ln) for ln in s.log_lines() if u.encode() in ln]
            ck.ok("icaps%s: the TLS transaction has its access-log line, with the client's "
                  "address" % when, len(line) == 1 and line[0].get("client") == "127.0.0.1",
                  line)

        over_tls("")
        # A policy commit reloads through c-icap's reconfigure. c-icap 0.5.10
        # then hands over ICAPS connections without the client's address,
        # and the guard refused every one as "?" (icap-server/guard).
        s.policy_cmd("url", "add", "--list", "block", "--match", "domain", "reload.icaps.test")
        ck.ok("icaps: the policy commit is live", wait_live(s))
        over_tls(" after a policy reload")
        with socket.create_connection(("127.0.0.1", tport), timeout=5) as raw:
            raw.sendall(b"OPTIONS icap://127.0.0.1/sekisho ICAP/1.0\r\nHost: x\r\n"
                        b"Encapsulated: null-body=0\r\n\r\n")
            try:
                got = raw.recv(4096)
            except OSError:
                got = b""
            ck.ok("icaps: plain ICAP on the TLS port gets no ICAP answer",
                  not got.startswith(b"ICAP/1.0"), got[:100])
    except StartupError as e:
        ck.ok("icaps: server with --tls-listen starts", False, str(e))
    finally:
        s.stop()
        s.cleanup()
    # refusals: the launcher names the problem, c-icap is never started
    cases = [
        ("no certificate", ("--tls-listen", "127.0.0.1:%d" % tport), 2, "needs --tls-cert"),
        ("certificate without --tls-listen", ("--tls-cert", cert), 2, "need --tls-listen"),
        ("key missing from the certificate file",
         ("--tls-listen", "127.0.0.1:%d" % tport, "--tls-cert", cert), 1, "no PEM PRIVATE KEY"),
        ("not a certificate", ("--tls-listen", "127.0.0.1:%d" % tport, "--tls-cert", key,
                               "--tls-key", key), 1, "no PEM CERTIFICATE"),
        ("unreadable certificate", ("--tls-listen", "127.0.0.1:%d" % tport, "--tls-cert",
                                    os.path.join(d, "missing.pem")), 1, "missing.pem"),
    ]
    for label, args, want_rc, want_msg in cases:
        s = SekishoServer(build, modules=mod, name="icaps-bad", extra_args=args)
        try:
            s.init_db()
            rc, _out, err = run_launcher_expect_failure(s)
            ck.ok("icaps: %s -> exit %d naming it (%r)" % (label, want_rc, err.strip()[-160:]),
                  rc == want_rc and want_msg in err)
        finally:
            s.cleanup()
    shutil.rmtree(d, ignore_errors=True)


GROUPS = [("options", g_options), ("passthrough", g_passthrough), ("tenmb", g_ten_mb),
          ("keepalive", g_keepalive), ("cicapclient", g_cicap_client), ("block", g_block),
          ("identity", g_identity), ("logburst", g_log_burst), ("icaps", g_icaps), ("accesslog", g_access_log),
          ("istag", g_istag)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--only", default="", help="comma-separated groups (plus 'launcher')")
    a = ap.parse_args()
    build = os.path.abspath(a.build_dir)
    only = set(x for x in a.only.split(",") if x)
    ck = Check("integration")
    need = [os.path.join(build, "bin", "sekisho-server"), os.path.join(build, "bin", "sekisho-policy"),
            os.path.join(build, "lib", "sekisho", "srv_sekisho.so"),
            os.path.join(build, "tests", "modules", "test_block.so")]
    for p in need:
        ck.ok("built: %s exists" % os.path.relpath(p, build), os.path.exists(p))
    import shutil
    ck.ok("c-icap-client is installed", shutil.which("c-icap-client") is not None)
    if ck.failed:
        return ck.summary()
    srv = SekishoServer(build, modules=os.path.join(build, "tests", "modules", "test_block.so"),
                        name="main")
    try:
        srv.start()
        check_started(ck, srv, "server starts", 1)
        ck.ok("ready line names the address (%s)" % srv.ready_line,
              "127.0.0.1:%d" % srv.port in srv.ready_line)
    except StartupError as e:
        ck.ok("server starts and prints its listening line", False, str(e))
        return ck.summary()
    cx = Ctx(ck, srv, build)
    try:
        for name, fn in GROUPS:
            if only and name not in only and not (name == "accesslog" and only - {"launcher"}):
                continue
            ck.group(name, fn, cx)
    finally:
        rc = srv.stop()
        ck.eq("SIGTERM: launcher exits 0", rc, 0)
        ck.ok("SIGTERM: port %d free afterwards" % srv.port, port_is_free(srv.port))
        ck.ok("SIGTERM: no processes left behind", not getattr(srv, "leftovers", False))
        if ck.failed:
            print("--- server stderr (tail):\n%s" % srv.stderr_text()[-3000:])
            print(srv.daemon_log_tail())
    if not only or "launcher" in only:
        ck.group("launcher", g_launcher, cx)
    check_asan(ck)
    srv.cleanup()
    return ck.summary()


if __name__ == "__main__":
    sys.exit(main())
