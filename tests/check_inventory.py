#!/usr/bin/env python3
"""check_inventory.py - the registered ctest tests equal the checked-in
list tests/expected_tests.txt (one "name labels" line each), so a suite or a
test file that silently disappears (a deleted test_*.c the unit glob no
longer sees, a suite folder skipped, a test compiled out on this machine)
fails the run instead of making it smaller. A new test must be added to
the list in the same commit. (issue 16)"""
import argparse
import json
import subprocess
import sys


def registered(build):
    out = subprocess.run(["ctest", "--test-dir", build, "--show-only=json-v1"],
                         check=True, stdout=subprocess.PIPE).stdout
    tests = {}
    for t in json.loads(out)["tests"]:
        labels = []
        for p in t.get("properties", []):
            if p.get("name") == "LABELS":
                labels = p.get("value", [])
        tests[t["name"]] = ",".join(sorted(labels))
    return tests


def expected(path):
    tests = {}
    with open(path) as f:
        for ln in f:
            ln = ln.split("#", 1)[0].strip()
            if ln:
                name, _, labels = ln.partition(" ")
                tests[name] = labels.strip()
    return tests


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--expected", required=True)
    ap.add_argument("--write", action="store_true", help="rewrite the list from the build")
    a = ap.parse_args()
    got = registered(a.build_dir)
    if a.write:
        with open(a.expected, "w") as f:
            f.write("# Every ctest test the build must register, with its labels\n"
                    "# (tests/check_inventory.py; regenerate with --write after adding one).\n")
            for name in sorted(got):
                f.write("%s %s\n" % (name, got[name]))
        return 0
    want = expected(a.expected)
    bad = 0
    for name in sorted(set(want) - set(got)):
        print("MISSING  %s (%s): expected but not registered" % (name, want[name]))
        bad += 1
    for name in sorted(set(got) - set(want)):
        print("NEW      %s (%s): registered but not in %s" % (name, got[name], a.expected))
        bad += 1
    for name in sorted(set(got) & set(want)):
        if got[name] != want[name]:
            print("LABELS   %s: %s, expected %s" % (name, got[name], want[name]))
            bad += 1
    per = {}
    for name, labels in got.items():
        for lab in labels.split(","):
            per[lab] = per.get(lab, 0) + 1
    print("registered: %d tests; per label: %s" % (len(got), ", ".join(
        "%s %d" % (k, per[k]) for k in sorted(per))))
    print("inventory: %s" % ("OK" if not bad else "%d difference(s)" % bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
