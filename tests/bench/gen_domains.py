#!/usr/bin/env python3
# gen_domains.py - writes a deterministic synthetic block list of domains and
# a URL list that hits it one time in ten. Trusts its arguments.
"""Usage: gen_domains.py OUTDIR [--count N] [--urls U] [--seed S]

OUTDIR/domains      N unique domains, one a line: the squidGuard category
                    layout (OUTDIR is the category) and the plain list c-icap
                    lookup tables read (url_check "hash:" tables).
OUTDIR/urls         empty squidGuard URL list
OUTDIR/urls.txt     U request URLs for the bench: every tenth host is listed
                    (sometimes as a subdomain of a listed domain), the others
                    are not.
"""
import argparse
import os
import random

TLDS = ["com", "net", "org", "info", "biz", "de", "fr", "jp", "ru", "cn",
        "co.uk", "com.br", "io", "xyz", "top", "online", "site", "nl", "it"]
SYL = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"]


def name(rnd):
    label = "".join(rnd.choice(SYL) for _ in range(rnd.randint(2, 6)))
    if rnd.random() < 0.2:
        label += "-" + "".join(rnd.choice(SYL) for _ in range(rnd.randint(1, 3)))
    if rnd.random() < 0.1:
        label += str(rnd.randint(1, 999))
    return label + "." + rnd.choice(TLDS)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--urls", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1344)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    os.makedirs(a.outdir, exist_ok=True)

    seen = set()
    listed = []
    while len(listed) < a.count:
        d = name(rnd)
        if d not in seen:
            seen.add(d)
            listed.append(d)
    urls = []
    for i in range(a.urls):
        if i % 10 == 0:
            host = rnd.choice(listed)
            if rnd.random() < 0.5:
                host = "www." + host
        else:
            host = name(rnd)
            while host in seen:
                host = name(rnd)
            host = "www." + host
        path = "/" + "/".join(rnd.choice(SYL) * 2 for _ in range(rnd.randint(1, 4)))
        urls.append("http://%s%s?q=%d" % (host, path, i))

    def put(fname, lines):
        tmp = os.path.join(a.outdir, fname + ".tmp")
        with open(tmp, "w", encoding="ascii") as f:
            f.write("".join(s + "\n" for s in lines))
        os.replace(tmp, os.path.join(a.outdir, fname))

    put("domains", listed)
    put("urls", [])
    put("urls.txt", urls)
    print("gen_domains: %s: %d domains, %d URLs" % (a.outdir, len(listed), len(urls)))


if __name__ == "__main__":
    main()
