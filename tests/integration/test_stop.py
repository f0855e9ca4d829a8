#!/usr/bin/env python3
"""Stopping under load (issue 15 item 4): SIGTERM finishes what is in flight.

Keep-alive clients run a bounded loop of RESPMOD transactions whose bodies
arrive in slow pieces, so that transactions are half-sent when the launcher
gets SIGTERM. Checks: every transaction whose first byte was sent before
the server closed gets its whole, correct answer (none cut, none reset);
the launcher exits 0 within 5 s without having to SIGKILL c-icap; the port
is free and no process is left. Then SIGHUP under the same load: no failed
transaction and the server keeps serving.

Trust: test harness only; talks to the server it starts on loopback.
"""

import argparse
import os
import select
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from icaplib import (Check, SekishoServer, StartupError, IcapConn, build_head,  # noqa: E402
                     chunk, read_response, http_req_head, http_res_head, make_body,
                     port_is_free, ProtocolError, children_of)

CLIENTS = 8
PIECES = 4          # body pieces per transaction
PIECE_GAP = 0.05    # seconds between pieces: ~0.2 s per transaction
MAX_TXNS = 400      # per client: the loop is bounded even if stop never comes
STOP_LIMIT = 5.0    # seconds from SIGTERM to the launcher's exit


class Client(threading.Thread):
    """Keep-alive RESPMOD loop. A transaction counts as started once its
    first byte is sent; it then must end with the whole echoed body."""

    def __init__(self, port, idx, stop_evt):
        super().__init__(daemon=True)
        self.port, self.idx, self.stop_evt = port, idx, stop_evt
        self.ok = 0
        self.failed = []
        self.refused = 0
        self.retried = 0
        self.ended = threading.Event()

    def _closed(self, c):
        """The server closed this idle connection (FIN or RST pending)."""
        try:
            r, _, _ = select.select([c.sock], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(r)

    def one(self, c, n):
        body = make_body(16384 + n % 997, seed=self.idx * 1000 + n)
        head = build_head("RESPMOD", "icap://127.0.0.1:%d/respmod" % self.port,
                          http_req_head("GET", "http://origin.test/%d/%d" % (self.idx, n)),
                          http_res_head(200, ctype="application/octet-stream"), True)
        step = len(body) // PIECES + 1
        c.send(head)
        for i in range(0, len(body), step):
            time.sleep(PIECE_GAP)
            c.send(chunk(body[i:i + step]))
        c.send(b"0\r\n\r\n")
        r = read_response(c)
        if r.status != 200 or r.body != body:
            raise ProtocolError("ICAP %s, body %s of %d bytes" %
                                (r.status, "intact" if r.body == body else "differs", len(body)))
        return r

    def run(self):
        c = None
        try:
            for n in range(MAX_TXNS):
                if self.stop_evt.is_set():
                    break
                if c is not None and self._closed(c):
                    c.close()
                    c = None
                if c is None:
                    try:
                        c = IcapConn("127.0.0.1", self.port, 10)
                        c.used = False
                    except OSError:
                        self.refused += 1  # the server stopped listening: done
                        break
                reused, before = c.used, c.recv_total
                try:
                    r = self.one(c, n)
                    self.ok += 1
                    c.used = True
                    if (r.header("Connection") or "").lower() == "close":
                        c.close()
                        c = None
                except (OSError, EOFError, ProtocolError) as e:
                    got = c.recv_total > before
                    c.close()
                    c = None
                    # A reused connection the server closed before it read
                    # our request: a proxy retries on a new connection (the
                    # keep-alive race); anything else is a failed transaction.
                    if reused and not got and not isinstance(e, ProtocolError):
                        self.retried += 1
                        continue
                    self.failed.append("client %d txn %d: %s: %s" % (self.idx, n, type(e).__name__, e))
        finally:
            if c is not None:
                c.close()
            self.ended.set()


def idle_conns(srv, n):
    """n keep-alive connections that did one transaction and now sit idle,
    as a proxy's connection pool does between bursts."""
    conns = []
    for i in range(n):
        c = IcapConn("127.0.0.1", srv.port, 10)
        Client(srv.port, 100 + i, None).one(c, 0)
        conns.append(c)
    return conns


def run_load(srv, until):
    """Start CLIENTS clients, call until() once they all did some work,
    return the clients after they ended (bounded by MAX_TXNS)."""
    stop_evt = threading.Event()
    clients = [Client(srv.port, i, stop_evt) for i in range(CLIENTS)]
    for c in clients:
        c.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and min(c.ok for c in clients) < 3:
        time.sleep(0.02)
    res = until(stop_evt)
    for c in clients:
        c.ended.wait(MAX_TXNS * (PIECES * PIECE_GAP + 1))
    return clients, res


def g_sighup(ck, srv):
    def hup(stop_evt):
        os.kill(srv.proc.pid, signal.SIGHUP)
        time.sleep(2.0)  # load keeps running across the reconfigure
        stop_evt.set()
        return None

    clients, _ = run_load(srv, hup)
    fails = [f for c in clients for f in c.failed]
    ck.ok("SIGHUP under load: %d transactions, none failed" % sum(c.ok for c in clients),
          not fails, "; ".join(fails[:5]))
    ck.ok("SIGHUP: launcher still running", srv.proc.poll() is None)
    c = IcapConn("127.0.0.1", srv.port, 10)
    try:
        c.send(b"OPTIONS icap://127.0.0.1/sekisho ICAP/1.0\r\nHost: x\r\n"
               b"Encapsulated: null-body=0\r\n\r\n")
        ck.eq("SIGHUP: OPTIONS answered afterwards", read_response(c).status, 200)
    finally:
        c.close()


def g_sigterm(ck, srv):
    t = {}

    idle = idle_conns(srv, 4)

    def term(stop_evt):
        # most clients are now in the middle of a body; the loop goes on
        # until the server closes their connection and refuses new ones
        t["sent"] = time.monotonic()
        os.kill(srv.proc.pid, signal.SIGTERM)
        try:
            srv.proc.wait(30)
        except Exception:  # noqa: BLE001 - reported below as a failed stop
            pass
        t["gone"] = time.monotonic()
        return None

    clients, _ = run_load(srv, term)
    for c in idle:
        c.close()
    took = t["gone"] - t["sent"]
    fails = [f for c in clients for f in c.failed]
    done = sum(c.ok for c in clients)
    print("stop under load: %.2f s, %d transactions answered, %d failed, %d retried "
          "(reused connection closed first), %d refused" % (took, done, len(fails),
          sum(c.retried for c in clients), sum(c.refused for c in clients)), flush=True)
    ck.ok("SIGTERM under load: launcher gone within %.0f s (took %.2f s)" % (STOP_LIMIT, took),
          took < STOP_LIMIT)
    ck.ok("SIGTERM under load: every started transaction answered whole (%d ok)" % done,
          not fails, "%d failed: %s" % (len(fails), "; ".join(fails[:5])))
    rc = srv.proc.returncode
    ck.eq("SIGTERM: launcher exits 0", rc, 0)
    err = srv.stderr_text()
    ck.ok("SIGTERM: c-icap stopped without SIGKILL", "killing it" not in err, err[-500:])
    ck.ok("SIGTERM: port free afterwards", port_is_free(srv.port))
    srv.stop()
    ck.ok("SIGTERM: no processes left behind", not getattr(srv, "leftovers", False))


def _state(pid):
    """A process's state letter ('Z' zombie), or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def _children(master, n, secs=20):
    """MASTER's children once it has N of them (a sanitized c-icap forks
    them late), or what it has after SECS seconds."""
    deadline = time.monotonic() + secs
    while len(children_of(master)) < n and time.monotonic() < deadline:
        time.sleep(0.05)
    return children_of(master)


def _gone_within(pid, secs):
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        if _state(pid) in (None, "Z"):
            return True
        time.sleep(0.05)
    return False


def _reap(srv, master):
    """Whatever of c-icap a case left behind (MASTER and its children)
    killed, then the server stopped and its files removed."""
    for p in [master] + children_of(master) if master and _state(master) else []:
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass
    srv.stop()
    srv.cleanup()


def g_exited_child(ck, build):
    """c-icap's main process is told to stop while one of its children has
    exited and is not reaped yet (a crashed worker, or one retired by a
    policy reload a moment before). Stock c-icap 0.5.10 then waits for that
    child forever (icap-server/guard/sk_stop_fix.c). SIGSTOP holds the main
    process so the child is still unreaped when the SIGTERM arrives."""
    for how in ("launcher SIGTERM", "launcher SIGKILL"):
        srv = SekishoServer(build, modules="url_block", name="stopz")
        try:
            srv.start()
        except StartupError as e:
            ck.ok("%s: server starts" % how, False, str(e))
            continue
        master = None
        try:
            master = children_of(srv.proc.pid)[0]
            kids = _children(master, 1)
            if not kids:
                ck.ok("%s: c-icap started its children" % how, False)
                continue
            os.kill(master, signal.SIGSTOP)
            os.kill(kids[0], signal.SIGKILL)
            deadline = time.monotonic() + 5
            while _state(kids[0]) != "Z" and time.monotonic() < deadline:
                time.sleep(0.02)
            ck.eq("%s: the killed child is an unreaped zombie" % how, _state(kids[0]), "Z")
            t0 = time.monotonic()
            if how == "launcher SIGTERM":
                os.kill(srv.proc.pid, signal.SIGTERM)
                time.sleep(0.3)  # the launcher's SIGTERM is now pending in c-icap
                os.kill(master, signal.SIGCONT)
                try:
                    srv.proc.wait(30)
                except Exception:  # noqa: BLE001 - reported below
                    pass
                took = time.monotonic() - t0
                err = srv.stderr_text()
                ck.ok("%s: stopped within %.0f s (took %.2f s)" % (how, STOP_LIMIT, took),
                      took < STOP_LIMIT)
                ck.ok("%s: c-icap stopped without SIGKILL" % how, "killing it" not in err,
                      err[-500:])
                ck.eq("%s: launcher exits 0" % how, srv.proc.returncode, 0)
            else:
                # the launcher dies at once; c-icap gets its parent-death
                # SIGTERM and must not stay behind holding the port
                os.kill(srv.proc.pid, signal.SIGKILL)
                srv.proc.wait(10)
                time.sleep(0.3)
                os.kill(master, signal.SIGCONT)
                ck.ok("%s: orphaned c-icap gone within %.0f s" % (how, STOP_LIMIT),
                      _gone_within(master, STOP_LIMIT),
                      "state %s" % _state(master))
            ck.ok("%s: port free afterwards" % how, port_is_free(srv.port))
        finally:
            _reap(srv, master)


def g_user_switch(ck, build):
    """c-icap switches to the User/Group of the admin's --config before our
    post_init. A Group switch alone starts, but any credential change clears
    the parent-death signal: c-icap outlived a launcher killed with SIGKILL
    (and held the port) until post_init set it again. A User switch cannot
    use the run directory the launcher made: one line names the cause."""
    ck.eq("runs as root (c-icap switches credentials only as root)", os.geteuid(), 0)
    srv = SekishoServer(build, modules="url_block", name="stopg", config_text="Group nogroup\n")
    master = None
    try:
        srv.start()
        master = children_of(srv.proc.pid)[0]
        with open("/proc/%d/status" % master) as f:
            gid = [ln.split()[1] for ln in f if ln.startswith("Gid:")]
        ck.ok("Group nogroup: c-icap switched its group", gid != ["0"], str(gid))
        os.kill(srv.proc.pid, signal.SIGKILL)
        srv.proc.wait(10)
        ck.ok("Group switch, launcher SIGKILL: c-icap gone within %.0f s" % STOP_LIMIT,
              _gone_within(master, STOP_LIMIT), "state %s" % _state(master))
        ck.ok("Group switch: port free afterwards", port_is_free(srv.port))
    except StartupError as e:
        ck.ok("Group nogroup: server starts", False, str(e))
    finally:
        _reap(srv, master)
    srv = SekishoServer(build, modules="url_block", name="stopu", config_text="User nobody\n")
    try:
        srv.start()
        ck.ok("User nobody: start refused", False)
    except StartupError as e:
        ck.ok("User nobody: start refused, naming the User directive and the uids",
              "switched from uid 0 to uid 65534 (a User directive in --config)" in str(e),
              str(e)[-600:])
    finally:
        srv.stop()
        srv.cleanup()


def g_wake_thread(ck, srv):
    """Threads of ours in c-icap's main process block every signal: c-icap's
    handlers only set flags, and a signal taken by another thread does not
    end the main thread's wait (an exited child stayed unreaped, a SIGHUP
    waited for the next turn of the loop)."""
    master = children_of(srv.proc.pid)[0]
    others = [t for t in os.listdir("/proc/%d/task" % master) if int(t) != master]
    if not os.environ.get("SEKISHO_SANITIZED"):
        ck.ok("the main process runs the reload wake thread", len(others) >= 1, str(others))
    for t in others:
        with open("/proc/%d/task/%s/status" % (master, t)) as f:
            blk = [int(ln.split()[1], 16) for ln in f if ln.startswith("SigBlk:")][0]
        for name in ("SIGCHLD", "SIGHUP", "SIGTERM", "SIGINT"):
            num = getattr(signal, name)
            ck.ok("thread %s of the main process blocks %s" % (t, name), blk >> (num - 1) & 1,
                  "SigBlk %x" % blk)


def g_retire(ck, srv):
    """A child that a reconfigure retires exits once its threads ended:
    stock c-icap sleeps a whole second after joining the last one
    (icap-server/guard/sk_retire_fix.c), so a second policy commit waited
    for it. Best of three reconfigures, so a busy moment cannot fail it."""
    master = children_of(srv.proc.pid)[0]
    limit = 2.5 if os.environ.get("SEKISHO_SANITIZED") else 0.8
    best = None
    for _ in range(3):
        _children(master, 1)
        time.sleep(0.5)  # the new children are up and idle
        kids = children_of(master)
        t0 = time.monotonic()
        os.kill(master, signal.SIGHUP)
        while time.monotonic() - t0 < 10 and any(_state(k) not in (None, "Z") for k in kids):
            time.sleep(0.01)
        took = time.monotonic() - t0
        print("reconfigure: %d old children gone after %.2f s" % (len(kids), took), flush=True)
        best = took if best is None else min(best, took)
    ck.ok("reconfigure: the old children are gone within %.1f s (best of 3: %.2f s)"
          % (limit, best), best < limit)


def g_max_servers(ck, build):
    """A reload never leaves more children than MaxServers. A new child
    enters itself in c-icap's children table after the fork; a monitor-loop
    turn before that (woken by a retired child's exit) counted too few
    children and forked more, and with MaxSpareThreads high they stayed
    (icap-server/guard/sk_stop_fix.c). SEKISHO_TEST_CHILD_ENTRY_DELAY_MS
    makes each new child late, as a loaded machine does."""
    os.environ["SEKISHO_TEST_CHILD_ENTRY_DELAY_MS"] = "300"
    try:
        srv = SekishoServer(build, modules="url_block", name="stopmax",
                            config_text="StartServers 2\nMaxServers 2\nMinSpareThreads 1\n"
                                        "MaxSpareThreads 1000\nThreadsPerChild 4\n")
        srv.init_db()
        srv.start()
    finally:
        del os.environ["SEKISHO_TEST_CHILD_ENTRY_DELAY_MS"]
    try:
        master = children_of(srv.proc.pid)[0]
        # the start-up children enter the table 300 ms late too, and
        # c-icap's start-up forks are not held back (a SIGHUP there ends
        # the master): a reload sent before they entered made the monitor
        # loop fork one more, which the reload retired at once - under
        # ASan its leak check at exit kept it alive for a second, counted
        # as a third new child (CI, session 13). Reloads come later.
        _children(master, 2)
        time.sleep(2)
        most = 0
        for _ in range(3):
            before = set(_children(master, 2))  # they retire: not counted
            os.kill(master, signal.SIGHUP)
            end = time.monotonic() + 3
            while time.monotonic() < end:
                most = max(most, len([k for k in children_of(master)
                                      if k not in before and _state(k) not in (None, "Z")]))
                time.sleep(0.01)
        now = len(children_of(master))
        ck.ok("reloads with late children: never more than MaxServers 2 new ones (most %d, "
              "now %d)"
              % (most, now), most <= 2 and now == 2)
    finally:
        srv.stop()
        srv.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    a = ap.parse_args()
    build = os.path.abspath(a.build_dir)
    ck = Check("stop")
    srv = SekishoServer(build, modules="url_block", name="stop")
    try:
        srv.start()
    except StartupError as e:
        ck.ok("server starts", False, str(e))
        return ck.summary()
    try:
        ck.group("wake_thread", g_wake_thread, ck, srv)
        ck.group("retire", g_retire, ck, srv)
        ck.group("sighup", g_sighup, ck, srv)
        ck.group("sigterm", g_sigterm, ck, srv)
    finally:
        srv.stop()
        if ck.failed:
            print("--- server stderr (tail):\n%s" % srv.stderr_text()[-3000:])
            print(srv.daemon_log_tail())
    srv.cleanup()
    ck.group("exited_child", g_exited_child, ck, build)
    ck.group("max_servers", g_max_servers, ck, build)
    ck.group("user_switch", g_user_switch, ck, build)
    return ck.summary()


if __name__ == "__main__":
    sys.exit(main())
