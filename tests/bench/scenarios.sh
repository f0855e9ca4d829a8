# scenarios.sh - sourced by run.sh once both servers are up: sanity checks,
# the alternating rounds of every scenario, and the report.

# scen NAME: sets the scenario's description, services and icapbench flags.
scen() {
    s_conns=$connections s_load=(--duration "$duration") s_module="" s_kind=icap
    s_sk_svc=sekisho s_desc="" s_args=() s_limit=
    case "$1" in
    options)
        s_desc="OPTIONS" s_peer=echo s_args=(--method OPTIONS) ;;
    reqmod_url)
        s_desc="REQMOD no body, URL check (${ndomains} domains)" s_peer=url_check
        s_sk_svc=reqmod s_module=url_block s_limit=echo
        s_args=(--method REQMOD --url-list "$domains/urls.txt" --allow204) ;;
    respmod_10k_av)
        s_desc="RESPMOD 10 KB unique, AV" s_peer=virus_scan s_sk_svc=respmod s_module=virus_scan
        s_args=(--method RESPMOD --body "$bodies/bin10k" --vary --preview 1024 --allow204) ;;
    respmod_1m_av)
        s_desc="RESPMOD 1 MB unique, AV" s_peer=virus_scan s_sk_svc=respmod s_module=virus_scan
        s_args=(--method RESPMOD --body "$bodies/bin1m" --vary --preview 1024 --allow204) ;;
    reqmod_1m_dlp)
        s_desc="REQMOD 1 MB text upload, DLP" s_peer=$dlp_peer s_sk_svc=reqmod s_module=dlp
        s_args=(--method REQMOD --body "$bodies/text1m" --content-type text/plain --vary
                --preview 1024 --allow204) ;;
    stream_200m)
        s_desc="RESPMOD ${stream_mb} MB streamed (no 204)" s_peer=echo s_sk_svc=respmod
        s_conns=2 s_load=(--requests "$stream_reqs") s_args=(--method RESPMOD --body "$bodies/stream") ;;
    stream_200m_one)
        s_desc="RESPMOD ${stream_mb} MB, one transaction (memory)" s_peer=echo s_sk_svc=respmod
        s_module=virus_scan s_conns=1 s_load=(--requests 1)
        s_args=(--method RESPMOD --body "$bodies/stream") ;;
    limit_echo_noop)
        s_desc="limit: echo REQMOD no body" s_peer=echo s_kind=limit
        s_args=(--method REQMOD --allow204) ;;
    limit_echo_10k)
        s_desc="limit: echo RESPMOD 10 KB (as AV row)" s_peer=echo s_kind=limit
        s_args=(--method RESPMOD --body "$bodies/bin10k" --vary --preview 1024 --allow204) ;;
    limit_echo_1m)
        s_desc="limit: echo RESPMOD 1 MB (as AV row)" s_peer=echo s_kind=limit
        s_args=(--method RESPMOD --body "$bodies/bin1m" --vary --preview 1024 --allow204) ;;
    rawscan_10k)
        s_desc="limit: libclamav in-process, 10 KB" s_peer=libclamav s_kind=raw s_body=$bodies/bin10k ;;
    rawscan_1m)
        s_desc="limit: libclamav in-process, 1 MB" s_peer=libclamav s_kind=raw s_body=$bodies/bin1m ;;
    *) return 1 ;;
    esac
}
all_scen=(options reqmod_url respmod_10k_av respmod_1m_av reqmod_1m_dlp stream_200m
          stream_200m_one limit_echo_noop limit_echo_10k limit_echo_1m rawscan_10k rawscan_1m)
if [ -n "$only" ]; then
    sel=()
    for s in ${only//,/ }; do
        scen "$s" || die "unknown scenario '$s' (one of: ${all_scen[*]})"
        sel+=("$s")
    done
else
    sel=("${all_scen[@]}")
fi

runs=$work/runs.jsonl notes=$work/notes.txt
: >"$runs"
: >"$notes"
note() { echo "$*" >>"$notes"; say "$*"; }

# verdict PORT SERVICE ARGS...: "block" (200 with other content than sent),
# "pass" (204, or 200 carrying back as many body bytes as were sent) or the
# failure, for one request.
verdict() {
    local port=$1 svc=$2
    shift 2
    "$bin/icapbench" --json --port "$port" --service "$svc" --requests 1 --connections 1 \
        --timeout 30 "$@" 2>/dev/null | python3 -c '
import json, sys
try:
    r = json.load(sys.stdin)
    s = r["status"]
    if s["204"]:
        print("pass")
    elif s["200"]:
        same = r["body_bytes_recv"] == r["body_bytes_sent"] and r["body_bytes_sent"] > 0
        print("pass" if same else "block")
    else:
        print("error:" + ",".join(k for k in s if s[k]))
except Exception:
    print("error:no-response")'
}
check() { # label port svc expect args...
    local label=$1 port=$2 svc=$3 want=$4 got
    shift 4
    got=$(verdict "$port" "$svc" "$@")
    if [ "$got" = "$want" ]; then
        echo "check ok: $label ($got)" >>"$notes"
    else
        note "CHECK FAILED: $label: expected $want, got $got"
    fi
}
listed=$(head -1 "$domains/domains")
check "peer url_check blocks a listed domain" "$peer_port" url_check block \
    --method REQMOD --url "http://www.$listed/x"
check "peer url_check passes an unlisted domain" "$peer_port" url_check pass \
    --method REQMOD --url "http://unlisted.invalid/x" --allow204
check "peer virus_scan detects the marker body" "$peer_port" virus_scan block \
    --method RESPMOD --body "$bodies/marker10k" --allow204 --url "http://sanity-check.invalid/marker"
check "peer virus_scan detects EICAR" "$peer_port" virus_scan block \
    --method RESPMOD --body "$bodies/eicar" --allow204
check "peer virus_scan passes a clean body" "$peer_port" virus_scan pass \
    --method RESPMOD --body "$bodies/bin10k" --allow204 --preview 1024
if [ "$dlp_peer" = content_filtering ]; then
    check "peer content_filtering blocks a card number (RESPMOD)" "$peer_port" \
        content_filtering block --method RESPMOD --body "$bodies/dlp_hit" \
        --content-type text/plain --allow204
    check "peer content_filtering blocks a card number (REQMOD)" "$peer_port" \
        content_filtering block --method REQMOD --body "$bodies/dlp_hit" \
        --content-type text/plain --allow204
    check "peer content_filtering passes clean text (REQMOD)" "$peer_port" \
        content_filtering pass --method REQMOD --body "$bodies/text1m" \
        --content-type text/plain --allow204 --preview 1024
fi
for m in "${sk_mods[@]}"; do
    case $m in
    url_block) check "sekisho url_block blocks a listed domain" "$sk_port" reqmod block \
        --method REQMOD --url "http://www.$listed/x" --allow204 ;;
    # Its own URL: Sekisho then blocks that URL for every client for hours
    # (infected-URL list), and the scenarios must not hit that page.
    virus_scan) check "sekisho virus_scan detects the marker body" "$sk_port" respmod block \
        --method RESPMOD --body "$bodies/marker10k" --allow204 \
        --url "http://sanity-check.invalid/marker" ;;
    dlp) check "sekisho dlp blocks a card number" "$sk_port" reqmod block \
        --method REQMOD --body "$bodies/dlp_hit" --content-type text/plain --allow204 ;;
    esac
done

# One measured run; appends {"scenario","target","round","r":{...}} to $runs.
run_one() { # scenario target round
    local out=$work/last.json port svc pid
    if [ "$s_kind" = raw ]; then
        "$bin/bench_rawscan" --db "$sigs" --body "$s_body" --duration "$duration" --vary \
            --json >"$out" 2>>"$work/errors.log" || : >"$out"
    else
        case $2 in
        peer) port=$peer_port svc=$s_peer pid=$peer_pid ;;
        limit) port=$peer_port svc=$s_limit pid=$peer_pid ;;
        *) port=$sk_port svc=$s_sk_svc pid=$sk_pid ;;
        esac
        "$bin/icapbench" --json --port "$port" --service "$svc" --connections "$s_conns" \
            "${s_load[@]}" --timeout 120 --mem-pid "$pid" "${s_args[@]}" \
            >"$out" 2>>"$work/errors.log" || true
    fi
    printf '{"scenario":"%s","target":"%s","round":%d,"r":%s}\n' "$1" "$2" "$3" \
        "$(cat "$out" 2>/dev/null | grep . || echo null)" >>"$runs"
}

for ((round = 1; round <= rounds; round++)); do
    for s in "${sel[@]}"; do
        scen "$s"
        if [ "$s_kind" != icap ]; then
            run_one "$s" peer "$round"
        elif [ $((round % 2)) = 1 ]; then
            run_one "$s" peer "$round"; run_one "$s" sekisho "$round"
            [ -z "$s_limit" ] || run_one "$s" limit "$round"
        else
            [ -z "$s_limit" ] || run_one "$s" limit "$round"
            run_one "$s" sekisho "$round"; run_one "$s" peer "$round"
        fi
        say "round $round/$rounds: $s done"
    done
done

# Scenario metadata for the report: description, peer service, module.
scen_meta=$work/scenarios.tsv
: >"$scen_meta"
for s in "${sel[@]}"; do
    scen "$s"
    present=0
    [ -n "$s_module" ] && [ -e "$build_dir/lib/sekisho/modules/$s_module.so" ] && present=1
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$s" "$s_kind" "$s_desc" "$s_peer" "$s_module" \
        "$present" "$s_limit" >>"$scen_meta"
done
[ "$dlp_peer" = echo ] &&
    note "no DLP service among the Debian c-icap modules here: the DLP row's peer is echo"
note "peer: one stock c-icap with echo, url_check, virus_scan+clamav_mod${cf_so:+, content_filtering}; signatures via $peer_mode"
note "sekisho modules loaded: ${sk_mods[*]:-none}"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
export BENCH_QUICK=$quick BENCH_ROUNDS=$rounds BENCH_DURATION=$duration \
    BENCH_CONNECTIONS=$connections BENCH_THREADS=$threads BENCH_HASHES=$hashes \
    BENCH_PATTERNS=$patterns BENCH_DOMAINS=$ndomains BENCH_GEN_S=$t_gen \
    BENCH_PEER_START_S=$t_peer_start BENCH_ELAPSED_S=$(($(date +%s) - t_begin)) \
    BENCH_STAMP=$stamp BENCH_LOAD_START="$load_start"
python3 "$here/report.py" --runs "$runs" --scenarios "$scen_meta" --notes "$notes" \
    --md "$out_dir/$stamp.md" --json "$out_dir/$stamp.json" --latest "$out_dir/latest.md"
