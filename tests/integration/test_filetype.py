#!/usr/bin/env python3
"""True file types and PUA detection (issue 14 items 2 and 5) through the
real c-icap daemon with virus_scan and libclamav: a Windows program
renamed .txt and declared text/plain is blocked (download, upload part,
inside a zip), an ELF inside a tar.gz is blocked (typed by libclamav in the
same scan), allowed types pass byte-identical, filetype.action log passes
with would-block, a declared type that disagrees is logged (default) or
blocked (filetype.on-mismatch block), av.skip-types does not skip a program
declared video/mp4, and a PUA.* test signature is reported only with
av.detect-pua on and its category not excluded, without hiding a virus.
The samples (PE, ELF headers; zip, tar.gz) are built here, and `file`
must agree with what the server calls them.

Usage: test_filetype.py --build-dir BUILD
"""

import argparse
import io
import os
import struct
import subprocess
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from icaplib import (Check, SekishoServer, StartupError, check_asan, check_started,  # noqa: E402
                     http_req_head, http_res_head, transact, zip_bytes)
from test_policy_depth import wait_log  # noqa: E402

# split so that a scanner on the developer's machine does not flag this file
EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR" +
         b"-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
PUA_MARK = b"SEKISHO-PUA-" + b"TEST-MARKER-5b1e"  # tests/sigs/sekisho-pua.ndb


def make_pe():
    """A minimal PE32: DOS header pointing at a PE header with an
    optional header of a GUI program, no sections."""
    dos = bytearray(64)
    dos[0:2] = b"MZ"
    struct.pack_into("<I", dos, 0x3c, 0x40)
    coff = struct.pack("<4sHHIIIHH", b"PE\0\0", 0x14c, 0, 0, 0, 0, 0xe0, 0x0102)
    opt = bytearray(0xe0)
    struct.pack_into("<H", opt, 0, 0x10b)   # PE32
    struct.pack_into("<H", opt, 68, 2)      # subsystem: Windows GUI
    return bytes(dos) + coff + bytes(opt) + b"\0" * 64


def make_elf():
    """An ELF64 x86-64 executable header, no segments."""
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\0" * 8
    return ident + struct.pack("<HHIQQQIHHHHHH", 2, 0x3e, 1, 0x401000, 0, 0, 0, 64, 56, 0,
                               64, 0, 0) + b"\0" * 64


def file_says(data):
    with tempfile.NamedTemporaryFile() as f:
        f.write(data)
        f.flush()
        return subprocess.run(["file", "-b", f.name], stdout=subprocess.PIPE,
                              check=True).stdout.decode()


def zip_of(name, data):
    return zip_bytes([("readme.md", b"# hello\n"), (name, data)])


def targz_of(name, data):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w:gz") as t:
        for n, d in (("docs/a.txt", b"text\n" * 50), (name, data)):
            ti = tarfile.TarInfo(n)
            ti.size = len(d)
            ti.mode = 0o644
            t.addfile(ti, io.BytesIO(d))
    return b.getvalue()


def respmod(srv, url, body, ctype, ip="10.0.0.1", lang="en", allow204=False):
    c = srv.conn(30)
    try:
        return transact(c, "RESPMOD", srv.url("respmod"),
                        http_req_head("GET", url, extra=("Accept-Language: %s" % lang,)),
                        http_res_head(ctype=ctype, body_len=len(body)), body,
                        allow204=allow204, extra=("X-Client-IP: %s" % ip,))
    finally:
        c.close()


def upload(srv, url, parts, ip="10.0.0.1"):
    bnd = "----sekishoFT"
    body = b""
    for name, ctype, data in parts:
        body += ("--%s\r\nContent-Disposition: form-data; name=\"f\"; filename=\"%s\"\r\n"
                 "Content-Type: %s\r\n\r\n" % (bnd, name, ctype)).encode() + data + b"\r\n"
    body += ("--%s--\r\n" % bnd).encode()
    c = srv.conn(30)
    try:
        return transact(c, "REQMOD", srv.url("reqmod"),
                        http_req_head("POST", url, body_len=len(body),
                                      extra=("Content-Type: multipart/form-data; boundary=%s"
                                             % bnd,)),
                        None, body, extra=("X-Client-IP: %s" % ip,))
    finally:
        c.close()


def blocked(r):
    return r is not None and r.status == 200 and r.http_status() == 403


def identical(r, body):
    return r is not None and r.status == 200 and r.http_status() != 403 and r.body == body


def page(r):
    return (r.body or b"").decode("utf-8", "replace") if r else ""


def setup(srv):
    srv.init_db()
    pc = srv.policy_cmd
    pc("filetype", "block", "executable", "disk-image")
    for name, ip in (("mon", "10.9.9.1"), ("pua", "10.9.9.2"), ("puax", "10.9.9.3"),
                     ("mm", "10.9.9.4"), ("skip", "10.9.9.5")):
        pc("policy", "add", name, "--client-ip", ip)
    pc("set", "filetype.action", "log", "--policy", "mon")
    pc("set", "av.detect-pua", "on", "--policy", "pua")
    pc("set", "av.detect-pua", "on", "--policy", "puax")
    pc("set", "av.pua-exclude", "Win", "--policy", "puax")
    pc("filetype", "allow", "executable", "--policy", "mm")
    pc("set", "filetype.on-mismatch", "block", "--policy", "mm")
    pc("filetype", "allow", "executable", "--policy", "skip")
    pc("policy", "add", "office", "--client-ip", "10.9.9.6")
    pc("filetype", "block", "office-macro", "archive", "--policy", "office")
    pc("set", "av.skip-types", "video/*", "--policy", "skip")


def g_cli(ck, srv):
    pc = srv.policy_cmd
    p = pc("filetype", "block", "exe", check=False)
    ck.ok("cli: unknown type refused (exit 2) naming it",
          p.returncode == 2 and b"'exe'" in p.stderr, p.stderr)
    before = pc("hash").stdout
    p = pc("set", "filetype.block", "executable,nonsense", check=False)
    ck.ok("cli: set filetype.block with an unknown type refused (exit 2)", p.returncode == 2,
          p.stderr)
    ck.eq("cli: refused commands change nothing (hash)", pc("hash").stdout, before)
    out = pc("filetype", "list").stdout.decode()
    ck.ok("cli: filetype list shows executable and disk-image blocked, archive allowed",
          any(ln.split()[:2] == ["executable", "block"] for ln in out.splitlines())
          and any(ln.split()[:2] == ["disk-image", "block"] for ln in out.splitlines())
          and any(ln.split()[:2] == ["archive", "allow"] for ln in out.splitlines()), out)
    out = pc("filetype", "list", "--policy", "mm").stdout.decode()
    ck.ok("cli: filetype allow in policy mm keeps the inherited disk-image",
          any(ln.split()[:2] == ["executable", "allow"] for ln in out.splitlines())
          and any(ln.split()[:2] == ["disk-image", "block"] for ln in out.splitlines()), out)
    ck.eq("cli: get filetype.block (canonical order)", pc("get", "filetype.block").stdout,
          b"executable,disk-image\n")
    keys = pc("keys").stdout.decode()
    for k in ("filetype.block", "filetype.action", "filetype.on-mismatch", "av.detect-pua",
              "av.pua-include", "av.pua-exclude"):
        ck.ok("cli: keys lists %s" % k, k in keys, keys[:200])
    exp = pc("export").stdout.decode()
    ck.ok("cli: export carries filetype.block", "filetype.block" in exp and "disk-image" in exp,
          exp[:300])
    hist = pc("history").stdout.decode()
    ck.ok("cli: history records the filetype commands", "filetype block" in hist, hist[:500])
    gen = pc("generation").stdout.decode().strip()
    h0 = pc("hash").stdout
    pc("filetype", "block", "archive")
    out = pc("filetype", "list").stdout.decode()
    ck.ok("cli: filetype block archive", any(ln.split()[:2] == ["archive", "block"]
                                             for ln in out.splitlines()), out)
    ck.ok("cli: the content hash changes with the file types", pc("hash").stdout != h0)
    pc("rollback", gen)
    out = pc("filetype", "list").stdout.decode()
    ck.ok("cli: rollback restores the file types",
          any(ln.split()[:2] == ["archive", "allow"] for ln in out.splitlines()), out)
    ck.eq("cli: rollback restores the content hash", pc("hash").stdout, h0)


def g_types(ck, srv):
    pe, elf = make_pe(), make_elf()
    ck.ok("sample: file(1) calls the PE a PE32 executable", "PE32 executable" in file_says(pe),
          file_says(pe))
    ck.ok("sample: file(1) calls the ELF an ELF executable",
          "ELF 64-bit LSB executable" in file_says(elf), file_says(elf))

    url = "http://origin.test/ft/readme.txt"
    r = respmod(srv, url, pe, "text/plain")
    if ck.ok("PE as readme.txt text/plain: blocked (403)", blocked(r), r and r.raw_head):
        ck.ok("PE page: 'File type blocked: Windows executable'",
              "File type blocked: Windows executable" in page(r), page(r)[:600])
        e = wait_log(srv, url)
        ck.ok("PE: access log rule filetype:pe, verdict block",
              e is not None and e.get("rule") == "filetype:pe" and e.get("verdict") == "block", e)
    r = respmod(srv, "http://origin.test/ft/ja.txt", pe, "text/plain", lang="ja")
    ck.ok("PE, Accept-Language ja: Japanese page",
          blocked(r) and "ファイルタイプがブロックされました: Windows 実行ファイル" in page(r),
          page(r)[:600])
    r = respmod(srv, "http://origin.test/ft/notes.zip", zip_of("notes.txt", pe),
                "application/zip")
    ck.ok("PE as notes.txt inside a zip: blocked, member named",
          blocked(r) and "notes.txt" in page(r), page(r)[:800])
    r = respmod(srv, "http://origin.test/ft/src.tar.gz", targz_of("bin/tool", elf),
                "application/gzip")
    ck.ok("ELF inside a tar.gz: blocked (typed by libclamav in the scan)",
          blocked(r) and "ELF" in page(r), page(r)[:800])
    r = upload(srv, "http://upload.test/ft/form", [("a.txt", "text/plain", pe)])
    ck.ok("upload: PE part a.txt text/plain: blocked", blocked(r), r and r.raw_head)
    # allowed types come back byte-identical
    for label, body, ct in (("text", b"hello\n" * 1000, "text/plain"),
                            ("zip of text", zip_of("b.txt", b"just text\n"), "application/zip"),
                            ("tar.gz of text", targz_of("c.txt", b"more text\n"),
                             "application/gzip")):
        r = respmod(srv, "http://origin.test/ft/ok-%s" % label.replace(" ", "-"), body, ct)
        ck.ok("allowed %s: passes byte-identical" % label, identical(r, body), r and r.raw_head)
    r = upload(srv, "http://upload.test/ft/ok", [("a.txt", "text/plain", b"fine\n")])
    ck.ok("upload: a text part passes", r is not None and r.status in (200, 204)
          and r.http_status() != 403, r and r.raw_head)
    # an ISO 9660 image (disk-image blocked)
    iso = bytearray(0x8800)
    iso[0x8001:0x8006] = b"CD001"
    ck.ok("sample: file(1) calls the ISO an ISO 9660 image",
          "ISO 9660" in file_says(bytes(iso)), file_says(bytes(iso)))
    r = respmod(srv, "http://origin.test/ft/disk.bin", bytes(iso), "application/octet-stream")
    ck.ok("ISO 9660 image: blocked as disk-image", blocked(r) and "disk image" in page(r),
          page(r)[:600])


def office_zip(macro):
    return zip_bytes([("[Content_Types].xml", b"<?xml version='1.0'?><Types/>"),
                      ("_rels/.rels", b"<Relationships/>"),
                      ("word/document.xml", b"<w:document/>")] +
                     ([("word/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"\0" * 60)] if macro else []))


def g_office(ck, srv):
    ip = "10.9.9.6"  # office-macro and archive blocked
    docx, docm = office_zip(False), office_zip(True)
    ck.ok("sample: file(1) calls the docx a Word document",
          "Microsoft Word 2007+" in file_says(docx),
          file_says(docx))
    r = respmod(srv, "http://origin.test/ft/report.docx", docx,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ip=ip)
    ck.ok("office-macro+archive blocked: a docx (a zip) passes byte-identical",
          identical(r, docx), r and r.raw_head)
    r = respmod(srv, "http://origin.test/ft/report.docm", docm,
                "application/vnd.ms-word.document.macroEnabled.12", ip=ip)
    ck.ok("office-macro blocked: a docm (vbaProject.bin) is blocked as a macro document",
          blocked(r) and "Office document with macros" in page(r), page(r)[:600])
    r = respmod(srv, "http://origin.test/ft/x.zip", zip_of("b.txt", b"text\n"),
                "application/zip", ip=ip)
    ck.ok("archive blocked: a plain zip is blocked", blocked(r) and "zip archive" in page(r),
          page(r)[:600])


def g_modes(ck, srv):
    pe = make_pe()
    url = "http://origin.test/ft/mon.txt"
    r = respmod(srv, url, pe, "text/plain", ip="10.9.9.1")
    ck.ok("filetype.action log: PE passes byte-identical with X-Sekisho-Verdict would-block",
          identical(r, pe) and r.header("X-Sekisho-Verdict") == "would-block", r and r.raw_head)
    e = wait_log(srv, url)
    ck.ok("filetype.action log: access log would-block, rule filetype:pe",
          e is not None and e.get("verdict") == "would-block" and e.get("rule") == "filetype:pe",
          e)
    # executable allowed in 'skip': the mismatch is only logged (default)
    url = "http://origin.test/ft/cat.png"
    r = respmod(srv, url, pe, "image/png", ip="10.9.9.5")
    ck.ok("on-mismatch log: PE declared image/png passes byte-identical", identical(r, pe),
          r and r.raw_head)
    e = wait_log(srv, url)
    ck.ok("on-mismatch log: logged allow with the mismatch",
          e is not None and e.get("verdict") == "allow"
          and "File type mismatch" in (e.get("reason") or "")
          and e.get("rule") == "filetype-mismatch", e)
    r = respmod(srv, "http://origin.test/ft/cat2.png", pe, "image/png", ip="10.9.9.4")
    ck.ok("on-mismatch block: PE declared image/png blocked", blocked(r), r and r.raw_head)
    r = respmod(srv, "http://origin.test/ft/setup.exe", pe, "application/x-msdownload",
                ip="10.9.9.4")
    ck.ok("on-mismatch block: a PE declared as a program passes", identical(r, pe),
          r and r.raw_head)
    # av.skip-types: a program claiming video/mp4 is scanned anyway
    lying = pe + EICAR
    r = respmod(srv, "http://origin.test/ft/movie.mp4", lying, "video/mp4", ip="10.9.9.5")
    ck.ok("av.skip-types video/*: a PE+EICAR declared video/mp4 is scanned and blocked",
          blocked(r) and "Eicar" in page(r), page(r)[:600])
    r = respmod(srv, "http://origin.test/ft/movie2.mp4", EICAR + b"\0" * 5000, "video/mp4",
                ip="10.9.9.5", allow204=True)
    ck.ok("av.skip-types video/*: bytes that are no program/archive are skipped (204)",
          r is not None and r.status == 204, r and r.raw_head)
    # with a 1024-byte preview the decision comes at the preview: 204
    # before the rest of a large body is sent
    media = b"\0\0\0\x20ftypisom" + b"v" * (256 * 1024)
    c = srv.conn(30)
    try:
        r = transact(c, "RESPMOD", srv.url("respmod"),
                     http_req_head("GET", "http://origin.test/ft/big.mp4"),
                     http_res_head(ctype="video/mp4", body_len=len(media)), media,
                     preview=1024, allow204=True, extra=("X-Client-IP: 10.9.9.5",))
    finally:
        c.close()
    ck.ok("av.skip-types video/*: 204 at the 1024-byte preview",
          r is not None and r.status == 204 and r.at_preview, r and r.raw_head)
    c = srv.conn(30)
    try:
        r = transact(c, "RESPMOD", srv.url("respmod"),
                     http_req_head("GET", "http://origin.test/ft/big2.mp4"),
                     http_res_head(ctype="video/mp4", body_len=len(lying) + len(media)),
                     lying + media, preview=1024, allow204=True,
                     extra=("X-Client-IP: 10.9.9.5",))
    finally:
        c.close()
    ck.ok("av.skip-types video/*: with a preview, a PE+EICAR as video/mp4 is still blocked",
          blocked(r), r and r.raw_head)


def g_pua(ck, srv):
    body = b"prefix " + PUA_MARK + b" suffix\n"
    r = respmod(srv, "http://origin.test/ft/pua-off", body, "application/octet-stream")
    ck.ok("av.detect-pua off (default): PUA test signature passes", identical(r, body),
          r and r.raw_head)
    r = respmod(srv, "http://origin.test/ft/pua-on", body, "application/octet-stream",
                ip="10.9.9.2")
    ck.ok("av.detect-pua on: PUA.Win.Tool.SekishoTest blocked",
          blocked(r) and "PUA.Win.Tool.SekishoTest" in page(r), page(r)[:600])
    r = respmod(srv, "http://origin.test/ft/pua-x", body, "application/octet-stream",
                ip="10.9.9.3")
    ck.ok("av.pua-exclude Win: PUA.Win.* passes", identical(r, body), r and r.raw_head)
    both = PUA_MARK + b"\n" + EICAR + b"\n"
    r = respmod(srv, "http://origin.test/ft/pua-virus", both, "application/octet-stream")
    ck.ok("av.detect-pua off: an ignored PUA does not hide EICAR after it",
          blocked(r) and "Eicar" in page(r), page(r)[:600])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    a = ap.parse_args()
    build = os.path.abspath(a.build_dir)
    ck = Check("file type integration")
    tmp = tempfile.mkdtemp(prefix="sekisho-ft-")
    empty_db = os.path.join(tmp, "clamav-empty")
    os.mkdir(empty_db)
    srv = SekishoServer(build, modules="virus_scan", name="ftype",
                        extra_args=["--clamav-db", empty_db])
    try:
        setup(srv)
        srv.start()
        check_started(ck, srv, "server starts with virus_scan", 1)
    except StartupError as e:
        ck.ok("server starts with virus_scan", False, str(e))
        srv.stop()
        return ck.summary()
    try:
        ck.group("types", g_types, ck, srv)
        ck.group("office", g_office, ck, srv)
        ck.group("modes", g_modes, ck, srv)
        ck.group("pua", g_pua, ck, srv)
        ck.group("cli", g_cli, ck, srv)
    finally:
        rc = srv.stop()
        ck.eq("server stops cleanly (rc 0)", rc, 0)
        if ck.failed:
            print(srv.daemon_log_tail())
    check_asan(ck)
    srv.cleanup()
    os.rmdir(empty_db)
    os.rmdir(tmp)
    return ck.summary()


if __name__ == "__main__":
    sys.exit(main())
