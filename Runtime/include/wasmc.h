/*
 * wasmc.h: the embedding API. Load a .so compiled by wasmc, check it, instantiate it with
 * imports, call its exports and read traps, from C or anything that can call C (the Swift shim
 * is built on this; Python can use it through ctypes).
 *
 * Threading: a store, and everything created in it, is used by one thread at a time. Modules
 * (loaded .so files) may be shared between stores.
 *
 * Errors: functions that can fail return NULL or a non-zero code and fill a caller-provided
 * `wasmc_error` with a kind and a one-line message.
 */
#ifndef WASMC_H
#define WASMC_H

#include "wasmc_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wasmc_module wasmc_module;
typedef struct wasmc_instance wasmc_instance;

typedef enum wasmc_error_kind {
    WASMC_OK = 0,
    WASMC_ERROR_LOAD = 1,        /* the file is not a loadable wasmc artifact (dlopen, magic, ABI) */
    WASMC_ERROR_LINK = 2,        /* imports missing or incompatible ("incompatible import type") */
    WASMC_ERROR_TRAP = 3,        /* instantiation trapped (segment out of bounds, start function) */
    WASMC_ERROR_RESOURCE = 4,    /* out of memory or address space */
    WASMC_ERROR_EXCEPTION = 5,   /* the start function threw (wasmc_store_exception has it) */
    WASMC_ERROR_NO_NATIVE = 6,   /* a sound artifact with no native code this machine can run: another
                                    architecture, a CPU feature this CPU lacks, another ABI version
                                    (the wasm inside can still be interpreted) */
} wasmc_error_kind;

typedef struct wasmc_error {
    wasmc_error_kind kind;
    uint32_t trap;               /* the wasmc_trap when kind == WASMC_ERROR_TRAP */
    char message[512];
} wasmc_error;

/* ---- stores ---------------------------------------------------------------------------- */

wasmc_store *wasmc_store_new(void);
/* Instances must be deleted before their store. */
void wasmc_store_delete(wasmc_store *store);

/* ---- modules --------------------------------------------------------------------------- */

/* dlopen()s a compiled .so (RTLD_LOCAL: several may be loaded side by side), checks the
 * descriptor's magic and ABI version and parses its metadata. Refuses (WASMC_ERROR_LOAD) a .so
 * built for another architecture (checked on the ELF header before dlopen, and on the recorded
 * triple), a truncated file (headers or segments past its end: checked before dlopen, which
 * would fault on it), and one whose recorded CPU features the running CPU lacks or this runtime
 * cannot check; the message names the features and the CPU the module was compiled for, e.g.
 * "model.so: needs CPU feature avx512f (compiled for znver4), which this CPU lacks". */
/* A path without '/' names a file in the current directory ("x.so" is "./x.so"), not a
 * library searched for on the library path as dlopen would. */
/* The module's data segments stay in its data image (wasmc_abi.h), mapped read-only and
 * copy-on-write into memories at instantiation: the .so's own section, or the data file it was
 * compiled with (`wasmc compile --data`), looked for beside the .so under the name it was
 * written with. A missing, short or altered image is refused with a message naming the data
 * segment. The .so and its data file must not be rewritten in place while loaded (the
 * compiler replaces them by renaming, which is safe). */
wasmc_module *wasmc_module_load(const char *path, wasmc_error *error);
/* As wasmc_module_load, with the data file at `data_path` (NULL: where the .so says). */
wasmc_module *wasmc_module_load_data(const char *path, const char *data_path, wasmc_error *error);
/* A bundle (a .wasm holding native code for several machines, "The bundle" in wasmc_abi.h)
 * loads through wasmc_module_load too: the native code for this machine that requires the most
 * CPU features this CPU has, from a sealed memory file, its data image mapped from the bundle.
 * None that can run here: WASMC_ERROR_NO_NATIVE, naming each and why. */
/* Opens a compiled .so for introspection only: reads its ELF headers and its metadata from the
 * file, without dlopen and without checking anything against this machine, so a .so of any
 * architecture can be read (`wasmc inspect` does). Every introspection function below works on
 * the result; instantiating it is refused (WASMC_ERROR_LOAD). Refused (WASMC_ERROR_LOAD) when
 * the file is not a 64-bit little-endian ELF file with a wasmc descriptor, or its metadata is of
 * another ABI version or malformed. Released with wasmc_module_unload. */
wasmc_module *wasmc_module_inspect(const char *path, wasmc_error *error);
/* An anonymous file in memory (Linux memfd, close-on-exec), for an artifact that must not touch
 * the disk (one decrypted by the Swift shim): returns its descriptor, or -1 with errno set. Load
 * it with wasmc_module_load("/proc/self/fd/N") once wasmc_memory_file_seal made it immutable
 * (no write, grow or shrink from then on; returns 0, or -1 with errno set). */
int wasmc_memory_file_new(const char *name);
int wasmc_memory_file_seal(int fd);
/* Unloads the .so. Every instance of it, and every funcref taken from them, must be gone. */
void wasmc_module_unload(wasmc_module *module);

/* Introspection, from the metadata blob. Strings live as long as the module. */
const char *wasmc_module_target(const wasmc_module *module);  /* target triple */
const char *wasmc_module_cpu(const wasmc_module *module);
const char *wasmc_module_cpu_features(const wasmc_module *module);
/* SHA-256 of the wasm module the .so was compiled from, in lowercase hex. */
const char *wasmc_module_wasm_hash(const wasmc_module *module);
/* The architecture of the .so's ELF header: "x86_64", "aarch64", "riscv64", "ELF machine N". */
const char *wasmc_module_machine(const wasmc_module *module);
/* The metadata blob itself (wasmc_abi.h), `*size` bytes, valid as long as the module: for tools
 * that carry it elsewhere (a bundle's wasmc.metadata section). */
const uint8_t *wasmc_module_metadata(const wasmc_module *module, uint64_t *size);
/* The compile options recorded, as command-line options ("-O2 --bounds-checks guard"). */
const char *wasmc_module_options(const wasmc_module *module);
/* How the compiled code checks memory accesses: WASMC_BOUNDS_GUARD or WASMC_BOUNDS_EXPLICIT. */
uint32_t wasmc_module_bounds_checks(const wasmc_module *module);
/* The data segments: how many and their total bytes, and the embedded directories' entries;
 * returns the name of the data file they are in ("" when in the .so's own section, or the
 * bundle's). */
const char *wasmc_module_data(const wasmc_module *module, uint32_t *segments, uint64_t *bytes,
                              uint32_t *embedded_entries);
/* A module loaded or inspected from a bundle: how many natives the bundle holds (0 for a .so),
 * and native `index` (returns 0 past the end): its target, CPU and features, why it cannot run
 * here (NULL if it can), and whether it is the one loaded (inspection: the one that would be;
 * the first when none can run here). */
typedef struct wasmc_bundle_native_info {
    const char *target, *cpu, *features;
    const char *refusal;
    int chosen;
} wasmc_bundle_native_info;
/* Whether the file at `path` is a bundle (a .wasm with a wasmc.bundle section), rather than a
 * plain module to compile: 1 or 0. A damaged bundle counts as one (loading it says why). */
int wasmc_is_bundle(const char *path);
uint32_t wasmc_module_bundle_count(const wasmc_module *module);
int wasmc_module_bundle_native(const wasmc_module *module, uint32_t index, wasmc_bundle_native_info *out);

/* The wasm modules the .so carries (its `.wasmc.wasm` section, "The wasm inside" in
 * wasmc_abi.h): how many (0 for a .so without them), and entry `index` (returns 0 past the end):
 * the compiled module first, named "", then the modules linked into it by their NAMEs. The
 * loader checks the entries and that the first is the module the metadata's hash names;
 * decompressing one is the caller's (`wasmc extract`). */
typedef struct wasmc_wasm_info {
    const char *name;         /* NUL-terminated; may contain NUL bytes */
    uint32_t name_len;
    uint32_t compression;     /* WASMC_WASM_STORED or WASMC_WASM_ZLIB */
    uint64_t size;            /* of the module */
    uint64_t compressed_size;
    uint64_t file_offset;     /* of the compressed bytes in the .so */
    const char *sha256;       /* of the module, 64 lowercase hex digits */
} wasmc_wasm_info;
uint32_t wasmc_module_wasm_count(const wasmc_module *module);
int wasmc_module_wasm(const wasmc_module *module, uint32_t index, wasmc_wasm_info *out);
/* The modules linked into this one at compile time (`wasmc compile --link NAME=FILE`): how many,
 * and the name of the one at `index` (NULL past the end), with the SHA-256 of its wasm in
 * `*hash` if `hash` is not NULL. */
uint32_t wasmc_module_linked_count(const wasmc_module *module);
const char *wasmc_module_linked(const wasmc_module *module, uint32_t index, const char **hash);
/* The number of functions (the whole index space); the imported ones, which come first, in
 * `*imported`. */
uint32_t wasmc_module_function_count(const wasmc_module *module, uint32_t *imported);
/* A function's name from the module's name section, or NULL. */
const char *wasmc_module_function_name(const wasmc_module *module, uint32_t function);
/* In a module compiled with `wasmc compile --instrument`: its execution counters, one per
 * defined function (index = function index - number of imported functions), each the number of
 * calls plus loop iterations so far, in all instances of the module together; stores their
 * number in `*count` (0 for a module without functions, whose result is still not NULL).
 * Otherwise NULL and 0. The caller may read them (to write a profile, see
 * Documentation/profiles.md) and reset them; the counts are not atomic, so instances running on
 * several threads at once may lose some. */
uint64_t *wasmc_module_profile_counts(const wasmc_module *module, uint32_t *count);
uint32_t wasmc_module_type_count(const wasmc_module *module);
/* Parameter and result kinds (WASMC_I32...) of a type index. */
void wasmc_module_type(const wasmc_module *module, uint32_t type_index, const uint8_t **params,
                       uint32_t *nparams, const uint8_t **results, uint32_t *nresults);
/* The key of a type with typed function references (wasmc_abi.h), which its kinds do not say
 * all of; NULL for other types. */
const char *wasmc_module_type_key(const wasmc_module *module, uint32_t type_index);
/* The index of the module's first type whose canonical signature id is `signature_id` (e.g. a
 * funcref's type_id: every function an instance of the module exports has one), or -1. */
int64_t wasmc_module_type_of_signature(const wasmc_module *module, uint32_t signature_id);

typedef struct wasmc_import_info {
    const char *module;
    const char *name;
    uint32_t kind;         /* WASMC_EXTERN_* */
    uint32_t type_index;   /* function imports */
    uint8_t value_kind;    /* globals: value kind; tables: reference kind */
    uint8_t mutable_;      /* globals */
    uint8_t has_max;       /* tables, memories */
    uint64_t min, max;     /* tables (entries), memories (pages) */
    uint32_t module_len, name_len; /* byte lengths: names may contain NUL bytes */
    /* Tables, globals: the value type's key when its kind does not say it all (typed function
     * references, see wasmc_abi.h), else NULL. */
    const char *type_key;
    uint8_t is64;          /* tables, memories: 64-bit indices */
} wasmc_import_info;

uint32_t wasmc_module_import_count(const wasmc_module *module);
void wasmc_module_import(const wasmc_module *module, uint32_t index, wasmc_import_info *out);
/* The type of entry `index` of the module's index space of `kind` (WASMC_EXTERN_*; imports
 * first), in the fields wasmc_import_info has for that kind (module and name are NULL). */
void wasmc_module_entity(const wasmc_module *module, uint32_t kind, uint32_t index,
                         wasmc_import_info *out);

typedef struct wasmc_export_info {
    const char *name;
    uint32_t kind;   /* WASMC_EXTERN_* */
    uint32_t index;  /* in the module's index space of that kind */
    uint32_t name_len; /* byte length: names may contain NUL bytes */
} wasmc_export_info;

uint32_t wasmc_module_export_count(const wasmc_module *module);
void wasmc_module_export(const wasmc_module *module, uint32_t index, wasmc_export_info *out);

/* ---- externals: what imports are satisfied with, and what exports are ------------------ */

/* A global's storage: a 16-byte cell, its value kind and mutability. */
typedef struct wasmc_global {
    wasmc_value *cell;
    uint8_t kind;
    uint8_t mutable_;
    /* The value type's key when its kind does not say it all (typed function references, see
     * wasmc_abi.h); NULL for host globals and globals of the kinds' types. */
    const char *type_key;
} wasmc_global;

typedef struct wasmc_extern {
    uint32_t kind; /* WASMC_EXTERN_*; a function is given as `func`, or as `host` with is_host = 1 */
    union {
        const wasmc_funcref *func;   /* a function of another instance */
        wasmc_host_func *host;       /* a host function (set is_host) */
        wasmc_table *table;
        wasmc_memory *memory;
        wasmc_global global;
        wasmc_tag *tag;
    } of;
    uint32_t is_host; /* 1 if `of.host` is set for a function */
} wasmc_extern;

/* A host function with the given signature. `callback(env, io)` reads the parameters from io[0..]
 * and writes the results to io[0..]; it returns WASMC_TRAP_NONE, or a trap code to make the
 * calling wasm code trap (WASMC_TRAP_HOST for host failures). `finalizer(env)`, if not NULL, is
 * called when the last reference to the function goes away. */
wasmc_host_func *wasmc_host_func_new(const uint8_t *params, uint32_t nparams,
                                     const uint8_t *results, uint32_t nresults,
                                     wasmc_host_callback callback, void *env,
                                     void (*finalizer)(void *env));
void wasmc_host_func_release(wasmc_host_func *func);

/* Standalone memories, tables and globals created by the host (e.g. the spec tests' `spectest`
 * module). Released with the matching _release function; instances that import them keep a
 * reference of their own. */
wasmc_memory *wasmc_memory_new(uint32_t min_pages, uint32_t has_max, uint32_t max_pages,
                               wasmc_error *error);
void wasmc_memory_release(wasmc_memory *memory);
/* memory.grow from the host: returns the old size in pages or -1. */
int32_t wasmc_memory_grow(wasmc_memory *memory, uint32_t delta_pages);

wasmc_table *wasmc_table_new(uint8_t ref_kind, uint32_t min, uint32_t has_max, uint32_t max,
                             void *init, wasmc_error *error);
void wasmc_table_release(wasmc_table *table);
int32_t wasmc_table_grow(wasmc_table *table, uint32_t delta, void *init);

/* A host-owned global cell; free with wasmc_global_release. */
wasmc_global wasmc_global_new(uint8_t kind, uint8_t mutable_, wasmc_value initial);
void wasmc_global_release(wasmc_global global);

/* ---- tags and exceptions --------------------------------------------------------------- */

/* A tag of the host's, with payload kinds `params` (e.g. to import into modules, or to throw
 * from a host function). Released with wasmc_tag_release; instances that import it keep a
 * reference of their own. */
wasmc_tag *wasmc_tag_new(const uint8_t *params, uint32_t nparams);
void wasmc_tag_release(wasmc_tag *tag);

/* A new exception of `tag` with payload values[0..tag->nparams), owned by `store` (freed with
 * it); with a NULL store, by the store of the innermost wasmc_call running on this thread (for a
 * host callback). NULL when out of memory, or without a store outside any call. */
wasmc_exception *wasmc_exception_new(wasmc_store *store, wasmc_tag *tag, const wasmc_value *values);
/* After wasmc_call returned WASMC_EXCEPTION (or instantiation failed with
 * WASMC_ERROR_EXCEPTION): the exception that left the call. Owned by the store; it stays valid
 * until the store is deleted. NULL if the last call on the store did not end that way. */
wasmc_exception *wasmc_store_exception(wasmc_store *store);
/* For a host callback: makes the calling wasm code throw `exception` (one of the store's, e.g.
 * from wasmc_exception_new or wasmc_store_exception). Returns WASMC_EXCEPTION, which the callback
 * must return: `return wasmc_host_throw(exn);`. */
uint32_t wasmc_host_throw(wasmc_exception *exception);

/* ---- instances ------------------------------------------------------------------------- */

/* Instantiates `module` with one wasmc_extern per import, in import order. Checks each import's
 * kind and type (link error), allocates memories, tables and globals, runs the initializers,
 * applies active segments and calls the start function (trap error). */
wasmc_instance *wasmc_instantiate(wasmc_store *store, wasmc_module *module,
                                  const wasmc_extern *imports, uint32_t nimports,
                                  wasmc_error *error);
/* Releases the instance; memories/tables/globals still imported elsewhere stay alive. */
void wasmc_instance_delete(wasmc_instance *instance);

wasmc_module *wasmc_instance_module(const wasmc_instance *instance);
/* Looks an export up by name: returns 1 and fills `out`, or 0 when there is no such export.
 * A function export is given as `func`. */
int wasmc_instance_export(const wasmc_instance *instance, const char *name, wasmc_extern *out);
/* The same for a name given as bytes, which may contain NULs (wasm names are any UTF-8). */
int wasmc_instance_export_bytes(const wasmc_instance *instance, const char *name, size_t len,
                                wasmc_extern *out);
/* The function with the given index in the instance's function index space. */
const wasmc_funcref *wasmc_instance_function(const wasmc_instance *instance, uint32_t index);
/* The tag with the given index in the instance's tag index space (imported first), or NULL. */
wasmc_tag *wasmc_instance_tag(const wasmc_instance *instance, uint32_t index);
/* How many tags the module has (the whole index space) and its imported ones in `*imported`;
 * the type index of tag `index` (its parameters are the payload). */
uint32_t wasmc_module_tag_count(const wasmc_module *module, uint32_t *imported);
uint32_t wasmc_module_tag_type(const wasmc_module *module, uint32_t index);

/* Calls a function: io holds the arguments on entry and the results on return (it must have
 * room for max(nparams, nresults) values). Returns WASMC_TRAP_NONE, the trap that ended the
 * call, or WASMC_EXCEPTION when a wasm exception left it (wasmc_store_exception gives it). Host functions may call back into wasm through wasmc_call. `store` must be the store of
 * the instance the function belongs to: compiled code reads its stack limit from there. */
uint32_t wasmc_call(wasmc_store *store, const wasmc_funcref *func, wasmc_value *io);

/* ---- the host CPU ---------------------------------------------------------------------- */

/* Whether code compiled with the LLVM CPU feature `feature` (e.g. "avx2", "sse4.1", "neon";
 * a leading '+' is allowed) can run on this CPU: 1 if the CPU has it or it needs nothing of the
 * CPU (tuning and code-generation choices, execution modes), 0 if the CPU lacks it, -1 if the
 * runtime does not know the name. The loader applies this to every "+" entry of a module's
 * recorded features and refuses the module on any 0 or -1 (see Runtime/README.md). */
int wasmc_cpu_supports(const char *feature);

/* The value of the header constant `name` (a value kind "WASMC_I32", an extern kind
 * "WASMC_EXTERN_FUNC", a trap code "WASMC_TRAP_HOST", "WASMC_EXCEPTION", an error kind
 * "WASMC_ERROR_LINK", "WASMC_ABI_VERSION"): returns 1 and stores it in `*value`, or 0 for a name
 * it does not know. For bindings that cannot read C headers (Python's ctypes), so that the
 * numbers are taken from here rather than restated. */
int wasmc_abi_constant(const char *name, int64_t *value);

/* The canonical signature id of a type, as funcrefs carry it. */
uint32_t wasmc_signature_id(const uint8_t *params, uint32_t nparams, const uint8_t *results,
                            uint32_t nresults);

#ifdef __cplusplus
}
#endif

#endif /* WASMC_H */
