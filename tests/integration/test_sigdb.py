#!/usr/bin/env python3
"""test_sigdb.py - virus_scan on a real-format ClamAV database layout
(issue 16): main.cud + daily.cud built with sigtool from the project's own
signatures (tests/sigs) and samples, as freshclam lays out main/daily, with
versions. Checks what the built-in test signatures never exercise: loading
containers, the logical signature (Sekisho.Test.Logical) from a database,
the engine version in the module version (so the ISTag follows the daily
version, and two nodes with the same files agree), and reload of a real
layout when daily is replaced by a newer version.

Why .cud and not .cvd: a .cvd must be signed by Cisco-Talos' signing
service (sigtool --build without --unsigned asks --server); offline only an
unsigned container can be built. A .cud is the same tar.gz layout with the
same header (name, version, signature count, functionality level), loaded
by libclamav the same way, except that its detections carry the
".UNOFFICIAL" suffix. sigtool is required: missing, the test fails."""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from icaplib import (Check, SekishoServer, StartupError, transact, options,  # noqa: E402
                     http_req_head, http_res_head, check_started)

HERE = os.path.dirname(os.path.abspath(__file__))
SIGS = os.path.join(HERE, "..", "sigs")
EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
DAILY2_MARKER = b"SEKISHO-DAILY-V6-ONLY-SAMPLE-91c2"


def build_cud(workdir, name, version, files):
    """sigtool --build NAME.cud (unsigned) from FILES {ext: text}; returns the path."""
    d = tempfile.mkdtemp(prefix="sigtool-", dir=workdir)
    empty = os.path.join(d, "empty")
    os.mkdir(empty)
    for ext, text in files.items():
        with open(os.path.join(d, "%s.%s" % (name, ext)), "w") as f:
            f.write(text)
    with open(os.path.join(d, "COPYING"), "w") as f:
        f.write("Sekisho test signatures (tests/sigs), GPL-2.0-or-later\n")
    p = subprocess.run(["sigtool", "--datadir=" + empty, "--build=%s.cud" % name, "--unsigned",
                        "--cvd-version=%d" % version, "--no-cdiff"], cwd=d,
                       input=b"sekisho-tests\n", stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=120)
    out = os.path.join(d, "%s.cud" % name)
    if p.returncode != 0 or not os.path.exists(out):
        raise RuntimeError("sigtool --build %s.cud failed (%d): %s"
                           % (name, p.returncode, p.stdout.decode(errors="replace")[-800:]))
    info = subprocess.run(["sigtool", "--info=" + out], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT).stdout.decode(errors="replace")
    return out, info


def sig_text(name):
    with open(os.path.join(SIGS, name)) as f:
        return f.read()


def respmod(srv, url, body):
    c = srv.conn(20)
    try:
        return transact(c, "RESPMOD", srv.url("respmod"), http_req_head("GET", url),
                        http_res_head(body_len=len(body)), body, allow204=True)
    finally:
        c.close()


def istag(srv):
    c = srv.conn(10)
    try:
        return options(c, srv.url("respmod")).header("ISTag")
    finally:
        c.close()


def settled_istag(srv, old, timeout=20.0):
    """Scan (the db directory is looked at from scanning requests, at most
    once per reload-interval, in each c-icap child separately) until eight
    OPTIONS in a row, each on a new connection, report one ISTag not in
    OLD; that tag, or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        respmod(srv, "http://origin.test/sigdb/poll", b"clean poll body")
        tags = {istag(srv) for _ in range(8)}
        if len(tags) == 1 and not tags & set(old):
            return tags.pop()
        time.sleep(0.1)
    return None


def blocked_as(r):
    """The detection name from X-Virus-ID when the answer is a block page."""
    if r.status == 200 and r.http_status() == 403:
        return r.header("X-Virus-ID") or ""
    return None


def start(build, db_dir, name):
    srv = SekishoServer(build, modules="virus_scan xheaders", name=name,
                        extra_args=["--clamav-db", db_dir],
                        config_text="sekisho.Option virus_scan.reload-interval 1s\n")
    srv.init_db()
    srv.policy_cmd("set", "icap.x-virus-id", "on")
    srv.start()
    return srv


def install(path, db_dir, final_name):
    """Atomic replacement, as freshclam does: write beside, then rename."""
    tmp = os.path.join(db_dir, ".%s.tmp" % final_name)
    shutil.copyfile(path, tmp)
    os.rename(tmp, os.path.join(db_dir, final_name))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    a = ap.parse_args()
    build = os.path.abspath(a.build_dir)
    ck = Check("sigdb")
    ck.ok("sigtool is installed (Debian package clamav)", shutil.which("sigtool") is not None)
    if ck.failed:
        return ck.summary()
    work = tempfile.mkdtemp(prefix="sekisho-sigdb-")
    servers = []
    try:
        main_cud, main_info = build_cud(work, "main", 3, {"hdb": sig_text("sekisho-test.hdb")})
        daily5, info5 = build_cud(work, "daily", 5, {"ndb": sig_text("sekisho-test.ndb"),
                                                     "ldb": sig_text("sekisho-test.ldb")})
        daily6, info6 = build_cud(work, "daily", 6, {
            "ndb": sig_text("sekisho-test.ndb")
            + "Sekisho.Test.Daily6:0:*:%s\n" % DAILY2_MARKER.hex(),
            "ldb": sig_text("sekisho-test.ldb")})
        ck.ok("sigtool: main.cud is version 3, unsigned", "Version: 3" in main_info
              and "Unsigned" in main_info, main_info)
        ck.ok("sigtool: daily.cud versions 5 and 6", "Version: 5" in info5 and "Version: 6" in info6,
              info5 + info6)

        db = os.path.join(work, "db")
        os.mkdir(db)
        install(main_cud, db, "main.cud")
        install(daily5, db, "daily.cud")
        srv = start(build, db, "sigdb")
        servers.append(srv)
        check_started(ck, srv, "server with main.cud + daily.cud", 2)
        log = srv.daemon_log_tail(20000) + srv.stderr_text()
        ck.ok("real database: no 'built-in TEST signatures' warning", "TEST signatures" not in log,
              log[-800:])
        tag5 = istag(srv)

        # detections from each container, the logical signature included
        for what, body, want in [
            ("EICAR (main.cud, MD5 signature)", EICAR, "Eicar-Test-Signature"),
            ("marker (daily.cud, body signature)", b"x SEKISHO-AV-TEST-MARKER-7f3c x",
             "Sekisho.Test.Marker"),
            ("both logical parts (daily.cud, Sekisho.Test.Logical)",
             b"a SEKISHO-LDB-PART-A ... b SEKISHO-LDB-PART-B", "Sekisho.Test.Logical"),
        ]:
            r = respmod(srv, "http://origin.test/sigdb/%d" % len(body), body)
            name = blocked_as(r)
            ck.ok("%s: blocked as %s (got %r)" % (what, want, name),
                  name is not None and name.startswith(want), r.raw_head)
        r = respmod(srv, "http://origin.test/sigdb/one-part", b"only SEKISHO-LDB-PART-A here")
        ck.ok("one logical part only: passes (204)", r.status == 204, r.raw_head)
        r = respmod(srv, "http://origin.test/sigdb/new", b"x " + DAILY2_MARKER + b" x")
        ck.ok("daily 5: the daily-6 sample is not yet detected", r.status == 204, r.raw_head)

        # a second node with the same files agrees on the ISTag
        db_b = os.path.join(work, "db-b")
        os.mkdir(db_b)
        install(main_cud, db_b, "main.cud")
        install(daily5, db_b, "daily.cud")
        srv_b = start(build, db_b, "sigdb-b")
        servers.append(srv_b)
        ck.eq("same main/daily on another node: same ISTag", istag(srv_b), tag5)
        srv_b.stop()

        # reload of the real layout: daily 5 -> 6 replaced in place
        install(daily6, db, "daily.cud")
        deadline, name, t0 = time.monotonic() + 20, None, time.monotonic()
        while time.monotonic() < deadline:
            r = respmod(srv, "http://origin.test/sigdb/new", b"x " + DAILY2_MARKER + b" x")
            name = blocked_as(r)
            if name:
                break
            time.sleep(0.2)
        ck.ok("daily 6 installed: its new sample is detected without a restart (%.1f s)"
              % (time.monotonic() - t0), name is not None and name.startswith("Sekisho.Test.Daily6"),
              name)
        tag6 = settled_istag(srv, [tag5])
        ck.ok("daily 6: every child reports one new ISTag (%s -> %s)" % (tag5, tag6),
              tag6 is not None)
        r = respmod(srv, "http://origin.test/sigdb/eicar-after", EICAR)
        ck.ok("after the reload main.cud still detects EICAR",
              (blocked_as(r) or "").startswith("Eicar-Test-Signature"), r.raw_head)

        # same signatures, another daily version: the version alone moves the ISTag
        daily7, _ = build_cud(work, "daily", 7, {
            "ndb": sig_text("sekisho-test.ndb")
            + "Sekisho.Test.Daily6:0:*:%s\n" % DAILY2_MARKER.hex(),
            "ldb": sig_text("sekisho-test.ldb")})
        install(daily7, db, "daily.cud")
        tag7 = settled_istag(srv, [tag5, tag6])
        ck.ok("daily 7 (same signatures): the ISTag changed again, in every child (%s -> %s)"
              % (tag6, tag7), tag7 is not None)
        log = srv.daemon_log_tail(1 << 20) + srv.stderr_text()
        ck.ok("the reload is logged with the engine version (db7)",
              "signatures reloaded" in log and ":db7:" in log, log[-1200:])
    except (StartupError, RuntimeError) as e:
        ck.ok("sigdb run completes", False, str(e))
    finally:
        for s in servers:
            if s.proc and s.proc.poll() is None:
                s.stop()
            s.cleanup()
        shutil.rmtree(work, ignore_errors=True)
    return ck.summary()


if __name__ == "__main__":
    sys.exit(main())
