#!/usr/bin/env python3
# gen_sigs.py - writes a deterministic synthetic ClamAV signature set
# (.hdb hash and .ndb body signatures) for the benchmark. Trusts its arguments.
"""Usage: gen_sigs.py OUTDIR [--hashes N] [--patterns M] [--seed S]

Writes OUTDIR/bench.hdb (N lines "md5:size:name" of random hashes, plus the
EICAR test file) and OUTDIR/bench.ndb (M lines "name:0:*:hex" of 16-32
random bytes, plus EICAR and the bench marker). Same seed, same files.
"""
import argparse
import hashlib
import os
import random

EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!"
         b"$H+H*")
# A body containing MARKER is "infected" for the bench's sanity checks.
MARKER = b"SEKISHO-BENCH-INFECTED-MARKER-7f3a9c"


def write_atomic(path, lines):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write("\n".join(lines))
        f.write("\n")
    os.replace(tmp, path)


def shape(outdir):
    """One line: hash and body signature counts, body pattern lengths."""
    hashes, lens = 0, []
    for name in sorted(os.listdir(outdir)):
        path = os.path.join(outdir, name)
        if name.endswith(".hdb"):
            with open(path, encoding="ascii", errors="replace") as f:
                hashes += sum(1 for line in f if line.strip())
        elif name.endswith(".ndb"):
            with open(path, encoding="ascii", errors="replace") as f:
                for line in f:
                    parts = line.strip().split(":")
                    if len(parts) >= 4:
                        lens.append(len(parts[3]) // 2)
    if not lens:
        return "%d hash signatures, no body signatures" % hashes
    lens.sort()
    return ("%d hash (MD5) + %d body signatures of %d-%d bytes (median %d)"
            % (hashes, len(lens), lens[0], lens[-1], lens[len(lens) // 2]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("--hashes", type=int, default=1_000_000)
    ap.add_argument("--patterns", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=1344)
    ap.add_argument("--shape", action="store_true",
                    help="only describe the set already in OUTDIR (counts, lengths)")
    a = ap.parse_args()
    if a.shape:
        print(shape(a.outdir))
        return
    rnd = random.Random(a.seed)
    os.makedirs(a.outdir, exist_ok=True)

    hdb = ["%s:%d:Sekisho.Bench.Hash.%d" % (rnd.randbytes(16).hex(),
                                             rnd.randint(64, 8 << 20), i)
           for i in range(a.hashes)]
    hdb.append("%s:%d:Eicar-Test-Signature" % (hashlib.md5(EICAR).hexdigest(),
                                                len(EICAR)))
    write_atomic(os.path.join(a.outdir, "bench.hdb"), hdb)

    ndb = []
    for i in range(a.patterns):
        # Bytes >= 0x80 in every pattern keep them out of plain ASCII text;
        # the first two bytes differ from the 0x00/0xff runs of real files.
        n = rnd.randint(16, 32)
        pat = bytearray(rnd.randbytes(n))
        pat[0] = 0x80 | rnd.randrange(1, 127)
        pat[n // 2] |= 0x80
        ndb.append("Sekisho.Bench.Pattern.%d:0:*:%s" % (i, pat.hex()))
    ndb.append("Sekisho.Bench.Eicar.NDB:0:*:%s" % EICAR[:40].hex())
    ndb.append("Sekisho.Bench.Marker:0:*:%s" % MARKER.hex())
    write_atomic(os.path.join(a.outdir, "bench.ndb"), ndb)
    print("gen_sigs: %s: %d hash, %d body signatures" %
          (a.outdir, len(hdb), len(ndb)))


if __name__ == "__main__":
    main()
