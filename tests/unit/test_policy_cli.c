/* test_policy_cli.c - sekisho-policy policy/url/category/show/export/
 * import/rollback/check commands, run as the built binary in a temp dir:
 * exit codes, one-line errors, "bad input changes nothing", byte-identical
 * export round trip, rollback, a 100,000-line category import (timed,
 * printed, not asserted). */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <sqlite3.h>

#ifndef SK_TEST_MODULE_DIR
#define SK_TEST_MODULE_DIR "."
#endif

struct sk_tcli {
    char dir[64];
    char db[128];
    char *out, *err; /* last run's stdout / stderr */
};

static void sk_t_rmtree(const char *path)
{
    struct dirent *e;
    struct stat sb;
    char p[512];
    DIR *d;

    if (lstat(path, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
        unlink(path);
        return;
    }
    if ((d = opendir(path)) != NULL) {
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
            sk_t_rmtree(p);
        }
        closedir(d);
    }
    rmdir(path);
}

static int sk_t_setup(void **state)
{
    struct sk_tcli *t = calloc(1, sizeof(*t));

    if (t == NULL)
        return -1;
    strcpy(t->dir, "/tmp/sk-test-cli-XXXXXX");
    if (mkdtemp(t->dir) == NULL) {
        free(t);
        return -1;
    }
    snprintf(t->db, sizeof(t->db), "%s/policy.db", t->dir);
    *state = t;
    return 0;
}

static int sk_t_teardown(void **state)
{
    struct sk_tcli *t = *state;

    sk_t_rmtree(t->dir);
    free(t->out);
    free(t->err);
    free(t);
    return 0;
}

static char *sk_t_read(const char *path)
{
    struct stat sb;
    char *buf;
    int fd = open(path, O_RDONLY);
    ssize_t n;

    assert_true(fd >= 0);
    assert_int_equal(fstat(fd, &sb), 0);
    buf = malloc((size_t)sb.st_size + 1);
    assert_non_null(buf);
    n = read(fd, buf, (size_t)sb.st_size);
    assert_int_equal(n, sb.st_size);
    buf[n] = '\0';
    close(fd);
    return buf;
}

/* Run the CLI with --db DB and ARGV (NULL-terminated); stdout to OUTFILE
 * (if not NULL) else T->dir/out. Returns the exit status. */
static int sk_t_run_to(struct sk_tcli *t, const char *db, const char *outfile,
                       const char *const *argv)
{
    char bin[300], out[200], errf[200];
    const char *args[40];
    int n = 0, status, fd;
    pid_t pid;

    snprintf(bin, sizeof(bin), "%s/../../bin/sekisho-policy", SK_TEST_MODULE_DIR);
    if (access(bin, X_OK) != 0)
        fail_msg("%s not built (build the sekisho-policy target first)", bin);
    snprintf(out, sizeof(out), "%s/out", t->dir);
    snprintf(errf, sizeof(errf), "%s/err", t->dir);
    args[n++] = bin;
    args[n++] = "--db";
    args[n++] = db;
    while (*argv != NULL && n < 39)
        args[n++] = *argv++;
    args[n] = NULL;
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if ((fd = open(outfile ? outfile : out, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0)
            dup2(fd, 1);
        if ((fd = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0)
            dup2(fd, 2);
        execv(bin, (char *const *)args);
        _exit(127);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    free(t->out);
    free(t->err);
    t->out = outfile ? strdup("") : sk_t_read(out);
    t->err = sk_t_read(errf);
    return WEXITSTATUS(status);
}

#define SK_RUN(t, ...) sk_t_run_to((t), (t)->db, NULL, (const char *const[]){__VA_ARGS__, NULL})

/* Exit CODE and, for 0, WHAT in stdout; otherwise exactly one stderr line
 * holding WHAT. */
static void sk_t_expect(struct sk_tcli *t, int got, int code, const char *what, int step)
{
    const char *nl;

    if (got != code)
        fail_msg("step %d: exit %d, want %d; stdout: %s stderr: %s", step, got, code, t->out,
                 t->err);
    if (code == 0) {
        if (*what != '\0' && strstr(t->out, what) == NULL)
            fail_msg("step %d: stdout '%s' lacks '%s'", step, t->out, what);
        return;
    }
    if (strstr(t->err, what) == NULL)
        fail_msg("step %d: stderr '%s' lacks '%s'", step, t->err, what);
    nl = strchr(t->err, '\n');
    if (nl == NULL || nl[1] != '\0')
        fail_msg("step %d: stderr is not one line: '%s'", step, t->err);
}

struct sk_tstep {
    const char *argv[18];
    int code;
    const char *what; /* in stdout (exit 0) or the one stderr line */
};

/* Run STEPS; after each failing step the generation must not have moved. */
static void sk_t_steps(struct sk_tcli *t, const struct sk_tstep *steps, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char before[32] = "", after[32] = "";
        int code;
        if (SK_RUN(t, "generation") == 0)
            snprintf(before, sizeof(before), "%s", t->out);
        code = sk_t_run_to(t, t->db, NULL, steps[i].argv);
        sk_t_expect(t, code, steps[i].code, steps[i].what, (int)i);
        if (steps[i].code != 0 && before[0]) {
            assert_int_equal(SK_RUN(t, "generation"), 0);
            snprintf(after, sizeof(after), "%s", t->out);
            if (strcmp(before, after) != 0)
                fail_msg("step %zu: refused command moved the generation %s -> %s", i, before,
                         after);
        }
    }
}

static void test_policy_commands(void **state)
{
    static const struct sk_tstep steps[] = {
        {{"policy", "list"}, 1, "no such file"},
        {{"init"}, 0, "schema 6, generation 1"},
        {{"policy", "add", "staff", "--client-ip", "10.0.0.0/8", "--user", "alice", "--group",
          "CORP\\staff", "--priority", "10", "--comment", "the staff"},
         0,
         "added policy 'staff' (priority 10)"},
        {{"policy", "add", "kids", "--client-ip", "2001:db8::/32", "--client-ip", "192.0.2.7"},
         0,
         "priority 100"},
        {{"policy", "add", "x", "--client-ip", "10.1.2.3/8"},
         2,
         "host bits set (the network"
         " is 10.0.0.0/8)"},
        {{"policy", "add", "x", "--client-ip", "10.0.0.0/33"}, 2, "prefix length must be 0..32"},
        {{"policy", "add", "x", "--client-ip", "example.com"}, 2, "not an IPv4 or IPv6"},
        {{"policy", "add", "x", "--priority", "10"},
         2,
         "priority 10 is already used by policy"
         " 'staff'"},
        {{"policy", "add", "x", "--priority", "1000000"}, 2, "invalid priority '1000000'"},
        {{"policy", "add", "x", "--priority", "-5"}, 2, "invalid priority '-5'"},
        {{"policy", "add", "staff"}, 2, "policy 'staff' already exists"},
        {{"policy", "add", "bad name"}, 2, "invalid policy name"},
        {{"policy", "add", "x", "--json"}, 2, "does not apply"},
        {{"policy", "rm", "default"}, 2, "the default policy cannot be removed"},
        {{"policy", "rm", "ghost"}, 2, "no such policy 'ghost'"},
        {{"policy", "scope", "add", "default", "--user", "bob"}, 2, "cannot have a scope"},
        {{"policy", "set", "default", "--priority", "5"}, 2, "the default policy cannot"},
        {{"policy", "frob"}, 2, "unknown policy command 'frob'"},
        {{"policy"}, 2, "needs a subcommand"},
        {{"policy", "scope", "add", "kids", "--user", "bob", "--client-ip", "192.0.2.7"},
         0,
         "added 1 of 2 scope entries to policy 'kids'; the others were already there"},
        {{"policy", "scope", "rm", "kids", "--user", "bob"}, 0, "removed 1 of 1"},
        {{"policy", "scope", "add", "kids"}, 2, "give --client-ip, --user or --group"},
        {{"policy", "set", "kids", "--priority", "50", "--comment", "children"},
         0,
         "changed policy 'kids'"},
        {{"policy", "disable", "kids"}, 0, "disabled policy 'kids'"},
        {{"policy", "list", "--json"},
         0,
         "{\"name\":\"kids\",\"priority\":50,\"enabled\":false,\"comment\":\"children\","
         "\"scope\":\"client-ip:192.0.2.7/32 client-ip:2001:db8::/32\""},
        {{"policy", "enable", "kids"}, 0, "enabled policy 'kids'"},
        {{"policy", "show", "staff", "--json"},
         0,
         "{\"key\":\"av.enabled\",\"value\":\"on\","
         "\"source\":\"built-in\"}"},
        {{"show", "--policy", "staff"}, 0, "user  alice"},
        {{"show", "--policy", "ghost"}, 2, "no such policy 'ghost'"},
        {{"history", "--limit", "1"}, 0, "policy enable kids"},
        {{"history"},
         0,
         "policy add staff --client-ip 10.0.0.0/8 --user alice --group"
         " 'CORP\\staff' --priority 10 --comment 'the staff'"},
        {{"policy", "rm", "kids"}, 0, "removed policy 'kids'"},
        {{"policy", "list"}, 0, "1000000  default"},
    };

    sk_t_steps(*state, steps, sizeof(steps) / sizeof(steps[0]));
}

static void test_url_commands(void **state)
{
    static const struct sk_tstep steps[] = {
        {{"init"}, 0, "generation 1"},
        {{"policy", "add", "kids", "--client-ip", "192.0.2.0/24"}, 0, "added"},
        {{"url", "add", "--list", "block", "--match", "prefix", "example.com/ads"},
         0,
         "added rule 1 to policy 'default'"},
        {{"url", "add", "--list", "block", "--match", "prefix", "http://EXAMPLE.com/ads"},
         0,
         "rule already in policy 'default'; nothing added"},
        {{"url", "add", "--list", "allow", "--match", "domain", "*.Bücher.de", "--policy", "kids",
          "--comment", "books"},
         0,
         "added rule 2 to policy 'kids'"},
        {{"url", "add", "--list", "approved", "--match", "regex", "^[a-z]+\\.test/x", "--policy",
          "kids"},
         0,
         "added rule 3"},
        {{"url", "add", "--list", "block", "--match", "regex", "a(b"},
         2,
         "invalid regex 'a(b': missing closing parenthesis at offset 3"},
        {{"url", "add", "--list", "block", "--match", "domain", "bad..com"},
         2,
         "invalid domain 'bad..com'"},
        {{"url", "add", "--list", "deny", "--match", "domain", "x.com"}, 2, "invalid list 'deny'"},
        {{"url", "add", "--list", "block", "--match", "glob", "x.com"}, 2, "invalid match 'glob'"},
        {{"url", "add", "--match", "domain", "x.com"}, 2, "give --list"},
        {{"url", "add", "--list", "block", "--match", "exact", "a b"}, 2, "no spaces"},
        {{"url", "add", "--list", "block", "--match", "domain", "x.com", "--policy", "ghost"},
         2,
         "no such policy 'ghost'"},
        {{"url", "list", "--json", "--policy", "kids"},
         0,
         "{\"id\":2,\"policy\":\"kids\",\"list\":\"allow\",\"match\":\"domain\","
         "\"pattern\":\"xn--bcher-kva.de\",\"comment\":\"books\"}"},
        {{"url", "list", "--list", "block"}, 0, "example.com/ads"},
        {{"url", "list", "--list", "nope"}, 2, "invalid list 'nope'"},
        {{"url", "list", "--policy", "ghost"}, 2, "no such policy 'ghost'"},
        {{"check", "http://example.com/ads/banner.gif", "--json"},
         0,
         "{\"verdict\":\"block\",\"policy\":\"default\",\"rule\":\"example.com/ads\","
         "\"list\":\"block\",\"match\":\"prefix\""},
        {{"check", "http://example.com/ads/banner.gif"},
         0,
         "block — policy 'default', rule 'prefix:example.com/ads' (list block)"},
        {{"check", "http://www.xn--bcher-kva.de/", "--client-ip", "192.0.2.9", "--json"},
         0,
         "\"verdict\":\"allow\",\"policy\":\"kids\",\"rule\":\"xn--bcher-kva.de\""},
        {{"check", "http://other.org/", "--json"},
         0,
         "{\"verdict\":\"allow\",\"policy\":\"default\",\"rule\":\"\""},
        {{"check", "http://x/", "--client-ip", "10.0.0.0/8"}, 2, "check takes one address"},
        {{"url", "rm", "99"}, 2, "no URL rule 99"},
        {{"url", "rm", "abc"}, 2, "invalid rule id 'abc'"},
        {{"url", "rm", "2"}, 0, "removed the rule"},
        {{"url", "rm", "--list", "block", "--match", "prefix", "example.com/ads"}, 0, "removed"},
        {{"url", "rm", "--list", "block", "--match", "prefix", "example.com/ads"},
         2,
         "no such rule in policy 'default'"},
        {{"check", "http://example.com/ads/banner.gif", "--json"}, 0, "\"verdict\":\"allow\""},
    };

    sk_t_steps(*state, steps, sizeof(steps) / sizeof(steps[0]));
}

/* DIR/NAME with N domains "dN.example.com" plus extra lines EXTRA. */
static void sk_t_list(struct sk_tcli *t, const char *dir, const char *name, int n,
                      const char *extra)
{
    char path[300];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", t->dir, dir);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/%s/%s", t->dir, dir, name);
    assert_non_null(f = fopen(path, "w"));
    fputs("# a squidGuard list\n\n", f);
    for (int i = 0; i < n; i++)
        fprintf(f, "d%d.example%d.com\n", i * 7919 % (n ? n : 1), i % 97);
    fputs(extra, f);
    fclose(f);
}

static void test_category_commands(void **state)
{
    struct sk_tcli *t = *state;
    char dir[200], small[200], junk[200], nodir[200];
    struct timespec t0, t1;

    snprintf(dir, sizeof(dir), "%s/adult", t->dir);
    snprintf(small, sizeof(small), "%s/small", t->dir);
    snprintf(junk, sizeof(junk), "%s/junk", t->dir);
    snprintf(nodir, sizeof(nodir), "%s/missing", t->dir);
    sk_t_list(t, "adult", "domains", 100000,
              ".Leading.EXAMPLE.org.\nnot a domain\nd0.example0.com\n");
    sk_t_list(t, "adult", "urls", 0, "Example.net/path/X\nhttp://foo.example/bar\n");
    sk_t_list(t, "small", "domains", 10, "");
    sk_t_list(t, "junk", "domains", 0, "<html>\n<body>\nnot found\n</body>\nok.com\n");
    mkdir(nodir, 0700);
    rmdir(nodir);

    SK_RUN(t, "init");
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sk_t_expect(t, SK_RUN(t, "category", "import", "adult", dir), 0,
                "imported category 'adult': 100001 domains, 2 urls, 0 expressions", 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    print_message("category import of 100,000 domains: %.2f s\n",
                  (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    assert_non_null(strstr(t->out, "1 invalid lines skipped (first: domains line 100004)"));
    assert_non_null(strstr(t->out, "1 repeated lines stored once"));
    {
        const struct sk_tstep steps[] = {
            {{"category", "list", "--json"},
             0,
             "{\"name\":\"adult\",\"domains\":100001,\"urls\":2,\"expressions\":0,"
             "\"blocked_by\":\"\""},
            {{"category", "import", "junk", junk}, 2, "not a squidGuard list?"},
            {{"category", "import", "x", nodir}, 2, "cannot read category directory"},
            {{"category", "import", "bad/name", dir}, 2, "invalid category name"},
            {{"category", "import", "small", t->dir}, 2, "neither a 'domains' nor a 'urls'"},
            {{"category", "block", "adult", "--policy", "ghost"}, 2, "no such policy 'ghost'"},
            {{"category", "block", "nope"}, 2, "no such category 'nope'"},
            {{"category", "block", "adult"}, 0, "category 'adult' blocked in policy 'default'"},
            {{"category", "block", "adult"}, 0, "(it already was)"},
            {{"check", "http://leading.example.org/x", "--json"},
             0,
             "\"verdict\":\"block\",\"policy\":\"default\",\"rule\":\"leading.example.org\","
             "\"list\":\"category\",\"match\":\"domain\",\"category\":\"adult\""},
            {{"check", "http://leading.example.org/x"}, 0, "category 'adult'"},
            {{"category", "import", "adult", small}, 0, "imported category 'adult': 10 domains"},
            {{"category", "list"}, 0, "default"},
            {{"check", "http://leading.example.org/x", "--json"}, 0, "\"verdict\":\"allow\""},
            {{"category", "unblock", "adult"}, 0, "not blocked in policy 'default'"},
            {{"category", "rm", "adult"}, 0, "removed category 'adult'"},
            {{"category", "rm", "adult"}, 2, "no such category 'adult'"},
            {{"category", "list", "--json"}, 0, "[]"},
        };
        sk_t_steps(t, steps, sizeof(steps) / sizeof(steps[0]));
    }
}

/* A database with some of everything. */
static void sk_t_populate(struct sk_tcli *t)
{
    char dir[200];

    snprintf(dir, sizeof(dir), "%s/cat", t->dir);
    sk_t_list(t, "cat", "domains", 500, "");
    sk_t_list(t, "cat", "urls", 0, "example.net/a\"quote\\back\n");
    sk_t_list(t, "cat", "expressions", 0, "(^|\\.)bad[0-9]+\\.com/\n");
    assert_int_equal(SK_RUN(t, "init"), 0);
    assert_int_equal(SK_RUN(t, "policy", "add", "staff", "--client-ip", "10.0.0.0/8", "--group",
                            "Ärzte", "--comment", "tab\there \"quoted\" ü"),
                     0);
    assert_int_equal(SK_RUN(t, "set", "av.max-scan-size", "2048K", "--policy", "staff"), 0);
    assert_int_equal(SK_RUN(t, "set", "page.contact", "IT \"desk\" ☎", "--policy", "default"), 0);
    assert_int_equal(SK_RUN(t, "url", "add", "--list", "block", "--match", "regex", "\\.exe$",
                            "--comment", "no\\exe"),
                     0);
    assert_int_equal(SK_RUN(t, "url", "add", "--list", "allow", "--match", "substring", "safe",
                            "--policy", "staff"),
                     0);
    assert_int_equal(SK_RUN(t, "category", "import", "cat", dir), 0);
    assert_int_equal(SK_RUN(t, "category", "block", "cat", "--policy", "staff"), 0);
}

static void test_export_import(void **state)
{
    struct sk_tcli *t = *state;
    char e1[200], e2[200], db2[200], bad[200];
    char *a, *b;
    FILE *f;

    sk_t_populate(t);
    snprintf(e1, sizeof(e1), "%s/e1.json", t->dir);
    snprintf(e2, sizeof(e2), "%s/e2.json", t->dir);
    snprintf(db2, sizeof(db2), "%s/second.db", t->dir);
    snprintf(bad, sizeof(bad), "%s/bad.json", t->dir);
    assert_int_equal(sk_t_run_to(t, t->db, e1, (const char *const[]){"export", NULL}), 0);
    assert_int_equal(sk_t_run_to(t, db2, NULL, (const char *const[]){"init", NULL}), 0);
    assert_int_equal(sk_t_run_to(t, db2, NULL, (const char *const[]){"import", e1, NULL}), 0);
    assert_int_equal(sk_t_run_to(t, db2, e2, (const char *const[]){"export", NULL}), 0);
    a = sk_t_read(e1);
    b = sk_t_read(e2);
    assert_string_equal(a, b); /* byte-identical */
    assert_non_null(strstr(a, "\"tab\\there \\\"quoted\\\" ü\""));
    assert_non_null(strstr(a, "\"av.max-scan-size\": \"2M\""));
    free(a);
    free(b);
    /* Import replaces: import into the populated one too, still equal. */
    assert_int_equal(SK_RUN(t, "import", e1), 0);
    assert_int_equal(sk_t_run_to(t, t->db, e2, (const char *const[]){"export", NULL}), 0);
    a = sk_t_read(e1);
    b = sk_t_read(e2);
    assert_string_equal(a, b);
    free(b);

    /* Bad documents: exit 2, one line, nothing changed. */
    {
        static const struct {
            const char *text;
            const char *what;
        } bads[] = {
            {"", "is empty"},
            {"{\"format\": \"other\"}", "not a Sekisho policy export"},
            {"[1, 2", "line 1: expected ',' or ']'"},
            {"{\"format\": \"sekisho-policy\", \"version\": 1.5}", "only integers"},
            {"{\"a\": \"\\ud800\"}", "high surrogate without a low one"},
            /* jq would read the last "format", we read none of them */
            {"{\"format\": \"sekisho-policy\",\n \"format\": \"other\"}",
             "line 2: member \"format\" repeated in the top-level object"},
            /* a "\n" in a string is no line of the document */
            {"{\"a\": \"x\\ny\\nz\",\n \"b\": tru}", "line 2: unexpected character"},
            {"{\"format\": \"sekisho-policy\", \"version\": 1, \"policies\": [],"
             " \"categories\": []}",
             "default policy exactly once"},
        };
        for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
            assert_non_null(f = fopen(bad, "w"));
            fputs(bads[i].text, f);
            fclose(f);
            sk_t_expect(t, SK_RUN(t, "import", bad), 2, bads[i].what, (int)i);
        }
        /* A valid document with one bad value deep inside. */
        {
            char *doc = strdup(a), *p = strstr(doc, "\"10.0.0.0/8\"");
            assert_non_null(p);
            memcpy(p, "\"10.0.0.1/8\"", 12);
            assert_non_null(f = fopen(bad, "w"));
            fputs(doc, f);
            fclose(f);
            free(doc);
            sk_t_expect(t, SK_RUN(t, "import", bad), 2, "host bits set", 99);
        }
        /* A DLP template with a detector `dlp add` would refuse. */
        {
            const char *p = strstr(a, "\"dlp_templates\": []");
            assert_non_null(p);
            assert_non_null(f = fopen(bad, "w"));
            fprintf(f,
                    "%.*s\"dlp_templates\": [{\"name\": \"x\", \"detectors\": "
                    "\"credit-cardz\", \"min_count\": 1, \"action\": \"block\"}]%s",
                    (int)(p - a), a, p + strlen("\"dlp_templates\": []"));
            fclose(f);
            sk_t_expect(t, SK_RUN(t, "import", bad), 2, "unknown detector 'credit-cardz'", 98);
        }
        sk_t_expect(t, SK_RUN(t, "import", "/nonexistent/x.json"), 2, "cannot read", 100);
        assert_int_equal(sk_t_run_to(t, t->db, e2, (const char *const[]){"export", NULL}), 0);
        b = sk_t_read(e2);
        assert_string_equal(a, b); /* unchanged */
        free(b);
    }
    /* \uXXXX escapes, surrogate pairs included, are read. */
    {
        char *p = strstr(a, "\"tab\\t");
        assert_non_null(p);
        /* "tab\t becomes U+1F600 written as a surrogate pair. */
        assert_non_null(f = fopen(bad, "w"));
        fprintf(f, "%.*s\"\\ud83d\\ude00%s", (int)(p - a), a, p + 6);
        fclose(f);
        sk_t_expect(t, SK_RUN(t, "import", bad), 0, "imported", 101);
        sk_t_expect(t, SK_RUN(t, "policy", "list", "--json"), 0, "\"comment\":\"😀here \\\"quoted",
                    102);
    }
    /* Bytes that are not UTF-8 (here a comment) come out as U+FFFD, control
     * characters as \u00XX: the JSON stays valid. */
    sk_t_expect(t,
                SK_RUN(t, "policy", "add", "badutf8", "--comment",
                       "a\xff"
                       "b\x01"
                       "c"),
                0, "added policy", 103);
    sk_t_expect(t, SK_RUN(t, "policy", "list", "--json"), 0, "\"comment\":\"a\\ufffdb\\u0001c\"",
                104);
    free(a);
}

static void test_rollback(void **state)
{
    struct sk_tcli *t = *state;
    char e1[200], e2[200];
    char *a, *b;

    snprintf(e1, sizeof(e1), "%s/e1.json", t->dir);
    snprintf(e2, sizeof(e2), "%s/e2.json", t->dir);
    sk_t_populate(t); /* generations 1..8 */
    assert_int_equal(sk_t_run_to(t, t->db, e1, (const char *const[]){"export", NULL}), 0);
    assert_int_equal(SK_RUN(t, "generation"), 0);
    assert_string_equal(t->out, "8\n");
    assert_int_equal(SK_RUN(t, "policy", "rm", "staff"), 0);
    assert_int_equal(SK_RUN(t, "category", "rm", "cat"), 0);
    assert_int_equal(SK_RUN(t, "set", "av.enabled", "off"), 0);
    /* Back to 8: everything, category entries included, as exported. */
    sk_t_expect(t, SK_RUN(t, "rollback", "8"), 0,
                "restored the policy of generation 8 (generation 12)", 0);
    assert_int_equal(sk_t_run_to(t, t->db, e2, (const char *const[]){"export", NULL}), 0);
    a = sk_t_read(e1);
    b = sk_t_read(e2);
    assert_string_equal(a, b);
    free(a);
    free(b);
    /* Back to 1: the empty policy; then forward again to 11. */
    sk_t_expect(t, SK_RUN(t, "rollback", "1"), 0, "generation 13", 1);
    sk_t_expect(t, SK_RUN(t, "policy", "list", "--json"), 0, "[\n  {\"name\":\"default\"", 2);
    sk_t_expect(t, SK_RUN(t, "rollback", "11"), 0, "generation 14", 3);
    sk_t_expect(t, SK_RUN(t, "get", "av.enabled"), 0, "off", 4);
    sk_t_expect(t, SK_RUN(t, "history", "--limit", "1"), 0, "rollback 11", 5);
    {
        static const struct sk_tstep steps[] = {
            {{"rollback", "99"}, 1, "no generation 99 (the current generation is 14)"},
            {{"rollback", "0"}, 2, "invalid generation '0'"},
            {{"rollback", "x"}, 2, "invalid generation 'x'"},
            {{"rollback"}, 2, "usage:"},
        };
        sk_t_steps(t, steps, sizeof(steps) / sizeof(steps[0]));
    }
}

/* A schema-v1 database (v2 tables removed by hand) with a category is
 * migrated by init; its entries get archived so rollback can restore them. */
static void test_migrate_v1(void **state)
{
    struct sk_tcli *t = *state;
    sqlite3 *db;

    assert_int_equal(SK_RUN(t, "init"), 0);
    assert_int_equal(sqlite3_open(t->db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "DROP TABLE directories;" /* v5 (v6 with it) */
                                  /* undo v4 (schedules), then v2 */
                                  " DROP TRIGGER schedules_fixed_name; DROP TRIGGER url_rules_when;"
                                  " DROP TRIGGER policy_categories_when; DROP TRIGGER"
                                  " dlp_templates_when; DROP TABLE schedules;"
                                  " ALTER TABLE url_rules DROP COLUMN when_sched;"
                                  " ALTER TABLE policy_categories DROP COLUMN when_sched;"
                                  " ALTER TABLE dlp_templates DROP COLUMN when_sched;"
                                  "DROP TABLE snapshot_categories; DROP TABLE snapshots;"
                                  " DROP TABLE category_current; DROP TABLE"
                                  " category_versions; PRAGMA user_version = 1;"
                                  " INSERT INTO categories(name) VALUES ('old');"
                                  " INSERT INTO category_entries VALUES"
                                  " (1, 'domain', 'a.example'), (1, 'domain', 'b.example');",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    sk_t_expect(t, SK_RUN(t, "category", "list"), 1, "older than this build", 0);
    sk_t_expect(t, SK_RUN(t, "init"), 0, "migrated policy database", 1);
    /* one generation per step: v1 -> v6 is generations 2..6 */
    sk_t_expect(t, SK_RUN(t, "category", "rm", "old"), 0, "generation 7", 2);
    sk_t_expect(t, SK_RUN(t, "rollback", "2"), 0, "generation 8", 3);
    sk_t_expect(t, SK_RUN(t, "category", "list", "--json"), 0, "\"name\":\"old\",\"domains\":2", 4);
}

/* A schema-v5 directory (no domains/realms columns) is migrated to v6:
 * it serves the domain of its base, and its export (so the content hash
 * fleets compare) does not change. */
static void test_migrate_v5(void **state)
{
    struct sk_tcli *t = *state;
    sqlite3 *db;

    assert_int_equal(SK_RUN(t, "init"), 0);
    assert_int_equal(sqlite3_open(t->db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "ALTER TABLE directories DROP COLUMN domains;"
                                  " ALTER TABLE directories DROP COLUMN realms;"
                                  " PRAGMA user_version = 5;"
                                  " INSERT INTO directories(name, uris, base, bind_dn,"
                                  " password_file, group_attrs) VALUES ('corp',"
                                  " 'ldap://127.0.0.1:389', 'dc=corp,dc=example',"
                                  " 'cn=x,dc=corp,dc=example', '/nonexistent/secret',"
                                  " 'member uniqueMember');",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    sk_t_expect(t, SK_RUN(t, "init"), 0, "migrated policy database", 0);
    sk_t_expect(t, SK_RUN(t, "directory", "list", "--json"), 0,
                "\"domains\":[\"CORP\"],\"realms\":[\"corp.example\"],"
                "\"domains_from_base\":true",
                1);
    sk_t_expect(t, SK_RUN(t, "export"), 0, "\"group_attrs\": \"member uniqueMember\"}", 2);
    sk_t_expect(
        t,
        SK_RUN(t, "directory", "set", "corp", "--domain", "corp,Child", "--realm", "Corp.Example"),
        0, "changed directory 'corp'", 3);
    sk_t_expect(t, SK_RUN(t, "directory", "list", "--json"), 0,
                "\"domains\":[\"CORP\",\"CHILD\"],\"realms\":[\"corp.example\"],"
                "\"domains_from_base\":false",
                4);
    sk_t_expect(t, SK_RUN(t, "export"), 0,
                "\"group_attrs\": \"member uniqueMember\", \"domains\": \"CORP CHILD\","
                " \"realms\": \"corp.example\"}",
                5);
    sk_t_expect(t, SK_RUN(t, "directory", "set", "corp", "--domain", "bad\\name"), 2,
                "NetBIOS domain", 6);
    sk_t_expect(t, SK_RUN(t, "directory", "set", "corp", "--realm", "a..b"), 2, "DNS name", 7);
    sk_t_expect(t, SK_RUN(t, "directory", "set", "corp", "--uri", "ldap://x"), 2,
                "only --domain and --realm", 8);
    sk_t_expect(t, SK_RUN(t, "directory", "set", "nosuch", "--domain", "X"), 2,
                "no directory 'nosuch'", 9);
}

/* A scope is stored only if the snapshot load takes it (red team 7:
 * "CN=A\2" was stored, then failed every load, so servers kept their
 * last policy and no later change applied), and a group name with a
 * comma, which the group list cannot carry, is refused as never matching. */
static void test_scope_names(void **state)
{
    struct sk_tcli *t = *state;
    static const struct sk_tstep steps[] = {
        {{"init"}, 0, ""},
        {{"policy", "add", "a", "--group", "CN=A\\2,OU=x"},
         2,
         "invalid group 'CN=A\\2,OU=x': it names nobody"},
        {{"policy", "add", "a", "--group", "CN=,OU=x"}, 2, "names nobody"},
        {{"policy", "add", "a", "--user", "cn=\\00x"},
         2,
         "invalid user 'cn=\\00x': it names nobody"},
        {{"policy", "add", "a", "--group", "Sales, EU"},
         2,
         "a group name with a comma can never match"},
        {{"policy", "add", "a", "--group", "CN=Sales\\2C EU,OU=x"}, 2, "can never match"},
        {{"policy", "add", "a", "--user", "Smith, Bob", "--group", "CN=R\\26D,OU=x"},
         0,
         "added policy 'a'"},
        {{"policy", "scope", "add", "a", "--group", "CN=,OU=y"}, 2, "names nobody"},
        {{"check", "http://x.test/", "--user", "Smith, Bob"}, 0, "policy 'a'"},
        {{"check", "http://x.test/", "--group", "R&D"}, 0, "policy 'a'"},
    };
    sk_t_steps(t, steps, sizeof(steps) / sizeof(steps[0]));
}

/* Two directories may not serve one NetBIOS domain or realm (red team 7):
 * both would be asked and their groups combined. add, set and import are
 * refused naming the other directory, and nothing changes. */
static void test_directory_domains(void **state)
{
    struct sk_tcli *t = *state;
    char pw[200];
    int fd;

    snprintf(pw, sizeof(pw), "%s/secret", t->dir);
    assert_true((fd = open(pw, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
    assert_int_equal(write(fd, "x\n", 2), 2);
    close(fd);
#define SK_DIR_ADD(name, base)                                                                     \
    "directory", "add", name, "--uri", "ldap://127.0.0.1:1", "--bind-dn", "cn=r",                  \
        "--password-file", pw, "--base", base
    const struct sk_tstep steps[] = {
        {{"init"}, 0, ""},
        {{SK_DIR_ADD("corp", "dc=corp,dc=example")}, 0, "added directory 'corp'"},
        {{SK_DIR_ADD("other", "dc=other,dc=example")}, 0, "added directory 'other'"},
        /* the same base: CORP and corp.example again */
        {{SK_DIR_ADD("twin", "dc=corp,dc=example")},
         2,
         "directory twin: domain CORP is served by directory 'corp' already"},
        {{SK_DIR_ADD("nt", "dc=x,dc=example"), "--domain", "corp"},
         2,
         "directory nt: domain CORP is served by directory 'corp'"},
        {{SK_DIR_ADD("krb", "dc=x,dc=example"), "--realm", "CORP.example"},
         2,
         "directory krb: realm corp.example is served by directory 'corp'"},
        {{"directory", "set", "other", "--domain", "OTHER,corp"},
         2,
         "directory other: domain CORP is served by directory 'corp'"},
        {{"directory", "set", "other", "--realm", "corp.example"},
         2,
         "realm corp.example is served by directory 'corp'"},
        /* its own sets explicitly, no longer the base's: then it fits */
        {{SK_DIR_ADD("twin", "dc=corp,dc=example"), "--domain", "TWIN", "--realm", "twin.example"},
         0,
         "added directory 'twin'"},
        {{"directory", "set", "corp", "--domain", "CORP,CORPNT"}, 0, "changed directory 'corp'"},
        {{"directory", "set", "twin", "--domain", "corpnt"},
         2,
         "domain CORPNT is served by directory 'corp'"},
    };
#undef SK_DIR_ADD
    sk_t_steps(t, steps, sizeof(steps) / sizeof(steps[0]));
    /* import: a document with two directories for CORP is refused whole */
    char doc[300];
    snprintf(doc, sizeof(doc), "%s/doc.json", t->dir);
    assert_int_equal(sk_t_run_to(t, t->db, doc, (const char *const[]){"export", NULL}), 0);
    char *text = sk_t_read(doc), *at = strstr(text, "\"name\": \"twin\"");
    assert_non_null(at);
    /* twin's own domain becomes corp's */
    char *d = strstr(at, "\"TWIN\"");
    assert_non_null(d);
    memcpy(d + 1, "CORP", 4); /* same length */
    FILE *f = fopen(doc, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(text);
    char before[32];
    assert_int_equal(SK_RUN(t, "generation"), 0);
    snprintf(before, sizeof(before), "%s", t->out);
    sk_t_expect(t, SK_RUN(t, "import", doc), 2, "is served by directory", 0);
    assert_int_equal(SK_RUN(t, "generation"), 0);
    assert_string_equal(t->out, before);
}

/* A schema-v2 database (url_rules with the v2 CHECK, no 'cidr') keeps its
 * rules, ids and comments through the v3 table rebuild, then takes cidr
 * rules, stored canonical (host bits cleared). */
/* `report --csv` and its text summary with user names (client headers)
 * made to be read as formulas or to drive a terminal. */
static void test_report_cells(void **state)
{
    struct sk_tcli *t = *state;
    /* JSON-escaped as the access log writes them (C1 raw, as servers
     * before the s11 red team wrote it); every control, C1 included, is
     * U+FFFD in a cell, and a cell that began with TAB/CR/LF keeps its
     * formula guard */
    static const struct {
        const char *user;
        int lines;
        const char *cell; /* in users.csv */
    } users[] = {
        {"esc\xc2\x9b[31m", 3, "\"esc\xef\xbf\xbd[31m\""},
        {"\\u001b[2J", 2, NULL},
        {"\\t=1+1", 1, "\"'\xef\xbf\xbd=1+1\""},
        {"\\r=2", 1, "\"'\xef\xbf\xbd=2\""},
        {"\\n=3", 1, "\"'\xef\xbf\xbd=3\""},
        {"-4", 1, "\"'-4\""},
        {"+5", 1, "\"'+5\""},
        {"@6", 1, "\"'@6\""},
        {"=7", 1, "\"'=7\""},
        {"o=k", 1, "\"o=k\""},
    };
    char log[200], html[200], csv[200], path[300];
    char *text;
    FILE *f;

    snprintf(log, sizeof(log), "%s/access.log", t->dir);
    snprintf(html, sizeof(html), "%s/r.html", t->dir);
    snprintf(csv, sizeof(csv), "%s/csv", t->dir);
    assert_non_null(f = fopen(log, "w"));
    for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++)
        for (int k = 0; k < users[i].lines; k++)
            fprintf(f,
                    "{\"time\":\"2024-05-01T10:00:00.000Z\",\"client\":\"10.0.0.1\","
                    "\"user\":\"%s\",\"url\":\"http://x.example/\",\"verdict\":\"block\","
                    "\"module\":\"url_block\",\"rule\":\"r\"}\n",
                    users[i].user);
    fclose(f);
    sk_t_expect(t, SK_RUN(t, "report", "--log", log, "--out", html, "--csv", csv), 0,
                "13 transactions, 13 blocked", 0);
    /* the summary: no C0 or C1 control reaches the terminal */
    assert_non_null(strstr(t->out, "esc\xef\xbf\xbd[31m"));
    assert_non_null(strstr(t->out, "\xef\xbf\xbd[2J"));
    assert_null(strstr(t->out, "\xc2\x9b"));
    assert_null(strchr(t->out, '\x1b'));
    snprintf(path, sizeof(path), "%s/users.csv", csv);
    text = sk_t_read(path);
    for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++)
        if (users[i].cell && !strstr(text, users[i].cell))
            fail_msg("users.csv lacks %s:\n%s", users[i].cell, text);
    free(text);
}

static void test_migrate_v2(void **state)
{
    struct sk_tcli *t = *state;
    sqlite3 *db;

    assert_int_equal(SK_RUN(t, "init"), 0);
    assert_int_equal(SK_RUN(t, "url", "add", "--list", "block", "--match", "domain", "old.example",
                            "--comment", "kept"),
                     0);
    assert_int_equal(sqlite3_open(t->db, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     /* undo v4 (schedules), then v3 */
                     " DROP TRIGGER schedules_fixed_name; DROP TRIGGER url_rules_when;"
                     " DROP TRIGGER policy_categories_when; DROP TRIGGER"
                     " dlp_templates_when; DROP TABLE schedules;"
                     " ALTER TABLE url_rules DROP COLUMN when_sched;"
                     " ALTER TABLE policy_categories DROP COLUMN when_sched;"
                     " ALTER TABLE dlp_templates DROP COLUMN when_sched;"
                     "CREATE TABLE v2 (id INTEGER PRIMARY KEY, policy_id INTEGER NOT NULL"
                     " REFERENCES policies(id) ON DELETE CASCADE, list TEXT NOT NULL,"
                     " match TEXT NOT NULL CHECK (match IN ('exact', 'prefix', 'substring',"
                     " 'domain', 'regex')), pattern TEXT NOT NULL, comment TEXT NOT NULL"
                     " DEFAULT '', UNIQUE (policy_id, list, match, pattern));"
                     " INSERT INTO v2 SELECT id + 40, policy_id, list, match, pattern, comment"
                     " FROM url_rules; DROP TABLE url_rules; ALTER TABLE v2 RENAME TO url_rules;"
                     " DROP TABLE directories; PRAGMA user_version = 2;",
                     NULL, NULL, NULL),
        SQLITE_OK);
    /* the v2 table really refuses cidr: what the migration must change */
    assert_int_not_equal(sqlite3_exec(db,
                                      "INSERT INTO url_rules(policy_id, list, match, pattern)"
                                      " VALUES (1, 'block', 'cidr', '10.0.0.0/8')",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
    sqlite3_close(db);
    sk_t_expect(t, SK_RUN(t, "url", "list"), 1, "older than this build", 0);
    sk_t_expect(t, SK_RUN(t, "init"), 0, "migrated policy database", 1);
    sk_t_expect(t, SK_RUN(t, "url", "list", "--json"), 0, "old.example", 2);
    sk_t_expect(t, SK_RUN(t, "url", "list", "--json"), 0, "kept", 3);
    sk_t_expect(t, SK_RUN(t, "url", "list", "--json"), 0, "\"id\":41", 4);
    sk_t_expect(t, SK_RUN(t, "url", "add", "--list", "block", "--match", "cidr", "10.1.2.3/16"), 0,
                "", 5);
    sk_t_expect(t, SK_RUN(t, "url", "list"), 0, "10.1.0.0/16", 6);
    sk_t_expect(t, SK_RUN(t, "url", "add", "--list", "block", "--match", "cidr", "10.1.0.0/33"), 2,
                "invalid network", 7);
    sk_t_expect(t, SK_RUN(t, "url", "add", "--list", "block", "--match", "cidr", "2001:db8::/32"),
                0, "", 8);
    sk_t_expect(t, SK_RUN(t, "check", "http://[2001:db8::1]/"), 0, "2001:db8::/32", 9);
    sk_t_expect(t, SK_RUN(t, "check", "http://0x0a010203/"), 0,
                "block — policy 'default', rule 'cidr:10.1.0.0/16'", 10);
    assert_int_equal(SK_RUN(t, "set", "url.action", "log"), 0);
    sk_t_expect(t, SK_RUN(t, "check", "http://0x0a010203/"), 0, "would-block — policy", 11);
    sk_t_expect(t, SK_RUN(t, "check", "http://0x0a010203/", "--json"), 0,
                "\"verdict\":\"would-block\"", 12);
    sk_t_expect(t, SK_RUN(t, "check", "http://10.2.0.1/"), 0, "allow — policy", 13);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_policy_commands, sk_t_setup, sk_t_teardown),
        cmocka_unit_test_setup_teardown(test_url_commands, sk_t_setup, sk_t_teardown),
        cmocka_unit_test_setup_teardown(test_category_commands, sk_t_setup, sk_t_teardown),
        cmocka_unit_test_setup_teardown(test_export_import, sk_t_setup, sk_t_teardown),
        cmocka_unit_test_setup_teardown(test_rollback, sk_t_setup, sk_t_teardown),
        cmocka_unit_test_setup_teardown(test_report_cells, sk_t_setup, sk_t_teardown),
        cmocka_unit_test_setup_teardown(test_migrate_v5, sk_t_setup, sk_t_teardown),
        cmocka_unit_test_setup_teardown(test_directory_domains, sk_t_setup, sk_t_teardown),
        cmocka_unit_test_setup_teardown(test_scope_names, sk_t_setup, sk_t_teardown),
        cmocka_unit_test_setup_teardown(test_migrate_v1, sk_t_setup, sk_t_teardown),
        cmocka_unit_test_setup_teardown(test_migrate_v2, sk_t_setup, sk_t_teardown),
    };

    return cmocka_run_group_tests_name("policy_cli", tests, NULL, NULL);
}
