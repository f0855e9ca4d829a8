#!/usr/bin/env python3
"""Policy depth (issue 14) through the real c-icap daemon: destination
networks (cidr URL rules against literal IP hosts after normalisation, in
REQMOD and CONNECT); monitor mode (url.action log, av.action log, dlp
templates with action log): the request passes, the access log says
would-block with the rule, the ICAP answer carries X-Sekisho-Verdict.

Usage: test_policy_depth.py --build-dir BUILD
Prints one PASS/FAIL line per check and a summary; exits 1 on any failure.
"""

import argparse
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from icaplib import (Check, SekishoServer, StartupError, check_asan, check_started,  # noqa: E402
                     http_req_head, http_res_head, transact)
from test_url_block import Ctx, check_blocked, check_passes, reqmod  # noqa: E402


def log_entries(srv):
    out = []
    for ln in srv.log_lines():
        if ln.strip():
            try:
                out.append(json.loads(ln.decode("utf-8")))
            except ValueError:
                pass
    return out


def wait_log(srv, url, timeout=5.0):
    """The access-log line for URL (polled: the log is written after the
    answer is sent)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [e for e in log_entries(srv) if e.get("url") == url]
        if found or time.monotonic() > deadline:
            return found[-1] if found else None
        time.sleep(0.1)


def g_cidr(cx):
    ck = cx.ck
    rule = "block:cidr:10.1.0.0/16"
    for url in ("http://10.1.2.3/", "http://0x0a010203/", "http://167838211/x",
                "http://012.1.2.3/", "http://[::ffff:10.1.2.3]/"):
        r, c = reqmod(cx, url)
        if check_blocked(cx, "cidr %s" % url, r, c, rule="10.1.0.0/16"):
            e = wait_log(cx.srv, url)
            ck.ok("cidr %s: logged with rule %s" % (url, rule),
                  e is not None and e.get("rule") == rule, e)
    r, c = reqmod(cx, "http://[2001:db8::1]/")
    check_blocked(cx, "cidr IPv6 2001:db8::1 in 2001:db8::/32", r, c, rule="2001:db8::/32")
    r, c = reqmod(cx, "10.1.2.3:443", method="CONNECT")
    check_blocked(cx, "cidr CONNECT 10.1.2.3:443", r, c, rule="10.1.0.0/16")
    r, c = reqmod(cx, "0x0a010203:443", method="CONNECT")
    check_blocked(cx, "cidr CONNECT 0x0a010203:443", r, c, rule="10.1.0.0/16")
    for url in ("http://10.2.0.1/", "http://10.0.255.255/", "http://[2001:db9::1]/",
                "http://10.1.2.3.nip.test/"):
        r, c = reqmod(cx, url)
        check_passes(cx, "cidr %s outside the networks" % url, r, c)
    r, c = reqmod(cx, "10.2.0.1:443", method="CONNECT")
    check_passes(cx, "cidr CONNECT 10.2.0.1:443 outside", r, c)


GROUPS = [("cidr", g_cidr)]

# split so that a scanner on the developer's machine does not flag this file
EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR" +
         b"-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")


def passed_with(r, body):
    return r is not None and (r.status == 204 or (r.status == 200 and r.body == body
                                                   and r.http_status() != 403))


def check_monitored(ck, srv, label, r, url, body, rule_part, want204):
    ok = ck.ok("monitor %s: passes%s" % (label, " (204)" if want204 else ""),
               passed_with(r, body) and (r.status == 204 or not want204),
               r.raw_head if r else None)
    if ok:
        ck.eq("monitor %s: X-Sekisho-Verdict" % label, r.header("X-Sekisho-Verdict"),
              "would-block")
    e = wait_log(srv, url)
    ck.ok("monitor %s: access log verdict would-block, rule has %r" % (label, rule_part),
          e is not None and e.get("verdict") == "would-block"
          and rule_part in (e.get("rule") or ""), e)


def g_monitor(ck, build):
    tmp = tempfile.mkdtemp(prefix="sekisho-depth-av-")
    empty_db = os.path.join(tmp, "clamav-empty")
    os.mkdir(empty_db)
    srv = SekishoServer(build, modules="url_block dlp virus_scan xheaders", name="monitor",
                        extra_args=["--clamav-db", empty_db])
    srv.init_db()
    srv.policy_cmd("url", "add", "--list", "block", "--match", "domain", "monitor.test")
    srv.policy_cmd("url", "add", "--list", "block", "--match", "cidr", "10.1.0.0/16")
    srv.policy_cmd("dlp", "add", "cards", "--detector", "credit-card", "--action", "log")
    for k, v in (("url.action", "log"), ("av.action", "log"), ("icap.x-infection-found", "on")):
        srv.policy_cmd("set", k, v)
    keys = srv.policy_cmd("keys").stdout.decode()
    ck.ok("keys lists av.action and url.action", "av.action" in keys and "url.action" in keys,
          keys[:400])
    try:
        srv.start()
        check_started(ck, srv, "server starts with url_block dlp virus_scan xheaders", 4)
        for url, rule in (("http://www.monitor.test/x", "block:domain:monitor.test"),
                          ("http://0x0a010203/", "block:cidr:10.1.0.0/16")):
            c = srv.conn(20)
            try:
                r = transact(c, "REQMOD", srv.url("reqmod"), http_req_head("GET", url),
                             allow204=True)
            finally:
                c.close()
            check_monitored(ck, srv, url, r, url, None, rule, True)
            ck.ok("monitor %s: X-Infection-Found says not blocked (Resolution=0)" % url,
                  "Resolution=0" in (r.header("X-Infection-Found") or ""), r.raw_head)
        url = "http://clean.test/ok"
        c = srv.conn(20)
        try:
            r = transact(c, "REQMOD", srv.url("reqmod"), http_req_head("GET", url), allow204=True)
        finally:
            c.close()
        ck.ok("monitor: a clean URL passes without X-Sekisho-Verdict",
              r.status == 204 and r.header("X-Sekisho-Verdict") is None, r.raw_head)
        e = wait_log(srv, url)
        ck.ok("monitor: a clean URL is logged allow", e is not None and e.get("verdict") == "allow",
              e)
        url = "http://origin.test/monitor/eicar.com"
        c = srv.conn(20)
        try:
            r = transact(c, "RESPMOD", srv.url("respmod"), http_req_head("GET", url),
                         http_res_head(body_len=len(EICAR)), EICAR, allow204=True)
        finally:
            c.close()
        check_monitored(ck, srv, "EICAR download", r, url, EICAR, "Eicar", False)
        url = "http://upload.test/monitor/form"
        body = b"name=taro&card=4111-1111-1111-1111\n"
        c = srv.conn(20)
        try:
            r = transact(c, "REQMOD", srv.url("reqmod"),
                         http_req_head("POST", url, body_len=len(body)), None, body,
                         allow204=True)
        finally:
            c.close()
        check_monitored(ck, srv, "DLP upload (template action log)", r, url, body, "cards",
                        False)
    except StartupError as e:
        ck.ok("monitor server starts", False, str(e))
    finally:
        rc = srv.stop()
        ck.eq("monitor server stops cleanly (rc 0)", rc, 0)
        if ck.failed:
            print(srv.daemon_log_tail())
        srv.cleanup()


def setup_policy(srv):
    srv.init_db()
    srv.policy_cmd("url", "add", "--list", "block", "--match", "cidr", "10.1.0.0/16")
    srv.policy_cmd("url", "add", "--list", "block", "--match", "cidr", "2001:db8::/32")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    a = ap.parse_args()
    build = os.path.abspath(a.build_dir)
    ck = Check("policy depth integration")
    mod = os.path.join(build, "lib", "sekisho", "modules", "url_block.so")
    ck.ok("built: url_block.so", os.path.exists(mod))
    if ck.failed:
        return ck.summary()
    srv = SekishoServer(build, modules="url_block", name="depth")
    try:
        setup_policy(srv)
        srv.start()
        check_started(ck, srv, "server starts with url_block", 1)
    except StartupError as e:
        ck.ok("server starts with url_block", False, str(e))
        srv.stop()
        return ck.summary()
    cx = Ctx(ck, srv, build)
    try:
        for name, fn in GROUPS:
            ck.group(name, fn, cx)
    finally:
        rc = srv.stop()
        ck.eq("server stops cleanly (rc 0)", rc, 0)
        if ck.failed:
            print("--- server stderr (tail):\n%s" % srv.stderr_text()[-3000:])
            print(srv.daemon_log_tail())
    ck.group("monitor", g_monitor, ck, build)
    check_asan(ck)
    srv.cleanup()
    return ck.summary()


if __name__ == "__main__":
    sys.exit(main())
