"""pdfforge - a PDF builder for the hostile PDF tests: streams under any
/Filter chain (Flate, LZW, ASCIIHex, ASCII85, RunLength, names
abbreviated or #xx-escaped) with PNG (10-15) and TIFF (2) predictors,
object streams, lying /Length, incremental updates, and encryption by qpdf
(--stream-data=preserve keeps the raw bytes). qpdf is the oracle:
`decoded(pdf, num)` is what qpdf's --filtered-stream-data gives out."""
import re
import struct
import subprocess
import tempfile
import os
import zlib


# ---- encoders ----

def flate(d):
    return zlib.compress(d, 9)


def png(data, columns, row_type, colors=1, bpc=8):
    """PNG predictor rows (ROW_TYPE 0-4 for every row, or 'mixed': row i
    has type i % 5)."""
    w = (colors * bpc * columns + 7) // 8
    bpp = max(1, (colors * bpc + 7) // 8)
    data = data + b"\0" * (-len(data) % w)
    rows = [data[i:i + w] for i in range(0, len(data), w)]
    out = bytearray()
    prev = bytes(w)
    for r, cur in enumerate(rows):
        t = r % 5 if row_type == "mixed" else row_type
        out.append(t)
        for x in range(w):
            a = cur[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if t == 0:
                p = 0
            elif t == 1:
                p = a
            elif t == 2:
                p = b
            elif t == 3:
                p = (a + b) // 2
            else:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                p = a if pa <= pb and pa <= pc else b if pb <= pc else c
            out.append((cur[x] - p) & 255)
        prev = cur
    return bytes(out)


def tiff(data, columns, colors=1, bpc=8):
    """TIFF predictor 2 (8 or 16 bits): each sample minus the one COLORS back."""
    if bpc == 8:
        w = colors * columns
        data = data + b"\0" * (-len(data) % w)
        out = bytearray(data)
        for r in range(0, len(data), w):
            for x in range(w - 1, colors - 1, -1):
                out[r + x] = (data[r + x] - data[r + x - colors]) & 255
        return bytes(out)
    w = 2 * colors * columns
    data = data + b"\0" * (-len(data) % w)
    s = list(struct.unpack(">%dH" % (len(data) // 2), data))
    out = list(s)
    per = colors * columns
    for r in range(0, len(s), per):
        for x in range(per - 1, colors - 1, -1):
            out[r + x] = (s[r + x] - s[r + x - colors]) & 0xffff
    return struct.pack(">%dH" % len(out), *out)


def lzw(data, early=1):
    """LZW as PDF writes it: 9-12 bit codes MSB first, clear first."""
    table = {bytes([i]): i for i in range(256)}
    nxt, bits = 258, 9
    acc, nacc, out = 0, 0, bytearray()

    def emit(code):
        nonlocal acc, nacc
        acc = (acc << bits) | code
        nacc += bits
        while nacc >= 8:
            out.append((acc >> (nacc - 8)) & 255)
            nacc -= 8
    emit(256)
    w = b""
    for ch in data:
        wc = w + bytes([ch])
        if wc in table:
            w = wc
            continue
        emit(table[w])
        table[wc] = nxt
        nxt += 1
        if nxt + early > (1 << bits) and bits < 12:
            bits += 1
        if nxt >= 4094:
            emit(256)
            table = {bytes([i]): i for i in range(256)}
            nxt, bits = 258, 9
        w = bytes([ch])
    if w:
        emit(table[w])
    emit(257)
    if nacc:
        out.append((acc << (8 - nacc)) & 255)
    return bytes(out)


def ahx(d):
    return d.hex().encode() + b">"


def a85(d, wrap=None):
    import base64
    e = base64.a85encode(d)
    if wrap:
        e = b"\n \t".join(e[i:i + wrap] for i in range(0, len(e), wrap))
    return e + b"~>"


def rl(d):
    out = bytearray()
    for i in range(0, len(d), 100):
        chunk = d[i:i + 100]
        out.append(len(chunk) - 1)
        out += chunk
    return bytes(out) + b"\x80"


# ---- documents ----

class Doc:
    """Objects in order (num, body bytes); a stream body is built by
    stream(). build() writes header, objects, an xref table and trailer."""

    def __init__(self, version=b"1.7"):
        self.version = version
        self.objs = []
        self.tail = b""

    def add(self, num, body):
        self.objs.append((num, body))
        return num

    def stream(self, num, dict_extra, raw, length=None):
        ln = len(raw) if length is None else length
        body = (b"<< /Length %s %s >>\nstream\n" % (str(ln).encode(), dict_extra) + raw +
                b"\nendstream")
        return self.add(num, body)

    def build(self, trailer_extra=b"", xref=True, compressed=None):
        """COMPRESSED {num: (objstm, index)}: objects in object streams,
        listed by a cross-reference stream (Flate, PNG Up predictor)."""
        out = bytearray(b"%PDF-" + self.version + b"\n%\xe2\xe3\xcf\xd3\n")
        offs = {}
        for num, body in self.objs:
            offs[num] = len(out)
            out += b"%d 0 obj\n" % num + body + b"\nendobj\n"
        size = max(list(offs) + list(compressed or {})) + 2 if offs else 1
        if compressed is not None:
            xnum = size - 1
            offs[xnum] = len(out)
            rows = b""
            for i in range(size):
                if i in compressed:
                    rows += struct.pack(">BIH", 2, compressed[i][0], compressed[i][1])
                elif i in offs:
                    rows += struct.pack(">BIH", 1, offs[i], 0)
                else:
                    rows += struct.pack(">BIH", 0, 0, 65535 if i == 0 else 0)
            data = flate(png(rows, 7, 2))
            out += (b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d "
                    b"/Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 7 >> %s>>\n"
                    b"stream\n" % (xnum, size, len(data), trailer_extra) + data +
                    b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offs[xnum])
            return bytes(out) + self.tail
        if xref:
            x = len(out)
            out += b"xref\n0 %d\n0000000000 65535 f \n" % size
            for i in range(1, size):
                out += (b"%010d 00000 n \n" % offs[i]) if i in offs else b"0000000000 00000 f \n"
            out += (b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" %
                    (size, trailer_extra, x))
        return bytes(out) + self.tail


def with_js(stream_num, dict_extra, raw, length=None, extra_objs=()):
    """A one-page document whose OpenAction runs the JavaScript in stream
    STREAM_NUM (its dictionary DICT_EXTRA, its bytes RAW)."""
    d = Doc()
    d.add(1, b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS %d 0 R >> >>"
          % stream_num)
    d.add(2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
    d.add(3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>")
    for num, body in extra_objs:
        d.add(num, body)
    d.stream(stream_num, dict_extra, raw, length)
    return d


def qpdf(args, data):
    """Run qpdf ARGS over DATA (a temp file in, a temp file out): the output."""
    with tempfile.TemporaryDirectory() as t:
        i, o = os.path.join(t, "in.pdf"), os.path.join(t, "out.pdf")
        with open(i, "wb") as f:
            f.write(data)
        p = subprocess.run(["qpdf"] + args + [i, o], capture_output=True)
        if p.returncode not in (0, 3):
            raise RuntimeError("qpdf %s: %s" % (args, p.stderr.decode()[-400:]))
        with open(o, "rb") as f:
            return f.read()


def encrypt(data, bits, user=""):
    """DATA encrypted by qpdf (raw stream bytes kept): BITS 40/128 (RC4),
    'aes128' or 256 (AESV3, R6), with the user password USER."""
    weak = ["--allow-weak-crypto"]
    if bits == "aes128":
        spec = ["--encrypt", user, "owner", "128", "--use-aes=y", "--"]
    elif bits == 128:
        spec = weak + ["--encrypt", user, "owner", "128", "--use-aes=n", "--"]
    else:
        spec = (weak if bits == 40 else []) + ["--encrypt", user, "owner", str(bits), "--"]
    return qpdf(["--stream-data=preserve"] + spec, data)


def decoded(data):
    """The document as qpdf reads it (empty password): decrypted, object
    streams opened, every stream decoded (filters and predictors), one
    QDF file."""
    return qpdf(["--qdf", "--object-streams=disable", "--decode-level=specialized",
                 "--decrypt"], data)


def update(base, num, body, keep_encryption=False):
    """BASE with an incremental update redefining object NUM as BODY: the
    object, an xref section for it, a trailer with /Prev, startxref
    (KEEP_ENCRYPTION: BASE's /Encrypt and /ID repeated in it)."""
    prev = int(base[base.rindex(b"startxref") + 9:].split()[0])
    extra = b""
    if keep_encryption:
        t = base[base.rindex(b"trailer"):]
        extra = (re.search(rb"/Encrypt \d+ \d+ R", t).group(0) + b" " +
                 re.search(rb"/ID \[[^\]]*\]", t).group(0))
    off = len(base)
    obj = b"%d 0 obj\n" % num + body + b"\nendobj\n"
    x = off + len(obj)
    return (base + obj + b"xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \n" % (num, off) +
            b"trailer\n<< /Size %d /Root 1 0 R /Prev %d %s >>\nstartxref\n%d\n%%%%EOF\n" %
            (num + 1, prev, extra, x))


# ---- encryption with chosen crypt filters (/StmF and /StrF apart) ----

def rc4(key, data):
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) & 255
        s[i], s[j] = s[j], s[i]
    out, i, j = bytearray(), 0, 0
    for c in data:
        i = (i + 1) & 255
        j = (j + s[i]) & 255
        s[i], s[j] = s[j], s[i]
        out.append(c ^ s[(s[i] + s[j]) & 255])
    return bytes(out)


def aes_cbc(key, iv, data):
    """AES-CBC with PKCS#7 padding (the openssl command): IV + ciphertext."""
    p = subprocess.run(["openssl", "enc", "-aes-%d-cbc" % (8 * len(key)), "-K", key.hex(),
                        "-iv", iv.hex()], input=data, capture_output=True, check=True)
    return iv + p.stdout


def handler(kind):
    """handler_once until qpdf's JSON gives every /Encrypt string as bytes:
    it shows a string that reads as PDFDocEncoding text ("u:") in
    Unicode, and one of its characters outside Latin-1 (0x80-0x9f, 0x18-
    0x1f: a bullet, a caron...) cannot be turned back here. The values are
    random: a new handler has new ones (seen once in CI, 2026-12-04)."""
    for _ in range(49):
        try:
            return handler_once(kind)
        except UnicodeEncodeError:
            continue
    return handler_once(kind)


def handler_once(kind):
    """qpdf's standard security handler for the empty user password, KIND
    'rc4' (V4 R4, a /V2 crypt filter), 'aes128' (V4 R4, AESV2) or 256 (V5
    R6, AESV3): (the /Encrypt entries but the crypt filters, the /ID
    array, the file key). The key depends on these entries only, not on
    the crypt filters, so a document can name any /StmF and /StrF."""
    import json
    spec = {"rc4": ["--allow-weak-crypto", "--encrypt", "", "owner", "128", "--use-aes=n",
                    "--force-V4", "--"],
            "aes128": ["--encrypt", "", "owner", "128", "--use-aes=y", "--"],
            256: ["--encrypt", "", "owner", "256", "--"]}[kind]
    d = Doc()
    d.add(1, b"<< /Type /Catalog /Pages 2 0 R >>")
    d.add(2, b"<< /Type /Pages /Kids [] /Count 0 >>")
    enc = qpdf(spec, d.build())
    with tempfile.TemporaryDirectory() as t:
        f = os.path.join(t, "e.pdf")
        with open(f, "wb") as fh:
            fh.write(enc)
        show = subprocess.run(["qpdf", "--show-encryption-key", "--show-encryption", f],
                              capture_output=True, text=True).stdout
        js = json.loads(subprocess.run(["qpdf", "--json=2", f], capture_output=True,
                                       text=True).stdout)
    key = bytes.fromhex(re.search(r"Encryption key = ([0-9a-f]+)", show).group(1))
    objs = js["qpdf"][1]
    trailer = objs["trailer"]["value"]
    e = objs["obj:" + trailer["/Encrypt"]]["value"]

    def val(v):
        if isinstance(v, str) and v.startswith("b:"):
            return b"<" + v[2:].encode() + b">"
        if isinstance(v, str) and v.startswith("u:"):
            return b"<" + v[2:].encode("latin-1").hex().encode() + b">"
        if isinstance(v, bool):
            return b"true" if v else b"false"
        return str(v).encode()
    entries = b" ".join(k.encode() + b" " + val(v) for k, v in sorted(e.items())
                        if k not in ("/CF", "/StmF", "/StrF"))
    ident = b"[" + b" ".join(val(v) for v in trailer["/ID"]) + b"]"
    return entries, ident, key


def _obj_key(key, method, num):
    if method == "AESV3":
        return key
    import hashlib
    h = hashlib.md5(key + struct.pack("<I", num)[:3] + b"\0\0" +
                    (b"sAlT" if method == "AESV2" else b"")).digest()
    return h[:min(len(key) + 5, 16)]


def _crypt(key, method, num, data):
    if method == "Identity":
        return data
    k = _obj_key(key, method, num)
    if method == "V2":
        return rc4(k, data)
    import hashlib
    return aes_cbc(k, hashlib.md5(b"iv %d " % num + data).digest(), data)


def _unescape(lit):
    """The bytes of a literal string's inside (the escapes PDF has)."""
    out, i = bytearray(), 0
    while i < len(lit):
        c = lit[i]
        if c == 0x5c and i + 1 < len(lit):
            i += 1
            c = lit[i]
            m = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}
            if c in m:
                out.append(m[c])
            elif 0x30 <= c <= 0x37:
                j = i
                while j < len(lit) and j < i + 3 and 0x30 <= lit[j] <= 0x37:
                    j += 1
                out.append(int(lit[i:j], 8) & 255)
                i = j - 1
            elif c not in (10, 13):
                out.append(c)
        else:
            out.append(c)
        i += 1
    return bytes(out)


def _strings(body, fn):
    """BODY with each string token (literal or hex) replaced by
    <hex of FN(its bytes)>."""
    out, i, n = bytearray(), 0, len(body)
    while i < n:
        c = body[i:i + 1]
        if c == b"(":
            depth, j = 1, i + 1
            while j < n and depth:
                if body[j] == 0x5c:
                    j += 1
                elif body[j] == 0x28:
                    depth += 1
                elif body[j] == 0x29:
                    depth -= 1
                j += 1
            out += b"<" + fn(_unescape(body[i + 1:j - 1])).hex().encode() + b">"
            i = j
        elif c == b"<" and body[i + 1:i + 2] != b"<" and body[i - 1:i] != b"<":
            j = body.index(b">", i)
            out += b"<" + fn(bytes.fromhex(body[i + 1:j].decode())).hex().encode() + b">"
            i = j + 1
        else:
            out += c
            i += 1
    return bytes(out)


def encrypt_filters(doc, kind, stmf, strf, trailer_extra=b"", compressed=None, str_with=None,
                    stm_with=None):
    """DOC (a Doc of plain objects) encrypted by the standard handler KIND
    (handler()) with the empty user password, its streams by the crypt
    filter method STMF and its strings by STRF ('Identity', 'V2' (RC4),
    'AESV2', 'AESV3'): each object's strings and stream data encrypted
    with its key, as a writer does; the objects in object streams
    (COMPRESSED, as Doc.build) are left to their stream's encryption.
    STR_WITH, STM_WITH: the strings, the streams encrypted by this method
    instead (a document that lies about its filters, for a reader that
    ignores them)."""
    entries, ident, key = handler(kind)
    compressed = compressed or {}
    sw = str_with or strf
    length = 32 if kind == 256 else 16
    cf = b" ".join(b"/Std%s << /CFM /%s /AuthEvent /DocOpen /Length %d >>" % (m.encode(),
                                                                                m.encode(), length)
                   for m in sorted({stmf, strf} - {"Identity"}))

    def name(m):
        return b"/Identity" if m == "Identity" else b"/Std" + m.encode()
    out = Doc(doc.version)
    for num, body in doc.objs:
        if num in compressed:  # inside an object stream: never encrypted alone
            out.add(num, body)
            continue
        if b"\nstream\n" in body:
            head, rest = body.split(b"\nstream\n", 1)
            raw = rest[:rest.rindex(b"\nendstream")]
            data = _crypt(key, stm_with or stmf, num, raw)
            head = _strings(re.sub(rb"/Length \d+", b"/Length %d" % len(data), head, count=1),
                            lambda s, n=num: _crypt(key, sw, n, s))
            out.add(num, head + b"\nstream\n" + data + b"\nendstream")
        else:
            out.add(num, _strings(body, lambda s, n=num: _crypt(key, sw, n, s)))
    enum = max([n for n, _ in doc.objs] + list(compressed)) + 1
    out.add(enum, b"<< %s /CF << %s >> /StmF %s /StrF %s >>" % (entries, cf, name(stmf),
                                                                name(strf)))
    return out.build(trailer_extra=trailer_extra + b" /Encrypt %d 0 R /ID %s " % (enum, ident),
                     compressed=compressed or None)
