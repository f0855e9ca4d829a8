#!/usr/bin/env python3
"""Integration test of dlp's PDF reading: the real daemon (--modules dlp),
PDF uploads made the way users make them - reportlab (a standard font; an
embedded TrueType subset with a ToUnicode CMap), cairo (an Identity-H CID
font subset, text in TJ with kerning), Ghostscript's ps2pdf (embedded
Type1 subsets) - and by hand where a tool does not write the case (a
simple font with /Differences and no ToUnicode, single characters spaced
by TJ, text in a Form XObject, an annotation, a form field, the Info
dictionary, a card list in an embedded file), each also rewritten by qpdf
with object streams, encrypted with the empty user password (AES-256, R6)
and with RC4 (R3). Each must be blocked; pdftotext (or pdfinfo, pdfdetach)
is the reference that the text is there at all. Strings of documents whose
strings and streams are under different crypt filters (/StrF, /StmF),
written by tests/hostile/pdfforge.py, qpdf --decrypt the oracle. Clean PDFs pass
byte-identical; a PDF with a user password is dlp.on-error.

--write DIR writes the samples (to compare with pdftotext by hand)."""

import argparse
import os
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.append("/usr/lib/python3/dist-packages")  # Debian's reportlab, cairo
from icaplib import serve_checked, wait_live  # noqa: E402
from icaplib import (Check, SekishoServer, http_req_head,  # noqa: E402
                     transact)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "hostile"))
import pdfforge as pf  # noqa: E402

CARD = "4111 1111 1111 1111"
UPLOAD_URL = "http://upload.example/submit"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


# ---- PDFs by hand ----

def pdf_doc(objs, info=None, compress=True, trailer_extra=b""):
    """Objects 1..n (object 1 the catalog): (dictionary, stream or None)."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offs = []
    for i, (d, s) in enumerate(objs, 1):
        offs.append(len(out))
        if s is None:
            out += b"%d 0 obj\n%s\nendobj\n" % (i, d)
            continue
        data = zlib.compress(s) if compress else s
        d = d.rstrip()[:-2] + (b" /Filter /FlateDecode" if compress else b"") + \
            b" /Length %d >>" % len(data)
        out += b"%d 0 obj\n%s\nstream\n%s\nendstream\nendobj\n" % (i, d, data)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for o in offs:
        out += b"%010d 00000 n \n" % o
    out += b"trailer\n<< /Size %d /Root 1 0 R%s%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objs) + 1, b" /Info %d 0 R" % info if info else b"", trailer_extra, xref)
    return bytes(out)


HELV = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"


def page_doc(content, font=HELV, extra_page=b"", extra_objs=(), catalog_extra=b"",
             resources_extra=b"", info=None):
    """Catalog 1, pages 2, page 3, content 4, font 5, then EXTRA_OBJS."""
    objs = [(b"<< /Type /Catalog /Pages 2 0 R%s >>" % catalog_extra, None),
            (b"<< /Type /Pages /Kids [3 0 R] /Count 1 /Resources << /Font << /F1 5 0 R >>%s >> >>"
             % resources_extra, None),
            (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R%s >>"
             % extra_page, None),
            (b"<< >>", content),
            (font, None)]
    objs += list(extra_objs)
    return pdf_doc(objs, info=info)


def tounicode_cmap(pairs, two=True):
    w = 4 if two else 2
    lines = [b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
             b"/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
             b"1 begincodespacerange <%s> <%s> endcodespacerange" % (b"0" * w, b"F" * w),
             b"%d beginbfchar" % len(pairs)]
    for code, ch in pairs:
        lines.append(b"<%0*X> <%04X>" % (w, code, ord(ch)))
    lines += [b"endbfchar", b"endcmap CMapName currentdict /CMap defineresource pop end end"]
    return b"\n".join(lines)


def appearance_samples(card, prefix=""):
    def form(text):
        return (b"<< /Type /XObject /Subtype /Form /BBox [0 0 300 50] /Resources << /Font "
                b"<< /F1 5 0 R >> >> >>", b"BT /F1 12 Tf 2 20 Td (%s) Tj ET" % text.encode())
    empty = (b"<< /Type /XObject /Subtype /Form /BBox [0 0 300 50] >>", b"")
    hello = b"BT /F1 12 Tf 72 700 Td (Hello) Tj ET"
    fields = b" /AcroForm << /Fields [7 0 R] >>"
    annots = {
        "appearance-freetext": b"<< /Type /Annot /Subtype /FreeText /Rect [72 600 372 650] "
                               b"/Contents () /DA (/Helv 12 Tf) /AP << /N 6 0 R >> >>",
        "appearance-state": b"<< /Type /Annot /Subtype /Widget /FT /Btn /T (c) /V /On /AS /On "
                            b"/Rect [72 600 372 650] /P 3 0 R /AP << /N << /On 6 0 R /Off 8 0 R "
                            b">> >> >>",
        "appearance-field-value": b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (f) "
                                  b"/V (nothing here) /Rect [72 600 372 650] /P 3 0 R "
                                  b"/AP << /N 6 0 R >> >>",
        "annotation-appearance-down": b"<< /Type /Annot /Subtype /Stamp /Rect [72 600 372 650] "
                                      b"/AP << /N 8 0 R /D 6 0 R >> >>"}
    return {prefix + name: page_doc(hello, extra_objs=[form(card), (a, None), empty],
                                    extra_page=b" /Annots [7 0 R]",
                                    catalog_extra=fields if b"Widget" in a else b"")
            for name, a in annots.items()}


def hand_samples():
    s = {}
    # single characters, kerned by TJ; groups apart by -280 (a space as
    # pdftotext reads it)
    tj = b"[(Card: )" + b" ".join(b"(%s)" % bytes([c]) + (b"-280" if i % 4 == 3 else b"-6")
                                  for i, c in enumerate(CARD.replace(" ", "").encode())) + b"] TJ"
    s["tj-single-chars"] = page_doc(b"BT /F1 12 Tf 72 700 Td " + tj + b" ET")
    # a simple font without ToUnicode, its codes named by /Differences
    codes = {"4": 1, "1": 2, " ": 3}
    enc = b"<< /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [1 /four /one /space] >>"
    font = (b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding %s >>" % enc)
    hexs = b"".join(b"%02X" % codes[c] for c in CARD)
    s["differences"] = page_doc(b"BT /F1 12 Tf 72 700 Td <%s> Tj ET" % hexs, font=font)
    # Identity-H: 2-byte codes, a ToUnicode CMap
    gids = {ch: 17 + i for i, ch in enumerate(sorted(set(CARD)))}
    cmap = tounicode_cmap([(g, ch) for ch, g in gids.items()])
    t0 = (b"<< /Type /Font /Subtype /Type0 /BaseFont /DejaVuSans /Encoding /Identity-H "
          b"/DescendantFonts [6 0 R] /ToUnicode 7 0 R >>")
    cid = (b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /DejaVuSans /CIDSystemInfo "
           b"<< /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 600 >>", None)
    hexs = b"".join(b"%04X" % gids[c] for c in CARD)
    s["identity-h"] = page_doc(b"BT /F1 12 Tf 72 700 Td <%s> Tj ET" % hexs, font=t0,
                               extra_objs=[cid, (b"<< >>", cmap)])
    # text in a Form XObject the page draws
    form = (b"<< /Type /XObject /Subtype /Form /BBox [0 0 300 50] /Resources << /Font << /F1 5 0 R >> >> >>",
            b"BT /F1 12 Tf 0 20 Td (Card %s) Tj ET" % CARD.encode())
    s["form-xobject"] = page_doc(b"q 1 0 0 1 72 650 cm /X1 Do Q", extra_objs=[form],
                                 resources_extra=b" /XObject << /X1 6 0 R >>")
    # an annotation's text (a sticky note)
    annot = (b"<< /Type /Annot /Subtype /Text /Rect [72 600 92 620] /Contents (card %s) >>"
             % CARD.encode(), None)
    s["annotation"] = page_doc(b"BT /F1 12 Tf 72 700 Td (Notes) Tj ET", extra_objs=[annot],
                               extra_page=b" /Annots [6 0 R]")
    # a form field's value
    field = (b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (card) /V (%s) /Rect [72 600 300 620] "
             b"/P 3 0 R >>" % CARD.encode(), None)
    s["form-field"] = page_doc(b"BT /F1 12 Tf 72 700 Td (Payment form) Tj ET", extra_objs=[field],
                               extra_page=b" /Annots [6 0 R]",
                               catalog_extra=b" /AcroForm << /Fields [6 0 R] >>")
    # the Info dictionary, in UTF-16BE
    title = b"<FEFF" + CARD.encode("utf-16-be").hex().upper().encode() + b">"
    s["info"] = page_doc(b"BT /F1 12 Tf 72 700 Td (Hello) Tj ET",
                         extra_objs=[(b"<< /Title %s /Producer (hand) >>" % title, None)], info=6)
    # text only an annotation's appearance stream draws (a Form XObject of
    # its own, Flate: the raw bytes hold no card): a FreeText note with
    # empty /Contents, a check box's /On state, a text field whose /V says
    # something else, a stamp's down appearance (/D: shown while pressed,
    # not by pdftotext)
    s.update(appearance_samples(CARD))
    # a card list in an embedded file
    ef = (b"<< /Type /EmbeddedFile /Subtype /text#2Fcsv >>",
          b"name,card\ntaro,4111111111111111\n")
    spec = (b"<< /Type /Filespec /F (cards.csv) /UF (cards.csv) /EF << /F 6 0 R >> >>", None)
    s["embedded-file"] = page_doc(b"BT /F1 12 Tf 72 700 Td (See attachment) Tj ET",
                                  extra_objs=[ef, spec],
                                  catalog_extra=b" /Names << /EmbeddedFiles << /Names [(cards.csv) 7 0 R] >> >>")
    return s


# ---- PDFs by the tools users have ----

def reportlab_pdf(text, ttf):
    from reportlab.pdfgen import canvas
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    import io
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    name = "Helvetica"
    if ttf:
        pdfmetrics.registerFont(TTFont("DejaVu", FONT))
        name = "DejaVu"
    c.setFont(name, 12)
    y = 760
    for line in text.split("\n"):
        c.drawString(72, y, line)
        y -= 16
    c.showPage()
    c.save()
    return buf.getvalue()


def cairo_pdf(text):
    import cairo
    import io
    buf = io.BytesIO()
    surf = cairo.PDFSurface(buf, 595, 842)
    ctx = cairo.Context(surf)
    # a CJK font: cairo writes it as a CID font (Identity-H, 2-byte codes,
    # a ToUnicode CMap), its text in TJ with adjustments
    ctx.select_font_face("Droid Sans Fallback")
    ctx.set_font_size(12)
    y = 72
    for line in ("お客様情報\n" + text).split("\n"):
        ctx.move_to(72, y)
        ctx.show_text(line)
        y += 16
    surf.finish()
    return buf.getvalue()


def ps2pdf(text, tmp):
    lines = ["%!PS", "/Times-Roman findfont 12 scalefont setfont"]
    y = 760
    for line in text.split("\n"):
        lines.append("72 %d moveto (%s) show" % (y, line.replace("(", "\\(").replace(")", "\\)")))
        y -= 16
    lines.append("showpage")
    ps, pdf = os.path.join(tmp, "in.ps"), os.path.join(tmp, "out.pdf")
    with open(ps, "w") as f:
        f.write("\n".join(lines) + "\n")
    # embedded subsets, as a print-to-PDF driver writes them
    subprocess.run(["ps2pdf", "-dPDFSETTINGS=/prepress", ps, pdf], check=True,
                   capture_output=True)
    with open(pdf, "rb") as f:
        return f.read()


def qpdf(data, tmp, *args):
    src, dst = os.path.join(tmp, "q-in.pdf"), os.path.join(tmp, "q-out.pdf")
    with open(src, "wb") as f:
        f.write(data)
    p = subprocess.run(["qpdf"] + list(args) + [src, dst], capture_output=True)
    if p.returncode not in (0, 3):  # 3: warnings
        raise RuntimeError(p.stderr.decode())
    with open(dst, "rb") as f:
        return f.read()


def reference_text(data, tmp):
    """What poppler reads: pdftotext's text, pdfinfo's fields, pdfdetach's
    files (an annotation's text only a viewer shows: not in these)."""
    path = os.path.join(tmp, "ref.pdf")
    with open(path, "wb") as f:
        f.write(data)
    out = subprocess.run(["pdftotext", path, "-"], capture_output=True).stdout
    out += subprocess.run(["pdfinfo", path], capture_output=True).stdout
    d = os.path.join(tmp, "detach")
    os.makedirs(d, exist_ok=True)
    subprocess.run(["pdfdetach", "-saveall", "-o", d, path], capture_output=True)
    for n in os.listdir(d):
        with open(os.path.join(d, n), "rb") as f:
            out += f.read()
        os.unlink(os.path.join(d, n))
    return out.decode("utf-8", "replace")


def samples(tmp):
    """(name, bytes, must_block, reference_has_card)"""
    text = "Customer: Taro Yamada\nCard: %s\nThank you." % CARD
    clean = "Invoice 2024-001\nTotal 1234.56 EUR, order 4111 1111 1111 1112\nThank you."
    out = []
    base = {"reportlab-helvetica": reportlab_pdf(text, False),
            "reportlab-ttf-subset": reportlab_pdf(text, True),
            "cairo-cid": cairo_pdf(text),
            "ps2pdf-type1": ps2pdf(text, tmp)}
    base.update(hand_samples())
    for name, data in base.items():
        out.append((name, data, True))
    for name in ("appearance-freetext", "reportlab-ttf-subset", "cairo-cid", "ps2pdf-type1",
                 "form-xobject",
                 "embedded-file", "info", "form-field", "annotation"):
        d = base[name]
        out.append((name + "+objstm", qpdf(d, tmp, "--object-streams=generate"), True))
        out.append((name + "+aes256", qpdf(d, tmp, "--encrypt", "", "owner", "256", "--"), True))
        out.append((name + "+rc4-r3", qpdf(d, tmp, "--allow-weak-crypto", "--encrypt", "", "owner",
                                           "128", "--use-aes=n", "--"), True))
    for name, data in (("clean-reportlab", reportlab_pdf(clean, True)),
                       ("clean-cairo", cairo_pdf(clean)),
                       ("clean-ps2pdf", ps2pdf(clean, tmp)),
                       ("clean-appearance",
                        appearance_samples("4111 1111 1111 1112")["appearance-state"])):
        out.append((name, data, False))
        out.append((name + "+aes256",
                    qpdf(data, tmp, "--encrypt", "", "owner", "256", "--"), False))
    return out


def post(srv, body, ctype, allow204=False):
    hdr = http_req_head("POST", UPLOAD_URL, host="upload.example",
                        extra=["Content-Type: " + ctype], body_len=len(body))
    c = srv.conn()
    try:
        return transact(c, "REQMOD", srv.url("reqmod"), req_hdr=hdr, body=body,
                        allow204=allow204, chunk_size=16384)
    finally:
        c.close()


def blocked(r):
    return r.status == 200 and r.http_status() == 403


def identical(r, body):
    return r.status == 200 and r.http_status() != 403 and r.body == body


def g_pdfs(ck, srv, tmp):
    n_block = n_pass = 0
    for name, data, must in samples(tmp):
        ref = reference_text(data, tmp)
        compact = ref.replace(" ", "")
        # pdftotext prints neither an annotation's text nor a field value
        # without an appearance stream (a viewer shows both)
        if must and not name.startswith(("annotation", "form-field")):
            ck.ok("%s: poppler reads the card (reference)" % name,
                  CARD in ref or CARD.replace(" ", "") in compact, ref[:300])
        if not must:
            ck.ok("%s: poppler reads no card" % name, CARD not in ref, ref[:300])
        r = post(srv, data, "application/pdf")
        if must:
            ok = blocked(r)
            n_block += ok
            ck.ok("%s: blocked (%d bytes)" % (name, len(data)), ok, r.raw_head)
        else:
            ok = identical(r, data)
            n_pass += ok
            ck.ok("%s: passes byte-identical" % name, ok, r.raw_head)
    print("pdf samples: %d blocked, %d clean passed" % (n_block, n_pass))
    # templates other than cards: a regex and a keyword see the same text
    for name, data, tpl in (("cairo, a regex", cairo_pdf("Project code PRJ-2024-QX\nend"), b"codes"),
                            ("reportlab TTF, a keyword",
                             reportlab_pdf("The Hinoki plan is due", True), b"hinoki")):
        r = post(srv, data, "application/pdf")
        ck.ok("%s: blocked by template %s" % (name, tpl.decode()),
              blocked(r) and tpl in (r.body or b""), r.raw_head)
    # a user password: not readable, dlp.on-error (block), the reason logged
    locked = qpdf(reportlab_pdf("nothing to see", True), tmp, "--encrypt", "secret", "owner",
                  "256", "--")
    r = post(srv, locked, "application/pdf")
    ck.ok("a PDF with a user password: dlp.on-error blocks it", blocked(r), r.raw_head)
    # as a part of a form upload, named
    body = (b"--b0\r\nContent-Disposition: form-data; name=\"f\"; filename=\"scan.pdf\"\r\n"
            b"Content-Type: application/octet-stream\r\n\r\n" + samples_cache["cairo-cid"] +
            b"\r\n--b0--\r\n")
    r = post(srv, body, "multipart/form-data; boundary=b0")
    ck.ok("a PDF as a form part (octet-stream) is blocked", blocked(r), r.raw_head)


# ---- strings under crypt filters apart from the streams' ----

def filters_doc(place, card, objstm=False):
    """A page "Hello" and CARD in one PLACE: 'info' (/Title), 'annot'
    (a note's /Contents), 'field' (a widget's /V); OBJSTM: the annotation
    or field in a Flate object stream (9). A pdfforge.Doc and COMPRESSED."""
    d = pf.Doc()
    d.add(1, b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [7 0 R] >> >>")
    d.add(2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
    d.add(3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
          b"/Resources << /Font << /F1 5 0 R >> >> /Annots [6 0 R 7 0 R] >>")
    d.stream(4, b"/Filter /FlateDecode", zlib.compress(b"BT /F1 12 Tf 72 700 Td (Hello) Tj ET"))
    d.add(5, HELV)
    c = card.encode()
    objs = {6: b"<< /Type /Annot /Subtype /Text /Rect [72 600 92 620] /Contents (note %s) >>"
               % (c if place == "annot" else b"none"),
            7: b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (f) /V (v %s) /Rect [72 500 300 520] "
               b"/P 3 0 R >>" % (c if place == "field" else b"none")}
    d.add(8, b"<< /Title (t %s) /Producer (hand) >>" % (c if place == "info" else b"none"))
    num = 6 if place == "annot" else 7
    for k in (6, 7):
        if k != num or not objstm:
            d.add(k, objs[k])
    if not objstm:
        return d, None
    body = b"%d 0 " % num + objs[num]
    d.stream(9, b"/Type /ObjStm /N 1 /First %d /Filter /FlateDecode" % body.index(b"<<"),
             zlib.compress(body))
    return d, {num: (9, 0)}


# (handler, /StmF, /StrF): strings and streams apart, both ways
FILTERS = (("aes128", "AESV2", "Identity"), ("aes128", "Identity", "AESV2"),
           ("rc4", "V2", "Identity"), ("rc4", "Identity", "V2"), ("aes128", "AESV2", "V2"),
           (256, "AESV3", "Identity"), (256, "Identity", "AESV3"))


def filters_samples():
    """(name, pdf, must_block): every place under every FILTERS, the
    object-stream places, the card-less twins; every string is written
    as hex (the raw bytes hold no card)."""
    out = []
    for kind, stm, st in FILTERS:
        tag = "%s StmF=%s StrF=%s" % (kind, stm, st)
        for place, objstm in (("info", False), ("annot", False), ("field", False),
                              ("annot", True), ("field", True)):
            d, c = filters_doc(place, CARD, objstm)
            out.append(("%s, %s%s" % (tag, place, " in an object stream" if objstm else ""),
                        pf.encrypt_filters(d, kind, stm, st, b"/Info 8 0 R", c), True))
        d, c = filters_doc("annot", "4111 1111 1111 1112", True)
        out.append(("%s, no card" % tag, pf.encrypt_filters(d, kind, stm, st, b"/Info 8 0 R", c),
                    False))
    return out


def g_filters(ck, srv, tmp):
    """Strings decrypted by /StrF: a card in a string an encrypted
    document keeps in clear (/StrF /Identity, or under its own filter)
    is blocked; qpdf --decrypt is the oracle that the card is there.
    poppler opens a V4 document whose /StmF and /StrF differ as not
    encrypted: a string written in clear under /StrF /AESV2 is what its
    viewers show (pdfinfo the oracle)."""
    n = 0
    for name, data, must in filters_samples():
        clear = pf.decoded(data).replace(b"\n", b" ")
        ck.ok("%s: qpdf --decrypt %s the card" % (name, "holds" if must else "has no"),
              (CARD.encode() in clear) == must)
        ck.ok("%s: the raw bytes hold no card" % name, CARD.encode() not in data)
        r = post(srv, data, "application/pdf")
        ok = blocked(r) if must else identical(r, data)
        n += ok
        ck.ok("%s: %s" % (name, "blocked" if must else "passes byte-identical"), ok, r.raw_head)
    d, c = filters_doc("info", CARD)
    data = pf.encrypt_filters(d, "aes128", "AESV2", "V2", b"/Info 8 0 R", c, str_with="Identity")
    ck.ok("poppler reading: pdfinfo shows the card of a /Title in clear under /StrF /V2",
          CARD in reference_text(data, tmp))
    r = post(srv, data, "application/pdf")
    ck.ok("poppler reading: a /Title in clear under /StrF /V2 is blocked", blocked(r), r.raw_head)
    # ... and its streams in clear too: a content stream without filters
    # (hex glyph codes), written in clear under /StmF /AESV2
    d = pf.Doc()
    d.add(1, b"<< /Type /Catalog /Pages 2 0 R >>")
    d.add(2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
    d.add(3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
          b"/Resources << /Font << /F1 5 0 R >> >> >>")
    d.stream(4, b"", b"BT /F1 12 Tf 72 700 Td <%s> Tj ET" % CARD.encode().hex().encode())
    d.add(5, HELV)
    data = pf.encrypt_filters(d, "aes128", "AESV2", "V2", stm_with="Identity",
                              str_with="Identity")
    ck.ok("poppler reading: pdftotext shows a content stream in clear under /StmF /AESV2",
          CARD in reference_text(data, tmp))
    r = post(srv, data, "application/pdf")
    ck.ok("poppler reading: a content stream in clear under /StmF /AESV2 is blocked", blocked(r),
          r.raw_head)
    print("strings under /StrF: %d samples right" % n)


samples_cache = {}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir")
    ap.add_argument("--write", help="write the samples to this directory and exit")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="sk-pdf-") as tmp:
        if a.write:
            os.makedirs(a.write, exist_ok=True)
            for name, data, _ in samples(tmp):
                with open(os.path.join(a.write, name + ".pdf"), "wb") as f:
                    f.write(data)
            return 0
        samples_cache["cairo-cid"] = cairo_pdf("Card: %s" % CARD)
        build = os.path.abspath(a.build_dir)
        ck = Check("integration-dlp-pdf")
        srv = SekishoServer(build, modules="dlp", name="dlp_pdf")

        def setup(srv):
            srv.policy_cmd("dlp", "add", "cards", "--detector", "credit-card", "--action", "block")
            srv.policy_cmd("dlp", "add", "codes", "--detector", "regex:PRJ-[0-9]{4}-[A-Z]{2}",
                           "--action", "block")
            srv.policy_cmd("dlp", "add", "hinoki", "--detector", "keyword:hinoki plan",
                           "--action", "block")

        def body():
            wait_live(srv)
            ck.group("pdfs", g_pdfs, ck, srv, tmp)
            ck.group("filters", g_filters, ck, srv, tmp)

        serve_checked(ck, srv, "server starts with --modules dlp", 1, setup, body)
        return ck.summary()


if __name__ == "__main__":
    sys.exit(main())
