#!/usr/bin/env bash
# run.sh - Sekisho benchmark: the stock c-icap services (echo, url_check,
# virus_scan+clamav_mod, content_filtering) and Sekisho side by side, same
# machine, same inputs, same client, alternating rounds. See README.md.
#
# Usage: tests/bench/run.sh [--quick] [--rounds N] [--duration S]
#            [--connections N] [--threads N] [--only SCENARIO[,..]]
#            [--build-dir DIR] [--out-dir DIR] [--no-build] [--tmpfs]
# --tmpfs: every server's temporary files (and the raw loop's) on /dev/shm,
#   as the systemd unit's /run/sekisho, instead of /tmp's file system.
# Exit status: 0 when every scenario run produced a non-zero rate.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
quick=0 rounds=3 duration=10 connections=8 threads=20 only="" nobuild=0 tmpfs=0
build_dir="$repo/build" out_dir="$here/results"
rounds_set=0 duration_set=0

die() { echo "run.sh: $*" >&2; exit 1; }
say() { echo "run.sh: $*" >&2; }

while [ $# -gt 0 ]; do
    case "$1" in
    --quick) quick=1 ;;
    --rounds) rounds=$2; rounds_set=1; shift ;;
    --duration) duration=$2; duration_set=1; shift ;;
    --connections) connections=$2; shift ;;
    --threads) threads=$2; shift ;;
    --only) only=$2; shift ;;
    --build-dir) build_dir=$2; shift ;;
    --out-dir) out_dir=$2; shift ;;
    --no-build) nobuild=1 ;;
    --tmpfs) tmpfs=1 ;;
    -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
    esac
    shift
done
for v in "$rounds" "$connections" "$threads"; do
    [[ "$v" =~ ^[1-9][0-9]*$ ]] || die "--rounds/--connections/--threads need a positive integer"
done
[[ "$duration" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--duration needs a number of seconds"
if [ "$quick" = 1 ]; then
    [ "$rounds_set" = 1 ] || rounds=1
    [ "$duration_set" = 1 ] || duration=1
    hashes=10000 patterns=1000 ndomains=100000 stream_mb=20 stream_reqs=2 set_name=quick
else
    hashes=1000000 patterns=50000 ndomains=1000000 stream_mb=200 stream_reqs=4 set_name=full
fi
mkdir -p "$build_dir" "$out_dir"
build_dir=$(cd "$build_dir" && pwd)
out_dir=$(cd "$out_dir" && pwd)
t_begin=$(date +%s)
# Other work on the machine skews every figure: record the load we start on.
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- packages ------------------------------------------------------------
missing=()
while read -r p; do
    case "$p" in '' | '#'*) continue ;; esac
    [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null)" = "ii " ] || missing+=("$p")
done <"$here/packages.txt"
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    "$repo/contrib/deps.sh" bench || true
    still=()
    for p in "${missing[@]}"; do
        [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null)" = "ii " ] || still+=("$p")
    done
    if [ ${#still[@]} -gt 0 ]; then
        [ "$(id -u)" = 0 ] || die "missing packages: ${still[*]} (install them as root)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${still[@]}" >/dev/null
    fi
fi

# ---- build ---------------------------------------------------------------
bin=$build_dir/bin
need_bins=("$bin/icapbench" "$bin/bench_rawscan" "$bin/sekisho-server" "$bin/sekisho-policy"
           "$build_dir/lib/sekisho/srv_sekisho.so")
if [ "$nobuild" = 0 ]; then
    if [ ! -f "$build_dir/CMakeCache.txt" ]; then
        cmake -S "$repo" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
    fi
    if ! cmake --build "$build_dir" -j"$(nproc)" >"$build_dir/bench-build.log" 2>&1; then
        say "build failed (see $build_dir/bench-build.log); using the binaries already there"
    fi
fi
for f in "${need_bins[@]}"; do [ -e "$f" ] || die "missing $f (build failed?)"; done

# ---- inputs (cached) -----------------------------------------------------
data=$build_dir/bench-data/$set_name
sigs=$data/sigs domains=$data/domains bodies=$data/bodies
t0=$(date +%s)
if [ ! -f "$sigs/.done-$hashes-$patterns" ]; then
    rm -rf "$sigs"
    python3 -B "$here/gen_sigs.py" "$sigs" --hashes "$hashes" --patterns "$patterns" >&2
    touch "$sigs/.done-$hashes-$patterns"
fi
if [ ! -f "$domains/.done-$ndomains" ]; then
    rm -rf "$domains"
    python3 -B "$here/gen_domains.py" "$domains" --count "$ndomains" >&2
    touch "$domains/.done-$ndomains"
fi
if [ ! -f "$bodies/.done-$stream_mb" ]; then
    rm -rf "$bodies"
    python3 -B "$here/gen_bodies.py" "$bodies" --stream-mb "$stream_mb" >&2
    touch "$bodies/.done-$stream_mb"
fi
t_gen=$(($(date +%s) - t0))

# ---- servers -------------------------------------------------------------
# Every server's temporary files live under $work (Sekisho's run dir,
# c-icap's TmpDir, clamd's TemporaryDirectory), and so does the raw loop's
# TMPDIR: libclamav makes and removes a directory per scan there, which
# costs an ext4 journal update and, on a disk mounted with discard, a
# synchronous discard at close (a worker blocked ~1 ms per scan here).
work_base=/tmp
if [ "$tmpfs" = 1 ]; then
    [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] || die "--tmpfs: /dev/shm is not a tmpfs"
    work_base=/dev/shm
fi
work=$(mktemp -d "$work_base/sekisho-bench.XXXXXX")
# (findmnt lists every mount stacked on the same point; the last one is in effect)
tmp_fs="$(findmnt -n -o FSTYPE -T "$work" 2>/dev/null | tail -n 1 || true)"
[ -n "$tmp_fs" ] || tmp_fs=$(stat -f -c %T "$work")
case ",$(findmnt -n -o OPTIONS -T "$work" 2>/dev/null | tail -n 1)," in *,discard,*) tmp_fs+=" mounted with discard" ;; esac
tmp_fs+=", $work_base"
mkdir -p "$work/rawtmp"
peer_pid="" sk_pid=""
# Extra servers, started only for the scenarios that need them.
peer_eq_pid="" peer_clamd_pid="" clamd_pid="" sk_dlp_pid="" sk_rl_pid=""
stop_pid() {
    local pid=$1 i
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    local pid d
    for pid in "$sk_pid" "$sk_dlp_pid" "$sk_rl_pid"; do stop_pid "$pid"; done
    # c-icap's children are in its process group; the master stops them.
    for pid in "$peer_pid" "$peer_eq_pid" "$peer_clamd_pid" "$clamd_pid"; do stop_pid "$pid"; done
    for d in peer peer_eq peer_clamd; do
        for pid in $(cat "$work/$d/c-icap.pid" 2>/dev/null); do stop_pid "$pid"; done
    done
    for pid in $(cat "$work/peer_clamd/clamd.pid" 2>/dev/null); do stop_pid "$pid"; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
peer_port=$(free_port)
sk_port=$(free_port)
[ "$peer_port" != "$sk_port" ] || sk_port=$(free_port)

cicap=$(command -v c-icap) || die "c-icap not found"
cicap_mods=$(c-icap-config --modulesdir 2>/dev/null || echo /usr/lib/x86_64-linux-gnu/c_icap)
cicap_data=$(c-icap-config --datarootdir 2>/dev/null || echo /usr/share/c_icap)
cf_so=$cicap_mods/srv_content_filtering.so
dlp_peer=echo
[ -e "$cf_so" ] && dlp_peer=content_filtering
. "$here/peer_conf.sh"
mkdir -p "$work/peer/tmp" "$work/sekisho/run"
# Derived bodies: 10 KB of the text (DLP regex row) and one byte either side
# of Sekisho's memory-threshold (the spill edge), read from its option table
# so the row follows the default wherever it moves.
head -c 10240 "$bodies/text1m" >"$work/text10k"
sk_threshold=$(sed -n 's/.*{"memory-threshold", SK_OPT_SIZE, "\([0-9]*[KMG]\?\)".*/\1/p' \
    "$repo/modules/virus_scan/vs_descriptor.c")
case $sk_threshold in
*K) thr=$((${sk_threshold%K} * 1024)) ;;
*M) thr=$((${sk_threshold%M} * 1048576)) ;;
*G) thr=$((${sk_threshold%G} * 1073741824)) ;;
[0-9]*) thr=$sk_threshold ;;
*) sk_threshold=1M thr=1048576 ;; # the documented default
esac
python3 -c 'import sys
src = open(sys.argv[1], "rb").read()
n = int(sys.argv[2])
for path, size in ((sys.argv[3], n - 1), (sys.argv[4], n + 1)):
    open(path, "wb").write((src * (size // len(src) + 1))[:size])' \
    "$bodies/bin1m" "$thr" "$work/thr_minus1" "$work/thr_plus1"
# The signature set's shape goes into the table: it changes the result.
[ -f "$sigs/.shape" ] || python3 -B "$here/gen_sigs.py" "$sigs" --shape >"$sigs/.shape"
sig_shape=$(cat "$sigs/.shape")
min_spare=$((threads / 2 > 0 ? threads / 2 : 1))
write_peer_conf "$work/peer" >"$work/peer/c-icap.conf"

# wants GLOB: true when a scenario matching GLOB is selected.
wants() {
    local x
    [ -z "$only" ] && return 0
    for x in ${only//,/ }; do
        # shellcheck disable=SC2053
        [[ $x == $1 ]] && return 0
    done
    return 1
}

# clamav_mod loads cl_retdbdir() (/var/lib/clamav): give the peer our
# signatures there in a private mount namespace, or through the shim.
# start_cicap DIR: starts a stock c-icap on DIR/c-icap.conf; sets last_pid.
peer_mode=shim
if [ "$(id -u)" = 0 ] && unshare --mount --propagation private true 2>/dev/null; then
    peer_mode=bind
else
    [ -e "$build_dir/lib/bench/sk_bench_dbdir.so" ] || die "no $build_dir/lib/bench/sk_bench_dbdir.so"
fi
start_cicap() { # DIR
    if [ "$peer_mode" = bind ]; then
        unshare --mount --propagation private -- sh -c \
            'mount --bind "$1" /var/lib/clamav && exec "$2" -N -f "$3"' sh \
            "$sigs" "$cicap" "$1/c-icap.conf" >"$1/stdout.log" 2>&1 &
    else
        SK_BENCH_CLAMAV_DB=$sigs LD_PRELOAD=$build_dir/lib/bench/sk_bench_dbdir.so \
            "$cicap" -N -f "$1/c-icap.conf" >"$1/stdout.log" 2>&1 &
    fi
    last_pid=$!
}
start_cicap "$work/peer"
peer_pid=$last_pid

# Equal-protection peers (issue 17 item 4): clamav_mod with Sekisho's
# alerts and limits, and clamd_mod + Debian's clamd on the same signatures.
peer_eq_port="" peer_clamd_port=""
if wants 'respmod_*_eq'; then
    peer_eq_port=$(free_port)
    mkdir -p "$work/peer_eq/tmp"
    write_av_peer_conf "$work/peer_eq" "$peer_eq_port" clamav >"$work/peer_eq/c-icap.conf"
    start_cicap "$work/peer_eq"
    peer_eq_pid=$last_pid
fi
if wants 'respmod_*_clamd'; then
    clamd_bin=$(command -v clamd || echo /usr/sbin/clamd)
    [ -x "$clamd_bin" ] || die "clamd not found (package clamav-daemon)"
    peer_clamd_port=$(free_port)
    mkdir -p "$work/peer_clamd/tmp"
    write_clamd_conf "$work/peer_clamd" >"$work/peer_clamd/clamd.conf"
    "$clamd_bin" -c "$work/peer_clamd/clamd.conf" >"$work/peer_clamd/clamd.stdout" 2>&1 &
    clamd_pid=$!
    write_av_peer_conf "$work/peer_clamd" "$peer_clamd_port" clamd >"$work/peer_clamd/c-icap.conf"
fi

# Sekisho: load whichever of its modules exist.
sk_mods=()
for m in url_block dlp virus_scan; do
    [ -e "$build_dir/lib/sekisho/modules/$m.so" ] && sk_mods+=("$m")
done
"$bin/sekisho-policy" --db "$work/sekisho/policy.db" init >/dev/null
if [ -e "$build_dir/lib/sekisho/modules/url_block.so" ]; then
    # Issue 5's policy: the block list as a blocked category, plus 10,000
    # prefix/substring rules and 100 regexes (added through export/import:
    # one transaction instead of 10,100).
    t_pol=$(date +%s.%N)
    if "$bin/sekisho-policy" --db "$work/sekisho/policy.db" category import blocklist "$domains" \
        >/dev/null 2>&1 &&
        "$bin/sekisho-policy" --db "$work/sekisho/policy.db" category block blocklist >/dev/null &&
        "$bin/sekisho-policy" --db "$work/sekisho/policy.db" export >"$work/sekisho/policy.json" &&
        python3 "$here/gen_rules.py" "$work/sekisho/policy.json" "$quick" &&
        "$bin/sekisho-policy" --db "$work/sekisho/policy.db" import "$work/sekisho/policy.json" \
            >/dev/null; then
        say "sekisho policy: block list + URL rules loaded in $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t_pol}") s"
    else
        say "warning: could not load the block list and rules into Sekisho"
    fi
fi
if [ -e "$build_dir/lib/sekisho/modules/dlp.so" ]; then
    # Issue 7's setting: every built-in detector on, plus the peer's
    # classification keyword, one blocking template.
    "$bin/sekisho-policy" --db "$work/sekisho/policy.db" dlp add bench-all \
        --detector credit-card --detector my-number --detector corporate-number \
        --detector ssn --detector iban --detector email --detector jp-phone \
        --detector keyword:CONFIDENTIAL --action block >/dev/null ||
        say "warning: could not add the DLP template to Sekisho"
fi
# The 200 MB stream is scanned like any download: lift the 100M default
# scan limit so it passes (scanned from a spill file) instead of getting the
# limit verdict.
"$bin/sekisho-policy" --db "$work/sekisho/policy.db" set av.max-scan-size 256M >/dev/null
# start_sk DIR PORT SIGDIR [ARGS...]: a Sekisho on DIR/policy.db; sets last_pid.
start_sk() {
    local d=$1 port=$2 sd=$3
    shift 3
    mkdir -p "$d/run"
    "$bin/sekisho-server" --foreground --listen "127.0.0.1:$port" \
        --policy-db "$d/policy.db" --run-dir "$d/run" \
        --access-log "$d/access.log" --clamav-db "$sd" --threads "$threads" \
        ${sk_mods[@]:+--modules "${sk_mods[*]}"} "$@" >"$d/stdout.log" 2>&1 &
    last_pid=$!
}
start_sk "$work/sekisho" "$sk_port" "$sigs"
sk_pid=$last_pid

# DLP with regex templates (issue 17 item 2): the same policy plus two
# templates of two regexes each, on a second Sekisho; the row compares it
# with the first (built-in detectors only). Log templates: they never
# decide early, so both servers scan every byte.
sk_dlp_port=""
if wants 'reqmod_*_dlp_regex' && [ -e "$build_dir/lib/sekisho/modules/dlp.so" ]; then
    sk_dlp_port=$(free_port)
    mkdir -p "$work/sk_dlp"
    cp "$work/sekisho/policy.db" "$work/sk_dlp/policy.db"
    { "$bin/sekisho-policy" --db "$work/sk_dlp/policy.db" dlp add bench-re-1 \
        --detector 'regex:project[ -]?code[: ]+[a-z]{3}-[0-9]{4}' \
        --detector 'regex:internal (use|distribution) only' --action log >/dev/null &&
        "$bin/sekisho-policy" --db "$work/sk_dlp/policy.db" dlp add bench-re-2 \
            --detector 'regex:api[_-]?key[=:] *[0-9a-f]{32}' \
            --detector 'regex:[a-z]{2}[0-9]{7}[a-z]' --action log >/dev/null; } ||
        say "warning: could not add the DLP regex templates"
    start_sk "$work/sk_dlp" "$sk_dlp_port" "$sigs"
    sk_dlp_pid=$last_pid
fi

# Reload memory (issue 17 item 1): a Sekisho on a private signature
# directory (links to the bench set) that looks for new signatures every
# second, so the scenario can add files to it as freshclam would.
sk_rl_port=""
if wants reload_mem; then
    sk_rl_port=$(free_port)
    mkdir -p "$work/sk_rl/sigs"
    cp "$work/sekisho/policy.db" "$work/sk_rl/policy.db"
    for f in "$sigs"/*.hdb "$sigs"/*.ndb; do ln -s "$f" "$work/sk_rl/sigs/"; done
    echo "sekisho.Option virus_scan.reload-interval 1" >"$work/sk_rl/extra.conf"
    start_sk "$work/sk_rl" "$sk_rl_port" "$work/sk_rl/sigs" --config "$work/sk_rl/extra.conf"
    sk_rl_pid=$last_pid
fi

wait_ready() { # name pid port service timeout
    local end=$(($(date +%s) + $5))
    while [ "$(date +%s)" -lt "$end" ]; do
        kill -0 "$2" 2>/dev/null || return 1
        if "$bin/icapbench" --port "$3" --service "$4" --requests 1 --connections 1 \
            --timeout 2 >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.3
    done
    return 1
}
t0=$(date +%s)
wait_ready peer "$peer_pid" "$peer_port" echo 600 ||
    { tail -n 20 "$work/peer/server.log" "$work/peer/stdout.log" >&2 || true; die "stock c-icap did not start"; }
t_peer_start=$(($(date +%s) - t0))
wait_ready sekisho "$sk_pid" "$sk_port" sekisho 600 ||
    { tail -n 20 "$work/sekisho/stdout.log" >&2 || true; die "sekisho-server did not start"; }
say "peer c-icap on $peer_port (pid $peer_pid, signatures via $peer_mode, ready in ${t_peer_start}s); sekisho on $sk_port (pid $sk_pid, modules: ${sk_mods[*]:-none})"
if [ -n "$peer_eq_port" ]; then
    wait_ready peer_eq "$peer_eq_pid" "$peer_eq_port" echo 600 ||
        { tail -n 20 "$work/peer_eq/server.log" "$work/peer_eq/stdout.log" >&2 || true; die "equal-protection c-icap did not start"; }
fi
if [ -n "$peer_clamd_port" ]; then
    # clamd listens once its engine is compiled; then its c-icap can start.
    end=$(($(date +%s) + 600))
    until [ -S "$work/peer_clamd/clamd.sock" ]; do
        kill -0 "$clamd_pid" 2>/dev/null && [ "$(date +%s)" -lt "$end" ] ||
            { tail -n 20 "$work/peer_clamd/clamd.log" "$work/peer_clamd/clamd.stdout" >&2 || true; die "clamd did not start"; }
        sleep 0.3
    done
    start_cicap "$work/peer_clamd"
    peer_clamd_pid=$last_pid
    wait_ready peer_clamd "$peer_clamd_pid" "$peer_clamd_port" echo 600 ||
        { tail -n 20 "$work/peer_clamd/server.log" "$work/peer_clamd/stdout.log" >&2 || true; die "clamd c-icap did not start"; }
fi
if [ -n "$sk_dlp_port" ]; then
    wait_ready sk_dlp "$sk_dlp_pid" "$sk_dlp_port" sekisho 600 ||
        { tail -n 20 "$work/sk_dlp/stdout.log" >&2 || true; die "the DLP-regex sekisho-server did not start"; }
fi
if [ -n "$sk_rl_port" ]; then
    wait_ready sk_rl "$sk_rl_pid" "$sk_rl_port" sekisho 600 ||
        { tail -n 20 "$work/sk_rl/stdout.log" >&2 || true; die "the reload sekisho-server did not start"; }
fi

. "$here/scenarios.sh"
