#!/usr/bin/env python3
"""url_block integration test: the real c-icap daemon started through
build/bin/sekisho-server with the url_block module (and test_block after it,
to prove that approved URLs skip later modules), a policy written with the
real sekisho-policy CLI, driven by raw ICAP sockets and by c-icap-client.

Covers: block by domain / prefix / substring / exact / regex / category in
REQMOD and in RESPMOD (Squid-style req-hdr + res-hdr + res-body), CONNECT,
approved URLs passing unscanned and logged "approved", a rule added while
the server runs taking effect without a restart, English and Japanese pages
by Accept-Language, text pages for HEAD, escaping, failure verdicts.

Usage: test_url_block.py --build-dir BUILD
Prints one PASS/FAIL line per check and a summary; exits 1 on any failure.
"""

import argparse
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from icaplib import check_started  # noqa: E402  (issue 16)
from icaplib import (Check, SekishoServer, StartupError, transact,  # noqa: E402
                     http_res_head, check_asan)

BLOCK_MARK = "sekisho-test-block"  # test_block blocks URLs carrying it


def tag():
    return uuid.uuid4().hex[:10]


class Ctx:
    def __init__(self, ck, srv, build):
        self.ck, self.srv, self.build = ck, srv, build
        self.expect_log = []  # (url substring, {field: value}, label)


def req_head(method, url, host=None, extra=(), accept="text/html,*/*;q=0.8"):
    """An HTTP request head as a browser behind a proxy sends it: absolute
    form (or CONNECT authority / origin form with Host)."""
    if host is None:
        m = re.match(r"[a-zA-Z]+://(?:[^/?#]*@)?([^/?#@]*)", url)
        host = m.group(1) if m else url
    lines = ["%s %s HTTP/1.1" % (method, url), "Host: %s" % host,
             "User-Agent: sekisho-url-test/1"]
    if accept is not None:
        lines.append("Accept: %s" % accept)
    lines += list(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape")


def detail(r, c):
    return "head %r\nparts %r\nbody %r\n%s" % (
        r.raw_head if r else None, {k: v[:300] for k, v in r.parts.items()} if r else None,
        (r.body or b"")[:600] if r else None, c.transcript(800) if c else "")


def reqmod(cx, url, method="GET", host=None, extra=(), accept="text/html,*/*;q=0.8",
           allow204=True):
    c = cx.srv.conn(20)
    try:
        r = transact(c, "REQMOD", cx.srv.url("REQ-Service"),
                     req_head(method, url, host, extra, accept), None, None,
                     allow204=allow204)
        return r, c
    finally:
        c.close()


def respmod(cx, url, extra=(), body=b"origin says hello\n" * 10, preview=0):
    """Squid-style RESPMOD: req-hdr + res-hdr + res-body, Preview, Allow: 204."""
    c = cx.srv.conn(20)
    try:
        r = transact(c, "RESPMOD", cx.srv.url("respmod"), req_head("GET", url, extra=extra),
                     http_res_head(200, body_len=len(body), ctype="text/html"), body,
                     preview=preview, allow204=True)
        return r, c
    finally:
        c.close()


def is_block(r):
    return r is not None and r.status == 200 and r.http_status() == 403


def page_of(r):
    return (r.body or b"").decode("utf-8", "replace")


def check_blocked(cx, name, r, c, rule=None, lang="en"):
    ck = cx.ck
    if not ck.ok(name + ": ICAP 200 with an HTTP 403 page", is_block(r), detail(r, c)):
        return False
    hdr = r.parts.get("res-hdr", b"")
    body = page_of(r)
    ck.ok(name + ": text/html; charset=utf-8 page in %s" % lang,
          re.search(rb"(?im)^content-type:\s*text/html;\s*charset=utf-8", hdr) is not None
          and ('<html lang="%s">' % lang) in body, hdr + b"\n" + body[:300].encode())
    if rule is not None:
        ck.ok(name + ": page names rule %r" % rule, html.escape(rule, quote=True) in body,
              body[:1500])
    return True


def check_passes(cx, name, r, c):
    return cx.ck.ok(name + ": passes (204 or 200 without a 403)",
                    r is not None and (r.status == 204 or (r.status == 200 and
                                                           r.http_status() != 403)),
                    detail(r, c))


# --------------------------------------------------------------------------
# policy

def write_category(d):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "domains"), "w") as f:
        f.write("casino.test\n# comment\nbet.test\n")
    with open(os.path.join(d, "urls"), "w") as f:
        f.write("games.test/poker\n")


RULES = [
    ("block", "domain", "*.blocked-domain.test"),
    ("block", "prefix", "ads.test/banner/"),
    ("block", "substring", "/tracking-pixel"),
    ("block", "exact", "http://exact.test/only/this?x=1"),
    ("block", "regex", r"^https?://[^/]*\.regex\.test/.*\.exe$"),
    ("approved", "domain", "approved.test"),
    ("allow", "domain", "ok.blocked-domain.test"),
    # readings (red team 6): an approved area beside a blocked one, a rule
    # on a host with no port, a port-specific exception, an exact page, an
    # IPv4 range
    ("approved", "prefix", "vendor.test/pub/"),
    ("block", "prefix", "vendor.test/private/"),
    ("block", "prefix", "pfx.test/"),
    ("allow", "prefix", "pfx.test:8080/"),
    ("block", "exact", "http://exact.test/page"),
    ("block", "cidr", "203.0.113.0/24"),
]


def setup_policy(srv, tmp):
    srv.init_db()
    for lst, match, pat in RULES:
        srv.policy_cmd("url", "add", "--list", lst, "--match", match, pat)
    cat = os.path.join(tmp, "gambling")
    write_category(cat)
    srv.policy_cmd("category", "import", "gambling", cat)
    srv.policy_cmd("category", "block", "gambling")
    srv.policy_cmd("policy", "add", "lab", "--client-ip", "198.51.100.0/24")
    srv.policy_cmd("set", "url.on-error", "allow", "--policy", "lab")


# --------------------------------------------------------------------------
# groups

MODE_CASES = [
    # (label, url, method, rule shown on the page, log rule)
    ("domain", "http://www.blocked-domain.test/index.html", "GET", "blocked-domain.test",
     "block:domain:blocked-domain.test"),
    ("domain (evasion: case, trailing dot, userinfo, port)",
     "http://user:pw@WWW.Blocked-Domain.TEST.:80/x", "GET", "blocked-domain.test",
     "block:domain:blocked-domain.test"),
    ("prefix", "http://ads.test/banner/728x90.gif", "GET", "ads.test/banner/",
     "block:prefix:ads.test/banner/"),
    ("prefix (evasion: dot-segments, escapes)", "http://ads.test/a/../%62anner//x.gif", "GET",
     "ads.test/banner/", "block:prefix:ads.test/banner/"),
    # what servers that decode %2F/%5C (nginx, IIS) or drop ";params"
    # (Tomcat) read: the request reaches /banner/ there
    ("prefix (evasion: %2F and ..)", "http://ads.test/a/..%2Fbanner%2Fx.gif", "GET",
     "ads.test/banner/", "block:prefix:ads.test/banner/"),
    ("prefix (evasion: %5C)", "http://ads.test/banner%5Cx.gif", "GET", "ads.test/banner/",
     "block:prefix:ads.test/banner/"),
    ("prefix (evasion: ;params)", "http://ads.test/banner;jsessionid=1/x.gif", "GET",
     "ads.test/banner/", "block:prefix:ads.test/banner/"),
    ("substring", "http://news.test/a/tracking-pixel?id=1", "GET", "/tracking-pixel",
     "block:substring:/tracking-pixel"),
    ("exact", "http://exact.test/only/this?x=1", "GET", "exact.test/only/this?x=1",
     "block:exact:exact.test/only/this?x=1"),
    ("regex", "https://dl.regex.test/setup.exe", "GET", None, None),
    ("category domain", "http://www.casino.test/", "GET", "casino.test", "category:gambling"),
    ("category url", "http://games.test/poker/table", "GET", "games.test/poker",
     "category:gambling"),
    ("CONNECT", "blocked-domain.test:443", "CONNECT", "blocked-domain.test",
     "block:domain:blocked-domain.test"),
    ("CONNECT to a category", "bet.test:443", "CONNECT", "bet.test", "category:gambling"),
]

PASS_CASES = [
    ("look-alike domain", "http://notblocked-domain.test/"),
    ("prefix elsewhere", "http://ads.test/other/banner/x.gif"),
    ("prefix, ..%2F leaves it for every reading", "http://ads.test/x/%2e%2e%2Fother/x.gif"),
    ("exact with another query", "http://exact.test/only/this?x=2"),
    ("regex without .exe", "https://dl.regex.test/setup.txt"),
    ("allow beats block", "http://ok.blocked-domain.test/"),
    ("category url elsewhere", "http://games.test/chess"),
    ("the approved area itself", "http://vendor.test/pub/x.exe"),
]


def g_reqmod(cx):
    ck = cx.ck
    for label, url, method, rule, logrule in MODE_CASES:
        u = url
        if method != "CONNECT" and label not in ("exact", "regex"):  # unique URL per run
            u = url + ("&" if "?" in url else "?") + "t=" + tag()
        r, c = reqmod(cx, u, method)
        if check_blocked(cx, "REQMOD block by %s" % label, r, c, rule) and logrule:
            cx.expect_log.append((u, {"verdict": "block", "module": "url_block",
                                      "rule": logrule}, "REQMOD " + label))
    for label, url in PASS_CASES:
        r, c = reqmod(cx, url)
        check_passes(cx, "REQMOD %s" % label, r, c)
    # origin-form with a Host header (transparent proxies)
    r, c = reqmod(cx, "/origin-form/" + tag(), host="WWW.blocked-domain.test")
    check_blocked(cx, "REQMOD origin-form + Host", r, c, "blocked-domain.test")
    # a Host that smuggles URL syntax: failure verdict, never the wrong host
    r, c = reqmod(cx, "/x", host="blocked-domain.test@good.test")
    check_blocked(cx, "REQMOD Host with userinfo syntax", r, c, None)
    # without Allow: 204, an allowed request comes back unchanged
    rq = req_head("GET", "http://fine.test/" + tag())
    c = cx.srv.conn(20)
    try:
        r = transact(c, "REQMOD", cx.srv.url("reqmod"), rq, None, None)
        ck.ok("REQMOD allowed without Allow: 204: 200 with the request unchanged",
              r.status == 200 and r.parts.get("req-hdr") == rq, detail(r, c))
    finally:
        c.close()


def g_respmod(cx):
    ck = cx.ck
    for label, url, method, rule, logrule in MODE_CASES:
        if method == "CONNECT":
            continue
        for preview in (0, 1024):
            r, c = respmod(cx, url, preview=preview)
            check_blocked(cx, "RESPMOD (preview %d) block by %s" % (preview, label), r, c, rule)
    for label, url in PASS_CASES[:3]:
        r, c = respmod(cx, url, preview=1024)
        check_passes(cx, "RESPMOD %s" % label, r, c)
    # a large body: the verdict comes from the headers, the body is not needed
    r, c = respmod(cx, "http://www.blocked-domain.test/big.iso", body=b"x" * (3 << 20),
                   preview=1024)
    check_blocked(cx, "RESPMOD 3 MB body from a blocked domain", r, c, "blocked-domain.test")


def run_cicap_client(cx, args, outfile=None, infile=None):
    cmd = ["c-icap-client", "-i", "127.0.0.1", "-p", str(cx.srv.port), "-v"] + args
    if infile:
        cmd += ["-f", infile]
    if outfile:
        cmd += ["-o", outfile]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    out = p.stdout.decode("utf-8", "replace")
    m = re.search(r"ICAP HEADERS:\s*\n\s*ICAP/1\.0 (\d{3})", out)
    return (int(m.group(1)) if m else None), out


def g_cicap_client(cx):
    ck = cx.ck
    d = tempfile.mkdtemp(prefix="cc-", dir=cx.srv.tmp)
    body = os.path.join(d, "body.html")
    with open(body, "wb") as f:
        f.write(b"<html>origin page</html>\n" * 50)
    for label, url, method, rule, logrule in MODE_CASES:
        if method == "CONNECT":
            continue
        out = os.path.join(d, "out-%s.html" % tag())
        st, text = run_cicap_client(cx, ["-s", "sekisho", "-req", url, "-no204"], out)
        page = open(out, "rb").read().decode("utf-8", "replace") if os.path.exists(out) else ""
        ck.ok("c-icap-client REQMOD block by %s: HTTP 403 page" % label,
              st == 200 and re.search(r"HTTP/1\.[01] 403", text) and "Sekisho" in page,
              text[-1500:])
        out = os.path.join(d, "out-%s.html" % tag())
        st, text = run_cicap_client(cx, ["-s", "respmod", "-resp", url, "-no204"], out, body)
        page = open(out, "rb").read().decode("utf-8", "replace") if os.path.exists(out) else ""
        ck.ok("c-icap-client RESPMOD block by %s: HTTP 403 page" % label,
              st == 200 and re.search(r"HTTP/1\.[01] 403", text) and "Sekisho" in page
              and "origin page" not in page, text[-1500:])
    st, text = run_cicap_client(cx, ["-s", "sekisho", "-req", "http://fine.test/" + tag()])
    ck.ok("c-icap-client REQMOD allowed URL: 204", st == 204, text[-1500:])
    out = os.path.join(d, "ja.html")
    st, text = run_cicap_client(cx, ["-s", "sekisho", "-req", "http://www.casino.test/",
                                     "-hx", "Accept-Language: ja-JP,ja;q=0.9", "-no204"], out)
    page = open(out, "rb").read().decode("utf-8", "replace") if os.path.exists(out) else ""
    ck.ok("c-icap-client -hx Accept-Language ja: Japanese page",
          '<html lang="ja">' in page and "ブロックされました" in page, page[:600])


def g_approved(cx):
    ck = cx.ck
    # approved beats everything after url_block: test_block would block this
    url = "http://files.approved.test/%s/%s.bin" % (BLOCK_MARK, tag())
    r, c = respmod(cx, url, body=b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR\n", preview=1024)
    check_passes(cx, "approved URL with the test_block marker", r, c)
    cx.expect_log.append((url, {"verdict": "approved", "rule": "approved:domain:approved.test"},
                          "approved URL"))
    # the same marker elsewhere: test_block runs and blocks
    url = "http://elsewhere.test/%s/%s" % (BLOCK_MARK, tag())
    r, c = reqmod(cx, url)
    ck.ok("same marker on a non-approved URL: blocked by the later module",
          is_block(r), detail(r, c))
    cx.expect_log.append((url, {"verdict": "block", "module": "test_block"},
                          "non-approved URL reaches test_block"))
    # allow list is not approval: test_block still runs
    url = "http://ok.blocked-domain.test/%s/%s" % (BLOCK_MARK, tag())
    r, c = reqmod(cx, url)
    ck.ok("allow-listed URL with the marker: later module still runs (blocked)",
          is_block(r), detail(r, c))


def g_pages(cx):
    ck = cx.ck
    cases = [("ja", "ja"), ("ja-JP,ja;q=0.9,en-US;q=0.8", "ja"),
             ("en-US,en;q=0.9,ja;q=0.5", "en"), ("fr-FR", "en"), (None, "en")]
    for al, want in cases:
        extra = ["Accept-Language: %s" % al] if al else []
        r, c = reqmod(cx, "http://www.blocked-domain.test/lang", extra=extra)
        check_blocked(cx, "Accept-Language %s" % al, r, c, None, lang=want)
        if want == "ja":
            ck.ok("Accept-Language %s: Japanese text, UTF-8" % al,
                  "このウェブページへのアクセスはブロックされました" in page_of(r), page_of(r)[:400])
    # HEAD and non-HTML Accept: short text/plain
    for method, accept in (("HEAD", "text/html"), ("GET", "application/json")):
        r, c = reqmod(cx, "http://www.blocked-domain.test/api", method=method, accept=accept)
        hdr = r.parts.get("res-hdr", b"") if r else b""
        ok = is_block(r) and re.search(rb"(?im)^content-type:\s*text/plain", hdr) is not None
        if method == "GET":
            ok = (ok and "Access to this web page is blocked (Sekisho)" in page_of(r)
                  and len(r.body) < 512)
        ck.ok("%s with Accept %s: 403 text/plain" % (method, accept), ok, detail(r, c))
    # hostile characters in the URL are escaped on the page
    url = "http://www.blocked-domain.test/<script>alert(1)</script>?\"'&"
    r, c = reqmod(cx, url)
    body = page_of(r)
    ck.ok("<script> in a blocked URL is escaped on the page",
          is_block(r) and "<script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;"
          in body and "?&quot;&#39;&amp;" in body, body[:1500])
    # reference id on the page is the log's txn id
    u = "http://www.blocked-domain.test/ref/" + tag()
    r, c = reqmod(cx, u)
    m = re.search(r"<th>Reference</th><td>([^<]+)</td>", page_of(r))
    cx.ref = (u, m.group(1) if m else None)
    ck.ok("page shows a reference id", m is not None, page_of(r)[:1500])


def g_failure(cx):
    ck = cx.ck
    for url, why in (("http://1.2.3.999/", "invalid IPv4"),
                     ("http://blocked-domain.test%00.good.test/", "escaped NUL in host"),
                     ("http://[::1/", "broken IPv6")):
        r, c = reqmod(cx, url)
        ck.ok("malformed URL (%s): failure verdict block" % why, is_block(r)
              and "could not be checked" in page_of(r), detail(r, c))
        cx.expect_log.append((url, {"verdict": "block", "rule": "url-malformed"},
                              "malformed " + why))
    # a policy with url.on-error allow lets it through (logged); the
    # client comes from the ICAP header X-Client-IP
    rq = req_head("GET", "http://1.2.3.999/lab2")
    c = cx.srv.conn(20)
    try:
        r = transact(c, "REQMOD", cx.srv.url("sekisho"), rq, None, None, allow204=True,
                     extra=["X-Client-IP: 198.51.100.7"])
        check_passes(cx, "malformed URL for a url.on-error=allow policy", r, c)
    finally:
        c.close()
    cx.expect_log.append(("http://1.2.3.999/lab2", {"verdict": "allow", "rule": "url-malformed",
                                                     "client": "198.51.100.7"},
                          "malformed URL allowed by policy"))
    # overlong: the URL the server hands over is capped; treated as a failure
    long_url = "http://fine.test/" + "a" * 9000
    r, c = reqmod(cx, long_url)
    ck.ok("overlong URL (9 KB): failure verdict block",
          is_block(r) and "could not be checked" in page_of(r), detail(r, c))
    # one limit (SK_URL_MAX, 8192) for the server and the normaliser: a URL
    # of exactly 8192 bytes is checked like any other, one more is overlong
    for n, want_block in ((8192, False), (8193, True)):
        u = "http://fine.test/" + "a" * (n - len("http://fine.test/"))
        r, c = reqmod(cx, u)
        ck.ok("URL of %d bytes: %s" % (n, "overlong, blocked" if want_block else "checked, passed"),
              is_block(r) == want_block and
              (not want_block or "could not be checked" in page_of(r)), detail(r, c))


def g_policy_change(cx):
    ck, srv = cx.ck, cx.srv
    url = "http://late-%s.test/page" % tag()
    host = url.split("/")[2]
    r, c = reqmod(cx, url)
    check_passes(cx, "policy change: %s passes before the rule" % host, r, c)
    p = srv.policy_cmd("url", "add", "--list", "block", "--match", "domain", host, check=False)
    ck.eq("sekisho-policy url add: exit 0", p.returncode, 0)
    t0 = time.monotonic()
    blocked = False
    while time.monotonic() - t0 < 10:
        r, c = reqmod(cx, url)
        if is_block(r):
            blocked = True
            break
        time.sleep(0.05)
    dt = time.monotonic() - t0
    print("    rule live after %.2f s" % dt)
    limit = 4.0 if os.environ.get("SEKISHO_SANITIZED") else 2.5
    ck.ok("policy change: blocked without a restart after %.2f s (limit %.1f s)" % (dt, limit),
          blocked and dt <= limit)
    # and removed again
    p = srv.policy_cmd("url", "rm", "--list", "block", "--match", "domain", host, check=False)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 10:
        r, c = reqmod(cx, url)
        if not is_block(r):
            break
        time.sleep(0.05)
    ck.ok("policy change: rule removal live after %.2f s" % (time.monotonic() - t0),
          not is_block(r))


def g_access_log(cx):
    ck, srv = cx.ck, cx.srv
    deadline = time.monotonic() + 5
    while True:
        entries = []
        for ln in srv.log_lines():
            if ln.strip():
                try:
                    entries.append(json.loads(ln.decode("utf-8")))
                except ValueError:
                    pass
        missing = [u for u, _, _ in cx.expect_log
                   if not any(e.get("url") == u for e in entries)]
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    for url, want, label in cx.expect_log:
        found = [e for e in entries if e.get("url") == url]
        if not ck.ok("access log: a line for %s" % label, len(found) >= 1, url):
            continue
        e = found[-1]
        probs = ["%s=%r (want %r)" % (k, e.get(k), v) for k, v in want.items() if e.get(k) != v]
        ck.ok("access log: %s has %s" % (label, want), not probs, "%s\n%s" % (probs, e))
    u, ref = getattr(cx, "ref", (None, None))
    if ref:
        found = [e for e in entries if e.get("url") == u]
        ck.ok("access log: the page's reference id is the line's txn id",
              bool(found) and found[-1].get("txn") == ref, (ref, found[-1:]))


def reqmod_raw(cx, head):
    c = cx.srv.conn(20)
    try:
        return transact(c, "REQMOD", cx.srv.url("REQ-Service"), head, None, None,
                        allow204=True), c
    finally:
        c.close()


# (label, request head, blocked?, rule on the page or None)
READ_LINES = [
    ("HTAB after the method (RFC 9112 3: a GET of the URL)",
     b"GET\thttp://www.blocked-domain.test/ HTTP/1.1\r\nHost: www.blocked-domain.test\r\n\r\n",
     True, "blocked-domain.test"),
    ("runs of SP and HTAB between the fields",
     b"GET \t http://www.blocked-domain.test/ \t HTTP/1.1\r\nHost: x\r\n\r\n", True,
     "blocked-domain.test"),
    ("no version (HTTP/0.9 form) still read",
     b"GET http://www.blocked-domain.test/\r\nHost: x\r\n\r\n", True, "blocked-domain.test"),
    ("HTAB inside the target: malformed",
     b"GET http://ok.test/a\tb HTTP/1.1\r\nHost: ok.test\r\n\r\n", True, "url-malformed"),
    ("SP inside the target: malformed",
     b"GET http://ok.test/a http://www.blocked-domain.test/ HTTP/1.1\r\nHost: ok.test\r\n\r\n",
     True, "url-malformed"),
    ("text after the version: malformed",
     b"GET http://ok.test/ HTTP/1.1 x\r\nHost: ok.test\r\n\r\n", True, "url-malformed"),
    ("a version that is none: malformed",
     b"GET http://ok.test/ FOO/1.1\r\nHost: ok.test\r\n\r\n", True, "url-malformed"),
    ("origin-form with two Host fields: malformed",
     b"GET /x HTTP/1.1\r\nHost: ok.test\r\nHost: www.blocked-domain.test\r\n\r\n", True, "url-malformed"),
    ("origin-form with a Host of two names: malformed",
     b"GET /x HTTP/1.1\r\nHost: ok.test www.blocked-domain.test\r\n\r\n", True, "url-malformed"),
    ("origin-form without Host: malformed", b"GET /x HTTP/1.1\r\nAccept: */*\r\n\r\n", True,
     "url-malformed"),
    ("origin-form with one Host: read (control)",
     b"GET /x HTTP/1.1\r\nHost: ok.test\r\n\r\n", False, None),
    ("absolute-form with two Host fields: the URL decides (control)",
     b"GET http://ok.test/ HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n", False, None),
]


def g_readings(cx):
    """What the origin reads, when Sekisho's first reading differs: an
    approval holds only where every reading is approved; a rule that names
    no port covers every port; an empty query is no query; a request line
    is split as lenient servers split it, and one it cannot read is
    url-malformed (red team 6a)."""
    ck = cx.ck
    for label, url, rule in [
            ("approved area: ..%2F out of it", "http://vendor.test/pub/..%2Fprivate/x.exe",
             "vendor.test/private/"),
            ("approved area: %2e%2e%2F", "http://vendor.test/pub/%2e%2e%2Fprivate/x.exe",
             "vendor.test/private/"),
            ("approved area: ..; (Tomcat)", "http://vendor.test/pub/..;/private/x.exe",
             "vendor.test/private/"),
            ("approved area: ..%5C (IIS)", "http://vendor.test/pub/..%5Cprivate/x.exe",
             "vendor.test/private/"),
            ("port: prefix on another port", "http://pfx.test:8081/x", "pfx.test/"),
            ("port: prefix with a path on another port", "http://ads.test:8080/banner/x.gif",
             "ads.test/banner/"),
            ("port: exact on another port", "http://exact.test:8080/only/this?x=1",
             "exact.test/only/this?x=1"),
            ("port: regex on another port", "https://dl.regex.test:8443/setup.exe", None),
            ("port: category url on another port", "http://games.test:8080/poker/table",
             "games.test/poker"),
            ("empty query is no query", "http://exact.test/page?", "exact.test/page"),
            ("NAT64 (64:ff9b::/96) of a blocked range", "http://[64:ff9b::cb00:7105]/",
             "203.0.113.0/24"),
            ("IPv4-compatible IPv6 of a blocked range", "http://[::203.0.113.5]/",
             "203.0.113.0/24")]:
        r, c = reqmod(cx, url)
        check_blocked(cx, "readings: " + label, r, c, rule)
    r, c = reqmod(cx, "pfx.test:8443", "CONNECT")
    check_blocked(cx, "readings: port: CONNECT to another port", r, c, "pfx.test/")
    # a port-specific exception still beats the host's block on its port
    r, c = reqmod(cx, "http://pfx.test:8080/x")
    check_passes(cx, "readings: allow rule naming the port beats the port-less block", r, c)
    # inside the approved area: approved (later modules skipped)
    url = "http://vendor.test/pub/a%%2F%s/%s" % (BLOCK_MARK, tag())
    r, c = reqmod(cx, url)
    check_passes(cx, "readings: every reading approved: approved, test_block skipped", r, c)
    # leaving it for a place no rule names: not approved, later modules run
    url = "http://vendor.test/pub/..%%2Fother/%s/%s" % (BLOCK_MARK, tag())
    r, c = reqmod(cx, url)
    ck.ok("readings: ..%2F out of the approved area: not approved (test_block blocks)",
          is_block(r), detail(r, c))
    cx.expect_log.append((url, {"verdict": "block", "module": "test_block"},
                          "approved area left by ..%2F"))
    r, c = reqmod(cx, "http://intranet.2024/")
    check_passes(cx, "readings: a DNS name with a numeric last label passes", r, c)
    for label, head, blocked, rule in READ_LINES:
        r, c = reqmod_raw(cx, head)
        if rule == "url-malformed":  # the failure verdict's page
            ck.ok("request line: %s: failure verdict block" % label,
                  is_block(r) and "could not be checked" in page_of(r), detail(r, c))
        elif blocked:
            check_blocked(cx, "request line: " + label, r, c, rule)
        else:
            check_passes(cx, "request line: " + label, r, c)
    # ... it is url.on-error's to decide: a policy with allow lets it pass
    c = cx.srv.conn(20)
    try:
        r = transact(c, "REQMOD", cx.srv.url("sekisho"),
                     b"GET /x HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n", None, None,
                     allow204=True, extra=["X-Client-IP: 198.51.100.8"])
    finally:
        c.close()
    check_passes(cx, "request line: two Host fields, url.on-error allow policy", r, c)
    # RESPMOD whose request line cannot be read: url-malformed there too
    c = cx.srv.conn(20)
    try:
        body = b"origin says hello\n"
        r = transact(c, "RESPMOD", cx.srv.url("respmod"),
                     b"GET /x HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n",
                     http_res_head(200, body_len=len(body), ctype="text/html"), body,
                     allow204=True)
    finally:
        c.close()
    ck.ok("request line: RESPMOD with two Host fields: failure verdict block",
          is_block(r) and "could not be checked" in page_of(r), detail(r, c))


GROUPS = [("reqmod", g_reqmod), ("respmod", g_respmod), ("cicapclient", g_cicap_client),
          ("approved", g_approved), ("pages", g_pages), ("failure", g_failure),
          ("policychange", g_policy_change), ("readings", g_readings),
          ("accesslog", g_access_log)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    build = os.path.abspath(a.build_dir)
    only = set(x for x in a.only.split(",") if x)
    ck = Check("url_block integration")
    mod = os.path.join(build, "lib", "sekisho", "modules", "url_block.so")
    tb = os.path.join(build, "tests", "modules", "test_block.so")
    for p in (mod, tb, os.path.join(build, "bin", "sekisho-server")):
        ck.ok("built: %s" % os.path.relpath(p, build), os.path.exists(p))
    ck.ok("c-icap-client is installed", shutil.which("c-icap-client") is not None)
    if ck.failed:
        return ck.summary()
    srv = SekishoServer(build, modules="url_block %s" % tb, name="urlblock")
    try:
        setup_policy(srv, srv.tmp)
        srv.start()
        check_started(ck, srv, "server starts with url_block and test_block", 2)
    except StartupError as e:
        ck.ok("server starts with url_block and test_block", False, str(e))
        srv.stop()
        return ck.summary()
    cx = Ctx(ck, srv, build)
    try:
        for name, fn in GROUPS:
            if only and name not in only and name != "accesslog":
                continue
            ck.group(name, fn, cx)
    finally:
        rc = srv.stop()
        ck.eq("server stops cleanly (rc 0)", rc, 0)
        if ck.failed:
            print("--- server stderr (tail):\n%s" % srv.stderr_text()[-3000:])
            print(srv.daemon_log_tail())
    check_asan(ck)
    srv.cleanup()
    return ck.summary()


if __name__ == "__main__":
    sys.exit(main())
