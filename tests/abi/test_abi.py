#!/usr/bin/env python3
"""The module ABI of srv_sekisho.so (issue 18 section 3).

1. nm -D of srv_sekisho.so lists exactly the functions the installed
   headers mark SK_API (plus c-icap's `service`): nothing of the policy
   write path, the pipeline or the toolkit leaks.
2. `cmake --install` into a temporary prefix gives the headers, the
   static toolkit and sekisho.pc (stamped with SK_MODULE_ABI).
3. tests/abi/oot_module.c is compiled outside the tree with only
   `pkg-config --cflags --libs sekisho`, exports only its descriptor, and
   runs in the real daemon: it blocks with its own escaped page.

Usage: test_abi.py --build-dir BUILD --source-dir SRC
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                "integration"))
from icaplib import (Check, SekishoServer, StartupError, transact,  # noqa: E402
                     http_req_head, main_wrapper)

WRITE_PATH = ("sk_pdb_import", "sk_pdb_rollback", "sk_pdb_category_import",
              "sk_pdb_set_setting", "sk_pdb_write_begin", "sk_pipeline_start",
              "sk_buf_append", "sk_html_escape", "sk_pageset_render")


def exported(path):
    out = subprocess.run(["nm", "-D", "--defined-only", path], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and not parts[2].startswith("_"):
            names.add(parts[2])
    return names


def declared(include_dir):
    names = set()
    for h in glob.glob(os.path.join(include_dir, "sekisho", "*.h")):
        text = open(h).read()
        names |= set(re.findall(r"\bSK_API\s[^;{]*?\b(sk_\w+)\s*\(", text, re.S))
    return names


def run(cmd, env=None):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=env)


def reqmod(srv, url):
    c = srv.conn(30)
    try:
        return transact(c, "REQMOD", srv.url("reqmod"), req_hdr=http_req_head("GET", url),
                        allow204=True)
    finally:
        c.close()


def dirs():
    """The --build-dir and --source-dir arguments, absolute."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--source-dir", required=True)
    a = ap.parse_args()
    return os.path.abspath(a.build_dir), os.path.abspath(a.source_dir)


def main():
    build, src = dirs()
    ck = Check("abi")
    for tool in ("nm", "cc", "pkg-config", "cmake"):
        ck.ok("tool %s is installed" % tool, shutil.which(tool) is not None)
    if ck.failed:
        return ck.summary()
    tmp = tempfile.mkdtemp(prefix="sekisho-abi-")
    try:
        p = run(["cmake", "--install", build, "--prefix", tmp])
        ck.ok("cmake --install into a temporary prefix", p.returncode == 0, p.stderr[-800:])
        inc = os.path.join(tmp, "include")
        for h in ("module.h", "text.h", "page.h", "policy_snapshot.h", "policy_settings.h", "decode.h",
                  "filetype.h", "pdf.h", "ole2.h",
                  "url.h"):
            ck.ok("installed include/sekisho/%s" % h,
                  os.path.exists(os.path.join(inc, "sekisho", h)))
        want = declared(inc) | {"service"}
        got = exported(os.path.join(build, "lib", "sekisho", "srv_sekisho.so"))
        ck.ok("srv_sekisho.so exports exactly the SK_API declarations (%d)" % len(want),
              got == want, "extra %s missing %s" % (sorted(got - want), sorted(want - got)))
        ck.ok("nothing of the write path, the pipeline or the toolkit is exported",
              not (set(WRITE_PATH) & got), sorted(set(WRITE_PATH) & got))
        allsyms = subprocess.run(["nm", os.path.join(build, "lib", "sekisho", "srv_sekisho.so")],
                                 check=True, stdout=subprocess.PIPE, text=True).stdout
        writers = [w for w in ("sk_pdb_import", "sk_pdb_rollback", "sk_pdb_category_import",
                               "sk_pdb_set_setting", "sk_pdb_write_begin", "sk_pdb_init",
                               "sk_pdb_url_add")
                   if re.search(r"\s%s$" % w, allsyms, re.M)]
        ck.ok("srv_sekisho.so does not even contain the policy write library", not writers,
              writers)
        ck.ok("the module API is there (sk_txn_set_page, sk_policy_get, sk_url_normalize)",
              {"sk_txn_set_page", "sk_policy_get", "sk_url_normalize"} <= got)

        env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(tmp, "lib", "pkgconfig"))
        p = run(["pkg-config", "--variable=module_abi", "sekisho"], env=env)
        abi = re.search(r"#define SK_MODULE_ABI (0x[0-9a-fA-F]+)",
                        open(os.path.join(inc, "sekisho", "module.h")).read()).group(1)
        ck.ok("sekisho.pc is stamped with SK_MODULE_ABI %s" % abi, p.stdout.strip() == abi,
              p.stdout + p.stderr)
        flags = run(["pkg-config", "--cflags", "--libs", "sekisho"], env=env).stdout.split()
        ck.ok("pkg-config points into the install, not the source tree",
              flags and not any(src in f or build in f for f in flags), flags)
        mod = os.path.join(tmp, "oot.so")
        p = run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC",
                 os.path.join(src, "tests", "abi", "oot_module.c"), "-o", mod] + flags)
        ck.ok("out-of-tree module compiles against the installed API", p.returncode == 0,
              p.stderr[-1500:])
        if p.returncode != 0:
            return ck.summary()
        ck.ok("the module exports only its descriptor",
              exported(mod) == {"sk_module_descriptor"}, sorted(exported(mod)))

        srv = SekishoServer(build, modules=mod, name="abi")
        try:
            srv.init_db()
            srv.start()
            ck.ok("the daemon loads the out-of-tree module", True)
            r = reqmod(srv, "http://origin.test/oot-block?<b>")
            body = r.body or b""
            ck.ok("it blocks with its own page, URL escaped by the toolkit",
                  r.http_status() == 403 and b"OOT-MODULE blocked" in body
                  and b"&lt;b&gt;" in body and b"<b>" not in body, body[:300])
            r = reqmod(srv, "http://origin.test/fine")
            ck.ok("and lets other URLs pass (204)", r.status == 204, r.status)
        except StartupError as e:
            ck.ok("the daemon loads the out-of-tree module", False, str(e))
        finally:
            srv.stop()
            srv.cleanup()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return ck.summary()


if __name__ == "__main__":
    main_wrapper(main)
