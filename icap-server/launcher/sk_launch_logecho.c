/* sk_launch_logecho.c - the server-log lines an administrator must see
 * (policy load failures, signature reloads and their failures, WARNING
 * and ERROR lines of our service) echoed to the launcher's stderr, which
 * systemd puts in the journal, instead of living only in RUN/server.log
 * (and the modules' own stderr lines, e.g. a child's signature reload,
 * instead of only RUN/c-icap.out).
 * SECURITY: the server log is written by c-icap through our escaping
 * preload (guard/sk_cicap_log.c: printable ASCII, one line per message);
 * lines are still cut at a bound and stripped of control bytes here. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sk_launch.h"

#define SK_ECHO_LINE 1024

static const char *const sk_echo_marks[] = {
    "ERROR",
    "WARNING",
    "signatures reloaded",
    "signature reload",
    "policy database",
    "cannot be loaded",
    NULL,
};

/* OUT: a line of c-icap's stdout/stderr (RUN/c-icap.out). There only a
 * module's own stderr lines count ("sekisho virus_scan: signatures
 * reloaded ..." from a child, which never reach server.log); c-icap's
 * debug lines are there too but also in server.log, echoed from there. */
static int sk_echo_wanted(const char *line, int out)
{
    if (out ? strncmp(line, "sekisho ", 8) != 0 : !strstr(line, "sekisho"))
        return 0;
    for (int i = 0; sk_echo_marks[i]; i++)
        if (strstr(line, sk_echo_marks[i]))
            return 1;
    return 0;
}

static void sk_echo_line(char *line, int out)
{
    for (char *p = line; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
            *p = '?';
    if (sk_echo_wanted(line, out))
        fprintf(stderr, SK_LAUNCH_PROG ": %s: %s\n", out ? "server" : "server log", line);
}

void sk_launch_logecho(const char *path, long long *offset, int out)
{
    char buf[8192], line[SK_ECHO_LINE + 1];
    struct stat st;
    size_t len = 0;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd == -1)
        return;
    if (fstat(fd, &st) == -1 || st.st_size == *offset) {
        close(fd);
        return;
    }
    if (*offset < 0 || st.st_size < *offset) /* first look, or rotated */
        *offset = *offset < 0 ? st.st_size : 0;
    if (lseek(fd, (off_t)*offset, SEEK_SET) == -1) {
        close(fd);
        return;
    }
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] != '\n') {
                if (len < SK_ECHO_LINE)
                    line[len++] = buf[i];
                continue;
            }
            line[len] = '\0';
            sk_echo_line(line, out);
            len = 0;
        }
        *offset += n;
    }
    *offset -= (long long)len; /* a partial last line is read again next time */
    fflush(stderr);
    close(fd);
}
