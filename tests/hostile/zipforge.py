"""zipforge - a zip builder for the evasion tests whose local headers and
central directory may disagree (method, sizes, names, flags, an entry in
only one of them), optionally ZIP64; py_extract is the oracle: what
Python's zipfile (which reads the central directory) gets out."""
import struct, zlib, bz2, lzma, zipfile, io

def deflate_raw(d):
    c = zlib.compressobj(9, zlib.DEFLATED, -15); return c.compress(d) + c.flush()

def compress(method, data):
    if method == 0: return data
    if method == 8: return deflate_raw(data)
    if method == 12: return bz2.compress(data)
    if method == 14:
        # zip LZMA: 2 bytes version, 2 bytes props size, props, raw lzma1 stream
        f = lzma._encode_filter_properties({"id": lzma.FILTER_LZMA1})
        raw = lzma.compress(data, format=lzma.FORMAT_RAW, filters=[{"id": lzma.FILTER_LZMA1}])
        return struct.pack("<BBH", 9, 4, len(f)) + f + raw
    raise ValueError(method)

def build(entries, prefix=b"", suffix=b"", comment=b"", zip64=False, cd_extra_entries=()):
    """entries: dicts with name, data, and optional: method (both), lmethod, cmethod,
    comp (bytes override), lflags, cflags, lcsize, lusize, ccsize, cusize, lname, cname,
    lcrc, ccrc, desc (bytes appended after data), in_cd (default True), in_local (True),
    loffset (CD offset override, relative to start of local area)."""
    out = bytearray(prefix); cd = bytearray(); n = 0
    base = len(prefix)
    offs = []
    for e in entries:
        data = e.get("data", b"")
        m = e.get("method", 8)
        lm, cm = e.get("lmethod", m), e.get("cmethod", m)
        comp = e["comp"] if "comp" in e else compress(cm, data)
        crc = zlib.crc32(data)
        name = e["name"].encode() if isinstance(e["name"], str) else e["name"]
        lname = e.get("lname", name); cname = e.get("cname", name)
        lflags, cflags = e.get("lflags", 0), e.get("cflags", 0)
        off = len(out)
        offs.append(off)
        if e.get("in_local", True):
            if zip64:
                ex = struct.pack("<HHQQ", 1, 16, e.get("lusize", len(data)), e.get("lcsize", len(comp)))
                out += struct.pack("<IHHHHHIIIHH", 0x04034b50, 45, lflags, lm, 0, 0x21,
                                   e.get("lcrc", crc), 0xffffffff, 0xffffffff, len(lname), len(ex)) + lname + ex
            else:
                out += struct.pack("<IHHHHHIIIHH", 0x04034b50, 20, lflags, lm, 0, 0x21,
                                   e.get("lcrc", crc), e.get("lcsize", len(comp)),
                                   e.get("lusize", len(data)), len(lname), 0) + lname
            out += comp + e.get("desc", b"")
        if e.get("in_cd", True):
            loff = e.get("loffset", off)
            if zip64:
                ex = struct.pack("<HHQQQ", 1, 24, e.get("cusize", len(data)), e.get("ccsize", len(comp)), loff)
                cd += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 45, 45, cflags, cm, 0, 0x21,
                                  e.get("ccrc", crc), 0xffffffff, 0xffffffff, len(cname), len(ex), 0, 0, 0, 0,
                                  0xffffffff) + cname + ex
            else:
                cd += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 20, 20, cflags, cm, 0, 0x21,
                                  e.get("ccrc", crc), e.get("ccsize", len(comp)), e.get("cusize", len(data)),
                                  len(cname), 0, 0, 0, 0, 0, loff) + cname
            n += 1
    cdoff = len(out)
    out += cd
    if zip64:
        z64 = len(out)
        out += struct.pack("<IQHHIIQQQQ", 0x06064b50, 44, 45, 45, 0, 0, n, n, len(cd), cdoff)
        out += struct.pack("<IIQI", 0x07064b50, 0, z64, 1)
        out += struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, 0xffff, 0xffff, 0xffffffff, 0xffffffff, len(comment)) + comment
    else:
        out += struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, n, n, len(cd), cdoff, len(comment)) + comment
    return bytes(out) + suffix

def py_extract(body):
    """What Python's zipfile extracts: {name: bytes or 'ERR:...'}"""
    res = {}
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            for i in z.infolist():
                try:
                    res[i.filename] = z.read(i)
                except Exception as ex:
                    res[i.filename] = "ERR:%s" % ex
    except Exception as ex:
        res["<open>"] = "ERR:%s" % ex
    return res


# ---- end records and nesting forged (the second red-team round) ----------

def split(z):
    """(body up to the directory, the directory, end record fields) of a zip
    with no comment"""
    e = z.rfind(b"PK\5\6")
    sig, d0, d1, n1, n2, size, off, cl = struct.unpack("<IHHHHIIH", z[e:e + 22])
    return z[:off], z[off:off + size], dict(n=n1, size=size, off=off)


def eocd(n, size, off, comlen):
    return struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, n, n, size, off, comlen)


def cd_with_comment(cd, comment):
    """the directory with COMMENT on its last record"""
    i, last = 0, 0
    while i < len(cd):
        last = i
        nl, xl, cl = struct.unpack("<HHH", cd[i + 28:i + 34])
        i += 46 + nl + xl + cl
    rec = bytearray(cd[last:])
    rec[32:34] = struct.pack("<H", len(comment))
    return cd[:last] + bytes(rec) + comment


def local_hdr(name, method, csize, usize, crc, version=20, flags=0):
    name = name.encode()
    return struct.pack("<IHHHHHIIIHH", 0x04034b50, version, flags, method, 0, 0x21, crc,
                       csize, usize, len(name), 0) + name


def cd_rec(name, method, csize, usize, crc, off, flags=0):
    name = name.encode()
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 20, 20, flags, method, 0, 0x21, crc,
                       csize, usize, len(name), 0, 0, 0, 0, 0, off) + name


def fake_eocd_in_comment(z):
    """the real end record's comment holds a fake one (zipfile takes the
    last "PK\\5\\6", Java the one whose comment reaches the end)"""
    body, cd, f = split(z)
    fake = eocd(0, 0, 0, 7) + b"xyz"
    return body + cd + eocd(f["n"], f["size"], f["off"], len(fake)) + fake


def zip64_decoy(z):
    """an empty ZIP64 end record and its locator before the plain end record
    (the last directory record's comment): zipfile reads the decoy, Java the
    plain record"""
    body, cd, f = split(z)
    r64 = struct.pack("<IQHHIIQQQQ", 0x06064b50, 44, 45, 45, 0, 0, 0, 0, 0, 0)
    loc = struct.pack("<IIQI", 0x07064b50, 0, 0, 1)
    cd2 = cd_with_comment(cd, r64 + loc)
    return body + cd2 + eocd(f["n"], len(cd2), f["off"], 0)


def bogus_locator(z):
    """a ZIP64 locator with no ZIP64 record before the end record (zipfile
    and Java ignore it)"""
    body, cd, f = split(z)
    cd2 = cd_with_comment(cd, struct.pack("<IIQI", 0x07064b50, 0, 0, 1))
    return body + cd2 + eocd(f["n"], len(cd2), f["off"], 0)


def nested_bit3(inner, name="in.zip"):
    """INNER stored in an outer zip with its sizes in a data descriptor"""
    crc = zlib.crc32(inner)
    loc = (local_hdr(name, 0, 0, 0, 0, flags=8) + inner +
           struct.pack("<IIII", 0x08074b50, crc, len(inner), len(inner)))
    cd = cd_rec(name, 0, len(inner), len(inner), crc, 0, flags=8)
    return loc + cd + eocd(1, len(cd), len(loc), 0)


def swallow(data, junk=b"J" * 50):
    """a.bin, stored, not in the directory, runs to the end of the file: junk,
    b.txt's local header (version 6.4: no plausible header to a finder),
    b.txt's deflated DATA, the directory listing only b.txt, the end record"""
    comp = compress(8, data)
    crc = zlib.crc32(data)
    hid_off = 30 + 5 + len(junk)
    hid = local_hdr("b.txt", 8, len(comp), len(data), crc, version=64)
    cd = cd_rec("b.txt", 8, len(comp), len(data), crc, hid_off)
    rest = junk + hid + comp + cd + eocd(1, len(cd), hid_off + len(hid) + len(comp), 0)
    return local_hdr("a.bin", 0, len(rest), len(rest), zlib.crc32(rest)) + rest
