/* sk_mp_sniff.c - is a body a mail message, or an mbox? By media type,
 * file name, or its first bytes (bounded: 512), as Python's email and
 * mailbox modules would read it.
 * SECURITY: reads client-controlled bytes; no state.
 */
#include <string.h>
#include <strings.h>

#include "sekisho/decode.h"
#include "sekisho/text.h"

#define SK_MP_SNIFF  512 /* bytes sk_mp_is_message reads */
#define SK_MBOX_LEAD 4   /* lines before an mbox's first "From " line */

int sk_mp_is_mbox(const char *ct, const char *name, const unsigned char *p, size_t n)
{
    static const char *const exts[] = {".mbox", NULL};
    char mt[128];

    sk_media_type(ct, mt, sizeof(mt));
    if (strcmp(mt, "application/mbox") == 0 || sk_name_ext(name, exts))
        return 1;
    /* mailbox.mbox skips what comes before the first "From " line: a BOM,
     * blank lines, a few lines of anything (bounded: SK_MBOX_LEAD lines
     * within the first 512 bytes) */
    size_t i = n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0 ? 3 : 0, lim = n < 512 ? n : 512;
    for (int line = 0; line <= SK_MBOX_LEAD && i < lim; line++) {
        if (lim - i >= 5 && memcmp(p + i, "From ", 5) == 0)
            return 1;
        const unsigned char *e = memchr(p + i, '\n', lim - i);
        if (!e)
            break;
        i = (size_t)(e - p) + 1;
    }
    return 0;
}

static int sk_ascii_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* The fields that make a message's body something to decode. */
static const char *const sk_mp_mime_fields[] = {"content-type", "content-transfer-encoding",
                                                "mime-version"};

int sk_mp_message_like(const unsigned char *p, size_t n)
{
    size_t i = 0, fields = 0;
    int mime = 0, ended = 0, words = 0, eol = 0;

    if (n >= 5 && memcmp(p, "From ", 5) == 0) { /* an mbox "From " line */
        const unsigned char *e = memchr(p, '\n', n);
        i = e ? (size_t)(e - p) + 1 : n;
    }
    while (i < n) {
        const unsigned char *e = memchr(p + i, '\n', n - i);
        size_t len = (e ? (size_t)(e - p) : n) - i;
        if (len && p[i + len - 1] == '\r')
            len--;
        if (len == 0 && e) {
            ended = 1; /* the end of the header section */
            break;
        }
        words |= memmem(p + i, len, "=?", 2) != NULL; /* an RFC 2047 encoded word */
        if (p[i] == ' ' || p[i] == '\t' || (len >= 5 && memcmp(p + i, "From ", 5) == 0)) {
            /* a continuation (also of nothing: email.feedparser takes it
             * as a defect), or a misplaced "From " line */
        } else {
            /* a field name: a letter or digit (so JSON and markup are not
             * taken), then printable ASCII but ':' (as email.feedparser
             * reads one), then ':' */
            size_t k = 0;
            while (k < len && p[i + k] > ' ' && p[i + k] < 127 && p[i + k] != ':')
                k++;
            if (!sk_ascii_alnum(p[i]) || (k < len && p[i + k] != ':') || (k == len && e)) {
                if (!fields)
                    return 0;
                ended = 1; /* a line that is no field ends the section (email.feedparser) */
                break;
            }
            if (k < len) {
                fields++;
                for (size_t f = 0; f < sizeof(sk_mp_mime_fields) / sizeof(*sk_mp_mime_fields); f++)
                    mime |= k == strlen(sk_mp_mime_fields[f]) &&
                            strncasecmp((const char *)p + i, sk_mp_mime_fields[f], k) == 0;
            }
        }
        if (!e)
            break; /* cut: what there is fits */
        eol = 1;
        i = (size_t)(e - p) + 1;
    }
    /* a header that reaches no line end in an object shorter than the
     * window has no body: a mail reader decodes nothing in it but its
     * encoded words ("jwV:" and 11 bytes of noise, decoded from a base64
     * run in a .deb, are no message) */
    if (!eol && n < SK_MP_SNIFF)
        return fields && (mime || words);
    return fields && (mime || words || !ended);
}

int sk_mp_is_message(const char *ct, const char *name, const unsigned char *p, size_t n)
{
    static const char *const exts[] = {".eml", ".mht", ".mhtml", NULL};
    char mt[128];

    sk_media_type(ct, mt, sizeof(mt));
    if (strncmp(mt, "message/", 8) == 0) /* email parses every message/ type as a message */
        return 1;
    if (sk_name_ext(name, exts))
        return 1;
    return sk_mp_message_like(p, n < SK_MP_SNIFF ? n : SK_MP_SNIFF);
}
