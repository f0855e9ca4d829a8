#!/usr/bin/env python3
"""Alerts (issue 13 item 3) through the real daemon, to real local receivers.

A webhook receiver (HTTP on loopback) and an SMTP receiver (a minimal
RFC 5321 server on loopback) started here get: one virus alert for a burst
of EICAR downloads (notify.min-interval holds across c-icap children), a
dlp-block alert, a policy-load-failed alert when a broken generation is
committed; every alert once per channel; with the rate limit off, one per
event. A receiver that accepts and never answers delays no ICAP answer.
`sekisho-policy notify test` delivers one of each kind. signatures-stale:
with signature files 4 days old and av.max-signature-age 5d nothing is
sent; lowering the setting to 3d sends exactly one alert (every c-icap
child checks; the node-wide rate limit makes it one) naming the file and
its age, and none with notify.events leaving the kind out.

Trust: test harness only; every address is 127.0.0.1.
"""

import argparse
import json
import os
import re
import shutil
import socket
import sqlite3
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
from icaplib import (Check, SekishoServer, StartupError, transact, http_req_head,  # noqa: E402
                     http_res_head, free_port, wait_live)

EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
CARDS = b"order 4111 1111 1111 1111 and 5500 0000 0000 0004\n"


class Hook(BaseHTTPRequestHandler):
    got = []

    def do_POST(self):  # noqa: N802
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        try:
            Hook.got.append(json.loads(body))
        except ValueError:
            Hook.got.append({"unparsable": body.decode("utf-8", "replace")})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


class Smtp(threading.Thread):
    """Just enough SMTP for libcurl: EHLO/HELO, MAIL, RCPT, DATA, QUIT."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.mails = []

    def run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.session, args=(c,), daemon=True).start()

    def session(self, c):
        f = c.makefile("rb")
        c.sendall(b"220 test ESMTP\r\n")
        mail = {"rcpt": []}
        try:
            for line in f:
                cmd = line.strip().upper()
                if cmd.startswith(b"EHLO") or cmd.startswith(b"HELO"):
                    c.sendall(b"250 test\r\n")
                elif cmd.startswith(b"MAIL FROM"):
                    mail["from"] = line.strip()[10:].decode()
                    c.sendall(b"250 ok\r\n")
                elif cmd.startswith(b"RCPT TO"):
                    mail["rcpt"].append(line.strip()[8:].decode())
                    c.sendall(b"250 ok\r\n")
                elif cmd == b"DATA":
                    c.sendall(b"354 go\r\n")
                    data = []
                    for dl in f:
                        if dl in (b".\r\n", b".\n"):
                            break
                        data.append(dl)
                    mail["data"] = b"".join(data).decode("utf-8", "replace")
                    self.mails.append(mail)
                    mail = {"rcpt": []}
                    c.sendall(b"250 queued\r\n")
                elif cmd == b"QUIT":
                    c.sendall(b"221 bye\r\n")
                    break
                else:
                    c.sendall(b"250 ok\r\n")
        except OSError:
            pass
        finally:
            c.close()


def respmod(srv, url, body):
    c = srv.conn()
    try:
        return transact(c, "RESPMOD", srv.url("respmod"), http_req_head("GET", url),
                        http_res_head(body_len=len(body)), body, allow204=True)
    finally:
        c.close()


def upload(srv, body):
    hdr = http_req_head("POST", "http://upload.example/form", extra=["Content-Type: text/plain"],
                        body_len=len(body))
    c = srv.conn()
    try:
        return transact(c, "REQMOD", srv.url("reqmod"), req_hdr=hdr, body=body, allow204=True)
    finally:
        c.close()


def wait_for(fn, timeout=15.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if fn():
            return True
        time.sleep(0.1)
    return fn()


def kinds(events):
    return [e.get("event") for e in events]


SIGS = os.path.join(os.path.dirname(HERE), "sigs")


def children(srv):
    with open(os.path.join(srv.run_dir, "c-icap.pid")) as f:
        master = f.read().split()[0]
    n = 0
    for p in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % p) as f:
                n += f.read().rsplit(")", 1)[1].split()[1] == master
        except (OSError, IndexError):
            pass
    return n


def t_stale(ck, build_dir, hook_url, tmp):
    """signatures-stale through the real daemon's children."""
    sigs = os.path.join(tmp, "sigs")
    shutil.copytree(SIGS, sigs)
    old = time.time() - 4 * 86400
    for n in os.listdir(sigs):
        os.utime(os.path.join(sigs, n), (old, old))
    status_port = free_port()
    srv = SekishoServer(build_dir, modules="virus_scan", name="alerts-stale",
                        test_signatures=False, extra_args=[
                            "--clamav-db", sigs, "--status-listen", "127.0.0.1:%d" % status_port])
    try:
        srv.init_db()
        for k, v in (("notify.webhook", hook_url), ("notify.min-interval", "1h"),
                     ("av.max-signature-age", "5d")):
            srv.policy_cmd("set", k, v)
        n0 = kinds(Hook.got).count("signatures-stale")
        srv.start()
        time.sleep(3.0)  # every child has looked at the directory once
        ck.eq("signatures 4 days old, limit 5d: no signatures-stale alert",
              kinds(Hook.got).count("signatures-stale"), n0)
        srv.policy_cmd("set", "notify.events", "virus")
        srv.policy_cmd("set", "av.max-signature-age", "3d")
        time.sleep(3.0)
        ck.eq("... limit 3d but the kind not in notify.events: none",
              kinds(Hook.got).count("signatures-stale"), n0)
        srv.policy_cmd("unset", "notify.events")
        ck.ok("limit 3d: a signatures-stale alert (on the policy change, not a minute later)",
              wait_for(lambda: kinds(Hook.got).count("signatures-stale") > n0, 10),
              kinds(Hook.got))
        ev = [e for e in Hook.got if e.get("event") == "signatures-stale"][n0:]
        ck.ok("it names the newest file and its age in seconds, over the limit",
              ev and ev[0].get("newest", "").startswith("sekisho-test.") and
              abs(int(ev[0].get("age_seconds", "0")) - 4 * 86400) < 120 and
              ev[0].get("max_age_seconds") == str(3 * 86400) and
              ev[0].get("directory") == sigs, ev[:1])
        srv.policy_cmd("set", "notify.min-interval", "0s")  # each child re-checks on it
        time.sleep(3.0)
        ck.eq("one alert for the node, min-interval 0 included (at most hourly)",
              kinds(Hook.got).count("signatures-stale"), n0 + 1)
        ck.ok("several c-icap children were checking", children(srv) >= 2, children(srv))

        def alerts_metric():
            with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % status_port, timeout=5) as r:
                text = r.read().decode()
            return {k: int(v) for k, v in re.findall(
                r'^sekisho_alerts_total\{outcome="(\w+)"\} (\d+)$', text, re.M)}
        time.sleep(1.5)  # children copy the counters once a second
        m = alerts_metric()
        ck.ok("/metrics: sekisho_alerts_total counts the alert sent and the repeats the "
              "rate limit held back", m.get("sent") == 1 and m.get("suppressed", 0) >= 1 and
              m.get("dropped") == 0 and m.get("failed") == 0, m)
    except StartupError as e:
        ck.ok("stale server starts", False, e)
    finally:
        srv.stop()
        srv.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    a = ap.parse_args()
    ck = Check("alerts")
    http = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    smtp = Smtp()
    smtp.start()
    hook_url = "http://127.0.0.1:%d/alert" % http.server_port
    srv = SekishoServer(a.build_dir, modules="dlp virus_scan", name="alerts")
    try:
        srv.init_db()
        for k, v in (("notify.webhook", hook_url), ("notify.email", "soc@example.test"),
                     ("notify.smtp", "127.0.0.1:%d" % smtp.port), ("notify.min-interval", "1h"),
                     ("notify.from", "gw1@example.test"), ("icap.x-virus-id", "on")):
            srv.policy_cmd("set", k, v)
        srv.policy_cmd("dlp", "add", "cards", "--detector", "credit-card", "--min-count", "2",
                       "--action", "block")
        srv.start()
        for i in range(6):  # several connections: more than one c-icap child
            r = respmod(srv, "http://files.example/eicar%d.com" % i, EICAR)
            ck.ok("EICAR %d blocked" % i, r.status == 200 and r.http_status() == 403, r.status)
        ck.ok("a virus alert reaches the webhook",
              wait_for(lambda: "virus" in kinds(Hook.got)), Hook.got)
        ck.ok("... and the mailbox", wait_for(lambda: any("virus" in m.get("data", "")
                                                           for m in smtp.mails)), smtp.mails)
        time.sleep(1.0)  # give a wrongly repeated alert the time to arrive
        ck.eq("six viruses within notify.min-interval: one alert (node-wide)",
              kinds(Hook.got).count("virus"), 1)
        ev = next(e for e in Hook.got if e.get("event") == "virus")
        ck.ok("the alert names the threat, the URL and the transaction",
              "eicar" in ev.get("name", "").lower() and ev.get("url", "").startswith(
                  "http://files.example/eicar") and ev.get("transaction"), ev)
        m = next(m for m in smtp.mails if "virus" in m.get("data", ""))
        ck.ok("mail: from, to and subject as configured",
              m.get("from") == "<gw1@example.test>" and m["rcpt"] == ["<soc@example.test>"] and
              "Subject: Sekisho alert: virus on " in m["data"], m)

        r = upload(srv, CARDS)
        ck.ok("card upload blocked", r.status == 200 and r.http_status() == 403, r.status)
        ck.ok("a dlp-block alert", wait_for(lambda: "dlp-block" in kinds(Hook.got)), Hook.got)

        # a generation that cannot load: alert with the last good settings
        db = sqlite3.connect(srv.db)
        db.execute("UPDATE settings SET value = 'maybe' WHERE key = 'icap.x-virus-id'")
        db.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
        db.commit()
        db.close()
        ck.ok("a broken generation: policy-load-failed alert",
              wait_for(lambda: "policy-load-failed" in kinds(Hook.got)), kinds(Hook.got))
        db = sqlite3.connect(srv.db)
        db.execute("UPDATE settings SET value = 'on' WHERE key = 'icap.x-virus-id'")
        db.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
        db.commit()
        db.close()

        # a receiver that accepts and never answers must delay nothing
        black = socket.socket()
        black.bind(("127.0.0.1", 0))
        black.listen(64)
        srv.policy_cmd("set", "notify.webhook", "http://127.0.0.1:%d/" % black.getsockname()[1])
        srv.policy_cmd("set", "notify.min-interval", "0s")
        ck.ok("the hanging receiver and min-interval 0 are live", wait_live(srv))
        worst = 0.0
        for i in range(4):
            t0 = time.monotonic()
            r = respmod(srv, "http://files.example/again%d.com" % i, EICAR)
            worst = max(worst, time.monotonic() - t0)
            ck.ok("EICAR %d blocked while the webhook hangs" % i,
                  r.status == 200 and r.http_status() == 403, r.status)
        ck.ok("no ICAP answer waits for a hanging receiver (worst %.2f s)" % worst, worst < 1.0)
        black.close()  # alerts queued for it now fail at once

        srv.policy_cmd("set", "notify.webhook", hook_url)
        ck.ok("the receiver is back (live)", wait_live(srv))
        n0 = kinds(Hook.got).count("virus")
        for i in range(3):
            respmod(srv, "http://files.example/more%d.com" % i, EICAR)
        ck.ok("rate limit off: one alert per virus (3 more)",
              wait_for(lambda: kinds(Hook.got).count("virus") >= n0 + 3, 40),
              kinds(Hook.got))
        time.sleep(1.0)
        ck.eq("... and not more", kinds(Hook.got).count("virus"), n0 + 3)

        before = len(Hook.got)
        p = srv.policy_cmd("notify", "test", check=False)
        ck.eq("notify test exits 0", p.returncode, 0)
        ck.ok("notify test: one webhook per kind",
              sorted(kinds(Hook.got[before:])) == sorted(
                  ["virus", "dlp-block", "module-error", "signatures-stale",
                   "policy-load-failed"]), kinds(Hook.got[before:]))
        ck.ok("notify test says what it sent", b"10 sent, 0 failed" in p.stdout, p.stdout)
        p = srv.policy_cmd("set", "notify.events", "virus,ransom", check=False)
        ck.ok("an unknown event kind is refused, naming it",
              p.returncode == 2 and b"ransom" in p.stderr, p.stderr)
    except StartupError as e:
        ck.ok("server starts", False, e)
    finally:
        srv.stop()
        srv.cleanup()
    tmp = tempfile.mkdtemp(prefix="sekisho-alerts-")
    try:
        t_stale(ck, a.build_dir, hook_url, tmp)
    finally:
        http.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
    return ck.summary()


if __name__ == "__main__":
    sys.exit(main())
