#!/usr/bin/env bash
# status_cost.sh - cost of the node-wide metrics on the no-body REQMOD path
# (issue 13: target <= 3%). Three servers, loaded one at a time in
# alternating rounds so drift hits all alike:
#   off       sekisho.MetricsFile none (no counters at all)
#   counters  the default: counters in RUN/metrics, no listener
#   listener  --status-listen, scraped once a second like Prometheus does
# Prints req/s and server CPU time per request for each round, the
# medians, and the ratios to "off".
#
# Usage: tests/bench/status_cost.sh [BUILD_DIR] [ROUNDS] [SECONDS] [CONNECTIONS]
set -euo pipefail

build=$(cd "${1:-build}" && pwd)
rounds=${2:-5}
secs=${3:-5}
conns=${4:-4}
bin=$build/bin
work=$(mktemp -d /tmp/sekisho-status-cost.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

"$bin/sekisho-policy" --db "$work/policy.db" init >/dev/null
mkdir -p "$work/sigs"
echo "sekisho.MetricsFile none" >"$work/off.conf"

declare -A port
start() { # NAME EXTRA-ARGS...
    local name=$1
    shift
    port[$name]=$(free_port)
    "$bin/sekisho-server" --foreground --listen "127.0.0.1:${port[$name]}" \
        --policy-db "$work/policy.db" --clamav-db "$work/sigs" --test-signatures \
        --run-dir "$work/run-$name" --access-log none "$@" \
        >"$work/$name.out" 2>"$work/$name.err" &
    pids+=($!)
    for _ in $(seq 100); do
        grep -qs "listening on icap://" "$work/$name.out" && return 0
        sleep 0.1
    done
    echo "status_cost: server $name did not start" >&2
    cat "$work/$name.err" >&2
    exit 1
}

status_port=$(free_port)
start off --config "$work/off.conf"
start counters
start listener --status-listen "127.0.0.1:$status_port"

# a Prometheus-like scraper for the listener server
(while sleep 1; do curl -s -o /dev/null "http://127.0.0.1:$status_port/metrics" || true; done) &
pids+=($!)

# Throughput swings with whatever else the machine runs; CPU time per
# request of the server's processes (c-icap master and children, plus the
# launcher, which hosts the listener) is the steadier figure.
python3 - "$bin/icapbench" "$rounds" "$secs" "$conns" \
    "off:${port[off]}:$work/run-off:${pids[0]}" \
    "counters:${port[counters]}:$work/run-counters:${pids[1]}" \
    "listener:${port[listener]}:$work/run-listener:${pids[2]}" <<'EOF'
import json, os, statistics, subprocess, sys

bench, rounds, secs, conns = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
servers = [a.split(":") for a in sys.argv[5:]]
tick = os.sysconf("SC_CLK_TCK")


def cpu(run_dir, launcher):
    with open(os.path.join(run_dir, "c-icap.pid")) as f:
        group = int(f.read().split()[0])
    total = 0
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % p) as f:
                st = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(st[2]) == group or int(p) == int(launcher):  # pgrp, or the launcher
            total += int(st[11]) + int(st[12])  # utime + stime
    return total / tick


res = {name: ([], []) for name, *_ in servers}
for r in range(1, rounds + 1):
    for name, port, run_dir, launcher in servers:
        c0 = cpu(run_dir, launcher)
        out = subprocess.run([bench, "--port", port, "--service", "reqmod", "--method", "REQMOD",
                              "--allow204", "--connections", conns, "--duration", secs, "--json"],
                             stdout=subprocess.PIPE, check=True).stdout
        j = json.loads(out)
        us = (cpu(run_dir, launcher) - c0) * 1e6 / max(j["completed"], 1)
        res[name][0].append(j["req_per_s"])
        res[name][1].append(us)
        print("round %d %-9s %8.0f req/s  %6.2f us CPU/request" % (r, name, j["req_per_s"], us),
              flush=True)
base_rps = statistics.median(res["off"][0])
base_us = statistics.median(res["off"][1])
for name in res:
    rps, us = statistics.median(res[name][0]), statistics.median(res[name][1])
    print("median %-9s %8.0f req/s (%+.1f%%)  %6.2f us CPU/request (%+.1f%%) vs off"
          % (name, rps, (rps / base_rps - 1) * 100, us, (us / base_us - 1) * 100))
EOF
