/* fake_module.c: a hand-written stand-in for a module compiled by wasmc, built with
 * `clang-19 -shared -fPIC -fvisibility=hidden` into a .so that exports only `wasmc_module`.
 * It follows the ABI of Runtime/include/wasmc_abi.h by hand: native function signatures with the
 * vmctx first, per-type trampolines and host thunks, an init function, and the metadata blob.
 *
 * The module it pretends to be:
 *   types   t0 (i32 i32)->i32   t1 ()->()   t2 (i32)->i32   t3 (i32 i32)->()
 *           t4 (i32)->i32 (same as t2)      t5 (i32 i32 i32 i32)->i32   t6 (i64)->i64
 *   imports func "env"."host_add" t0; memory "spectest"."memory" 1..2;
 *           table "env"."tab" funcref 2..; global "env"."g" mut i32
 *   funcs   0 host_add (import)  1 add  2 div  3 load  4 store  5 recurse  6 call_host
 *           7 unreachable  8 incg  9 start  10 call_indirect  11 rt  12 dbl
 *   tables  0 imported, 1 funcref 3..5     memories 0 imported, 1 defined 1..4
 *   globals 0 imported, 1 mut i32 (start sets 42), 2 const i64 (init sets 7)
 *   data    0 passive "hello", 1 active "WASM" into memory 0 at offset = global 0
 *   elem    0 passive (dbl, add, null), 1 active (load, add) into table 0 at 0
 *   start   function 9
 *
 * Variants: -DFAKE_BAD_MAGIC, -DFAKE_BAD_ABI. */
#include "wasmc_abi.h"

#include <stdint.h>
#include <string.h>

/* vmctx layout, computed by hand as VMOffsets does:
 * header 32 | type_ids 7 x 4 = 28 -> 32 | funcrefs 13 x 32 = 416 | tables 2 x 8 | memories 2 x 8
 * | global_ptrs 3 x 8 = 24 -> align 16 | global_cells 2 x 16 */
#define OFF_TYPE_IDS 32
#define OFF_FUNCREFS 64
#define OFF_TABLES 480
#define OFF_MEMORIES 496
#define OFF_GLOBAL_PTRS 512
#define OFF_GLOBAL_CELLS 544
#define CTX_SIZE 576

static const wasmc_runtime_functions *rt;

#define AT(ctx, off, type) ((type)((uint8_t *)(ctx) + (off)))
#define HDR(ctx) AT(ctx, 0, wasmc_vmctx_header *)
#define TYPE_IDS(ctx) AT(ctx, OFF_TYPE_IDS, uint32_t *)
#define FUNCREFS(ctx) AT(ctx, OFF_FUNCREFS, wasmc_funcref *)
#define TABLES(ctx) AT(ctx, OFF_TABLES, wasmc_table **)
#define GLOBAL(ctx, i) (AT(ctx, OFF_GLOBAL_PTRS, wasmc_value **)[i])

typedef int32_t (*fn_ii_i)(void *, int32_t, int32_t);
typedef int32_t (*fn_i_i)(void *, int32_t);
typedef void (*fn_ii_v)(void *, int32_t, int32_t);
typedef void (*fn_v_v)(void *);
typedef int32_t (*fn_iiii_i)(void *, int32_t, int32_t, int32_t, int32_t);
typedef int64_t (*fn_I_I)(void *, int64_t);

/* ---- compiled functions ---- */

static int32_t f_add(void *ctx, int32_t a, int32_t b) {
    (void)ctx;
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

static int32_t f_div(void *ctx, int32_t a, int32_t b) {
    if (b == 0) rt->trap(ctx, WASMC_TRAP_INTEGER_DIVIDE_BY_ZERO);
    if (a == INT32_MIN && b == -1) rt->trap(ctx, WASMC_TRAP_INTEGER_OVERFLOW);
    return a / b;
}

/* i32.load / i32.store in guard mode: no check, the guard region faults. */
static int32_t f_load(void *ctx, int32_t addr) {
    int32_t v;
    memcpy(&v, HDR(ctx)->memory0_base + (uint32_t)addr, 4);
    return v;
}

static void f_store(void *ctx, int32_t addr, int32_t v) {
    memcpy(HDR(ctx)->memory0_base + (uint32_t)addr, &v, 4);
}

static void f_recurse(void *ctx);
static void (*volatile recurse_ptr)(void *) = f_recurse;

static void f_recurse(void *ctx) {
    volatile char frame[128];
    frame[0] = 1;
    if ((uintptr_t)__builtin_frame_address(0) < HDR(ctx)->store->stack_limit)
        rt->trap(ctx, WASMC_TRAP_CALL_STACK_EXHAUSTED);
    recurse_ptr(ctx);
    frame[1] = frame[0];
}

/* Calls import 0 through its funcref slot, as compiled code calls any imported function. */
static int32_t f_call_host(void *ctx, int32_t a, int32_t b) {
    const wasmc_funcref *f = &FUNCREFS(ctx)[0];
    return ((fn_ii_i)f->code)(f->ctx, a, b);
}

static void f_unreachable(void *ctx) { rt->trap(ctx, WASMC_TRAP_UNREACHABLE); }

static void f_incg(void *ctx) { GLOBAL(ctx, 0)->i32 += 1; }

static void f_start(void *ctx) { GLOBAL(ctx, 1)->i32 = 42; }

/* call_indirect (type t2) on table 0. */
static int32_t f_call_indirect(void *ctx, int32_t index, int32_t x) {
    wasmc_table *t = TABLES(ctx)[0];
    if ((uint32_t)index >= t->size) rt->trap(ctx, WASMC_TRAP_UNDEFINED_ELEMENT);
    const wasmc_funcref *f = t->elements[index];
    if (!f) rt->trap(ctx, WASMC_TRAP_UNINITIALIZED_ELEMENT);
    if (f->type_id != TYPE_IDS(ctx)[2]) rt->trap(ctx, WASMC_TRAP_INDIRECT_CALL_TYPE_MISMATCH);
    return ((fn_i_i)f->code)(f->ctx, x);
}

/* The bulk memory / table instructions, by operation number. */
static int32_t f_rt(void *ctx, int32_t op, int32_t a, int32_t b, int32_t c) {
    uint32_t ua = (uint32_t)a, ub = (uint32_t)b, uc = (uint32_t)c;
    void *ref = b ? (void *)&FUNCREFS(ctx)[b] : NULL;
    switch (op) {
    case 1: rt->memory_fill(ctx, 1, ua, ub, uc); return 0;
    case 2: rt->memory_copy(ctx, 1, 1, ua, ub, uc); return 0;
    case 3: rt->memory_init(ctx, 1, 0, ua, ub, uc); return 0;
    case 4: rt->data_drop(ctx, 0); return 0;
    case 5: return rt->memory_grow(ctx, 1, ua);
    case 6: return rt->table_grow(ctx, 1, ref, ua);
    case 7: rt->table_fill(ctx, 1, ua, ref, uc); return 0;
    case 8: rt->table_copy(ctx, 1, 1, ua, ub, uc); return 0;
    case 9: rt->table_init(ctx, 1, 0, ua, ub, uc); return 0;
    case 10: rt->elem_drop(ctx, 0); return 0;
    case 11: rt->memory_copy(ctx, 0, 1, ua, ub, uc); return 0;
    case 12: rt->table_copy(ctx, 0, 1, ua, ub, uc); return 0;
    case 13: return rt->memory_grow(ctx, 0, ua);
    default: rt->trap(ctx, WASMC_TRAP_UNREACHABLE); return 0;
    }
}

static int32_t f_dbl(void *ctx, int32_t x) {
    (void)ctx;
    return (int32_t)((uint32_t)x * 2);
}

/* ---- init: globals, element segments, active element then data segments ---- */

static void init(void *ctx) {
    GLOBAL(ctx, 2)->i64 = 7;
    void **e0 = rt->elem_segment_alloc(ctx, 0, 3);
    e0[0] = &FUNCREFS(ctx)[12];
    e0[1] = &FUNCREFS(ctx)[1];
    e0[2] = NULL;
    void **e1 = rt->elem_segment_alloc(ctx, 1, 2);
    e1[0] = &FUNCREFS(ctx)[3];
    e1[1] = &FUNCREFS(ctx)[1];
    rt->table_init(ctx, 0, 1, 0, 0, 2);
    rt->elem_drop(ctx, 1);
    rt->memory_init(ctx, 0, 1, (uint32_t)GLOBAL(ctx, 0)->i32, 0, 4);
    rt->data_drop(ctx, 1);
}

/* ---- trampolines (by type) and host thunks ---- */

static void tr_ii_i(void *code, void *ctx, wasmc_value *io) {
    io[0].i32 = ((fn_ii_i)code)(ctx, io[0].i32, io[1].i32);
}
static void tr_v_v(void *code, void *ctx, wasmc_value *io) {
    (void)io;
    ((fn_v_v)code)(ctx);
}
static void tr_i_i(void *code, void *ctx, wasmc_value *io) {
    io[0].i32 = ((fn_i_i)code)(ctx, io[0].i32);
}
static void tr_ii_v(void *code, void *ctx, wasmc_value *io) {
    ((fn_ii_v)code)(ctx, io[0].i32, io[1].i32);
}
static void tr_iiii_i(void *code, void *ctx, wasmc_value *io) {
    io[0].i32 = ((fn_iiii_i)code)(ctx, io[0].i32, io[1].i32, io[2].i32, io[3].i32);
}
static void tr_I_I(void *code, void *ctx, wasmc_value *io) {
    io[0].i64 = ((fn_I_I)code)(ctx, io[0].i64);
}

static int32_t th_ii_i(void *host, int32_t a, int32_t b) {
    wasmc_value io[2];
    io[0].i32 = a;
    io[1].i32 = b;
    rt->call_host(host, io);
    return io[0].i32;
}
static void th_v_v(void *host) {
    wasmc_value io[1];
    rt->call_host(host, io);
}
static int32_t th_i_i(void *host, int32_t a) {
    wasmc_value io[1];
    io[0].i32 = a;
    rt->call_host(host, io);
    return io[0].i32;
}

static void *const functions[] = {
    (void *)f_add,      (void *)f_div,           (void *)f_load,   (void *)f_store,
    (void *)f_recurse,  (void *)f_call_host,     (void *)f_unreachable, (void *)f_incg,
    (void *)f_start,    (void *)f_call_indirect, (void *)f_rt,     (void *)f_dbl,
};
static void *const trampolines[] = {
    (void *)tr_ii_i, (void *)tr_v_v, (void *)tr_i_i, (void *)tr_ii_v,
    (void *)tr_i_i,  (void *)tr_iiii_i, (void *)tr_I_I,
};
static void *const host_thunks[] = {
    (void *)th_ii_i, (void *)th_v_v, (void *)th_i_i, NULL, (void *)th_i_i, NULL, NULL,
};
/* The data image (wasmc_abi.h): "hello" and "WASM", with made-up hashes that the metadata
 * repeats (the loader compares the two; it hashes the bytes only of a separate data file). */
__asm__(".pushsection " WASMC_DATA_SECTION ",\"\",%progbits\n"
        ".p2align 16\n"
        ".ascii \"" WASMC_DATA_MAGIC "\"\n"
        ".long 1, 2, 0, 0\n"   /* version, 2 segments, no files */
        ".quad 132\n"          /* size */
        ".quad 112, 5, 0x11\n" /* "hello": offset, length, hash */
        ".long 0, 0, 0, 0\n"   /* a segment */
        ".quad 128, 4, 0x22\n" /* "WASM" */
        ".long 0, 0, 0, 0\n"
        ".ascii \"hello\"\n"
        ".p2align 4\n"
        ".ascii \"WASM\"\n"
        ".popsection\n");
_Static_assert(WASMC_DATA_VERSION == 1, "the data image above spells the version: update it");

/* ---- the metadata blob, byte by byte (string literals concatenate; the final NUL is not part
 * of it) ---- */
_Static_assert(WASMC_ABI_VERSION == 6, "the metadata blob below spells the ABI version: update it");
static const uint8_t metadata[] =
    "\x06"                                  /* abi_version */
    "\x18" "x86_64-unknown-linux-gnu"       /* target triple */
    "\x07" "generic"                        /* cpu */
    "\x00"                                  /* cpu features */
    "\x03" "-O2"                            /* options */
    "\x04" "00ff"                           /* wasm hash */
    "\x00"                                  /* bounds mode: guard pages */
    "\xc0\x04"                              /* ctx_size 576 */
    "\x20"                                  /* off_type_ids 32 */
    "\x40"                                  /* off_funcrefs 64 */
    "\xe0\x03"                              /* off_tables 480 */
    "\xf0\x03"                              /* off_memories 496 */
    "\x80\x04"                              /* off_global_ptrs 512 */
    "\xa0\x04"                              /* off_global_cells 544 */
    "\xc0\x04"                              /* off_tags 576 */
    "\x07"                                  /* 7 types, each without a type key */
    "\x02\x00\x00" "\x01\x00" "\x00"        /* t0 (i32 i32) -> i32 */
    "\x00" "\x00" "\x00"                    /* t1 () -> () */
    "\x01\x00" "\x01\x00" "\x00"            /* t2 (i32) -> i32 */
    "\x02\x00\x00" "\x00" "\x00"            /* t3 (i32 i32) -> () */
    "\x01\x00" "\x01\x00" "\x00"            /* t4 (i32) -> i32 */
    "\x04\x00\x00\x00\x00" "\x01\x00" "\x00" /* t5 (i32 x4) -> i32 */
    "\x01\x01" "\x01\x01" "\x00"            /* t6 (i64) -> i64 */
    "\x04"                                  /* 4 imports */
    "\x03" "env" "\x08" "host_add" "\x00" "\x00"                 /* func t0 */
    "\x08" "spectest" "\x06" "memory" "\x02" "\x01\x01\x02"      /* memory 1..2 */
    "\x03" "env" "\x03" "tab" "\x01" "\x05\x00" "\x02\x00"       /* table funcref 2.. */
    "\x03" "env" "\x01" "g" "\x03" "\x00\x00\x01"                /* global mut i32 */
    "\x0d" "\x00\x00\x00\x02\x03\x01\x00\x01\x01\x01\x00\x05\x04" /* 13 functions' types */
    "\x02" "\x05\x00\x02\x00" "\x05\x00\x03\x01\x05"             /* tables: 2.., 3..5 */
    "\x02" "\x01\x01\x02" "\x01\x01\x04"                         /* memories: 1..2, 1..4 */
    "\x03" "\x00\x00\x01" "\x00\x00\x01" "\x01\x00\x00"          /* globals */
    "\x00"                                                       /* no tags */
    "\x12"                                                       /* 18 exports */
    "\x03" "add" "\x00\x01"
    "\x03" "div" "\x00\x02"
    "\x04" "load" "\x00\x03"
    "\x05" "store" "\x00\x04"
    "\x07" "recurse" "\x00\x05"
    "\x09" "call_host" "\x00\x06"
    "\x0b" "unreachable" "\x00\x07"
    "\x04" "incg" "\x00\x08"
    "\x0d" "call_indirect" "\x00\x0a"
    "\x02" "rt" "\x00\x0b"
    "\x03" "dbl" "\x00\x0c"
    "\x08" "host_add" "\x00\x00"
    "\x04" "mem0" "\x02\x00"
    "\x04" "mem1" "\x02\x01"
    "\x04" "tab0" "\x01\x00"
    "\x04" "tab1" "\x01\x01"
    "\x02" "g1" "\x03\x01"
    "\x02" "g2" "\x03\x02"
    "\x0a"                                  /* start: function 9 */
    "\x00"                                  /* data file: none, the .wasmc.data section */
    "\x02" "\x05\x11" "\x04\x22"            /* data segments: size, hash */
    "\x00" "\x00"                           /* no embedded files, their hash */
    "\x02" "\x05" "\x05"                    /* element segments: funcref, funcref */
    "\x02" "\x01" "\x03" "add" "\x02" "\x03" "div" /* names */
    "\x01" "\x03" "dep" "\x04" "beef";         /* linked modules: name, wasm hash */

#ifdef FAKE_BAD_MAGIC
#define MAGIC 0x464c457fu
#else
#define MAGIC WASMC_DESCRIPTOR_MAGIC
#endif
#ifdef FAKE_BAD_ABI
#define ABI (WASMC_ABI_VERSION + 1u)
#else
#define ABI WASMC_ABI_VERSION
#endif

/* Not const, so that the test can point it at corrupted copies of the blob. */
__attribute__((visibility("default"))) wasmc_module_descriptor wasmc_module = {
    .magic = MAGIC,
    .abi_version = ABI,
    .metadata = metadata,
    .metadata_size = sizeof metadata - 1,
    .runtime_slot = &rt,
    .init = init,
    .functions = functions,
    .trampolines = trampolines,
    .host_thunks = host_thunks,
};
