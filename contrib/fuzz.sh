#!/usr/bin/env bash
# fuzz.sh - build the tests/fuzz targets with clang + libFuzzer (ASan, UBSan)
# in ./build-fuzz and run each for SECONDS, each on one core.
#
# Usage: contrib/fuzz.sh SECONDS [TARGET...]     (default: every target)
#
# New corpus entries go to build-fuzz/corpus/<target>/ (the in-tree seeds in
# tests/fuzz/corpus/<target>/ are read, never written: promote a finding by
# copying its input there). Crashes and oracle failures are written as
# build-fuzz/findings/<target>/crash-*; the script prints executions and
# findings per target and exits non-zero if any target found something.
# Targets run FUZZ_JOBS at a time (default: the number of cores), each one
# libFuzzer process on one core, so every target gets its SECONDS whatever
# FUZZ_JOBS is; tests/fuzz/<target>.dict is passed as a libFuzzer dictionary
# when it exists.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
secs=${1:-}
shift || true
case "$secs" in
'' | *[!0-9]*)
    echo "usage: contrib/fuzz.sh SECONDS [TARGET...]" >&2
    exit 2
    ;;
esac
command -v clang >/dev/null || {
    echo "fuzz.sh: clang not found (contrib/deps.sh test installs it)" >&2
    exit 1
}

bdir=$root/build-fuzz
src=$root/tests/fuzz
mkdir -p "$bdir"
# The whole tree is instrumented (the libraries are what is fuzzed); only
# the fuzz binaries are built. Warnings are the gcc build's job.
CC=clang cmake -S . -B "$bdir" -DSEKISHO_FUZZ=ON -DSEKISHO_WERROR=OFF \
    -DSEKISHO_SANITIZE=address,undefined,fuzzer-no-link -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    >"$bdir/fuzz-cmake.log" 2>&1 || {
    cat "$bdir/fuzz-cmake.log" >&2
    exit 1
}
# Default: every target this configuration has (tests/fuzz/CMakeLists.txt).
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets <"$bdir/tests/fuzz/targets.txt"
fi
bins=()
for t in "${targets[@]}"; do bins+=(--target "fuzz_$t"); done
cmake --build "$bdir" -j"$(nproc 2>/dev/null || echo 2)" "${bins[@]}" >"$bdir/fuzz-build.log" 2>&1 || {
    tail -n 40 "$bdir/fuzz-build.log" >&2
    exit 1
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}
fuzz_jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
case "$fuzz_jobs" in '' | *[!0-9]* | 0) fuzz_jobs=1 ;; esac
res=$bdir/results
rm -rf "$res"
mkdir -p "$res"

# fuzz_one TARGET: run it, write its table row (and the lines of a failure)
# to $res/TARGET; exit 1 if it found something.
fuzz_one() {
    local t=$1 corpus=$bdir/corpus/$1 out=$bdir/findings/$1 log=$bdir/logs/$1.log
    local before after trc=0 execs found result dict=()
    mkdir -p "$corpus" "$out" "$(dirname "$log")"
    before=$(find "$out" -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' | wc -l)
    [ -f "$src/$t.dict" ] && dict=(-dict="$src/$t.dict")
    # Max length 64 KiB: the parsers see bounded buffers in the server too.
    "$bdir/tests/fuzz/fuzz_$t" -max_total_time="$secs" -max_len=65536 -timeout=25 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/" "${dict[@]}" \
        "$corpus" "$src/corpus/$t" >"$log" 2>&1 || trc=$?
    after=$(find "$out" -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' | wc -l)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    found=$((after - before))
    result=ok
    if [ "$trc" -ne 0 ] || [ "$found" -ne 0 ]; then
        result="FAIL (exit $trc; see $log)"
    fi
    {
        printf '%-14s %12s %8s %8s  %s\n' "$t" "${execs:-?}" "$(find "$corpus" -type f | wc -l)" \
            "$found" "$result"
        if [ "$result" != ok ]; then
            grep -E -m 5 'ERROR|oracle failed|SUMMARY|Test unit written' "$log" | sed 's/^/    /' || true
        fi
    } >"$res/$t"
    [ "$result" = ok ]
}

rc=0
running=0
for t in "${targets[@]}"; do
    if [ "$running" -ge "$fuzz_jobs" ]; then
        wait -n || rc=1
        running=$((running - 1))
    fi
    fuzz_one "$t" &
    running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
    wait -n || rc=1
    running=$((running - 1))
done

printf '%-14s %12s %8s %8s  %s\n' target executions corpus findings result
for t in "${targets[@]}"; do
    if [ -f "$res/$t" ]; then
        cat "$res/$t"
    else
        printf '%-14s %12s %8s %8s  %s\n' "$t" '?' '?' '?' 'FAIL (no result)'
        rc=1
    fi
done
exit $rc
