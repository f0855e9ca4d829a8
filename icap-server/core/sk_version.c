/* sk_version.c - the build's version string. No input, no trust boundary. */
#include "sk_version.h"

const char *sk_version(void)
{
    return SK_VERSION_STRING;
}
