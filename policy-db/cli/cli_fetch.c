/* cli_fetch.c - the CLI's one HTTP(S) download (libcurl: TLS verification
 * on, no redirects, timeouts, a size limit), used by `pull` for policy
 * bundles and by `category fetch` for category lists.
 * SECURITY: what it returns is untrusted bytes; callers verify them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cli.h"

static size_t sk_fetch_write(char *ptr, size_t size, size_t n, void *arg)
{
    struct sk_fetch *f = arg;
    size_t add = size * n;
    char *np;

    if ((long)(f->len + add) > f->max) {
        f->too_big = 1;
        return 0;
    }
    if ((np = realloc(f->p, f->len + add + 1)) == NULL)
        return 0;
    f->p = np;
    memcpy(f->p + f->len, ptr, add);
    f->len += add;
    f->p[f->len] = '\0';
    return add;
}

long sk_cli_fetch(const char *url, const char *ca, struct sk_fetch *f, char *msg, size_t msize)
{
    CURL *h = curl_easy_init();
    long status = -1;
    CURLcode rc;

    if (!h) {
        snprintf(msg, msize, "cannot start libcurl");
        return -1;
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 300L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 30L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (ca) {
        /* that CA only: libcurl reads its compiled-in CA directory
         * (/etc/ssl/certs on Debian) beside CAINFO unless told not to, so
         * a certificate from any CA the system trusts passed too */
        curl_easy_setopt(h, CURLOPT_CAINFO, ca);
        curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
    }
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->max);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sk_fetch_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "sekisho-policy/" SK_CLI_VERSION);
    rc = curl_easy_perform(h);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    } else if (f->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
        snprintf(msg, msize, "%s: larger than %ld bytes, refused", url, f->max);
    } else {
        snprintf(msg, msize, "%s: %s", url, curl_easy_strerror(rc));
    }
    curl_easy_cleanup(h);
    return status;
}
