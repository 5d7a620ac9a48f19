/* exception.c: tags, exceptions, and throwing them through compiled code.
 *
 * A throw unwinds natively: the exception starts with a `struct _Unwind_Exception` and is raised
 * with `_Unwind_ForcedUnwind` (phase 2 only: wasm handlers are found by running them). Every
 * compiled function with a `try_table` has landing pads and `wasmc.personality`, which forwards
 * to `rt_personality` below: it reads the frame's call-site table (the LSDA LLVM emits) and
 * installs the landing pad covering the call that threw. The landing pad compares the exception's
 * tag with its catch clauses; when none matches it throws the exception again (`throw_ref`),
 * which unwinds on from there. The stop function ends the unwinding at the innermost wasmc_call
 * (the frames above it are the host's) and hands the exception to it as uncaught. Frames without
 * handlers cost nothing: the unwinder steps over them with their CFI. Traps are not exceptions:
 * they siglongjmp past every handler (trap.c). */
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <unwind.h>

_Static_assert(sizeof(struct _Unwind_Exception) <= sizeof(((wasmc_exception *)0)->unwind_header),
               "the unwinder's header fits at the start of an exception");
_Static_assert(offsetof(wasmc_exception, tag) == 32 && offsetof(wasmc_exception, exposed) == 44 &&
                   offsetof(wasmc_exception, values) == 80,
               "exception layout (RuntimeABI.Exception)");

/* "WSMC" "EXN\0": the exception class of wasm exceptions. */
#define EXCEPTION_CLASS 0x57534d4345584e00ull

/* ---- tags ---------------------------------------------------------------------------- */

wasmc_tag *wasmc_tag_new(const uint8_t *params, uint32_t nparams) {
    wasmc_tag *tag = calloc(1, sizeof *tag + nparams);
    if (!tag) return NULL;
    tag->params = (uint8_t *)(tag + 1);
    if (nparams) memcpy(tag->params, params, nparams);
    tag->nparams = nparams;
    tag->type_id = wasmc_signature_id(params, nparams, NULL, 0);
    tag->refcount = 1;
    return tag;
}

void rt_tag_retain(wasmc_tag *tag) { __atomic_fetch_add(&tag->refcount, 1, __ATOMIC_RELAXED); }

void wasmc_tag_release(wasmc_tag *tag) {
    if (tag && __atomic_sub_fetch(&tag->refcount, 1, __ATOMIC_ACQ_REL) == 0) free(tag);
}

/* ---- exceptions ---------------------------------------------------------------------- */

static void adopt(rt_store *s, wasmc_exception *exn) {
    exn->store = &s->pub;
    exn->next = s->exceptions;
    if (s->exceptions) s->exceptions->prev = exn;
    s->exceptions = exn;
}

static wasmc_exception *exception_alloc(rt_store *s, wasmc_tag *tag) {
    wasmc_exception *exn = calloc(1, sizeof *exn + (size_t)tag->nparams * sizeof(wasmc_value));
    if (!exn) return NULL;
    /* The exception keeps its tag alive: it may outlive every instance that has the tag. */
    rt_tag_retain(tag);
    exn->tag = tag;
    exn->nvalues = tag->nparams;
    adopt(s, exn);
    return exn;
}

static void exception_free(rt_store *s, wasmc_exception *exn) {
    if (exn->prev) exn->prev->next = exn->next;
    else s->exceptions = exn->next;
    if (exn->next) exn->next->prev = exn->prev;
    if (s->uncaught == exn) s->uncaught = NULL;
    wasmc_tag_release(exn->tag);
    free(exn);
}

void rt_store_free_exceptions(rt_store *s) {
    while (s->exceptions) exception_free(s, s->exceptions);
}

wasmc_exception *wasmc_exception_new(wasmc_store *store, wasmc_tag *tag, const wasmc_value *values) {
    if (!store) store = rt_call_store();
    if (!tag || !store) return NULL;
    wasmc_exception *exn = exception_alloc((rt_store *)store, tag);
    if (!exn) return NULL;
    if (tag->nparams) memcpy(exn->values, values, tag->nparams * sizeof(wasmc_value));
    exn->exposed = 1; /* the host holds it */
    return exn;
}

wasmc_exception *wasmc_store_exception(wasmc_store *store) {
    return store ? ((rt_store *)store)->uncaught : NULL;
}

void rt_exception_drop(void *ctx, wasmc_exception *exn) {
    (void)ctx;
    if (!exn->exposed && exn->store) exception_free((rt_store *)exn->store, exn);
}

/* ---- raising ------------------------------------------------------------------------- */

static _Unwind_Reason_Code stop(int version, _Unwind_Action actions, _Unwind_Exception_Class cls,
                                struct _Unwind_Exception *ue, struct _Unwind_Context *uctx,
                                void *arg) {
    (void)version, (void)cls, (void)arg;
    /* The next frame to unwind belongs to the host once its CFA lies above the innermost
     * wasmc_call's frame (the stack grows down on every target). */
    if ((actions & _UA_END_OF_STACK) || _Unwind_GetCFA(uctx) > rt_call_boundary())
        rt_deliver_uncaught((wasmc_exception *)ue);
    return _URC_NO_REASON;
}

static _Noreturn void raise_exception(wasmc_exception *exn) {
    struct _Unwind_Exception *ue = (struct _Unwind_Exception *)exn->unwind_header;
    memset(ue, 0, sizeof *ue);
    ue->exception_class = EXCEPTION_CLASS;
    _Unwind_ForcedUnwind(ue, stop, NULL);
    /* Unwinding could not even start (no unwind information at the throw): nothing can catch. */
    rt_deliver_uncaught(exn);
}

wasmc_exception *rt_exception_new(void *ctx, uint32_t tag_index, const wasmc_value *payload) {
    wasmc_instance *inst = RT_INSTANCE(ctx);
    wasmc_tag *tag = inst->tags[tag_index];
    wasmc_exception *exn = exception_alloc((rt_store *)inst->store, tag);
    if (!exn) rt_trap(ctx, WASMC_TRAP_HOST); /* out of memory */
    if (tag->nparams) memcpy(exn->values, payload, tag->nparams * sizeof(wasmc_value));
    return exn;
}

void rt_throw(void *ctx, uint32_t tag_index, const wasmc_value *payload) {
    raise_exception(rt_exception_new(ctx, tag_index, payload));
}

void rt_throw_ref(void *ctx, wasmc_exception *exn) {
    if (!exn) rt_trap(ctx, WASMC_TRAP_NULL_EXCEPTION_REFERENCE);
    raise_exception(exn);
}

/* The exception a host callback asked its caller to throw (wasmc_host_throw), per thread. */
static _Thread_local wasmc_exception *pending;

uint32_t wasmc_host_throw(wasmc_exception *exn) {
    pending = exn;
    return WASMC_EXCEPTION;
}

void rt_raise_pending(void) {
    wasmc_exception *exn = pending;
    pending = NULL;
    if (!exn) rt_trap(NULL, WASMC_TRAP_HOST); /* WASMC_EXCEPTION without an exception */
    raise_exception(exn);
}

/* ---- the personality ----------------------------------------------------------------- */

/* DWARF pointer encodings (DW_EH_PE_*) as LLVM writes them in call-site tables. */
enum {
    PE_absptr = 0x00, PE_uleb128 = 0x01, PE_udata2 = 0x02, PE_udata4 = 0x03, PE_udata8 = 0x04,
    PE_sleb128 = 0x09, PE_sdata2 = 0x0a, PE_sdata4 = 0x0b, PE_sdata8 = 0x0c,
    PE_pcrel = 0x10, PE_indirect = 0x80, PE_omit = 0xff,
};

/* An LEB128 number, sign-extended when `is_signed`. */
static uint64_t read_leb(const uint8_t **p, bool is_signed) {
    uint64_t value = 0;
    unsigned shift = 0;
    uint8_t byte;
    do {
        byte = *(*p)++;
        if (shift < 64) value |= (uint64_t)(byte & 0x7f) << shift;
        shift += 7;
    } while (byte & 0x80);
    if (is_signed && shift < 64 && (byte & 0x40)) value |= ~(uint64_t)0 << shift;
    return value;
}

/* A value in `encoding` (the low nibble's format; pc-relative applied, indirect read). */
static uintptr_t read_encoded(const uint8_t **p, uint8_t encoding) {
    const uint8_t *start = *p;
    uintptr_t value;
    switch (encoding & 0x0f) {
    case PE_absptr: memcpy(&value, *p, sizeof value); *p += sizeof value; break;
    case PE_uleb128: value = (uintptr_t)read_leb(p, false); break;
    case PE_sleb128: value = (uintptr_t)read_leb(p, true); break;
    case PE_udata2: { uint16_t v; memcpy(&v, *p, 2); *p += 2; value = v; break; }
    case PE_udata4: { uint32_t v; memcpy(&v, *p, 4); *p += 4; value = v; break; }
    case PE_udata8: { uint64_t v; memcpy(&v, *p, 8); *p += 8; value = (uintptr_t)v; break; }
    case PE_sdata2: { int16_t v; memcpy(&v, *p, 2); *p += 2; value = (uintptr_t)(intptr_t)v; break; }
    case PE_sdata4: { int32_t v; memcpy(&v, *p, 4); *p += 4; value = (uintptr_t)(intptr_t)v; break; }
    case PE_sdata8: { int64_t v; memcpy(&v, *p, 8); *p += 8; value = (uintptr_t)v; break; }
    default: abort(); /* LLVM writes none of the others */
    }
    if (value && (encoding & 0x70) == PE_pcrel) value += (uintptr_t)start;
    if (value && (encoding & PE_indirect)) value = *(const uintptr_t *)value;
    return value;
}

int rt_personality(int version, int actions, uint64_t exception_class, void *unwind_exception,
                   void *unwind_context) {
    struct _Unwind_Context *uctx = unwind_context;
    if (version != 1 || exception_class != EXCEPTION_CLASS || !(actions & _UA_CLEANUP_PHASE))
        return _URC_CONTINUE_UNWIND;
    const uint8_t *lsda = _Unwind_GetLanguageSpecificData(uctx);
    if (!lsda) return _URC_CONTINUE_UNWIND;
    int before = 0;
    uintptr_t ip = _Unwind_GetIPInfo(uctx, &before);
    if (!before) ip--; /* a return address: the call is the instruction before it */
    uintptr_t func = _Unwind_GetRegionStart(uctx);

    const uint8_t *p = lsda;
    uint8_t lpstart_encoding = *p++;
    uintptr_t lpstart = lpstart_encoding == PE_omit ? func : read_encoded(&p, lpstart_encoding);
    uint8_t ttype_encoding = *p++;
    if (ttype_encoding != PE_omit) read_leb(&p, false);
    uint8_t callsite_encoding = *p++;
    uint64_t table_length = read_leb(&p, false);
    const uint8_t *end = p + table_length;
    while (p < end) {
        uintptr_t start = read_encoded(&p, callsite_encoding);
        uintptr_t length = read_encoded(&p, callsite_encoding);
        uintptr_t pad = read_encoded(&p, callsite_encoding);
        read_leb(&p, false); /* action: every wasm landing pad is a cleanup */
        if (ip < func + start) break; /* the table is sorted */
        if (ip >= func + start + length) continue;
        if (!pad) return _URC_CONTINUE_UNWIND;
        _Unwind_SetGR(uctx, __builtin_eh_return_data_regno(0), (uintptr_t)unwind_exception);
        _Unwind_SetGR(uctx, __builtin_eh_return_data_regno(1), 0);
        _Unwind_SetIP(uctx, lpstart + pad);
        return _URC_INSTALL_CONTEXT;
    }
    return _URC_CONTINUE_UNWIND;
}
