"""Compound File Binary (OLE2, MS-CFB) writer for tests, and the legacy
Office streams that go in one: Word 97 (FIB + piece table), Excel BIFF8
(SST over CONTINUE records, NUMBER, RK), PowerPoint text atoms, Outlook
.msg property streams and attachment storages.

The writer knows the layouts attackers use: sectors in any order
(shuffle=seed: every chain, the FAT's, the directory's and the mini
stream's sectors permuted), version 4 (4096-byte sectors), a DIFAT beyond
the header's 109 entries (fat_sectors=N pads the FAT with free entries).
Streams under 4096 bytes go to the mini stream as MS-CFB says. cfb()
returns the file and a layout (where each stream's sectors, the FAT and
the directory are) so hostile tests can break one thing at a time.

Used by tests/hostile/test_ole2.py, tests/unit (via the C test's own
fixtures) and tests/fuzz seeds (tests/fuzz/corpus/ole2, made by
`python3 cfbforge.py SEEDDIR`).
"""

import random
import struct

ENDOFCHAIN = 0xFFFFFFFE
FREESECT = 0xFFFFFFFF
FATSECT = 0xFFFFFFFD
DIFSECT = 0xFFFFFFFC
NOSTREAM = 0xFFFFFFFF
SIG = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _name_key(n):
    return (len(n), n.upper())


def cfb(entries, version=3, shuffle=None, fat_sectors=0, mini_shuffle=None):
    """ENTRIES: [(path, bytes)], path "A/B/name" (storages implied). The
    file bytes and a layout dict: 'ssz', 'fat' (the FAT as a list), 'fat_at'
    (file offsets of the FAT sectors), 'dir_at' (offsets of the directory
    sectors), 'streams' {path: (mini, [sector numbers])}, 'entry' {path:
    directory index}, 'minifat' (list)."""
    ssz = 512 if version == 3 else 4096
    rnd = random.Random(shuffle) if shuffle is not None else None
    mrnd = random.Random(mini_shuffle if mini_shuffle is not None else shuffle) \
        if (mini_shuffle is not None or shuffle is not None) else None
    # directory: root, then storages and streams in path order
    nodes = [{"name": "Root Entry", "type": 5, "kids": [], "data": b""}]
    index = {"": 0}
    for path, data in entries:
        parts = path.split("/")
        for k in range(1, len(parts) + 1):
            p = "/".join(parts[:k])
            if p in index:
                continue
            typ = 2 if k == len(parts) else 1
            nodes.append({"name": parts[k - 1], "type": typ, "kids": [],
                          "data": data if typ == 2 else b""})
            index[p] = len(nodes) - 1
            nodes[index["/".join(parts[:k - 1])]]["kids"].append(len(nodes) - 1)
    # mini stream: small streams in 64-byte mini sectors
    mini_slots = []  # (node, chunk)
    for i, nd in enumerate(nodes):
        if nd["type"] == 2 and 0 < len(nd["data"]) < 4096:
            d = nd["data"]
            nd["mini_chunks"] = [len(mini_slots) + k for k in range((len(d) + 63) // 64)]
            for k in range(0, len(d), 64):
                mini_slots.append(d[k:k + 64].ljust(64, b"\0"))
    mperm = list(range(len(mini_slots)))
    if mrnd:
        mrnd.shuffle(mperm)
    ministream = bytearray(64 * len(mini_slots))
    for logical, phys in enumerate(mperm):
        ministream[64 * phys:64 * phys + 64] = mini_slots[logical]
    minifat = [FREESECT] * len(mini_slots)
    for nd in nodes:
        ch = [mperm[c] for c in nd.get("mini_chunks", [])]
        for a, b in zip(ch, ch[1:] + [ENDOFCHAIN]):
            minifat[a] = b
        nd["mini_start"] = ch[0] if ch else ENDOFCHAIN
    minifat_bytes = b"".join(struct.pack("<I", v) for v in minifat)
    # sector chains: (key, bytes)
    chains = []
    for i, nd in enumerate(nodes):
        if nd["type"] == 2 and len(nd["data"]) >= 4096:
            chains.append(("s%d" % i, nd["data"]))
    if ministream:
        chains.append(("ministream", bytes(ministream)))
    if minifat:
        chains.append(("minifat", minifat_bytes))
    ndir = (len(nodes) * 128 + ssz - 1) // ssz
    chains.append(("dir", b"\0" * (ndir * ssz)))  # placeholder, filled later
    data_secs = sum((len(d) + ssz - 1) // ssz for _, d in chains)
    per = ssz // 4
    nfat = max(fat_sectors, 1)
    while True:
        ndif = max(0, (nfat - 109 + per - 2) // (per - 1)) if nfat > 109 else 0
        if nfat * per >= data_secs + nfat + ndif:
            break
        nfat += 1
    total = data_secs + nfat + ndif
    slots = list(range(total))
    if rnd:
        rnd.shuffle(slots)
    pos = 0
    where = {}
    for key, d in chains:
        k = (len(d) + ssz - 1) // ssz
        where[key] = slots[pos:pos + k]
        pos += k
    fat_secs = slots[pos:pos + nfat]
    pos += nfat
    dif_secs = slots[pos:pos + ndif]
    fat = [FREESECT] * (nfat * per)
    for key, secs in where.items():
        for a, b in zip(secs, secs[1:] + [ENDOFCHAIN]):
            fat[a] = b
    for s in fat_secs:
        fat[s] = FATSECT
    for s in dif_secs:
        fat[s] = DIFSECT
    # directory entries: each storage's children a right-leaning chain in
    # MS-CFB's name order (a valid search tree)
    for nd in nodes:
        nd["left"] = nd["right"] = nd["child"] = NOSTREAM
    for i, nd in enumerate(nodes):
        kids = sorted(nd["kids"], key=lambda j: _name_key(nodes[j]["name"]))
        if kids:
            nd["child"] = kids[0]
            for a, b in zip(kids, kids[1:]):
                nodes[a]["right"] = b
    dirb = bytearray()
    for i, nd in enumerate(nodes):
        nm = nd["name"].encode("utf-16-le")[:62] + b"\0\0"
        if nd["type"] == 5:
            start = where["ministream"][0] if ministream else ENDOFCHAIN
            size = len(ministream)
        elif nd["type"] == 2 and len(nd["data"]) >= 4096:
            start, size = where["s%d" % i][0], len(nd["data"])
        elif nd["type"] == 2:
            start, size = nd["mini_start"], len(nd["data"])
        else:
            start, size = 0, 0
        e = nm.ljust(64, b"\0") + struct.pack("<HBB", len(nm), nd["type"], 1)
        e += struct.pack("<III", nd["left"], nd["right"], nd["child"])
        e += b"\0" * 16 + b"\0" * 4 + b"\0" * 16 + struct.pack("<IQ", start, size)
        dirb += e
    dirb = bytes(dirb).ljust(ndir * ssz, b"\0")
    contents = dict(chains)
    contents["dir"] = dirb
    sectors = [b"\0" * ssz] * total
    for key, secs in where.items():
        d = contents[key]
        for k, s in enumerate(secs):
            sectors[s] = d[k * ssz:(k + 1) * ssz].ljust(ssz, b"\0")
    for k, s in enumerate(fat_secs):
        sectors[s] = b"".join(struct.pack("<I", v) for v in fat[k * per:(k + 1) * per])
    rest = fat_secs[109:]
    for k, s in enumerate(dif_secs):
        part = rest[k * (per - 1):(k + 1) * (per - 1)]
        nxt = dif_secs[k + 1] if k + 1 < len(dif_secs) else ENDOFCHAIN
        sectors[s] = b"".join(struct.pack("<I", v) for v in part).ljust(ssz - 4, b"\xff") + \
            struct.pack("<I", nxt)
    hdr = SIG + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, version, 0xFFFE,
                                         9 if version == 3 else 12, 6)
    hdr += b"\0" * 6 + struct.pack("<II", ndir if version == 4 else 0, nfat)
    hdr += struct.pack("<II", where["dir"][0], 0)
    hdr += struct.pack("<I", 4096)
    hdr += struct.pack("<II", where["minifat"][0] if minifat else ENDOFCHAIN,
                       len(where["minifat"]) if minifat else 0)
    hdr += struct.pack("<II", dif_secs[0] if dif_secs else ENDOFCHAIN, ndif)
    difat = fat_secs[:109] + [FREESECT] * (109 - min(109, nfat))
    hdr += b"".join(struct.pack("<I", v) for v in difat)
    assert len(hdr) == 512
    out = hdr.ljust(ssz, b"\0") + b"".join(sectors)
    layout = {"ssz": ssz, "fat": fat, "fat_secs": fat_secs, "minifat": minifat,
              "fat_at": [(s + 1) * ssz for s in fat_secs],
              "dir_at": [(s + 1) * ssz for s in where["dir"]],
              "streams": {}, "entry": {}}
    for path, i in index.items():
        nd = nodes[i]
        layout["entry"][path] = i
        if nd["type"] == 2 and len(nd["data"]) >= 4096:
            layout["streams"][path] = (False, where["s%d" % i])
        elif nd["type"] == 2:
            layout["streams"][path] = (True, [mperm[c] for c in nd.get("mini_chunks", [])])
    return out, layout


def set_fat(data, layout, sector, value):
    """DATA with FAT entry SECTOR set to VALUE."""
    per = layout["ssz"] // 4
    off = layout["fat_at"][sector // per] + 4 * (sector % per)
    b = bytearray(data)
    b[off:off + 4] = struct.pack("<I", value)
    return bytes(b)


def set_entry(data, layout, path, field, value):
    """DATA with a field of PATH's directory entry changed: 'start' (u32 at
    116), 'size' (u64 at 120), 'child'/'left'/'right' (u32)."""
    i = layout["entry"][path]
    ssz = layout["ssz"]
    off = layout["dir_at"][i * 128 // ssz] + (i * 128) % ssz
    f = {"left": (68, "<I"), "right": (72, "<I"), "child": (76, "<I"), "start": (116, "<I"),
         "size": (120, "<Q")}[field]
    b = bytearray(data)
    struct.pack_into(f[1], b, off + f[0], value)
    return bytes(b)


# ---- Word 97 ----

def word(pieces, encrypted=False, which=1, repeat=1):
    """A .doc's streams: PIECES [(text, utf16)] in file order; the piece
    table lists them in CP order given as each piece's position in the
    list of PIECES' 'order' (pieces may be (text, utf16, cp_rank)); REPEAT
    lists the whole table that many times over (pieces that overlap: a
    hostile shape). Returns [(path, bytes)] for cfb()."""
    pieces = [p if len(p) == 3 else (p[0], p[1], i) for i, p in enumerate(pieces)]
    fib = bytearray(0x600)
    body = bytearray()
    fcs = []
    for text, utf16, _ in pieces:
        at = len(fib) + len(body)
        if utf16:
            body += text.encode("utf-16-le")
            fcs.append(at)
        else:
            body += text.encode("cp1252")
            fcs.append(0x40000000 | (at * 2))
    # the CLX: pieces in CP order
    order = sorted(range(len(pieces)), key=lambda i: pieces[i][2]) * repeat
    cps = [0]
    for i in order:
        cps.append(cps[-1] + len(pieces[i][0]))
    plc = b"".join(struct.pack("<I", c) for c in cps)
    plc += b"".join(struct.pack("<HIH", 0, fcs[i], 0) for i in order)
    clx = b"\x01" + struct.pack("<H", 2) + b"\0\0" + b"\x02" + struct.pack("<I", len(plc)) + plc
    table = b"\0" * 16 + clx
    # FibBase
    struct.pack_into("<HH", fib, 0, 0xA5EC, 0x00C1)
    flags = 0x0004 | (0x0200 if which == 1 else 0) | (0x0100 if encrypted else 0)
    struct.pack_into("<H", fib, 0x0A, flags)
    struct.pack_into("<II", fib, 0x18, len(fib), len(fib) + len(body))
    struct.pack_into("<H", fib, 32, 14)  # csw
    at = 34 + 28
    struct.pack_into("<H", fib, at, 22)  # cslw
    struct.pack_into("<I", fib, at + 2 + 12, cps[-1])  # ccpText
    at += 2 + 88
    struct.pack_into("<H", fib, at, 0x5D)  # cbRgFcLcb (Word 97)
    struct.pack_into("<II", fib, at + 2 + 8 * 33, 16, len(clx))  # fcClx, lcbClx
    wd = bytes(fib) + bytes(body)
    return [("WordDocument", wd), ("%dTable" % which, table)]


def summary(title, codepage=1200):
    """A "\\005SummaryInformation" stream (MS-OLEPS) whose title (PIDSI 2,
    VT_LPSTR) is TITLE in CODEPAGE (1200: UTF-16, as Office writes a title
    with characters outside the system code page)."""
    enc = title.encode("utf-16-le") + b"\0\0" if codepage == 1200 else \
        title.encode("cp1252") + b"\0"
    cp = struct.pack("<HHhH", 2, 0, codepage - 65536 if codepage > 32767 else codepage, 0)
    tv = struct.pack("<HHI", 0x1E, 0, len(enc)) + enc
    tv += b"\0" * (-len(tv) % 4)
    body_off = 8 + 16
    ps = struct.pack("<II", 1, body_off) + struct.pack("<II", 2, body_off + len(cp))
    pset = struct.pack("<II", 8 + len(ps) + len(cp) + len(tv), 2) + ps + cp + tv
    fmtid = bytes.fromhex("e0859ff2f94f6810ab9108002b27b3d9")
    head = struct.pack("<HHI", 0xFFFE, 0, 0x00020006) + b"\0" * 16 + struct.pack("<I", 1)
    head += fmtid + struct.pack("<I", len(head) + 20)
    return [("\x05SummaryInformation", head + pset)]


# ---- Excel BIFF8 ----

def rec(t, d):
    return struct.pack("<HH", t, len(d)) + d


def xls(strings=(), numbers=(), rks=(), split_at=None, split_wide=True, filepass=False,
        extra=b""):
    """A Workbook stream: STRINGS in the SST (the first string's characters
    split over a CONTINUE record at SPLIT_AT, the continuation's flag byte
    switching to UTF-16 when SPLIT_WIDE), a LABELSST per string, NUMBER
    records for NUMBERS, RK records for RKS (raw 32-bit values), then the
    records EXTRA (xls_text_records) before the sheet's EOF."""
    out = rec(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0, 0, 0, 0))
    if filepass:
        out += rec(0x002F, b"\x01\x00" + b"\0" * 52)
    sst = struct.pack("<II", len(strings), len(strings))
    conts = []
    for k, s in enumerate(strings):
        if k == 0 and split_at is not None:
            a, b = s[:split_at], s[split_at:]
            sst += struct.pack("<HB", len(s), 0) + a.encode("latin-1")
            cont = (b"\x01" + b.encode("utf-16-le")) if split_wide else (b"\x00" + b.encode("latin-1"))
            conts.append(cont)
        else:
            enc = s.encode("utf-16-le")
            piece = struct.pack("<HB", len(s), 1) + enc
            if conts:
                conts[-1] += piece
            else:
                sst += piece
    out += rec(0x00FC, sst)
    for c in conts:
        out += rec(0x003C, c)
    out += rec(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0, 0, 0, 0))
    for k in range(len(strings)):
        out += rec(0x00FD, struct.pack("<HHHI", k, 0, 15, k))
    for k, v in enumerate(numbers):
        out += rec(0x0203, struct.pack("<HHHd", k, 1, 15, v))
    for k, v in enumerate(rks):
        out += rec(0x027E, struct.pack("<HHHI", k, 2, 15, v))
    out += extra
    out += rec(0x000A, b"")
    return [("Workbook", out)]


def xlstr(t, wide, short=False):
    """An XLUnicodeString (ShortXLUnicodeString when SHORT) of T."""
    d = t.encode("utf-16-le") if wide else t.encode("latin-1")
    return struct.pack("<BB" if short else "<HB", len(t), 1 if wide else 0) + d


def xls_text_records(sheet, header, footer, even, first, txo, txo_split, series, cut=False):
    """The text records outside cells: a sheet name (BoundSheet8), a page
    header (UTF-16) and footer (8-bit), a HeaderFooter record with the even
    pages' header and the first page's footer, a comment's text (TxO) over
    two CONTINUE records split at TXO_SPLIT (8-bit, then UTF-16), its
    formatting runs, a chart's SeriesText (UTF-16). CUT: the TxO's text
    and formatting CONTINUE records left out."""
    out = rec(0x0085, struct.pack("<IBB", 0, 0, 0) + xlstr(sheet, False, True))
    out += rec(0x0014, xlstr(header, True)) + rec(0x0015, xlstr(footer, False))
    out += rec(0x0014, b"")  # an empty header record: no header
    out += rec(0x089C, b"\0" * 12 + b"\0" * 16 + struct.pack("<HHHHH", 0, len(even), 0, 0, len(first))
               + xlstr(even, True) + xlstr(first, False))
    out += rec(0x01B6, struct.pack("<HH6sHHHHH", 0x0212, 0, b"\0" * 6, len(txo), 16, 0, 0, 0))
    if not cut:
        out += rec(0x003C, b"\x00" + txo[:txo_split].encode("latin-1"))
        out += rec(0x003C, b"\x01" + txo[txo_split:].encode("utf-16-le"))
        out += rec(0x003C, b"\0" * 16)  # formatting runs
    out += rec(0x100D, b"\0\0" + xlstr(series, True, True))
    return out


def rk_int(v):
    return ((v << 2) | 2) & 0xFFFFFFFF


# ---- PowerPoint ----

def ppt_rec(ver, t, d):
    return struct.pack("<HHI", ver, t, len(d)) + d


def ppt(texts, comments=(), blob_junk=False):
    """A 'PowerPoint Document' stream with TEXTS: (text, utf16). COMMENTS:
    a slide's comments (author, text) as PowerPoint 2002 keeps them, in a
    Comment10 container inside the binary tag data of a ___PPT10 tag;
    BLOB_JUNK: one more tag whose data is no records (an atom longer than
    the data), before the texts."""
    atoms = b""
    if blob_junk:
        atoms += ppt_rec(0x0F, 0x1388, ppt_rec(0x0F, 0x138A, ppt_rec(0, 0x0FBA, "___PPT9".encode(
            "utf-16-le")) + ppt_rec(0, 0x138B, b"\x00\x00\xa0\x0f\xff\xff\xff\x7f" + b"x" * 8)))
    for t, wide in texts:
        d = t.encode("utf-16-le") if wide else t.encode("latin-1")
        atoms += struct.pack("<HHI", 0, 0x0FA0 if wide else 0x0FA8, len(d)) + d
    if comments:
        ext = b""
        for who, text in comments:
            ext += ppt_rec(0x0F, 0x2EE0, ppt_rec(0x00, 0x0FBA, who.encode("utf-16-le")) +
                           ppt_rec(0x10, 0x0FBA, text.encode("utf-16-le")) +
                           ppt_rec(0, 0x2EE1, b"\0" * 28))
        atoms += ppt_rec(0x0F, 0x1388, ppt_rec(0x0F, 0x138A, ppt_rec(
            0, 0x0FBA, "___PPT10".encode("utf-16-le")) + ppt_rec(0, 0x138B, ext)))
    slide = struct.pack("<HHI", 0x0F, 0x0FF0, len(atoms)) + atoms
    doc = struct.pack("<HHI", 0x0F, 0x03E8, len(slide)) + slide
    return [("PowerPoint Document", doc), ("Current User", b"\0" * 20)]


# ---- Outlook .msg ----

def msg(subject, body, attachments=()):
    """An Outlook message: SUBJECT and BODY as UTF-16 properties, each of
    ATTACHMENTS (name, bytes) in an attachment storage (3701 0102 data,
    3707 001F long file name)."""
    ents = [("__substg1.0_0037001F", subject.encode("utf-16-le")),
            ("__substg1.0_1000001F", body.encode("utf-16-le")),
            ("__properties_version1.0", b"\0" * 32)]
    for k, (name, data) in enumerate(attachments):
        st = "__attach_version1.0_#%08X" % k
        ents += [(st + "/__substg1.0_37010102", data),
                 (st + "/__substg1.0_3707001F", name.encode("utf-16-le")),
                 (st + "/__properties_version1.0", b"\0" * 16)]
    return ents


def ole1(native, cls=b"Word.Document.8"):
    """An OLE1 embedded object (what RTF's \\objdata holds) around NATIVE."""
    def s(x):
        return struct.pack("<I", len(x) + 1) + x + b"\0"
    return (struct.pack("<II", 0x0501, 2) + s(cls) + s(b"") + s(b"") +
            struct.pack("<I", len(native)) + native)


def unit_fixtures():
    """The files tests/unit/test_dlp_ole2.c reads (tests/unit/data/ole2/,
    made by `python3 cfbforge.py --unit DIR`)."""
    pat = bytes((i * 7) % 251 for i in range(5000))
    card = "4111 1111 1111 1111"
    base, lay = cfb([("A", pat)])
    wsec = lay["streams"]["A"][1]
    f = {
        "shuffled": cfb([("A", pat)], shuffle=7)[0],
        "mini_shuffled": cfb([("B", pat[:1000])], mini_shuffle=3)[0],
        "cutoff": cfb([("big", pat[:4096]), ("small", pat[:4095])], shuffle=1)[0],
        "v4": cfb([("A", pat)], version=4, shuffle=4)[0],
        # 240 FAT sectors: two DIFAT sectors, the second not after the first
        "difat": cfb([("A", pat)], fat_sectors=240, shuffle=6)[0],
        "cycle": set_fat(base, lay, wsec[4], wsec[2]),
        "out_of_range": set_fat(base, lay, wsec[1], 0x00100000),
        "longer": set_entry(base, lay, "A", "size", 4500),
        "shorter": set_entry(base, lay, "A", "size", 5200),
        "dir_cycle": set_fat(base, lay, lay["dir_at"][0] // 512 - 1, lay["dir_at"][0] // 512 - 1),
        "msg": cfb(msg("Subject \u2713", "Body " + card, [("a.txt", b"attached " + card.encode())]),
                   shuffle=2)[0],
        "doc_pieces": cfb(word([("1111 1111 \u2713\r", True, 1), ("Card: 4111 ", False, 0),
                                ("\x13 HYPERLINK \"http://x/4111111111111111\" \x14link\x15 end\r",
                                 True, 2)]))[0],
        "doc_table0": cfb(word([("Zero 4111 1111 1111 1111\r", False)], which=0))[0],
        "doc_overlap": cfb(word([("x" * 1000, False)], repeat=3))[0],
        "doc_encrypted": cfb(word([("secret", False)], encrypted=True))[0],
        "xls": cfb(xls(["Card " + card + " \u2713", "second"], [4111111111111111.0, 0.5],
                       [rk_int(12345), (123456 << 2) | 3], split_at=9))[0],
        "xls_narrow": cfb(xls(["Card " + card, "z"], split_at=7, split_wide=False))[0],
        "xls_filepass": cfb(xls(["x"], filepass=True))[0],
        "xls_objects": cfb(xls(["cell"], extra=xls_text_records(
            "S 4111", "H 4111 1111 1111 1111 \u2713", "F 5500 0000 0000 0004", "E 6011 \u2713",
            "P 3782 822463 10005", "Note 4111 1111 1111 1111 \u2713", 9, "Ser \u2713 5500")))[0],
        "xls_txo_cut": cfb(xls(["cell"], extra=xls_text_records(
            "S", "H", "F", "E", "P", "Note 4111", 4, "Ser", cut=True)))[0],
        "summary": cfb(summary("Title \u2713 " + card) + word([("body", False)]))[0],
        "ole1": ole1(cfb(word([("OLE1 ", False), (card + " \u2713", True)]))[0]),
        "ppt": cfb(ppt([("Wide " + card + " \u2713", True), ("Bytes 5500 0000", False)]))[0],
        "ppt_comment": cfb(ppt([("Slide", True)], comments=[("Ann", "Note " + card + " \u2713")],
                               blob_junk=True))[0],
    }
    return f


if __name__ == "__main__":
    import os
    import sys
    import io
    import zipfile
    if sys.argv[1] == "--unit":
        os.makedirs(sys.argv[2], exist_ok=True)
        for k, v in unit_fixtures().items():
            open(os.path.join(sys.argv[2], k + ".cfb"), "wb").write(v)
        sys.exit(0)
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    card = "4111 1111 1111 1111"
    zb = io.BytesIO()
    with zipfile.ZipFile(zb, "w") as z:
        z.writestr("a.txt", "x")
    seeds = {
        "doc": cfb(word([("Card ", False), (card + " \u00e9", True)]))[0],
        "doc_v4_shuffled": cfb(word([("a" * 5000, False), (card, True)]), version=4,
                               shuffle=3)[0],
        "xls": cfb(xls(["Card " + card], [4111111111111111.0], [rk_int(12345)],
                       split_at=8))[0],
        "ppt": cfb(ppt([("Card " + card, True), ("bytes", False)]))[0],
        "ppt_comment": cfb(ppt([("s", True)], comments=[("a", "Card " + card)],
                               blob_junk=True))[0],
        "xls_text": cfb(xls(["c"], extra=xls_text_records("S", "H " + card, "F", "E", "P",
                                                          "Note " + card, 4, "Ser")))[0],
        "msg": cfb(msg("subj", "body " + card, [("a.zip", zb.getvalue())]))[0],
        "difat": cfb([("s", b"x" * 5000)], fat_sectors=120)[0],
    }
    for k, v in seeds.items():
        open(os.path.join(d, k), "wb").write(v)
