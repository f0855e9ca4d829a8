#!/usr/bin/env python3
"""Schedules (issue 14 item 1) through the real c-icap daemon.

A server started with --test-clock decides schedules at the time the ICAP
client sends in X-Sekisho-Test-Clock, so the test drives the clock instead
of waiting: a URL rule blocks only inside its schedule (business hours in
Asia/Tokyo), a '!NAME' rule only outside it, a category block only inside;
the same instant written with another offset decides the same; a changed
schedule is picked up without a restart. A server started without
--test-clock ignores the header and decides on the node's clock. The
sekisho-policy schedule commands refuse bad input (exit 2, nothing
changed) and `schedule rm` names what still uses a schedule; `check --at`
explains the schedule.

Usage: test_schedule.py --build-dir BUILD
Prints one PASS/FAIL line per check and a summary; exits 1 on any failure.
"""

import argparse
import datetime
import os
import sys
import tempfile
import time
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from icaplib import (Check, SekishoServer, StartupError, check_asan,  # noqa: E402
                     check_started, transact)
from test_url_block import (Ctx, check_blocked, check_passes, req_head,  # noqa: E402
                            write_category)

WED_1030 = "2026-12-02T10:30:00+09:00"  # Wednesday, inside business hours
WED_1030_Z = "2026-12-02T01:30:00Z"  # the same instant
WED_1230 = "2026-12-02T12:30:00+09:00"  # lunch: outside
WED_1800 = "2026-12-02T18:00:00+09:00"  # the end of the last range: outside
WED_1759 = "2026-12-02T17:59:59+09:00"
SAT_1030 = "2026-12-05T10:30:00+09:00"  # Saturday: outside
THU_2030_NY = "2026-12-03T20:30:00-05:00"  # Friday 10:30 in Tokyo: inside


def at(cx, url, clock):
    """REQMOD for URL with the test clock set to CLOCK (None: no header)."""
    c = cx.srv.conn(20)
    try:
        extra = ("X-Sekisho-Test-Clock: %s" % clock,) if clock else ()
        return transact(c, "REQMOD", cx.srv.url("REQ-Service"), req_head("GET", url), None, None,
                        allow204=True, extra=extra), c
    finally:
        c.close()


def setup_policy(srv, tmp):
    srv.init_db()
    srv.policy_cmd("schedule", "add", "business", "--days", "mon-fri", "--time", "09:00-12:00",
                   "--time", "13:00-18:00", "--tz", "Asia/Tokyo")
    srv.policy_cmd("url", "add", "--list", "block", "--match", "domain", "games.test",
                   "--when", "business")
    srv.policy_cmd("url", "add", "--list", "block", "--match", "domain", "news.test",
                   "--when", "!business")
    srv.policy_cmd("url", "add", "--list", "block", "--match", "domain", "always.test")
    cat = os.path.join(tmp, "gambling")
    write_category(cat)
    srv.policy_cmd("category", "import", "gambling", cat)
    srv.policy_cmd("category", "block", "gambling", "--when", "business")


def g_clock(cx):
    ck = cx.ck
    cases = [
        ("http://games.test/", WED_1030, True, "block:domain:games.test"),
        ("http://games.test/", WED_1030_Z, True, "same instant, Z"),
        ("http://games.test/", THU_2030_NY, True, "the schedule's zone decides"),
        ("http://games.test/", WED_1759, True, "last second inside"),
        ("http://games.test/", WED_1230, False, "lunch"),
        ("http://games.test/", WED_1800, False, "18:00 is outside"),
        ("http://games.test/", SAT_1030, False, "Saturday"),
        ("http://news.test/", WED_1030, False, "!business inside"),
        ("http://news.test/", WED_1230, True, "!business at lunch"),
        ("http://news.test/", SAT_1030, True, "!business on Saturday"),
        ("http://casino.test/", WED_1030, True, "category block inside"),
        ("http://casino.test/", SAT_1030, False, "category block outside"),
        ("http://always.test/", SAT_1030, True, "rule without a schedule"),
    ]
    for url, clock, blocked, why in cases:
        r, c = at(cx, url, clock)
        name = "%s at %s (%s)" % (url, clock, why)
        if blocked:
            check_blocked(cx, name, r, c)
        else:
            check_passes(cx, name, r, c)
    # the access log names the rule that decided
    r, c = at(cx, "http://games.test/wed", WED_1030)
    lines = [ln for ln in cx.srv.log_lines() if b"games.test/wed" in ln]
    deadline = time.monotonic() + 5
    while not lines and time.monotonic() < deadline:
        time.sleep(0.1)
        lines = [ln for ln in cx.srv.log_lines() if b"games.test/wed" in ln]
    ck.ok("access log names block:domain:games.test", lines and
          b"block:domain:games.test" in lines[-1], lines)


def g_reload(cx):
    """A changed schedule applies without a restart (new snapshot). Every
    c-icap child reloads on its own (within a second of the change), so
    wait until several answers in a row show the new hours."""
    cx.srv.policy_cmd("schedule", "add", "business", "--days", "mon-fri", "--time",
                      "09:00-11:00", "--tz", "Asia/Tokyo")

    def new_hours():
        r1, _ = at(cx, "http://games.test/", "2026-12-02T11:30:00+09:00")
        r2, _ = at(cx, "http://games.test/", "2026-12-02T10:59:00+09:00")
        return (r1 is not None and r1.status == 204 and r2 is not None and r2.status == 200
                and r2.http_status() == 403)
    # a reload waits for the previous one's children to exit: slow under ASan
    wait = 60 if os.environ.get("SEKISHO_SANITIZED") else 15
    deadline, streak = time.monotonic() + wait, 0
    while streak < 8 and time.monotonic() < deadline:
        streak = streak + 1 if new_hours() else 0
        if streak == 0:
            time.sleep(0.2)
    cx.ck.ok("schedule changed to 09:00-11:00 without a restart: 8 answers in a row pass"
             " Wed 11:30 and block Wed 10:59", streak >= 8, "streak %d" % streak)
    r, c = at(cx, "http://games.test/", "2026-12-02T11:30:00+09:00")
    check_passes(cx, "schedule changed to 09:00-11:00 (no restart): Wed 11:30 passes", r, c)
    r, c = at(cx, "http://games.test/", "2026-12-02T10:59:00+09:00")
    check_blocked(cx, "schedule changed to 09:00-11:00 (no restart): Wed 10:59 blocked", r, c)


def inside_now():
    """Is the node's clock inside business hours (Asia/Tokyo) right now?"""
    now = datetime.datetime.now(zoneinfo.ZoneInfo("Asia/Tokyo"))
    m = now.hour * 60 + now.minute
    return now.weekday() < 5 and (540 <= m < 720 or 780 <= m < 1080)


def g_no_test_clock(ck, build, tmp):
    """Without --test-clock the header is ignored: the node's clock decides."""
    srv = SekishoServer(build, modules="url_block", name="noclock", test_signatures=False)
    setup_policy(srv, tmp)
    try:
        srv.start()
        check_started(ck, srv, "server without --test-clock starts", 1)
        cx = Ctx(ck, srv, build)
        for _ in range(3):
            before = inside_now()
            # claim the opposite of what the real clock says
            r, c = at(cx, "http://games.test/", SAT_1030 if before else WED_1030)
            if inside_now() == before:
                break
        name = "no --test-clock: X-Sekisho-Test-Clock ignored, node clock (%s) decides" % (
            "inside" if before else "outside")
        if before:
            check_blocked(cx, name, r, c)
        else:
            check_passes(cx, name, r, c)
    except StartupError as e:
        ck.ok("server without --test-clock starts", False, str(e))
    finally:
        ck.eq("server without --test-clock stops cleanly", srv.stop(), 0)
        srv.cleanup()


def g_cli(ck, srv):
    def run(*args):
        return srv.policy_cmd(*args, check=False)

    gen = run("generation").stdout
    for args, msg in [
        (("--days", "mon-fx"), "is not a day"),
        (("--time", "18:00-09:00"), "cannot cross midnight"),
        (("--time", "24:00-24:00"), "24:00 can only end"),
        (("--time", "9:00-12:00"), "HH:MM-HH:MM"),
        (("--time", "09:00-12:00", "--tz", "Mars/Olympus"), "unknown time zone"),
        (("--time", "09:00-12:00", "--tz", "../../etc/passwd"), "invalid time zone"),
        ((), "give --days"),
    ]:
        p = run("schedule", "add", "bad", *args)
        ck.ok("schedule add %s: exit 2, %r" % (" ".join(args), msg),
              p.returncode == 2 and msg.encode() in p.stderr, p.stderr)
    p = run("schedule", "add", "!neg", "--days", "all")
    ck.ok("schedule add !neg: refused", p.returncode == 2, p.stderr)
    p = run("url", "add", "--list", "block", "--match", "domain", "x.test", "--when", "ghost")
    ck.ok("url add --when ghost: exit 2, no such schedule",
          p.returncode == 2 and b"no schedule 'ghost'" in p.stderr, p.stderr)
    ck.eq("bad input changed nothing (same generation)", run("generation").stdout, gen)
    p = run("schedule", "rm", "business")
    ck.ok("schedule rm business: refused, naming the rules and the category block",
          p.returncode == 2 and b"games.test" in p.stderr and b"news.test" in p.stderr
          and b"category block gambling" in p.stderr, p.stderr)
    p = run("schedule", "list")
    ck.ok("schedule list: business mon-fri Asia/Tokyo used by 3",
          b"business" in p.stdout and b"mon-fri" in p.stdout and b"Asia/Tokyo" in p.stdout
          and p.stdout.rstrip().endswith(b"3"), p.stdout)
    p = run("check", "http://games.test/", "--at", WED_1230)
    ck.ok("check --at lunch: allow, says the rule's schedule does not apply and why",
          p.returncode == 0 and b"allow" in p.stdout and b"not applied" in p.stdout
          and b"Wed 12:30 is outside" in p.stdout, p.stdout)
    p = run("check", "http://games.test/", "--at", WED_1030)
    ck.ok("check --at Wed 10:30: block, inside business",
          p.stdout.startswith(b"block") and b"Wed 10:30 is inside" in p.stdout, p.stdout)
    p = run("check", "http://games.test/", "--at", "2026-12-02T10:30:00")
    ck.ok("check --at without an offset: exit 2", p.returncode == 2, p.stderr)
    # history/rollback: a schedule change is a generation; rollback undoes it
    gen = int(run("generation").stdout.split()[-1])
    h0 = run("hash").stdout
    run("schedule", "add", "business", "--days", "sat,sun", "--tz", "UTC")
    ck.ok("schedule replace changes the content hash", run("hash").stdout != h0, "")
    p = run("rollback", str(gen))
    ck.ok("rollback restores the schedule (same content hash)",
          p.returncode == 0 and run("hash").stdout == h0
          and b"mon-fri" in run("schedule", "list").stdout, p.stderr)
    p = run("history", "--limit", "3")
    ck.ok("history records the schedule command", b"schedule add business --days sat,sun"
          in p.stdout, p.stdout)
    p = run("export")
    ck.ok("export carries the schedule and the whens",
          b'"schedules"' in p.stdout and b'"when": "!business"' in p.stdout
          and b'"scheduled_categories"' in p.stdout, p.stdout[:2000])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    a = ap.parse_args()
    build = os.path.abspath(a.build_dir)
    ck = Check("schedule integration")
    ck.ok("tzdata installed (Asia/Tokyo)", os.path.exists("/usr/share/zoneinfo/Asia/Tokyo"))
    if ck.failed:
        return ck.summary()
    tmp = tempfile.mkdtemp(prefix="sekisho-sched-")
    srv = SekishoServer(build, modules="url_block", name="sched", test_signatures=False,
                        extra_args=["--test-clock"])
    try:
        setup_policy(srv, tmp)
        srv.start()
        check_started(ck, srv, "server starts with --test-clock", 1)
    except StartupError as e:
        ck.ok("server starts with --test-clock", False, str(e))
        srv.stop()
        return ck.summary()
    cx = Ctx(ck, srv, build)
    try:
        ck.group("clock", g_clock, cx)
        ck.group("cli", g_cli, ck, srv)
        ck.group("reload", g_reload, cx)
    finally:
        rc = srv.stop()
        ck.eq("server stops cleanly (rc 0)", rc, 0)
        if ck.failed:
            print("--- server stderr (tail):\n%s" % srv.stderr_text()[-3000:])
            print(srv.daemon_log_tail())
    ck.group("no-test-clock", g_no_test_clock, ck, build, tmp)
    check_asan(ck)
    srv.cleanup()
    return ck.summary()


if __name__ == "__main__":
    sys.exit(main())
