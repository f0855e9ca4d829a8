#!/usr/bin/env bash
# deps.sh - install the Debian 12 packages Sekisho needs to build, run, test
# or benchmark. Runs as root, or through sudo otherwise.
#
# Usage: contrib/deps.sh [runtime|test|bench]      (default: runtime)
#
# Idempotent and silent when everything is already installed: it asks dpkg
# first and only then runs `apt-get update` once and installs what is
# missing. Package installs must not leave the Debian squid, c-icap or
# freshclam system services running or enabled: the tests start their own
# private instances on free ports.
set -euo pipefail

profile=${1:-runtime}

runtime_pkgs=(
    build-essential cmake pkg-config
    c-icap libicapapi-dev
    libsqlite3-dev sqlite3
    libclamav-dev libssl-dev zlib1g-dev libpcre2-dev libidn2-dev
    libbrotli-dev # core decoding layer: Content-Encoding br (required: no br, no build)
    libzstd-dev # core decoding layer: Content-Encoding zstd and .zst files (libclamav opens neither)
    libbz2-dev liblzma-dev # core decoding layer: .bz2 .xz .lzma .lz files (DLP; AV: .lzma .lz)
    liblz4-dev # core decoding layer: .lz4 files (libclamav does not open them)
    libcurl4-openssl-dev # sekisho-policy pull: signed policy bundles over HTTPS
    libmicrohttpd-dev # --status-listen: a maintained HTTP server library, not our own parser
    libldap-dev # directory groups (issue 14): OpenLDAP's client library, nested group lookups
    libarchive-dev # DLP: the members of 7z, rar, cab and xar uploads (a library made for reading archives)
    tzdata # schedules --tz ZONE read /usr/share/zoneinfo (without it only zoned schedules fail)
)
# clamav (sigtool, clamscan) comes with libc-icap-mod-virus-scan anyway; it
# is listed so tests can build signature databases from their own samples.
test_pkgs=(
    libcmocka-dev python3 curl squid
    zstd lz4 ncompress xz-utils # tests make Zstandard, LZ4, .Z and xz (--arm64) samples with the reference tools
    p7zip-full # tests/hostile g_zip_bombs: 7z archives (LZMA, LZMA2, solid or not) by the reference tool
    arj cpio lzop squashfs-tools gcab genisoimage libarchive-tools jlha-utils sharutils wimtools # tests/hostile g_containers: ARJ, cpio, lzop, squashfs, cab, ISO 9660, xar (bsdtar), LHA, shar and WIM by their reference tools (cramfs: util-linux's mkfs.cramfs)
    e2fsprogs dosfstools mtools # tests/hostile g_containers: ext2/ext4 and FAT images by mke2fs -d, mkfs.fat and mcopy
    libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui catdoc # tests/hostile ole2: LibreOffice writes real .doc/.xls (UTF-16 text) and reads our forged ones back as text; catdoc, xls2csv and catppt are the reference readers
    git # tests/hostile/test_git.py: real git writes the packs (repack, upload-pack, a push through http-backend, bundles) the git pack reader must scan
    unrtf # tests/hostile g_rtf: Debian's RTF reader, the oracle that a reader shows a card written in RTF
    openssl # the ICAPS test makes a throwaway certificate
    poppler-utils # DLP's PDF tests (integration.dlp_pdf): pdftotext, pdfinfo and pdfdetach are the reference readers; the PDFs are made with the producers listed for hostile.pdf below
    debootstrap # tests/fresh: run.sh in a clean Debian 12 root
    clang-format # test.sh checks that every C file is formatted
    libc-icap-mod-urlcheck libc-icap-mod-virus-scan clamav
    nginx-light # the fleet test serves a publish directory
    rsyslog     # tests/ops: --access-log syslog lines reach a real syslog daemon
    logrotate   # tests/ops: contrib/logrotate/sekisho run by the real logrotate
    chromium # tests/report renders the HTML report headless
    clang libclang-rt-14-dev # contrib/fuzz.sh: libFuzzer targets in tests/fuzz
    haproxy    # tests/cluster: three nodes behind the contrib/haproxy config
    e2guardian # tests/cluster: a second real ICAP client (its icapscan scanner)
    prometheus # tests/ops: a real Prometheus scrapes /metrics
    slapd ldap-utils # directory groups: the test starts its own slapd on loopback
    strace # integration.io_waits counts the daemon's poll(2) calls per transaction
    qpdf ghostscript python3-reportlab python3-cairo python3-pil # tests/hostile/test_pdf.py, integration.dlp_pdf: PDFs by real producers, qpdf the oracle
    python3-vobject # integration.dlp group dirtext: the reference reader of iCalendar and vCard files
    php-cli nodejs node-busboy node-formidable python3-multipart # tests/hostile/test_backends.py: the request-body readers behind the proxy (PHP's $_POST/$_FILES by php -S, busboy, formidable, python-multipart) are the oracle of what an application extracts
)
# The benchmark's own list (peers: stock c-icap modules); test.sh runs its
# smoke test, so the test profile needs it too.
bench_pkgs=()
bench_list=$(dirname "${BASH_SOURCE[0]}")/../tests/bench/packages.txt
if [ -f "$bench_list" ]; then
    while read -r p _; do
        case "$p" in "" | "#"*) continue ;; esac
        bench_pkgs+=("$p")
    done <"$bench_list"
fi

case "$profile" in
runtime) want=("${runtime_pkgs[@]}") ;;
test) want=("${runtime_pkgs[@]}" "${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
bench) want=("${runtime_pkgs[@]}" "${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
-h | --help)
    sed -n '2,10p' "$0"
    exit 0
    ;;
*)
    echo "deps.sh: unknown profile '$profile' (runtime|test|bench)" >&2
    exit 2
    ;;
esac

# Services that Debian packages in our lists ship and may start or enable.
services=(squid c-icap clamav-freshclam clamav-daemon nginx haproxy e2guardian prometheus slapd)

installed() {
    [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" = "ii " ]
}

missing=()
for p in "${want[@]}"; do
    installed "$p" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    echo "deps.sh: apt-get not found; install by hand: ${missing[*]}" >&2
    exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "deps.sh: not root and no sudo; install by hand: ${missing[*]}" >&2
        exit 1
    fi
    SUDO=(sudo)
fi

# Remember which services existed before, so we only tame ones we brought in.
had_service=()
for s in "${services[@]}"; do
    if [ -e "/etc/init.d/$s" ] || [ -e "/lib/systemd/system/$s.service" ]; then
        had_service+=("$s")
    fi
done

# policy-rc.d returning 101 tells invoke-rc.d not to start services during
# the install. Keep an administrator's own file if there is one.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# temporary, written by sekisho contrib/deps.sh\nexit 101\n' |
        "${SUDO[@]}" tee "$policy" >/dev/null
    "${SUDO[@]}" chmod 755 "$policy"
    own_policy=1
fi
cleanup() {
    if [ "$own_policy" = 1 ]; then
        "${SUDO[@]}" rm -f "$policy"
    fi
}
trap cleanup EXIT

echo "deps.sh: installing ${missing[*]}" >&2
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

for s in "${services[@]}"; do
    case " ${had_service[*]-} " in *" $s "*) continue ;; esac
    [ -e "/etc/init.d/$s" ] || [ -e "/lib/systemd/system/$s.service" ] || continue
    if [ -d /run/systemd/system ]; then
        "${SUDO[@]}" systemctl disable --now "$s" >/dev/null 2>&1 || true
    else
        "${SUDO[@]}" service "$s" stop >/dev/null 2>&1 || true
        if command -v update-rc.d >/dev/null 2>&1; then
            "${SUDO[@]}" update-rc.d "$s" disable >/dev/null 2>&1 || true
        fi
    fi
done

# clamav-daemon also ships a socket unit that would start clamd on the first
# connection to /run/clamav/clamd.ctl; the bench runs its own clamd.
case " ${had_service[*]-} " in
*" clamav-daemon "*) ;;
*)
    if [ -d /run/systemd/system ] && [ -e /lib/systemd/system/clamav-daemon.socket ]; then
        "${SUDO[@]}" systemctl disable --now clamav-daemon.socket >/dev/null 2>&1 || true
    fi
    ;;
esac

still=()
for p in "${missing[@]}"; do
    installed "$p" || still+=("$p")
done
if [ ${#still[@]} -ne 0 ]; then
    echo "deps.sh: still missing after install: ${still[*]}" >&2
    exit 1
fi
