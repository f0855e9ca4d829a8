#!/usr/bin/env python3
"""`sekisho-policy category fetch NAME URL` (issue 14 item 6) against a real
nginx (Debian's nginx-light, as tests/fleet) on loopback serving:

  a UT1-style tarball (blacklists/adult/{domains,urls}, blacklists/gambling/
  domains, gzip'd tar made here), a per-category tarball, a plain list;
  and bad files: an HTML error page, binary garbage, an empty list, a
  tarball without the category, a truncated tarball, a 404.

Checks: the category is imported with the counts and the URL as its
source, in one new generation; `check` blocks a listed domain once the
category is blocked; every bad file is refused with a clear reason, exit
2, and the database is byte-for-byte unchanged (generation, entries).

Needs nginx (contrib/deps.sh test); fails without it.
Usage: test_category_fetch.py --build-dir BUILD
"""

import argparse
import gzip
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "fleet"))
from icaplib import Check  # noqa: E402
from test_fleet import Nginx  # noqa: E402  (the fleet test's nginx on loopback)


def tarball(members):
    """gzip'd tar of {path: bytes}, with directory entries as GNU tar writes."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as t:
        dirs = set()
        for path in members:
            parts = path.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                d = "/".join(parts[:i])
                if d not in dirs:
                    dirs.add(d)
                    ti = tarfile.TarInfo(d)
                    ti.type = tarfile.DIRTYPE
                    ti.mode = 0o755
                    t.addfile(ti)
        for path, data in members.items():
            ti = tarfile.TarInfo(path)
            ti.size = len(data)
            ti.mode = 0o644
            t.addfile(ti, io.BytesIO(data))
    return gzip.compress(raw.getvalue())


def hostile_tarball():
    """A symlink named adult/domains pointing at /etc/passwd, and a member
    whose name climbs out with '..': names are compared, never followed."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as t:
        ln = tarfile.TarInfo("blacklists/adult/domains")
        ln.type = tarfile.SYMTYPE
        ln.linkname = "/etc/passwd"
        t.addfile(ln)
        data = b"evil.example/path\n"
        ti = tarfile.TarInfo("../../../../tmp/adult/urls")
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
    return gzip.compress(raw.getvalue())


ADULT = b"".join(b"adult%d.example\n" % i for i in range(500)) + b"# comment\n\nbad..name\n"
ADULT_URLS = b"adult-urls.example/path/\n"
GAMBLING = b"casino.example\npoker.example\n"


def serve(www):
    files = {
        "ut1.tar.gz": tarball({"blacklists/adult/domains": ADULT,
                               "blacklists/adult/urls": ADULT_URLS,
                               "blacklists/gambling/domains": GAMBLING}),
        "gambling.tar.gz": tarball({"gambling/domains": GAMBLING}),
        "plain.txt": b"plain1.example\nplain2.example\nplain3.example\n",
        "error.html": b"<!DOCTYPE html>\n<html><body><h1>502 Bad Gateway</h1></body></html>\n",
        "garbage.bin": bytes(range(256)) * 64,
        "empty.txt": b"# nothing here\n\n",
        "other.tar.gz": tarball({"blacklists/adult/domains": ADULT,
                                 "blacklists/gambling/domains": GAMBLING}),
    }
    files["hostile.tar.gz"] = hostile_tarball()
    full = tarball({"blacklists/adult/domains": ADULT * 20})
    files["truncated.tar.gz"] = full[: len(full) // 2]
    for name, data in files.items():
        with open(os.path.join(www, name), "wb") as f:
            f.write(data)


def state(db):
    """Generation and every category entry: what a refused fetch must keep."""
    c = sqlite3.connect(db)
    try:
        gen = c.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        rows = c.execute("SELECT c.name, e.kind, e.value FROM category_entries e JOIN categories c"
                         " ON c.id = e.category_id ORDER BY 1, 2, 3").fetchall()
        src = c.execute("SELECT name, source FROM categories ORDER BY 1").fetchall()
    finally:
        c.close()
    return gen, rows, src


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    a = ap.parse_args()
    ck = Check("category_fetch")
    policy = os.path.join(a.build_dir, "bin", "sekisho-policy")
    if not ck.ok("nginx is installed (contrib/deps.sh test)",
                 shutil.which("nginx") or os.path.exists("/usr/sbin/nginx")):
        return ck.summary()
    tmp = tempfile.mkdtemp(prefix="sekisho-catfetch-")
    www = os.path.join(tmp, "www")
    os.makedirs(www)
    serve(www)
    ng = Nginx(www, tmp)
    db = os.path.join(tmp, "policy.db")
    env = dict(os.environ, TMPDIR=os.path.join(tmp, "t"))
    os.makedirs(env["TMPDIR"])

    def run(*args):
        return subprocess.run([policy, "--db", db] + list(args), capture_output=True, env=env,
                              timeout=60)

    try:
        ck.ok("nginx serves the files", ng.start())
        ck.eq("init", run("init").returncode, 0)
        p = run("category", "fetch", "adult", ng.url + "ut1.tar.gz")
        ck.eq("fetch adult from the UT1 tarball exits 0", p.returncode, 0)
        ck.ok("it reports the counts", b"imported category 'adult': 500 domains, 1 urls" in p.stdout,
              p.stdout + p.stderr)
        ck.ok("the one invalid line is reported", b"1 invalid lines skipped" in p.stdout, p.stdout)
        gen, rows, src = state(db)
        doms = {v for n, k, v in rows if n == "adult" and k == "domain"}
        ck.eq("500 adult domains stored", len(doms), 500)
        ck.ok("adult's urls file too", ("adult", "url", "adult-urls.example/path/") in rows,
              rows[-3:])
        ck.ok("no gambling entries leaked into adult", "casino.example" not in doms)
        ck.eq("the source is the URL", dict(src).get("adult"), ng.url + "ut1.tar.gz")
        ck.eq("the temporary directory is removed", os.listdir(env["TMPDIR"]), [])

        p = run("category", "fetch", "gambling", ng.url + "gambling.tar.gz")
        ck.ok("a per-category tarball: gambling imported",
              p.returncode == 0 and b"2 domains" in p.stdout, p.stdout + p.stderr)
        p = run("category", "fetch", "betting", ng.url + "gambling.tar.gz")
        ck.ok("... also under another name (its only category)",
              p.returncode == 0 and b"'betting': 2 domains" in p.stdout, p.stdout + p.stderr)
        p = run("category", "fetch", "plain", ng.url + "plain.txt")
        ck.ok("a plain list: 3 domains", p.returncode == 0 and b"3 domains" in p.stdout,
              p.stdout + p.stderr)

        p = run("category", "fetch", "hostile", ng.url + "hostile.tar.gz")
        ck.ok("hostile tarball: the symlink is skipped, the '..' member read as data only",
              p.returncode == 0 and b"'hostile': 0 domains, 1 urls" in p.stdout,
              p.stdout + p.stderr)
        _, rows, _ = state(db)
        ck.ok("... its one url stored, nothing of /etc/passwd",
              [r for r in rows if r[0] == "hostile"] == [("hostile", "url", "evil.example/path")],
              [r for r in rows if r[0] == "hostile"])
        ck.ok("... and nothing written outside the temporary directory",
              not os.path.exists("/tmp/adult/urls"))

        run("category", "block", "adult")
        p = run("check", "http://adult42.example/x", "--json")
        ck.ok("check: a fetched domain is blocked once the category is",
              p.returncode == 0 and json.loads(p.stdout).get("verdict") == "block", p.stdout)

        before = state(db)
        refusals = [
            ("error.html", "adult", b"HTML page"),
            ("garbage.bin", "adult", b"binary data"),
            ("empty.txt", "adult", b"no entries"),
            ("other.tar.gz", "games", b"no category 'games' in the archive (it has: adult,"),
            ("truncated.tar.gz", "adult", b"truncated tar archive"),
            ("missing.tar.gz", "adult", b"HTTP status 404"),
        ]
        for name, cat, why in refusals:
            p = run("category", "fetch", cat, ng.url + name)
            ck.ok("%s refused (exit 2) saying '%s' and 'nothing changed'" % (name, why.decode()),
                  p.returncode == 2 and why in p.stderr and b"nothing changed" in p.stderr,
                  (p.returncode, p.stderr))
        ck.ok("after every refusal the categories and generation are unchanged",
              state(db) == before)
        ck.eq("... and no temporary files are left", os.listdir(env["TMPDIR"]), [])
        p = run("category", "fetch", "adult", "http://127.0.0.1:1/nothing")
        ck.ok("an unreachable server is refused", p.returncode == 2 and
              b"nothing changed" in p.stderr, p.stderr)
        ck.ok("unchanged after it too", state(db) == before)
    finally:
        ng.stop()
        if not os.environ.get("SEKISHO_KEEP_TMP"):
            shutil.rmtree(tmp, ignore_errors=True)
    return ck.summary()


if __name__ == "__main__":
    sys.exit(main())
