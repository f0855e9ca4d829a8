#!/usr/bin/env bash
# mutants.sh - a curated mutation check: does each test suite catch the bug
# it is there for? (issue 16)
#
# Usage: contrib/mutants.sh [--tree DIR] [--only REGEX] [--list] [--keep]
#                           [--markdown FILE] [--no-baseline]
#
# Each mutant is (name, security?, file, one exact code snippet that must
# occur exactly once in the file, its replacement, ctest -R regex). No line
# numbers, so the list survives unrelated edits; a snippet that is no longer
# found (or found twice) is reported STALE and counts as NOT caught, so the
# list has to be kept up to date with the code it guards.
#
# The tree (default: this checkout, or --tree DIR) is copied to a temporary
# directory, built once (normal build, no sanitizers), and the named tests
# are run unmodified first (baseline: a test failing there cannot catch
# anything and is reported). Then one mutant at a time: apply, rebuild
# incrementally, run its tests, restore. A mutant that no longer compiles is
# reported BUILD and left out of the score (it is a broken mutant, not a
# caught bug). Prints a table (mutant, result, catching test, first failing
# check) and the score, overall and for the security decisions.
#
# Not part of test.sh (it takes a while); run it before resolving any issue
# that touches a decision point, and paste its table into tests/README.md.
#   --tree DIR       mutate a copy of DIR instead of this checkout
#   --only REGEX     only mutants whose name matches
#   --list           print the list and check that every snippet is found
#   --keep           keep the temporary copy (path printed)
#   --markdown FILE  also write the table as Markdown to FILE
#   --no-baseline    skip the unmodified run of the tests
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
exec python3 - "$root" "$@" <<'PYEOF'
import os, re, shutil, subprocess, sys, tempfile, time

S, N = True, False   # security decision or not

# The unit suites of a module split by subject (tests/unit/CMakeLists.txt):
# a mutant of the module names all of them, as it named the one suite.
VS_UNIT = r"unit\.test_virus_scan|unit\.test_vs_archives|unit\.test_vs_engine|unit\.test_vs_filetype|unit\.test_vs_limits"
DLP_UNIT = r"unit\.test_dlp|unit\.test_dlp_decode|unit\.test_dlp_archives|unit\.test_dlp_mail|unit\.test_dlp_xml|unit\.test_dlp_plan|unit\.test_dlp_validators"

# (name, security, file, snippet, replacement, ctest -R regex)
MUTANTS = [
    # --- url_block and the policy matcher --------------------------------
    ("url: domain rule stops matching subdomains", N, "policy-db/src/match_rules.c",
     "        if ((p = strchr(p, '.')) == NULL)\n            return 0;",
     "        if ((p = strchr(p, '.')) == NULL || 1)\n            return 0;",
     r"^(unit\.test_match|unit\.test_snapshot|unit\.test_url_block|integration\.url_block)$"),
    ("url: approved URL not marked approved", N, "modules/url_block/ub_module.c",
     "        sk_txn_approve(t, label);", "        (void)label;",
     r"^(unit\.test_url_block|integration\.url_block)$"),
    ("url: rule precedence (first list wins) inverted", N, "policy-db/src/match_rules.c",
     "    if (k < b->key && (b->rs", "    if ((k > b->key || b->key == UINT64_MAX) && (b->rs",
     r"^(unit\.test_match|unit\.test_snapshot|integration\.url_block)$"),
    ("url: policy rule no longer beats the global one", N, "policy-db/src/snap_policy.c",
     "own->list <= glob->list", "own->list > glob->list",
     r"^(unit\.test_snapshot|unit\.test_url_block|integration\.url_block)$"),
    ("url: category block ignored", N, "policy-db/src/snap_policy.c",
     "    if (rc == 1) {\n        out->verdict = SK_URL_BLOCK;",
     "    if (rc == 2) {\n        out->verdict = SK_URL_BLOCK;",
     r"^(unit\.test_snapshot|unit\.test_url_block|integration\.url_block)$"),
    ("url: infected-URL list not consulted", N, "modules/url_block/ub_module.c",
     "if (sk_infected_url_check(h.canonical) == 1) {", "if (sk_infected_url_check(h.canonical) == 2) {",
     r"^(unit\.test_url_block|unit\.test_infected|integration\.url_block|integration\.virus_scan)$"),
    ("url: url.on-error allow taken for any value", N, "modules/url_block/ub_module.c",
     "if (onerr && strcmp(onerr, \"allow\") == 0) {", "if (1) {",
     r"^(unit\.test_url_block|integration\.url_block)$"),
    ("url: host not lower-cased", N, "policy-db/src/url_host.c",
     "            c = (unsigned char)(c - 'A' + 'a');", "            c = (unsigned char)c;",
     r"^(unit\.test_url_normalize|unit\.test_match|integration\.url_block)$"),
    # --- virus_scan: verdict mapping and limits --------------------------
    ("av: libclamav archive parsing off", S, "modules/virus_scan/vs_engine.c",
     "    o->parse = ~0u;", "    o->parse = 0;",
     r"^(" + VS_UNIT + r"|integration\.virus_scan)$"),
    ("av: unknown libclamav error classified clean", S, "modules/virus_scan/vs_engine.c",
     "        rep->result = SK_VS_ERROR;\n        snprintf(rep->why, sizeof(rep->why), \"scan engine error: %s\", cl_strerror(rc));",
     "        rep->result = SK_VS_CLEAN;\n        snprintf(rep->why, sizeof(rep->why), \"scan engine error: %s\", cl_strerror(rc));",
     r"^(" + VS_UNIT + r"|integration\.virus_scan)$"),
    ("av: CL_EMAX* limit errors classified clean", S, "modules/virus_scan/vs_engine.c",
     "        rep->result = SK_VS_LIMIT;\n        snprintf(rep->name, sizeof(rep->name), \"Sekisho.Limits.Exceeded\");",
     "        rep->result = SK_VS_CLEAN;\n        snprintf(rep->name, sizeof(rep->name), \"Sekisho.Limits.Exceeded\");",
     r"^(" + VS_UNIT + r"|integration\.virus_scan)$"),
    ("av: Heuristics.Limits.Exceeded taken for a virus", S, "modules/virus_scan/vs_engine.c",
     "            rep->result = SK_VS_LIMIT;\n            snprintf(rep->why, sizeof(rep->why), \"scan limit exceeded (%s)\", rep->name);",
     "            rep->result = SK_VS_VIRUS;\n            snprintf(rep->why, sizeof(rep->why), \"scan limit exceeded (%s)\", rep->name);",
     r"^(" + VS_UNIT + r"|integration\.virus_scan)$"),
    ("av: encrypted archive classified clean", S, "modules/virus_scan/vs_engine.c",
     "            rep->result = SK_VS_ENCRYPTED;", "            rep->result = SK_VS_CLEAN;",
     r"^(" + VS_UNIT + r"|integration\.virus_scan)$"),
    ("av: av.max-scan-size ignores what archives inflate to", S, "modules/virus_scan/vs_engine.c",
     "        sc->bytes += sk_vs_inner_bytes(sc, fd);", "        (void)sk_vs_inner_bytes;",
     r"^(unit\.test_vs_budget|hostile\.evasion)$"),
    ("log: sha256 of a kept body never made", N, "icap-server/core/sk_pipeline.c",
     "        sk_bodyinfo_settle(&p->body);", "        (void)0;",
     r"^(unit\.test_bodyinfo|integration\.virus_scan)$"),
    ("log: virus_scan keeps offering a body it stopped keeping", N,
     "modules/virus_scan/vs_module.c",
     "    if (s->keeps && !eof && v != SK_CONTINUE) {", "    if (0) {",
     r"^(integration\.virus_scan)$"),
    ("log: a keeper's short copy hashed anyway", N, "icap-server/core/sk_bodyinfo.c",
     "f.n != b->seen ||", "f.n > b->seen + 1000000 ||",
     r"^(unit\.test_bodyinfo)$"),
    ("av: av.max-files limit effectively off", S, "modules/virus_scan/vs_engine.c",
     "if (sc->max_files && sc->files > sc->max_files + 1) {",
     "if (sc->max_files && sc->files > sc->max_files + 1000000) {",
     r"^(" + VS_UNIT + r"|integration\.virus_scan)$"),
    ("av: scanner error turned into allow in the module", S, "modules/virus_scan/vs_module.c",
     "        return sk_vs_error(t, s, rep->why[0] ? rep->why : \"scan engine error\");",
     "        return s->final = SK_ALLOW;",
     r"^(" + VS_UNIT + r"|integration\.virus_scan)$"),
    ("av: virus found but allowed", S, "modules/virus_scan/vs_module.c",
     "        sk_vs_list_url(t, s);\n        return s->final = SK_BLOCK;",
     "        sk_vs_list_url(t, s);\n        return s->final = SK_ALLOW;",
     r"^(" + VS_UNIT + r"|integration\.virus_scan)$"),
    ("av: av.on-limit block ignored", S, "modules/virus_scan/vs_module.c",
     "    s->block_on_limit = sk_vs_is_block(t, \"av.on-limit\");", "    s->block_on_limit = 0;",
     r"^(" + VS_UNIT + r"|integration\.virus_scan)$"),
    ("av: av.on-encrypted block ignored", S, "modules/virus_scan/vs_module.c",
     "    s->block_on_encrypted = sk_vs_is_block(t, \"av.on-encrypted\");", "    s->block_on_encrypted = 0;",
     r"^(" + VS_UNIT + r"|integration\.virus_scan)$"),
    ("av: Content-Length over av.max-scan-size not refused", S, "modules/virus_scan/vs_module.c",
     "if (cl && strtoull(cl, NULL, 10) > s->max_size) {", "if (cl && strtoull(cl, NULL, 10) > s->max_size + 1) {",
     r"^(" + VS_UNIT + r"|integration\.virus_scan)$"),
    ("av: streamed body over av.max-scan-size not refused", S, "modules/virus_scan/vs_module.c",
     "if (s->raw_total > s->max_size || s->store.total > s->max_size) {",
     "if (s->raw_total > s->max_size + 1 && s->store.total > s->max_size + 1) {",
     r"^(" + VS_UNIT + r"|integration\.virus_scan)$"),
    ("av: corrupt Content-Encoding allowed", S, "modules/virus_scan/vs_module.c",
     "            return sk_vs_error(t, s, \"Content-Encoding data is corrupt and cannot be scanned\");",
     "            return s->final = SK_ALLOW;",
     r"^(" + VS_UNIT + r"|integration\.virus_scan)$"),
    ("av: av.skip-types skips everything", N, "modules/virus_scan/vs_module.c",
     "        s->av && !s->ct_ambiguous && sk_vs_type_listed(ct, sk_vs_setting(t, \"av.skip-types\"));",
     "        s->av && !s->ct_ambiguous && (sk_vs_type_listed(ct, sk_vs_setting(t, \"av.skip-types\")) || ct);",
     r"^(" + VS_UNIT + r"|integration\.virus_scan)$"),
    ("decode(av): decompressed size over av.max-scan-size not a limit", S, "modules/virus_scan/vs_decode.c",
     "    if (d->out_total > d->out_max)\n        return SK_VS_DECODE_LIMIT;",
     "    if (d->out_total > d->out_max * 64)\n        return SK_VS_DECODE_LIMIT;",
     r"^(" + VS_UNIT + r"|integration\.virus_scan)$"),
    ("decode(av): decompression ratio limit off", S, "modules/virus_scan/vs_decode.c",
     "(d->out_total - d->floor) / d->ratio > d->in_total)", "(d->out_total - d->floor) / d->ratio > d->in_total * 1000)",
     r"^(" + VS_UNIT + r"|integration\.virus_scan)$"),
    ("decode(dlp): inflate budget never runs out", S, "modules/dlp/dlp_inflate.c",
     "    if (n > ctx->budget) {", "    if (n > ctx->budget && 0) {",
     r"^(" + DLP_UNIT + r"|integration\.dlp)$"),
    # --- dlp: validators, thresholds --------------------------------------
    ("dlp: Luhn % 10 -> % 5", S, "modules/dlp/dlp_validate.c",
     "return n > 0 && sum % 10 == 0;", "return n > 0 && sum % 5 == 0;",
     r"^(" + DLP_UNIT + r"|integration\.dlp)$"),
    ("dlp: Luhn doubles the wrong digits", S, "modules/dlp/dlp_validate.c",
     "        if (i & 1) {\n            v *= 2;", "        if (!(i & 1)) {\n            v *= 2;",
     r"^(" + DLP_UNIT + r"|integration\.dlp)$"),
    ("dlp: Visa length not checked", S, "modules/dlp/dlp_validate.c",
     "brand = n == 13 || n == 16 || n == 19;", "brand = 1;",
     r"^(" + DLP_UNIT + r"|integration\.dlp)$"),
    ("dlp: My Number check digit r <= 1 -> r == 0", S, "modules/dlp/dlp_validate.c",
     "(r <= 1 ? 0 : 11 - r)", "(r == 0 ? 0 : 11 - r)",
     r"^(" + DLP_UNIT + r"|integration\.dlp)$"),
    ("dlp: My Number weights off by one", S, "modules/dlp/dlp_validate.c",
     "(k <= 6 ? k + 1 : k - 5)", "(k <= 6 ? k + 1 : k - 4)",
     r"^(" + DLP_UNIT + r"|integration\.dlp)$"),
    ("dlp: corporate number check 9 - sum % 9 -> % 10", S, "modules/dlp/dlp_validate.c",
     "== 9 - sum % 9;", "== 9 - sum % 10;",
     r"^(" + DLP_UNIT + r"|integration\.dlp)$"),
    # (dropping the "leading 0" test would be an equivalent mutant: 9 - sum % 9 is never 0)
    ("dlp: corporate number weights swapped", S, "modules/dlp/dlp_validate.c",
     "((k & 1) ? 1 : 2)", "((k & 1) ? 2 : 1)",
     r"^(" + DLP_UNIT + r"|integration\.dlp)$"),
    ("dlp: IBAN mod 97 == 1 -> != 0", S, "modules/dlp/dlp_validate.c",
     "    return rem == 1;", "    return rem != 0;",
     r"^(" + DLP_UNIT + r"|integration\.dlp)$"),
    ("dlp: IBAN country length not checked", S, "modules/dlp/dlp_validate.c",
     "(size_t)sk_dlp_iban_length(s) != n ||", "(size_t)sk_dlp_iban_length(s) == 0 ||",
     r"^(" + DLP_UNIT + r"|integration\.dlp)$"),
    ("dlp: SSN area 666 accepted", S, "modules/dlp/dlp_validate.c",
     "area == 0 || area == 666 ||", "area == 0 ||",
     r"^(" + DLP_UNIT + r"|integration\.dlp)$"),
    ("dlp: min-count >= -> >", S, "modules/dlp/dlp_module.c",
     "        if (s->plan->tpl[i].block &&\n            sk_dlp_engine_tpl_count(s->e, i) >= (uint64_t)",
     "        if (s->plan->tpl[i].block &&\n            sk_dlp_engine_tpl_count(s->e, i) > (uint64_t)",
     r"^(" + DLP_UNIT + r"|integration\.dlp)$"),
    ("dlp: repeated value counted again (distinct count off)", S, "modules/dlp/dlp_engine.c",
     "        if (e->seen[i] == h)\n            return 0;", "        if (e->seen[i] == h)\n            return 1;",
     r"^(" + DLP_UNIT + r"|integration\.dlp)$"),
    ("dlp: log-only template blocks", S, "modules/dlp/dlp_module.c",
     "        if (s->plan->tpl[i].block &&", "        if (1 &&",
     r"^(" + DLP_UNIT + r"|integration\.dlp)$"),
    ("dlp: dlp.max-decoded block ignored", S, "modules/dlp/dlp_module.c",
     "if (s->ctx.limit && cfg->on_limit_block) {", "if (s->ctx.limit && !cfg) {",
     r"^(" + DLP_UNIT + r"|integration\.dlp)$"),
    ("dlp: dlp.enabled off ignored", N, "modules/dlp/dlp_module.c",
     "strcmp(enabled, \"off\") == 0)", "strcmp(enabled, \"disabled\") == 0)",
     r"^(" + DLP_UNIT + r"|integration\.dlp)$"),
    # --- xheaders sanitisers -----------------------------------------------
    ("xheaders: X-Virus-ID sanitiser keeps '='", S, "modules/xheaders/xheaders.c",
     "c == ';' || c == '=' || c == ','", "c == ';' || c == ','",
     r"^(unit\.test_xheaders|integration\.virus_scan)$"),
    ("xheaders: sanitiser keeps spaces", S, "modules/xheaders/xheaders.c",
     "(c <= ' ' || c >= 0x7f ||", "(c < ' ' || c >= 0x7f ||",
     r"^(unit\.test_xheaders|integration\.virus_scan)$"),
    ("xheaders: sanitiser keeps bytes >= 0x80", S, "modules/xheaders/xheaders.c",
     "(c <= ' ' || c >= 0x7f ||", "(c <= ' ' || c == 0x7f ||",
     r"^(unit\.test_xheaders|integration\.virus_scan)$"),
    ("xheaders: headers sent although switched off", N, "modules/xheaders/xheaders.c",
     "return v && sk_pdb_parse_bool(v, &on) == 0 && on;", "return 1;",
     r"^(unit\.test_xheaders|integration\.virus_scan|integration\.dlp)$"),
    ("av: a zip after a prefix found by its first 'PK\\3\\4' alone", N, "icap-server/core/sk_container.c",
     "        if (sk_zip_local_plausible(k, (size_t)(end - k)) == 1)",
     "        if ((void)sk_zip_local_plausible, 1)", r"^(hostile\.evasion|unit\.test_decode_zip)$"),
    ("av: the walk stops at the first zip's tail", S, "modules/virus_scan/vs_walk.c",
     "        pos += (size_t)at + (walked ? walked : 1);", "        pos = n;",
     r"^(hostile\.evasion)$"),
    ("dlp: no zip looked for after a prefix", S, "modules/dlp/dlp_zip.c",
     "        if (pl == 0) {", "        if (pl == 0 || pl == 1) {",
     r"^(unit\.test_dlp_decode|unit\.test_dlp_archives|hostile\.evasion)$"),
    ("dlp: the plain-text reader goes on inside a late zip (interleaved text)", S,
     "modules/dlp/dlp_zip.c", "    if (l->zip)\n        return sk_zs_write(&l->zip->sink, p, n);\n    return sk_dlp_put(l->text, p, n);",
     "    if (l->zip)\n        sk_zs_write(&l->zip->sink, p, n);\n    return sk_dlp_put(l->text, p, n);",
     r"^(unit\.test_dlp_decode|unit\.test_dlp_archives)$"),
    ("zip: names and extra fields not handed to the raw reader", S,
     "icap-server/core/sk_container.c", "        take = z->nlen < n ? z->nlen : n;\n        if (sk_zip_raw(z, p, take) == -1)",
     "        take = z->nlen < n ? z->nlen : n;\n        if (0)", r"^(unit\.test_decode_zip|unit\.test_dlp_decode|unit\.test_dlp_archives)$"),
    ("dlp: a late zip too deep to walk stops the plain-text reader", S, "modules/dlp/dlp_zip.c",
     "        return sk_zs_write(&l->zip->sink, p, n);\n    return sk_dlp_put(l->text, p, n);",
     "        return sk_zs_write(&l->zip->sink, p, n);\n    return 0;",
     r"^(unit\.test_dlp_decode|unit\.test_dlp_archives)$"),
    ("av: base64 runs in text not scanned (HTML smuggling)", S, "modules/virus_scan/vs_walk.c",
     "        rc = sk_vs_walk_b64(w, p, n, 0, ct, name);", "        rc = 0;",
     r"^(unit\.test_virus_scan|hostile\.evasion)$"),
    ("av: a gzip or zstd file not decompressed by the walk (base64, ZIP64, EICAR in .zst)", S,
     "modules/virus_scan/vs_walk.c",
     "    if (ch.c[0] == 0)\n        return 0;",
     "    if (1)\n        return 0;", r"^(unit\.test_virus_scan|hostile\.evasion)$"),
    ("av: ZIP64 zips in base64 runs stand in for one the engine saw", S,
     "modules/virus_scan/vs_walk.c", "        rc = sk_vs_walk_views(w, p, n, utf16, depth, ct, name);\n    w->zip64_walked = z64;",
     "        rc = sk_vs_walk_views(w, p, n, utf16, depth, ct, name);\n    (void)z64;",
     r"^(unit\.test_virus_scan|hostile\.evasion)$"),
    ("av: a zstd file's bytes not given to the engine (walked as a gzip's)", S,
     "modules/virus_scan/vs_walk.c", "        } else if (opaque || padded) {",
     "        } else if (padded) {", r"^(unit\.test_virus_scan|hostile\.evasion)$"),
    ("av: a zstd file that does not decode passes", S, "modules/virus_scan/vs_walk.c",
     "    if (drc == SK_DECODE_CORRUPT && opaque) {",
     "    if (drc == SK_DECODE_CORRUPT && t == SK_CT_GZIP) {", r"^(hostile\.evasion)$"),
    ("decode: a zstd body cut inside a frame is not corrupt", S, "icap-server/core/sk_decode.c",
     "        if (s->coding == SK_CODING_ZSTD && s->state == SK_ST_RUN && sk_unzstd_mid(s->uz) &&",
     "        if (s->coding == SK_CODING_ZSTD && s->state == SK_ST_RUN && !sk_unzstd_mid(s->uz) &&",
     r"^(unit\.test_decode|hostile\.evasion)$"),
    ("decode: a zstd frame may ask for any window", S, "icap-server/include/sekisho/decode.h",
     "#define SK_ZSTD_WINDOW_LOG 23", "#define SK_ZSTD_WINDOW_LOG 27",
     r"^(unit\.test_decode|hostile\.evasion)$"),
    ("zip: a zstd entry of unknown length ends at its first frame", S,
     "icap-server/core/sk_container.c", "    if (sk_container_sniff(z->hdr, 4) != SK_CT_ZSTD) {",
     "    if (sk_container_sniff(z->hdr, 4) != SK_CT_GZIP) {", r"^(unit\.test_decode_zip|hostile\.evasion)$"),
    ("zip: a bzip2/LZMA/xz entry that does not decode is not counted", S,
     "icap-server/core/sk_container.c", "    z->st.undecoded++;\n    z->state = SK_ZS_DROP;",
     "    z->state = SK_ZS_DROP;", r"^(unit\.test_decode_zip|hostile\.evasion)$"),
    ("zip: a bzip2/LZMA/xz entry of unknown size is walked as if delimited", N,
     "icap-server/core/sk_container.c", "!(sk_zip_packed_method(z->method) && known);",
     "!(sk_zip_packed_method(z->method));", r"^(unit\.test_decode_zip|hostile\.evasion)$"),
    ("zip: xz entries (method 95) not read", N, "icap-server/core/sk_container.c",
     "    return m == 12 || m == 14 || m == 95;", "    return m == 12 || m == 14;",
     r"^(unit\.test_decode_zip|hostile\.evasion)$"),
    ("zip: a directory record at an offset the walk never read agrees", S,
     "icap-server/core/sk_container.c",
     "    if (lo == n || seen[lo].offset != e->local)\n        return 0;",
     "    if (lo == n || seen[lo].offset != e->local)\n        return 1;",
     r"^(unit\.test_decode_zip|hostile\.evasion)$"),
    ("zip: a directory record of another method agrees", S, "icap-server/core/sk_container.c",
     "    return s->method == e->method && s->encrypted", "    return s->encrypted",
     r"^(unit\.test_decode_zip|hostile\.evasion)$"),
    ("zip: a stub before the archive shifts no directory offsets", N,
     "icap-server/core/sk_container.c", "    d->concat = d->cd + base - cd_off; /* modulo 2^64 */",
     "    d->concat = base;", r"^(unit\.test_decode_zip|hostile\.evasion)$"),
    ("zip: only zipfile's end record is read (a forged one in a comment hides the directory)", S,
     "icap-server/core/sk_container.c", "    if (exact)\n        rc[1] = sk_zip_cd_locate(p, exact, base, 0, &d[1]);",
     "    (void)exact;", r"^(unit\.test_decode_zip|hostile\.evasion)$"),
    ("zip: a stored entry with a descriptor agrees with its record", S,
     "icap-server/core/sk_container.c", "    if (!s->sized && s->method == 0)\n        return 0;",
     "    if (!s->sized && s->method == 0)\n        return 1;", r"^(unit\.test_decode_zip|hostile\.evasion)$"),
    ("av: a record whose size runs past the end is not read", S, "modules/virus_scan/vs_walk.c",
     "    if (r.csize > c->n - data)\n        r.csize = c->n - data;",
     "    if (r.csize > c->n - data)\n        return 0;", r"^(unit\.test_virus_scan|hostile\.evasion)$"),
    ("dlp: a directory inside an entry running to the end is not checked", S,
     "modules/dlp/dlp_zip.c", "            if (rc == -2 || rc == -3)\n                why = \"archive directory inside",
     "            if (0)\n                why = \"archive directory inside", r"^(unit\.test_dlp_decode|unit\.test_dlp_archives|hostile\.evasion)$"),
    ("b64run: octal escapes end a run", S, "icap-server/core/sk_b64run.c",
     "            if (c >= '0' && c <= '7') { /* a script's legacy octal: \"\\127\" */",
     "            if (0) {", r"^(unit\.test_decode_text|hostile\.evasion)$"),
    ("dlp: \\u0026 in JSON starts no reference", S, "modules/dlp/dlp_formats.c",
     "    if (!sk_json_ref_take(j, cp < 0x80 ? cp : 0x100))\n        sk_fmt_utf8(&j->f, cp);",
     "    sk_fmt_utf8(&j->f, cp);", r"^(unit\.test_dlp_decode|unit\.test_dlp_archives|hostile\.evasion)$"),
    ("av: directory records that disagree are not read as extractors read them", S,
     "modules/virus_scan/vs_walk.c", "    if (sk_zip_cd_agrees(c->seen, e))",
     "    if (1)", r"^(unit\.test_virus_scan|hostile\.evasion)$"),
    ("dlp: a directory that disagrees with the walk is taken as read", S,
     "modules/dlp/dlp_zip.c", "    if (sk_zip_cd_agrees(&z->seen, e))\n        return 0;",
     "    if (1)\n        return 0;", r"^(unit\.test_dlp_decode|unit\.test_dlp_archives|hostile\.evasion)$"),
    ("zip: a zstd entry that does not decode is taken as read", S, "modules/virus_scan/vs_walk.c",
     "    if (rc == 0 && st->undecoded) {", "    if (rc == 0 && 0) {",
     r"^(unit\.test_virus_scan|hostile\.evasion)$"),
    ("av: zstd files the engine extracts (tar, bz2, xz) are not noted", S,
     "modules/virus_scan/vs_engine.c",
     "        if (sc->lim && sc->lim->inner && fd >= 0 && !sk_vs_is_view(sc, fd))",
     "        if (0)", r"^(unit\.test_vs_engine|hostile\.evasion)$"),
    ("av: a copied object is taken as read by the walk", S, "modules/virus_scan/vs_walk.c",
     "        if (sk_vs_walk_read(w, o->id))\n            continue;",
     "        if (1)\n            continue;", r"^(hostile\.evasion)$"),
    ("av: what a container only the engine opens holds is not copied", S,
     "modules/virus_scan/vs_engine.c",
     "    if (!opaque && !parent)\n        return;", "    if (!opaque)\n        return;",
     r"^(unit\.test_vs_engine|hostile\.evasion)$"),
    ("av: bzip2 is no engine-only container", S, "modules/virus_scan/vs_engine.c",
     "\"CL_TYPE_BZ\",", "\"CL_TYPE_BZ_\",", r"^(hostile\.evasion)$"),
    ("av: copies from engine-only containers skip the base64 walk", S,
     "modules/virus_scan/vs_walk.c",
     "    return n >= SK_VS_B64_MIN && (sk_vs_utf16(p, n) || sk_vs_textual(p, n, NULL));",
     "    return 0;", r"^(hostile\.evasion)$"),
    ("av: the ZIP64 count before the engine-only copies are walked", S,
     "modules/virus_scan/vs_module.c",
     "         sk_vs_walk_inner(&w, &inner, 0, name) == -1 ||\n         sk_vs_walk_zip64_check(&w, rep.zip64_inner, w.zip64_walked) == -1))",
     "         sk_vs_walk_zip64_check(&w, rep.zip64_inner, w.zip64_walked) == -1 ||\n         sk_vs_walk_inner(&w, &inner, 0, name) == -1))",
     r"^(hostile\.evasion)$"),
    ("av: the top body's noted zstd files are never walked", S, "modules/virus_scan/vs_module.c",
     "         sk_vs_walk_inner(&w, &inner, 0, name) == -1 ||",
     "         0 ||", r"^(hostile\.evasion)$"),
    ("dlp: a tar's entries are not read as objects", S, "modules/dlp/dlp_body.c",
     "                z->next = sk_dlp_tar_new(z->ctx, z->depth, z->next);",
     "                (void)0;", r"^(unit\.test_dlp_decode|unit\.test_dlp_archives|hostile\.evasion)$"),
    ("dlp: a corrupt tar header is taken as the archive's end", S, "modules/dlp/dlp_tar.c",
     "    sk_dlp_undecodable(t->ctx, \"a tar archive with a corrupt header\");",
     "    (void)0;", r"^(unit\.test_dlp_decode|unit\.test_dlp_archives)$"),
    ("decode: a bzip2 file cut inside a stream is whole", S, "icap-server/core/sk_decode.c",
     "        if (s->coding == SK_CODING_BZIP2 && s->state == SK_ST_RUN && s->bz_live &&",
     "        if (s->coding == SK_CODING_BZIP2 && s->state == SK_ST_RUN && 0 &&",
     r"^(unit\.test_decode)$"),
    ("decode: an xz, lzma or lzip file cut short is whole", S, "icap-server/core/sk_decode.c",
     "            s->state == SK_ST_RUN && sk_stage_xz(d, k, s->step, nstep, 1) == -1)",
     "            s->state == SK_ST_RUN && sk_stage_xz(d, k, s->step, nstep, 0) == -1)",
     r"^(unit\.test_decode)$"),
    ("decode: an lz4 file cut inside a frame is whole", S, "icap-server/core/sk_decode.c",
     "        if (s->coding == SK_CODING_LZ4 && s->state == SK_ST_RUN && s->lz4_mid &&",
     "        if (s->coding == SK_CODING_LZ4 && s->state == SK_ST_RUN && 0 &&",
     r"^(unit\.test_decode)$"),
    ("decode: bytes after a .lzma stream dropped", S, "icap-server/core/sk_decode.c",
     "            return s->xz.avail_in ? sk_stage_emit(&o, s->xz.next_in, s->xz.avail_in) : 0;",
     "            return 0;", r"^(unit\.test_decode)$"),
    ("av: lzma, lzip and lz4 files not decompressed by the walk", S,
     "modules/virus_scan/vs_walk.c",
     "    return t == SK_CT_ZSTD || t == SK_CT_LZMA || t == SK_CT_LZIP || t == SK_CT_LZ4 ||",
     "    return t == SK_CT_ZSTD ||", r"^(hostile\.evasion)$"),
    ("dlp: a 7z or rar upload read as bytes, no verdict", S, "modules/dlp/dlp_body.c",
     "        sk_dlp_undecodable(z->ctx,\n                           t == SK_CT_7Z ?",
     "        if (0)\n        sk_dlp_undecodable(z->ctx,\n                           t == SK_CT_7Z ?",
     r"^(unit\.test_dlp_decode|unit\.test_dlp_archives|hostile\.evasion)$"),
    ("dlp: a plain text's escapes are not read decoded", S, "modules/dlp/dlp_body.c",
     "    if ((norm = sk_dlp_view_new(ctx, depth, norm)) == NULL)",
     "    if (0)", r"^(unit\.test_dlp_decode|unit\.test_dlp_archives|hostile\.evasion)$"),
    ("dlp: the decoded view starts at the escape", S, "modules/dlp/dlp_view.c",
     "    int64_t from = e - SK_VIEW_BACK;", "    int64_t from = e;",
     r"^(unit\.test_dlp_decode|unit\.test_dlp_archives)$"),
    ("b64run: \\u and \\x escapes end a run", S, "icap-server/core/sk_b64run.c",
     "            if (c == 'u' || c == 'x') {", "            if (0) {",
     r"^(unit\.test_decode_text|hostile\.evasion)$"),
    ("b64run: a line break after a line of 20-59 digits ends the run", S,
     "icap-server/core/sk_b64run.c", "#define SK_B64RUN_LINE SK_B64RUN_MIN_LO",
     "#define SK_B64RUN_LINE 60", r"^(unit\.test_decode_text|hostile\.evasion)$"),
    ("dlp: a tab does not separate a card's groups", S, "modules/dlp/dlp_detect.c",
     "    while (k < n && (b[k] == ' ' || b[k] == '\\t') && k - i < 4)",
     "    while (k < n && b[k] == ' ' && k - i < 4)",
     r"^(unit\.test_dlp|unit\.test_dlp_decode|unit\.test_dlp_archives|hostile\.evasion)$"),
    ("dlp: JSON nobody declared is read as plain text", S, "modules/dlp/dlp_body.c",
     "    if (c[0] == '{')\n        return c[1] == '\"' || c[1] == '}';",
     "    if (c[0] == '{')\n        return 0;",
     r"^(unit\.test_dlp_decode|unit\.test_dlp_archives|hostile\.evasion)$"),
    ("dlp: character references in JSON strings stay as written", S, "modules/dlp/dlp_formats.c",
     "            } else if (!sk_json_ref_take(j, c < 0x80 ? c : 0x100)) {\n                sk_fmt_byte(&j->f, c);",
     "            } else if (1) {\n                sk_fmt_byte(&j->f, c);",
     r"^(unit\.test_dlp_decode|unit\.test_dlp_archives|hostile\.evasion)$"),
    ("charset: UTF-32 without a BOM taken for binary", S, "icap-server/core/sk_decode_charset.c",
     "        const char *u32 = sk_cs_utf32(s, n);", "        const char *u32 = NULL;",
     r"^(unit\.test_decode_text|hostile\.evasion)$"),
    ("dlp: a record that disagrees is on-error though its bytes are kept", N,
     "modules/dlp/dlp_zip.c", "    if (e->local < k->base || e->local - k->base > k->n)",
     "    if (1)", r"^(unit\.test_dlp_decode|unit\.test_dlp_archives|hostile\.evasion)$"),
    ("zip directory: a forged end record in a comment may lie before the window", N,
     "icap-server/core/sk_container.c", "        return base > 0 && cd_size - at <= base ? -4 : -2;",
     "        return base > 0 ? -4 : -2;", r"^(unit\.test_decode_zip|unit\.test_dlp_decode|unit\.test_dlp_archives|hostile\.evasion)$"),
    ("zip directory: a directory before the window taken as a forged one", S,
     "icap-server/core/sk_container.c", "        return base > 0 && cd_size - at <= base ? -4 : -2;",
     "        return -2;", r"^(unit\.test_decode_zip|unit\.test_dlp_decode|unit\.test_dlp_archives|hostile\.evasion|fuzz\.container)$"),
    ("dlp: escaped text is not read with its escapes undone", S, "modules/dlp/dlp_view.c",
     "    if (!next || depth >= SK_DLP_MAX_DEPTH)\n        return next;",
     "    if (1)\n        return next;", r"^(unit\.test_dlp_decode|unit\.test_dlp_archives|hostile\.evasion)$"),
    ("dlp: an escape that a write cuts is never seen", S, "modules/dlp/dlp_view.c",
     "    if (at < b)\n        return (int64_t)at - (int64_t)b;",
     "    if (0)\n        return (int64_t)at - (int64_t)b;", r"^(unit\.test_dlp_decode|unit\.test_dlp_archives)$"),
    ("dlp: \\u escapes do not open the decoded view", S, "modules/dlp/dlp_view.c",
     "        if (!(s[1] == 'u' || s[1] == 'x' || (s[1] == '\\\\' && s[2] == 'u')))",
     "        if (1)", r"^(unit\.test_dlp_decode|unit\.test_dlp_archives|hostile\.evasion)$"),
    ("unescape: a surrogate pair is two characters", N, "icap-server/core/sk_decode_charset.c",
     "            if (i == 12 && lo >= 0xdc00 && lo <= 0xdfff) {", "            if (0) {",
     r"^(unit\.test_decode_text)$"),
    ("unescape: an escape cut at the end of a write is taken as text", S,
     "icap-server/core/sk_decode_charset.c", "            break; /* maybe an escape cut off",
     "            k = 0; /* maybe an escape cut off", r"^(unit\.test_decode_text|unit\.test_dlp_decode|unit\.test_dlp_archives)$"),
    ("av: a form's fields are not read percent-decoded", S, "modules/virus_scan/vs_walk.c",
     "        rc = sk_vs_walk_values(w, p, n, 1, depth, name);", "        rc = 0;",
     r"^(unit\.test_virus_scan|hostile\.evasion)$"),
    ("av: JSON strings are not read with their escapes undone", S, "modules/virus_scan/vs_walk.c",
     "        rc = sk_vs_walk_values(w, p, n, 0, depth, name);", "        rc = 0;",
     r"^(unit\.test_virus_scan|hostile\.evasion)$"),
    ("av: an escaped quote ends a JSON string", S, "modules/virus_scan/vs_walk.c",
     "                    esc = 1, b++;", "                    esc = 1;",
     r"^(unit\.test_virus_scan|hostile\.evasion)$"),
    ("av: a script's string literals are not read unescaped", S, "modules/virus_scan/vs_walk.c",
     "        rc = sk_vs_walk_script(w, p, n, depth, name);", "        rc = 0;",
     r"^(unit\.test_virus_scan|hostile\.evasion)$"),
    ("dlp: an ar, cpio or cab upload read as bytes, no verdict", S, "modules/dlp/dlp_body.c",
     "    if (unread)\n        sk_dlp_undecodable(z->ctx, unread);", "",
     r"^(unit\.test_dlp_decode|unit\.test_dlp_archives|hostile\.evasion)$"),
    ("dlp: any text starting 07070 taken for a cpio", N, "modules/dlp/dlp_body.c",
     "        if (odc ? !(p[i] >= '0' && p[i] <= '7') : sk_hex_digit(p[i]) < 0)\n            return 0;",
     "", r"^(unit\.test_dlp_decode|unit\.test_dlp_archives|hostile\.evasion)$"),
    ("dlp: a 7z or rar archive after a stub is read as bytes, no verdict", S,
     "modules/dlp/dlp_zip.c", "            sk_dlp_undecodable(l->ctx, sigs[i].why);",
     "            (void)sigs[i].why;", r"^(unit\.test_dlp_decode|unit\.test_dlp_archives|hostile\.evasion)$"),
    ("dlp: a 7z signature split by a write is missed", S, "modules/dlp/dlp_zip.c",
     "        if (memmem(j, l->nsfx + k, sigs[i].sig, 6) || memmem(p, n, sigs[i].sig, 6)) {",
     "        if (memmem(p, n, sigs[i].sig, 6)) {", r"^(unit\.test_dlp_decode|unit\.test_dlp_archives)$"),
    ("multipart: an RFC 2231 boundary taken as no boundary", S, "icap-server/core/sk_header_param.c",
     "if (sk_header_param_named(ct, \"boundary*\") || sk_param_has(ct, '(', 0) ||",
     "if (sk_param_has(ct, '(', 0) ||",
     r"^(unit\.test_decode_multipart|hostile\.evasion)$"),
    ("dlp: JSON whose first bytes say UTF-16/32 read only as the sniffer decides", S,
     "modules/dlp/dlp_body.c", "    if (!s || !order ||\n",
     "    if (1 || !s || !order ||\n",
     r"^(unit\.test_dlp_decode|unit\.test_dlp_archives|hostile\.evasion)$"),
    ("charset: a NUL in the second byte not taken as little-endian", S,
     "icap-server/core/sk_decode_charset.c", "    if (s[1] == 0) /* xx 00 00 00",
     "    if (0) /* xx 00 00 00", r"^(unit\.test_decode_text|unit\.test_dlp_decode|unit\.test_dlp_archives|hostile\.evasion)$"),
    ("dlp: the forced reading's charset overruled by the sniffer", S, "modules/dlp/dlp_norm.c",
     "    z->forced = z->declared != NULL;", "    z->forced = 0;",
     r"^(unit\.test_dlp_decode|unit\.test_dlp_archives|hostile\.evasion)$"),
    ("tar: a pax size record ignored (the octal field frames the member)", S,
     "icap-server/core/sk_tar.c", "    if (t->pax_has_size && type != 'x'",
     "    if (0 && t->pax_has_size && type != 'x'",
     r"^(unit\.test_tar|unit\.test_vs_archives|unit\.test_dlp|hostile\.evasion)$"),
    ("tar: a base-256 size field refused", S, "icap-server/core/sk_tar.c",
     "    if (!(p[0] & 0x80))\n        return sk_tar_octal(p, n, bad);",
     "    if (1)\n        return sk_tar_octal(p, n, bad);",
     r"^(unit\.test_tar|unit\.test_vs_archives|hostile\.evasion)$"),
    ("av: tar members after a pax or base-256 size left to the engine", S,
     "modules/virus_scan/vs_walk_arc.c", "    if (a->alt)\n        return sk_vs_arc_member",
     "    if (0)\n        return sk_vs_arc_member", r"^(unit\.test_vs_archives|hostile\.evasion)$"),
    ("av: gzip/bzip2/xz streams after a prefix not searched", S,
     "modules/virus_scan/vs_walk_arc.c",
     "    if (rc == 0)\n        rc = sk_vs_arc_streams(w, p, n, depth, name);",
     "    if (0)\n        rc = sk_vs_arc_streams(w, p, n, depth, name);",
     r"^(unit\.test_vs_archives|hostile\.evasion)$"),
    ("dlp: a character reference decoded only when it is all the reader kept", S,
     "modules/dlp/dlp_formats.c",
     "    k = r->n ? sk_html_charref_text((const unsigned char *)r->b, r->n, &cp) : 0;",
     "    k = r->n ? sk_html_charref_text((const unsigned char *)r->b, r->n, &cp) : 0;\n    k = k == r->n ? k : 0;",
     r"^(unit\.test_dlp_decode|unit\.test_dlp_archives|hostile\.evasion)$"),
    ("text: a legacy name without ';' read by the attribute rule in text", S,
     "icap-server/toolkit/sk_text.c", "        if (!text && name[len - 1] != ';' && len < n &&",
     "        if (name[len - 1] != ';' && len < n &&",
     r"^(unit\.test_text|unit\.test_dlp_decode|unit\.test_dlp_archives|hostile\.evasion)$"),
    ("dlp: the prolonged sound mark between digits separates nothing", S,
     "modules/dlp/dlp_detect.c", "    if (i < n && (b[i] == 0xe3 || b[i] == 0xef)) {",
     "    if (0) {", r"^(unit\.test_dlp|hostile\.evasion)$"),
    ("dlp: only the dashes up to U+2015 folded (Pd, NFKC forms, look-alikes not)", S,
     "modules/dlp/dlp_norm.c", "    for (size_t i = 0; i < SK_FOLD_NDASH; i++)",
     "    for (size_t i = 0; i < 6; i++)", r"^(unit\.test_dlp|hostile\.evasion)$"),
    ("av: data: URLs in UTF-16 text are read as bytes", S, "modules/virus_scan/vs_walk.c",
     "    if (utf16) {\n        if (!(u8 = malloc(n / 2 * 3 + 4)))",
     "    if (0) {\n        if (!(u8 = malloc(n / 2 * 3 + 4)))",
     r"^(unit\.test_virus_scan|hostile\.evasion)$"),
    ("av: base64 written with character references is not read", S,
     "modules/virus_scan/vs_walk.c", "        if (rc == 0 && sk_vs_refs_digit(p, n))",
     "        if (0)", r"^(unit\.test_virus_scan|hostile\.evasion)$"),
    ("av: character references in data: URLs are not decoded", S, "modules/virus_scan/vs_walk.c",
     "    if (rc == 0 && memchr(p, '&', n)) {", "    if (0) {",
     r"^(unit\.test_virus_scan|hostile\.evasion)$"),
    ("html: a numeric reference is read as decimal when it says hex", N,
     "icap-server/toolkit/sk_text.c", "        int hex = s[1] == 'x' || s[1] == 'X', digits = 0;",
     "        int hex = s[1] == 'x', digits = 0;", r"^(unit\.test_text|hostile\.evasion)$"),
    ("av: percent-encoded data: URLs are not scanned", S, "modules/virus_scan/vs_walk.c",
     "    rc = sk_vs_walk_dataurls_in(w, p, n, depth, name);", "    rc = 0;",
     r"^(unit\.test_virus_scan|hostile\.evasion)$"),
    ("data: URL finder: a ;base64 URL taken as percent-encoded", S, "icap-server/core/sk_dataurl.c",
     "        if (b64 || esc == 0)", "        if (esc == 0)", r"^(unit\.test_decode_text)$"),
    ("lzw: the padded rest of a group is read as codes", S, "icap-server/core/sk_unlzw.c",
     "    z->skip = (unsigned)((g - z->section % g) % g);", "    z->skip = 0;",
     r"^(unit\.test_decode)$"),
    ("lzw: a code past the next free entry is taken", S, "icap-server/core/sk_unlzw.c",
     "            if (code > z->free_ent) {",
     "            if (code > z->free_ent + 1) {", r"^(unit\.test_decode)$"),
    ("av: .Z files not decompressed by the walk", S, "modules/virus_scan/vs_walk.c",
     "    return t == SK_CT_ZSTD || t == SK_CT_LZMA || t == SK_CT_LZIP || t == SK_CT_LZ4 ||\n           t == SK_CT_COMPRESS;",
     "    return t == SK_CT_ZSTD || t == SK_CT_LZMA || t == SK_CT_LZIP || t == SK_CT_LZ4;",
     r"^(hostile\.evasion)$"),
    ("av: base64 in a text deeper than the walk passes unread", S, "modules/virus_scan/vs_walk.c",
     "    if (depth > SK_VS_WALK_DEPTH || n < SK_VS_B64_MIN)",
     "    if (depth >= SK_VS_WALK_DEPTH || n < SK_VS_B64_MIN)",
     r"^(unit\.test_virus_scan|hostile\.evasion)$"),
    ("av: an archive deeper than the walk passes unread", S, "modules/virus_scan/vs_walk.c",
     "        return sk_zip_find(p, n) >= 0 ? sk_vs_walk_deep(w, \"an archive\", depth) : 0;",
     "        return 0;", r"^(unit\.test_virus_scan|hostile\.evasion)$"),
    ("av: a text/html page starting with NULs not read as text", S, "modules/virus_scan/vs_walk.c",
     "    if (ct && strncasecmp(ct, \"text/\", 5) == 0)\n        return 1;",
     "    if (0)\n        return 1;", r"^(unit\.test_virus_scan|hostile\.evasion)$"),
    ("av: two different Content-Type fields taken as the first", S, "modules/virus_scan/vs_module.c",
     "    s->ct_ambiguous = sk_txn_media_type(t, sk_txn_method(t) == SK_RESPMOD, mt, sizeof(mt)) == -1;",
     "    s->ct_ambiguous = sk_txn_media_type(t, sk_txn_method(t) == SK_RESPMOD, mt, sizeof(mt)) == -2;",
     r"^(unit\.test_virus_scan|hostile\.evasion)$"),
    ("dlp: two different Content-Type fields taken as the first", S, "modules/dlp/dlp_module.c",
     "    if (sk_txn_media_type(t, 0, mt, sizeof(mt)) == -1)",
     "    if (sk_txn_media_type(t, 0, mt, sizeof(mt)) == -2)", r"^(unit\.test_dlp)$"),
    ("base64 finder: the block skip passes over a joined string piece", S,
     "icap-server/core/sk_b64run.c", "            if (q & 1) {", "            if (0) {",
     r"^(unit\.test_decode_text|fuzz\.b64run)$"),
    ("base64 finder: UTF-16 read as bytes", S, "icap-server/core/sk_b64run.c",
     "    r->utf16 = be ? 2 : 1;", "    r->utf16 = 0 && be;",
     r"^(unit\.test_decode_text|hostile\.evasion)$"),
    ("url: the %2F/;params reading not decided", S, "policy-db/src/snap_policy.c",
     "    if (!strchr(path, ';') && !strchr(path, '%'))", "    if (1)",
     r"^(unit\.test_snapshot|integration\.url_block)$"),
    ("dlp: base64 runs in text not decoded", S, "modules/dlp/dlp_body.c",
     "        if (z->depth < SK_DLP_MAX_DEPTH)\n            z->next = sk_dlp_b64_new(z->ctx, z->depth, z->next);",
     "        if (0)\n            z->next = sk_dlp_b64_new(z->ctx, z->depth, z->next);",
     r"^(unit\.test_dlp_decode|unit\.test_dlp_archives|hostile\.evasion)$"),
    ("dlp: decoded base64 text shares the body's window (lines cut)", S, "modules/dlp/dlp.h",
     "    ctx->e = win;\n    rc = sk_dlp_put(s, p, n);", "    (void)win;\n    rc = sk_dlp_put(s, p, n);",
     r"^(unit\.test_dlp_decode|unit\.test_dlp_archives)$"),
    ("dlp: a late zip's failure counted without an archive end", N, "modules/dlp/dlp_zip.c",
     "        if (l->eocd)\n            sk_zs_commit(l->zip);", "        sk_zs_commit(l->zip);",
     r"^(unit\.test_dlp_decode|unit\.test_dlp_archives|hostile\.evasion)$"),
    ("dlp: gzip/bzip2/xz/zstd streams after a prefix not searched", S, "modules/dlp/dlp_body.c",
     "        z->next = sk_dlp_streams_new(z->ctx, z->depth, z->next);",
     "        (void)sk_dlp_streams_new;",
     r"^(unit\.test_dlp_decode|unit\.test_dlp_archives|hostile\.evasion)$"),
    ("dlp: a stream header that does not decode is dlp.on-error", N, "modules/dlp/dlp_stream.c",
     "    if (rc == -1) {\n        if (++d->bad",
     "    if (rc == -1) {\n        sk_dlp_undecodable(d->ctx, \"mutant\");\n        if (++d->bad",
     r"^(unit\.test_dlp_decode|unit\.test_dlp_archives|hostile\.evasion)$"),
    ("dlp: no bound on stream headers that do not decode (decoys hide a stream)", S,
     "modules/dlp/dlp_stream.c", "if (++d->bad > SK_DS_BAD && !d->stopped) {",
     "if (++d->bad > 100000 && !d->stopped) {", r"^(unit\.test_dlp_decode|unit\.test_dlp_archives)$"),
    ("dlp: a stream position decided before its header is all in (writes decide)", S,
     "modules/dlp/dlp_stream.c",
     "uint64_t e = total > SK_DS_HOLD ? d->pos + total - SK_DS_HOLD : 0;",
     "uint64_t e = d->pos + total;", r"^(unit\.test_dlp_decode|unit\.test_dlp_archives|fuzz\.dlp_body)$"),
    ("dlp: a stream's decoders fed up to where a write ended (a corrupt xz reads less)", S,
     "modules/dlp/dlp_stream.c",
     "size_t lim = e > d->pos ? (size_t)(e - e % SK_DS_STEP - d->pos) : 0;",
     "size_t lim = e > d->pos ? (size_t)(e - d->pos) : 0;",
     r"^(unit\.test_dlp_decode|unit\.test_dlp_archives|fuzz\.dlp_body)$"),
    ("decode: an xz or zstd coding decoded in the pieces the writes made", N,
     "icap-server/core/sk_decode.c",
     "            return sk_stage_steps(d, k, p, n, sk_stage_zstd);",
     "            return sk_stage_zstd(d, k, p, n) + 0 * sk_stage_steps(d, k, p, 0, sk_stage_zstd);",
     r"^(unit\.test_decode|fuzz\.dlp_body|fuzz\.decode)$"),
    ("av: a piece of a download (HTTP 206) scanned as if whole", S, "modules/virus_scan/vs_module.c",
     "        s->partial = sk_vs_partial(sk_txn_http_status(t), cr);", "        s->partial = 0;",
     r"^(" + VS_UNIT + r"|squid\.virus_scan)$"),
    ("av: a range short of the end taken for the whole object", S, "modules/virus_scan/vs_module.c",
     "a == 0 && n > 0 && b == n - 1)", "a == 0 && n > 0 && b <= n - 1)",
     r"^(" + VS_UNIT + r")$"),
    # --- guard ---------------------------------------------------------------
    ("guard: accepts decreasing Encapsulated offsets", S, "icap-server/guard/sk_guard.c",
     "e->start < 0 || e->start <= prev ||", "e->start < 0 ||",
     r"^(hostile\.icap|integration\.icap|integration\.cicap_sample|unit\.test_icap_syntax)$"),
    ("guard: logs its refusal but lets the request through", S, "icap-server/guard/sk_guard.c",
     "            return CI_ACCESS_DENY;\n        }\n        /* a body",
     "            return CI_ACCESS_UNKNOWN;\n        }\n        /* a body",
     r"^(hostile\.icap|integration\.icap|integration\.cicap_sample|unit\.test_icap_syntax)$"),
    ("guard: switched off entirely", S, "icap-server/guard/sk_guard.c",
     "static int sk_guard_request(ci_request_t *req)\n{\n",
     "static int sk_guard_request(ci_request_t *req)\n{\n    return CI_ACCESS_UNKNOWN;\n",
     r"^(hostile\.icap|integration\.icap|integration\.cicap_sample|unit\.test_icap_syntax)$"),
    ("guard: no wait answered from what is known (poll before every I/O)", N,
     "icap-server/guard/sk_cicap_fix.c",
     "    if (sk_known_ready(conn, what))\n        return what;",
     "    if (0)\n        return what;", r"^(integration\.io_waits)$"),
    ("guard: no read-ahead after a read that filled c-icap's buffer", N,
     "icap-server/guard/sk_cicap_fix.c",
     "sk_t.rd_ready = r > 0 && (size_t)r == count ? conn->fd + 1 : 0;",
     "sk_t.rd_ready = 0;", r"^(integration\.io_waits)$"),
    ("guard: a read that found nothing starts the header deadline", N,
     "icap-server/guard/sk_cicap_fix.c",
     "    if (r > 0 && sk_t.phase == SK_PH_IDLE)\n",
     "    if (sk_t.phase == SK_PH_IDLE)\n", r"^(integration\.io_waits|hostile\.guard)$"),
    # --- core: pipeline, ISTag, access log, pages -------------------------
    ("pipeline: module error -> allow (default is block)", N, "icap-server/core/sk_pipeline.c",
     "    if (p->on_error == SK_ON_ERROR_ALLOW)\n        return;",
     "    if (p->on_error == SK_ON_ERROR_ALLOW || 1)\n        return;",
     r"^(unit\.test_pipeline|integration\.icap)$"),
    ("pipeline: answer before every module decided", N, "icap-server/core/sk_pipeline.c",
     "            if (p->wants_body[i])\n                return SK_OUT_PENDING;",
     "            if (p->wants_body[i] && i == 0)\n                return SK_OUT_PENDING;",
     r"^(unit\.test_pipeline|integration\.icap|integration\.dlp|integration\.virus_scan)$"),
    ("pipeline: approved ALLOW does not end the chain", N, "icap-server/core/sk_pipeline.c",
     "        if (p->txn->approved)\n            sk_decide(p, i, SK_OUT_APPROVED);",
     "        if (p->txn->approved && 0)\n            sk_decide(p, i, SK_OUT_APPROVED);",
     r"^(unit\.test_pipeline|integration\.icap|integration\.url_block)$"),
    ("istag: ignores the policy content", N, "icap-server/srv_sekisho.c",
     "sk_istag_make(tag, sizeof(tag), hash, mixed);",
     "sk_istag_make(tag, sizeof(tag), \"0\", mixed);",
     r"^(unit\.test_istag|integration\.icap|integration\.policy_reload|integration\.url_block)$"),
    ("istag: ignores module/engine/signature versions", N, "icap-server/core/sk_istag.c",
     "        h = sk_fnv1a64(versions, strlen(versions), h);", "        (void)versions;",
     r"^(unit\.test_istag|integration\.icap|integration\.virus_scan|integration\.sigdb)$"),
    ("av: signature database version left out of the engine version", N, "modules/virus_scan/vs_engine.c",
     "(long long)cl_engine_get_num(e->cl, CL_ENGINE_DB_VERSION, NULL), sigs,", "0LL, sigs,",
     r"^(" + VS_UNIT + r"|integration\.virus_scan|integration\.sigdb)$"),
    ("srv: echoed headers not frozen (Via appended)", N, "icap-server/srv_request.c",
     "    if (h)\n        h->packed = 1;", "    (void)h;",
     r"^(integration\.icap)$"),
    ("accesslog: backslash not escaped", S, "icap-server/core/sk_text.c",
     "return c >= 0x20 && c < 0x7f && c != '\"' && c != '\\\\';", "return c >= 0x20 && c < 0x7f && c != '\"';",
     r"^(unit\.test_headers|unit\.test_url_block|integration\.icap|integration\.url_block)$"),
    ("accesslog: control characters copied raw", S, "icap-server/core/sk_text.c",
     "            sk_buf_printf(b, \"\\\\u%04x\", c);", "            sk_buf_append(b, (const char *)s + i, 1);",
     r"^(unit\.test_headers|unit\.test_url_block|integration\.icap|integration\.url_block)$"),
    ("page: '<' not escaped in block pages", S, "icap-server/core/sk_text.c",
     "            sk_buf_puts(b, \"&lt;\");", "            sk_buf_puts(b, \"<\");",
     r"^(unit\.test_url_block|unit\.test_headers|integration\.url_block|integration\.icap)$"),
    ("policy store: a bad generation is rebuilt and logged on every poll", N, "icap-server/core/sk_policy_store.c",
     "    failed_before = gen == s->failed_generation && sk_store_fileid_eq(&id, &s->failed_id);",
     "    failed_before = 0;",
     r"^(unit\.test_policy_store|unit\.test_snapshot|integration\.policy_reload)$"),
    ("policy store: a failed build is reported as unchanged (0, not -1)", N,
     "icap-server/core/sk_policy_store.c",
     "            sk_snapshot_unref(cur);\n        }\n        free(err);\n        return -1;",
     "            sk_snapshot_unref(cur);\n        }\n        free(err);\n        return 0;",
     r"^(unit\.test_policy_store|integration\.policy_reload)$"),
    # --- launcher refusal paths --------------------------------------------
    ("launcher: unusable policy database accepted", N, "icap-server/launcher/sk_launch_env.c",
     "    if (sk_pdb_check(opts->policy_db, &why) == -1) {", "    if (sk_pdb_check(opts->policy_db, &why) == -2) {",
     r"^(integration\.icap|integration\.launcher)$"),
    ("launcher: quotes/newlines in c-icap directives accepted", N, "icap-server/launcher/sk_launch_conf.c",
     "    if (strpbrk(value, \"\\\"\\n\\r\") != NULL) {", "    if (0) {",
     r"^(integration\.icap|integration\.launcher)$"),
    ("launcher: unreadable --config accepted", N, "icap-server/launcher/sk_launch_env.c",
     "        if (access(opts->config, R_OK) == -1) {", "        if (0) {",
     r"^(integration\.icap|integration\.launcher)$"),
    # --- true file types and PUA (issue 14) ----------------------------------
    ("filetype: a blocked type is not noted", S, "modules/virus_scan/vs_ftype.c",
     "    if (ft->hit == SK_FT_NONE && (sk_ft_kind_types(k) & ft->block)) {",
     "    if (ft->hit == SK_FT_NONE && (sk_ft_kind_types(k) & ft->block & 0)) {",
     r"^(" + VS_UNIT + r"|integration\.filetype)$"),
    ("filetype: av.skip-types trusts the declared type again", S, "modules/virus_scan/vs_module.c",
     "    if (sk_ft_sniff(p, n, NULL) != SK_FT_NONE) /* the declared type is not what the bytes are */",
     "    if (0)",
     r"^(" + VS_UNIT + r"|integration\.filetype)$"),
    ("filetype: zip members not typed", S, "modules/virus_scan/vs_walk.c",
     "    if (w->ft)\n        k = sk_ft_sniff(p, n, name);",
     "    if (0)\n        k = sk_ft_sniff(p, n, name);",
     r"^(" + VS_UNIT + r"|integration\.filetype)$"),
    ("filetype: libclamav's inner types ignored", S, "modules/virus_scan/vs_engine.c",
     "        if ((k = sk_ft_from_clamav(type)) != SK_FT_NONE)\n            sc->kinds |= 1u << k;",
     "        if ((k = sk_ft_from_clamav(type)) == 99)\n            sc->kinds |= 1u << k;",
     r"^(integration\.filetype)$"),
    ("filetype: MSI CLSID check off by one byte", N, "icap-server/toolkit/sk_filetype.c",
     "                const unsigned char *c = p + dir + 0x50;",
     "                const unsigned char *c = p + dir + 0x51;",
     r"^(unit\.test_filetype)$"),
    ("pua: an unwanted PUA is not rescanned (hides a virus)", S, "modules/virus_scan/vs_engine.c",
     "    if (rc != CL_VIRUS || sc->filter_pua || sk_vs_pua_wanted(sc->lim, name))\n        return 0;",
     "    if (1)\n        return 0;",
     r"^(integration\.filetype)$"),
    ("dlp: an uploaded mail message read as bytes only (quoted-printable text unread)", S,
     "modules/dlp/dlp_body.c",
     "        if (sk_mp_is_message(z->ctype, z->name, z->head, z->nhead)) {",
     "        if (0) {", r"^(unit\.test_dlp_mail|hostile\.evasion)$"),
    ("multipart: a mail whose header section outruns the sniffed head not taken for one", S,
     "icap-server/core/sk_mp_sniff.c", "    return fields && (mime || words || !ended);",
     "    return fields && (mime || words);", r"^(unit\.test_dlp_mail|hostile\.evasion)$"),
    ("multipart: a message's header field cut at 1 KiB drops the field", S,
     "icap-server/core/sk_mp_header.c", "    if (m->nh - m->fstart >= SK_MP_FIELD) {\n        m->cut = 1;",
     "    if (m->nh - m->fstart >= SK_MP_FIELD) {\n        m->keep = 0, m->nh = m->fstart;\n        m->cut = 1;",
     r"^(unit\.test_dlp_mail|hostile\.evasion)$"),
    ("dlp: a DTD's internal entities are not replaced in XML text", S, "modules/dlp/dlp_formats.c",
     "    } else if (c == '&' && x->nents) {", "    } else if (c == '&' && 0) {",
     r"^(unit\.test_dlp_xml|hostile\.evasion)$"),
    ("dlp: entity expansion not charged to dlp.max-decoded (billion laughs)", S,
     "modules/dlp/dlp_formats.c", "    if (t && t->len > *x->budget) {", "    if (t && 0) {",
     r"^(unit\.test_dlp_xml|hostile\.evasion)$"),
    ("dlp: a quote in a DTD comment hides the declarations after it", S,
     "modules/dlp/dlp_formats.c", "    } else if (x->dsubset && memcmp(x->dlast, \"<!--\", 4) == 0) {",
     "    } else if (0) {", r"^(unit\.test_dlp_xml|hostile\.evasion)$"),
    ("multipart: x-uuencode parts read as they are", S, "icap-server/core/sk_multipart.c",
     "                 ? SK_CTE_UU\n", "                 ? SK_CTE_NONE\n",
     r"^(unit\.test_dlp_mail|hostile\.evasion)$"),
    ("dlp: multipart nested past the limit read as raw text, no verdict", S, "modules/dlp/dlp_body.c",
     "        sk_dlp_undecodable(ctx, \"multipart nested too deeply\");", "",
     r"^(unit\.test_dlp_mail)$"),
    ("multipart: a message's encoded words (RFC 2047) left encoded", S, "icap-server/core/sk_mp_header.c",
     "                sk_mime_word(m->word, m->nword, out, &olen) != m->nword)",
     "                1)", r"^(unit\.test_dlp_mail|hostile\.evasion)$"),
    ("multipart: the white space between two encoded words kept (splits a number)", S,
     "icap-server/core/sk_mp_header.c",
     "            if (!m->after_word && sk_mp_hput(m, m->ws, m->nws) == -1)",
     "            if (sk_mp_hput(m, m->ws, m->nws) == -1)", r"^(unit\.test_dlp_mail|hostile\.evasion)$"),
    ("multipart: a stray '=' in base64 cuts the group (shifts the rest)", S,
     "icap-server/core/sk_multipart.c",
     "        if (p[i] == '=' && m->b64_n >= 2 && m->b64_n + ++m->b64_pads >= 4) {",
     "        if (p[i] == '=') {", r"^(unit\.test_dlp_mail)$"),
    ("multipart: '=\\r' then text is no QP soft break", S, "icap-server/core/sk_multipart.c",
     "            m->qp_skip = 1;\n", "            m->qp_skip = 0;\n", r"^(unit\.test_dlp_mail)$"),
    ("multipart: a digest's untyped part is not message/rfc822", S, "icap-server/core/sk_multipart.c",
     "    if (!m->ctype[0] && m->digest)", "    if (0)", r"^(unit\.test_dlp_mail)$"),
    ("dlp: mail nested past the limit read as raw text, no verdict", S, "modules/dlp/dlp_body.c",
     "                sk_dlp_undecodable(z->ctx, \"mail messages nested too deeply\");",
     "                (void)0;",
     r"^(unit\.test_dlp_mail|unit\.test_dlp_decode|unit\.test_dlp_archives|hostile\.evasion)$"),
    ("dlp: untyped XML read as plain text (its entities unread)", S, "modules/dlp/dlp_body.c",
     "(!sk_is_json(mt, name) && !form && sk_xml_like(head, nhead));", "0;",
     r"^(unit\.test_dlp_xml|hostile\.evasion)$"),
    ("av: an .eml's parts left to libclamav's mail reader alone", S, "modules/virus_scan/vs_walk.c",
     "    if (!w->parts_walked && sk_mp_is_message(ct, name, p, n))", "    if (0)",
     r"^(hostile\.evasion)$"),
    ("dlp: entities in XML attribute values are not replaced", S, "modules/dlp/dlp_formats.c",
     "        if (x->nents && sk_xml_attr_ref(x, c))", "        if (0)",
     r"^(unit\.test_dlp_xml|hostile\.evasion)$"),
    ("dlp: a parameter entity's declarations are not read", S, "modules/dlp/dlp_formats.c",
     "                sk_xml_pe_ref(x, d + ns, i - ns, depth);", "                (void)depth;",
     r"^(unit\.test_dlp_xml)$"),
    ("multipart: a delimiter in a part's header section is not seen (later parts unread)", S,
     "icap-server/core/sk_mp_header.c", "        int delim = sk_mp_hdr_delim(m);",
     "        int delim = 0;", r"^(unit\.test_decode_multipart)$"),
    ("multipart: a header section's text is not delivered (encoded Subject unread)", S,
     "icap-server/core/sk_mp_header.c", "    return m->h.data(m->h.arg, m->hout, n);",
     "    return 0;", r"^(unit\.test_decode_multipart|unit\.test_dlp_mail|hostile\.evasion)$"),
    ("multipart: a line that is no field does not end the header section", S,
     "icap-server/core/sk_mp_header.c", "            return sk_mp_hdr_nosep(m);\n    }",
     "            m->lfield = 1;\n    }", r"^(unit\.test_decode_multipart|unit\.test_dlp_mail)$"),
    ("multipart: a bare CR is no line end in a header section", S, "icap-server/core/sk_mp_header.c",
     "        if (c == '\\r') {\n            m->hcr = 1;\n            continue;\n        }", "",
     r"^(unit\.test_dlp_mail)$"),
    # --- session 8 (red teams 3 and 4 closed; fuzz findings) ---------------
    ("multipart: in mail a bare CR before --boundary is no delimiter", S, "icap-server/core/sk_multipart.c",
     "    m->dcr = 0;\n    if (m->mail) {", "    m->dcr = 0;\n    if (0) {",
     r"^(unit\.test_dlp_mail|hostile\.evasion)$"),
    ("multipart: form-data split at a bare CR before --boundary (HTTP readers do not)", S, "icap-server/core/sk_multipart.c",
     "    m->depth = depth;\n    memcpy(m->delim, \"\\n--\", 3);",
     "    m->depth = depth;\n    m->mail = 1;\n    memcpy(m->delim, \"\\n--\", 3);",
     r"^(unit\.test_decode_multipart)$"),
    ("multipart: a comment in a multipart Content-Type read one way", S, "icap-server/core/sk_header_param.c",
     "|| sk_param_has(ct, '(', 0) ||\n        sk_param_has(ct, ';', 1))",
     "||\n        sk_param_has(ct, ';', 1))",
     r"^(unit\.test_decode_multipart|hostile\.evasion)$"),
    ("multipart: a boundary with text after it read one way", S, "icap-server/core/sk_header_param.c",
     "    if (odd)\n        return -2;", "    if (0)\n        return -2;",
     r"^(unit\.test_decode_multipart|hostile\.evasion)$"),
    ("header params: RFC 2231 sections not joined", S, "icap-server/core/sk_header_param.c",
     "    } else if (nsec && (reading == SK_2231_ALL || sec[0].n == 0)) {", "    } else if (0) {",
     r"^(unit\.test_decode_multipart|unit\.test_dlp_mail)$"),
    ("multipart: a file name in RFC 2231 sections not in the header text", S, "icap-server/core/sk_mp_header.c",
     "sk_mp_hraw(m) == -1 || sk_mp_hext(m) == -1 ||", "sk_mp_hraw(m) == -1 ||",
     r"^(unit\.test_dlp_mail|hostile\.evasion)$"),
    ("mbox: a From line in a body does not begin the next message", S, "icap-server/core/sk_multipart.c",
     "        if (m->mbox && m->state == SK_MPS_BODY) {", "        if (0) {",
     r"^(unit\.test_dlp_mail|hostile\.evasion)$"),
    ("mbox: a From line in a header section does not begin the next message", S, "icap-server/core/sk_mp_header.c",
     "if (m->mbox && m->hlines && m->nlpre == 5", "if (0 && m->hlines && m->nlpre == 5",
     r"^(unit\.test_dlp_mail)$"),
    ("dlp: an mbox read as one message only", S, "modules/dlp/dlp_body.c",
     "if (z->depth < SK_DLP_MAX_DEPTH && sk_mp_is_mbox(", "if (0 && sk_mp_is_mbox(",
     r"^(unit\.test_dlp_mail|hostile\.evasion)$"),
    ("dlp: a file starting with a From line read as an mbox only", S, "modules/dlp/dlp_body.c",
     "                z->next = sk_tee_new(z->ctx, z->next, sk_dmp_new(z->ctx, NULL, NULL, 0, z->depth));",
     "                z->next = z->next;",
     r"^(unit\.test_dlp_mail|hostile\.evasion)$"),
    ("dlp: an <!ATTLIST> default value not read", S, "modules/dlp/dlp_formats.c",
     "if (n - i >= 10 && memcmp(d + i, \"<!ATTLIST\", 9) == 0",
     "if (0 && memcmp(d + i, \"<!ATTLIST\", 9) == 0",
     r"^(unit\.test_dlp_xml|hostile\.evasion)$"),
    ("dlp: a text in UTF-7 or EBCDIC read as bytes only", S, "modules/dlp/dlp_body.c",
     "    if (s && http) {", "    if (0 && http) {",
     r"^(unit\.test_dlp_decode|unit\.test_dlp_archives|hostile\.evasion)$"),
    ("dlp: a declared UTF-7 read in UTF-7 only (plain text hidden)", S, "modules/dlp/dlp_body.c",
     "        s = sk_tee_new(ctx, s, sk_by_type_as(ctx, ct, name, head, nhead, cs, depth));",
     "        s->destroy(s), s = sk_by_type_as(ctx, ct, name, head, nhead, cs, depth);",
     r"^(unit\.test_dlp_decode|unit\.test_dlp_archives)$"),
    ("dlp: HZ read as GB2312 without its unwrapping", S, "modules/dlp/dlp_norm.c",
     "        z->hz = strcmp(name, \"HZ\") == 0;", "        z->hz = 0;",
     r"^(unit\.test_dlp_decode|unit\.test_dlp_archives|hostile\.evasion)$"),
    ("decode: chunk extensions and trailers not kept aside", S, "icap-server/core/sk_decode.c",
     "            sk_decoder_side_put(d, *p);", "            (void)0;",
     r"^(unit\.test_decode|unit\.test_dlp_decode|unit\.test_dlp_archives|hostile\.evasion)$"),
    ("av: chunk extensions and trailers not scanned", S, "modules/virus_scan/vs_module.c",
     "    } else if (rep.result == SK_VS_CLEAN && s->av && sn &&",
     "    } else if (rep.result == SK_VS_CLEAN && s->av && sn && 0 &&",
     r"^(hostile\.evasion)$"),
    ("dlp: chunk extensions and trailers not read", S, "modules/dlp/dlp_body.c",
     "    if (n) {\n        struct sk_dlp_engine *win = sk_dlp_engine_sub(d->ctx->e);",
     "    if (0) {\n        struct sk_dlp_engine *win = sk_dlp_engine_sub(d->ctx->e);",
     r"^(unit\.test_dlp_decode|unit\.test_dlp_archives)$"),
    # session 9: red team 5 (charset names, stateful conversions)
    ("charset: names compared as written (no Python normalisation)", S,
     "icap-server/core/sk_decode_charset.c", "            punct = 1; /* non-ASCII letters are dropped without a mark */",
     "            out[o++] = (char)c;",
     r"^(unit\.test_decode_text|unit\.test_dlp_decode|unit\.test_dlp_archives)$"),
    ("charset: EBCDIC pages by number not known", S, "icap-server/core/sk_decode_charset.c",
     "    unsigned page = sk_cs_page(n);", "    unsigned page = 0;",
     r"^(unit\.test_decode_text|unit\.test_dlp_decode|unit\.test_dlp_archives)$"),
    ("charset: a numbered page not required to end with its digits", S,
     "icap-server/core/sk_decode_charset.c", "        if (k > 0 && d[k] == '\\0')", "        if (k > 0)",
     r"^(unit\.test_decode_text)$"),
    ("dlp: an invalid byte leaves a stateful conversion in its shift state", S,
     "modules/dlp/dlp_norm.c", "    iconv(z->cd, NULL, NULL, NULL, NULL);", "",
     r"^(unit\.test_dlp_decode|unit\.test_dlp_archives)$"),
    ("decode: chunk sizes only as RFC 9112 writes them (no int(x, 16) forms)", S,
     "icap-server/core/sk_decode.c", "        i += 2 + (i + 2 < n && l[i + 2] == '_'); /* int(\"0x_22\", 16) */",
     "        return 0;", r"^(unit\.test_decode)$"),
    ("decode: leading zeros count towards a chunk size's 15 digits", S,
     "icap-server/core/sk_decode.c", "(v == 0 && l[i] == '0' ? 0 : ++digits > 15)",
     "(++digits > 15)", r"^(unit\.test_decode)$"),
    ("decode: white space before a chunk size not skipped", S,
     "icap-server/core/sk_decode.c", "    while (i < n && (l[i] == ' ' || (l[i] >= '\\t' && l[i] <= '\\r')))\n        i++;",
     "", r"^(unit\.test_decode)$"),
    ("decode: NULs between gzip members end the reading", S, "icap-server/core/sk_decode.c",
     "        if (s->state == SK_ST_BETWEEN && sk_stream_pads(s->coding) && s->nlook == 0) {",
     "        if (0) {", r"^(unit\.test_decode)$"),
    ("dlp: padding after a stream found after a prefix ends it", S, "modules/dlp/dlp_stream.c",
     "        if (o->nlook == 0 && sk_stream_pads(o->c) && *p == 0) {",
     "        if (0) {", r"^(unit\.test_dlp_decode|unit\.test_dlp_archives)$"),
    ("stream: padding between xz streams or gzip members ends a stream after a prefix", S,
     "icap-server/core/sk_stream.c",
     "        while (rc == 1 && sk_stream_pads(c) && at < n && p[at] == 0)",
     "        while (0)", r"^(hostile\.evasion)$"),
    ("av: members after NUL padding left to the engine's gzip reader", S,
     "modules/virus_scan/vs_walk.c", "        } else if (opaque || padded) {", "        } else if (opaque) {",
     r"^(hostile\.evasion)$"),
    ("dlp: a form-data field not read in the form's charset", S, "modules/dlp/dlp_body.c",
     "            memcpy(((struct sk_dmp *)s)->charset, cs, sizeof(cs));", "",
     r"^(unit\.test_dlp_decode|unit\.test_dlp_archives)$"),
    ("dlp: an urlencoded form only unquoted before its charset", S, "modules/dlp/dlp_body.c",
     "            s = sk_tee_new(ctx, s, sk_form_in_charset(ctx, cs, depth));", "            ;",
     r"^(unit\.test_dlp_decode|unit\.test_dlp_archives)$"),
    ("dlp: a charset given in RFC 2231 form not read", S, "modules/dlp/dlp_body.c",
     "    if (rc == 0 || rc == -2 || (ct && sk_header_param_ext(ct, \"charset\", out, size) == 0))",
     "    if (rc == 0 || rc == -2)", r"^(unit\.test_dlp_decode|unit\.test_dlp_archives)$"),
    ("decode: a chunk's data ended by a bare LF read one way only (no on-error)", S,
     "icap-server/core/sk_decode.c", "        if (was == SK_CK_DATA_END && *p == '\\n' && !d->corrupt) {",
     "        if (0) {", r"^(unit\.test_decode)$"),
    # session 9: red team 5 (XML attributes and declarations; helper rt5xml)
    ("dlp: a line end in an XML attribute value not read as a space", S, "modules/dlp/dlp_formats.c",
     "    return c == '\\r' || c == '\\n' || c == '\\t' ? ' ' : c;", "    return c;",
     r"^(unit\.test_dlp_xml|hostile\.evasion)$"),
    ("dlp: a CR LF in an XML attribute value read as two spaces", S, "modules/dlp/dlp_formats.c",
     "        } else if (c != '\\n' || !cr) {", "        } else {",
     r"^(unit\.test_dlp_xml|hostile\.evasion)$"),
    ("dlp: an XML start in EBCDIC not told (its declaration unread)", S, "modules/dlp/dlp_body.c",
     "    return n >= 4 && memcmp(p, \"\\x4c\\x6f\\xa7\\x94\", 4) == 0;", "    return 0;",
     r"^(unit\.test_dlp_xml|hostile\.evasion)$"),
    ("dlp: an XML declaration's charset read only when the HTTP one names none", S, "modules/dlp/dlp_body.c",
     "        (!http || strcmp(on, hn) != 0))", "        !http)",
     r"^(unit\.test_dlp_xml)$"),
    # session 9: red team 5 (multipart, RFC 2231, mbox; helper rt5mp)
    # --- red team 5 (boundary readings, HTTP multipart as mail, RFC 2231, mbox, forms) ---
    ("multipart: a boundary readers unquote differently read one way", S, "icap-server/core/sk_header_param.c",
     "    if (odd && bad)\n        *odd = 1;", "    if (0 && bad)\n        *odd = 1;",
     r"^(unit\.test_decode_multipart|unit\.test_dlp_mail)$"),
    ("multipart: a backslash in a quoted boundary read one way", S, "icap-server/core/sk_header_param.c",
     "            if (*p == '\\\\') {\n                bad = 1;", "            if (*p == '\\\\') {\n                bad = 0;",
     r"^(unit\.test_decode_multipart|unit\.test_dlp_mail)$"),
    ("multipart: a tspecial in an unquoted boundary read one way", S, "icap-server/core/sk_header_param.c",
     "(token && c && strchr(", "(0 && token && c && strchr(",
     r"^(unit\.test_decode_multipart)$"),
    ("multipart: a boundary's unclosed quote read one way", S, "icap-server/core/sk_header_param.c",
     "            bad = 1; /* never closed */", "            bad = 0; /* never closed */",
     r"^(unit\.test_decode_multipart)$"),
    ("multipart: an RFC 2047 word as a boundary read one way", S, "icap-server/core/sk_header_param.c",
     "    if (w && strstr(w + 2, \"?=\") != NULL)", "    if (0 && w && strstr(w + 2, \"?=\") != NULL)",
     r"^(unit\.test_decode_multipart|unit\.test_dlp_mail)$"),
    ("multipart: a control byte in a quoted boundary read one way", S, "icap-server/core/sk_header_param.c",
     "    return (c < 0x20 && c != '\\t') || c == 0x7f ||", "    return (0 && c < 0x20 && c != '\\t') || c == 0x7f ||",
     r"^(unit\.test_decode_multipart|unit\.test_dlp_mail)$"),
    ("multipart: a NUL in a mail header field cuts the field", S, "icap-server/core/sk_mp_header.c",
     "    m->hdrs[m->nh++] = c ? (char)c : '\\x01';", "    m->hdrs[m->nh++] = (char)c;",
     r"^(unit\.test_dlp_mail)$"),
    ("multipart: a quoted ';' in a multipart Content-Type read one way (aiohttp splits)", S, "icap-server/core/sk_header_param.c",
     "sk_param_has(ct, '(', 0) ||\n        sk_param_has(ct, ';', 1))", "sk_param_has(ct, '(', 0))",
     r"^(unit\.test_decode_multipart)$"),
    ("dlp: an HTTP multipart/mixed read with CRLF/LF line ends only", S, "modules/dlp/dlp_body.c",
     "        sk_mp_mail(m->mp, !sk_mp_is_form_data(ct));", "        sk_mp_mail(m->mp, 0);",
     r"^(" + DLP_UNIT + r")$"),
    ("av: an HTTP multipart/mixed read with CRLF/LF line ends only", S, "modules/virus_scan/vs_module.c",
     "    w.mail = !sk_mp_is_form_data(", "    w.mail = 0 && !sk_mp_is_form_data(",
     r"^(" + VS_UNIT + r")$"),
    ("multipart: multipart/form-database taken for form-data", N, "icap-server/core/sk_multipart.c",
     "strncasecmp(content_type, type, n) == 0 &&\n           strchr(\" \\t;\", content_type[n]);",
     "strncasecmp(content_type, type, n) == 0;",
     r"^(" + VS_UNIT + r")$"),
    ("multipart: a nested multipart/mixed in form-data read with CRLF/LF line ends only", S, "icap-server/core/sk_multipart.c",
     "        m->child->mail = m->mail || !sk_mp_is_form_data(m->ctype);", "        m->child->mail = m->mail;",
     r"^(unit\.test_decode_multipart)$"),
    ("header params: RFC 2231 sections joined up to the first gap only (compat32 joins all)", S, "icap-server/core/sk_header_param.c",
     "if (reading != SK_2231_ALL && i && sec[i].n != sec[i - 1].n + 1) {", "if (i && sec[i].n != sec[i - 1].n + 1) {",
     r"^(unit\.test_decode_multipart|unit\.test_dlp_mail)$"),
    ("header params: two RFC 2231 sections of one number not sorted as compat32 sorts them", N, "icap-server/core/sk_header_param.c",
     "for (; k > 0 && sk_2231_before(&x, &sec[k - 1]); k--)", "for (; k > 0 && x.n < sec[k - 1].n; k--)",
     r"^(unit\.test_decode_multipart)$"),
    ("header params: RFC 2231 sections past 64 dropped, not -2", S, "icap-server/core/sk_header_param.c",
     "                over = 1; /* compat32", "                over = 0; /* compat32",
     r"^(unit\.test_decode_multipart|unit\.test_dlp_mail)$"),
    ("header params: an RFC 2231 charset prefix not converted (cp037, utf-16le, utf-7)", S, "icap-server/core/sk_header_param.c",
     "    sk_param_2231_charset(cs, out, size, &o);", "    (void)cs;",
     r"^(unit\.test_decode_multipart|unit\.test_dlp_mail)$"),
    ("header params: an RFC 2231 token read only up to a space", S, "icap-server/core/sk_header_param.c",
     "    if (*p != '\"') { /* a token: compat32", "    if (0) { /* a token: compat32",
     r"^(unit\.test_decode_multipart)$"),
    ("multipart: RFC 2047 words in a file name's sections not decoded", S, "icap-server/core/sk_mp_header.c",
     "        if (sk_mp_hword(m, (unsigned char)*x) == -1)", "        if (sk_mp_hput(m, (const unsigned char *)x, 1) == -1)",
     r"^(unit\.test_dlp_mail)$"),
    ("multipart: policy.default's reading of RFC 2231 sections not in the header text", S, "icap-server/core/sk_mp_header.c",
     "            strcmp(x, y) != 0 && sk_mp_hext_line(m, fp[i][1], y) == -1)", "            0 && sk_mp_hext_line(m, fp[i][1], y) == -1)",
     r"^(unit\.test_dlp_mail)$"),
    ("multipart: a form field's name* not in the header text", S, "icap-server/core/sk_mp_header.c",
     "                                        {\"content-disposition\", \"name\"}};", "                                        {\"content-disposition\", \"filename\"}};",
     r"^(unit\.test_dlp_mail)$"),
    ("multipart: a kept header field past 1 KiB not ambiguous", S, "icap-server/core/sk_mp_header.c",
     "        m->cut = 1; /* readers read on", "        m->cut = 0; /* readers read on",
     r"^(unit\.test_dlp_mail|" + VS_UNIT + r")$"),
    ("dlp: an ambiguous multipart part read without dlp.on-error", S, "modules/dlp/dlp_body.c",
     "    if (p->ambiguous) /* the part", "    if (0) /* the part",
     r"^(" + DLP_UNIT + r")$"),
    ("av: an ambiguous multipart part scanned without av.on-error", S, "modules/virus_scan/vs_walk.c",
     "    if (part->ambiguous) {", "    if (0) {",
     r"^(" + VS_UNIT + r")$"),
    ("mbox: only a From line at byte 0 sniffed (mailbox.mbox skips a lead)", S, "icap-server/core/sk_mp_sniff.c",
     "    for (int line = 0; line <= SK_MBOX_LEAD && i < lim; line++) {", "    for (int line = 0; line < 1 && i < lim; line++) {",
     r"^(unit\.test_dlp_mail)$"),
    ("mbox: a UTF-8 BOM before the first From line not skipped", S, "icap-server/core/sk_mp_sniff.c",
     "memcmp(p, \"\\xef\\xbb\\xbf\", 3) == 0 ? 3 : 0", "memcmp(p, \"\\xef\\xbb\\xbf\", 3) == 0 ? 0 : 0",
     r"^(unit\.test_dlp_mail)$"),
    ("mbox: the From line sniff reads past the 512 bytes", N, "icap-server/core/sk_mp_sniff.c",
     "lim = n < 512 ? n : 512;", "lim = n;",
     r"^(unit\.test_dlp_mail)$"),
    ("dlp: a form-data body without its boundary read as text only", S, "modules/dlp/dlp_body.c",
     "    if (m->form && m->written && !sk_mp_delimited(m->mp))", "    if (0 && m->form && m->written && !sk_mp_delimited(m->mp))",
     r"^(" + DLP_UNIT + r")$"),
    ("av: a form-data body without its boundary scanned as a whole only", S, "modules/virus_scan/vs_walk.c",
     "    if (rc == 0 && boundary && w->form && n && !sk_mp_delimited(m)) {", "    if (0) {",
     r"^(" + VS_UNIT + r")$"),
    ("multipart: a body with only its close delimiter taken as undelimited", N, "icap-server/core/sk_multipart.c",
     "    return m->parts > 0 || m->closed;", "    return m->parts > 0;",
     r"^(unit\.test_dlp_mail)$"),
    # red team 6a: what the origin reads; request lines
    ("url: an approved reading stands where the origin's reading is not approved", S,
     "policy-db/src/snap_policy.c",
     "(out->verdict == SK_URL_APPROVED && d.verdict != SK_URL_APPROVED)))", "0))",
     r"^(unit\.test_snapshot|integration\.url_block)$"),
    ("url: a rule that names no port does not cover another port", S,
     "policy-db/src/snap_policy.c", "    if (u->port == 0)\n        return 0;",
     "    if (1)\n        return 0;", r"^(unit\.test_snapshot|integration\.url_block)$"),
    ("url: category url entries not read without the port", S, "policy-db/src/snap_policy.c",
     "    if (rc == 0 && bare != NULL)", "    if (0)",
     r"^(unit\.test_snapshot|integration\.url_block)$"),
    ("url: the port-less reading decided apart (a port's allow exception lost)", N,
     "policy-db/src/match_rules.c",
     "    for (const struct sk_url *r = u; r != NULL; r = r == u ? bare : NULL) {",
     "    for (const struct sk_url *r = bare ? bare : u; r != NULL; r = NULL) {",
     r"^(unit\.test_snapshot|integration\.url_block)$"),
    ("url: an empty query kept ('/page?' is not '/page')", S, "policy-db/src/url_parse.c",
     "q != NULL && qlen > 0, err);", "q != NULL, err);",
     r"^(unit\.test_url_normalize|integration\.url_block)$"),
    ("url: the NAT64 prefix not read as IPv4", S, "policy-db/src/url_host.c",
     "memcmp(a->s6_addr, nat64, 12) == 0 ||", "0 ||",
     r"^(unit\.test_url_normalize|integration\.url_block)$"),
    ("url: IPv4-compatible IPv6 not read as IPv4", S, "policy-db/src/url_host.c",
     "(memcmp(a->s6_addr, zero, 12) == 0 && a->s6_addr[12] != 0)", "0",
     r"^(unit\.test_url_normalize|integration\.url_block)$"),
    ("url: a DNS name with a numeric last label refused", N, "policy-db/src/url_host.c",
     "        if (sk_host_all_numeric(buf, n))", "        if (1)",
     r"^(unit\.test_url_normalize|integration\.url_block)$"),
    ("request line: split at SP only (HTAB kept in the method)", S, "icap-server/srv_request.c",
     'mlen = strcspn(line, " \\t\\r\\n");', 'mlen = strcspn(line, " \\r\\n");',
     r"^(integration\.url_block)$"),
    ("request line: origin-form with two Host fields read by the first", S,
     "icap-server/srv_request.c", "if (nhost != 1 ||", "if (nhost < 1 ||",
     r"^(integration\.url_block)$"),
    ("request line: text after the version ignored", S, "icap-server/srv_request.c",
     "    if (*p && *p != '\\r' && *p != '\\n')\n        return -1;",
     "    if (0)\n        return -1;", r"^(integration\.url_block)$"),
    ("request line: a Host of two names read as its first", S, "icap-server/srv_request.c",
     "if (host[hlen + strspn(host + hlen, \" \\t\\r\\n\")] != '\\0')", "if (0)",
     r"^(integration\.url_block)$"),
    ("url_block: RESPMOD with an unreadable request line passes", S,
     "modules/url_block/ub_module.c",
     "sk_txn_url(t)[0] == '\\0' && sk_txn_http_method(t)[0] == '\\0' &&",
     "sk_txn_url(t)[0] == '\\0' &&", r"^(integration\.url_block)$"),
    ("guard: an Encapsulated header section shorter than CRLF CRLF passed to c-icap", S,
     "icap-server/guard/sk_icap_syntax.c", "    if (e->off[i] - e->off[i - 1] < 4)",
     "    if (0)", r"^(unit\.test_icap_syntax|hostile\.icap)$"),
    ("status: a request head may trickle for ever (no deadline sweep)", S, "icap-server/launcher/sk_launch_http.c",
     "        if (now >= due) {", "        if (0) {",
     r"^(ops\.status)$"),
    ("status: 16 connections per address as before", S, "icap-server/launcher/sk_launch_http.c",
     "#define SK_STATUS_PER_IP      8", "#define SK_STATUS_PER_IP      16",
     r"^(ops\.status)$"),
    ("status: 32 connections in all as before", S, "icap-server/launcher/sk_launch_http.c",
     "#define SK_STATUS_CONNS       256", "#define SK_STATUS_CONNS       32",
     r"^(ops\.status)$"),
    ("policy json: a repeated member name accepted", S, "policy-db/src/pdb_json.c",
     "            return obj ? sk_json_unique(p, v, depth) : 0;", "            return 0;",
     r"^(unit\.test_policy_db|unit\.test_policy_cli)$"),
    ("policy json: the repetition named is not the first in the document", N, "policy-db/src/pdb_json.c",
     "(dup == NULL || k[i] < dup)", "(dup == NULL)",
     r"^(unit\.test_policy_db)$"),
    ("policy json: error lines counted in the decoded text", N, "policy-db/src/pdb_json.c",
     "        p->line += *p->s++ == '\\n';", "        p->s++;",
     r"^(unit\.test_policy_db|unit\.test_policy_cli)$"),
    ("report: a CSV cell starting with TAB or CR not quoted", S, "policy-db/cli/cli_report.c",
     "    if (*s && strchr(\"=+-@\\t\\r\\n\", *s))", "    if (*s && strchr(\"=+-@\", *s))",
     r"^(unit\.test_policy_cli)$"),
    ("text escaper: C1 controls kept", S, "icap-server/toolkit/sk_text.c",
     "                                              .c1 = \"\\xef\\xbf\\xbd\",\n", "",
     r"^(unit\.test_text|unit\.test_policy_cli)$"),
    ("report: text summary prints names unescaped", S, "policy-db/cli/cli_report.c",
     "        sk_text_escape(&safe, t->items[i].key, 70);", "        sk_buf_puts(&safe, t->items[i].key);",
     r"^(unit\.test_policy_cli)$"),
    # --- directory domains and identity encoding (red team 6a) ------------
    ("dir: two matching entries taken as found (the server's first decides)", S, "policy-db/src/dir_ldap.c",
     "    *outcome = n == 1 ? SK_DIR_FOUND", "    *outcome = n >= 1 ? SK_DIR_FOUND",
     r"^(integration\.directory)$"),
    ("dir: one entry asked for (sizelimit exceeded hides the second)", S, "policy-db/src/dir_ldap.c",
     "{.memberof = 1, .sizelimit = 2}", "{.memberof = 1, .sizelimit = 1}",
     r"^(integration\.directory)$"),
    ("dir: lookup not gated by the directory's domains", S, "policy-db/src/dir_ldap.c",
     "    if (!sk_dir_serves(d, &name)) {", "    if (0) {",
     r"^(integration\.directory)$"),
    ("dir: DOMAIN\\user and user@realm served by every directory", S, "policy-db/src/dir_name.c",
     "        return sk_dir_word_in(d->domains, name->domain) || sk_dir_word_in(d->realms, name->domain);",
     "        return 1;",
     r"^(unit\.test_dir_name|integration\.directory)$"),
    ("dir: a DN of another tree served", S, "policy-db/src/dir_name.c",
     "        return sk_dir_dn_under(name->local, d->base);", "        return 1;",
     r"^(unit\.test_dir_name|integration\.directory)$"),
    ("dir: DN under the base compared on its last RDN only", S, "policy-db/src/dir_name.c",
     "    for (int i = 1; i <= nb && under; i++) {", "    for (int i = 1; i <= 1 && under; i++) {",
     r"^(unit\.test_dir_name|integration\.directory)$"),
    ("dir: user@realm read as a bare name", S, "policy-db/src/dir_name.c",
     "        out->kind = SK_DIRN_REALM;", "        out->kind = SK_DIRN_BARE;",
     r"^(unit\.test_dir_name|integration\.directory)$"),
    ("dir: no domain derived from the base (a directory serves nothing qualified)", N, "policy-db/src/snap_load.c",
     "        if (d->domains[0] == '\\0' && dom.len > 0) {", "        if (0) {",
     r"^(integration\.directory)$"),
    ("dir: a domain no directory serves is not logged", N, "icap-server/core/sk_dirgroups.c",
     "    if (served == 0)", "    if (0)",
     r"^(integration\.directory)$"),
    ("dir: any --domain accepted", N, "policy-db/src/pdb_directory.c",
     "        if (!isalnum(c) && c != '-' && (realm || (c != '_' && c != '.')))", "        if (0)",
     r"^(unit\.test_policy_cli|integration\.directory)$"),
    ("ident: UserEncoding plain still decodes base64 ('Ym9i' is bob)", S, "icap-server/core/sk_ident.c",
     "    if (enc == SK_USER_PLAIN) {", "    if (0) {",
     r"^(unit\.test_ident|integration\.identity)$"),
    ("ident: UserEncoding base64 takes an undecodable value as plain", S, "icap-server/core/sk_ident.c",
     "        } else if (enc == SK_USER_BASE64) {", "        } else if (0) {",
     r"^(unit\.test_ident|integration\.identity)$"),
    ("ident: a user DN reduced to its first RDN (the directory loses the tree)", S, "icap-server/core/sk_ident.c",
     "    if ((dn = sk_ident_user_dn(src, &len)) != NULL) {", "    if (0 && (dn = sk_ident_user_dn(src, &len)) != NULL) {",
     r"^(unit\.test_ident|integration\.identity|integration\.directory)$"),
    ("ident: a user name cut to the buffer kept", S, "icap-server/core/sk_ident.c",
     "    if (o + 1 >= sizeof(name) || o >= size)\n        return;", "    if (o >= size)\n        o = size - 1;",
     r"^(unit\.test_ident)$"),
    ("policy: a uid= user DN does not match --user", N, "policy-db/src/snap_resolve.c",
     "(n > 4 && strncasecmp(s, \"UID=\", 4) == 0)", "0",
     r"^(unit\.test_snapshot|integration\.identity)$"),
    ("bomb guard: the decode ratio never bounds the output", S, "icap-server/core/sk_decode.c",
     "        lim->floor + lim->ratio * in < b)", "        0)",
     r"^(unit\.test_decode_guard)$"),
    ("bomb guard: the floor left out of the bound", S, "icap-server/core/sk_decode.c",
     "        b = lim->floor + lim->ratio * in;", "        b = lim->ratio * in;",
     r"^(unit\.test_decode_guard)$"),
    ("bomb guard: the chain decoder stops at its bound instead of past it", N, "icap-server/core/sk_decode.c",
     "    if (d->out_total > sk_decode_bound(&d->lim, d->in_total)) {", "    if (d->out_total >= sk_decode_bound(&d->lim, d->in_total)) {",
     r"^(unit\.test_decode_guard)$"),
    ("bomb guard: a whole-object check over its bound reported OK", S, "icap-server/core/sk_stream.c",
     "    return rc == -2   ? SK_DECODE_LIMIT", "    return rc == -2   ? SK_DECODE_OK",
     r"^(unit\.test_decode_guard|unit\.test_vs_limits)$"),
    ("bomb guard: the whole-object check bounded by out_max only", S, "icap-server/core/sk_stream.c",
     "sk_stream_decode(c, p, n, sk_decode_bound(lim, n), &used, sk_stream_count, &got);", "sk_stream_decode(c, p, n, lim->out_max, &used, sk_stream_count, &got);",
     r"^(unit\.test_decode_guard|unit\.test_vs_limits)$"),
    ("stream: xz -9 over the stream reader's memory limit (corrupt)", S, "icap-server/core/sk_stream.c",
     "lzma_stream_decoder(&d->xz, SK_XZ_MEMLIMIT, 0)", "lzma_stream_decoder(&d->xz, 64u << 20, 0)",
     r"^(unit\.test_decode_guard)$"),
    ("av: libclamav inflates gzip/bzip2/xz with no guard before it", S, "modules/virus_scan/vs_engine.c",
     "    return sk_vs_pre_guard(sc, fd, type, top, view);", "    return (void)sk_vs_pre_guard, CL_CLEAN;",
     r"^(unit\.test_vs_engine)$"),
    ("av: bzip2 not among the types the guard checks", S, "modules/virus_scan/vs_guard.c",
     "strcmp(type, \"CL_TYPE_BZ\") == 0", "strcmp(type, \"CL_TYPE_BZ2\") == 0",
     r"^(" + VS_UNIT + r")$"),
    ("av: a member libclamav reads in place (cpio) not checked", S, "modules/virus_scan/vs_engine.c",
     "    if (!sc->lim || c == 0 || (view && (sc->views_checked & 1u << c)))", "    if (!sc->lim || c == 0 || view)",
     r"^(unit\.test_vs_engine)$"),
    ("av: a view of the body in memory looked for in a descriptor", S, "modules/virus_scan/vs_engine.c",
     "    int mem = top || (view && fd < 0);", "    int mem = top;",
     r"^(unit\.test_vs_engine)$"),
    ("av: a bomb stopped by the guard named a size limit", N, "modules/virus_scan/vs_engine.c",
     "                 : sc->over_ratio ? \"DecodeRatio\"", "                 : sc->over_ratio ? \"MaxScanSize\"",
     r"^(unit\.test_vs_engine)$"),
    ("av: the engine's scans never get the decode ratio (no guard before libclamav)", S, "modules/virus_scan/vs_module.c",
     "    s->limits.decode_ratio = sk_vs_g->conf.decode_ratio;", "    s->limits.decode_ratio = 0;",
     r"^(" + VS_UNIT + r")$"),
    ("dlp: compressed files and Content-Encoding decoded with no ratio", S, "modules/dlp/dlp_body.c",
     ".out_max = UINT64_MAX, .ratio = ctx->decode_ratio, .floor = ctx->decode_floor};", ".out_max = UINT64_MAX, .ratio = 0, .floor = ctx->decode_floor};",
     r"^(unit\.test_dlp_archives)$"),
    ("dlp: streams after a prefix decoded with no ratio", S, "modules/dlp/dlp_stream.c",
     "    if (o->out > sk_decode_bound(&lim, o->in)) {", "    if (0) {",
     r"^(unit\.test_dlp_archives)$"),
    ("dlp: the decode-max-ratio option never reaches the transaction", S, "modules/dlp/dlp_module.c",
     "    s->ctx.decode_ratio = cfg->decode_ratio;", "    s->ctx.decode_ratio = 0;",
     r"^(unit\.test_dlp_archives)$"),
    # --- session 11: the guard across a reconfigure (SIGHUP, policy reloads)
    ("guard: a reconfigure adds the CA file's certificates to the old set (a CA taken out stays trusted)", S,
     "icap-server/guard/sk_conn_guard.c",
     "    sk_client_cas = fresh; /* NULL (no memory) trusts nothing either */\n    sk_X509_pop_free(old, X509_free);",
     "    if (old && fresh) {\n        while (sk_X509_num(fresh) > 0)\n            sk_X509_push(old, sk_X509_pop(fresh));\n        sk_X509_free(fresh);\n        fresh = old;\n    }\n    sk_client_cas = fresh;",
     r"^(hostile\.guard)$"),
    ("guard: an ICAPS client whose address c-icap left empty is refused as '?'", S,
     "icap-server/guard/sk_conn_guard.c",
     "    sk_fill_claddr(conn);\n", "    (void)sk_fill_claddr;\n",
     r"^(hostile\.guard|integration\.icap)$"),
]

# Where a module is being restructured (parallel branches), a mutant may list
# alternative (file, snippet, replacement) for the new layout: the first one
# whose snippet occurs exactly once is applied. Same bug, other code shape.
ALTERNATIVES = {
    "guard: accepts decreasing Encapsulated offsets": [
        ("icap-server/guard/sk_icap_syntax.c", "    if (e->off[i] <= e->off[i - 1])",
         "    if (e->off[i] < e->off[i - 1] && 0)")],
    "guard: logs its refusal but lets the request through": [
        ("icap-server/guard/sk_guard.c",
         "        ci_debug_printf(1, \"sekisho_guard: refusing request: %s\\n\", why);\n        return CI_ACCESS_DENY;",
         "        ci_debug_printf(1, \"sekisho_guard: refusing request: %s\\n\", why);\n        return CI_ACCESS_UNKNOWN;")],
    "guard: switched off entirely": [
        ("icap-server/guard/sk_icap_syntax.c",
         "int sk_icap_headers_check(char *const *lines, int n, long max_preview, const char **why)\n{",
         "int sk_icap_headers_check(char *const *lines, int n, long max_preview, const char **why)\n{\n    return SK_HDR_OK;")],
    "decode(av): decompressed size over av.max-scan-size not a limit": [
        ("icap-server/core/sk_decode.c",
         "    int over = len > d->lim.out_max - s->out_total; /* out_total <= out_max */",
         "    int over = len > d->lim.out_max * 64 - s->out_total;")],
    "decode(av): decompression ratio limit off": [
        ("icap-server/core/sk_decode.c", "    if (d->out_total > sk_decode_bound(&d->lim, d->in_total)) {",
         "    if (d->out_total > sk_decode_bound(&d->lim, d->in_total * 1000)) {")],
    "decode(dlp): inflate budget never runs out": [
        ("modules/dlp/dlp_body.c", "    if (len > d->ctx->budget) {", "    if (len > d->ctx->budget && 0) {")],
    "accesslog: backslash not escaped": [
        ("icap-server/toolkit/sk_text.c", "    if (c == '\\\\')\n        return \"\\\\\\\\\";",
         "    if (c == '\\\\' && 0)\n        return \"\\\\\\\\\";")],
    "accesslog: control characters copied raw": [
        ("icap-server/toolkit/sk_text.c", "    if (c >= 0x20 && c != 0x7f)\n        return NULL;\n    snprintf(tmp, 8,",
         "    return NULL;\n    snprintf(tmp, 8,")],
    "page: '<' not escaped in block pages": [
        ("icap-server/toolkit/sk_text.c", "        return \"&lt;\";", "        return \"<\";")],
}

def main():
    root = sys.argv[1]
    args = sys.argv[2:]
    opt = {"tree": root, "only": None, "list": False, "keep": False, "md": None, "baseline": True}
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("--tree", "--only", "--markdown"):
            if i + 1 >= len(args):
                sys.exit("mutants.sh: %s needs a value" % a)
            opt[{"--tree": "tree", "--only": "only", "--markdown": "md"}[a]] = args[i + 1]
            i += 2
            continue
        if a == "--list":
            opt["list"] = True
        elif a == "--keep":
            opt["keep"] = True
        elif a == "--no-baseline":
            opt["baseline"] = False
        elif a in ("-h", "--help"):
            with open(os.path.join(root, "contrib", "mutants.sh")) as f:
                for ln in f.read().splitlines()[1:31]:
                    print(ln[2:] if ln.startswith("# ") else ln.lstrip("#"))
            return 0
        else:
            sys.exit("mutants.sh: unknown argument %s" % a)
        i += 1
    names = [m[0] for m in MUTANTS]
    if len(set(names)) != len(names):
        sys.exit("mutants.sh: duplicate mutant names")
    if set(ALTERNATIVES) - set(names):
        sys.exit("mutants.sh: alternatives for unknown mutants: %s" % (set(ALTERNATIVES) - set(names)))
    todo = [m for m in MUTANTS if not opt["only"] or re.search(opt["only"], m[0])]
    if opt["list"]:
        return list_only(opt["tree"], todo)
    return run(opt, todo)

def variants(m):
    return [(m[2], m[3], m[4])] + ALTERNATIVES.get(m[0], [])

def pick(tree, m):
    """The first (file, snippet, replacement) whose snippet occurs exactly
    once, or None; and what was found, for the STALE message."""
    seen = []
    for rel, old, new in variants(m):
        try:
            with open(os.path.join(tree, rel)) as f:
                c = f.read().count(old)
        except OSError:
            c = 0
        if c == 1:
            return (rel, old, new), seen
        seen.append("%s: %d" % (rel, c))
    return None, seen

def count_in(tree, m):
    return 1 if pick(tree, m)[0] else 0

def registered(tree):
    """The ctest names the build registers (tests/expected_tests.txt)."""
    names = set()
    with open(os.path.join(tree, "tests", "expected_tests.txt")) as f:
        for ln in f:
            ln = ln.split("#", 1)[0].strip()
            if ln:
                names.add(ln.split()[0])
    return names

def missing_tests(known, m):
    """The test names in the mutant's "^(a|b)$" regex that no longer exist."""
    mm = re.fullmatch(r"\^\((.*)\)\$", m[5])
    names = [n.replace("\\.", ".") for n in (mm.group(1) if mm else m[5]).split("|")]
    return [n for n in names if n not in known]

def list_only(tree, todo):
    bad = 0
    known = registered(tree)
    for m in todo:
        chosen, seen = pick(tree, m)
        gone = missing_tests(known, m)
        state = "ok" if chosen and not gone else "STALE (" + ", ".join(
            seen + ["no test %s" % t for t in gone]) + ")"
        bad += chosen is None or bool(gone)
        print("%-4s %-58s %-44s %s" % ("S" if m[1] else "", m[0], chosen[0] if chosen else m[2], state))
    print("%d mutants, %d security, %d stale" % (len(todo), sum(1 for m in todo if m[1]), bad))
    return 1 if bad else 0

def sh(cmd, cwd, log=None, timeout=None):
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout)
    out = p.stdout.decode("utf-8", "replace")
    if log:
        with open(log, "a") as f:
            f.write("$ %s\n%s\n" % (" ".join(cmd), out))
    return p.returncode, out

def ctest(build, regex, log):
    rc, out = sh(["ctest", "--test-dir", build, "-R", regex, "--output-on-failure",
                  "--no-tests=error", "-j1"], build, log, timeout=3600)
    failed = re.findall(r"^\s*\d+ - (\S+) \(", out, re.M)
    check = ""
    m = re.search(r"^(FAIL \S.*|\[  FAILED  \] \S.*|.*Assertion.*|.*assert.*fail.*)$", out, re.M)
    if m:
        check = m.group(1).strip()
    return rc, failed, check, out

def copy_tree(src, dst):
    ignore = shutil.ignore_patterns(".git", "build", "build-*", "__pycache__")
    shutil.copytree(src, dst, ignore=ignore, symlinks=True)

def run(opt, todo):
    t0 = time.monotonic()
    work = tempfile.mkdtemp(prefix="sekisho-mutants.")
    src, build, log = os.path.join(work, "src"), os.path.join(work, "build"), os.path.join(work, "log.txt")
    print("mutants.sh: copying %s to %s (log: %s)" % (opt["tree"], src, log), flush=True)
    copy_tree(opt["tree"], src)
    rc, out = sh(["cmake", "-S", src, "-B", build, "-DSEKISHO_SANITIZE="], work, log)
    if rc == 0:
        rc, out = sh(["cmake", "--build", build, "-j2"], work, log)
    if rc != 0:
        print(out[-3000:])
        sys.exit("mutants.sh: the unmodified tree does not build")
    broken = set()
    if opt["baseline"]:
        regex = "|".join("(%s)" % m[5] for m in todo)
        rc, failed, _c, _o = ctest(build, regex, log)
        broken = set(failed)
        if broken:
            print("mutants.sh: WARNING: failing without any mutation (cannot catch): %s"
                  % ", ".join(sorted(broken)), flush=True)
    rows = []
    for n, m in enumerate(todo, 1):
        name, sec, regex = m[0], m[1], m[5]
        t = time.monotonic()
        chosen, seen = pick(src, m)
        if chosen is None:
            rows.append((name, sec, "STALE", "", "snippet found " + ", ".join(seen), 0))
        else:
            rel, old, new = chosen
            path = os.path.join(src, rel)
            with open(path) as f:
                orig = f.read()
            with open(path, "w") as f:
                f.write(orig.replace(old, new, 1))
            try:
                brc, bout = sh(["cmake", "--build", build, "-j2"], work, log)
                if brc != 0:
                    err = [ln for ln in bout.splitlines() if "error" in ln][:1]
                    rows.append((name, sec, "BUILD", "", err[0] if err else "build failed", 0))
                else:
                    trc, failed, check, tout = ctest(build, regex, log)
                    catchers = [x for x in failed if x not in broken]
                    if "No tests were found" in tout:
                        rows.append((name, sec, "NO-TESTS", "", "regex matches no test", 0))
                    elif trc != 0 and catchers:
                        rows.append((name, sec, "caught", ",".join(catchers), check, 0))
                    else:
                        rows.append((name, sec, "SURVIVED", "", "", 0))
            finally:
                with open(path, "w") as f:
                    f.write(orig)
        r = rows[-1]
        rows[-1] = r[:5] + (time.monotonic() - t,)
        print("[%2d/%d] %-9s %s%s%s" % (n, len(todo), r[2], name, "  <- " + r[3] if r[3] else "",
                                        ("  (" + r[4][:100] + ")") if r[4] else ""), flush=True)
    sh(["cmake", "--build", build, "-j2"], work, log)  # leave the copy unmodified
    report(rows, opt, time.monotonic() - t0)
    if opt["keep"]:
        print("mutants.sh: kept %s" % work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    scored = [r for r in rows if r[2] != "BUILD"]
    return 0 if all(r[2] == "caught" for r in scored) else 1

def score(rows):
    scored = [r for r in rows if r[2] != "BUILD"]
    caught = sum(1 for r in scored if r[2] == "caught")
    return caught, len(scored)

def report(rows, opt, dt):
    c, n = score(rows)
    sc, sn = score([r for r in rows if r[1]])
    lines = ["| mutant | security | result | caught by | first failing check |",
             "|---|---|---|---|---|"]
    for name, sec, res, by, check, _t in rows:
        cell = check.replace("|", "\\|")[:110]
        lines.append("| %s | %s | %s | %s | %s |" % (name.replace("|", "\\|"), "yes" if sec else "",
                                                     res if res == "caught" else "**%s**" % res,
                                                     by, cell))
    total = ("score: %d/%d caught (%.0f%%); security decisions %d/%d (%.0f%%); "
             "%d stale, %d not compiling (excluded); %.0f s"
             % (c, n, 100.0 * c / max(n, 1), sc, sn, 100.0 * sc / max(sn, 1),
                sum(1 for r in rows if r[2] == "STALE"), sum(1 for r in rows if r[2] == "BUILD"), dt))
    print()
    print("\n".join(lines))
    print()
    print(total)
    if opt["md"]:
        with open(opt["md"], "w") as f:
            f.write("\n".join(lines) + "\n\n" + total + "\n")

sys.exit(main())
PYEOF
