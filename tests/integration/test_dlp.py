#!/usr/bin/env python3
"""Integration test of the dlp module: the real c-icap daemon through the
sekisho-server launcher with --modules dlp, policy written with the
sekisho-policy CLI while the server runs.

Covers: the CLI contract (dlp add/list/rm, refusals with exit 2), the IWSS
acceptance case (template "all e-mail addresses" blocks an upload holding
test@example.com and lets it pass once DLP is switched off), multipart
uploads, a JSON API call, Content-Encoding gzip, a docx and a zip holding a
My Number, a card straddling ICAP chunks, preview + Allow: 204, log-only
templates, masked samples in the access log, the en/ja block page."""

import argparse
import io
import json
import os
import quopri
import re
import subprocess
import sys
import time
import gzip

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from icaplib import serve_checked, wait_live  # noqa: E402  (issue 16)
from icaplib import (Check, SekishoServer, http_req_head,  # noqa: E402
                     transact, zip_bytes)

UPLOAD_URL = "http://upload.example/submit"


def multipart(fields, boundary="----sekishoDLP7MA4YWxk"):
    out = io.BytesIO()
    for name, filename, ctype, data in fields:
        out.write(b"--" + boundary.encode() + b"\r\n")
        disp = 'Content-Disposition: form-data; name="%s"' % name
        if filename:
            disp += '; filename="%s"' % filename
        out.write(disp.encode() + b"\r\n")
        if ctype:
            out.write(b"Content-Type: " + ctype.encode() + b"\r\n")
        out.write(b"\r\n" + data + b"\r\n")
    out.write(b"--" + boundary.encode() + b"--\r\n")
    return out.getvalue(), "multipart/form-data; boundary=" + boundary


def post(srv, body, ctype, extra=(), preview=None, allow204=True, chunk_size=65536,
         chunks=None):
    hdr = http_req_head("POST", UPLOAD_URL, host="upload.example",
                        extra=["Content-Type: " + ctype] + list(extra), body_len=len(body))
    c = srv.conn()
    try:
        return transact(c, "REQMOD", srv.url("reqmod"), req_hdr=hdr, body=body,
                        preview=preview, allow204=allow204, chunk_size=chunk_size,
                        chunks=chunks)
    finally:
        c.close()


def blocked(r):
    return r.status == 200 and r.http_status() == 403


def passed(r):
    # 204, or the request handed back unchanged
    return r.status == 204 or (r.status == 200 and r.parts.get("req-hdr") is not None
                               and r.http_status() is None)


def until(fn, timeout=8.0):
    """The server re-reads the policy at most once a second: poll."""
    deadline = time.monotonic() + timeout
    r = fn()
    while not r[0] and time.monotonic() < deadline:
        time.sleep(0.3)
        r = fn()
    return r


def log_entries(srv):
    out = []
    for ln in srv.log_lines():
        if ln.strip():
            try:
                out.append(json.loads(ln))
            except ValueError:
                pass
    return out


def last_entry_with(srv, needle, timeout=5.0):
    """The last access-log entry mentioning NEEDLE, polled (the line is
    written when the transaction ends, maybe after the answer): "" if none
    appeared within TIMEOUT. Issue 16: no sleep-then-assert, and a check
    on its text must first require that it was found."""
    ok, ent = until(lambda: (lambda e: (bool(e), e))(
        [e for e in log_entries(srv) if needle in json.dumps(e, ensure_ascii=False)]), timeout)
    return json.dumps(ent[-1], ensure_ascii=False) if ent else ""


def g_cli(ck, srv):
    p = srv.policy_cmd("dlp", "add", "bad", "--detector", "visa", "--action", "block",
                       check=False)
    ck.eq("CLI: unknown detector refused with exit 2", p.returncode, 2)
    ck.ok("CLI: the refusal names the detector", b"unknown detector 'visa'" in p.stderr,
          p.stderr)
    p = srv.policy_cmd("dlp", "add", "bad", "--detector", "regex:([0-9]", "--action",
                       "block", check=False)
    ck.eq("CLI: invalid regex refused with exit 2", p.returncode, 2)
    ck.ok("CLI: the refusal quotes PCRE2", b"invalid regex" in p.stderr, p.stderr)
    p = srv.policy_cmd("dlp", "add", "bad", "--detector", "email", "--action", "drop",
                       check=False)
    ck.eq("CLI: invalid action refused with exit 2", p.returncode, 2)
    p = srv.policy_cmd("dlp", "rm", "nothing-here", check=False)
    ck.eq("CLI: removing an unknown template is exit 2", p.returncode, 2)
    p = srv.policy_cmd("dlp", "list", "--json")
    names = [t["name"] for t in json.loads(p.stdout)]
    ck.ok("CLI: dlp list --json lists the templates (%s)" % names,
          "all e-mail addresses" in names)


def g_iwss(ck, srv):
    body, ctype = multipart([("comment", None, None, b"see attachment"),
                             ("upload", "contacts.txt", "text/plain",
                              b"Please write to test@example.com tomorrow.\n")])
    r = post(srv, body, ctype)
    ck.ok("IWSS: upload holding test@example.com is blocked (ICAP %s, HTTP %s)"
          % (r.status, r.http_status()), blocked(r))
    page = r.body or b""
    ck.ok("IWSS: block page says information leak prevention",
          b"nformation leak prevention" in page, page[:300])
    ck.ok("IWSS: block page names the template", b"all e-mail addresses" in page)
    ck.ok("IWSS: block page does not echo the address", b"test@example.com" not in page)
    text = last_entry_with(srv, "all e-mail addresses")
    ck.ok("IWSS: access log records the template", bool(text))
    ck.ok("IWSS: access log has the masked sample (t***@example.com)",
          "t***@example.com" in text, text[:400])
    ck.ok("IWSS: access log (found) never has the address in clear",
          bool(text) and "test@example.com" not in text, text[:400])

    srv.policy_cmd("set", "dlp.enabled", "off")
    ok, r = until(lambda: (lambda x: (passed(x), x))(post(srv, body, ctype)))
    ck.ok("IWSS: with dlp.enabled off the same upload passes (ICAP %s)" % r.status, ok)
    srv.policy_cmd("set", "dlp.enabled", "on")
    ok, r = until(lambda: (lambda x: (blocked(x), x))(post(srv, body, ctype)))
    ck.ok("IWSS: switched on again, it is blocked again", ok)
    r = post(srv, body, ctype, extra=["Accept-Language: ja,en;q=0.5"])
    ck.ok("block page in Japanese for Accept-Language: ja",
          "情報漏えい防止".encode() in (r.body or b""))


def g_formats(ck, srv):
    srv.policy_cmd("dlp", "add", "cards", "--detector", "credit-card", "--action", "block")
    srv.policy_cmd("dlp", "add", "マイナンバー", "--detector", "my-number", "--action", "block")
    wait_live(srv)  # both commits (a reload may come between them)
    api = json.dumps({"order": 17, "payment": {"card": "4111 1111 1111 1111"}}).encode()
    ok, r = until(lambda: (lambda x: (blocked(x), x))(post(srv, api, "application/json")))
    ck.ok("JSON API call with a card number is blocked", ok)
    ck.ok("the page names template 'cards'", b"cards" in (r.body or b""))
    ck.ok("a JSON body with an invalid card passes",
          passed(post(srv, api.replace(b"1111\"", b"1112\""), "application/json")))

    text = b"x" * 70000 + b" card 4111-1111-1111-1111 " + b"y" * 70000
    r = post(srv, text, "text/plain", chunk_size=70010)
    ck.ok("card straddling two ICAP chunks is found", blocked(r))
    r = post(srv, text, "text/plain", preview=1024, allow204=True, chunk_size=4096)
    ck.ok("with preview 1024 and Allow: 204 the card is still found", blocked(r))
    gz = gzip.compress(b"name,card\ntaro,4111111111111111\n")
    r = post(srv, gz, "text/csv", extra=["Content-Encoding: gzip"])
    ck.ok("Content-Encoding gzip body is decoded and blocked", blocked(r))

    docx = zip_bytes([("[Content_Types].xml", "<Types/>"),
                      ("word/document.xml",
                       "<w:document><w:body><w:p><w:r><w:t>個人番号：1234 5678</w:t></w:r>"
                       "<w:r><w:t> 9018</w:t></w:r></w:p></w:body></w:document>")])
    body, ctype = multipart([("f", "report.docx",
                              "application/vnd.openxmlformats-officedocument."
                              "wordprocessingml.document", docx)])
    r = post(srv, body, ctype)
    ck.ok("docx holding a My Number is blocked", blocked(r))
    plain = zip_bytes([("staff/list.txt", "マイナンバー 123456789018\n".encode("shift_jis"))])
    body, ctype = multipart([("f", "staff.zip", "application/zip", plain)])
    r = post(srv, body, ctype)
    ck.ok("zip holding a Shift_JIS My Number is blocked", blocked(r))
    body, ctype = multipart([("a", None, None, b"4111 1111"), ("b", None, None, b"1111 1111")])
    ck.ok("a card split over two form fields does not match", passed(post(srv, body, ctype)))
    u16 = "カード番号：４１１１－１１１１－１１１１－１１１１".encode("utf-16")
    ck.ok("UTF-16 text with full-width digits is blocked",
          blocked(post(srv, u16, "text/plain; charset=utf-16")))


def get(srv, url, method="GET", body=b""):
    """A request with URL and BODY (none for a GET), Allow: 204."""
    hdr = http_req_head(method, url, host="upload.example", body_len=len(body),
                        extra=["Content-Type: text/plain"] if body else [])
    c = srv.conn()
    try:
        return transact(c, "REQMOD", srv.url("reqmod"), req_hdr=hdr, body=body or None,
                        allow204=True)
    finally:
        c.close()


def g_url(ck, srv):
    """dlp.inspect-url: the path and the query leave as a body does (a GET
    form, a search box, an API path); a fragment never leaves."""
    base = "http://search.example"
    card = [("query, + for spaces", "/search?q=4111+1111+1111+1111"),
            ("query, no spaces", "/s?a=1&q=4111111111111111"),
            ("path segment", "/api/cards/4111111111111111/charge"),
            ("query, a digit %-escaped", "/s?q=%34111111111111111"),
            ("query, full-width digits %-escaped",
             "/s?q=" + "".join("%%%02X" % b for b in "４１１１".encode()) + "111111111111"),
            ("query, an HTML reference %-escaped", "/s?q=%26%2352;111111111111111"),
            ("query, base64 (no digit at all)", "/x?d=NDExMTExMTExMTExMTExMQ==")]
    for label, path in card:
        ok, r = until(lambda: (lambda x: (blocked(x), x))(get(srv, base + path)))
        ck.ok("GET, card in the %s: blocked (ICAP %s HTTP %s)"
              % (label, r.status, r.http_status()), ok)
    text = last_entry_with(srv, "URL path")
    ck.ok("access log: the card was in the URL path, masked; the URL shown up to the path",
          "4111 **** **** 1111 (in URL path)" in text and "4111111111111111" not in text
          and '"http://search.example/[hidden]"' in text, text[:600])
    r = get(srv, base + "/search?q=4111+1111+1111+1111")
    page = r.body or b""
    ck.ok("the block page does not show the card (it shows the URL up to its query)",
          blocked(r) and b"4111" not in page and b"search.example/search?[hidden]" in page,
          page[:600])
    text = last_entry_with(srv, '"http://search.example/search?[hidden]"')
    ck.ok("access log: the card was in the URL query, masked; the path is shown",
          "4111 **** **** 1111 (in URL query)" in text and "4111" not in text.replace(
              "4111 **** **** 1111", ""), text[:600])
    r = get(srv, base + "/upload?note=4111-1111-1111-1111", "POST", b"nothing here")
    ck.ok("POST of a clean body, card in the query: blocked", blocked(r))
    for label, path in [("mail address in the query", "/u?to=bob@example.org"),
                        ("mail address, @ %-escaped", "/u?to=bob%40example.org")]:
        ck.ok("GET, %s: blocked (template 'all e-mail addresses')" % label,
              blocked(get(srv, base + path)))
    for label, path in [("a card after '#' (never sent by a browser)",
                         "/page#4111111111111111"),
                        ("an order number that fails the check digit", "/o?id=4111111111111112"),
                        ("8 digits", "/o?id=41111111"),
                        ("nothing after the host", "/"),
                        ("a card in the host name part (not path, not query)", "")]:
        url = base + path if path else "http://4111111111111111.example"
        r = get(srv, url)
        ck.ok("GET, %s: passes (ICAP %s)" % (label, r.status), r.status == 204)
    c = srv.conn()
    try:
        r = transact(c, "REQMOD", srv.url("reqmod"), allow204=True,
                     req_hdr=b"CONNECT 4111111111111111.example:443 HTTP/1.1\r\n"
                             b"Host: 4111111111111111.example:443\r\n\r\n")
    finally:
        c.close()
    ck.ok("CONNECT: no path, no query: passes (ICAP %s)" % r.status, r.status == 204)
    # a keyword needs neither digits nor '@': every URL is read
    srv.policy_cmd("dlp", "add", "hinoki", "--detector", "keyword:hinoki plan", "--action",
                   "block")
    ok, r = until(lambda: (lambda x: (blocked(x), x))(get(srv, base + "/docs?t=hinoki+plan")))
    ck.ok("GET, a keyword template's words in the query (no digit, no '@', no '%'): blocked",
          ok)
    srv.policy_cmd("dlp", "rm", "hinoki")
    srv.policy_cmd("set", "dlp.inspect-url", "off")
    ok, r = until(lambda: (lambda x: (passed(x), x))(get(srv, base + card[0][1])))
    ck.ok("dlp.inspect-url off: the card in the query passes (ICAP %s)" % r.status, ok)
    r = get(srv, base + card[0][1], "POST", b"card 4111 1111 1111 1111")
    ck.ok("dlp.inspect-url off: a card in the body is still blocked", blocked(r))
    srv.policy_cmd("unset", "dlp.inspect-url")
    ok, r = until(lambda: (lambda x: (blocked(x), x))(get(srv, base + card[0][1])))
    ck.ok("dlp.inspect-url back to its default (on): blocked again", ok)


def g_log_only(ck, srv):
    srv.policy_cmd("dlp", "rm", "cards")
    srv.policy_cmd("dlp", "add", "cards-log", "--detector", "credit-card", "--min-count", "2",
                   "--action", "log")
    body = b"cards: 4111111111111111 and 5555-5555-5555-4444"

    # Both commits must be live: a reload after the first alone (policy
    # commits are live in ~0.2 s) passes the upload with no template at all.
    wait_live(srv)

    def once():
        r = post(srv, body, "text/plain")
        return passed(r) and bool(last_entry_with(srv, "cards-log")), r
    ok, r = until(once)
    ck.ok("log-only template lets the upload through (ICAP %s)" % r.status, ok)
    text = last_entry_with(srv, "cards-log")
    ck.ok("log-only hit is in the access log", bool(text))
    ck.ok("access log: detector, count and masked sample",
          "credit-card x2: 4111 **** **** 1111" in text, text[:400])
    ck.ok("access log (found): no card number in clear",
          bool(text) and "4111111111111111" not in text and "5555555555554444" not in text
          and "5555-5555" not in text, text[:400])
    # The client allowed 204, so the inspected upload is not echoed back;
    # what was found still reaches the proxy on the 204 itself.
    srv.policy_cmd("set", "icap.x-violations-found", "on")

    def with_header():
        r = post(srv, body, "text/plain")
        return r.status == 204 and bool(r.header("X-Violations-Found")), r
    ok, r = until(with_header)
    ck.ok("log-only hit, Allow: 204: answered 204 with X-Violations-Found (%s %r)"
          % (r.status, r.header("X-Violations-Found")), ok)
    ck.ok("X-Violations-Found names the template, no card number",
          "cards-log" in (r.header("X-Violations-Found") or "") and
          "4111" not in (r.header("X-Violations-Found") or ""), r.header("X-Violations-Found"))
    srv.policy_cmd("unset", "icap.x-violations-found")


SYSPY = "/usr/bin/python3"  # Debian's python3-vobject lives there
VOBJECT = """
import sys, vobject
out = []
def walk(c):
    for ch in c.getChildren():
        if isinstance(ch, vobject.base.Component):
            walk(ch)
        elif isinstance(ch.value, str):
            out.append(ch.value)
for comp in vobject.readComponents(sys.stdin.buffer.read().decode("utf-8")):
    walk(comp)
print("\\n".join(out))
"""


def dirtext_samples(card):
    """(name, content type, file name, body, oracle): a card in iCalendar
    and vCard text, where folding, escapes or quoted-printable split it.
    Oracle 'vobject' (python3-vobject reads the file) or 'qp' (the
    property's value by Python's quopri: RFC 2045, vCard 2.1)."""
    cal = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:call\r\n%sEND:VEVENT\r\nEND:VCALENDAR\r\n"
    g = card.split(" ")
    return [
        ("ics: a fold inside a group", "text/calendar", None,
         cal % ("DESCRIPTION:card %s %s\r\n %s %s %s\r\n" % (g[0], g[1][:2], g[1][2:], g[2], g[3])),
         "vobject"),
        ("ics: a fold inside an unspaced number", "application/octet-stream", "invite.ics",
         cal % ("DESCRIPTION:card %s\r\n\t%s\r\n" % ("".join(g[:2]), "".join(g[2:]))), "vobject"),
        ("ics: an escaped line end before the number", "text/calendar", None,
         cal % ("DESCRIPTION:card\\n%s\r\n" % card), "vobject"),
        ("ics: a fold between an escape's two bytes", "text/calendar", None,
         cal % ("DESCRIPTION:card\\\r\n n%s\r\n" % card), "vobject"),
        ("vcf 3.0: a fold, undeclared (BEGIN:VCARD sniffed)", "application/octet-stream", None,
         "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nNOTE:card %s%s\r\n %s%s\r\nEND:VCARD\r\n" % tuple(g),
         "vobject"),
        ("vcf 2.1: quoted-printable spaces", "text/x-vcard", None,
         "BEGIN:VCARD\r\nVERSION:2.1\r\nNOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:card=20%s\r\nEND:VCARD\r\n"
         % "=20".join(g), "qp"),
        ("vcf 2.1: a quoted-printable soft line break", "text/x-vcard", "contacts.vcf",
         "BEGIN:VCARD\r\nVERSION:2.1\r\nNOTE;QUOTED-PRINTABLE:card %s %s=\r\n %s %s\r\nEND:VCARD\r\n"
         % tuple(g), "qp"),
    ]


def dirtext_oracle(body, kind):
    if kind == "qp":
        value = body.split("PRINTABLE", 1)[1].split(":", 1)[1].split("\r\nEND:VCARD")[0]
        return quopri.decodestring(value.encode()).decode("utf-8", "replace")
    p = subprocess.run([SYSPY, "-c", VOBJECT], input=body.encode(), capture_output=True)
    return p.stdout.decode("utf-8", "replace") + p.stderr.decode("utf-8", "replace")


def g_dirtext(ck, srv):
    """iCalendar and vCard (dlp_dirtext.c): a card split by a folded line,
    behind an escape or in vCard 2.1's quoted-printable passed (0 of 7
    blocked before). Each sample: the reference reader shows the card, the
    upload is blocked (also as a form's file part), the same file with an
    invalid number passes byte-identical."""
    ck.ok("python3-vobject is installed (deps.sh test)",
          subprocess.run([SYSPY, "-c", "import vobject"], capture_output=True).returncode == 0)
    srv.policy_cmd("dlp", "add", "cards", "--detector", "credit-card", "--action", "block",
                   check=False)
    wait_live(srv)
    card, bad = "4111 1111 1111 1111", "4111 1111 1111 1112"
    for (name, ctype, fname, body, oracle), (_, _, _, clean, _) in zip(
            dirtext_samples(card), dirtext_samples(bad)):
        shown = re.sub(r"[ \t]", "", dirtext_oracle(body, oracle))
        ck.ok("%s: the reference reader (%s) shows the card" % (name, oracle),
              card.replace(" ", "") in shown, shown[:200])
        ck.ok("%s: blocked" % name, blocked(post(srv, body.encode(), ctype)))
        mp, mct = multipart([("f", fname or "x.ics", ctype, body.encode())])
        ck.ok("%s, as a form's file part: blocked" % name, blocked(post(srv, mp, mct)))
        ck.ok("%s, an invalid number: passes" % name, passed(post(srv, clean.encode(), ctype)))


GROUPS = [("cli", g_cli), ("iwss", g_iwss), ("formats", g_formats), ("url", g_url),
          ("log_only", g_log_only), ("dirtext", g_dirtext)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    a = ap.parse_args()
    build = os.path.abspath(a.build_dir)
    ck = Check("integration-dlp")
    so = os.path.join(build, "lib", "sekisho", "modules", "dlp.so")
    ck.ok("built: dlp.so exists", os.path.exists(so))
    if ck.failed:
        return ck.summary()
    srv = SekishoServer(build, modules="dlp xheaders", name="dlp")

    def setup(srv):
        srv.policy_cmd("dlp", "add", "all e-mail addresses", "--detector", "email",
                       "--action", "block")

    def body():
        for name, fn in GROUPS:
            ck.group(name, fn, ck, srv)

    serve_checked(ck, srv, "server starts with --modules dlp", 2, setup, body)
    return ck.summary()


if __name__ == "__main__":
    sys.exit(main())
