/*
 * wasmc-run: runs a .so compiled by wasmc with the C runtime alone, as `wasmc run` runs a .so:
 *
 *     wasmc-run FILE.so [--data FILE.wdata] [--dir HOST[::GUEST]]... [--env KEY=VALUE]...
 *                       [--invoke NAME] [--] [ARGS...]
 *
 * Without --invoke, runs the WASI program's _start (ARGS are its argv[1...]) and exits with its
 * exit status. With --invoke, calls the export with ARGS, one per parameter, and prints each
 * result on its own line; a module that imports WASI gets it here too. Values are written as
 * `wasmc run` writes them: integers signed, unsigned or 0x hex; floats in decimal or hex, inf,
 * nan, nan:0xPAYLOAD; v128 as SHAPE:LANE,... (i8x16, i16x8, i32x4, i64x2, f32x4, f64x2);
 * references only as null. Results: integers in signed decimal, floats as the shortest decimal
 * that reads back to the same bits (nan, nan:0xPAYLOAD, inf, -inf, -0 spelled out), v128 as
 * i32x4:A,B,C,D.
 *
 * Exit statuses: the program's; 134 after "wasm trap: <reason>" or "wasm exception: uncaught"
 * on stderr; 1 after a one-line error (usage, load, link, arguments).
 *
 * Built by the CMake build (CMakeLists.txt) and installed with the runtime library.
 */
#include "wasmc_wasi.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *file = "wasmc-run";

static int fail(const char *format, const char *a, const char *b) {
    fprintf(stderr, "wasmc-run: ");
    fprintf(stderr, format, a, b);
    fputc('\n', stderr);
    return 1;
}

static int usage(void) {
    return fail("usage: wasmc-run FILE.so [--data FILE.wdata] [--dir HOST[::GUEST]]... [--env KEY=VALUE]... "
                "[--invoke NAME] [--] [ARGS...]%s%s", "", "");
}

/* ---- values as `wasmc run` writes them ------------------------------------------------- */

/* An integer of `bits` bits, signed, unsigned or 0x hex: its bits in *out, or 0. */
static int parse_integer(const char *text, int bits, uint64_t *out) {
    int negative = *text == '-';
    const char *digits = text + (negative || *text == '+');
    if (!*digits || *digits == '-' || *digits == '+') return 0;
    int hex = digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X');
    if (hex && !digits[2]) return 0;
    char *end;
    errno = 0;
    unsigned long long magnitude = strtoull(digits, &end, hex ? 16 : 10);
    if (*end || errno) return 0;
    uint64_t max = bits == 64 ? UINT64_MAX : ((uint64_t)1 << bits) - 1;
    if (negative) {
        if (magnitude > (uint64_t)1 << (bits - 1)) return 0;
        *out = (0 - (uint64_t)magnitude) & max;
    } else {
        if (magnitude > max) return 0;
        *out = magnitude;
    }
    return 1;
}

/* A float (f64 when `dbl`, else f32 in the low half): decimal, hex float, inf or nan[:0xPAYLOAD]. */
static int parse_float(const char *text, int dbl, uint64_t *out) {
    int negative = *text == '-';
    const char *body = text + (negative || *text == '+');
    uint64_t sign = negative ? (uint64_t)1 << (dbl ? 63 : 31) : 0;
    int payload_bits = dbl ? 52 : 23;
    if (strcmp(body, "nan") == 0 || strncmp(body, "nan:0x", 6) == 0) {
        uint64_t payload = (uint64_t)1 << (payload_bits - 1);
        if (body[3] && (!parse_integer(body + 4, 64, &payload) || payload == 0 || payload >> payload_bits)) return 0;
        *out = sign | (dbl ? (uint64_t)0x7ff << 52 : (uint64_t)0xff << 23) | payload;
        return 1;
    }
    if (!*body || *body == '+' || *body == '-' || strstr(body, "nan") || strstr(body, "NAN")) return 0;
    char *end;
    if (dbl) {
        double v = strtod(body, &end);
        if (*end) return 0;
        memcpy(out, &v, 8);
    } else {
        float v = strtof(body, &end);
        uint32_t bits;
        if (*end) return 0;
        memcpy(&bits, &v, 4);
        *out = bits;
    }
    *out |= sign;
    return 1;
}

static int parse_value(const char *text, uint8_t kind, wasmc_value *v) {
    uint64_t bits;
    memset(v, 0, sizeof *v);
    switch (kind) {
    case WASMC_I32: if (!parse_integer(text, 32, &bits)) return 0; v->i32 = (int32_t)(uint32_t)bits; return 1;
    case WASMC_I64: if (!parse_integer(text, 64, &bits)) return 0; v->i64 = (int64_t)bits; return 1;
    case WASMC_F32: {
        if (!parse_float(text, 0, &bits)) return 0;
        uint32_t b = (uint32_t)bits;
        memcpy(&v->f32, &b, 4);
        return 1;
    }
    case WASMC_F64: if (!parse_float(text, 1, &bits)) return 0; memcpy(&v->f64, &bits, 8); return 1;
    case WASMC_V128: {
        static const struct { const char *name; int lane_bytes, is_float; } shapes[] = {
            {"i8x16", 1, 0}, {"i16x8", 2, 0}, {"i32x4", 4, 0}, {"i64x2", 8, 0}, {"f32x4", 4, 1}, {"f64x2", 8, 1}};
        const char *colon = strchr(text, ':');
        if (!colon) return 0;
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            if (strlen(shapes[s].name) != (size_t)(colon - text) || strncmp(text, shapes[s].name, (size_t)(colon - text))) continue;
            int lanes = 16 / shapes[s].lane_bytes, lane = 0;
            char buffer[512];
            if (strlen(colon + 1) >= sizeof buffer) return 0;
            strcpy(buffer, colon + 1);
            for (char *start = buffer, *comma;; start = comma + 1) {
                comma = strchr(start, ',');
                if (comma) *comma = '\0';
                if (lane == lanes) return 0;
                int ok = shapes[s].is_float ? parse_float(start, shapes[s].lane_bytes == 8, &bits)
                                            : parse_integer(start, 8 * shapes[s].lane_bytes, &bits);
                if (!ok) return 0;
                for (int b = 0; b < shapes[s].lane_bytes; b++) v->v128[lane * shapes[s].lane_bytes + b] = (uint8_t)(bits >> (8 * b));
                lane++;
                if (!comma) break;
            }
            return lane == lanes;
        }
        return 0;
    }
    default: /* references: only null can be written */
        return strcmp(text, "null") == 0 || strcmp(text, "ref.null") == 0;
    }
}

/* Prints a float as `wasmc run` does (Swift's notation): the shortest decimal that reads back to
 * the same bits, positional with at least one fraction digit from 1e-4 up to 2^24 (f32) or 2^53
 * (f64), else d.ddde±XX; nan, nan:0xPAYLOAD, inf, -inf and -0 spelled out. */
static void print_float(double v, uint64_t payload, uint64_t canonical, int dbl, int negative) {
    if (isnan(v)) {
        if (payload == canonical) printf("%snan\n", negative ? "-" : "");
        else printf("%snan:0x%" PRIx64 "\n", negative ? "-" : "", payload);
        return;
    }
    if (isinf(v)) {
        printf("%sinf\n", v < 0 ? "-" : "");
        return;
    }
    if (v == 0) {
        printf("%s\n", negative ? "-0" : "0");
        return;
    }
    char e[64];
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(e, sizeof e, "%.*e", precision - 1, v);
        if (dbl ? strtod(e, NULL) == v : strtof(e, NULL) == (float)v) break;
    }
    double magnitude = fabs(v);
    if (magnitude < 1e-4 || magnitude > (dbl ? 9007199254740992.0 : 16777216.0)) {
        printf("%s\n", e);
        return;
    }
    /* The shortest digits and the decimal exponent, written out positionally. */
    char digits[32];
    int n = 0, exponent = atoi(strchr(e, 'e') + 1);
    for (const char *c = e; *c != 'e'; c++)
        if (*c >= '0' && *c <= '9') digits[n++] = *c;
    char text[64];
    int t = 0;
    if (negative) text[t++] = '-';
    if (exponent < 0) {
        text[t++] = '0';
        text[t++] = '.';
        for (int z = -1; z > exponent; z--) text[t++] = '0';
        for (int d = 0; d < n; d++) text[t++] = digits[d];
    } else {
        for (int d = 0; d <= exponent; d++) text[t++] = d < n ? digits[d] : '0';
        text[t++] = '.';
        if (n > exponent + 1)
            for (int d = exponent + 1; d < n; d++) text[t++] = digits[d];
        else
            text[t++] = '0';
    }
    text[t] = '\0';
    printf("%s\n", text);
}

static void print_value(uint8_t kind, const wasmc_value *v) {
    switch (kind) {
    case WASMC_I32: printf("%" PRId32 "\n", v->i32); break;
    case WASMC_I64: printf("%" PRId64 "\n", v->i64); break;
    case WASMC_F32: {
        uint32_t bits;
        memcpy(&bits, &v->f32, 4);
        print_float(v->f32, bits & 0x7fffff, 0x400000, 0, bits >> 31);
        break;
    }
    case WASMC_F64: {
        uint64_t bits;
        memcpy(&bits, &v->f64, 8);
        print_float(v->f64, bits & 0xfffffffffffffull, 0x8000000000000ull, 1, (int)(bits >> 63));
        break;
    }
    case WASMC_V128: {
        int32_t lanes[4];
        memcpy(lanes, v->v128, sizeof lanes);
        printf("i32x4:%d,%d,%d,%d\n", lanes[0], lanes[1], lanes[2], lanes[3]);
        break;
    }
    default: printf("%s\n", v->ref ? "ref" : "null");
    }
}

/* ---- running ---------------------------------------------------------------------------- */

static int trapped(uint32_t trap) {
    fprintf(stderr, "wasm trap: %s\n", wasmc_trap_message(trap));
    return 134;
}

/* Calls export `name` of `instance` with the texts `args`, printing the results. */
static int invoke(wasmc_store *store, wasmc_module *module, wasmc_instance *instance, wasmc_wasi *wasi,
                  const char *name, int nargs, char **args) {
    wasmc_extern export;
    if (!wasmc_instance_export(instance, name, &export) || export.kind != WASMC_EXTERN_FUNC)
        return fail("%s: no exported function named \"%s\"", file, name);
    const uint8_t *params, *results;
    uint32_t nparams, nresults;
    int64_t type = wasmc_module_type_of_signature(module, export.of.func->type_id);
    if (type < 0) return fail("%s: %s has none of the module's types", file, name);
    wasmc_module_type(module, (uint32_t)type, &params, &nparams, &results, &nresults);
    static const char *const kind_names[] = {"i32", "i64", "f32", "f64", "v128", "funcref", "externref", "exnref"};
#define KIND_NAME(k) ((k) < sizeof kind_names / sizeof kind_names[0] ? kind_names[k] : "reference")
    if ((uint32_t)nargs != nparams) {
        char kinds[512] = "";
        for (uint32_t i = 0; i < nparams; i++)
            snprintf(kinds + strlen(kinds), sizeof kinds - strlen(kinds), "%s%s", i ? ", " : "", KIND_NAME(params[i]));
        fprintf(stderr, "wasmc-run: the function takes %u arguments (%s), got %d\n", nparams, kinds, nargs);
        return 1;
    }
    uint32_t slots = nparams > nresults ? nparams : nresults;
    wasmc_value *io = calloc(slots ? slots : 1, sizeof *io);
    if (!io) return fail("out of memory%s%s", "", "");
    for (uint32_t i = 0; i < nparams; i++) {
        if (!parse_value(args[i], params[i], &io[i])) {
            free(io);
            if (params[i] > WASMC_V128)
                return fail("a %s argument can only be null on the command line, got \"%s\"", KIND_NAME(params[i]), args[i]);
            return fail("\"%s\" is not a valid %s", args[i], KIND_NAME(params[i]));
        }
    }
#undef KIND_NAME
    uint32_t trap = wasmc_call(store, export.of.func, io);
    int code;
    if (trap == WASMC_TRAP_HOST && wasi && wasmc_wasi_exited(wasi, &code)) {
        free(io);
        return code;
    }
    if (trap == WASMC_EXCEPTION) {
        free(io);
        fprintf(stderr, "wasm exception: uncaught\n");
        return 134;
    }
    if (trap != WASMC_TRAP_NONE) {
        free(io);
        return trapped(trap);
    }
    for (uint32_t i = 0; i < nresults; i++) print_value(results[i], &io[i]);
    free(io);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2 || argv[1][0] == '-') return usage();
    file = argv[1];
    const char *data = NULL, *export_name = NULL;
    wasmc_wasi_preopen *dirs = calloc((size_t)argc, sizeof *dirs);
    const char **env = calloc((size_t)argc, sizeof *env);
    const char **args = calloc((size_t)argc + 1, sizeof *args);
    if (!dirs || !env || !args) return fail("out of memory%s%s", "", "");
    wasmc_wasi_config config;
    wasmc_wasi_config_init(&config);
    config.preopens = dirs;
    config.env = env;
    config.argv = args;
    const char *base = strrchr(file, '/');
    args[config.argc++] = base ? base + 1 : file;
    /* The operands after FILE: wasmc-run's options until `--`, then the program's or the
     * export's arguments. */
    char **operands = calloc((size_t)argc, sizeof *operands);
    int noperands = 0;
    if (!operands) return fail("out of memory%s%s", "", "");
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            while (++i < argc) operands[noperands++] = argv[i];
        } else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            char *host = argv[++i], *separator = strstr(host, "::");
            if (separator) *separator = '\0';
            if (!*host || (separator && !separator[2])) return fail("--dir %s: expected HOST or HOST::GUEST%s", argv[i], "");
            dirs[config.npreopens++] = (wasmc_wasi_preopen){host, separator ? separator + 2 : host};
        } else if (strcmp(argv[i], "--env") == 0 && i + 1 < argc) {
            if (!strchr(argv[i + 1], '=') || argv[i + 1][0] == '=') return fail("--env %s: expected KEY=VALUE%s", argv[i + 1], "");
            env[config.envc++] = argv[++i];
        } else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
            data = argv[++i];
        } else if (strcmp(argv[i], "--invoke") == 0 && i + 1 < argc) {
            export_name = argv[++i];
        } else {
            operands[noperands++] = argv[i];
        }
    }
    if (!export_name)
        for (int i = 0; i < noperands; i++) args[config.argc++] = operands[i];

    int status = 1;
    wasmc_error error = {0};
    wasmc_store *store = wasmc_store_new();
    /* dlopen searches the library path for a name without '/': make it a path. */
    char path[4096];
    snprintf(path, sizeof path, "%s%s", strchr(file, '/') ? "" : "./", file);
    wasmc_module *module = wasmc_module_load_data(path, data, &error);
    wasmc_wasi *wasi = NULL;
    wasmc_instance *instance = NULL;
    uint32_t nimports = module ? wasmc_module_import_count(module) : 0;
    wasmc_extern *imports = calloc(nimports ? nimports : 1, sizeof *imports);
    int uses_wasi = 0;
    for (uint32_t i = 0; module && i < nimports; i++) {
        wasmc_import_info info;
        wasmc_module_import(module, i, &info);
        uses_wasi |= info.module_len == 22 && memcmp(info.module, "wasi_snapshot_preview1", 22) == 0;
    }
    if (module && imports && (uses_wasi || !export_name)) {
        config.module = module; /* its embedded directories, after the preopens */
        wasi = wasmc_wasi_new(&config, &error);
        if (wasi) wasmc_wasi_imports(wasi, module, imports, &error);
    }
    if (module && imports && !error.message[0]) {
        /* WASI is all this runner offers: name the first import it cannot satisfy. */
        for (uint32_t i = 0; i < nimports && !error.message[0]; i++) {
            wasmc_import_info info;
            wasmc_module_import(module, i, &info);
            if (!imports[i].is_host)
                snprintf(error.message, sizeof error.message, "unknown import %.*s.%.*s", (int)info.module_len,
                         info.module, (int)info.name_len, info.name);
        }
        if (!error.message[0]) instance = wasmc_instantiate(store, module, imports, nimports, &error);
    }
    if (instance && export_name) {
        if (wasi) wasmc_wasi_bind(wasi, instance);
        status = invoke(store, module, instance, wasi, export_name, noperands, operands);
    } else if (instance) {
        if (wasmc_wasi_run(wasi, store, instance, &status, &error) != 0) {
            if (error.kind == WASMC_ERROR_TRAP) status = trapped(error.trap), error.message[0] = '\0';
            else if (error.kind == WASMC_ERROR_EXCEPTION) status = 134, fprintf(stderr, "wasm exception: uncaught\n"), error.message[0] = '\0';
            else status = 1;
        }
    } else if (error.kind == WASMC_ERROR_TRAP) {
        status = trapped(error.trap);
        error.message[0] = '\0';
    }
    if (error.message[0]) {
        /* Load errors start with the path the runtime was given: say it once. */
        const char *message = error.message;
        size_t n = strlen(path);
        if (strncmp(message, path, n) == 0 && strncmp(message + n, ": ", 2) == 0) message += n + 2;
        fail("%s: %s", file, message);
    }

    wasmc_instance_delete(instance);
    wasmc_wasi_delete(wasi);
    free(imports);
    if (module) wasmc_module_unload(module);
    wasmc_store_delete(store);
    free(operands);
    free(dirs);
    free(env);
    free(args);
    return status;
}
