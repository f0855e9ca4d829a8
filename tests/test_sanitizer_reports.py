#!/usr/bin/env python3
"""meta.sanitizer_reports: the report filter of contrib/test.sh and
icaplib.check_asan (tests/sanitizer_reports.py) ignores only stock c-icap's
own allocations and keeps everything of ours, on reports as LeakSanitizer
and UBSan print them (the first two were taken from real runs)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sanitizer_reports as sr  # noqa: E402

C_ICAP_ONLY = """
=================================================================
==12862==ERROR: LeakSanitizer: detected memory leaks

Direct leak of 121088 byte(s) in 1 object(s) allocated from:
    #0 0x7f050fcb89cf in __interceptor_malloc ../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:69
    #1 0x56402c99281f  (/usr/bin/c-icap+0x1381f)

Direct leak of 160 byte(s) in 1 object(s) allocated from:
    #0 0x7f050fcb89cf in __interceptor_malloc ../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:69
    #1 0x56402c994477  (/usr/bin/c-icap+0x15477)
    #2 0x7fff6f0a35a6  ([stack]+0x205a6)
    #3 0x706163692d632e  (<unknown module>)

SUMMARY: AddressSanitizer: 121248 byte(s) leaked in 2 allocation(s).
"""

# dlp's plan cache at module unload (fixed in session 11): the module was
# unloaded before the report, so its frames have no name; c-icap is deeper
OURS = """
=================================================================
==30983==ERROR: LeakSanitizer: detected memory leaks

Direct leak of 32 byte(s) in 1 object(s) allocated from:
    #0 0x7fc720cb78d5 in __interceptor_realloc ../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:85
    #1 0x7fc7120872e4  (<unknown module>)
    #2 0x7fc7120767bc  (<unknown module>)
    #3 0x7fc71d945647 in sk_pipeline_headers /work/main/icap-server/core/sk_pipeline.c:163
    #4 0x7fc71d8f3b40 in sk_srv_preview /work/main/icap-server/srv_request.c:491
    #5 0x564b5517d7fb  (/usr/bin/c-icap+0xb7fb)

Indirect leak of 8 byte(s) in 1 object(s) allocated from:
    #0 0x7fc720c7077b in __interceptor_strdup ../../../../src/libsanitizer/asan/asan_interceptors.cpp:439
    #1 0x7fc712087259  (<unknown module>)
    #2 0x564b5517d7fb  (/usr/bin/c-icap+0xb7fb)

SUMMARY: AddressSanitizer: 40 byte(s) leaked in 2 allocation(s).
"""

# a libicapapi allocation our code made and never freed
LIBICAPAPI = """
==77==ERROR: LeakSanitizer: detected memory leaks

Direct leak of 4096 byte(s) in 1 object(s) allocated from:
    #0 0x7f0000000001 in __interceptor_malloc ../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:69
    #1 0x7f0000000002 in ci_buffer_alloc (/lib/x86_64-linux-gnu/libicapapi.so.5+0x1234)
    #2 0x564b5517d7fb  (/usr/bin/c-icap+0xb7fb)

SUMMARY: AddressSanitizer: 4096 byte(s) leaked in 1 allocation(s).
"""

# libclamav's digest context at cl_load (a signed database), and the OpenSSL
# method it holds: not ours
CLAMAV = """
==25926==ERROR: LeakSanitizer: detected memory leaks

Direct leak of 288 byte(s) in 4 object(s) allocated from:
    #0 0x7f47aa2b89cf in __interceptor_malloc ../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:69
    #1 0x7f47a9a333e8 in CRYPTO_zalloc (/lib/x86_64-linux-gnu/libcrypto.so.3+0x2333e8)
    #2 0x7f47a872aa97 in cl_hash_init (/lib/x86_64-linux-gnu/libclamav.so.12+0x12aa97)
    #3 0x7f47a8722651  (/lib/x86_64-linux-gnu/libclamav.so.12+0x122651)
    #4 0x7f47a8724661 in cl_load (/lib/x86_64-linux-gnu/libclamav.so.12+0x124661)
    #5 0x7f479dd83bee in sk_vs_build /work/main/modules/virus_scan/vs_engine.c:518

Indirect leak of 240 byte(s) in 1 object(s) allocated from:
    #0 0x7f47aa2b89cf in __interceptor_malloc ../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:69
    #1 0x7f47a9a333e8 in CRYPTO_zalloc (/lib/x86_64-linux-gnu/libcrypto.so.3+0x2333e8)
    #2 0x7f47a99f61b9 in EVP_MD_fetch (/lib/x86_64-linux-gnu/libcrypto.so.3+0x1f61b9)
    #3 0x7f47a99f6c2b in EVP_Digest (/lib/x86_64-linux-gnu/libcrypto.so.3+0x1f6c2b)
    #4 0x7f47a9512345 in sk_pdb_content_hash /work/main/policy-db/src/pdb_export.c:467

SUMMARY: AddressSanitizer: 528 byte(s) leaked in 5 allocation(s).
"""

# the same digest context leaked by our own code: counts
OUR_DIGEST = """
==26000==ERROR: LeakSanitizer: detected memory leaks

Direct leak of 72 byte(s) in 1 object(s) allocated from:
    #0 0x7f47aa2b89cf in __interceptor_malloc ../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:69
    #1 0x7f47a9a333e8 in CRYPTO_zalloc (/lib/x86_64-linux-gnu/libcrypto.so.3+0x2333e8)
    #2 0x7f47a99f6000 in EVP_MD_CTX_new (/lib/x86_64-linux-gnu/libcrypto.so.3+0x1f6000)
    #3 0x7f479dd80000 in sk_body_sha256 /work/main/icap-server/core/sk_bodyinfo.c:40
    #4 0x564b5517d7fb  (/usr/bin/c-icap+0xb7fb)

SUMMARY: AddressSanitizer: 72 byte(s) leaked in 1 allocation(s).
"""

# the daemon's report with fast unwinding: the stack stops in libcrypto
FAST = """
==23898==ERROR: LeakSanitizer: detected memory leaks

Direct leak of 432 byte(s) in 6 object(s) allocated from:
    #0 0x7f52450b89cf in __interceptor_malloc ../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:69
    #1 0x7f52440333e8 in CRYPTO_zalloc (/lib/x86_64-linux-gnu/libcrypto.so.3+0x2333e8)

SUMMARY: AddressSanitizer: 432 byte(s) leaked in 6 allocation(s).
"""

# the daemon's report with fast unwinding: the stack stops in libclamav
# (CI, session 13: 328 bytes in its regex code, no caller)
FAST_CLAMAV = """
==6957==ERROR: LeakSanitizer: detected memory leaks

Direct leak of 328 byte(s) in 1 object(s) allocated from:
    #0 0x7fa1860b89cf in __interceptor_malloc ../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:69
    #1 0x7fa1821cee8c  (/lib/x86_64-linux-gnu/libclamav.so.12+0x1cee8c)

SUMMARY: AddressSanitizer: 328 byte(s) leaked in 1 allocation(s).
"""

# a libclamav allocation with our frame under it counts
OUR_CLAMAV = """
==7000==ERROR: LeakSanitizer: detected memory leaks

Direct leak of 328 byte(s) in 1 object(s) allocated from:
    #0 0x7fa1860b89cf in __interceptor_malloc ../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:69
    #1 0x7fa1821cee8c  (/lib/x86_64-linux-gnu/libclamav.so.12+0x1cee8c)
    #2 0x7fa1821c0000 in sk_vs_engine_load /work/main/modules/virus_scan/vs_engine.c:200

SUMMARY: AddressSanitizer: 328 byte(s) leaked in 1 allocation(s).
"""

# libxml2's per-thread state (libarchive's xar reader parsed a table of
# contents in a worker thread; the child exited with it parked: CI,
# session 23); and the same allocation with our frame under it
FAST_XML = """
==8412==ERROR: LeakSanitizer: detected memory leaks

Direct leak of 968 byte(s) in 1 object(s) allocated from:
    #0 0x7f6c81eb83b7 in __interceptor_calloc ../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:77
    #1 0x7f6c7d720c0e in xmlGetGlobalState (/lib/x86_64-linux-gnu/libxml2.so.2+0xccc0e)

SUMMARY: AddressSanitizer: 968 byte(s) leaked in 1 allocation(s).
"""
OUR_XML = FAST_XML.replace(
    "(/lib/x86_64-linux-gnu/libxml2.so.2+0xccc0e)\n",
    "(/lib/x86_64-linux-gnu/libxml2.so.2+0xccc0e)\n"
    "    #2 0x7f6c7d000000 in sk_darc_libarchive_read /work/main/modules/dlp/dlp_arc.c:230\n")

ASAN_ERROR = """
==88==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x602000000011
READ of size 1 at 0x602000000011 thread T3
    #0 0x7f0000000003 in sk_mp_write /work/main/icap-server/core/sk_multipart.c:10
"""

TRACER = """Tracer caught signal 11: addr=0xf8 pc=0x7fa0cb6e80f0 sp=0x7fa0bcaf6d10
==15170==LeakSanitizer has encountered a fatal error.
==15170==HINT: For debugging, try setting environment variable LSAN_OPTIONS=verbosity=1:log_threads=1
==15170==HINT: LeakSanitizer does not work under ptrace (strace, gdb, etc)
"""

UBSAN = "icap-server/core/sk_decode.c:100:5: runtime error: signed integer overflow\n"


def main():
    bad = 0

    def ok(name, cond):
        nonlocal bad
        print("%s: %s" % ("ok  " if cond else "FAIL", name))
        bad |= not cond

    ok("c-icap's own two leaks at exit are ignored", sr.counts(C_ICAP_ONLY) == [])
    kept = sr.counts(OURS)
    ok("a leak of our module counts though c-icap is deeper in its stack",
       len(kept) == 2 and "Direct leak of 32 byte" in kept[0] and "Indirect leak of 8" in kept[1])
    ok("c-icap's leaks beside ours: only ours counts",
       len(sr.counts(C_ICAP_ONLY + OURS)) == 2)
    ok("an allocation by libicapapi called from c-icap counts", len(sr.counts(LIBICAPAPI)) == 1)
    ok("an AddressSanitizer error counts", sr.counts(ASAN_ERROR) == [ASAN_ERROR])
    ok("an AddressSanitizer error beside c-icap's leaks counts",
       sr.counts(C_ICAP_ONLY + ASAN_ERROR) != [])
    ok("libclamav's own contexts at cl_load, and what only they hold, are ignored",
       sr.counts(CLAMAV) == [])
    kept = sr.counts(OUR_DIGEST)
    ok("an OpenSSL context our code leaked counts", len(kept) == 1 and "sk_body_sha256" in kept[0])
    kept = sr.counts(CLAMAV + OUR_DIGEST)
    ok("beside libclamav's: ours counts, and the indirect leak is shown with it",
       len(kept) == 2 and "sk_body_sha256" in kept[1])
    ok("the daemon's leak whose stack stops in libcrypto is named, not counted",
       sr.counts(FAST, "/x/asan-integration.c-icap.23898") == [])
    ok("the same in another program (sekisho-policy, a unit test) counts",
       sr.counts(FAST, "/x/asan-integration.sekisho-policy.1") != [] and sr.counts(FAST) != [])
    ok("the daemon's own code's leak still counts",
       len(sr.counts(OURS, "/x/asan-integration.c-icap.30983")) == 2)
    ok("the daemon's leak whose stack stops in libclamav is named, not counted",
       sr.counts(FAST_CLAMAV, "/x/asan-integration.c-icap.6957") == [])
    ok("the same in a unit test counts", sr.counts(FAST_CLAMAV, "/x/asan-unit.test_vs_engine.1") != [])
    ok("a libclamav allocation with our frame under it counts in the daemon",
       len(sr.counts(OUR_CLAMAV, "/x/asan-integration.c-icap.7000")) == 1)
    ok("a stack mixing libcrypto and libclamav frames only counts",
       sr.counts(FAST.replace("CRYPTO_zalloc (/lib/x86_64-linux-gnu/libcrypto.so.3+0x2333e8)",
                              "CRYPTO_zalloc (/lib/x86_64-linux-gnu/libcrypto.so.3+0x2333e8)\n"
                              "    #2 0x7fa1821cee8c  (/lib/x86_64-linux-gnu/libclamav.so.12"
                              "+0x1cee8c)"), "/x/asan-integration.c-icap.1") != [])
    ok("the daemon's leak whose stack stops in libxml2 is named, not counted",
       sr.counts(FAST_XML, "/x/asan-integration.c-icap.8412") == [])
    ok("a libxml2 allocation with our frame under it counts in the daemon",
       len(sr.counts(OUR_XML, "/x/asan-integration.c-icap.8412")) == 1)
    ok("a UBSan runtime error counts", sr.counts(UBSAN) == [UBSAN])
    ok("a leak report that cannot be taken apart counts",
       sr.counts("==1==ERROR: LeakSanitizer: detected memory leaks\n(garbled)\n") != [])
    ok("a leak check that could not run is named, not counted", sr.counts(TRACER) == [])
    ok("a tracer fault after an AddressSanitizer error: the error counts",
       sr.counts(ASAN_ERROR + TRACER) != [])
    ok("an empty file counts as nothing", sr.counts("") == [])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
