#!/usr/bin/env python3
"""Which ASan/LSan/UBSan report files count: one reader for contrib/test.sh
and the integration tests (icaplib.check_asan).

Every report counts except LeakSanitizer blocks whose allocation was made by
stock c-icap itself: the first frame under the allocator is in the c-icap
binary (/usr/bin/c-icap, no symbols). Debian's c-icap leaves two such blocks
in every process at exit (~121 KB and 160 bytes); they are not ours to
judge. A leak allocated by Sekisho's code (the launcher, the modules, the
service, libsekisho) or by a library our code called (libicapapi,
libclamav) has its first frame there and counts, whatever calls it further
down the stack.

Libraries' own leaks that our calls cannot avoid are named in LIBRARY_LEAKS
by the library functions that must all be on the stack, the first caller
being in that library (Debian's libclamav 1.0 keeps ~1.7 KB of OpenSSL
digest contexts from every cl_load of a signed database).

test.sh's ASan pass unwinds allocations fast (frame pointers): slow
unwinding made the sanitized daemon too slow for the tests' time bounds.
Fast unwinding stops inside OpenSSL (built without frame pointers), so a
leak of the c-icap daemon (a report file named ...c-icap.PID: test.sh and
icaplib set log_exe_name) whose captured stack never leaves libcrypto
cannot be told apart from libclamav's above; it is named, not counted. The
same for a daemon leak whose stack never leaves libclamav or libxml2 (also
built without frame pointers): CI once caught 328 bytes malloc'd in libclamav's
regex code (libclamav.so.12+0x1cee8c, the size of Spencer regcomp's
re_guts) with no caller, in one of 172 daemon processes of the ASan pass
(session 13). Our own OpenSSL and libclamav objects are leak-checked by
the unit tests (test_vs_engine and the rest), where every leak counts. Run a test by hand with fast_unwind_on_malloc=0 to see whose it is.

A leak check that could not run at all ("Tracer caught signal 11" /
"LeakSanitizer has encountered a fatal error", which LSan's thread-stopping
tracer prints now and then when a c-icap child exits while its threads are
still being torn down) is no finding either: it is named, not counted. An
ASan or UBSan error in the same file still counts.

Usage: sanitizer_reports.py FILE...   prints what counts; exit 1 if anything
does, 0 if nothing (a file of c-icap's own leaks only is named as ignored).
"""

import os
import re
import sys

_BLOCK = re.compile(r"^(Direct|Indirect) leak of \d+ byte\(s\) in \d+ object\(s\) allocated from:")
_FRAME = re.compile(r"^\s+#(\d+) 0x[0-9a-f]+ (.*)$")
_ALLOCATOR = ("__interceptor_", "operator new", "__sanitizer", "asan_malloc", "asan_new")
_C_ICAP = re.compile(r"\(/usr/(s?bin|lib/[^ )]*)/c-icap\+0x[0-9a-f]+\)$")


# (what it is, functions that must all be on the stack, library of the first caller)
LIBRARY_LEAKS = [
    ("libclamav's digest contexts at cl_load", ("cl_hash_init", "cl_load"),
     ("libcrypto.so", "libclamav.so")),
]


def _callers(frames):
    """The frames past the sanitizer's allocator."""
    return [f for f in frames if not any(a in f for a in _ALLOCATOR)]


def _first_caller(frames):
    rest = _callers(frames)
    return rest[0] if rest else ""


def _library_leak(frames):
    first = _first_caller(frames)
    for _what, funcs, libs in LIBRARY_LEAKS:
        if all(any(" in %s " % fn in " %s " % f for f in frames) for fn in funcs) and \
                any(lib in first for lib in libs):
            return True
    return False


def _unwind_stops_in_library(frames):
    """The captured stack, past the allocator, never leaves libcrypto,
    libclamav or libxml2: all are built without frame pointers, so the
    daemon's fast unwinding stops in them and the caller is unknown."""
    rest = _callers(frames)
    return bool(rest) and any(all(lib in f for f in rest) for lib in _NO_FRAME_POINTERS)


# libxml2: DLP reads xar uploads with libarchive, whose xar reader parses
# the table of contents with libxml2; libxml2 keeps a per-thread state
# (xmlGetGlobalState, 968 bytes) that its thread-exit destructor frees -
# a c-icap child that exits with its worker threads parked leaves it
# (session 23's clean-clone run, one daemon process of the ASan pass).
_NO_FRAME_POINTERS = ("/libcrypto.so", "/libclamav.so", "/libxml2.so")


def leak_blocks(text):
    """[(header, [frame text, ...]), ...] of the LeakSanitizer blocks."""
    out, cur = [], None
    for line in text.splitlines():
        if _BLOCK.match(line):
            cur = (line, [])
            out.append(cur)
            continue
        m = _FRAME.match(line)
        if cur is not None and m:
            cur[1].append(m.group(2))
        elif cur is not None and line.strip() == "":
            if cur[1]:
                cur = None
    return out


_ERRORS = r"ERROR: AddressSanitizer|runtime error:|ERROR: UndefinedBehaviorSanitizer"
_TRACER = re.compile(r"\A\s*Tracer caught signal \d+[^\n]*\n==[^\n]*LeakSanitizer has encountered "
                     r"a fatal error\.\n(==[^\n]*HINT:[^\n]*\n)*\s*\Z")


def tracer_fault(text):
    """The file says only that the leak check could not run."""
    return bool(_TRACER.match(text))


def counts(text, name=""):
    """The parts of one report file that count (a list of strings, empty
    when the file holds only c-icap's own leaks, or only a leak check that
    could not run). NAME is the file's name (".c-icap." in it: the daemon's)."""
    daemon = ".c-icap." in os.path.basename(name)
    if tracer_fault(text):
        return []
    if "ERROR: LeakSanitizer" not in text or re.search(_ERRORS, text):
        return [text] if text.strip() else []
    blocks = leak_blocks(text)
    if not blocks:
        return [text]  # a leak report this reader cannot take apart counts
    kept, direct = [], 0
    for head, frames in blocks:
        if (not _C_ICAP.search(_first_caller(frames)) and not _library_leak(frames) and
                not (daemon and _unwind_stops_in_library(frames))):
            kept.append(head + "\n" + "\n".join("    " + f for f in frames))
            direct += head.startswith("Direct")
    if not direct:
        # an indirect leak is memory only a leaked block points to: with
        # every direct leak c-icap's or a library's, so is the rest (the
        # OpenSSL method cache a leaked libclamav context holds, say)
        kept = []
    return kept


def main(paths):
    bad = 0
    for p in paths:
        try:
            with open(p, errors="replace") as fh:
                text = fh.read()
        except OSError as e:
            print("--- sanitizer report %s: unreadable (%s)" % (p, e))
            bad = 1
            continue
        parts = counts(text, p)
        if parts:
            bad = 1
            print("--- sanitizer report %s" % p)
            print("\n".join(parts)[:8000])
        elif tracer_fault(text):
            print("--- ignored %s: the leak check could not run (LSan tracer fault)" % p)
        else:
            print("--- ignored %s: stock c-icap's or a library's own leaks only" % p)
    return bad


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
