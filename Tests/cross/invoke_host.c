/*
 * invoke_host: calls one export of a module compiled by wasmc, with the C runtime and nothing
 * else (built for each cross target by scripts/build-runtime-cross).
 *
 *     invoke_host [-g NAME=VALUE]... [-d DATA] [-n N] FILE.so EXPORT [ARGS...]
 *
 * The module's imports may only be immutable i32 globals, each given by -g (any module name).
 * -d names the module's data file (`wasmc compile --data`) when it is not beside the .so. -n
 * makes N instances in one store and calls the export on each in turn (the results of each
 * printed after the previous one's). Arguments are i32/i64 integers (decimal, or 0x hex).
 * Results are printed one per line as `wasmc run --invoke` prints integers (signed decimal);
 * f32/f64 as %.17g and v128 as i32x4:A,B,C,D. A trap prints "wasm trap: <reason>" on stderr and
 * exits with 134; a load, link or usage error prints a message and exits with 1.
 *
 * Build: cc -IRuntime/include invoke_host.c <runtime objects> -ldl -lpthread
 */
#include "wasmc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failed(const char *what, const char *message) {
    fprintf(stderr, "invoke_host: %s%s%s\n", what, message ? ": " : "", message ? message : "");
    return 1;
}

#define MAX_GLOBALS 8
#define MAX_INSTANCES 8

static int call(wasmc_store *store, wasmc_module *module, wasmc_instance *instance, const char *name,
                int argc, char **argv);

int main(int argc, char **argv) {
    const char *usage = "usage: invoke_host [-g NAME=VALUE]... [-d DATA] [-n N] FILE.so EXPORT [i32/i64 ARGS...]";
    const char *global_names[MAX_GLOBALS];
    int32_t global_values[MAX_GLOBALS];
    int nglobals = 0, ninstances = 1, option;
    const char *data = NULL;
    while ((option = getopt(argc, argv, "+g:d:n:")) != -1) {
        char *equals;
        switch (option) {
        case 'g':
            equals = strchr(optarg, '=');
            if (!equals || nglobals == MAX_GLOBALS) return failed(usage, NULL);
            *equals = 0;
            global_names[nglobals] = optarg;
            global_values[nglobals++] = (int32_t)strtoll(equals + 1, NULL, 0);
            break;
        case 'd': data = optarg; break;
        case 'n':
            ninstances = atoi(optarg);
            if (ninstances < 1 || ninstances > MAX_INSTANCES) return failed(usage, NULL);
            break;
        default: return failed(usage, NULL);
        }
    }
    argc -= optind - 1;
    argv += optind - 1;
    if (argc < 3) return failed(usage, NULL);
    wasmc_error error = {0};
    wasmc_module *module = wasmc_module_load_data(argv[1], data, &error);
    if (!module) return failed("load", error.message);
    uint32_t nimports = wasmc_module_import_count(module);
    wasmc_extern imports[MAX_GLOBALS];
    if (nimports > MAX_GLOBALS) return failed(argv[1], "too many imports");
    for (uint32_t i = 0; i < nimports; i++) {
        wasmc_import_info info;
        wasmc_module_import(module, i, &info);
        int g = 0;
        while (g < nglobals && strcmp(global_names[g], info.name) != 0) g++;
        if (info.kind != WASMC_EXTERN_GLOBAL || info.value_kind != WASMC_I32 || info.mutable_ || g == nglobals)
            return failed(info.name, "an import other than an immutable i32 global given with -g");
        imports[i] = (wasmc_extern){.kind = WASMC_EXTERN_GLOBAL};
        imports[i].of.global = wasmc_global_new(WASMC_I32, 0, (wasmc_value){.i32 = global_values[g]});
    }
    wasmc_store *store = wasmc_store_new();
    wasmc_instance *instances[MAX_INSTANCES];
    for (int k = 0; k < ninstances; k++) {
        instances[k] = wasmc_instantiate(store, module, imports, nimports, &error);
        if (!instances[k]) {
            if (error.kind == WASMC_ERROR_TRAP) {
                fprintf(stderr, "wasm trap: %s\n", wasmc_trap_message(error.trap));
                return 134;
            }
            return failed("instantiate", error.message);
        }
    }
    for (int k = 0; k < ninstances; k++) {
        int status = call(store, module, instances[k], argv[2], argc, argv);
        if (status) return status;
    }
    for (int k = 0; k < ninstances; k++) wasmc_instance_delete(instances[k]);
    for (uint32_t i = 0; i < nimports; i++) wasmc_global_release(imports[i].of.global);
    wasmc_store_delete(store);
    wasmc_module_unload(module);
    return 0;
}

static int call(wasmc_store *store, wasmc_module *module, wasmc_instance *instance, const char *name,
                int argc, char **argv) {
    wasmc_extern export;
    if (!wasmc_instance_export(instance, name, &export) || export.kind != WASMC_EXTERN_FUNC)
        return failed(name, "no exported function of that name");

    const uint8_t *params, *results;
    uint32_t nparams, nresults;
    int64_t type = wasmc_module_type_of_signature(module, export.of.func->type_id);
    if (type < 0) return failed(name, "the export has none of the module's types");
    wasmc_module_type(module, (uint32_t)type, &params, &nparams, &results, &nresults);
    if ((uint32_t)(argc - 3) != nparams) return failed(name, "wrong number of arguments");

    wasmc_value io[16];
    if (nparams > 16 || nresults > 16) return failed(name, "too many parameters or results");
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
    return 0;
}
