"""Helpers for the Sekisho integration and hostile tests (Python 3 stdlib only).

- Check: prints one line per check, counts failures, summarises.
- IcapConn / transact(): an ICAP/1.0 client over raw sockets (chunked
  encoding, preview with or without ieof, Allow: 204, keep-alive) that keeps
  a transcript of the bytes exchanged for failure reports.
- SekishoServer: a fixture that initialises a temporary policy database,
  picks a free loopback port, starts build/bin/sekisho-server --foreground,
  waits for its readiness line and always stops it.
"""

import base64
import glob
import hashlib
import io
import os
import queue
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import sanitizer_reports  # noqa: E402  (tests/sanitizer_reports.py)

CRLF = b"\r\n"


# --------------------------------------------------------------------------
# Checks

class Check:
    """Counts checks; every check prints exactly one PASS/FAIL line."""

    def __init__(self, suite):
        self.suite = suite
        self.passed = 0
        self.failed = []
        self.xfailed = []
        self.t0 = time.monotonic()

    def ok(self, name, cond, detail=""):
        if cond:
            self.passed += 1
            print("PASS %s" % name, flush=True)
        else:
            self.failed.append(name)
            msg = "FAIL %s" % name
            if detail:
                msg += ": " + str(detail)
            print(msg, flush=True)
        return bool(cond)

    def known(self, name, cond, reason):
        """A check that is known to fail for a reason outside this project
        (an upstream bug).  Printed as XFAIL while it fails.  Strict (issue
        16): once it passes (XPASS) it counts as a FAILURE, so the marker
        cannot outlive the bug and hide a later regression; remove it then.
        Keep the reason exact."""
        if cond:
            print("XPASS %s (known issue no longer reproduces: %s)" % (name, reason), flush=True)
            self.failed.append("%s: XPASS, remove the known-issue marker" % name)
        else:
            print("XFAIL %s: %s" % (name, reason), flush=True)
            self.xfailed.append(name)
        return bool(cond)

    def eq(self, name, got, want):
        return self.ok(name, got == want, "got %r, want %r" % (_short(got), _short(want)))

    def group(self, name, fn, *args, **kw):
        """Run a group of checks; an exception fails the group, never the run."""
        print("--- %s" % name, flush=True)
        try:
            return fn(*args, **kw)
        except Exception as e:  # noqa: BLE001 - a crashed group is a failed check
            tb = traceback.format_exc()
            self.ok("%s: completes without exception" % name, False,
                    "%s: %s\n%s" % (type(e).__name__, e, tb))
            return None

    def summary(self):
        dt = time.monotonic() - self.t0
        total = self.passed + len(self.failed)
        print("=== %s: %d checks, %d passed, %d failed, %d known upstream failures (%.1f s)"
              % (self.suite, total + len(self.xfailed), self.passed, len(self.failed),
                 len(self.xfailed), dt), flush=True)
        for f in self.xfailed:
            print("    known (XFAIL): %s" % f)
        for f in self.failed:
            print("    failed: %s" % f)
        if total == 0:
            print("=== %s: no checks ran: failing" % self.suite)
            return 1
        return 1 if self.failed else 0


def _short(v, n=200):
    if isinstance(v, (bytes, bytearray)) and len(v) > n:
        return bytes(v[:n]) + b"...(%d bytes)" % len(v)
    if isinstance(v, str) and len(v) > n:
        return v[:n] + "...(%d chars)" % len(v)
    return v


def sha(b):
    return hashlib.sha256(b).hexdigest()[:16]


# --------------------------------------------------------------------------
# Test data

SPECIALS = [b"0\r\n\r\n", b"\r\n", b"\n", b"\r", b"\x00", b"\x00\r\n\x00",
            b"0; ieof\r\n\r\n", b"\r\n\r\n", b"ffff\r\n", b"ICAP/1.0 200 OK\r\n"]


def make_body(size, seed=1):
    """Random bytes with CR/LF/NUL sequences and b"0\\r\\n\\r\\n" spliced in,
    including around 64 KiB boundaries."""
    if size == 0:
        return b""
    if size == 1:
        return b"0"
    rnd = random.Random(seed * 1000003 + size)
    buf = bytearray(rnd.getrandbits(8 * size).to_bytes(size, "little"))
    positions = [0, size // 2, max(0, size - 5)]
    for b in (4096, 65536, 65536 * 2, 1 << 20):
        for d in (-5, -3, -1, 0, 1):
            if 0 <= b + d < size:
                positions.append(b + d)
    positions += [rnd.randrange(size) for _ in range(min(64, size // 64))]
    for i, p in enumerate(positions):
        s = SPECIALS[i % len(SPECIALS)]
        s = s[: size - p]
        buf[p:p + len(s)] = s
    assert len(buf) == size
    return bytes(buf)


def zip_bytes(entries, zip64=False, method=zipfile.ZIP_DEFLATED):
    """A zip of (name, data) ENTRIES in order, built by Python's zipfile
    (the independent encoder); zip64 forces ZIP64 records for each."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in entries:
            if zip64:
                with z.open(name, "w", force_zip64=True) as f:
                    f.write(data)
            else:
                z.writestr(name, data)
    return buf.getvalue()


def http_req_head(method, url, host="origin.test", extra=(), body_len=None):
    lines = ["%s %s HTTP/1.1" % (method, url), "Host: %s" % host,
             "User-Agent: sekisho-integration/1", "Accept: */*"]
    if body_len is not None:
        lines.append("Content-Length: %d" % body_len)
    lines += list(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape")


def http_req_head_raw(method, url_bytes, host=b"origin.test"):
    return (method.encode() + b" " + url_bytes + b" HTTP/1.1\r\nHost: " + host +
            b"\r\nAccept: */*\r\n\r\n")


def http_res_head(status=200, reason="OK", ctype="application/octet-stream",
                  body_len=None, extra=()):
    lines = ["HTTP/1.1 %d %s" % (status, reason), "Content-Type: %s" % ctype,
             "Date: Sat, 22 Nov 2025 18:00:00 GMT", "Server: origin-test"]
    if body_len is not None:
        lines.append("Content-Length: %d" % body_len)
    lines += list(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


# --------------------------------------------------------------------------
# ICAP client

class ProtocolError(Exception):
    pass


class IcapConn:
    """A buffered socket with a transcript of what went each way."""

    def __init__(self, host, port, timeout=30.0):
        if os.environ.get("SEKISHO_SANITIZED"):
            # under ASan a reload's new children take seconds to start, and
            # a connection waits in the backlog meanwhile
            timeout = max(timeout, 60.0)
        self.host, self.port = host, port
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.buf = bytearray()
        self.sent_log = bytearray()
        self.recv_log = bytearray()
        self.sent_total = 0
        self.recv_total = 0
        self.lock = threading.Lock()
        self.LOG_MAX = 4096

    def send(self, data):
        with self.lock:
            if len(self.sent_log) < self.LOG_MAX:
                self.sent_log += data[: self.LOG_MAX - len(self.sent_log)]
            self.sent_total += len(data)
        self.sock.sendall(data)

    def _fill(self):
        d = self.sock.recv(262144)
        if not d:
            raise EOFError("connection closed by server after %d bytes received"
                           % self.recv_total)
        if len(self.recv_log) < self.LOG_MAX:
            self.recv_log += d[: self.LOG_MAX - len(self.recv_log)]
        self.recv_total += len(d)
        self.buf += d

    def read_until(self, delim, limit=1 << 20):
        while True:
            i = self.buf.find(delim)
            if i >= 0:
                out = bytes(self.buf[: i + len(delim)])
                del self.buf[: i + len(delim)]
                return out
            if len(self.buf) > limit:
                raise ProtocolError("no %r within %d bytes" % (delim, limit))
            self._fill()

    def read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def read_chunked(self):
        """Returns (body, extensions_of_last_chunk)."""
        parts = []
        while True:
            line = self.read_until(CRLF, 4096)[:-2]
            size_s, _, ext = line.partition(b";")
            try:
                size = int(size_s.strip(), 16)
            except ValueError:
                raise ProtocolError("bad chunk size line %r" % line)
            if size == 0:
                # trailers until empty line
                while self.read_until(CRLF, 65536) != CRLF:
                    pass
                return b"".join(parts), ext.strip()
            parts.append(self.read_exact(size))
            if self.read_exact(2) != CRLF:
                raise ProtocolError("chunk of %d bytes not followed by CRLF" % size)

    def at_eof(self, wait=1.0):
        """True if the server closed the connection (and sent nothing more)."""
        if self.buf:
            return False
        self.sock.settimeout(wait)
        try:
            d = self.sock.recv(1)
            if d:
                self.buf += d
                return False
            return True
        except socket.timeout:
            return False
        except OSError:
            return True

    def transcript(self, n=1500):
        return ("--- sent (%d bytes total, first %d shown):\n%r\n--- received (%d bytes total):\n%r"
                % (self.sent_total, min(n, len(self.sent_log)), bytes(self.sent_log[:n]),
                   self.recv_total, bytes(self.recv_log[:n])))

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class IcapResponse:
    def __init__(self):
        self.status = None
        self.reason = ""
        self.status_line = b""
        self.headers = []       # [(name, value)]
        self.raw_head = b""
        self.parts = {}         # 'req-hdr' / 'res-hdr' -> bytes
        self.body = None        # de-chunked body or None
        self.body_ext = b""
        self.encapsulated = []  # [(name, offset)]
        self.continued = False  # a 100 Continue came first
        self.at_preview = False  # the final answer came before the rest of the body was sent

    def header(self, name, default=None):
        n = name.lower()
        for k, v in self.headers:
            if k.lower() == n:
                return v
        return default

    def header_all(self, name):
        n = name.lower()
        return [v for k, v in self.headers if k.lower() == n]

    def http_status(self):
        h = self.parts.get("res-hdr")
        if not h:
            return None
        try:
            return int(h.split(b" ", 2)[1])
        except (IndexError, ValueError):
            return None

    def __repr__(self):
        return "<ICAP %s %s encaps=%s>" % (self.status, self.reason, self.encapsulated)


def parse_encapsulated(value):
    out = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        k, _, v = item.partition("=")
        out.append((k.strip().lower(), int(v.strip())))
    return out


def read_response(conn, head_limit=1 << 20):
    r = IcapResponse()
    head = conn.read_until(b"\r\n\r\n", head_limit)
    r.raw_head = head
    lines = head[:-4].split(CRLF)
    r.status_line = lines[0]
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"ICAP/"):
        raise ProtocolError("bad ICAP status line %r" % lines[0])
    r.status = int(parts[1])
    r.reason = parts[2].decode("latin-1") if len(parts) > 2 else ""
    for ln in lines[1:]:
        k, _, v = ln.decode("latin-1").partition(":")
        r.headers.append((k.strip(), v.strip()))
    if r.status == 100:
        return r
    enc = r.header("Encapsulated")
    if enc is None:
        return r
    r.encapsulated = parse_encapsulated(enc)
    hdr_len = 0
    body_name = None
    for i, (k, off) in enumerate(r.encapsulated):
        if k.endswith("-body") or k == "null-body":
            hdr_len = off
            body_name = k
            break
    raw = conn.read_exact(hdr_len) if hdr_len else b""
    for i, (k, off) in enumerate(r.encapsulated):
        if k.endswith("-hdr"):
            end = r.encapsulated[i + 1][1] if i + 1 < len(r.encapsulated) else hdr_len
            r.parts[k] = raw[off:end]
    if body_name and body_name != "null-body":
        r.body, r.body_ext = conn.read_chunked()
    return r


def chunk(data, ext=b""):
    if not data and not ext:
        return b""
    return b"%x%s\r\n%s\r\n" % (len(data), (b"; " + ext) if ext else b"", data)


def chunk_stream(data, chunk_size):
    for i in range(0, len(data), chunk_size):
        yield chunk(data[i:i + chunk_size])


def build_head(method, url, req_hdr=None, res_hdr=None, has_body=False,
               preview=None, allow204=False, extra=(), host="127.0.0.1",
               connection=None):
    enc = []
    off = 0
    if req_hdr is not None:
        enc.append("req-hdr=%d" % off)
        off += len(req_hdr)
    if res_hdr is not None:
        enc.append("res-hdr=%d" % off)
        off += len(res_hdr)
    if has_body:
        enc.append("%s=%d" % ("req-body" if method == "REQMOD" else "res-body", off))
    else:
        enc.append("null-body=%d" % off)
    lines = ["%s %s ICAP/1.0" % (method, url), "Host: %s" % host,
             "Encapsulated: %s" % ", ".join(enc)]
    if preview is not None:
        lines.append("Preview: %d" % preview)
    if allow204:
        lines.append("Allow: 204")
    if connection:
        lines.append("Connection: %s" % connection)
    lines += list(extra)
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape")
    return head + (req_hdr or b"") + (res_hdr or b"")


class _Sender(threading.Thread):
    def __init__(self, conn, pieces):
        super().__init__(daemon=True)
        self.conn, self.pieces, self.error = conn, pieces, None

    def run(self):
        try:
            for p in self.pieces:
                if p:
                    self.conn.send(p)
        except OSError as e:
            self.error = e


def transact(conn, method, url, req_hdr=None, res_hdr=None, body=None,
             preview=None, allow204=False, extra=(), chunk_size=65536,
             chunks=None, connection=None):
    """One ICAP REQMOD/RESPMOD transaction on an open IcapConn.

    body None -> null-body.  chunks overrides how the body is split.
    preview N -> send the first N bytes, ieof when the whole body fits.
    Returns the final IcapResponse (continued/at_preview set)."""
    has_body = body is not None or chunks is not None
    if chunks is not None:
        body = b"".join(chunks)
    head = build_head(method, url, req_hdr, res_hdr, has_body, preview,
                      allow204, extra, host=conn.host, connection=connection)
    if not has_body:
        conn.send(head)
        return read_response(conn)
    if chunks is not None:
        pieces = [chunk(c) for c in chunks if c]
    else:
        pieces = None
    if preview is not None:
        pv = body[:preview]
        ieof = len(body) <= preview
        conn.send(head + chunk(pv) + (b"0; ieof\r\n\r\n" if ieof else b"0\r\n\r\n"))
        r = read_response(conn)
        if r.status != 100:
            r.at_preview = not ieof
            return r
        if ieof:
            raise ProtocolError("server sent 100 Continue after 0; ieof")
        rest = body[preview:]
        sender = _Sender(conn, list(chunk_stream(rest, chunk_size)) + [b"0\r\n\r\n"])
        sender.start()
        r2 = read_response(conn)
        r2.continued = True
        sender.join(30)
        return r2
    if pieces is None:
        pieces = chunk_stream(body, chunk_size)
    sender = _Sender(conn, [head] + list(pieces) + [b"0\r\n\r\n"])
    sender.start()
    r = read_response(conn)
    sender.join(60)
    return r


def options(conn, url):
    conn.send(("OPTIONS %s ICAP/1.0\r\nHost: %s\r\nEncapsulated: null-body=0\r\n\r\n"
               % (url, conn.host)).encode())
    return read_response(conn)


# --------------------------------------------------------------------------
# Server fixture

def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def port_is_free(port, wait=5.0):
    """True when nothing listens on 127.0.0.1:port (polls up to `wait` s)."""
    deadline = time.monotonic() + wait
    while True:
        if _port_free_once(port) or time.monotonic() > deadline:
            return _port_free_once(port)
        time.sleep(0.1)


def _port_free_once(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
        s.listen(1)
        return True
    except OSError:
        return False
    finally:
        s.close()


class StartupError(Exception):
    pass


ALL_RUN_DIRS = []


class SekishoServer:
    READY = "sekisho-server: listening on icap://"

    def __init__(self, build_dir, modules=None, config_text=None, extra_args=(),
                 port=None, db=None, debug=None, name="srv", test_signatures=True):
        self.build_dir = os.path.abspath(build_dir)
        self.bin = os.path.join(self.build_dir, "bin", "sekisho-server")
        self.policy = os.path.join(self.build_dir, "bin", "sekisho-policy")
        self.tmp = tempfile.mkdtemp(prefix="sekisho-%s-" % name)
        self.db = db or os.path.join(self.tmp, "policy.db")
        self.run_dir = os.path.join(self.tmp, "run")
        self.access_log = os.path.join(self.tmp, "access.log")
        self.modules = modules
        self.config_text = config_text
        self.extra_args = list(extra_args)
        self.port = port
        self.debug = debug
        # no ClamAV signatures on a test machine: virus_scan may use its
        # built-in EICAR-only set (without the flag it refuses to start)
        self.test_signatures = test_signatures
        self.proc = None
        self.stdout_lines = []
        self.stderr_path = os.path.join(self.tmp, "stderr.txt")
        self._q = queue.Queue()
        ALL_RUN_DIRS.append(self.run_dir)

    # helpers ---------------------------------------------------------------
    def policy_cmd(self, *args, check=True):
        p = subprocess.run([self.policy, "--db", self.db] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        if check and p.returncode != 0:
            raise StartupError("sekisho-policy %s failed (%d): %s"
                               % (" ".join(args), p.returncode, p.stderr.decode(errors="replace")))
        return p

    def init_db(self):
        return self.policy_cmd("init")

    def env(self):
        env = dict(os.environ)
        pre = os.environ.get("SEKISHO_DAEMON_PRELOAD")
        if pre:
            env["LD_PRELOAD"] = pre
            # Reports go where test.sh looks (its ASAN_OPTIONS log_path, kept
            # after cleanup() removes self.tmp); run by hand, next to the run
            # directory, never inside it: the launcher must create that one
            # itself (integration.launcher checks a refusal leaves none).
            opts = env.get("ASAN_OPTIONS", "")
            if "log_path=" not in opts:
                opts = "log_path=%s" % os.path.join(self.tmp, "asan")
            # leaks reported, exit status kept (tests/sanitizer_reports.py
            # judges the reports); test.sh's own options come after these
            env["ASAN_OPTIONS"] = ("detect_leaks=1:exitcode=0:log_exe_name=1:"
                                   "abort_on_error=1:" + opts)
        return env

    def argv(self):
        a = [self.bin, "--listen", "127.0.0.1:%d" % self.port, "--policy-db", self.db,
             "--foreground", "--run-dir", self.run_dir, "--access-log", self.access_log]
        if self.modules:
            a += ["--modules", self.modules]
        if self.config_text is not None:
            cf = os.path.join(self.tmp, "extra.conf")
            with open(cf, "w") as f:
                f.write(self.config_text)
            a += ["--config", cf]
        if self.debug is not None:
            a += ["--debug", str(self.debug)]
        if self.test_signatures:
            a.append("--test-signatures")
        return a + self.extra_args

    def _reader(self, stream):
        for line in iter(stream.readline, b""):
            s = line.decode("utf-8", "replace").rstrip("\n")
            self.stdout_lines.append(s)
            self._q.put(s)
        self._q.put(None)

    def spawn(self):
        if self.port is None:
            self.port = free_port()
        self._errf = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(self.argv(), stdout=subprocess.PIPE, stderr=self._errf,
                                     stdin=subprocess.DEVNULL, env=self.env(),
                                     start_new_session=True)
        threading.Thread(target=self._reader, args=(self.proc.stdout,), daemon=True).start()

    def start(self, timeout=30.0):
        """Init DB if absent, start, wait for readiness; raises StartupError."""
        if not os.path.exists(self.db):
            self.init_db()
        self.spawn()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._q.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            if line is None:
                break
            if line.startswith(self.READY):
                self.ready_line = line
                # readiness printed: the port must accept connections now
                for _ in range(50):
                    try:
                        socket.create_connection(("127.0.0.1", self.port), 1).close()
                        return self
                    except OSError:
                        time.sleep(0.1)
                raise StartupError("printed ready line but port %d refuses connections"
                                   % self.port)
        rc = self.proc.poll()
        err = self.stderr_text()
        self.stop()
        raise StartupError("server not ready within %.0fs (rc=%s)\nstdout: %s\nstderr: %s"
                           % (timeout, rc, "\n".join(self.stdout_lines[-20:]), err[-3000:]))

    def daemon_log_tail(self, n=3000):
        """Best effort: the daemon logs the launcher keeps in its run dir."""
        out = []
        for name in ("server.log", "c-icap.out"):
            p = os.path.join(self.run_dir, name)
            try:
                with open(p, "rb") as f:
                    out.append("--- %s (tail):\n%s" % (p, f.read()[-n:].decode("utf-8", "replace")))
            except OSError:
                pass
        return "\n".join(out)

    def server_log(self):
        """The daemon's server log the launcher keeps in its run dir (its
        first readable file), or None."""
        for name in ("server.log", "c-icap.out"):
            try:
                with open(os.path.join(self.run_dir, name), "rb") as f:
                    return f.read().decode("utf-8", "replace")
            except OSError:
                continue
        return None

    def all_logs(self):
        """Everything the server wrote: the daemon's server.log and
        c-icap.out (both, where each exists) and the launcher's stderr."""
        text = []
        for name in ("server.log", "c-icap.out"):
            try:
                with open(os.path.join(self.run_dir, name), "rb") as f:
                    text.append(f.read().decode("utf-8", "replace"))
            except OSError:
                pass
        text.append(self.stderr_text())
        return "\n".join(text)

    def worker_crashes(self):
        """c-icap's main process logs 'Child N did not exit normally' (and
        the signal) when a worker dies: those lines, or None when no server
        log can be read."""
        txt = self.server_log()
        if txt is None:
            return None
        return re.findall(r"Child \d+ did not exit normally\.?|signaled with signal: \d+", txt)

    def stderr_text(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self, timeout=15.0):
        """SIGTERM, wait; SIGKILL our own process group if it hangs. Returns rc."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.proc.wait(5)
            rc = "hung (killed)"
        # the launcher's process group may hold c-icap children: make sure
        # none of them outlive it (they are ours: same session)
        self.leftovers = False
        try:
            os.killpg(self.proc.pid, 0)
            self.leftovers = True
            time.sleep(0.5)
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self._errf.close()
        self.rc = rc
        return rc

    def url(self, service=""):
        return "icap://127.0.0.1:%d%s" % (self.port, ("/" + service) if service else "")

    def conn(self, timeout=30.0):
        return IcapConn("127.0.0.1", self.port, timeout)

    def log_lines(self):
        """The access log's complete lines: the server may be writing the
        last one (an ASan daemon is slow enough to be caught half-way), and
        a line without its newline is not one yet."""
        try:
            with open(self.access_log, "rb") as f:
                return f.read().split(b"\n")[:-1]
        except OSError:
            return []

    def cleanup(self):
        if os.environ.get("SEKISHO_KEEP_TMP"):
            print("keeping %s" % self.tmp)
            return
        shutil.rmtree(self.tmp, ignore_errors=True)


def run_launcher_expect_failure(srv, timeout=20.0):
    """Run a launcher that should fail at startup; returns (rc, stdout, stderr).
    rc is "started" if it printed its ready line instead (then it is stopped),
    "timeout" if it neither failed nor got ready in time."""
    srv.spawn()
    deadline = time.monotonic() + timeout
    rc = None
    while time.monotonic() < deadline:
        if srv.proc.poll() is not None:
            rc = srv.proc.returncode
            break
        if any(l.startswith(srv.READY) for l in srv.stdout_lines):
            rc = "started"
            break
        time.sleep(0.05)
    if rc is None:
        rc = "timeout"
    if rc in ("started", "timeout"):
        srv.stop(5)
    else:
        srv.stop(5)  # reaps, kills anything left in its process group
        srv.proc.wait()
    time.sleep(0.1)  # let the reader thread drain stdout
    return rc, "\n".join(srv.stdout_lines), srv.stderr_text()


def openssl(*args, cwd=None):
    """Runs the openssl command (test certificates); raises on failure."""
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)


def make_ca(d, name, subject=None):
    """A throwaway CA in D: NAME.key and NAME.pem (2 days)."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
            subject or "/CN=%s" % name, "-keyout", name + ".key", "-out", name + ".pem", cwd=d)


def make_cert(d, name, ca):
    """NAME.key and NAME.pem in D for IP 127.0.0.1 (a server or a client),
    signed by CA, made by make_ca in D."""
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=%s" % name,
            "-keyout", name + ".key", "-out", name + ".csr", cwd=d)
    openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
            "-CAcreateserial", "-days", "2", "-extfile", "ext.cnf", "-out", name + ".pem", cwd=d)


def children_of(pid):
    """PID's child processes (of any of its threads), from /proc."""
    out = []
    try:
        for t in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, t)) as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def tree_kb(root, field, include_root=True):
    """Summed smaps_rollup FIELD ("Pss", "Anonymous", ...) in kB of ROOT's
    descendants, and of ROOT itself unless INCLUDE_ROOT is false."""
    total, todo = 0, children_of(root) + ([root] if include_root else [])
    seen = set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        if p != root:
            todo += children_of(p)
        try:
            with open("/proc/%d/smaps_rollup" % p) as f:
                total += sum(int(ln.split()[1]) for ln in f if ln.startswith(field + ":"))
        except OSError:
            pass
    return total


def check_asan(ck):
    """In the sanitizer build, any ASan/UBSan report file is a failure."""
    if not os.environ.get("SEKISHO_DAEMON_PRELOAD"):
        return
    found = []
    for d in ALL_RUN_DIRS:
        for f in glob.glob(os.path.join(os.path.dirname(d), "asan*")):
            try:
                with open(f, errors="replace") as fh:
                    parts = sanitizer_reports.counts(fh.read(), f)
            except OSError as e:
                parts = ["unreadable: %s" % e]
            if parts:
                found.append(f)
                print("==== %s\n%s" % (f, "\n".join(parts)[:20000]))
    ck.ok("sanitizer: no ASan/UBSan report of ours in run dirs", not found,
          "found %s" % found)


def b64(s):
    return base64.b64encode(s.encode()).decode()


def find_c_icap_client():
    return shutil.which("c-icap-client")


def main_wrapper(fn):
    try:
        rc = fn()
    except KeyboardInterrupt:
        rc = 130
    sys.exit(rc)


# --------------------------------------------------------------------------
def wait_live(srv, limit=20.0):
    """Waits until the c-icap children use the newest policy generation:
    the master's post_init (run at start and at every reconfigure, right
    before it forks the new children) logged it or a newer one. A reload can
    wait ~2 s for the previous one's children to retire (icap-server/
    README.md "Reload"), longer under the sanitizers, so a fixed sleep is
    not enough. True once live, False after LIMIT seconds."""
    gen = int(srv.policy_cmd("generation").stdout.split()[0])
    deadline = time.monotonic() + limit
    while True:
        log = srv.daemon_log_tail(1 << 26)
        if any(int(m.group(1)) >= gen
               for m in re.finditer(r"module\(s\), policy generation (\d+)", log)):
            time.sleep(0.5)  # the old children stop taking connections
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


# issue 16: "the server started" as a check that can fail

def check_started(ck, srv, label, n_modules):
    """The started server answers OPTIONS 200 for REQMOD and RESPMOD with an
    ISTag, and its log says it loaded exactly N_MODULES modules (polled:
    the line is written at start-up, never assumed)."""
    c = srv.conn(10)
    try:
        r = options(c, srv.url("sekisho"))
    finally:
        c.close()
    methods = r.header("Methods") or ""
    ck.ok("%s: OPTIONS 200, REQMOD and RESPMOD, an ISTag" % label,
          r.status == 200 and "REQMOD" in methods and "RESPMOD" in methods
          and re.fullmatch(r'"CI0001-[0-9a-f]{12}-[0-9a-f]{12}"', r.header("ISTag") or ""),
          r.raw_head)
    want = ": %d module(s), policy generation" % n_modules
    deadline, found = time.monotonic() + 10, False
    while not found and time.monotonic() < deadline:
        found = any(want in ln for ln in srv.daemon_log_tail(200000).splitlines())
        if not found:
            time.sleep(0.05)
    ck.ok("%s: the log says%s" % (label, want), found, srv.daemon_log_tail(1500))


def serve_checked(ck, srv, label, n_modules, setup, body):
    """One server's life as a checked test: init its database, SETUP(srv)
    (policy commands), start it, check_started(LABEL, N_MODULES), BODY();
    then stop it and check that the launcher exits 0 on SIGTERM and frees
    its port. A start that fails is a failed check, not an exception."""
    try:
        srv.init_db()
        setup(srv)
        srv.start()
        check_started(ck, srv, label, n_modules)
    except StartupError as e:
        ck.ok(label, False, str(e))
        srv.cleanup()
        return
    try:
        body()
    finally:
        rc = srv.stop()
        ck.eq("SIGTERM: launcher exits 0", rc, 0)
        ck.ok("SIGTERM: port free afterwards", port_is_free(srv.port))
        if ck.failed:
            print("--- server stderr (tail):\n%s" % srv.stderr_text()[-3000:])
        srv.cleanup()
