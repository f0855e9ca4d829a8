/* sk_bench_stats.c - latency percentiles, process-tree memory sampling from
 * /proc and the report of icapbench. Reads only local /proc files. */
#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sk_bench.h"

int sk_lat_add(struct sk_lat *l, uint64_t usec)
{
    uint32_t *nv;

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 65536;

        if ((nv = realloc(l->v, cap * sizeof(*nv))) == NULL)
            return -1;
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = usec > UINT32_MAX ? UINT32_MAX : (uint32_t)usec;
    return 0;
}

static int sk_u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

void sk_lat_sort(struct sk_lat *l)
{
    if (l->n > 1)
        qsort(l->v, l->n, sizeof(*l->v), sk_u32_cmp);
}

double sk_lat_quantile(struct sk_lat *l, double q)
{
    size_t i;

    if (l->n == 0)
        return 0;
    i = (size_t)(q * (double)(l->n - 1) + 0.5);
    if (i >= l->n)
        i = l->n - 1;
    return l->v[i] / 1000.0;
}

/* Value in kB of the line "Key:   123 kB" in a /proc file, or 0. */
static uint64_t sk_proc_kb(const char *path, const char *key)
{
    char line[256];
    size_t kl = strlen(key);
    uint64_t v = 0;
    FILE *f = fopen(path, "r");

    if (f == NULL)
        return 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
            v = strtoull(line + kl + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return v;
}

/* From /proc/PID/stat: the parent's pid, and utime+stime in clock ticks
 * plus cutime+cstime (children it reaped: a recycled c-icap child's time
 * moves to its master). 0, or -1 when the process is gone. */
static int sk_proc_stat(int pid, int *ppid, uint64_t *cpu)
{
    char path[64], buf[1024], *p;
    unsigned long long ut, st;
    long long cut, cst;
    FILE *f;
    int ok;

    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    /* "pid (comm) S ppid pgrp session tty tpgid flags minflt cminflt majflt
     * cmajflt utime stime cutime cstime ...": comm may contain spaces and
     * parentheses. */
    ok = fgets(buf, sizeof(buf), f) != NULL && (p = strrchr(buf, ')')) != NULL &&
         sscanf(p + 1, " %*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %lld %lld", ppid, &ut,
                &st, &cut, &cst) == 5;
    fclose(f);
    if (!ok)
        return -1;
    *cpu = ut + st + (cut > 0 ? (uint64_t)cut : 0) + (cst > 0 ? (uint64_t)cst : 0);
    return 0;
}

#define SK_MAX_PIDS 4096

/* Collects the pids of the tree rooted at root into out; returns count.
 * *CPU: the tree's CPU in clock ticks (sk_proc_stat). */
static int sk_proc_tree(int root, int *out, int max, uint64_t *cpu)
{
    static int pid[SK_MAX_PIDS], ppid[SK_MAX_PIDS];
    static uint64_t ticks[SK_MAX_PIDS];
    int n = 0, cnt = 1, i, j;
    struct dirent *d;
    DIR *dir = opendir("/proc");

    *cpu = 0;
    if (dir == NULL)
        return 0;
    while ((d = readdir(dir)) != NULL && n < SK_MAX_PIDS) {
        if (!isdigit((unsigned char)d->d_name[0]))
            continue;
        pid[n] = atoi(d->d_name);
        if (sk_proc_stat(pid[n], &ppid[n], &ticks[n]) == -1)
            continue; /* gone meanwhile */
        if (pid[n] == root)
            *cpu += ticks[n];
        n++;
    }
    closedir(dir);
    out[0] = root;
    for (i = 0; i < cnt; i++) /* breadth first; out grows as we go */
        for (j = 0; j < n && cnt < max; j++)
            if (ppid[j] == out[i]) {
                out[cnt++] = pid[j];
                *cpu += ticks[j];
            }
    return cnt;
}

void sk_mem_sample(struct sk_mem *m)
{
    int pids[256], n, i;
    uint64_t rss = 0, pss = 0, hwm = 0, anon = 0, cpu = 0;
    char path[64];

    if (m->root <= 0)
        return;
    n = sk_proc_tree(m->root, pids, 256, &cpu);
    for (i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "/proc/%d/status", pids[i]);
        rss += sk_proc_kb(path, "VmRSS");
        hwm += sk_proc_kb(path, "VmHWM");
        anon += sk_proc_kb(path, "RssAnon");
        if (m->samples % 4 == 0) { /* smaps_rollup walks page tables: 1 in 4 */
            snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pids[i]);
            pss += sk_proc_kb(path, "Pss");
        }
    }
    if (m->samples == 0)
        m->start_rss_kb = rss, m->start_anon_kb = anon, m->cpu_start = cpu;
    m->cpu_end = cpu;
    if (rss > m->peak_rss_kb)
        m->peak_rss_kb = rss;
    if (pss > m->peak_pss_kb)
        m->peak_pss_kb = pss;
    if (anon > m->peak_anon_kb)
        m->peak_anon_kb = anon;
    if (rss > 0)
        m->hwm_kb = hwm;
    m->samples++;
}

/* Seconds of CPU the tree used between the first and the last sample. */
static double sk_tree_cpu_s(const struct sk_mem *m)
{
    long hz = sysconf(_SC_CLK_TCK);

    return m->cpu_end > m->cpu_start && hz > 0 ? (double)(m->cpu_end - m->cpu_start) / hz : 0;
}

void sk_report_print(FILE *out, struct sk_report *r, int json)
{
    struct sk_counts *c = &r->c;
    double el = r->elapsed > 0 ? r->elapsed : 1e-9;
    double rps;
    double mbs, p50, p90, p99, pmax;

    sk_lat_sort(&r->lat);
    rps = (double)c->completed / el;
    mbs = (double)c->body_sent / el / 1e6;
    p50 = sk_lat_quantile(&r->lat, 0.50);
    p90 = sk_lat_quantile(&r->lat, 0.90);
    p99 = sk_lat_quantile(&r->lat, 0.99);
    pmax = sk_lat_quantile(&r->lat, 1.0);

    if (json) {
        fprintf(out,
                "{\"method\":\"%s\",\"service\":\"%s\",\"connections\":%d,"
                "\"elapsed_s\":%.3f,\"completed\":%llu,\"req_per_s\":%.1f,"
                "\"mb_per_s\":%.2f,\"body_bytes_sent\":%llu,\"body_bytes_recv\":%llu,"
                "\"lat_ms\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f},"
                "\"status\":{\"100\":%llu,\"200\":%llu,\"204\":%llu,\"4xx\":%llu,"
                "\"5xx\":%llu,\"other\":%llu},\"conn_errors\":%llu,\"proto_errors\":%llu,"
                "\"timeouts\":%llu,\"reconnects\":%llu,\"refused\":%llu,\"resets\":%llu,"
                "\"ok_per_s\":%.1f,"
                "\"mem\":{\"root_pid\":%d,\"start_rss_kb\":%llu,\"peak_rss_kb\":%llu,\"peak_pss_"
                "kb\":%llu,\"start_anon_kb\":%llu,\"peak_anon_kb\":%llu,"
                "\"hwm_sum_kb\":%llu,\"samples\":%u,\"cpu_s\":%.3f}}\n",
                r->method, r->service, r->connections, r->elapsed, (unsigned long long)c->completed,
                rps, mbs, (unsigned long long)c->body_sent, (unsigned long long)c->body_recv, p50,
                p90, p99, pmax, (unsigned long long)c->st100, (unsigned long long)c->st200,
                (unsigned long long)c->st204, (unsigned long long)c->st4xx,
                (unsigned long long)c->st5xx, (unsigned long long)c->st_other,
                (unsigned long long)c->conn_errors, (unsigned long long)c->proto_errors,
                (unsigned long long)c->timeouts, (unsigned long long)c->reconnects,
                (unsigned long long)c->refused, (unsigned long long)c->resets,
                (double)(c->st200 + c->st204) / el, r->mem.root,
                (unsigned long long)r->mem.start_rss_kb, (unsigned long long)r->mem.peak_rss_kb,
                (unsigned long long)r->mem.peak_pss_kb, (unsigned long long)r->mem.start_anon_kb,
                (unsigned long long)r->mem.peak_anon_kb, (unsigned long long)r->mem.hwm_kb,
                r->mem.samples, sk_tree_cpu_s(&r->mem));
        return;
    }
    fprintf(out, "%s %s, %d connections, %.2f s\n", r->method, r->service, r->connections,
            r->elapsed);
    fprintf(out, "  requests:  %llu completed, %.1f req/s, %.2f MB/s body sent\n",
            (unsigned long long)c->completed, rps, mbs);
    fprintf(out, "  latency:   p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms\n", p50, p90, p99,
            pmax);
    fprintf(out, "  status:    100=%llu 200=%llu 204=%llu 4xx=%llu 5xx=%llu other=%llu\n",
            (unsigned long long)c->st100, (unsigned long long)c->st200,
            (unsigned long long)c->st204, (unsigned long long)c->st4xx,
            (unsigned long long)c->st5xx, (unsigned long long)c->st_other);
    fprintf(out,
            "  errors:    connection=%llu (refused %llu, reset %llu) protocol=%llu timeouts=%llu "
            "(reconnects %llu)\n",
            (unsigned long long)c->conn_errors, (unsigned long long)c->refused,
            (unsigned long long)c->resets, (unsigned long long)c->proto_errors,
            (unsigned long long)c->timeouts, (unsigned long long)c->reconnects);
    if (r->mem.root > 0)
        fprintf(out,
                "  memory:    pid %d tree RSS %.1f MB at start, peak %.1f MB (+%.1f), "
                "peak PSS %.1f MB; its own (RssAnon) %.1f MB at start, peak %.1f MB (+%.1f)\n",
                r->mem.root, r->mem.start_rss_kb / 1024.0, r->mem.peak_rss_kb / 1024.0,
                (r->mem.peak_rss_kb - r->mem.start_rss_kb) / 1024.0, r->mem.peak_pss_kb / 1024.0,
                r->mem.start_anon_kb / 1024.0, r->mem.peak_anon_kb / 1024.0,
                ((double)r->mem.peak_anon_kb - (double)r->mem.start_anon_kb) / 1024.0);
    if (r->mem.root > 0 && c->completed > 0)
        fprintf(out, "  cpu:       pid %d tree %.2f s, %.1f us per completed request\n",
                r->mem.root, sk_tree_cpu_s(&r->mem), sk_tree_cpu_s(&r->mem) * 1e6 / c->completed);
}
