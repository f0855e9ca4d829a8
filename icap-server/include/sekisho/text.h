/* sekisho/text.h - the one text toolkit of Sekisho: growable buffer,
 * HTML/JSON/text/header escaping, UTF-8 validation, FNV-1a, and the size
 * and duration grammar of every directive, option and policy setting.
 * SECURITY: the escapers are the only place that turns untrusted bytes
 * into output syntax; none emits a raw quote, angle bracket, CR or LF
 * taken from its input.
 *
 * Layering: this is libsekisho_toolkit (icap-server/toolkit/), a static
 * library that depends on libc only. policy-db (the lowest layer), the
 * server and every module link it; nothing in it calls up into policy-db
 * or the server, so "modules -> icap-server -> policy-db -> toolkit" stays
 * acyclic. It is compiled with hidden visibility: each binary carries its
 * own copy and no toolkit symbol becomes part of srv_sekisho.so's ABI.
 */
#ifndef SEKISHO_TEXT_H
#define SEKISHO_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer. data is NUL-terminated once anything was added
 * (NULL while empty). On allocation failure failed is set, later appends
 * are dropped and return -1: check failed once at the end. */
struct sk_buf {
    char *data;
    size_t len;
    size_t cap;
    int failed;
};

/* Append N bytes / a C string / a formatted string. 0, or -1 (failed). */
int sk_buf_append(struct sk_buf *b, const char *s, size_t n);
int sk_buf_puts(struct sk_buf *b, const char *s);
int sk_buf_printf(struct sk_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sk_buf_free(struct sk_buf *b);
/* Room for EXTRA more bytes (and the NUL) in one allocation, for a caller
 * that knows about how much it will append. 0, or -1 (failed). */
int sk_buf_reserve(struct sk_buf *b, size_t extra);

/* Length of the valid UTF-8 sequence at S (AVAIL bytes available), or 0
 * when it is not valid: overlong forms, surrogates and code points above
 * U+10FFFF are invalid. AVAIL must be >= 1. */
size_t sk_utf8_len(const unsigned char *s, size_t avail);
/* 1 if the LEN bytes at S are valid UTF-8 without NUL bytes, else 0. */
int sk_utf8_valid(const char *s, size_t len);
/* Code point CP (at most U+10FFFF; a larger one is U+FFFD) as UTF-8 into
 * OUT (room for 4 bytes); returns its length (1-4). */
size_t sk_utf8_put(unsigned char *out, uint32_t cp);
/* Byte B of windows-1252 as a code point: 0x80-0x9F its characters (the
 * five it leaves undefined, 0x81 0x8D 0x8F 0x90 0x9D, stay C1 controls),
 * the rest Latin-1. */
uint32_t sk_cp1252(unsigned char b);

/* The HTML character reference at S (N bytes after an '&'), as a browser
 * decodes it in an attribute value: "#37;", "#x25", "#52" before any
 * other byte (';' optional; 0, surrogates and anything over U+10FFFF are
 * U+FFFD, 0x80-0x9F the windows-1252 characters), or a named one with its
 * ';' - HTML's names (the WHATWG list) of the US-ASCII characters
 * ("percnt;", "lpar;", "Tab;"...) and of every character DLP's fold
 * changes: spaces ("nbsp;", "ThinSpace;", "numsp;"), dashes ("hyphen;",
 * "dash;", "minus;", "boxh;"), characters it drops ("shy;", "zwnj;",
 * "ZeroWidthSpace;", "DownBreve;"): the table is sk_charref_names.h,
 * written by contrib/gen_text_tables.py - and the legacy "amp", "lt",
 * "gt", "quot", "nbsp", "shy" also without it, unless a letter, digit or
 * '=' follows (the rule in attributes, where URLs are). The longest name
 * that matches wins. Returns the bytes it takes (';' included) and the
 * code point in *CP, or 0 when S starts no reference (the '&' is a '&').
 * It reads at most the longest name (32 bytes) past S for a named
 * reference, and compares at most one first letter's names. */
size_t sk_html_charref(const unsigned char *s, size_t n, uint32_t *cp);
/* The same in text content (between tags), where a legacy name without
 * its ';' is a reference whatever follows it: "&nbsp1111" is U+00A0 and
 * "1111" (HTML5's tokenizer; Python's html.unescape). */
size_t sk_html_charref_text(const unsigned char *s, size_t n, uint32_t *cp);

/* All escapers below take at most MAX input bytes of S (NULL is ""); a
 * longer input ends with an ellipsis. Invalid UTF-8 (overlong forms and
 * surrogates included) becomes U+FFFD. None lets through, as it is, a
 * character that is invisible and changes what a reader sees: C0 and C1
 * controls, DEL, the separators U+2028/U+2029, and the bidirectional
 * controls U+061C, U+200E/U+200F, U+202A-U+202E and U+2066-U+2069 (a
 * right-to-left override shows "x\u202Egpj.exe" as "xexe.jpg"). */
/* Inside of a JSON string: " \ escaped, \n \t short, the other controls
 * above as \u00XX / \u20XX (the value a JSON reader gets is unchanged; a
 * terminal or a script-embedded copy sees no raw control), invalid UTF-8
 * as \ufffd. Ellipsis: "...". */
void sk_json_escape(struct sk_buf *b, const char *s, size_t max);
/* HTML text or attribute value: & < > " ' as entities, the controls above
 * as U+FFFD. Ellipsis: "&hellip;". */
void sk_html_escape(struct sk_buf *b, const char *s, size_t max);
/* Plain text (text/plain pages, terminal output, mail bodies): the
 * controls above, CR and LF included, become U+FFFD, so CR/LF can never
 * start a new line and no escape sequence reaches a terminal. Ellipsis:
 * "...". */
void sk_text_escape(struct sk_buf *b, const char *s, size_t max);
/* A Prometheus label value (text exposition format 0.0.4): \\ \" and \n
 * escaped as the format says, the other controls above as U+FFFD, invalid
 * UTF-8 as U+FFFD (the format wants UTF-8). Ellipsis: "...". */
void sk_prom_label_escape(struct sk_buf *b, const char *s, size_t max);
/* Copy S into OUT (SIZE bytes) keeping printable US-ASCII only: anything
 * else becomes '?'. For values that go into ICAP/HTTP header lines. */
void sk_header_sanitize(char *out, size_t size, const char *s);

/* 64-bit FNV-1a of LEN bytes, continuing from SEED (0: the FNV offset
 * basis). Stable across runs and hosts: used for ISTags and layouts. */
/* IN (N bytes) as lower-case hex into OUT (2N + 1 bytes, NUL-terminated). */
void sk_hex_encode(const unsigned char *in, size_t n, char *out);
/* Value (0..15) of hexadecimal digit C (either case), or -1. */
int sk_hex_digit(unsigned char c);
/* Does NAME (a file name, may be NULL) end in one of EXTS (".eml", ...;
 * NULL-terminated), in any case, after at least one other character? */
int sk_name_ext(const char *name, const char *const *exts);
/* Value (0..63) of base64 digit C in RFC 4648's alphabet, with URLSAFE
 * also its URL-safe one ('-', '_'); -1 for anything else ('=' included). */
int sk_b64_digit(unsigned char c, int urlsafe);
/* An LDAP DN attribute value (RFC 4514) at S (N bytes, just after "attr="),
 * unescaped into OUT (SIZE bytes, NUL-terminated): "\," "\+" "\\" etc. give
 * the character, "\2C" (hex pair, either case) the byte. It ends at the
 * first unescaped ',' or '+' (the next RDN or AVA) or at N; *USED gets the
 * bytes read. Returns the value's length, or -1 when it does not fit, an
 * escape is cut ("\" or "\2" at the end) or it holds a control character
 * ("\00"): such a value names nobody. The one DN value reader of the
 * server and the policy resolver (who is "cn=Smith\, Bob,..."). */
long sk_dn_value(const char *s, size_t n, char *out, size_t size, size_t *used);

uint64_t sk_fnv1a64(const void *data, size_t len, uint64_t seed);
/* SipHash-2-4 (Aumasson, Bernstein 2012) of DATA under the secret 16-byte
 * KEY: a keyed hash for tables indexed by client-controlled strings, where
 * FNV lets a client choose colliding keys. Checked against OpenSSL's
 * SIPHASH in tests/unit/test_dirgroups.c. */
uint64_t sk_siphash24(const void *data, size_t len, const unsigned char key[16]);

/*
 * The size grammar, the same for c-icap directives (sekisho.*), module
 * options (sekisho.Option MOD.KEY) and policy settings:
 *   size = 1*DIGIT [ unit ]      no sign, no space, no fraction
 *   unit = "B" | "K" | "KB" | "KiB" | "M" | "MB" | "MiB"
 *        | "G" | "GB" | "GiB" | "T" | "TB" | "TiB"     (case-insensitive)
 * Every unit is a power of 1024 ("1MB" = "1M" = "1MiB" = "1048576"), as in
 * c-icap, Squid and ClamAV configuration. "0" is a valid size: what 0
 * means (off, unlimited) is said by each setting. Overflow is an error.
 * 0, or -1 (nothing stored).
 */
int sk_parse_size(const char *s, uint64_t *bytes);
/*
 * The duration grammar:
 *   duration = 1*DIGIT [ unit ]
 *   unit     = "s" | "m" | "h" | "d"   (case-sensitive: "M" is a size)
 * A bare number is seconds. 0, or -1.
 */
int sk_parse_duration(const char *s, uint64_t *seconds);

#endif
