/* sk_cicap_tmp.c - part of the sk_cicap_fix.so preload: c-icap's held-body
 * spill files have no name while they are in use.
 * SECURITY: a ci_cached_file (srv_request.c holds bodies in one) spills to
 * TmpDir/CI_TMP_XXXXXX (the launcher's private RUN/tmp) and is unlinked only
 * by ci_cached_file_destroy(); a child killed in mid-transaction (kill -9,
 * OOM killer, a crash) left its files behind forever, client bodies on disk
 * (80 MiB in the hostile test), even after the server stopped. We interpose
 * ci_mktemp_file() and unlink the name as soon as the file is open, only
 * when the caller is the cached-file code, which uses the descriptor alone
 * (its later unlink of the name fails harmlessly); the kernel frees the
 * space when the last descriptor closes, however the process ends.
 * ci_simple_file callers keep their names: services may hand those to a
 * scanner by path. */
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

typedef int (*sk_mktemp_fn)(char *dir, char *name_template, char *filename);

/* 1 when ret lies inside ci_cached_file_new or ci_cached_file_write, by
 * their symbol's address and size (not merely the nearest name). */
static int sk_tmp_caller_is_cached_file(const void *ret)
{
    Dl_info info;
    const ElfW(Sym) *sym = NULL;
    uintptr_t start, at = (uintptr_t)ret;

    if (!dladdr1(ret, &info, (void **)&sym, RTLD_DL_SYMENT) || !info.dli_sname || !sym)
        return 0;
    if (strcmp(info.dli_sname, "ci_cached_file_write") != 0 &&
        strcmp(info.dli_sname, "ci_cached_file_new") != 0)
        return 0;
    start = (uintptr_t)info.dli_saddr;
    return at > start && at <= start + sym->st_size;
}

__attribute__((visibility("default"))) int ci_mktemp_file(char *dir, char *name_template,
                                                          char *filename)
{
    static sk_mktemp_fn real;
    sk_mktemp_fn fn = __atomic_load_n(&real, __ATOMIC_ACQUIRE);
    int fd;

    if (!fn) {
        fn = (sk_mktemp_fn)dlsym(RTLD_NEXT, "ci_mktemp_file");
        __atomic_store_n(&real, fn, __ATOMIC_RELEASE);
    }
    if (!fn)
        return -1;
    fd = fn(dir, name_template, filename);
    if (fd >= 0 && sk_tmp_caller_is_cached_file(__builtin_return_address(0)))
        unlink(filename);
    return fd;
}
