#!/usr/bin/env python3
"""`sekisho-policy report` on the access log of real traffic (issue 13).

The real daemon (url_block, dlp, virus_scan) gets a known mix: allowed and
blocked URLs, EICAR downloads, card-number uploads. The report's CSV tables
must count exactly that; the HTML is opened in headless Chromium (Debian's
package): it loads with no console error, its charts are in the page, and
client-controlled text (a user name carrying <script>) shows as text, not
markup. A leading '=' never reaches a CSV cell unguarded.

Trust: test harness only; talks to the server it starts on loopback.
"""

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
from icaplib import (Check, SekishoServer, StartupError, transact, http_req_head,  # noqa: E402
                     http_res_head)

EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
CARDS = b"order 4111 1111 1111 1111 and 5500 0000 0000 0004\n"
NASTY_USER = "<script>alert(1)</script>"


def reqmod(srv, url, user=None, body=None):
    extra = ["X-Authenticated-User: " + user] if user else []
    hdr = http_req_head("POST" if body else "GET", url, extra=["Content-Type: text/plain"]
                        if body else [], body_len=len(body) if body else None)
    c = srv.conn()
    try:
        return transact(c, "REQMOD", srv.url("reqmod"), req_hdr=hdr, body=body, allow204=True,
                        extra=extra)
    finally:
        c.close()


def respmod(srv, url, body):
    c = srv.conn()
    try:
        return transact(c, "RESPMOD", srv.url("respmod"), http_req_head("GET", url),
                        http_res_head(body_len=len(body)), body, allow204=True)
    finally:
        c.close()


def read_csv(path):
    with open(path, newline="") as f:
        return {row[0]: int(row[1]) for row in list(csv.reader(f))[1:]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    a = ap.parse_args()
    ck = Check("report")
    chromium = shutil.which("chromium")
    if not ck.ok("chromium is installed", chromium is not None):
        return ck.summary()
    srv = SekishoServer(a.build_dir, modules="url_block dlp virus_scan", name="report")
    try:
        srv.init_db()
        srv.policy_cmd("url", "add", "blocked.example", "--list", "block", "--match", "domain")
        srv.policy_cmd("dlp", "add", "cards", "--detector", "credit-card", "--min-count", "2",
                       "--action", "block")
        srv.start()
        for i in range(5):
            r = reqmod(srv, "http://www.blocked.example/p%d" % i, user="alice")
            ck.ok("URL %d blocked" % i, r.status == 200 and r.http_status() == 403, r.status)
        for i in range(7):
            reqmod(srv, "http://fine.example/%d" % i, user="alice")
        for i in range(3):
            r = respmod(srv, "http://files.example/eicar%d.com" % i, EICAR)
            ck.ok("EICAR %d blocked" % i, r.status == 200 and r.http_status() == 403, r.status)
        for i in range(2):
            r = reqmod(srv, "http://upload.example/form", user="=HYPERLINK(\"x\")", body=CARDS)
            ck.ok("card upload %d blocked" % i, r.status == 200 and r.http_status() == 403,
                  r.status)
        reqmod(srv, "http://www.blocked.example/nasty", user=NASTY_USER)
        # every line is written when its transaction ends: poll for all 18
        deadline = time.monotonic() + 10
        while sum(1 for ln in srv.log_lines() if ln.strip()) < 18 and time.monotonic() < deadline:
            time.sleep(0.1)
        out = os.path.join(srv.tmp, "report.html")
        csvdir = os.path.join(srv.tmp, "csv")
        p = subprocess.run([srv.policy, "report", "--log", srv.access_log, "--out", out,
                            "--csv", csvdir], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
        ck.eq("report exits 0", p.returncode, 0)
        text = p.stdout.decode()
        ck.ok("summary: 18 transactions, 11 blocked", "18 transactions, 11 blocked" in text, text)
        hosts = read_csv(os.path.join(csvdir, "blocked_hosts.csv"))
        ck.eq("blocked hosts", hosts, {"www.blocked.example": 6, "files.example": 3,
                                       "upload.example": 2})
        viruses = read_csv(os.path.join(csvdir, "viruses.csv"))
        ck.ok("viruses by name: 3 EICAR", sum(viruses.values()) == 3 and
              all("eicar" in k.lower() for k in viruses), viruses)
        ck.eq("DLP hits by template", read_csv(os.path.join(csvdir, "dlp.csv")), {"cards": 2})
        users = read_csv(os.path.join(csvdir, "users.csv"))
        ck.eq("users with blocks: alice 5", users.get("alice"), 5)
        ck.ok("a user name starting with '=' is no formula in the CSV",
              any(k.startswith("'=HYPERLINK") for k in users) and
              not any(k.startswith("=") for k in users), users)
        hours = open(os.path.join(csvdir, "hours.csv")).read()
        ck.ok("hours.csv sums to 18", sum(int(ln.split(",")[1]) for ln in
                                          hours.splitlines()[1:]) == 18, hours)
        html = open(out, encoding="utf-8").read()
        ck.ok("HTML is self-contained (no src=, href= or url( to fetch)",
              not re.search(r"\b(src|href)\s*=|url\(", html))
        ck.ok("client text is escaped in the HTML", NASTY_USER not in html and
              "&lt;script&gt;alert(1)&lt;/script&gt;" in html)

        shot = os.path.join(a.build_dir, "report-screenshot.png")
        base = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
                "--enable-logging=stderr", "--v=0", "--user-data-dir=" +
                os.path.join(srv.tmp, "chromium")]
        dom = subprocess.run(base + ["--dump-dom", "file://" + out], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, timeout=120)
        errs = [ln for ln in dom.stderr.decode(errors="replace").splitlines()
                if "CONSOLE" in ln or "Uncaught" in ln]
        ck.eq("Chromium loads the report", dom.returncode, 0)
        ck.ok("no console errors", not errs, errs[:5])
        d = dom.stdout.decode(errors="replace")
        for cid in ("chart-time", "chart-hosts", "chart-viruses", "chart-dlp"):
            ck.ok("chart %s is in the rendered page" % cid, ('id="%s"' % cid) in d)
        ck.ok("the injected user name is text in the rendered DOM, not an element",
              "<script>alert" not in d and "&lt;script&gt;alert(1)" in d)
        subprocess.run(base + ["--screenshot=" + shot, "--window-size=1100,1500",
                               "file://" + out], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=120)
        ck.ok("screenshot written (%s)" % shot, os.path.getsize(shot) > 10000
              if os.path.exists(shot) else False)
        # bounded memory: 20,000 distinct blocked hosts (more than a top
        # table keeps) and one heavy host among them. The heavy one stays
        # exact; a host that entered after the table was pruned is marked
        # as an upper bound.
        many = os.path.join(srv.tmp, "many.log")
        with open(many, "w") as f:
            for i in range(20000):
                host = "heavy.example" if i % 40 == 0 else "h%d.example" % i
                f.write(json.dumps({"time": "2026-11-01T10:00:00.000Z", "verdict": "block",
                                    "url": "http://%s/x" % host, "user": "u", "client": "10.0.0.1",
                                    "module": "url_block", "rule": "r"}) + "\n")
        mcsv = os.path.join(srv.tmp, "many-csv")
        p = subprocess.run([srv.policy, "report", "--log", many, "--out",
                            os.path.join(srv.tmp, "many.html"), "--csv", mcsv],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        ck.eq("report over 20,000 distinct hosts exits 0", p.returncode, 0)
        with open(os.path.join(mcsv, "blocked_hosts.csv"), newline="") as f:
            rows = {r[0]: (int(r[1]), r[2]) for r in list(csv.reader(f))[1:]}
        ck.eq("the heavy host among 20,000 distinct ones is counted exactly",
              rows.get("heavy.example"), (500, "no"))
        ck.ok("the table stays bounded (at most 8,192 keys)", len(rows) <= 8192, len(rows))
        ck.ok("late entries are marked as upper bounds",
              any(v[1] == "yes" for v in rows.values()), list(rows.items())[:3])
    except StartupError as e:
        ck.ok("server starts", False, e)
    finally:
        srv.stop()
        srv.cleanup()
    return ck.summary()


if __name__ == "__main__":
    sys.exit(main())
