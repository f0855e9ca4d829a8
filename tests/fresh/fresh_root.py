#!/usr/bin/env python3
"""The README's first command on a machine that has nothing.

A clean Debian 12 root (debootstrap --variant=minbase bookworm, from the
archive this machine's apt uses) gets a copy of the tracked source tree and
runs ./contrib/run.sh in it, as a newcomer would. The check passes when the
server it starts answers OPTIONS and blocks EICAR; then it is stopped.

Why a root and not this machine: a green run here hid a missing install
step (cmocka) because the machine already had the package. Only a root
where nothing was installed by hand proves that run.sh installs what it
needs and that nothing else is assumed.

Cache (under the build directory, rebuilt when missing): the pristine root
as a tar file, extracted afresh for every run, and apt's downloaded .deb
files, so a warm run downloads nothing but still installs everything.
The chroot runs in its own mount and PID namespaces (unshare -m -p): its /proc and /dev
mounts vanish with it, so removing the extracted root can never reach the
host's /dev.

Usage: fresh_root.py [--cache DIR] [--timeout SECONDS] [--keep]
Needs root, debootstrap, unshare (util-linux), tar. Exit 0 only on success.
"""

import argparse
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import icaplib  # noqa: E402

SUITE = "bookworm"
EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")


def log(msg):
    print("fresh-root: %s" % msg, flush=True)


def host_mirror():
    """The Debian archive this machine's apt uses for the main suite."""
    files = sorted(glob.glob("/etc/apt/sources.list.d/*.sources"))
    for path in files:
        uris, suites = [], []
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.startswith("URIs:"):
                    uris = line.split()[1:]
                elif line.startswith("Suites:"):
                    suites = line.split()[1:]
                elif not line:
                    if SUITE in suites and uris:
                        return uris[0]
                    uris, suites = [], []
        if SUITE in suites and uris:
            return uris[0]
    for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
        try:
            with open(path) as f:
                for line in f:
                    w = line.split("#", 1)[0].split()
                    if len(w) >= 3 and w[0] == "deb":
                        rest = [x for x in w[1:] if not x.startswith("[")]
                        if len(rest) >= 2 and rest[1] == SUITE:
                            return rest[0]
        except OSError:
            pass
    return "http://deb.debian.org/debian"


def run(argv, **kw):
    return subprocess.run(argv, check=True, **kw)


def ensure_base(cache):
    """The pristine root as cache/minbase.tar; built once with debootstrap."""
    tar = os.path.join(cache, "minbase.tar")
    if os.path.exists(tar):
        return tar, False
    mirror = host_mirror()
    tmp = tempfile.mkdtemp(prefix="debootstrap-", dir=cache)
    target = os.path.join(tmp, "root")
    log("building a clean %s root with debootstrap from %s" % (SUITE, mirror))
    t = time.monotonic()
    with open(os.path.join(cache, "debootstrap.log"), "wb") as lf:
        run(["debootstrap", "--variant=minbase", SUITE, target, mirror], stdout=lf, stderr=lf)
    run(["tar", "-C", target, "-cf", tar + ".part", "."])
    os.rename(tar + ".part", tar)
    shutil.rmtree(tmp, ignore_errors=True)
    log("root cached in %s (%.0f s)" % (tar, time.monotonic() - t))
    return tar, True


def apt_settings():
    """apt settings of this machine that the root must share to reach the
    same archive (e.g. an archive snapshot whose Release has expired)."""
    out = subprocess.run(["apt-config", "dump"], stdout=subprocess.PIPE, text=True).stdout
    keep = []
    for line in out.splitlines():
        for key in ("Acquire::Check-Valid-Until", "Acquire::Check-Date",
                    "Acquire::http::Proxy", "Acquire::https::Proxy"):
            if line.startswith(key + " "):
                keep.append(line.rstrip() if line.rstrip().endswith(";") else line + ";")
    return "\n".join(keep) + "\n"


def prepare_root(cache, tar):
    work = tempfile.mkdtemp(prefix="run-", dir=cache)
    root = os.path.join(work, "root")
    os.mkdir(root)
    run(["tar", "-C", root, "-xf", tar])
    # apt: the host's settings; the root's own sources.list names the mirror
    with open(os.path.join(root, "etc/apt/apt.conf.d/99sekisho-host"), "w") as f:
        f.write(apt_settings())
    shutil.copy("/etc/resolv.conf", os.path.join(root, "etc/resolv.conf"))
    # the tracked source tree, as a clone would have it (with local edits)
    src = os.path.join(root, "src")
    os.mkdir(src)
    files = subprocess.run(["git", "-C", ROOT, "ls-files", "-z"], check=True,
                           stdout=subprocess.PIPE).stdout
    tarp = subprocess.Popen(["tar", "-C", ROOT, "--null", "-T", "-", "-cf", "-"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    untar = subprocess.Popen(["tar", "-C", src, "-xf", "-"], stdin=tarp.stdout)
    tarp.stdin.write(files)
    tarp.stdin.close()
    tarp.stdout.close()
    if untar.wait() != 0 or tarp.wait() != 0:
        raise RuntimeError("copying the source tree failed")
    # A newcomer's second try: a build directory left by a configure that
    # failed elsewhere (a cache CMake refuses to reuse). run.sh must recover.
    os.makedirs(os.path.join(src, "build"))
    with open(os.path.join(src, "build", "CMakeCache.txt"), "w") as f:
        f.write("CMAKE_HOME_DIRECTORY:INTERNAL=/nonexistent/sekisho\n")
    return work, root


INNER = r"""
set -eu
root=$1; debs=$2; port=$3
mount --make-rprivate /
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount --bind "$debs" "$root/var/cache/apt/archives"
exec chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    SEKISHO_LISTEN=127.0.0.1:$port /bin/bash -c 'cd /src && exec ./contrib/run.sh'
"""


def start_run(root, debs, port, logf):
    # --pid: its own PID namespace, so the /proc mounted for the chroot
    # shows only its processes - deps.sh stops the c-icap service it
    # installed (start-stop-daemon matches by name in /proc), which in the
    # host's namespace killed every c-icap on the machine (a concurrent
    # test run's too); and nothing of the root outlives its PID 1
    return subprocess.Popen(["unshare", "--mount", "--pid", "--fork", "bash", "-c", INNER, "inner",
                             root, debs, str(port)],
                            stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)


def wait_options(proc, port, deadline):
    """Poll until the server answers OPTIONS 200; None if it exits first."""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return None
        try:
            c = icaplib.IcapConn("127.0.0.1", port, 5)
            r = icaplib.options(c, "icap://127.0.0.1:%d/sekisho" % port)
            c.close()
            return r
        except (OSError, icaplib.ProtocolError):
            time.sleep(2)
    return None


def stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    try:  # nothing of it may outlive the check
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", default=os.path.join(ROOT, "build", "fresh-root"))
    ap.add_argument("--timeout", type=float, default=1500.0)
    ap.add_argument("--keep", action="store_true", help="keep the extracted root")
    a = ap.parse_args()
    ck = icaplib.Check("fresh-root")
    if os.geteuid() != 0:
        ck.ok("running as root (debootstrap and chroot need it)", False)
        return ck.summary()
    for tool in ("debootstrap", "unshare", "chroot", "tar"):
        if not ck.ok("%s is installed" % tool, shutil.which(tool) is not None):
            return ck.summary()
    cache = os.path.abspath(a.cache)
    debs = os.path.join(cache, "apt-archives")
    os.makedirs(os.path.join(debs, "partial"), exist_ok=True)
    t0 = time.monotonic()
    tar, built = ensure_base(cache)
    work, root = prepare_root(cache, tar)
    ck.ok("the clean root has no build tools (gcc, cmake, c-icap absent)",
          not any(os.path.exists(os.path.join(root, p))
                  for p in ("usr/bin/gcc", "usr/bin/cmake", "usr/bin/c-icap")))
    port = icaplib.free_port()
    logpath = os.path.join(cache, "run.log")
    proc = None
    try:
        with open(logpath, "wb") as logf:
            log("./contrib/run.sh in the clean root (log: %s)" % logpath)
            proc = start_run(root, debs, port, logf)
            r = wait_options(proc, port, time.monotonic() + a.timeout)
            up = time.monotonic() - t0
            if not ck.ok("run.sh in a clean root serves OPTIONS (%.0f s)" % up,
                         r is not None and r.status == 200,
                         "run.sh exited %s" % proc.poll()):
                with open(logpath, "rb") as f:
                    print(f.read()[-4000:].decode("utf-8", "replace"))
                return ck.summary()
            ck.ok("OPTIONS names the Sekisho ISTag",
                  (r.header("ISTag") or "").strip('"') != "", r.headers)
            c = icaplib.IcapConn("127.0.0.1", port, 30)
            res = icaplib.transact(c, "RESPMOD", "icap://127.0.0.1:%d/respmod" % port,
                                   req_hdr=icaplib.http_req_head("GET", "http://fresh.test/eicar.com"),
                                   res_hdr=icaplib.http_res_head(body_len=len(EICAR)),
                                   body=EICAR)
            c.close()
            ck.ok("EICAR is blocked (HTTP 403 page)", res.status == 200 and res.http_status() == 403,
                  "ICAP %s HTTP %s" % (res.status, res.http_status()))
            c = icaplib.IcapConn("127.0.0.1", port, 30)
            clean = b"nothing to see here\n" * 50
            res = icaplib.transact(c, "RESPMOD", "icap://127.0.0.1:%d/respmod" % port,
                                   req_hdr=icaplib.http_req_head("GET", "http://fresh.test/a.txt"),
                                   res_hdr=icaplib.http_res_head(body_len=len(clean)),
                                   body=clean, allow204=True)
            c.close()
            ck.ok("a clean body passes (204)", res.status == 204, "ICAP %s" % res.status)
    finally:
        if proc is not None:
            stop(proc)
        if a.keep:
            log("kept %s" % root)
        else:
            subprocess.run(["rm", "-rf", "--one-file-system", work])
    ck.ok("the server stopped and freed its port", icaplib.port_is_free(port, 10))
    log("total %.0f s (root %s)" % (time.monotonic() - t0, "built" if built else "cached"))
    return ck.summary()


if __name__ == "__main__":
    sys.exit(main())
