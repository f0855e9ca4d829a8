#!/usr/bin/env python3
"""Grammar-aware mutation fuzzer against the LIVE daemon (hostile.fuzz).

Trust boundary: every byte here is what any ICAP client, or any HTTP
client behind the proxy, can send. The libFuzzer targets in tests/fuzz test
the parsers one at a time; this drives the whole server (c-icap 0.5.10, the
guard preload, srv_sekisho.so and every module) the way a client does.

A case is a transaction built from a grammar (ICAP request line and
headers, the encapsulated HTTP request and response headers our modules
read, chunk framing, a body from a short container), then mutated at that
level (Encapsulated offsets out of order, huge, negative or missing;
Preview against the body; ieof; Allow; identity headers long, binary,
encoded; Content-* lists and parameters; chunk extensions, trailers and
sizes; truncated zip/gzip/pdf/multipart) and sometimes at the byte level.
Case I of seed S is built from random.Random("S:I") alone, so any case can
be rebuilt and replayed by number (--replay-case).

Cases go out in batches over several connections at once: sent whole then
half-closed, pipelined two to a connection, preview then the rest after the
server's 100, or abandoned half-way. Per case: the connection ends within
HANG seconds after we stop; no ICAP or HTTP header of the answer carries a
header line we injected, no raw control byte; a block page never carries
our <script> marker; a well-framed case with EICAR in a plain body is never
let through. After each batch: no c-icap worker died (server log), the
launcher runs, a fresh clean REQMOD comes back byte-identical and EICAR in
a RESPMOD is blocked, every access-log line is one JSON object, the server
log has no raw control byte of ours, and (ASan build: SEKISHO_DAEMON_PRELOAD)
no sanitizer report of ours. A failing batch is replayed case by case and
the culprit minimised (ddmin over bytes, bounded) into --out.

Short form (ctest hostile.fuzz): --cases 160 --seconds 90.
Long form by hand: see tests/hostile/README.md.

Usage: fuzz_icap.py --build-dir BUILD [--seed N] [--cases N] [--seconds T]
                    [--batch N] [--conns N] [--out DIR] [--replay-case I[,I]]
                    [--replay FILE]
"""

import argparse
import base64
import glob
import gzip
import json
import os
import random
import re
import socket
import sys
import threading
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)
from icaplib import (Check, SekishoServer, StartupError, IcapConn, transact,  # noqa: E402
                     make_body, http_req_head, http_res_head, sha, chunk,
                     port_is_free, tree_kb)
import sanitizer_reports  # noqa: E402  (icaplib put tests/ on the path)
from test_hostile import Hostile, no_via  # noqa: E402
import zipforge  # noqa: E402
import cfbforge  # noqa: E402
import pdfforge  # noqa: E402

EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR" + b"-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
SCRIPT = b"<script>fz</script>"
INJECT = b"X-Fz-Injected"
ESC = b"\x1b[31mfz"
HANG = float(os.environ.get("SEKISHO_FUZZ_HANG", "20" if os.environ.get("SEKISHO_DAEMON_PRELOAD")
                            else "10"))

# ---------------------------------------------------------------------------
# value dictionaries


def nums(r):
    return r.choice([b"0", b"1", b"-1", b"-0", b"+5", b" 7", b"7 ", b"2147483647", b"2147483648",
                     b"4294967295", b"4294967296", b"9223372036854775807",
                     b"9223372036854775808", b"18446744073709551616", b"1e3", b"0x10",
                     b"00000000000000000000000000000012", b"12abc", b"", b"99999999999999999999999",
                     b"%d" % r.randrange(0, 200000)])


def nasty(r):
    """A hostile header value: long, binary, encoded, lists, our markers."""
    k = r.randrange(22)
    if k == 0:
        return b"A" * r.choice([255, 256, 1023, 1024, 4095, 4096, 8192, 65535, 70000])
    if k == 1:
        return bytes(r.randrange(256) for _ in range(r.randrange(1, 64)))
    if k == 2:
        return b"%00%0d%0aX-Fz: 1%25%2" + b"%" * r.randrange(1, 4)
    if k == 3:
        return b"=?utf-8?b?" + base64.b64encode(SCRIPT + ESC) + b"?="
    if k == 4:
        return b",".join([b"a", b"", b" ", b'"x,y"', b"b;c=d", b"\t"] * r.randrange(1, 300))
    if k == 5:
        return SCRIPT
    if k == 6:
        return ESC
    if k == 7:
        return b"v\r\n" + INJECT + b": 1"
    if k == 8:
        return b"v\n" + INJECT + b": 1"
    if k == 9:
        return b"a\x00b"
    if k == 10:
        return nums(r)
    if k == 11:
        return b'"' * r.randrange(1, 5) + b"q\\" + b'"'
    if k == 12:
        return "\u00e9\u65e5\u672c\U0001f600".encode() + b"\xc3\x28\xff\xfe"
    if k == 13:
        return base64.b64encode(r.choice([b"user", SCRIPT, b"a\r\nb", ESC, b"\xff" * 40]))
    if k == 14:
        return b""
    if k == 15:
        return b" \t "
    if k == 16:
        return b";;;==;" * r.randrange(1, 100)
    if k == 17:
        return b"\\" * r.randrange(1, 9)
    if k == 18:
        return b"x" + b" " * r.randrange(1, 5000) + b"y"
    if k == 19:
        return b"../../../etc/passwd"
    if k == 20:
        return b"%ff%fe%c0%af" * r.randrange(1, 40)
    return b"a\x7fb\x08c\x1bd"


def maybe(r, p, good, bad=nasty):
    return bad(r) if r.random() < p else good


CTYPES = [b"text/plain", b"text/html; charset=utf-8", b"application/octet-stream",
          b"application/zip", b"application/pdf", b"application/x-www-form-urlencoded",
          b"application/json", b"multipart/form-data; boundary=B", b'multipart/form-data; boundary="B"',
          b"multipart/mixed; boundary=", b"multipart/form-data", b"text/plain; charset=utf-16",
          b"text/plain; charset=utf-7", b"text/plain; charset=\xff", b"application/gzip",
          b"message/rfc822", b"text/xml; charset=", b"multipart/form-data; boundary=" + b"B" * 300,
          b"text/plain;;charset=;;", b"*/*", b"x", b"application/vnd.ms-excel"]
CODINGS = [b"gzip", b"x-gzip", b"deflate", b"br", b"zstd", b"identity", b"chunked", b"compress",
           b"gzip, gzip", b"gzip,deflate,br,zstd", b"GZIP", b" gzip ", b"gzip;q=1", b"bogus",
           b",", b"gzip, identity, chunked", b", , gzip"]
DISPOS = [b'attachment; filename="a.zip"', b"attachment; filename=a.exe",
          b"attachment; filename*=UTF-8''%e6%97%a5.txt", b'inline; filename="' + SCRIPT + b'"',
          b'attachment; filename="\\"\x1b[31m.exe"', b"attachment; filename*=utf-8'en'%00%0a.txt",
          b'form-data; name="f"; filename="x.txt"', b"attachment; filename=", b"attachment;;;",
          b"attachment; filename*0=a; filename*1=b.exe"]
METHODS = [b"GET", b"POST", b"PUT", b"CONNECT", b"HEAD", b"OPTIONS", b"DELETE", b"PATCH", b"G\x00T",
           b"", b"get"]


def url_form(r):
    if r.random() < 0.6:
        # most cases must get past url_block for the body to reach
        # virus_scan and dlp: a plain URL
        return b"http://clean.test/f/%d.bin" % r.randrange(10 ** 9), b"clean.test"
    host = r.choice([b"clean.test", b"blocked.test", b"BLOCKED.TEST.", b"sub.blocked.test",
                     b"[::1]", b"127.0.0.1", b"xn--nxasmq6b.test", b"a..b", b"-x-.test",
                     b"%62locked.test", b"h" * 300 + b".test", b"\xe6\x97\xa5.test", b""])
    path = r.choice([b"/", b"/p?q=1", b"/%2e%2e/%2f", b"/" + b"a" * r.choice([10, 5000, 70000]),
                     b"/" + SCRIPT, b"/" + ESC, b"/x#frag", b"/%zz%", b"//x///y", b"/?" + b"&" * 500,
                     b"/\xff\xfe", b"/a b"])
    k = r.randrange(9)
    if k == 0:
        return b"/" + path.lstrip(b"/"), host
    if k == 1:
        return host + b":" + nums(r), host
    if k == 2:
        return b"*", host
    if k == 3:
        return b"http://user:pw@" + host + path, host
    if k == 4:
        return b"https://" + host + b":" + nums(r) + path, host
    if k == 5:
        return b"ftp://" + host + path, host
    if k == 6:
        return nasty(r), host
    return b"http://" + host + path, host


# ---------------------------------------------------------------------------
# bodies


def zip_of(entries):
    """A zip of (name, data) with no time stamp in it: a case is the same
    bytes in every run (zipforge, not zipfile, which writes the clock)."""
    return zipforge.build([{"name": n, "data": d} for n, d in entries])


def flip(r, data, n, within=4096):
    """DATA with N random bytes of its first WITHIN replaced: a container's
    header, directory and tables are near its start."""
    d = bytearray(data)
    for _ in range(n if d else 0):
        d[r.randrange(min(len(d), within))] = r.randrange(256)
    return bytes(d)


def forged(r):
    """A structured container (tests/hostile's forges) with cards or EICAR
    inside, then a few of its structural bytes changed: (body, type)."""
    card = "4111 1111 1111 1111"
    k = r.randrange(5)
    if k == 0:
        b, t = cfbforge.cfb(cfbforge.word([("Card " + card + "\r", r.random() < 0.5)]),
                            shuffle=r.choice([None, 3, 7]))[0], b"application/msword"
    elif k == 1:
        b, t = cfbforge.cfb(cfbforge.xls(["Card " + card, "x"], split_at=r.choice([None, 5, 9])))[0], \
            b"application/vnd.ms-excel"
    elif k == 2:
        b, t = cfbforge.cfb(cfbforge.ppt([("Card " + card, True)]))[0], \
            b"application/vnd.ms-powerpoint"
    elif k == 3:
        d = pdfforge.Doc()
        d.add(1, b"<< /Type /Catalog >>")
        d.stream(2, b"/Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 8 >>",
                 pdfforge.flate(pdfforge.png(EICAR + b"\0" * 4, 8, r.randrange(5))))
        b, t = d.build(), b"application/pdf"
    else:
        inner = zip_of([("e.com", EICAR)])
        b, t = zip_of([("in.zip", inner), ("c.txt", card.encode())]), b"application/zip"
    return flip(r, b, r.choice([0, 1, 2, 8])), t


def body_of(r, k=None):
    """(body bytes, content-type, content-encoding or None, holds plain EICAR)."""
    k = r.randrange(14) if k is None else k
    size = r.choice([0, 1, 5, 100, 4096, 20000, 70000])
    if k == 0 and r.random() < 0.05:
        size = 2 * 1024 * 1024 + 11   # over memory-threshold: the spill file path
    clean = make_body(size, seed=r.randrange(1 << 30))
    if k == 0:
        return clean, b"application/octet-stream", None, False
    if k == 1:
        return clean[:50] + EICAR + clean[50:], b"application/octet-stream", None, True
    if k == 2:
        z = zip_of([("a/e.com", EICAR), ("b.txt", clean[:2000])])
        return z[:r.randrange(len(z) + 1)], b"application/zip", None, False
    if k == 3:
        g = gzip.compress(r.choice([EICAR, clean]))
        return g[:r.randrange(len(g) + 1)], b"application/octet-stream", b"gzip", False
    if k == 4:
        d = zlib.compress(clean)
        return d[:r.randrange(len(d) + 1)], b"text/plain", b"deflate", False
    if k == 5:
        pdf = (b"%PDF-1.7\n1 0 obj\n<< /Length 44 /Filter /FlateDecode >>\nstream\n" +
               zlib.compress(b"BT (4111 1111 1111 1111) Tj ET") + b"\nendstream\nendobj\n"
               b"xref\n0 2\n0000000000 65535 f \n0000000009 00000 n \ntrailer\n<< /Size 2 >>\n"
               b"startxref\n" + nums(r) + b"\n%%EOF\n")
        return pdf[:r.randrange(len(pdf) + 1)], b"application/pdf", None, False
    if k == 6:
        mp = (b"--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"" +
              r.choice([b"x.txt", SCRIPT, ESC, b"a\r\nb"]) + b"\"\r\nContent-Type: " +
              r.choice(CTYPES) + b"\r\nContent-Transfer-Encoding: " +
              r.choice([b"base64", b"quoted-printable", b"8bit", b"x-uue", b"bogus"]) +
              b"\r\n\r\n" + r.choice([b"4111 1111 1111 1111", base64.b64encode(EICAR), clean[:3000]]) +
              b"\r\n--B--\r\n")
        return mp[:r.choice([len(mp), r.randrange(len(mp) + 1)])], b"multipart/form-data; boundary=B", \
            None, False
    if k == 7:
        return b"card=4111111111111111&x=" + clean[:200], b"application/x-www-form-urlencoded", \
            None, False
    if k == 8:
        ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + clean[:600]
        return ole, b"application/msword", None, False
    if k == 9:
        rtf = b"{\\rtf1\\ansi{\\object\\objdata 0105000002000000" + clean[:100].hex().encode() + b"}}"
        return rtf[:r.randrange(len(rtf) + 1)], b"application/rtf", None, False
    if k == 10:
        inner = gzip.compress(zip_of([("e.com", EICAR)]))
        return inner[:r.randrange(len(inner) + 1)], b"application/gzip", None, False
    if k in (12, 13):
        b, t = forged(r)
        return b, t, None, False
    return clean, r.choice(CTYPES), r.choice(CODINGS), False


CARDS = [b"4111 1111 1111 1111", b"5500-0000-0000-0004", b"4012888888881881"]


def card_body(r):
    """A DLP threat: plain text with one valid card number; (body, card)."""
    cardno = r.choice(CARDS)
    pad = bytes(r.choice(b"abcdefghij klmnop\n") for _ in range(r.choice([0, 10, 500, 5000, 40000])))
    body = r.choice([b"", b"note=", b"Dear shop,\n"]) + pad + b" pay with " + cardno + b" thanks\n" + pad[:100]
    return body, cardno


def frame(r, body, mutate):
    """The chunked body: pieces of random sizes, extensions, trailers."""
    out = bytearray()
    i = 0
    while i < len(body):
        n = min(len(body) - i, r.choice([1, 7, 100, 4096, 65536, 100000]))
        size = b"%x" % n
        if mutate and r.random() < 0.1:
            size = r.choice([size.upper(), b"000" + size, size + b" ", b"-" + size, b"%x" % (n + 1),
                             b"%x" % max(0, n - 1), b"ffffffff", b"7fffffff", b"+" + size,
                             b"0x" + size, size + b"\t"])
        ext = b""
        if mutate and r.random() < 0.1:
            ext = r.choice([b"; ieof", b";x=y", b"; " + b"e" * r.randrange(1, 70000), b";",
                            b'; q="a;b"', b"; ieof; ieof", b";\x00"])
        out += size + ext + b"\r\n" + body[i:i + n] + b"\r\n"
        i += n
    end = b"0\r\n\r\n"
    if mutate and r.random() < 0.2:
        end = r.choice([b"0; ieof\r\n\r\n", b"0\r\nX-Trailer: 1\r\n\r\n", b"0\r\n" + b"T: x\r\n" * 500 + b"\r\n",
                        b"00000\r\n\r\n", b"0;x\r\n\r\n", b"0\r\n", b"", b"0\n\n", b"0\r\n\r\n0\r\n\r\n"])
    return bytes(out) + end


def head_block(first, fields, r, mutate):
    """An HTTP/ICAP header block; with MUTATE, lines dropped, doubled,
    folded, with bare LF or without the final blank line."""
    lines = [first] + [k + b": " + v for k, v in fields]
    if mutate and r.random() < 0.15:
        op = r.randrange(5)
        j = r.randrange(len(lines))
        if op == 0 and len(lines) > 1:
            del lines[max(1, j)]
        elif op == 1:
            lines.insert(j + 1, lines[j])
        elif op == 2:
            lines.insert(max(1, j), b" folded")
        elif op == 3:
            lines.insert(max(1, j), b"NoColon")
        else:
            lines.insert(max(1, j), b": empty-name")
    sep = b"\n" if mutate and r.random() < 0.03 else b"\r\n"
    blk = sep.join(lines) + sep + sep
    if mutate and r.random() < 0.03:
        blk = blk[:-len(sep)]
    return blk


# ---------------------------------------------------------------------------
# one case


class Case:
    def __init__(self, seed, idx):
        self.seed, self.idx = seed, idx
        self.pieces = []      # bytes, or None: wait for the server's answer
        self.mode = "full"
        self.threat = False   # well framed, plain EICAR in the body: must not pass
        self.passed = None     # a threat the profile let pass: its ICAP status
        self.marker = [EICAR]  # the threat's bytes (EICAR, or the card numbers of a DLP threat)
        self.label = []

    @property
    def data(self):
        return b"".join(p for p in self.pieces if p is not None)


def gen_case(seed, idx, port, prof=None):
    r = random.Random("%d:%d" % (seed, idx))
    # a profile's own choices come from a stream of their own, so the
    # default profile's cases stay what they were
    rp = random.Random("%d:%d:%s" % (seed, idx, prof.name)) if prof and prof.name != "default" else None
    c = Case(seed, idx)
    mut = r.random() < 0.85   # grammar-level mutations at all
    # a threat case: plain EICAR in a well-framed RESPMOD whose header
    # values alone are mutated (Content-*, identity, URL, Allow, Preview)
    tmode = r.random() < 0.12
    fmut = mut and not tmode  # framing mutations (offsets, chunks, lines, bytes)
    method = r.choice([b"REQMOD", b"RESPMOD", b"RESPMOD", b"REQMOD", b"OPTIONS"])
    service = r.choice([b"sekisho", b"reqmod", b"respmod"])
    if fmut and r.random() < 0.03:
        method = r.choice([b"REQMOD ", b"reqmod", b"RESPMOD\x00", b"FOO"])
    if tmode:
        method, service = b"RESPMOD", r.choice([b"sekisho", b"respmod"])
    body, ctype, coding, eicar = body_of(r, 1 if tmode else None)
    # under a profile with a DLP block template, half the threat cases
    # are an upload of a card number instead (a REQMOD, header values
    # alone mutated, as for EICAR)
    card = tmode and rp is not None and prof.cards and rp.random() < 0.5
    if card:
        method, service = b"REQMOD", rp.choice([b"sekisho", b"reqmod"])
        body, cardno = card_body(rp)
        ctype, coding, eicar = b"text/plain", None, True
    has_body = tmode or (method != b"OPTIONS" and r.random() < 0.8)
    # encapsulated HTTP request
    url, host = url_form(r)
    if rp is not None and prof.urls and rp.random() < 0.25:
        url, host = rp.choice(prof.urls)
    if rp is not None and tmode and prof.threat_may_pass:
        # its access-log line is found by this URL (an allowed threat
        # must have one, with a reason)
        url, host = b"http://clean.test/fz-threat-%d-%d" % (seed, idx), b"clean.test"
    hm = b"POST" if method == b"REQMOD" and has_body else r.choice(METHODS) if mut and r.random() < 0.1 \
        else b"GET"
    reqf = [(b"Host", maybe(r, 0.1 if mut else 0, host)), (b"User-Agent", b"fz/1")]
    if method == b"REQMOD" and has_body:
        reqf.append((b"Content-Type", maybe(r, 0.2 if mut else 0, ctype, lambda r: r.choice(CTYPES))))
        reqf.append((b"Content-Length", maybe(r, 0.2 if mut else 0, b"%d" % len(body), nums)))
        if coding:
            reqf.append((b"Content-Encoding", coding))
    if mut:
        for name, vals in [(b"Content-Disposition", DISPOS), (b"Content-Encoding", CODINGS),
                           (b"Transfer-Encoding", CODINGS), (b"Cookie", None), (b"Referer", None),
                           (b"Content-Type", CTYPES), (b"Content-Length", None)]:
            if method == b"REQMOD" and r.random() < 0.08:
                reqf.append((name, r.choice(vals) if vals and r.random() < 0.6 else nasty(r)))
    first = hm + b" " + url + b" " + maybe(r, 0.03 if fmut else 0, b"HTTP/1.1")
    if fmut and r.random() < 0.04:   # the whole line: no spaces, tabs, empty
        first = r.choice([b"GET", b"", b"GET\thttp://clean.test/\tHTTP/1.1", b"GET  /  HTTP/1.1",
                          b" GET http://clean.test/ HTTP/1.1", nasty(r)])
    req_hdr = head_block(first, reqf, r, fmut)
    res_hdr = None
    if method == b"RESPMOD":
        status = maybe(r, 0.1 if fmut else 0, r.choice([b"200 OK"] * 4 + [b"206 Partial", b"404 Nope"]))
        resf = [(b"Content-Type", maybe(r, 0.3 if mut else 0, ctype, lambda r: r.choice(CTYPES))),
                (b"Content-Length", maybe(r, 0.2 if mut else 0, b"%d" % len(body), nums))]
        if coding:
            resf.append((b"Content-Encoding", coding))
        if mut:
            for name, vals in [(b"Content-Disposition", DISPOS), (b"Content-Encoding", CODINGS),
                               (b"Transfer-Encoding", CODINGS), (b"Content-Range", None),
                               (b"Location", None), (b"Set-Cookie", None), (b"Content-Type", CTYPES)]:
                if r.random() < 0.08:
                    v = r.choice(vals) if vals and r.random() < 0.6 else nasty(r)
                    if name == b"Content-Range" and r.random() < 0.5:
                        v = b"bytes " + nums(r) + b"-" + nums(r) + b"/" + nums(r)
                    resf.append((name, v))
        first = b"HTTP/1.1 " + status
        if fmut and r.random() < 0.12:   # the whole status line
            first = r.choice([b"HTTP/1.1", b"", b"HTTP/1.1\t200\tOK", b"HTTP/1.1  200", b"200 OK",
                              b"HTTP/1.1 -1 X", b"HTTP/1.1 99999999999 X", nasty(r)])
        res_hdr = head_block(first, resf, r, fmut)
    # the ICAP head
    parts = []
    if method in (b"REQMOD", b"RESPMOD") or r.random() < 0.3:
        parts.append((b"req-hdr", req_hdr))
    if res_hdr is not None:
        parts.append((b"res-hdr", res_hdr))
    off, enc = 0, []
    for name, blk in parts:
        enc.append(b"%s=%d" % (name, off))
        off += len(blk)
    body_tag = (b"req-body" if method == b"REQMOD" else b"res-body") if has_body else b"null-body"
    enc.append(b"%s=%d" % (body_tag, off))
    if fmut and r.random() < 0.15:
        c.label.append("encapsulated")
        op = r.randrange(9)
        if op == 0:
            r.shuffle(enc)
        elif op == 1:
            enc[r.randrange(len(enc))] = enc[-1].split(b"=")[0] + b"=" + nums(r)
        elif op == 2:
            del enc[r.randrange(len(enc))]
        elif op == 3:
            enc.append(r.choice(enc))
        elif op == 4:
            enc = [e.replace(b"=", b" = ") for e in enc]
        elif op == 5:
            j = r.randrange(len(enc))
            n, v = enc[j].split(b"=")
            enc[j] = n + b"=%d" % max(0, int(v) + r.choice([-4, -2, -1, 1, 2, 3, 100]))
        elif op == 6:
            enc.insert(0, r.choice([b"opt-body=0", b"res-hdr=0", b"req-hdr=0", b"foo=1", b"=", b""]))
        elif op == 7:
            enc[-1] = r.choice([b"null-body", b"req-body=", b"res-body=-0", b"null-body=" + nums(r)])
        else:
            enc = [nasty(r)]
    icap = [(b"Host", b"127.0.0.1"), (b"Encapsulated", b", ".join(enc))]
    if fmut and r.random() < 0.03:
        icap = icap[:1]   # no Encapsulated at all
    if r.random() < 0.5:
        icap.append((b"Allow", r.choice([b"204", b"206", b"204, 206", b"206,204", b"", b"204,204", b"trailers"])))
    for name, good in [(b"X-Client-IP", b"192.0.2.%d" % r.randrange(256)),
                       (b"X-Authenticated-User", base64.b64encode(b"alice")),
                       (b"X-Client-Username", b"alice"),
                       (b"X-Authenticated-Groups", b"staff,admins"), (b"X-Server-IP", b"198.51.100.1"),
                       (b"Connection", r.choice([b"close", b"keep-alive"]))]:
        if rp is not None and name in prof.identity:
            # the profile's users and groups: those that select a policy
            good = rp.choice(prof.identity[name])
        if r.random() < 0.4 or (rp is not None and name in prof.identity and rp.random() < 0.5):
            v = maybe(r, 0.6 if mut else 0, good)
            if name == b"X-Client-IP" and r.random() < 0.2:
                v = r.choice([b"::ffff:1.2.3.4", b"1.2.3.4, 5.6.7.8", b"999.1.1.1", b"[::1]:80",
                              b"fe80::1%eth0" + b"0" * 100, b"0x7f.1", b"1.2.3.4\x00"])
            icap.append((name, v))
    preview = None
    if has_body and r.random() < 0.3:
        preview = r.choice([0, 1, 4, len(body), max(0, len(body) - 1), len(body) + 1, 4096])
        icap.append((b"Preview", b"%d" % preview if not (fmut and r.random() < 0.1) else nums(r)))
    first = method + b" icap://127.0.0.1:%d/" % port + service + b" ICAP/1.0"
    if fmut and r.random() < 0.03:
        first = r.choice([first.replace(b"ICAP/1.0", b"ICAP/1.1"), first + b" x", first.replace(b" ", b"  "),
                          first.replace(b"icap://", b"http://"), method + b" /" + service + b" ICAP/1.0"])
    ihead = head_block(first, icap, r, fmut and r.random() < 0.3)
    encap = b"".join(blk for _, blk in parts)
    if has_body and preview is not None and 0 <= preview:
        pv = body[:preview]
        whole = len(body) <= preview
        c.pieces = [ihead + encap + chunk(pv) + (b"0; ieof\r\n\r\n" if whole else b"0\r\n\r\n")]
        if not whole:
            c.pieces += [None, frame(r, body[preview:], fmut)]
        c.label.append("preview")
    elif has_body:
        c.pieces = [ihead + encap + frame(r, body, fmut)]
    else:
        c.pieces = [ihead + encap]
    c.threat = tmode and eicar
    c.marker = [cardno] if card else [EICAR]
    if tmode:
        c.label.append("threat-card" if card else "threat")
    if fmut and r.random() < 0.12:
        c.label.append("bytes")
        d = bytearray(c.data)
        for _ in range(r.randrange(1, 6)):
            if not d:
                break
            p = r.randrange(len(d))
            op = r.randrange(5)
            if op == 0:
                d[p] = r.randrange(256)
            elif op == 1:
                d[p:p] = r.choice([b"\r\n", b"\r\n\r\n", b"\x00", b"0\r\n\r\n", b":"])
            elif op == 2:
                del d[p:p + r.randrange(1, 64)]
            elif op == 3:
                q = r.randrange(p, min(len(d), p + 200) + 1)
                d[q:q] = d[p:q]
            else:
                del d[p:]
        c.pieces = [bytes(d)]
    k = r.random()
    if k < 0.08:
        c.mode = "abandon"
    elif k < 0.16:
        c.mode = "pipeline"
    elif k < 0.20:
        c.mode = "slow"
    c.label.append(c.mode)
    return c


# ---------------------------------------------------------------------------
# sending


def _read_answer(s, deadline):
    """Reads until close or DEADLINE; (bytes, how)."""
    got = bytearray()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return bytes(got), "timeout"
        s.settimeout(min(left, 1.0))
        try:
            d = s.recv(65536)
        except socket.timeout:
            continue
        except (ConnectionResetError, OSError):
            return bytes(got), "reset"
        if not d:
            return bytes(got), "closed"
        got += d
        if len(got) > 16 << 20:
            return bytes(got), "too-much"


def _wait_head(s, limit):
    """After a preview: the server's first answer head, or b'' (at most LIMIT s)."""
    got = bytearray()
    end = time.monotonic() + limit
    while b"\r\n\r\n" not in got and time.monotonic() < end:
        s.settimeout(max(0.05, end - time.monotonic()))
        try:
            d = s.recv(4096)
        except (socket.timeout, OSError):
            break
        if not d:
            break
        got += d
    return bytes(got)


def run_case(port, c, hang=HANG):
    """Sends case C; (answer bytes, how). how: closed|reset|timeout|abandoned|..."""
    r = random.Random("%d:%d:send" % (c.seed, c.idx))
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
    except OSError as e:
        return b"", "connect-failed(%s)" % e
    got = b""
    try:
        s.settimeout(10)
        if c.mode == "abandon":
            d = c.data
            try:
                s.sendall(d[:r.randrange(len(d) + 1)])
            except OSError:
                pass
            if r.random() < 0.5:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            return b"", "abandoned"
        pieces = c.pieces
        if c.mode == "pipeline":
            pieces = [c.data, c.data]
        first = b""
        for p in pieces:
            if p is None:
                first = _wait_head(s, 5.0)
                if not first.startswith(b"ICAP/1.0 100"):
                    break
                continue
            try:
                if c.mode == "slow":
                    for i in range(0, len(p), 997):
                        s.sendall(p[i:i + 997])
                        if i < 8000:
                            time.sleep(0.002)
                else:
                    s.sendall(p)
            except (BrokenPipeError, ConnectionResetError, socket.timeout):
                break
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        got, how = _read_answer(s, time.monotonic() + hang)
        return first + got, how
    finally:
        s.close()


def own_header_lines(got):
    """The header lines the server wrote itself: every ICAP head of the
    answer, and the HTTP head of a block page (HTTP 403). The HTTP head of
    a pass-through is the client's own, its bytes its business."""
    out = []
    rest = got
    while rest.startswith(b"ICAP/"):
        head, _, rest = rest.partition(b"\r\n\r\n")
        out += head.split(b"\r\n")
    if rest.startswith(b"HTTP/1.") and rest[9:12] == b"403":
        out += rest.partition(b"\r\n\r\n")[0].split(b"\r\n")
    return out


def block_page(got):
    """(HTTP head, body) of the block page (HTTP 403) in an answer, or None."""
    i = got.find(b"\r\n\r\nHTTP/1.1 403 ")
    if i < 0:
        return None
    head, _, body = got[i + 4:].partition(b"\r\n\r\n")
    return head, body


def judge_case(c, got, how, prof=None):
    """Per-case oracle: a list of problems (empty: fine). A threat the
    profile lets pass (its on-* verdicts set to allow) is put on
    c.passed, for the batch's access-log check."""
    bad = []
    final = got
    while final.startswith(b"ICAP/1.0 100 "):   # interim answers to a preview
        final = final.partition(b"\r\n\r\n")[2]
    if how == "timeout" and not final.startswith(b"ICAP/"):
        bad.append("hang: no answer and no close %.0f s after the client stopped" % HANG)
    for ln in own_header_lines(got):
        if ln.startswith(INJECT) or b"\n" in ln or b"\x1b" in ln or b"\x00" in ln:
            bad.append("answer header carries injected bytes: %r" % ln[:200])
            break
    page = block_page(got)
    if page is not None:
        head, body = page
        if b"text/html" in head and SCRIPT in body:
            bad.append("HTML block page carries the client's <script>")
        if b"\r\nX-Content-Type-Options: nosniff\r\n" not in head + b"\r\n":
            bad.append("block page without X-Content-Type-Options: nosniff")
        if ESC in body or b"\x00" in body:
            bad.append("block page carries the client's raw control bytes")
    if c.threat and c.mode in ("full", "slow"):
        st = final[9:12]
        if st == b"204" or (st == b"200" and any(m in final for m in c.marker)):
            if prof is not None and prof.threat_may_pass:
                c.passed = st
            else:
                bad.append("silent allow: %s answered ICAP %r" % (
                    "plain EICAR body" if c.marker == [EICAR] else "card upload", st))
        elif not final.startswith(b"ICAP/1.0 "):
            # a proxy with icap bypass on would pass the object
            bad.append("no answer to a well-framed EICAR RESPMOD (%s after %r)" % (how, got[:40]))
    return bad


# ---------------------------------------------------------------------------
# the server


# --variant: the server's configuration. churn: user and groups decoded
# (base64 when it decodes) and children retired every 150 requests, so
# each child's exit (and LeakSanitizer's check of it) happens mid-run.
VARIANTS = {
    "default": None,
    "churn": "MaxRequestsPerChild 150\nsekisho.UserEncoding auto\nsekisho.GroupEncoding auto\n",
}


# --profile: the policy and server settings a deployment runs with. An
# attacker's requests meet real configurations, not only the defaults;
# each profile is built with the real sekisho-policy CLI and server
# directives, and brings its own health probes (what that configuration
# must still do after every batch).


def b64s(s):
    return base64.b64encode(s.encode())


class Profile:
    name = "default"
    config = ""              # c-icap directives (sekisho.*), after --variant's
    cards = True             # a credit-card block template holds in every policy
    threat_may_pass = False  # on-* verdicts allow: a threat may pass with a logged reason
    urls = []                # (url, host) the generator uses now and then: the rules' URLs
    identity = {}            # ICAP header: values that select a policy
    # the access-log reason of a threat the profile let pass (threat_may_pass)
    pass_reason = re.compile(r"$^")

    def setup(self, srv):
        srv.policy_cmd("url", "add", "--list", "block", "--match", "domain", "blocked.test")
        srv.policy_cmd("dlp", "add", "cards", "--detector", "credit-card", "--action", "block")

    def probes(self, n):
        """Health probes after batch N: (what, method, url, body, icap
        headers, expect) with expect "pass" (a clean body comes back
        byte-identical), "block" (HTTP 403) or "pass-logged" (byte-identical,
        and its access-log line says allow with self.pass_reason)."""
        return [("clean REQMOD", "REQMOD", "http://clean.test/h%d" % n, make_body(30001, seed=n), (),
                 "pass"),
                ("EICAR RESPMOD", "RESPMOD", "http://clean.test/e%d" % n, EICAR, (), "block")]

    def check_answer(self, what, r):
        """Problems of a probe's answer beyond its verdict (xheaders...)."""
        return []


class Strict(Profile):
    """What a careful admin runs: DLP block templates (built-in detectors,
    a keyword, a regex), URL block rules of every match kind, policies per
    user, group and client network (users base64 as ProxySG and Cisco send
    them), the X-headers for the proxy, executables blocked by type."""
    name = "strict"
    config = "sekisho.UserEncoding auto\n"
    urls = [(b"http://clean.test/private/report.html", b"clean.test"),
            (b"http://clean.test/dl/setup.exe", b"clean.test"),
            (b"http://www.blocked.test/", b"www.blocked.test"),
            (b"http://social.test/feed", b"social.test"),
            (b"http://clean.test/q?fz-banned=1", b"clean.test"),
            (b"http://clean.test/search?q=CONFIDENTIAL", b"clean.test"),
            (b"http://partner.test/api", b"partner.test")]
    identity = {b"X-Authenticated-User": [b64s("alice"), b64s("WinNT://CORP/bob"), b"carol", b64s("mallory")],
                b"X-Client-Username": [b"alice", b"bob"],
                b"X-Authenticated-Groups": [b"staff", b"staff,admins", b64s("WinNT://CORP/staff"),
                                            b"CN=staff,OU=Groups,DC=corp", b"guests"],
                b"X-Client-IP": [b"192.0.2.10", b"192.0.2.200", b"10.9.8.7"]}

    def setup(self, srv):
        pc = srv.policy_cmd
        pc("policy", "add", "alice", "--user", "alice", "--priority", "50")
        pc("policy", "add", "staff", "--group", "staff", "--priority", "100")
        pc("policy", "add", "lab", "--client-ip", "192.0.2.0/25", "--user", "CORP\\bob", "--priority", "200")
        for pol in ("default", "alice", "staff", "lab"):
            pc("dlp", "add", "cards", "--detector", "credit-card", "--action", "block", "--policy", pol)
        pc("dlp", "add", "secret", "--detector", "keyword:CONFIDENTIAL", "--action", "block")
        pc("dlp", "add", "codes", "--detector", "regex:PRJ-[0-9]{6}", "--action", "block")
        pc("dlp", "add", "ids", "--detector", "my-number", "--detector", "ssn", "--action", "block",
           "--policy", "staff")
        pc("dlp", "add", "iban", "--detector", "iban", "--min-count", "2", "--action", "block", "--policy", "lab")
        pc("url", "add", "--list", "block", "--match", "domain", "*.blocked.test")
        pc("url", "add", "--list", "block", "--match", "prefix", "clean.test/private/")
        pc("url", "add", "--list", "block", "--match", "regex", "\\.(exe|scr)($|\\?)")
        pc("url", "add", "--list", "block", "--match", "substring", "fz-banned")
        pc("url", "add", "--list", "block", "--match", "domain", "social.test", "--policy", "staff")
        pc("url", "add", "--list", "allow", "--match", "domain", "partner.test", "--policy", "alice")
        pc("url", "add", "--list", "block", "--match", "domain", "partner.test")
        pc("filetype", "block", "executable", "script")
        for k in ("icap.x-virus-id", "icap.x-infection-found", "icap.x-violations-found"):
            pc("set", k, "on")

    def probes(self, n):
        staff = ("X-Authenticated-Groups: staff",)
        alice = ("X-Authenticated-User: %s" % b64s("alice").decode(),)
        return super().probes(n) + [
            ("clean REQMOD as alice", "REQMOD", "http://partner.test/h%d" % n, make_body(5000, seed=n), alice,
             "pass"),
            ("card REQMOD as staff", "REQMOD", "http://clean.test/c%d" % n,
             b"order: 4111 1111 1111 1111\n", staff, "block"),
            ("keyword REQMOD", "REQMOD", "http://clean.test/k%d" % n, b"a CONFIDENTIAL plan\n", (), "block"),
            ("regex REQMOD", "REQMOD", "http://clean.test/r%d" % n, b"ticket PRJ-123456 x\n", (), "block"),
            ("URL prefix", "REQMOD", "http://clean.test/private/%d" % n, None, (), "block"),
            ("URL of staff's policy", "REQMOD", "http://social.test/%d" % n, None, staff, "block"),
            ("the same URL, no group", "REQMOD", "http://social.test/%d" % n, None, (), "pass")]

    def check_answer(self, what, r):
        if what == "EICAR RESPMOD" and not (r.header("X-Virus-ID") and r.header("X-Infection-Found")):
            return ["EICAR blocked without X-Virus-ID / X-Infection-Found (icap.x-* on)"]
        if what == "card REQMOD as staff" and not r.header("X-Violations-Found"):
            return ["card block without X-Violations-Found (icap.x-violations-found on)"]
        return []


LIMITS = ("sekisho.MaxMemBody 1K\n"                       # every held body spills to a file
          "sekisho.Option virus_scan.memory-threshold 1K\n"
          "sekisho.Option virus_scan.max-scantime 2\n"
          "sekisho.Option virus_scan.max-recursion 3\n"
          "sekisho.Option virus_scan.decode-min-bytes 16K\n"
          "sekisho.Option virus_scan.heavy-bytes 32K\n"
          "sekisho.Option dlp.max-decoded 64K\n"
          "sekisho.Option dlp.decode-min-bytes 16K\n")


class Limits(Profile):
    """Small limits, every failure blocked: bodies spill to files past
    1 KiB, 64 KiB scanned at most (av.max-scan-size, dlp.max-decoded),
    short scan deadlines, archives shallow; on-* all block."""
    name = "limits"
    config = LIMITS + ("sekisho.Option dlp.on-limit block\nsekisho.Option dlp.on-error block\n"
                       "sekisho.OnModuleError block\n")

    def setup(self, srv):
        super().setup(srv)
        pc = srv.policy_cmd
        pc("set", "av.max-scan-size", "64K")
        pc("set", "av.max-files", "20")
        for k in ("av.on-limit", "av.on-error", "av.on-encrypted", "av.on-partial", "url.on-error"):
            pc("set", k, "block")

    def probes(self, n):
        big = make_body(200000, seed=n)
        return super().probes(n) + [
            ("clean RESPMOD over av.max-scan-size", "RESPMOD", "http://clean.test/big%d" % n, big, (), "block"),
            ("EICAR late in a spilled RESPMOD", "RESPMOD", "http://clean.test/late%d" % n,
             make_body(60000, seed=n) + EICAR, (), "block")]


class Permissive(Profile):
    """Fail open: every on-* verdict the settings offer set to allow (av
    and url by sekisho-policy, dlp's and a module error's by directive),
    av.max-scan-size 256K. What cannot be checked passes with its reason
    in the access log; what is checked and found is still blocked."""
    name = "permissive"
    config = ("sekisho.Option dlp.on-limit allow\nsekisho.Option dlp.on-error allow\n"
              "sekisho.OnModuleError allow\n")
    threat_may_pass = True
    pass_reason = re.compile(r"limit|error|encrypt|partial|decod|unread|corrupt|cannot|could not", re.I)

    def setup(self, srv):
        super().setup(srv)
        pc = srv.policy_cmd
        pc("set", "av.max-scan-size", "256K")
        for k in ("av.on-limit", "av.on-error", "av.on-encrypted", "av.on-partial", "url.on-error"):
            pc("set", k, "allow")

    def probes(self, n):
        return super().probes(n) + [
            ("clean RESPMOD over av.max-scan-size", "RESPMOD", "http://clean.test/big%d" % n,
             make_body(300000, seed=n), (), "pass-logged"),
            ("card REQMOD", "REQMOD", "http://clean.test/c%d" % n, b"order: 4111 1111 1111 1111\n", (),
             "block")]


PROFILES = {p.name: p for p in (Profile(), Strict(), Limits(), Permissive())}


class Fuzz:
    def __init__(self, args, ck):
        self.a, self.ck = args, ck
        self.build = os.path.abspath(args.build_dir)
        self.srv = None
        self.h = None
        self.asan_seen = set()
        self.findings = []
        self.cases_run = 0
        self.answers = {}     # ICAP status (or how the connection ended): count
        self.log_done = 0     # access-log lines already judged
        self.sanitized = bool(os.environ.get("SEKISHO_DAEMON_PRELOAD"))
        self.prof = PROFILES[args.profile]
        self.passed = []      # threats the profile let pass: their access-log lines are judged

    def start(self):
        conf = (VARIANTS[self.a.variant] or "") + self.prof.config
        srv = SekishoServer(self.build, name="fuzz", modules="url_block virus_scan dlp xheaders",
                            debug=1, config_text=conf or None)
        srv.init_db()
        self.prof.setup(srv)
        if self.sanitized:
            # reports next to our run dir, where the batch check reads them
            # (a later log_path wins over test.sh's shared one)
            for var, name in (("ASAN_OPTIONS", "asan"), ("UBSAN_OPTIONS", "asan-ubsan")):
                os.environ[var] = (os.environ.get(var, "") +
                                   ":log_path=%s" % os.path.join(srv.tmp, name))
        srv.start(timeout=90 if self.sanitized else 30)
        self.srv = srv
        self.h = Hostile(self.ck, srv)

    def stop(self):
        return None if self.srv is None else self.srv.stop()

    def asan_reports(self):
        new = []
        for f in sorted(glob.glob(os.path.join(self.srv.tmp, "asan*"))):
            try:
                with open(f, errors="replace") as fh:
                    parts = sanitizer_reports.counts(fh.read(), f)
            except OSError:
                continue
            if parts and f not in self.asan_seen:
                self.asan_seen.add(f)
                new.append("%s:\n%s" % (f, "\n".join(parts)[:6000]))
        return new

    def health(self):
        """Problems of the server after a batch (empty: healthy)."""
        srv, bad = self.srv, []
        crashes = self.h.settled_crashes()
        if crashes is None:
            bad.append("server log unreadable")
        else:
            new = crashes[self.h.crash_seen:]
            self.h.crash_seen = len(crashes)
            if new:
                bad.append("worker died: %s" % new[:4])
        if srv.proc.poll() is not None:
            return bad + ["launcher exited rc %s" % srv.proc.returncode]
        bad += self.asan_reports()
        logged = []
        for what, method, url, data, extra, expect in self.prof.probes(self.cases_run):
            c = None
            try:
                c = IcapConn("127.0.0.1", srv.port, 30)
                if method == "REQMOD":
                    req = http_req_head("POST" if data is not None else "GET", url,
                                        body_len=None if data is None else len(data))
                    res = None
                else:
                    req, res = http_req_head("GET", url), http_res_head(body_len=len(data))
                r = transact(c, method, srv.url("sekisho"), req, res, data, extra=extra)
                if expect == "block":
                    ok = r.status == 200 and r.http_status() == 403
                elif method == "REQMOD":
                    ok = (r.status == 200 and no_via(r.parts.get("req-hdr")) == req and r.body == data)
                else:
                    ok = r.status == 200 and r.http_status() == 200 and r.body == data
                if not ok:
                    bad.append("%s: want %s, got ICAP %s HTTP %s body %s" % (
                        what, expect, r.status, r.http_status(), None if r.body is None else sha(r.body)))
                else:
                    bad += ["%s: %s" % (what, p) for p in self.prof.check_answer(what, r)]
                if expect == "pass-logged":
                    logged.append((what, url.encode(), None))
            except Exception as e:  # noqa: BLE001
                bad.append("%s: %s: %s" % (what, type(e).__name__, e))
            finally:
                if c:
                    c.close()
        # a threat's line is found by its URL, or (a request line the
        # server could not read: no URL logged) by its size on the wire
        bad += self.passed_logged(logged + [("threat case %d let pass (ICAP %s)" % (t.idx, t.passed.decode()),
                                              b"/fz-threat-%d-%d" % (t.seed, t.idx), len(t.data))
                                             for t in self.passed])
        self.passed = []
        bad += self.log_problems()
        return bad

    def passed_logged(self, items):
        """Each (what, URL part) passed by an on-* verdict of allow must
        have its access-log line: verdict allow, a reason the profile
        names (pass_reason). Lines are written as transactions end: a few
        seconds' grace."""
        bad = []
        for what, mark, size in items:
            end = time.monotonic() + (10 if self.sanitized else 4)
            while True:
                rows = []
                for ln in self.srv.log_lines():
                    if mark in ln or (size is not None and b'"url":""' in ln
                                      and b'"bytes_in":%d,' % size in ln):
                        try:
                            rows.append(json.loads(ln))
                        except ValueError:
                            pass
                if rows or time.monotonic() > end:
                    break
                time.sleep(0.1)
            # a threat's EICAR or card is plain in its body: "scanned as it
            # is" and passed means the scan missed it
            ok = [d for d in rows if d.get("verdict") == "allow"
                  and self.prof.pass_reason.search(d.get("reason") or "")
                  and not (size is not None and "scanned as it is" in (d.get("reason") or ""))]
            if not ok:
                bad.append("%s: no access-log line 'allow' with an on-* reason: %s"
                           % (what, [(d.get("verdict"), d.get("rule"), d.get("reason")) for d in rows][:3]))
        return bad

    def log_problems(self):
        bad = []
        try:
            with open(self.srv.access_log, "rb") as f:
                lines = f.read().split(b"\n")[:-1]
        except OSError:
            lines = []
        for ln in lines[self.log_done:]:
            try:
                if not isinstance(json.loads(ln), dict):
                    raise ValueError("not an object")
            except ValueError as e:
                bad.append("access log line not one JSON object (%s): %r" % (e, ln[:300]))
                break
        self.log_done = len(lines)
        txt = (self.srv.server_log() or "").encode("utf-8", "surrogateescape")
        for mark in (ESC, b"\x00", INJECT + b": 1"):
            if mark in txt:
                i = txt.index(mark)
                bad.append("server log carries raw client bytes %r: %r" % (mark, txt[max(0, i - 120):i + 40]))
        return bad


def _batch_threads(fz, cases, conns):
    """Runs CASES over CONNS threads; per-case problems as {idx: [..]}."""
    probs = {}
    lock = threading.Lock()
    todo = list(cases)

    def worker():
        while True:
            with lock:
                if not todo:
                    return
                c = todo.pop(0)
            got, how = run_case(fz.srv.port, c)
            p = judge_case(c, got, how, fz.prof)
            st = got[9:12].decode("latin-1") if got.startswith(b"ICAP/1.0 ") else how
            if got.startswith(b"ICAP/1.0 100") and b"\r\n\r\nICAP/1.0 " in got:
                st = "100+" + got.split(b"\r\n\r\nICAP/1.0 ", 1)[1][:3].decode("latin-1")
            if c.threat:
                page = block_page(got)
                st = ("threat-card " if c.marker != [EICAR] else "threat ") + ("blocked" if page else "passed " + st if c.passed else st)
            with lock:
                if c.passed:
                    fz.passed.append(c)
                fz.answers[st] = fz.answers.get(st, 0) + 1
                fz.cases_run += 1
                if p:
                    probs[c.idx] = p
    th = [threading.Thread(target=worker, daemon=True) for _ in range(conns)]
    for t in th:
        t.start()
    for t in th:
        t.join(HANG * len(cases) + 60)
    return probs


def reproduces(fz, c):
    """Replays C alone: its problems, or the server's (then restarted)."""
    got, how = run_case(fz.srv.port, c)
    p = judge_case(c, got, how, fz.prof)
    if c.passed:
        fz.passed.append(c)
    p += fz.health()
    if fz.srv.proc.poll() is not None:
        fz.stop()
        fz.start()
    return p


def minimise(fz, c, budget):
    """ddmin over C's bytes (one piece; preview cases flattened), at most
    BUDGET replays; the smallest case with a problem of the same kind."""
    kind = (reproduces(fz, c) or ["?"])[0].split(":")[0]
    data = c.data
    tries = 0
    n = 2

    def still(d):
        nonlocal tries
        tries += 1
        t = Case(c.seed, c.idx)
        t.pieces, t.mode, t.threat, t.marker = [d], "full", c.threat, c.marker
        return any(p.split(":")[0] == kind for p in reproduces(fz, t))
    while len(data) >= 2 and tries < budget:
        step = max(1, len(data) // n)
        done = False
        for i in range(0, len(data), step):
            if tries >= budget:
                break
            cand = data[:i] + data[i + step:]
            if cand and still(cand):
                data, n, done = cand, max(n - 1, 2), True
                break
        if not done:
            if step == 1:
                break
            n = min(len(data), n * 2)
    return data, kind, tries


def save(fz, c, data, probs):
    os.makedirs(fz.a.out, exist_ok=True)
    base = os.path.join(fz.a.out, "fuzz-%d-%d" % (c.seed, c.idx))
    with open(base + ".bin", "wb") as f:
        f.write(data)
    with open(base + ".json", "w") as f:
        json.dump({"seed": c.seed, "case": c.idx, "mode": c.mode, "labels": c.label,
                   "threat": c.threat, "problems": probs[:10]}, f, indent=1)
    return base + ".bin"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cases", type=int, default=160)
    ap.add_argument("--seconds", type=float, default=90)
    ap.add_argument("--batch", type=int, default=40)
    ap.add_argument("--conns", type=int, default=4)
    ap.add_argument("--first", type=int, default=0, help="first case number")
    ap.add_argument("--variant", choices=sorted(VARIANTS), default="default")
    ap.add_argument("--profile", choices=sorted(PROFILES), default="default",
                    help="policy and server settings (README: Profiles)")
    ap.add_argument("--out", default=os.path.join(os.getcwd(), "fuzz-icap-findings"))
    ap.add_argument("--minimise", type=int, default=80, help="replays per finding at most")
    ap.add_argument("--replay-case", default="", help="case numbers (of --seed) to replay alone")
    ap.add_argument("--replay", default="", help="a saved .bin to send alone (mode full)")
    ap.add_argument("--threat", action="store_true",
                    help="--replay: the input carries EICAR and must not pass")
    a = ap.parse_args()
    ck = Check("fuzz")
    fz = Fuzz(a, ck)
    try:
        fz.start()
    except StartupError as e:
        ck.ok("server starts", False, str(e))
        return ck.summary()
    t0 = time.monotonic()
    port = fz.srv.port
    try:
        if a.replay or a.replay_case:
            todo = []
            if a.replay:
                c = Case(a.seed, -1)
                c.threat = a.threat
                with open(a.replay, "rb") as f:
                    # the saved request names the port of the run that saved it
                    c.pieces = [re.sub(rb"icap://127\.0\.0\.1:\d+/", b"icap://127.0.0.1:%d/" % port,
                                       f.read(), count=1)]
                todo.append(c)
            todo += [gen_case(a.seed, int(i), port, fz.prof) for i in a.replay_case.split(",") if i]
            for c in todo:
                p = reproduces(fz, c)
                ck.ok("replay %s (%d bytes, %s)" % (c.idx, len(c.data), ",".join(c.label)), not p, p)
        else:
            fuzz_loop(fz, ck, a, t0)
    finally:
        rc = fz.stop()
        ck.eq("SIGTERM after the fuzz run: launcher exits 0", rc, 0)
        ck.ok("port free afterwards", port_is_free(fz.srv.port))
        if fz.sanitized:
            late = fz.asan_reports()   # leaks are reported at the children's exit
            ck.ok("no sanitizer report of ours (leaks at exit included)", not late, late)
        if not ck.failed:
            fz.srv.cleanup()
        else:
            print(fz.srv.daemon_log_tail())
            print("kept %s" % fz.srv.tmp)
    return ck.summary()


def fuzz_loop(fz, ck, a, t0):
    """Batches until --cases or --seconds; findings minimised into --out."""
    idx = a.first
    batches = 0
    while idx < a.first + a.cases and time.monotonic() - t0 < a.seconds:
        n = min(a.batch, a.first + a.cases - idx)
        port = fz.srv.port
        cases = [gen_case(a.seed, i, port, fz.prof) for i in range(idx, idx + n)]
        idx += n
        batches += 1
        probs = _batch_threads(fz, cases, a.conns)
        server = fz.health()
        kb = tree_kb(fz.srv.proc.pid, "Anonymous") if fz.srv.proc.poll() is None else -1
        print("  batch %d: cases %d-%d, %d case problems, server %s, anon %d kB, %.0f s"
              % (batches, idx - n, idx - 1, len(probs), "ok" if not server else "NOT OK", kb,
                 time.monotonic() - t0), flush=True)
        if not probs and not server:
            continue
        # culprits: the cases that failed on their own, else each of the batch
        suspects = [c for c in cases if c.idx in probs] or cases
        for p in server:
            print("    server: %s" % p[:2000])
        if fz.srv.proc.poll() is not None:
            fz.stop()
            fz.start()
        for c in suspects[:6]:
            got = reproduces(fz, c)
            if not got:
                continue
            data, kind, tries = minimise(fz, c, a.minimise)
            path = save(fz, c, data, got)
            fz.findings.append((c.idx, kind, path))
            print("    FINDING case %d (%s): %s; minimised %d -> %d bytes in %d replays: %s"
                  % (c.idx, ",".join(c.label), got[0][:300], len(c.data), len(data), tries, path))
        if server and not any(f[0] in [c.idx for c in suspects] for f in fz.findings):
            fz.findings.append((-1, "batch-only: " + server[0][:200], None))
    el = time.monotonic() - t0
    print("  %d cases (%d..%d, seed %d) in %.0f s: %.1f cases/s; %d finding(s)"
          % (fz.cases_run, a.first, idx - 1, a.seed, el, fz.cases_run / max(el, 1),
             len(fz.findings)))
    print("  answers: %s" % ", ".join("%s %d" % kv for kv in sorted(fz.answers.items())))
    ck.ok("at least one batch ran", batches > 0)
    # a generator that only made garbage would pass every oracle: the run
    # must have reached the modules (passes, EICAR blocked) and the guard
    got = fz.answers
    ck.ok("the cases reached the modules and the guard (answers 200/204, threats blocked, 400s)",
          got.get("200", 0) + got.get("204", 0) > 0 and got.get("threat blocked", 0) > 0
          and got.get("400", 0) > 0, got)
    ck.ok("no finding (crash, hang, sanitizer report, injection, silent allow)",
          not fz.findings, fz.findings)


if __name__ == "__main__":
    sys.exit(main())
