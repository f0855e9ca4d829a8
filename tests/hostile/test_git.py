#!/usr/bin/env python3
"""Git packs through the real daemon, every body written by real git.

A clone, a fetch, a push or a bundle carries a repository's files as the
zlib streams of a git pack's objects, many of them deltas on others;
libclamav reads none of it (red team s22 F5: EICAR in a clone passed).
The core reader icap-server/core/sk_gitpack.c finds the pack (as it is,
behind a bundle's header, after pkt-lines, in side-band band-1 lines),
inflates every object and resolves the deltas (OFS and REF, SHA-1 and
SHA-256 ids; a thin pack's deltas give their inserted bytes); virus_scan
scans each object, dlp reads it (cards in a pushed file are blocked).

git makes every body, in a temporary directory, from repositories holding
EICAR in a text file (only in the older of two versions: an OFS delta on
the newer, verify-pack shows), SHA-1 and SHA-256, and their clean twins.
g_clone: the .pack of a dumb-HTTP clone after `git repack -adf`; a byte
flipped inside an object's zlib stream (git's index-pack rejects it) is
av.on-error. g_fetch: `git upload-pack --stateless-rpc` results, protocol
v0 with side-band-64k, v0 without side-band, v2's packfile section, with
OFS or REF deltas. g_push: request bodies of `git push` captured by a
loopback HTTP server running `git http-backend` as CGI: a new file with a
card or EICAR, an edit adding either (a thin pack: the blob a delta on a
base it lacks, as index-pack --fix-thin and verify-pack show), an edit
whose long insertion git splits into 127-byte instructions across EICAR
or the card, a SHA-256 repository's edit. g_bundle: `git bundle create`,
v2 and v3 (SHA-256). A clean counterpart of each passes byte-identical.

g_crafted: packs git takes (receive-pack --stateless-rpc or index-pack,
the oracle, shows the payload) crafted to be framed otherwise (red team
s23; gitforge.py builds them): a push-option line "\\x01PACK..." before a
push's pack (F1: blocked, the pack has no trailer), a ref named
refs/heads/object-format=sha256 or a fetch's progress line saying it before
a REF delta that frames the rest otherwise at 32-byte ids (F2), an ISO 9660
tag at byte 32768 of a pack (F3), an OFS delta reordering what a thin delta
inserts (F4), EICAR or a card in each; packs of 94 KB and 47 KB inflating
to 95 and 48 MiB are av-limit at once, and the server serves on (F5).

Usage: test_git.py --build-dir BUILD [--only g_clone ...] [--save DIR]
  --save: write every body sent to DIR (to replay a failure by hand).
"""

import argparse
import http.server
import itertools
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import types

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from icaplib import Check, SekishoServer, check_asan, main_wrapper, serve_checked  # noqa: E402
from test_evasion import (EICAR, respmod, reqmod, blocked, passed_identical,  # noqa: E402
                          log_entry, virus_blocked)
import gitforge as gf  # noqa: E402
from gitforge import FLUSH, pkt  # noqa: E402

CARD_LINE = "Please charge 4111 1111 1111 1111 for the renewal.\n"
EICAR_LINE = "sample: " + EICAR.decode() + " end\n"
WORDS = ("alpha beta gamma delta epsilon zeta theta iota kappa lambda mu nu xi omicron pi "
         "rho sigma tau upsilon phi chi psi omega").split()
UPLOAD_RESULT = "application/x-git-upload-pack-result"
RECEIVE_REQUEST = "application/x-git-receive-pack-request"


def prose(seed, lines=60):
    rnd = random.Random(seed)
    return "".join(" ".join(rnd.choice(WORDS) for _ in range(10)) + "\n" for _ in range(lines))


def spliced(text, insert):
    """TEXT with INSERT after its middle line."""
    lines = text.splitlines(True)
    return "".join(lines[:len(lines) // 2]) + insert + "".join(lines[len(lines) // 2:])


def pack_of(body):
    """The pack after a push's pkt-line commands and their flush."""
    i = 0
    while body[i:i + 4] != FLUSH:
        i += int(body[i:i + 4], 16)
    return body[i + 4:]


class Git:
    """git with a private HOME, fixed names and dates: the same ids every run."""

    def __init__(self, tmp):
        self.tmp = tmp
        who = {"GIT_%s_%s" % (r, f): v for r in ("AUTHOR", "COMMITTER")
               for f, v in (("NAME", "Test"), ("EMAIL", "test@example.test"),
                            ("DATE", "1767225600 +0000"))}
        self.env = dict(os.environ, HOME=tmp, GIT_CONFIG_NOSYSTEM="1", GIT_TERMINAL_PROMPT="0",
                        **who)
        for k in ("GIT_DIR", "GIT_WORK_TREE", "GIT_PROTOCOL", "GIT_CONFIG_PARAMETERS"):
            self.env.pop(k, None)

    def __call__(self, cwd, *args, stdin=None, env=None, check=True):
        p = subprocess.run(["git"] + list(args), cwd=cwd, input=stdin, capture_output=True,
                           env=dict(self.env, **(env or {})), timeout=120)
        if check and p.returncode != 0:
            raise RuntimeError("git %s: %s" % (" ".join(args), p.stderr.decode("utf-8", "replace")))
        return p.stdout if check else p

    def rev(self, d, what):
        return self(d, "rev-parse", what).decode().strip()

    def commit(self, d, files, msg):
        for path, text in files.items():
            with open(os.path.join(d, path), "w") as f:
                f.write(text)
        self(d, "add", "-A")
        self(d, "commit", "-q", "-m", msg)

    def repo(self, name, *versions, fmt="sha1"):
        """Repository NAME with a commit of each of VERSIONS ({path: text})."""
        d = os.path.join(self.tmp, name)
        self(self.tmp, "init", "-q", "-b", "main", "--object-format=" + fmt, d)
        for i, files in enumerate(versions):
            self.commit(d, files, "version %d" % (i + 1))
        return d

    def verify(self, d, idx):
        """verify-pack -v of IDX: {id: [type, size, packed size, offset(, depth, base)]}."""
        out = {}
        for ln in self(d, "verify-pack", "-v", idx).decode().splitlines():
            f = ln.split()
            if len(f) >= 5 and len(f[0]) in (40, 64) and f[1] in ("blob", "tree", "commit", "tag"):
                out[f[0]] = f[1:]
        return out

    def clone_pack(self, d):
        """The single .pack of D after `git repack -adf`, and its verify-pack."""
        self(d, "repack", "-adf", "-q")
        pd = os.path.join(d, ".git", "objects", "pack")
        name = next(f for f in os.listdir(pd) if f.endswith(".pack"))
        data = open(os.path.join(pd, name), "rb").read()
        return data, self.verify(d, os.path.join(pd, name[:-5] + ".idx"))

    def fetch(self, d, proto=0, band=True, ofs=True):
        """What `git upload-pack --stateless-rpc` answers a clone of D's main."""
        want = b"want " + self.rev(d, "main").encode()
        if proto == 2:
            req = (pkt(b"command=fetch\n") + b"0001" + pkt(want + b"\n") +
                   (pkt(b"ofs-delta\n") if ofs else b"") + pkt(b"done\n") + b"0000")
            return self(d, "upload-pack", "--stateless-rpc", ".", stdin=req,
                        env={"GIT_PROTOCOL": "version=2"})
        caps = (b" side-band-64k" if band else b"") + (b" ofs-delta" if ofs else b"")
        req = pkt(want + caps + b"\n") + b"0000" + pkt(b"done\n")
        return self(d, "upload-pack", "--stateless-rpc", ".", stdin=req)


class Backend(http.server.BaseHTTPRequestHandler):
    """`git http-backend` as a CGI under the server's ROOT; POST bodies recorded."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.cgi(b"")

    def do_POST(self):
        # a body below http.postBuffer (1 MiB): git sends its length
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.posts.append((self.path, dict(self.headers), body))
        self.cgi(body)

    def cgi(self, body):
        path, _, query = self.path.partition("?")
        env = dict(self.server.git.env, GIT_PROJECT_ROOT=self.server.root,
                   GIT_HTTP_EXPORT_ALL="1", GATEWAY_INTERFACE="CGI/1.1",
                   REQUEST_METHOD=self.command, PATH_INFO=path, QUERY_STRING=query,
                   CONTENT_TYPE=self.headers.get("Content-Type", ""),
                   CONTENT_LENGTH=str(len(body)), REMOTE_USER="tester", REMOTE_ADDR="127.0.0.1",
                   HTTP_CONTENT_ENCODING=self.headers.get("Content-Encoding", ""))
        out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True,
                             timeout=60).stdout
        head, _, rest = out.partition(b"\r\n\r\n")
        fields = [ln.decode().partition(":")[::2] for ln in head.split(b"\r\n") if ln]
        status = dict((k.lower(), v) for k, v in fields).get("status", "200")
        self.send_response(int(status.split()[0]))
        for k, v in fields:
            if k.lower() != "status":
                self.send_header(k, v.strip())
        self.send_header("Content-Length", str(len(rest)))
        self.end_headers()
        self.wfile.write(rest)


class Pusher:
    """Pushes to bare copies of a seed repository over a loopback git http-backend."""

    def __init__(self, git):
        self.git = git
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Backend)
        self.httpd.git, self.httpd.posts = git, []
        self.httpd.root = tempfile.mkdtemp(dir=git.tmp, prefix="http-")
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def push(self, seed, name, files):
        """Clone SEED, commit FILES, `git push` it: (the git-receive-pack POST's
        body, its headers, the clone)."""
        g, root = self.git, self.httpd.root
        bare = os.path.join(root, name + ".git")
        g(root, "clone", "-q", "--bare", seed, bare)
        g(bare, "config", "http.receivepack", "true")
        work = os.path.join(g.tmp, "work-" + name)
        g(g.tmp, "clone", "-q", seed, work)
        g.commit(work, files, "change " + name)
        n = len(self.httpd.posts)
        g(work, "push", "-q", "http://127.0.0.1:%d/%s.git" % (self.httpd.server_address[1], name),
          "main")
        posts = [p for p in self.httpd.posts[n:] if p[0].endswith("/git-receive-pack")]
        return posts[-1][2], posts[-1][1], work

    def thin_delta(self, work, body, path):
        """Is PATH's new blob in the push's pack a delta on its old version, a
        base the pack lacks? index-pack --fix-thin (in WORK, which holds the
        base) and verify-pack say."""
        g = self.git
        out = g(work, "index-pack", "--stdin", "--fix-thin", stdin=pack_of(body)).decode()
        idx = os.path.join(work, ".git", "objects", "pack", "pack-%s.idx" % out.split()[-1])
        f = g.verify(work, idx).get(g.rev(work, "HEAD:" + path), [])
        return len(f) == 6 and f[5] == g.rev(work, "HEAD~1:" + path)


def send(ck, t, name, body, want, url_tail, ctype=UPLOAD_RESULT, push_headers=None):
    """BODY through the server: RESPMOD (a download), or a REQMOD POST when
    PUSH_HEADERS (what git sent) are given. WANT: 'av' (blocked by the
    signature), 'dlp' (by the card template), 'av-error', 'av-limit',
    'block' (by any rule), None (passes byte-identical)."""
    srv, n = t.srv, next(t.count)
    url = "http://git.test/r%d.git/%s" % (n, url_tail)
    if t.save:
        with open(os.path.join(t.save, "%02d-%s" % (n, url_tail.split("/")[-1])), "wb") as f:
            f.write(body)
    if push_headers is None:
        r = respmod(srv, url, body, ctype=ctype)
    else:
        extra = ["%s: %s" % (k, push_headers[k]) for k in ("Content-Type", "Content-Encoding")
                 if k in push_headers]
        r = reqmod(srv, "POST", url, body, extra=extra)
    if want == "av":
        return virus_blocked(ck, srv, name, url, r)
    e = log_entry(srv, url) if want else {}
    detail = "%s http=%s %s" % (r.status, r.http_status(), e or log_entry(srv, url, 1.0))
    if want == "dlp":
        ck.ok("%s: blocked by the card template" % name, blocked(r) and e.get("rule") == "cards",
              detail)
    elif want in ("av-error", "av-limit"):
        ck.ok("%s: blocked by %s" % (name, want), blocked(r) and
              e.get("rule", "").partition(":")[0] == want, detail)
    elif want == "block":
        ck.ok("%s: blocked" % name, blocked(r), detail)
    else:
        ck.ok("%s: passes byte-identical" % name, passed_identical(r, body), detail)


def g_repos(ck, t):
    """The repositories: EICAR (or a clean line) in version 1 of notes.txt,
    a longer clean paragraph in version 2, so that git stores version 1 as a
    delta on version 2; seeds (one version) for the pushes."""
    g, base = t.git, prose(1)
    v2 = {"notes.txt": spliced(base, "a longer and entirely clean paragraph here. " * 4)}
    for fmt in ("sha1", "sha256"):
        for kind, line in (("virus", EICAR_LINE), ("clean", "sample: nothing to see here\n")):
            d = g.repo("%s-%s" % (kind, fmt), {"notes.txt": spliced(base, line),
                                               "README": "A repository.\n"}, v2, fmt=fmt)
            t.repos[kind, fmt] = d
        t.repos["seed", fmt] = g.repo("seed-" + fmt, {"notes.txt": base, "README": "Seed.\n"},
                                      fmt=fmt)
    t.base = base
    return True


def g_clone(ck, t):
    """Dumb-HTTP clones: the .pack as the server stores it."""
    g = t.git
    for fmt in ("sha1", "sha256"):
        d = t.repos["virus", fmt]
        pack, objs = g.clone_pack(d)
        old = g.rev(d, "HEAD~1:notes.txt")
        ck.ok("%s clone: the EICAR blob is an OFS delta on the newer version (verify-pack)" % fmt,
              len(objs.get(old, [])) == 6 and objs[old][5] == g.rev(d, "HEAD:notes.txt"),
              objs.get(old))
        name = "pack-%s.pack" % g.rev(d, "HEAD")[:12]
        send(ck, t, "%s clone .pack with EICAR in a delta" % fmt, pack, "av",
             "objects/pack/" + name, ctype="application/octet-stream")
        clean, _ = g.clone_pack(t.repos["clean", fmt])
        send(ck, t, "%s clone .pack of a clean repository" % fmt, clean, None,
             "objects/pack/" + name, ctype="application/octet-stream")
    # a byte inside the EICAR delta's zlib stream flipped: git rejects it
    d = t.repos["virus", "sha1"]
    pack, objs = g.clone_pack(d)
    _, _, packed, off = objs[g.rev(d, "HEAD~1:notes.txt")][:4]
    bad = bytearray(pack)
    bad[int(off) + int(packed) // 2] ^= 0x55
    scratch = g.repo("scratch")
    p = g(scratch, "index-pack", "--stdin", stdin=bytes(bad), check=False)
    ck.ok("oracle: git index-pack rejects the pack with a flipped byte", p.returncode != 0,
          p.stderr)
    send(ck, t, "sha1 clone .pack, a byte flipped in the EICAR object's zlib stream", bytes(bad),
         "av-error", "objects/pack/pack-corrupt.pack", ctype="application/octet-stream")


def g_fetch(ck, t):
    """Smart-HTTP fetch results, as git-upload-pack answers a clone."""
    for label, kw in (("v0 side-band-64k", {}),
                      ("v0 without side-band, no ofs-delta (REF deltas)",
                       {"band": False, "ofs": False}),
                      ("v2 packfile section (side-band)", {"proto": 2}),
                      ("v2 packfile section, no ofs-delta (REF deltas)",
                       {"proto": 2, "ofs": False})):
        body = t.git.fetch(t.repos["virus", "sha1"], **kw)
        ck.ok("fetch %s: git answered with a pack, EICAR not in its bytes" % label,
              b"PACK" in body and EICAR not in body, body[:60])
        send(ck, t, "fetch %s with EICAR in a delta" % label, body, "av", "git-upload-pack")
        clean = t.git.fetch(t.repos["clean", "sha1"], **kw)
        send(ck, t, "fetch %s of a clean repository" % label, clean, None, "git-upload-pack")


def g_push(ck, t):
    """Pushes captured from git push over smart HTTP (git http-backend)."""
    base, pusher = t.base, Pusher(t.git)
    # git's delta inserts at most 127 bytes per instruction: a 94-byte lead
    # puts the split 33 bytes into EICAR, a 118-byte lead 9 into the card
    lead = "".join("ZQ%03d-" % i for i in range(20))
    long_eicar, long_card = lead[:86] + EICAR_LINE, lead[:103] + "\n" + CARD_LINE
    assert long_eicar.index(EICAR.decode()) == 94 and long_card.index("4111") == 118
    cases = [
        ("a new file with a card", "sha1", None, {"pay.txt": prose(5, 8) + CARD_LINE}, "dlp"),
        ("an edit adding a card line", "sha1", "notes.txt",
         {"notes.txt": spliced(base, CARD_LINE)}, "dlp"),
        ("an edit inserting 155 bytes, the card across two insert instructions", "sha1",
         "notes.txt", {"notes.txt": spliced(base, long_card)}, "dlp"),
        ("a new file with EICAR", "sha1", None, {"tool.txt": prose(6, 8) + EICAR_LINE}, "av"),
        ("an edit adding EICAR", "sha1", "notes.txt", {"notes.txt": spliced(base, EICAR_LINE)},
         "av"),
        ("an edit inserting 167 bytes, EICAR across two insert instructions", "sha1",
         "notes.txt", {"notes.txt": spliced(base, long_eicar)}, "av"),
        ("an edit adding EICAR", "sha256", "notes.txt",
         {"notes.txt": spliced(base, EICAR_LINE)}, "av"),
        ("clean: an edit and a new file", "sha1", "notes.txt",
         {"notes.txt": spliced(base, "Please call 555 0100 after the renewal.\n"),
          "more.txt": prose(7, 20)}, None),
        ("clean: an edit", "sha256", "notes.txt",
         {"notes.txt": spliced(base, "a clean line for the record\n")}, None),
    ]
    try:
        for i, (name, fmt, edited, files, want) in enumerate(cases):
            name = "%s push: %s" % (fmt, name)
            body, headers, work = pusher.push(t.repos["seed", fmt], "push%d" % i, files)
            ck.ok("%s: git sent %s" % (name, headers.get("Content-Encoding", "no coding")),
                  headers.get("Content-Type") == RECEIVE_REQUEST and
                  headers.get("Content-Encoding") in (None, "gzip"), headers)
            if edited == "notes.txt":
                ck.ok("%s: thin pack, the new blob a delta on a base it lacks (index-pack "
                      "--fix-thin, verify-pack)" % name, pusher.thin_delta(work, body, edited))
            send(ck, t, name, body, want, "git-receive-pack", push_headers=headers)
    finally:
        pusher.close()


def g_bundle(ck, t):
    """git bundle create: v2 (SHA-1), v3 with @object-format=sha256."""
    g = t.git
    for fmt in ("sha1", "sha256"):
        for kind, want in (("virus", "av"), ("clean", None)):
            d = t.repos[kind, fmt]
            path = os.path.join(g.tmp, "%s-%s.bundle" % (kind, fmt))
            g(d, "bundle", "create", "-q", path, "main")
            body = open(path, "rb").read()
            head = body.split(b"\n", 1)[0].decode()
            ck.ok("%s bundle: %r, EICAR not in its bytes" % (fmt, head),
                  head == ("# v3 git bundle" if fmt == "sha256" else "# v2 git bundle") and
                  EICAR not in body)
            send(ck, t, "%s bundle of a %s repository" % (fmt, kind), body, want,
                 "%s.bundle" % kind, ctype="application/octet-stream")


CARD = b"4111 1111 1111 1111"
OCTETS = "application/octet-stream"


def commands(new, ref, caps):
    """A push's command creating REF at NEW (hex), CAPS, and their flush."""
    return pkt(b"0" * 40 + b" %s %s\0 report-status %s agent=git/2.39.5\n" %
               (new.encode(), ref, caps)) + FLUSH


def received(g, body, ref, path, *config):
    """The oracle for a push: `git receive-pack --stateless-rpc` of BODY into
    a new bare repository (CONFIG: key, value), its report (did it take it?)
    and what REF:PATH holds there."""
    bare = tempfile.mkdtemp(dir=g.tmp, prefix="bare-")
    g(bare, "init", "-q", "--bare")
    for k, v in config:
        g(bare, "config", k, v)
    report = g(bare, "receive-pack", "--stateless-rpc", ".", stdin=body, check=False).stdout
    ok = b"unpack ok" in report and b"ok " + ref.encode() in report
    return ok, report, g(bare, "show", "%s:%s" % (ref, path), check=False).stdout


def indexed(g, repo, pack, hexid, *opts):
    """The oracle for a pack: `git index-pack --stdin` of PACK in REPO (and
    OPTS), then what object HEXID holds there (None: index-pack refused it)."""
    if g(repo, "index-pack", "--stdin", *opts, stdin=pack, check=False).returncode != 0:
        return None
    return g(repo, "cat-file", "-p", hexid, check=False).stdout


def g_crafted(ck, t):
    """Packs git takes, crafted so that a reader frames them otherwise than
    git does (red team s23; gitforge.py builds them)."""
    g = t.git
    # F1: a push-option line "\x01PACK" + an empty pack header, side-band's
    # look, before the real pack (git's own, of a commit with a.txt): a
    # reader that took it for the pack saw no object. The fix: a pack
    # without its trailer is cut short, av-error (any block will do)
    for label, line, want in (("EICAR", EICAR_LINE, "av"), ("a card", CARD_LINE, "dlp")):
        d = g.repo("decoy-" + label[-4:], {"a.txt": line})
        head = g.rev(d, "main")
        pack = g(d, "pack-objects", "--stdout", "--revs", "-q", stdin=head.encode() + b"\n")
        for opt, what in ((b"\x01PACK\0\0\0\x02\0\0\0\0", "a push-option \\x01PACK... decoy"),
                          (b"ci.skip", "an ordinary push-option")):
            name = "push with %s before the pack, %s" % (what, label)
            body = (commands(head, b"refs/heads/main", b"push-options object-format=sha1") +
                    pkt(opt) + FLUSH + pack)
            ok, report, shown = received(g, body, "refs/heads/main", "a.txt",
                                         ("receive.advertisePushOptions", "true"))
            ck.ok("oracle: git receive-pack takes the %s, a.txt holds it" % name,
                  ok and shown == line.encode(), (report, shown[:80]))
            send(ck, t, name, body, want if opt == b"ci.skip" else "block", "git-receive-pack",
                 push_headers={"Content-Type": RECEIVE_REQUEST})
    # F2: "object-format=sha256" in a ref name or a progress line; ids read
    # as 32 bytes frame a SHA-1 pack's crafted REF delta otherwise
    for label, payload, want in (("EICAR", EICAR, "av"), ("a card", CARD_LINE.encode(), "dlp")):
        pack, cid, eid = gf.desync_pack(payload)
        ck.ok("oracle: git index-pack takes the desync pack, %s in its last blob" % label,
              indexed(g, g.repo("desync-" + label[-4:]), pack, eid) == b"x " + payload + b"\n")
        for ref in ("refs/heads/object-format=sha256", "refs/heads/main"):
            name = "push of ref %s, a crafted REF delta before %s" % (ref, label)
            body = commands(cid, ref.encode(), b"object-format=sha1") + pack
            ok, report, shown = received(g, body, ref, "a.txt")
            ck.ok("oracle: git receive-pack takes the %s" % name,
                  ok and shown == b"x " + payload + b"\n", (report, shown[:80]))
            send(ck, t, name, body, want, "git-receive-pack",
                 push_headers={"Content-Type": RECEIVE_REQUEST})
    pack = gf.desync_pack(EICAR)[0]
    for line in (b"object-format=sha256", b"5"):
        body = (pkt(b"NAK\n") + pkt(b"\x02Counting objects: %s\n" % line) + gf.band(pack) +
                FLUSH)
        send(ck, t, "fetch v0 side-band, progress 'Counting objects: %s', the desync pack with "
             "EICAR" % line.decode(), body, "av", "git-upload-pack")
    # F3: an ISO 9660 descriptor tag at byte 32768 of a pack (a raw .pack,
    # a v0 fetch result without side-band): the pack is read all the same
    nak = pkt(b"NAK\n")
    repo = g.repo("isotag")
    for name, lead, tail, ctype in (("a .pack", b"", "objects/pack/pack-iso.pack", OCTETS),
                                    ("a v0 fetch result", nak, "git-upload-pack",
                                     UPLOAD_RESULT)):
        pack = gf.iso_tag_pack(EICAR, lead=len(lead))
        ck.ok("oracle: git index-pack takes the pack of %s, an ISO tag at 32 KiB, EICAR in it"
              % name, indexed(g, repo, pack, gf.oid("blob", b"x: " + EICAR + b"\n").hex()) ==
              b"x: " + EICAR + b"\n")
        send(ck, t, "%s, \\x01CD001 at byte 32768, then EICAR" % name, lead + pack, "av", tail,
             ctype=ctype)
    # F4: a thin REF delta inserting the halves swapped, an OFS delta on it
    # copying them back in order
    base = b"an ordinary file the server already has\n"
    repo = g.repo("thin-base", {"x": base.decode()})
    for label, payload, want in (("EICAR", EICAR, "av"), ("a card", CARD, "dlp")):
        pack, content = gf.thin_chain(payload, base)
        ck.ok("oracle: git index-pack --fix-thin (the base at hand) gives the chain's "
              "end %r" % content, indexed(g, repo, pack, gf.oid("blob", content).hex(),
                                          "--fix-thin") == content)
        name = "thin pack, an OFS delta reordering a thin delta's inserts to %s" % label
        send(ck, t, name, commands("1" * 40, b"refs/heads/main", b"") + pack, want,
             "git-receive-pack", push_headers={"Content-Type": RECEIVE_REQUEST})
        if want == "av":
            send(ck, t, name + " (a .pack)", pack, "av", "objects/pack/pack-thin.pack",
                 ctype=OCTETS)
    # F5: a pack of ~1/1000 of its blob, held to the decode ratio: 95 MiB
    # (the red team's), 48 MiB (av.max-scan-size alone lets it through)
    for mib in (95, 48):
        pack, t0 = gf.bomb(mib << 20), time.monotonic()
        name = "a pack of %d KB inflating to %d MiB" % (len(pack) >> 10, mib)
        send(ck, t, name, pack, "av-limit", "objects/pack/pack-bomb%d.pack" % mib, ctype=OCTETS)
        took = time.monotonic() - t0
        ck.ok("%s: the verdict within 5 s" % name, took < 5, "%.1f s" % took)
    send(ck, t, "after the bomb: a clean fetch", t.git.fetch(t.repos["clean", "sha1"]), None,
         "git-upload-pack")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--only", nargs="+", metavar="GROUP")
    ap.add_argument("--save", metavar="DIR")
    args = ap.parse_args()
    want = set(args.only or [])
    ck = Check("git")
    ck.ok("tool git is installed (deps.sh test)", shutil.which("git") is not None)
    if ck.failed:
        return ck.summary()
    tmp = tempfile.mkdtemp(prefix="sekisho-git-")
    empty_db = os.path.join(tmp, "clamav-empty")
    os.mkdir(empty_db)
    t = types.SimpleNamespace(git=Git(os.path.join(tmp, "git")), repos={}, save=args.save,
                              count=itertools.count(1))
    os.mkdir(t.git.tmp)
    if t.save:
        os.makedirs(t.save, exist_ok=True)
    t.srv = SekishoServer(os.path.abspath(args.build_dir), modules="virus_scan dlp xheaders",
                          name="git", extra_args=["--clamav-db", empty_db])

    def setup(srv):
        srv.policy_cmd("dlp", "add", "cards", "--detector", "credit-card", "--action", "block")

    def body():
        if not ck.group("repositories by git", g_repos, ck, t):
            return
        for name, fn in [("clone packs", g_clone), ("fetch results", g_fetch),
                         ("pushes", g_push), ("bundles", g_bundle),
                         ("crafted packs (red team s23)", g_crafted)]:
            if not want or fn.__name__ in want:
                ck.group(name, fn, ck, t)

    serve_checked(ck, t.srv, "server starts with virus_scan dlp xheaders", 3, setup, body)
    check_asan(ck)
    shutil.rmtree(tmp, ignore_errors=True)
    return ck.summary()


if __name__ == "__main__":
    main_wrapper(main)
