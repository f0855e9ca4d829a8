#!/usr/bin/env python3
"""The fleet path against a hostile or unlucky bundle source (red team 8f).

`sekisho-policy pull` (the one verification path every node uses) against
a scripted HTTP server on 127.0.0.1, and one real node started through the
launcher for what its status surfaces say:
- bytes that do not verify (a truncated body, gzip served unasked, a CDN's
  HTML page, a stale .sig) are not applied, and are not final either: once
  the source serves the real bundle the node applies it; a bundle that
  stays tampered is never applied and logged once;
- the trusted key file is re-read when it changes: a bundle signed by a
  replaced key is refused, a removed key file trusts nothing, nor does
  one that others may write, the right key put back is used again;
- a local write on a node is replaced by the fleet's bundle it had applied
  (one policy, one ISTag), while another content under the applied
  generation (two publishers sharing a key) stays refused;
- `publish` never changes the bytes under a published name (unless the
  key changed), so a bundle and its .sig always belong together;
- the node's /metrics and `sekisho-server --status` say whether the last
  poll worked (a bundle that does not verify and an older one refused both
  show), since when it fails, and which bundle is applied.

Trust: test harness only; every address is 127.0.0.1.
"""

import argparse
import gzip
import http.server
import os
import re
import shutil
import signal
import socketserver
import subprocess
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
from icaplib import (Check, SekishoServer, StartupError, free_port, make_ca,  # noqa: E402
                     make_cert)

ROUTES = {}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        r = ROUTES.get(self.path.lstrip("/"))
        if callable(r):
            return r(self)
        body = r if r is not None else b""
        self.send_response(200 if r is not None else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def truncated(body):
    """Half the body, no Content-Length, connection closed: looks complete."""
    def f(h):
        h.send_response(200)
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(body[: len(body) // 2])
        h.close_connection = True
    return f


def gzipped(body):
    def f(h):
        z = gzip.compress(body)
        h.send_response(200)
        h.send_header("Content-Encoding", "gzip")
        h.send_header("Content-Length", str(len(z)))
        h.end_headers()
        h.wfile.write(z)
    return f


class Fleet:
    def __init__(self, build_dir, ck):
        self.ck = ck
        self.pub = SekishoServer(build_dir, name="fleet-hostile")  # CLI and tmp only
        self.cli = self.pub.policy
        self.tmp = self.pub.tmp
        self.key = os.path.join(self.tmp, "signing.key")
        self.www = os.path.join(self.tmp, "www")
        os.mkdir(self.www)
        self.pub.init_db()
        self.pub.policy_cmd("keygen", "--out", self.key)
        self.bundles = []  # (index bytes, bundle name), oldest first
        for host in ("a.example", "b.example", "c.example"):
            self.pub.policy_cmd("url", "add", host, "--list", "block", "--match", "domain")
            self.bundles.append(self.publish())
        self.srv = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        self.url = "http://127.0.0.1:%d/" % self.srv.server_address[1]
        self.procs = []

    def publish(self, db=None, out=None):
        """Publish DB (the publisher's) into OUT (the served directory):
        (index bytes, bundle name)."""
        out = out or self.www
        subprocess.run([self.cli, "--db", db or self.pub.db, "publish", "--key", self.key,
                        "--out", out], check=True, stdout=subprocess.DEVNULL)
        idx = open(os.path.join(out, "index"), "rb").read()
        return idx, idx.split(b"bundle: ")[1].split(b"\n")[0].decode()

    def read(self, name, where=None):
        return open(os.path.join(where or self.www, name), "rb").read()

    def serve(self, pair, src=None, bundle=None, sig=None):
        """Serve PAIR (index, name) from SRC, or BUNDLE / SIG instead of its files."""
        idx, name = pair
        ROUTES.clear()
        ROUTES["index"] = idx
        ROUTES[name] = self.read(name, src) if bundle is None else bundle
        ROUTES[name + ".sig"] = self.read(name + ".sig", src) if sig is None else sig
        return name

    def node(self, tag):
        db = os.path.join(self.tmp, "node-%s.db" % tag)
        self.pol(db, "init")
        return db

    def pol(self, db, *a):
        return subprocess.run([self.cli, "--db", db] + list(a), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=60)

    def once(self, db, pubkey=None):
        p = subprocess.run([self.cli, "--db", db, "pull", "--source", self.url, "--pubkey",
                            pubkey or self.key + ".pub", "--once"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120)
        return p.returncode, p.stderr.decode()

    def puller(self, db, pubkey=None):
        """A polling puller (--poll 1); its log goes to a file."""
        log = db + ".log"
        p = subprocess.Popen([self.cli, "--db", db, "pull", "--source", self.url, "--pubkey",
                              pubkey or self.key + ".pub", "--poll", "1"],
                             stdout=subprocess.DEVNULL, stderr=open(log, "wb"))
        self.procs.append(p)
        return p, log

    def stop(self, p):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            p.wait(15)

    def blocks(self, db, host):
        out = self.pol(db, "check", "http://%s/" % host, "--json").stdout.decode()
        return '"verdict":"block"' in out.replace(" ", "")

    def chash(self, db):
        return self.pol(db, "hash").stdout.decode().strip()

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.srv.shutdown()
        self.pub.cleanup()


def wait_for(pred, limit):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.2)
    return pred()


def log_of(path):
    try:
        return open(path, "rb").read().decode("utf-8", "replace")
    except OSError:
        return ""


def transient(f):
    """Each kind of bad bytes once, then the real bundle: applied."""
    ck = f.ck
    name = f.bundles[2][1]
    good, good_sig = f.read(name), f.read(name + ".sig")
    cases = (("truncated body (no Content-Length)", truncated(good), None),
             ("gzip Content-Encoding served unasked", gzipped(good), None),
             ("a CDN's HTML page with status 200", b"<html>maintenance</html>", None),
             ("a stale .sig from a cache", None, f.read(f.bundles[1][1] + ".sig")))
    for label, bundle, sig in cases:
        db = f.node(re.sub(r"\W", "", label)[:12])
        f.serve(f.bundles[1])
        f.once(db)
        f.serve(f.bundles[2], bundle=bundle, sig=sig)
        p, log = f.puller(db)
        seen = wait_for(lambda: "refused %s" % name in log_of(log), 15)
        ck.ok("%s: refused, the policy stays" % label,
              seen and not f.blocks(db, "c.example") and f.blocks(db, "b.example"), log_of(log))
        ROUTES[name], ROUTES[name + ".sig"] = good, good_sig  # the source is right again
        ck.ok("%s, then the real bundle: applied (a transient fault is not final)" % label,
              wait_for(lambda: f.blocks(db, "c.example"), 15), log_of(log)[-600:])
        f.stop(p)
    # control: a bundle that stays tampered is never applied, logged once
    db = f.node("tampered")
    f.serve(f.bundles[1])
    f.once(db)
    data = bytearray(good)
    data[data.index(b"c.example")] ^= 1
    f.serve(f.bundles[2], bundle=bytes(data))
    p, log = f.puller(db)
    wait_for(lambda: "signature does not verify" in log_of(log), 15)
    time.sleep(4)  # several polls (with back-off: 2 s, then 4 s)
    ck.ok("a bundle that stays tampered: never applied, one log line (not one per poll)",
          not f.blocks(db, "c.example") and log_of(log).count("signature does not verify") == 1,
          log_of(log))
    f.stop(p)


def rotation(f):
    ck = f.ck
    trusted = os.path.join(f.tmp, "trusted.pub")
    newkey = os.path.join(f.tmp, "new.key")
    f.pol(f.pub.db, "keygen", "--out", newkey)
    # replaced while the puller runs: the old key is no longer trusted
    db = f.node("rotate")
    f.serve(f.bundles[1])
    f.once(db)
    shutil.copy(f.key + ".pub", trusted)
    p, log = f.puller(db, trusted)
    wait_for(lambda: "up to date" in log_of(log), 10)
    shutil.copy(newkey + ".pub", trusted + ".tmp")
    os.rename(trusted + ".tmp", trusted)
    time.sleep(1.5)
    f.serve(f.bundles[2])  # signed by the replaced key
    wait_for(lambda: "this node trusts" in log_of(log), 10)
    ck.ok("key file replaced: a bundle signed by the old key is refused",
          "this node trusts" in log_of(log) and not f.blocks(db, "c.example"), log_of(log))
    # removed: nothing is trusted
    os.unlink(trusted)
    wait_for(lambda: "no trusted key" in log_of(log), 10)
    ck.ok("key file removed: logged, nothing applied",
          "no trusted key" in log_of(log) and not f.blocks(db, "c.example"), log_of(log))
    # the right key, but writable by others: not trusted
    shutil.copy(f.key + ".pub", trusted + ".tmp")
    os.chmod(trusted + ".tmp", 0o666)
    os.rename(trusted + ".tmp", trusted)
    wait_for(lambda: "writable by group or others" in log_of(log), 10)
    time.sleep(2)
    ck.ok("key file writable by others: logged, nothing applied",
          "writable by group or others" in log_of(log) and not f.blocks(db, "c.example"),
          log_of(log)[-600:])
    # the right key back: the bundle it signed is applied now
    os.chmod(trusted, 0o644)
    ck.ok("the publisher's key put back: its bundle is applied",
          wait_for(lambda: f.blocks(db, "c.example"), 20), log_of(log)[-600:])
    f.stop(p)


def drift(f):
    ck = f.ck
    db = f.node("drift")
    f.serve(f.bundles[2])
    f.once(db)
    fleet = f.chash(db)
    p, log = f.puller(db)
    wait_for(lambda: "up to date" in log_of(log), 10)
    f.pol(db, "url", "rm", "--list", "block", "--match", "domain", "c.example")
    ck.ok("a local write on a node: the fleet's bundle is applied again",
          wait_for(lambda: f.chash(db) == fleet, 10) and f.blocks(db, "c.example") and
          "replacing local changes" in log_of(log), log_of(log))
    f.stop(p)
    # and by a puller started afterwards (the launcher's first pull)
    f.pol(db, "url", "rm", "--list", "block", "--match", "domain", "c.example")
    rc, err = f.once(db)
    ck.ok("... also by a puller started after the local write",
          rc == 0 and f.chash(db) == fleet, err)
    # another content under the applied generation: refused
    other = os.path.join(f.tmp, "other.db")
    f.pol(other, "init")
    for host in ("a.example", "b.example", "x.example"):  # same generation, other content
        f.pol(other, "url", "add", host, "--list", "block", "--match", "domain")
    otherwww = os.path.join(f.tmp, "other-www")
    os.mkdir(otherwww)
    twin = f.publish(db=other, out=otherwww)
    same_gen = twin[1].split("-")[1] == f.bundles[2][1].split("-")[1]
    f.serve(twin, src=otherwww)
    rc, err = f.once(db)
    ck.ok("another content under the applied generation: refused, the policy stays",
          same_gen and rc != 0 and "applied before with other content" in err and
          f.chash(db) == fleet and not f.blocks(db, "x.example"), (twin[1], err))


def republish(f):
    """A name's bytes never change: a cache or a node fetching between the
    bundle and its .sig can never pair one with another signature."""
    ck = f.ck
    out = os.path.join(f.tmp, "republish")
    os.mkdir(out)
    _, name = f.publish(out=out)
    before = (f.read(name, out), f.read(name + ".sig", out))
    time.sleep(1.1)  # another `created` second: the bytes would differ
    _, again = f.publish(out=out)
    ck.ok("publish again without a change: the same name, its bytes and .sig untouched",
          again == name and (f.read(name, out), f.read(name + ".sig", out)) == before)
    newkey = os.path.join(f.tmp, "rotated.key")
    f.pol(f.pub.db, "keygen", "--out", newkey)
    subprocess.run([f.cli, "--db", f.pub.db, "publish", "--key", newkey, "--out", out],
                   check=True, stdout=subprocess.DEVNULL)
    db = f.node("republish")
    f.serve((open(os.path.join(out, "index"), "rb").read(), name), src=out)
    rc, err = f.once(db, newkey + ".pub")
    ck.ok("publish with a new key (no policy change): the bundle is re-signed with it",
          rc == 0 and f.read(name, out) != before[0], err)


def index_freshness(f):
    """The index is signed and expires (publish --valid-for, default 7
    days): a source that keeps serving an old index - a stalled publisher,
    a mirror or cache serving an old copy, a replay - shows as refused
    polls once it expires, and an index rewritten by anyone without the
    key (another bundle named, the signature stripped) is refused."""
    ck = f.ck
    cur = f.bundles[2]
    idx = cur[0]
    ck.ok("publish signs the index, with signed/expires/key-id lines",
          re.search(rb"\nsigned: \S+Z\nexpires: \S+Z\nkey-id: [0-9a-f]{16}\nsignature: \S{88}\n$",
                    idx) is not None, idx)
    db = f.node("index")
    f.serve(f.bundles[1])
    rc, err = f.once(db)
    ck.ok("a signed index: applied", rc == 0 and f.blocks(db, "b.example"), err)
    # another bundle named under the old signature; the signature stripped
    forged = idx.replace(cur[1].encode(), f.bundles[1][1].encode())
    unsigned = idx.split(b"signature: ")[0]
    for label, body, why in (("another bundle named", forged, "signature does not verify"),
                             ("the signature stripped", unsigned, "the index is not signed"),
                             ("another key's signature",
                              None, "this node trusts")):
        if body is None:
            other = os.path.join(f.tmp, "idx-other.key")
            f.pol(f.pub.db, "keygen", "--out", other)
            out = os.path.join(f.tmp, "idx-other")
            os.mkdir(out)
            subprocess.run([f.cli, "--db", f.pub.db, "publish", "--key", other, "--out", out],
                           check=True, stdout=subprocess.DEVNULL)
            body = open(os.path.join(out, "index"), "rb").read()
        f.serve(cur)
        ROUTES["index"] = body
        rc, err = f.once(db)
        ck.ok("index with %s: refused, nothing applied" % label,
              rc != 0 and why in err and not f.blocks(db, "c.example"), err)
    # a short validity: fresh, then expired (the node keeps its policy)
    out = os.path.join(f.tmp, "idx-short")
    os.mkdir(out)
    bad = subprocess.run([f.cli, "--db", f.pub.db, "publish", "--key", f.key, "--out", out,
                          "--valid-for", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ck.ok("publish --valid-for 0: a usage error, nothing written",
          bad.returncode != 0 and b"--valid-for" in bad.stderr and not os.listdir(out),
          bad.stderr)
    subprocess.run([f.cli, "--db", f.pub.db, "publish", "--key", f.key, "--out", out,
                    "--valid-for", "3s"], check=True, stdout=subprocess.DEVNULL)
    short = open(os.path.join(out, "index"), "rb").read()
    name = short.split(b"bundle: ")[1].split(b"\n")[0].decode()
    f.serve((short, name), src=out)
    rc, err = f.once(db)
    ck.ok("an index within its validity: applied", rc == 0 and f.blocks(db, "c.example"), err)
    fleet = f.chash(db)
    time.sleep(4.2)
    rc, err = f.once(db)
    ck.ok("the same index after it expired: refused, the node keeps its policy",
          rc != 0 and "expired" in err and "has not published since" in err and
          f.chash(db) == fleet and f.blocks(db, "c.example"), err)
    subprocess.run([f.cli, "--db", f.pub.db, "publish", "--key", f.key, "--out", out],
                   check=True, stdout=subprocess.DEVNULL)
    f.serve((open(os.path.join(out, "index"), "rb").read(), name), src=out)
    rc, err = f.once(db)
    ck.ok("publish again (no policy change): a fresh index, the node is in step",
          rc == 0 and "up to date" in err, err)


def http_get(port, path):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
        return r.read().decode()


def metric(text, name):
    m = re.search(r"^%s (-?\d+)$" % re.escape(name), text, re.M)
    return int(m.group(1)) if m else None


def status(f, build_dir):
    ck = f.ck
    f.serve(f.bundles[2])
    sport = free_port()
    n = SekishoServer(build_dir, modules="url_block", name="fleet-hostile-node",
                      extra_args=["--policy-source", f.url, "--policy-pubkey", f.key + ".pub",
                                  "--policy-poll", "1", "--status-listen",
                                  "127.0.0.1:%d" % sport])
    n.db = os.path.join(n.tmp, "node.db")
    try:
        n.start(timeout=60)
        gen = int(f.bundles[2][1].split("-")[1])
        text = ""

        def good():
            nonlocal text
            text = http_get(sport, "/metrics")
            return metric(text, "sekisho_policy_pull_ok") == 1
        ck.ok("/metrics: the last poll worked (sekisho_policy_pull_ok 1)", wait_for(good, 15),
              text[-800:])
        ck.ok("/metrics: the applied bundle's generation and publication time",
              metric(text, "sekisho_policy_bundle_generation") == gen and
              abs(metric(text, "sekisho_policy_bundle_created_timestamp_seconds") - time.time())
              < 600, text[-800:])
        ck.ok("/metrics: the index is valid for publish's default 7 days",
              abs(metric(text, "sekisho_policy_index_expires_timestamp_seconds") -
                  (time.time() + 7 * 86400)) < 3600, text[-800:])
        last_good = metric(text, "sekisho_policy_pull_last_success_timestamp_seconds")
        # the source goes bad: a tampered newer bundle
        f.pub.policy_cmd("url", "add", "d.example", "--list", "block", "--match", "domain")
        newer = f.publish()
        data = bytearray(f.read(newer[1]))
        data[data.index(b"d.example")] ^= 1
        f.serve(newer, bundle=bytes(data))

        def bad():
            nonlocal text
            text = http_get(sport, "/metrics")
            return metric(text, "sekisho_policy_pull_ok") == 0
        ck.ok("/metrics: a bundle that does not verify shows (sekisho_policy_pull_ok 0)",
              wait_for(bad, 15), text[-800:])
        ck.ok("/metrics: failures counted, the last good poll and the bundle kept",
              (metric(text, "sekisho_policy_pull_consecutive_failures") or 0) >= 1 and
              metric(text, "sekisho_policy_pull_last_success_timestamp_seconds") >= last_good and
              metric(text, "sekisho_policy_bundle_generation") == gen and
              'sekisho_policy_pull_info{outcome="failed"} 1' in text, text[-800:])
        st = subprocess.run([n.bin, "--status", "--run-dir", n.run_dir], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, timeout=30).stdout.decode()
        ck.ok("--status: the failed pull and why", re.search(
            r"policy pull\s+failed: refused policy-\d+-[0-9a-f]+\.bundle: the signature does "
            r"not verify", st) is not None and
              re.search(r"bundle generation\s+%d\n" % gen, st) is not None and
              re.search(r"index valid until\s+\S+Z \(in \d+ s\)", st) is not None, st)
        # a verified bundle the node refuses (older): not in step either
        f.serve(f.bundles[1])

        def refused():
            nonlocal text
            text = http_get(sport, "/metrics")
            return 'sekisho_policy_pull_info{outcome="refused"} 1' in text
        ck.ok("/metrics: an older bundle refused shows too (sekisho_policy_pull_ok 0)",
              wait_for(refused, 20) and metric(text, "sekisho_policy_pull_ok") == 0,
              text[-800:])
    finally:
        n.stop()
        n.cleanup()


def ca_only(f):
    """`--ca FILE` trusts that CA only. libcurl also reads the system CA
    directory unless told not to, so a server certificate from any CA the
    system trusts passed too. The "system" here is a directory of our own
    mounted over /etc/ssl/certs in a private mount namespace of the puller
    (the machine's trust store is never touched)."""
    import ssl
    d = os.path.join(f.tmp, "tls")
    os.mkdir(d)
    make_ca(d, "system-ca")
    make_ca(d, "fleet-ca")
    make_cert(d, "srv", "system-ca")
    sys_crt, own_crt = os.path.join(d, "system-ca.pem"), os.path.join(d, "fleet-ca.pem")
    srv_key, srv_crt = os.path.join(d, "srv.key"), os.path.join(d, "srv.pem")
    store = os.path.join(d, "certs")
    os.mkdir(store)
    shutil.copy(sys_crt, os.path.join(store, "ca-certificates.crt"))
    h = subprocess.run(["openssl", "x509", "-hash", "-noout", "-in", sys_crt],
                       stdout=subprocess.PIPE, check=True).stdout.decode().strip()
    shutil.copy(sys_crt, os.path.join(store, h + ".0"))

    tls = Server(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(srv_crt, srv_key)
    tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
    threading.Thread(target=tls.serve_forever, daemon=True).start()
    url = "https://127.0.0.1:%d/" % tls.server_address[1]
    f.serve(f.bundles[-1])
    try:
        def pull(tag, *ca):
            db = f.node(tag)
            cmd = "mount --bind \"$1\" /etc/ssl/certs && shift && exec \"$@\""
            p = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", cmd,
                                "sh", store, f.cli, "--db", db, "pull", "--source", url,
                                "--pubkey", f.key + ".pub", "--once"] + list(ca),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
            return p.returncode, p.stderr.decode(), f.blocks(db, "c.example")

        rc, err, applied = pull("sysca")
        f.ck.ok("ca: without --ca the (namespace's) system CAs are trusted: applied",
                rc == 0 and applied, err[-300:])
        rc, err, applied = pull("ownca", "--ca", own_crt)
        f.ck.ok("ca: --ca names another CA: a server certificate from a system CA is refused",
                rc != 0 and not applied, "rc %d: %s" % (rc, err[-300:]))
        rc, err, applied = pull("named", "--ca", sys_crt)
        f.ck.ok("ca: --ca names the server's CA: applied", rc == 0 and applied, err[-300:])
    finally:
        tls.shutdown()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--only",
                    help="one group: transient, rotation, drift, republish, index, status, ca")
    a = ap.parse_args()
    ck = Check("fleet-hostile")
    f = Fleet(a.build_dir, ck)
    groups = (("transient", transient), ("rotation", rotation), ("drift", drift),
              ("republish", republish), ("index", index_freshness),
              ("status", lambda fl: status(fl, a.build_dir)),
              ("ca", ca_only))
    try:
        for name, fn in groups:
            if not a.only or a.only == name:
                ck.group(name, fn, f)
    except StartupError as e:
        ck.ok("servers start", False, e)
    finally:
        f.close()
    return ck.summary()


if __name__ == "__main__":
    sys.exit(main())
