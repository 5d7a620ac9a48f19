/* internal.h: what the runtime's files share. Not installed; the public contract is
 * include/wasmc_abi.h and include/wasmc.h. */
#ifndef WASMC_INTERNAL_H
#define WASMC_INTERNAL_H

#include "wasmc.h"

#include <stdarg.h>
#include <stdbool.h>

/* Nothing declared here is exported when the runtime is built as a shared library. */
#pragma GCC visibility push(hidden)

/* ---- the parsed metadata blob (metadata.c) ------------------------------------------- */

typedef struct rt_limits {
    uint64_t min, max;
    uint8_t has_max;
    uint8_t is64; /* a 64-bit memory (memory64) */
} rt_limits;

typedef struct rt_functype {
    const uint8_t *params, *results; /* point into the blob */
    uint32_t nparams, nresults;
    uint32_t id; /* canonical signature id */
    const char *key; /* the type's key when it has typed references, else NULL */
} rt_functype;

typedef struct rt_import {
    const char *module, *name;
    uint32_t module_len, name_len; /* names may hold NUL bytes */
    uint8_t kind;       /* WASMC_EXTERN_* */
    uint8_t value_kind; /* globals: value kind; tables: reference kind */
    uint8_t mutable_;
    uint32_t type_index; /* functions, tags */
    rt_limits limits;    /* tables, memories */
    const char *type_key; /* tables, globals: the value type's key, NULL if empty */
} rt_import;

typedef struct rt_tabletype {
    uint8_t kind;
    const char *type_key; /* NULL if empty */
    rt_limits limits;
} rt_tabletype;

typedef struct rt_globaltype {
    uint8_t kind, mutable_;
    const char *type_key; /* NULL if empty */
} rt_globaltype;

typedef struct rt_export {
    const char *name;
    uint32_t name_len; /* names may hold NUL bytes: compare as byte strings */
    uint8_t kind;
    uint32_t index;
} rt_export;

typedef struct rt_name {
    uint32_t func;
    const char *name;
} rt_name;

struct wasmc_module {
    const uint8_t *blob; /* the metadata blob parsed (in the .so's mapping, or a copy) */
    uint64_t blob_size;
    void *handle; /* dlopen handle; NULL when opened for inspection only (artifact.c) */
    const wasmc_module_descriptor *desc; /* NULL when opened for inspection only */
    /* Opened for inspection only: the whole file, mapped read-only (the metadata points into
     * it). NULL for a loaded module. */
    const uint8_t *file_map;
    uint64_t file_size;
    char machine[24]; /* the architecture of the file's ELF header: "x86_64", "ELF machine 40" */
    uint32_t refcount; /* the user's reference + one per instance (zombies included) */
    char *strings; /* arena holding every string below, NUL-terminated */
    const char *target, *cpu, *features, *options, *hash;
    uint32_t bounds_mode;
    uint64_t ctx_size, off_type_ids, off_funcrefs, off_tables, off_memories, off_global_ptrs,
        off_global_cells, off_tags;
    uint32_t ntypes, nimports, nfuncs, ntables, nmemories, nglobals, ntags, nexports, ndata, nelem,
        nnames;
    uint32_t nimported[5]; /* imports by WASMC_EXTERN_* kind */
    uint32_t start;        /* 0 = none, else function index + 1 */
    rt_functype *types;
    rt_import *imports;
    uint32_t *func_types;
    rt_tabletype *tables;
    rt_limits *memories;
    rt_globaltype *globals;
    uint32_t *tag_types; /* type index of every tag, imported first */
    rt_export *exports;   /* sorted by name */
    uint64_t *data_sizes;
    uint64_t *data_hashes;
    const char *data_file; /* "" when the image is the .so's section */
    /* The data image (data.c), when the module has data segments: mapped read-only. */
    int data_fd;               /* the file it is in, kept open to map its pages; -1 if none */
    const uint8_t *data_image; /* the mapping */
    uint64_t data_image_size;
    uint64_t data_image_offset; /* of the image in the file */
    uint64_t *data_offsets;     /* each segment's offset in the image */
    /* The embedded directories' entries (wasmc_abi.h), checked; paths point into the image. */
    uint32_t nfiles;
    uint64_t files_hash;
    wasmc_data_entry *files;
    uint8_t *elem_kinds;
    rt_name *names;
    /* The modules linked into this one at compile time: their names and wasm hashes. */
    uint32_t nlinked;
    struct {
        const char *name, *hash;
    } *linked;
    /* Loaded or inspected from a bundle (bundle.c): its natives, the one chosen, and the copy
     * of the native the metadata points into (inspection only). */
    uint32_t nbundle;
    struct rt_bundle_native {
        char *target, *cpu, *features, *refusal; /* refusal: NULL when it can run here */
    } *bundle;
    uint32_t bundle_chosen;
    void *owned_copy;
    /* The wasm inside (its `.wasmc.wasm` section, artifact.c): none in a .so without one. */
    uint32_t nwasm;
    struct rt_wasm {
        char *name; /* NUL-terminated copy; names may hold NUL bytes */
        uint32_t name_len, compression;
        uint64_t size, compressed_size, file_offset;
        char sha256[65];
    } *wasm;
};

/* Parses and checks the blob into `m` (counts, arrays, strings). Returns 0, or -1 with a message
 * in `err`. On failure, rt_metadata_free(m) releases what was allocated. */
int rt_metadata_parse(wasmc_module *m, const uint8_t *blob, uint64_t size, char *err, size_t errlen);
/* Orders names as byte strings (they may contain NULs). */
int rt_name_cmp(const char *a, uint32_t alen, const char *b, uint32_t blen);
void rt_metadata_free(wasmc_module *m);

/* The canonical id of a function type known by its key (signature.c), in the same space as
 * wasmc_signature_id's. */
uint32_t rt_type_key_id(const char *key, uint32_t len);
/* Whether a value of kind `kind` and type key `key` (NULL: the kind's own type) may stand where
 * one of `want_kind`/`want_key` is expected: the same type, or with `subtype` a subtype. */
bool rt_value_type_matches(uint8_t kind, const char *key, uint8_t want_kind, const char *want_key, bool subtype);

/* ---- reading artifact files (artifact.c) ------------------------------------------- */

/* Where a data image is when it is neither the .so's section nor a data file: a bundle's. */
typedef struct rt_data_source {
    int fd;
    uint64_t offset, size;
    const char *where; /* for messages: "the bundle's wasmc.data section" */
} rt_data_source;

/* Loads the .so `file` (named `path` in messages), its data image from `image` when not NULL,
 * else its own section or data file (`data_path`, else beside it). */
wasmc_module *rt_load_so(const char *path, const char *file, const char *data_path, const rt_data_source *image,
                         wasmc_error *error);
/* Loads the native code for this machine of the bundle `file` (bundle.c). */
wasmc_module *rt_bundle_load(const char *path, const char *file, const char *data_path, wasmc_error *error);
/* Opens a bundle for inspection (bundle.c); releases what a module has of one. */
wasmc_module *rt_bundle_inspect(const char *path, wasmc_error *error);
void rt_bundle_free(wasmc_module *m);
/* Whether the triple's architecture is the host's (instance.c). */
bool rt_arch_matches(const char *triple);
/* Parses the metadata of the ELF file held in `bytes` into `m`, as wasmc_module_inspect does. */
const char *rt_inspect_elf(wasmc_module *m, const uint8_t *bytes, uint64_t size, char *buf, size_t len);

/* The file offset and size of the section `name` of the 64-bit little-endian ELF file `fd`: 0 if
 * found, else -1. */
int rt_elf_section(int fd, const char *name, uint64_t *offset, uint64_t *size);
/* Reads the `.wasmc.wasm` section's entries of the .so `fd` into `m` (none when it has no such
 * section) and checks them: the first must be the module the metadata's hash names. Returns
 * NULL, or why not in buf. */
const char *rt_wasm_read(wasmc_module *m, int fd, char *buf, size_t len);
void rt_wasm_free(wasmc_module *m);
/* Adds the entries of the wasm archive at [at, at + size) of `fd` (`where` in messages) to m. */
const char *rt_wasm_entries(wasmc_module *m, int fd, uint64_t at, uint64_t size, const char *where, char *buf,
                            size_t len);

/* ---- the data image (data.c) ----------------------------------------------------------- */

/* A data segment of an instance. */
typedef struct rt_data {
    const uint8_t *bytes;
    uint64_t len; /* 0 once dropped */
    int fd;              /* the file `bytes` are mapped from, or -1 */
    uint64_t file_offset; /* of bytes[0] in it */
} rt_data;

/* Finds and maps the module's data image (so_fd: the .so, open; so_path: its path, to find a
 * data file beside it; data_path: the data file the user named, or NULL) and checks it against
 * the metadata. Returns NULL, or why not in buf. */
const char *rt_data_open(wasmc_module *m, int so_fd, const char *so_path, const char *data_path,
                         const rt_data_source *source, char *buf, size_t len);
void rt_data_close(wasmc_module *m);
/* The embedded directories: file entry `i`'s path (not NUL-terminated), its bytes, and the
 * entry of `root` whose path (relative to the root, "" for the root itself) is [path, len), or
 * -1. */
const char *rt_embedded_path(const wasmc_module *m, uint32_t i, uint32_t *len);
const uint8_t *rt_embedded_bytes(const wasmc_module *m, uint32_t i);
int64_t rt_embedded_find(const wasmc_module *m, uint32_t root, const char *path, size_t len);
void rt_module_retain(wasmc_module *m);
void rt_module_release(wasmc_module *m);
/* Copies n bytes of segment `seg` from src to dst (in range, checked by the caller), mapping
 * the whole pages copy-on-write where it can. */
void rt_data_copy(uint8_t *dst, const rt_data *seg, uint64_t src, uint64_t n);

/* ---- the CPU (cpu.c) ------------------------------------------------------------------ */

/* Checks the module's recorded CPU features against the running CPU: NULL if it can run the
 * module, else a message in buf naming the features it lacks (or cannot check). */
const char *rt_cpu_check(const wasmc_module *m, char *buf, size_t len);

/* ---- instances (instance.c) ---------------------------------------------------------- */

typedef struct rt_elem {
    void **items;
    uint32_t len; /* 0 once dropped */
} rt_elem;

struct wasmc_instance {
    wasmc_module *module;
    wasmc_store *store;
    uint8_t *ctx; /* the vmctx, module->ctx_size bytes */
    uint32_t refcount; /* the user's reference + importers of its functions or globals */
    wasmc_table **tables;   /* into ctx */
    wasmc_memory **memories; /* into ctx */
    wasmc_tag **tags;        /* into ctx */
    rt_data *data;
    rt_elem *elems;
    wasmc_host_func **hosts; /* per import: the host function it holds, or NULL */
    struct wasmc_instance **owners; /* instances retained through imports */
    uint32_t nowners;
    struct wasmc_instance *next_live, *prev_live; /* process-wide list (owner lookup) */
    struct wasmc_instance *next_zombie; /* trapped during instantiation, freed with the store */
};

#define RT_INSTANCE(ctx) (((wasmc_vmctx_header *)(ctx))->instance)

/* A store as allocated: the ABI part first. */
typedef struct rt_store {
    wasmc_store pub;
    wasmc_instance *zombies;
    wasmc_exception *exceptions; /* every exception the store owns (see wasmc_exception) */
    wasmc_exception *uncaught;   /* the one that ended the last call with WASMC_EXCEPTION */
} rt_store;

void rt_instance_release(wasmc_instance *inst);

/* ---- traps and calls (trap.c) ------------------------------------------------------- */

typedef void (*rt_trampoline)(void *code, void *ctx, wasmc_value *io);

void rt_signals_init(void);
/* Runs tramp(code, ctx, io) under a trap point; returns the trap code, WASMC_EXCEPTION (the
 * exception is then the store's `uncaught`) or 0. */
uint32_t rt_protected_call(wasmc_store *store, rt_trampoline tramp, void *code, void *ctx,
                           wasmc_value *io);
_Noreturn void rt_trap(void *ctx, uint32_t code);
/* Hands an exception that reached the innermost wasmc_call to it (from the unwinder's stop
 * function, or when unwinding cannot start). */
_Noreturn void rt_deliver_uncaught(wasmc_exception *exn);
/* The innermost call's stack boundary: frames whose CFA lies above it are not wasm's. */
uintptr_t rt_call_boundary(void);
/* The store of the innermost wasmc_call. */
wasmc_store *rt_call_store(void);

/* ---- exceptions (exception.c) ----------------------------------------------------- */

void rt_tag_retain(wasmc_tag *tag);
/* Frees every exception the store owns. */
void rt_store_free_exceptions(rt_store *s);
_Noreturn void rt_throw(void *ctx, uint32_t tag, const wasmc_value *payload);
_Noreturn void rt_throw_ref(void *ctx, wasmc_exception *exn);
void rt_exception_drop(void *ctx, wasmc_exception *exn);
wasmc_exception *rt_exception_new(void *ctx, uint32_t tag, const wasmc_value *payload);
int rt_personality(int version, int actions, uint64_t exception_class, void *unwind_exception,
                   void *unwind_context);
/* Raises the exception a host callback left with wasmc_host_throw (after it returned
 * WASMC_EXCEPTION). */
_Noreturn void rt_raise_pending(void);

/* ---- memories and tables (memory.c, table.c) ---------------------------------------- */

bool rt_guard_fault(uintptr_t addr); /* async-signal-safe */
void rt_memory_retain(wasmc_memory *m);
void rt_table_retain(wasmc_table *t);

int32_t rt_memory_grow(void *ctx, uint32_t memory, uint32_t delta);
void rt_memory_fill(void *ctx, uint32_t memory, uint32_t dst, uint32_t value, uint32_t n);
void rt_memory_copy(void *ctx, uint32_t dmem, uint32_t smem, uint32_t dst, uint32_t src, uint32_t n);
void rt_memory_init(void *ctx, uint32_t memory, uint32_t data, uint32_t dst, uint32_t src,
                    uint32_t n);
void rt_data_drop(void *ctx, uint32_t data);
int32_t rt_table_grow(void *ctx, uint32_t table, void *init, uint32_t delta);
void rt_table_fill(void *ctx, uint32_t table, uint32_t dst, void *value, uint32_t n);
void rt_table_copy(void *ctx, uint32_t dtab, uint32_t stab, uint32_t dst, uint32_t src, uint32_t n);
void rt_table_init(void *ctx, uint32_t table, uint32_t elem, uint32_t dst, uint32_t src, uint32_t n);
void rt_elem_drop(void *ctx, uint32_t elem);
void **rt_elem_segment_alloc(void *ctx, uint32_t elem, uint32_t count);
void rt_call_host(wasmc_host_func *func, wasmc_value *io);
void rt_host_func_retain(wasmc_host_func *func);

extern const wasmc_runtime_functions rt_functions;

/* ---- errors ------------------------------------------------------------------------ */

/* Formats into buf and returns it, for `return rt_format(buf, len, ...)` where a message is
 * returned as a string. */
const char *rt_format(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Fills `error` (may be NULL) and returns NULL, for `return rt_fail(...)`. */
void *rt_fail(wasmc_error *error, wasmc_error_kind kind, uint32_t trap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#pragma GCC visibility pop

#endif
