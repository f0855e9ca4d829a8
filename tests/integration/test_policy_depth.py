#!/usr/bin/env python3
"""Policy depth (issue 14) through the real c-icap daemon: destination
networks (cidr URL rules against literal IP hosts after normalisation, in
REQMOD and CONNECT); monitor mode (url.action log, av.action log, dlp
templates with action log): the request passes, the access log says
would-block with the rule, the ICAP answer carries X-Sekisho-Verdict;
quarantine (av.quarantine on): the blocked object kept 0600 with its
metadata, exactly its bytes (SHA-256), listed, shown, released, purged.

Usage: test_policy_depth.py --build-dir BUILD
Prints one PASS/FAIL line per check and a summary; exits 1 on any failure.
"""

import argparse
import hashlib
import json
import os
import re
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from icaplib import (Check, SekishoServer, StartupError, check_asan, check_started,  # noqa: E402
                     free_port, http_req_head, http_res_head, transact)
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
    status_port = free_port()
    srv = SekishoServer(build, modules="url_block dlp virus_scan xheaders", name="monitor",
                        extra_args=["--clamav-db", empty_db,
                                    "--status-listen", "127.0.0.1:%d" % status_port])
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
        # /metrics counts them as would-block, not as errors (4 sent above)
        deadline = time.monotonic() + 5
        while True:
            with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % status_port,
                                        timeout=5) as resp:
                text = resp.read().decode()
            wb = sum(float(m.group(1)) for m in re.finditer(
                r'(?m)^sekisho_transactions_total\{[^}]*verdict="would-block"[^}]*\} (\S+)$',
                text))
            errs = sum(float(m.group(1)) for m in re.finditer(
                r'(?m)^sekisho_transactions_total\{[^}]*verdict="error"[^}]*\} (\S+)$', text))
            if wb >= 4 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        ck.ok("metrics: 4 transactions with verdict would-block, none as error",
              wb == 4 and errs == 0, (wb, errs))
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


def respmod_av(srv, url, body, extra=()):
    c = srv.conn(30)
    try:
        return transact(c, "RESPMOD", srv.url("respmod"), http_req_head("GET", url),
                        http_res_head(body_len=len(body)), body, allow204=True, extra=extra)
    finally:
        c.close()


def g_quarantine(ck, build):
    tmp = tempfile.mkdtemp(prefix="sekisho-depth-q-")
    empty_db = os.path.join(tmp, "clamav-empty")
    qdir = os.path.join(tmp, "quarantine")
    os.mkdir(empty_db)
    os.mkdir(qdir, 0o700)
    srv = SekishoServer(build, modules="virus_scan", name="quar",
                        extra_args=["--clamav-db", empty_db],
                        config_text="sekisho.Option virus_scan.quarantine-dir %s\n" % qdir)
    srv.init_db()
    srv.policy_cmd("set", "av.quarantine", "on")
    srv.policy_cmd("policy", "add", "noq", "--client-ip", "10.9.9.9")
    srv.policy_cmd("set", "av.quarantine", "off", "--policy", "noq")

    def q(*args, check=True):
        return srv.policy_cmd("quarantine", *args, "--dir", qdir, check=check)

    def entries():
        return sorted(f for f in os.listdir(qdir) if not f.startswith("."))
    try:
        srv.start()
        check_started(ck, srv, "server starts with virus_scan and a quarantine dir", 1)
        # a policy with av.quarantine off keeps nothing
        r = respmod_av(srv, "http://origin.test/q/noq.com", EICAR, extra=("X-Client-IP: 10.9.9.9",))
        ck.ok("quarantine off: blocked", r.status == 200 and r.http_status() == 403, r.raw_head)
        ck.eq("quarantine off: nothing kept", entries(), [])
        # the object: EICAR with bytes of our own after it, over the
        # 1M memory threshold (spill-file path)
        body = EICAR + b"\n" + os.urandom(1536 * 1024)
        url = "http://origin.test/q/setup.exe?t=%d" % time.time_ns()
        r = respmod_av(srv, url, body)
        ck.ok("quarantine on: blocked", r.status == 200 and r.http_status() == 403, r.raw_head)
        e = wait_log(srv, url)
        reason = (e or {}).get("reason") or ""
        qid = reason.split("quarantined as ", 1)[1].strip() if "quarantined as " in reason else ""
        if not ck.ok("quarantine on: access log reason names the quarantine id", qid != "", e):
            return
        ck.eq("quarantine on: exactly one object and its metadata",
              entries(), sorted([qid + ".bin", qid + ".json"]))
        binp = os.path.join(qdir, qid + ".bin")
        ck.eq("quarantine: object mode 0600", os.stat(binp).st_mode & 0o777, 0o600)
        ck.eq("quarantine: metadata mode 0600",
              os.stat(os.path.join(qdir, qid + ".json")).st_mode & 0o777, 0o600)
        with open(binp, "rb") as f:
            kept = f.read()
        ck.eq("quarantine: kept bytes are the blocked bytes (sha256)",
              hashlib.sha256(kept).hexdigest(), hashlib.sha256(body).hexdigest())
        meta = json.loads(q("show", qid).stdout.decode())
        ck.ok("quarantine show: metadata (url, virus, size, sha256)",
              meta.get("url") == url and "Eicar" in meta.get("virus", "")
              and meta.get("size") == len(body)
              and meta.get("sha256") == hashlib.sha256(body).hexdigest(), meta)
        out = q("list").stdout.decode()
        ck.ok("quarantine list: names the id and the URL", qid in out and url in out, out)
        dest = os.path.join(tmp, "released.bin")
        p = q("release", qid, "--out", dest)
        with open(dest, "rb") as f:
            ck.eq("quarantine release: returns exactly the blocked bytes",
                  hashlib.sha256(f.read()).hexdigest(), hashlib.sha256(body).hexdigest())
        ck.eq("quarantine release: new file 0600", os.stat(dest).st_mode & 0o777, 0o600)
        p = q("release", qid, "--out", dest, check=False)
        ck.ok("quarantine release: never overwrites (exit 1)", p.returncode == 1, p.stderr)
        p = q("show", "../" + qid, check=False)
        ck.ok("quarantine show: a path as id is refused (exit 2)", p.returncode == 2, p.stderr)
        with open(binp, "r+b") as f:  # tamper: release must refuse
            f.write(b"Y")
        p = q("release", qid, "--out", dest + ".2", check=False)
        ck.ok("quarantine release: refuses an object that no longer matches its SHA-256",
              p.returncode == 1 and not os.path.exists(dest + ".2"), p.stderr)
        q("purge", "--older", "30d")
        ck.eq("quarantine purge --older 30d: a new object stays", len(entries()), 2)
        old = time.time() - 31 * 86400
        os.utime(os.path.join(qdir, qid + ".json"), (old, old))
        q("purge", "--older", "30d")
        ck.eq("quarantine purge --older 30d: a 31-day-old object goes", entries(), [])
    except StartupError as e:
        ck.ok("quarantine server starts", False, str(e))
    finally:
        rc = srv.stop()
        ck.eq("quarantine server stops cleanly (rc 0)", rc, 0)
        if ck.failed:
            print(srv.daemon_log_tail())
        srv.cleanup()


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
    ck.group("quarantine", g_quarantine, ck, build)
    check_asan(ck)
    srv.cleanup()
    return ck.summary()


if __name__ == "__main__":
    sys.exit(main())
