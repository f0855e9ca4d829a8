#!/usr/bin/env python3
"""OPTIONS for every client (issue 15 item 6).

Every name a client uses, in any usual letter case, answers OPTIONS 200
with one method for a one-mode name (RFC 3507 4.10.2: reqmod/REQ-Service
REQMOD; respmod/resp/avscan and the bare root RESPMOD; sekisho both),
X-Allow-Out naming X-Infection-Found and X-Virus-ID (e2guardian reads a
threat name only then) and a Service-ID; the same names serve REQMOD and
RESPMOD; an unknown name is still a 404. Max-Connections follows the
effective MaxServers x ThreadsPerChild (flags or --config) and the
per-client limit, which really refuses the next connection (issue 17).

Trust: test harness only; talks to the server it starts on loopback.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from icaplib import (Check, SekishoServer, StartupError, IcapConn, transact,  # noqa: E402
                     options, http_req_head, http_res_head, ProtocolError)

NAMES = [  # (path as a client writes it, Methods expected)
    ("reqmod", "REQMOD"), ("REQMOD", "REQMOD"), ("Reqmod", "REQMOD"),
    ("REQ-Service", "REQMOD"), ("req-service", "REQMOD"), ("REQ-SERVICE", "REQMOD"),
    ("Req-Service", "REQMOD"),
    ("respmod", "RESPMOD"), ("RESPMOD", "RESPMOD"), ("Respmod", "RESPMOD"),
    ("resp", "RESPMOD"), ("RESP", "RESPMOD"), ("Resp", "RESPMOD"),
    ("avscan", "RESPMOD"), ("AVSCAN", "RESPMOD"), ("Avscan", "RESPMOD"),
    ("sekisho", "RESPMOD, REQMOD"), ("SEKISHO", "RESPMOD, REQMOD"),
    ("Sekisho", "RESPMOD, REQMOD"),
    ("", "RESPMOD"),  # the bare root: Blue Coat's response mode
]


def g_options(ck, srv):
    for name, want in NAMES:
        c = srv.conn(10)
        try:
            r = options(c, "icap://127.0.0.1:%d/%s" % (srv.port, name) if name
                        else "icap://127.0.0.1:%d" % srv.port)
        finally:
            c.close()
        label = "/" + name if name else "the bare root"
        ck.eq("OPTIONS %s: 200" % label, r.status, 200)
        ck.eq("OPTIONS %s: Methods %s" % (label, want), r.header("Methods"), want)
        ck.eq("OPTIONS %s: one Methods header" % label, len(r.header_all("Methods")), 1)
        allow_out = [h.strip().lower() for h in (r.header("X-Allow-Out") or "").split(",")]
        ck.ok("OPTIONS %s: X-Allow-Out names X-Infection-Found and X-Virus-ID (%s)"
              % (label, r.header("X-Allow-Out")),
              "x-infection-found" in allow_out and "x-virus-id" in allow_out)
        ck.eq("OPTIONS %s: Service-ID" % label, r.header("Service-ID"), "sekisho")
    # a trailing slash on the root is still the root
    c = srv.conn(10)
    try:
        r = options(c, "icap://127.0.0.1:%d/" % srv.port)
        ck.eq("OPTIONS icap://host:port/: Methods RESPMOD", r.header("Methods"), "RESPMOD")
    finally:
        c.close()
    c = srv.conn(10)
    try:
        r = options(c, "icap://127.0.0.1:%d/nosuchservice" % srv.port)
        ck.eq("OPTIONS of an unknown name: 404", r.status, 404)
    finally:
        c.close()


def g_modes(ck, srv):
    """The case variants are the service, not just an OPTIONS answer: the
    test module blocks URLs containing its marker in both modes."""
    for name in ("REQ-SERVICE", "req-service", "Reqmod", "SEKISHO"):
        c = srv.conn(10)
        try:
            r = transact(c, "REQMOD", srv.url(name),
                         http_req_head("GET", "http://origin.test/sekisho-test-block"), allow204=True)
            ck.eq("REQMOD /%s: block page" % name, (r.status, r.http_status()), (200, 403))
        finally:
            c.close()
    for name in ("RESP", "Respmod", "AVSCAN"):
        c = srv.conn(10)
        try:
            r = transact(c, "RESPMOD", srv.url(name),
                         http_req_head("GET", "http://origin.test/sekisho-test-block"),
                         http_res_head(200), b"x" * 100, allow204=True)
            ck.eq("RESPMOD /%s: block page" % name, (r.status, r.http_status()), (200, 403))
        finally:
            c.close()


# issue 17 item 6: Max-Connections states what the server really accepts,
# from the c-icap configuration as finally read (the admin's --config is
# Included after the Service line) and the guard's per-client limit.
MAXCONN_CASES = [  # (label, --config text, extra flags, Max-Connections, per-client limit)
    ("--config MaxServers 2 x ThreadsPerChild 5, no per-client limit",
     "MaxServers 2\nThreadsPerChild 5\n", ["--max-conns-per-client", "0"], 10, None),
    ("--config MaxServers 3 x ThreadsPerChild 8, no per-client limit",
     "MaxServers 3\nThreadsPerChild 8\n", ["--max-conns-per-client", "0"], 24, None),
    ("--max-servers 2 --threads 7, no per-client limit",
     None, ["--max-servers", "2", "--threads", "7", "--max-conns-per-client", "0"], 14, None),
    ("--config MaxServers 2 x ThreadsPerChild 6, per-client auto (half)",
     "MaxServers 2\nThreadsPerChild 6\n", [], 6, 6),
]


def held_503(srv, n):
    """Open N connections that each got an OPTIONS answer and stay open,
    then one more: its first bytes (the guard's 503, or a served answer).
    The launcher's and the harness's readiness probes count against the
    per-client limit until a worker has read their EOF (under ASan on a
    loaded machine, not yet when this starts): a held connection refused
    is retried for up to 5 s, as a proxy would. A limit below N still
    fails here."""
    held = []
    try:
        deadline = time.monotonic() + 5
        while len(held) < n:
            c = IcapConn("127.0.0.1", srv.port, 10)
            try:
                ok = options(c, srv.url("sekisho")).status == 200
            except (EOFError, OSError, ProtocolError):
                ok = False
            if ok:
                held.append(c)
                continue
            c.close()
            if time.monotonic() >= deadline:
                return "held connection not served (%d of %d)" % (len(held), n)
            time.sleep(0.2)
        extra = IcapConn("127.0.0.1", srv.port, 10)
        held.append(extra)
        try:
            r = options(extra, srv.url("sekisho"))
            return "ICAP/1.0 %d" % r.status
        except (EOFError, OSError, ProtocolError) as e:
            return bytes(extra.recv_log[:16]).decode(errors="replace") or str(e)
    finally:
        for c in held:
            c.close()


def g_max_connections(ck, build, mod):
    for label, conf, flags, want, per_client in MAXCONN_CASES:
        srv = SekishoServer(build, modules=mod, name="maxconn", config_text=conf,
                            extra_args=flags)
        try:
            srv.start()
        except StartupError as e:
            ck.ok("%s: server starts" % label, False, str(e))
            continue
        try:
            c = srv.conn(10)
            try:
                r = options(c, srv.url("sekisho"))
            finally:
                c.close()
            ck.eq("%s: Max-Connections" % label, r.header("Max-Connections"), str(want))
            if per_client is not None:
                got = held_503(srv, per_client)
                ck.ok("%s: %d connections served, the next one refused with 503 (%s)"
                      % (label, per_client, got), got.startswith("ICAP/1.0 503"))
        finally:
            srv.stop()
            if ck.failed:
                print(srv.daemon_log_tail())
        srv.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    a = ap.parse_args()
    build = os.path.abspath(a.build_dir)
    ck = Check("options")
    mod = os.path.join(build, "tests", "modules", "test_block.so")
    srv = SekishoServer(build, modules=mod, name="options")
    try:
        srv.start()
    except StartupError as e:
        ck.ok("server starts", False, str(e))
        return ck.summary()
    try:
        ck.group("options", g_options, ck, srv)
        ck.group("modes", g_modes, ck, srv)
    finally:
        srv.stop()
        if ck.failed:
            print(srv.daemon_log_tail())
    srv.cleanup()
    ck.group("max-connections", g_max_connections, ck, build, mod)
    return ck.summary()


if __name__ == "__main__":
    sys.exit(main())
