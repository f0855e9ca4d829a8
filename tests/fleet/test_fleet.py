#!/usr/bin/env python3
"""A fleet: one publisher, a real web server (nginx), three nodes pulling.

Through the real daemon and Debian's nginx on loopback (issue 12):
- a policy published once is enforced by all nodes with identical ISTags
  within two poll intervals, for several changes in a row under a steady
  REQMOD load that never fails (publish-to-last-node times are printed);
- a bundle with one flipped byte, one signed by another key, one properly
  signed whose policy repeats a member (which jq would read differently)
  and an older one are each refused with one log line while the old
  policy stays;
- the web server stopped: nodes keep serving; a node restarted while the
  source is down comes up with its last good policy; a node with no local
  copy refuses to start rather than run an empty policy;
- `sekisho-policy cluster status` agrees (exit 0) and notices a node that
  is down (exit 1).

Trust: test harness only; every address is 127.0.0.1.
"""

import argparse
import base64
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
from icaplib import (Check, SekishoServer, StartupError, IcapConn, free_port,  # noqa: E402
                     run_launcher_expect_failure)
from test_policy_reload import istag, reqmod_status  # noqa: E402

POLL = 1
NODES = 3
CHANGES = int(os.environ.get("SEKISHO_FLEET_CHANGES", "6"))  # 20 for the figure
# two poll intervals, plus the children's once-a-second reload check
DEADLINE = 2 * POLL + 1.5 + (4.0 if os.environ.get("SEKISHO_SANITIZED") else 0.0)


class Nginx:
    def __init__(self, root, tmp):
        self.port = free_port()
        self.root = root
        self.conf = os.path.join(tmp, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write("""daemon off;
user root;
worker_processes 1;
pid %(tmp)s/nginx.pid;
error_log %(tmp)s/nginx-error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %(tmp)s/body;
    proxy_temp_path %(tmp)s/proxy;
    fastcgi_temp_path %(tmp)s/fastcgi;
    uwsgi_temp_path %(tmp)s/uwsgi;
    scgi_temp_path %(tmp)s/scgi;
    server {
        listen 127.0.0.1:%(port)d;
        root %(root)s;
        etag on;
    }
}
""" % {"tmp": tmp, "port": self.port, "root": root})
        self.proc = None

    def start(self):
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.proc = subprocess.Popen([nginx, "-c", self.conf, "-e", os.devnull],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(100):
            try:
                IcapConn("127.0.0.1", self.port, 1).close()
                return True
            except OSError:
                if self.proc.poll() is not None:
                    return False
                time.sleep(0.05)
        return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    @property
    def url(self):
        return "http://127.0.0.1:%d/" % self.port


class Load(threading.Thread):
    """Steady REQMODs on each node of a URL no change touches."""

    def __init__(self, nodes):
        super().__init__(daemon=True)
        self.nodes = nodes
        self.stop = threading.Event()
        self.done = 0
        self.failures = []

    def run(self):
        while not self.stop.is_set():
            for n in self.nodes:
                try:
                    st = reqmod_status(n, "http://steady.example/x")
                    if st != 0:
                        self.failures.append("status %s" % st)
                    self.done += 1
                except Exception as e:  # noqa: BLE001
                    self.failures.append("%s: %s" % (type(e).__name__, e))
            time.sleep(0.01)


def wait_all(nodes, url, want, deadline):
    """Seconds until every node answers `want` for url, or None."""
    t0 = time.monotonic()
    pending = list(nodes)
    while pending and time.monotonic() - t0 < deadline:
        pending = [n for n in pending if reqmod_status(n, url) != want]
        if pending:
            time.sleep(0.05)
    return None if pending else time.monotonic() - t0


def server_log(node):
    try:
        with open(os.path.join(node.run_dir, "server.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def count_in_logs(nodes, text):
    return [server_log(n).count(text) for n in nodes]


def refusal_counts(nodes, text):
    """Per node, how often TEXT was logged: wait (up to DEADLINE + 10 s, a
    node's poll can be late under the sanitizers) until every node has said
    it, then three more poll intervals, so a line repeated per poll shows."""
    end = time.monotonic() + DEADLINE + 10
    while time.monotonic() < end and min(count_in_logs(nodes, text)) < 1:
        time.sleep(0.2)
    time.sleep(3 * POLL)
    return count_in_logs(nodes, text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    a = ap.parse_args()
    ck = Check("fleet")
    for tool in ("nginx",):
        if not ck.ok("%s is installed" % tool, shutil.which(tool) or os.path.exists("/usr/sbin/nginx")):
            return ck.summary()
    pub = SekishoServer(a.build_dir, name="fleet-pub")  # used for its CLI and tmp only
    tmp = pub.tmp
    www = os.path.join(tmp, "www")
    os.mkdir(www)
    key = os.path.join(tmp, "signing.key")
    nginx = Nginx(www, tmp)
    nodes, load = [], None
    try:
        pub.init_db()
        out = pub.policy_cmd("keygen", "--out", key)
        ck.ok("keygen writes a private key readable by its owner only",
              os.stat(key).st_mode & 0o777 == 0o600, oct(os.stat(key).st_mode))
        ck.ok("keygen writes KEYFILE.pub", os.path.exists(key + ".pub"), out.stdout)

        def publish(k=key, out=www):
            return pub.policy_cmd("publish", "--key", k, "--out", out).stdout.decode()

        pub.policy_cmd("url", "add", "first.example", "--list", "block", "--match", "domain")
        publish()
        first_index = open(os.path.join(www, "index"), "rb").read()
        ck.ok("nginx serves the publish directory", nginx.start())
        for i in range(NODES):
            n = SekishoServer(a.build_dir, modules="url_block", name="fleet-node%d" % i,
                              extra_args=["--policy-source", nginx.url, "--policy-pubkey",
                                          key + ".pub", "--policy-poll", str(POLL)])
            n.db = os.path.join(n.tmp, "node.db")  # absent: the first pull creates it
            nodes.append(n)
            n.spawn()
        started = [wait_ready(n) for n in nodes]
        if not ck.ok("three nodes start from the published policy (no local copy before)",
                     all(started), [n.stderr_text()[-500:] for n in nodes]):
            return ck.summary()
        tags = [istag(n) for n in nodes]
        ck.ok("all nodes answer one ISTag", len(set(tags)) == 1 and tags[0], tags)
        ck.ok("all nodes enforce the published rule",
              all(reqmod_status(n, "http://first.example/") == 403 for n in nodes))
        hash_pub = pub.policy_cmd("hash").stdout.decode().strip()
        ck.ok("the ISTag names the publisher's content hash",
              tags[0] is not None and ("-%s-" % hash_pub[:12]) in tags[0], (tags[0], hash_pub))
        cs = subprocess.run([pub.policy, "cluster", "status"] +
                            ["127.0.0.1:%d" % n.port for n in nodes],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        ck.ok("cluster status: all agree (exit 0)", cs.returncode == 0 and
              b"all nodes agree" in cs.stdout, cs.stdout.decode())

        # changes under load
        load = Load(nodes)
        load.start()
        times = []
        for i in range(CHANGES):
            host = "change%d.example" % i
            pub.policy_cmd("url", "add", host, "--list", "block", "--match", "domain")
            publish()
            t = wait_all(nodes, "http://%s/" % host, 403, DEADLINE + 5)
            times.append(t)
            ck.ok("change %d enforced on every node within %.1f s (%s)"
                  % (i + 1, DEADLINE, "never" if t is None else "%.2f s" % t),
                  t is not None and t <= DEADLINE)
            tags = [istag(n) for n in nodes]
            ck.ok("change %d: identical ISTags" % (i + 1), len(set(tags)) == 1, tags)
        seen = [t for t in times if t is not None]
        if seen:
            print("     publish -> last node enforcing: median %.2f s, max %.2f s over %d changes"
                  % (statistics.median(seen), max(seen), len(seen)))
        good_tag = istag(nodes[0])

        # a tampered bundle (one flipped byte in the policy part), made in a
        # staging directory and put in place whole: a node polling between
        # publish and the flip must never see the untampered bundle
        stage = os.path.join(tmp, "stage")
        os.mkdir(stage)
        pub.policy_cmd("url", "add", "tampered.example", "--list", "block", "--match", "domain")
        publish(out=stage)
        newest = open(os.path.join(stage, "index")).read().split("bundle: ")[1].split("\n")[0]
        data = bytearray(open(os.path.join(stage, newest), "rb").read())
        pos = data.index(b"tampered.example")
        data[pos] ^= 0x01
        open(os.path.join(www, newest), "wb").write(bytes(data))
        shutil.copyfile(os.path.join(stage, newest + ".sig"), os.path.join(www, newest + ".sig"))
        shutil.copyfile(os.path.join(stage, "index"), os.path.join(www, "index.tmp"))
        os.rename(os.path.join(www, "index.tmp"), os.path.join(www, "index"))
        # every node has seen (and refused) it before "not enforced" means anything
        counts = refusal_counts(nodes, "signature does not verify")
        ck.ok("tampered bundle: not enforced",
              all(reqmod_status(n, "http://tampered.example/") == 0 for n in nodes))
        ck.ok("tampered bundle: old policy still enforced, ISTag unchanged",
              all(istag(n) == good_tag for n in nodes) and
              all(reqmod_status(n, "http://change0.example/") == 403 for n in nodes))
        ck.ok("tampered bundle: refused with one log line per node (not one per poll)",
              counts == [1] * NODES, counts)

        # properly signed, but the policy repeats a member: jq and Python
        # would read the last "policies" (none), the node must not pick one
        pub.policy_cmd("url", "add", "dupmember.example", "--list", "block", "--match", "domain")
        publish(out=stage)
        newest = open(os.path.join(stage, "index")).read().split("bundle: ")[1].split("\n")[0]
        head, doc = open(os.path.join(stage, newest), "rb").read().split(b"\n\n", 1)
        doc = doc.rstrip()[:-1] + b', "policies": []}\n'
        head = b"\n".join(b"content-hash: " + hashlib.sha256(doc).hexdigest().encode()
                          if line.startswith(b"content-hash: ") else
                          b"policy-bytes: %d" % len(doc) if line.startswith(b"policy-bytes: ")
                          else line for line in head.split(b"\n"))
        data = head + b"\n\n" + doc
        from cryptography.hazmat.primitives.serialization import load_pem_private_key
        sig = load_pem_private_key(open(key, "rb").read(), None).sign(data)
        open(os.path.join(www, newest), "wb").write(data)
        open(os.path.join(www, newest + ".sig"), "wb").write(base64.b64encode(sig) + b"\n")
        shutil.copyfile(os.path.join(stage, "index"), os.path.join(www, "index.tmp"))
        os.rename(os.path.join(www, "index.tmp"), os.path.join(www, "index"))
        counts = refusal_counts(nodes, 'member "policies" repeated in the top-level object')
        ck.ok("signed bundle repeating a member: not enforced, old policy and ISTag stay",
              all(reqmod_status(n, "http://dupmember.example/") == 0 for n in nodes) and
              all(istag(n) == good_tag for n in nodes) and
              all(reqmod_status(n, "http://change0.example/") == 403 for n in nodes))
        ck.ok("signed bundle repeating a member: one refusal line per node naming it",
              counts == [1] * NODES, counts)

        # signed by another key
        other = os.path.join(tmp, "other.key")
        pub.policy_cmd("keygen", "--out", other)
        pub.policy_cmd("url", "add", "otherkey.example", "--list", "block", "--match", "domain")
        publish(other)
        counts = refusal_counts(nodes, "this node trusts")
        ck.ok("bundle signed by another key: not enforced",
              all(reqmod_status(n, "http://otherkey.example/") == 0 for n in nodes))
        ck.ok("bundle signed by another key: one refusal line per node", counts == [1] * NODES,
              counts)

        # an older bundle (a downgrade): the first publish's index served
        # again (signed, still valid: a replay) names the first bundle
        with open(os.path.join(www, "index.tmp"), "wb") as f:
            f.write(first_index)
        os.rename(os.path.join(www, "index.tmp"), os.path.join(www, "index"))
        counts = refusal_counts(nodes, "is older than the applied")
        ck.ok("older bundle: refused, the newer policy stays",
              all(reqmod_status(n, "http://change%d.example/" % (CHANGES - 1)) == 403
                  for n in nodes) and all(istag(n) == good_tag for n in nodes))
        ck.ok("older bundle: one refusal line per node", counts == [1] * NODES, counts)

        # the source goes away
        nginx.stop()
        time.sleep(2 * POLL + 1)
        ck.ok("web server stopped: nodes keep serving the last good policy",
              all(reqmod_status(n, "http://change0.example/") == 403 for n in nodes) and
              all(istag(n) == good_tag for n in nodes))
        load.stop.set()
        load.join(30)
        ck.ok("steady load: %d transactions, none failed" % load.done,
              load.done > 0 and not load.failures, load.failures[:5])
        n0 = nodes[0]
        n0.stop()
        n0.stdout_lines = []
        n0.proc = None
        n0.spawn()
        ck.ok("a node restarted while the source is down comes up",
              wait_ready(n0), n0.stderr_text()[-800:])
        ck.ok("... with its last good policy (same ISTag, rules enforced)",
              istag(n0) == good_tag and reqmod_status(n0, "http://change0.example/") == 403,
              istag(n0))
        cs = subprocess.run([pub.policy, "cluster", "status", "--json"] +
                            ["127.0.0.1:%d" % n.port for n in nodes] + ["127.0.0.1:1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        ck.ok("cluster status: a node that is down makes it exit 1",
              cs.returncode == 1 and b'"reachable":false' in cs.stdout, cs.stdout.decode())
        fresh = SekishoServer(a.build_dir, modules="url_block", name="fleet-fresh",
                              extra_args=["--policy-source", nginx.url, "--policy-pubkey",
                                          key + ".pub"])
        fresh.db = os.path.join(fresh.tmp, "none.db")
        rc, _, err = run_launcher_expect_failure(fresh)
        ck.ok("no local copy and no source: refuses to start, says why",
              rc not in (0, "started", "timeout") and "empty policy" in err,
              "rc=%s %s" % (rc, err[-400:]))
        ck.ok("... and leaves no empty database behind", not os.path.exists(fresh.db))
        fresh.cleanup()
    except StartupError as e:
        ck.ok("servers start", False, e)
    finally:
        if load:
            load.stop.set()
        nginx.stop()
        for n in nodes:
            n.stop()
            n.cleanup()
        pub.cleanup()
    return ck.summary()


def wait_ready(n, timeout=60.0):
    """Like SekishoServer.start() after spawn(): the ready line, then a connect."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(line.startswith(SekishoServer.READY) for line in n.stdout_lines):
            for _ in range(50):
                try:
                    IcapConn("127.0.0.1", n.port, 1).close()
                    return True
                except OSError:
                    time.sleep(0.1)
            return False
        if n.proc.poll() is not None:
            return False
        time.sleep(0.1)
    return False


if __name__ == "__main__":
    sys.exit(main())
