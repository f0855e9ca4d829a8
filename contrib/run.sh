#!/usr/bin/env bash
# run.sh - build Sekisho and run it in the foreground on 127.0.0.1:1344.
#
# Usage: contrib/run.sh [extra sekisho-server options...]
#   SEKISHO_LISTEN=ADDR:PORT   listen elsewhere (default 127.0.0.1:1344)
#   SEKISHO_BUILD_DIR=DIR      build directory (default ./build)
#
# Installs missing Debian packages (contrib/deps.sh runtime), builds
# incrementally, keeps local state in ./var/ (policy.db, run/, log/) and
# execs sekisho-server so Ctrl-C (SIGINT) reaches it directly. With no ClamAV
# signatures installed, virus_scan runs on its EICAR-only test set
# (--test-signatures); real signatures are used as soon as they are there.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=${SEKISHO_BUILD_DIR:-build}
listen=${SEKISHO_LISTEN:-127.0.0.1:1344}

./contrib/deps.sh runtime

# Configure every time (a second run takes a second): a configure that
# failed earlier, say before a missing package was installed, leaves a
# CMakeCache.txt without a Makefile, and only a new configure recovers
# from that. A cache CMake cannot use at all (a moved or copied tree) is
# thrown away and the configure tried once more. No test suites here:
# they need cmocka and python3, which a server does not (test.sh builds them).
configure() {
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSEKISHO_TESTS=OFF >"$build/configure.log" 2>&1
}
mkdir -p "$build"
if ! configure; then
    rm -rf "$build/CMakeCache.txt" "$build/CMakeFiles"
    if ! configure; then
        cat "$build/configure.log" >&2
        echo "run.sh: configuring the build failed (log above, also in $build/configure.log)" >&2
        exit 1
    fi
fi
rm -f "$build/configure.log"
cmake --build "$build" -j"$(nproc)"

mkdir -p var/run var/log
"$build/bin/sekisho-policy" --db "$root/var/policy.db" init

host=${listen%:*}
port=${listen##*:}
cat <<MSG
Sekisho: starting on icap://$listen (state in $root/var, Ctrl-C stops)
  access log: var/log/access.log
Try, from another terminal:
  c-icap-client -i $host -p $port -s sekisho -req http://example.com/
  c-icap-client -i $host -p $port -s respmod -resp http://example.com/ -f /etc/os-release -v
MSG

exec "$build/bin/sekisho-server" --foreground \
    --listen "$listen" \
    --policy-db "$root/var/policy.db" \
    --run-dir "$root/var/run" \
    --access-log "$root/var/log/access.log" \
    --test-signatures \
    "$@"
