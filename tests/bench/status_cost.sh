#!/usr/bin/env bash
# status_cost.sh - cost of the node-wide metrics on the no-body REQMOD path
# (issue 13: target <= 3%). Three servers, loaded one at a time in
# alternating rounds so drift hits all alike:
#   off       sekisho.MetricsFile none (no counters at all)
#   counters  the default: counters in RUN/metrics, no listener
#   listener  --status-listen, scraped once a second like Prometheus does
# Prints req/s per round, the median of each, and the ratios to "off".
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
        grep -q "listening on icap://" "$work/$name.out" && return 0
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

declare -A runs
for r in $(seq "$rounds"); do
    for name in off counters listener; do
        rps=$("$bin/icapbench" --port "${port[$name]}" --service reqmod --method REQMOD \
            --allow204 --connections "$conns" --duration "$secs" --json |
            python3 -c 'import json,sys; print(round(json.load(sys.stdin)["req_per_s"]))')
        runs[$name]="${runs[$name]:-} $rps"
        printf 'round %d %-9s %8s req/s\n' "$r" "$name" "$rps"
    done
done

python3 - "${runs[off]}" "${runs[counters]}" "${runs[listener]}" <<'EOF'
import statistics, sys
names = ["off", "counters", "listener"]
med = {n: statistics.median(float(x) for x in v.split()) for n, v in zip(names, sys.argv[1:])}
for n in names:
    print("median %-9s %8.0f req/s  %+.1f%% vs off" % (n, med[n], (med[n] / med["off"] - 1) * 100))
EOF
