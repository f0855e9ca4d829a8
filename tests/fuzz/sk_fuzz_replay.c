/* sk_fuzz_replay.c - main() for the corpus replay binaries of the normal
 * (gcc) build: runs every file of the given directories or files through
 * the target's LLVMFuzzerTestOneInput, as libFuzzer would run one input.
 * Input is the in-tree corpus; an oracle failure aborts (the test fails). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Runs one file; -1 when it cannot be read (a broken corpus fails too). */
static int sk_replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long n;
    int rc = -1;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto out;
    /* Exact-size copy so ASan sees reads past the input's end. */
    if ((buf = malloc(n > 0 ? (size_t)n : 1)) == NULL)
        goto out;
    if (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n)
        goto out;
    LLVMFuzzerTestOneInput(buf, (size_t)n);
    rc = 0;
out:
    if (rc == -1)
        fprintf(stderr, "replay: cannot read %s\n", path);
    free(buf);
    if (f != NULL)
        fclose(f);
    return rc;
}

/* Every regular file of DIR (not recursive); count of files, -1 on error. */
static long sk_replay_dir(const char *dir)
{
    struct dirent *d;
    DIR *dp = opendir(dir);
    char path[4096];
    long count = 0;
    struct stat st;

    if (dp == NULL)
        return -1;
    while ((d = readdir(dp)) != NULL) {
        if (d->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (sk_replay_file(path) == -1) {
            count = -1;
            break;
        }
        count++;
    }
    closedir(dp);
    return count;
}

int main(int argc, char **argv)
{
    long total = 0, n;
    struct stat st;

    for (int i = 1; i < argc; i++) {
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
            n = sk_replay_dir(argv[i]);
        else
            n = sk_replay_file(argv[i]) == 0 ? 1 : -1;
        if (n < 0) {
            fprintf(stderr, "replay: %s: unreadable\n", argv[i]);
            return 1;
        }
        total += n;
    }
    printf("replay: %ld inputs, no oracle failure\n", total);
    /* An empty corpus would make the test pass without testing anything. */
    return total > 0 ? 0 : 1;
}
