/* sk_pageset.c - one module's block pages: which template file serves
 * which reason, language and kind; per-reason titles and texts; render
 * as the client negotiates (sekisho/page.h).
 * SECURITY: reads administrator template files (regular files, 64 KiB at
 * most); the request values it renders are escaped by sk_tpl_render. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sekisho/page.h"

#define SK_TPL_FILE_MAX (64 * 1024)
#define SK_DIR_MAX      256

static const char *const sk_reason_names[SK_NREASON] = {
    [SK_REASON_GENERIC] = "block",
    [SK_REASON_URL] = "url",
    [SK_REASON_VIRUS] = "virus",
    [SK_REASON_TOO_LARGE] = "too-large",
    [SK_REASON_ENCRYPTED] = "encrypted",
    [SK_REASON_SCAN_ERROR] = "scan-error",
    [SK_REASON_DLP] = "dlp",
    [SK_REASON_FILE_TYPE] = "file-type",
};

static const char *const sk_kind_ext[SK_NKIND] = {"html", "txt"};

struct sk_reason_text {
    const char *title, *message;
};

static const struct sk_reason_text sk_texts[SK_NREASON][SK_NLANG] = {
    [SK_REASON_GENERIC] = {{"Access blocked", "The Sekisho checkpoint blocked this request."},
                           {"アクセスがブロックされました",
                            "Sekisho がこの要求をブロックしました。"}},
    [SK_REASON_URL] =
        {{"Access to this web page is blocked",
          "The Sekisho web gateway blocked this request under your organisation's web access "
          "policy."},
         {"このウェブページへのアクセスはブロックされました",
          "組織のウェブアクセスポリシーにより、Sekisho ウェブゲートウェイがこの要求をブロック"
          "しました。"}},
    [SK_REASON_VIRUS] =
        {{"Virus detected",
          "The Sekisho checkpoint blocked this transfer because it contains a virus or other "
          "threat."},
         {"ウイルスを検出しました",
          "ウイルスなどの脅威が含まれているため、Sekisho がこの転送をブロックしました。"}},
    [SK_REASON_TOO_LARGE] =
        {{"File too large to scan",
          "This file is larger than the Sekisho checkpoint may scan, and your organisation's "
          "policy blocks what cannot be checked. No virus was found: it was not scanned."},
         {"ファイルが大きすぎて検査できません",
          "このファイルは Sekisho が検査できるサイズを超えており、検査できないものは組織の"
          "ポリシーによりブロックされます。ウイルスが見つかったわけではありません。"}},
    [SK_REASON_ENCRYPTED] =
        {{"Encrypted file blocked",
          "This file is an encrypted archive or document, so its contents cannot be checked; "
          "your organisation's policy blocks such files."},
         {"暗号化されたファイルをブロックしました",
          "暗号化されたアーカイブまたは文書のため内容を検査できず、組織のポリシーによりブロック"
          "しました。"}},
    [SK_REASON_SCAN_ERROR] =
        {{"File could not be scanned",
          "The Sekisho checkpoint could not scan this transfer (for example corrupt or "
          "unsupported data), and your organisation's policy blocks what cannot be checked."},
         {"ファイルを検査できませんでした",
          "データの破損や未対応の形式などのため Sekisho がこの転送を検査できず、組織のポリシー"
          "によりブロックしました。"}},
    [SK_REASON_DLP] =
        {{"Information leak prevention",
          "The data you tried to send contains sensitive information and was blocked by your "
          "organisation's information leak prevention policy."},
         {"情報漏えい防止",
          "送信しようとしたデータに機密情報が含まれているため、情報漏えい防止ポリシーにより"
          "ブロックしました。"}},
    [SK_REASON_FILE_TYPE] =
        {{"File type blocked",
          "Your organisation's policy does not allow this type of file to be transferred."},
         {"ファイルタイプがブロックされました",
          "組織のポリシーにより、この種類のファイルの転送は許可されていません。"}},
};

const char *sk_page_reason_name(enum sk_page_reason r)
{
    return (unsigned)r < SK_NREASON ? sk_reason_names[r] : sk_reason_names[0];
}

const char *sk_page_title(enum sk_page_reason r, enum sk_page_lang l)
{
    if ((unsigned)r >= SK_NREASON)
        r = SK_REASON_GENERIC;
    return sk_texts[r][(unsigned)l < SK_NLANG ? l : SK_LANG_EN].title;
}

const char *sk_page_message(enum sk_page_reason r, enum sk_page_lang l)
{
    if ((unsigned)r >= SK_NREASON)
        r = SK_REASON_GENERIC;
    return sk_texts[r][(unsigned)l < SK_NLANG ? l : SK_LANG_EN].message;
}

/* Read PATH (a regular file of at most 64 KiB). 1 read (*data malloc'd),
 * 0 it does not exist, -1 with *err. */
static int sk_read_file(const char *path, char **data, size_t *len, char **err)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    int rc = -1;

    *data = NULL;
    if (f == NULL) {
        if (errno == ENOENT)
            return 0;
        if (asprintf(err, "template %s: %s", path, strerror(errno)) == -1)
            *err = NULL;
        return -1;
    }
    if (fstat(fileno(f), &st) == -1 || !S_ISREG(st.st_mode) || st.st_size > SK_TPL_FILE_MAX) {
        if (asprintf(err, "template %s: not a regular file of at most 64 KiB", path) == -1)
            *err = NULL;
        goto out;
    }
    if ((*data = malloc((size_t)st.st_size + 1)) == NULL ||
        fread(*data, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        if (asprintf(err, "template %s: cannot read it", path) == -1)
            *err = NULL;
        free(*data);
        *data = NULL;
        goto out;
    }
    *len = (size_t)st.st_size;
    rc = 1;
out:
    fclose(f);
    return rc;
}

/* One template: DIR/<reason>.<lang>.<ext>, DIR/block.<lang>.<ext>, or the
 * built-in. 0 or -1 with *err. */
static int sk_pageset_one(struct sk_tpl *t, const char *dir, const char *builtin, int r, int l,
                          int k, char **err)
{
    const char *names[2] = {sk_reason_names[r], sk_reason_names[SK_REASON_GENERIC]};
    char path[SK_DIR_MAX + 64], *data = NULL;
    size_t len = 0;
    int rc;

    for (int i = 0; dir && i < 2; i++) {
        snprintf(path, sizeof(path), "%s/%s.%s.%s", dir, names[i],
                 sk_page_lang_tag((enum sk_page_lang)l), sk_kind_ext[k]);
        if ((rc = sk_read_file(path, &data, &len, err)) == -1)
            return -1;
        if (rc == 1) {
            rc = sk_tpl_parse(t, data, len, path, err);
            free(data);
            return rc;
        }
    }
    snprintf(path, sizeof(path), "built-in block.%s.%s", sk_page_lang_tag((enum sk_page_lang)l),
             sk_kind_ext[k]);
    return sk_tpl_parse(t, builtin, strlen(builtin), path, err);
}

int sk_pageset_load(struct sk_pageset *ps, const char *dir, const struct sk_page_builtin *builtin,
                    const char *option, char **err)
{
    struct stat st;

    memset(ps, 0, sizeof(*ps));
    if (dir && strlen(dir) > SK_DIR_MAX) {
        if (asprintf(err, "%s: directory name longer than %d bytes", option, SK_DIR_MAX) == -1)
            *err = NULL;
        return -1;
    }
    if (dir && (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode))) {
        if (asprintf(err, "%s %s: not a readable directory", option, dir) == -1)
            *err = NULL;
        return -1;
    }
    for (int r = 0; r < SK_NREASON; r++)
        for (int l = 0; l < SK_NLANG; l++)
            for (int k = 0; k < SK_NKIND; k++)
                if (sk_pageset_one(&ps->tpl[r][l][k], dir, builtin->text[l][k], r, l, k, err)) {
                    sk_pageset_free(ps);
                    return -1;
                }
    return 0;
}

void sk_pageset_free(struct sk_pageset *ps)
{
    for (int r = 0; r < SK_NREASON; r++)
        for (int l = 0; l < SK_NLANG; l++)
            for (int k = 0; k < SK_NKIND; k++)
                sk_tpl_free(&ps->tpl[r][l][k]);
}

int sk_pageset_render(const struct sk_pageset *ps, enum sk_page_reason reason,
                      const struct sk_page_req *req, const char *const *vals, struct sk_buf *out,
                      const char **content_type)
{
    enum sk_page_lang lang = sk_page_pick_lang(req->accept_language);
    enum sk_page_kind kind = sk_page_pick_kind(req->http_method, req->accept);
    const char *v[SK_NPV];
    char when[40];
    time_t now = time(NULL);
    struct tm tm;

    if ((unsigned)reason >= SK_NREASON)
        reason = SK_REASON_GENERIC;
    memcpy(v, vals, sizeof(v));
    if (!v[SK_PV_TITLE])
        v[SK_PV_TITLE] = sk_page_title(reason, lang);
    if (!v[SK_PV_MESSAGE])
        v[SK_PV_MESSAGE] = sk_page_message(reason, lang);
    if (!v[SK_PV_TIME]) {
        gmtime_r(&now, &tm);
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
        v[SK_PV_TIME] = when;
    }
    *content_type = kind == SK_PAGE_HTML ? "text/html; charset=utf-8" : "text/plain; charset=utf-8";
    return sk_tpl_render(&ps->tpl[reason][lang][kind], kind, v, out);
}
