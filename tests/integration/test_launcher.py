#!/usr/bin/env python3
"""test_launcher.py - the launcher's own refusal paths (issue 16): each bad
input is refused by sekisho-server itself, before c-icap is configured or
started, with one stderr line that names the input and the reason. The
mutation check found these refusals could be removed without a test
noticing (c-icap failed later with some other message, still exit 1).

Cases: a missing policy database (the hint to create it, no run directory
made), a path holding a quote or a newline (it would break or inject into
the generated c-icap.conf), an unreadable --config, a --config that is a
directory."""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from icaplib import Check, SekishoServer, run_launcher_expect_failure  # noqa: E402


def refused(ck, label, srv, must, known_multiline=None):
    rc, out, err = run_launcher_expect_failure(srv)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    ck.eq("%s: exit 1" % label, rc, 1)
    ck.ok("%s: the refusal 'sekisho-server: ...' says %r" % (label, must),
          err.startswith("sekisho-server:") and must in err.replace("\n", " "),
          "stderr %r stdout %r" % (err[-800:], out[-300:]))
    if known_multiline:
        ck.known("%s: one stderr line" % label, len(lines) == 1, known_multiline)
    else:
        ck.ok("%s: one stderr line" % label, len(lines) == 1, "stderr %r" % err[-800:])
    ck.ok("%s: refused before c-icap: no c-icap.conf written" % label,
          not os.path.exists(os.path.join(srv.run_dir, "c-icap.conf")))
    ck.ok("%s: no processes left behind" % label, not srv.leftovers)
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    a = ap.parse_args()
    build = os.path.abspath(a.build_dir)
    ck = Check("launcher")

    s = SekishoServer(build, name="l-nodb")
    s.db = os.path.join(s.tmp, "does-not-exist", "policy.db")
    refused(ck, "missing policy DB", s, "create it with: sekisho-policy --db %s init" % s.db)
    ck.ok("missing policy DB: no run directory made", not os.path.exists(s.run_dir))
    s.cleanup()

    for what, name in [("a quote", 'we"ird'), ("a newline", "new\nline")]:
        s = SekishoServer(build, name="l-quote")
        d = os.path.join(s.tmp, name)
        os.makedirs(d)
        s.db = os.path.join(d, "policy.db")
        s.init_db()
        refused(ck, "policy DB path with %s" % what, s, "quotes and newlines are not supported")
        s.cleanup()

    s = SekishoServer(build, name="l-conf")
    s.init_db()
    missing = os.path.join(s.tmp, "no-such.conf")
    s.extra_args = ["--config", missing]
    refused(ck, "unreadable --config", s, "cannot read config %s" % missing)
    s.cleanup()

    s = SekishoServer(build, name="l-confdir")
    s.init_db()
    s.extra_args = ["--config", s.tmp]
    refused(ck, "--config that is a directory", s, "is not a regular file")
    s.cleanup()
    return ck.summary()


if __name__ == "__main__":
    sys.exit(main())
