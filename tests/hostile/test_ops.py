#!/usr/bin/env python3
"""Operations hardening (issue 11 and issue 18 section 1), through the real
c-icap daemon started by build/bin/sekisho-server:

  signatures  no ClamAV signatures: refused with one line naming the
              directory and freshclam; --test-signatures starts and warns
              on stderr
  private     an existing run dir of ours is made 0700, server.log and the
              access log are 0600, stale spill files are swept at start, a
              run dir of another user is refused
  serverlog   another client's body never reaches server.log (the stale
              buffer of c-icap's chunk-error message), client text never
              starts a log line, at the default and at the highest debug level
  spill       kill -9 of a child holding a spilled body leaves nothing in
              RUN/tmp, the server keeps serving, RUN/tmp is empty after stop
  accesslog   on a full disk (a 256 KiB tmpfs mounted here) no line is
              broken, the loss is counted in the server log, and once space
              is back a record says how many lines were lost: lines written
              plus lines reported lost equals requests sent

Needs root for mount/chown; without them the test fails, it does not skip.
Usage: test_ops.py --build-dir BUILD [--only GROUP[,GROUP]]
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from icaplib import (Check, SekishoServer, StartupError, transact,  # noqa: E402
                     http_req_head, http_res_head, check_asan, build_head,
                     run_launcher_expect_failure)

# c-icap's server-log line: "Tue Dec  1 06:19:14 2026, main proc, ..." or
# "..., 24181/132110016, ..."
LOG_LINE = re.compile(rb"^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}, "
                      rb"(main proc|\d+/\d+), ")
SECRET = b"SECRET-7d41c"
FORGED = b"Child 4242 did not exit normally"


def poll(fn, timeout, step=0.1):
    """fn() until truthy or timeout; returns the last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(step)


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


def mode(path):
    return os.stat(path).st_mode & 0o7777


def respmod_ok(srv, body=b"clean body for ops", allow204=False):
    c = srv.conn(10)
    try:
        r = transact(c, "RESPMOD", srv.url("respmod"),
                     req_hdr=http_req_head("GET", "http://origin.test/ops"),
                     res_hdr=http_res_head(body_len=len(body)), body=body,
                     allow204=allow204)
        return r.status == 204 or (r.status == 200 and r.body == body)
    finally:
        c.close()


def serves(srv):
    try:
        return respmod_ok(srv)
    except (OSError, EOFError, Exception):  # noqa: BLE001 - any failure: not serving
        return False


# ---------------------------------------------------------------------------

def g_signatures(ck, build, tmp):
    empty = os.path.join(tmp, "clamav-empty")
    os.makedirs(empty, exist_ok=True)
    srv = SekishoServer(build, modules="virus_scan", name="nosig", test_signatures=False,
                        extra_args=["--clamav-db", empty])
    srv.init_db()
    rc, out, err = run_launcher_expect_failure(srv)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    ck.ok("no signatures, no flag: exits non-zero", rc not in ("started", "timeout", 0), rc)
    ck.ok("no signatures: exactly one stderr line naming the directory and freshclam",
          len(lines) == 1 and os.path.realpath(empty) in lines[0] and "freshclam" in lines[0]
          and "--test-signatures" in lines[0], err)
    srv.cleanup()

    srv = SekishoServer(build, modules="virus_scan", name="testsig",
                        extra_args=["--clamav-db", empty])
    try:
        srv.start()
        ck.ok("--test-signatures: serves", serves(srv))
        err = srv.stderr_text()
        ck.ok("--test-signatures: the TEST-signature warning is on stderr",
              "WARNING" in err and "TEST signatures" in err and "freshclam" in err, err[-800:])
    finally:
        srv.stop()
        srv.cleanup()


def g_private(ck, build, tmp):
    srv = SekishoServer(build, modules="url_block", name="priv")
    os.makedirs(os.path.join(srv.run_dir, "tmp"))
    os.chmod(srv.run_dir, 0o755)
    os.chmod(os.path.join(srv.run_dir, "tmp"), 0o777)
    stale = os.path.join(srv.run_dir, "tmp", "CI_TMP_stale1")
    with open(stale, "wb") as f:
        f.write(b"a body of a client of a run that was killed")
    try:
        srv.start()
        ck.ok("serves", serves(srv))
        ck.eq("existing run dir (was 0755) is 0700", oct(mode(srv.run_dir)), oct(0o700))
        ck.eq("RUN/tmp (was 0777) is 0700", oct(mode(os.path.join(srv.run_dir, "tmp"))),
              oct(0o700))
        ck.eq("server.log is 0600", oct(mode(os.path.join(srv.run_dir, "server.log"))),
              oct(0o600))
        ck.ok("access log exists", poll(lambda: os.path.exists(srv.access_log), 5))
        ck.eq("access log is 0600", oct(mode(srv.access_log)), oct(0o600))
        ck.eq("c-icap.pid is 0600", oct(mode(os.path.join(srv.run_dir, "c-icap.pid"))),
              oct(0o600))
        ck.ok("a stale spill file of an earlier run is swept at start", not os.path.exists(stale))
    finally:
        srv.stop()
        srv.cleanup()

    # RUN/tmp a symlink to somewhere else: refused (held bodies would leave)
    srv = SekishoServer(build, modules="url_block", name="link")
    os.makedirs(srv.run_dir)
    elsewhere = os.path.join(srv.tmp, "elsewhere")
    os.makedirs(elsewhere)
    os.symlink(elsewhere, os.path.join(srv.run_dir, "tmp"))
    srv.init_db()
    rc, out, err = run_launcher_expect_failure(srv)
    ck.ok("RUN/tmp a symlink: refused with a message naming it",
          rc not in ("started", "timeout", 0) and "/tmp is not a directory" in err,
          "rc=%r %s" % (rc, err))
    srv.cleanup()

    # someone else's run directory: refused, named, left alone
    srv = SekishoServer(build, modules="url_block", name="other")
    os.makedirs(srv.run_dir)
    os.chmod(srv.run_dir, 0o755)
    os.chown(srv.run_dir, 65534, 65534)
    srv.init_db()
    rc, out, err = run_launcher_expect_failure(srv)
    ck.ok("run dir of another user: refused with a message naming it",
          rc not in ("started", "timeout", 0) and srv.run_dir in err and "uid 65534" in err,
          "rc=%r %s" % (rc, err))
    ck.eq("run dir of another user: mode untouched", oct(mode(srv.run_dir)), oct(0o755))
    srv.cleanup()


def secret_body():
    return (b"user=alice&password=" + SECRET + b"&") * 400


def send_raw(srv, data, timeout=5.0):
    c = srv.conn(timeout)
    try:
        c.send(data)
        try:
            c.sock.shutdown(1)
        except OSError:
            pass
        try:
            while c.sock.recv(65536):
                pass
        except OSError:
            pass
    finally:
        c.close()


def hostile_rounds(srv, rounds):
    """A client with a secret in its body, then one with a bad chunk in its
    preview that carries forged log lines, on fresh connections."""
    hh = http_req_head("POST", "http://origin.test/login", extra=("Content-Type: x",))
    for i in range(rounds):
        body = secret_body()
        c = srv.conn(10)
        try:
            transact(c, "REQMOD", srv.url("reqmod"), req_hdr=hh, body=body, allow204=True)
        finally:
            c.close()
        forged = (b"zz\r\n" + FORGED + b"\r\n<script>alert(1)</script>\x1b[31m\r\n"
                  b"\nmain proc, " + FORGED + b"\r\n")
        head = build_head("REQMOD", srv.url("reqmod"), req_hdr=hh, has_body=True,
                          preview=1024, allow204=True)
        send_raw(srv, head + forged)
        # and after a good chunk, in the body phase
        head = build_head("REQMOD", srv.url("reqmod"), req_hdr=hh, has_body=True,
                          allow204=True)
        send_raw(srv, head + b"5\r\nhello\r\n" + forged)


def check_log_text(ck, what, text, need_chunk_error, prefixed=True):
    lines = text.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    bad = [ln for ln in lines if not LOG_LINE.match(ln)]
    ck.ok("%s: no secret of another client" % what, SECRET not in text,
          text[text.find(SECRET) - 200: text.find(SECRET) + 50] if SECRET in text else "")
    if prefixed:  # the stdout copy has no prefix; the checks below still apply
        ck.ok("%s: every line starts with c-icap's timestamp and pid (no forged line)" % what,
              lines and not bad, bad[:3])
    ck.ok("%s: no line starts with the forged text" % what,
          not any(ln.startswith(FORGED) or ln.startswith(b"main proc") for ln in lines))
    ck.ok("%s: no raw markup or control characters" % what,
          b"<script>" not in text and b"\x1b" not in text and b"\r" not in text)
    if need_chunk_error:
        ck.ok("%s: the chunk errors are still logged" % what,
              b"Error parsing chunks" in text, text[-600:])


def g_serverlog(ck, build, tmp):
    srv = SekishoServer(build, modules="url_block", name="slog")
    try:
        srv.start()
        hostile_rounds(srv, 25)
        ck.ok("serves after the hostile rounds", serves(srv))
        log = os.path.join(srv.run_dir, "server.log")
        poll(lambda: read(log).count(b"Error parsing chunks") >= 25, 5)
        check_log_text(ck, "DebugLevel 1 server.log", read(log), True)
    finally:
        srv.stop()
        srv.cleanup()
    # the most talkative level prints headers and buffers: still escaped
    srv = SekishoServer(build, modules="url_block", name="slog10", debug=10)
    try:
        srv.start()
        hh = http_req_head("GET", "http://origin.test/a\x1bb<script>",
                           extra=("X-Note: a\x7fb\x1b[2J<script>",))
        c = srv.conn(10)
        try:
            transact(c, "REQMOD", srv.url("reqmod"), req_hdr=hh)
        finally:
            c.close()
        hostile_rounds(srv, 2)
        ck.ok("debug 10: serves", serves(srv))
        text = read(os.path.join(srv.run_dir, "server.log"))
        ck.ok("debug 10: the request was logged (escaped)", b"\\x1b" in text, len(text))
        check_log_text(ck, "DebugLevel 10 server.log", text, True)
        check_log_text(ck, "DebugLevel 10 c-icap.out (stdout copy)",
                       read(os.path.join(srv.run_dir, "c-icap.out")), False, False)
    finally:
        srv.stop()
        srv.cleanup()


def spill_fds(tmp_dir):
    """[(pid, fd path, target, size)] of open files under tmp_dir."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        d = "/proc/%s/fd" % pid
        try:
            fds = os.listdir(d)
        except OSError:
            continue
        for fd in fds:
            p = os.path.join(d, fd)
            try:
                t = os.readlink(p)
            except OSError:
                continue
            if t.startswith(tmp_dir + "/CI_TMP_"):
                try:
                    size = os.stat(p).st_size
                except OSError:
                    size = -1
                out.append((int(pid), p, t, size))
    return out


def named_spills(tmp_dir):
    try:
        return [n for n in os.listdir(tmp_dir) if n.startswith("CI_TMP_")]
    except OSError:
        return ["<cannot list %s>" % tmp_dir]


def g_spill(ck, build, tmp):
    empty = os.path.join(tmp, "clamav-empty")
    os.makedirs(empty, exist_ok=True)
    srv = SekishoServer(build, modules="virus_scan", name="spill",
                        extra_args=["--clamav-db", empty])
    tmp_dir = os.path.join(srv.run_dir, "tmp")
    try:
        srv.start()
        tmp_dir = os.path.realpath(tmp_dir)
        size = 6 << 20
        body = (b"0123456789abcdef" * (size // 16))
        # a download (RESPMOD) and an upload (REQMOD), both held: no Allow: 204
        for what, head in (
                ("download", build_head("RESPMOD", srv.url("respmod"),
                                        req_hdr=http_req_head("GET", "http://origin.test/big"),
                                        res_hdr=http_res_head(body_len=size), has_body=True)),
                ("upload", build_head("REQMOD", srv.url("reqmod"),
                                      req_hdr=http_req_head("POST", "http://origin.test/up",
                                                            body_len=size), has_body=True))):
            c = srv.conn(30)
            c.send(head)
            for i in range(0, 4 << 20, 65536):  # 4 MiB of 6, no last chunk
                c.send(b"10000\r\n" + body[i:i + 65536] + b"\r\n")
            held = poll(lambda: [x for x in spill_fds(tmp_dir) if x[3] >= (2 << 20)], 15)
            ck.ok("%s: a held body over 1 MiB spills to RUN/tmp/CI_TMP_* (private run dir)"
                  % what, held, spill_fds(tmp_dir))
            ck.ok("%s: the spill file has no name while in use" % what,
                  held and not named_spills(tmp_dir), named_spills(tmp_dir))
            if held:
                os.kill(held[0][0], signal.SIGKILL)
                gone = poll(lambda: not spill_fds(tmp_dir) and not named_spills(tmp_dir), 10)
                ck.ok("%s: kill -9 of the child: no spill file left in RUN/tmp within 10 s"
                      % what, gone,
                      "fds %s names %s" % (spill_fds(tmp_dir), named_spills(tmp_dir)))
            c.close()
            ck.ok("%s: serves after the kill (within 20 s)" % what,
                  poll(lambda: serves(srv), 20, 0.5))
        ck.ok("a held body still passes byte-identical", poll(lambda: respmod_ok(
            srv, body[:(3 << 20)]), 10, 0.5))
    finally:
        srv.stop()
    ck.ok("after stop: RUN/tmp holds nothing", os.path.isdir(tmp_dir) and
          not os.listdir(tmp_dir), os.listdir(tmp_dir) if os.path.isdir(tmp_dir) else "no dir")
    srv.cleanup()


def mount_tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0700" % size, "tmpfs",
                        path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return p.returncode == 0, p.stdout.decode(errors="replace")


def fill(path):
    """Write path until the file system is full; returns bytes written."""
    n = 0
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                n += f.write(b"x" * 4096)
        except OSError:
            pass
        try:
            while True:
                n += f.write(b"x")
        except OSError:
            pass
    return n


def g_accesslog(ck, build, tmp):
    mnt = os.path.join(tmp, "small")
    # 256 KiB: full once filled; after the filler goes, room for the ~100 KB
    # of lines that follow
    ok, why = mount_tmpfs(mnt, "256k")
    if not ck.ok("mount a 256 KiB tmpfs for the access log (needs root)", ok, why):
        return
    srv = SekishoServer(build, modules="url_block", name="full")
    srv.access_log = os.path.join(mnt, "access.log")
    sent = 0
    try:
        srv.start()

        def burst(n, threads=1):
            """n requests on `threads` parallel clients; returns how many
            were answered correctly. Parallel clients reach several children
            and make each batch its lines (several lines per write)."""
            res = []

            def run(k):
                res.append(sum(serves(srv) for _ in range(k)))
            ts = [threading.Thread(target=run, args=(n // threads + (i < n % threads),))
                  for i in range(threads)]
            for t in ts:
                t.start()
            for t in ts:
                t.join(120)
            return sum(res)

        ok1 = burst(5)
        sent += 5
        poll(lambda: read(srv.access_log).count(b"\n") >= 5, 5)
        filler = os.path.join(mnt, "filler")
        fill(filler)
        ok2 = burst(200) + burst(400, threads=8)
        sent += 600
        ck.eq("disk full: every request still answered", ok1 + ok2, 605)
        slog = os.path.join(srv.run_dir, "server.log")
        warned = poll(lambda: b"cannot write" in read(slog), 5)
        ck.ok("disk full: the server log says lines are lost", warned, read(slog)[-800:])
        n_warn = read(slog).count(b"cannot write")
        ck.ok("disk full: the message is rate-limited (at most one per child, got %d)" % n_warn,
              1 <= n_warn <= 4)
        os.unlink(filler)
        ok3 = burst(20) + burst(200, threads=8)
        sent += 220
        ck.eq("space back: requests answered", ok3, 220)

        def tally():
            data = read(srv.access_log)
            recs, broken = [], []
            for ln in data.split(b"\n")[:-1]:
                try:
                    recs.append(json.loads(ln))
                except ValueError:
                    broken.append(ln)
            lost = sum(r.get("lost_lines", 0) for r in recs
                       if r.get("event") == "access_log_lost")
            txns = sum(1 for r in recs if "txn" in r)
            return data, recs, broken, lost, txns

        done = poll(lambda: (lambda t: t[3] + t[4] == sent)(tally()), 10)
        data, recs, broken, lost, txns = tally()
        ck.ok("the file ends with a newline", data.endswith(b"\n"), data[-100:])
        ck.ok("every line is valid JSON (no broken line)", not broken, broken[:2])
        ck.ok("lines were really lost (the disk was full): %d" % lost, lost > 0)
        ck.ok("transaction lines + reported lost lines == requests sent (%d + %d vs %d)"
              % (txns, lost, sent), done,
              b"\n".join(ln for ln in read(slog).split(b"\n")
                         if b"access log" in ln or b"hild" in ln or b"server" in ln))
        ck.ok("logging resumed: the 5 lines before and the 220 after are all in the file",
              txns >= 225, txns)
        ck.ok("the server log says writing resumed",
              poll(lambda: b"writing again" in read(slog), 5), read(slog)[-600:])
    finally:
        srv.stop()
        subprocess.run(["umount", mnt])
        srv.cleanup()


GROUPS = [("signatures", g_signatures), ("private", g_private), ("serverlog", g_serverlog),
          ("spill", g_spill), ("accesslog", g_accesslog)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    build = os.path.abspath(args.build_dir)
    ck = Check("ops")
    only = set(x for x in args.only.split(",") if x)
    tmp = tempfile.mkdtemp(prefix="sekisho-ops-")
    try:
        for name, fn in GROUPS:
            if not only or name in only:
                ck.group(name, fn, ck, build, tmp)
        check_asan(ck)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return ck.summary()


if __name__ == "__main__":
    sys.exit(main())
