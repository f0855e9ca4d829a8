#!/usr/bin/env python3
"""The ISTag names the policy content, not the database's history (issue 12).

Through the real daemon:
- two nodes whose databases got the same content by export -> import at
  different generations answer the same ISTag, and its policy part is the
  first 12 digits of `sekisho-policy hash`;
- two databases at the same generation that each took one different
  command answer different ISTags;
- a database file replaced by rename (as scp/rsync do) at the same
  generation is picked up: new ISTag and the new rule enforced.

Trust: test harness only; talks to the servers it starts on loopback.
"""

import argparse
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from icaplib import Check, SekishoServer, StartupError  # noqa: E402
from test_policy_reload import istag, reqmod_status  # noqa: E402

DEADLINE = 10.0 if os.environ.get("SEKISHO_SANITIZED") else 5.0


def poll(fn, want, deadline):
    end = time.monotonic() + deadline
    got = fn()
    while got != want and time.monotonic() < end:
        time.sleep(0.1)
        got = fn()
    return got


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    a = ap.parse_args()
    ck = Check("istag-content")
    servers = []
    try:
        a_srv = SekishoServer(a.build_dir, modules="url_block", name="istag-a")
        servers.append(a_srv)
        a_srv.init_db()
        a_srv.policy_cmd("url", "add", "blocked.example", "--list", "block", "--match", "domain")
        a_srv.policy_cmd("set", "av.max-scan-size", "20M")
        doc = a_srv.policy_cmd("export").stdout
        hash_a = a_srv.policy_cmd("hash").stdout.decode().strip()
        ck.ok("sekisho-policy hash prints 64 hex digits",
              len(hash_a) == 64 and all(c in "0123456789abcdef" for c in hash_a), hash_a)

        # node B: same content by import, after unrelated generations
        b_srv = SekishoServer(a.build_dir, modules="url_block", name="istag-b")
        servers.append(b_srv)
        b_srv.init_db()
        b_srv.policy_cmd("set", "av.max-scan-size", "5M")
        b_srv.policy_cmd("unset", "av.max-scan-size")
        exp = os.path.join(b_srv.tmp, "a.json")
        with open(exp, "wb") as f:
            f.write(doc)
        b_srv.policy_cmd("import", exp)
        gen_a = a_srv.policy_cmd("generation").stdout.strip()
        gen_b = b_srv.policy_cmd("generation").stdout.strip()
        ck.ok("the two databases are at different generations", gen_a != gen_b,
              "%s %s" % (gen_a, gen_b))
        ck.eq("export -> import keeps the content hash",
              b_srv.policy_cmd("hash").stdout.decode().strip(), hash_a)
        a_srv.start()
        b_srv.start()
        tag_a, tag_b = istag(a_srv), istag(b_srv)
        ck.eq("same content on two nodes: same ISTag", tag_b, tag_a)
        ck.ok("the ISTag's policy part is the content hash's first 12 digits",
              tag_a is not None and ("-%s-" % hash_a[:12]) in tag_a, tag_a)
        ck.ok("the ISTag fits RFC 3507 (32 characters, quoted)",
              tag_a is not None and tag_a.startswith('"') and tag_a.endswith('"')
              and len(tag_a) - 2 <= 32, tag_a)

        # C and D: same generation, each one different command
        c_srv = SekishoServer(a.build_dir, modules="url_block", name="istag-c")
        d_srv = SekishoServer(a.build_dir, modules="url_block", name="istag-d")
        servers += [c_srv, d_srv]
        for s, host in ((c_srv, "one.example"), (d_srv, "two.example")):
            s.init_db()
            s.policy_cmd("url", "add", host, "--list", "block", "--match", "domain")
        ck.eq("C and D are at the same generation",
              c_srv.policy_cmd("generation").stdout, d_srv.policy_cmd("generation").stdout)
        c_srv.start()
        d_srv.start()
        ck.ok("different content at the same generation: different ISTags",
              istag(c_srv) != istag(d_srv), "%s %s" % (istag(c_srv), istag(d_srv)))

        # replace C's file by rename with D's (same generation, other rules)
        ck.eq("before: C blocks one.example", reqmod_status(c_srv, "http://one.example/"), 403)
        ck.eq("before: C passes two.example", reqmod_status(c_srv, "http://two.example/"), 0)
        tag_d = istag(d_srv)
        tmp = c_srv.db + ".new"
        shutil.copyfile(d_srv.db, tmp)
        os.rename(tmp, c_srv.db)
        ck.eq("after rename: C takes D's ISTag", poll(lambda: istag(c_srv), tag_d, DEADLINE),
              tag_d)
        ck.eq("after rename: C blocks two.example",
              poll(lambda: reqmod_status(c_srv, "http://two.example/"), 403, DEADLINE), 403)
        ck.eq("after rename: C passes one.example", reqmod_status(c_srv, "http://one.example/"), 0)
    except StartupError as e:
        ck.ok("servers start", False, e)
    finally:
        for s in servers:
            s.stop()
            s.cleanup()
    return ck.summary()


if __name__ == "__main__":
    sys.exit(main())
