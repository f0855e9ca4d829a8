#!/usr/bin/env python3
"""Monitoring (issue 13 items 1, 2, 5) through the real c-icap daemon started
by build/bin/sekisho-server --status-listen, with a real Prometheus (Debian
package) scraping it and a syslog socket this test listens on:

  prometheus  the counters Prometheus scraped (queried over its HTTP API)
              equal the traffic sent: clean REQMODs, URL blocks, EICAR
              downloads, per verdict/module and detection kind; after a
              c-icap child is killed -9 and more traffic, they still add up
  readyz      200 while fine; 503 with a JSON reason when the signatures
              are older than av.max-signature-age (file mtimes moved back),
              200 after raising the setting, 503 after unsetting it, 200 once
              the files are fresh; 503 when the policy database is corrupt
              (and the launcher's stderr says so), 200 once it is restored
  syslog      every transaction arrives as an RFC 5424 message (facility
              local3, severity by verdict) whose JSON carries verdict,
              generation, istag, content_type, filename and the threat name
  syslogstuck a receiver that stops reading stalls nothing; every line is
              delivered or counted in sekisho_accesslog_dropped_total
  busy        the busy-thread gauge follows a transaction held open; SIGHUP
              keeps the counters and the node turns ready again
  status      sekisho-server --status --run-dir: versions, generation and
              the content hash sekisho-policy reports, exit 0 when ready
  info        c-icap's info service stays closed (the guard's 403) beside it
  slowheads   16 connections from each of five addresses trickle a header
              line every second and never end the head (red team 6b
              STATUS-SLOW, which used two): /readyz from another address
              answers within 2 s throughout (so the total limit is above
              the 40 the per-address limit lets in), each trickler is cut
              within the 5 s request deadline though it is never idle, no
              address holds more than 8, and Prometheus's scrapes never
              fail meanwhile

Needs prometheus (contrib/deps.sh test); fails without it.
Usage: test_status.py --build-dir BUILD [--only GROUP[,GROUP]]
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from icaplib import (Check, SekishoServer, free_port, transact,  # noqa: E402
                     http_req_head, http_res_head)

SIGS = os.path.join(HERE, "..", "sigs")
EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
SYSLOG_RE = re.compile(rb"^<(\d+)>1 (\S+) (\S+) sekisho (\d+) access - (\{.*\})$")
LOCAL3 = 19


def poll(fn, timeout, step=0.2):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(step)


def http_get(port, path, host="127.0.0.1"):
    try:
        with urllib.request.urlopen("http://%s:%d%s" % (host, port, path), timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return None, str(e)


class SyslogReceiver:
    """A unix datagram socket standing in for /dev/log."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.2)
        self.msgs = []
        self.stop = False
        self.paused = False
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while not self.stop:
            if self.paused:
                time.sleep(0.05)
                continue
            try:
                self.msgs.append(self.sock.recv(65536))
            except socket.timeout:
                continue
            except OSError:
                return


class Prometheus:
    def __init__(self, tmp, target_port):
        self.port = free_port()
        self.dir = os.path.join(tmp, "prom")
        os.makedirs(self.dir)
        cfg = os.path.join(self.dir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: sekisho\n    static_configs:\n"
                    "      - targets: ['127.0.0.1:%d']\n" % target_port)
        self.log = open(os.path.join(self.dir, "prometheus.log"), "wb")
        self.proc = subprocess.Popen(
            [PROMETHEUS, "--config.file=" + cfg, "--storage.tsdb.path=" + self.dir + "/data",
             "--web.listen-address=127.0.0.1:%d" % self.port, "--log.level=warn"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def query(self, q):
        """The single value of an instant query, or None."""
        url = "/api/v1/query?query=" + urllib.parse.quote(q)
        st, body = http_get(self.port, url)
        if st != 200:
            return None
        res = json.loads(body)["data"]["result"]
        return float(res[0]["value"][1]) if res else None

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


class Env:
    """One server with the status listener and syslog, its Prometheus."""

    def __init__(self, build_dir):
        self.tmp = tempfile.mkdtemp(prefix="sekisho-ops-")
        self.sigs = os.path.join(self.tmp, "sigs")
        shutil.copytree(SIGS, self.sigs)
        self.sock = os.path.join(self.tmp, "log.sock")
        self.syslog = SyslogReceiver(self.sock)
        self.status_port = free_port()
        self.srv = SekishoServer(build_dir, name="ops", test_signatures=False, extra_args=[
            "--clamav-db", self.sigs, "--status-listen", "127.0.0.1:%d" % self.status_port,
            "--access-log", "syslog:local3", "--syslog-socket", self.sock])
        self.srv.init_db()
        self.srv.policy_cmd("url", "add", "--list", "block", "--match", "domain", "blocked.test")
        self.srv.start()
        self.prom = Prometheus(self.tmp, self.status_port)
        self.sent = {"allow": 0, "url": 0, "virus": 0}
        self.reopened = 0  # persistent connections the server closed between requests

    def close(self):
        self.prom.close()
        self.srv.stop()
        self.syslog.stop = True
        if not os.environ.get("SEKISHO_KEEP_TMP"):
            shutil.rmtree(self.tmp, ignore_errors=True)
        self.srv.cleanup()

    def _pace(self, base, done):
        """Let the syslog receiver (a thread of this process, sharing the
        GIL with the sender) read what was sent before sending more: the
        socket queue holds only net.unix.max_dgram_qlen (10) datagrams, and
        back-to-back transactions on a loaded machine overflowed it (14
        drops in ~130 once). Bounded: a line that was dropped costs 0.2 s."""
        deadline = time.monotonic() + 0.2
        while (not self.syslog.paused and len(self.syslog.msgs) < base + done and
               time.monotonic() < deadline):
            time.sleep(0.002)

    def _reqmod(self, c, url):
        """One no-body REQMOD on the persistent connection C; a connection
        the server closed between two requests (a child that drains after a
        reconfigure closes its idle persistent connections, as c-icap does)
        is opened again and the request sent once more, as Squid does with
        a persistent connection that closed. Returns (response, conn)."""
        try:
            return transact(c, "REQMOD", self.srv.url("reqmod"),
                            req_hdr=http_req_head("GET", url), allow204=True), c
        except EOFError:
            self.reopened += 1
            c.close()
            c = self.srv.conn()
        return transact(c, "REQMOD", self.srv.url("reqmod"), req_hdr=http_req_head("GET", url),
                        allow204=True), c

    def traffic(self, n_allow, n_url, n_virus):
        base = len(self.syslog.msgs)
        c = self.srv.conn()
        for i in range(n_allow):
            r, c = self._reqmod(c, "http://ok.test/%d" % i)
            assert r.status == 204, r
            self._pace(base, i + 1)
        for i in range(n_url):
            r, c = self._reqmod(c, "http://blocked.test/%d" % i)
            assert r.status == 200 and r.http_status() == 403, r
            self._pace(base, n_allow + i + 1)
        c.close()
        # new URLs each round: a URL that delivered a virus is then blocked by
        # url_block (url.infected-block-time), which would count there
        for i in range(self.sent["virus"], self.sent["virus"] + n_virus):
            c = self.srv.conn()
            res = http_res_head(ctype="application/x-msdownload", body_len=len(EICAR),
                                extra=("Content-Disposition: attachment; filename=\"e%d.com\"" % i,))
            r = transact(c, "RESPMOD", self.srv.url("respmod"),
                         req_hdr=http_req_head("GET", "http://dl.test/e%d.com" % i),
                         res_hdr=res, body=EICAR, allow204=True)
            assert r.status == 200 and r.http_status() == 403, r
            c.close()
        self.sent["allow"] += n_allow
        self.sent["url"] += n_url
        self.sent["virus"] += n_virus

    def children(self):
        with open(os.path.join(self.srv.run_dir, "c-icap.pid")) as f:
            master = int(f.read().split()[0])
        kids = []
        for p in os.listdir("/proc"):
            if p.isdigit():
                try:
                    with open("/proc/%s/stat" % p) as f:
                        if int(f.read().rsplit(")", 1)[1].split()[1]) == master:
                            kids.append(int(p))
                except (OSError, IndexError, ValueError):
                    pass
        return kids


def prom_matches(ck, env, tag):
    want = {
        'sum(sekisho_transactions_total{verdict="allow",method="REQMOD"})': env.sent["allow"],
        'sum(sekisho_transactions_total{verdict="block",module="url_block"})': env.sent["url"],
        'sum(sekisho_transactions_total{verdict="block",module="virus_scan",method="RESPMOD"})':
            env.sent["virus"],
        'sekisho_detections_total{kind="url"}': env.sent["url"],
        'sekisho_detections_total{kind="virus"}': env.sent["virus"],
        'sum(sekisho_transaction_duration_seconds_count)': sum(env.sent.values()),
        # scan time: observed once per body virus_scan read (the EICAR downloads)
        'sekisho_module_duration_seconds_count{module="virus_scan"}': env.sent["virus"],
    }
    got = {}

    def all_match():
        for q in want:
            got[q] = env.prom.query(q)
        return all(got[q] == want[q] for q in want)

    poll(all_match, 40, 0.5)
    for q, w in want.items():
        ck.eq("%s: Prometheus %s" % (tag, q), got.get(q), float(w))


def t_prometheus(ck, env):
    env.traffic(20, 5, 3)
    prom_matches(ck, env, "first traffic")
    info = r'sekisho_policy_info\{generation="\d+",hash="[0-9a-f]{64}"\} 1'
    page = {}

    def has_info():  # a child publishes it once it has served (slow under ASan)
        page["text"] = http_get(env.status_port, "/metrics")[1]
        return re.search(info, page["text"]) is not None
    poll(has_info, 30, 0.5)
    text = page["text"]
    ck.ok("/metrics has the policy info with the content hash", re.search(info, text), text[:300])
    ck.ok("/metrics has signature age and thread gauges",
          "sekisho_signature_age_seconds " in text and 'sekisho_threads{state="idle"}' in text)
    kids = env.children()
    ck.ok("c-icap has children to kill", len(kids) >= 1, kids)
    os.kill(kids[0], signal.SIGKILL)
    poll(lambda: kids[0] not in env.children(), 10)
    env.traffic(10, 2, 2)
    prom_matches(ck, env, "after a child was killed")
    ck.ok("the killed child's slot is gone, live children counted",
          poll(lambda: env.prom.query("sekisho_children") not in (None, 0.0), 10))


def readyz(env):
    return http_get(env.status_port, "/readyz")


def wait_ready(env, code, needle=None, timeout=20):
    def ok():
        st, body = readyz(env)
        return st == code and (needle is None or needle in body)
    poll(ok, timeout, 0.3)
    return readyz(env)


def t_readyz(ck, env):
    st, body = readyz(env)
    ck.eq("readyz 200 when fine", st, 200)
    ck.eq("healthz 200", http_get(env.status_port, "/healthz")[0], 200)
    old = time.time() - 4 * 86400
    for n in os.listdir(env.sigs):
        os.utime(os.path.join(env.sigs, n), (old, old))
    st, body = wait_ready(env, 503, "signatures")
    ck.eq("readyz 503 with signatures 4 days old (limit 3d)", st, 503)
    ck.ok("the reason is JSON naming the signature age",
          json.loads(body)["reasons"] and "av.max-signature-age" in body, body)
    env.srv.policy_cmd("set", "av.max-signature-age", "5d")
    ck.eq("readyz 200 after av.max-signature-age 5d", wait_ready(env, 200)[0], 200)
    env.srv.policy_cmd("unset", "av.max-signature-age")
    ck.eq("readyz 503 again after unsetting it", wait_ready(env, 503, "signatures")[0], 503)
    now = time.time()
    for n in os.listdir(env.sigs):
        os.utime(os.path.join(env.sigs, n), (now, now))
    ck.eq("readyz 200 once the signatures are fresh", wait_ready(env, 200)[0], 200)

    with open(env.srv.db, "rb") as f:
        good = f.read()
    with open(env.srv.db, "r+b") as f:
        f.write(b"this is not a database" * 200)
    st, body = wait_ready(env, 503, "policy")
    ck.eq("readyz 503 with a corrupt policy database", st, 503)
    ck.ok("the reason names the policy database", env.srv.db in body, body)
    ck.ok("the launcher's stderr shows the policy failure from the server log",
          poll(lambda: re.search(r"server log: .*(policy database|cannot be loaded)",
                                 env.srv.stderr_text()), 10), env.srv.stderr_text()[-800:])
    with open(env.srv.db, "wb") as f:
        f.write(good)
    ck.eq("readyz 200 once the database is restored", wait_ready(env, 200)[0], 200)
    c = env.srv.conn()
    r = transact(c, "REQMOD", env.srv.url("reqmod"),
                 req_hdr=http_req_head("GET", "http://blocked.test/after"), allow204=True)
    c.close()
    ck.ok("still serving: the URL block holds after the restore", r.http_status() == 403, r)
    env.sent["url"] += 1


def t_syslog(ck, env):
    total = sum(env.sent.values())
    def dropped():
        st, text = http_get(env.status_port, "/metrics")
        m = re.search(r"^sekisho_accesslog_dropped_total (\d+)$", text, re.M) if st == 200 else None
        return int(m.group(1)) if m else -1
    # sends never block: a line the socket does not take at once is dropped
    # and counted (rare, on a busy machine); delivered + dropped is exact
    poll(lambda: len(env.syslog.msgs) + max(dropped(), 0) >= total, 10)
    msgs = list(env.syslog.msgs)
    ck.eq("one syslog message per transaction (delivered + counted as dropped)",
          len(msgs) + dropped(), total)
    ck.ok("at most one in ten dropped", dropped() * 10 <= total, dropped())
    parsed = [SYSLOG_RE.match(m) for m in msgs]
    ck.ok("every message is RFC 5424 with app sekisho, msgid access",
          all(parsed), [m for m, p in zip(msgs, parsed) if not p][:2])
    recs = [(int(p.group(1)), json.loads(p.group(5))) for p in parsed if p]
    virus = [(pri, j) for pri, j in recs if j.get("module") == "virus_scan"]
    allow = [(pri, j) for pri, j in recs if j.get("verdict") == "allow"]
    ck.eq("virus lines", len(virus), env.sent["virus"])
    ck.ok("facility local3, warning for a block, info for an allow",
          virus and all(pri == LOCAL3 * 8 + 4 for pri, _ in virus) and
          allow and all(pri == LOCAL3 * 8 + 6 for pri, _ in allow),
          (virus[:1], allow[:1]))
    j = virus[0][1] if virus else {}
    ck.ok("a virus line carries threat, filename, content_type, http_status",
          j.get("threat", "").startswith("Eicar") and re.match(r"e\d+\.com$", j.get("filename", ""))
          and j.get("content_type") == "application/x-msdownload" and j.get("http_status") == 200, j)
    h = env.srv.policy_cmd("hash").stdout.decode().strip()
    ck.ok("every line carries generation and istag",
          all(isinstance(j.get("generation"), int) and j["generation"] >= 1 and
              j.get("istag", "").startswith("CI0001-") for _, j in recs), recs[:1])
    ck.ok("the istag in the lines is made from the policy content hash",
          recs and all(j["istag"][7:19] == h[:12] for _, j in recs), (h, recs[:1]))


def dropped(env):
    st, text = http_get(env.status_port, "/metrics")
    m = re.search(r"^sekisho_accesslog_dropped_total (\d+)$", text, re.M)
    return int(m.group(1)) if m else None


def t_syslog_stuck(ck, env):
    """A syslog daemon that stops reading must not stall transactions; each
    line is either delivered or counted as dropped."""
    before, got_before = dropped(env), len(env.syslog.msgs)
    env.syslog.paused = True
    t0 = time.monotonic()
    try:
        env.traffic(60, 0, 0)
    finally:
        took = time.monotonic() - t0
        env.syslog.paused = False
    ck.ok("60 transactions with syslog not reading finish promptly", took < 10, took)
    after = {}

    def settled():
        after["dropped"], after["got"] = dropped(env), len(env.syslog.msgs) - got_before
        return after["dropped"] is not None and after["dropped"] - before + after["got"] == 60
    poll(settled, 10)
    ck.ok("every line was delivered or counted in sekisho_accesslog_dropped_total",
          settled(), (before, after))
    ck.ok("the socket queue (%s datagrams) filled: some were dropped"
          % open("/proc/sys/net/unix/max_dgram_qlen").read().strip(),
          after.get("dropped", 0) - before > 0, (before, after))


def t_status(ck, env):
    p = subprocess.run([env.srv.bin, "--status", "--run-dir", env.srv.run_dir],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    out = p.stdout.decode()
    ck.eq("--status exits 0 when ready", p.returncode, 0)
    h = env.srv.policy_cmd("hash").stdout.decode().strip()
    m = re.search(r"^policy content hash\s+(\S+)$", out, re.M)
    ck.eq("--status shows the policy content hash sekisho-policy computes",
          m.group(1) if m else out, h)
    for label in ("sekisho", "c-icap", "libclamav", "policy generation", "policy loaded",
                  "signature directory"):
        ck.ok("--status shows %s" % label, re.search(r"^%s\s" % re.escape(label), out, re.M), out)
    p = subprocess.run([env.srv.bin, "--status", "--run-dir", env.tmp],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    ck.eq("--status of a dir without a server exits 1", p.returncode, 1)


def t_info(ck, env):
    def options_from_svc(svc, src="127.0.0.1"):
        s = socket.create_connection(("127.0.0.1", env.srv.port), 5, source_address=(src, 0))
        s.sendall(b"OPTIONS icap://127.0.0.1/%s ICAP/1.0\r\nHost: x\r\n"
                  b"Encapsulated: null-body=0\r\n\r\n" % svc.encode())
        line = s.recv(64).split(b"\r\n")[0]
        s.close()
        return line

    def options_from(src):
        return options_from_svc("info", src)
    # the guard closes it to every ICAP client; /metrics replaces it
    ck.ok("info service closed even from 127.0.0.1", b" 403 " in options_from("127.0.0.1"))
    ck.ok("our service still answers OPTIONS", b" 200 " in options_from_svc("sekisho"))


def busy_threads(env):
    st, text = http_get(env.status_port, "/metrics")
    m = re.search(r'^sekisho_threads\{state="busy"\} (\d+)$', text, re.M)
    return int(m.group(1)) if m else None


def t_busy_reload(ck, env):
    ck.ok("no busy thread when idle", poll(lambda: busy_threads(env) == 0, 5), busy_threads(env))
    c = env.srv.conn()
    head = (b"REQMOD %s ICAP/1.0\r\nHost: x\r\nAllow: 204\r\n" % env.srv.url("reqmod").encode())
    req = http_req_head("POST", "http://up.test/", body_len=100000)
    c.send(head + b"Encapsulated: req-hdr=0, req-body=%d\r\n\r\n" % len(req) + req +
           b"10\r\n0123456789abcdef\r\n")
    ck.ok("a transaction held open shows as a busy thread",
          poll(lambda: (busy_threads(env) or 0) >= 1, 10), busy_threads(env))
    c.close()
    ck.ok("busy goes back to 0 when it ends", poll(lambda: busy_threads(env) == 0, 10),
          busy_threads(env))
    env.sent["aborted"] = env.sent.get("aborted", 0) + 1
    ck.ok("Prometheus counts every transaction so far, the aborted upload too",
          poll(lambda: env.prom.query("sum(sekisho_transactions_total)") == sum(env.sent.values()),
               30), (env.prom.query("sum(sekisho_transactions_total)"), env.sent))
    env.srv.proc.send_signal(signal.SIGHUP)  # the launcher forwards it: c-icap reconfigures
    time.sleep(1)
    ck.eq("readyz 200 again after SIGHUP", wait_ready(env, 200)[0], 200)
    env.traffic(3, 0, 0)
    ck.ok("counters survive SIGHUP (reconfigure) and keep counting",
          poll(lambda: env.prom.query("sum(sekisho_transactions_total)") == sum(env.sent.values()),
               30), (env.prom.query("sum(sekisho_transactions_total)"), env.sent))


def head_answer(port, path, src="127.0.0.1"):
    """(status line, seconds) of GET PATH from address SRC."""
    t = time.monotonic()
    try:
        s = socket.create_connection(("127.0.0.1", port), 5, source_address=(src, 0))
        s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path.encode())
        line = s.recv(4096).split(b"\r\n")[0]
        s.close()
    except OSError as e:
        line = ("no answer (%s)" % e.__class__.__name__).encode()
    return line, time.monotonic() - t


def closed(s):
    """Whether the server has closed socket S (it never answers a trickler)."""
    try:
        return s.recv(1, socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def t_slow_heads(ck, env):
    held = {}  # socket -> source address
    srcs = ["127.0.0.%d" % i for i in range(2, 7)]
    for src in srcs:
        for _ in range(16):
            s = socket.create_connection(("127.0.0.1", env.status_port), 5, source_address=(src, 0))
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
            s.setblocking(False)  # recv() in closed() must not wait
            held[s] = src
    t0 = time.monotonic()
    cut, answers, most = {}, [], {}
    try:
        while time.monotonic() - t0 < 12:
            now = time.monotonic() - t0
            for s, src in held.items():
                if s in cut:
                    continue
                if closed(s):
                    cut[s] = now
                    continue
                try:
                    s.sendall(b"X: y\r\n")
                except OSError:
                    cut[s] = now
            if 0.5 < now < 4:  # accepted ones are all still within their deadline
                for src in srcs:
                    n = sum(1 for s, a in held.items() if a == src and s not in cut)
                    most[src] = max(most.get(src, 0), n)
            answers.append(head_answer(env.status_port, "/readyz"))
            time.sleep(1)
    finally:
        for s in held:
            s.close()
    slow = [a for a in answers if not a[0].startswith(b"HTTP/1.1 ") or a[1] > 2]
    ck.ok("/readyz answers within 2 s while 80 connections trickle their heads",
          len(answers) >= 8 and not slow, slow or answers)
    ck.ok("every trickler is cut by the request deadline (5 s) though never idle",
          len(cut) == len(held) and max(cut.values()) < 7.5,
          (len(cut), len(held), sorted(round(v, 1) for v in cut.values())))
    ck.ok("no address holds more than 8 connections", most and max(most.values()) <= 8, most)
    ck.ok("a trickler's own address is served once its slots are free",
          head_answer(env.status_port, "/healthz", "127.0.0.2")[0].startswith(b"HTTP/1.1 200"))
    ck.eq("Prometheus scraped every second of it (min of up over 12 s)",
          env.prom.query('min_over_time(up{job="sekisho"}[12s])'), 1.0)


GROUPS = [("prometheus", t_prometheus), ("busy", t_busy_reload), ("readyz", t_readyz), ("syslog", t_syslog),
          ("syslogstuck", t_syslog_stuck), ("status", t_status), ("info", t_info),
          ("slowheads", t_slow_heads)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    ck = Check("ops.status")
    if not os.access(PROMETHEUS, os.X_OK):
        ck.ok("prometheus is installed (contrib/deps.sh test)", False, PROMETHEUS)
        return ck.summary()
    env = Env(a.build_dir)
    try:
        only = set(a.only.split(",")) - {""}
        for name, fn in GROUPS:
            if not only or name in only:
                ck.group(name, fn, ck, env)
    finally:
        env.close()
    return ck.summary()


if __name__ == "__main__":
    sys.exit(main())
