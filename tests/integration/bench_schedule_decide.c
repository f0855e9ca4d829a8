/* bench_schedule_decide.c - in-process cost of schedules in the URL
 * decision, beside bench_schedule.py (which measures the daemon). Reads two
 * policy databases the script made (20 matching rules, without and with
 * 20 schedules) and times N decisions of the bench URL in each; prints ns
 * per decision. Not a test: figures only. Trusted input (the script's). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <sekisho/policy_db.h>
#include <sekisho/policy_snapshot.h>

static double sk_b_ns(const char *db, long n)
{
    struct sk_url_decision d;
    struct sk_url u = {0};
    struct timespec a, b;
    struct sk_snapshot *s;
    struct sk_pdb *p;
    char *err = NULL;
    int64_t now = (int64_t)time(NULL);

    if ((p = sk_pdb_open(db, SK_PDB_RO, &err)) == NULL || (s = sk_snapshot_load(p, &err)) == NULL ||
        sk_url_normalize("http://bench.example/", 0, &u, &err) != 0) {
        fprintf(stderr, "%s: %s\n", db, err ? err : "?");
        exit(1);
    }
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < n; i++)
        sk_policy_check_url_at(sk_snapshot_default(s), &u, now + i / 1000, &d);
    clock_gettime(CLOCK_MONOTONIC, &b);
    sk_url_free(&u);
    sk_snapshot_unref(s);
    sk_pdb_close(p);
    return ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / (double)n;
}

int main(int argc, char **argv)
{
    long n = argc > 3 ? atol(argv[3]) : 1000000;

    if (argc < 3) {
        fprintf(stderr, "usage: bench_schedule_decide NONE.db SCHED.db [N]\n");
        return 2;
    }
    for (int r = 0; r < 3; r++)
        printf("decide ns: none %.0f sched %.0f\n", sk_b_ns(argv[1], n), sk_b_ns(argv[2], n));
    return 0;
}
