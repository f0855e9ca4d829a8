/* sk_ident.c - client/server address, user and group decoding.
 * SECURITY: parses client-controlled ICAP headers (the proxy's, or the
 * client's through a proxy that forwards them); output is bounded, valid
 * UTF-8 or the input's own bytes minus control characters, and still
 * escaped again wherever it is written. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "sk_ident.h"
#include "sekisho/text.h"

int sk_ident_client_ip(const char *hdr, char *out, size_t size)
{
    size_t n = 0;

    if (size)
        out[0] = '\0';
    if (!hdr)
        return -1;
    while (*hdr == ' ' || *hdr == '\t')
        hdr++;
    for (const char *p = hdr; *p && *p != ' ' && *p != '\t' && *p != '\r'; p++, n++) {
        if (!isxdigit((unsigned char)*p) && *p != '.' && *p != ':')
            return -1;
    }
    if (n == 0 || n >= size || n > 45)
        return -1;
    memcpy(out, hdr, n);
    out[n] = '\0';
    return 0;
}

/* Strict base64 decode; -1 unless the whole input is canonical base64 of
 * valid UTF-8 without control characters. A plain name can look like
 * base64 ("john" has four base64 letters) but then decodes to invalid
 * UTF-8 or control bytes nearly always, so it is kept as it is. */
static int sk_b64_text(const char *in, size_t len, char *out, size_t size)
{
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0, pad = 0;

    if (len == 0 || len % 4 != 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        int v;
        if (in[i] == '=') {
            if (i < len - 2)
                return -1;
            pad++;
            continue;
        }
        if (pad || (v = sk_b64_digit((unsigned char)in[i], 0)) < 0)
            return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            unsigned char c = (unsigned char)(acc >> bits);
            if (c < 0x20 || c == 0x7f || o + 1 >= size)
                return -1;
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
    return o && sk_utf8_valid(out, o) ? 0 : -1;
}

/* Does s[0..n) start with "attr=" for an LDAP attribute name? *alen gets
 * the name's length. */
static int sk_rdn_attr(const char *s, size_t n, size_t *alen)
{
    size_t i = 0;

    while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '-'))
        i++;
    *alen = i;
    return i > 0 && i < n && s[i] == '=' && isalpha((unsigned char)s[0]);
}

/* The user/group part of an RDN "cn=..." or "uid=...". */
static int sk_rdn_is_name(const char *s, size_t n)
{
    size_t a;

    return sk_rdn_attr(s, n, &a) &&
           ((a == 2 && strncasecmp(s, "cn", 2) == 0) || (a == 3 && strncasecmp(s, "uid", 3) == 0));
}

/* Appends c to out[*o] unless it is a control character or out is full. */
static void sk_put_c(char *out, size_t size, size_t *o, char c)
{
    if ((unsigned char)c < 0x20 || c == 0x7f || *o + 1 >= size)
        return;
    out[(*o)++] = c;
}

/* One name (already base64-decoded) into out[*o..]: WinNT://D/x -> D\x,
 * LDAP://host/DN and a DN -> first RDN value, anything else as it is. */
static void sk_ident_name(const char *s, size_t n, char *out, size_t size, size_t *o)
{
    while (n > 0 && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n > 8 && strncasecmp(s, "WinNT://", 8) == 0) {
        for (size_t i = 8; i < n; i++)
            sk_put_c(out, size, o, s[i] == '/' ? '\\' : s[i]);
        return;
    }
    if (n > 7 && strncasecmp(s, "LDAP://", 7) == 0) {
        const char *slash = memchr(s + 7, '/', n - 7);
        if (slash != NULL) { /* LDAP://host[:port]/DN */
            n -= (size_t)(slash + 1 - s);
            s = slash + 1;
        }
    }
    if (sk_rdn_is_name(s, n)) {
        /* the first RDN's value, RFC 4514 escapes read ("\," "\2C");
         * one that does not read names nothing */
        size_t i = (size_t)((const char *)memchr(s, '=', n) - s) + 1;
        char v[512];
        long vn = sk_dn_value(s + i, n - i, v, sizeof(v), NULL);
        for (long k = 0; k < vn; k++)
            sk_put_c(out, size, o, v[k]);
        return;
    }
    for (size_t i = 0; i < n; i++)
        sk_put_c(out, size, o, s[i]);
}

/* Skip blanks and an optional "Basic " some clients put before base64;
 * *len gets the length of the value up to the line end. */
static const char *sk_ident_value(const char *hdr, size_t *len)
{
    while (*hdr == ' ' || *hdr == '\t')
        hdr++;
    if (strncasecmp(hdr, "Basic ", 6) == 0)
        hdr += 6;
    *len = strcspn(hdr, "\r\n");
    while (*len > 0 && (hdr[*len - 1] == ' ' || hdr[*len - 1] == '\t'))
        (*len)--;
    return hdr;
}

int sk_ident_user_encoding(const char *s, enum sk_user_encoding *out)
{
    static const char *const names[] = {
        [SK_USER_PLAIN] = "plain", [SK_USER_BASE64] = "base64", [SK_USER_AUTO] = "auto"};

    for (size_t i = 0; s != NULL && i < sizeof(names) / sizeof(names[0]); i++)
        if (strcasecmp(s, names[i]) == 0) {
            *out = (enum sk_user_encoding)i;
            return 0;
        }
    return -1;
}

enum sk_user_encoding sk_ident_group_encoding(int group, enum sk_user_encoding user)
{
    if (group >= SK_USER_PLAIN && group <= SK_USER_AUTO)
        return (enum sk_user_encoding)group;
    return user == SK_USER_PLAIN ? SK_USER_PLAIN : SK_USER_AUTO;
}

/* The value without "LDAP://host[:port]/" when it is a user's DN
 * ("cn=..." or "uid=..."), else NULL. */
static const char *sk_ident_user_dn(const char *s, size_t *n)
{
    while (*n > 0 && (*s == ' ' || *s == '\t'))
        s++, (*n)--;
    if (*n > 7 && strncasecmp(s, "LDAP://", 7) == 0) {
        const char *slash = memchr(s + 7, '/', *n - 7);
        if (slash != NULL) {
            *n -= (size_t)(slash + 1 - s);
            s = slash + 1;
        }
    }
    return sk_rdn_is_name(s, *n) ? s : NULL;
}

void sk_ident_user(const char *hdr, enum sk_user_encoding enc, char *out, size_t size)
{
    char decoded[512], name[1024];
    const char *src, *dn;
    size_t len, o = 0;

    if (!size)
        return;
    out[0] = '\0';
    if (!hdr)
        return;
    if (enc == SK_USER_PLAIN) {
        len = strcspn(hdr, "\r\n");
        src = hdr;
    } else {
        src = sk_ident_value(hdr, &len);
        if (sk_b64_text(src, len, decoded, sizeof(decoded)) == 0) {
            src = decoded;
            len = strlen(decoded);
        } else if (enc == SK_USER_BASE64) {
            return; /* not what this proxy sends: nobody, not a guess */
        }
    }
    if ((dn = sk_ident_user_dn(src, &len)) != NULL) {
        while (len > 0 && (dn[len - 1] == ' ' || dn[len - 1] == '\t'))
            len--;
        for (size_t i = 0; i < len; i++)
            sk_put_c(name, sizeof(name), &o, dn[i]);
    } else {
        sk_ident_name(src, len, name, sizeof(name), &o);
    }
    /* a cut name, a DN above all, may be someone else's: none instead */
    if (o + 1 >= sizeof(name) || o >= size)
        return;
    memcpy(out, name, o);
    out[o] = '\0';
}

/* Length of the list item at s (up to an unescaped comma). */
static size_t sk_item_len(const char *s, size_t n)
{
    size_t i = 0;

    while (i < n && s[i] != ',') {
        if (s[i] == '\\' && i + 1 < n)
            i++;
        i++;
    }
    return i < n ? i : n;
}

/* One item of a group list into out, comma-separated from the previous;
 * an item that does not fit whole is dropped. */
static void sk_group_item(const char *s, size_t n, enum sk_user_encoding enc, char *out,
                          size_t size, size_t *o)
{
    char decoded[512];
    size_t a, start = *o;

    while (n > 0 && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    /* base64 first: padding "...cg==" would pass for "attr=" below, while
     * an RDN's "=value" is never canonical base64 */
    if (enc != SK_USER_PLAIN && sk_b64_text(s, n, decoded, sizeof(decoded)) == 0) {
        s = decoded;
        n = strlen(decoded);
    } else if (enc == SK_USER_BASE64) {
        return; /* not what this proxy sends: no group, not a guess */
    } else if (n == 0 || (sk_rdn_attr(s, n, &a) && !sk_rdn_is_name(s, n))) {
        return; /* empty, or the rest of the previous DN ("ou=...") */
    }
    if (start > 0)
        sk_put_c(out, size, o, ',');
    sk_ident_name(s, n, out, size, o);
    /* Truncated, empty, or a name with an (escaped) comma, which the list
     * cannot carry: the resolver would read two groups. */
    if (*o + 1 >= size || *o == start + (start > 0) ||
        memchr(out + start + (start > 0), ',', *o - start - (start > 0)) != NULL)
        *o = start;
}

void sk_ident_groups(const char *hdr, enum sk_user_encoding enc, char *out, size_t size)
{
    char decoded[SK_IDENT_GROUPS_MAX];
    const char *src;
    size_t len, o = 0;

    if (!size)
        return;
    out[0] = '\0';
    if (!hdr)
        return;
    src = sk_ident_value(hdr, &len);
    if (enc != SK_USER_PLAIN && sk_b64_text(src, len, decoded, sizeof(decoded)) == 0) {
        src = decoded; /* ProxySG: the whole list is one base64 text */
        len = strlen(decoded);
        enc = SK_USER_PLAIN;
    }
    while (len > 0) {
        size_t n = sk_item_len(src, len);
        sk_group_item(src, n, enc, out, size, &o);
        src += n;
        len -= n;
        if (len > 0) { /* the comma */
            src++;
            len--;
        }
    }
    out[o] = '\0';
}

void sk_ident_read(struct sk_ident *id, sk_ident_get_fn get, void *ctx, const char *user_header,
                   enum sk_user_encoding enc, enum sk_user_encoding genc)
{
    static const char *const defaults[] = {"X-Authenticated-User", "X-Client-Username", NULL};
    const char *v = NULL;

    sk_ident_client_ip(get(ctx, "X-Client-IP"), id->client_ip, sizeof(id->client_ip));
    sk_ident_client_ip(get(ctx, "X-Server-IP"), id->server_ip, sizeof(id->server_ip));
    if (user_header && user_header[0])
        v = get(ctx, user_header);
    for (int i = 0; !v && defaults[i] && !(user_header && user_header[0]); i++)
        v = get(ctx, defaults[i]);
    sk_ident_user(v, enc, id->user, sizeof(id->user));
    sk_ident_groups(get(ctx, "X-Authenticated-Groups"), genc, id->groups, sizeof(id->groups));
}
