/* host.c: host functions, standalone globals, stores, and error reporting. A host function is
 * reached through the importing module's host thunk for its type, which calls `call_host`. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

void *rt_fail(wasmc_error *error, wasmc_error_kind kind, uint32_t trap, const char *fmt, ...) {
    if (error) {
        error->kind = kind;
        error->trap = trap;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(error->message, sizeof error->message, fmt, ap);
        va_end(ap);
    }
    return NULL;
}

const char *rt_format(char *buf, size_t len, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    return buf;
}

wasmc_host_func *wasmc_host_func_new(const uint8_t *params, uint32_t nparams,
                                     const uint8_t *results, uint32_t nresults,
                                     wasmc_host_callback callback, void *env,
                                     void (*finalizer)(void *env)) {
    wasmc_host_func *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->callback = callback;
    f->env = env;
    f->finalizer = finalizer;
    f->type_id = wasmc_signature_id(params, nparams, results, nresults);
    f->refcount = 1;
    return f;
}

void rt_host_func_retain(wasmc_host_func *f) {
    __atomic_fetch_add(&f->refcount, 1, __ATOMIC_RELAXED);
}

void wasmc_host_func_release(wasmc_host_func *f) {
    if (!f || __atomic_sub_fetch(&f->refcount, 1, __ATOMIC_ACQ_REL) != 0) return;
    if (f->finalizer) f->finalizer(f->env);
    free(f);
}

void rt_call_host(wasmc_host_func *f, wasmc_value *io) {
    uint32_t trap = f->callback(f->env, io);
    if (trap == WASMC_EXCEPTION) rt_raise_pending();
    if (trap != WASMC_TRAP_NONE) rt_trap(NULL, trap);
}

wasmc_global wasmc_global_new(uint8_t kind, uint8_t mutable_, wasmc_value initial) {
    wasmc_global g = {calloc(1, sizeof(wasmc_value)), kind, mutable_, NULL};
    if (g.cell) *g.cell = initial;
    return g;
}

void wasmc_global_release(wasmc_global global) { free(global.cell); }

wasmc_store *wasmc_store_new(void) {
    rt_signals_init();
    rt_store *s = calloc(1, sizeof *s);
    return s ? &s->pub : NULL;
}

void wasmc_store_delete(wasmc_store *store) {
    if (!store) return;
    rt_store *s = (rt_store *)store;
    while (s->zombies) {
        wasmc_instance *z = s->zombies;
        s->zombies = z->next_zombie;
        rt_instance_release(z);
    }
    rt_store_free_exceptions(s);
    free(s);
}
