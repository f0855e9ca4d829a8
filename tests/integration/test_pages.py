#!/usr/bin/env python3
"""Every block page follows one Accept-Language decision (issue 18) and
each reason has its own title (issue 15 item 3), through the real daemon.

One server runs url_block, virus_scan, dlp and the test_block module (a
block without a page of its own: the server's default page). For each
Accept-Language value of a table, the URL, virus, DLP and default pages are
fetched and their <html lang> must all equal the RFC 9110 answer. Then:
administrator templates replace a page per module and per reason, and a
size-limit block is titled "too large to scan", not "virus".

Usage: test_pages.py --build-dir BUILD
"""

import argparse
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from icaplib import (Check, SekishoServer, StartupError, transact,  # noqa: E402
                     http_req_head, http_res_head, check_asan, main_wrapper,
                     run_launcher_expect_failure)

EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR" +
         b"-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")

# (Accept-Language or None, the language RFC 9110 gives with en default)
LANG_CASES = [
    (None, "en"),
    ("ja", "ja"),
    ("ja;q=0", "en"),               # Japanese refused: the default
    ("fr, ja;q=0.5", "ja"),         # French unsupported, Japanese acceptable
    ("*, ja;q=0.9", "en"),          # "*" (q=1) gives the default beats ja 0.9
    ("en;q=0, *", "ja"),            # English refused, "*" admits Japanese
    ("ja;q=abc, en;q=0.5", "en"),   # malformed weight: that element ignored
    ("ja;q=1.5", "en"),             # out of range: ignored
    ("JA-jp", "ja"),                # case-insensitive, region ignored
    (" ja ;\tq=0.8 , en ; q=0.7", "ja"),  # whitespace around ";"
    ("en, ja", "en"),               # tie: first listed
    ("ja, en", "ja"),
    ("ja;q=0.5, en;q=0.5", "ja"),   # equal weights: first listed
    ("ja-JP;q=0.1, ja;q=0.9, en;q=0.5", "ja"),  # bare "ja" decides ja
    ("de, fr", "en"),               # nothing supported: the default
    ("*;q=0", "en"),
]


def lang_of(r):
    m = re.search(rb'<html lang="([a-z]+)"', r.body or b"")
    return m.group(1).decode() if m else None


def blocked(r):
    return r.status == 200 and r.http_status() == 403 and r.body is not None


def url_page(srv, al):
    extra = ["Accept-Language: " + al] if al is not None else []
    c = srv.conn(30)
    try:
        return transact(c, "REQMOD", srv.url("reqmod"),
                        req_hdr=http_req_head("GET", "http://blocked.test/x", extra=extra))
    finally:
        c.close()


def default_page(srv, al):
    extra = ["Accept-Language: " + al] if al is not None else []
    c = srv.conn(30)
    try:
        return transact(c, "REQMOD", srv.url("reqmod"),
                        req_hdr=http_req_head("GET", "http://origin.test/sekisho-test-block",
                                              extra=extra))
    finally:
        c.close()


SEQ = [0]


def virus_page(srv, al, body=EICAR, url=None):
    # a fresh URL each time: a detected URL is listed as infected and the
    # next request for it would get url_block's page instead
    SEQ[0] += 1
    url = url or "http://origin.test/%d/eicar.com" % SEQ[0]
    extra = ["Accept-Language: " + al] if al is not None else []
    c = srv.conn(30)
    try:
        return transact(c, "RESPMOD", srv.url("respmod"),
                        req_hdr=http_req_head("GET", url, extra=extra),
                        res_hdr=http_res_head(body_len=len(body)), body=body, allow204=True)
    finally:
        c.close()


def dlp_page(srv, al):
    body = b"contact me at test@example.com please\n"
    extra = ["Content-Type: text/plain"] + (["Accept-Language: " + al] if al is not None
                                             else [])
    c = srv.conn(30)
    try:
        return transact(c, "REQMOD", srv.url("reqmod"),
                        req_hdr=http_req_head("POST", "http://upload.example/s", extra=extra,
                                              body_len=len(body)),
                        body=body, allow204=True)
    finally:
        c.close()


def g_agree(ck, srv):
    # each page is recognised by what only it shows
    pages = (("URL", url_page, b"blocked.test"), ("virus", virus_page, b"Eicar-Test-Signature"),
             ("DLP", dlp_page, b"mail: 1"), ("default", default_page, b"test_block"))
    for al, want in LANG_CASES:
        got = {}
        for name, fn, mark in pages:
            r = fn(srv, al)
            got[name] = (lang_of(r) if blocked(r) and mark in r.body
                         else "not its page (%s %r)" % (r.status, (r.body or b"")[:200]))
        ck.ok("Accept-Language %r: URL, virus, DLP and default pages all %s" % (al, want),
              all(v == want for v in got.values()), got)


def g_titles(ck, srv):
    r = virus_page(srv, None)
    ck.ok("virus page titled 'Virus detected'",
          blocked(r) and b"<title>Virus detected" in r.body, (r.body or b"")[:300])
    r = dlp_page(srv, "ja")
    ck.ok("DLP page (ja) titled 情報漏えい防止",
          blocked(r) and "<title>情報漏えい防止".encode() in r.body, (r.body or b"")[:300])
    r = default_page(srv, None)
    ck.ok("default page titled 'Access blocked', names the module",
          blocked(r) and b"<title>Access blocked" in r.body and b"test_block" in r.body,
          (r.body or b"")[:600])
    r = url_page(srv, None)
    ck.ok("URL page titled 'Access to this web page is blocked'",
          blocked(r) and b"<title>Access to this web page is blocked" in r.body,
          (r.body or b"")[:300])


def g_templates(ck, srv):
    r = virus_page(srv, "ja")
    ck.ok("virus_scan.templates: virus.ja.html replaces the Japanese virus page",
          blocked(r) and b"ADMIN-VIRUS-JA" in r.body and "ウイルス".encode() in r.body,
          (r.body or b"")[:300])
    r = virus_page(srv, "en")
    ck.ok("virus_scan.templates: the English virus page stays built-in",
          blocked(r) and b"ADMIN-VIRUS-JA" not in r.body and b"Virus detected" in r.body)
    r = dlp_page(srv, "en")
    ck.ok("dlp.templates: block.en.html replaces every English DLP page",
          blocked(r) and b"ADMIN-DLP-EN" in r.body and b"test@example.com" not in r.body,
          (r.body or b"")[:300])
    r = default_page(srv, "ja")
    ck.ok("sekisho.PageTemplates: block.ja.html replaces the default Japanese page",
          blocked(r) and b"ADMIN-CORE-JA" in r.body, (r.body or b"")[:300])
    r = default_page(srv, "en")
    ck.ok("sekisho.PageTemplates: English default page stays built-in",
          blocked(r) and b"ADMIN-CORE-JA" not in r.body and b"Access blocked" in r.body)


def g_too_large(ck, srv):
    srv.policy_cmd("set", "av.max-scan-size", "1K")
    body = b"A" * 4096
    deadline = time.monotonic() + 10
    r = virus_page(srv, None, body=body)
    while not blocked(r) and time.monotonic() < deadline:  # policy re-read each second
        time.sleep(0.3)
        r = virus_page(srv, None, body=body)
    page = r.body or b""
    ck.ok("size-limit block titled 'File too large to scan'",
          blocked(r) and b"<title>File too large to scan" in page, page[:400])
    ck.ok("size-limit page does not say virus", b"Virus detected" not in page)
    r = virus_page(srv, "ja", body=body)
    ck.ok("size-limit page in Japanese has its own title",
          blocked(r) and "ファイルが大きすぎて検査できません".encode() in (r.body or b""))


def g_options(ck, build, clamav):
    """Module options are checked against the descriptor's table through the
    real launcher: a typo or a bad value stops start-up naming the
    directive; the size grammar is the same as everywhere ("1MB", "0")."""
    for line, want in (
            ("sekisho.Option dlp.max-decodd 1M", "sekisho.Option dlp.max-decodd"),
            ("sekisho.Option dlp.on-limit maybe", "sekisho.Option dlp.on-limit 'maybe'"),
            ("sekisho.Option virus-scan.max-files 10", "no module 'virus-scan'"),
            ("sekisho.Option virus_scan.templates /nonexistent/x",
             "sekisho.Option virus_scan.templates '/nonexistent/x'")):
        s = SekishoServer(build, modules="virus_scan dlp", name="opt",
                          config_text=line + "\n", extra_args=["--clamav-db", clamav])
        s.init_db()
        rc, out, err = run_launcher_expect_failure(s)
        ck.ok("%s: start-up fails (exit 1) naming the directive" % line,
              rc == 1 and want in err, "rc %r stderr %r" % (rc, err[-600:]))
        s.cleanup()
    s = SekishoServer(build, modules="virus_scan dlp", name="opt",
                      config_text="sekisho.Option dlp.max-decoded 1MB\n"
                                  "sekisho.Option virus_scan.max-scansize 1MiB\n"
                                  "sekisho.Option virus_scan.memory-threshold 0\n",
                      extra_args=["--clamav-db", clamav])
    try:
        s.init_db()
        s.start()
        ck.ok("1MB, 1MiB and 0 accepted as module option sizes", True)
    except StartupError as e:
        ck.ok("1MB, 1MiB and 0 accepted as module option sizes", False, str(e))
    finally:
        s.stop()
        s.cleanup()


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    a = ap.parse_args()
    build = os.path.abspath(a.build_dir)
    ck = Check("integration-pages")
    tb = os.path.join(build, "tests", "modules", "test_block.so")
    ck.ok("built: test_block.so", os.path.exists(tb))
    if ck.failed:
        return ck.summary()
    probe = SekishoServer(build, name="pages")
    tmp = probe.tmp
    dirs = {k: os.path.join(tmp, k) for k in ("clamav", "vs", "dlp", "core")}
    for d in dirs.values():
        os.makedirs(d)
    write(os.path.join(dirs["vs"], "virus.ja.html"),
          '<!DOCTYPE html><html lang="ja"><title>{{title}}</title>ADMIN-VIRUS-JA {{rule}} '
          '{{url}}</html>\n')
    write(os.path.join(dirs["dlp"], "block.en.html"),
          '<!DOCTYPE html><html lang="en"><title>{{title}}</title>ADMIN-DLP-EN {{rule}} '
          '{{detail}}</html>\n')
    write(os.path.join(dirs["core"], "block.ja.html"),
          '<!DOCTYPE html><html lang="ja"><title>{{title}}</title>ADMIN-CORE-JA {{detail}}'
          '</html>\n')
    conf = ("sekisho.Option virus_scan.templates %s\nsekisho.Option dlp.templates %s\n"
            "sekisho.PageTemplates %s\n" % (dirs["vs"], dirs["dlp"], dirs["core"]))
    srv = SekishoServer(build, modules="url_block virus_scan dlp %s" % tb, name="pages",
                        config_text=conf, extra_args=["--clamav-db", dirs["clamav"]])
    try:
        srv.init_db()
        srv.policy_cmd("url", "add", "--list", "block", "--match", "domain", "blocked.test")
        srv.policy_cmd("dlp", "add", "mail", "--detector", "email", "--action", "block")
        srv.start()
        ck.ok("server starts with url_block virus_scan dlp test_block", True)
    except StartupError as e:
        ck.ok("server starts with url_block virus_scan dlp test_block", False, str(e))
        srv.cleanup()
        probe.cleanup()
        return ck.summary()
    try:
        for fn in (g_agree, g_titles, g_templates, g_too_large):
            fn(ck, srv)
    finally:
        srv.stop()
    try:
        g_options(ck, build, dirs["clamav"])
    finally:
        check_asan(ck)
        srv.cleanup()
        probe.cleanup()
    return ck.summary()


if __name__ == "__main__":
    main_wrapper(main)
