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
