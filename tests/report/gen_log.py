#!/usr/bin/env python3
"""gen_log.py - a synthetic Sekisho access log for the report's bench and
its README picture: DAYS days of traffic with a daily rhythm, blocked URLs,
viruses and DLP hits, in the exact line format of sk_accesslog.c.
Usage: gen_log.py OUT [--days D] [--per-hour N] [--mb M] [--seed S]
(--mb: stop once the file reaches M megabytes, repeating the days)."""
import argparse
import datetime
import json
import random

HOSTS = ["news.example", "mail.example", "cdn.example", "video.example", "shop.example",
         "bank.example", "wiki.example", "search.example"] + ["site%d.example" % i for i in range(400)]
BAD = ["casino.example", "bet.example", "malware.example", "phish.example", "adult.example"]
VIRUSES = ["Eicar-Test-Signature", "Win.Trojan.Agent-1", "Doc.Dropper.Macro-7",
           "Js.Downloader.Nemucod-2", "Pdf.Exploit.CVE_2018_4990"]
DLP = ["cards", "my-number", "confidential"]
USERS = ["CORP\\user%d" % i for i in range(300)]


def line(rnd, t):
    user = rnd.choice(USERS)
    client = "10.1.%d.%d" % (rnd.randint(0, 9), rnd.randint(1, 254))
    r = rnd.random()
    rec = {"time": t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % rnd.randint(0, 999),
           "txn": "%x-%x" % (rnd.getrandbits(32), rnd.getrandbits(16)),
           "service": "reqmod", "icap_method": "REQMOD", "client": client, "user": user,
           "method": "GET", "url": "http://%s/%d" % (rnd.choice(HOSTS), rnd.randint(1, 99999)),
           "icap_status": 204, "verdict": "allow", "module": "", "rule": ""}
    if r < 0.04:
        host = rnd.choice(BAD)
        rec.update(url="http://www.%s/p" % host, icap_status=200, verdict="block",
                   module="url_block", rule="category:" + host.split(".")[0],
                   reason="category blocked",
                   detections=[{"kind": "url", "name": "category:" + host.split(".")[0],
                                "detail": "www." + host}])
    elif r < 0.05:
        v = rnd.choice(VIRUSES)
        rec.update(service="respmod", icap_method="RESPMOD", icap_status=200, verdict="block",
                   module="virus_scan", rule=v, reason="virus found",
                   detections=[{"kind": "virus", "name": v}])
    elif r < 0.055:
        d = rnd.choice(DLP)
        rec.update(method="POST", url="http://upload.example/form", icap_status=200,
                   verdict="block", module="dlp", rule=d, reason="DLP",
                   detections=[{"kind": "dlp", "name": d, "detail": "4111********1111 x3"}])
    rec["bytes_in"] = rnd.randint(300, 90000)
    rec["bytes_out"] = 0 if rec["verdict"] == "allow" else 2100
    rec["duration_ms"] = round(rnd.random() * 4, 3)
    return json.dumps(rec, separators=(",", ":"), ensure_ascii=False) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--per-hour", type=int, default=400)
    ap.add_argument("--mb", type=float, default=0)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    start = datetime.datetime(2026, 11, 1)
    size = 0
    with open(a.out, "w") as f:
        while True:
            for h in range(a.days * 24):
                t0 = start + datetime.timedelta(hours=h)
                busy = 1.0 if 8 <= t0.hour < 19 and t0.weekday() < 5 else 0.15
                n = int(a.per_hour * busy)
                chunk = "".join(line(rnd, t0 + datetime.timedelta(seconds=rnd.randint(0, 3599)))
                                for _ in range(n))
                f.write(chunk)
                size += len(chunk)
                if a.mb and size >= a.mb * 1e6:
                    return
            if not a.mb:
                return


if __name__ == "__main__":
    main()
