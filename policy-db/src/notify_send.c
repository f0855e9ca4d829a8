/* notify_send.c - deliver one alert: a JSON POST to a webhook, or a short
 * mail through an SMTP relay, both with libcurl and a hard timeout. Used
 * by the server's notifier thread (never by a transaction's own thread)
 * and by `sekisho-policy notify test`.
 * SECURITY: alert text carries client-controlled bytes (URLs, user names,
 * threat names). The JSON is escaped by the caller; here the mail subject
 * keeps printable ASCII only (no header injection) and the body is cut
 * into plain lines (libcurl escapes a leading dot). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include <sekisho/notify.h>

static void sk_err(char **err, const char *what, const char *detail)
{
    if (err && asprintf(err, "%s: %s", what, detail) < 0)
        *err = NULL;
}

static size_t sk_discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

int sk_notify_send_webhook(const char *url, const char *json, long timeout_s, char **err)
{
    CURL *h = curl_easy_init();
    struct curl_slist *hdr = NULL;
    long status = 0;
    CURLcode rc;

    if (!h) {
        sk_err(err, url, "cannot start libcurl");
        return -1;
    }
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, timeout_s);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sk_discard);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "sekisho-notify/1");
    rc = curl_easy_perform(h);
    if (rc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    if (rc != CURLE_OK) {
        sk_err(err, url, curl_easy_strerror(rc));
        return -1;
    }
    if (status < 200 || status > 299) {
        char buf[32];
        snprintf(buf, sizeof(buf), "HTTP %ld", status);
        sk_err(err, url, buf);
        return -1;
    }
    return 0;
}

struct sk_mail {
    const char *p;
    size_t left;
};

static size_t sk_mail_read(char *buf, size_t size, size_t n, void *arg)
{
    struct sk_mail *m = arg;
    size_t k = size * n < m->left ? size * n : m->left;

    memcpy(buf, m->p, k);
    m->p += k;
    m->left -= k;
    return k;
}

/* Printable ASCII only, at most MAX bytes: what may go into a header. */
static void sk_ascii(char *out, size_t size, const char *s)
{
    size_t o = 0;

    for (; s && *s && o + 1 < size; s++)
        out[o++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
    out[o] = '\0';
}

int sk_notify_send_mail(const char *smtp, const char *from, const char *to, const char *subject,
                        const char *body, long timeout_s, char **err)
{
    CURL *h = curl_easy_init();
    struct curl_slist *rcpt = NULL;
    char url[512], subj[200], f[256], t[256], date[64], *msg = NULL, *clean = NULL;
    struct sk_mail m;
    time_t now = time(NULL);
    struct tm tm;
    CURLcode rc;
    int len, o = 0;

    if (!h) {
        sk_err(err, smtp, "cannot start libcurl");
        return -1;
    }
    sk_ascii(subj, sizeof(subj), subject);
    sk_ascii(f, sizeof(f), from);
    sk_ascii(t, sizeof(t), to);
    /* the body as CRLF lines of printable ASCII */
    if ((clean = malloc(strlen(body) * 2 + 3)) == NULL) {
        curl_easy_cleanup(h);
        sk_err(err, smtp, "out of memory");
        return -1;
    }
    for (const char *s = body; *s; s++) {
        if (*s == '\n')
            clean[o++] = '\r', clean[o++] = '\n';
        else if (*s != '\r')
            clean[o++] = (*s >= 0x20 && *s < 0x7f) || *s == '\t' ? *s : '?';
    }
    clean[o] = '\0';
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    len = asprintf(&msg,
                   "Date: %s\r\nFrom: <%s>\r\nTo: <%s>\r\nSubject: %s\r\n"
                   "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n"
                   "\r\n%s\r\n",
                   date, f, t, subj, clean);
    free(clean);
    if (len < 0) {
        curl_easy_cleanup(h);
        sk_err(err, smtp, "out of memory");
        return -1;
    }
    snprintf(url, sizeof(url), "smtp://%s", smtp);
    m.p = msg;
    m.left = (size_t)len;
    snprintf(f, sizeof(f), "<%.250s>", from);
    snprintf(t, sizeof(t), "<%.250s>", to);
    rcpt = curl_slist_append(rcpt, t);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, timeout_s);
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, f);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, sk_mail_read);
    curl_easy_setopt(h, CURLOPT_READDATA, &m);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    rc = curl_easy_perform(h);
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(h);
    free(msg);
    if (rc != CURLE_OK) {
        sk_err(err, url, curl_easy_strerror(rc));
        return -1;
    }
    return 0;
}

int sk_notify_kind_known(const char *kind, size_t len)
{
    static const char *const kinds[] = SK_NOTIFY_KINDS;

    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strlen(kinds[i]) == len && strncmp(kinds[i], kind, len) == 0)
            return (int)i;
    return -1;
}

int sk_notify_wants(const char *events, const char *kind)
{
    size_t kl = strlen(kind);

    for (const char *p = events ? events : ""; *p;) {
        size_t n = strcspn(p, ",");
        const char *s = p;
        while (n && *s == ' ')
            s++, n--;
        while (n && s[n - 1] == ' ')
            n--;
        if (n == kl && strncmp(s, kind, kl) == 0)
            return 1;
        p += strcspn(p, ",");
        p += *p == ',';
    }
    return 0;
}
