#!/usr/bin/env python3
# gen_bodies.py - writes the deterministic request/response bodies of the
# benchmark (random binary, plain text, a big stream, infected samples).
"""Usage: gen_bodies.py OUTDIR [--stream-mb N] [--seed S]"""
import argparse
import os
import random

from gen_sigs import EICAR, MARKER

WORDS = ("the of and to in is for on that by this with from at are as be or "
         "report meeting budget quarter customer order invoice delivery team "
         "project review draft schedule product market revenue forecast plan "
         "office travel policy update status service support contract price "
         "account release notes summary please attached regards thanks").split()


def text(rnd, size):
    out, n = [], 0
    while n < size:
        line = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(6, 14)))
        line = line.capitalize() + ".\n"
        out.append(line)
        n += len(line)
    return "".join(out).encode()[:size]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("outdir")
    ap.add_argument("--stream-mb", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1344)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    os.makedirs(a.outdir, exist_ok=True)

    def put(name, data):
        tmp = os.path.join(a.outdir, name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, os.path.join(a.outdir, name))

    put("bin10k", rnd.randbytes(10 * 1024))
    block = rnd.randbytes(1 << 20)
    put("bin1m", block)
    put("text1m", text(rnd, 1 << 20))
    tmp = os.path.join(a.outdir, "stream.tmp")
    with open(tmp, "wb") as f:  # 1 MiB random block repeated: cheap, incompressible enough
        for _ in range(a.stream_mb):
            f.write(block)
    os.replace(tmp, os.path.join(a.outdir, "stream"))
    put("eicar", EICAR)
    put("marker10k", rnd.randbytes(5000) + MARKER + rnd.randbytes(5000))
    put("dlp_hit", text(rnd, 4000) + b"\nCard 4111 1111 1111 1111 exp 12/27\n")
    print("gen_bodies: %s: 10 KB, 1 MiB binary and text, %d MiB stream" %
          (a.outdir, a.stream_mb))


if __name__ == "__main__":
    main()
