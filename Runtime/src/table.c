/* table.c: tables of references (funcref entries are `wasmc_funcref *`, externref entries are
 * host pointers, NULL is null), and the table runtime functions (table.grow/fill/copy/init,
 * elem.drop, element segment storage). */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

wasmc_table *wasmc_table_new(uint8_t ref_kind, uint32_t min, uint32_t has_max, uint32_t max,
                             void *init, wasmc_error *error) {
    if (ref_kind != WASMC_FUNCREF && ref_kind != WASMC_EXTERNREF && ref_kind != WASMC_EXNREF)
        return rt_fail(error, WASMC_ERROR_RESOURCE, 0, "invalid table element kind %u", ref_kind);
    if (has_max && min > max)
        return rt_fail(error, WASMC_ERROR_RESOURCE, 0,
                       "table minimum (%u) is larger than its maximum (%u)", min, max);
    wasmc_table *t = calloc(1, sizeof *t);
    uint32_t capacity = min ? min : 4;
    if (has_max && capacity > max) capacity = max ? max : 1;
    void **elements = t ? calloc(capacity, sizeof(void *)) : NULL;
    if (!elements) {
        free(t);
        return rt_fail(error, WASMC_ERROR_RESOURCE, 0, "out of memory for a table of %u entries",
                       min);
    }
    for (uint32_t i = 0; init && i < min; i++) elements[i] = init;
    t->elements = elements;
    t->size = min;
    t->max = has_max ? max : UINT32_MAX;
    t->capacity = capacity;
    t->kind = ref_kind;
    t->has_max = has_max ? 1 : 0;
    t->refcount = 1;
    return t;
}

void rt_table_retain(wasmc_table *t) {
    __atomic_fetch_add(&t->refcount, 1, __ATOMIC_RELAXED);
}

void wasmc_table_release(wasmc_table *t) {
    if (!t || __atomic_sub_fetch(&t->refcount, 1, __ATOMIC_ACQ_REL) != 0) return;
    free(t->elements);
    free(t->type_key);
    free(t);
}

int32_t wasmc_table_grow(wasmc_table *t, uint32_t delta, void *init) {
    uint64_t old = t->size, size = old + delta;
    if (size > t->max || size > UINT32_MAX) return -1;
    if (size > t->capacity) {
        uint64_t capacity = (uint64_t)t->capacity * 2;
        if (capacity < size) capacity = size;
        if (capacity > t->max) capacity = t->max;
        void **grown = realloc(t->elements, (size_t)capacity * sizeof(void *));
        if (!grown && capacity > size) {
            capacity = size;
            grown = realloc(t->elements, (size_t)capacity * sizeof(void *));
        }
        if (!grown) return -1;
        t->elements = grown;
        t->capacity = (uint32_t)capacity;
    }
    for (uint64_t i = old; i < size; i++) t->elements[i] = init;
    t->size = (uint32_t)size;
    return (int32_t)(uint32_t)old;
}

/* ---- runtime functions: https://webassembly.github.io/spec/core/exec/instructions.html#table-instructions */

static wasmc_table *table_of(void *ctx, uint32_t index) {
    return RT_INSTANCE(ctx)->tables[index];
}

int32_t rt_table_grow(void *ctx, uint32_t table, void *init, uint32_t delta) {
    return wasmc_table_grow(table_of(ctx, table), delta, init);
}

void rt_table_fill(void *ctx, uint32_t table, uint32_t dst, void *value, uint32_t n) {
    wasmc_table *t = table_of(ctx, table);
    if ((uint64_t)dst + n > t->size) rt_trap(ctx, WASMC_TRAP_TABLE_OUT_OF_BOUNDS);
    for (uint32_t i = 0; i < n; i++) t->elements[dst + i] = value;
}

void rt_table_copy(void *ctx, uint32_t dtab, uint32_t stab, uint32_t dst, uint32_t src,
                   uint32_t n) {
    wasmc_table *d = table_of(ctx, dtab), *s = table_of(ctx, stab);
    if ((uint64_t)dst + n > d->size || (uint64_t)src + n > s->size)
        rt_trap(ctx, WASMC_TRAP_TABLE_OUT_OF_BOUNDS);
    if (n) memmove(d->elements + dst, s->elements + src, (size_t)n * sizeof(void *));
}

void rt_table_init(void *ctx, uint32_t table, uint32_t elem, uint32_t dst, uint32_t src,
                   uint32_t n) {
    wasmc_table *t = table_of(ctx, table);
    const rt_elem *seg = &RT_INSTANCE(ctx)->elems[elem];
    if ((uint64_t)src + n > seg->len || (uint64_t)dst + n > t->size)
        rt_trap(ctx, WASMC_TRAP_TABLE_OUT_OF_BOUNDS);
    if (n) memcpy(t->elements + dst, seg->items + src, (size_t)n * sizeof(void *));
}

void rt_elem_drop(void *ctx, uint32_t elem) {
    rt_elem *seg = &RT_INSTANCE(ctx)->elems[elem];
    free(seg->items);
    seg->items = NULL;
    seg->len = 0;
}

void **rt_elem_segment_alloc(void *ctx, uint32_t elem, uint32_t count) {
    rt_elem *seg = &RT_INSTANCE(ctx)->elems[elem];
    void **items = calloc(count ? count : 1, sizeof(void *));
    if (!items) {
        fprintf(stderr, "wasmc: out of memory for element segment %u (%u entries)\n", elem, count);
        abort();
    }
    free(seg->items);
    seg->items = items;
    seg->len = count;
    return items;
}
