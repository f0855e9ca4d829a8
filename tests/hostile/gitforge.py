"""gitforge - hand-made git packs for test_git.py's crafted cases (red team
s23): packs git itself accepts (index-pack, receive-pack are the oracles in
the test) whose framing a reader could take otherwise than git does.

Pack builds a version-2 pack object by object (a zlib stream may be given:
stored blocks make an object's bytes appear raw in the pack) and hashes its
trailer; delta() writes a delta's instructions (inserts of at most 127
bytes, copies). The cases:
  desync_pack   F2: a SHA-1 pack whose crafted REF delta frames the rest
                otherwise when ids are read as 32 bytes (a ref named
                object-format=sha256, a progress line saying it).
  iso_tag_pack  F3: a stored filler blob putting an ISO 9660 descriptor tag
                ("\\x01CD001") at byte 32768 of the body, then the payload.
  thin_chain    F4: a thin REF delta A inserting the payload's halves
                swapped, an OFS delta B on A copying them back in order.
  bomb          F5: one blob of SIZE bytes of "a" at zlib level 9 (~1000:1).
"""

import hashlib
import struct
import zlib

TYPES = {"commit": 1, "tree": 2, "blob": 3, "tag": 4}
OFS_DELTA, REF_DELTA = 6, 7
FLUSH = b"0000"


def pkt(data):
    return b"%04x" % (len(data) + 4) + data


def band(data, n=65515):
    """DATA as side-band band-1 pkt-lines."""
    return b"".join(pkt(b"\x01" + data[i:i + n]) for i in range(0, len(data), n))


def oid(kind, data, algo="sha1"):
    """The git object id (raw bytes) of DATA as a KIND object."""
    return hashlib.new(algo, b"%s %d\0" % (kind.encode(), len(data)) + data).digest()


def obj_header(kind, size):
    c, size, out = (kind << 4) | (size & 15), size >> 4, bytearray()
    while size:
        out.append(c | 0x80)
        c, size = size & 0x7f, size >> 7
    return bytes(out + bytes([c]))


def ofs_enc(d):
    """An OFS delta's distance to its base, as git writes it."""
    out = [d & 0x7f]
    d >>= 7
    while d:
        d -= 1
        out.insert(0, 0x80 | (d & 0x7f))
        d >>= 7
    return bytes(out)


def varint(v):
    out = bytearray()
    while True:
        c, v = v & 0x7f, v >> 7
        out.append(c | (0x80 if v else 0))
        if not v:
            return bytes(out)


def stored_zlib(data):
    """A zlib stream of stored blocks only: DATA appears raw in it."""
    out, i = bytearray(b"\x78\x01"), 0
    while True:
        chunk = data[i:i + 65535]
        i += len(chunk)
        final = i >= len(data)
        out += bytes([final]) + struct.pack("<HH", len(chunk), len(chunk) ^ 0xffff) + chunk
        if final:
            return bytes(out + struct.pack(">I", zlib.adler32(data)))


def delta(src_size, dst_size, ops):
    """A delta's instructions; OPS: ("i", bytes) inserts, ("c", off, len) copies."""
    out = bytearray(varint(src_size) + varint(dst_size))
    for op in ops:
        if op[0] == "i":
            for k in range(0, len(op[1]), 127):
                out += bytes([len(op[1][k:k + 127])]) + op[1][k:k + 127]
            continue
        off, ln = op[1], 0 if op[2] == 0x10000 else op[2]
        c, extra = 0x80, bytearray()
        for bit, v in enumerate([off >> s for s in (0, 8, 16, 24)] + [ln >> s for s in (0, 8, 16)]):
            if v & 0xff:
                c |= 1 << bit
                extra.append(v & 0xff)
        out += bytes([c]) + extra
    return bytes(out)


class Pack:
    """A version-2 pack built object by object; z: the zlib stream to use."""

    def __init__(self):
        self.body, self.count = bytearray(), 0

    def _add(self, raw):
        off = 12 + len(self.body)
        self.body += raw
        self.count += 1
        return off

    def obj(self, kind, data, z=None):
        return self._add(obj_header(TYPES[kind], len(data)) + (z or zlib.compress(data)))

    def ofs(self, base_off, dl):
        off = 12 + len(self.body)
        return self._add(obj_header(OFS_DELTA, len(dl)) + ofs_enc(off - base_off) +
                         zlib.compress(dl))

    def ref(self, base_id, dl, z=None):
        return self._add(obj_header(REF_DELTA, len(dl)) + base_id + (z or zlib.compress(dl)))

    def bytes(self):
        b = b"PACK" + struct.pack(">II", 2, self.count) + bytes(self.body)
        return b + hashlib.sha1(b).digest()


def desync_pack(payload):
    """F2: commit, tree, a clean blob B, a REF delta on B, then the blob
    "x PAYLOAD\\n" (a.txt of the commit). The delta's zlib stream is stored
    blocks; 12 bytes into it (where a 32-byte id read of its 20-byte base id
    ends) starts another zlib stream of the delta's declared size, then a
    clean blob: read so, the pack's objects end before the payload.
    Returns (pack, the commit's hex id, the payload blob's hex id)."""
    blob = b"x " + payload + b"\n"
    tree = b"100644 a.txt\0" + oid("blob", blob)
    commit = (b"tree %s\nauthor a <a@b> 1700000000 +0000\ncommitter a <a@b> 1700000000 +0000"
              b"\n\nm\n" % oid("tree", tree).hex().encode())
    base = (b"base line of clean text\n" * 8)[:150]
    size = 2 + 2 + 1 + 127 + 2  # the delta: two sizes, an insert of 127, a copy of 1
    decoy = zlib.compress(b"\0" * size) + obj_header(3, 6) + zlib.compress(b"clean\n")
    assert len(decoy) <= 127
    content = varint(len(base)) + varint(128) + b"\x7f" + decoy.ljust(127, b"\n") + b"\x90\x01"
    z = stored_zlib(content)
    assert len(content) == size and z[12:].startswith(decoy[:2])
    p = Pack()
    p.obj("commit", commit)
    p.obj("tree", tree)
    p.obj("blob", base)
    p.ref(oid("blob", base), content, z=z)
    p.obj("blob", blob)
    return p.bytes(), oid("commit", commit).hex(), oid("blob", blob).hex()


def iso_tag_pack(payload, lead=0):
    """F3: a 40000-byte stored filler blob putting "\\x01CD001" at byte 32768
    of a body with LEAD bytes before the pack, then the blob "x: PAYLOAD\\n"."""
    n = 40000
    at = 32768 - (lead + 12 + len(obj_header(3, n)) + 2 + 5)
    filler = b"A" * at + b"\x01CD001" + b"A" * (n - at - 6)
    p = Pack()
    p.obj("blob", filler, z=stored_zlib(filler))
    p.obj("blob", b"x: " + payload + b"\n")
    pack = p.bytes()
    assert pack[32768 - lead:32774 - lead] == b"\x01CD001"
    return pack


def thin_chain(payload, base=b"an ordinary file the server already has\n"):
    """F4: a thin pack of A, a REF delta on BASE (not in the pack) giving
    the payload's second half, 5 bytes of BASE, its first half; and B, an
    OFS delta on A copying the halves back in order: "v: PAYLOAD\\n".
    Returns (pack, B's content)."""
    h1, h2 = payload[:len(payload) // 2], payload[len(payload) // 2:]
    a = h2 + base[:5] + h1
    b = b"v: " + h1 + h2 + b"\n"
    p = Pack()
    at = p.ref(oid("blob", base), delta(len(base), len(a), [("i", h2), ("c", 0, 5), ("i", h1)]))
    p.ofs(at, delta(len(a), len(b), [("i", b"v: "), ("c", len(h2) + 5, len(h1)),
                                     ("c", 0, len(h2)), ("i", b"\n")]))
    return p.bytes(), b


def bomb(size):
    """F5: a pack of one blob of SIZE bytes "a", zlib level 9."""
    p = Pack()
    p.obj("blob", b"a" * size, z=zlib.compress(b"a" * size, 9))
    return p.bytes()
