/*
 * spec_driver: runs the compiled half of a WebAssembly spec script with the C runtime alone, so
 * that the spec suites can run on another architecture (under qemu-user).
 *
 *     spec_driver PLAN
 *
 * `wasmc-spec-test --driver` writes PLAN and the modules' .so files (compiled for the target)
 * and reads what this prints: one line per command, in order,
 *     ok CATEGORY
 *     fail CATEGORY LINE MESSAGE
 * then "done". The plan's format is described in Sources/WasmcSpecTest/PlanWriter.swift. The
 * `spectest` host module is built here with the embedding API (Runtime/include/wasmc.h).
 *
 * Instances live until the end, except the current one when another replaces it and nothing
 * can reach it any more (no name, not registered, and no imported table or global through which
 * its functions could have been stored elsewhere): under qemu-user every memory reservation
 * costs real memory (TOOLCHAIN.md).
 *
 * Build: cc -IRuntime/include spec_driver.c <runtime objects> -ldl -lpthread
 */
#include "wasmc.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers -------------------------------------------------------------------- */

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "spec_driver: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}

static void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size);
    if (!p) die("out of memory");
    return p;
}

/* A byte string (wasm names may hold NULs). */
typedef struct bytes {
    char *data;
    size_t len;
    int present; /* 0 for "-" */
} bytes;

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* "-" or "x" followed by hex digits. */
static bytes decode_string(const char *token) {
    bytes b = {0};
    if (strcmp(token, "-") == 0) return b;
    if (token[0] != 'x') die("bad string field '%s'", token);
    size_t n = strlen(token + 1);
    if (n % 2) die("bad string field '%s'", token);
    b.data = xcalloc(n / 2 + 1, 1);
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hex_digit(token[1 + 2 * i]), lo = hex_digit(token[2 + 2 * i]);
        if (hi < 0 || lo < 0) die("bad string field '%s'", token);
        b.data[i] = (char)(hi << 4 | lo);
    }
    b.len = n / 2;
    b.present = 1;
    return b;
}

static int bytes_equal(bytes a, const char *data, size_t len) {
    return a.len == len && memcmp(a.data, data, len) == 0;
}

/* A message for the report: one line, printable. */
static void printable(char *s) {
    for (; *s; s++)
        if (*s == '\n' || *s == '\r' || (unsigned char)*s < 0x20) *s = ' ';
}

static uint64_t parse_hex(const char *s) {
    char *end;
    uint64_t v = strtoull(s, &end, 16);
    if (*s == 0 || *end) die("bad hex number '%s'", s);
    return v;
}

/* The reference interpreter's messages may carry more detail than ours ("uninitialized element
 * 2"): one must begin with the other (as trapMessageMatches in the Swift runner). */
static int trap_matches(const char *actual, bytes expected) {
    size_t n = strlen(actual) < expected.len ? strlen(actual) : expected.len;
    return memcmp(actual, expected.data, n) == 0;
}

/* ---- the report ----------------------------------------------------------------------- */

static void report_ok(const char *category) { printf("ok %s\n", category); }

static void report_fail(const char *category, const char *line, const char *fmt, ...) {
    char message[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    printable(message);
    printf("fail %s %s %s\n", category, line, message);
}

/* ---- state ---------------------------------------------------------------------------- */

typedef struct entry {
    bytes name;              /* a module id or a registered name */
    wasmc_instance *instance;
} entry;

static wasmc_store *store;
static wasmc_instance *current;
static entry named[4096], registered[4096];
static size_t named_count, registered_count;
static wasmc_instance *instances[8192];
static size_t instance_count;
static wasmc_module *modules[8192];
static size_t module_count;

typedef struct spectest_export {
    const char *name;
    wasmc_extern value;
} spectest_export;
static spectest_export spectest[16];
static size_t spectest_count;

static uint32_t print_callback(void *env, wasmc_value *io) {
    (void)env;
    (void)io;
    return WASMC_TRAP_NONE;
}

static void spectest_function(const char *name, const uint8_t *params, uint32_t nparams) {
    wasmc_extern e = {.kind = WASMC_EXTERN_FUNC, .is_host = 1};
    e.of.host = wasmc_host_func_new(params, nparams, NULL, 0, print_callback, NULL, NULL);
    if (!e.of.host) die("cannot create spectest.%s", name);
    spectest[spectest_count++] = (spectest_export){name, e};
}

static void spectest_global(const char *name, uint8_t kind, wasmc_value value) {
    wasmc_extern e = {.kind = WASMC_EXTERN_GLOBAL};
    e.of.global = wasmc_global_new(kind, 0, value);
    spectest[spectest_count++] = (spectest_export){name, e};
}

/* The spec suite's `spectest` module (../shared/spec/README.md). */
static void make_spectest(void) {
    static const uint8_t i32[] = {WASMC_I32}, i64[] = {WASMC_I64}, f32[] = {WASMC_F32},
                         f64[] = {WASMC_F64}, i32_f32[] = {WASMC_I32, WASMC_F32},
                         f64_f64[] = {WASMC_F64, WASMC_F64};
    spectest_function("print", NULL, 0);
    spectest_function("print_i32", i32, 1);
    spectest_function("print_i64", i64, 1);
    spectest_function("print_f32", f32, 1);
    spectest_function("print_f64", f64, 1);
    spectest_function("print_i32_f32", i32_f32, 2);
    spectest_function("print_f64_f64", f64_f64, 2);
    wasmc_value v = {0};
    v.i32 = 666;
    spectest_global("global_i32", WASMC_I32, v);
    v.i64 = 666;
    spectest_global("global_i64", WASMC_I64, v);
    v.f32 = 666.6f;
    spectest_global("global_f32", WASMC_F32, v);
    v.f64 = 666.6;
    spectest_global("global_f64", WASMC_F64, v);
    wasmc_error error = {0};
    wasmc_extern table = {.kind = WASMC_EXTERN_TABLE};
    table.of.table = wasmc_table_new(WASMC_FUNCREF, 10, 1, 20, NULL, &error);
    if (!table.of.table) die("spectest table: %s", error.message);
    spectest[spectest_count++] = (spectest_export){"table", table};
    /* WebAssembly 3.0's spectest also has a 64-bit table (memory64). */
    wasmc_extern table64 = {.kind = WASMC_EXTERN_TABLE};
    table64.of.table = wasmc_table_new(WASMC_FUNCREF, 10, 1, 20, NULL, &error);
    if (!table64.of.table) die("spectest table64: %s", error.message);
    table64.of.table->is64 = 1;
    spectest[spectest_count++] = (spectest_export){"table64", table64};
    wasmc_extern memory = {.kind = WASMC_EXTERN_MEMORY};
    memory.of.memory = wasmc_memory_new(1, 1, 2, &error);
    if (!memory.of.memory) die("spectest memory: %s", error.message);
    spectest[spectest_count++] = (spectest_export){"memory", memory};
}

static wasmc_instance *lookup(entry *table, size_t count, bytes name) {
    for (size_t i = count; i-- > 0;)
        if (bytes_equal(table[i].name, name.data, name.len)) return table[i].instance;
    return NULL;
}

static void set_entry(entry *table, size_t *count, size_t capacity, bytes name,
                      wasmc_instance *instance) {
    for (size_t i = 0; i < *count; i++)
        if (bytes_equal(table[i].name, name.data, name.len)) {
            table[i].instance = instance;
            return;
        }
    if (*count == capacity) die("too many names");
    table[(*count)++] = (entry){name, instance};
}

/* The instance a command names, or the current one (also when the name is unknown, as the
 * in-process engine does). */
static wasmc_instance *target_instance(bytes id) {
    wasmc_instance *instance = id.present ? lookup(named, named_count, id) : NULL;
    return instance ? instance : current;
}

/* Whether nothing can refer to `instance` once it stops being the current one. */
static int unreachable_when_replaced(wasmc_instance *instance) {
    for (size_t i = 0; i < named_count; i++)
        if (named[i].instance == instance) return 0;
    for (size_t i = 0; i < registered_count; i++)
        if (registered[i].instance == instance) return 0;
    wasmc_module *module = wasmc_instance_module(instance);
    for (uint32_t i = 0, n = wasmc_module_import_count(module); i < n; i++) {
        wasmc_import_info info;
        wasmc_module_import(module, i, &info);
        if (info.kind == WASMC_EXTERN_TABLE || info.kind == WASMC_EXTERN_GLOBAL) return 0;
    }
    return 1;
}

static void make_current(wasmc_instance *instance) {
    wasmc_instance *old = current;
    current = instance;
    if (!old || old == instance || !unreachable_when_replaced(old)) return;
    for (size_t i = 0; i < instance_count; i++)
        if (instances[i] == old) {
            instances[i] = instances[--instance_count];
            wasmc_instance_delete(old);
            return;
        }
}

/* ---- instantiation -------------------------------------------------------------------- */

/* Fills one extern per import; 0 with `why` set when an import is unknown. */
static int resolve_imports(wasmc_module *module, wasmc_extern *imports, char *why, size_t len) {
    for (uint32_t i = 0, n = wasmc_module_import_count(module); i < n; i++) {
        wasmc_import_info info;
        wasmc_module_import(module, i, &info);
        int found = 0;
        if (info.module_len == 8 && memcmp(info.module, "spectest", 8) == 0) {
            for (size_t s = 0; s < spectest_count && !found; s++)
                if (strlen(spectest[s].name) == info.name_len &&
                    memcmp(spectest[s].name, info.name, info.name_len) == 0) {
                    imports[i] = spectest[s].value;
                    found = 1;
                }
        } else {
            bytes module_name = {(char *)info.module, info.module_len, 1};
            wasmc_instance *source = lookup(registered, registered_count, module_name);
            if (source) found = wasmc_instance_export_bytes(source, info.name, info.name_len, &imports[i]);
        }
        if (!found) {
            snprintf(why, len, "unknown import %.*s.%.*s", (int)info.module_len, info.module,
                     (int)info.name_len, info.name);
            return 0;
        }
    }
    return 1;
}

static void command_module(char **field, int nfields) {
    /* module LINE CATEGORY ID FILE ok|trap MSG|link MSG */
    if (nfields < 6) die("short module command");
    const char *line = field[1], *category = field[2], *path = field[4], *expect = field[5];
    bytes id = decode_string(field[3]);
    bytes message = nfields > 6 ? decode_string(field[6]) : (bytes){0};
    wasmc_error error = {0};
    wasmc_module *module = wasmc_module_load(path, &error);
    if (!module) {
        report_fail(category, line, "load: %s", error.message);
        return;
    }
    if (module_count == sizeof modules / sizeof *modules) die("too many modules");
    modules[module_count++] = module;
    uint32_t nimports = wasmc_module_import_count(module);
    wasmc_extern *imports = xcalloc(nimports, sizeof *imports);
    char why[600] = "";
    wasmc_instance *instance = NULL;
    int linked = resolve_imports(module, imports, why, sizeof why);
    if (linked) {
        instance = wasmc_instantiate(store, module, imports, nimports, &error);
        if (!instance) {
            linked = error.kind != WASMC_ERROR_LINK;
            snprintf(why, sizeof why, "%s", error.message);
        }
    }
    free(imports);
    if (instance) {
        if (instance_count == sizeof instances / sizeof *instances) die("too many instances");
        instances[instance_count++] = instance;
    }
    if (strcmp(expect, "ok") == 0) {
        if (!instance) {
            report_fail(category, line, "%s", why);
            return;
        }
        if (id.present) set_entry(named, &named_count, 4096, id, instance);
        make_current(instance);
        report_ok(category);
    } else if (strcmp(expect, "trap") == 0) {
        if (instance) {
            report_fail(category, line, "instantiated, expected trap \"%.*s\"", (int)message.len, message.data);
        } else if (!linked || error.kind != WASMC_ERROR_TRAP) {
            report_fail(category, line, "%s, expected trap \"%.*s\"", why, (int)message.len, message.data);
        } else {
            const char *actual = wasmc_trap_message(error.trap);
            if (trap_matches(actual, message)) report_ok(category);
            else report_fail(category, line, "trapped with \"%s\", expected \"%.*s\"", actual, (int)message.len, message.data);
        }
    } else if (strcmp(expect, "link") == 0) {
        if (instance) report_fail(category, line, "linked, expected \"%.*s\"", (int)message.len, message.data);
        else if (linked) report_fail(category, line, "%s, expected link error \"%.*s\"", why, (int)message.len, message.data);
        else report_ok(category);
    } else {
        die("bad module outcome '%s'", expect);
    }
}

/* ---- values --------------------------------------------------------------------------- */

static uint8_t kind_named(const char *name) {
    static const char *names[] = {"i32", "i64", "f32", "f64", "v128", "funcref", "externref"};
    for (uint8_t k = 0; k < sizeof names / sizeof *names; k++)
        if (strcmp(names[k], name) == 0) return k;
    die("unknown value kind '%s'", name);
    return 0;
}

static void parse_argument(const char *token, wasmc_value *out) {
    char kind[16];
    const char *colon = strchr(token, ':');
    if (!colon || (size_t)(colon - token) >= sizeof kind) die("bad argument '%s'", token);
    memcpy(kind, token, (size_t)(colon - token));
    kind[colon - token] = 0;
    const char *v = colon + 1;
    memset(out, 0, sizeof *out);
    switch (kind_named(kind)) {
    case WASMC_I32: out->i32 = (int32_t)(uint32_t)parse_hex(v); break;
    case WASMC_F32: {
        uint32_t bits = (uint32_t)parse_hex(v);
        memcpy(&out->f32, &bits, 4);
        break;
    }
    case WASMC_I64: out->i64 = (int64_t)parse_hex(v); break;
    case WASMC_F64: {
        uint64_t bits = parse_hex(v);
        memcpy(&out->f64, &bits, 8);
        break;
    }
    case WASMC_V128:
        if (strlen(v) != 32) die("bad v128 argument '%s'", token);
        for (int i = 0; i < 16; i++) out->v128[i] = (uint8_t)(hex_digit(v[2 * i]) << 4 | hex_digit(v[2 * i + 1]));
        break;
    case WASMC_FUNCREF: out->ref = NULL; break;
    case WASMC_EXTERNREF:
        out->ref = strcmp(v, "null") == 0 ? NULL : (void *)(uintptr_t)(strtoull(v, NULL, 10) + 1);
        break;
    }
}

/* A result as text, for failure messages. */
static void describe(const wasmc_value *v, uint8_t kind, char *out, size_t len) {
    switch (kind) {
    case WASMC_I32: snprintf(out, len, "i32:%" PRIx32, (uint32_t)v->i32); break;
    case WASMC_I64: snprintf(out, len, "i64:%" PRIx64, (uint64_t)v->i64); break;
    case WASMC_F32: {
        uint32_t bits;
        memcpy(&bits, &v->f32, 4);
        snprintf(out, len, "f32:%" PRIx32, bits);
        break;
    }
    case WASMC_F64: {
        uint64_t bits;
        memcpy(&bits, &v->f64, 8);
        snprintf(out, len, "f64:%" PRIx64, bits);
        break;
    }
    case WASMC_V128: {
        size_t at = (size_t)snprintf(out, len, "v128:");
        for (int i = 0; i < 16 && at + 2 < len; i++) at += (size_t)snprintf(out + at, len - at, "%02x", v->v128[i]);
        break;
    }
    default:
        snprintf(out, len, "%s:%s", kind == WASMC_FUNCREF ? "funcref" : kind == WASMC_EXNREF ? "exnref" : "externref",
                 v->ref ? "non-null" : "null");
    }
}

static int lane_matches(const char *lane, uint64_t bits, int size) {
    uint64_t quiet = size == 4 ? 0x7fc00000u : 0x7ff8000000000000u;
    uint64_t magnitude = size == 4 ? 0x7fffffffu : 0x7fffffffffffffffu;
    if (strcmp(lane, "canon") == 0) return (bits & magnitude) == quiet;
    if (strcmp(lane, "arith") == 0) return (bits & quiet) == quiet;
    return bits == parse_hex(lane);
}

/* Whether `v` (of `kind`) is what the expectation at field[*at] says; consumes it. */
static int expectation_matches(char **field, int nfields, int *at, const wasmc_value *v, uint8_t kind) {
    if (*at >= nfields) die("missing expectation");
    const char *token = field[(*at)++];
    if (strncmp(token, "either:", 7) == 0) {
        int n = atoi(token + 7), any = 0;
        for (int i = 0; i < n; i++) any |= expectation_matches(field, nfields, at, v, kind);
        return any;
    }
    if (strcmp(token, "null") == 0) return (kind == WASMC_FUNCREF || kind == WASMC_EXTERNREF || kind == WASMC_EXNREF) && !v->ref;
    if (strcmp(token, "func") == 0) return kind == WASMC_FUNCREF && v->ref;
    if (strcmp(token, "extern") == 0) return kind == WASMC_EXTERNREF && v->ref;
    if (strncmp(token, "extern:", 7) == 0)
        return kind == WASMC_EXTERNREF && v->ref == (void *)(uintptr_t)(strtoull(token + 7, NULL, 10) + 1);
    if (strncmp(token, "bits:", 5) != 0) die("bad expectation '%s'", token);
    /* bits:KIND:SIZE:LANE,LANE... */
    char copy[512], *rest;
    snprintf(copy, sizeof copy, "%s", token + 5);
    char *size_text = strchr(copy, ':');
    if (!size_text) die("bad expectation '%s'", token);
    *size_text++ = 0;
    char *lanes = strchr(size_text, ':');
    if (!lanes) die("bad expectation '%s'", token);
    *lanes++ = 0;
    if (kind_named(copy) != kind) return 0;
    int size = atoi(size_text);
    const uint8_t *raw = (const uint8_t *)v;
    int index = 0, ok = 1;
    for (char *lane = strtok_r(lanes, ",", &rest); lane; lane = strtok_r(NULL, ",", &rest), index++) {
        uint64_t bits = 0;
        for (int i = 0; i < size; i++) bits |= (uint64_t)raw[index * size + i] << (8 * i);
        ok &= lane_matches(lane, bits, size);
    }
    return ok;
}

/* ---- actions -------------------------------------------------------------------------- */

/* The parameter and result kinds of a function, from its module's types. */
static int function_type(wasmc_instance *instance, const wasmc_funcref *func, const uint8_t **params,
                         uint32_t *nparams, const uint8_t **results, uint32_t *nresults) {
    wasmc_module *module = wasmc_instance_module(instance);
    int64_t type = wasmc_module_type_of_signature(module, func->type_id);
    if (type < 0) return 0;
    wasmc_module_type(module, (uint32_t)type, params, nparams, results, nresults);
    return 1;
}

static void command_action(char **field, int nfields, int is_invoke) {
    /* invoke LINE CATEGORY ID NAME NARGS ARG... OUTCOME / get LINE CATEGORY ID NAME OUTCOME */
    if (nfields < 6) die("short action command");
    const char *line = field[1], *category = field[2];
    bytes id = decode_string(field[3]), name = decode_string(field[4]);
    int at = 5;
    wasmc_value io[64];
    memset(io, 0, sizeof io);
    int nargs = 0;
    if (is_invoke) {
        nargs = atoi(field[at++]);
        if (nargs > 64 || at + nargs > nfields) die("bad argument count");
        for (int i = 0; i < nargs; i++) parse_argument(field[at++], &io[i]);
    }
    if (at >= nfields) die("missing outcome");
    const char *outcome = field[at++];
    wasmc_instance *instance = target_instance(id);
    if (!instance) {
        report_fail(category, line, "no module instantiated");
        return;
    }
    wasmc_extern export;
    if (!wasmc_instance_export_bytes(instance, name.data, name.len, &export)) {
        report_fail(category, line, "no export \"%.*s\"", (int)name.len, name.data);
        return;
    }
    uint32_t trap = WASMC_TRAP_NONE, nresults;
    const uint8_t *results;
    uint8_t global_kind;
    if (is_invoke) {
        const uint8_t *params;
        uint32_t nparams;
        if (export.kind != WASMC_EXTERN_FUNC || !function_type(instance, export.of.func, &params, &nparams, &results, &nresults)) {
            report_fail(category, line, "\"%.*s\" is not a function", (int)name.len, name.data);
            return;
        }
        if ((uint32_t)nargs != nparams || nresults > 64) {
            report_fail(category, line, "\"%.*s\" takes %u arguments, the script passes %d", (int)name.len, name.data, nparams, nargs);
            return;
        }
        trap = wasmc_call(store, export.of.func, io);
    } else {
        if (export.kind != WASMC_EXTERN_GLOBAL) {
            report_fail(category, line, "\"%.*s\" is not a global", (int)name.len, name.data);
            return;
        }
        io[0] = *export.of.global.cell;
        global_kind = export.of.global.kind;
        results = &global_kind;
        nresults = 1;
    }
    const char *action = is_invoke ? "invoke" : "get";
    if (strcmp(outcome, "exception") == 0) {
        if (trap == WASMC_EXCEPTION && wasmc_store_exception(store)) report_ok(category);
        else if (trap == WASMC_TRAP_NONE) report_fail(category, line, "%s \"%.*s\" returned, expected an exception", action, (int)name.len, name.data);
        else report_fail(category, line, "\"%.*s\" trapped with \"%s\", expected an exception", (int)name.len, name.data, wasmc_trap_message(trap));
        return;
    }
    if (strcmp(outcome, "trap") == 0) {
        bytes message = decode_string(field[at]);
        if (trap == WASMC_TRAP_NONE) {
            report_fail(category, line, "%s \"%.*s\" returned, expected trap \"%.*s\"", action, (int)name.len, name.data, (int)message.len, message.data);
        } else {
            const char *actual = wasmc_trap_message(trap);
            if (trap_matches(actual, message)) report_ok(category);
            else report_fail(category, line, "\"%.*s\" trapped with \"%s\", expected \"%.*s\"", (int)name.len, name.data, actual, (int)message.len, message.data);
        }
        free(message.data);
        return;
    }
    if (trap != WASMC_TRAP_NONE) {
        report_fail(category, line, "\"%.*s\" trapped: %s", (int)name.len, name.data, wasmc_trap_message(trap));
        return;
    }
    if (strcmp(outcome, "any") == 0) {
        report_ok(category);
        return;
    }
    if (strcmp(outcome, "results") != 0) die("bad outcome '%s'", outcome);
    uint32_t expected = (uint32_t)atoi(field[at++]);
    int first_expectation = at, ok = expected == nresults;
    for (uint32_t i = 0; i < expected && i < nresults; i++)
        ok &= expectation_matches(field, nfields, &at, &io[i], results[i]);
    if (ok) {
        report_ok(category);
        return;
    }
    char got[1024] = "";
    size_t used = 0;
    for (uint32_t i = 0; i < nresults && used + 64 < sizeof got; i++) {
        if (i) got[used++] = ' ';
        describe(&io[i], results[i], got + used, sizeof got - used);
        used = strlen(got);
    }
    char want[1024] = "";
    used = 0;
    for (int i = first_expectation; i < nfields && used + 2 < sizeof want; i++) {
        used += (size_t)snprintf(want + used, sizeof want - used, "%s%s", i > first_expectation ? " " : "", field[i]);
    }
    report_fail(category, line, "\"%.*s\" returned [%s], expected [%s]", (int)name.len, name.data, got, want);
}

static void command_register(char **field, int nfields) {
    /* register LINE NAME ID */
    if (nfields < 4) die("short register command");
    bytes name = decode_string(field[2]), id = decode_string(field[3]);
    wasmc_instance *instance = target_instance(id);
    free(id.data);
    if (!instance) {
        report_fail("register", field[1], "no module to register");
        return;
    }
    set_entry(registered, &registered_count, 4096, name, instance);
    report_ok("register");
}

/* ---- main ----------------------------------------------------------------------------- */

int main(int argc, char **argv) {
    if (argc != 2) die("usage: spec_driver PLAN");
    FILE *plan = fopen(argv[1], "r");
    if (!plan) die("cannot open %s", argv[1]);
    setvbuf(stdout, NULL, _IOLBF, 0); /* what was reported survives a crash */
    store = wasmc_store_new();
    if (!store) die("cannot create a store");
    make_spectest();
    char *text = NULL;
    size_t capacity = 0;
    ssize_t length;
    static char *field[1 << 14];
    while ((length = getline(&text, &capacity, plan)) > 0) {
        if (text[length - 1] == '\n') text[--length] = 0;
        int nfields = 0;
        for (char *token = strtok(text, " "); token; token = strtok(NULL, " ")) {
            if (nfields == (int)(sizeof field / sizeof *field)) die("line too long");
            field[nfields++] = token;
        }
        if (nfields == 0) continue;
        if (strcmp(field[0], "module") == 0) command_module(field, nfields);
        else if (strcmp(field[0], "register") == 0) command_register(field, nfields);
        else if (strcmp(field[0], "invoke") == 0) command_action(field, nfields, 1);
        else if (strcmp(field[0], "get") == 0) command_action(field, nfields, 0);
        else die("unknown command '%s'", field[0]);
    }
    free(text);
    fclose(plan);
    printf("done\n");
    /* Instances before their store; modules last (funcrefs point into their code). */
    for (size_t i = instance_count; i-- > 0;) wasmc_instance_delete(instances[i]);
    wasmc_store_delete(store);
    for (size_t i = 0; i < spectest_count; i++) {
        wasmc_extern *e = &spectest[i].value;
        if (e->kind == WASMC_EXTERN_FUNC) wasmc_host_func_release(e->of.host);
        else if (e->kind == WASMC_EXTERN_GLOBAL) wasmc_global_release(e->of.global);
        else if (e->kind == WASMC_EXTERN_TABLE) wasmc_table_release(e->of.table);
        else if (e->kind == WASMC_EXTERN_MEMORY) wasmc_memory_release(e->of.memory);
    }
    for (size_t i = module_count; i-- > 0;) wasmc_module_unload(modules[i]);
    return 0;
}
