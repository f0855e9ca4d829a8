#!/usr/bin/env python3
"""Differential test of request bodies against real backend parsers: a
body Sekisho reads one way and the web application behind it another is a
way past DLP and virus_scan. Each variant below (multipart/form-data,
urlencoded and JSON requests: boundary quoting, case and white space,
RFC 2231 parameters, LF-only line ends, folding, preamble and epilogue,
missing close delimiters, duplicate and odd part headers, transfer
encodings, nested multipart, long headers, NUL bytes, %u escapes, ';'
separators, JSON escapes, numbers and BOMs...) is sent as a raw HTTP
request to each backend, started here on loopback from Debian packages
(contrib/deps.sh test):

  php       php -S (php-cli): $_POST, $_FILES, json_decode
  busboy    node-busboy (Express' multer, Fastify's multipart)
  formidable node-formidable
  multipart python3-multipart (Starlette, FastAPI)
  email     the standard library's email parser (policy.HTTP)
  cgi       cgi.FieldStorage (Python 3.11)
  node/py   JSON.parse, json.loads; urllib.parse.parse_qsl

Every backend answers with the fields and files it extracted. When any of
them extracts the card number (4111 1111 1111 1111, after NFKC and with
separators dropped; in a name too) or the EICAR string (in a field's value
or a file: a name is no file), Sekisho (the real daemon, dlp and
virus_scan on, default policy) must block the same request (HTTP 403). A
clean twin (the payload with one character changed) that every backend
reads as clean must pass byte-identical, unless the variant is listed in
AMBIGUOUS with the reason Sekisho gives its failure verdict. A backend
that cannot be started fails the test (no skip).

Usage: test_backends.py --build-dir BUILD [--only NAME-SUBSTRING ...] [--show]
"""

import argparse
import base64
import concurrent.futures
import gzip
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unicodedata
import urllib.parse
import zipfile
import io

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from icaplib import (Check, SekishoServer, StartupError, check_asan, free_port,  # noqa: E402
                     main_wrapper, serve_checked)
from test_evasion import EICAR, blocked, passed_identical, reqmod  # noqa: E402

CARD = b"4111 1111 1111 1111"
PAYLOADS = {"card": CARD, "eicar": EICAR}
CLEAN = {"card": b"4111 1111 1111 1112", "eicar": EICAR.replace(b"EICAR", b"EICAX")}
B = "SkB0und"  # the boundary most variants use

MP_BACKENDS = ["php", "busboy", "formidable", "multipart", "email", "cgi"]
UE_BACKENDS = ["php", "busboy", "formidable", "py"]
JSON_BACKENDS = ["php", "node", "py"]


# ---- variants: (ct, body, extra header lines) from a payload P -------------

def crlf(s):
    return s.replace(b"\n", b"\r\n")


def part(p, name=b"f", filename=None, hdrs=(), nl=b"\r\n", bnd=B.encode()):
    cd = b"Content-Disposition: form-data; name=\"" + name + b"\""
    if filename is not None:
        cd += b"; filename=\"" + filename + b"\""
    return b"--" + bnd + nl + nl.join([cd] + list(hdrs)) + nl + nl + p + nl


def close(nl=b"\r\n", bnd=B.encode()):
    return b"--" + bnd + b"--" + nl


def mp(ct_params="; boundary=" + B):
    return "multipart/form-data" + ct_params


def v_field(p):
    return mp(), part(p) + close()


def v_file(p):
    return mp(), part(p, filename=b"a.txt", hdrs=[b"Content-Type: text/plain"]) + close()


def v_lf(p):
    return mp(), part(p, filename=b"a.txt", nl=b"\n") + close(b"\n")


def v_ct(params):
    return lambda p: (mp(params), part(p, filename=b"a.txt") + close())


def v_quoted_esc(p):
    return mp('; boundary="a\\"b"'), part(p, filename=b"a.txt", bnd=b'a"b') + close(bnd=b'a"b')


def v_xboundary(p):
    # PHP takes the first "boundary" substring of the header
    return (mp("; xboundary=AAA; boundary=BBB"),
            part(p, filename=b"a.txt", bnd=b"AAA") + close(bnd=b"AAA"))


def v_boundary_in_param(p):
    return (mp('; foo="boundary=AAA"; boundary=BBB'),
            part(p, filename=b"a.txt", bnd=b"AAA") + close(bnd=b"AAA"))


def v_both_boundaries(p):
    # delimited by both AAA (PHP's reading) and BBB (everyone else's)
    inner = part(p, filename=b"a.txt", bnd=b"AAA") + close(bnd=b"AAA")
    return mp("; xboundary=AAA; boundary=BBB"), part(inner, name=b"x", bnd=b"BBB") + close(bnd=b"BBB")


def v_php_boundary_in(ct_part, head):
    """PHP and formidable take the first "boundary" substring (xboundary=AAA),
    everyone else BBB: the AAA part PHP reads sits inside a BBB part of
    another type (an image, a zip, a PDF)."""
    def f(p):
        inner = head + b"\r\n--AAA\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n" + p + \
            b"\r\n--AAA--\r\n"
        return (mp("; xboundary=AAA; boundary=BBB"),
                part(inner, filename=b"a.bin", hdrs=[b"Content-Type: " + ct_part], bnd=b"BBB") +
                close(bnd=b"BBB"))
    return f


def v_b64_after(*hdr_lines):
    """A base64-encoded payload after header lines HDR_LINES."""
    def f(p):
        return mp(), (b"--" + B.encode() + b"\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n" +
                      b"".join(h + b"\r\n" for h in hdr_lines) + b"\r\n" + base64.encodebytes(p) + b"\r\n" +
                      close())
    return f


def zip_with_comment(c):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("notes.txt", b"nothing here " * 20)
        z.comment = c
    return b.getvalue()


def tar_with_trailer(c):
    import tarfile
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w") as t:
        ti = tarfile.TarInfo("notes.txt")
        data = b"nothing here\n" * 10
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
    return b.getvalue() + c


def pdf_with_comment(c):
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"]
    out, offs = b"%PDF-1.4\n%" + c + b"\n", []
    for i, o in enumerate(objs):
        offs.append(len(out))
        out += b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n"
    x = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offs)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)


def qp_all(p):
    return b"=\r\n".join(b"".join(b"=%02X" % c for c in p[i:i + 20]) for i in range(0, len(p), 20))


def v_qp_after(*hdr_lines):
    """A payload quoted-printable-encoded byte by byte after HDR_LINES."""
    def f(p):
        return mp(), (b"--" + B.encode() + b"\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n" +
                      b"".join(h + b"\r\n" for h in hdr_lines) + b"\r\n" + qp_all(p) + b"\r\n" + close())
    return f


def utf7_all(p):
    """Every character of P in UTF-7's base64 form (digits too)."""
    return b"+" + base64.b64encode(p.decode("latin-1").encode("utf-16-be")).rstrip(b"=") + b"-"


def v_field_cs(cs, enc):
    """A field (no file name) declared in charset CS, its bytes ENC(P):
    busboy decodes a field by its part's charset."""
    return lambda p: (mp(), part(enc(p), hdrs=[b"Content-Type: text/plain; charset=" + cs]) + close())


def v_preamble(p):
    return mp(), b"preamble line\r\n--" + B.encode() + b"x\r\n\r\n" + part(p, filename=b"a") + close()


def v_epilogue_part(p):
    return mp(), part(b"clean") + close() + part(p, filename=b"a.txt") + close()


def v_no_close(p):
    return mp(), part(p, filename=b"a.txt")


def v_no_close_nl(p):
    return mp(), part(p, filename=b"a.txt")[:-2]


def v_close_no_nl(p):
    return mp(), part(p, filename=b"a.txt") + close()[:-2]


def v_hdr(*hdr_lines, filename=b"a.txt", cd=True):
    def f(p):
        head = list(hdr_lines)
        body = b"--" + B.encode() + b"\r\n"
        if cd:
            body += b"Content-Disposition: form-data; name=\"f\"" + (
                b"; filename=\"" + filename + b"\"" if filename else b"") + b"\r\n"
        return mp(), body + b"".join(h + b"\r\n" for h in head) + b"\r\n" + p + b"\r\n" + close()
    return f


def v_raw(body_fn, params=None):
    return lambda p: (mp(params) if params else mp(), body_fn(p))


def v_nested(p):
    inner = (b"--IN\r\nContent-Disposition: file; filename=\"a.txt\"\r\n\r\n" + p +
             b"\r\n--IN--\r\n")
    return mp(), part(inner, name=b"files", hdrs=[b"Content-Type: multipart/mixed; boundary=IN"]) + close()


def v_b64(p):
    return mp(), part(base64.encodebytes(p), filename=b"a.bin",
                      hdrs=[b"Content-Transfer-Encoding: base64"]) + close()


def v_qp_soft(p):
    # email decodes "=\r\n" soft breaks; nobody else does
    mid = len(p) // 2
    return mp(), part(p[:mid] + b"=\r\n" + p[mid:], filename=b"a.txt",
                      hdrs=[b"Content-Transfer-Encoding: quoted-printable"]) + close()


def v_cte_lie(cte):
    return lambda p: (mp(), part(p, filename=b"a.txt", hdrs=[b"Content-Transfer-Encoding: " + cte]) +
                      close())


def v_part_ct(ct, filename=b"a.txt"):
    return lambda p: (mp(), part(p, filename=filename, hdrs=[b"Content-Type: " + ct]) + close())


def v_bnd_in_data(p):
    return mp(), part(b"x--" + B.encode() + b"\r\n--" + B.encode() + b"y\r\n" + p, filename=b"a") + close()


def v_prefix_delim(p):
    # a line that starts with the delimiter and goes on ("--Bx"): not a
    # delimiter to RFC 2046 readers, the end of the part to prefix matchers
    inner = (b"--" + B.encode() + b"x\r\nContent-Disposition: form-data; name=\"g\"; "
             b"filename=\"b.txt\"\r\n\r\n" + p)
    return mp(), part(b"head\r\n" + inner, filename=b"a.txt",
                      hdrs=[b"Content-Transfer-Encoding: base64"]) + close()


def v_long_hdr(n):
    return v_hdr(b"X-Pad: " + b"a" * n)


def v_many_parts(p):
    return mp(), b"".join(part(b"", name=b"e%d" % i) for i in range(200)) + part(p, filename=b"a") + close()


def v_ue(fn, ct="application/x-www-form-urlencoded"):
    return lambda p: (ct, fn(p))


def pct_all(b):
    return "".join("%%%02X" % c for c in b).encode()


def u_all(b):
    return "".join("%%u%04X" % c for c in b).encode()


def v_json(fn, ct="application/json"):
    return lambda p: (ct, fn(p))


def jstr(p):
    return json.dumps(p.decode("latin-1")).encode()


def ju_all(p):
    return b'"' + "".join("\\u%04x" % c for c in p).encode() + b'"'


def j_digits_number(p, form):
    if p.startswith(b"4111"):
        d = p.replace(b" ", b"")
        return {"int": d, "exp": d[:1] + b"." + d[1:] + b"e15", "e0": d + b"e0",
                "frac": d + b".0"}[form]
    return jstr(p)


VARIANTS = [
    # multipart/form-data
    ("mp field", v_field), ("mp file", v_file), ("mp LF-only", v_lf),
    ("mp boundary quoted", v_ct('; boundary="' + B + '"')),
    ("mp BOUNDARY upper", v_ct("; BOUNDARY=" + B)),
    ("mp boundary = spaced", v_ct("; boundary = " + B)),
    ("mp boundary trailing space", v_ct("; boundary=" + B + " ")),
    ("mp boundary tab", v_ct(";\tboundary=" + B)),
    ("mp charset first", v_ct("; charset=utf-8; boundary=" + B)),
    ("mp comma separator", v_ct(", boundary=" + B)),
    ("mp space before ;", v_ct(" ; boundary=" + B)),
    ("mp empty parameter", v_ct(";; boundary=" + B)),
    ("mp same boundary twice", v_ct("; boundary=" + B + "; boundary=" + B)),
    ("mp request multipart/mixed, base64 declared, raw data",
     lambda p: ("multipart/mixed; boundary=" + B, part(p, filename=b"a.txt",
                                                       hdrs=[b"Content-Transfer-Encoding: base64"]) + close())),
    ("mp request multipart/related, base64 declared, raw data",
     lambda p: ("multipart/related; boundary=" + B, part(p, filename=b"a.txt",
                                                         hdrs=[b"Content-Transfer-Encoding: base64"]) + close())),
    ("mp request multipart/form-data-x, base64 declared, raw data",
     lambda p: ("multipart/form-data-x; boundary=" + B, part(p, filename=b"a.txt",
                                                             hdrs=[b"Content-Transfer-Encoding: base64"]) + close())),
    ("mp request text/plain naming multipart, base64 declared, raw data",
     lambda p: ("text/plain; x=multipart/form-data; boundary=" + B,
                part(p, filename=b"a.txt", hdrs=[b"Content-Transfer-Encoding: base64"]) + close())),
    ("mp request application/octet-stream naming multipart, base64 declared",
     lambda p: ("application/octet-stream; x=multipart/form-data; boundary=" + B,
                part(p, filename=b"a.txt", hdrs=[b"Content-Transfer-Encoding: base64"]) + close())),
    ("mp no space", v_ct(";boundary=" + B)),
    ("mp trailing ;", v_ct("; boundary=" + B + ";")),
    ("mp boundary then param", v_ct("; boundary=" + B + "; charset=utf-8")),
    ("mp boundary*= RFC 2231", v_ct("; boundary*=utf-8''" + B)),
    ("mp boundary*0=", v_ct("; boundary*0=" + B)),
    ("mp boundary quoted escape", v_quoted_esc),
    ("mp xboundary= first", v_xboundary),
    ("mp boundary= inside a quoted param", v_boundary_in_param),
    ("mp both boundaries", v_both_boundaries),
    ("mp PHP's boundary inside a png part", v_php_boundary_in(b"image/png", b"\x89PNG\r\n\x1a\n" + b"\0" * 32)),
    ("mp PHP's boundary inside a zip part", v_php_boundary_in(b"application/zip", b"PK\x03\x04" + b"\0" * 40)),
    ("mp PHP's boundary inside a pdf part", v_php_boundary_in(b"application/pdf", b"%PDF-1.4\n%\xe2\xe3\n")),
    ("mp PHP's boundary after a gzip member", v_php_boundary_in(b"application/gzip", gzip.compress(b"x", mtime=0))),
    ("mp PHP's boundary inside a jpeg part", v_php_boundary_in(b"image/jpeg", b"\xff\xd8\xff\xe0\0\x10JFIF\0")),
    ("mp type upper", lambda p: ("MULTIPART/FORM-DATA; boundary=" + B, part(p, filename=b"a") + close())),
    ("mp preamble", v_preamble), ("mp part after close", v_epilogue_part),
    ("mp no close delimiter", v_no_close), ("mp no close, no CRLF", v_no_close_nl),
    ("mp close without CRLF", v_close_no_nl),
    ("mp folded disposition", v_raw(lambda p: b"--" + B.encode() + b"\r\nContent-Disposition: form-data;\r\n"
                                    b" name=\"f\"; filename=\"a.txt\"\r\n\r\n" + p + b"\r\n" + close())),
    ("mp two dispositions", v_hdr(b"Content-Disposition: form-data; name=\"g\"")),
    ("mp two names", v_hdr(b"Content-Disposition: form-data; name=\"a\"; name=\"b\"; filename=\"x\"", cd=False)),
    ("mp filename*=", v_raw(lambda p: b"--" + B.encode() + b"\r\nContent-Disposition: form-data; name=\"f\"; "
                            b"filename*=UTF-8''a%20b.txt\r\n\r\n" + p + b"\r\n" + close())),
    ("mp no disposition", v_hdr(b"Content-Type: text/plain", cd=False)),
    ("mp header no space", v_raw(lambda p: b"--" + B.encode() + b"\r\nContent-Disposition:form-data;name=f;"
                                 b"filename=a.txt\r\n\r\n" + p + b"\r\n" + close())),
    ("mp header name case", v_raw(lambda p: b"--" + B.encode() + b"\r\ncontent-disposition: FORM-DATA; "
                                  b"NAME=\"f\"; FILENAME=\"a.txt\"\r\n\r\n" + p + b"\r\n" + close())),
    ("mp base64 part", v_b64), ("mp qp soft break", v_qp_soft),
    ("mp CTE base64, raw data", v_cte_lie(b"base64")),
    ("mp CTE quoted-printable, raw data", v_cte_lie(b"quoted-printable")),
    ("mp CTE x-uuencode, raw data", v_cte_lie(b"x-uuencode")),
    ("mp CTE BASE64 upper, raw data", v_cte_lie(b"BASE64")),
    ("mp CTE 7bit", v_cte_lie(b"7bit")), ("mp CTE binary", v_cte_lie(b"binary")),
    ("mp CTE unknown", v_cte_lie(b"x-gzip64")),
    ("mp part charset utf-16", v_part_ct(b"text/plain; charset=utf-16")),
    ("mp field utf-16le bytes, declared", v_field_cs(b"utf-16le", lambda p: p.decode("latin-1").encode("utf-16-le"))),
    ("mp field utf-16 with BOM, declared", v_field_cs(b"utf-16", lambda p: p.decode("latin-1").encode("utf-16"))),
    ("mp field utf-7 bytes, declared", v_field_cs(b"utf-7", utf7_all)),
    ("mp field latin1 declared", v_field_cs(b"iso-8859-1", lambda p: p)),
    ("mp field shift_jis declared, full-width digits", v_field_cs(
        b"shift_jis", lambda p: p.decode("latin-1").translate({c: c + 0xfee0 for c in range(0x21, 0x7f)})
        .encode("shift_jis", "replace"))),
    ("mp part multipart without delimiters", v_part_ct(b"multipart/mixed; boundary=ZZ")),
    ("mp part message/rfc822", v_part_ct(b"message/rfc822")),
    ("mp part content-encoding gzip", v_hdr(b"Content-Encoding: gzip")),
    ("mp nested multipart/mixed", v_nested),
    ("mp payload as field name", lambda p: (mp(), part(b"x", name=p.replace(b'"', b"'")) + close())),
    ("mp payload as file name", lambda p: (mp(), part(b"x", filename=p.replace(b'"', b"'")) + close())),
    ("mp payload as filename*= percent-encoded", v_raw(
        lambda p: b"--" + B.encode() + b"\r\nContent-Disposition: form-data; name=\"f\"; filename*=UTF-8''" +
        pct_all(p) + b"\r\n\r\nx\r\n" + close())),
    ("mp payload as RFC 2047 name", v_raw(
        lambda p: b"--" + B.encode() + b"\r\nContent-Disposition: form-data; name=\"=?utf-8?b?" +
        base64.b64encode(p) + b"?=\"\r\n\r\nx\r\n" + close())),
    ("mp tar with it after the end blocks", lambda p: (mp(), part(tar_with_trailer(p), filename=b"a.tar",
                                                                  hdrs=[b"Content-Type: application/x-tar"]) +
                                                        close())),
    ("mp zip whose comment holds it", lambda p: (mp(), part(zip_with_comment(p), filename=b"a.zip",
                                                            hdrs=[b"Content-Type: application/zip"]) + close())),
    ("mp pdf whose comment holds it", lambda p: (mp(), part(pdf_with_comment(p), filename=b"a.pdf",
                                                            hdrs=[b"Content-Type: application/pdf"]) + close())),
    ("mp PHP's boundary in a zip comment", lambda p: (
        mp("; xboundary=AAA; boundary=BBB"),
        part(zip_with_comment(b"\r\n--AAA\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n" + p +
                              b"\r\n--AAA--\r\n"), filename=b"a.zip", hdrs=[b"Content-Type: application/zip"],
             bnd=b"BBB") + close(bnd=b"BBB"))),
    ("mp form charset utf-16, ASCII field", v_ct("; charset=utf-16; boundary=" + B)),
    ("mp base64 after a line without a colon", v_b64_after(b"Bogus line", b"Content-Transfer-Encoding: base64")),
    ("mp base64, CTE after a bare CR", v_raw(
        lambda p: b"--" + B.encode() + b"\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\"\r"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(p) + b"\r\n" + close())),
    ("mp QP, CTE after a bare CR", v_raw(
        lambda p: b"--" + B.encode() + b"\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\"\r"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" + qp_all(p) + b"\r\n" + close())),
    ("mp QP, CTE after an LF in a CRLF section", v_raw(
        lambda p: b"--" + B.encode() + b"\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\"\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" + qp_all(p) + b"\r\n" + close())),
    ("mp base64, space before the colon", v_b64_after(b"Content-Transfer-Encoding : base64")),
    ("mp base64, CTE 7bit then base64", v_b64_after(b"Content-Transfer-Encoding: 7bit",
                                                    b"Content-Transfer-Encoding: base64")),
    ("mp base64, CTE base64 then 7bit", v_b64_after(b"Content-Transfer-Encoding: base64",
                                                    b"Content-Transfer-Encoding: 7bit")),
    ("mp QP every byte", v_qp_after(b"Content-Transfer-Encoding: quoted-printable")),
    ("mp QP, CTE 7bit then quoted-printable", v_qp_after(b"Content-Transfer-Encoding: 7bit",
                                                         b"Content-Transfer-Encoding: quoted-printable")),
    ("mp QP, CTE quoted-printable then 7bit", v_qp_after(b"Content-Transfer-Encoding: quoted-printable",
                                                         b"Content-Transfer-Encoding: 7bit")),
    ("mp QP, CTE Quoted-Printable", v_qp_after(b"Content-Transfer-Encoding: Quoted-Printable")),
    ("mp base64, CTE with a trailing space", v_b64_after(b"Content-Transfer-Encoding: base64 ")),
    ("mp base64, CTE folded", v_b64_after(b"Content-Transfer-Encoding:", b" base64")),
    ("mp two part types, multipart second", v_hdr(b"Content-Type: text/plain",
                                                  b"Content-Type: multipart/mixed; boundary=ZZ")),
    ("mp request type text/plain naming multipart", lambda p: ("text/plain; x=multipart/form-data; boundary=" + B,
                                                               part(p, filename=b"a") + close())),
    ("mp boundary inside data", v_bnd_in_data),
    ("mp delimiter prefix line in a base64 part", v_prefix_delim),
    ("mp 8 KiB header line", v_long_hdr(8192)), ("mp 70 KiB header line", v_long_hdr(70000)),
    ("mp 4000-byte filename", v_hdr(filename=b"f" * 4000)),
    ("mp 255-character CJK filename", v_hdr(filename=("\u6f22" * 251 + ".txt").encode())),
    ("mp NUL in name", v_raw(lambda p: b"--" + B.encode() + b"\r\nContent-Disposition: form-data; name=\"a\x00b\"; "
                             b"filename=\"a\x00.txt\"\r\n\r\n" + p + b"\r\n" + close())),
    ("mp NUL around data", v_raw(lambda p: part(b"\x00\x00" + p + b"\x00", filename=b"a") + close())),
    ("mp padding after delimiter", v_raw(lambda p: part(p, filename=b"a").replace(
        B.encode() + b"\r\n", B.encode() + b" \t \r\n", 1) + close())),
    ("mp CR-only line ends", v_raw(lambda p: part(p, filename=b"a", nl=b"\r") + close(b"\r"))),
    ("mp mixed line ends", v_raw(lambda p: part(p, filename=b"a") + close(b"\n"))),
    ("mp 200 empty parts first", v_many_parts),
    ("mp 250-byte boundary", lambda p: (mp("; boundary=" + "b" * 250), part(p, filename=b"a", bnd=b"b" * 250) +
                                        close(bnd=b"b" * 250))),
    ("mp boundary starting --", lambda p: (mp("; boundary=--x"), part(p, filename=b"a", bnd=b"--x") +
                                           close(bnd=b"--x"))),
    ("mp quoted boundary with space", lambda p: (mp('; boundary="a b"'), part(p, filename=b"a", bnd=b"a b") +
                                                 close(bnd=b"a b"))),
    # application/x-www-form-urlencoded
    ("ue plain", v_ue(lambda p: b"a=1&c=" + urllib.parse.quote_plus(p).encode())),
    ("ue every byte %XX", v_ue(lambda p: b"c=" + pct_all(p))),
    ("ue %u escapes", v_ue(lambda p: b"c=" + u_all(p))),
    ("ue overlong UTF-8", v_ue(lambda p: b"c=" + b"".join(b"%%C0%%%02X" % (0x80 | (c & 0x3f)) if c < 0x80
                                                            else b"%%%02X" % c for c in p))),
    ("ue ; separator", v_ue(lambda p: b"a=1;c=" + urllib.parse.quote(p).encode())),
    ("ue payload as key", v_ue(lambda p: urllib.parse.quote_plus(p).encode() + b"=1")),
    ("ue array key", v_ue(lambda p: b"c[]=" + urllib.parse.quote_plus(p).encode() + b"&d[x][y]=" +
                          urllib.parse.quote(p).encode())),
    ("ue duplicate key", v_ue(lambda p: b"c=clean&c=" + urllib.parse.quote(p).encode())),
    ("ue NUL before", v_ue(lambda p: b"c=%00" + urllib.parse.quote(p).encode())),
    ("ue BOM", v_ue(lambda p: b"\xef\xbb\xbfc=" + urllib.parse.quote(p).encode())),
    ("ue type upper", v_ue(lambda p: b"c=" + urllib.parse.quote(p).encode(), "APPLICATION/X-WWW-FORM-URLENCODED")),
    ("ue charset utf-16, ASCII body", v_ue(lambda p: b"c=" + urllib.parse.quote(p).encode(),
                                            "application/x-www-form-urlencoded; charset=utf-16")),
    ("ue charset param", v_ue(lambda p: b"c=" + urllib.parse.quote(p).encode(),
                              "application/x-www-form-urlencoded; charset=utf-8")),
    ("ue lowercase %xx", v_ue(lambda p: b"c=" + pct_all(p).lower())),
    ("ue + and %20 mixed", v_ue(lambda p: b"c=" + urllib.parse.quote(p).encode().replace(b"%20", b"+", 1))),
    # application/json
    ("json plain", v_json(lambda p: b'{"c": ' + jstr(p) + b"}")),
    ("json \\u every char", v_json(lambda p: b'{"c": ' + ju_all(p) + b"}")),
    ("json payload as key", v_json(lambda p: b"{" + jstr(p) + b": 1}")),
    ("json duplicate key", v_json(lambda p: b'{"c": "clean", "c": ' + jstr(p) + b"}")),
    ("json BOM", v_json(lambda p: b'\xef\xbb\xbf{"c": ' + jstr(p) + b"}")),
    ("json nested arrays", v_json(lambda p: b'{"c": [[[[' + jstr(p) + b"]]]]}")),
    ("json integer", v_json(lambda p: b'{"c": ' + j_digits_number(p, "int") + b"}")),
    ("json exponent", v_json(lambda p: b'{"c": ' + j_digits_number(p, "exp") + b"}")),
    ("json e0", v_json(lambda p: b'{"c": ' + j_digits_number(p, "e0") + b"}")),
    ("json .0", v_json(lambda p: b'{"c": ' + j_digits_number(p, "frac") + b"}")),
    ("json charset utf-16 declared, ASCII body", v_json(lambda p: b'{"c": ' + jstr(p) + b"}",
                                                     "application/json; charset=utf-16")),
    ("json UTF-16LE without BOM", v_json(lambda p: ('{"c": ' + json.dumps(p.decode("latin-1")) + "}")
                                         .encode("utf-16-le"))),
    ("json UTF-32 with BOM", v_json(lambda p: ('{"c": ' + json.dumps(p.decode("latin-1")) + "}").encode("utf-32"))),
    ("json UTF-16BE with BOM", v_json(lambda p: b"\xfe\xff" + ('{"c": ' + json.dumps(p.decode("latin-1")) + "}")
                                      .encode("utf-16-be"))),
    ("json charset param", v_json(lambda p: b'{"c": ' + jstr(p) + b"}", "application/json; charset=utf-8")),
    ("json +json type", v_json(lambda p: b'{"c": ' + jstr(p) + b"}", "application/vnd.api+json")),
    ("json whitespace", v_json(lambda p: b' \r\n\t{ "c" :\n\t' + jstr(p) + b" \n}\n ")),
]

# Variants whose clean twin Sekisho refuses on purpose: readers take the
# body differently, so Sekisho gives its failure verdict (dlp.on-error,
# av.on-error: block by default) instead of guessing. name -> reason.
NODELIM = ("a form-data body without its boundary (FORM-NODELIM): Django reads it as one part, "
           "aiohttp refuses it")
AMBIGUOUS = {
    "mp boundary*= RFC 2231": "an RFC 2231 boundary: email reads it, the form readers none (sk_mp_boundary -2)",
    "mp boundary*0=": "an RFC 2231 boundary: email and PHP (a substring) read it, the others none "
                      "(sk_mp_boundary -2)",
    "mp boundary quoted escape": "a backslash in a quoted boundary: PHP keeps it, the others unquote "
                                 "(sk_mp_boundary -2)",
    "mp xboundary= first": "PHP and formidable take the first 'boundary' substring (AAA), the others BBB; " + NODELIM,
    "mp boundary= inside a quoted param": "no reader takes AAA as the boundary; " + NODELIM,
    "mp CR-only line ends": "only email ends a line at a bare CR, form-data readers do not; " + NODELIM,
    **{n: "two Content-Transfer-Encoding fields: email decodes by the first, python-multipart by the last "
          "(sk_mp_part.ambiguous)"
       for n in ["mp base64, CTE 7bit then base64", "mp base64, CTE base64 then 7bit",
                 "mp QP, CTE 7bit then quoted-printable", "mp QP, CTE quoted-printable then 7bit"]},
    "mp 4000-byte filename": "a Content-Disposition past the 1 KiB the parser keeps (sk_mp_part.ambiguous); "
                             "no file system has such a name (255 bytes, or 255 UTF-16 units: 765 bytes of "
                             "UTF-8): 'mp 255-character CJK filename' passes",
}


def kind_of(ct):
    c = ct.lower()
    if c.startswith("multipart/"):
        return MP_BACKENDS
    if "json" in c:
        return JSON_BACKENDS
    return UE_BACKENDS


# ---- backends ----------------------------------------------------------------

def wait_port(port, proc, what, limit=20.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise StartupError("%s exited (%s)" % (what, proc.returncode))
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise StartupError("%s did not listen on %d" % (what, port))


class Backends:
    """php -S, node (busboy, formidable, JSON.parse) and Debian's python3
    (python3-multipart, email, cgi, json, parse_qsl) on loopback ports."""

    def __init__(self, tmp):
        self.procs, self.port = [], {}
        d = os.path.join(HERE, "backends")
        env = dict(os.environ, NODE_PATH="/usr/share/nodejs:/usr/lib/nodejs")
        for key, argv in [
                ("php", ["php", "-n", "-d", "file_uploads=1", "-d", "upload_max_filesize=16M",
                         "-d", "post_max_size=16M", "-d", "max_file_uploads=1000",
                         "-d", "upload_tmp_dir=" + tmp, "-S", "127.0.0.1:{port}",
                         os.path.join(d, "php_forms.php")]),
                ("node", ["node", os.path.join(d, "node_forms.js"), "{port}"]),
                ("py", ["/usr/bin/python3", os.path.join(d, "py_forms.py"), "{port}"])]:
            port = free_port()
            exe = shutil.which(argv[0])
            if exe is None:
                raise StartupError("backend %s: %s not installed (contrib/deps.sh test)" % (key, argv[0]))
            p = subprocess.Popen([a.format(port=port) for a in argv], env=env, cwd=tmp,
                                 stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, key + ".err"), "wb"))
            self.procs.append(p)
            wait_port(port, p, "backend " + key)
            self.port[key] = port

    ROUTE = {"php": ("php", "/"), "busboy": ("node", "/busboy"), "formidable": ("node", "/formidable"),
             "node": ("node", "/busboy"), "multipart": ("py", "/multipart"), "email": ("py", "/email"),
             "cgi": ("py", "/cgi"), "py": ("py", "/multipart")}

    def ask(self, backend, ct, body):
        """What BACKEND extracts from a POST of BODY under Content-Type CT:
        a list of (is a name, bytes) for field names and values, file names
        and contents, or None when it refused the request."""
        proc, path = self.ROUTE[backend]
        head = ("POST %s HTTP/1.1\r\nHost: app.test\r\nContent-Type: " % path).encode() + \
            ct.encode("latin-1") + ("\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body)).encode()
        s = socket.create_connection(("127.0.0.1", self.port[proc]), 30)
        try:
            s.sendall(head + body)
            r = http.client.HTTPResponse(s)
            r.begin()
            data = r.read()
        finally:
            s.close()
        if r.status != 200:
            return None
        out = json.loads(data)
        # (is a name, bytes): field names and file names, field values and file contents
        return [(i < len(row) - 1, base64.b64decode(x))
                for row in out.get("fields", []) + out.get("files", []) for i, x in enumerate(row)]

    def close(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


def holds(vals, payload):
    """Does any extracted value hold PAYLOAD as an application would read
    it: EICAR as bytes of a field's value or a file's content (a name is no
    file: EICAR as a file name only email decodes from RFC 2047 or RFC 2231
    is DLP's, not virus_scan's), the card number's digits after NFKC with
    separators dropped in any of them, names too?"""
    for name, v in vals or []:
        if payload == EICAR and not name and EICAR in v:
            return True
        if payload == CARD:
            t = re.sub(r"[\s\-._/]", "", unicodedata.normalize("NFKC", v.decode("utf-8", "replace")))
            if "4111111111111111" in t:
                return True
    return False


# ---- the test ---------------------------------------------------------------

def run(ck, srv, be, only, show):
    pool = concurrent.futures.ThreadPoolExecutor(8)
    cases = []
    for name, fn in VARIANTS:
        if only and not any(o in name for o in only):
            continue
        for pname, p in PAYLOADS.items():
            ct, body = fn(p)
            cct, cbody = fn(CLEAN[pname])
            names = kind_of(ct)
            fut = {b: pool.submit(be.ask, b, ct, body) for b in names}
            cfut = {b: pool.submit(be.ask, b, cct, cbody) for b in names}
            sk = pool.submit(reqmod, srv, "POST", "http://app.test/%s/%s" % (pname, name.replace(" ", "_")),
                             body, extra=("Content-Type: " + ct,))
            csk = pool.submit(reqmod, srv, "POST", "http://app.test/clean/%s/%s" % (pname, name.replace(" ", "_")),
                              cbody, extra=("Content-Type: " + cct,))
            cases.append((name, pname, p, body, cbody, fut, cfut, sk, csk))
    stats = {"dirty": 0, "bypass": 0, "clean": 0, "false": 0}
    for name, pname, p, body, cbody, fut, cfut, sk, csk in cases:
        got = {b: f.result() for b, f in fut.items()}
        cgot = {b: f.result() for b, f in cfut.items()}
        readers = sorted(b for b, v in got.items() if holds(v, p))
        r, cr = sk.result(), csk.result()
        if show:
            print("    %-45s %-5s backends with it: %-40s sekisho: %s/%s clean: %s/%s" % (
                name, pname, ",".join(readers) or "-", r.status, r.http_status(), cr.status, cr.http_status()))
        if readers:
            stats["dirty"] += 1
            ok = ck.ok("%s [%s]: %s extract it, Sekisho blocks" % (name, pname, ",".join(readers)), blocked(r),
                       "icap %s http %s" % (r.status, r.http_status()))
            stats["bypass"] += not ok
        dirty_clean = sorted(b for b, v in cgot.items() if holds(v, p))
        ck.ok("%s [%s]: the clean twin is clean to every backend" % (name, pname), not dirty_clean, dirty_clean)
        if name in AMBIGUOUS:
            ck.ok("%s [%s]: clean twin refused (%s)" % (name, pname, AMBIGUOUS[name]), blocked(cr),
                  "icap %s http %s" % (cr.status, cr.http_status()))
            continue
        stats["clean"] += 1
        ok = ck.ok("%s [%s]: clean twin passes byte-identical" % (name, pname), passed_identical(cr, cbody),
                   "icap %s http %s" % (cr.status, cr.http_status()))
        stats["false"] += not ok
    pool.shutdown()
    ck.ok("every variant read (%d)" % len(cases), len(cases) >= (2 if only else 2 * len(VARIANTS)), len(cases))
    print("=== %d payload variants some backend extracts, %d bypass Sekisho; %d clean twins, %d falsely blocked"
          % (stats["dirty"], stats["bypass"], stats["clean"], stats["false"]))
    return stats


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--only", nargs="+", default=[], help="variants whose name holds one of these")
    ap.add_argument("--show", action="store_true", help="print every variant's readings")
    args = ap.parse_args()
    ck = Check("backends")
    tmp = tempfile.mkdtemp(prefix="sekisho-backends-")
    be = None
    srv = SekishoServer(os.path.abspath(args.build_dir), modules="virus_scan dlp", name="backends")
    try:
        try:
            be = Backends(tmp)
        except (StartupError, OSError) as e:
            ck.ok("backends start", False, e)
            return ck.summary()
        for b, ct, body in [(b, "multipart/form-data; boundary=" + B, part(CARD, filename=b"a") + close())
                            for b in MP_BACKENDS] + \
                           [(b, "application/x-www-form-urlencoded", b"c=" + CARD) for b in UE_BACKENDS] + \
                           [(b, "application/json", b'{"c": "' + CARD + b'"}') for b in JSON_BACKENDS]:
            ck.ok("backend %s reads a plain %s body" % (b, ct.split(";")[0]), holds(be.ask(b, ct, body), CARD))

        def setup(s):
            s.policy_cmd("dlp", "add", "cards", "--detector", "credit-card", "--action", "block")

        serve_checked(ck, srv, "server starts with --modules virus_scan dlp", 2, setup,
                      lambda: ck.group("variants", run, ck, srv, be, args.only, args.show))
    finally:
        if be:
            be.close()
    check_asan(ck)
    shutil.rmtree(tmp, ignore_errors=True)
    return ck.summary()


if __name__ == "__main__":
    main_wrapper(main)
