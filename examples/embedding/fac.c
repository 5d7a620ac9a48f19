/* Calls a wasmc-compiled module from C through the installed runtime library (the CMake build:
 * CMakeLists.txt), found with pkg-config or CMake's find_package:
 *
 *     cc fac.c $(pkg-config --cflags --libs wasmc-runtime) -o fac
 *     ./fac fac.so 20      # prints 2432902008176640000
 *
 * fac.so is examples/fac.wat compiled by `wasmc compile`. */
#include <wasmc.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: fac FAC.so N\n");
        return 2;
    }
    wasmc_error error;
    wasmc_module *module = wasmc_module_load(argv[1], &error);
    if (!module) {
        fprintf(stderr, "fac: %s\n", error.message);
        return 1;
    }
    wasmc_store *store = wasmc_store_new();
    wasmc_instance *instance = wasmc_instantiate(store, module, NULL, 0, &error);
    wasmc_extern fac;
    if (!instance || !wasmc_instance_export(instance, "fac", &fac) || fac.kind != WASMC_EXTERN_FUNC) {
        fprintf(stderr, "fac: %s\n", instance ? "no exported function fac" : error.message);
        return 1;
    }
    wasmc_value io[1] = {{.i64 = strtoll(argv[2], NULL, 10)}}; /* arguments in, results out */
    uint32_t trap = wasmc_call(store, fac.of.func, io);
    if (trap != WASMC_TRAP_NONE) {
        fprintf(stderr, "wasm trap: %s\n", wasmc_trap_message(trap));
        return 134;
    }
    printf("%" PRId64 "\n", io[0].i64);
    wasmc_instance_delete(instance);
    wasmc_store_delete(store);
    wasmc_module_unload(module);
    return 0;
}
