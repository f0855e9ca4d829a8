#!/usr/bin/env python3
"""Add the benchmark's URL rules to an exported Sekisho policy document.

Usage: gen_rules.py POLICY.json QUICK(0|1)
Deterministic (seed 1344): 5,000 prefix + 5,000 substring block rules and
100 regexes on the default policy (quick: 100 + 100 + 10), none of which
matches the benchmark's request URLs, so every request pays for a full
lookup. Rewrites the file in place for `sekisho-policy import`.
Trust: reads and writes files the benchmark itself made.
"""
import json
import random
import sys


def main():
    path, quick = sys.argv[1], sys.argv[2] == "1"
    n_fix, n_re = (100, 10) if quick else (5000, 100)
    rnd = random.Random(1344)
    word = lambda k: "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(k))
    with open(path) as f:
        doc = json.load(f)
    rules = next(p for p in doc["policies"] if p["name"] == "default")["url_rules"]
    for i in range(n_fix):
        rules.append({"list": "block", "match": "prefix",
                      "pattern": "%s-%d.bench-prefix.test/%s" % (word(8), i, word(6)), "comment": ""})
        rules.append({"list": "block", "match": "substring",
                      "pattern": "/%s-%d-%s" % (word(6), i, word(6)), "comment": ""})
    for i in range(n_re):
        rules.append({"list": "block", "match": "regex",
                      "pattern": "^https?://[^/]*\\.%s%d\\.bench-re\\.test/.*%s" % (word(5), i, word(4)),
                      "comment": ""})
    with open(path, "w") as f:
        json.dump(doc, f)


if __name__ == "__main__":
    main()
