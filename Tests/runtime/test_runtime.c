/* test_runtime.c: tests of the C runtime through its public API, against the hand-written
 * module in fake_module.c. Usage: test_runtime DIR (DIR holds fake_module.so and the other
 * .so files built by scripts/test-runtime). Prints PASS/FAIL per test and "N passed, M failed". */
#include "wasmc.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *dir;
static int ok, passed, failed;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            printf("    %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);        \
            ok = 0;                                                                    \
        }                                                                              \
    } while (0)
#define CHECK_EQ(a, b)                                                                 \
    do {                                                                               \
        long long a_ = (long long)(a), b_ = (long long)(b);                            \
        if (a_ != b_) {                                                                \
            printf("    %s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #a, a_, b_); \
            ok = 0;                                                                    \
        }                                                                              \
    } while (0)
#define CHECK_STR(hay, needle)                                                         \
    do {                                                                               \
        if (!strstr((hay), (needle))) {                                                \
            printf("    %s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__, (hay), (needle)); \
            ok = 0;                                                                    \
        }                                                                              \
    } while (0)

static void run(const char *name, void (*test)(void)) {
    ok = 1;
    test();
    printf("%s %s\n", ok ? "PASS" : "FAIL", name);
    fflush(stdout);
    if (ok) passed++;
    else failed++;
}

static char *so(const char *name) {
    static char path[4][1024];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, sizeof path[0], "%s/%s", dir, name);
    return p;
}

/* ---- fixtures ------------------------------------------------------------------------ */

static wasmc_store *store;
static wasmc_module *module;

typedef struct host_env {
    int mode;
    const wasmc_funcref *nested;
    volatile int *fault_at;
    uint32_t depth_seen;
    int finalized;
} host_env;

/* Native recursion without any check: only the guard page below the stack stops it. */
static int deep(volatile int *n) {
    volatile char frame[256];
    frame[0] = (char)*n;
    if (*n < 0) return 0;
    *n += 1;
    return deep(n) + frame[0];
}

static uint32_t host_add(void *env_, wasmc_value *io) {
    host_env *env = env_;
    int32_t a = io[0].i32, b = io[1].i32;
    env->depth_seen = store->depth;
    switch (env->mode) {
    case 0: io[0].i32 = a + b; return WASMC_TRAP_NONE;
    case 1: return WASMC_TRAP_HOST;
    case 2: { /* re-enter wasm: a / b, and pass its trap on */
        wasmc_value n[2] = {{.i32 = a}, {.i32 = b}};
        uint32_t trap = wasmc_call(store, env->nested, n);
        io[0].i32 = n[0].i32 + 1000;
        return trap;
    }
    case 4: { /* overflow the native stack inside a wasm call */
        volatile int n = 0;
        io[0].i32 = deep(&n);
        return WASMC_TRAP_NONE;
    }
    case 3: /* fault on a page that is no wasm memory: the previous handler fixes it */
        *env->fault_at = 99;
        io[0].i32 = a + b;
        return WASMC_TRAP_NONE;
    }
    return WASMC_TRAP_UNREACHABLE;
}

static void finalize(void *env) { ((host_env *)env)->finalized++; }

static const uint8_t ii_i[3] = {WASMC_I32, WASMC_I32, WASMC_I32};

typedef struct imports {
    host_env env;
    wasmc_host_func *host;
    wasmc_memory *mem;
    wasmc_table *tab;
    wasmc_global g;
    wasmc_extern ext[4];
} imports;

static void imports_init(imports *im, int32_t g0) {
    memset(im, 0, sizeof *im);
    im->host = wasmc_host_func_new(ii_i, 2, ii_i, 1, host_add, &im->env, finalize);
    im->mem = wasmc_memory_new(1, 1, 2, NULL);
    im->tab = wasmc_table_new(WASMC_FUNCREF, 2, 0, 0, NULL, NULL);
    im->g = wasmc_global_new(WASMC_I32, 1, (wasmc_value){.i32 = g0});
    im->ext[0] = (wasmc_extern){.kind = WASMC_EXTERN_FUNC, .of.host = im->host, .is_host = 1};
    im->ext[1] = (wasmc_extern){.kind = WASMC_EXTERN_MEMORY, .of.memory = im->mem};
    im->ext[2] = (wasmc_extern){.kind = WASMC_EXTERN_TABLE, .of.table = im->tab};
    im->ext[3] = (wasmc_extern){.kind = WASMC_EXTERN_GLOBAL, .of.global = im->g};
}

static void imports_release(imports *im) {
    wasmc_host_func_release(im->host);
    wasmc_memory_release(im->mem);
    wasmc_table_release(im->tab);
    wasmc_global_release(im->g);
}

static wasmc_instance *instantiate(imports *im) {
    wasmc_error err;
    wasmc_instance *inst = wasmc_instantiate(store, module, im->ext, 4, &err);
    if (!inst) printf("    instantiate: %s\n", err.message);
    return inst;
}

static const wasmc_funcref *func(wasmc_instance *inst, const char *name) {
    wasmc_extern x;
    if (!wasmc_instance_export(inst, name, &x) || x.kind != WASMC_EXTERN_FUNC) return NULL;
    return x.of.func;
}

static wasmc_extern export(wasmc_instance *inst, const char *name) {
    wasmc_extern x;
    memset(&x, 0, sizeof x);
    if (!wasmc_instance_export(inst, name, &x)) x.kind = 99;
    return x;
}

/* Calls an export with up to four i32 arguments; returns the trap, result in *result. */
static uint32_t call(wasmc_instance *inst, const char *name, int32_t *result, int32_t a, int32_t b,
                     int32_t c, int32_t d) {
    wasmc_value io[4] = {{.i32 = a}, {.i32 = b}, {.i32 = c}, {.i32 = d}};
    uint32_t trap = wasmc_call(store, func(inst, name), io);
    if (result) *result = io[0].i32;
    return trap;
}

static uint32_t op(wasmc_instance *inst, int32_t which, int32_t a, int32_t b, int32_t c,
                   int32_t *result) {
    return call(inst, "rt", result, which, a, b, c);
}

/* ---- tests --------------------------------------------------------------------------- */

static void test_abi_layout(void) {
    wasmc_abi_layout_info l = wasmc_abi_layout();
    CHECK_EQ(l.value_size, 16);
    CHECK_EQ(l.funcref_size, 32);
    CHECK_EQ(l.funcref_code, 0);
    CHECK_EQ(l.funcref_ctx, 8);
    CHECK_EQ(l.funcref_trampoline, 16);
    CHECK_EQ(l.funcref_type_id, 24);
    CHECK_EQ(l.memory_base, 0);
    CHECK_EQ(l.memory_size, 8);
    CHECK_EQ(l.table_elements, 0);
    CHECK_EQ(l.table_size, 8);
    CHECK_EQ(l.store_stack_limit, 0);
    CHECK_EQ(l.header_size, 32);
    CHECK_EQ(l.header_memory0_base, 0);
    CHECK_EQ(l.header_memory0, 8);
    CHECK_EQ(l.header_store, 16);
    CHECK_EQ(l.header_instance, 24);
    CHECK_EQ(l.runtime_functions_count, 18);
    CHECK_EQ(l.descriptor_size, 80);
    CHECK_EQ(l.data_header_size, 32);
    CHECK_EQ(l.data_entry_size, 40);
    CHECK_EQ(l.exception_tag, 32);
    CHECK_EQ(l.exception_exposed, 44);
    CHECK_EQ(l.exception_values, 80);
    CHECK(strcmp(wasmc_trap_message(WASMC_TRAP_NULL_EXCEPTION_REFERENCE), "null exception reference") == 0);
    CHECK(strcmp(wasmc_trap_message(WASMC_EXCEPTION), "uncaught exception") == 0);
    CHECK(strcmp(wasmc_trap_message(WASMC_TRAP_MEMORY_OUT_OF_BOUNDS), "out of bounds memory access") == 0);
    CHECK(strcmp(wasmc_trap_message(WASMC_TRAP_INVALID_CONVERSION), "invalid conversion to integer") == 0);
    CHECK(strcmp(wasmc_trap_message(WASMC_TRAP_CALL_STACK_EXHAUSTED), "call stack exhausted") == 0);
    CHECK(strcmp(wasmc_trap_message(1000), "unknown trap") == 0);
}

/* Tags and exceptions made by the host: payload, identity, ownership by the store (the
 * sanitizer build checks that deleting the store frees them and their tags' last references). */
static void test_host_exceptions(void) {
    const uint8_t params[] = {WASMC_I32, WASMC_F64};
    wasmc_tag *tag = wasmc_tag_new(params, 2);
    wasmc_tag *other = wasmc_tag_new(params, 2);
    CHECK(tag && other && tag != other);
    CHECK_EQ(tag->nparams, 2);
    CHECK_EQ(tag->type_id, other->type_id);
    CHECK_EQ(tag->type_id, wasmc_signature_id(params, 2, NULL, 0));
    wasmc_store *store = wasmc_store_new();
    wasmc_value values[2] = {{.i32 = 7}, {.f64 = 2.5}};
    wasmc_exception *exn = wasmc_exception_new(store, tag, values);
    CHECK(exn && exn->tag == tag && exn->nvalues == 2 && exn->store == store);
    CHECK_EQ(exn->values[0].i32, 7);
    CHECK(exn->values[1].f64 == 2.5);
    CHECK(wasmc_store_exception(store) == NULL);
    /* The exception holds a reference to its tag: releasing the host's is safe. */
    wasmc_tag_release(tag);
    /* Without a store, outside any call: there is no store to own it. */
    CHECK(wasmc_exception_new(NULL, other, values) == NULL);
    wasmc_tag_release(other);
    wasmc_store_delete(store);
}

static void test_load_errors(void) {
    wasmc_error err;
    CHECK(!wasmc_module_load(so("does_not_exist.so"), &err));
    CHECK_EQ(err.kind, WASMC_ERROR_LOAD);
    CHECK(!wasmc_module_load(so("not_wasmc.so"), &err));
    CHECK_EQ(err.kind, WASMC_ERROR_LOAD);
    CHECK_STR(err.message, "not a wasmc module (no wasmc_module symbol)");
    CHECK(!wasmc_module_load(so("fake_bad_magic.so"), &err));
    CHECK_EQ(err.kind, WASMC_ERROR_LOAD);
    CHECK_STR(err.message, "not a wasmc module");
    CHECK(!wasmc_module_load(so("fake_bad_abi.so"), &err));
    CHECK_EQ(err.kind, WASMC_ERROR_NO_NATIVE); /* sound, of another ABI: the wasm inside may still run */
    char expected[96];
    snprintf(expected, sizeof expected, "ABI version %u is not supported by this runtime (expects %u)",
             WASMC_ABI_VERSION + 1u, WASMC_ABI_VERSION);
    CHECK_STR(err.message, expected);
}

/* wasmc_module_inspect reads the same metadata from the file, without dlopen, and refuses what
 * is not a wasmc .so with the loader's words. */
static void test_inspect(void) {
    wasmc_error err;
    wasmc_module *m = wasmc_module_inspect(so("fake_module.so"), &err);
    CHECK(m);
    if (!m) return;
    CHECK_EQ(wasmc_module_export_count(m), wasmc_module_export_count(module));
    CHECK_EQ(wasmc_module_import_count(m), wasmc_module_import_count(module));
    CHECK(!strcmp(wasmc_module_target(m), wasmc_module_target(module)));
    CHECK(!strcmp(wasmc_module_wasm_hash(m), wasmc_module_wasm_hash(module)));
    CHECK(!strcmp(wasmc_module_machine(m), wasmc_module_machine(module)));
    for (uint32_t i = 0; i < wasmc_module_export_count(m); i++) {
        wasmc_export_info a, b;
        wasmc_module_export(m, i, &a);
        wasmc_module_export(module, i, &b);
        CHECK(a.kind == b.kind && a.index == b.index && !strcmp(a.name, b.name));
        wasmc_import_info ta, tb;
        wasmc_module_entity(m, a.kind, a.index, &ta);
        wasmc_module_entity(module, b.kind, b.index, &tb);
        CHECK(ta.kind == a.kind && ta.type_index == tb.type_index && ta.min == tb.min && ta.max == tb.max &&
              ta.value_kind == tb.value_kind && ta.mutable_ == tb.mutable_);
    }
    uint32_t n = 7;
    CHECK(!wasmc_module_profile_counts(m, &n) && n == 0);
    wasmc_store *store = wasmc_store_new();
    CHECK(!wasmc_instantiate(store, m, NULL, wasmc_module_import_count(m), &err));
    CHECK_EQ(err.kind, WASMC_ERROR_LOAD);
    CHECK_STR(err.message, "opened for inspection only");
    wasmc_store_delete(store);
    wasmc_module_unload(m);
    CHECK(!wasmc_module_inspect(so("not_wasmc.so"), &err));
    CHECK_STR(err.message, "not a wasmc module (no wasmc_module symbol)");
    CHECK(!wasmc_module_inspect(so("fake_bad_magic.so"), &err));
    CHECK_STR(err.message, "not a wasmc module (bad descriptor magic");
    CHECK(!wasmc_module_inspect(so("fake_bad_abi.so"), &err));
    CHECK_STR(err.message, "which this runtime cannot read");
    CHECK(!wasmc_module_inspect(so("does_not_exist.so"), &err));
    CHECK_STR(err.message, "cannot open");
    /* A truncated copy: the descriptor or the blob past the end is refused, never read. */
    FILE *in = fopen(so("fake_module.so"), "rb");
    static uint8_t bytes[1 << 20];
    size_t size = in ? fread(bytes, 1, sizeof bytes, in) : 0;
    if (in) fclose(in);
    CHECK(size > 4096);
    char path[4096];
    snprintf(path, sizeof path, "%s/truncated_inspect.so", dir);
    for (size_t cut = 16; cut < size; cut = cut * 2) {
        FILE *out = fopen(path, "wb");
        if (!out) break;
        fwrite(bytes, 1, cut, out);
        fclose(out);
        wasmc_module *t = wasmc_module_inspect(path, &err);
        CHECK(!t);
        if (t) wasmc_module_unload(t);
    }
    unlink(path);
}

static void test_corrupt_metadata(void) {
    /* The test's own handle on the same .so: the runtime's dlopen returns the same object. */
    void *h = dlopen(so("fake_module.so"), RTLD_NOW | RTLD_LOCAL);
    wasmc_module_descriptor *d = h ? dlsym(h, "wasmc_module") : NULL;
    CHECK(d);
    if (!d) return;
    const uint8_t *orig = d->metadata;
    uint64_t size = d->metadata_size;
    uint8_t *copy = malloc(size);
    wasmc_error err;
    int refused = 0, loaded = 0;
    for (uint64_t len = 0; len < size; len++) { /* every strict prefix is an error */
        memcpy(copy, orig, len);
        d->metadata = copy;
        d->metadata_size = len;
        wasmc_module *m = wasmc_module_load(so("fake_module.so"), &err);
        if (m) wasmc_module_unload(m);
        else if (err.kind == WASMC_ERROR_LOAD && strstr(err.message, "corrupt metadata")) refused++;
    }
    CHECK_EQ(refused, size);
    static const uint8_t flips[] = {0x01, 0x02, 0x10, 0x7f, 0x80, 0xff};
    for (uint64_t i = 0; i < size; i++) /* no flipped byte may crash the loader */
        for (size_t f = 0; f < sizeof flips; f++) {
            memcpy(copy, orig, size);
            copy[i] ^= flips[f];
            d->metadata = copy;
            d->metadata_size = size;
            wasmc_module *m = wasmc_module_load(so("fake_module.so"), &err);
            if (m) loaded++, wasmc_module_unload(m);
            else CHECK(err.kind == WASMC_ERROR_LOAD || err.kind == WASMC_ERROR_NO_NATIVE); /* a flipped triple */
        }
    CHECK(loaded > 0 && loaded < (int)size * 6);
    /* A function type index past the types. */
    memcpy(copy, orig, size);
    d->metadata = copy;
    const uint8_t *p = memmem(copy, size, "\x0d\x00\x00\x00\x02", 5);
    CHECK(p);
    if (p) copy[p - copy + 4] = 9;
    CHECK(!wasmc_module_load(so("fake_module.so"), &err));
    CHECK_STR(err.message, "type index 9 out of range");
    /* Function names whose indices do not increase (add renamed to function 2, like div). */
    memcpy(copy, orig, size);
    p = memmem(copy, size, "\x01\x03" "add", 5);
    CHECK(p);
    if (p) copy[p - copy] = 2;
    CHECK(!wasmc_module_load(so("fake_module.so"), &err));
    CHECK_STR(err.message, "function names out of order (function 2 after 2)");
    d->metadata = orig;
    d->metadata_size = size;
    free(copy);
    /* Execution counters: none in the fake module; a count that is not one per defined function
     * is refused. */
    wasmc_module *m = wasmc_module_load(so("fake_module.so"), &err);
    CHECK(m);
    if (m) {
        uint32_t n = 7, imported = 0;
        CHECK(!wasmc_module_profile_counts(m, &n));
        CHECK_EQ(n, 0);
        uint32_t functions = wasmc_module_function_count(m, &imported);
        CHECK(functions > imported);
        CHECK(!wasmc_module_function_name(m, 0));
        CHECK(wasmc_module_function_name(m, 1) && !strcmp(wasmc_module_function_name(m, 1), "add"));
        CHECK(wasmc_module_function_name(m, 2) && !strcmp(wasmc_module_function_name(m, 2), "div"));
        CHECK(!wasmc_module_function_name(m, 3));
        const char *hash = NULL;
        CHECK(wasmc_module_linked_count(m) == 1);
        CHECK(wasmc_module_linked(m, 0, &hash) && !strcmp(wasmc_module_linked(m, 0, NULL), "dep") && hash && !strcmp(hash, "beef"));
        CHECK(!wasmc_module_linked(m, 1, NULL));
        wasmc_module_unload(m);
        uint64_t counts[64] = {0};
        d->profile_counts = counts;
        d->profile_count_len = functions - imported + 1;
        CHECK(!wasmc_module_load(so("fake_module.so"), &err));
        CHECK_STR(err.message, "descriptor's execution counters do not match its functions");
        d->profile_counts = NULL;
        d->profile_count_len = functions - imported;
        CHECK(!wasmc_module_load(so("fake_module.so"), &err));
        CHECK_STR(err.message, "descriptor's execution counters do not match its functions");
        d->profile_counts = counts;
        m = wasmc_module_load(so("fake_module.so"), &err);
        CHECK(m);
        if (m) {
            CHECK(wasmc_module_profile_counts(m, &n) == counts);
            CHECK_EQ(n, functions - imported);
            wasmc_module_unload(m);
        }
        d->profile_counts = NULL;
        d->profile_count_len = 0;
    }
    dlclose(h);
}

/* ---- CPU features and architecture ------------------------------------------------- */

/* Loads fake_module.so with its metadata's triple, cpu and features strings replaced (the blob
 * starts with the ABI version byte and those three strings, each with a one-byte length). */
static wasmc_module *load_with_target(const char *triple, const char *cpu, const char *features,
                                      wasmc_error *err) {
    void *h = dlopen(so("fake_module.so"), RTLD_NOW | RTLD_LOCAL);
    wasmc_module_descriptor *d = h ? dlsym(h, "wasmc_module") : NULL;
    CHECK(d);
    if (!d) return NULL;
    const uint8_t *orig = d->metadata;
    uint64_t size = d->metadata_size, rest = 1;
    for (int i = 0; i < 3; i++) rest += 1 + orig[rest];
    const char *parts[] = {triple, cpu, features};
    uint8_t *copy = malloc(size + 3 * 128), *p = copy;
    *p++ = orig[0];
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(parts[i]);
        CHECK(n < 128);
        *p++ = (uint8_t)n;
        memcpy(p, parts[i], n);
        p += n;
    }
    memcpy(p, orig + rest, size - rest);
    d->metadata = copy;
    d->metadata_size = (uint64_t)(p - copy) + size - rest;
    wasmc_module *m = wasmc_module_load(so("fake_module.so"), err);
    d->metadata = orig;
    d->metadata_size = size;
    free(copy);
    dlclose(h);
    return m;
}

/* A feature LLVM knows for this architecture that the running CPU lacks, or NULL. */
static const char *missing_feature(void) {
    static const char *const candidates[] = {
#if defined(__x86_64__)
        "avx512f", "avx512fp16", "avx512vp2intersect", "amx-tile", "avx10.1-256", "sha512",
        "usermsr", "avxvnniint16", "egpr", "sse4a", "xop", "fma4", "tbm",
#elif defined(__aarch64__)
        "sve", "sve2", "sme", "sme2", "mte", "cssc", "wfxt", "mops",
#elif defined(__riscv)
        "v", "c", "d",
#endif
        NULL,
    };
    for (size_t i = 0; candidates[i]; i++)
        if (wasmc_cpu_supports(candidates[i]) == 0) return candidates[i];
    return NULL;
}

static void test_cpu_supports(void) {
    CHECK_EQ(wasmc_cpu_supports("no-such-feature"), -1);
    CHECK_EQ(wasmc_cpu_supports(""), -1);
    CHECK_EQ(wasmc_cpu_supports(NULL), -1);
#if defined(__x86_64__)
    CHECK_EQ(wasmc_cpu_supports("sse2"), 1);
    CHECK_EQ(wasmc_cpu_supports("+sse2"), 1);
    CHECK_EQ(wasmc_cpu_supports("64bit"), 1);
    CHECK_EQ(wasmc_cpu_supports("64bit-mode"), 1); /* a mode, needs nothing of the CPU */
    CHECK_EQ(wasmc_cpu_supports("retpoline"), 1);
    CHECK_EQ(wasmc_cpu_supports("sse4.2"), wasmc_cpu_supports("crc32"));
    if (wasmc_cpu_supports("avx2") == 1) CHECK_EQ(wasmc_cpu_supports("avx"), 1);
    if (wasmc_cpu_supports("avx512f") == 0) CHECK_EQ(wasmc_cpu_supports("avx512vl"), 0);
#elif defined(__aarch64__)
    CHECK_EQ(wasmc_cpu_supports("neon"), 1);
    CHECK_EQ(wasmc_cpu_supports("v8a"), 1);
#endif
}

static void test_cpu_feature_check(void) {
    wasmc_error err;
    /* Only "+" entries are requirements; modes and code-generation choices need nothing. */
    wasmc_module *m = load_with_target("x86_64-unknown-linux-gnu", "x86-64",
                                       "+sse2,+cx8,-avx512f,-no-such-feature,+64bit-mode,+retpoline", &err);
    CHECK(m);
    if (m) {
        CHECK(strcmp(wasmc_module_cpu(m), "x86-64") == 0);
        wasmc_module_unload(m);
    } else {
        printf("    %s\n", err.message);
    }
    const char *missing = missing_feature();
    if (missing) {
        char features[200], want[200];
        snprintf(features, sizeof features, "+sse2,+%s,+cx8", missing);
        CHECK(!load_with_target("x86_64-unknown-linux-gnu", "futurecpu", features, &err));
        CHECK_EQ(err.kind, WASMC_ERROR_NO_NATIVE);
        snprintf(want, sizeof want, "fake_module.so: needs CPU feature %s (compiled for futurecpu), which this CPU lacks", missing);
        CHECK_STR(err.message, want);
    } else {
        printf("    (skipped the missing-feature case: this CPU has every candidate feature)\n");
    }
    CHECK(!load_with_target("x86_64-unknown-linux-gnu", "x86-64", "+sse2,+no-such-feature,+other", &err));
    CHECK_EQ(err.kind, WASMC_ERROR_NO_NATIVE);
    CHECK_STR(err.message, "needs CPU features no-such-feature, other (compiled for x86-64), which this runtime cannot check");
}

/* Writes DIR/aarch64.so: the ELF header of an aarch64 shared object, all the loader reads of a
 * file for another architecture before it would dlopen it. */
static int write_foreign_elf(void) {
    unsigned char header[64] = {0x7f, 'E', 'L', 'F', 2 /* 64-bit */, 1 /* little-endian */, 1 /* version */};
    header[16] = 3;   /* e_type: ET_DYN */
    header[18] = 183; /* e_machine: EM_AARCH64 */
    header[20] = 1;   /* e_version */
    header[52] = 64;  /* e_ehsize */
    FILE *f = fopen(so("aarch64.so"), "wb");
    int ok = f && fwrite(header, 1, sizeof header, f) == sizeof header;
    if (f && fclose(f) != 0) ok = 0;
    return ok;
}

static void test_foreign_architecture(void) {
    wasmc_error err;
    /* The recorded triple. */
    CHECK(!load_with_target("aarch64-unknown-linux-gnu", "generic", "+neon", &err));
    CHECK_EQ(err.kind, WASMC_ERROR_NO_NATIVE);
    CHECK_STR(err.message, "compiled for aarch64-unknown-linux-gnu, which this x86_64 host cannot run");
    /* The ELF header, before dlopen (whose own message would be "No such file or directory"). */
    CHECK(!wasmc_module_load(so("aarch64.so"), &err));
    CHECK_EQ(err.kind, WASMC_ERROR_NO_NATIVE);
    CHECK_STR(err.message, "aarch64.so: compiled for aarch64, which this x86_64 host cannot run");
}

/* Writes the first `keep` bytes of fake_module.so (keep <= 0: all but -keep) to NAME in the test
 * directory; with `no_sections`, e_shnum is cleared (as in a file without section headers). */
static const char *truncated_copy(const char *name, long keep, int no_sections) {
    static unsigned char bytes[1 << 20];
    FILE *f = fopen(so("fake_module.so"), "rb");
    size_t n = f ? fread(bytes, 1, sizeof bytes, f) : 0;
    if (f) fclose(f);
    if (keep <= 0) keep += (long)n;
    if (no_sections) memset(bytes + 60, 0, 2); /* e_shnum */
    const char *path = so(name);
    f = fopen(path, "wb");
    if (f) {
        fwrite(bytes, 1, (size_t)keep, f);
        fclose(f);
    }
    return path;
}

static void test_truncated_elf(void) {
    wasmc_error err;
    /* dlopen would map these and fault (SIGBUS or SIGSEGV) reading past the end. */
    CHECK(!wasmc_module_load(truncated_copy("half.so", 2000, 0), &err));
    CHECK_EQ(err.kind, WASMC_ERROR_LOAD);
    CHECK_STR(err.message, "half.so: truncated ELF file (2000 bytes, section headers end at ");
    CHECK(!wasmc_module_load(truncated_copy("short.so", -1, 0), &err));
    CHECK_STR(err.message, "section headers end at ");
    CHECK(!wasmc_module_load(truncated_copy("nosections.so", 6000, 1), &err));
    CHECK_STR(err.message, "nosections.so: truncated ELF file (6000 bytes, segment ");
    CHECK(!wasmc_module_load(truncated_copy("header.so", 40, 0), &err));
    CHECK_STR(err.message, "header.so: truncated ELF file (40 bytes, the ELF header is 64)");
    CHECK(!wasmc_module_load(truncated_copy("ident.so", 10, 0), &err));
    CHECK_STR(err.message, "ident.so: truncated ELF file (10 bytes)");
    /* The same copy, whole, loads. */
    wasmc_module *m = wasmc_module_load(truncated_copy("whole.so", 0, 0), &err);
    CHECK(m);
    if (m) wasmc_module_unload(m);
}

static void test_bare_name(void) {
    char cwd[PATH_MAX];
    CHECK(getcwd(cwd, sizeof cwd) && chdir(dir) == 0);
    wasmc_error err;
    /* A name without '/' is a file of the current directory. */
    wasmc_module *m = wasmc_module_load("fake_module.so", &err);
    CHECK(m);
    if (m) wasmc_module_unload(m);
    /* Not a library searched on the library path: libc.so.6 is there, not here. */
    CHECK(!wasmc_module_load("libc.so.6", &err));
    CHECK_EQ(err.kind, WASMC_ERROR_LOAD);
    CHECK_STR(err.message, "cannot open libc.so.6: No such file or directory");
    /* The checks before dlopen apply to bare names too. */
    CHECK(!wasmc_module_load("aarch64.so", &err));
    CHECK_STR(err.message, "aarch64.so: compiled for aarch64, which this x86_64 host cannot run");
    CHECK(chdir(cwd) == 0);
}

static void test_introspection(void) {
    CHECK(strcmp(wasmc_module_target(module), "x86_64-unknown-linux-gnu") == 0);
    CHECK(strcmp(wasmc_module_cpu(module), "generic") == 0);
    CHECK(strcmp(wasmc_module_cpu_features(module), "") == 0);
    CHECK_EQ(wasmc_module_type_count(module), 7);
    const uint8_t *params, *results;
    uint32_t np, nr;
    wasmc_module_type(module, 5, &params, &np, &results, &nr);
    CHECK_EQ(np, 4);
    CHECK_EQ(nr, 1);
    CHECK_EQ(results[0], WASMC_I32);
    wasmc_module_type(module, 6, &params, &np, &results, &nr);
    CHECK(np == 1 && params[0] == WASMC_I64 && nr == 1 && results[0] == WASMC_I64);
    /* Signature id → the first type with it: (i64)->i64 again; a signature no type has → -1. */
    int64_t same = wasmc_module_type_of_signature(module, wasmc_signature_id(params, np, results, nr));
    CHECK(same >= 0 && same <= 6);
    wasmc_module_type(module, (uint32_t)same, &params, &np, &results, &nr);
    CHECK(np == 1 && params[0] == WASMC_I64 && nr == 1 && results[0] == WASMC_I64);
    const uint8_t vectors[] = {WASMC_V128, WASMC_V128, WASMC_V128};
    CHECK_EQ(wasmc_module_type_of_signature(module, wasmc_signature_id(vectors, 3, NULL, 0)), -1);
    CHECK_EQ(wasmc_module_import_count(module), 4);
    wasmc_import_info ii;
    wasmc_module_import(module, 1, &ii);
    CHECK(strcmp(ii.module, "spectest") == 0 && strcmp(ii.name, "memory") == 0);
    CHECK(ii.kind == WASMC_EXTERN_MEMORY && ii.min == 1 && ii.has_max && ii.max == 2);
    wasmc_module_import(module, 3, &ii);
    CHECK(ii.kind == WASMC_EXTERN_GLOBAL && ii.value_kind == WASMC_I32 && ii.mutable_ == 1);
    wasmc_module_import(module, 0, &ii);
    CHECK(ii.kind == WASMC_EXTERN_FUNC && ii.type_index == 0);
    CHECK_EQ(wasmc_module_export_count(module), 18);
    int found = 0;
    for (uint32_t i = 0; i < 18; i++) {
        wasmc_export_info e;
        wasmc_module_export(module, i, &e);
        if (strcmp(e.name, "tab1") == 0) found = e.kind == WASMC_EXTERN_TABLE && e.index == 1;
    }
    CHECK(found);
}

static void test_signature_ids(void) {
    const uint8_t a[] = {WASMC_I32, WASMC_I64}, b[] = {WASMC_F64}, c[] = {WASMC_I64, WASMC_I32};
    uint32_t id1 = wasmc_signature_id(a, 2, b, 1), id2 = wasmc_signature_id(a, 2, b, 1);
    CHECK(id1 != 0 && id1 == id2);
    CHECK(wasmc_signature_id(c, 2, b, 1) != id1);
    CHECK(wasmc_signature_id(a, 2, NULL, 0) != id1);
    CHECK(wasmc_signature_id(a, 1, a + 1, 1) != id1); /* (i32)->(i64) is not (i32 i64)->() */
    CHECK(wasmc_signature_id(NULL, 0, NULL, 0) != 0);
    /* The module's t2 and t4 are the same type; a host function of t0's type matches. */
    imports im;
    imports_init(&im, 16);
    wasmc_instance *inst = instantiate(&im);
    CHECK(inst);
    if (!inst) return;
    CHECK_EQ(wasmc_instance_function(inst, 3)->type_id, wasmc_instance_function(inst, 12)->type_id);
    CHECK(wasmc_instance_function(inst, 3)->type_id != wasmc_instance_function(inst, 4)->type_id);
    CHECK_EQ(wasmc_instance_function(inst, 1)->type_id, im.host->type_id);
    CHECK_EQ(wasmc_instance_function(inst, 0)->type_id, im.host->type_id);
    CHECK(wasmc_instance_function(inst, 13) == NULL);
    wasmc_instance_delete(inst);
    imports_release(&im);
}

static void expect_link_error(imports *im, const char *message) {
    wasmc_error err;
    wasmc_instance *inst = wasmc_instantiate(store, module, im->ext, 4, &err);
    CHECK(!inst);
    if (inst) {
        wasmc_instance_delete(inst);
        return;
    }
    CHECK_EQ(err.kind, WASMC_ERROR_LINK);
    CHECK_STR(err.message, message);
}

static void test_link_errors(void) {
    imports im;
    imports_init(&im, 16);
    wasmc_error err;
    CHECK(!wasmc_instantiate(store, module, im.ext, 3, &err));
    CHECK_EQ(err.kind, WASMC_ERROR_LINK);

    const uint8_t i64[] = {WASMC_I64};
    wasmc_host_func *wrong = wasmc_host_func_new(i64, 1, i64, 1, host_add, &im.env, NULL);
    im.ext[0].of.host = wrong;
    expect_link_error(&im, "incompatible import type for \"env\".\"host_add\": function type mismatch");
    im.ext[0].of.host = im.host;

    wasmc_extern saved = im.ext[1];
    im.ext[1] = (wasmc_extern){.kind = WASMC_EXTERN_TABLE, .of.table = im.tab};
    expect_link_error(&im, "incompatible import type for \"spectest\".\"memory\"");
    struct { uint32_t min, has_max, max; int ok; } mems[] = {
        {0, 1, 2, 0}, {1, 0, 0, 0}, {1, 1, 3, 0}, {2, 1, 2, 1}, {1, 1, 1, 1}};
    for (size_t i = 0; i < sizeof mems / sizeof mems[0]; i++) {
        wasmc_memory *m = wasmc_memory_new(mems[i].min, mems[i].has_max, mems[i].max, NULL);
        im.ext[1] = (wasmc_extern){.kind = WASMC_EXTERN_MEMORY, .of.memory = m};
        if (mems[i].ok) {
            wasmc_instance *inst = instantiate(&im);
            CHECK(inst);
            wasmc_instance_delete(inst);
        } else {
            expect_link_error(&im, "incompatible import type for \"spectest\".\"memory\": memory limits mismatch");
        }
        wasmc_memory_release(m);
    }
    im.ext[1] = saved;

    wasmc_table *ext = wasmc_table_new(WASMC_EXTERNREF, 2, 0, 0, NULL, NULL);
    wasmc_table *small = wasmc_table_new(WASMC_FUNCREF, 1, 0, 0, NULL, NULL);
    im.ext[2].of.table = ext;
    expect_link_error(&im, "incompatible import type for \"env\".\"tab\": table element type mismatch");
    im.ext[2].of.table = small;
    expect_link_error(&im, "incompatible import type for \"env\".\"tab\": table limits mismatch");
    im.ext[2].of.table = im.tab;
    wasmc_table_release(ext);
    wasmc_table_release(small);

    im.ext[3].of.global.mutable_ = 0;
    expect_link_error(&im, "incompatible import type for \"env\".\"g\": global mutability mismatch");
    im.ext[3].of.global.mutable_ = 1;
    im.ext[3].of.global.kind = WASMC_I64;
    expect_link_error(&im, "incompatible import type for \"env\".\"g\": global type mismatch");
    im.ext[3].of.global.kind = WASMC_I32;

    /* A function of another instance: right type links, wrong type does not. */
    wasmc_instance *a = instantiate(&im);
    CHECK(a);
    imports im2;
    imports_init(&im2, 16);
    im2.ext[0] = (wasmc_extern){.kind = WASMC_EXTERN_FUNC, .of.func = func(a, "load")};
    expect_link_error(&im2, "function type mismatch");
    im2.ext[0] = (wasmc_extern){.kind = WASMC_EXTERN_GLOBAL, .of.global = im.g};
    expect_link_error(&im2, "incompatible import type for \"env\".\"host_add\": expected function, got global");
    im2.ext[0] = (wasmc_extern){.kind = WASMC_EXTERN_FUNC, .of.func = func(a, "add")};
    wasmc_instance *b = instantiate(&im2);
    CHECK(b);
    wasmc_instance_delete(b);
    wasmc_instance_delete(a);
    imports_release(&im2);
    wasmc_host_func_release(wrong);
    imports_release(&im);
}

static void test_instantiate(void) {
    imports im;
    imports_init(&im, 16);
    wasmc_instance *inst = instantiate(&im);
    CHECK(inst);
    if (!inst) return;
    CHECK(wasmc_instance_module(inst) == module);
    wasmc_extern g1 = export(inst, "g1"), g2 = export(inst, "g2");
    CHECK(g1.kind == WASMC_EXTERN_GLOBAL && g1.of.global.mutable_ == 1 && g1.of.global.kind == WASMC_I32);
    CHECK_EQ(g1.of.global.cell->i32, 42); /* set by the start function */
    CHECK(g2.of.global.kind == WASMC_I64 && g2.of.global.mutable_ == 0);
    CHECK_EQ(g2.of.global.cell->i64, 7); /* set by init */
    CHECK(memcmp(im.mem->base + 16, "WASM", 4) == 0);
    CHECK(export(inst, "mem0").of.memory == im.mem);
    CHECK(export(inst, "tab0").of.table == im.tab);
    CHECK(im.tab->elements[0] == wasmc_instance_function(inst, 3));
    CHECK(im.tab->elements[1] == wasmc_instance_function(inst, 1));
    CHECK_EQ(im.mem->refcount, 2);
    CHECK_EQ(export(inst, "nope").kind, 99);
    wasmc_memory *mem1 = export(inst, "mem1").of.memory;
    CHECK(mem1 && mem1->guarded && mem1->size == 65536 && mem1->max_pages == 4 && mem1->has_max);
    wasmc_table *tab1 = export(inst, "tab1").of.table;
    CHECK(tab1 && tab1->size == 3 && tab1->max == 5 && tab1->kind == WASMC_FUNCREF);
    wasmc_instance_delete(inst);
    CHECK_EQ(im.mem->refcount, 1);
    CHECK_EQ(im.env.finalized, 0);
    imports_release(&im);
    CHECK_EQ(im.env.finalized, 1);
}

static void test_calls_and_traps(void) {
    imports im;
    imports_init(&im, 16);
    wasmc_instance *inst = instantiate(&im);
    if (!inst) return;
    int32_t r = 0;
    CHECK_EQ(call(inst, "add", &r, 2, 3, 0, 0), WASMC_TRAP_NONE);
    CHECK_EQ(r, 5);
    CHECK_EQ(call(inst, "div", &r, -7, 2, 0, 0), WASMC_TRAP_NONE);
    CHECK_EQ(r, -3);
    CHECK_EQ(call(inst, "div", &r, 7, 0, 0, 0), WASMC_TRAP_INTEGER_DIVIDE_BY_ZERO);
    CHECK_EQ(call(inst, "div", &r, INT32_MIN, -1, 0, 0), WASMC_TRAP_INTEGER_OVERFLOW);
    CHECK_EQ(call(inst, "unreachable", NULL, 0, 0, 0, 0), WASMC_TRAP_UNREACHABLE);
    CHECK_EQ(call(inst, "incg", NULL, 0, 0, 0, 0), WASMC_TRAP_NONE);
    CHECK_EQ(im.g.cell->i32, 17);
    for (int i = 0; i < 1000; i++) CHECK_EQ(call(inst, "div", &r, 1, 0, 0, 0), WASMC_TRAP_INTEGER_DIVIDE_BY_ZERO);
    CHECK(store->depth == 0 && store->stack_limit == 0);
    CHECK_EQ(wasmc_call(store, NULL, NULL), WASMC_TRAP_UNINITIALIZED_ELEMENT);
    wasmc_instance_delete(inst);
    imports_release(&im);
}

static void test_memory_faults(void) {
    imports im;
    imports_init(&im, 16);
    wasmc_instance *inst = instantiate(&im);
    if (!inst) return;
    int32_t r = 0;
    CHECK_EQ(call(inst, "store", NULL, 65532, 0x01020304, 0, 0), WASMC_TRAP_NONE);
    CHECK_EQ(call(inst, "load", &r, 65532, 0, 0, 0), WASMC_TRAP_NONE);
    CHECK_EQ(r, 0x01020304);
    CHECK_EQ(call(inst, "load", &r, 65533, 0, 0, 0), WASMC_TRAP_MEMORY_OUT_OF_BOUNDS);
    CHECK_EQ(call(inst, "load", &r, -1, 0, 0, 0), WASMC_TRAP_MEMORY_OUT_OF_BOUNDS);
    CHECK_EQ(call(inst, "store", NULL, 65536, 1, 0, 0), WASMC_TRAP_MEMORY_OUT_OF_BOUNDS);
    int traps = 0;
    for (int i = 0; i < 1000; i++) /* SIGSEGV must be unblocked again after each trap */
        traps += call(inst, "load", &r, 70000 + i * 4096, 0, 0, 0) == WASMC_TRAP_MEMORY_OUT_OF_BOUNDS;
    CHECK_EQ(traps, 1000);
    CHECK(store->depth == 0 && store->stack_limit == 0);
    CHECK_EQ(call(inst, "add", &r, 1, 1, 0, 0), WASMC_TRAP_NONE);
    /* Growing opens the next page. */
    CHECK_EQ(wasmc_memory_grow(im.mem, 1), 1);
    CHECK_EQ(call(inst, "store", NULL, 65536, 77, 0, 0), WASMC_TRAP_NONE);
    CHECK_EQ(call(inst, "load", &r, 65536, 0, 0, 0), WASMC_TRAP_NONE);
    CHECK_EQ(r, 77);
    CHECK_EQ(call(inst, "load", &r, 131072, 0, 0, 0), WASMC_TRAP_MEMORY_OUT_OF_BOUNDS);
    CHECK_EQ(wasmc_memory_grow(im.mem, 1), -1);
    CHECK_EQ(op(inst, 13, 0, 0, 0, &r), WASMC_TRAP_NONE); /* memory.grow 0 on memory 0 */
    CHECK_EQ(r, 2);
    wasmc_instance_delete(inst);
    imports_release(&im);
}

static void test_stack_exhaustion(void) {
    imports im;
    imports_init(&im, 16);
    wasmc_instance *inst = instantiate(&im);
    if (!inst) return;
    int32_t r = 0;
    for (int i = 0; i < 5; i++)
        CHECK_EQ(call(inst, "recurse", NULL, 0, 0, 0, 0), WASMC_TRAP_CALL_STACK_EXHAUSTED);
    CHECK(store->depth == 0 && store->stack_limit == 0);
    CHECK_EQ(call(inst, "add", &r, 20, 22, 0, 0), WASMC_TRAP_NONE);
    CHECK_EQ(r, 42);
    wasmc_instance_delete(inst);
    imports_release(&im);
}

static void test_host_functions(void) {
    imports im;
    imports_init(&im, 16);
    wasmc_instance *inst = instantiate(&im);
    if (!inst) return;
    int32_t r = 0;
    CHECK_EQ(call(inst, "call_host", &r, 40, 2, 0, 0), WASMC_TRAP_NONE);
    CHECK_EQ(r, 42);
    CHECK_EQ(im.env.depth_seen, 1);
    CHECK_EQ(call(inst, "host_add", &r, 1, 2, 0, 0), WASMC_TRAP_NONE); /* re-exported import */
    CHECK_EQ(r, 3);
    im.env.mode = 1;
    CHECK_EQ(call(inst, "call_host", &r, 1, 2, 0, 0), WASMC_TRAP_HOST);
    im.env.mode = 2; /* host calls back into wasm */
    im.env.nested = func(inst, "div");
    CHECK_EQ(call(inst, "call_host", &r, 9, 3, 0, 0), WASMC_TRAP_NONE);
    CHECK_EQ(r, 1003);
    CHECK_EQ(call(inst, "call_host", &r, 9, 0, 0, 0), WASMC_TRAP_INTEGER_DIVIDE_BY_ZERO);
    im.env.nested = func(inst, "load");
    CHECK_EQ(call(inst, "call_host", &r, 1 << 20, 0, 0, 0), WASMC_TRAP_MEMORY_OUT_OF_BOUNDS);
    CHECK(store->depth == 0 && store->stack_limit == 0);
    im.env.mode = 0;
    CHECK_EQ(call(inst, "call_host", &r, 5, 6, 0, 0), WASMC_TRAP_NONE);
    CHECK_EQ(r, 11);
    wasmc_instance_delete(inst);
    imports_release(&im);
}

static void test_bulk_memory(void) {
    imports im;
    imports_init(&im, 16);
    wasmc_instance *inst = instantiate(&im);
    if (!inst) return;
    wasmc_memory *m = export(inst, "mem1").of.memory;
    uint8_t *base = m->base;
    int32_t r;
    memset(base + 65530, 0x11, 6);
    CHECK_EQ(op(inst, 1, 65532, 0xab, 4, NULL), WASMC_TRAP_NONE);
    CHECK(base[65531] == 0x11 && base[65532] == 0xab && base[65535] == 0xab);
    CHECK_EQ(op(inst, 1, 65530, 0xcd, 7, NULL), WASMC_TRAP_MEMORY_OUT_OF_BOUNDS);
    CHECK(base[65530] == 0x11); /* bounds are checked before anything is written */
    CHECK_EQ(op(inst, 1, 65536, 0, 0, NULL), WASMC_TRAP_NONE);
    CHECK_EQ(op(inst, 1, 65537, 0, 0, NULL), WASMC_TRAP_MEMORY_OUT_OF_BOUNDS);
    CHECK_EQ(op(inst, 1, -1, 0, 2, NULL), WASMC_TRAP_MEMORY_OUT_OF_BOUNDS); /* no 32-bit wrap */

    memcpy(base + 100, "abcdef", 6);
    CHECK_EQ(op(inst, 2, 102, 100, 4, NULL), WASMC_TRAP_NONE);
    CHECK(memcmp(base + 100, "ababcd", 6) == 0);
    CHECK_EQ(op(inst, 2, 100, 102, 4, NULL), WASMC_TRAP_NONE);
    CHECK(memcmp(base + 100, "abcdcd", 6) == 0);
    CHECK_EQ(op(inst, 2, 0, 65535, 2, NULL), WASMC_TRAP_MEMORY_OUT_OF_BOUNDS);
    CHECK_EQ(op(inst, 2, 65535, 0, 2, NULL), WASMC_TRAP_MEMORY_OUT_OF_BOUNDS);
    CHECK_EQ(op(inst, 2, 65536, 65536, 0, NULL), WASMC_TRAP_NONE);
    CHECK_EQ(op(inst, 2, 0, 65537, 0, NULL), WASMC_TRAP_MEMORY_OUT_OF_BOUNDS);

    CHECK_EQ(op(inst, 3, 200, 0, 5, NULL), WASMC_TRAP_NONE);
    CHECK(memcmp(base + 200, "hello", 5) == 0);
    CHECK_EQ(op(inst, 3, 300, 1, 5, NULL), WASMC_TRAP_MEMORY_OUT_OF_BOUNDS);
    CHECK(base[300] == 0);
    CHECK_EQ(op(inst, 3, 65536, 5, 0, NULL), WASMC_TRAP_NONE);
    CHECK_EQ(op(inst, 3, 0, 6, 0, NULL), WASMC_TRAP_MEMORY_OUT_OF_BOUNDS);
    CHECK_EQ(op(inst, 3, 65537, 0, 0, NULL), WASMC_TRAP_MEMORY_OUT_OF_BOUNDS);
    CHECK_EQ(op(inst, 3, 65534, 0, 3, NULL), WASMC_TRAP_MEMORY_OUT_OF_BOUNDS);
    CHECK_EQ(op(inst, 4, 0, 0, 0, NULL), WASMC_TRAP_NONE); /* data.drop */
    CHECK_EQ(op(inst, 3, 0, 0, 0, NULL), WASMC_TRAP_NONE);
    CHECK_EQ(op(inst, 3, 0, 0, 1, NULL), WASMC_TRAP_MEMORY_OUT_OF_BOUNDS);
    CHECK_EQ(op(inst, 3, 0, 1, 0, NULL), WASMC_TRAP_MEMORY_OUT_OF_BOUNDS);

    CHECK_EQ(op(inst, 11, 8, 200, 5, NULL), WASMC_TRAP_NONE); /* memory 1 -> memory 0 */
    CHECK(memcmp(im.mem->base + 8, "hello", 5) == 0);

    CHECK_EQ(op(inst, 5, 0, 0, 0, &r), WASMC_TRAP_NONE);
    CHECK_EQ(r, 1);
    CHECK_EQ(op(inst, 5, 1, 0, 0, &r), WASMC_TRAP_NONE);
    CHECK_EQ(r, 1);
    CHECK_EQ(op(inst, 5, 3, 0, 0, &r), WASMC_TRAP_NONE);
    CHECK_EQ(r, -1);
    CHECK_EQ(op(inst, 5, 2, 0, 0, &r), WASMC_TRAP_NONE);
    CHECK_EQ(r, 2);
    CHECK_EQ(op(inst, 5, 1, 0, 0, &r), WASMC_TRAP_NONE);
    CHECK_EQ(r, -1);
    CHECK_EQ(m->size, 4 * 65536);
    CHECK_EQ(op(inst, 1, 4 * 65536 - 1, 7, 1, NULL), WASMC_TRAP_NONE);
    CHECK_EQ(base[4 * 65536 - 1], 7);
    wasmc_instance_delete(inst);
    imports_release(&im);
}

static void test_tables(void) {
    imports im;
    imports_init(&im, 16);
    wasmc_instance *inst = instantiate(&im);
    if (!inst) return;
    wasmc_table *t = export(inst, "tab1").of.table;
    const wasmc_funcref *add = wasmc_instance_function(inst, 1), *dbl = wasmc_instance_function(inst, 12);
    int32_t r;
    CHECK_EQ(op(inst, 6, 2, 1, 0, &r), WASMC_TRAP_NONE); /* table.grow 2 with add */
    CHECK_EQ(r, 3);
    CHECK(t->size == 5 && t->elements[2] == NULL && t->elements[3] == add && t->elements[4] == add);
    CHECK_EQ(op(inst, 6, 1, 0, 0, &r), WASMC_TRAP_NONE);
    CHECK_EQ(r, -1);
    CHECK_EQ(op(inst, 6, 0, 0, 0, &r), WASMC_TRAP_NONE);
    CHECK_EQ(r, 5);

    CHECK_EQ(op(inst, 7, 0, 12, 2, NULL), WASMC_TRAP_NONE); /* table.fill 0..2 with dbl */
    CHECK(t->elements[0] == dbl && t->elements[1] == dbl && t->elements[2] == NULL);
    CHECK_EQ(op(inst, 7, 4, 0, 2, NULL), WASMC_TRAP_TABLE_OUT_OF_BOUNDS);
    CHECK(t->elements[4] == add);
    CHECK_EQ(op(inst, 7, 5, 12, 0, NULL), WASMC_TRAP_NONE);
    CHECK_EQ(op(inst, 7, 6, 12, 0, NULL), WASMC_TRAP_TABLE_OUT_OF_BOUNDS);

    void *v[5] = {(void *)1, (void *)2, (void *)3, (void *)4, (void *)5};
    memcpy(t->elements, v, sizeof v);
    CHECK_EQ(op(inst, 8, 1, 0, 3, NULL), WASMC_TRAP_NONE); /* overlapping, forwards */
    CHECK(t->elements[0] == v[0] && t->elements[1] == v[0] && t->elements[2] == v[1] && t->elements[3] == v[2] && t->elements[4] == v[4]);
    memcpy(t->elements, v, sizeof v);
    CHECK_EQ(op(inst, 8, 0, 2, 3, NULL), WASMC_TRAP_NONE); /* overlapping, backwards */
    CHECK(t->elements[0] == v[2] && t->elements[1] == v[3] && t->elements[2] == v[4] && t->elements[3] == v[3]);
    CHECK_EQ(op(inst, 8, 3, 0, 3, NULL), WASMC_TRAP_TABLE_OUT_OF_BOUNDS);
    CHECK_EQ(op(inst, 8, 5, 5, 0, NULL), WASMC_TRAP_NONE);
    CHECK_EQ(op(inst, 8, 0, 6, 0, NULL), WASMC_TRAP_TABLE_OUT_OF_BOUNDS);

    CHECK_EQ(op(inst, 9, 1, 0, 3, NULL), WASMC_TRAP_NONE); /* table.init from (dbl, add, null) */
    CHECK(t->elements[1] == dbl && t->elements[2] == add && t->elements[3] == NULL);
    CHECK_EQ(op(inst, 9, 0, 1, 3, NULL), WASMC_TRAP_TABLE_OUT_OF_BOUNDS);
    CHECK_EQ(op(inst, 9, 3, 0, 3, NULL), WASMC_TRAP_TABLE_OUT_OF_BOUNDS);
    CHECK_EQ(op(inst, 9, 5, 3, 0, NULL), WASMC_TRAP_NONE);
    CHECK_EQ(op(inst, 9, 0, 4, 0, NULL), WASMC_TRAP_TABLE_OUT_OF_BOUNDS);
    CHECK_EQ(op(inst, 10, 0, 0, 0, NULL), WASMC_TRAP_NONE); /* elem.drop */
    CHECK_EQ(op(inst, 9, 0, 0, 0, NULL), WASMC_TRAP_NONE);
    CHECK_EQ(op(inst, 9, 0, 0, 1, NULL), WASMC_TRAP_TABLE_OUT_OF_BOUNDS);

    CHECK_EQ(op(inst, 12, 0, 1, 2, NULL), WASMC_TRAP_NONE); /* table 1 -> table 0 */
    CHECK(im.tab->elements[0] == dbl && im.tab->elements[1] == add);

    /* The host API. */
    wasmc_error err;
    CHECK(!wasmc_table_new(WASMC_FUNCREF, 3, 1, 2, NULL, &err));
    CHECK_EQ(err.kind, WASMC_ERROR_RESOURCE);
    wasmc_table *h = wasmc_table_new(WASMC_EXTERNREF, 0, 1, 2, NULL, NULL);
    CHECK(h && h->size == 0 && h->max == 2 && h->has_max);
    CHECK_EQ(wasmc_table_grow(h, 2, (void *)v), 0);
    CHECK(h->elements[1] == (void *)v);
    CHECK_EQ(wasmc_table_grow(h, 1, NULL), -1);
    wasmc_table_release(h);
    h = wasmc_table_new(WASMC_FUNCREF, 1, 0, 0, NULL, NULL);
    CHECK(h && h->max == UINT32_MAX && !h->has_max);
    CHECK_EQ(wasmc_table_grow(h, 10000, NULL), 1);
    CHECK_EQ(wasmc_table_grow(h, UINT32_MAX, NULL), -1);
    CHECK_EQ(h->size, 10001);
    wasmc_table_release(h);
    wasmc_instance_delete(inst);
    imports_release(&im);
}

static void test_call_indirect(void) {
    imports im;
    imports_init(&im, 16);
    wasmc_instance *inst = instantiate(&im);
    imports im2;
    imports_init(&im2, 16);
    wasmc_instance *other = instantiate(&im2);
    if (!inst || !other) return;
    int32_t r = 0;
    im.tab->elements[0] = (void *)wasmc_instance_function(inst, 12); /* dbl: t4, same as t2 */
    CHECK_EQ(call(inst, "call_indirect", &r, 0, 21, 0, 0), WASMC_TRAP_NONE);
    CHECK_EQ(r, 42);
    CHECK_EQ(call(inst, "call_indirect", &r, 1, 21, 0, 0), WASMC_TRAP_INDIRECT_CALL_TYPE_MISMATCH);
    CHECK_EQ(call(inst, "call_indirect", &r, 2, 21, 0, 0), WASMC_TRAP_UNDEFINED_ELEMENT);
    im.tab->elements[1] = NULL;
    CHECK_EQ(call(inst, "call_indirect", &r, 1, 21, 0, 0), WASMC_TRAP_UNINITIALIZED_ELEMENT);
    /* A function of another instance runs with that instance's context. */
    CHECK_EQ(call(other, "store", NULL, 4, 1234, 0, 0), WASMC_TRAP_NONE);
    im.tab->elements[1] = (void *)wasmc_instance_function(other, 3);
    CHECK_EQ(call(inst, "call_indirect", &r, 1, 4, 0, 0), WASMC_TRAP_NONE);
    CHECK_EQ(r, 1234);
    wasmc_instance_delete(other);
    wasmc_instance_delete(inst);
    imports_release(&im2);
    imports_release(&im);
}

static void test_two_instances(void) {
    imports ia, ib;
    imports_init(&ia, 16);
    imports_init(&ib, 32);
    wasmc_instance *a = instantiate(&ia);
    if (!a) return;
    /* b takes a's "add" for its host_add import and a's "g1" for its global. */
    ib.ext[0] = (wasmc_extern){.kind = WASMC_EXTERN_FUNC, .of.func = func(a, "add")};
    ib.ext[3] = export(a, "g1");
    CHECK_EQ(ib.ext[3].of.global.cell->i32, 42);
    ib.ext[3].of.global.cell->i32 = 32; /* b's active data segment lands at g0 = 32 */
    wasmc_instance *b = instantiate(&ib);
    if (!b) return;
    int32_t r = 0;
    CHECK(memcmp(ia.mem->base + 16, "WASM", 4) == 0 && memcmp(ib.mem->base + 32, "WASM", 4) == 0);
    CHECK(memcmp(ia.mem->base + 32, "WASM", 4) != 0);
    CHECK_EQ(call(a, "store", NULL, 0, 111, 0, 0), WASMC_TRAP_NONE);
    CHECK_EQ(call(b, "store", NULL, 0, 222, 0, 0), WASMC_TRAP_NONE);
    CHECK_EQ(call(a, "load", &r, 0, 0, 0, 0), WASMC_TRAP_NONE);
    CHECK_EQ(r, 111);
    CHECK_EQ(call(b, "load", &r, 0, 0, 0, 0), WASMC_TRAP_NONE);
    CHECK_EQ(r, 222);
    CHECK_EQ(call(b, "call_host", &r, 30, 12, 0, 0), WASMC_TRAP_NONE); /* a's add */
    CHECK_EQ(r, 42);
    CHECK_EQ(call(b, "incg", NULL, 0, 0, 0, 0), WASMC_TRAP_NONE);
    CHECK_EQ(export(a, "g1").of.global.cell->i32, 33);
    CHECK_EQ(export(b, "g1").of.global.cell->i32, 42);
    /* a's user reference goes; b still uses a's function and global. */
    wasmc_global g = export(a, "g1").of.global;
    wasmc_instance_delete(a);
    CHECK_EQ(call(b, "incg", NULL, 0, 0, 0, 0), WASMC_TRAP_NONE);
    CHECK_EQ(g.cell->i32, 34);
    CHECK_EQ(call(b, "call_host", &r, 1, 2, 0, 0), WASMC_TRAP_NONE);
    CHECK_EQ(r, 3);
    wasmc_instance_delete(b);
    imports_release(&ia);
    imports_release(&ib);
}

static void test_instantiation_trap(void) {
    static imports im; /* the failed instance keeps the host function until the store goes */
    imports_init(&im, 65535); /* the active data segment ends past the memory */
    wasmc_error err;
    wasmc_instance *inst = wasmc_instantiate(store, module, im.ext, 4, &err);
    CHECK(!inst);
    CHECK_EQ(err.kind, WASMC_ERROR_TRAP);
    CHECK_EQ(err.trap, WASMC_TRAP_MEMORY_OUT_OF_BOUNDS);
    CHECK(strcmp(err.message, "instantiation trapped: out of bounds memory access") == 0);
    /* The element segment applied before the trap stays, and its functions still work. */
    CHECK(im.tab->elements[0] != NULL && im.tab->elements[1] != NULL);
    wasmc_value io[2] = {{.i32 = 19}, {.i32 = 23}};
    CHECK_EQ(wasmc_call(store, im.tab->elements[1], io), WASMC_TRAP_NONE);
    CHECK_EQ(io[0].i32, 42);
    CHECK(store->depth == 0 && store->stack_limit == 0);
    imports_release(&im);
}

static void test_memory_api(void) {
    wasmc_error err;
    wasmc_memory *m = wasmc_memory_new(1, 1, 4, &err);
    CHECK(m);
    if (!m) return;
    CHECK(m->guarded == 1 && m->reserved == WASMC_GUARD_RESERVATION && m->size == 65536);
    CHECK(m->max_pages == 4 && m->has_max == 1 && m->refcount == 1 && m->registry_slot != UINT32_MAX);
    m->base[65535] = 1;
    CHECK_EQ(wasmc_memory_grow(m, 3), 1);
    m->base[4 * 65536 - 1] = 1;
    CHECK_EQ(wasmc_memory_grow(m, 1), -1);
    CHECK_EQ(wasmc_memory_grow(m, 0), 4);
    uint32_t slot = m->registry_slot;
    wasmc_memory_release(m);
    m = wasmc_memory_new(0, 0, 0, &err); /* the slot is reused */
    CHECK(m && m->registry_slot == slot && m->max_pages == 65536 && m->size == 0);
    CHECK_EQ(wasmc_memory_grow(m, 65536), 0);
    CHECK_EQ(m->size, 65536ull * 65536);
    CHECK_EQ(wasmc_memory_grow(m, 1), -1);
    wasmc_memory_release(m);
    CHECK(!wasmc_memory_new(2, 1, 1, &err));
    CHECK_EQ(err.kind, WASMC_ERROR_RESOURCE);
    CHECK(!wasmc_memory_new(65537, 0, 0, &err));
    CHECK(!wasmc_memory_new(1, 1, 65537, &err));
    wasmc_global g = wasmc_global_new(WASMC_F64, 0, (wasmc_value){.f64 = 1.5});
    CHECK(g.cell && g.cell->f64 == 1.5 && g.kind == WASMC_F64 && g.mutable_ == 0);
    wasmc_global_release(g);
}

/* Runs fn in a child process; returns its wait status. */
static int in_child(int (*fn)(void), int quiet) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (quiet && !freopen("/dev/null", "w", stderr)) _exit(99);
        alarm(20);
        _exit(fn());
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

#define CHILD_CHECK(cond) (bad += !(cond) && printf("    %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond))

static int child_unguarded(void) {
    int bad = 0;
    wasmc_memory *guarded = wasmc_memory_new(1, 1, 2, NULL);
    /* Leave 2 GiB more than what is mapped now: no room for an 8 GiB reservation. */
    unsigned long long vm = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f || fscanf(f, "%llu", &vm) != 1) return 100;
    fclose(f);
    struct rlimit rl = {vm * (unsigned long long)sysconf(_SC_PAGESIZE) + (2ull << 30), RLIM_INFINITY};
    if (setrlimit(RLIMIT_AS, &rl) != 0) return 101;
    wasmc_memory *m = wasmc_memory_new(1, 1, 10, NULL);
    CHILD_CHECK(m && !m->guarded && m->reserved == 10 * 65536);
    if (!m) return bad;
    CHILD_CHECK(wasmc_memory_grow(m, 9) == 1);
    CHILD_CHECK(wasmc_memory_grow(m, 1) == -1);
    m->base[10 * 65536 - 1] = 1;
    wasmc_memory *n = wasmc_memory_new(1, 0, 0, NULL); /* no max: as much as fits, halving */
    CHILD_CHECK(n && !n->guarded && n->reserved >= (256u << 20) && n->reserved < (2ull << 30));
    if (!n) return bad;
    CHILD_CHECK(wasmc_memory_grow(n, (uint32_t)(n->reserved / 65536)) == -1);
    CHILD_CHECK(wasmc_memory_grow(n, (uint32_t)(n->reserved / 65536) - 1) == 1);
    /* A guard-mode module refuses both an unguarded import and an unguarded memory of its own. */
    imports im;
    imports_init(&im, 16);
    wasmc_error err;
    CHILD_CHECK(im.mem && !im.mem->guarded);
    CHILD_CHECK(wasmc_instantiate(store, module, im.ext, 4, &err) == NULL);
    CHILD_CHECK(err.kind == WASMC_ERROR_RESOURCE && strstr(err.message, "recompile it with explicit bounds checks"));
    im.ext[1].of.memory = guarded;
    CHILD_CHECK(wasmc_instantiate(store, module, im.ext, 4, &err) == NULL);
    CHILD_CHECK(err.kind == WASMC_ERROR_RESOURCE && strstr(err.message, "ulimit -v"));
    if (bad) printf("    last error: %s\n", err.message);
    return bad;
}

static void test_unguarded_fallback(void) {
    int status = in_child(child_unguarded, 0);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);
}

static int child_trap_outside(void) {
    void *h = dlopen(so("fake_module.so"), RTLD_NOW | RTLD_LOCAL);
    wasmc_module_descriptor *d = dlsym(h, "wasmc_module");
    (*d->runtime_slot)->trap(NULL, WASMC_TRAP_UNREACHABLE);
    return 0;
}

static void test_trap_outside_call(void) {
    int status = in_child(child_trap_outside, 1);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

/* ---- signal chaining ----------------------------------------------------------------- */

static uint8_t *fault_page;
static volatile int segv_seen, bus_seen;
static struct sigaction original_segv, original_bus;

static void test_segv_handler(int sig, siginfo_t *info, void *uctx) {
    (void)sig, (void)uctx;
    if ((uint8_t *)info->si_addr >= fault_page && (uint8_t *)info->si_addr < fault_page + 4096) {
        segv_seen++;
        mprotect(fault_page, 4096, PROT_READ | PROT_WRITE);
        return;
    }
    sigaction(SIGSEGV, &original_segv, NULL);
}

static void test_bus_handler(int sig) {
    (void)sig;
    bus_seen++;
}

/* Installed before the runtime's handler exists. */
static void install_test_handlers(void) {
    fault_page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = test_segv_handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, &original_segv);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = test_bus_handler;
    sigaction(SIGBUS, &sa, &original_bus);
}

static void test_signal_chaining(void) {
    struct sigaction now;
    sigaction(SIGSEGV, NULL, &now);
    CHECK(now.sa_sigaction != test_segv_handler); /* the runtime's is in front */
    *(volatile uint8_t *)fault_page = 1; /* outside any wasm call */
    CHECK_EQ(segv_seen, 1);
    CHECK_EQ(fault_page[0], 1);
    mprotect(fault_page, 4096, PROT_NONE);
    imports im;
    imports_init(&im, 16);
    wasmc_instance *inst = instantiate(&im);
    if (!inst) return;
    im.env.mode = 3; /* inside a wasm call, through a host function */
    im.env.fault_at = (volatile int *)fault_page;
    int32_t r = 0;
    CHECK_EQ(call(inst, "call_host", &r, 1, 2, 0, 0), WASMC_TRAP_NONE);
    CHECK_EQ(r, 3);
    CHECK_EQ(segv_seen, 2);
    CHECK_EQ(*(int *)fault_page, 99);
    raise(SIGBUS); /* a plain (non-SA_SIGINFO) previous handler */
    CHECK_EQ(bus_seen, 1);
    CHECK_EQ(call(inst, "load", &r, -4, 0, 0, 0), WASMC_TRAP_MEMORY_OUT_OF_BOUNDS);
    CHECK_EQ(segv_seen, 2);
    wasmc_instance_delete(inst);
    imports_release(&im);
}

/* Children started by exec, where the runtime's handler is the first one installed. */
static int child_default_segv(int in_wasm, int ignore) {
    if (ignore) signal(SIGSEGV, SIG_IGN);
    alarm(20);
    store = wasmc_store_new();
    module = wasmc_module_load(so("fake_module.so"), NULL);
    fault_page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!in_wasm) {
        *(volatile int *)fault_page = 1;
        return 0;
    }
    imports im;
    imports_init(&im, 16);
    wasmc_instance *inst = instantiate(&im);
    im.env.mode = 3;
    im.env.fault_at = (volatile int *)fault_page;
    call(inst, "call_host", NULL, 1, 2, 0, 0);
    return 0;
}

static void test_default_action(void) {
    const char *modes[] = {"segv-outside", "segv-inside", "segv-ignored"};
    for (int i = 0; i < 3; i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            execl("/proc/self/exe", "test_runtime", dir, modes[i], (char *)NULL);
            _exit(127);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV)) {
            printf("    %s: status 0x%x\n", modes[i], status);
            ok = 0;
        }
    }
}

/* ---- threads ------------------------------------------------------------------------- */

static void *thread_main(void *arg) {
    int *bad = arg;
    wasmc_store *s = wasmc_store_new();
    imports im;
    imports_init(&im, 16);
    wasmc_instance *inst = wasmc_instantiate(s, module, im.ext, 4, NULL);
    if (!inst) {
        *bad = 1000;
        return NULL;
    }
    for (int i = 0; i < 200; i++) {
        wasmc_value io[2] = {{.i32 = 70000 + i}, {.i32 = 0}};
        *bad += wasmc_call(s, func(inst, "load"), io) != WASMC_TRAP_MEMORY_OUT_OF_BOUNDS;
        io[0].i32 = 1;
        *bad += wasmc_call(s, func(inst, "div"), io) != WASMC_TRAP_INTEGER_DIVIDE_BY_ZERO;
        if (i % 50 == 0)
            *bad += wasmc_call(s, func(inst, "recurse"), io) != WASMC_TRAP_CALL_STACK_EXHAUSTED;
        if (i % 100 == 0) { /* a native overflow (guard page) inside a call is exhaustion too */
            im.env.mode = 4;
            io[0].i32 = io[1].i32 = 0;
            *bad += wasmc_call(s, func(inst, "call_host"), io) != WASMC_TRAP_CALL_STACK_EXHAUSTED;
        }
    }
    *bad += s->depth != 0 || s->stack_limit != 0;
    wasmc_instance_delete(inst);
    imports_release(&im);
    wasmc_store_delete(s);
    return NULL;
}

static void test_threads(void) {
    pthread_t t[2];
    int bad[2] = {0, 0};
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 1u << 20);
    for (int i = 0; i < 2; i++) pthread_create(&t[i], i ? &attr : NULL, thread_main, &bad[i]);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    pthread_attr_destroy(&attr);
    CHECK_EQ(bad[0], 0);
    CHECK_EQ(bad[1], 0);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    dir = argv[1];
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 3) return child_default_segv(strcmp(argv[2], "segv-outside") != 0,
                                             strcmp(argv[2], "segv-ignored") == 0);
    if (!write_foreign_elf()) {
        printf("FAIL write %s: %s\n0 passed, 1 failed\n", so("aarch64.so"), strerror(errno));
        return 1;
    }
    install_test_handlers();
    store = wasmc_store_new();
    wasmc_error err;
    module = wasmc_module_load(so("fake_module.so"), &err);
    if (!module) {
        printf("FAIL load fake_module.so: %s\n0 passed, 1 failed\n", err.message);
        return 1;
    }
    run("abi layout", test_abi_layout);
    run("host exceptions", test_host_exceptions);
    run("load errors", test_load_errors);
    run("inspect", test_inspect);
    run("corrupt metadata", test_corrupt_metadata);
    run("cpu supports", test_cpu_supports);
    run("cpu feature check", test_cpu_feature_check);
    run("foreign architecture", test_foreign_architecture);
    run("truncated ELF", test_truncated_elf);
    run("bare file name", test_bare_name);
    run("introspection", test_introspection);
    run("signature ids", test_signature_ids);
    run("link errors", test_link_errors);
    run("instantiate", test_instantiate);
    run("calls and traps", test_calls_and_traps);
    run("memory faults", test_memory_faults);
    run("stack exhaustion", test_stack_exhaustion);
    run("host functions", test_host_functions);
    run("bulk memory", test_bulk_memory);
    run("tables", test_tables);
    run("call_indirect", test_call_indirect);
    run("two instances", test_two_instances);
    run("instantiation trap", test_instantiation_trap);
    run("memory api", test_memory_api);
    run("unguarded fallback", test_unguarded_fallback);
    run("trap outside a call", test_trap_outside_call);
    run("signal chaining", test_signal_chaining);
    run("default action", test_default_action);
    run("threads", test_threads);
    wasmc_module_unload(module);
    wasmc_store_delete(store);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
