/* sk_ident.c - client address and user name decoding.
 * SECURITY: parses client-controlled ICAP headers; output is printable
 * and bounded, still escaped again wherever it is written. */
#include <ctype.h>
#include <string.h>

#include "sk_ident.h"

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

static int sk_b64val(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Strict base64 decode; -1 unless the whole input is canonical base64
 * whose output is printable text (so a plain "alice" stays "alice"). */
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
        if (pad || (v = sk_b64val((unsigned char)in[i])) < 0)
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
    return o ? 0 : -1;
}

void sk_ident_user(const char *hdr, char *out, size_t size)
{
    char decoded[512];
    const char *src;
    size_t len, o = 0;

    if (!size)
        return;
    out[0] = '\0';
    if (!hdr)
        return;
    while (*hdr == ' ' || *hdr == '\t')
        hdr++;
    len = strcspn(hdr, " \t\r\n");
    if (strncasecmp(hdr, "Basic ", 6) == 0) { /* some clients prefix it */
        hdr += 6;
        len = strcspn(hdr, " \t\r\n");
    }
    src = sk_b64_text(hdr, len, decoded, sizeof(decoded)) == 0 ? decoded : hdr;
    if (src == hdr)
        len = strcspn(hdr, "\r\n");
    else
        len = strlen(decoded);
    if (len > 8 && strncasecmp(src, "WinNT://", 8) == 0) {
        src += 8;
        len -= 8;
        for (size_t i = 0; i < len && o + 1 < size; i++) {
            unsigned char c = (unsigned char)src[i];
            if (c < 0x20 || c == 0x7f)
                continue;
            out[o++] = c == '/' ? '\\' : (char)c;
        }
        out[o] = '\0';
        return;
    }
    for (size_t i = 0; i < len && o + 1 < size; i++) {
        unsigned char c = (unsigned char)src[i];
        if (c >= 0x20 && c != 0x7f)
            out[o++] = (char)c;
    }
    out[o] = '\0';
}
