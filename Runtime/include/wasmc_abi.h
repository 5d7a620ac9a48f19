/*
 * wasmc_abi.h: the contract between code compiled by wasmc and the C runtime.
 *
 * A compiled module is an ELF shared object exporting exactly one symbol, `wasmc_module`, a
 * `wasmc_module_descriptor`. Everything else in the .so has internal linkage. The .so has no
 * undefined symbols of the runtime's: it reaches the runtime through the table of
 * `wasmc_runtime_functions` whose address the loader stores into `*descriptor->runtime_slot`.
 * (libc's memcpy/memmove/memset may be referenced by LLVM-emitted code.)
 *
 * Every compiled function takes the instance context (`vmctx`) as its first argument, then the
 * wasm parameters as native values (i32 → int32_t, i64 → int64_t, f32 → float, f64 → double,
 * v128 → <16 x i8> vector, funcref/externref → pointer), and returns nothing, one native value, or
 * an LLVM struct of the results (multi-value), with the C calling convention.
 *
 * The compiler's Swift mirror of this file is Sources/WasmcCodegen/Layout/RuntimeABI.swift; the
 * test `LayoutTests` checks the two agree through `wasmc_abi_layout()` below.
 */
#ifndef WASMC_ABI_H
#define WASMC_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever anything in this file changes meaning. A .so built for another version is
 * refused by the loader. */
#define WASMC_ABI_VERSION 6u
/* "WSMC", little endian. */
#define WASMC_DESCRIPTOR_MAGIC 0x434d5357u

/* ------------------------------------------------------------------------------------------ */
/* Values                                                                                      */

/* Value kinds, as encoded in the metadata blob and used by the embedding API. */
enum {
    WASMC_I32 = 0,
    WASMC_I64 = 1,
    WASMC_F32 = 2,
    WASMC_F64 = 3,
    WASMC_V128 = 4,
    WASMC_FUNCREF = 5,
    WASMC_EXTERNREF = 6,
    WASMC_EXNREF = 7, /* exception handling: a `wasmc_exception *` (NULL = ref.null exn) */
};

/* One argument or result slot of the uniform calling convention: 16 bytes, so that a v128 fits.
 * A funcref is a `wasmc_funcref *` (NULL = ref.null func); an externref is an opaque pointer
 * supplied by the host (NULL = ref.null extern); an exnref is a `wasmc_exception *`. */
typedef union wasmc_value {
    int32_t i32;
    int64_t i64;
    float f32;
    double f64;
    uint8_t v128[16];
    void *ref;
} wasmc_value;

/* ------------------------------------------------------------------------------------------ */
/* Traps: a small closed set. `wasmc_trap_message` gives the spec's wording.                   */

typedef enum wasmc_trap {
    WASMC_TRAP_NONE = 0,
    WASMC_TRAP_UNREACHABLE = 1,                 /* "unreachable" */
    WASMC_TRAP_MEMORY_OUT_OF_BOUNDS = 2,        /* "out of bounds memory access" */
    WASMC_TRAP_TABLE_OUT_OF_BOUNDS = 3,         /* "out of bounds table access" */
    WASMC_TRAP_UNDEFINED_ELEMENT = 4,           /* "undefined element" (call_indirect index) */
    WASMC_TRAP_UNINITIALIZED_ELEMENT = 5,       /* "uninitialized element" (null entry) */
    WASMC_TRAP_INDIRECT_CALL_TYPE_MISMATCH = 6, /* "indirect call type mismatch" */
    WASMC_TRAP_INTEGER_DIVIDE_BY_ZERO = 7,      /* "integer divide by zero" */
    WASMC_TRAP_INTEGER_OVERFLOW = 8,            /* "integer overflow" */
    WASMC_TRAP_INVALID_CONVERSION = 9,          /* "invalid conversion to integer" */
    WASMC_TRAP_CALL_STACK_EXHAUSTED = 10,       /* "call stack exhausted" */
    WASMC_TRAP_HOST = 11,                       /* a host function reported failure */
    WASMC_TRAP_NULL_REFERENCE = 12,             /* "null reference" (ref.as_non_null) */
    WASMC_TRAP_NULL_FUNCTION_REFERENCE = 13,    /* "null function reference" (call_ref) */
    WASMC_TRAP_NULL_EXCEPTION_REFERENCE = 14,   /* "null exception reference" (throw_ref) */
    WASMC_TRAP_COUNT
} wasmc_trap;

/* Not a trap: what wasmc_call returns (and a host callback may return, see wasmc_host_throw)
 * when a wasm exception leaves the called function. Distinct from every wasmc_trap. */
#define WASMC_EXCEPTION 0x100u

const char *wasmc_trap_message(uint32_t trap);

/* ------------------------------------------------------------------------------------------ */
/* Run-time objects generated code touches directly. Field offsets are part of the ABI.        */

/* A function reference: what a funcref value points to, what tables hold and what an imported
 * function slot holds. `code` has the function's native signature and is called as
 * code(ctx, params...) in LLVM's tail calling convention (`tailcc`, for return_call; since ABI
 * version 3) on x86-64 and aarch64, and in C's on riscv64 (WasmCallingConvention in
 * Sources/WasmcCodegen/Module/ModuleEnvironment.swift). C calls it through `trampoline`, which
 * has the uniform signature. */
typedef struct wasmc_funcref {
    void *code;                                              /* offset 0 */
    void *ctx;                                               /* offset 8 */
    void (*trampoline)(void *code, void *ctx, wasmc_value *io); /* offset 16 */
    uint32_t type_id;                                        /* offset 24: canonical signature id */
    uint32_t reserved;                                       /* offset 28 */
} wasmc_funcref;

/* A linear memory. `base` never moves after creation: its whole possible range is reserved up
 * front (4 GiB + 4 GiB guard on 64-bit hosts in guard mode). */
typedef struct wasmc_memory {
    uint8_t *base;      /* offset 0 */
    uint64_t size;      /* offset 8: current size in bytes (a multiple of 65536) */
    uint64_t max_pages; /* offset 16: growth limit in pages (declared max, or 65536) */
    uint64_t reserved;  /* offset 24: bytes of address space reserved at base */
    uint32_t guarded;   /* offset 32: 1 if every i32 address + u32 offset lands in the reservation */
    uint32_t refcount;  /* offset 36 */
    uint32_t has_max;   /* offset 40 */
    uint32_t registry_slot; /* offset 44: index in the fault-address registry */
    uint32_t is64;      /* offset 48: 1 for a 64-bit memory (memory64: i64 addresses) */
    uint32_t reserved2; /* offset 52 */
} wasmc_memory;

/* A table of references. */
typedef struct wasmc_table {
    void **elements;   /* offset 0: `size` entries */
    uint32_t size;     /* offset 8 */
    uint32_t max;      /* offset 12: growth limit (declared max, or UINT32_MAX) */
    uint32_t capacity; /* offset 16: allocated entries */
    uint8_t kind;      /* offset 20: WASMC_FUNCREF or WASMC_EXTERNREF */
    uint8_t has_max;   /* offset 21 */
    uint8_t is64;      /* offset 22: 1 for a 64-bit table (i64 indices, memory64) */
    uint8_t pad;
    uint32_t refcount; /* offset 24 */
    uint32_t pad2;
    /* offset 32: the element type's key when its kind does not say it all (typed function
     * references; see the metadata blob below), owned by the table; NULL otherwise. */
    char *type_key;
} wasmc_table;

/* A tag (exception handling). Exceptions match a `catch` by the identity of their tag object:
 * every instance that defines a tag makes one, an imported tag is the exporter's object. */
typedef struct wasmc_tag {
    uint32_t type_id;  /* canonical signature id of the tag's type, (params) -> () */
    uint32_t refcount;
    uint32_t nparams;  /* payload values */
    uint32_t pad;
    uint8_t *params;   /* their kinds (WASMC_I32...) */
} wasmc_tag;

/* A thrown exception: what an exnref points to. It starts with the native unwinder's
 * `struct _Unwind_Exception` (32 bytes on the 64-bit targets), so that the pointer the unwinder
 * hands a landing pad is the exception itself. Exceptions belong to the store they were made in
 * (freed with it). One caught by a plain `catch` that was never an exnref value is freed at
 * once. */
typedef struct wasmc_exception {
    uint64_t unwind_header[4] __attribute__((aligned(16))); /* offset 0 */
    wasmc_tag *tag;    /* offset 32 */
    uint32_t nvalues;  /* offset 40 */
    uint32_t exposed;  /* offset 44: 1 once the exception has been an exnref value */
    struct wasmc_exception *next, *prev; /* offset 48, 56: the owning store's list */
    struct wasmc_store *store; /* offset 64: the owner */
    uint64_t reserved;    /* offset 72 */
    wasmc_value values[]; /* offset 80: the payload */
} wasmc_exception;

/* Per-store state (a store is used by one thread at a time). */
typedef struct wasmc_store {
    uintptr_t stack_limit; /* offset 0: compiled functions trap when the stack pointer is below */
    uint32_t depth;        /* offset 8: nesting of wasmc_call on this store */
    uint32_t pad;
} wasmc_store;

/* A host function bound to an import. The importing module's host thunk for the import's type
 * is called with this as its ctx; it stores the parameters in an array of wasmc_value, calls
 * `runtime->call_host(ctx, io)` and reads the results back from the same array. */
typedef uint32_t (*wasmc_host_callback)(void *env, wasmc_value *io); /* returns a wasmc_trap */
typedef struct wasmc_host_func {
    wasmc_host_callback callback;
    void *env;
    void (*finalizer)(void *env);
    uint32_t type_id;
    uint32_t refcount;
} wasmc_host_func;

/* ------------------------------------------------------------------------------------------ */
/* The instance context (vmctx): a fixed header, then regions whose offsets depend on the       */
/* module's counts. The compiler computes the offsets (Sources/WasmcCodegen/Layout/VMOffsets);  */
/* the metadata blob records them for the runtime.                                             */
/*                                                                                             */
/*   header          wasmc_vmctx_header                                                        */
/*   type_ids        uint32_t[ntypes], padded to 8          canonical id of each type index    */
/*   funcrefs        wasmc_funcref[nfuncs]                  every function, imported first     */
/*   tables          wasmc_table *[ntables]                                                    */
/*   memories        wasmc_memory *[nmemories]                                                 */
/*   global_ptrs     wasmc_value *[nglobals]                to the global's 16-byte cell       */
/*   global_cells    wasmc_value[ndefinedglobals], 16-byte aligned                             */
/*   tags            wasmc_tag *[ntags]                     every tag, imported first          */

typedef struct wasmc_vmctx_header {
    uint8_t *memory0_base;         /* offset 0: base of memory 0 (NULL without memories) */
    wasmc_memory *memory0;         /* offset 8 */
    wasmc_store *store;            /* offset 16 */
    struct wasmc_instance *instance; /* offset 24 */
} wasmc_vmctx_header;

/* ------------------------------------------------------------------------------------------ */
/* Runtime functions the compiled code calls. `ctx` is always the calling instance's vmctx;     */
/* memory, table, data and element indices are the calling module's. Functions that can trap   */
/* do not return when they do. The order of the fields is the ABI: append only.                 */

typedef struct wasmc_runtime_functions {
    /* Unwinds to the innermost wasmc_call with `trap`. Never returns. */
    void (*trap)(void *ctx, uint32_t trap);
    /* memory.grow: returns the old size in pages, or -1. */
    int32_t (*memory_grow)(void *ctx, uint32_t memory, uint32_t delta_pages);
    void (*memory_fill)(void *ctx, uint32_t memory, uint32_t dst, uint32_t value, uint32_t n);
    void (*memory_copy)(void *ctx, uint32_t dst_memory, uint32_t src_memory, uint32_t dst,
                        uint32_t src, uint32_t n);
    void (*memory_init)(void *ctx, uint32_t memory, uint32_t data, uint32_t dst, uint32_t src,
                        uint32_t n);
    void (*data_drop)(void *ctx, uint32_t data);
    /* table.grow: returns the old size, or -1. */
    int32_t (*table_grow)(void *ctx, uint32_t table, void *init, uint32_t delta);
    void (*table_fill)(void *ctx, uint32_t table, uint32_t dst, void *value, uint32_t n);
    void (*table_copy)(void *ctx, uint32_t dst_table, uint32_t src_table, uint32_t dst,
                       uint32_t src, uint32_t n);
    void (*table_init)(void *ctx, uint32_t table, uint32_t elem, uint32_t dst, uint32_t src,
                       uint32_t n);
    void (*elem_drop)(void *ctx, uint32_t elem);
    /* During instantiation only: storage for element segment `elem`'s `count` references, which
     * the init function then fills in. */
    void **(*elem_segment_alloc)(void *ctx, uint32_t elem, uint32_t count);
    /* Called by host thunks; traps if the host callback returns a trap code, throws if it
     * returns WASMC_EXCEPTION. */
    void (*call_host)(wasmc_host_func *func, wasmc_value *io);
    /* throw: a new exception of tag `tag` (the caller's tag index) whose payload is the tag's
     * parameters in payload[0..]; unwinds to the innermost matching handler. Never returns. */
    void (*throw_)(void *ctx, uint32_t tag, const wasmc_value *payload);
    /* throw_ref: throws `exception` again (traps on NULL). Never returns. */
    void (*throw_ref)(void *ctx, wasmc_exception *exception);
    /* After a plain `catch` took the payload: frees the exception unless it was ever exposed. */
    void (*exception_drop)(void *ctx, wasmc_exception *exception);
    /* The personality routine of compiled functions with handlers (the .so's own personality
     * forwards here): installs the landing pad of every wasm frame the exception unwinds. */
    int (*personality)(int version, int actions, uint64_t exception_class, void *unwind_exception,
                       void *unwind_context);
    /* A new exception as throw_ makes it, returned instead of thrown: for a throw that a handler
     * of the same function catches, which branches there without unwinding. */
    wasmc_exception *(*exception_new)(void *ctx, uint32_t tag, const wasmc_value *payload);
} wasmc_runtime_functions;

/* ------------------------------------------------------------------------------------------ */
/* The module descriptor: the one exported symbol of a compiled .so, named `wasmc_module`.      */

typedef struct wasmc_module_descriptor {
    uint32_t magic;        /* WASMC_DESCRIPTOR_MAGIC */
    uint32_t abi_version;  /* WASMC_ABI_VERSION */
    const uint8_t *metadata; /* the metadata blob, see below */
    uint64_t metadata_size;
    /* Where the loader stores the runtime function table before anything runs. */
    const wasmc_runtime_functions **runtime_slot;
    /* Initializes globals, element segments, then applies active element and data segments, as
     * instantiation requires. May trap. */
    void (*init)(void *vmctx);
    void *const *functions;   /* code of each defined function, by defined index */
    void *const *trampolines; /* by type index: void (void *code, void *ctx, wasmc_value *io) */
    void *const *host_thunks; /* by type index: native signature, ctx is a wasmc_host_func */
    /* In a module compiled to count executions (`wasmc compile --instrument`): one counter per
     * defined function, by defined index, which the function's code adds one to on entry and at
     * the head of each loop (not NULL even for a module without functions); NULL and 0
     * otherwise. Shared by all instances of the module. */
    uint64_t *profile_counts;
    uint64_t profile_count_len;
} wasmc_module_descriptor;

/*
 * The metadata blob. `u` is an unsigned LEB128 number, `b` one byte, `s` a string (u length, then
 * UTF-8 bytes), `limits` = u min, b has_max, [u max if has_max].
 *
 *   u abi_version
 *   s target triple, s cpu name, s cpu features, s compile options, s wasm content hash (hex)
 *   u bounds mode (0 = guard pages, 1 = explicit checks)
 *   u ctx_size, u off_type_ids, u off_funcrefs, u off_tables, u off_memories, u off_global_ptrs,
 *     u off_global_cells, u off_tags
 *   u ntypes      × (u nparams, b kind × nparams, u nresults, b kind × nresults, s key)
 *   u nimports    × (s module, s name, b extern kind, desc)
 *                     function: u type index | table: b ref kind, s key, limits
 *                     memory: limits | global: b value kind, s key, b mutable | tag: u type index
 *   u nfuncs      × u type index                     (the whole index space, imported first)
 *   u ntables     × (b ref kind, s key, limits)      (imported first)
 *   u nmemories   × limits                           (imported first)
 *   u nglobals    × (b value kind, s key, b mutable) (imported first)
 *   u ntags       × u type index                     (imported first)
 *   u nexports    × (s name, b extern kind, u index)
 *   u start       (0 = none, else function index + 1)
 *   s data file   (empty: the data image is the .so's own `.wasmc.data` section; else the name
 *                  of the data file written beside the .so, see "The data image" below)
 *   u ndata       × (u size in bytes, u hash: wasmc_data_hash of the bytes)
 *   u nfiles, u files hash (the data image's file entries, 0 without: wasmc_data_hash of the
 *                  bytes from the first file entry to the end of the last path)
 *   u nelem       × b ref kind
 *   u nnames      × (u function index, s name)      (function indices increasing)
 *   u nlinked     × (s name, s wasm content hash)  (the modules linked into this one at compile
 *                  time, `wasmc compile --link NAME=FILE`: their names and the hashes of their
 *                  wasm; the content hash above is the main module's)
 *
 * Type keys (typed function references) say what a value kind cannot: a reference type's is
 * `(ref null? HEAP)`, HEAP an abstract heap type (func, extern, exn, nofunc, noextern, noexn) or
 * a function type written out as `[func(P...->R...)]` (`rec`: the enclosing bracket's type
 * itself); a function type's is that bracket. Empty where the kind says it all (numbers,
 * vectors, funcref, externref, exnref; a function type all of whose value types are such):
 * those types get the ids wasmc_signature_id gives their kinds. Equivalent types have equal
 * keys in every module.
 *
 * The cpu features are the instruction-set features the code may use, in LLVM's names, as
 * "+name" entries separated by commas (the compiler records the CPU's features and what they
 * imply, with the user's additions and removals, without LLVM's tuning-only features). Only "+"
 * entries are requirements. The loader refuses the module unless each is one the running CPU
 * has (detected with cpuid/xgetbv, or AT_HWCAP/AT_HWCAP2) or one that needs nothing of the CPU
 * (execution modes, code-generation choices, tuning hints, system features); a name the runtime
 * does not know is refused too. See wasmc_cpu_supports in wasmc.h and Runtime/README.md.
 */

/* ------------------------------------------------------------------------------------------ */
/* The data image: the bytes of the data segments, outside the code, and the files of the      */
/* directories embedded with `wasmc compile --embed-dir`. Either the .so's own section          */
/* `.wasmc.data` (not loaded by dlopen; its file offset is a multiple of WASMC_DATA_ALIGN) or a  */
/* data file of its own (`wasmc compile --data`), the same bytes either way and the same for    */
/* every target. The loader maps it read-only and lazily; memory.init (and so instantiation's   */
/* active segments) maps the whole host pages of a segment copy-on-write into the linear memory */
/* instead of copying them, where the segment's position in the file and in the memory agree    */
/* modulo the host's page size. So the writer places a segment of at least WASMC_DATA_MAP_MIN    */
/* bytes at an image offset congruent, modulo WASMC_DATA_ALIGN, to its memory offset (a         */
/* constant offset expression; 0 for passive segments and offsets known only at instantiation, */
/* which are page-aligned in practice); smaller ones are packed.                                */
/*                                                                                             */
/*   wasmc_data_header                                                                         */
/*   wasmc_data_entry[nsegments]   kind WASMC_DATA_SEGMENT, by data index                      */
/*   wasmc_data_entry[nfiles]      the embedded directories: each a WASMC_DATA_ROOT entry      */
/*                                 (path: the name the guest sees, e.g. "/models"), then the   */
/*                                 directories and files under it (path: relative to the root, */
/*                                 "vocab/en.txt"), sorted by (root, path) as byte strings, a  */
/*                                 root's own key being (its index, "")                        */
/*   the paths, then the bytes, at the offsets the entries give (all within `size`)           */
/*                                                                                             */
/* All numbers little endian; indices of files count from the first file entry. The metadata  */
/* records each segment's size and hash and a hash of the file entries with their paths; the  */
/* loader checks the image against them, and a data file's bytes against the entries' hashes. */

#define WASMC_DATA_MAGIC "WSMCDATA"
#define WASMC_DATA_VERSION 1u
#define WASMC_DATA_ALIGN 65536u
#define WASMC_DATA_MAP_MIN (4u * WASMC_DATA_ALIGN)
#define WASMC_DATA_SECTION ".wasmc.data"

typedef struct wasmc_data_header {
    char magic[8];      /* WASMC_DATA_MAGIC, no NUL */
    uint32_t version;   /* WASMC_DATA_VERSION */
    uint32_t nsegments;
    uint32_t nfiles;
    uint32_t reserved;
    uint64_t size;      /* bytes of the whole image, header included */
} wasmc_data_header;

enum {
    WASMC_DATA_SEGMENT = 0,
    WASMC_DATA_ROOT = 1,      /* an embedded directory as the guest sees it (a preopen) */
    WASMC_DATA_DIRECTORY = 2, /* a directory inside one */
    WASMC_DATA_FILE = 3,      /* a regular file inside one */
};

typedef struct wasmc_data_entry {
    uint64_t offset;    /* of the bytes, from the start of the image (files, segments) */
    uint64_t length;
    uint64_t hash;      /* wasmc_data_hash of the bytes */
    uint32_t kind;      /* WASMC_DATA_* */
    uint32_t root;      /* directories and files: the index of their root's entry */
    uint32_t path_offset, path_length; /* roots, directories, files: see above */
} wasmc_data_entry;

/* ------------------------------------------------------------------------------------------ */
/* The wasm inside: every .so carries the wasm modules it was compiled from, compressed, in its */
/* section `.wasmc.wasm` (not loaded by dlopen), so that it can always be compiled again or     */
/* interpreted (`wasmc extract` gives the identical bytes back, their SHA-256 checked). The     */
/* compiled module comes first (name ""), then each module linked into it (`--link NAME=FILE`, */
/* by NAME). A module is a zlib stream (RFC 1950) whose blocks are deflated or, where the bytes */
/* do not compress (weights), stored.                                                          */
/*                                                                                             */
/*   wasmc_wasm_header                                                                         */
/*   wasmc_wasm_entry[count]                                                                   */
/*   the names and the compressed bytes, at the offsets the entries give (all within the      */
/*   section), all numbers little endian                                                      */

#define WASMC_WASM_MAGIC "WSMCWASM"
#define WASMC_WASM_VERSION 1u
#define WASMC_WASM_SECTION ".wasmc.wasm"

enum {
    WASMC_WASM_STORED = 0,  /* the module's bytes as they are */
    WASMC_WASM_ZLIB = 1,    /* a zlib stream */
};

typedef struct wasmc_wasm_header {
    char magic[8];      /* WASMC_WASM_MAGIC, no NUL */
    uint32_t version;   /* WASMC_WASM_VERSION */
    uint32_t count;     /* entries */
} wasmc_wasm_header;

typedef struct wasmc_wasm_entry {
    uint64_t name_offset;     /* from the section's start */
    uint32_t name_len;
    uint32_t compression;     /* WASMC_WASM_* */
    uint64_t offset;          /* of the compressed bytes, from the section's start */
    uint64_t compressed_size;
    uint64_t size;            /* of the module */
    uint8_t sha256[32];       /* of the module */
} wasmc_wasm_entry;

/* ------------------------------------------------------------------------------------------ */
/* The bundle: one file for several machines (`wasmc compile --target A,B,...`). It is a valid  */
/* wasm module: the compiled module's bytes as they were, then custom sections that any engine */
/* skips, each framed as id 0, its size as a 5-byte LEB128, its name's length (one byte), the  */
/* name, the payload:                                                                          */
/*   "wasmc.bundle"  wasmc_bundle_header; then, when modules were linked into it, a wasm      */
/*                   archive (as in `.wasmc.wasm` above) of those, by NAME                     */
/*   "wasmc.data"    a u32 n, n zero bytes, then the data image (as above) at a file offset   */
/*                   that is a multiple of WASMC_DATA_ALIGN, mapped from the bundle itself     */
/*   "wasmc.metadata" the first target's metadata blob (above): what the interpreter fallback   */
/*                   reads of the module when no native code is left in the bundle            */
/*   "wasmc.native"  one per target: a .so compiled for it, whose data image is the bundle's  */
/*                   and which carries no `.wasmc.wasm` (the bundle is the wasm)              */
/* and, when signed, the signature block (Documentation/artifacts.md) last. The loader picks    */
/* the native code for this machine that requires the most CPU features this CPU has.          */

#define WASMC_BUNDLE_MAGIC "WSMCBNDL"
#define WASMC_BUNDLE_VERSION 1u
#define WASMC_BUNDLE_SECTION "wasmc.bundle"
#define WASMC_BUNDLE_DATA_SECTION "wasmc.data"
#define WASMC_BUNDLE_NATIVE_SECTION "wasmc.native"
#define WASMC_BUNDLE_METADATA_SECTION "wasmc.metadata"

typedef struct wasmc_bundle_header {
    char magic[8];         /* WASMC_BUNDLE_MAGIC, no NUL */
    uint32_t version;      /* WASMC_BUNDLE_VERSION */
    uint32_t reserved;
    uint64_t module_size;  /* the compiled module: the bundle's first module_size bytes */
    uint8_t sha256[32];    /* of those bytes */
} wasmc_bundle_header;

/* The hash of data bytes the image and the metadata record: 64 bits, not cryptographic (it
 * tells a data file that does not belong to the .so, or was altered by accident; signatures
 * are the artifact's). Several GB/s. */
uint64_t wasmc_data_hash(const void *bytes, uint64_t length);

/* The same hash over bytes that come in pieces: start, add each piece in order, end. */
typedef struct wasmc_data_hasher {
    uint64_t lanes[4];
    uint64_t length;
    uint8_t pending[32]; /* the start of a block the pieces so far did not complete */
    uint32_t npending;
} wasmc_data_hasher;
void wasmc_data_hash_start(wasmc_data_hasher *hasher);
void wasmc_data_hash_add(wasmc_data_hasher *hasher, const void *bytes, uint64_t length);
uint64_t wasmc_data_hash_end(const wasmc_data_hasher *hasher);

/* Extern kinds, as in the binary format's import/export descriptors. */
enum {
    WASMC_EXTERN_FUNC = 0,
    WASMC_EXTERN_TABLE = 1,
    WASMC_EXTERN_MEMORY = 2,
    WASMC_EXTERN_GLOBAL = 3,
    WASMC_EXTERN_TAG = 4,
};

enum {
    WASMC_BOUNDS_GUARD = 0,
    WASMC_BOUNDS_EXPLICIT = 1,
};

/* Bytes reserved per memory in guard mode: 4 GiB of addressable range, 4 GiB for the largest
 * static offset, and one page for the widest access straddling the end. */
#define WASMC_GUARD_RESERVATION (((uint64_t)8 << 30) + 65536u)
#define WASMC_PAGE_SIZE 65536u
#define WASMC_MAX_PAGES 65536u

/* Layout facts for the compiler-vs-runtime consistency test. */
typedef struct wasmc_abi_layout_info {
    uint32_t value_size;
    uint32_t funcref_size, funcref_code, funcref_ctx, funcref_trampoline, funcref_type_id;
    uint32_t memory_base, memory_size;
    uint32_t table_elements, table_size;
    uint32_t store_stack_limit;
    uint32_t header_size, header_memory0_base, header_memory0, header_store, header_instance;
    uint32_t runtime_functions_count;
    uint32_t descriptor_size;
    uint32_t exception_tag, exception_exposed, exception_values;
    uint32_t data_header_size, data_entry_size;
} wasmc_abi_layout_info;

wasmc_abi_layout_info wasmc_abi_layout(void);

#ifdef __cplusplus
}
#endif

#endif /* WASMC_ABI_H */
