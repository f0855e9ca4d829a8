#!/usr/bin/env python3
"""Squid end-to-end test: curl -> Squid -> (ICAP) Sekisho -> local origin.

Starts, all on loopback and free ports, a local origin HTTP server, the
built sekisho-server (with the test_block test module) and a real Squid
whose icap_service lines come from contrib/squid/sekisho.conf. Then drives
curl through the proxy and checks bytes, statuses and Sekisho's access log.

Trust: test harness only; everything it talks to is started by itself.
Missing squid, curl, c-icap or build outputs are failures, not skips.
Every process it starts is killed (by process group) on the way out.

--stock-echo runs the same transfer checks against the stock c-icap echo
service instead of Sekisho (no block checks): a harness self-check that
tells Squid/ICAP plumbing problems apart from Sekisho ones.
"""

import argparse
import hashlib
import http.server
import json
import os
import pwd
import queue
import shutil
import signal
import socket
import socketserver
import struct
import subprocess
import sys
import tempfile
import threading
import time

KB = 1024
MB = 1024 * 1024
BLOCK_URL_MARK = "sekisho-test-block"
BLOCK_BODY_MARK = b"SEKISHO-TEST-BLOCK-BODY"

# ---------------------------------------------------------------- payloads

_PRIME = 65521
_BASE = hashlib.sha256(b"sekisho").digest()
_PATTERN = b"".join(
    hashlib.sha256(_BASE + struct.pack(">I", i)).digest() for i in range(_PRIME // 32 + 2)
)[:_PRIME]
_PATTERN2 = _PATTERN * 3  # room for any rotation plus one 64 KB chunk
CHUNK = 64 * KB


def payload_chunks(size):
    """Deterministic, non-periodic bytes: chunk k is its index followed by
    the prime-length pattern at a k-dependent rotation."""
    k = 0
    left = size
    while left > 0:
        n = min(CHUNK, left)
        off = (k * 8191) % _PRIME
        chunk = struct.pack(">Q", k) + _PATTERN2[off : off + CHUNK - 8]
        yield chunk[:n]
        left -= n
        k += 1


def payload_sha256(size):
    h = hashlib.sha256()
    for c in payload_chunks(size):
        h.update(c)
    return h.hexdigest()


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


# ------------------------------------------------------------------ origin


class Origin(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr):
        super().__init__(addr, OriginHandler)
        self.seen = []  # (method, path, body length, body sha256, has marker)
        self.lock = threading.Lock()

    def handle_error(self, request, client_address):
        # A client going away mid-body (e.g. Squid aborting after an ICAP
        # error) is reported by the checks; one line is enough here.
        print(f"  origin: request from {client_address} ended early: "
              f"{sys.exc_info()[1]!r}", flush=True)

    def record(self, *entry):
        with self.lock:
            self.seen.append(entry)

    def requests(self):
        with self.lock:
            return list(self.seen)


class OriginHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sekisho-test-origin"

    def log_message(self, fmt, *args):  # keep test output readable
        pass

    def _read_body(self):
        """Whole request body as (length, sha256, marker seen); handles
        Content-Length and chunked (Squid may re-chunk adapted bodies)."""
        h = hashlib.sha256()
        total = 0
        tail = b""
        marker = False

        def feed(b):
            nonlocal total, tail, marker
            h.update(b)
            total += len(b)
            if BLOCK_BODY_MARK in tail + b:
                marker = True
            tail = (tail + b)[-len(BLOCK_BODY_MARK) :]

        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                left = size
                while left:
                    b = self.rfile.read(min(left, 1 << 20))
                    if not b:
                        raise IOError("short chunk")
                    feed(b)
                    left -= len(b)
                self.rfile.readline(1024)
        else:
            left = int(self.headers.get("Content-Length", "0"))
            while left:
                b = self.rfile.read(min(left, 1 << 20))
                if not b:
                    raise IOError("short body")
                feed(b)
                left -= len(b)
        return total, h.hexdigest(), marker

    def _send(self, status, body, ctype="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        self.server.record("GET", self.path, 0, None, False)
        if self.path.startswith("/file/"):
            size = int(self.path[len("/file/") :])
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            for c in payload_chunks(size):
                self.wfile.write(c)
        elif self.path.startswith("/" + BLOCK_URL_MARK):
            self._send(200, b"origin served the block path\n")
        else:
            self._send(200, b"hello from the origin\n")

    def do_POST(self):
        length, digest, marker = self._read_body()
        self.server.record("POST", self.path, length, digest, marker)
        if self.path.startswith("/upload"):
            body = json.dumps({"sha256": digest, "length": length}).encode()
            self._send(200, body, "application/json")
        else:
            self._send(200, b"posted\n")


# ------------------------------------------------------------- processes


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise Failure(f"{what} exited with status {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise Failure(f"{what} did not accept on 127.0.0.1:{port} within {timeout}s")


class Failure(Exception):
    pass


class Procs:
    """Every process started here, each in its own process group."""

    def __init__(self):
        self.procs = []

    def start(self, name, argv, log_path, **kw):
        log = open(log_path, "wb")
        p = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=kw.pop("stdout", log),
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **kw,
        )
        self.procs.append((name, p, log))
        return p

    def stop_all(self):
        for name, p, _ in reversed(self.procs):
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 10
        for name, p, log in reversed(self.procs):
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"  {name} ignored SIGTERM; killing", flush=True)
            # Children (c-icap, squid kids) may outlive their leader.
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            log.close()


def require_tool(name):
    path = shutil.which(name) or next(
        (d + "/" + name for d in ("/usr/sbin", "/sbin") if os.access(d + "/" + name, os.X_OK)),
        None,
    )
    if not path:
        raise Failure(f"required tool '{name}' not found (install: contrib/deps.sh test)")
    return path


def launch_sekisho(procs, tmp, icap_port, argv):
    """Start sekisho-server (argv) and wait for its 'listening' line and port."""
    log_path = os.path.join(tmp, "sekisho-server.out")
    p = procs.start("sekisho-server", argv, log_path, stdout=subprocess.PIPE)
    lines = queue.Queue()

    def pump():  # keep draining so the launcher never blocks on a full pipe
        with open(log_path, "ab") as out:
            for line in p.stdout:
                out.write(line)
                out.flush()
                lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + 30
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise Failure("sekisho-server did not print its 'listening' line within 30s")
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            continue
        if line is None:
            p.wait(timeout=10)
            raise Failure(f"sekisho-server exited ({p.returncode}) before listening")
        if b"listening on icap://" in line:
            break
    wait_port(icap_port, p, 10, "sekisho-server")


def start_sekisho(args, tmp, procs, icap_port):
    server = os.path.join(args.build_dir, "bin", "sekisho-server")
    policy = os.path.join(args.build_dir, "bin", "sekisho-policy")
    module = os.path.join(args.build_dir, "tests", "modules", "test_block.so")
    for f in (server, policy, module):
        if not os.path.exists(f):
            raise Failure(f"build output missing: {f}")
    db = os.path.join(tmp, "policy.db")
    r = subprocess.run(
        [policy, "--db", db, "init"], stdin=subprocess.DEVNULL, capture_output=True, timeout=60
    )
    if r.returncode != 0:
        raise Failure(f"sekisho-policy init failed: {r.stdout!r} {r.stderr!r}")
    run_dir = os.path.join(tmp, "sekisho-run")
    access_log = os.path.join(tmp, "sekisho-access.log")
    argv = [
        server,
        "--foreground",
        "--listen",
        f"127.0.0.1:{icap_port}",
        "--policy-db",
        db,
        "--run-dir",
        run_dir,
        "--access-log",
        access_log,
        "--modules",
        module,
    ]
    launch_sekisho(procs, tmp, icap_port, argv)
    return access_log


def start_stock_echo(tmp, procs, icap_port):
    """Harness self-check: the stock c-icap echo service, aliased to the
    service names the sample Squid config uses."""
    cicap = require_tool("c-icap")
    mods = "/usr/lib/x86_64-linux-gnu/c_icap"
    d = os.path.join(tmp, "c-icap")
    os.makedirs(d)
    conf = os.path.join(d, "c-icap.conf")
    with open(conf, "w") as f:
        f.write(
            f"PidFile {d}/c-icap.pid\nCommandsSocket {d}/c-icap.ctl\n"
            f"Port 127.0.0.1:{icap_port}\nTmpDir {d}\nServerLog {d}/server.log\n"
            f"AccessLog {d}/access.log\nModulesDir {mods}\nServicesDir {mods}\n"
            "Service echo srv_echo.so\nServiceAlias reqmod echo\nServiceAlias respmod echo\n"
        )
    p = procs.start("c-icap", [cicap, "-N", "-f", conf], os.path.join(tmp, "c-icap.out"))
    wait_port(icap_port, p, 30, "c-icap")


def squid_config(args, tmp, http_port, icap_port):
    """squid.conf: test plumbing plus the ICAP lines of the shipped sample,
    with its 127.0.0.1:1344 replaced by our port."""
    sample_path = os.path.join(args.source_dir, "contrib", "squid", "sekisho.conf")
    with open(sample_path) as f:
        sample = f.read()
    if "127.0.0.1:1344" not in sample:
        raise Failure(f"{sample_path}: expected icap://127.0.0.1:1344 service URLs")
    # --no-delay-pool (test_squid_sizes.py): the sample as on a Squid
    # without the bug-5352 workaround.
    drop = ("delay_",) if getattr(args, "no_delay_pool", False) else ()
    icap_lines = [
        l.replace("127.0.0.1:1344", f"127.0.0.1:{icap_port}")
        for l in sample.splitlines()
        if l.strip() and not l.lstrip().startswith("#") and not l.lstrip().startswith(drop)
    ]
    sd = os.path.join(tmp, "squid")
    conf = f"""# generated by tests/squid/test_squid.py
http_port 127.0.0.1:{http_port}
visible_hostname sekisho-squid-test
pid_filename {sd}/squid.pid
access_log stdio:{sd}/access.log
cache_log {sd}/cache.log
cache_store_log none
coredump_dir {sd}
netdb_filename none
pinger_enable off
logfile_rotate 0
cache deny all
cache_mem 8 MB
shutdown_lifetime 1 second
forwarded_for on
acl localnet src 127.0.0.0/8
http_access allow localhost
http_access allow localnet
http_access deny all
icap_io_timeout 30 seconds
# --- from contrib/squid/sekisho.conf ---
""" + "\n".join(icap_lines) + "\n"
    if os.environ.get("SEKISHO_SQUID_DEBUG"):  # e.g. "ALL,1 93,5 11,3" to debug
        conf += "debug_options " + os.environ["SEKISHO_SQUID_DEBUG"] + "\n"
    if os.geteuid() == 0:
        # Squid started as root switches to cache_effective_user; everything
        # it writes must belong to that user.
        conf += "cache_effective_user proxy\n"
    return conf, sd


def start_squid(args, tmp, procs, http_port, icap_port):
    squid = require_tool("squid")
    conf, sd = squid_config(args, tmp, http_port, icap_port)
    os.makedirs(sd)
    path = os.path.join(sd, "squid.conf")
    with open(path, "w") as f:
        f.write(conf)
    if os.geteuid() == 0:
        pw = pwd.getpwnam("proxy")
        os.chmod(tmp, 0o755)
        for p in (sd, path):
            os.chown(p, pw.pw_uid, pw.pw_gid)
    r = subprocess.run(
        [squid, "-k", "parse", "-f", path], stdin=subprocess.DEVNULL,
        capture_output=True, timeout=60,
    )
    if r.returncode != 0:
        raise Failure("squid -k parse failed:\n" + r.stderr.decode(errors="replace"))
    p = procs.start("squid", [squid, "-N", "-f", path], os.path.join(sd, "squid.out"))
    wait_port(http_port, p, 30, "squid")
    if "\ndelay_pools " in conf:
        wait_delay_pool(http_port, p)
    return sd


def wait_delay_pool(http_port, proc, timeout=15):
    """Squid 5.7 builds a delay pool's bucket before it reads the pool's
    rate, so the bucket stays empty until the pool's first one-second
    update; a REQMOD block page answered in that window never gets its
    body stored (the client hangs). Poll the cache manager's delay page
    until the aggregate bucket holds bytes."""
    import urllib.request
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{http_port}/squid-internal-mgr/delay"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise Failure(f"squid exited with status {proc.returncode}")
        try:
            page = opener.open(url, timeout=5).read().decode(errors="replace")
        except OSError:
            page = ""
        levels = [l.split(":", 1)[1].strip() for l in page.splitlines()
                  if l.strip().startswith("Current:")]
        if levels and all(v.lstrip("-").isdigit() and int(v) > 0 for v in levels):
            return
        time.sleep(0.1)
    raise Failure(f"Squid's delay pool bucket still empty after {timeout}s ({url})")


# ----------------------------------------------------------------- checks


class Checker:
    def __init__(self, tmp, http_port):
        self.tmp = tmp
        self.proxy = f"http://127.0.0.1:{http_port}"
        self.curl = require_tool("curl")
        self.failed = []
        self.passed = 0

    def curl_run(self, url, out, extra=()):
        argv = [
            self.curl, "-sS", "--noproxy", "", "-x", self.proxy,
            "--max-time", os.environ.get("SEKISHO_CURL_MAX_TIME", "120"), "-o", out, "-w", "%{http_code}", *extra, url,
        ]
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=150)
        if r.returncode != 0:
            return None, r.stderr.decode(errors="replace").strip()
        return int(r.stdout.decode().strip() or 0), ""

    def check(self, name, ok, detail=""):
        t = f"{time.monotonic() - self.t0:6.1f}s"
        if ok:
            self.passed += 1
            print(f"  ok    {t}  {name}", flush=True)
        else:
            self.failed.append(name)
            print(f"  FAIL  {t}  {name}: {detail}", flush=True)


def run_checks(c, origin, origin_port, access_log):
    base = f"http://127.0.0.1:{origin_port}"
    out = os.path.join(c.tmp, "curl.out")
    c.t0 = time.monotonic()

    for size in (0, 1 * KB, 50 * MB):
        status, err = c.curl_run(f"{base}/file/{size}", out)
        got = file_sha256(out) if status else None
        want = payload_sha256(size)
        c.check(
            f"GET {size} B through Squid+ICAP arrives intact",
            status == 200 and got == want,
            f"status={status} {err} sha256 got={got} want={want}",
        )

    for size in (1 * KB, 50 * MB):
        src = os.path.join(c.tmp, f"upload-{size}")
        with open(src, "wb") as f:
            for chunk in payload_chunks(size):
                f.write(chunk)
        want = payload_sha256(size)
        status, err = c.curl_run(
            f"{base}/upload?size={size}", out,
            ["--data-binary", "@" + src, "-H", "Content-Type: application/octet-stream"],
        )
        try:
            with open(out) as f:
                rep = json.load(f)
        except (OSError, ValueError):
            rep = {}
        c.check(
            f"POST {size} B reaches the origin intact",
            status == 200 and rep.get("sha256") == want and rep.get("length") == size,
            f"status={status} {err} origin saw {rep} want sha256={want}",
        )
        os.unlink(src)

    if access_log is None:
        return

    block_url = f"{base}/{BLOCK_URL_MARK}"
    status, err = c.curl_run(block_url, out)
    try:
        with open(out, "rb") as f:
            page = f.read()
    except OSError:
        page = b""
    c.check(
        "GET of a blocked URL gets a 403 page from Sekisho",
        status == 403 and b"sekisho" in page.lower(),
        f"status={status} {err} page={page[:200]!r}",
    )
    c.check(
        "the blocked URL never reached the origin",
        not any(BLOCK_URL_MARK in e[1] for e in origin.requests()),
        f"origin saw {[e[1] for e in origin.requests() if BLOCK_URL_MARK in e[1]]}",
    )

    src = os.path.join(c.tmp, "upload-block")
    with open(src, "wb") as f:
        f.write(b"x" * 3000 + BLOCK_BODY_MARK + b"y" * 3000)
    status, err = c.curl_run(
        f"{base}/upload?case=block-body", out,
        ["--data-binary", "@" + src, "-H", "Content-Type: application/octet-stream"],
    )
    with open(out, "rb") as f:
        page = f.read()
    c.check(
        "POST with a blocked body gets a 403 page from Sekisho",
        status == 403 and b"sekisho" in page.lower(),
        f"status={status} {err} page={page[:200]!r}",
    )
    c.check(
        "the blocked POST body never reached the origin",
        not any("case=block-body" in e[1] or e[4] for e in origin.requests()),
        f"origin saw {[e for e in origin.requests() if e[0] == 'POST']}",
    )

    # Squid may log before Sekisho's line is flushed; poll briefly.
    found, lines = None, []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and found is None:
        try:
            with open(access_log) as f:
                lines = f.read().splitlines()
        except OSError:
            lines = []
        for line in lines:
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if BLOCK_URL_MARK in str(rec.get("url", "")) and rec.get("verdict") == "block":
                found = rec
        if found is None:
            time.sleep(0.2)
    c.check(
        'Sekisho access log has "verdict":"block" for the blocked URL',
        found is not None,
        f"{len(lines)} lines in {access_log}; last: {lines[-3:]}",
    )
    bad = [l for l in lines if l.strip() and not _is_json(l)]
    c.check("every access log line is JSON", not bad, f"not JSON: {bad[:3]}")


def _is_json(line):
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def tail(path, n=40):
    try:
        with open(path, "rb") as f:
            data = f.read().decode(errors="replace").splitlines()
    except OSError:
        return
    print(f"--- last {min(n, len(data))} lines of {path}")
    for l in data[-n:]:
        print("    " + l)


TAIL_FILES = ("sekisho-server.out", "sekisho-access.log", "c-icap.out", "squid/cache.log",
              "squid/squid.out", "squid/access.log")


def squid_main(label, prefix, origin_cls, setup, add_args=None):
    """The main() of every Squid end-to-end script: options, a temp dir, the
    origin, the ICAP side, Squid, the checks, clean-up and the exit status.
    setup(args, tmp, procs, icap_port, origin, origin_port) starts the ICAP
    side and returns a function that runs the checks with a Checker."""
    here = os.path.dirname(os.path.abspath(__file__))
    doc = sys.modules["__main__"].__doc__ or label
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--source-dir", default=os.path.dirname(os.path.dirname(here)))
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    if add_args:
        add_args(ap)
    args = ap.parse_args()
    args.build_dir = os.path.abspath(args.build_dir)
    args.source_dir = os.path.abspath(args.source_dir)

    t_start = time.monotonic()
    tmp = tempfile.mkdtemp(prefix=prefix)
    procs = Procs()
    origin = None
    ok = False
    try:
        require_tool("c-icap")
        icap_port, http_port = free_port(), free_port()
        origin = origin_cls(("127.0.0.1", 0))
        origin_port = origin.server_address[1]
        threading.Thread(target=origin.serve_forever, daemon=True).start()
        print(f"origin 127.0.0.1:{origin_port}  icap 127.0.0.1:{icap_port}  "
              f"squid 127.0.0.1:{http_port}  tmp {tmp}", flush=True)
        checks = setup(args, tmp, procs, icap_port, origin, origin_port)
        start_squid(args, tmp, procs, http_port, icap_port)
        print(f"started in {time.monotonic() - t_start:.1f}s; checking:", flush=True)
        c = Checker(tmp, http_port)
        checks(c)
        ok = not c.failed
        print(f"{c.passed} passed, {len(c.failed)} failed", flush=True)
    except Failure as e:
        print(f"FAIL: {e}", flush=True)
    except Exception as e:  # a harness bug must fail the test too, loudly
        import traceback
        traceback.print_exc()
        print(f"FAIL: harness error: {e}", flush=True)
    finally:
        procs.stop_all()
        if origin is not None:
            origin.shutdown()
            origin.server_close()
        if not ok:
            for p in TAIL_FILES:
                tail(os.path.join(tmp, p))
            for root, _, files in os.walk(os.path.join(tmp, "sekisho-run")):
                for f in files:
                    if f.endswith(".log"):
                        tail(os.path.join(root, f))
        if args.keep or (not ok and os.environ.get("SEKISHO_KEEP_TMP")):
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"{label}: {'PASS' if ok else 'FAIL'} in {time.monotonic() - t_start:.1f}s")
    return 0 if ok else 1


def main():
    def add_args(ap):
        ap.add_argument("--stock-echo", action="store_true",
                        help="harness self-check against the stock c-icap echo service")

    def setup(args, tmp, procs, icap_port, origin, origin_port):
        if args.stock_echo:
            start_stock_echo(tmp, procs, icap_port)
            access_log = None
        else:
            access_log = start_sekisho(args, tmp, procs, icap_port)
        return lambda c: run_checks(c, origin, origin_port, access_log)
    return squid_main("squid end-to-end", "sekisho-squid-", Origin, setup, add_args)


if __name__ == "__main__":
    sys.exit(main())
