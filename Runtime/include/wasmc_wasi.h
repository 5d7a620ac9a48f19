/*
 * wasmc_wasi.h: WASI preview1 (`wasi_snapshot_preview1`) for modules compiled by wasmc.
 *
 * A WASI context holds what the guest program sees of the world: its arguments, its
 * environment, its file descriptors (the three stdio streams and the preopened directories) and,
 * once bound to an instance, the linear memory its pointers point into. The guest reaches the
 * host file system only through the preopened directories: `..`, absolute paths and symbolic
 * links are resolved by the runtime itself, one component at a time, and can never leave a
 * preopen (see Runtime/README.md, "WASI").
 *
 * Typical use (Runtime/tools/wasmc_run.c is a complete host):
 *
 *     wasmc_wasi_config config;
 *     wasmc_wasi_config_init(&config);
 *     config.argv = argv; config.argc = argc;           // argv[0] is the program name
 *     wasmc_wasi *wasi = wasmc_wasi_new(&config, &error);
 *     wasmc_extern *imports = calloc(n, sizeof *imports); // n = wasmc_module_import_count(module)
 *     wasmc_wasi_imports(wasi, module, imports, &error);  // fills the WASI imports
 *     wasmc_instance *instance = wasmc_instantiate(store, module, imports, n, &error);
 *     int exit_code;
 *     wasmc_wasi_run(wasi, store, instance, &exit_code, &error); // binds, calls _start
 *     wasmc_instance_delete(instance);
 *     wasmc_wasi_delete(wasi);
 *
 * Errors follow wasmc.h: functions that can fail return NULL or -1 and fill a `wasmc_error`.
 * Inside the guest, every WASI function returns a WASI errno (EFAULT for a pointer or length
 * outside the memory, ENOTCAPABLE for a missing right or a path leaving its preopen); none of
 * them crashes the host.
 *
 * Threading: a context is used by one thread at a time, like the store of its instance.
 */
#ifndef WASMC_WASI_H
#define WASMC_WASI_H

#include "wasmc.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wasmc_wasi wasmc_wasi;

/* A host directory the guest may use, and the name the guest knows it by ("/", "/data", "."). */
typedef struct wasmc_wasi_preopen {
    const char *host_path;
    const char *guest_path;
} wasmc_wasi_preopen;

typedef struct wasmc_wasi_config {
    const char *const *argv; /* argc strings; argv[0] is the program name the guest sees */
    uint32_t argc;
    const char *const *env;  /* envc strings, each "KEY=VALUE" */
    uint32_t envc;
    const wasmc_wasi_preopen *preopens; /* guest fds 3, 4, ... in this order */
    uint32_t npreopens;
    /* The host fds behind guest fds 0, 1 and 2 (wasmc_wasi_config_init: 0, 1, 2). The context
     * works on duplicates, so the embedder keeps its fds. -1, or a host fd that is not open,
     * leaves the guest fd closed. */
    int stdin_fd, stdout_fd, stderr_fd;
    /* A module whose embedded directories (`wasmc compile --embed-dir`) the guest sees, after
     * the preopens and under the names they were compiled with: read-only, read straight from
     * the module's data image. NULL for none. The context keeps the module loaded. */
    const wasmc_module *module;
} wasmc_wasi_config;

/* An empty configuration: no arguments, no environment, no preopens, stdio on 0, 1 and 2. */
void wasmc_wasi_config_init(wasmc_wasi_config *config);

/* Creates a context from `config`; every string is copied and every preopen is opened now.
 * A preopen that is not a directory that can be opened is an error (WASMC_ERROR_LOAD, with the
 * host path and the reason in the message). */
wasmc_wasi *wasmc_wasi_new(const wasmc_wasi_config *config, wasmc_error *error);

/* Drops the embedder's reference. Host functions created by wasmc_wasi_imports that an
 * instance still holds keep the context alive (and its files open) until that instance goes. */
void wasmc_wasi_delete(wasmc_wasi *wasi);

/* Fills imports[i] for every `wasi_snapshot_preview1` function import of `module` (in import
 * order, as wasmc_instantiate takes them) with a host function of this context, and leaves the
 * other entries alone. Returns 0, or -1 with a link error naming the import when a WASI
 * function is unknown, its type is not the one preview1 defines, or the import is not a
 * function. A context serves one instance: its memory is the one wasmc_wasi_bind chose, so
 * modules that must run side by side each get their own context. */
int wasmc_wasi_imports(wasmc_wasi *wasi, const wasmc_module *module, wasmc_extern *imports,
                       wasmc_error *error);

/* Makes `instance`'s exported "memory" the memory that guest pointers point into. Its size is
 * read again at every call, so memory.grow is seen. Returns 1, or 0 when the instance exports no
 * memory (then every pointer argument gets EFAULT). wasmc_wasi_run does this itself. The
 * instance must stay alive while its code can call into the context. */
int wasmc_wasi_bind(wasmc_wasi *wasi, wasmc_instance *instance);

/* For another engine running the module (the Swift shim's interpreter): the WASI function
 * `name` (not NUL-terminated, `name_len` bytes) as a new host function the caller releases, with
 * its parameter kinds in params[0..*nparams) (room for 16) and its result kind in *result
 * (*nresults is 0 or 1); NULL for a name WASI preview1 does not have, or out of memory. The
 * engine calls it through its callback, with guest pointers into the memory given to
 * wasmc_wasi_bind_memory: a wasmc_memory of the engine's own whose base and size it keeps
 * current. A callback that returns WASMC_TRAP_HOST after proc_exit has wasmc_wasi_exited say so. */
wasmc_host_func *wasmc_wasi_function(wasmc_wasi *wasi, const char *name, size_t name_len, uint8_t *params,
                                     uint32_t *nparams, uint8_t *result, uint32_t *nresults);
void wasmc_wasi_bind_memory(wasmc_wasi *wasi, wasmc_memory *memory);

/* Runs a WASI command: binds `instance`, calls its `_start` export and sets *exit_code: 0 when
 * _start returns, or the code given to proc_exit. proc_exit unwinds the wasm stack as a
 * WASMC_TRAP_HOST trap that this function recognizes. Returns 0, or -1 with a link error (no
 * `_start` function of type [] -> []), a trap error (kind WASMC_ERROR_TRAP, `trap` set, the
 * message naming it) when the program trapped, or an exception error (WASMC_ERROR_EXCEPTION;
 * wasmc_store_exception has it) when an exception left `_start`. proc_exit stops the program
 * whatever handlers are active: a trap is never caught by wasm code. */
int wasmc_wasi_run(wasmc_wasi *wasi, wasmc_store *store, wasmc_instance *instance,
                   int *exit_code, wasmc_error *error);

/* For embedders that call exports themselves (a reactor, `--invoke`): after a wasmc_call that
 * returned WASMC_TRAP_HOST, tells whether the guest called proc_exit. Returns 1 and sets
 * *exit_code if it did, else 0. */
int wasmc_wasi_exited(const wasmc_wasi *wasi, int *exit_code);

#ifdef __cplusplus
}
#endif

#endif /* WASMC_WASI_H */
