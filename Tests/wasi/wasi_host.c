/*
 * wasi_host: runs a WASI command compiled by wasmc, with the C runtime and nothing else.
 *
 *     wasi_host FILE.so [--dir HOST[::GUEST]]... [--env K=V]... [-- ARGS...]
 *
 * --dir preopens a host directory under a guest name (by default its host path); --env sets a
 * variable of the guest's environment (the host's own is not passed on); ARGS follow the
 * program name in the guest's argv. Exits with the program's exit code; a trap prints a message
 * on stderr and exits with 134 (as SIGABRT would), a load or link error with 1.
 *
 * Build: cc -IRuntime/include wasi_host.c <runtime objects> -ldl -lpthread
 */
#include "wasmc_wasi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void) {
    fprintf(stderr, "usage: wasi_host FILE.so [--dir HOST[::GUEST]]... [--env K=V]... [-- ARGS...]\n");
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 2) return usage();
    const char *file = argv[1];

    /* The command line becomes the WASI configuration. The arrays are at most argc long. */
    wasmc_wasi_preopen *dirs = calloc((size_t)argc, sizeof *dirs);
    const char **env = calloc((size_t)argc, sizeof *env);
    const char **args = calloc((size_t)argc, sizeof *args);
    if (!dirs || !env || !args) return 1;
    wasmc_wasi_config config;
    wasmc_wasi_config_init(&config);
    config.preopens = dirs;
    config.env = env;
    config.argv = args;
    args[config.argc++] = file;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            while (++i < argc) args[config.argc++] = argv[i];
        } else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            char *host = argv[++i], *sep = strstr(host, "::");
            if (sep) *sep = '\0';
            dirs[config.npreopens++] = (wasmc_wasi_preopen){host, sep ? sep + 2 : host};
        } else if (strcmp(argv[i], "--env") == 0 && i + 1 < argc && strchr(argv[i + 1], '=')) {
            env[config.envc++] = argv[++i];
        } else {
            return usage();
        }
    }

    int status = 1; /* load and link errors */
    wasmc_error error = {0};
    wasmc_store *store = wasmc_store_new();
    /* dlopen searches the library path for a name without '/': make it a path. */
    char path[4096];
    snprintf(path, sizeof path, "%s%s", strchr(file, '/') ? "" : "./", file);
    wasmc_module *module = wasmc_module_load(path, &error);
    config.module = module; /* its embedded directories, after the preopens */
    wasmc_wasi *wasi = module ? wasmc_wasi_new(&config, &error) : NULL;
    uint32_t nimports = module ? wasmc_module_import_count(module) : 0;
    wasmc_extern *imports = calloc(nimports ? nimports : 1, sizeof *imports);
    wasmc_instance *instance = NULL;
    if (wasi && imports && wasmc_wasi_imports(wasi, module, imports, &error) == 0) {
        /* WASI is all this host offers: name the first import it cannot satisfy. */
        for (uint32_t i = 0; i < nimports && !error.message[0]; i++) {
            wasmc_import_info im;
            wasmc_module_import(module, i, &im);
            if (!imports[i].is_host)
                snprintf(error.message, sizeof error.message, "unknown import %.*s.%.*s",
                         (int)im.module_len, im.module, (int)im.name_len, im.name);
        }
        if (!error.message[0]) instance = wasmc_instantiate(store, module, imports, nimports, &error);
    }
    if (instance && wasmc_wasi_run(wasi, store, instance, &status, &error) != 0)
        status = error.kind == WASMC_ERROR_TRAP || error.kind == WASMC_ERROR_EXCEPTION ? 134 : 1;
    if (error.message[0]) fprintf(stderr, "wasi_host: %s: %s\n", file, error.message);

    wasmc_instance_delete(instance);
    wasmc_wasi_delete(wasi);
    free(imports);
    if (module) wasmc_module_unload(module);
    wasmc_store_delete(store);
    free(dirs);
    free(env);
    free(args);
    return status;
}
