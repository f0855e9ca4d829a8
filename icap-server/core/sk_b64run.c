/* sk_b64run.c - runs of base64 inside text (sekisho/decode.h): the one
 * finder dlp (a card file posted as a data: URL) and virus_scan (a program
 * a page assembles with atob(), HTML smuggling) both read text through.
 * Bytes outside runs are passed over 64 at a time; decoded bytes leave in
 * blocks of up to sizeof(out), flushed at a run's end and at the end of
 * every write, so a caller sees a write's decoded bytes before it returns.
 * SECURITY: client-controlled bytes; fixed-size state (MIN digits kept
 * while a run is too short to count); output is 3/4 of the input.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sekisho/decode.h"
#include "sekisho/text.h"

/* A line break continues a run after this many digits (a multiple of 4):
 * base64 -w 40 and wrappers at 64 and 76 alike. No less than
 * SK_B64RUN_MIN_LO: the block skip relies on a run holding that many run
 * bytes in a row. */
#define SK_B64RUN_LINE  SK_B64RUN_MIN_LO
#define SK_B64RUN_SHORT 8    /* the shortest line a run goes on after: when all are as long */
#define SK_B64RUN_WS    64   /* white space between a string's end and its '+' */
#define SK_B64RUN_GAP   4096 /* white space and blank lines after a line break */
#define SK_B64RUN_HOLD  8192 /* the longest line held after a break out of step */
#define SK_B64RUN_TAIL  8192 /* decoded bytes a run after padding starts with */
#define SK_B64RUN_REPLAY                                                                           \
    65536 /* those bytes given again, per finder: past it, a run goes on through its padding */

enum {
    SK_B_OUT,
    SK_B_RUN,
    SK_B_ESC,
    SK_B_PCT1,
    SK_B_QUOTE,
    SK_B_PLUS,
    SK_B_PCT2,
    SK_B_UHEX,
    SK_B_OCT,
    SK_B_TRAIL, /* white space after a full line: a line end may follow */
    SK_B_PAD    /* '=' padding ended a run: more digits continue it for GNU base64 */
};

struct sk_b64run {
    struct sk_b64run_handler h;
    size_t min;
    int state;
    int in;                              /* begin was called: the run is decoded */
    int failed;                          /* a callback stopped */
    unsigned char val[SK_B64RUN_MIN_HI]; /* digits of a run not yet long enough */
    size_t nval;
    /* where in VAL '=' padding ended a group (GNU base64 reads on: pieces
     * each shorter than MIN make one run) */
    unsigned short vbrk[SK_B64RUN_MIN_HI / 2];
    size_t nvbrk;
    size_t line;     /* digits since the run's start or last line break */
    int cr;          /* a line break's CR was just taken */
    int brk;         /* the last line ended in a break that continues the run */
    unsigned gap;    /* white space and blank lines taken since that break */
    size_t total;    /* digits of the run decoded (in) so far: its step is total % 4 */
    size_t prevline; /* digits of the line that break ended */
    /* A line after a break where the run is out of step (total % 4 != 0:
     * a line of 50 - base64 -w 50 - or a marker line of 21 before the
     * data a stub decodes with `sed 1,/marker/d | base64 -d`): its digits
     * are held until it ends; the same length as the line before (or the
     * last line, no longer): the run goes on through it; else the run
     * ended at the break and this line starts the next one. */
    int holding;
    unsigned char hold[SK_B64RUN_HOLD];
    size_t nhold;
    unsigned char pct1;
    /* a script's or JSON's \xHH, \uHHHH, \u{H...}: the value so far, hex
     * digits taken, how many it needs (0: up to a '}') */
    unsigned esc_val;
    unsigned char esc_n, esc_need;
    unsigned char quote; /* the quote that closed a string: "..." + "..." may follow */
    unsigned ws;         /* white space after it, before the '+' */
    unsigned quad, nq;
    unsigned char out[192];
    size_t nout;
    /* The last decoded bytes of the run's object (a ring; TAILN of them,
     * TAILAT the next write) and, after its '=' padding, how many '=' are
     * still due (PADS) and the white space seen (PADWS). GNU base64 -d
     * reads past padding: "QUJD" "RA==" "RUZH" are "ABCD" "EFG" to it,
     * where Python, Node and atob stop at the first '='. That run ends
     * there (their object) and, when digits follow, a second object goes
     * on from its last SK_B64RUN_TAIL bytes: a signature across the pieces
     * is whole in it. Bytes given again are bounded (REPLAYED, at most
     * SK_B64RUN_REPLAY per finder: "QUJD...=" pieces cannot multiply the
     * output); past that, the object goes on through the padding
     * (JOINED): GNU's view only. */
    unsigned char tail[SK_B64RUN_TAIL];
    size_t tailn, tailat, replayed;
    unsigned pads, padws;
    int joined;
    size_t wrap; /* lines shorter than SK_B64RUN_LINE: their length (all the same) */
    int longs;   /* a line of SK_B64RUN_LINE or more went on: a short one is the last */
    int utf16;   /* 0, or 1 little-endian, 2 big-endian */
    int odd;     /* a code unit's first byte is held */
    unsigned char odd_b;
};

/* The value of each byte as a base64 digit (both alphabets, sk_b64_digit), -1 for none;
 * and 1 for the bytes a run may be made of (digits, '\\' and '%'
 * escapes, the braces of \u{...}, line ends, '=' padding between pieces
 * GNU base64 joins), for the block skip. */
static signed char sk_b64_tab[256];
static unsigned char sk_b64_runbyte[256];
/* 1: a quote, 2: a byte that may go on with a short run (the slow path) */
static unsigned char sk_b64_cls[256];

static void sk_b64_tab_init(void)
{
    for (int c = 0; c < 256; c++) {
        sk_b64_tab[c] = (signed char)sk_b64_digit((unsigned char)c, 1);
        int quote = c == '"' || c == '\'' || c == '`';
        /* '{' '}': a script's \u{2B} is one escape, a run may begin with
         * it; CR LF: a script's string goes on after "\" and a line end */
        sk_b64_runbyte[c] = sk_b64_tab[c] >= 0 || c == '\\' || c == '%' || c == '{' || c == '}' ||
                            c == '\r' || c == '\n' || c == '=';
        sk_b64_cls[c] =
            (unsigned char)(quote |
                            (quote || c == '\\' || c == '%' || c == '\r' || c == '\n' || c == '=')
                                << 1);
    }
}

/* Where in P[I..N) a run may begin, from a point outside any run: 64 bytes
 * at a time, a block where no SK_B64RUN_MIN_LO bytes in a row are run
 * bytes is passed over (every run of MIN >= that many digits holds such a
 * stretch: a line break comes only after SK_B64RUN_LINE digits). A string's piece may
 * be shorter ("QUJD" + "REVG..."): a block with a quote and a '+' within
 * reach of it (or too near N to know) is left to the byte loop up to
 * *PLAIN_TO (*PLUS: where the next '+' is, a cache for the caller to keep
 * over one P, 0 at first). The answer is the start of a stretch of run bytes (preceded
 * by a byte that is none, which leaves the finder outside a run: see the
 * escape rules), or a point the byte loop reads on from, or N. Depends on
 * P[I..N) only, so the runs are the same however the text is written. */
static size_t sk_b64_skip(const unsigned char *p, size_t i, size_t n, size_t *plain_to,
                          size_t *plus)
{
    while (i + 64 <= n) {
        uint64_t m = 0, r;
        /* a quote at i + 63 at the latest, white space, '+' (rare in text
         * outside base64: looked for first) */
        if (*plus <= i) { /* the next '+' (one search per '+', not per block) */
            const unsigned char *q = memchr(p + i, '+', n - i);
            *plus = q ? (size_t)(q - p) : n;
        }
        if (i + 65 + SK_B64RUN_WS > n || *plus < i + 65 + SK_B64RUN_WS) {
            unsigned q = 0;
            for (int j = 0; j < 64; j++)
                q |= sk_b64_cls[p[i + j]];
            if (q & 1) {
                *plain_to = i + 64;
                return i;
            }
        }
        for (int j = 0; j < 64; j++)
            m |= (uint64_t)sk_b64_runbyte[p[i + j]] << j;
        r = m & m >> 1;
        r &= r >> 2;
        r &= r >> 4;
        r &= r >> 8;
        r &= r >> 4; /* bit j: bytes j..j+19 are all run bytes */
        if (r)
            return i + (size_t)__builtin_ctzll(r); /* inside a stretch: see below */
        unsigned t = m == ~0ull ? 64 : (unsigned)__builtin_clzll(~m); /* trailing stretch */
        if (t)
            return i + 64 - t;
        i += 64;
    }
    return i;
}

static void sk_b64_tail_keep(struct sk_b64run *r, const unsigned char *p, size_t n)
{
    if (n >= SK_B64RUN_TAIL) {
        memcpy(r->tail, p + n - SK_B64RUN_TAIL, SK_B64RUN_TAIL);
        r->tailn = SK_B64RUN_TAIL, r->tailat = 0;
        return;
    }
    size_t k = SK_B64RUN_TAIL - r->tailat < n ? SK_B64RUN_TAIL - r->tailat : n;
    memcpy(r->tail + r->tailat, p, k);
    memcpy(r->tail, p + k, n - k);
    r->tailat = (r->tailat + n) % SK_B64RUN_TAIL;
    r->tailn = r->tailn + n < SK_B64RUN_TAIL ? r->tailn + n : SK_B64RUN_TAIL;
}

static void sk_b64_flush(struct sk_b64run *r)
{
    if (r->nout && !r->failed && r->h.data(r->h.arg, r->out, r->nout) == -1)
        r->failed = 1;
    sk_b64_tail_keep(r, r->out, r->nout);
    r->nout = 0;
}

static void sk_b64_decode(struct sk_b64run *r, int v)
{
    r->quad = r->quad << 6 | (unsigned)v;
    if (++r->nq < 4)
        return;
    if (r->nout + 3 > sizeof(r->out))
        sk_b64_flush(r);
    r->out[r->nout++] = (unsigned char)(r->quad >> 16);
    r->out[r->nout++] = (unsigned char)(r->quad >> 8);
    r->out[r->nout++] = (unsigned char)r->quad;
    r->quad = r->nq = 0;
}

/* A last partial group of a decoded run: 2 digits -> 1 byte, 3 -> 2. */
static void sk_b64_partial(struct sk_b64run *r)
{
    if (r->nq >= 2) {
        unsigned q = r->quad << (6 * (4 - r->nq));
        if (r->nout + 2 > sizeof(r->out))
            sk_b64_flush(r);
        r->out[r->nout++] = (unsigned char)(q >> 16);
        if (r->nq == 3)
            r->out[r->nout++] = (unsigned char)(q >> 8);
    }
    r->quad = r->nq = 0;
}

/* A digit of the run: kept, or decoded once the run is long enough. */
static void sk_b64_use(struct sk_b64run *r, int v)
{
    if (r->in) {
        r->total++;
        sk_b64_decode(r, v);
        return;
    }
    r->val[r->nval++] = (unsigned char)v;
    if (r->nval < r->min)
        return;
    r->in = 1;
    r->tailn = r->tailat = 0;
    if (r->h.begin(r->h.arg) == -1) {
        r->failed = 1;
        return;
    }
    r->total = r->nval;
    for (size_t i = 0, b = 0; i < r->nval; i++) {
        if (b < r->nvbrk && r->vbrk[b] == i)
            sk_b64_partial(r), b++;
        sk_b64_decode(r, r->val[i]);
    }
    if (r->nvbrk)
        r->total = r->nval - r->vbrk[r->nvbrk - 1]; /* the step since the padding */
    r->nval = r->nvbrk = 0;
}

static void sk_b64_resolve(struct sk_b64run *r, int go_on);

/* A digit of the run's text: held (a line after a break out of step),
 * or used. */
static void sk_b64_take(struct sk_b64run *r, int v)
{
    r->line++;
    if (r->holding) {
        if (r->nhold < sizeof(r->hold)) {
            r->hold[r->nhold++] = (unsigned char)v;
            return;
        }
        sk_b64_resolve(r, 0); /* longer than any wrap: the next run's */
    }
    sk_b64_use(r, v);
}

/* The run's object ends (a short run was only text); its state stays. */
static void sk_b64_end_object(struct sk_b64run *r)
{
    if (r->in) {
        sk_b64_partial(r);
        sk_b64_flush(r);
        if (!r->failed && r->h.end(r->h.arg) == -1)
            r->failed = 1;
        r->in = 0;
    }
    r->nval = r->total = r->nvbrk = 0;
    r->quad = r->nq = 0;
}

/* The held line ended: GO_ON, the run goes on through it; else the run
 * ended at the break before it, and it starts the next run. */
static void sk_b64_resolve(struct sk_b64run *r, int go_on)
{
    r->holding = 0;
    if (!go_on)
        sk_b64_end_object(r);
    for (size_t i = 0; i < r->nhold; i++)
        sk_b64_use(r, r->hold[i]);
}

/* The run ended: its object ends (a short run was only text). A line
 * still held was its last: no longer than the one before, the run goes on
 * through it, and it is also an object of its own (the data after a
 * marker may be one line); longer, it is a run of its own. */
static void sk_b64_finish(struct sk_b64run *r)
{
    if (r->holding) {
        int last = r->nhold <= r->prevline;
        sk_b64_resolve(r, last);
        if (last && r->nhold >= r->min) {
            sk_b64_end_object(r);
            for (size_t i = 0; i < r->nhold; i++)
                sk_b64_use(r, r->hold[i]);
        }
    }
    sk_b64_end_object(r);
    r->line = r->nhold = r->wrap = r->longs = 0;
    r->cr = r->brk = 0;
    r->gap = 0;
    r->state = SK_B_OUT;
}

/* '=' after a run's digits that leave a partial group (2 or 3 of 4): the
 * padding. The run's object ends here (as Python, Node and atob read it);
 * the digits that may follow the padding go on in a new object for GNU
 * base64 (SK_B_PAD). 1 taken, 0 not padding (the run ends as before). */
static int sk_b64_pad(struct sk_b64run *r)
{
    if (!r->in) {
        /* a piece shorter than MIN: its digits are kept with where the
         * group ended, the run may go on (sk_b64_use decodes them so) */
        size_t step = r->nval - (r->nvbrk ? r->vbrk[r->nvbrk - 1] : 0);
        if (r->holding || step % 4 < 2 || r->nvbrk == sizeof(r->vbrk) / sizeof(r->vbrk[0]))
            return 0;
        r->vbrk[r->nvbrk++] = (unsigned short)r->nval;
        r->pads = 4 - step % 4 - 1;
        r->joined = 1; /* no object yet: nothing to end */
        r->state = SK_B_PAD;
        r->padws = 0;
        return 1;
    }
    if (r->holding || r->nq < 2)
        return 0;
    r->pads = 4 - r->nq - 1; /* this '=' is the first */
    r->joined = r->replayed + r->tailn > SK_B64RUN_REPLAY;
    if (r->joined)
        sk_b64_partial(r); /* the object goes on */
    else
        sk_b64_end_object(r);
    r->state = SK_B_PAD;
    r->padws = 0;
    return 1;
}

/* A standard-alphabet digit V after the padding (and the white space GNU
 * base64 skips): the new object starts with the last bytes of the one
 * the padding ended, then the run goes on. */
static void sk_b64_pad_go_on(struct sk_b64run *r, int v)
{
    unsigned char t[SK_B64RUN_TAIL];
    size_t n = r->tailn, from = (r->tailat + SK_B64RUN_TAIL - n) % SK_B64RUN_TAIL;
    size_t k = SK_B64RUN_TAIL - from < n ? SK_B64RUN_TAIL - from : n;

    r->state = SK_B_RUN;
    r->line = r->nhold = r->prevline = r->longs = 0;
    r->cr = r->brk = 0;
    r->total = 0; /* a new group starts after the padding */
    if (!r->joined) {
        memcpy(t, r->tail + from, k);
        memcpy(t + k, r->tail, n - k);
        r->in = 1;
        r->replayed += n;
        if (r->h.begin(r->h.arg) == -1 || (n && r->h.data(r->h.arg, t, n) == -1)) {
            r->failed = 1;
            return;
        }
    }
    sk_b64_take(r, v);
}

/* A line break continues a run after a line of SK_B64RUN_LINE digits or
 * more, of any length: MIME's 76, PEM's 64, base64 -w 50, JSON wrapped at
 * 57 - atob(), Python's b64decode and Node's Buffer drop white space
 * wherever it is (a line of a length no multiple of 4 ended the run, and
 * a file wrapped so passed unread). Shorter lines, down to SK_B64RUN_SHORT
 * digits (base64 -w 16, -w 18: a line out of step is held as a long
 * one's is), go on too when every line of the run is as long (after long
 * lines a short one is the last: base64 -w 50's): words one to a line are
 * rarely all of one length. Only line ends may stand between such lines (no
 * indentation, no trailing blanks): the block skip finds a run by SK_B64RUN_MIN_LO run bytes in a
 * row. */
static int sk_b64_break_ok(const struct sk_b64run *r)
{
    return r->line >= SK_B64RUN_LINE ||
           (r->line >= SK_B64RUN_SHORT && !r->longs && (r->wrap == 0 || r->wrap == r->line));
}

/* A break that continues the run was taken (its first byte: a CR, or a
 * LF without one): a line held before it is decided by its length; a run
 * out of step after it holds the next line. What follows it before the
 * next digit may be indentation and blank lines (a plist's tab-indented
 * <data>, indented XML, lines with blank lines between them), up to
 * SK_B64RUN_GAP bytes. */
static void sk_b64_broke(struct sk_b64run *r)
{
    size_t line = r->line;

    if (r->holding)
        sk_b64_resolve(r, r->nhold == r->prevline);
    if ((r->in ? r->total : r->nval - (r->nvbrk ? r->vbrk[r->nvbrk - 1] : 0)) % 4 != 0) {
        r->holding = 1;
        r->nhold = 0;
    }
    if (line < SK_B64RUN_LINE)
        r->wrap = line;
    else
        r->longs = 1;
    r->prevline = line;
    r->line = 0;
    r->brk = 1;
    r->gap = 0;
}

/* C after a continuing break, with no digit since: part of the gap? */
static int sk_b64_gap(struct sk_b64run *r, unsigned char c)
{
    /* (not after a short line: the block skip finds a run by
     * SK_B64RUN_MIN_LO run bytes in a row, which such lines hold only
     * when nothing but line ends is between them) */
    if (!r->brk || r->line != 0 || !(c == ' ' || c == '\t' || c == '\r' || c == '\n') ||
        r->gap >= SK_B64RUN_GAP || r->prevline < SK_B64RUN_LINE)
        return 0;
    r->gap++;
    r->cr = 0;
    return 1;
}

static int sk_b64run_write8(struct sk_b64run *r, const void *buf, size_t n);

/* An escaped CR or LF (JSON "\r", "\u000D"): a line break where one may
 * continue the run. 1 taken, 0 not. */
static int sk_b64_esc_break(struct sk_b64run *r, unsigned ch)
{
    if (!((ch == '\r' || ch == '\n') && (sk_b64_break_ok(r) || (ch == '\n' && r->cr))))
        return 0;
    r->state = SK_B_RUN;
    if (!(ch == '\n' && r->cr)) /* a CR LF is one break */
        sk_b64_broke(r);
    r->cr = ch == '\r';
    return 1;
}

/* A whole escape stood for CH: a digit goes on with the run, an escaped
 * line break may. 1 taken (the run goes on), 0 it ends the run. */
static int sk_b64_esc_char(struct sk_b64run *r, unsigned ch)
{
    if (ch < 0x80 && sk_b64_tab[ch] >= 0) {
        r->state = SK_B_RUN;
        sk_b64_take(r, sk_b64_tab[ch]);
        return 1;
    }
    return sk_b64_esc_break(r, ch);
}

/* UTF-16: each code unit becomes one byte (ASCII as it is, anything else
 * 0x80, no digit), in blocks through the byte reader. */
static int sk_b64run_write16(struct sk_b64run *r, const unsigned char *p, size_t n)
{
    unsigned char nar[2048];
    size_t k = 0;
    int rc = 0;

    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!r->odd) {
            r->odd_b = p[i], r->odd = 1;
            continue;
        }
        unsigned u =
            r->utf16 == 2 ? (unsigned)r->odd_b << 8 | p[i] : (unsigned)p[i] << 8 | r->odd_b;
        r->odd = 0;
        nar[k++] = u < 0x80 ? (unsigned char)u : 0x80;
        if (k == sizeof(nar))
            rc = sk_b64run_write8(r, nar, k), k = 0;
    }
    return rc == 0 && k ? sk_b64run_write8(r, nar, k) : rc;
}

void sk_b64run_utf16(struct sk_b64run *r, int be)
{
    r->utf16 = be ? 2 : 1;
}

int sk_b64run_write(struct sk_b64run *r, const void *buf, size_t n)
{
    if (r->utf16)
        return r->failed ? -1 : sk_b64run_write16(r, buf, n);
    return sk_b64run_write8(r, buf, n);
}

static int sk_b64run_write8(struct sk_b64run *r, const void *buf, size_t n)
{
    const unsigned char *p = buf;
    size_t plain_to = 0, plus = 0; /* sk_b64_skip: the byte loop reads up to PLAIN_TO */

    for (size_t i = 0; i < n && !r->failed; i++) {
        /* fast path (most text): bytes outside runs, and runs shorter
         * than MIN (words) ended by plain text; the slow path below takes
         * a run's qualifying digit and every byte that may continue a run
         * ('\\', '%', line ends, '=' padding) */
        if (r->state == SK_B_OUT || (r->state == SK_B_RUN && !r->in && !r->holding)) {
            size_t k = r->nval, line = r->line, min = r->min, from = i;
            unsigned char *val = r->val;
            while (i < n) {
                if (k == 0) { /* outside a run: blocks without one are passed over */
                    if (i >= plain_to)
                        i = sk_b64_skip(p, i, n, &plain_to, &plus);
                    while (i < n && sk_b64_tab[p[i]] < 0 && p[i] != '\\' && p[i] != '%')
                        i++;
                    if (i == n)
                        break;
                }
                signed char d = sk_b64_tab[p[i]];
                if (d >= 0) {
                    if (k + 1 >= min)
                        break;
                    val[k++] = (unsigned char)d, line++, i++;
                    continue;
                }
                unsigned char c = p[i];
                if ((sk_b64_cls[c] & 2) ||
                    ((c == ' ' || c == '\t') && (line == 0 ? r->brk : line >= SK_B64RUN_LINE)))
                    break;
                k = line = 0, i++;                 /* a short run ended: it was only text */
                r->nvbrk = r->wrap = r->longs = 0; /* its padding, its lines' length */
            }
            r->nval = k, r->line = line;
            if (i != from) /* (a CR LF's LF comes here at once: its CR stays) */
                r->cr = 0;
            r->state = k ? SK_B_RUN : SK_B_OUT;
            if (i == n)
                break;
        }
        unsigned char c = p[i];
        int v = sk_b64_tab[c];

        switch (r->state) {
        case SK_B_OUT:
        case SK_B_RUN:
            if (v >= 0) {
                r->cr = 0;
                r->state = SK_B_RUN;
                sk_b64_take(r, v);
                continue;
            }
            if (c == '\\' || c == '%') { /* also a run's start: "%2F9j" (JPEG) */
                r->state = c == '\\' ? SK_B_ESC : SK_B_PCT1;
                continue;
            }
            if (r->state == SK_B_OUT)
                continue;
            if (sk_b64_cls[c] & 1) { /* a quote */
                r->state = SK_B_QUOTE;
                r->quote = c;
                r->ws = 0;
                continue;
            }
            if (sk_b64_gap(r, c))
                continue;
            if ((c == ' ' || c == '\t') && r->line >= SK_B64RUN_LINE) {
                /* white space at a full line's end ("base64 -w 76" lines
                 * an editor left trailing blanks on): atob and b64decode
                 * drop it; a line end after it is a break */
                r->state = SK_B_TRAIL;
                r->ws = 1;
                continue;
            }
            if (((c == '\r' || c == '\n') && sk_b64_break_ok(r)) || (c == '\n' && r->cr)) {
                if (!(c == '\n' && r->cr)) /* a CR LF is one break */
                    sk_b64_broke(r);
                r->cr = c == '\r';
                continue;
            }
            if (c == '=' && sk_b64_pad(r))
                continue;
            break;
        case SK_B_ESC:                  /* after a '\\': JSON's and a script's escapes */
            if (c == 'u' || c == 'x') { /* "\u002B" (.NET writes '+' so), "\x57" */
                r->state = SK_B_UHEX;
                r->esc_val = r->esc_n = 0;
                r->esc_need = c == 'u' ? 4 : 2;
                continue;
            }
            if (c >= '0' && c <= '7') { /* a script's legacy octal: "\127" */
                r->state = SK_B_OCT;
                r->esc_val = (unsigned)(c - '0');
                r->esc_n = 1;
                continue;
            }
            if (c == '\r' || c == '\n') { /* a line continued inside a string */
                r->state = SK_B_RUN;
                r->cr = c == '\r';
                continue;
            }
            if ((c == 'r' || c == 'n') && sk_b64_esc_break(r, c == 'r' ? '\r' : '\n'))
                continue;
            /* "\/" and a script's identity escapes ("\Q" is "Q"); b f n r
             * t v are control characters */
            if (v >= 0 && !strchr("bfnrtv", c)) {
                r->state = SK_B_RUN;
                sk_b64_take(r, v);
                continue;
            }
            break;
        case SK_B_PCT1:
            if (sk_hex_digit(c) < 0) { /* no %XX: the run ended at '%', C is read again */
                sk_b64_finish(r);
                i--;
                continue;
            }
            r->pct1 = c;
            r->state = SK_B_PCT2;
            continue;
        case SK_B_QUOTE: /* a script's "..." + "...": the run goes on */
        case SK_B_PLUS:
            if ((c == ' ' || c == '\t' || c == '\r' || c == '\n') &&
                (r->state == SK_B_PLUS || ++r->ws <= SK_B64RUN_WS))
                continue;
            if (r->state == SK_B_QUOTE && c == '+') {
                r->state = SK_B_PLUS;
                continue;
            }
            if (r->state == SK_B_PLUS && c == r->quote) {
                r->state = SK_B_RUN;
                continue;
            }
            sk_b64_finish(r); /* a string's end: C is read again */
            i--;
            continue;
        case SK_B_UHEX: {
            int h = sk_hex_digit(c);
            if (c == '{' && r->esc_n == 0 && r->esc_need == 4) { /* \u{57}, \u{000057} */
                r->esc_need = 0;
                continue;
            }
            if (h >= 0 && (r->esc_need == 0 ? r->esc_val <= 0x10ffff >> 4 : r->esc_n < 4)) {
                r->esc_val = r->esc_val << 4 | (unsigned)h;
                r->esc_n = r->esc_n < 255 ? r->esc_n + 1 : 255;
                if (r->esc_n < r->esc_need || r->esc_need == 0)
                    continue;
            } else if (!(c == '}' && r->esc_need == 0 && r->esc_n > 0)) {
                sk_b64_finish(r); /* no escape after all: C is read again */
                i--;
                continue;
            }
            if (sk_b64_esc_char(r, r->esc_val))
                continue;
            break;
        }
        case SK_B_OCT: {
            if (c >= '0' && c <= '7' && r->esc_n < 3 &&
                r->esc_val * 8 + (unsigned)(c - '0') <= 0377) {
                r->esc_val = r->esc_val * 8 + (unsigned)(c - '0');
                r->esc_n++;
                continue;
            }
            /* the escape ended before C, which is read again */
            int go = sk_b64_esc_char(r, r->esc_val);
            if (!go)
                sk_b64_finish(r);
            i--;
            continue;
        }
        case SK_B_PAD: /* as GNU base64 -d: the whole padding, line ends */
            if (c == '=' && r->pads > 0) {
                r->pads--;
                continue;
            }
            if ((c == '\r' || c == '\n') && r->pads == 0 && ++r->padws <= SK_B64RUN_GAP)
                continue;
            if (v >= 0 && c != '-' && c != '_' && r->pads == 0) {
                sk_b64_pad_go_on(r, v);
                continue;
            }
            sk_b64_finish(r); /* the padding was the run's end: C is read again */
            i--;
            continue;
        case SK_B_TRAIL:
            if ((c == ' ' || c == '\t') && ++r->ws <= SK_B64RUN_WS)
                continue;
            if (c == '\r' || c == '\n') {
                r->state = SK_B_RUN;
                sk_b64_broke(r);
                r->cr = c == '\r';
                continue;
            }
            sk_b64_finish(r); /* the run ended at the white space: C is read again */
            i--;
            continue;
        default: { /* SK_B_PCT2: form encoding of '+' and '/' */
            unsigned char d = (unsigned char)(c | 0x20);
            if (sk_hex_digit(c) < 0) {
                sk_b64_finish(r);
                i--;
                continue;
            }
            if (r->pct1 == '2' && (d == 'b' || d == 'f')) {
                r->state = SK_B_RUN;
                sk_b64_take(r, d == 'b' ? 62 : 63);
                continue;
            }
            break;
        }
        }
        /* the run ended: '=' padding, a byte that is not part of it, or
         * an escape of something else (its last byte belongs to the
         * escape, "%3A" or "\u0041": it starts no run) */
        sk_b64_finish(r);
    }
    sk_b64_flush(r);
    return r->failed ? -1 : 0;
}

int sk_b64run_end(struct sk_b64run *r)
{
    if (r->state == SK_B_OCT && !r->failed) /* "\127" at the very end */
        sk_b64_esc_char(r, r->esc_val);
    if (!r->failed)
        sk_b64_finish(r);
    return r->failed ? -1 : 0;
}

struct sk_b64run *sk_b64run_new(size_t min, const struct sk_b64run_handler *h)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    struct sk_b64run *r;

    if (min < SK_B64RUN_MIN_LO || min > SK_B64RUN_MIN_HI || !h || !h->begin || !h->data || !h->end)
        return NULL;
    pthread_once(&once, sk_b64_tab_init);
    if (!(r = calloc(1, sizeof(*r))))
        return NULL;
    r->h = *h;
    r->min = min;
    return r;
}

void sk_b64run_free(struct sk_b64run *r)
{
    free(r);
}
