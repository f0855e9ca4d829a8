/* sk_chain.h - the ordered list of loaded modules and the loader that builds it. */
#ifndef SK_CHAIN_H
#define SK_CHAIN_H

#include "sekisho/module.h"
#include "sekisho/page.h"

#define SK_MAX_MODULES 16
#define SK_MAX_OPTIONS 64

struct sk_option {
    char *module; /* malloc'd */
    char *key;
    char *value;
};

/* Settings shared by every module context of one chain. */
struct sk_chain_conf {
    const char *policy_db;
    const char *clamav_db;
    const char *tmp_dir;
    const char *page_dir; /* sekisho.PageTemplates: the server's own page */
    struct sk_option options[SK_MAX_OPTIONS];
    int n_options;
};

struct sk_loaded_module {
    const struct sk_module *mod; /* borrowed from the object, or static */
    struct sk_module_ctx ctx;
    void *handle;    /* dlopen handle, NULL for built-in descriptors */
    int initialised; /* init() succeeded, fini() owed */
};

struct sk_chain {
    struct sk_loaded_module mods[SK_MAX_MODULES];
    int n;
    struct sk_chain_conf *conf; /* borrowed; outlives the chain */
    struct sk_pageset *pages;   /* the server's own page; loaded by sk_chain_init */
};

/* Parse "module.key value" into conf (used by sekisho.Option). Returns 0 or
 * -1 with a malloc'd *err. Later settings of the same key win. */
int sk_chain_conf_option(struct sk_chain_conf *conf, const char *dotted_key, const char *value,
                         char **err);
void sk_chain_conf_free(struct sk_chain_conf *conf);

/* Resolve NAME to a shared object: a name containing '/' is a path,
 * otherwise DIR/NAME.so. Load it, check the ABI stamp and append it to the
 * chain. Returns 0, or -1 with a malloc'd *err naming the module. */
int sk_chain_load(struct sk_chain *chain, const char *dir, const char *name, char **err);
/* Append a descriptor that is already in memory (tests, built-ins). */
int sk_chain_add(struct sk_chain *chain, const struct sk_module *mod, char **err);
/* Check the configured options (sk_option_check_all), load the server's
 * page set (conf->page_dir), then call every module's init in order. On
 * failure the message names the directive, the template file or the
 * module; modules initialised so far are finalised. */
int sk_chain_init(struct sk_chain *chain, char **err);
/* fini (for initialised modules) and dlclose everything; the chain is
 * empty afterwards. */
/* Master only: 1 if any module says what its init() built is stale
 * (struct sk_module.changed); the name of the first such module in *who. */
int sk_chain_changed(struct sk_chain *, const char **who);
void sk_chain_unload(struct sk_chain *chain);

/* sk_option.c: the row of M's option table named KEY, or NULL. */
const struct sk_module_option *sk_option_find(const struct sk_module *m, const char *key);
/* Check every configured option against the chain's modules: the module
 * must be loaded, the key in its table, the value of the key's type.
 * 0, or -1 with a malloc'd *err naming the directive (sekisho.Option). */
int sk_option_check_all(const struct sk_chain *chain, char **err);

/* Concatenation of the modules' version strings, "name=ver;...", into buf.
 * Feeds the ISTag. */
void sk_chain_versions(struct sk_chain *chain, char *buf, size_t size);

#endif
