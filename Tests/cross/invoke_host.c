/*
 * invoke_host: calls one export of a module compiled by wasmc, with the C runtime and nothing
 * else (built for each cross target by scripts/build-runtime-cross).
 *
 *     invoke_host FILE.so EXPORT [ARGS...]
 *
 * The module may have no imports. Arguments are i32/i64 integers (decimal, or 0x hex). Results
 * are printed one per line as `wasmc run --invoke` prints integers (signed decimal); f32/f64 as
 * %.17g and v128 as i32x4:A,B,C,D. A trap prints "wasm trap: <reason>" on stderr and exits with
 * 134; a load, link or usage error prints a message and exits with 1.
 *
 * Build: cc -IRuntime/include invoke_host.c <runtime objects> -ldl -lpthread
 */
#include "wasmc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failed(const char *what, const char *message) {
    fprintf(stderr, "invoke_host: %s%s%s\n", what, message ? ": " : "", message ? message : "");
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 3) return failed("usage: invoke_host FILE.so EXPORT [i32/i64 ARGS...]", NULL);
    wasmc_error error = {0};
    wasmc_module *module = wasmc_module_load(argv[1], &error);
    if (!module) return failed("load", error.message);
    if (wasmc_module_import_count(module) != 0) return failed(argv[1], "the module has imports");
    wasmc_store *store = wasmc_store_new();
    wasmc_instance *instance = wasmc_instantiate(store, module, NULL, 0, &error);
    if (!instance) {
        if (error.kind == WASMC_ERROR_TRAP) {
            fprintf(stderr, "wasm trap: %s\n", wasmc_trap_message(error.trap));
            return 134;
        }
        return failed("instantiate", error.message);
    }
    wasmc_extern export;
    if (!wasmc_instance_export(instance, argv[2], &export) || export.kind != WASMC_EXTERN_FUNC)
        return failed(argv[2], "no exported function of that name");

    const uint8_t *params, *results;
    uint32_t nparams, nresults;
    int64_t type = wasmc_module_type_of_signature(module, export.of.func->type_id);
    if (type < 0) return failed(argv[2], "the export has none of the module's types");
    wasmc_module_type(module, (uint32_t)type, &params, &nparams, &results, &nresults);
    if ((uint32_t)(argc - 3) != nparams) return failed(argv[2], "wrong number of arguments");

    wasmc_value io[16];
    if (nparams > 16 || nresults > 16) return failed(argv[2], "too many parameters or results");
    memset(io, 0, sizeof io);
    for (uint32_t i = 0; i < nparams; i++) {
        char *end;
        long long value = strtoll(argv[3 + i], &end, 0);
        if (*end || (params[i] != WASMC_I32 && params[i] != WASMC_I64))
            return failed(argv[3 + i], "not an i32/i64 argument");
        if (params[i] == WASMC_I32) io[i].i32 = (int32_t)value;
        else io[i].i64 = value;
    }
    uint32_t trap = wasmc_call(store, export.of.func, io);
    if (trap != WASMC_TRAP_NONE) {
        fprintf(stderr, "wasm trap: %s\n", wasmc_trap_message(trap));
        return 134;
    }
    for (uint32_t i = 0; i < nresults; i++) {
        const wasmc_value *v = &io[i];
        switch (results[i]) {
        case WASMC_I32: printf("%" PRId32 "\n", v->i32); break;
        case WASMC_I64: printf("%" PRId64 "\n", v->i64); break;
        case WASMC_F32: printf("%.9g\n", v->f32); break;
        case WASMC_F64: printf("%.17g\n", v->f64); break;
        case WASMC_V128: {
            int32_t lanes[4];
            memcpy(lanes, v, sizeof lanes);
            printf("i32x4:%d,%d,%d,%d\n", lanes[0], lanes[1], lanes[2], lanes[3]);
            break;
        }
        default: printf("(reference)\n");
        }
    }
    wasmc_instance_delete(instance);
    wasmc_store_delete(store);
    wasmc_module_unload(module);
    return 0;
}
