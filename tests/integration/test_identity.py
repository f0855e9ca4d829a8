#!/usr/bin/env python3
"""Identity forms through the daemon (issue 15 item 5).

Policies scoped to a group (WinNT form and an LDAP DN), to a user, and the
default; REQMODs carry the identity the way ProxySG (base64, WinNT://),
Cisco (LDAP://host/DN, uid=...) and Squid (X-Client-Username) send it.
Checks: each reaches the policy meant for it (its blocked domain answers
the block page, other identities pass), and every access-log line names
the policy applied, the normalised groups and the X-Server-IP. That
server mixes plain and base64 users: --user-encoding auto. A second
server with --user-header reads the user from the administrator's header
only, as base64 (--user-encoding base64): a plain value there is nobody.
A third, with the default (plain, Squid's default), reads a user named
"Ym9i" as Ym9i, not as bob (red team 6a, B64-USER), and keeps a Cisco DN
whole in the access log.

Trust: test harness only; talks to the servers it starts on loopback.
"""

import argparse
import base64
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from icaplib import (Check, SekishoServer, StartupError, transact,  # noqa: E402
                     http_req_head)


def b64(s):
    return base64.b64encode(s.encode()).decode()


PROXYSG_GROUP = "V2luTlQ6Ly9NWURPTUFJTi9NeUdyb3Vw"  # WinNT://MYDOMAIN/MyGroup, issue 15

# (name, ICAP headers, host requested, blocked?, policy, groups logged)
CASES = [
    ("ProxySG base64 group", ["X-Authenticated-Groups: " + PROXYSG_GROUP],
     "grp-blocked.example", True, "grp", "MYDOMAIN\\MyGroup"),
    ("ProxySG group, other site", ["X-Authenticated-Groups: " + PROXYSG_GROUP],
     "bob-blocked.example", False, "grp", "MYDOMAIN\\MyGroup"),
    ("no group", [], "grp-blocked.example", False, "default", ""),
    ("another group", ["X-Authenticated-Groups: " + b64("WinNT://MYDOMAIN/Other")],
     "grp-blocked.example", False, "default", "MYDOMAIN\\Other"),
    ("group list, base64 items", ["X-Authenticated-Groups: %s, %s"
                                  % (b64("WinNT://MYDOMAIN/Other"), b64("WinNT://MYDOMAIN/MyGroup"))],
     "grp-blocked.example", True, "grp", "MYDOMAIN\\Other,MYDOMAIN\\MyGroup"),
    ("plain WinNT group", ["X-Authenticated-Groups: WinNT://mydomain/mygroup"],
     "grp-blocked.example", True, "grp", "mydomain\\mygroup"),
    ("Cisco LDAP group", ["X-Authenticated-Groups: LDAP://ldap.corp/cn=Engineering,ou=Groups,dc=corp"],
     "eng-blocked.example", True, "eng", "Engineering"),
    ("Cisco LDAP user", ["X-Authenticated-User: LDAP://ldap.corp/cn=bob,ou=Staff,dc=corp"],
     "bob-blocked.example", True, "bob", ""),
    ("base64 LDAP user", ["X-Authenticated-User: " + b64("LDAP://ldap.corp:389/CN=bob,OU=Staff")],
     "bob-blocked.example", True, "bob", ""),
    ("uid= user", ["X-Authenticated-User: uid=bob,ou=people,dc=corp"],
     "bob-blocked.example", True, "bob", ""),
    ("Squid X-Client-Username", ["X-Client-Username: bob"],
     "bob-blocked.example", True, "bob", ""),
    ("another user", ["X-Authenticated-User: " + b64("uid=alice,ou=people")],
     "bob-blocked.example", False, "default", ""),
]


def setup_db(srv):
    srv.init_db()
    srv.policy_cmd("policy", "add", "grp", "--group", "WinNT://MYDOMAIN/MyGroup", "--priority", "10")
    srv.policy_cmd("policy", "add", "eng", "--group", "CN=Engineering,OU=Groups,DC=corp",
                   "--priority", "20")
    srv.policy_cmd("policy", "add", "bob", "--user", "bob", "--priority", "30")
    srv.policy_cmd("policy", "add", "smith", "--user", "Smith, Bob", "--priority", "40")
    for pol in ("grp", "eng", "bob", "smith"):
        srv.policy_cmd("url", "add", "--list", "block", "--match", "domain",
                       "%s-blocked.example" % pol, "--policy", pol)


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


def reqmod(srv, url, extra):
    c = srv.conn(10)
    try:
        return transact(c, "REQMOD", srv.url("reqmod"), http_req_head("GET", url),
                        allow204=True, extra=extra)
    finally:
        c.close()


def blocked(r):
    return r.status == 200 and r.http_status() == 403


def g_forms(ck, srv):
    for i, (name, hdrs, host, want_block, policy, groups) in enumerate(CASES):
        url = "http://%s/case%d" % (host, i)
        r = reqmod(srv, url, hdrs + ["X-Server-IP: 192.0.2.%d" % (i + 1)])
        ck.eq("%s: %s" % (name, "block page" if want_block else "allowed (204)"),
              blocked(r) if want_block else r.status, True if want_block else 204)
        rec = log_line(srv, url)
        if not ck.ok("%s: access-log line written" % name, rec is not None):
            continue
        ck.eq("%s: log policy" % name, rec.get("policy"), policy)
        ck.eq("%s: log groups" % name, rec.get("groups"), groups)
        ck.eq("%s: log server_ip" % name, rec.get("server_ip"), "192.0.2.%d" % (i + 1))


def g_user_header(ck, build):
    srv = SekishoServer(build, modules="url_block", name="userhdr",
                        extra_args=["--user-header", "X-Proxy-User",
                                    "--user-encoding", "base64"])
    try:
        setup_db(srv)
        srv.start()
        r = reqmod(srv, "http://bob-blocked.example/a", ["X-Proxy-User: " + b64("bob")])
        ck.ok("--user-header X-Proxy-User: that header names the user (blocked)", blocked(r))
        r = reqmod(srv, "http://bob-blocked.example/b", ["X-Authenticated-User: bob"])
        ck.eq("--user-header X-Proxy-User: X-Authenticated-User is not read", r.status, 204)
        rec = log_line(srv, "http://bob-blocked.example/a")
        ck.eq("--user-header: log user", rec and rec.get("user"), "bob")
        r = reqmod(srv, "http://bob-blocked.example/c", ["X-Proxy-User: bob"])
        ck.eq("--user-encoding base64: a plain value is nobody (default policy)", r.status, 204)
        rec = log_line(srv, "http://bob-blocked.example/c")
        ck.eq("--user-encoding base64: no user logged", rec and rec.get("user"), "")
        r = reqmod(srv, "http://grp-blocked.example/d", ["X-Authenticated-Groups: " + PROXYSG_GROUP])
        ck.ok("GroupEncoding unset, UserEncoding base64: the ProxySG group decodes", blocked(r))
        r = reqmod(srv, "http://eng-blocked.example/f", [
            "X-Authenticated-Groups: LDAP://ldap.corp/cn=Engineering,ou=Groups,dc=corp"])
        ck.ok("GroupEncoding unset, UserEncoding base64: a plain LDAP group (Cisco) still counts",
              blocked(r))
    finally:
        srv.stop()
        srv.cleanup()


def g_plain(ck, build):
    """The default, plain: what Squid sends without
    icap_client_username_encode. "Ym9i" is base64 of "bob" and someone's
    account name; it must not get bob's policy."""
    srv = SekishoServer(build, modules="url_block", name="plainuser")
    try:
        setup_db(srv)
        srv.start()
        r = reqmod(srv, "http://bob-blocked.example/plain-bob", ["X-Client-Username: bob"])
        ck.ok("plain: bob gets bob's policy", blocked(r))
        r = reqmod(srv, "http://bob-blocked.example/plain-b64", ["X-Client-Username: Ym9i"])
        ck.eq("plain: user Ym9i is not bob (default policy)", r.status, 204)
        rec = log_line(srv, "http://bob-blocked.example/plain-b64")
        ck.eq("plain: log user Ym9i", rec and (rec.get("user"), rec.get("policy")),
              ("Ym9i", "default"))
        r = reqmod(srv, "http://bob-blocked.example/plain-dn",
                   ["X-Authenticated-User: LDAP://ldap.corp/uid=bob,ou=Staff,dc=corp"])
        ck.ok("plain: a DN user matches --user bob", blocked(r))
        rec = log_line(srv, "http://bob-blocked.example/plain-dn")
        ck.eq("plain: the DN is logged whole (without LDAP://host/)", rec and rec.get("user"),
              "uid=bob,ou=Staff,dc=corp")
        # red team 7: RFC 4514 escapes in the DN's first value
        for i, dn in enumerate(("cn=Smith\\, Bob,ou=Staff,dc=corp", "CN=Smith\\2C Bob,OU=Staff")):
            r = reqmod(srv, "http://smith-blocked.example/dn%d" % i,
                       ["X-Authenticated-User: LDAP://ldap.corp/" + dn])
            ck.ok("plain: DN user %s matches --user 'Smith, Bob'" % dn, blocked(r))
        # red team 7: groups follow UserEncoding (plain): never guessed
        r = reqmod(srv, "http://grp-blocked.example/plain-grp",
                   ["X-Authenticated-Groups: " + PROXYSG_GROUP])
        ck.eq("plain: a group that looks like base64 is not decoded", r.status, 204)
        rec = log_line(srv, "http://grp-blocked.example/plain-grp")
        ck.eq("plain: the group is logged as sent", rec and rec.get("groups"), PROXYSG_GROUP)
    finally:
        srv.stop()
        if ck.failed:
            print(srv.daemon_log_tail())
        srv.cleanup()


def g_group_encoding(ck, build):
    """sekisho.GroupEncoding set apart from the user's (red team 7)."""
    srv = SekishoServer(build, modules="url_block", name="grpenc",
                        extra_args=["--group-encoding", "base64"])
    try:
        setup_db(srv)
        srv.start()
        r = reqmod(srv, "http://grp-blocked.example/e1", ["X-Authenticated-Groups: " + PROXYSG_GROUP])
        ck.ok("--group-encoding base64: the ProxySG group decodes", blocked(r))
        r = reqmod(srv, "http://grp-blocked.example/e2",
                   ["X-Authenticated-Groups: WinNT://MYDOMAIN/MyGroup"])
        ck.eq("--group-encoding base64: a plain item is no group", r.status, 204)
        r = reqmod(srv, "http://bob-blocked.example/e3", ["X-Client-Username: bob"])
        ck.ok("--group-encoding base64: the user stays plain", blocked(r))
    finally:
        srv.stop()
        srv.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    a = ap.parse_args()
    build = os.path.abspath(a.build_dir)
    ck = Check("identity")
    srv = SekishoServer(build, modules="url_block", name="ident",
                        extra_args=["--user-encoding", "auto"])
    try:
        setup_db(srv)
        srv.start()
    except StartupError as e:
        ck.ok("server starts", False, str(e))
        return ck.summary()
    try:
        ck.group("forms", g_forms, ck, srv)
    finally:
        srv.stop()
        if ck.failed:
            print(srv.daemon_log_tail())
    srv.cleanup()
    ck.group("user-header", g_user_header, ck, build)
    ck.group("plain", g_plain, ck, build)
    ck.group("group-encoding", g_group_encoding, ck, build)
    return ck.summary()


if __name__ == "__main__":
    sys.exit(main())
