/* sk_version.h - version of this Sekisho build. */
#ifndef SK_VERSION_H
#define SK_VERSION_H

#define SK_VERSION_STRING "0.1.0"

const char *sk_version(void);

#endif
