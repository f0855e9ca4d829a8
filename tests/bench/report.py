#!/usr/bin/env python3
# report.py - turns the bench's per-run JSON lines into the markdown and JSON
# results (medians over rounds). Reads only files run.sh wrote.
"""Usage: report.py --runs F --scenarios F --notes F --md F --json F --latest F"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys


def sh(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
    except Exception:
        return ""


def machine():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) // 1024
    def ver(p):
        return sh(["dpkg-query", "-W", "-f=${Version}", p]) or "not installed"
    debian = open("/etc/debian_version").read().strip() if os.path.exists("/etc/debian_version") else "?"
    return {
        "cpu": cpu, "cores": os.cpu_count(), "ram_mb": mem, "kernel": platform.release(),
        "debian": debian, "c-icap": ver("c-icap"),
        "c-icap-modules": ver("libc-icap-mod-virus-scan"),
        "libclamav": ver("libclamav12"),
    }


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def summarize(runs, rate="req"):
    """Median over rounds of each metric; peak memory is the max. RATE "ok"
    counts only 200/204 answers (the concurrency rows, where a server may
    refuse with 503)."""
    rs = [x["r"] for x in runs if x["r"] and "pss_start_kb" not in x["r"]]
    if not rs:
        return None
    if "scans_per_s" in rs[0]:
        return {"req_per_s": med([r["scans_per_s"] for r in rs]),
                "mb_per_s": med([r["mb_per_s"] for r in rs]),
                "p50": med([r["lat_ms"]["p50"] for r in rs]),
                "p99": med([r["lat_ms"]["p99"] for r in rs]),
                "rss_mb": max(r["engine_rss_kb"] for r in rs) / 1024,
                "pss_mb": None, "errors": sum(r["errors"] for r in rs),
                "load_s": med([r["load_s"] + r["compile_s"] for r in rs]),
                "cpu_ms": med([r["cpu_s"] * 1e3 / r["scans"] for r in rs
                               if r.get("cpu_s") and r["scans"]]),
                "threads": rs[0]["threads"], "rounds": len(rs)}
    key = "ok_per_s" if rate == "ok" else "req_per_s"
    return {"req_per_s": med([r.get(key, r["req_per_s"]) for r in rs]),
            "best": max(r.get(key, r["req_per_s"]) for r in rs),
            "mb_per_s": med([r["mb_per_s"] for r in rs]),
            "p50": med([r["lat_ms"]["p50"] for r in rs]),
            "p99": med([r["lat_ms"]["p99"] for r in rs]),
            "rss_mb": max(r["mem"]["peak_rss_kb"] for r in rs) / 1024,
            "pss_mb": max(r["mem"]["peak_pss_kb"] for r in rs) / 1024,
            "growth_mb": max(r["mem"]["peak_rss_kb"] - r["mem"].get("start_rss_kb", 0)
                             for r in rs) / 1024,
            # its own memory (RssAnon); VmRSS also counts mapped files' pages
            "anon_growth_mb": max(r["mem"].get("peak_anon_kb", 0) - r["mem"].get("start_anon_kb", 0)
                                  for r in rs) / 1024,
            "errors": sum(r["conn_errors"] + r["proto_errors"] + r["timeouts"] for r in rs),
            "status": {k: sum(r["status"][k] for r in rs) for k in rs[0]["status"]},
            "refused": sum(r.get("refused", 0) for r in rs),
            "resets": sum(r.get("resets", 0) for r in rs),
            "timeouts": sum(r["timeouts"] for r in rs),
            # server CPU per answered request (the whole process tree)
            "cpu_ms": med([r["mem"]["cpu_s"] * 1e3 / r["completed"] for r in rs
                           if r["mem"].get("cpu_s") and r["completed"]]),
            "rounds": len(rs)}


def paired(runs, name, other, other_scenario=None):
    """Sekisho / OTHER rate of each round in which both ran. OTHER is a
    target of scenario NAME, or of OTHER_SCENARIO when given (the raw loop,
    whose rate is scans/s): a round's pair shares that minute's load."""
    by = {}
    for x in runs:
        r = x["r"] or {}
        rate = r.get("req_per_s") or r.get("scans_per_s")
        if not rate:
            continue
        if x["scenario"] == name and x["target"] == "sekisho":
            by.setdefault(x["round"], {})["sekisho"] = rate
        elif x["scenario"] == (other_scenario or name) and x["target"] == other:
            by.setdefault(x["round"], {})[other] = rate
    return [v["sekisho"] / v[other] for _, v in sorted(by.items())
            if "sekisho" in v and v.get(other)]


def fmt(v, nd=1):
    if v is None:
        return "-"
    if v >= 1000:
        return "{:,.0f}".format(v)
    return ("{:.%df}" % nd).format(v)


def sections(runs, extra):
    """The reload-memory table and the bisect tables, as markdown lines."""
    out = []
    for x in runs:
        r = x["r"]
        if x["scenario"] != "reload_mem" or not r:
            continue
        mb = lambda kb: "%.0f" % (kb / 1024)
        start = r["pss_start_kb"]
        out.append("Reload memory (Sekisho, summed PSS of the c-icap tree; a signature "
                   "file added to its directory each time, reload-interval 1 s):")
        out.append("")
        out.append("| after start | %s | after child recycling | after/start |" %
                   " | ".join("after reload %d" % (i + 1) for i in range(len(r["pss_reloads_kb"]))))
        out.append("|--:|%s--:|--:|" % ("--:|" * len(r["pss_reloads_kb"])))
        worst = max(r["pss_reloads_kb"] + [r["pss_recycled_kb"]])
        out.append("| %s MB | %s | %s MB | %.2f (worst) |" % (
            mb(start), " | ".join(mb(v) + " MB" for v in r["pss_reloads_kb"]),
            mb(r["pss_recycled_kb"]), worst / start if start else 0))
        out.append("")
        out.append("Seconds from adding the file to the new signature detecting: %s; "
                   "transactions under load meanwhile: %d completed, %d failed; children "
                   "before recycling: %s, after: %s." % (
                       ", ".join(str(v) for v in r["reload_s"]), r["load_completed"],
                       r["load_failed"], r["children_before"].strip() or "-",
                       r["children_after"].strip() or "-"))
        out.append("")
    for spec in extra:
        title, _, path = spec.partition("=")
        if not os.path.exists(path) or not os.path.getsize(path):
            continue
        out.append(title + ":")
        out.append("")
        out += [l.rstrip("\n") for l in open(path)]
        out.append("")
    return out


def transaction_bound(rows, runs=()):
    """What the raw-scan ratio can reach with the load generator on the same
    cores: a server that added to the raw scan only what echo's own
    transaction costs would do 1 / (1/raw + 1/echo) per second (both
    measured in this run, each using every core)."""
    by = {r["scenario"]: r for r in rows}
    out = []
    for size in ("10k", "1m"):
        raw, echo = by.get("rawscan_" + size), by.get("limit_echo_" + size)
        if not (raw and echo and raw["peer"] and echo["peer"]):
            continue
        r, e = raw["peer"]["req_per_s"], echo["peer"]["req_per_s"]
        if not r or not e:
            continue
        bound = 1.0 / (1.0 / r + 1.0 / e)
        got = [(by[n]["sekisho"]["req_per_s"], by[n]["description"])
               for n in ("respmod_%s_av_eq" % size, "respmod_%s_av" % size, "respmod_%s_av_clamd" % size)
               if n in by and by[n]["sekisho"] and by[n]["sekisho"]["req_per_s"]]
        line = ("Scan plus transaction, %s: raw libclamav %s scans/s and echo %s transactions/s "
                "give %s req/s for a server that adds only echo's transaction to the scan: %.2f of "
                "raw." % (size.upper().replace("K", " KB").replace("M", " MB"), fmt(r), fmt(e),
                          fmt(bound), bound / r))
        if got:
            line += " Sekisho: " + ", ".join("%.2f of raw (%s)" % (g / r, d) for g, d in got) + "."
        pr = paired(runs, "respmod_%s_av_eq" % size, "peer", "rawscan_" + size)
        if pr:
            line += (" Per round (Sekisho at equal options / raw of the same round): %s; median "
                     "%.2f." % (", ".join("%.2f" % v for v in pr), statistics.median(pr)))
        out += [line, ""]
        # The same comparison without the load generator's share of the
        # cores: the scan's own CPU (bench_rawscan, thread time around
        # cl_scanmap_callback) against the server's whole process tree per
        # answered request (transaction, logging, everything).
        rc = raw["peer"].get("cpu_ms")
        # (not the clamd rows: clamd's scanning process is outside the tree)
        n = "respmod_%s_av_eq" % size
        cpu = [(by[n][t]["cpu_ms"], t) for t in ("sekisho", "peer")
               if n in by and by[n][t] and by[n][t].get("cpu_ms")]
        ec = echo["peer"].get("cpu_ms")
        if rc and cpu:
            out += ["CPU per request, %s: raw scan %.3f ms%s; " % (
                size.upper().replace("K", " KB").replace("M", " MB"), rc,
                " (+ echo's own transaction %.3f ms = %.2f of raw at best)" % (ec, rc / (rc + ec))
                if ec else "") +
                ", ".join("%s %.3f ms (%.2f of raw)" % (
                    "Sekisho" if t == "sekisho" else "clamav_mod at equal options", c, rc / c)
                    for c, t in cpu) +
                ": the server's whole process tree per answered request, against the scan "
                "call's own thread time.", ""]
    return out


def main():
    ap = argparse.ArgumentParser()
    for a in ("runs", "scenarios", "notes", "md", "json", "latest"):
        ap.add_argument("--" + a, required=True)
    ap.add_argument("--section", action="append",
                    help="TITLE=FILE: a markdown table to print under the main one")
    a = ap.parse_args()
    runs = [json.loads(l) for l in open(a.runs) if l.strip()]
    notes = [l.rstrip("\n") for l in open(a.notes) if l.strip()]
    env = {k[6:].lower(): v for k, v in os.environ.items() if k.startswith("BENCH_")}
    m = machine()
    rows, ok = [], True
    for line in open(a.scenarios):
        name, kind, desc, peer_svc, module, present, limit_svc, rate = \
            line.rstrip("\n").split("\t")
        if kind in ("bisect", "reload"):
            continue  # sections below the table
        peer = summarize([x for x in runs if x["scenario"] == name and x["target"] == "peer"],
                         rate)
        sk = summarize([x for x in runs if x["scenario"] == name and x["target"] == "sekisho"],
                       rate)
        row = {"scenario": name, "kind": kind, "description": desc, "peer_service": peer_svc,
               "sekisho_module": module or None, "module_present": present == "1",
               "peer": peer, "sekisho": sk, "ratio": None, "note": ""}
        if not peer or not peer["req_per_s"]:
            ok = False
        if kind == "icap" and (not sk or not sk["req_per_s"]):
            ok = False
        if kind == "icap" and peer and sk and peer["req_per_s"]:
            r = sk["req_per_s"] / peer["req_per_s"]
            row["ratio_raw"] = r
            if module and present != "1":
                row["note"] = "sekisho: no %s module yet (passthrough)" % module
            else:
                row["ratio"] = r
        if limit_svc and sk:
            # The limit is measured in each round right next to Sekisho;
            # the median of the per-round ratios resists machine noise
            # that the ratio of two medians taken minutes apart does not.
            lim = summarize([x for x in runs if x["scenario"] == name and x["target"] == "limit"])
            pairs = paired(runs, name, "limit")
            if lim and pairs:
                row["limit"] = lim
                row["limit_service"] = limit_svc
                row["limit_ratio"] = statistics.median(pairs)
                row["limit_ratios"] = pairs
                row["note"] = (row["note"] + "; " if row["note"] else "") + (
                    "%s in the same rounds %s req/s: %.2f of it (median of per-round ratios %s)"
                    % (limit_svc, fmt(lim["req_per_s"]), row["limit_ratio"],
                       " ".join("%.2f" % x for x in pairs)))
        if kind == "icap" and peer and sk:
            pp = paired(runs, name, "peer")
            if pp:
                row["paired_ratio"] = statistics.median(pp)
        if limit_svc and peer and sk and row.get("limit") and peer["best"]:
            # The external generator took the best of 3 runs.
            b = "best of %d rounds: %.2f of %s, %.2f of %s" % (
                sk["rounds"], sk["best"] / peer["best"], peer_svc,
                sk["best"] / row["limit"]["best"], limit_svc)
            row["note"] = (row["note"] + "; " if row["note"] else "") + b
        if rate == "ok":
            # Concurrency rows: what each server did with what it did not serve.
            def refusals(t):
                return "%d x 5xx, %d refused, %d reset, %d timed out" % (
                    t["status"]["5xx"], t["refused"], t["resets"], t["timeouts"])
            c = "req/s counts 200/204 only; peer %s; sekisho %s" % (
                refusals(peer) if peer else "-", refusals(sk) if sk else "-")
            row["note"] = (row["note"] + "; " if row["note"] else "") + c
        if peer_svc == "echo" and module == "dlp":
            row["note"] = (row["note"] + "; " if row["note"] else "") + "peer has no DLP service"
        if name.startswith("stream") and peer and sk:
            g = ("RSS growth peer/sekisho %.1f / %.1f MB, of it their own memory (RssAnon) "
                 "%.1f / %.1f MB (the rest: pages of the spill file mapped to read it)" %
                 (peer["growth_mb"], sk["growth_mb"], peer["anon_growth_mb"], sk["anon_growth_mb"]))
            row["note"] = (row["note"] + "; " if row["note"] else "") + g
        errs = [("peer", peer), ("sekisho", sk)]
        e = ["%s %d errors" % (n, s["errors"]) for n, s in errs if s and s.get("errors")]
        if e and rate != "ok":
            row["note"] = (row["note"] + "; " if row["note"] else "") + ", ".join(e)
        if kind == "raw" and peer:
            row["note"] = "%d threads, engine load+compile %.1f s" % (peer["threads"], peer["load_s"])
        rows.append(row)

    def cell(s, key, nd=1):
        return fmt(s[key], nd) if s else "-"

    def lat(s):
        return "%s / %s" % (fmt(s["p50"], 2), fmt(s["p99"], 2)) if s else "-"

    def mem(p, s):
        if not p:
            return "-"
        if not s:
            return "%s" % fmt(p["rss_mb"], 0)
        txt = "%s / %s" % (fmt(p["rss_mb"], 0), fmt(s["rss_mb"], 0))
        if p["pss_mb"] is not None:
            txt += " (%s / %s)" % (fmt(p["pss_mb"], 0), fmt(s["pss_mb"], 0))
        return txt

    out = []
    mode = "quick" if env.get("quick") == "1" else "full"
    out.append("## Sekisho benchmark, %s UTC (%s run)" % (env.get("stamp", "?"), mode))
    out.append("")
    out.append("Machine: %s, %s cores, %d MB RAM, Linux %s, Debian %s; c-icap %s, "
               "c-icap-modules %s, libclamav %s." % (m["cpu"], m["cores"], m["ram_mb"],
                                                    m["kernel"], m["debian"], m["c-icap"],
                                                    m["c-icap-modules"], m["libclamav"]))
    out.append("Settings: %s rounds (median), %s s per run, %s connections, %s threads per "
               "c-icap child on both servers; %s hash + %s body signatures, %s domains; "
               "input generation %s s, peer start %s s, whole run %s s; "
               "load average at start %s. Signature set: %s. Temporary files (every "
               "server's, and the raw loop's): %s." % (
                   env.get("rounds"), env.get("duration"), env.get("connections"),
                   env.get("threads"), env.get("hashes"), env.get("patterns"),
                   env.get("domains"), env.get("gen_s"), env.get("peer_start_s"),
                   env.get("elapsed_s"), env.get("load_start"), env.get("sig_shape", "?"),
                   env.get("tmp_fs", "?")))
    out.append("")
    out.append("| scenario | peer service | peer req/s | sekisho req/s | ratio | peer MB/s "
               "| sekisho MB/s | p50/p99 ms peer | p50/p99 ms sekisho "
               "| peak RSS MB peer/sekisho (PSS) | notes |")
    out.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|")
    for r in rows:
        p, s = r["peer"], r["sekisho"]
        ratio = "%.2f" % r["ratio"] if r["ratio"] is not None else (
            "n/a" if r["kind"] == "icap" else "")
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["description"], r["peer_service"], cell(p, "req_per_s"), cell(s, "req_per_s"),
            ratio, cell(p, "mb_per_s"), cell(s, "mb_per_s"), lat(p), lat(s), mem(p, s),
            r["note"]))
    out.append("")
    out.append("Limit rows: peer column only (the echo service, or bench_rawscan scans/s "
               "and MB/s with the same engine and bodies). Ratio is sekisho/peer req/s; "
               "n/a where Sekisho lacks the module and only passed the data through.")
    out.append("")
    out += transaction_bound(rows, runs)
    out += sections(runs, a.section or [])
    out += ["- " + n for n in notes]
    md = "\n".join(out) + "\n"
    for path in (a.md, a.latest):
        with open(path, "w") as f:
            f.write(md)
    with open(a.json, "w") as f:
        json.dump({"machine": m, "settings": env, "rows": rows, "notes": notes,
                   "runs": runs}, f, indent=1)
    sys.stdout.write(md)
    if not ok:
        sys.stderr.write("report.py: a scenario produced no requests (see the table)\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
