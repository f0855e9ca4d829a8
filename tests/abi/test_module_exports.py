#!/usr/bin/env python3
"""Every module the build makes exports only its descriptor.

nm -D of each in-tree module (lib/sekisho/modules/*.so, one per
modules/<name>/) and test module (tests/modules/*.so) lists exactly
sk_module_descriptor: a hook, a test diagnostic or a toolkit function with
default visibility that leaks into a module's dynamic symbols fails here.
A missing nm or a missing module fails too.

Usage: test_module_exports.py --build-dir BUILD --source-dir SRC
"""

import glob
import os
import shutil
import sys

from test_abi import dirs, exported  # one argument parser, one nm -D reader
from icaplib import Check, main_wrapper  # test_abi put tests/integration on the path


def main():
    build, src = dirs()
    ck = Check("module_exports")
    if not ck.ok("tool nm is installed", shutil.which("nm") is not None):
        return ck.summary()
    moddir = os.path.join(build, "lib", "sekisho", "modules")
    names = sorted(os.path.basename(os.path.dirname(c))
                   for c in glob.glob(os.path.join(src, "modules", "*", "CMakeLists.txt")))
    ck.ok("the source tree has modules", len(names) >= 4, names)
    for n in names:
        ck.ok("module %s is built" % n, os.path.exists(os.path.join(moddir, n + ".so")))
    sos = sorted(glob.glob(os.path.join(moddir, "*.so")) +
                 glob.glob(os.path.join(build, "tests", "modules", "*.so")))
    for so in sos:
        got = exported(so)
        ck.ok("%s exports only sk_module_descriptor" % os.path.relpath(so, build),
              got == {"sk_module_descriptor"}, "exports %s" % sorted(got))
    return ck.summary()


if __name__ == "__main__":
    main_wrapper(main)
