/* imports.c: the table of wasi_snapshot_preview1 functions with their wasm types, and linking a
 * module's WASI imports to host functions of a context. */
#include "wasi_internal.h"

#include <stdio.h>
#include <stdlib.h>

#define WASI_MODULE "wasi_snapshot_preview1"

/* One function: its name, its parameters ('i' = i32, 'I' = i64) and its implementation. Every
 * function returns an i32 errno except proc_exit, which returns nothing. */
typedef struct wasi_function {
    const char *name;
    const char *params;
    wasi_impl impl;
} wasi_function;

#define WASI_ENTRY(name, params) {#name, params, wasi_##name},
static const wasi_function functions[] = {WASI_FUNCTIONS(WASI_ENTRY)};
#undef WASI_ENTRY
#define NFUNCTIONS (sizeof functions / sizeof functions[0])

static bool returns_errno(const wasi_function *f) { return f->impl != wasi_proc_exit; }

/* What a host function's env points to. */
typedef struct binding {
    wasmc_wasi *wasi;
    const wasi_function *function;
} binding;

/* The host callback of every WASI function: runs it, stores its errno as the i32 result, and
 * unwinds the guest (WASMC_TRAP_HOST) after proc_exit. */
static uint32_t dispatch(void *env, wasmc_value *io) {
    const binding *b = env;
    uint16_t e = b->function->impl(b->wasi, io);
    if (e == WASI_EXIT) return WASMC_TRAP_HOST;
    io[0].i32 = e;
    return WASMC_TRAP_NONE;
}

static void unbind(void *env) {
    binding *b = env;
    wasi_release(b->wasi);
    free(b);
}

static const char *kind_name(uint8_t k) {
    static const char *const names[] = {"i32", "i64", "f32", "f64", "v128", "funcref", "externref"};
    return k < sizeof names / sizeof names[0] ? names[k] : "?";
}

/* "(i32 i64) -> i32" for a type, into buf. */
static const char *describe(const uint8_t *params, uint32_t np, const uint8_t *results,
                            uint32_t nr, char *buf, size_t len) {
    size_t at = 0;
    at += (size_t)snprintf(buf + at, len - at, "(");
    for (uint32_t i = 0; i < np && at < len; i++)
        at += (size_t)snprintf(buf + at, len - at, "%s%s", i ? " " : "", kind_name(params[i]));
    if (at < len) at += (size_t)snprintf(buf + at, len - at, ") -> (");
    for (uint32_t i = 0; i < nr && at < len; i++)
        at += (size_t)snprintf(buf + at, len - at, "%s%s", i ? " " : "", kind_name(results[i]));
    if (at < len) snprintf(buf + at, len - at, ")");
    return buf;
}

static int keep(wasmc_wasi *w, wasmc_host_func *f) {
    if (w->nfuncs == w->capfuncs) {
        uint32_t n = w->capfuncs ? w->capfuncs * 2 : 64;
        wasmc_host_func **funcs = realloc(w->funcs, n * sizeof *funcs);
        if (!funcs) return -1;
        w->funcs = funcs;
        w->capfuncs = n;
    }
    w->funcs[w->nfuncs++] = f;
    return 0;
}

int wasmc_wasi_imports(wasmc_wasi *w, const wasmc_module *module, wasmc_extern *imports,
                       wasmc_error *error) {
    uint32_t n = wasmc_module_import_count(module);
    for (uint32_t i = 0; i < n; i++) {
        wasmc_import_info im;
        wasmc_module_import(module, i, &im);
        if (im.module_len != sizeof WASI_MODULE - 1 || memcmp(im.module, WASI_MODULE, im.module_len))
            continue;
        const wasi_function *f = NULL;
        for (size_t k = 0; k < NFUNCTIONS && !f; k++)
            if (strlen(functions[k].name) == im.name_len &&
                memcmp(functions[k].name, im.name, im.name_len) == 0)
                f = &functions[k];
        if (!f || im.kind != WASMC_EXTERN_FUNC)
            return wasi_fail(error, WASMC_ERROR_LINK, 0, "unknown import %s.%.*s: not a WASI preview1 function",
                        WASI_MODULE, (int)im.name_len, im.name);

        uint8_t params[16], result = WASMC_I32;
        uint32_t np = (uint32_t)strlen(f->params), nr = returns_errno(f) ? 1 : 0;
        for (uint32_t k = 0; k < np; k++) params[k] = f->params[k] == 'I' ? WASMC_I64 : WASMC_I32;
        const uint8_t *mp, *mr;
        uint32_t mnp, mnr;
        wasmc_module_type(module, im.type_index, &mp, &mnp, &mr, &mnr);
        if (mnp != np || mnr != nr || memcmp(mp, params, np) || (nr && mr[0] != result)) {
            char want[160], got[160];
            return wasi_fail(error, WASMC_ERROR_LINK, 0,
                        "incompatible import type for %s.%s: WASI defines %s, the module imports %s",
                        WASI_MODULE, f->name, describe(params, np, &result, nr, want, sizeof want),
                        describe(mp, mnp, mr, mnr, got, sizeof got));
        }

        binding *b = malloc(sizeof *b);
        wasmc_host_func *hf = b ? wasmc_host_func_new(params, np, &result, nr, dispatch, b, unbind)
                                : NULL;
        if (!hf) {
            free(b);
            return wasi_fail(error, WASMC_ERROR_RESOURCE, 0, "out of memory");
        }
        *b = (binding){w, f};
        wasi_retain(w);
        if (keep(w, hf) != 0) {
            wasmc_host_func_release(hf);
            return wasi_fail(error, WASMC_ERROR_RESOURCE, 0, "out of memory");
        }
        memset(&imports[i], 0, sizeof imports[i]);
        imports[i].kind = WASMC_EXTERN_FUNC;
        imports[i].of.host = hf;
        imports[i].is_host = 1;
    }
    return 0;
}

wasmc_host_func *wasmc_wasi_function(wasmc_wasi *w, const char *name, size_t name_len, uint8_t *params,
                                     uint32_t *nparams, uint8_t *result, uint32_t *nresults) {
    const wasi_function *f = NULL;
    for (size_t k = 0; k < NFUNCTIONS && !f; k++)
        if (strlen(functions[k].name) == name_len && memcmp(functions[k].name, name, name_len) == 0) f = &functions[k];
    if (!f) return NULL;
    uint32_t np = (uint32_t)strlen(f->params), nr = returns_errno(f) ? 1 : 0;
    for (uint32_t k = 0; k < np; k++) params[k] = f->params[k] == 'I' ? WASMC_I64 : WASMC_I32;
    *result = WASMC_I32;
    *nparams = np;
    *nresults = nr;
    binding *b = malloc(sizeof *b);
    wasmc_host_func *hf = b ? wasmc_host_func_new(params, np, result, nr, dispatch, b, unbind) : NULL;
    if (!hf) {
        free(b);
        return NULL;
    }
    *b = (binding){w, f};
    wasi_retain(w);
    return hf;
}
