#!/usr/bin/env python3
"""Directory groups through the real daemon (issue 14 item 3).

A private slapd (Debian's, ldaplib.py) on loopback holds users in nested
groups (alice in Eng in RnD in AllStaff) and a cycle (Loop1 <-> Loop2).
Checks:
- `directory add` refuses a password file readable by others and a bad
  URI (exit 2, nothing added); `directory test` prints nested groups and
  ends on the cycle; `keys` lists the directory.* settings; the directory
  round-trips through export/import and moves the content hash;
- a policy scoped to --group AllStaff applies to alice, who is in it only
  through the directory (two levels of nesting); bob is not; header groups
  still count; the access-log line shows the directory groups;
- slapd killed: alice is served from the cache (fresh, then stale after
  directory.cache-ttl with a log line); dave, never cached, gets
  directory.on-error (block by default, then header-groups lets him pass);
- the cache is node-wide and outlives the c-icap children: during the
  outage a reconfigure (RUN/c-icap.ctl) and the policy changes (each
  replaces the children, icap-server/README.md "Reload") keep alice
  served from it, and so does c-icap's recycling (MaxRequestsPerChild 3,
  a second server);
- a directory that accepts and never answers: the transaction ends after
  directory.timeout with directory.on-error;
- domains (red team 6a, DIR-DOMAIN; a second slapd with a second alice in
  ou=partners): a directory serves the domain of its base (CORP,
  corp.example) unless given --domain/--realm; EVIL\dave,
  dave@evil.example, WinNT://EVIL/dave and a DN of another tree get no
  groups (logged), CORP\dave, dave@corp.example and his own DN do; two
  matching entries (CORP\alice) are ambiguous: no groups, logged, not
  the server's first; with two directories a user's groups come only
  from the one serving its domain.
One c-icap child (--max-servers 1) in the main server, so "cached" is not
hidden by another child asking the directory.

Trust: test harness only; talks to the servers it starts on loopback.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from icaplib import (Check, SekishoServer, StartupError, transact,  # noqa: E402
                     http_req_head, wait_live)
import ldaplib  # noqa: E402
from test_reload_once import (answering_pids, cicap_children,  # noqa: E402
                              cicap_master, wait_for)


def reqmod(srv, url, extra):
    c = srv.conn(10)
    try:
        return transact(c, "REQMOD", srv.url("reqmod"), http_req_head("GET", url),
                        allow204=True, extra=extra)
    finally:
        c.close()


def blocked(r):
    return r.status == 200 and r.http_status() == 403


def replaced(master, before, limit=15):
    """Waits until none of the c-icap children BEFORE is left and a new one
    runs; the seconds it took, or None."""
    def done():
        now = cicap_children(master)
        return bool(now) and not set(now) & set(before)
    return wait_for(done, limit)


def log_line(srv, url, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for raw in srv.log_lines():
            if raw.strip():
                rec = json.loads(raw)
                if rec.get("url") == url:
                    return rec
        time.sleep(0.05)
    return None


def g_cli(ck, srv, ldap):
    bad = os.path.join(ldap.tmp, "readable.secret")
    with open(bad, "w") as f:
        f.write("x\n")
    os.chmod(bad, 0o644)
    gen0 = srv.policy_cmd("generation").stdout
    p = srv.policy_cmd("directory", "add", "other", "--uri", ldap.uri, "--base", ldaplib.BASE,
                       "--bind-dn", ldaplib.BIND_DN, "--password-file", bad, check=False)
    ck.eq("password file mode 0644 refused (exit 2)", p.returncode, 2)
    ck.ok("refusal names the mode and the fix", b"0644" in p.stderr and b"chmod 600" in p.stderr,
          p.stderr)
    p = srv.policy_cmd("directory", "add", "other", "--uri", "http://x/", "--base", ldaplib.BASE,
                       "--bind-dn", ldaplib.BIND_DN, "--password-file", ldap.password_file,
                       check=False)
    ck.eq("http:// URI refused (exit 2)", p.returncode, 2)
    ck.eq("refusals changed nothing (generation)", srv.policy_cmd("generation").stdout, gen0)
    hash0 = srv.policy_cmd("hash").stdout
    # a dead first URI: failover to the second, in order
    srv.policy_cmd("directory", "add", "corp", "--uri", "ldap://127.0.0.1:1", "--uri", ldap.uri,
                   "--base", ldaplib.BASE, "--bind-dn", ldaplib.BIND_DN,
                   "--password-file", ldap.password_file)
    ck.ok("content hash moves with a directory", srv.policy_cmd("hash").stdout != hash0)
    out = srv.policy_cmd("directory", "list", "--json").stdout.decode()
    d = json.loads(out)[0]
    ck.eq("list: URIs in failover order, ports written",
          d["uris"], ["ldap://127.0.0.1:1", ldap.uri])
    ck.eq("list: default group attributes", d["group_attrs"], ["member", "uniqueMember"])
    p = srv.policy_cmd("directory", "test", "corp", "--user", "alice", check=False)
    lines = [l.strip() for l in p.stdout.decode().splitlines()[1:]]
    ck.eq("directory test alice: nested groups (failover past the dead URI)",
          (p.returncode, sorted(lines)), (0, ["AllStaff", "Eng", "RnD"]))
    p = srv.policy_cmd("directory", "test", "corp", "--user", "CORP\\carol", check=False)
    lines = [l.strip() for l in p.stdout.decode().splitlines()[1:]]
    ck.eq("directory test carol: a group cycle ends", sorted(lines), ["Loop1", "Loop2"])
    p = srv.policy_cmd("directory", "test", "corp", "--user", "*)(uid=alice", check=False)
    ck.ok("LDAP filter injection in the user name finds nobody",
          p.returncode == 0 and b"no groups" in p.stdout and b"Eng" not in p.stdout, p.stdout)
    p = srv.policy_cmd("directory", "test", "corp", "--user", "*", check=False)
    ck.ok("user '*' is a name, not a wildcard", b"no groups" in p.stdout, p.stdout)
    os.chmod(ldap.password_file, 0o640)
    p = srv.policy_cmd("directory", "test", "corp", "--user", "alice", check=False)
    os.chmod(ldap.password_file, 0o600)
    ck.ok("a secret made group-readable after add is refused at lookup",
          p.returncode == 1 and b"0640" in p.stderr, p.stderr)
    # Global Catalog: default ports 3268/3269, an empty base (the forest)
    srv.policy_cmd("directory", "add", "gc", "--global-catalog", "--uri", "ldap://dc1.example",
                   "--uri", "ldaps://dc2.example", "--uri", "ldaps://dc3.example:636",
                   "--base", "", "--bind-dn", ldaplib.BIND_DN,
                   "--password-file", ldap.password_file, "--group-attr", "member")
    d = {x["name"]: x for x in json.loads(srv.policy_cmd("directory", "list", "--json").stdout)}
    ck.eq("--global-catalog: ports 3268/3269 unless given",
          d.get("gc", {}).get("uris"),
          ["ldap://dc1.example:3268", "ldaps://dc2.example:3269", "ldaps://dc3.example:636"])
    ck.eq("--global-catalog flag listed", d.get("gc", {}).get("global_catalog"), True)
    ck.eq("--group-attr replaces the defaults", d.get("gc", {}).get("group_attrs"), ["member"])
    srv.policy_cmd("directory", "rm", "gc")
    p = srv.policy_cmd("directory", "add", "plain", "--uri", "ldaps://dc1.example", "--base", "",
                       "--bind-dn", ldaplib.BIND_DN, "--password-file", ldap.password_file,
                       check=False)
    ck.eq("empty --base without --global-catalog: exit 2", p.returncode, 2)
    p = srv.policy_cmd("directory", "add", "plain", "--uri", "ldap://dc1.example", "--base",
                       ldaplib.BASE, "--bind-dn", ldaplib.BIND_DN, "--password-file",
                       ldap.password_file, "--group-attr", "mem(ber", check=False)
    ck.eq("bad --group-attr: exit 2", p.returncode, 2)
    p = srv.policy_cmd("directory", "rm", "nosuch", check=False)
    ck.eq("directory rm of an unknown name: exit 2", p.returncode, 2)
    keys = srv.policy_cmd("keys").stdout.decode()
    for k in ("directory.cache-ttl", "directory.timeout", "directory.on-error"):
        ck.ok("keys lists %s" % k, k in keys)
    doc = srv.policy_cmd("export").stdout
    ck.ok("export holds the directory", b'"directories"' in doc and b"bind.secret" in doc)
    imp = os.path.join(srv.tmp, "doc.json")
    with open(imp, "wb") as f:
        f.write(doc)
    srv.policy_cmd("import", imp)
    ck.eq("export | import | export is identical", srv.policy_cmd("export").stdout, doc)
    gen1 = srv.policy_cmd("generation").stdout
    with open(imp, "wb") as f:
        f.write(doc.replace(b"ldap://127.0.0.1:1", b"http://127.0.0.1:1"))
    p = srv.policy_cmd("import", imp, check=False)
    ck.eq("import of a directory with a bad URI: exit 2", p.returncode, 2)
    ck.eq("... and nothing changed", srv.policy_cmd("generation").stdout, gen1)


def g_daemon(ck, srv, ldap):
    r = reqmod(srv, "http://eng-blocked.example/alice", ["X-Authenticated-User: alice"])
    ck.ok("alice (AllStaff only via nested directory groups): group policy blocks", blocked(r))
    rec = log_line(srv, "http://eng-blocked.example/alice")
    ck.eq("access log: policy", rec and rec.get("policy"), "eng")
    ck.ok("access log: directory groups", rec is not None and
          set(rec.get("groups", "").split(",")) >= {"Eng", "RnD", "AllStaff"},
          rec and rec.get("groups"))
    r = reqmod(srv, "http://eng-blocked.example/bob", ["X-Authenticated-User: bob"])
    ck.eq("bob (Sales): default policy, allowed", r.status, 204)
    r = reqmod(srv, "http://eng-blocked.example/bob2", ["X-Authenticated-User: bob",
                                                       "X-Authenticated-Groups: AllStaff"])
    ck.ok("bob with header group AllStaff: header groups still count", blocked(r))
    r = reqmod(srv, "http://eng-blocked.example/anon", [])
    ck.eq("no user: no lookup, default policy", r.status, 204)

    ldap.stop()
    r = reqmod(srv, "http://eng-blocked.example/alice-outage", ["X-Authenticated-User: alice"])
    ck.ok("slapd down: alice served from the cache (blocked by eng)", blocked(r))
    r = reqmod(srv, "http://neutral.example/alice-outage", ["X-Authenticated-User: alice"])
    ck.eq("slapd down: alice on a neutral site passes (not on-error)", r.status, 204)
    r = reqmod(srv, "http://neutral.example/dave", ["X-Authenticated-User: dave"])
    ck.ok("slapd down: dave never cached: directory.on-error block (default)", blocked(r))
    rec = log_line(srv, "http://neutral.example/dave")
    ck.eq("dave's log line: verdict block", rec and rec.get("verdict"), "block")
    ck.ok("daemon log names the failure and the decision",
          "user 'dave' not cached: blocked (directory.on-error block)" in srv.daemon_log_tail(20000))

    # the cache belongs to the node, not to a child: replace the child
    master = cicap_master(srv)
    before = cicap_children(master) if master else []
    ck.ok("one c-icap child below the master", len(before) == 1, before)
    fd = os.open(os.path.join(srv.run_dir, "c-icap.ctl"), os.O_WRONLY | os.O_NONBLOCK)
    try:
        os.write(fd, b"reconfigure")
    finally:
        os.close(fd)
    ck.ok("reconfigure replaced the child", replaced(master, before) is not None,
          (before, cicap_children(master)))
    r = reqmod(srv, "http://eng-blocked.example/reconf/alice", ["X-Authenticated-User: alice"])
    ck.ok("slapd down, child replaced: alice still served from the node-wide cache", blocked(r))
    # on-error is block here: a neutral site tells the cache from on-error
    r = reqmod(srv, "http://neutral.example/reconf/alice", ["X-Authenticated-User: alice"])
    ck.eq("... and on a neutral site she passes (cache, not directory.on-error)", r.status, 204)
    log_line(srv, "http://eng-blocked.example/reconf/alice")
    ck.ok("... answered by the new child",
          answering_pids(srv, "reconf") and not answering_pids(srv, "reconf") & set(before),
          (answering_pids(srv, "reconf"), before))

    before = cicap_children(master)
    srv.policy_cmd("set", "directory.on-error", "header-groups")
    srv.policy_cmd("set", "directory.cache-ttl", "1s")
    time.sleep(2.5)  # the server picks the change up (< 1 s) and alice's entry goes stale
    ck.ok("the policy changes are live", wait_live(srv))
    ck.ok("the policy changes replaced the child (reload)", replaced(master, before) is not None,
          (before, cicap_children(master)))
    r = reqmod(srv, "http://neutral.example/erin", ["X-Authenticated-User: erin"])
    ck.eq("on-error header-groups: erin (never cached) passes with header groups", r.status, 204)
    r = reqmod(srv, "http://eng-blocked.example/erin2", ["X-Authenticated-User: erin",
                                                         "X-Authenticated-Groups: AllStaff"])
    ck.ok("on-error header-groups: header group still applies", blocked(r))
    r = reqmod(srv, "http://eng-blocked.example/alice-stale", ["X-Authenticated-User: alice"])
    ck.ok("stale entry (ttl 1s) serves during the outage", blocked(r))
    ck.ok("daemon log says the cached groups were used",
          "user 'alice': using the cached groups" in srv.daemon_log_tail(20000))


def g_timeout(ck, srv, ldap):
    """A directory that accepts connections and never answers: the
    transaction still ends after directory.timeout, with on-error."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # the kernel completes handshakes; nobody reads
    try:
        srv.policy_cmd("directory", "rm", "corp")
        srv.policy_cmd("directory", "add", "silent", "--uri",
                       "ldap://127.0.0.1:%d" % silent.getsockname()[1], "--base", ldaplib.BASE,
                       "--bind-dn", ldaplib.BIND_DN, "--password-file", ldap.password_file)
        srv.policy_cmd("set", "directory.timeout", "500")
        srv.policy_cmd("set", "directory.on-error", "block")
        ck.ok("the silent directory is live", wait_live(srv))
        t0 = time.monotonic()
        r = reqmod(srv, "http://neutral.example/silent", ["X-Authenticated-User: alice"])
        dt = time.monotonic() - t0
        ck.ok("silent directory: on-error block", blocked(r))
        # a bound on waiting, not a speed figure: without the timeout this
        # transaction would hang until the client gives up (10 s)
        ck.ok("silent directory: answered after directory.timeout (500 ms), not hung",
              dt < 4.0, "%.2f s" % dt)
        ck.ok("daemon log says it timed out", "timed out" in srv.daemon_log_tail(20000))
    finally:
        silent.close()


def g_recycle(ck, build, ldap):
    """c-icap's recycling during an outage: MaxRequestsPerChild 3, so each
    child retires after 3 transactions and the master forks a new one;
    every one of them serves alice from the cache the first child filled."""
    ldap.start()
    srv = SekishoServer(build, modules="url_block", name="dir-recycle",
                        config_text="MaxRequestsPerChild 3\n",
                        extra_args=["--max-servers", "2", "--threads", "4",
                                    "--max-conns-per-client", "0"])
    try:
        srv.init_db()
        srv.policy_cmd("policy", "add", "eng", "--group", "AllStaff", "--priority", "10")
        srv.policy_cmd("url", "add", "--list", "block", "--match", "domain",
                       "eng-blocked.example", "--policy", "eng")
        srv.policy_cmd("directory", "add", "corp", "--uri", ldap.uri, "--base", ldaplib.BASE,
                       "--bind-dn", ldaplib.BIND_DN, "--password-file", ldap.password_file)
        srv.policy_cmd("set", "directory.timeout", "3000")
        srv.start()
        r = reqmod(srv, "http://eng-blocked.example/fill/alice", ["X-Authenticated-User: alice"])
        ck.ok("recycle: alice looked up (slapd up)", blocked(r))
        master = cicap_master(srv)
        at_fill = set(cicap_children(master)) if master else set()
        ldap.stop()
        verdicts = []
        for i in range(16):
            # even: eng-blocked (blocked), odd: neutral (passes only when
            # the cache answers; directory.on-error would block it)
            site = "eng-blocked" if i % 2 == 0 else "neutral"
            for attempt in range(3):
                # a connection reset by a retiring child is c-icap's known
                # recycling window (icap-server/README.md), not an answer
                try:
                    r = reqmod(srv, "http://%s.example/recycle/%d" % (site, i),
                               ["X-Authenticated-User: alice"])
                    break
                except OSError:
                    r = None
                    time.sleep(0.2)
            verdicts.append(r and (blocked(r) if i % 2 == 0 else r.status == 204))
            time.sleep(0.3)  # c-icap's master retires children once a second
        ck.eq("recycle: slapd down, all 16 served from the cache (eng blocks, neutral passes)",
              verdicts, [True] * 16)
        log_line(srv, "http://neutral.example/recycle/15")
        pids = answering_pids(srv, "recycle")
        ck.ok("recycle: children forked after the lookup answered too (recycled)",
              at_fill and pids - at_fill, (at_fill, pids))
        ck.ok("recycle: no child fell back to directory.on-error",
              "not cached" not in srv.daemon_log_tail(50000))
    finally:
        srv.stop()
        if ck.failed:
            print(srv.daemon_log_tail())
        srv.cleanup()

def g_domains(ck, build):
    """DIR-DOMAIN: the user's domain decides which directory answers, and
    only one entry may match."""
    ldap = ldaplib.Slapd(name="slapd-dom", partners=True)
    ldap.start()
    srv = SekishoServer(build, modules="url_block", name="dir-dom",
                        extra_args=["--max-servers", "1", "--max-conns-per-client", "0"])
    try:
        srv.init_db()
        srv.policy_cmd("policy", "add", "eng", "--group", "AllStaff", "--priority", "10")
        srv.policy_cmd("url", "add", "--list", "block", "--match", "domain",
                       "eng-blocked.example", "--policy", "eng")
        srv.policy_cmd("set", "directory.timeout", "3000")
        srv.policy_cmd("directory", "add", "corp", "--uri", ldap.uri, "--base", ldaplib.BASE,
                       "--bind-dn", ldaplib.BIND_DN, "--password-file", ldap.password_file)
        d = json.loads(srv.policy_cmd("directory", "list", "--json").stdout)[0]
        ck.eq("default: the domain and realm of the base",
              (d.get("domains"), d.get("realms"), d.get("domains_from_base")),
              (["CORP"], ["corp.example"], True))
        hash0 = srv.policy_cmd("hash").stdout
        doc = srv.policy_cmd("export").stdout
        ck.ok("derived domains are not in the export", b'"domains"' not in doc, doc)

        def dtest(user):
            p = srv.policy_cmd("directory", "test", "corp", "--user", user, check=False)
            return p.returncode, p.stdout.decode()

        rc, out = dtest("EVIL\\dave")
        ck.ok("directory test EVIL\\dave: not asked, no groups",
              rc == 0 and "not asked" in out and "Eng" not in out, out)
        rc, out = dtest("dave@evil.example")
        ck.ok("directory test dave@evil.example: not asked", "not asked" in out and "Eng" not in out,
              out)
        rc, out = dtest("CORP\\dave")
        ck.ok("directory test CORP\\dave: his groups", "AllStaff" in out, out)
        rc, out = dtest("PARTNER\\alice")
        ck.ok("directory test PARTNER\\alice: not asked", "not asked" in out and "Eng" not in out,
              out)
        rc, out = dtest("alice")
        ck.ok("directory test alice (two entries): ambiguous, no groups",
              "ambiguous" in out and "Eng" not in out, out)
        rc, out = dtest("uid=alice,ou=people," + ldaplib.BASE)
        ck.ok("directory test alice's DN: exactly her entry", "AllStaff" in out, out)
        rc, out = dtest("uid=alice,ou=people,dc=evil,dc=example")
        ck.ok("directory test a DN of another tree: not asked", "not asked" in out, out)
        srv.start()
        cases = [
            # (user header, blocked by eng?)
            ("CORP\\dave", True),
            ("dave@corp.example", True),
            ("DAVE@CORP.EXAMPLE", True),
            ("WinNT://CORP/dave", True),
            ("uid=dave,ou=people," + ldaplib.BASE, True),
            ("EVIL\\dave", False),
            ("dave@evil.example", False),
            ("WinNT://EVIL/dave", False),
            ("uid=dave,ou=people,dc=evil,dc=example", False),
            ("CORP\\alice", False),  # two entries: ambiguous
            ("alice", False),
            ("uid=alice,ou=partners," + ldaplib.BASE, False),
            ("uid=alice,ou=people," + ldaplib.BASE, True),
        ]
        for i, (user, want) in enumerate(cases):
            url = "http://eng-blocked.example/dom%d" % i
            r = reqmod(srv, url, ["X-Authenticated-User: " + user])
            ck.eq("%s: %s" % (user, "eng policy (blocked)" if want else "no directory groups"),
                  blocked(r), want)
        rec = log_line(srv, "http://eng-blocked.example/dom5")
        ck.ok("access log: EVIL\\dave has no directory groups",
              rec is not None and rec.get("groups", "") == "" and rec.get("policy") == "default",
              rec)
        logtxt = srv.daemon_log_tail(40000)
        ck.ok("daemon log: the unserved domain, naming the user",
              "user 'EVIL\\\\dave': no directory groups: its domain is served by no directory"
              in logtxt or "user 'EVIL\\dave': no directory groups: its domain is served by no"
              " directory" in logtxt, logtxt[-3000:])
        ck.ok("daemon log: the ambiguous user, naming the directory",
              "directory corp: two or more entries match: ambiguous" in logtxt, logtxt[-3000:])
        n_before = logtxt.count("two or more entries match")
        reqmod(srv, "http://eng-blocked.example/dom-again", ["X-Authenticated-User: CORP\\alice"])
        log_line(srv, "http://eng-blocked.example/dom-again")
        ck.eq("the ambiguous user is logged once (cached answer)",
              srv.daemon_log_tail(40000).count("two or more entries match"), n_before)

        # two directories: PARTNER\alice is the partner directory's alone
        srv.policy_cmd("directory", "add", "partner", "--uri", ldap.uri,
                       "--base", "ou=partners," + ldaplib.BASE, "--bind-dn", ldaplib.BIND_DN,
                       "--password-file", ldap.password_file, "--domain", "PARTNER",
                       "--realm", "partner.example")
        srv.policy_cmd("directory", "set", "corp", "--domain", "CORP,CORPNT")
        ck.ok("the policy changes are live", wait_live(srv))
        ck.ok("--domain changes the content hash", srv.policy_cmd("hash").stdout != hash0)
        for user, want in (("PARTNER\\alice", False), ("alice@partner.example", False),
                           ("CORPNT\\dave", True), ("PARTNER\\dave", False)):
            url = "http://eng-blocked.example/two/%s" % user.replace("\\", "_")
            r = reqmod(srv, url, ["X-Authenticated-User: " + user])
            ck.eq("two directories, %s: %s" % (user, "blocked" if want else "no Eng groups"),
                  blocked(r), want)
        d = {x["name"]: x for x in json.loads(srv.policy_cmd("directory", "list",
                                                             "--json").stdout)}
        ck.eq("directory set: domains replaced, realm still from the base",
              (d["corp"]["domains"], d["corp"]["realms"], d["corp"]["realms_from_base"]),
              (["CORP", "CORPNT"], ["corp.example"], True))
        doc = srv.policy_cmd("export").stdout
        docfile = os.path.join(ldap.tmp, "doc.json")
        with open(docfile, "wb") as f:
            f.write(doc)
        p = srv.policy_cmd("import", docfile, check=False)
        ck.eq("domains survive export/import",
              (p.returncode, srv.policy_cmd("export").stdout), (0, doc))
        p = srv.policy_cmd("directory", "add", "bad", "--uri", ldap.uri, "--base", ldaplib.BASE,
                           "--bind-dn", ldaplib.BIND_DN, "--password-file", ldap.password_file,
                           "--domain", "EVIL\\X", check=False)
        ck.eq("a bad --domain: exit 2", p.returncode, 2)
    finally:
        srv.stop()
        if ck.failed:
            print(srv.daemon_log_tail())
        srv.cleanup()
        ldap.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    a = ap.parse_args()
    build = os.path.abspath(a.build_dir)
    ck = Check("directory")
    try:
        ldap = ldaplib.Slapd()
        ldap.start()
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        ck.ok("slapd starts", False, str(e))
        return ck.summary()
    srv = SekishoServer(build, modules="url_block", name="dir",
                        extra_args=["--max-servers", "1", "--threads", "8",
                                    # the guard's default (half of the
                                    # threads) is tight for one child
                                    "--max-conns-per-client", "0"])
    try:
        srv.init_db()
        srv.policy_cmd("policy", "add", "eng", "--group", "AllStaff", "--priority", "10")
        srv.policy_cmd("url", "add", "--list", "block", "--match", "domain",
                       "eng-blocked.example", "--policy", "eng")
        # a busy test machine: the test is about cache and failure paths,
        # not about the 200 ms default
        srv.policy_cmd("set", "directory.timeout", "3000")
        ck.group("cli", g_cli, ck, srv, ldap)
        srv.start()
    except StartupError as e:
        ck.ok("server starts", False, str(e))
        ldap.cleanup()
        return ck.summary()
    try:
        ck.group("daemon", g_daemon, ck, srv, ldap)
        ck.group("timeout", g_timeout, ck, srv, ldap)
    finally:
        srv.stop()
        if ck.failed:
            print(srv.daemon_log_tail())
        srv.cleanup()
    try:
        ck.group("recycle", g_recycle, ck, build, ldap)
    finally:
        ldap.cleanup()
    ck.group("domains", g_domains, ck, build)
    return ck.summary()


if __name__ == "__main__":
    sys.exit(main())
