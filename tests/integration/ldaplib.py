"""A private slapd (Debian's OpenLDAP server) on loopback for the directory
tests: slapd.conf + an mdb database generated in a temp dir, filled with
slapadd before start, served on a free port.

Directory (base dc=corp,dc=example):
  uid=alice  member of Eng; Eng in RnD; RnD in AllStaff (nested, 3 levels)
  uid=bob    member of Sales only
  uid=carol  member of Loop1; Loop1 <-> Loop2 (a cycle)
  uid=dave, uid=erin  member of Eng (users the outage test never caches)
  cn=reader  the bind account (password in a 0600 file)
With partners=True (red team 6a, DIR-DOMAIN) also
  uid=alice,ou=partners  a second alice, in no group (another domain's
                         account of the same name)

Trust: test harness only; slapd listens on 127.0.0.1 only.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

BASE = "dc=corp,dc=example"
BIND_DN = "cn=reader," + BASE
PASSWORD = "reader-secret"

SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"

USERS = ["alice", "bob", "carol", "dave", "erin"]
# group -> members (uids or group names)
GROUPS = {
    "Eng": ["alice", "dave", "erin"],
    "RnD": ["Eng"],
    "AllStaff": ["RnD"],
    "Sales": ["bob"],
    "Loop1": ["carol", "Loop2"],
    "Loop2": ["Loop1"],
}


def _dn(name):
    if name in USERS:
        return "uid=%s,ou=people,%s" % (name, BASE)
    return "cn=%s,ou=groups,%s" % (name, BASE)


PARTNERS = ("dn: ou=partners,%s\nobjectClass: organizationalUnit\nou: partners\n\n"
            "dn: uid=alice,ou=partners,%s\nobjectClass: inetOrgPerson\nuid: alice\n"
            "cn: alice\nsn: partner\n" % (BASE, BASE))


def ldif(extra_eng=()):
    out = ["dn: %s\nobjectClass: dcObject\nobjectClass: organization\no: corp\ndc: corp\n" % BASE,
           "dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n" % BASE,
           "dn: ou=groups,%s\nobjectClass: organizationalUnit\nou: groups\n" % BASE,
           "dn: %s\nobjectClass: person\ncn: reader\nsn: reader\nuserPassword: %s\n"
           % (BIND_DN, PASSWORD)]
    extra = ["uid=%s,ou=people,%s" % (u, BASE) for u in extra_eng]
    for u in USERS + list(extra_eng):
        out.append("dn: uid=%s,ou=people,%s\nobjectClass: inetOrgPerson\nuid: %s\ncn: %s\n"
                   "sn: %s\n" % (u, BASE, u, u, u))
    for g, members in GROUPS.items():
        dns = [_dn(m) for m in members] + (extra if g == "Eng" else [])
        out.append("dn: %s\nobjectClass: groupOfNames\ncn: %s\n%s\n"
                   % (_dn(g), g, "\n".join("member: " + d for d in dns)))
    return "\n".join(out)


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Slapd:
    def __init__(self, name="slapd", extra_eng=(), partners=False):
        """extra_eng: more uids, members of Eng (the benchmark's user);
        partners: add ou=partners with a second alice."""
        for tool in (SLAPD, SLAPADD):
            if not os.access(tool, os.X_OK):
                raise RuntimeError("%s missing: install slapd (contrib/deps.sh test)" % tool)
        self.tmp = tempfile.mkdtemp(prefix="sekisho-%s-" % name)
        self.db = os.path.join(self.tmp, "db")
        os.mkdir(self.db, 0o700)
        self.conf = os.path.join(self.tmp, "slapd.conf")
        self.port = _free_port()
        self.uri = "ldap://127.0.0.1:%d" % self.port
        self.proc = None
        self.password_file = os.path.join(self.tmp, "bind.secret")
        fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, (PASSWORD + "\n").encode())
        os.close(fd)
        with open(self.conf, "w") as f:
            f.write("""include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile %(tmp)s/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 10485760
suffix "%(base)s"
rootdn "cn=admin,%(base)s"
rootpw admin-secret
directory %(db)s
index objectClass eq
index member eq
access to * by * read
""" % {"tmp": self.tmp, "base": BASE, "db": self.db})
        ldif_path = os.path.join(self.tmp, "data.ldif")
        with open(ldif_path, "w") as f:
            f.write(ldif(list(extra_eng)))
            if partners:
                f.write("\n" + PARTNERS)
        p = subprocess.run([SLAPADD, "-f", self.conf, "-l", ldif_path],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        if p.returncode != 0:
            raise RuntimeError("slapadd failed: %s" % p.stdout.decode(errors="replace"))

    def start(self, timeout=15.0):
        self.proc = subprocess.Popen([SLAPD, "-d", "0", "-f", self.conf, "-h", self.uri + "/"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("slapd exited: %s" % self.proc.stderr.read().decode(errors="replace"))
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("slapd did not listen on %s" % self.uri)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)
