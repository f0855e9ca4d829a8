/* sk_syslog.h - access-log lines to syslog (RFC 5424, JSON message). */
#ifndef SK_SYSLOG_H
#define SK_SYSLOG_H

#include <stddef.h>

/* 1 when SPEC is "syslog" or "syslog:FACILITY" (an access-log target). */
int sk_syslog_is_spec(const char *spec);
/* Connect to SOCKET_PATH (NULL: /dev/log). 0, or -1 with malloc'd *err
 * naming the facility or the socket. */
int sk_syslog_open(const char *spec, const char *socket_path, char **err);
int sk_syslog_active(void);
/* One line (trailing newline dropped) at SEVERITY (0-7); never blocks. */
void sk_syslog_send(int severity, const char *json, size_t len);
void sk_syslog_close(void);

#endif
