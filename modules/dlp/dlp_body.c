/* dlp_body.c - chooses the decoder chain of a body or a part from its
 * Content-Type, Content-Encoding and file name; header parameter parsing.
 * SECURITY: every header here is client-controlled; an unknown or lying
 * type never means "skip": the fallback is the text sniffer over the raw
 * bytes.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dlp.h"

#define SK_DLP_MAX_DEPTH 3

void sk_dlp_media_type(const char *value, char *out, size_t size)
{
    size_t o = 0;

    if (value)
        for (; *value == ' ' || *value == '\t'; value++)
            ;
    for (; value && *value && *value != ';' && *value != ' ' && o + 1 < size; value++)
        out[o++] = (char)tolower((unsigned char)*value);
    out[o] = '\0';
}

int sk_dlp_param(const char *value, const char *name, char *out, size_t size)
{
    size_t nl = strlen(name), o = 0;
    const char *p = value;

    while (p && (p = strchr(p, ';')) != NULL) {
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncasecmp(p, name, nl) != 0 || p[nl] != '=')
            continue;
        p += nl + 1;
        if (*p == '"') {
            for (p++; *p && *p != '"' && o + 1 < size; p++) {
                if (*p == '\\' && p[1])
                    p++;
                out[o++] = *p;
            }
        } else {
            for (; *p && *p != ';' && *p != ' ' && *p != '\t' && o + 1 < size; p++)
                out[o++] = *p;
        }
        out[o] = '\0';
        /* RFC 5987 filename*=UTF-8''name: keep the name part */
        char *q = strstr(out, "''");
        if (name[nl - 1] == '*' && q)
            memmove(out, q + 2, strlen(q + 2) + 1);
        return 0;
    }
    return -1;
}

static int sk_ext(const char *name, const char *const *exts)
{
    size_t n = name ? strlen(name) : 0;

    for (int i = 0; n && exts[i]; i++) {
        size_t k = strlen(exts[i]);
        if (n > k && strcasecmp(name + n - k, exts[i]) == 0)
            return 1;
    }
    return 0;
}

static int sk_is_zip(const char *mt, const char *name)
{
    static const char *const ext[] = {".zip", ".docx", ".xlsx", ".pptx", ".docm", ".xlsm",
                                      ".pptm", ".odt", ".ods", ".odp", NULL};
    return strcmp(mt, "application/zip") == 0 || strcmp(mt, "application/x-zip-compressed") == 0 ||
           strcmp(mt, "application/x-zip") == 0 ||
           strncmp(mt, "application/vnd.openxmlformats-officedocument.", 46) == 0 ||
           strncmp(mt, "application/vnd.oasis.opendocument.", 35) == 0 || sk_ext(name, ext);
}

static int sk_is_gzip(const char *mt, const char *name)
{
    static const char *const ext[] = {".gz", ".tgz", NULL};
    return strcmp(mt, "application/gzip") == 0 || strcmp(mt, "application/x-gzip") == 0 ||
           sk_ext(name, ext);
}

static int sk_is_json(const char *mt, const char *name)
{
    static const char *const ext[] = {".json", NULL};
    size_t n = strlen(mt);
    return strcmp(mt, "application/json") == 0 || strcmp(mt, "text/json") == 0 ||
           (n > 5 && strcmp(mt + n - 5, "+json") == 0) || sk_ext(name, ext);
}

struct sk_dlp_sink *sk_dlp_object_new(struct sk_dlp_ctx *ctx, const char *content_type,
                                      const char *name, int depth)
{
    char mt[128], charset[40] = "", boundary[256];
    struct sk_dlp_sink *norm, *s;

    sk_dlp_media_type(content_type, mt, sizeof(mt));
    sk_dlp_param(content_type, "charset", charset, sizeof(charset));
    if (strncmp(mt, "multipart/", 10) == 0 && depth < SK_DLP_MAX_DEPTH &&
        sk_dlp_param(content_type, "boundary", boundary, sizeof(boundary)) == 0 &&
        (s = sk_dlp_multipart_new(ctx, boundary)) != NULL)
        return s;
    if (sk_is_zip(mt, name) && depth < SK_DLP_MAX_DEPTH)
        return sk_dlp_zip_new(ctx, name);
    if (sk_is_gzip(mt, name) && depth < SK_DLP_MAX_DEPTH) {
        norm = sk_dlp_norm_new(ctx, NULL);
        return norm ? sk_dlp_decompress_new(ctx, "gzip", norm) : NULL;
    }
    if ((norm = sk_dlp_norm_new(ctx, *charset ? charset : NULL)) == NULL)
        return NULL;
    if (sk_is_json(mt, name))
        return sk_dlp_json_new(norm);
    if (strcmp(mt, "application/x-www-form-urlencoded") == 0)
        return sk_dlp_urlenc_new(norm);
    return norm; /* text, XML and anything else: sniffed bytes */
}

struct sk_dlp_sink *sk_dlp_body_new(struct sk_dlp_ctx *ctx, const char *content_type,
                                    const char *content_encoding)
{
    struct sk_dlp_sink *s = sk_dlp_object_new(ctx, content_type, NULL, 0);
    char tok[32];

    /* "gzip, br" was applied gzip first: the last one listed is undone first,
     * so it wraps the chain last. */
    for (const char *p = content_encoding; s && p && *p;) {
        size_t n;
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        n = strcspn(p, " ,\t");
        if (n == 0)
            break;
        snprintf(tok, sizeof(tok), "%.*s", (int)(n < 31 ? n : 31), p);
        p += n;
        if (strcasecmp(tok, "identity") != 0)
            s = sk_dlp_decompress_new(ctx, tok, s);
    }
    return s;
}
