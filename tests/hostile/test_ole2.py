#!/usr/bin/env python3
"""Legacy Office files (OLE2 compound files) through the real daemon (dlp).

DLP read .doc, .xls, .ppt and .msg uploads, and the OLE2 object RTF
embeds, as raw bytes: a card Word stored as UTF-16 (any character outside
cp1252 in the document makes Word and LibreOffice write UTF-16), split by
sectors stored out of order, by pieces of the piece table, by an Excel
CONTINUE record, typed as a number in a cell, in a PowerPoint text atom or
an Outlook body or attachment passed. cfbforge.py writes the files (sector
order shuffled, the mini stream shuffled, version 4, a DIFAT beyond the
header); LibreOffice (deps.sh test) writes real ones and is, with catdoc,
xls2csv and catppt, the oracle that a reader shows the card.

Groups: g_forms (each form blocked by the card template; the same file
without the card passes byte-identical), g_producers (LibreOffice's .doc
and .xls with a card blocked, without one byte-identical), g_hostile
(broken structures: dlp.on-error, answered promptly, the server keeps
serving), g_clamav (what clamscan finds in OLE2 layouts: a measurement,
reported, see virus_scan's README).

Usage: test_ole2.py --build-dir BUILD [--only g_forms ...] [--count]
  --count: print, per form, whether it was blocked (before/after counts).
"""

import argparse
import io
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cfbforge as cf  # noqa: E402
from icaplib import Check, SekishoServer, check_asan, main_wrapper, serve_checked  # noqa: E402
from test_evasion import reqmod, blocked, passed_identical, log_entry  # noqa: E402

CARD = "4111 1111 1111 1111"
CLEAN = "order 12345 ext 4111"


def rtf_with(ole):
    return (b"{\\rtf1\\ansi{\\object\\objemb{\\*\\objclass Word.Document.8}{\\*\\objdata " +
            cf.ole1(ole).hex().encode() + b"}}\\par}")


def forms(t):
    """(name, kind, file bytes) with T (a card, or a clean text) in each
    form; KIND: 'doc', 'xls', 'ppt', 'msg', 'rtf' (for the oracles)."""
    pad = "Lorem ipsum dolor sit amet. " * 200
    half = len(t) // 2
    # an attachment of 6 KB in shuffled sectors: no zip in the raw bytes
    zb = io.BytesIO()
    with zipfile.ZipFile(zb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("noise.bin", bytes(random.Random(1).getrandbits(8) for _ in range(6000)))
        z.writestr("cards.txt", "Card: " + t + "\n")
    utf16_doc = cf.word([("Invoice ", False), ("Card \u2713 " + t + "\r", True)])
    return [
        ("Word UTF-16 piece", "doc", cf.cfb(utf16_doc)[0]),
        ("Word compressed and UTF-16 pieces splitting the number", "doc",
         cf.cfb(cf.word([("Card: " + t[:half], False), (t[half:] + " \u2713\r", True)]))[0]),
        ("Word pieces out of file order (fast save)", "doc",
         cf.cfb(cf.word([(t[half:] + " \u2713\r", True, 1), ("Card: " + t[:half], False, 0)]))[0]),
        # a 8-bit piece of 5,600 characters: the number crosses a sector
        # boundary (0x600 + 500 + 6 = 2042 to 2061) and the sectors are shuffled
        ("Word, number across shuffled 512-byte sectors", "doc",
         cf.cfb(cf.word([(pad[:500] + "Card: " + t + " " + pad, False)]), shuffle=7)[0]),
        ("Word, version 4 (4096-byte sectors) shuffled", "doc",
         cf.cfb(cf.word([(pad[:4090] + " Card " + t + " \u2713" + pad, True)]), version=4,
                shuffle=11)[0]),
        ("Word in the mini stream, mini sectors shuffled", "doc",
         cf.cfb(cf.word([("Card: " + t[:3], False), (t[3:] + " \u2713\r", True)]),
                mini_shuffle=5)[0]),
        ("Word with a DIFAT beyond the header", "doc",
         cf.cfb(utf16_doc, fat_sectors=120, shuffle=3)[0]),
        ("Word document title (UTF-16 property set)", "props",
         cf.cfb(cf.summary("Title \u2713 " + t) + cf.word([("Hello", False)]))[0]),
        ("Excel shared string split by CONTINUE (flag byte switches to UTF-16)", "xls",
         cf.cfb(cf.xls(["Card " + t + " \u2713", "x"], split_at=9))[0]),
        ("Excel number cell (16 digits)", "xls",
         cf.cfb(cf.xls(["n"], [float(t.replace(" ", "")) if t == CARD else 12345.0]))[0]),
        ("Excel number cell (15-digit Amex)", "xls",
         cf.cfb(cf.xls(["n"], [378282246310005.0 if t == CARD else 4111.0]))[0]),
        ("PowerPoint TextCharsAtom (UTF-16)", "ppt",
         cf.cfb(cf.ppt([("Card \u2713 " + t, True)]))[0]),
        ("PowerPoint TextBytesAtom, shuffled", "ppt",
         cf.cfb(cf.ppt([(pad[:330], False), ("Card " + t, False)]), shuffle=3)[0]),
        ("Outlook message body (UTF-16 property)", "msg",
         cf.cfb(cf.msg("Hello", "Card: " + t + "\r\n"))[0]),
        ("Outlook attachment (a zip in shuffled sectors)", "msg",
         cf.cfb(cf.msg("Hello", "see attachment", [("cards.zip", zb.getvalue())]),
                shuffle=4)[0]),
        ("RTF embedding a Word document (OLE1 + compound file)", "rtf",
         rtf_with(cf.cfb(utf16_doc)[0])),
    ]


def soffice(d, target, paths):
    """LibreOffice (its profile in D) converts PATHS to TARGET into D."""
    subprocess.run(["soffice", "-env:UserInstallation=file://" + d + "/lo", "--headless",
                    "--convert-to", target, "--outdir", d] + list(paths),
                   capture_output=True, timeout=300)


def produced(ck, d, stem):
    """The bytes LibreOffice wrote to D/STEM; None and a failed check when
    it wrote nothing."""
    p = os.path.join(d, stem)
    if not os.path.exists(p):
        ck.ok("LibreOffice wrote %s" % stem, False)
        return None
    return open(p, "rb").read()


def soffice_text(tmp, files, fmt):
    """LibreOffice's text of FILES {name: bytes} (fmt: 'txt' or 'csv')."""
    d = tempfile.mkdtemp(dir=tmp)
    paths = []
    for name, data in files.items():
        p = os.path.join(d, name)
        open(p, "wb").write(data)
        paths.append(p)
    target = "txt:Text (encoded):UTF8" if fmt == "txt" else "csv:Text - txt - csv (StarCalc):44,34,76"
    soffice(d, target, paths)
    out = {}
    for name in files:
        p = os.path.join(d, os.path.splitext(name)[0] + "." + fmt)
        out[name] = open(p, encoding="utf-8-sig", errors="replace").read() \
            if os.path.exists(p) else ""
    return out


def post(srv, body, ctype="application/octet-stream", url="http://upload.test/ole2"):
    return reqmod(srv, "POST", url, body, extra=["Content-Type: " + ctype])


def form_part(name, body):
    return (b"--B\r\nContent-Disposition: form-data; name=f; filename=" + name.encode() +
            b"\r\nContent-Type: application/octet-stream\r\n\r\n" + body + b"\r\n--B--\r\n")


def card_blocked(r):
    return blocked(r) and b"cards" in (r.body or b"")


def g_forms(ck, srv, tmp, count=None):
    """Every form with a card blocked by the card template (not by an
    error), as octet-stream and as a form part; without the card the same
    file passes byte-identical. LibreOffice (Word, Excel) and catppt show
    the card: a reader sees it."""
    bad, good = forms(CARD), forms(CLEAN)
    # LibreOffice 7.4 opens no version 4 file of ours (7-Zip does: its
    # WordDocument stream holds the card, below)
    files = {"f%d.doc" % i: b for i, (n, k, b) in enumerate(bad)
             if k == "doc" and "version 4" not in n}
    for name, text in soffice_text(tmp, files, "txt").items():
        i = int(name[1:].split(".")[0])
        digits = "".join(c for c in text if c.isdigit())
        ck.ok("oracle: LibreOffice shows the card in %s" % bad[i][0],
              "4111111111111111" in digits, text[:200])
    for name, kind, body in bad:
        # catppt shows nothing of a shuffled mini stream: 7-Zip, an
        # independent compound file reader, reassembles the stream
        if ("version 4" in name or kind == "ppt" and "shuffled" in name) and shutil.which("7z"):
            with tempfile.NamedTemporaryFile(suffix=".doc", dir=tmp) as f:
                f.write(body)
                f.flush()
                wd = subprocess.run(["7z", "e", "-so", f.name,
                                     "WordDocument" if kind == "doc" else "PowerPoint Document"],
                                    capture_output=True).stdout
            ck.ok("oracle: 7-Zip's reassembled stream of %s holds the card" % name,
                  CARD.encode("utf-16-le") in wd or CARD.encode() in wd, len(wd))
            continue
        if kind not in ("ppt", "xls"):
            continue
        with tempfile.NamedTemporaryFile(suffix="." + kind, dir=tmp) as f:
            f.write(body)
            f.flush()
            out = subprocess.run(["catppt" if kind == "ppt" else "xls2csv", f.name],
                                 capture_output=True).stdout.decode("utf-8", "replace")
        # xls2csv shows a 16-digit number as 4.11111111111111e+15 (Excel's
        # General format too: 15 significant digits); the value is the card
        ck.ok("oracle: %s shows the card in %s" % ("catppt" if kind == "ppt" else "xls2csv", name),
              CARD in out or "378282246310005" in out or "4.11111111111111e+15" in out,
              out[:200])
    for (name, kind, body), (_, _, cbody) in zip(bad, good):
        raw8 = CARD.encode() in body or CARD.replace(" ", "").encode() in body
        ck.ok("%s: the card is not in the file's 8-bit bytes" % name,
              not raw8 or kind in ("xls",), "")
        r = post(srv, body)
        if count is not None:
            count.append((name, card_blocked(r)))
        ck.ok("%s: blocked" % name, card_blocked(r),
              "%s http=%s %r" % (r.status, r.http_status(), (r.body or b"")[:120]))
        r = post(srv, form_part("upload" + (".rtf" if kind == "rtf" else "." + kind), body),
                 "multipart/form-data; boundary=B")
        ck.ok("%s: blocked as a form part" % name, card_blocked(r), r.status)
        r = post(srv, cbody)
        ck.ok("%s without a card: passes byte-identical" % name, passed_identical(r, cbody),
              "%s http=%s %s" % (r.status, r.http_status(),
                                 log_entry(srv, "http://upload.test/ole2").get("reason", "")))


FODS = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.2"
 office:mimetype="application/vnd.oasis.opendocument.spreadsheet">
 <office:master-styles><style:master-page style:name="Default" style:page-layout-name="pm1">
  <style:header><text:p>%s</text:p></style:header></style:master-page></office:master-styles>
 <office:body><office:spreadsheet><table:table table:name="Sheet1"><table:table-row>
  <table:table-cell office:value-type="string"><office:annotation><dc:creator>x</dc:creator>
   <text:p>%s</text:p></office:annotation><text:p>hello</text:p></table:table-cell>
 </table:table-row></table:table></office:spreadsheet></office:body></office:document>
"""

FODP = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
 xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"
 xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
 xmlns:officeooo="http://openoffice.org/2009/office"
 xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.2"
 office:mimetype="application/vnd.oasis.opendocument.presentation">
 <office:body><office:presentation><draw:page draw:name="p1">
  <draw:frame svg:x="1cm" svg:y="1cm" svg:width="10cm" svg:height="3cm"><draw:text-box>
   <text:p>Slide \u2713</text:p></draw:text-box></draw:frame>
  <officeooo:annotation><dc:creator>x</dc:creator><text:p>%s</text:p></officeooo:annotation>
 </draw:page></office:presentation></office:body></office:document>
"""


def g_producers(ck, srv, tmp):
    """LibreOffice's own .doc (UTF-16 text: a check mark in it), .xls (a
    card as text and a 15-digit card as a number; a card only in a cell's
    comment or only in the page header) and .ppt (a card only in a slide's
    comment): blocked; the same
    documents without a card pass byte-identical. catdoc and xls2csv show
    the card (they show neither comments nor headers)."""
    d = tempfile.mkdtemp(dir=tmp)
    texts = {"card.txt": "Invoice f\u00fcr Caf\u00e9\nCard: %s\nThank you \u2713\n" % CARD,
             "clean.txt": "Invoice f\u00fcr Caf\u00e9\nOrder 12345, ext 4111\nThank you \u2713\n",
             "card.csv": "Name,Card,Num\nA,%s,378282246310005\n" % CARD,
             "clean.csv": "Name,Note,Num\nA,order 12345,4111\n"}
    # a card only in a cell's comment, only in the page header (UTF-16:
    # a check mark in it; passed before the Excel reader read TXO and
    # HEADER records), and neither
    sheets = {"note.fods": ("Page \u2713", "Call back " + CARD + " \u2713"),
              "head.fods": ("Card " + CARD + " \u2713", "Call back \u2713"),
              "plain.fods": ("Page \u2713", "Call back, order 12345 \u2713")}
    for n, t in texts.items():
        open(os.path.join(d, n), "w").write(t)
    for n, (head, note) in sheets.items():
        open(os.path.join(d, n), "w").write(FODS % (head, note))
    # a card only in a slide's comment: PowerPoint 2002's binary tag data
    slides = {"cmt.fodp": "Call back " + CARD + " \u2713", "plaincmt.fodp": "Call back \u2713"}
    for n, note in slides.items():
        open(os.path.join(d, n), "w").write(FODP % note)
    soffice(d, "ppt:MS PowerPoint 97", [os.path.join(d, n) for n in slides])
    for stem, card in (("cmt.ppt", True), ("plaincmt.ppt", False)):
        body = produced(ck, d, stem)
        if body is None:
            continue
        r = post(srv, body)
        if card:
            ck.ok("LibreOffice's .ppt with a card only in a comment (UTF-16): blocked",
                  CARD.encode("utf-16-le") in body and card_blocked(r))
        else:
            ck.ok("LibreOffice's .ppt with a comment, no card: passes byte-identical",
                  passed_identical(r, body), "%s" % r.status)
    soffice(d, "doc:MS Word 97", [os.path.join(d, n) for n in ("card.txt", "clean.txt")])
    soffice(d, "xls:MS Excel 97",
            [os.path.join(d, n) for n in ["card.csv", "clean.csv"] + list(sheets)])
    for stem in ("note.xls", "head.xls"):
        body = produced(ck, d, stem)
        if body is None:
            continue
        ck.ok("LibreOffice's %s: the card only as UTF-16" % stem,
              CARD.encode() not in body and CARD.encode("utf-16-le") in body)
        ck.ok("LibreOffice's %s (a card in a %s): blocked" %
              (stem, "comment" if stem == "note.xls" else "page header"),
              card_blocked(post(srv, body)))
    body = produced(ck, d, "plain.xls")
    if body is not None:
        r = post(srv, body)
        ck.ok("LibreOffice's .xls with a comment and a header, no card: passes byte-identical",
              passed_identical(r, body), "%s" % r.status)
    for stem, tool in (("card.doc", "catdoc"), ("card.xls", "xls2csv")):
        body = produced(ck, d, stem)
        if body is None:
            continue
        p = os.path.join(d, stem)
        out = subprocess.run([tool, p], capture_output=True).stdout.decode("utf-8", "replace")
        ck.ok("oracle: %s shows the card in LibreOffice's %s" % (tool, stem), CARD in out,
              out[:200])
        ck.ok("LibreOffice's %s: no card in its 8-bit bytes" % stem,
              stem.endswith(".xls") or CARD.encode() not in body)
        ck.ok("LibreOffice's %s: blocked" % stem, card_blocked(post(srv, body)))
        clean = open(p.replace("card", "clean"), "rb").read()
        r = post(srv, clean)
        ck.ok("LibreOffice's clean %s: passes byte-identical" % stem.split(".")[1],
              passed_identical(r, clean),
              "%s %s" % (r.status, log_entry(srv, "http://upload.test/ole2").get("reason", "")))


def hostile():
    """(name, file) pairs a reader cannot read."""
    base, lay = cf.cfb(cf.word([("x" * 6000, False)]))
    wsec = lay["streams"]["WordDocument"][1]
    big = cf.cfb([("s%d" % i, b"y") for i in range(3)])
    out = [
        ("a FAT cycle in a stream's chain", cf.set_fat(base, lay, wsec[3], wsec[1])),
        ("a sector number out of range", cf.set_fat(base, lay, wsec[2], 0x7FFFFFF0)),
        ("a chain longer than its size", cf.set_entry(base, lay, "WordDocument", "size", 5000)),
        ("a size longer than its chain", cf.set_entry(base, lay, "WordDocument", "size", 9000)),
        ("a stream starting past the FAT",
         cf.set_entry(base, lay, "WordDocument", "start", 0x00FFFFFF)),
        ("a directory chain that cycles",
         cf.set_fat(base, lay, lay["dir_at"][0] // 512 - 1, lay["dir_at"][0] // 512 - 1)),
        ("a mini stream chain out of range",
         cf.set_entry(big[0], big[1], "s1", "start", 1000000)),
    ]
    # a header that claims 10^6 FAT sectors, a DIFAT of 2^31 sectors
    import struct
    b = bytearray(base)
    struct.pack_into("<I", b, 0x2C, 1000000)
    out.append(("a FAT of 10^6 sectors claimed", bytes(b)))
    b = bytearray(base)
    struct.pack_into("<II", b, 0x44, 0, 0x7FFFFFFF)
    struct.pack_into("<I", b, 0x2C, 200)
    out.append(("a DIFAT of 2^31 sectors claimed", bytes(b)))
    b = bytearray(big[0])
    struct.pack_into("<I", b, 0x40, 1000000)
    out.append(("a miniFAT of 10^6 sectors (1.3e8 mini sectors) claimed", bytes(b)))
    # 100,000 pieces over one 4 KB text: 400 million characters
    out.append(("100,000 Word pieces over one text",
                cf.cfb(cf.word([("4111 " * 800, False)], repeat=100000))[0]))
    # a mini stream of 10^6 mini sectors: every stream 64 bytes (15,000
    # streams; the directory, the miniFAT and the mini stream are all large)
    many, _ = cf.cfb([("m%05d" % i, b"z" * 64) for i in range(15000)])
    out.append(("15,000 streams of one mini sector", many))
    return out


def g_hostile(ck, srv, tmp):
    """Broken structures: dlp.on-error (rule dlp-undecodable) within a
    bound; the server keeps serving; a Word document whose FIB says
    encrypted, an Excel FILEPASS and an EncryptedPackage stream too."""
    for name, body in hostile():
        t0 = time.monotonic()
        r = post(srv, body)
        dt = time.monotonic() - t0
        e = log_entry(srv, "http://upload.test/ole2")
        if name.startswith("15,000"):
            ck.ok("%s: read and passed within 10 s (%.1f s)" % (name, dt),
                  r.status == 204 and dt < 10, r.status)
            continue
        ck.ok("%s: blocked (dlp.on-error) within 5 s (%.1f s)" % (name, dt),
              blocked(r) and dt < 5, "%s %s" % (r.status, e.get("reason", "")))
    # a directory of 100,001 entries (12 MB): past dlp's 100,000, on-limit
    body = cf.cfb([("e%06d" % i, b"") for i in range(100001)])[0]
    t0 = time.monotonic()
    r = post(srv, body, url="http://upload.test/ole2-many")
    e = log_entry(srv, "http://upload.test/ole2-many")
    ck.ok("a directory of 100,001 entries: blocked (dlp.on-limit) within 10 s (%.1f s)"
          % (time.monotonic() - t0), blocked(r) and e.get("rule") == "dlp-limit",
          "%s %s" % (r.status, e.get("rule")))
    for name, ents in (("a Word document encrypted (FIB fEncrypted)",
                        cf.word([("secret", False)], encrypted=True)),
                       ("an Excel workbook with FILEPASS", cf.xls(["x"], filepass=True)),
                       ("an EncryptedPackage (password-protected docx)",
                        [("EncryptedPackage", b"\0" * 5000), ("EncryptionInfo", b"\4\0\4\0")])):
        r = post(srv, cf.cfb(ents)[0])
        ck.ok("%s: blocked (dlp.on-error)" % name, blocked(r), r.status)
    body = cf.cfb(cf.word([("hello", False)]))[0]
    ck.ok("the server still serves: a clean .doc passes", passed_identical(post(srv, body), body))


def g_clamav(ck, srv, tmp):
    """A measurement, not a check of our code: does libclamav find EICAR
    (a body signature: an .hdb hash matches whole files only) split over
    shuffled sectors, shuffled mini sectors, 4096-byte sectors, behind a
    DIFAT, in a .msg attachment's zip? Found in every layout (libclamav
    1.4 reassembles streams itself), so virus_scan needs no walk of its
    own; printed for the record."""
    if not shutil.which("clamscan"):
        ck.ok("clamscan installed", False)
        return
    db = os.path.join(tmp, "eicar.ndb")
    eicar = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR" + b"-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
    open(db, "w").write("Eicar-Test-Signature:0:*:%s\n" % eicar.hex())
    zb = io.BytesIO()
    with zipfile.ZipFile(zb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("e.com", eicar)
    split = b"\0" * 500 + eicar + b"\0" * 5000  # across sectors 0 and 1
    cases = {
        "shuffled sectors": cf.cfb([("Payload", split)], shuffle=9)[0],
        "shuffled mini sectors": cf.cfb([("Payload", b"\0" * 40 + eicar)], mini_shuffle=4)[0],
        "version 4, shuffled": cf.cfb([("Payload", b"\0" * 4060 + eicar + b"\0" * 5000)],
                                      version=4, shuffle=2)[0],
        "a DIFAT beyond the header": cf.cfb([("Payload", split)], fat_sectors=120, shuffle=5)[0],
        "msg attachment (zip)": cf.cfb(cf.msg("s", "b", [("e.zip", zb.getvalue())]))[0],
    }
    for name, body in cases.items():
        if "msg" not in name:
            ck.ok("EICAR is not in the raw bytes (%s)" % name, eicar not in body)
        p = os.path.join(tmp, name + ".bin")
        open(p, "wb").write(body)
        r = subprocess.run(["clamscan", "--no-summary", "-d", db, p], capture_output=True)
        print("clamscan %s: %s" % (name, r.stdout.decode().strip()))
        ck.ok("clamscan finds EICAR in an OLE2 stream (%s)" % name, r.returncode == 1,
              r.stdout[-200:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--only", nargs="+", metavar="GROUP")
    ap.add_argument("--count", action="store_true")
    args = ap.parse_args()
    want = set(args.only or [])
    ck = Check("ole2")
    for tool in ("soffice", "catdoc", "xls2csv", "catppt"):
        ck.ok("tool %s is installed (deps.sh test)" % tool, shutil.which(tool) is not None)
    if ck.failed:
        return ck.summary()
    build = os.path.abspath(args.build_dir)
    tmp = tempfile.mkdtemp(prefix="sekisho-ole2-")
    srv = SekishoServer(build, modules="dlp", name="ole2")
    count = [] if args.count else None

    def setup(srv):
        srv.policy_cmd("dlp", "add", "cards", "--detector", "credit-card", "--action", "block")

    def body():
        for name, fn, extra in [("forms", g_forms, (count,)), ("producers", g_producers, ()),
                                ("hostile", g_hostile, ()), ("clamav", g_clamav, ())]:
            if not want or fn.__name__ in want:
                ck.group(name, fn, ck, srv, tmp, *extra)

    serve_checked(ck, srv, "server starts with --modules dlp", 1, setup, body)
    if count is not None:
        print("blocked %d of %d forms" % (sum(1 for _, b in count if b), len(count)))
        for n, b in count:
            print("  %-70s %s" % (n, "blocked" if b else "PASSED"))
    check_asan(ck)
    shutil.rmtree(tmp, ignore_errors=True)
    return ck.summary()


if __name__ == "__main__":
    main_wrapper(main)
