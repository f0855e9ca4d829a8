/* sk_chain.c - loads module objects, checks their ABI stamp, runs init/fini.
 * SECURITY: loads code from the configured modules directory only; paths
 * come from the administrator's configuration, never from clients.
 */
#include <dlfcn.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sk_chain.h"
#include "sk_util.h"

/* The configured value, else the default in the module's table. ctx is
 * always the one inside a struct sk_loaded_module (sk_chain_append). */
static const char *sk_ctx_option(const struct sk_module_ctx *ctx, const char *key)
{
    const struct sk_chain_conf *conf = ctx->priv;
    const struct sk_loaded_module *lm =
        (const struct sk_loaded_module *)((const char *)ctx -
                                          offsetof(struct sk_loaded_module, ctx));
    const struct sk_module_option *row = sk_option_find(lm->mod, key);
    const char *found = NULL;

    for (int i = 0; conf && i < conf->n_options; i++) {
        const struct sk_option *o = &conf->options[i];
        if (strcmp(o->module, ctx->name) == 0 && strcmp(o->key, key) == 0)
            found = o->value; /* keep scanning: the last one wins */
    }
    return found ? found : row ? row->def : NULL;
}

int sk_chain_conf_option(struct sk_chain_conf *conf, const char *dotted_key, const char *value,
                         char **err)
{
    const char *dot = strchr(dotted_key, '.');
    struct sk_option *o;

    if (!dot || dot == dotted_key || dot[1] == '\0') {
        sk_seterr(err, "option '%s': expected MODULE.KEY", dotted_key);
        return -1;
    }
    if (conf->n_options >= SK_MAX_OPTIONS) {
        sk_seterr(err, "option '%s': more than %d options", dotted_key, SK_MAX_OPTIONS);
        return -1;
    }
    o = &conf->options[conf->n_options];
    o->module = strndup(dotted_key, (size_t)(dot - dotted_key));
    o->key = strdup(dot + 1);
    o->value = strdup(value ? value : "");
    if (!o->module || !o->key || !o->value) {
        free(o->module);
        free(o->key);
        free(o->value);
        memset(o, 0, sizeof(*o));
        sk_seterr(err, "out of memory");
        return -1;
    }
    conf->n_options++;
    return 0;
}

void sk_chain_conf_free(struct sk_chain_conf *conf)
{
    for (int i = 0; i < conf->n_options; i++) {
        free(conf->options[i].module);
        free(conf->options[i].key);
        free(conf->options[i].value);
    }
    conf->n_options = 0;
}

static int sk_chain_append(struct sk_chain *chain, const struct sk_module *mod, void *handle,
                           const char *what, char **err)
{
    struct sk_loaded_module *lm;

    if (mod->abi != SK_MODULE_ABI) {
        sk_seterr(err, "module %s: ABI stamp %#x, this server needs %#x (rebuild the module)", what,
                  mod->abi, SK_MODULE_ABI);
        return -1;
    }
    if (!mod->name || !mod->name[0] || !(mod->methods & (SK_REQMOD | SK_RESPMOD))) {
        sk_seterr(err, "module %s: descriptor has no name or no methods", what);
        return -1;
    }
    for (int i = 0; i < chain->n; i++) {
        if (strcmp(chain->mods[i].mod->name, mod->name) == 0) {
            sk_seterr(err, "module %s: listed twice", mod->name);
            return -1;
        }
    }
    if (chain->n >= SK_MAX_MODULES) {
        sk_seterr(err, "module %s: more than %d modules", mod->name, SK_MAX_MODULES);
        return -1;
    }
    lm = &chain->mods[chain->n++];
    memset(lm, 0, sizeof(*lm));
    lm->mod = mod;
    lm->handle = handle;
    lm->ctx.name = mod->name;
    lm->ctx.option = sk_ctx_option;
    lm->ctx.priv = chain->conf;
    if (chain->conf) {
        lm->ctx.policy_db = chain->conf->policy_db;
        lm->ctx.clamav_db = chain->conf->clamav_db;
        lm->ctx.tmp_dir = chain->conf->tmp_dir;
    }
    return 0;
}

int sk_chain_add(struct sk_chain *chain, const struct sk_module *mod, char **err)
{
    return sk_chain_append(chain, mod, NULL, mod->name ? mod->name : "(unnamed)", err);
}

int sk_chain_load(struct sk_chain *chain, const char *dir, const char *name, char **err)
{
    char path[4096];
    void *handle;
    const struct sk_module *mod;

    if (!name || !name[0]) {
        sk_seterr(err, "empty module name");
        return -1;
    }
    if (strchr(name, '/'))
        snprintf(path, sizeof(path), "%s", name);
    else if (snprintf(path, sizeof(path), "%s/%s.so", dir ? dir : ".", name) >= (int)sizeof(path)) {
        sk_seterr(err, "module %s: path too long", name);
        return -1;
    }
    /* RTLD_LOCAL: modules must not see each other's symbols; RTLD_NOW:
     * a missing symbol is a startup error, not a crash under load. */
    handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        sk_seterr(err, "module %s: cannot load %s: %s", name, path, dlerror());
        return -1;
    }
    mod = dlsym(handle, SK_MODULE_SYMBOL);
    if (!mod) {
        sk_seterr(err, "module %s: %s has no %s symbol", name, path, SK_MODULE_SYMBOL);
        dlclose(handle);
        return -1;
    }
    if (sk_chain_append(chain, mod, handle, name, err) == -1) {
        dlclose(handle);
        return -1;
    }
    return 0;
}

/* The server's own page set, from sekisho.PageTemplates or built-in. */
static int sk_chain_pages(struct sk_chain *chain, char **err)
{
    char *why = NULL;

    if (chain->pages)
        return 0;
    if ((chain->pages = calloc(1, sizeof(*chain->pages))) == NULL) {
        sk_seterr(err, "out of memory");
        return -1;
    }
    if (sk_pageset_load(chain->pages, chain->conf ? chain->conf->page_dir : NULL,
                        &sk_page_builtin_generic, "sekisho.PageTemplates", &why) == -1) {
        sk_seterr(err, "%s", why ? why : "out of memory");
        free(why);
        free(chain->pages);
        chain->pages = NULL;
        return -1;
    }
    return 0;
}

int sk_chain_init(struct sk_chain *chain, char **err)
{
    if (sk_option_check_all(chain, err) == -1 || sk_chain_pages(chain, err) == -1)
        return -1;
    for (int i = 0; i < chain->n; i++) {
        struct sk_loaded_module *lm = &chain->mods[i];
        char *why = NULL;

        if (lm->initialised || !lm->mod->init) {
            lm->initialised = 1;
            continue;
        }
        if (lm->mod->init(&lm->ctx, &why) != 0) {
            sk_seterr(err, "module %s: %s", lm->mod->name, why ? why : "initialisation failed");
            free(why);
            for (int j = i - 1; j >= 0; j--) {
                if (chain->mods[j].initialised && chain->mods[j].mod->fini)
                    chain->mods[j].mod->fini(&chain->mods[j].ctx);
                chain->mods[j].initialised = 0;
            }
            return -1;
        }
        free(why);
        lm->initialised = 1;
    }
    return 0;
}

int sk_chain_changed(struct sk_chain *chain, const char **who)
{
    for (int i = 0; i < chain->n; i++) {
        struct sk_loaded_module *lm = &chain->mods[i];
        if (lm->initialised && lm->mod->changed && lm->mod->changed(&lm->ctx) == 1) {
            if (who)
                *who = lm->mod->name;
            return 1;
        }
    }
    return 0;
}

void sk_chain_unload(struct sk_chain *chain)
{
    for (int i = chain->n - 1; i >= 0; i--) {
        struct sk_loaded_module *lm = &chain->mods[i];
        if (lm->initialised && lm->mod->fini)
            lm->mod->fini(&lm->ctx);
        if (lm->handle)
            dlclose(lm->handle);
        memset(lm, 0, sizeof(*lm));
    }
    chain->n = 0;
    if (chain->pages)
        sk_pageset_free(chain->pages);
    free(chain->pages);
    chain->pages = NULL;
}

void sk_chain_versions(struct sk_chain *chain, char *buf, size_t size)
{
    size_t used = 0;

    if (size)
        buf[0] = '\0';
    for (int i = 0; i < chain->n && used < size; i++) {
        struct sk_loaded_module *lm = &chain->mods[i];
        const char *v = lm->mod->version ? lm->mod->version(&lm->ctx) : NULL;
        int n = snprintf(buf + used, size - used, "%s=%s;", lm->mod->name, v ? v : "");
        if (n < 0)
            break;
        used += (size_t)n;
    }
}
