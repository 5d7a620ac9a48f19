/* memory.c: linear memories. A guarded memory reserves WASMC_GUARD_RESERVATION bytes of
 * PROT_NONE address space and opens pages with mprotect as it grows, so that every
 * i32 address + u32 offset lands in the reservation and out-of-bounds accesses fault; the
 * reservation is recorded in a fixed, lock-free registry the fault handler reads. When the
 * reservation fails (ulimit -v), the memory falls back to a smaller reservation without guard
 * (guarded = 0), usable by modules compiled with explicit bounds checks. The base never moves.
 * Also the bulk-memory runtime functions (memory.grow/fill/copy/init, data.drop); memory.init
 * maps a data segment's pages where it can (data.c). */
#include "internal.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* 47 bits of user address space hold at most 16384 reservations of 8 GiB. */
#define REGISTRY_SLOTS 16384u

static _Atomic uintptr_t registry[REGISTRY_SLOTS]; /* base of each guarded reservation, or 0 */
static _Atomic uint32_t registry_used;              /* high-water mark of slots ever used */

static uint32_t registry_add(uintptr_t base) {
    for (uint32_t i = 0; i < REGISTRY_SLOTS; i++) {
        uintptr_t expected = 0;
        if (atomic_load_explicit(&registry[i], memory_order_relaxed) == 0 &&
            atomic_compare_exchange_strong(&registry[i], &expected, base)) {
            uint32_t used = atomic_load(&registry_used);
            while (used < i + 1 && !atomic_compare_exchange_weak(&registry_used, &used, i + 1)) {
            }
            return i;
        }
    }
    return UINT32_MAX;
}

bool rt_guard_fault(uintptr_t addr) {
    uint32_t used = atomic_load(&registry_used);
    for (uint32_t i = 0; i < used; i++) {
        uintptr_t base = atomic_load(&registry[i]);
        if (base && addr >= base && addr - base < WASMC_GUARD_RESERVATION) return true;
    }
    return false;
}

static void *reserve(uint64_t bytes) {
    void *p = mmap(NULL, (size_t)bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

wasmc_memory *wasmc_memory_new(uint32_t min_pages, uint32_t has_max, uint32_t max_pages,
                               wasmc_error *error) {
    if (min_pages > WASMC_MAX_PAGES || (has_max && max_pages > WASMC_MAX_PAGES))
        return rt_fail(error, WASMC_ERROR_RESOURCE, 0, "memory size must be at most 65536 pages");
    if (has_max && min_pages > max_pages)
        return rt_fail(error, WASMC_ERROR_RESOURCE, 0,
                       "memory minimum (%u pages) is larger than its maximum (%u pages)",
                       min_pages, max_pages);
    wasmc_memory *m = calloc(1, sizeof *m);
    if (!m) return rt_fail(error, WASMC_ERROR_RESOURCE, 0, "out of memory");
    uint64_t min_bytes = (uint64_t)min_pages * WASMC_PAGE_SIZE;
    m->max_pages = has_max ? max_pages : WASMC_MAX_PAGES;
    m->has_max = has_max ? 1 : 0;
    m->refcount = 1;
    m->registry_slot = UINT32_MAX;
    m->base = reserve(WASMC_GUARD_RESERVATION);
    if (m->base) {
        m->registry_slot = registry_add((uintptr_t)m->base);
        if (m->registry_slot == UINT32_MAX) {
            munmap(m->base, WASMC_GUARD_RESERVATION);
            m->base = NULL;
        } else {
            m->guarded = 1;
            m->reserved = WASMC_GUARD_RESERVATION;
        }
    }
    if (!m->base) {
        /* No room for a guard region: reserve up to the growth limit, halving on failure but
         * never below the minimum. Growth then stops at the reservation. */
        uint64_t want = m->max_pages * WASMC_PAGE_SIZE;
        if (want < WASMC_PAGE_SIZE) want = WASMC_PAGE_SIZE;
        for (;;) {
            m->base = reserve(want);
            if (m->base || want <= min_bytes || want <= WASMC_PAGE_SIZE) break;
            want = want / 2 / WASMC_PAGE_SIZE * WASMC_PAGE_SIZE;
            if (want < min_bytes) want = min_bytes;
            if (want < WASMC_PAGE_SIZE) want = WASMC_PAGE_SIZE;
        }
        if (!m->base) {
            free(m);
            return rt_fail(error, WASMC_ERROR_RESOURCE, 0,
                           "cannot reserve address space for a memory of %u pages: %s",
                           min_pages, strerror(errno));
        }
        m->reserved = want;
    }
    if (min_bytes && mprotect(m->base, (size_t)min_bytes, PROT_READ | PROT_WRITE) != 0) {
        int saved = errno;
        wasmc_memory_release(m);
        return rt_fail(error, WASMC_ERROR_RESOURCE, 0, "cannot commit %u pages of memory: %s",
                       min_pages, strerror(saved));
    }
    m->size = min_bytes;
    return m;
}

void rt_memory_retain(wasmc_memory *m) {
    __atomic_fetch_add(&m->refcount, 1, __ATOMIC_RELAXED);
}

void wasmc_memory_release(wasmc_memory *m) {
    if (!m || __atomic_sub_fetch(&m->refcount, 1, __ATOMIC_ACQ_REL) != 0) return;
    if (m->guarded) atomic_store(&registry[m->registry_slot], 0);
    munmap(m->base, (size_t)m->reserved);
    free(m);
}

int32_t wasmc_memory_grow(wasmc_memory *m, uint32_t delta_pages) {
    uint64_t old_pages = m->size / WASMC_PAGE_SIZE;
    uint64_t new_pages = old_pages + delta_pages;
    if (new_pages > m->max_pages || new_pages > WASMC_MAX_PAGES ||
        new_pages * WASMC_PAGE_SIZE > m->reserved)
        return -1;
    if (delta_pages && mprotect(m->base + m->size, (size_t)delta_pages * WASMC_PAGE_SIZE,
                                PROT_READ | PROT_WRITE) != 0)
        return -1;
    m->size = new_pages * WASMC_PAGE_SIZE;
    return (int32_t)old_pages;
}

/* ---- runtime functions: https://webassembly.github.io/spec/core/exec/instructions.html#memory-instructions */

static wasmc_memory *memory_of(void *ctx, uint32_t index) {
    return RT_INSTANCE(ctx)->memories[index];
}

int32_t rt_memory_grow(void *ctx, uint32_t memory, uint32_t delta) {
    return wasmc_memory_grow(memory_of(ctx, memory), delta);
}

void rt_memory_fill(void *ctx, uint32_t memory, uint32_t dst, uint32_t value, uint32_t n) {
    wasmc_memory *m = memory_of(ctx, memory);
    if ((uint64_t)dst + n > m->size) rt_trap(ctx, WASMC_TRAP_MEMORY_OUT_OF_BOUNDS);
    memset(m->base + dst, (int)(uint8_t)value, n);
}

void rt_memory_copy(void *ctx, uint32_t dmem, uint32_t smem, uint32_t dst, uint32_t src,
                    uint32_t n) {
    wasmc_memory *d = memory_of(ctx, dmem), *s = memory_of(ctx, smem);
    if ((uint64_t)dst + n > d->size || (uint64_t)src + n > s->size)
        rt_trap(ctx, WASMC_TRAP_MEMORY_OUT_OF_BOUNDS);
    memmove(d->base + dst, s->base + src, n);
}

void rt_memory_init(void *ctx, uint32_t memory, uint32_t data, uint32_t dst, uint32_t src,
                    uint32_t n) {
    wasmc_memory *m = memory_of(ctx, memory);
    const rt_data *seg = &RT_INSTANCE(ctx)->data[data];
    if ((uint64_t)src + n > seg->len || (uint64_t)dst + n > m->size)
        rt_trap(ctx, WASMC_TRAP_MEMORY_OUT_OF_BOUNDS);
    if (n) rt_data_copy(m->base + dst, seg, src, n);
}

void rt_data_drop(void *ctx, uint32_t data) {
    RT_INSTANCE(ctx)->data[data].len = 0;
}
